"""Every parameter gradient of every model, and the gradients of X and of every initial state,
against five-point finite differences in float64 on random sizes (T 1-12, B 1-4, D 1-5, H 1-6),
within 1e-7 relative error: the fused passes (what training runs) on random cases, the readable
loops and the step functions on fixed ones. With ``final_grads`` the loss also reads the final
states, which checks the gradients a backward pass accepts from a later chunk."""
import numpy as np
import pytest
from helpers import NAMES, SIZES, SMOOTH, examples, make_case, relu_margin
from hypothesis import assume, given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib.gradcheck import compare_gradients, numerical_gradient

# relu: pre-activations nearer than RELU_MARGIN to the kink are rejected, and the stencil's step
# is small enough that its perturbations (a few eps times an activation) never cross it. A unit
# that is off has an exactly zero gradient, where the stencil's own rounding (~1e-13 at this eps)
# makes the relative error 1: RELU_ATOL accepts that noise and nothing a missing term could cause.
RELU_MARGIN, RELU_EPS, RELU_ATOL = 1e-3, 1e-5, 1e-9


def _check(case, *, final_grads, reference=False, **kw):
    relu = case.variant == "rnn_relu"
    return ll.check_gradients(case.X, case.p, np.random.default_rng(0), state=case.state,
                              out_grad=case.G, final_grads=final_grads, reference=reference,
                              stencil="five-point", eps=RELU_EPS if relu else None, tol=1e-7,
                              atol=RELU_ATOL if relu else 0.0, **kw)


def _expected_rows(case):
    return list(case.p.names) + ["X"] + (["h0", "c0"] if case.model.has_cell else ["h0"])


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True], ids=["fused", "readable"])
@examples(3)
@given(SIZES, st.booleans())
def test_gradients_match_finite_differences_on_random_shapes(variant, reference, sizes, final_grads):
    T, B, D, H, seed = sizes
    case = make_case(variant, T, B, D, H, seed)
    if variant == "rnn_relu":
        assume(relu_margin(case.X, case.p, case.state) > RELU_MARGIN)
    report = _check(case, final_grads=final_grads, reference=reference)
    assert [r.name for r in report.rows] == _expected_rows(case)
    assert report.passed, str(report)


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [True, False], ids=["readable", "fused"])
def test_fixed_case_gradients_match_finite_differences(variant, reference):
    """One fixed case of every variant, readable and fused, with a loss on the outputs and on the
    final state: every path is certainly checked for every model, whatever hypothesis draws above."""
    case = make_case(variant, 5, 2, 3, 4, seed=31)
    if variant == "rnn_relu":
        assert relu_margin(case.X, case.p, case.state) > RELU_MARGIN
    report = _check(case, final_grads=True, reference=reference)
    assert [r.name for r in report.rows] == _expected_rows(case)  # every parameter, X and the state
    assert report.passed, str(report)


@pytest.mark.parametrize("variant", SMOOTH)
def test_gradients_with_saturated_gates_and_a_loss_at_the_last_step_only(variant):
    """Large weights saturate the gates, and a single loss term: where missing terms hide best."""
    case = make_case(variant, 6, 2, 3, 4, seed=99)
    case.p.weights[...] *= 3.0
    case.G[:-1] = 0
    for reference in (False, True):
        report = _check(case, final_grads=False, reference=reference)
        assert report.passed, str(report)


def test_relu_rnn_gradient_is_zero_where_the_units_are_off():
    """The relu's derivative is 0 below the kink: a unit held off gets no gradient at all."""
    case = make_case("rnn_relu", 6, 3, 4, 5, seed=5)
    case.p.b[0] = -50.0  # unit 0 never turns on
    _, cache = case.forward()
    assert np.all(cache.hs[:, :, 0] == 0)
    g = case.model.backward(case.G, cache)
    assert np.all(g.b[0] == 0) and np.all(g.U[0] == 0) and np.all(g.W[0] == 0)
    assert np.all(g.b[1:] != 0)
    report = _check(case, final_grads=True)
    assert report.passed, str(report)


# ---- the step functions, on their own ----------------------------------------------------------
@pytest.mark.parametrize("variant", NAMES)
def test_step_backward_matches_finite_differences(variant):
    """One step of each readable model: the loss reads the new state (h, and c for the LSTM); the
    step backward's parameter gradients, ``dX`` and what goes back to the previous state are
    checked."""
    case = make_case(variant, 1, 3, 3, 4, seed=2)
    m, p = case.model, case.p
    if variant == "rnn_relu":
        assert relu_margin(case.X, p, case.state) > RELU_MARGIN
    x = case.X[0]
    prev = m.state_arrays(case.state)  # perturbed in place below
    start = ll.LSTMState(*prev) if m.has_cell else prev[0]
    dstate = ll.LSTMState(case.G[0], case.dstate.c) if m.has_cell else case.G[0]

    def loss():
        new, _ = m.step_forward(x, p, start)
        pairs = zip(m.state_arrays(dstate), m.state_arrays(new), strict=True)
        return sum(float(np.sum(G * a)) for G, a in pairs)

    _, k = m.step_forward(x, p, start)
    # for the LSTM, dstate.c is dE/dc_t arriving from outside h: the step adds the path through h
    g = m.step_backward(dstate, k)
    assert type(g) is m.grads
    np.testing.assert_array_equal(g.dh, case.G[0])
    eps = RELU_EPS if variant == "rnn_relu" else None
    numeric = {n: numerical_gradient(loss, a, eps, "five-point") for n, a in p.named().items()}
    numeric["x"] = numerical_gradient(loss, x, eps, "five-point")
    analytic = dict(g.named(), x=g.dX)
    for n, a, d in zip(("h_prev", "c_prev"), prev, m.state_arrays(g.dstate0)):
        numeric[n] = numerical_gradient(loss, a, eps, "five-point")
        analytic[n] = d
    report = compare_gradients(analytic, numeric, tol=1e-7, atol=RELU_ATOL if eps else 0.0)
    assert len(report.rows) == len(p.names) + 1 + len(prev)
    assert report.passed, str(report)
    if m.has_cell:  # the total dE/dc_t: dstate.c plus the path through h_t = o tanh(c_t)
        np.testing.assert_allclose(g.dc, dstate.c + dstate.h * k.o * (1 - k.tanh_c ** 2), rtol=1e-14)
