"""PyTorch parity in float64: forward and final states to 1e-12, every gradient to 1e-10 (including
gradients arriving at the final states), for the LSTM and the GRU, fused and readable, both through
lstmlib.torch_interop and through weights placed by hand (so a bug shared by the converters and the
tests cannot hide). Skipped without torch, except in CI, where it must run."""
import os

import numpy as np
import pytest

import lstmlib as ll

if os.environ.get("CI"):
    import torch  # CI installs torch==2.13.0: a missing torch is a failure there, not a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")

from lstmlib import torch_interop as ti  # noqa: E402

pytestmark = pytest.mark.torch
SHAPES = [(1, 1, 1, 1), (7, 3, 4, 5), (12, 4, 5, 6), (3, 2, 6, 2)]


def _torch_run(m, X, G, h0, c0=None, final=None):
    """Forward ``m`` from (h0, c0), backward from ``G`` on the outputs and ``final`` on the final
    states. Returns outputs, final states, parameter gradients by torch's names, dX and dstate0."""
    Xt = torch.from_numpy(X).requires_grad_()
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_()
    c0t = None if c0 is None else torch.from_numpy(c0[None].copy()).requires_grad_()
    out, last = m(Xt, h0t if c0t is None else (h0t, c0t))
    last = {"h": last} if c0t is None else {"h": last[0], "c": last[1]}
    loss = (out * torch.from_numpy(G)).sum()
    for n, Gn in (final or {}).items():
        loss = loss + (last[n][0] * torch.from_numpy(Gn)).sum()
    loss.backward()
    grads = {n: par.grad.numpy() for n, par in m.named_parameters()}
    dstate0 = {"h": h0t.grad.numpy()[0]}
    if c0t is not None:
        dstate0["c"] = c0t.grad.numpy()[0]
    return (out.detach().numpy(), {n: v.detach().numpy()[0] for n, v in last.items()}, grads,
            Xt.grad.numpy(), dstate0)


def _data(shape, seed):
    T, B, D, H = shape
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H)),
            {"h": rng.standard_normal((B, H)), "c": rng.standard_normal((B, H))},
            {"h": rng.standard_normal((B, H)), "c": rng.standard_normal((B, H))})


def _compare(kind, p, m, shape, seed, reference):
    X, G, states, final = _data(shape, seed)
    model = ll.MODELS[kind]
    states = {n: states[n] for n in model.states}
    final = {n: final[n] for n in model.states}
    out, last, tg, dX, dstate0 = _torch_run(m, X, G, states["h"], states.get("c"), final)
    hs, cache = model.forward(X, p, states, reference=reference)
    g = model.backward(G, cache, final)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    for n in model.states:
        np.testing.assert_allclose(cache.final_state[n], last[n], rtol=0, atol=1e-12)
        np.testing.assert_allclose(g.dstate0[n], dstate0[n], rtol=0, atol=1e-10)
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
    X, G, states, final = _data((T, B, D, H), 5)
    p = ll.LSTMParams.init(D, H, 5, forget_bias=1.0)
    m = torch.nn.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([p.W_ix, p.W_fx, p.W_cx, p.W_ox])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([p.W_ih, p.W_fh, p.W_ch, p.W_oh])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p.b_i, p.b_f, p.b_c, p.b_o])))
        m.bias_hh_l0.zero_()
    out, last, tg, dX, dstate0 = _torch_run(m, X, G, states["h"], states["c"], final)
    hs, cache = ll.MODELS["lstm"].forward(X, p, states, reference=reference)
    g = ll.MODELS["lstm"].backward(G, cache, final)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cache.cT, last["c"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_ix, g.W_fx, g.W_cx, g.W_ox]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_ih, g.W_fh, g.W_ch, g.W_oh]), tg["weight_hh_l0"], atol=1e-10)
    for b in ("bias_ih_l0", "bias_hh_l0"):
        np.testing.assert_allclose(np.concatenate([g.b_i, g.b_f, g.b_c, g.b_o]), tg[b], atol=1e-10)
    for ours, theirs in ((g.dX, dX), (g.dh0, dstate0["h"]), (g.dc0, dstate0["c"])):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("reference", [False, True])
def test_gru_parity_with_hand_built_torch_weights(reference):
    """torch's rows are r, z, n and its z is our 1 - z: the z rows are negated by hand."""
    T, B, D, H = 8, 2, 3, 4
    X, G, states, final = _data((T, B, D, H), 6)
    q = ll.GRUParams.init(D, H, 6, reset_after=True)
    m = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([q.W_rx, -q.W_zx, q.W_cx])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([q.W_rh, -q.W_zh, q.W_ch])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([q.b_r, -q.b_z, q.b_c])))
        m.bias_hh_l0.copy_(torch.from_numpy(np.concatenate([np.zeros(2 * H), q.b_ch])))
    out, _, tg, dX, dstate0 = _torch_run(m, X, G, states["h"], final={"h": final["h"]})
    hs, cache = ll.MODELS["gru"].forward(X, q, {"h": states["h"]}, reference=reference)
    g = ll.MODELS["gru"].backward(G, cache, {"h": final["h"]})
    np.testing.assert_allclose(hs, out, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_rx, -g.W_zx, g.W_cx]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_rh, -g.W_zh, g.W_ch]), tg["weight_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_r, -g.b_z, g.b_c]), tg["bias_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_r, -g.b_z, g.b_ch]), tg["bias_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(g.dX, dX, atol=1e-10)
    np.testing.assert_allclose(g.dh0, dstate0["h"], atol=1e-10)


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
