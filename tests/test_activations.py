import numpy as np
import pytest

from lstmlib import activations as A


def test_sigmoid_matches_definition_in_moderate_range():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(A.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extreme_inputs_no_warning_and_exact_limits(dtype):
    # pytest's filterwarnings=error turns an overflow RuntimeWarning into a failure
    x = np.array([-1e4, -800.0, 800.0, 1e4], dtype=dtype)
    y = A.sigmoid(x)
    assert y.dtype == dtype
    assert np.array_equal(y, np.array([0, 0, 1, 1], dtype=dtype))


def test_sigmoid_keeps_relative_precision_of_tiny_outputs():
    # 1 - sigmoid(50) would round to 0; sigmoid(-50) must not
    assert A.sigmoid(np.float64(-50.0)) == pytest.approx(np.exp(-50.0) / (1 + np.exp(-50.0)), rel=1e-14)


def test_sigmoid_in_place_matches_out_of_place():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)) * 40
    expected = A.sigmoid(a)
    assert A.sigmoid_(a) is a
    np.testing.assert_array_equal(a, expected)


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_derivative_through_output_matches_finite_differences(name):
    f, f_prime = A.ACTIVATIONS[name]
    x = np.linspace(-4, 4, 81)
    x = x[np.abs(x) > 1e-3]  # relu has a kink at 0
    eps = 1e-6
    numeric = (f(x + eps) - f(x - eps)) / (2 * eps)
    np.testing.assert_allclose(f_prime(f(x)), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_derivative_bound_is_the_maximum(name):
    f, f_prime = A.ACTIVATIONS[name]
    d = f_prime(f(np.linspace(-10, 10, 20001)))
    assert d.max() <= A.DERIVATIVE_BOUND[name] + 1e-12
    assert d.max() >= A.DERIVATIVE_BOUND[name] - 1e-6
