"""The LSTM variants (lstmlib.variants, fused_variants, the registry's "lstm_variant"): every switch
off is chapter 02's LSTM (forward and backward, step and sequence, to 1e-12); the fast passes equal
the readable ones; every parameter, input and state of every variant passes a finite-difference
check (float64, hypothesis over sizes); against PyTorch: nn.LSTM for NP, and autograd of the same
equations written in torch for every variant; the registry, stacks, network, fit and saving work."""
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib import fused_variants as FV
from lstmlib import variants as V
from lstmlib.saving import load, save

M = ll.get_model("lstm_variant")
SETTINGS = [(v, pp) for v in V.VARIANTS for pp in (False, True)]
sizes = st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 4), st.integers(1, 5))


def _data(T, B, D, H, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((T, B, D))
    state = ll.LSTMState(g.standard_normal((B, H)), g.standard_normal((B, H)))
    G = g.standard_normal((T, B, H))
    final = ll.LSTMState(g.standard_normal((B, H)), g.standard_normal((B, H)))
    return X, state, G, final


def _max_diff(ga, gb, names):
    out = [np.abs(getattr(ga, n) - getattr(gb, n)).max() for n in names]
    out += [np.abs(ga.dX - gb.dX).max(), np.abs(ga.dh0 - gb.dh0).max(), np.abs(ga.dc0 - gb.dc0).max()]
    return max(out)


@given(sizes, st.integers(0, 2**31 - 1))
def test_every_switch_off_is_chapter_02s_lstm(shape, seed):
    T, B, D, H = shape
    X, state, G, final = _data(T, B, D, H, seed)
    p = ll.LSTMParams.init(D, H, seed)
    q = M.init(D, H, seed)  # the same draws as LSTMParams.init
    np.testing.assert_array_equal(q.weights, p.weights)
    for reference in (False, True):
        hs, c = ll.MODELS["lstm"].forward(X, p, state, reference=reference)
        hs2, c2 = M.forward(X, q, state, reference=reference)
        assert np.abs(hs - hs2).max() <= 1e-12
        assert max(np.abs(a - b).max() for a, b in zip(c.final_state, c2.final_state)) <= 1e-12
        g = ll.MODELS["lstm"].backward(G, c, final, state_grads=True)
        g2 = M.backward(G, c2, final, state_grads=True)
        assert _max_diff(g, g2, p.names) <= 1e-12
        assert np.abs(g.dc - g2.dc).max() <= 1e-12 and np.abs(g.dh - g2.dh).max() <= 1e-12
    s1, k1 = ll.lstm_step_forward(X[0], p, state)
    s2, k2 = V.variant_step_forward(X[0], q, state)
    assert np.abs(s1.h - s2.h).max() <= 1e-12 and np.abs(s1.c - s2.c).max() <= 1e-12
    assert _max_diff(ll.lstm_step_backward(final, k1), V.variant_step_backward(final, k2), p.names) <= 1e-12


@pytest.mark.parametrize("variant,peepholes", SETTINGS)
@given(shape=sizes, seed=st.integers(0, 2**31 - 1))
def test_fast_equals_readable(variant, peepholes, shape, seed):
    T, B, D, H = shape
    X, state, G, final = _data(T, B, D, H, seed)
    p = M.init(D, H, seed, variant=variant, peepholes=peepholes, forget_bias=0.0 if variant == "NFG" else 0.7)
    hs, c = V.variant_forward(X, p, state)
    hs2, c2 = FV.variant_forward(X, p, state, workspace=ll.fused.Workspace())
    assert np.abs(hs - hs2).max() <= 1e-12
    for name in ("f", "i", "o", "c_tilde", "c"):
        assert np.abs(getattr(c, name) - getattr(c2, name)).max() <= 1e-12, name
    g = V.variant_backward(G, c, final, state_grads=True)
    g2 = FV.variant_backward(G, c2, final, state_grads=True)
    assert _max_diff(g, g2, p.names) <= 1e-10
    assert np.abs(g.dc - g2.dc).max() <= 1e-10 and np.abs(g.dh - g2.dh).max() <= 1e-10


@pytest.mark.parametrize("variant,peepholes", SETTINGS)
@given(shape=sizes, seed=st.integers(0, 2**31 - 1), reference=st.booleans())
def test_gradients_of_every_parameter_input_and_state(variant, peepholes, shape, seed, reference):
    T, B, D, H = shape
    X, state, _, _ = _data(T, B, D, H, seed)
    p = M.init(D, H, seed, variant=variant, peepholes=peepholes)
    if peepholes:  # peepholes as large as the other weights, so that their terms count
        p.peephole[...] = np.random.default_rng(seed).uniform(-1, 1, p.peephole.shape)
    # the five-point stencil, as tests/test_gradients.py: the centred one's rounding (a few ulps of the
    # loss over eps) can exceed 1e-7 relative on a tiny gradient (H = D = 1) and fail a correct backward
    rep = ll.check_gradients(X, p, seed, state=state, final_grads=True, reference=reference, stencil="five-point")
    want = set(p.names) | {"X", "h0", "c0"}
    assert {r.name for r in rep.rows} == want
    assert rep.passed, rep.format()


def test_names_and_parameter_counts():
    D, H = 3, 5
    for variant, peepholes in SETTINGS:
        p = M.init(D, H, 0, variant=variant, peepholes=peepholes)
        assert p.num_parameters == M.parameter_count(D, H, variant=variant, peepholes=peepholes)
        G = len(p.gates)
        assert p.num_parameters == G * H * (H + D) + G * H + (G - 1) * H * peepholes
        assert ("W_ih" in p.names) == (variant not in ("NIG", "CIFG"))
        assert ("W_fh" in p.names) == (variant != "NFG")
        assert ("W_oh" in p.names) == (variant != "NOG")
        assert ("p_f" in p.names) == (peepholes and variant != "NFG")
    with pytest.raises(AttributeError, match="no gate 'i'"):
        M.init(D, H, 0, variant="CIFG").W_ih
    with pytest.raises(AttributeError, match="peepholes=True"):
        M.init(D, H, 0).p_f


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="variant: expected one of"):
        M.init(2, 3, 0, variant="FGR")
    with pytest.raises(ValueError, match="forget_bias: the NFG variant has no forget gate"):
        M.init(2, 3, 0, variant="NFG", forget_bias=1.0)
    with pytest.raises(ValueError, match="peepholes: expected True or False"):
        M.init(2, 3, 0, peepholes="yes")
    with pytest.raises(ValueError, match="reset_after: not an option"):
        M.init(2, 3, 0, reset_after=True)
    with pytest.raises(ValueError, match="peephole: expected None or shape"):
        V.VariantLSTMParams(np.zeros((12, 5)), np.zeros(12), np.zeros(7))
    with pytest.raises(ValueError, match="p: expected VariantLSTMParams"):
        V.variant_forward(np.zeros((2, 1, 2)), ll.LSTMParams.init(2, 3, 0))
    assert M.options == {"variant": "vanilla", "peepholes": False, "forget_bias": 0.0}
    assert list(ll.MODELS) == ["rnn", "lstm", "gru"]  # the course's comparisons do not meet the variants


def test_forget_bias_and_init_draws():
    p = M.init(2, 3, 0, variant="CIFG", peepholes=True, forget_bias=1.0)
    np.testing.assert_array_equal(p.b_f, 1.0)
    q = ll.LSTMParams.init(2, 3, 0, forget_bias=1.0)
    r = M.init(2, 3, 0, forget_bias=1.0)
    np.testing.assert_array_equal(q.weights, r.weights)
    np.testing.assert_array_equal(q.bias, r.bias)


def test_float32_runs_and_agrees_with_float64():
    X, state, G, _ = _data(6, 2, 3, 4)
    p = M.init(3, 4, 0, variant="NOAF", peepholes=True)
    hs64, _ = M.forward(X, p, state)
    hs32, c32 = M.forward(X.astype(np.float32), p.astype(np.float32),
                          tuple(s.astype(np.float32) for s in state))
    assert hs32.dtype == np.float32 and np.abs(hs32 - hs64).max() < 1e-5
    assert M.backward(G.astype(np.float32), c32).weights.dtype == np.float32


def test_registry_stack_network_fit_and_saving(tmp_path):
    model = ll.make_model("lstm_variant", 2, 6, 1, 0, layers=2, variant="CIFG", peepholes=True, forget_bias=1.0)
    assert all(ll.model_of(p).name == "lstm_variant" for p in model.layers)
    task = ll.tasks.adding_task(10)
    Xv, yv = task.sample(64, 1, dtype=np.float64)
    hist = ll.train.fit(ll.train.task_batches(lambda n, r: task.sample(n, r, dtype=np.float64), 16, 0), model,
                        ll.optim.Adam(1e-2), steps=30, evaluate=ll.train.held_out(Xv, yv), eval_every=30)
    assert hist.diverged_at is None and hist.eval_loss[-1] < hist.eval_loss[0]
    save(tmp_path / "m.npz", model, {"note": "x"})
    back, meta = load(tmp_path / "m.npz")
    assert meta["note"] == "x"
    assert [(p.variant, p.peepholes) for p in back.layers] == [("CIFG", True)] * 2
    np.testing.assert_array_equal(ll.network.predict(Xv, back), ll.network.predict(Xv, model))
    X, state, G, _ = _data(5, 2, 2, 6)
    states = [state, state]
    outs, cache = ll.stack_forward(X, list(model.layers), states)
    grads = ll.stack_backward(G, cache)
    assert [type(g).__name__ for g in grads] == ["VariantLSTMGrads"] * 2
    assert grads[0].dX.shape == X.shape


def test_step_forward_through_the_registry_continues_a_sequence():
    X, state, _, _ = _data(5, 2, 3, 4)
    p = M.init(3, 4, 0, variant="NIAF", peepholes=True)
    hs, cache = M.forward(X[:3], p, state)
    hs2, _ = M.forward(X[3:], p, cache.final_state)
    s = state
    for x in X:
        s, _ = M.step_forward(x, p, s)
    np.testing.assert_allclose(s.h, hs2[-1], atol=1e-12)


# ----------------------------------------------------------------------------------------------
# PyTorch
# ----------------------------------------------------------------------------------------------
def _import_torch():
    if os.environ.get("CI"):
        import torch  # CI installs torch: a missing torch is a failure there, not a skip
        return torch
    return pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")


def _torch_variant(X, p, state, G, final):
    """The variant's equations in torch (autograd): outputs, final state, gradients by name."""
    torch = _import_torch()
    t = {n: torch.tensor(np.array(a), requires_grad=True) for n, a in p.named().items()}
    Xt = torch.tensor(X, requires_grad=True)
    h0 = torch.tensor(state[0], requires_grad=True)
    c0 = torch.tensor(state[1], requires_grad=True)
    h, c, outs = h0, c0, []
    one = torch.ones_like(c0)

    def net(g, x, h, cell):
        a = h @ t[f"W_{g}h"].T + x @ t[f"W_{g}x"].T + t[f"b_{g}"]
        return a + t[f"p_{g}"] * cell if p.peepholes else a

    for x in Xt:
        f = torch.sigmoid(net("f", x, h, c)) if p.has("f") else one
        i = 1 - f if p.variant == "CIFG" else torch.sigmoid(net("i", x, h, c)) if p.has("i") else one
        z = h @ t["W_ch"].T + x @ t["W_cx"].T + t["b_c"]
        c = f * c + i * (z if p.variant == "NIAF" else torch.tanh(z))
        o = torch.sigmoid(net("o", x, h, c)) if p.has("o") else one
        h = o * (c if p.variant == "NOAF" else torch.tanh(c))
        outs.append(h)
    hs = torch.stack(outs)
    loss = (hs * torch.tensor(G)).sum() + (h * torch.tensor(final[0])).sum() + (c * torch.tensor(final[1])).sum()
    loss.backward()
    grads = {n: v.grad.numpy() for n, v in t.items()}
    grads.update(X=Xt.grad.numpy(), h0=h0.grad.numpy(), c0=c0.grad.numpy())
    return hs.detach().numpy(), grads


@pytest.mark.torch
@pytest.mark.parametrize("variant,peepholes", SETTINGS)
def test_every_variant_against_torch_autograd(variant, peepholes):
    _import_torch()
    X, state, G, final = _data(7, 3, 4, 5, seed=3)
    p = M.init(4, 5, 3, variant=variant, peepholes=peepholes)
    if peepholes:
        p.peephole[...] = np.random.default_rng(4).uniform(-1, 1, p.peephole.shape)
    hs_t, grads_t = _torch_variant(X, p, state, G, final)
    hs, cache = M.forward(X, p, state)
    g = M.backward(G, cache, final)
    assert np.abs(hs - hs_t).max() <= 1e-12
    for n in p.names:
        assert np.abs(getattr(g, n) - grads_t[n]).max() <= 1e-10, n
    for n, mine in (("X", g.dX), ("h0", g.dh0), ("c0", g.dc0)):
        assert np.abs(mine - grads_t[n]).max() <= 1e-10, n


@pytest.mark.torch
def test_np_is_torch_nn_lstm():
    torch = _import_torch()
    from lstmlib import torch_interop as ti
    X, state, G, final = _data(9, 3, 4, 5, seed=5)
    q = M.init(4, 5, 5)  # variant="vanilla", peepholes=False: NP
    m = ti.lstm_to_torch(ll.LSTMParams(q.weights, q.bias))
    Xt = torch.tensor(X, requires_grad=True)
    h0 = torch.tensor(state[0][None].copy(), requires_grad=True)
    c0 = torch.tensor(state[1][None].copy(), requires_grad=True)
    out, (hT, cT) = m(Xt, (h0, c0))
    loss = (out * torch.tensor(G)).sum() + (hT[0] * torch.tensor(final[0])).sum() + (cT[0] * torch.tensor(final[1])).sum()
    loss.backward()
    hs, cache = M.forward(X, q, state)
    g = M.backward(G, cache, final)
    assert np.abs(hs - out.detach().numpy()).max() <= 1e-12
    mine = ti.lstm_grads_to_torch(ll.LSTMGrads(g.weights, g.bias))
    for name, par in m.named_parameters():
        assert np.abs(mine[name] - par.grad.numpy()).max() <= 1e-10, name
    assert np.abs(g.dX - Xt.grad.numpy()).max() <= 1e-10
    assert np.abs(g.dc0 - c0.grad.numpy()[0]).max() <= 1e-10
