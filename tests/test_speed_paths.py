"""The code paths that make the model layer fast compute what the plain formulas compute.

Each speed-up replaced a formula by an equivalent one: the sigmoid gates through one ``tanh`` of
halved weights, the embedding gradient through ``bincount``, the bias gradients through a
matrix-vector product, Adam with scratch arrays. These tests hold each to the formula it replaced,
including where the replacement could go wrong: saturated gates, repeated and unused ids, dtypes.
"""
import numpy as np
import pytest

import lstmlib as ll
from lstmlib import fused, network, optim
from lstmlib.activations import sigmoid
from lstmlib.state import LSTMState


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halving_is_exact_and_one_tanh_gives_the_sigmoid(dtype):
    """``(1 + tanh(a/2)) / 2`` with ``a/2`` from halved weights: the halving loses nothing, the
    sigmoid agrees to rounding (absolute) over the whole range, saturates to exactly 0 and 1 and
    warns about nothing (an overflow warning is an error under pytest's settings)."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 5)).astype(dtype)
    h = rng.standard_normal((5, 3)).astype(dtype)
    half = fused._halving(6, 4, dtype)
    assert half.dtype == dtype and half.ravel().tolist() == [0.5, 0.5, 0.5, 0.5, 1.0, 1.0]
    np.testing.assert_array_equal((W * half)[:4] @ h, (W @ h)[:4] / 2)  # a power of two: exact
    a = np.concatenate([np.linspace(-60, 60, 2401), [-1e4, -800.0, 800.0, 1e4]]).astype(dtype)
    y = fused._sigmoid_from_tanh_of_half(np.tanh(a / 2))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y, sigmoid(a), rtol=0, atol=2 * eps)
    assert y.dtype == dtype and np.array_equal(y[-4:], np.array([0, 0, 1, 1], dtype=dtype))


def _saturating_lstm(rng, T=4, B=3, D=2, H=5):
    """An LSTM whose gates sit deep in saturation (weights ~ 30): where a sigmoid computed as
    ``(1 + tanh)/2`` loses the relative precision of tiny values but must keep the absolute."""
    p = ll.LSTMParams.init(D, H, rng, scale=30.0)
    X = rng.standard_normal((T, B, D))
    state = LSTMState(rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    return p, X, state


def test_fused_lstm_matches_readable_with_saturated_gates():
    rng = np.random.default_rng(1)
    for _ in range(20):
        p, X, state = _saturating_lstm(rng)
        hs, cache = ll.lstm.lstm_forward(X, p, state)
        hs_f, cache_f = fused.lstm_forward(X, p, state)
        np.testing.assert_allclose(hs_f, hs, rtol=0, atol=1e-13)
        for gate in ("f", "i", "o", "c_tilde", "c"):
            np.testing.assert_allclose(getattr(cache_f, gate), getattr(cache, gate), rtol=0, atol=1e-13)
        dhs = rng.standard_normal(hs.shape)
        g, g_f = ll.lstm.lstm_backward(dhs, cache), fused.lstm_backward(dhs, cache_f)
        for (name, a), (_, b) in zip(g_f.named().items(), g.named().items()):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("reset_after", [False, True])
def test_fused_gru_matches_readable_with_saturated_gates(reset_after):
    rng = np.random.default_rng(2)
    for _ in range(20):
        p = ll.GRUParams.init(2, 5, rng, scale=30.0, reset_after=reset_after)
        X = rng.standard_normal((4, 3, 2))
        h0 = rng.standard_normal((3, 5))
        hs, cache = ll.gru.gru_forward(X, p, h0)
        hs_f, cache_f = fused.gru_forward(X, p, h0)
        np.testing.assert_allclose(hs_f, hs, rtol=0, atol=1e-13)
        dhs = rng.standard_normal(hs.shape)
        g, g_f = ll.gru.gru_backward(dhs, cache), fused.gru_backward(dhs, cache_f)
        for (name, a), (_, b) in zip(g_f.named().items(), g.named().items()):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_gradient_is_the_scatter_add_of_dX(dtype):
    """Every id's row is the sum of the dX rows of the steps that read it (repeated ids add up,
    unused ids get zeros): what ``np.add.at`` computes, here in float64 to compare."""
    rng = np.random.default_rng(3)
    for V, T, B, D in [(1, 3, 2, 4), (7, 5, 3, 2), (96, 64, 32, 32), (300, 2, 2, 3)]:
        ids = rng.integers(0, min(V, 5) if V == 300 else V, size=(T, B))  # V=300: most ids unused
        dX = rng.standard_normal((T, B, D)).astype(dtype)
        expected = np.zeros((V, D))
        np.add.at(expected, ids.ravel(), dX.reshape(-1, D).astype(np.float64))
        got = network._embedding_grad(ids, dX, V)
        assert got.shape == (V, D) and got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


def test_adam_with_scratch_arrays_is_the_formula_step_by_step():
    """Five steps on arrays of three shapes, in float32: the update is the documented formula
    (evaluated here with fresh temporaries, partly in float64) to float32 rounding."""
    rng = np.random.default_rng(4)
    shapes = [(4, 3), (5,), (2, 3, 2)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mine = [p.copy() for p in params]
    opt = optim.Adam(optim.linear_decay(1e-2, 1e-3, 5), beta1=0.8, beta2=0.99, eps=1e-6)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, 6):
        grads = [(rng.standard_normal(s) * 10.0 ** rng.integers(-8, 2)).astype(np.float32) for s in shapes]
        opt.step(mine, grads)
        lr = opt.lr_at(t)
        for p, g, mk, vk in zip(params, grads, m, v):
            mk[...] = mk * 0.8 + (1 - 0.8) * g
            vk[...] = vk * 0.99 + (1 - 0.99) * (g * g)
            p -= (lr / (1 - 0.8 ** t)) * (mk / (np.sqrt(vk) / np.sqrt(1 - 0.99 ** t) + 1e-6))
        for a, b in zip(mine, params):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.torch
def test_adam_matches_torch_to_float32_rounding():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    shapes = [(6, 4), (4,)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    ours = optim.Adam(3e-3)
    theirs = torch.optim.Adam(tparams, lr=3e-3)
    for _ in range(10):
        grads = [(rng.standard_normal(s) * 10.0 ** rng.integers(-9, 1)).astype(np.float32) for s in shapes]
        ours.step(params, grads)
        for tp, g in zip(tparams, grads):
            tp.grad = torch.from_numpy(g.copy())
        theirs.step()
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-6, atol=1e-7)
