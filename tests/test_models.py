"""Forward and backward behaviour: the readable step functions and the fast sequence functions
compute the same thing; caches expose the right quantities; nothing the caller passes is mutated."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib import article
from helpers import MODEL_CASES, make_case

sizes = st.tuples(st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6),
                  st.integers(0, 2**31 - 1))


def _step_loop(model, p, X, states, G, kw):
    """Run a model with its step functions forward and backward; returns hs, grads dict, dstates."""
    T, B, _ = X.shape
    caches, hs = [], []
    h = states["h0"]
    c = states.get("c0")
    for t in range(T):
        if model == "lstm":
            h, c, k = ll.lstm_step_forward(X[t], h, c, p)
        elif model.startswith("gru"):
            h, k = ll.gru_step_forward(X[t], h, p)
        else:
            h, k = ll.rnn_step_forward(X[t], h, p, **kw)
        caches.append(k)
        hs.append(h)
    acc = p.zeros_like()
    dX = np.zeros_like(X)
    dh = np.zeros_like(states["h0"])
    dc = np.zeros_like(states["h0"])
    for t in reversed(range(T)):
        if model == "lstm":
            dX[t], dh, dc, g = ll.lstm_step_backward(dh + G[t], dc, caches[t])
        elif model.startswith("gru"):
            dX[t], dh, g = ll.gru_step_backward(dh + G[t], caches[t])
        else:
            dX[t], dh, g = ll.rnn_step_backward(dh + G[t], caches[t])
        for a, b in zip(acc.arrays(), g.arrays()):
            a += b
    return np.stack(hs), acc, dX, dh, dc


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
@given(sizes)
def test_step_functions_equal_sequence_functions(model, s):
    T, B, D, H, seed = s
    p, X, states, G, forward, backward, kw = make_case(model, T, B, D, H, seed)
    hs, cache = forward(X, p, **states, **kw)
    g = backward(G, cache)
    hs_steps, acc, dX, dh0, dc0 = _step_loop(model, p, X, states, G, kw)
    np.testing.assert_allclose(hs, hs_steps, rtol=0, atol=1e-13)
    for a, b in zip(g.arrays(), acc.arrays()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dX, dX, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dh0, dh0, rtol=1e-10, atol=1e-12)
    if model == "lstm":
        np.testing.assert_allclose(g.dc0, dc0, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
@given(sizes)
def test_float32_forward_within_1e5_of_float64(model, s):
    T, B, D, H, seed = s
    p, X, states, G, forward, backward, kw = make_case(model, T, B, D, H, seed)
    hs64, _ = forward(X, p, **states, **kw)
    p32 = p.astype(np.float32)
    hs32, cache32 = forward(X.astype(np.float32), p32,
                            **{k: v.astype(np.float32) for k, v in states.items()}, **kw)
    assert hs32.dtype == np.float32
    np.testing.assert_allclose(hs32, hs64, rtol=0, atol=1e-5)
    g32 = backward(G.astype(np.float32), cache32)
    assert all(a.dtype == np.float32 for a in g32.arrays()) and g32.dX.dtype == np.float32


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_inputs_are_not_mutated_and_outputs_read_only(model):
    # B = 1 makes (B, H).T contiguous: a once-real bug wrote the state back into the caller's h0
    for B in (1, 3):
        p, X, states, G, forward, backward, kw = make_case(model, 4, B, 3, 5, seed=B)
        before = [a.copy() for a in (X, G, *states.values(), *p.arrays())]
        hs, cache = forward(X, p, **states, **kw)
        backward(G, cache)
        forward(X, p, **states, **kw)
        for a, b in zip((X, G, *states.values(), *p.arrays()), before):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="read-only"):
            hs[0, 0, 0] = 1.0


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_missing_initial_state_means_zeros(model):
    p, X, states, G, forward, backward, kw = make_case(model, 3, 2, 3, 4, seed=0)
    zeros = {k: np.zeros_like(v) for k, v in states.items()}
    np.testing.assert_array_equal(forward(X, p, **kw)[0], forward(X, p, **zeros, **kw)[0])


def test_lstm_cache_exposes_gates_and_states():
    p, X, states, G, *_ = make_case("lstm", 5, 2, 3, 4, seed=7)
    hs, cache = ll.lstm_forward(X, p, **states)
    h, c = states["h0"], states["c0"]
    for t in range(5):
        h, c, k = ll.lstm_step_forward(X[t], h, c, p)
        for name in ("f", "i", "o", "c_tilde", "c"):
            np.testing.assert_allclose(getattr(cache, name)[t], getattr(k, name), atol=1e-14)
    np.testing.assert_array_equal(cache.h, hs)


def test_gru_cache_exposes_gates():
    p, X, states, G, *_ = make_case("gru_reset_after", 4, 2, 3, 4, seed=8)
    hs, cache = ll.gru_forward(X, p, **states)
    h = states["h0"]
    for t in range(4):
        h, k = ll.gru_step_forward(X[t], h, p)
        for name in ("z", "r", "h_tilde"):
            np.testing.assert_allclose(getattr(cache, name)[t], getattr(k, name), atol=1e-14)


def test_lstm_gates_as_switches():
    """f = 1, i = 0 keeps the cell state exactly; f = 0, i = 1 replaces it with the candidate."""
    p = ll.LSTMParams.init(2, 3, 0)
    p.W_fh[...] = p.W_fx[...] = p.W_ih[...] = p.W_ix[...] = 0
    X = np.random.default_rng(1).standard_normal((6, 2, 2))
    c0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    p.b_f[...], p.b_i[...] = 1e4, -1e4  # sigmoid saturates to exactly 1 and 0
    _, cache = ll.lstm_forward(X, p, c0=c0)
    np.testing.assert_array_equal(cache.c[-1], c0)
    p.b_f[...], p.b_i[...] = -1e4, 1e4
    _, cache = ll.lstm_forward(X, p, c0=c0)
    np.testing.assert_allclose(cache.c, cache.c_tilde, atol=1e-15)


def test_gru_update_gate_zero_keeps_state():
    for after in (False, True):
        q = ll.GRUParams.init(2, 3, 0, reset_after=after)
        q.W_zh[...] = q.W_zx[...] = 0
        q.b_z[...] = -1e4  # z = 0: h_t = h_{t-1}
        h0 = np.array([[0.3, -0.2, 0.9]])
        hs, _ = ll.gru_forward(np.ones((5, 1, 2)), q, h0)
        np.testing.assert_array_equal(hs[-1], h0)


def test_conventions_differ_and_agree_when_reset_is_identity():
    """Reset before vs after the product are different functions, equal when r = 1 and b_ch = 0."""
    rng = np.random.default_rng(4)
    before = ll.GRUParams.init(3, 4, rng)
    after = ll.GRUParams(before.weights.copy(), before.bias.copy(), np.zeros(4))
    X, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    assert np.abs(ll.gru_forward(X, before, h0)[0] - ll.gru_forward(X, after, h0)[0]).max() > 1e-3
    for q in (before, after):
        q.W_rh[...] = q.W_rx[...] = 0
        q.b_r[...] = 1e4
    np.testing.assert_allclose(ll.gru_forward(X, before, h0)[0], ll.gru_forward(X, after, h0)[0], atol=1e-14)


# --- the article-style implementation ------------------------------------------------------------
def test_article_style_lstm_equals_fused_lstm():
    p, X, states, G, *_ = make_case("lstm", 6, 3, 4, 5, seed=11)
    hs, cache = ll.lstm_forward(X, p, **states)
    hs_a, cache_a = article.article_lstm_forward(X, p, **states)
    np.testing.assert_allclose(hs_a, hs, atol=1e-14)
    g, g_a = ll.lstm_backward(G, cache), article.article_lstm_backward(G, cache_a)
    for a, b in zip(g.arrays() + (g.dX, g.dh0, g.dc0), g_a.arrays() + (g_a.dX, g_a.dh0, g_a.dc0)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _article_check(T, errata, seed=3):
    """The set-up of the article's own check: zero initial state, error at the last step only."""
    rng = np.random.default_rng(seed)
    p = ll.LSTMParams.init(3, 4, rng)
    X = rng.standard_normal((T, 1, 3))
    G = np.zeros((T, 1, 4))
    G[-1] = rng.standard_normal((1, 4))
    return ll.check_gradients(p, X, rng, backward=article.article_backward_with(errata), out_grad=G)


def test_article_errata_fail_where_measured():
    r2 = _article_check(2, article.ARTICLE)
    # with c0 = 0, delta_f at step 1 is zero, so the forget gate's gradients survive at T = 2
    assert set(r2.failed) >= {"W_ix", "W_ox", "W_cx", "b_i", "b_o", "b_c"}
    assert {"W_fh", "W_fx", "b_f"}.isdisjoint(r2.failed)
    r5 = _article_check(5, article.ARTICLE)
    assert set(ll.LSTMParams.names) <= set(r5.failed)
    for T in (2, 5, 20):
        assert _article_check(T, article.CORRECT).passed


@pytest.mark.parametrize("flag, expect_failing", [
    ("no_cell_carry", {"W_fh", "c0"}),
    ("input_grad_last_step_only", {"W_fx", "W_ix", "W_cx", "W_ox"}),
    ("gate_bias_from_forget", {"b_i", "b_o"}),
])
def test_each_erratum_alone_breaks_its_parameters(flag, expect_failing):
    errata = article.ArticleErrata(**{flag: True})
    r = _article_check(5, errata)
    assert expect_failing <= set(r.failed)
    if flag == "gate_bias_from_forget":
        assert set(r.failed) == {"b_i", "b_o"}
    if flag == "input_grad_last_step_only":
        assert set(r.failed) == {"W_fx", "W_ix", "W_cx", "W_ox"}


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
@given(sizes)
def test_state_grads_equal_step_by_step_bptt(model, s):
    """``state_grads=True`` records the total dE/dh_t (and the LSTM's dE/dc_t) at every step:
    the same numbers as the readable step-by-step traces, which chapters 01, 03 and 04 show."""
    from lstmlib import gradflow
    T, B, D, H, seed = s
    p, X, states, G, forward, backward, kw = make_case(model, T, B, D, H, seed)
    _, cache = forward(X, p, **states, **kw)
    g = backward(G, cache, state_grads=True)
    plain = backward(G, cache)
    assert plain.dh is None
    np.testing.assert_array_equal(g.weights, plain.weights)
    if model == "lstm":
        trace = gradflow.lstm_bptt_by_steps(G, X, p, **states)
        np.testing.assert_allclose(g.dh, trace.dh, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(g.dc, trace.dc, rtol=1e-10, atol=1e-13)
        return
    # dE/dh_t by the step functions: the carry into step t plus the loss at t
    steps_dh = np.empty_like(G)
    dh = np.zeros((B, H))
    h, caches = states["h0"], []
    for t in range(T):
        h, k = (ll.gru_step_forward(X[t], h, p) if model.startswith("gru")
                else ll.rnn_step_forward(X[t], h, p, **kw))
        caches.append(k)
    for t in reversed(range(T)):
        steps_dh[t] = dh + G[t]
        step_backward = ll.gru_step_backward if model.startswith("gru") else ll.rnn_step_backward
        _, dh, _ = step_backward(steps_dh[t], caches[t])
    np.testing.assert_allclose(g.dh, steps_dh, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_backward_results_survive_the_next_call(model):
    """The backward passes reuse one scratch buffer between calls; nothing they return may
    alias it."""
    p, X, states, G, forward, backward, kw = make_case(model, 6, 3, 4, 5, seed=21)
    _, cache = forward(X, p, **states, **kw)
    g1 = backward(G, cache, state_grads=True)
    kept = [a.copy() for a in g1.arrays() + (g1.dX, g1.dh0, g1.dh)]
    backward(-2.0 * G, cache, state_grads=True)
    for a, b in zip(g1.arrays() + (g1.dX, g1.dh0, g1.dh), kept):
        np.testing.assert_array_equal(a, b)
