import dataclasses

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import gradcheck as gc


def test_numerical_gradient_of_known_function_and_restores_input():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    view = a[:, ::-1]  # strided view, perturbed in place
    before = a.copy()
    grad = gc.numerical_gradient(lambda: float(np.sum(a ** 3)), view)
    np.testing.assert_allclose(grad, 3 * view ** 2, rtol=1e-8)
    np.testing.assert_array_equal(a, before)
    five = gc.numerical_gradient(lambda: float(np.sum(np.sin(a))), a, stencil="five-point")
    np.testing.assert_allclose(five, np.cos(a), rtol=1e-11)
    with pytest.raises(ValueError, match="stencil: expected one of"):
        gc.numerical_gradient(lambda: 0.0, a, stencil="forward")


def test_relative_error_definition():
    assert gc.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gc.relative_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0
    assert gc.relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-6])) == pytest.approx(2e-7, rel=1e-3)


def test_check_detects_a_broken_backward():
    """A backward that forgets the cell-state carry must fail the check, loudly."""
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(2, 3, rng)
    X = rng.standard_normal((4, 2, 2))

    def broken(dhs, cache):
        g = ll.lstm_backward(dhs, cache)
        return dataclasses.replace(g, bias=g.bias * 0.5)

    report = gc.check_gradients(p, X, rng, backward=broken)
    assert not report.passed
    assert set(report.failed) == {"b_f", "b_i", "b_c", "b_o"}
    assert report["b_f"].relative_error == pytest.approx(0.5, rel=1e-6)
    assert report.max_relative_error() == pytest.approx(0.5, rel=1e-6)
    text = str(report)
    assert "FAIL" in text and "4 of 15 fail" in text


def test_report_text_is_stable_below_display_floor():
    rows = (gc.GradcheckRow("W", (2, 2), 3.21e-10, 4.5e-11, True),
            gc.GradcheckRow("b", (2,), 0.123456, 0.5, False))
    text = str(gc.GradcheckReport(rows, tol=1e-7, atol=1e-10))
    assert "< 1e-08" in text and "0.12" in text and "0.123456" not in text
    assert "1 of 2 fail" in text


def test_check_gradients_rejects_bad_states():
    p = ll.GRUParams.init(2, 3, 0)
    with pytest.raises(ValueError, match="states: expected keys among"):
        gc.check_gradients(p, np.zeros((2, 1, 2)), 0, states={"c0": np.zeros((1, 3))})
    with pytest.raises(ValueError, match="p: expected LSTMParams, GRUParams or RNNParams"):
        gc.check_gradients(object(), np.zeros((2, 1, 2)), 0)
