"""Chapter 01, the plain RNN's vanishing gradients: the one-unit chain, the error terms, the
article's bound, the per-step weight-gradient contributions, the spectral helpers, the pictures
that draw them, the claims of the chapter's text, and its self-checks.

Expected values come from elsewhere than the code under test: finite differences of forward
passes written out here, the fast BPTT against the readable one, closed forms (``w^n``), numpy's
own SVD and eigenvalues."""
import dataclasses
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.colors import to_rgb
from test_course_support import assert_readable, bar_centres, bar_heights, outside_pyplot, right, wrong

import lstmlib as ll
from lstmlib import fused
from lstmlib.activations import ACTIVATIONS
from lstmlib.course import ch01, exercises, plots, widgets


def _rnn(D, H, rng, activation="tanh"):
    return ll.RNNParams.init(D, H, rng, activation=activation)


def _forward_by_hand(X, p, h0, *, net_offset=None, W_early=None, split=None):
    """The plain RNN written out here, independent of the library: ``h_T`` of ``p`` over ``X`` from
    ``h0``. ``net_offset = (k, e)`` adds ``e`` to the weighted input of step k (0-based);
    ``W_early`` replaces ``W`` at the steps before ``split`` (0-based), so that differentiating by
    it gives those steps' share of the weight gradient."""
    f, _ = ACTIVATIONS[p.activation]
    h = h0
    for t in range(X.shape[0]):
        W = W_early if (W_early is not None and t < split) else p.W
        net = X[t] @ p.U.T + h @ W.T + p.b
        if net_offset is not None and t == net_offset[0]:
            net = net + net_offset[1]
        h = f(net)
    return h


def _numeric(fun, shape, eps=1e-6):
    """Centred finite differences of the scalar ``fun(e)`` with respect to ``e`` of ``shape``."""
    out = np.zeros(shape)
    for idx in np.ndindex(*shape):
        e = np.zeros(shape)
        e[idx] = eps
        out[idx] = (fun(e) - fun(-e)) / (2 * eps)
    return out


# ---- one unit ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("w", [0.5, 0.9, 1.5, -1.2])
def test_a_relu_unit_carries_the_gradient_back_as_exactly_w_to_the_n(w):
    chain = ch01.scalar_chain(abs(w), "relu", steps=25)  # positive input keeps the unit active
    np.testing.assert_allclose(chain.reach, abs(w) ** np.arange(25), rtol=1e-12)
    assert np.all(chain.slopes == 1.0)


@pytest.mark.parametrize("w, activation", [(0.5, "tanh"), (1.5, "tanh"), (0.9, "sigmoid")])
def test_a_squashing_unit_multiplies_in_its_slopes(w, activation):
    # the product of w f'(net) over the last n steps, from a unit run forward here by hand
    f, _ = ACTIVATIONS[activation]
    T, warm, x = 30, 20, ch01.SCALAR_INPUT
    h, hs = 0.0, []
    for _ in range(warm + T):
        h = float(f(np.array(w * h + x)))
        hs.append(h)
    y = np.array(hs[warm:])
    slope = y * (1 - y) if activation == "sigmoid" else 1 - y ** 2
    want = np.concatenate([[1.0], np.cumprod(np.abs(w * slope[::-1]))[:-1]])
    chain = ch01.scalar_chain(w, activation, steps=T, warmup=warm)
    np.testing.assert_allclose(chain.reach, want, rtol=1e-10)
    np.testing.assert_allclose(chain.slopes, slope, rtol=1e-12)


def test_the_scalar_table_and_picture_show_the_chains():
    lines = ch01.scalar_chain_table(ws=(0.5,), activations=("relu", "tanh"), backs=(1, 5)).splitlines()
    relu, power = lines[3].split(), lines[4].split()
    assert relu[:4] == ["relu", "0.5", "1.000", "0.500"] and relu[-2:] == ["0.5", "0.0312"] and power[-2:] == relu[-2:]
    chains = ch01.scalar_chains(ws=(0.5, 1.5), activations=("relu", "tanh"))
    fig = plots.ch01.plot_scalar_chains(chains)
    assert outside_pyplot(fig) and len(fig.axes) == 2
    measured = [ln for ax in fig.axes for ln in ax.lines if ln.get_linestyle() == "-"]
    for ln, c in zip(measured, chains):
        np.testing.assert_allclose(ln.get_ydata(), c.reach)
    assert_readable(fig)
    with pytest.raises(ValueError, match="backs"):
        ch01.scalar_chain_table(backs=(30,))


# ---- the error terms, against finite differences ------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deltas_equal_finite_differences_of_the_weighted_input(activation):
    rng = np.random.default_rng(7)
    T, B, D, H = 5, 2, 3, 4
    p = _rnn(D, H, rng, activation)
    p.W[...] *= 2.0  # not trivially small
    X, h0, dh_last = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    flow = ch01.rnn_gradient_flow(X, p, h0, dh_last=dh_last)
    assert flow.activation == activation  # read from the parameters
    for k in range(T):
        numeric = _numeric(lambda e: float(np.sum(dh_last * _forward_by_hand(X, p, h0, net_offset=(k, e)))), (B, H))
        np.testing.assert_allclose(flow.deltas[k], numeric, rtol=1e-6, atol=1e-9)
        assert flow.delta_norms[k] == pytest.approx(np.linalg.norm(numeric), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_contributions_sum_to_the_fast_backward_and_split_the_gradient_by_step(activation):
    rng = np.random.default_rng(3)
    T, B, D, H = 7, 3, 2, 5
    p = _rnn(D, H, rng, activation)
    X, h0, dh_last = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    flow = ch01.rnn_gradient_flow(X, p, h0, dh_last=dh_last)
    dhs = np.zeros((T, B, H))
    dhs[-1] = dh_last
    _, cache = fused.rnn_forward(X, p, h0)  # the fast pass, written separately
    g = fused.rnn_backward(dhs, cache)
    np.testing.assert_allclose(flow.contributions.sum(axis=0), g.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(flow.deltas.sum(axis=(0, 1)), g.b, rtol=1e-12, atol=1e-14)
    # the early steps' share, by finite differences of a W used only at those steps
    for n in (2, 5):
        split = T - n  # steps k <= T - n are indices 0 .. T-n-1
        early = _numeric(lambda e: float(np.sum(dh_last * _forward_by_hand(X, p, h0, W_early=p.W + e, split=split))),
                         (H, H))
        np.testing.assert_allclose(flow.contributions[:split].sum(axis=0), early, rtol=1e-5, atol=1e-8)
        assert flow.early_share(n) == pytest.approx(np.linalg.norm(early) / np.linalg.norm(g.W), rel=1e-5)


def test_step_one_contributes_nothing_from_a_zero_state():
    rng = np.random.default_rng(5)
    flow = ch01.rnn_gradient_flow(rng.standard_normal((4, 1, 2)), _rnn(2, 3, rng))
    assert not flow.contributions[0].any() and flow.contributions[1:].any()  # delta_1 h_0^T with h_0 = 0


@given(T=st.integers(1, 40), B=st.integers(1, 3), D=st.integers(1, 4), H=st.integers(1, 8),
       scale=st.floats(0.05, 6.0), x_scale=st.floats(0.0, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid", "relu"]), seed=st.integers(0, 2**31 - 1))
def test_the_articles_bound_holds_at_every_step(T, B, D, H, scale, x_scale, activation, seed):
    rng = np.random.default_rng(seed)
    p = _rnn(D, H, rng, activation)
    p.W[...] = rng.standard_normal((H, H)) * scale / np.sqrt(H)
    X = x_scale * rng.standard_normal((T, B, D))
    flow = ch01.rnn_gradient_flow(X, p, rng.standard_normal((B, H)), dh_last=rng.standard_normal((B, H)))
    beta_W = np.linalg.svd(p.W, compute_uv=False)[0]
    beta_f = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}[activation]
    assert flow.beta_W == pytest.approx(beta_W)
    np.testing.assert_allclose(flow.bound, flow.delta_norms[-1] * (beta_f * beta_W) ** np.arange(T - 1, -1, -1),
                               rtol=1e-10)
    assert np.all(flow.delta_norms <= flow.bound * (1 + 1e-12) + 1e-300) and flow.bound_holds()


def test_the_bound_is_not_vacuous():
    # with beta_f understated the bound is violated, and bound_holds says so
    flow = ch01.radius_experiment(max_steps=30).flow(1.0, "tanh", 30)
    too_small = flow.delta_norms[-1] * (0.5 * flow.beta_W) ** np.arange(29, -1, -1)
    assert not dataclasses.replace(flow, bound=too_small).bound_holds()


def test_reach_table_and_early_share_refuse_a_reach_beyond_the_sequence():
    flow = ch01.radius_experiment(max_steps=10).flow(0.9, "tanh", 4)
    lines = flow.reach_table(back=(1, 3), last=4).splitlines()
    assert lines[0] == f"steps 1..T-1 add {flow.early_share(1):.2g} of ||grad_W E||"
    assert [ln.split("=")[0].strip() for ln in lines[2:6]] == [f"||grad_(W_{k}) E||" for k in (1, 2, 3, 4)]
    for n in (4, 10, 0):
        with pytest.raises(ValueError, match=rf"^n: expected a whole number from 1 to 3 \(T-1: this flow has T = 4 steps\), got {n}$"):
            flow.early_share(n)
    with pytest.raises(ValueError, match="^last: .* T = 4"):
        flow.reach_table(back=(1,), last=5)


# ---- spectral helpers ------------------------------------------------------------------------------------
def test_spectral_helpers():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    assert ch01.spectral_norm(A) == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])
    assert ch01.spectral_radius(A) == pytest.approx(np.abs(np.linalg.eigvals(A)).max())
    assert ch01.spectral_radius(A) < ch01.spectral_norm(A)  # a random matrix is not normal
    for target in (0.0, 0.5, 2.5):
        assert ch01.spectral_radius(ch01.rescale_matrix(A, spectral_radius=target)) == pytest.approx(target, abs=1e-12)
        assert ch01.spectral_norm(ch01.rescale_matrix(A, spectral_norm=target)) == pytest.approx(target, abs=1e-12)
    Q = ch01.orthogonal_matrix(5, rng)
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-12)
    r = ch01.rnn_with_radius(3, 5, 1.7, rng)
    assert np.linalg.svd(r.W, compute_uv=False) == pytest.approx(np.full(5, 1.7))  # every singular value


@pytest.mark.parametrize("call, match", [
    (lambda A: ch01.rescale_matrix(A), "exactly one"),
    (lambda A: ch01.rescale_matrix(A, spectral_radius=1.0, spectral_norm=1.0), "exactly one"),
    (lambda A: ch01.rescale_matrix(A, spectral_norm=-1.0), "spectral_norm"),
    (lambda A: ch01.rescale_matrix(np.zeros((3, 3)), spectral_radius=1.0), "W"),
    (lambda A: ch01.spectral_norm(np.ones((2, 3))), "square"),
    (lambda A: ch01.spectral_radius(np.full((2, 2), np.nan)), "finite"),
    (lambda A: ch01.rnn_with_radius(2, 3, -1.0, 0), "radius"),
    (lambda A: ch01.orthogonal_matrix(0, 0), "size"),
    (lambda A: ch01.rnn_gradient_flow(np.zeros((4, 1, 2)), ll.RNNParams.init(2, 3, 0), dh_last=np.ones((2, 3))),
     "dh_last"),
    (lambda A: ch01.rnn_gradient_flow(np.zeros((4, 1, 2)), ll.RNNParams.init(2, 3, 0), np.zeros((1, 4))), "state"),
    (lambda A: ch01.radius_experiment(max_steps=10).flow(1.0, "softsign"), "activation"),
    (lambda A: ch01.radius_experiment(max_steps=10).flow(1.0, "tanh", 11), "steps"),
    (lambda A: ch01.radius_experiment(max_steps=10).flow(-0.5), "radius"),
    (lambda A: ch01.product_order_check(np.zeros((1, 1, 2)), ll.RNNParams.init(2, 3, 0)), "X"),
])
def test_bad_input_is_refused_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.eye(3))


def test_radius_experiment_varies_only_the_radius():
    exp = ch01.radius_experiment(max_steps=20, seed=3)
    a, b = exp.flow(0.5, "tanh", 20), exp.flow(2.0, "tanh", 20)
    assert a.beta_W == pytest.approx(0.5) and b.beta_W == pytest.approx(2.0)
    assert ch01.spectral_norm(exp.params.W) == pytest.approx(1.0) and exp.params.activation == "tanh"  # untouched
    short = exp.flow(0.8, "sigmoid", 7)  # a shorter sequence is a prefix of the same inputs
    p = exp.params.copy().with_activation("sigmoid")
    p.W[...] *= 0.8
    np.testing.assert_array_equal(short.deltas, ch01.rnn_gradient_flow(exp.X[:7], p).deltas)


# ---- pictures ------------------------------------------------------------------------------------------------
def _integer_ticks(ax) -> bool:
    lo, hi = sorted(ax.get_xlim())
    return all(float(v).is_integer() for v in ax.get_xticks() if lo <= v <= hi)


def test_rnn_flow_picture_draws_the_flow_it_is_given_and_stays_readable():
    exp = ch01.radius_experiment(max_steps=100)
    pic = plots.RNNFlowPicture(Figure(), max_steps=100)
    for rho, act, T in ((0.9, "tanh", 30), (5.0, "tanh", 100), (0.5, "sigmoid", 40), (1.0, "tanh", 2)):
        flow = exp.flow(rho, act, T)
        pic.update(flow)  # one picture, redrawn: nothing of an earlier flow may stay
        np.testing.assert_array_equal(pic.measured.get_ydata(), flow.delta_norms)
        np.testing.assert_array_equal(pic.bound.get_ydata(), flow.bound)
        np.testing.assert_allclose(bar_heights(pic.bars), flow.contribution_norms)
        np.testing.assert_allclose(bar_centres(pic.bars), np.arange(1, T + 1))
        assert pic.sum_bar.get_height() == pytest.approx(np.linalg.norm(flow.grad_W))
        fig = plots.plot_rnn_flow(flow)  # an exploding bound of 1e69 on a log axis included
        assert outside_pyplot(fig) and all(_integer_ticks(ax) for ax in fig.axes)
        assert_readable(fig)
    with pytest.raises(ValueError, match="steps"):
        pic.update(ch01.radius_experiment(max_steps=101).flow(1.0, "tanh", 101))


def test_error_norms_by_radius_draws_one_normalised_curve_per_radius():
    exp = ch01.radius_experiment(max_steps=30)
    radii = (0.5, 1.0, 3.0)
    fig = plots.plot_error_norms_by_radius(exp, radii=radii, activation="sigmoid", steps=30)
    curves = [ln for ln in fig.axes[0].lines if ln.get_label().startswith("$")]
    for ln, rho in zip(curves, radii):
        flow = exp.flow(rho, "sigmoid", 30)
        np.testing.assert_allclose(ln.get_ydata(), flow.delta_norms / flow.delta_norms[-1])
    assert len(curves) == len(radii) and _integer_ticks(fig.axes[0])
    assert_readable(fig)


def test_radius_colours_say_vanish_or_explode_and_stay_distinct():
    r, g, b = zip(*(to_rgb(c) for c in plots.ch01.radius_colours((0.5, 0.9, 1.0, 1.5, 3.0))))
    assert b[0] > r[0] and b[1] > r[1] and r[3] > b[3] and r[4] > b[4] and r[2] == g[2] == b[2]
    assert len(set(zip(r, g, b))) == 5


def test_unrolled_rnn_draws_the_forward_and_the_backward_path():
    fig = plots.ch01.plot_unrolled_rnn()
    texts = [t.get_text() for t in fig.axes[0].texts]
    for k in ("1", "2", "{T-1}", "T"):
        braced = k if k.startswith("{") else "{" + k + "}"
        assert rf"$\delta_{braced}$" in texts and rf"$\mathrm{{net}}_{k}$" in texts, k  # the error of the weighted input
    assert texts.count(r"$\odot f'$") == 4 and texts.count("$W^T$") == 3  # one slope and one W^T per step back
    assert_readable(fig)


def test_early_share_picture_draws_the_medians(study):
    fig = plots.ch01.plot_early_share(study, back=3, threshold=0.01)
    curves = [ln for ln in fig.axes[0].lines if r"\rho" in ln.get_label()]
    for j, ln in enumerate(curves):
        np.testing.assert_allclose(ln.get_ydata(), np.maximum(np.median(study.shares[j], axis=0), 1e-300))
    assert len(curves) == 6
    assert_readable(fig)


# ---- the article's product formula ------------------------------------------------------------------
@given(T=st.integers(2, 9), B=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(2, 5),
       activation=st.sampled_from(["tanh", "sigmoid"]), seed=st.integers(0, 2**31 - 1))
def test_the_chain_rules_product_is_delta_and_the_articles_is_not(T, B, D, H, activation, seed):
    rng = np.random.default_rng(seed)
    p = _rnn(D, H, rng, activation)
    p.W[...] = rng.standard_normal((H, H)) / np.sqrt(H)
    X = rng.standard_normal((T, B, D))
    check = ch01.product_order_check(X, p, rng.standard_normal((B, H)), dh_last=rng.standard_normal((B, H)))
    assert np.all(check.correct < 1e-10) and np.all(check.state_form < 1e-10)
    assert check.descending[-1] == pytest.approx(check.ascending[-1])  # one factor: both readings agree
    assert check.descending[-1] > 1e-6  # wrong already one step back, unless the matrices commute


def test_product_order_check_by_hand_for_two_steps():
    # T = 2: delta_1 = delta_2 W D_1; the article's D_1 W differs. Explicit matrices, written here.
    rng = np.random.default_rng(5)
    p = _rnn(2, 3, rng)
    X = rng.standard_normal((2, 1, 2))
    h1 = _forward_by_hand(X[:1], p, np.zeros((1, 3)))[0]
    h2 = _forward_by_hand(X, p, np.zeros((1, 3)))[0]
    D1, D2 = np.diag(1 - h1 ** 2), np.diag(1 - h2 ** 2)
    delta2 = np.ones(3) @ D2
    np.testing.assert_allclose(delta2 @ p.W @ D1, ch01.rnn_gradient_flow(X, p).deltas[0, 0], rtol=1e-12)
    delta1 = delta2 @ p.W @ D1
    article = delta2 @ D1 @ p.W
    check = ch01.product_order_check(X, p)
    assert check.descending[0] == pytest.approx(np.linalg.norm(article - delta1) / np.linalg.norm(delta1))
    assert check.table().splitlines()[4].split()[1:3] == ["<", "1e-12"]


# ---- how far back the gradient reaches: the article's figure tested -----------------------------------------
@pytest.fixture(scope="module")
def study():
    return ch01.early_steps_study(radii=(0.5, 0.9, 1.0), activations=("tanh", "sigmoid"), steps=50,
                                  seeds=range(20))


def test_early_steps_study_holds_each_rnns_early_shares(study):
    assert study.shares.shape == (6, 20, 49)
    act, rho = study.settings[4]
    flow = ch01.radius_experiment(seed=7, max_steps=50).flow(rho, act, 50)
    assert [study.share(n)[4, 7] for n in (1, 3, 49)] == [flow.early_share(n) for n in (1, 3, 49)]
    with pytest.raises(ValueError, match="n"):
        study.share(50)
    with pytest.raises(ValueError, match="seeds"):
        ch01.early_steps_study(seeds=())


def test_horizon_is_where_the_share_stays_below_the_threshold():
    shares = np.array([[[0.9, 0.5, 0.005, 0.02, 0.001, 0.0005],  # dips below, comes back: horizon 5
                        [0.009, 0.001, 0.0, 0.0, 0.0, 0.0],  # below from n = 1 on
                        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]]])  # never below: T
    assert ch01.EarlyStepsStudy((("tanh", 1.0),), (0, 1, 2), 7, shares).horizon(0.01).tolist() == [[5, 1, 7]]


# ---- what the chapter's text says about the numbers it prints ------------------------------------------
def test_chapter01_claims(study):
    # section 2: relu is exactly w^n; a saturated tanh unit makes w = 1.5 vanish
    assert ch01.scalar_chain(1.5, "relu").reach[20] == pytest.approx(1.5 ** 20)
    tanh15 = ch01.scalar_chain(1.5, "tanh")
    assert 1.5 * tanh15.slopes[-1] < 0.5 and tanh15.reach[20] < 1e-9
    # section 4: the bound holds and is loose; section 5: the early steps add the least
    exp = ch01.radius_experiment()
    flow = exp.flow(0.9, "tanh", 30)
    assert flow.bound_holds() and flow.gain < 0.9 ** 29 / 10
    assert flow.early_share(10) < flow.early_share(3) < 1
    # section 5: the article's figure is right for sigmoid, overstated for tanh; the shape holds
    near, hor = study.median_share(3), np.median(study.horizon(0.01), axis=1)
    assert np.all(near[3:] < 0.016) and set(hor[3:]) <= {3, 4}
    for j, rho in zip(range(3, 6), (0.5, 0.9, 1.0)):
        assert np.all(study.share(3)[j] <= (rho / 4) ** 3 * 1.5)  # at most a factor 64/rho^3 per three steps
    assert near[1] > 0.3 and near[2] > 0.4 and near[0] < near[1] < near[2]
    assert hor[0] > 3 and hor[1] > 10 and hor[2] > hor[1] and np.all(hor < 30)  # well short of 50 steps
    # section 6: rho = 1 is not the edge for tanh; the bound allows far more explosion than happens
    assert exp.flow(1.0, "tanh", 50).gain < 1e-3
    assert 1 < exp.flow(3.0, "tanh", 50).gain < 1e-6 * 3.0 ** 49
    for act in ("tanh", "sigmoid"):
        for rho in (0.5, 0.9, 1.0, 1.5, 2.0, 3.0):
            f = exp.flow(rho, act, 50)
            assert f.beta_f * f.beta_W >= 1 or f.gain <= (f.beta_f * f.beta_W) ** 49, (act, rho)
            assert act == "tanh" or f.gain < 1, rho  # sigmoid vanishes at every radius here


def test_chapter01_explorer_opens_at_a_new_view_and_its_hints_hold():
    ex = widgets.rnn_gradient_explorer()
    assert ex.values() == {"radius": 1.5, "activation": "tanh", "steps": 30}  # section 4's picture is rho = 0.9
    exp = ch01.radius_experiment()
    T = 30
    opening = exp.flow(1.5, "tanh", T)
    # "the measured norms stay within a factor of ten ... while the bound allows growth by orders of
    # magnitude, and the bars of the earliest steps are as tall as those of the last ones"
    assert opening.delta_norms.max() / opening.delta_norms.min() < 10 < 1e3 < opening.bound[0] / opening.bound[-1]
    c = opening.contribution_norms
    assert c[1:10].max() >= c[-5:].max()
    # "0.5, 0.9 and 3: steep decay, the picture of section 4, growing backwards; at 3 the early bars are tall"
    gains = [exp.flow(rho, "tanh", T).gain for rho in (0.5, 0.9, 3.0)]
    assert gains[0] < gains[1] < 1 < gains[2]
    c3 = exp.flow(3.0, "tanh", T).contribution_norms
    assert np.argmax(c3) < T // 3
    # "sigmoid at rho = 3: beta_f beta_W = 0.75, below 1, and the error vanishes"
    sig = exp.flow(3.0, "sigmoid", T)
    assert sig.beta_f * sig.beta_W == pytest.approx(0.75) and sig.gain < 1e-3
    # "at rho = 0.9, lengthen T: the bars stay at the last steps, the gap at step 1 widens"
    gaps = []
    for steps in (30, 60, 100):
        f = exp.flow(0.9, "tanh", steps)
        assert np.argmax(f.contribution_norms) >= steps - 3
        gaps.append(f.bound[0] / f.delta_norms[0])
    assert gaps == sorted(gaps)
    # "at rho = 5: the bound's slope against the measured one: saturation"
    f5 = exp.flow(5.0, "tanh", T)
    assert f5.bound[0] / f5.bound[-1] > 1e10 * f5.gain > 1e10


# ---- self-checks ---------------------------------------------------------------------------------------------
def test_bound_factor():
    right(exercises.check_bound_factor(0.75 ** 20))
    right(exercises.check_bound_factor(0.00317))  # three significant digits, as the exercise asks
    wrong(exercises.check_bound_factor(0.0032), "right method", "three significant digits")
    wrong(exercises.check_bound_factor(3.0 ** 20), "beta_f")
    wrong(exercises.check_bound_factor(0.75), "one step")
    wrong(exercises.check_bound_factor(0.75 ** 19), "off by one")
    wrong(exercises.check_bound_factor(0.75 ** 21), "off by one")
    wrong(exercises.check_bound_factor(0.25 ** 20), "beta_W")
    wrong(exercises.check_bound_factor(0.5), "diag")
    wrong(exercises.check_bound_factor(float("inf")), "finite")
    assert "may explode" in right(exercises.check_bound_factor(32, steps=5, activation="tanh", spectral_norm=2.0))


def _norms_by_hand(X, p, *, slope_at_T=True):
    """The exercise's answer, written as a learner would: the recursion of section 3 in rows."""
    hs, _ = ll.rnn_forward(X, p)
    d = np.ones_like(hs[-1]) * ((1 - hs[-1] ** 2) if slope_at_T else 1.0)
    out = [np.linalg.norm(d)]
    for k in range(X.shape[0] - 2, -1, -1):
        d = (d @ p.W) * (1 - hs[k] ** 2)
        out.append(np.linalg.norm(d))
    return out[::-1]


def test_error_norms():
    right(exercises.check_error_norms(_norms_by_hand))
    right(exercises.check_error_norms(lambda X, p: np.array(_norms_by_hand(X, p)).reshape(-1, 1)))
    wrong(exercises.check_error_norms(lambda X, p: _norms_by_hand(X, p)[::-1]), "reverse")
    wrong(exercises.check_error_norms(lambda X, p: _norms_by_hand(X, p, slope_at_T=False)), "slope", "delta_T")

    def dE_dh(X, p):
        flow = ch01.rnn_gradient_flow(X, p)
        g = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, p.hidden_size))])
        return np.linalg.norm(g.reshape(len(g), -1), axis=1)

    wrong(exercises.check_error_norms(dE_dh), "dE/dh_k")

    def transposed(X, p):
        hs, _ = ll.rnn_forward(X, p)
        d = 1 - hs[-1] ** 2
        out = [np.linalg.norm(d)]
        for k in range(X.shape[0] - 2, -1, -1):
            d = (d @ p.W.T) * (1 - hs[k] ** 2)
            out.append(np.linalg.norm(d))
        return out[::-1]

    wrong(exercises.check_error_norms(transposed), "transposed")
    off_at_2 = lambda X, p: np.array(_norms_by_hand(X, p)) * np.r_[1.0, 1.01, np.ones(X.shape[0] - 2)]  # noqa: E731
    wrong(exercises.check_error_norms(off_at_2), "they agree at steps 3 to T = 6; at step k = 2")
    wrong(exercises.check_error_norms(lambda X, p: np.ones(2)), "norms")
    wrong(exercises.check_error_norms(lambda p, X: _norms_by_hand(X, p)), "raised")  # arguments swapped


def test_critical_radius():
    exp = ch01.radius_experiment()
    grid = np.round(np.arange(0.1, 5.0 + 1e-9, 0.05), 10)
    want = next(r for r in grid if exp.flow(float(r), "tanh", 50).gain >= 1)
    assert 1.0 < want < 2.0  # tanh needs W to stretch by more than 1
    right(exercises.check_critical_radius(want))
    right(exercises.check_critical_radius(want + 0.02))
    wrong(exercises.check_critical_radius(1.0), "still vanishes")
    wrong(exercises.check_critical_radius(want - 0.05), "still vanishes")
    wrong(exercises.check_critical_radius(want + 0.5), "smaller radius")


# ---- what the notebook prints, from the chapter's functions (so that the Chinese chapter translates it) ---
def test_the_small_examples_printouts_say_what_the_library_computed():
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(input_size=2, hidden_size=3, rng=rng)
    X = rng.standard_normal((4, 1, 2))
    hs, _ = ll.rnn_forward(X, r)
    assert ch01.sequence_summary(r, hs).splitlines() == [
        str(r), "hs: (4, 1, 3) -> h_1 .. h_4, each a row of 3 numbers"]
    assert ch01.sequence_summary(r, np.zeros((5, 2, 3))).endswith("each 2 rows of 3 numbers")
    flow = ch01.rnn_gradient_flow(X, r)
    lines = flow.error_term_table().splitlines()
    assert len(lines) == 4 and lines[2].startswith("k = 3 ")
    assert f"||delta_k|| = {flow.delta_norms[2]:.4f}" in lines[2] and f"bound = {flow.bound[2]:.4f}" in lines[2]
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    g = ll.fused.rnn_backward(dhs, ll.fused.rnn_forward(X, r)[1])
    assert ch01.sum_check(flow, g).splitlines() == [
        "sum_k delta_k h_{k-1}^T equals rnn_backward's dE/dW: True",
        "sum_k delta_k           equals rnn_backward's dE/db: True"]
    halved = types.SimpleNamespace(W=g.W, b=g.b / 2)  # a wrong bias gradient is reported as such
    assert ch01.sum_check(flow, halved).splitlines()[1].endswith("dE/db: False")


def test_the_bound_report_reads_the_flow_at_the_steps_asked_for():
    flow = ch01.radius_experiment().flow(radius=0.9, activation="tanh", steps=30)
    lines = flow.bound_report(at=(1, 30)).splitlines()
    assert lines[0] == f"the bound holds at every step: {flow.bound_holds()}" and flow.bound_holds()
    assert lines[1] == (f"||delta_1|| / ||delta_T|| = {flow.gain:.3g};  the bound allows up to "
                        f"{flow.bound[0] / flow.bound[-1]:.3g}")
    assert lines[2] == f"  k =  1:  ||delta_k|| = {flow.delta_norms[0]:.3g}   bound = {flow.bound[0]:.3g}"
    assert len(lines) == 4
    with pytest.raises(ValueError, match="at: expected a whole number from 1 to 30"):
        flow.bound_report(at=(31,))


def test_spectral_examples_tell_the_radius_from_the_norm():
    lines = ch01.spectral_examples(size=16, seed=0).splitlines()
    A = np.random.default_rng(0).standard_normal((16, 16)) / 4
    assert lines[0] == (f"random A:     spectral radius {ch01.spectral_radius(A):.3f}, "
                        f"spectral norm {ch01.spectral_norm(A):.3f}")
    assert "spectral radius 1.000" in lines[1] and lines[2].endswith("spectral radius 1.000, spectral norm 1.000")
