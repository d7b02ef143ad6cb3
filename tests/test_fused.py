"""The fast ``fused`` passes against the readable loops, and the ``fused.Workspace`` rules.

The readable modules (``rnn``, ``lstm``, ``gru``) are the definition; ``fused`` must compute the
same numbers, for every model variant, every shape, with and without gradients arriving at the
final states, and whether or not the caller lends it a workspace."""
import numpy as np
import pytest
from helpers import (NAMES, SIZES, assert_gradients_close, assert_gradients_equal, assert_states_close,
                     examples, gradient_arrays, make_case)
from hypothesis import given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib import fused


@pytest.mark.parametrize("variant", NAMES)
@examples(30)  # cheap: no finite differences
@given(SIZES, st.booleans())
def test_readable_and_fused_compute_the_same_outputs_and_gradients(variant, sizes, with_final):
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    m = case.model
    hs_ref, cache_ref = case.forward(reference=True)
    hs_fast, cache_fast = case.forward()
    assert type(cache_ref).__module__ == f"lstmlib.{m.name}"
    assert type(cache_fast).__module__ == "lstmlib.fused"
    np.testing.assert_allclose(hs_fast, hs_ref, rtol=0, atol=1e-13)
    assert_states_close(cache_fast.final_state, cache_ref.final_state, m, atol=1e-13)
    dstate = case.dstate if with_final else None
    g_ref = m.backward(case.G, cache_ref, dstate, state_grads=True)
    g_fast = m.backward(case.G, cache_fast, dstate, state_grads=True)
    assert type(g_ref) is type(g_fast) is m.grads
    assert_gradients_close(g_fast, g_ref, rtol=1e-10, atol=1e-10, state_grads=True)


def _step_loop(case, dstate=None):
    """The model run step by step with its readable step functions, forward then backward:
    returns the outputs and each step's gradients (``steps[t].dh`` is the total dE/dh_t)."""
    m, p, X = case.model, case.p, case.X
    state, caches, hs = case.state, [], []
    for t in range(X.shape[0]):
        state, k = m.step_forward(X[t], p, state)
        caches.append(k)
        hs.append(m.state_arrays(state)[0])
    zeros = np.zeros_like(case.G[0])
    carry = dstate if dstate is not None else (ll.LSTMState(zeros, zeros) if m.has_cell else zeros)
    steps = []
    for t in reversed(range(X.shape[0])):
        if m.has_cell:  # the loss at t joins the h part; the c part is the carry dc_{t+1} f_{t+1}
            g = m.step_backward(ll.LSTMState(carry.h + case.G[t], carry.c), caches[t])
        else:
            g = m.step_backward(carry + case.G[t], caches[t])
        assert type(g) is m.grads  # a step's gradients are the same type as a sequence's
        carry = g.dstate0
        steps.append(g)
    return np.stack(hs), steps[::-1]


@pytest.mark.parametrize("variant", NAMES)
@examples(15)
@given(SIZES)
def test_step_functions_per_step_totals_equal_sequence_state_grads(variant, sizes):
    """Chaining the step functions by hand gives what both sequence backwards return: the same
    parameter gradients (summed over steps), dX per step, and each step's ``dh``/``dc`` fields
    are the sequence backward's ``state_grads``."""
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    m = case.model
    hs_steps, steps = _step_loop(case, case.dstate)
    for reference in (True, False):
        hs, cache = case.forward(reference=reference)
        np.testing.assert_allclose(hs, hs_steps, rtol=0, atol=1e-13)
        g = m.backward(case.G, cache, case.dstate, state_grads=True)
        for name, a in g.named().items():
            np.testing.assert_allclose(a, sum(getattr(s, name) for s in steps), rtol=1e-10, atol=1e-11,
                                       err_msg=name)
        np.testing.assert_allclose(g.dX, np.stack([s.dX for s in steps]), rtol=1e-10, atol=1e-11)
        for a, b in zip(m.state_arrays(g.dstate0), m.state_arrays(steps[0].dstate0), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11)
        for name in ("dh", "dc") if m.has_cell else ("dh",):
            np.testing.assert_allclose(getattr(g, name), np.stack([getattr(s, name) for s in steps]),
                                       rtol=1e-10, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("variant", NAMES)
def test_state_grads_off_returns_no_per_step_totals_and_the_same_gradients(variant):
    case = make_case(variant, 5, 2, 3, 4, seed=3)
    m = case.model
    for reference in (True, False):
        _, cache = case.forward(reference=reference)
        with_totals = m.backward(case.G, cache, state_grads=True)
        plain = m.backward(case.G, cache)
        for name in ("dh", "dc") if m.has_cell else ("dh",):
            assert getattr(plain, name) is None
            assert getattr(with_totals, name).shape == case.G.shape
        for a, b in zip(plain.arrays(), with_totals.arrays()):
            np.testing.assert_array_equal(a, b)


# ---- fused.Workspace ----------------------------------------------------------------------------
@pytest.mark.parametrize("variant", NAMES)
def test_workspace_gives_bit_for_bit_the_results_without_one(variant):
    case = make_case(variant, 7, 3, 4, 5, seed=11)
    m = case.model
    hs, cache = case.forward()
    g = m.backward(case.G, cache, case.dstate, state_grads=True)
    ws = fused.Workspace()
    for _ in range(2):  # the second round reuses the workspace's arrays, written by the first
        hs_w, cache_w = case.forward(workspace=ws)
        np.testing.assert_array_equal(hs_w, hs)
        assert_states_close(cache_w.final_state, cache.final_state, m)
        g_w = m.backward(case.G, cache_w, case.dstate, workspace=ws, state_grads=True)
        assert_gradients_equal(g_w, g, state_grads=True)
    assert ws.nbytes > 0


@pytest.mark.parametrize("variant", NAMES)
def test_workspace_reuses_its_memory_between_calls(variant):
    """What a workspace is for: the second forward of the same shape writes into the same
    memory, so the first call's outputs are overwritten (hence the stale-cache rule below)."""
    case = make_case(variant, 6, 2, 3, 4, seed=1)
    ws = fused.Workspace()
    hs1, _ = case.forward(workspace=ws)
    kept = hs1.copy()
    hs2, _ = ll.model_of(case.p).forward(case.X * 0.5, case.p, case.state, workspace=ws)
    assert np.shares_memory(hs1, hs2)
    assert not np.array_equal(hs1, kept)
    hs3, _ = case.forward()  # without a workspace: fresh memory every call
    hs4, _ = case.forward()
    assert not np.shares_memory(hs3, hs4)


@pytest.mark.parametrize("variant", NAMES)
def test_backward_refuses_a_cache_overwritten_by_a_later_forward(variant):
    case = make_case(variant, 5, 2, 3, 4, seed=2)
    m = case.model
    ws = fused.Workspace()
    _, old = case.forward(workspace=ws)
    _, new = case.forward(workspace=ws)
    with pytest.raises(ValueError, match="^cache: expected the cache of the latest forward pass"):
        m.backward(case.G, old, workspace=ws)
    with pytest.raises(ValueError, match="^cache:"):
        m.backward(case.G, old)  # the cache is stale whatever the backward is given
    with pytest.raises(ValueError, match="^cache:"):
        old.final_state  # nor is its final state handed out: it would be the newer pass's
    m.backward(case.G, new, workspace=ws)  # the latest one is fine
    # a backward pass does not invalidate the cache it read: it can run again
    m.backward(case.G, new, workspace=ws)
    new.final_state


@pytest.mark.parametrize("variant", NAMES)
def test_truncated_bptt_with_one_workspace_equals_without(variant):
    """Truncated BPTT as a training loop would run it: chunk after chunk in one workspace, each
    chunk starting from the previous chunk's final state."""
    case = make_case(variant, 8, 2, 3, 4, seed=12)
    m, p = case.model, case.p
    _, c1 = m.forward(case.X[:4], p, case.state)
    hs2, c2 = m.forward(case.X[4:], p, c1.final_state)
    g2 = m.backward(case.G[4:], c2)
    ws = fused.Workspace()
    _, c1w = m.forward(case.X[:4], p, case.state, workspace=ws)
    hs2w, c2w = m.forward(case.X[4:], p, c1w.final_state, workspace=ws)
    np.testing.assert_array_equal(hs2w, hs2)
    assert_gradients_equal(m.backward(case.G[4:], c2w, workspace=ws), g2)


def test_workspace_parts_are_independent():
    case = make_case("lstm", 5, 2, 3, 4, seed=4)
    m = case.model
    ws = fused.Workspace()
    a, b = ws.part(0), ws.part(1)
    assert ws.part(0) is a and a is not b and a is not ws
    hs_a, cache_a = case.forward(workspace=a)
    hs_b, cache_b = case.forward(workspace=b)  # another part: cache_a stays valid
    assert not np.shares_memory(hs_a, hs_b)
    ref = m.backward(case.G, case.forward()[1])
    for g in (m.backward(case.G, cache_a, workspace=a), m.backward(case.G, cache_b, workspace=b)):
        np.testing.assert_array_equal(g.weights, ref.weights)
    case.forward(workspace=ws)  # the parent's own forward does not touch its parts either
    m.backward(case.G, cache_a, workspace=a)
    assert ws.nbytes >= a.nbytes + b.nbytes > 0
    assert "MiB" in repr(ws)


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("with_workspace", [False, True])
def test_returned_gradients_never_alias_reused_memory(variant, with_workspace):
    """Two backward passes in a row (same workspace, if any): the first result must be intact."""
    case = make_case(variant, 6, 3, 4, 5, seed=21)
    m = case.model
    ws = fused.Workspace() if with_workspace else None
    _, cache = case.forward(workspace=ws)
    g1 = m.backward(case.G, cache, case.dstate, workspace=ws, state_grads=True)
    kept = {k: a.copy() for k, a in gradient_arrays(g1, state_grads=True).items()}
    g2 = m.backward(-2.0 * case.G, cache, workspace=ws, state_grads=True)
    assert not np.array_equal(g2.weights, g1.weights)  # the second call really computed something else
    for k, a in gradient_arrays(g1, state_grads=True).items():
        np.testing.assert_array_equal(a, kept[k], k)
    # and a later forward in the workspace leaves both results alone
    case.forward(workspace=ws)
    for k, a in gradient_arrays(g1, state_grads=True).items():
        np.testing.assert_array_equal(a, kept[k], k)


def test_workspace_argument_is_checked():
    case = make_case("gru_reset_after", 3, 1, 2, 2, seed=0)
    with pytest.raises(ValueError, match="workspace: expected a fused.Workspace or None, got dict"):
        case.forward(workspace={})
    _, cache = case.forward()
    with pytest.raises(ValueError, match="workspace: expected a fused.Workspace"):
        case.model.backward(case.G, cache, workspace=[])


def test_fused_functions_are_what_the_registry_runs_by_default():
    for name, fwd, bwd in (("rnn", fused.rnn_forward, fused.rnn_backward),
                           ("lstm", fused.lstm_forward, fused.lstm_backward),
                           ("gru", fused.gru_forward, fused.gru_backward)):
        m = ll.MODELS[name]
        assert m.fast_forward is fwd and m.fast_backward is bwd
        assert m.reference_forward is getattr(ll, f"{name}_forward")
        assert m.reference_backward is getattr(ll, f"{name}_backward")


# ---- what a fused cache hands out is read-only ------------------------------------------------------
CACHE_VIEWS = {"rnn": ("h", "hT", "h0"), "lstm": ("f", "i", "o", "c_tilde", "c", "h", "c0", "cT", "hT", "h0"),
               "gru": ("z", "r", "h_tilde", "h", "hT", "h0")}


@pytest.mark.parametrize("variant", NAMES)
def test_fused_cache_views_are_read_only_and_cannot_change_the_backward(variant):
    """Regression (issue 14): the fused caches' gate properties were writable views of the
    cache's own buffers, so ``cache.f *= .5`` silently changed the next backward pass."""
    case = make_case(variant, 5, 2, 3, 4, seed=13)
    m = case.model
    _, cache = case.forward()
    before = m.backward(case.G, cache, case.dstate)
    for name in CACHE_VIEWS[m.name]:
        view = getattr(cache, name)
        assert not view.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            view *= 0.5
        with pytest.raises(ValueError, match="read-only"):
            view[...] = 0.0
    assert_gradients_equal(m.backward(case.G, cache, case.dstate), before)
    # ... nor can the buffers behind the views (every array the cache holds, except the inputs X
    # and p, which are the caller's)
    import dataclasses
    for field in dataclasses.fields(cache):
        a = getattr(cache, field.name)
        if isinstance(a, np.ndarray) and field.name != "X":
            assert not a.flags.writeable, field.name
    # the final state, by contrast, is the caller's own copy
    for a in m.state_arrays(cache.final_state):
        assert a.flags.writeable and not np.shares_memory(a, cache.hs)
