"""Forward and backward behaviour of the three models: precision, what the caches expose, what the
gates do when held, nothing the caller passes is mutated, the registry of models, and the
article-style LSTM with its errata."""
import numpy as np
import pytest
from helpers import NAMES, SIZES, gradient_arrays, make_case
from hypothesis import given

import lstmlib as ll
from lstmlib import article, fused


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
@given(SIZES)
def test_float32_is_within_1e5_of_float64(variant, reference, sizes):
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    case32 = make_case(variant, T, B, D, H, seed, dtype=np.float32)
    m = case.model
    hs64, c64 = case.forward(reference=reference)
    hs32, c32 = case32.forward(reference=reference)
    assert hs32.dtype == np.float32
    np.testing.assert_allclose(hs32, hs64, rtol=0, atol=1e-5)
    g64 = m.backward(case.G, c64, case.final, state_grads=True)
    g32 = m.backward(case32.G, c32, case32.final, state_grads=True)
    a32, a64 = (gradient_arrays(g, m.states, state_grads=True) for g in (g32, g64))
    for name in a64:
        assert a32[name].dtype == np.float32, name
        # gradients sum over steps and samples: their float32 rounding grows with the sizes
        np.testing.assert_allclose(a32[name], a64[name], rtol=1e-3, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
def test_inputs_are_not_mutated_and_outputs_are_read_only(variant, reference):
    # B = 1 makes (B, H).T contiguous: a once-real bug wrote the state back into the caller's h0
    for B in (1, 3):
        case = make_case(variant, 4, B, 3, 5, seed=B)
        m = case.model
        inputs = (case.X, case.G, *case.states.values(), *case.final.values(), *case.p.arrays())
        before = [a.copy() for a in inputs]
        hs, cache = case.forward(reference=reference)
        m.backward(case.G, cache, case.final, state_grads=True)
        case.forward(reference=reference)
        for a, b in zip(inputs, before):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="read-only"):
            hs[0, 0, 0] = 1.0


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
def test_missing_initial_states_mean_zeros(variant, reference):
    case = make_case(variant, 3, 2, 3, 4, seed=0)
    m = case.model
    zeros = {n: np.zeros((2, 4)) for n in m.states}
    hs_zero = m.forward(case.X, case.p, zeros, reference=reference)[0]
    np.testing.assert_array_equal(m.forward(case.X, case.p, reference=reference)[0], hs_zero)
    np.testing.assert_array_equal(m.forward(case.X, case.p, {}, reference=reference)[0], hs_zero)
    # ... and the module functions called without them
    fn = m.reference_forward if reference else m.fast_forward
    np.testing.assert_array_equal(fn(case.X, case.p)[0], hs_zero)
    if m.name == "lstm":  # one state given, the other zeros
        hs_h = m.forward(case.X, case.p, {"h": case.states["h"]}, reference=reference)[0]
        np.testing.assert_array_equal(
            hs_h, m.forward(case.X, case.p, {"h": case.states["h"], "c": zeros["c"]}, reference=reference)[0])
        assert not np.array_equal(hs_h, hs_zero)


@pytest.mark.parametrize("reference", [False, True])
def test_lstm_cache_exposes_gates_and_states(reference):
    case = make_case("lstm", 5, 2, 3, 4, seed=7)
    hs, cache = case.forward(reference=reference)
    h, c = case.states["h"], case.states["c"]
    for t in range(5):
        h, c, k = ll.lstm_step_forward(case.X[t], case.p, h, c)
        for name in ("f", "i", "o", "c_tilde", "c"):
            np.testing.assert_allclose(getattr(cache, name)[t], getattr(k, name), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(cache.h, hs)
    np.testing.assert_array_equal(cache.c0, case.states["c"])
    np.testing.assert_array_equal(cache.h0, case.states["h"])
    np.testing.assert_allclose(cache.cT, c, rtol=0, atol=1e-14)
    assert cache.f.shape == (5, 2, 4)
    assert "T=5, B=2" in repr(cache)


@pytest.mark.parametrize("variant", ["gru_reset_before", "gru_reset_after"])
@pytest.mark.parametrize("reference", [False, True])
def test_gru_cache_exposes_gates(variant, reference):
    case = make_case(variant, 4, 2, 3, 4, seed=8)
    hs, cache = case.forward(reference=reference)
    h = case.states["h"]
    for t in range(4):
        h, k = ll.gru_step_forward(case.X[t], case.p, h)
        for name in ("z", "r", "h_tilde"):
            np.testing.assert_allclose(getattr(cache, name)[t], getattr(k, name), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(cache.h, hs)


def test_readable_cache_holds_one_step_cache_per_step():
    case = make_case("lstm", 6, 2, 3, 4, seed=1)
    _, cache = case.forward(reference=True)
    assert len(cache.steps) == 6 and all(type(s) is ll.LSTMStepCache for s in cache.steps)
    # each step starts from the states the step before it ended with
    for t in range(1, 6):
        np.testing.assert_array_equal(cache.steps[t].h_prev, cache.hs[t - 1])
        np.testing.assert_array_equal(cache.steps[t].c_prev, cache.steps[t - 1].c)
    np.testing.assert_array_equal(cache.steps[0].c_prev, case.states["c"])


@pytest.mark.parametrize("reference", [False, True])
def test_lstm_gates_as_switches(reference):
    """f = 1, i = 0 keeps the cell state exactly; f = 0, i = 1 replaces it with the candidate."""
    p = ll.LSTMParams.init(2, 3, 0)
    p.W_fh[...] = p.W_fx[...] = p.W_ih[...] = p.W_ix[...] = 0
    X = np.random.default_rng(1).standard_normal((6, 2, 2))
    c0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    m = ll.MODELS["lstm"]
    p.b_f[...], p.b_i[...] = 1e4, -1e4  # sigmoid saturates to exactly 1 and 0
    _, cache = m.forward(X, p, {"c": c0}, reference=reference)
    np.testing.assert_array_equal(cache.c[-1], c0)
    p.b_f[...], p.b_i[...] = -1e4, 1e4
    _, cache = m.forward(X, p, {"c": c0}, reference=reference)
    np.testing.assert_allclose(cache.c, cache.c_tilde, rtol=0, atol=1e-15)


@pytest.mark.parametrize("reference", [False, True])
def test_gru_update_gate_zero_keeps_state(reference):
    for after in (False, True):
        q = ll.GRUParams.init(2, 3, 0, reset_after=after)
        q.W_zh[...] = q.W_zx[...] = 0
        q.b_z[...] = -1e4  # z = 0: h_t = h_{t-1}
        h0 = np.array([[0.3, -0.2, 0.9]])
        hs, _ = ll.MODELS["gru"].forward(np.ones((5, 1, 2)), q, {"h": h0}, reference=reference)
        np.testing.assert_array_equal(hs[-1], h0)


def test_gru_conventions_differ_and_agree_when_reset_is_identity():
    """Reset before vs after the product are different functions, equal when r = 1 and b_ch = 0."""
    rng = np.random.default_rng(4)
    before = ll.GRUParams.init(3, 4, rng)
    after = ll.GRUParams(before.weights.copy(), before.bias.copy(), np.zeros(4))
    X, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    for fwd in (ll.gru_forward, fused.gru_forward):
        assert np.abs(fwd(X, before, h0)[0] - fwd(X, after, h0)[0]).max() > 1e-3
    for q in (before, after):
        q.W_rh[...] = q.W_rx[...] = 0
        q.b_r[...] = 1e4
    for fwd in (ll.gru_forward, fused.gru_forward):
        np.testing.assert_allclose(fwd(X, before, h0)[0], fwd(X, after, h0)[0], rtol=0, atol=1e-14)


# ---- the RNN's activation ------------------------------------------------------------------------
@pytest.mark.parametrize("fwd", [ll.rnn_forward, fused.rnn_forward])
def test_rnn_activation_lives_in_the_params_and_the_keyword_overrides_it(fwd):
    rng = np.random.default_rng(3)
    p = ll.RNNParams.init(3, 4, rng)
    assert p.activation == "tanh"
    X = rng.standard_normal((5, 2, 3))
    for act in ("sigmoid", "relu"):
        q = ll.RNNParams(p.weights, p.bias, act)
        hs_q, cache_q = fwd(X, q)
        hs_kw, cache_kw = fwd(X, p, activation=act)
        np.testing.assert_array_equal(hs_kw, hs_q)
        assert cache_kw.params.activation == act and p.activation == "tanh"  # p itself unchanged
        # the backward uses the activation the forward ran with
        G = rng.standard_normal(hs_q.shape)
        bwd = ll.rnn_backward if fwd is ll.rnn_forward else fused.rnn_backward
        np.testing.assert_array_equal(bwd(G, cache_kw).weights, bwd(G, cache_q).weights)
    assert not np.allclose(fwd(X, p)[0], fwd(X, p, activation="sigmoid")[0])
    hs_relu, _ = fwd(X, p, activation="relu")
    assert hs_relu.min() == 0.0 and fwd(X, p, activation="sigmoid")[0].min() > 0


# ---- the registry --------------------------------------------------------------------------------
def test_registry_knows_each_model_and_its_functions():
    assert list(ll.MODELS) == ["rnn", "lstm", "gru"]
    for name, params, grads, states in (("rnn", ll.RNNParams, ll.RNNGrads, ("h",)),
                                        ("lstm", ll.LSTMParams, ll.LSTMGrads, ("h", "c")),
                                        ("gru", ll.GRUParams, ll.GRUGrads, ("h",))):
        m = ll.get_model(name)
        assert m is ll.MODELS[name] and m.name == name
        assert (m.params, m.grads, m.states) == (params, grads, states)
        assert m.step_forward is getattr(ll, f"{name}_step_forward")
        assert m.step_backward is getattr(ll, f"{name}_step_backward")
        p = m.init(3, 2, 0)
        assert type(p) is params and ll.model_of(p) is m
        _, cache = m.forward(np.zeros((2, 1, 3)), p)
        assert ll.model_of(m.backward(np.ones((2, 1, 2)), cache)) is m  # gradients too
    with pytest.raises(ValueError, match=r"kind: expected one of \('rnn', 'lstm', 'gru'\), got 'cnn'"):
        ll.get_model("cnn", "kind")
    with pytest.raises(ValueError, match="p: expected RNNParams, LSTMParams or GRUParams, got str"):
        ll.model_of("lstm")


@pytest.mark.parametrize("variant", NAMES)
def test_registry_backward_runs_the_function_matching_the_cache(variant):
    """A readable cache goes to the readable backward and a fused one to the fused backward
    (each refuses the other's cache, so the wrong pairing would raise)."""
    case = make_case(variant, 4, 2, 3, 3, seed=6)
    m = case.model
    _, cache_ref = case.forward(reference=True)
    _, cache_fast = case.forward()
    with pytest.raises(ValueError, match="cache: expected"):
        m.fast_backward(case.G, cache_ref)
    with pytest.raises(ValueError, match="cache: expected"):
        m.reference_backward(case.G, cache_fast)
    g_ref = m.backward(case.G, cache_ref, case.final)
    g_fast = m.backward(case.G, cache_fast, case.final)
    np.testing.assert_allclose(g_ref.weights, g_fast.weights, rtol=1e-10, atol=1e-11)
    kw = {f"d{n}T": v for n, v in case.final.items()}
    np.testing.assert_array_equal(g_fast.weights, m.fast_backward(case.G, cache_fast, **kw).weights)
    np.testing.assert_array_equal(g_ref.weights, m.reference_backward(case.G, cache_ref, **kw).weights)


def test_registry_forward_refuses_states_the_model_does_not_have():
    X = np.zeros((2, 1, 3))
    with pytest.raises(ValueError, match=r"state: expected keys among \('h',\) for the GRU, got \['c'\]"):
        ll.MODELS["gru"].forward(X, ll.GRUParams.init(3, 2, 0), {"c": np.zeros((1, 2))})
    with pytest.raises(ValueError, match="state: expected keys among"):
        ll.MODELS["lstm"].forward(X, ll.LSTMParams.init(3, 2, 0), {"h0": np.zeros((1, 2))})


# ---- the article-style implementation ------------------------------------------------------------
def test_article_style_lstm_equals_the_lstm():
    case = make_case("lstm", 6, 3, 4, 5, seed=11)
    hs, cache = case.forward(reference=True)
    hs_a, cache_a = article.article_lstm_forward(case.X, case.p, case.states["h"], case.states["c"])
    np.testing.assert_allclose(hs_a, hs, rtol=0, atol=1e-14)
    g, g_a = ll.lstm_backward(case.G, cache), article.article_lstm_backward(case.G, cache_a)
    assert type(g_a) is ll.LSTMGrads
    for name, a in gradient_arrays(g, ("h", "c")).items():
        np.testing.assert_allclose(gradient_arrays(g_a, ("h", "c"))[name], a, rtol=1e-12, atol=1e-14,
                                   err_msg=name)


def _article_check(T, errata, seed=3):
    """The set-up of the article's own check: zero initial state, error at the last step only."""
    rng = np.random.default_rng(seed)
    p = ll.LSTMParams.init(3, 4, rng)
    X = rng.standard_normal((T, 1, 3))
    G = np.zeros((T, 1, 4))
    G[-1] = rng.standard_normal((1, 4))
    return ll.check_gradients(X, p, rng, backward=article.article_backward_with(errata), out_grad=G)


def test_article_errata_fail_where_measured():
    r2 = _article_check(2, article.ARTICLE)
    # with c0 = 0, delta_f at step 1 is zero, so the forget gate's gradients survive at T = 2
    assert set(r2.failed) >= {"W_ix", "W_ox", "W_cx", "b_i", "b_o", "b_c"}
    assert {"W_fh", "W_fx", "b_f"}.isdisjoint(r2.failed)
    r5 = _article_check(5, article.ARTICLE)
    assert set(ll.LSTMParams.names) <= set(r5.failed)
    for T in (1, 2, 5, 20):
        assert _article_check(T, article.CORRECT).passed


@pytest.mark.parametrize("flag, expect_failing", [
    ("no_cell_carry", {"W_fh", "c0"}),
    ("input_grad_last_step_only", {"W_fx", "W_ix", "W_cx", "W_ox"}),
    ("gate_bias_from_forget", {"b_i", "b_o"}),
])
def test_each_erratum_alone_breaks_its_parameters(flag, expect_failing):
    errata = article.ArticleErrata(**{flag: True})
    assert str(errata) == flag
    r = _article_check(5, errata)
    assert expect_failing <= set(r.failed)
    if flag != "no_cell_carry":  # these two touch only the arrays they name
        assert set(r.failed) == expect_failing
    # at T = 1 there is no carry and no earlier step: only the bias erratum can show
    r1 = _article_check(1, errata)
    assert set(r1.failed) == ({"b_i", "b_o"} if flag == "gate_bias_from_forget" else set())
