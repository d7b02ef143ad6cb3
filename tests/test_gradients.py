"""Every parameter and every input gradient of every model against centred finite differences,
in float64, on random sizes: T 1-12, B 1-4, D 1-5, H 1-6, within 1e-7 relative error."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmlib as ll
from helpers import MODEL_CASES, make_case

sizes = st.tuples(st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6),
                  st.integers(0, 2**31 - 1))


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
@settings(max_examples=40)
@given(sizes)
def test_every_gradient_matches_finite_differences(model, s):
    T, B, D, H, seed = s
    p, X, states, G, forward, backward, kw = make_case(model, T, B, D, H, seed)
    report = ll.check_gradients(p, X, np.random.default_rng(seed), states=states, out_grad=G,
                                forward_kwargs=kw, stencil="five-point", tol=1e-7, atol=0.0)
    expected = set(p.names) | {"X"} | set(states)
    assert {r.name for r in report.rows} == expected
    assert report.passed, str(report)


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_gradients_with_loss_at_last_step_only_and_large_weights(model):
    """Saturated gates and a single loss term: the regime where missing terms hide best."""
    p, X, states, G, forward, backward, kw = make_case(model, 8, 2, 3, 4, seed=99)
    p.weights[...] *= 3.0
    G[:-1] = 0
    report = ll.check_gradients(p, X, 0, states=states, out_grad=G, forward_kwargs=kw,
                                stencil="five-point")
    assert report.passed, str(report)


def test_relu_rnn_gradients():
    # relu has a kink at 0; random pre-activations are almost surely far from it at these sizes
    p, X, states, G, *_ = make_case("rnn_tanh", 6, 3, 4, 5, seed=5)
    report = ll.check_gradients(p, X, 0, states=states, out_grad=G, forward_kwargs={"activation": "relu"})
    assert report.passed, str(report)


def test_step_backward_gradients_match_finite_differences():
    """The readable one-step functions are checked on their own too (the sequence test ties them)."""
    rng = np.random.default_rng(2)
    p = ll.LSTMParams.init(3, 4, rng)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    Gh, Gc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))

    def loss():
        h1, c1, _ = ll.lstm_step_forward(x, h, c, p)
        return float(np.sum(Gh * h1) + np.sum(Gc * c1))

    h1, c1, k = ll.lstm_step_forward(x, h, c, p)
    # dE/dc_t arriving from outside is Gc: the step adds the path through h itself
    dx, dh_prev, dc_prev, g = ll.lstm_step_backward(Gh, Gc, k)
    numeric = {n: ll.gradcheck.numerical_gradient(loss, a) for n, a in p.named().items()}
    numeric.update(x=ll.gradcheck.numerical_gradient(loss, x), h=ll.gradcheck.numerical_gradient(loss, h),
                   c=ll.gradcheck.numerical_gradient(loss, c))
    analytic = dict(g.named(), x=dx, h=dh_prev, c=dc_prev)
    report = ll.gradcheck.compare_gradients(analytic, numeric)
    assert report.passed, str(report)
