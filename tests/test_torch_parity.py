"""PyTorch parity in float64: forward to 1e-12, every gradient to 1e-10, for LSTM and GRU, both
through lstmlib.torch_interop and through weights placed by hand (so a bug shared by the
converters and the tests cannot hide). Skipped without torch, except in CI, where it must run."""
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


def _torch_run(m, X, G, h0, c0=None):
    Xt = torch.from_numpy(X).requires_grad_()
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_()
    if c0 is not None:
        c0t = torch.from_numpy(c0[None].copy()).requires_grad_()
        out, _ = m(Xt, (h0t, c0t))
    else:
        c0t = None
        out, _ = m(Xt, h0t)
    out.backward(torch.from_numpy(G))
    grads = {n: par.grad.numpy() for n, par in m.named_parameters()}
    return out.detach().numpy(), grads, Xt.grad.numpy(), h0t.grad.numpy()[0], (
        None if c0t is None else c0t.grad.numpy()[0])


def _data(shape, seed):
    T, B, D, H = shape
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H)),
            rng.standard_normal((B, H)), rng.standard_normal((B, H)))


@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_parity_through_interop(shape):
    T, B, D, H = shape
    X, G, h0, c0 = _data(shape, sum(shape))
    torch.manual_seed(sum(shape))
    m = torch.nn.LSTM(D, H, dtype=torch.float64)
    p = ti.lstm_from_torch(m)
    out, tg, dX, dh0, dc0 = _torch_run(m, X, G, h0, c0)
    hs, cache = ll.lstm_forward(X, p, h0, c0)
    g = ll.lstm_backward(G, cache)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    for ours, theirs in ((g.dX, dX), (g.dh0, dh0), (g.dc0, dc0)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    # torch's weight_ih rows are i, f, g, o; its two biases both receive dE/db
    for k, gate in enumerate("ifco"):
        rows = slice(k * H, (k + 1) * H)
        np.testing.assert_allclose(getattr(g, f"W_{gate}x"), tg["weight_ih_l0"][rows], atol=1e-10)
        np.testing.assert_allclose(getattr(g, f"W_{gate}h"), tg["weight_hh_l0"][rows], atol=1e-10)
        np.testing.assert_allclose(getattr(g, f"b_{gate}"), tg["bias_ih_l0"][rows], atol=1e-10)
        np.testing.assert_allclose(getattr(g, f"b_{gate}"), tg["bias_hh_l0"][rows], atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
def test_gru_parity_through_interop(shape):
    T, B, D, H = shape
    X, G, h0, _ = _data(shape, 1 + sum(shape))
    torch.manual_seed(1 + sum(shape))
    m = torch.nn.GRU(D, H, dtype=torch.float64)
    q = ti.gru_from_torch(m)
    assert q.reset_after
    out, tg, dX, dh0, _ = _torch_run(m, X, G, h0)
    hs, cache = ll.gru_forward(X, q, h0)
    g = ll.gru_backward(G, cache)
    np.testing.assert_allclose(hs, out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(g.dX, dX, atol=1e-10)
    np.testing.assert_allclose(g.dh0, dh0, atol=1e-10)
    # torch rows r, z, n; its z is our 1 - z, i.e. negated pre-activation
    sign = {"r": 1.0, "z": -1.0, "c": 1.0}
    for k, gate in enumerate("rzc"):
        rows = slice(k * H, (k + 1) * H)
        s = sign[gate]
        np.testing.assert_allclose(getattr(g, f"W_{gate}x"), s * tg["weight_ih_l0"][rows], atol=1e-10)
        np.testing.assert_allclose(getattr(g, f"W_{gate}h"), s * tg["weight_hh_l0"][rows], atol=1e-10)
        np.testing.assert_allclose(getattr(g, f"b_{gate}"), s * tg["bias_ih_l0"][rows], atol=1e-10)
    np.testing.assert_allclose(g.b_ch, tg["bias_hh_l0"][2 * H:], atol=1e-10)


def test_lstm_parity_with_hand_built_torch_weights():
    """Our parameters written into torch by hand from the documented mapping, not by interop."""
    T, B, D, H = 9, 3, 4, 5
    X, G, h0, c0 = _data((T, B, D, H), 5)
    p = ll.LSTMParams.init(D, H, 5, forget_bias=1.0)
    m = torch.nn.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([p.W_ix, p.W_fx, p.W_cx, p.W_ox])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([p.W_ih, p.W_fh, p.W_ch, p.W_oh])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p.b_i, p.b_f, p.b_c, p.b_o])))
        m.bias_hh_l0.zero_()
    out, tg, dX, dh0, dc0 = _torch_run(m, X, G, h0, c0)
    hs, cache = ll.lstm_forward(X, p, h0, c0)
    g = ll.lstm_backward(G, cache)
    np.testing.assert_allclose(hs, out, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_ix, g.W_fx, g.W_cx, g.W_ox]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_ih, g.W_fh, g.W_ch, g.W_oh]), tg["weight_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_i, g.b_f, g.b_c, g.b_o]), tg["bias_ih_l0"], atol=1e-10)
    for ours, theirs in ((g.dX, dX), (g.dh0, dh0), (g.dc0, dc0)):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_gru_parity_with_hand_built_torch_weights():
    T, B, D, H = 8, 2, 3, 4
    X, G, h0, _ = _data((T, B, D, H), 6)
    q = ll.GRUParams.init(D, H, 6, reset_after=True)
    m = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.vstack([q.W_rx, -q.W_zx, q.W_cx])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.vstack([q.W_rh, -q.W_zh, q.W_ch])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([q.b_r, -q.b_z, q.b_c])))
        m.bias_hh_l0.copy_(torch.from_numpy(np.concatenate([np.zeros(2 * H), q.b_ch])))
    out, tg, dX, dh0, _ = _torch_run(m, X, G, h0)
    hs, cache = ll.gru_forward(X, q, h0)
    g = ll.gru_backward(G, cache)
    np.testing.assert_allclose(hs, out, atol=1e-12)
    np.testing.assert_allclose(np.vstack([g.W_rx, -g.W_zx, g.W_cx]), tg["weight_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(np.vstack([g.W_rh, -g.W_zh, g.W_ch]), tg["weight_hh_l0"], atol=1e-10)
    np.testing.assert_allclose(np.concatenate([g.b_r, -g.b_z, g.b_c]), tg["bias_ih_l0"], atol=1e-10)
    np.testing.assert_allclose(g.b_ch, tg["bias_hh_l0"][2 * H:], atol=1e-10)
    np.testing.assert_allclose(g.dX, dX, atol=1e-10)
    np.testing.assert_allclose(g.dh0, dh0, atol=1e-10)


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
    ours, _ = (ll.lstm_forward if kind == "lstm" else ll.gru_forward)(X, p)
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


def test_torch_without_bias_converts_to_zero_biases():
    m = torch.nn.LSTM(3, 4, bias=False, dtype=torch.float64)
    p = ti.lstm_from_torch(m)
    assert not np.any(p.bias)
    X = np.random.default_rng(1).standard_normal((4, 2, 3))
    np.testing.assert_allclose(ll.lstm_forward(X, p)[0], m(torch.from_numpy(X))[0].detach().numpy(), atol=1e-12)
