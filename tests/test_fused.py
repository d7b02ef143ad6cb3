"""The fast ``fused`` passes against the readable loops, and the ``fused.Workspace`` rules.

The readable modules (``rnn``, ``lstm``, ``gru``) are the definition; ``fused`` must compute the
same numbers, for every model variant, every shape, with and without gradients arriving at the
final states, and whether or not the caller lends it a workspace."""
import numpy as np
import pytest
from helpers import NAMES, SIZES, assert_gradients_close, gradient_arrays, make_case
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib import fused


@pytest.mark.parametrize("variant", NAMES)
@settings(max_examples=60)  # cheap: no finite differences
@given(SIZES, st.booleans())
def test_readable_and_fused_compute_the_same_outputs_and_gradients(variant, sizes, with_final):
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    m = case.model
    hs_ref, cache_ref = case.forward(reference=True)
    hs_fast, cache_fast = case.forward()
    assert type(cache_ref).__module__ == f"lstmlib.{m.name}" and type(cache_fast).__module__ == "lstmlib.fused"
    np.testing.assert_allclose(hs_fast, hs_ref, rtol=0, atol=1e-13)
    for n in m.states:
        np.testing.assert_allclose(cache_fast.final_state[n], cache_ref.final_state[n], rtol=0, atol=1e-13)
    dstate = case.final if with_final else None
    g_ref = m.backward(case.G, cache_ref, dstate, state_grads=True)
    g_fast = m.backward(case.G, cache_fast, dstate, state_grads=True)
    assert type(g_ref) is type(g_fast) is m.grads
    assert_gradients_close(g_fast, g_ref, m.states, state_grads=True)


def _step_loop(case, dstate=None):
    """The model run step by step with its readable step functions, forward then backward:
    returns the outputs and each step's gradients (``steps[t].dh`` is the total dE/dh_t)."""
    m, p, X = case.model, case.p, case.X
    states, caches, hs = dict(case.states), [], []
    for t in range(X.shape[0]):
        *new, k = m.step_forward(X[t], p, *(states[n] for n in m.states))
        states = dict(zip(m.states, new))
        caches.append(k)
        hs.append(states["h"])
    carry = {n: (dstate or {}).get(n, np.zeros_like(case.G[0])) for n in m.states}
    steps = []
    for t in reversed(range(X.shape[0])):
        dh = carry["h"] + case.G[t]
        g = m.step_backward(dh, carry["c"], caches[t]) if m.name == "lstm" else m.step_backward(dh, caches[t])
        assert type(g) is m.grads  # a step's gradients are the same type as a sequence's
        carry = g.dstate0
        steps.append(g)
    return np.stack(hs), steps[::-1]


@pytest.mark.parametrize("variant", NAMES)
@settings(max_examples=60)
@given(SIZES)
def test_step_functions_per_step_totals_equal_sequence_state_grads(variant, sizes):
    """Chaining the step functions by hand gives what both sequence backwards return: the same
    parameter gradients (summed over steps), dX per step, and each step's ``dh``/``dc`` fields
    are the sequence backward's ``state_grads``."""
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    m = case.model
    hs_steps, steps = _step_loop(case, case.final)
    for reference in (True, False):
        hs, cache = case.forward(reference=reference)
        np.testing.assert_allclose(hs, hs_steps, rtol=0, atol=1e-13)
        g = m.backward(case.G, cache, case.final, state_grads=True)
        for name, a in g.named().items():
            np.testing.assert_allclose(a, sum(getattr(s, name) for s in steps), rtol=1e-10, atol=1e-11,
                                       err_msg=name)
        np.testing.assert_allclose(g.dX, np.stack([s.dX for s in steps]), rtol=1e-10, atol=1e-11)
        for n in m.states:
            np.testing.assert_allclose(g.dstate0[n], steps[0].dstate0[n], rtol=1e-10, atol=1e-11)
            np.testing.assert_allclose(getattr(g, f"d{n}"), np.stack([getattr(s, f"d{n}") for s in steps]),
                                       rtol=1e-10, atol=1e-11, err_msg=f"d{n}")


@pytest.mark.parametrize("variant", NAMES)
def test_state_grads_off_returns_no_per_step_totals_and_the_same_gradients(variant):
    case = make_case(variant, 5, 2, 3, 4, seed=3)
    m = case.model
    for reference in (True, False):
        _, cache = case.forward(reference=reference)
        with_totals = m.backward(case.G, cache, state_grads=True)
        plain = m.backward(case.G, cache)
        for n in m.states:
            assert getattr(plain, f"d{n}") is None
            assert getattr(with_totals, f"d{n}").shape == case.G.shape
        for a, b in zip(plain.arrays(), with_totals.arrays()):
            np.testing.assert_array_equal(a, b)


# ---- fused.Workspace ----------------------------------------------------------------------------
@pytest.mark.parametrize("variant", NAMES)
def test_workspace_gives_bit_for_bit_the_results_without_one(variant):
    case = make_case(variant, 7, 3, 4, 5, seed=11)
    m = case.model
    hs, cache = case.forward()
    g = m.backward(case.G, cache, case.final, state_grads=True)
    ws = fused.Workspace()
    for _ in range(2):  # the second round reuses the workspace's arrays, written by the first
        hs_w, cache_w = case.forward(workspace=ws)
        np.testing.assert_array_equal(hs_w, hs)
        g_w = m.backward(case.G, cache_w, case.final, workspace=ws, state_grads=True)
        for name, a in gradient_arrays(g, m.states, state_grads=True).items():
            np.testing.assert_array_equal(gradient_arrays(g_w, m.states, state_grads=True)[name], a, name)
    assert ws.nbytes > 0


@pytest.mark.parametrize("variant", NAMES)
def test_workspace_reuses_its_memory_between_calls(variant):
    """What a workspace is for: the second forward of the same shape writes into the same
    memory, so the first call's outputs are overwritten (hence the stale-cache rule below)."""
    case = make_case(variant, 6, 2, 3, 4, seed=1)
    ws = fused.Workspace()
    hs1, _ = case.forward(workspace=ws)
    kept = hs1.copy()
    hs2, _ = ll.model_of(case.p).forward(case.X * 0.5, case.p, case.states, workspace=ws)
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
    m.backward(case.G, new, workspace=ws)  # the latest one is fine
    # a backward pass does not invalidate the cache it read: it can run again
    m.backward(case.G, new, workspace=ws)


@pytest.mark.parametrize("variant", NAMES)
def test_truncated_bptt_with_one_workspace_equals_without(variant):
    """Truncated BPTT as a training loop would run it: chunk after chunk in one workspace, each
    chunk starting from the previous chunk's final state."""
    case = make_case(variant, 8, 2, 3, 4, seed=12)
    m, p = case.model, case.p
    _, c1 = m.forward(case.X[:4], p, case.states)
    hs2, c2 = m.forward(case.X[4:], p, c1.final_state)
    g2 = m.backward(case.G[4:], c2)
    ws = fused.Workspace()
    _, c1w = m.forward(case.X[:4], p, case.states, workspace=ws)
    hs2w, c2w = m.forward(case.X[4:], p, c1w.final_state, workspace=ws)
    np.testing.assert_array_equal(hs2w, hs2)
    g2w = m.backward(case.G[4:], c2w, workspace=ws)
    for name, a in gradient_arrays(g2, m.states).items():
        np.testing.assert_array_equal(gradient_arrays(g2w, m.states)[name], a, name)


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
    g1 = m.backward(case.G, cache, case.final, workspace=ws, state_grads=True)
    kept = {k: a.copy() for k, a in gradient_arrays(g1, m.states, state_grads=True).items()}
    g2 = m.backward(-2.0 * case.G, cache, workspace=ws, state_grads=True)
    assert not np.array_equal(g2.weights, g1.weights)  # the second call really computed something else
    for k, a in gradient_arrays(g1, m.states, state_grads=True).items():
        np.testing.assert_array_equal(a, kept[k], k)
    # and a later forward in the workspace leaves both results alone
    case.forward(workspace=ws)
    for k, a in gradient_arrays(g1, m.states, state_grads=True).items():
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
