"""The state convention (README, "API conventions"; ``lstmlib.state``): one form in and out, ``h``
for the RNN and the GRU, ``LSTMState(h, c)`` for the LSTM, for the readable and the fused functions
alike; a chunk's ``cache.final_state`` feeds the next call directly; states handed out are the
caller's own copies; a state in the wrong form is refused by name."""
import numpy as np
import pytest

import lstmlib as ll
from lstmlib import fused

KINDS = ("rnn", "lstm", "gru")
# the module functions themselves (not the registry), readable and fused
FUNCTIONS = {(k, "readable"): (getattr(ll, f"{k}_forward"), getattr(ll, f"{k}_backward")) for k in KINDS}
FUNCTIONS.update({(k, "fused"): (getattr(fused, f"{k}_forward"), getattr(fused, f"{k}_backward"))
                  for k in KINDS})
CASES = sorted(FUNCTIONS)
B, H = 2, 4


def _setup(kind, seed=0):
    rng = np.random.default_rng(seed)
    p = ll.MODELS[kind].init(3, H, rng)
    X = rng.standard_normal((7, B, 3))
    G = rng.standard_normal((7, B, H))
    return p, X, G, rng


def _assert_form(state, kind):
    """The documented form: an ``LSTMState`` of two (B, H) arrays for the LSTM, else one array."""
    if kind == "lstm":
        assert type(state) is ll.LSTMState
        h, c = state  # unpacks like PyTorch's (h, c)
        assert h is state.h and c is state.c
        arrays = (h, c)
    else:
        assert type(state) is np.ndarray
        arrays = (state,)
    for a in arrays:
        assert type(a) is np.ndarray and a.shape == (B, H) and a.dtype == np.float64
    return arrays


@pytest.mark.parametrize("kind, impl", CASES)
def test_final_state_feeds_the_next_call_and_equals_one_call_over_both_chunks(kind, impl):
    forward, backward = FUNCTIONS[kind, impl]
    p, X, G, _ = _setup(kind)
    hs, whole = forward(X, p)
    hs1, c1 = forward(X[:3], p)
    hs2, c2 = forward(X[3:], p, c1.final_state)  # the chunk's final state, passed on as it comes
    np.testing.assert_allclose(np.concatenate([hs1, hs2]), hs, rtol=0, atol=1e-14)
    for a, b in zip(_assert_form(c2.final_state, kind), _assert_form(whole.final_state, kind)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)
    # backward: the second chunk's dstate0 is the gradient arriving at the first chunk's final state
    g_whole = backward(G, whole)
    g2 = backward(G[3:], c2)
    g1 = backward(G[:3], c1, g2.dstate0)
    np.testing.assert_allclose(g1.weights + g2.weights, g_whole.weights, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind, impl", CASES)
def test_final_state_and_dstate0_have_the_documented_form(kind, impl):
    forward, backward = FUNCTIONS[kind, impl]
    p, X, G, rng = _setup(kind)
    hs, cache = forward(X, p)
    h_final = _assert_form(cache.final_state, kind)[0]
    np.testing.assert_array_equal(h_final, hs[-1])
    g = backward(G, cache)
    _assert_form(g.dstate0, kind)
    # dstate0 is the gradient of what the forward started from, in that form: a state given as
    # the same form's zeros changes nothing, and the backward accepts a dstate in the same form
    zeros = ll.LSTMState(np.zeros((B, H)), np.zeros((B, H))) if kind == "lstm" else np.zeros((B, H))
    np.testing.assert_array_equal(forward(X, p, zeros)[0], hs)
    g_same = backward(G, cache, g.dstate0)  # any state-shaped gradient goes in where it came out
    _assert_form(g_same.dstate0, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_step_functions_take_and_return_the_same_form(kind):
    m = ll.MODELS[kind]
    p, X, _, _ = _setup(kind)
    state, cache = m.step_forward(X[0], p, None)
    _assert_form(state, kind)
    state, cache = m.step_forward(X[1], p, state)  # what came out goes back in
    dstate = ll.LSTMState(np.ones((B, H)), np.ones((B, H))) if kind == "lstm" else np.ones((B, H))
    g = m.step_backward(dstate, cache)
    _assert_form(g.dstate0, kind)
    # the step functions chained are the sequence function
    hs, seq = m.forward(X[:2], p)
    for a, b in zip(m.state_arrays(state), m.state_arrays(seq.final_state)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind, impl", CASES)
def test_final_state_is_the_callers_copy(kind, impl):
    """Mutating a final state changes neither the cache, nor its outputs, nor a later backward;
    a later forward pass with the same workspace does not change a final state already taken."""
    forward, backward = FUNCTIONS[kind, impl]
    m = ll.MODELS[kind]
    p, X, G, _ = _setup(kind)
    ws = fused.Workspace() if impl == "fused" else None
    kw = {} if ws is None else {"workspace": ws}
    hs, cache = forward(X, p, **kw)
    kept_hs = hs.copy()
    g_before = backward(G, cache, **kw).weights.copy()
    state = cache.final_state
    kept = [a.copy() for a in m.state_arrays(state)]
    for a in m.state_arrays(state):
        assert a.flags.writeable and a.flags.owndata  # the caller's own array, not a view
        a *= 100.0  # the caller may do what it likes with it ...
    np.testing.assert_array_equal(hs, kept_hs)  # ... without touching the outputs,
    np.testing.assert_array_equal(backward(G, cache, **kw).weights, g_before)  # the backward,
    for a, b in zip(m.state_arrays(cache.final_state), kept):  # or the next copy handed out
        np.testing.assert_array_equal(a, b)
    # a later forward pass (same workspace, other inputs) leaves a state already taken alone
    state = cache.final_state
    forward(X[::-1] * 3.0, p, **kw)
    for a, b in zip(m.state_arrays(state), kept):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_a_step_forwards_state_is_the_callers_copy(kind):
    """A step's returned state does not alias its cache: mutating it leaves the step's backward
    and the cache's quantities as they were."""
    m = ll.MODELS[kind]
    p, X, _, rng = _setup(kind)
    state0 = m.check_state(None, B, H, np.float64)
    state, cache = m.step_forward(X[0], p, state0)
    dstate = ll.LSTMState(rng.standard_normal((B, H)), rng.standard_normal((B, H))) if kind == "lstm" \
        else rng.standard_normal((B, H))
    before = m.step_backward(dstate, cache)
    for a in m.state_arrays(state):
        a *= -3.0
    after = m.step_backward(dstate, cache)
    for a, b in zip(before.arrays() + (before.dX,), after.arrays() + (after.dX,)):
        np.testing.assert_array_equal(a, b)
    if kind == "lstm":
        assert not np.shares_memory(state.c, cache.c)


@pytest.mark.parametrize("kind", KINDS)
def test_a_stacks_state_is_a_list_of_the_layers_states(kind):
    m = ll.MODELS[kind]
    layers = [m.init(3, H, 0), ll.MODELS["lstm"].init(H, H, 1), m.init(H, H, 2)]
    X = np.random.default_rng(0).standard_normal((5, B, 3))
    hs, cache = ll.stack_forward(X, layers)
    state = cache.final_state
    assert type(state) is list and len(state) == 3
    for p, s in zip(layers, state):
        _assert_form(s, ll.model_of(p).name)
    hs2, _ = ll.stack_forward(X, layers, state)  # and it goes back in as it came out
    assert hs2.shape == hs.shape
    grads = ll.stack_backward(np.ones_like(hs), cache, state)
    for p, g in zip(layers, grads):
        _assert_form(g.dstate0, ll.model_of(p).name)


# ---- a state in the wrong form is refused, by name ----------------------------------------------
h_ok, c_ok = np.zeros((B, H)), np.zeros((B, H))
WRONG = [
    ("lstm", h_ok,
     r"^state: expected the LSTM's pair \(h, c\), each \(B, H\) \(an LSTMState\), got an array of shape \(2, 4\)"),
    ("lstm", {"h": h_ok, "c": c_ok}, r"^state: expected the LSTM's pair \(h, c\).*got dict"),
    ("lstm", (h_ok, c_ok, c_ok), r"^state: expected the LSTM's pair \(h, c\).*got tuple"),
    ("lstm", (h_ok, np.zeros((B, 3))), r"^state.c: expected shape \(B=2, H=4\), got shape \(2, 3\)"),
    ("lstm", (np.full((B, H), np.nan), c_ok), r"^state.h: expected finite values"),
    ("gru", (h_ok, c_ok),
     r"^state: expected the array h \(B, H\) \(the state of an RNN or GRU\), got a tuple of 2 \(an LSTM's \(h, c\)\?\)"),
    ("rnn", ll.LSTMState(h_ok, c_ok), r"^state: expected the array h \(B, H\).*an LSTM's \(h, c\)\?"),
    ("gru", {"h": h_ok}, r"^state: expected the array h \(B, H\) \(the state of an RNN or GRU\), got dict"),
    ("rnn", [h_ok], r"^state: expected a 2-D array of shape \(B=2, H=4\), got shape \(1, 2, 4\)"),
    ("rnn", np.zeros((B, H + 1)), r"^state: expected shape \(B=2, H=4\), got shape \(2, 5\)"),
    ("gru", np.zeros((B, H), np.float32), None),  # float32 into a float64 model: exact, accepted
]


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("kind, state, match", WRONG)
def test_a_state_in_the_wrong_form_is_refused_by_name(kind, state, match, impl):
    forward, backward = FUNCTIONS[kind, impl]
    p, X, G, _ = _setup(kind)
    X = X[:, :B]
    if match is None:
        forward(X, p, state)
        return
    with pytest.raises(ValueError, match=match):
        forward(X, p, state)
    _, cache = forward(X, p)
    with pytest.raises(ValueError, match=match.replace("^state", "^dstate")):
        backward(G, cache, state)
    m = ll.MODELS[kind]
    with pytest.raises(ValueError, match=match):
        m.step_forward(X[0], p, state)
    _, step = m.step_forward(X[0], p)
    with pytest.raises(ValueError, match=match.replace("^state", "^dstate")):
        m.step_backward(state, step)
