"""Chapter 01's compute: the plain RNN's error terms, the article's bound, the per-step
weight-gradient contributions, and the helpers that set W's spectral radius or norm."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib import gradflow as gf
from lstmlib.activations import ACTIVATIONS


def _loss_with_net_offset(p, X, h0, activation, dh_last, k, offset):
    """E = sum(dh_last * h_T) for an RNN whose weighted input at step k (0-based) gets ``offset``
    added: an independent forward pass, written out here, to finite-difference dE/dnet_k."""
    f, _ = ACTIVATIONS[activation]
    h = h0
    for t in range(X.shape[0]):
        net = X[t] @ p.U.T + h @ p.W.T + p.b
        if t == k:
            net = net + offset
        h = f(net)
    return float(np.sum(dh_last * h))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deltas_equal_finite_differences_of_the_weighted_input(activation):
    rng = np.random.default_rng(7)
    T, B, D, H = 5, 2, 3, 4
    p = ll.RNNParams.init(D, H, rng)
    p.W[...] *= 2.0  # not trivially small
    X = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dh_last = rng.standard_normal((B, H))
    flow = gf.rnn_gradient_flow(p, X, h0=h0, activation=activation, dh_last=dh_last)
    eps = 1e-6
    for k in range(T):
        numeric = np.zeros((B, H))
        for idx in np.ndindex(B, H):
            e = np.zeros((B, H))
            e[idx] = eps
            up = _loss_with_net_offset(p, X, h0, activation, dh_last, k, e)
            down = _loss_with_net_offset(p, X, h0, activation, dh_last, k, -e)
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(flow.deltas[k], numeric, rtol=1e-6, atol=1e-9)
        assert flow.delta_norms[k] == pytest.approx(np.linalg.norm(numeric), rel=1e-6, abs=1e-9)


@given(T=st.integers(1, 40), B=st.integers(1, 3), D=st.integers(1, 4), H=st.integers(1, 8),
       scale=st.floats(0.05, 6.0), x_scale=st.floats(0.0, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid", "relu"]), seed=st.integers(0, 2**31 - 1))
def test_the_articles_bound_holds_at_every_step(T, B, D, H, scale, x_scale, activation, seed):
    rng = np.random.default_rng(seed)
    p = ll.RNNParams.init(D, H, rng)
    p.W[...] = rng.standard_normal((H, H)) * scale / np.sqrt(H)
    X = x_scale * rng.standard_normal((T, B, D))
    flow = gf.rnn_gradient_flow(p, X, h0=rng.standard_normal((B, H)), activation=activation,
                                dh_last=rng.standard_normal((B, H)))
    assert flow.beta_W == pytest.approx(np.linalg.svd(p.W, compute_uv=False)[0])
    assert flow.beta_f == {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}[activation]
    assert flow.bound[-1] == pytest.approx(flow.delta_norms[-1])
    for k in range(T):  # k is 0-based here: t - k steps back is T - 1 - k
        assert flow.delta_norms[k] <= flow.bound[k] * (1 + 1e-12) + 1e-300, k
    assert flow.bound_holds()


def test_bound_fails_when_the_derivative_bound_is_understated():
    """The bound is not vacuous: with beta_f replaced by a smaller number it is violated."""
    exp = gf.radius_experiment(max_steps=30)
    flow = exp.flow(1.0, "tanh", 30)
    too_small = flow.delta_norms[-1] * (0.5 * flow.beta_W) ** np.arange(29, -1, -1)
    assert np.any(flow.delta_norms > too_small)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_contributions_sum_to_rnn_backward_and_have_the_articles_form(activation):
    rng = np.random.default_rng(3)
    T, B, D, H = 7, 3, 2, 5
    p = ll.RNNParams.init(D, H, rng)
    X = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dh_last = rng.standard_normal((B, H))
    flow = gf.rnn_gradient_flow(p, X, h0=h0, activation=activation, dh_last=dh_last)
    hs, cache = ll.rnn_forward(X, p, h0=h0, activation=activation)
    dhs = np.zeros((T, B, H))
    dhs[-1] = dh_last
    g = ll.rnn_backward(dhs, cache)
    np.testing.assert_allclose(flow.contributions.sum(axis=0), g.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(flow.grad_W, g.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(flow.deltas.sum(axis=(0, 1)), g.b, rtol=1e-12, atol=1e-14)
    h_prev = np.concatenate([h0[None], hs[:-1]])
    for k in range(T):
        np.testing.assert_allclose(flow.contributions[k], flow.deltas[k].T @ h_prev[k], rtol=1e-12)
    np.testing.assert_allclose(flow.contribution_norms,
                               [np.linalg.norm(c) for c in flow.contributions], rtol=1e-12)


def test_default_loss_is_the_sum_of_the_last_state():
    rng = np.random.default_rng(0)
    p = ll.RNNParams.init(2, 3, rng)
    X = rng.standard_normal((4, 1, 2))
    a = gf.rnn_gradient_flow(p, X)
    b = gf.rnn_gradient_flow(p, X, dh_last=np.ones((1, 3)))
    np.testing.assert_array_equal(a.deltas, b.deltas)
    assert a.gain == pytest.approx(a.delta_norms[0] / a.delta_norms[-1])


def test_spectral_helpers():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    assert gf.spectral_norm(A) == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])
    assert gf.spectral_radius(A) == pytest.approx(np.abs(np.linalg.eigvals(A)).max())
    assert gf.spectral_radius(A) <= gf.spectral_norm(A) + 1e-12
    for target in (0.0, 0.5, 1.0, 2.5):
        assert gf.spectral_radius(gf.rescale_matrix(A, spectral_radius=target)) == pytest.approx(target, abs=1e-12)
        assert gf.spectral_norm(gf.rescale_matrix(A, spectral_norm=target)) == pytest.approx(target, abs=1e-12)
    B = gf.rescale_matrix(A, spectral_norm=2.0)
    np.testing.assert_allclose(B / np.linalg.norm(B), A / np.linalg.norm(A))  # same direction
    Q = gf.orthogonal_matrix(5, rng)
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-12)
    assert gf.spectral_radius(Q) == pytest.approx(1.0) and gf.spectral_norm(Q) == pytest.approx(1.0)
    r = gf.rnn_with_radius(3, 5, 1.7, rng)
    assert gf.spectral_radius(r.W) == pytest.approx(1.7) and gf.spectral_norm(r.W) == pytest.approx(1.7)


@pytest.mark.parametrize("call, match", [
    (lambda A: gf.rescale_matrix(A), "exactly one"),
    (lambda A: gf.rescale_matrix(A, spectral_radius=1.0, spectral_norm=1.0), "exactly one"),
    (lambda A: gf.rescale_matrix(A, spectral_norm=-1.0), "spectral_norm"),
    (lambda A: gf.rescale_matrix(np.zeros((3, 3)), spectral_radius=1.0), "W"),
    (lambda A: gf.spectral_norm(np.ones((2, 3))), "square"),
    (lambda A: gf.spectral_radius(np.full((2, 2), np.nan)), "finite"),
    (lambda A: gf.rnn_with_radius(2, 3, -1.0, 0), "radius"),
    (lambda A: gf.orthogonal_matrix(0, 0), "size"),
])
def test_helpers_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.eye(3))


def test_flow_rejects_bad_input():
    rng = np.random.default_rng(0)
    p = ll.RNNParams.init(2, 3, rng)
    X = rng.standard_normal((4, 1, 2))
    with pytest.raises(ValueError, match="activation"):
        gf.rnn_gradient_flow(p, X, activation="softsign")
    with pytest.raises(ValueError, match="dh_last"):
        gf.rnn_gradient_flow(p, X, dh_last=np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        gf.rnn_gradient_flow(p, X[:, :, :1])
    exp = gf.radius_experiment(max_steps=10)
    with pytest.raises(ValueError, match="steps"):
        exp.flow(1.0, "tanh", 11)
    with pytest.raises(ValueError, match="radius"):
        exp.flow(-0.5)


def test_radius_experiment_varies_only_the_radius():
    exp = gf.radius_experiment(max_steps=20, seed=3)
    assert gf.spectral_radius(exp.params.W) == pytest.approx(1.0)
    a, b = exp.flow(0.5, "tanh", 20), exp.flow(2.0, "tanh", 20)
    assert a.beta_W == pytest.approx(0.5) and b.beta_W == pytest.approx(2.0)
    # a shorter sequence is a prefix of the same inputs: the forward states agree
    short = exp.flow(0.8, "tanh", 7)
    p = exp.params.copy()
    p.W[...] *= 0.8
    ref = gf.rnn_gradient_flow(p, exp.X[:7])
    np.testing.assert_array_equal(short.deltas, ref.deltas)
    # the message of chapter 01, measured: small radius vanishes, large explodes
    assert exp.flow(0.5, "tanh", 20).gain < 1e-4
    assert exp.flow(3.0, "tanh", 20).gain > 10
    assert exp.flow(3.0, "sigmoid", 20).gain < 1e-3  # beta_f = 1/4 drags sigmoid down


def test_early_share_and_the_decay_table():
    exp = gf.radius_experiment(max_steps=30)
    flow = exp.flow(0.5, "tanh", 30)
    assert flow.early_share(30) == 0.0
    assert flow.early_share(3) == pytest.approx(
        np.linalg.norm(flow.contributions[:-3].sum(0)) / np.linalg.norm(flow.grad_W))
    assert flow.early_share(10) < 1e-3  # at rho = 0.5, steps more than 10 back add almost nothing
    assert exp.flow(3.0, "tanh", 30).early_share(10) > 0.5  # exploding: early steps dominate
    with pytest.raises(ValueError, match="n"):
        flow.early_share(0)
    text = gf.decay_table(exp, radii=(0.5, 3.0), steps=30)
    rows = text.splitlines()[3:]
    assert len(rows) == 4 and rows[0].split()[:2] == ["tanh", "0.50"] and rows[3].split()[0] == "sigmoid"
    assert f"{exp.flow(3.0, 'tanh', 30).gain:.2g}" in rows[1]
