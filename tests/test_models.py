"""Forward and backward behaviour of the three models: precision, what the caches expose, what the
gates do when held, nothing the caller passes is mutated, the registry of models, and the
article-style LSTM with its errata."""
import numpy as np
import pytest
from helpers import NAMES, OPTIONS, SIZES, assert_gradients_close, examples, gradient_arrays, make_case
from hypothesis import given

import lstmlib as ll
from lstmlib import article, fused


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
@examples(10)
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
    g64 = m.backward(case.G, c64, case.dstate, state_grads=True)
    g32 = m.backward(case32.G, c32, case32.dstate, state_grads=True)
    a32, a64 = (gradient_arrays(g, state_grads=True) for g in (g32, g64))
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
        inputs = (case.X, case.G, *m.state_arrays(case.state), *m.state_arrays(case.dstate), *case.p.arrays())
        before = [a.copy() for a in inputs]
        hs, cache = case.forward(reference=reference)
        m.backward(case.G, cache, case.dstate, state_grads=True)
        case.forward(reference=reference)
        for a, b in zip(inputs, before):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="read-only"):
            hs[0, 0, 0] = 1.0


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
def test_a_missing_initial_state_means_zeros(variant, reference):
    case = make_case(variant, 3, 2, 3, 4, seed=0)
    m = case.model
    zeros = ll.LSTMState(np.zeros((2, 4)), np.zeros((2, 4))) if m.has_cell else np.zeros((2, 4))
    hs_zero = m.forward(case.X, case.p, zeros, reference=reference)[0]
    np.testing.assert_array_equal(m.forward(case.X, case.p, reference=reference)[0], hs_zero)
    np.testing.assert_array_equal(m.forward(case.X, case.p, None, reference=reference)[0], hs_zero)
    # ... and the module functions called without one
    fn = m.reference_forward if reference else m.fast_forward
    np.testing.assert_array_equal(fn(case.X, case.p)[0], hs_zero)
    assert not np.array_equal(m.forward(case.X, case.p, case.state, reference=reference)[0], hs_zero)
    if m.has_cell:  # one half of the pair given, the other None: zeros
        h = case.state.h
        hs_h = m.forward(case.X, case.p, (h, None), reference=reference)[0]
        np.testing.assert_array_equal(hs_h, m.forward(case.X, case.p, (h, zeros.c), reference=reference)[0])
        assert not np.array_equal(hs_h, hs_zero)


@pytest.mark.parametrize("reference", [False, True])
def test_lstm_cache_exposes_gates_and_states(reference):
    case = make_case("lstm", 5, 2, 3, 4, seed=7)
    hs, cache = case.forward(reference=reference)
    state = case.state
    for t in range(5):
        state, k = ll.lstm_step_forward(case.X[t], case.p, state)
        for name in ("f", "i", "o", "c_tilde", "c"):
            np.testing.assert_allclose(getattr(cache, name)[t], getattr(k, name), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(cache.h, hs)
    np.testing.assert_array_equal(cache.c0, case.state.c)
    np.testing.assert_array_equal(cache.h0, case.state.h)
    np.testing.assert_allclose(cache.cT, state.c, rtol=0, atol=1e-14)
    assert cache.f.shape == (5, 2, 4)
    assert "T=5, B=2" in repr(cache)


@pytest.mark.parametrize("variant", ["gru_reset_before", "gru_reset_after"])
@pytest.mark.parametrize("reference", [False, True])
def test_gru_cache_exposes_gates(variant, reference):
    case = make_case(variant, 4, 2, 3, 4, seed=8)
    hs, cache = case.forward(reference=reference)
    h = case.state
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
    np.testing.assert_array_equal(cache.steps[0].c_prev, case.state.c)


@pytest.mark.parametrize("reference", [False, True])
def test_lstm_gates_as_switches(reference):
    """f = 1, i = 0 keeps the cell state exactly; f = 0, i = 1 replaces it with the candidate."""
    p = ll.LSTMParams.init(2, 3, 0)
    p.W_fh[...] = p.W_fx[...] = p.W_ih[...] = p.W_ix[...] = 0
    X = np.random.default_rng(1).standard_normal((6, 2, 2))
    c0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    m = ll.MODELS["lstm"]
    p.b_f[...], p.b_i[...] = 1e4, -1e4  # sigmoid saturates to exactly 1 and 0
    _, cache = m.forward(X, p, (None, c0), reference=reference)
    np.testing.assert_array_equal(cache.c[-1], c0)
    p.b_f[...], p.b_i[...] = -1e4, 1e4
    _, cache = m.forward(X, p, (None, c0), reference=reference)
    np.testing.assert_allclose(cache.c, cache.c_tilde, rtol=0, atol=1e-15)


@pytest.mark.parametrize("reference", [False, True])
def test_gru_update_gate_zero_keeps_state(reference):
    for after in (False, True):
        q = ll.GRUParams.init(2, 3, 0, reset_after=after)
        q.W_zh[...] = q.W_zx[...] = 0
        q.b_z[...] = -1e4  # z = 0: h_t = h_{t-1}
        h0 = np.array([[0.3, -0.2, 0.9]])
        hs, _ = ll.MODELS["gru"].forward(np.ones((5, 1, 2)), q, h0, reference=reference)
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
@pytest.mark.parametrize("fwd, bwd", [(ll.rnn_forward, ll.rnn_backward),
                                      (fused.rnn_forward, fused.rnn_backward)])
def test_rnn_activation_lives_in_the_params(fwd, bwd):
    """``rnn_forward`` has no ``activation=`` any more: ``p.with_activation(name)`` is the same
    storage with another activation, and the backward uses the activation its forward ran with."""
    rng = np.random.default_rng(3)
    p = ll.RNNParams.init(3, 4, rng)
    assert p.activation == "tanh"
    X = rng.standard_normal((5, 2, 3))
    G = rng.standard_normal((5, 2, 4))
    outputs = {}
    for act in ("tanh", "sigmoid", "relu"):
        q = p.with_activation(act)
        assert q.weights is p.weights and q.bias is p.bias and p.activation == "tanh"
        hs, cache = fwd(X, q)
        assert cache.params.activation == act
        f, _ = ll.activations.ACTIVATIONS[act]
        h = np.zeros((2, 4))
        for t in range(5):  # the definition, written out
            h = f(X[t] @ p.U.T + h @ p.W.T + p.b)
            np.testing.assert_allclose(hs[t], h, rtol=0, atol=1e-14)
        outputs[act] = (hs, bwd(G, cache).weights)
    assert not np.allclose(outputs["tanh"][1], outputs["sigmoid"][1])  # the backward follows the forward
    assert outputs["relu"][0].min() == 0.0 and outputs["sigmoid"][0].min() > 0
    with pytest.raises(TypeError, match="activation"):
        fwd(X, p, activation="relu")
    with pytest.raises(ValueError, match=r"activation: expected one of \['relu', 'sigmoid', 'tanh'\], got 'elu'"):
        p.with_activation("elu")


# ---- the registry --------------------------------------------------------------------------------
REGISTRY = [("rnn", "RNN", ll.RNNParams, ll.RNNGrads, 1, False, {"activation": "tanh"}),
            ("lstm", "LSTM", ll.LSTMParams, ll.LSTMGrads, 4, True, {"forget_bias": 0.0}),
            ("gru", "GRU", ll.GRUParams, ll.GRUGrads, 3, False, {"reset_after": False})]


@pytest.mark.parametrize("name, title, params, grads, gates, has_cell, options", REGISTRY)
def test_registry_knows_each_model_and_its_functions(name, title, params, grads, gates, has_cell, options):
    assert list(ll.MODELS) == ["rnn", "lstm", "gru"]
    m = ll.get_model(name)
    assert m is ll.MODELS[name] and m.name == name and m.title == title
    assert (m.params, m.grads, m.gates, m.has_cell) == (params, grads, gates, has_cell)
    assert m.gates == len(params.gates)  # the gate count is the fused storage's row blocks
    assert m.options == options  # the defaults of the README: tanh, b_f = 0, the article's GRU
    assert m.step_forward is getattr(ll, f"{name}_step_forward")
    assert m.step_backward is getattr(ll, f"{name}_step_backward")
    assert m.reference_forward is getattr(ll, f"{name}_forward")
    assert m.reference_backward is getattr(ll, f"{name}_backward")
    assert m.fast_forward is getattr(fused, f"{name}_forward")
    assert m.fast_backward is getattr(fused, f"{name}_backward")
    p = m.init(3, 2, 0)
    assert type(p) is params and ll.model_of(p) is m and p.dtype == np.float64
    _, cache = m.forward(np.zeros((2, 1, 3)), p)
    assert ll.model_of(m.backward(np.ones((2, 1, 2)), cache)) is m  # gradients too
    state = m.check_state(None, 1, 2, np.float64)
    assert len(m.state_arrays(state)) == (2 if has_cell else 1)
    assert isinstance(state, ll.LSTMState) == has_cell


def test_registry_reads_each_models_options_off_its_init_signature():
    """One table of defaults: the ``init`` signatures. A new keyword option of an ``init`` shows up
    in the registry, with its default, without another edit (``dtype`` and ``scale`` are every
    model's, not options)."""
    import dataclasses

    class Peephole(ll.LSTMParams):
        @classmethod
        def init(cls, input_size, hidden_size, rng, *, forget_bias=0.5, peepholes=True, dtype=np.float64,
                 scale=None):
            return super().init(input_size, hidden_size, rng, forget_bias=forget_bias, dtype=dtype,
                                scale=scale)

    m = dataclasses.replace(ll.MODELS["lstm"], params=Peephole)
    assert m.options == {"forget_bias": 0.5, "peepholes": True}
    with pytest.raises(ValueError, match="^activation: not an option of the LSTM "
                                         "\\(its options: forget_bias, peepholes\\)"):
        m.check_options({"peepholes": False, "activation": "relu"})


@pytest.mark.parametrize("name, option", [("gru", "forget_bias"), ("lstm", "activation"),
                                          ("rnn", "reset_after"), ("lstm", "num_layers"), ("rnn", "forget_bias")])
def test_an_option_a_model_does_not_have_is_refused_wherever_a_model_is_made(name, option):
    m = ll.MODELS[name]
    mine = ", ".join(m.options)
    match = f"^{option}: not an option of the {m.title} \\(its options: {mine}\\)"
    for make in (lambda: m.init(3, 4, 0, **{option: 50}),
                 lambda: m.parameter_count(3, 4, **{option: 50}),
                 lambda: ll.make_model(name, 3, 4, 2, 0, **{option: 50}),
                 lambda: ll.charlm.init_model(name, 7, 4, 0, **{option: 50})):
        with pytest.raises(ValueError, match=match):
            make()


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("D, H", [(1, 1), (3, 4), (7, 2)])
def test_parameter_count_by_formula_equals_a_real_models(variant, D, H):
    name, options = OPTIONS[variant]
    m = ll.MODELS[name]
    p = m.init(D, H, 0, **options)
    assert m.parameter_count(D, H, **options) == p.num_parameters == sum(a.size for a in p.arrays())
    assert p.num_parameters == sum(a.size for a in p.named().values())  # the names cover the storage
    G = {"rnn": 1, "lstm": 4, "gru": 3}[name]  # written out here, the only place outside the registry
    assert p.num_parameters == G * H * (H + D) + G * H + (H if options.get("reset_after") else 0)


@pytest.mark.parametrize("variant", NAMES)
def test_registry_backward_runs_the_function_matching_the_cache(variant):
    """A readable cache goes to the readable backward and a fused one to the fused backward
    (each refuses the other's cache, so the wrong pairing would raise)."""
    case = make_case(variant, 4, 2, 3, 3, seed=6)
    m = case.model
    _, cache_ref = case.forward(reference=True)
    _, cache_fast = case.forward()
    assert type(cache_ref).__module__ == f"lstmlib.{m.name}" and type(cache_fast) is m.fast_cache
    with pytest.raises(ValueError, match="cache: expected"):
        m.fast_backward(case.G, cache_ref)
    with pytest.raises(ValueError, match="cache: expected"):
        m.reference_backward(case.G, cache_fast)
    g_ref = m.backward(case.G, cache_ref, case.dstate)
    g_fast = m.backward(case.G, cache_fast, case.dstate)
    assert_gradients_close(g_ref, g_fast)
    assert_gradients_close(g_fast, m.fast_backward(case.G, cache_fast, case.dstate), rtol=0, atol=0)
    assert_gradients_close(g_ref, m.reference_backward(case.G, cache_ref, case.dstate), rtol=0, atol=0)


@pytest.mark.parametrize("name", list(ll.MODELS))
def test_reference_with_a_workspace_is_refused(name):
    """Regression (issue 14): ``Model.forward(reference=True, workspace=ws)`` ignored the workspace
    without a word; the readable loops take none."""
    m = ll.MODELS[name]
    p, X, ws = m.init(3, 4, 0), np.zeros((2, 1, 3)), fused.Workspace()
    with pytest.raises(ValueError, match="^workspace: expected None with reference=True"):
        m.forward(X, p, reference=True, workspace=ws)
    _, cache = m.forward(X, p, reference=True)
    with pytest.raises(ValueError, match="^workspace: expected None for a readable cache"):
        m.backward(np.ones((2, 1, 4)), cache, workspace=ws)
    assert ws.nbytes == 0 and ws.generation == 0
    hs, cache = m.forward(X, p, workspace=ws)  # the fast pass uses it
    assert ws.generation == 1 and np.shares_memory(hs, cache.hs)


def test_get_model_and_model_of_refuse_what_they_do_not_know():
    with pytest.raises(ValueError, match=r"kind: expected one of \('rnn', 'lstm', 'gru', 'lstm_variant'\), got 'cnn'"):
        ll.get_model("cnn", "kind")
    with pytest.raises(ValueError, match=r"^model: expected one of"):
        ll.get_model(None)
    with pytest.raises(ValueError, match="p: expected RNNParams, LSTMParams, GRUParams or VariantLSTMParams, got str"):
        ll.model_of("lstm")


# ---- the article-style implementation ------------------------------------------------------------
def test_article_style_lstm_equals_the_lstm():
    case = make_case("lstm", 6, 3, 4, 5, seed=11)
    hs, cache = case.forward(reference=True)
    hs_a, cache_a = article.article_lstm_forward(case.X, case.p, case.state)
    np.testing.assert_allclose(hs_a, hs, rtol=0, atol=1e-14)
    g = ll.lstm_backward(case.G, cache, case.dstate)
    g_a = article.article_lstm_backward(case.G, cache_a, case.dstate)
    assert type(g_a) is ll.LSTMGrads
    assert_gradients_close(g_a, g, rtol=1e-12, atol=1e-14)


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
    for T in (1, 2, 5, 12):
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


@pytest.mark.parametrize("name,options", [("rnn", {}), ("rnn", {"activation": "relu"}), ("lstm", {"forget_bias": 1.0}),
                                          ("gru", {}), ("gru", {"reset_after": True}),
                                          ("lstm_variant", {"variant": "CIFG", "peepholes": True})])
def test_the_stepper_is_the_step_forward_fast(name, options):
    """The registry's stepper (what sampling runs, one character at a time) gives the readable step
    forward's state, for several steps in a row, from zeros and from a given state."""
    m = ll.get_model(name)
    p = m.init(3, 5, 0, **options)
    rng = np.random.default_rng(1)
    step = m.stepper(p)
    state = fast = None
    for _ in range(4):
        x = rng.standard_normal((2, 3))
        state, _ = m.step_forward(x, p, state)
        fast = step(x, fast)
        for a, b in zip(m.state_arrays(state), m.state_arrays(fast)):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)
    with pytest.raises(ValueError, match=r"^x: expected"):
        step(np.zeros((2, 4)), fast)
    # the unchecked path (what sampling runs once its primer is checked): the same numbers
    unchecked = getattr(step, "unchecked", step)
    x = rng.standard_normal((2, 3))
    for a, b in zip(m.state_arrays(step(x, fast)), m.state_arrays(unchecked(x, fast))):
        np.testing.assert_array_equal(b, a)
