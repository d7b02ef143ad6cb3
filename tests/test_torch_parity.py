"""PyTorch parity in float64: forward and final states to 1e-12, every gradient to 1e-10 (including
gradients arriving at the final states), for the LSTM and the GRU, fused and readable, both through
lstmlib.torch_interop and through weights placed by hand (so a bug shared by the converters and the
tests cannot hide); and ``optim.Adam`` step for step against ``torch.optim.Adam``. Skipped without
torch, except in CI, where it must run."""
import os

import numpy as np
import pytest

import lstmlib as ll

if os.environ.get("CI"):
    import torch  # CI installs torch==2.13.0: a missing torch is a failure there, not a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")

from lstmlib import optim  # noqa: E402
from lstmlib import torch_interop as ti  # noqa: E402

pytestmark = pytest.mark.torch
torch.set_num_threads(1)  # tiny sizes: a second thread only waits, and a busy machine makes it wait long
SHAPES = [(1, 1, 1, 1), (7, 3, 4, 5), (12, 4, 5, 6), (3, 2, 6, 2)]


def _torch_run(m, X, G, state, dstate):
    """Forward ``m`` from ``state`` (``h``, or ``(h, c)`` for an LSTM), backward from ``G`` on the
    outputs and ``dstate`` on the final state (the same form). Returns outputs, the final state,
    parameter gradients by torch's names, dX and the initial state's gradient (lstmlib's forms)."""
    cell = isinstance(m, torch.nn.LSTM)
    Xt = torch.from_numpy(X).requires_grad_()
    starts = [torch.from_numpy(a[None].copy()).requires_grad_() for a in (state if cell else (state,))]
    out, last = m(Xt, tuple(starts) if cell else starts[0])
    last = last if cell else (last,)
    loss = (out * torch.from_numpy(G)).sum()
    for a, d in zip(last, dstate if cell else (dstate,)):
        loss = loss + (a[0] * torch.from_numpy(d)).sum()
    loss.backward()
    grads = {n: par.grad.numpy() for n, par in m.named_parameters()}

    def form(arrays):
        return ll.LSTMState(*arrays) if cell else arrays[0]

    return (out.detach().numpy(), form([a.detach().numpy()[0] for a in last]), grads, Xt.grad.numpy(),
            form([s.grad.numpy()[0] for s in starts]))


def _data(kind, shape, seed):
    T, B, D, H = shape
    rng = np.random.default_rng(seed)
    X, G = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    if kind == "lstm":
        return X, G, *(ll.LSTMState(rng.standard_normal((B, H)), rng.standard_normal((B, H))) for _ in range(2))
    return X, G, rng.standard_normal((B, H)), rng.standard_normal((B, H))


def _close(a, b, model, atol):
    for x, y in zip(model.state_arrays(a), model.state_arrays(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)


def _compare(kind, p, m, shape, seed, reference):
    X, G, state, dstate = _data(kind, shape, seed)
    model = ll.MODELS[kind]
    out, last, tg, dX, dstate0 = _torch_run(m, X, G, state, dstate)
    hs, cache = model.forward(X, p, state, reference=reference)
    g = model.backward(G, cache, dstate)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    _close(cache.final_state, last, model, 1e-12)
    _close(g.dstate0, dstate0, model, 1e-10)
    np.testing.assert_allclose(g.dX, dX, rtol=0, atol=1e-10)
    ours = ti.lstm_grads_to_torch(g) if kind == "lstm" else ti.gru_grads_to_torch(g)
    assert set(ours) == set(tg)
    for name, a in ours.items():
        np.testing.assert_allclose(a, tg[name], rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_parity_through_interop(shape, reference):
    D, H = shape[2:]
    torch.manual_seed(sum(shape))
    m = torch.nn.LSTM(D, H, dtype=torch.float64)
    _compare("lstm", ti.lstm_from_torch(m), m, shape, sum(shape), reference)


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_gru_parity_through_interop(shape, reference):
    D, H = shape[2:]
    torch.manual_seed(1 + sum(shape))
    m = torch.nn.GRU(D, H, dtype=torch.float64)
    q = ti.gru_from_torch(m)
    assert q.reset_after
    _compare("gru", q, m, shape, 1 + sum(shape), reference)


@pytest.mark.parametrize("reference", [False, True])
def test_lstm_parity_with_hand_built_torch_weights(reference):
    """Our parameters written into torch by hand from the documented mapping, not by interop,
    and torch's gradients read back by hand (rows i, f, g, o; both biases get dE/db)."""
    T, B, D, H = 9, 3, 4, 5
    X, G, state, dstate = _data("lstm", (T, B, D, H), 5)
    p = ll.LSTMParams.init(D, H, 5, forget_bias=1.0)
    m = torch.nn.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([p.W_ix, p.W_fx, p.W_cx, p.W_ox])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([p.W_ih, p.W_fh, p.W_ch, p.W_oh])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p.b_i, p.b_f, p.b_c, p.b_o])))
        m.bias_hh_l0.zero_()
    out, last, tg, dX, dstate0 = _torch_run(m, X, G, state, dstate)
    hs, cache = ll.MODELS["lstm"].forward(X, p, state, reference=reference)
    g = ll.MODELS["lstm"].backward(G, cache, dstate)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cache.cT, last.c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_ix, g.W_fx, g.W_cx, g.W_ox]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_ih, g.W_fh, g.W_ch, g.W_oh]), tg["weight_hh_l0"], atol=1e-10)
    for b in ("bias_ih_l0", "bias_hh_l0"):
        np.testing.assert_allclose(np.concatenate([g.b_i, g.b_f, g.b_c, g.b_o]), tg[b], atol=1e-10)
    for ours, theirs in ((g.dX, dX), (g.dh0, dstate0.h), (g.dc0, dstate0.c)):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("reference", [False, True])
def test_gru_parity_with_hand_built_torch_weights(reference):
    """torch's rows are r, z, n and its z is our 1 - z: the z rows are negated by hand."""
    T, B, D, H = 8, 2, 3, 4
    X, G, state, dstate = _data("gru", (T, B, D, H), 6)
    q = ll.GRUParams.init(D, H, 6, reset_after=True)
    m = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([q.W_rx, -q.W_zx, q.W_cx])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([q.W_rh, -q.W_zh, q.W_ch])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([q.b_r, -q.b_z, q.b_c])))
        m.bias_hh_l0.copy_(torch.from_numpy(np.concatenate([np.zeros(2 * H), q.b_ch])))
    out, _, tg, dX, dstate0 = _torch_run(m, X, G, state, dstate)
    hs, cache = ll.MODELS["gru"].forward(X, q, state, reference=reference)
    g = ll.MODELS["gru"].backward(G, cache, dstate)
    np.testing.assert_allclose(hs, out, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_rx, -g.W_zx, g.W_cx]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_rh, -g.W_zh, g.W_ch]), tg["weight_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_r, -g.b_z, g.b_c]), tg["bias_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_r, -g.b_z, g.b_ch]), tg["bias_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(g.dX, dX, atol=1e-10)
    np.testing.assert_allclose(g.dh0, dstate0, atol=1e-10)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_round_trip_and_float32(kind):
    if kind == "lstm":
        p = ll.LSTMParams.init(3, 4, 1, dtype=np.float32)
        back = ti.lstm_from_torch(ti.lstm_to_torch(p))
    else:
        p = ll.GRUParams.init(3, 4, 1, reset_after=True, dtype=np.float32)
        back = ti.gru_from_torch(ti.gru_to_torch(p))
    assert back.dtype == np.float32
    for a, b in zip(p.arrays(), back.arrays()):
        np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32)
    m = ti.lstm_to_torch(p) if kind == "lstm" else ti.gru_to_torch(p)
    out, _ = m(torch.from_numpy(X))
    ours, _ = ll.MODELS[kind].forward(X, p)
    np.testing.assert_allclose(ours, out.detach().numpy(), atol=1e-6)


def test_interop_rejects_what_it_cannot_convert():
    with pytest.raises(ValueError, match="reset_after=True"):
        ti.gru_to_torch(ll.GRUParams.init(3, 4, 0))
    with pytest.raises(ValueError, match="m: expected torch.nn.LSTM, got GRU"):
        ti.lstm_from_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="num_layers=2"):
        ti.gru_from_torch(torch.nn.GRU(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="bidirectional=True"):
        ti.lstm_from_torch(torch.nn.LSTM(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match="p: expected LSTMParams, got GRUParams"):
        ti.lstm_to_torch(ll.GRUParams.init(3, 4, 0))
    p = ll.LSTMParams.init(3, 4, 0)
    with pytest.raises(ValueError, match="g: expected LSTMGrads, got LSTMParams"):
        ti.lstm_grads_to_torch(p)  # parameters are not gradients
    _, cache = ll.gru_forward(np.zeros((2, 1, 3)), ll.GRUParams.init(3, 4, 0))
    with pytest.raises(ValueError, match="g: expected GRUGrads with reset_after=True"):
        ti.gru_grads_to_torch(ll.gru_backward(np.ones((2, 1, 4)), cache))
    with pytest.raises(ValueError, match="g: expected GRUGrads, got GRUParams"):
        ti.gru_grads_to_torch(ll.GRUParams.init(3, 4, 0, reset_after=True))


def test_torch_without_bias_converts_to_zero_biases():
    m = torch.nn.LSTM(3, 4, bias=False, dtype=torch.float64)
    p = ti.lstm_from_torch(m)
    assert not np.any(p.bias)
    X = np.random.default_rng(1).standard_normal((4, 2, 3))
    np.testing.assert_allclose(ll.lstm_forward(X, p)[0], m(torch.from_numpy(X))[0].detach().numpy(), atol=1e-12)


# ---- optim.Adam against torch.optim.Adam --------------------------------------------------------------
@pytest.mark.parametrize("schedule", [False, True], ids=["constant", "linear_decay"])
@pytest.mark.parametrize("scale", [1.0, 1e-7], ids=["unit-gradients", "tiny-gradients"])
def test_adam_matches_torch_step_for_step(schedule, scale):
    """Adam as torch computes it: the same weights after each of 30 steps (float64, to 1e-13
    relative), with a constant learning rate and with ``linear_decay`` (torch: its parameter
    group's ``lr`` set to the schedule's value before each step), for gradients of order 1 and of
    order 1e-7 (where eps decides the step)."""
    rng = np.random.default_rng(3)
    shapes = [(4, 3), (5,), (2, 2, 2)]
    ours = [rng.standard_normal(s) for s in shapes]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in ours]
    lr = optim.linear_decay(3e-2, 3e-3, 20) if schedule else 3e-2
    opt = optim.Adam(lr, beta1=0.85, beta2=0.995, eps=1e-8)
    topt = torch.optim.Adam(theirs, lr=3e-2, betas=(0.85, 0.995), eps=1e-8)
    for t in range(1, 31):
        grads = [scale * rng.standard_normal(s) for s in shapes]
        opt.step(ours, grads)
        for p, g in zip(theirs, grads):
            p.grad = torch.from_numpy(g.copy())
        if schedule:
            topt.param_groups[0]["lr"] = lr(t)
        topt.step()
        for a, p in zip(ours, theirs):
            np.testing.assert_allclose(a, p.detach().numpy(), rtol=1e-13, atol=1e-15, err_msg=f"step {t}")
    assert opt.t == 30
