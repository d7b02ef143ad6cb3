"""lstmlib.gradcheck: the finite differences themselves, the report, and that a check flags a broken
backward pass exactly where it is broken."""
import dataclasses

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import article
from lstmlib import gradcheck as gc

ALL_LSTM_ROWS = set(ll.LSTMParams.names) | {"X", "h0", "c0"}


def test_numerical_gradient_of_known_function_and_restores_input():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    view = a[:, ::-1]  # strided view, perturbed in place
    before = a.copy()
    grad = gc.numerical_gradient(lambda: float(np.sum(a ** 3)), view)
    np.testing.assert_allclose(grad, 3 * view ** 2, rtol=1e-8)
    np.testing.assert_array_equal(a, before)
    five = gc.numerical_gradient(lambda: float(np.sum(np.sin(a))), a, stencil="five-point")
    np.testing.assert_allclose(five, np.cos(a), rtol=1e-11)
    np.testing.assert_array_equal(a, before)
    with pytest.raises(ValueError, match="stencil: expected one of"):
        gc.numerical_gradient(lambda: 0.0, a, stencil="forward")


def test_five_point_stencil_is_more_accurate_than_centred():
    a = np.array([0.3, -1.1])
    exact = np.exp(a) * 3
    centred = gc.numerical_gradient(lambda: float(np.sum(3 * np.exp(a))), a, eps=1e-2)
    five = gc.numerical_gradient(lambda: float(np.sum(3 * np.exp(a))), a, eps=1e-2, stencil="five-point")
    assert np.abs(five - exact).max() < 1e-7 < np.abs(centred - exact).max()


def test_relative_error_definition():
    assert gc.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gc.relative_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0
    assert gc.relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-6])) == pytest.approx(2e-7, rel=1e-3)


def _dropped_carry_backward(dhs, cache, dstate=None):
    """The readable LSTM backward with the cell-state carry dropped: each step's backward is handed
    ``dc=None`` instead of ``dc_{t+1} * f_{t+1}`` from the step after it. Nothing else changes."""
    steps, dh = [], np.zeros_like(dhs[0])
    for t in reversed(range(len(cache.steps))):
        steps.append(ll.lstm_step_backward(ll.LSTMState(dhs[t] + dh, None), cache.steps[t]))
        dh = steps[-1].dh0
    steps.reverse()
    return ll.LSTMGrads(sum(s.weights for s in steps), sum(s.bias for s in steps),
                        dX=np.stack([s.dX for s in steps]), dh0=dh, dc0=steps[0].dc0)


def _lstm_case(T, seed=0):
    rng = np.random.default_rng(seed)
    p = ll.LSTMParams.init(2, 3, rng)
    X = rng.standard_normal((T, 2, 2))
    state = ll.LSTMState(rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    return X, p, state, rng


@pytest.mark.parametrize("broken", [_dropped_carry_backward,
                                    article.article_backward_with(article.ArticleErrata(no_cell_carry=True))],
                         ids=["readable-steps-without-carry", "article-no_cell_carry"])
def test_check_flags_a_backward_that_drops_the_cell_state_carry(broken):
    """Without the carry, dE/dc_t misses dc_{t+1} f_{t+1}: with random initial states and a loss at
    every step of T = 5, every array depends on that path (through the gates at earlier steps and
    the recurrent h), so every row fails. At T = 1 there is nothing to carry: every row passes."""
    X, p, state, rng = _lstm_case(T=5)
    report = gc.check_gradients(X, p, rng, state=state, backward=broken, reference=True)
    assert set(report.failed) == ALL_LSTM_ROWS, str(report)
    assert report["W_fh"].relative_error > 1e-3  # loudly, not at the tolerance's edge
    X1, p1, state1, rng1 = _lstm_case(T=1)
    assert gc.check_gradients(X1, p1, rng1, state=state1, backward=broken, reference=True).passed
    # the correct readable backward passes the same check
    assert gc.check_gradients(X, p, rng, state=state, reference=True).passed


def test_check_flags_exactly_the_halved_biases():
    """A different breakage, for contrast: halving the bias gradients fails the four biases only,
    by exactly 1/2, at any length (including T = 1, where dropping the carry cannot show)."""

    def halved_bias(dhs, cache, dstate=None):
        g = ll.lstm_backward(dhs, cache, dstate)
        return dataclasses.replace(g, bias=g.bias * 0.5)

    for T in (1, 4):
        X, p, state, rng = _lstm_case(T)
        report = gc.check_gradients(X, p, rng, state=state, backward=halved_bias, reference=True)
        assert not report.passed
        assert set(report.failed) == {"b_f", "b_i", "b_c", "b_o"}
        assert report["b_f"].relative_error == pytest.approx(0.5, rel=1e-6)
        assert report.max_relative_error() == pytest.approx(0.5, rel=1e-6)
        text = str(report)
        assert "FAIL" in text and "4 of 15 fail" in text


def test_check_gradients_on_final_states_flags_a_backward_that_ignores_them():
    X, p, state, _ = _lstm_case(T=3)

    def ignores_final(dhs, cache, dstate=None):
        return ll.lstm_backward(dhs, cache)  # drops dstate

    assert gc.check_gradients(X, p, 0, state=state, final_grads=True).passed
    report = gc.check_gradients(X, p, 0, state=state, final_grads=True, backward=ignores_final,
                                reference=True)
    assert set(report.failed) == ALL_LSTM_ROWS
    assert gc.check_gradients(X, p, 0, state=state, backward=ignores_final, reference=True).passed


@pytest.mark.parametrize("reference", [False, True])
def test_article_backward_takes_the_final_state_gradient(reference):
    """Regression (issue 14): ``check_gradients(backward=article_backward_with(...),
    final_grads=True)`` raised TypeError: the article-style backward did not take the gradient
    arriving at the final state."""
    X, p, state, _ = _lstm_case(T=4)
    correct = gc.check_gradients(X, p, 0, state=state, final_grads=True, reference=reference,
                                 backward=article.article_backward_with(article.CORRECT))
    assert correct.passed, str(correct)
    # the final-state gradient is really used: without the cell carry, it cannot reach c0 and the rest
    no_carry = article.article_backward_with(article.ArticleErrata(no_cell_carry=True))
    broken = gc.check_gradients(X, p, 0, state=state, final_grads=True, reference=reference, backward=no_carry)
    assert {"W_fh", "c0"} <= set(broken.failed)


def test_report_text_is_stable_below_display_floor():
    rows = (gc.GradcheckRow("W", (2, 2), 3.21e-10, 4.5e-11, 1e-9, "relative"),
            gc.GradcheckRow("b", (2,), 0.123456, 0.5, 1e-9, "FAIL"))
    report = gc.GradcheckReport(rows, tol=1e-7, atol=1e-10)
    text = str(report)
    assert "< 1e-08" in text and "0.12" in text and "0.123456" not in text
    assert "1 of 2 fail" in text and report.failed == ("b",)
    assert report["W"].passed and report.max_relative_error() == 0.123456
    with pytest.raises(KeyError):
        report["X"]


def test_report_lines_up_by_the_width_it_is_given():
    """A translation may widen a header; with a display width (two columns per wide character) the
    header, the rule and the rows keep one width on screen, and the English table is unchanged."""
    rows = (gc.GradcheckRow("W_fh", (4, 4), 3.21e-10, 4.5e-11, 1e-9, "relative"),
            gc.GradcheckRow("b_f", (4,), 0.123456, 0.5, 1e-9, "FAIL"))
    report = gc.GradcheckReport(rows, tol=1e-7, atol=1e-10)
    assert report.format(width=len) == str(report)
    labels = {"array": "数组", "relative error": "相对误差", "FD error": "有限差分误差", "pass": "通过",
              "FAIL": "失败", "result": "结果"}

    def tr(message, **fields):
        return labels.get(message, message).format(**fields)

    def wide(text):  # a CJK character takes two columns
        return sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in text)

    head, rule, *body = report.format(tr, width=wide).splitlines()
    assert set(rule) == {"-"} and wide(rule) == wide(head)  # the verdicts' header ends the widest line
    end = wide(head[:head.index("有限差分误差")]) + wide("有限差分误差")
    for line, row in zip(body, rows):  # each FD error ends in the column where its header ends
        assert line[:end].endswith(report._fmt_fd(row)), (line, end)
    assert [wide(line) for line in body[:2]] == [wide(head)] * 2


def test_compare_gradients_passes_on_any_of_its_three_criteria():
    a = {"x": np.array([1.0, 2.0]), "y": np.array([1e-12, 0.0]), "z": np.array([1.0, 1.0])}
    n = {"x": np.array([1.0, 2.0 + 1e-9]), "y": np.array([0.0, 0.0]), "z": np.array([1.0, 1.0 + 1e-4])}
    fd = {"x": np.zeros(2), "y": np.zeros(2), "z": np.array([0.0, 1e-4])}
    report = gc.compare_gradients(a, n, fd, tol=1e-7, atol=1e-10)
    # x by its relative error, y (relative error 1) by its absolute error, z by the FD error estimate
    assert [r.decided_by for r in report.rows] == ["relative", "absolute", "within FD error"]
    assert report.passed and report["y"].relative_error == 1.0
    assert gc.compare_gradients(a, n, tol=1e-7, atol=0.0).failed == ("y", "z")
    assert "pass (within FD error)" in str(report) and "pass (abs)" in str(report)
    with pytest.raises(ValueError, match=r"analytic\['x'\]: expected shape \(3,\), got \(2,\)"):
        gc.compare_gradients(a, {"x": np.zeros(3)})


def test_check_gradients_rows_options_and_inputs_left_alone():
    X, p, state, _ = _lstm_case(T=3)
    before = [a.copy() for a in (X, *state, *p.arrays())]
    report = gc.check_gradients(X, p, 0, state=state)
    assert [r.name for r in report.rows] == list(p.names) + ["X", "h0", "c0"]
    for a, b in zip((X, *state, *p.arrays()), before):
        np.testing.assert_array_equal(a, b)
    assert [r.name for r in gc.check_gradients(X, p, 0, inputs=False).rows] == list(p.names)
    q = ll.GRUParams.init(2, 3, 0, reset_after=True)
    assert [r.name for r in gc.check_gradients(X, q, 0).rows] == list(q.names) + ["X", "h0"]


def test_a_float32_model_is_checked_in_float64_and_says_so():
    """Issue 18: float32 rounding swamps finite differences (every row "failed" for a correct
    backward); the check runs on a float64 copy, passes, and its report says why."""
    X, p, state, _ = _lstm_case(T=4)
    p32 = p.astype(np.float32)
    report = gc.check_gradients(X.astype(np.float32), p32, 0)
    assert report.passed, str(report)
    assert report.note == gc.FLOAT32_NOTE and str(report).endswith(gc.FLOAT32_NOTE)
    assert p32.dtype == np.float32  # the caller's parameters are left as they were
    assert gc.check_gradients(X, p, 0).note == ""


def test_large_weights_pass_where_the_finite_differences_cannot_decide():
    """Issue 18: with weights of scale 100 the gates saturate and finite differences err more than
    the tolerance; a correct backward passes (by the FD error estimate or by its tiny absolute
    error), and the printout shows the figure that decided each row."""
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(3, 4, 0, scale=100.0)
    report = gc.check_gradients(rng.standard_normal((5, 2, 3)), p, 0)
    assert report.passed, str(report)
    decided = {r.decided_by for r in report.rows}
    assert decided - {"relative"}  # the relative error alone would not have passed it
    for r in report.rows:
        line = next(x for x in str(report).splitlines() if x.startswith(r.name + " "))
        if r.decided_by == "absolute":
            assert f"{r.max_abs_error:.2g}" in line  # the absolute error that decided it, in full
        if r.decided_by == "within FD error":
            assert f"{r.numeric_error:.2g}" in line
    # ... while a real mistake still fails at that scale
    def no_input_grad(dhs, cache, dstate=None):
        return dataclasses.replace(ll.fused.lstm_backward(dhs, cache, dstate), dX=np.zeros_like(cache.X))
    assert "X" in gc.check_gradients(rng.standard_normal((5, 2, 3)), p, 0, backward=no_input_grad).failed


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4, 7])
def test_numerical_gradient_restores_the_array_when_the_loss_raises(fail_at):
    """Regression (issue 14): when ``loss()`` raised, the entry being perturbed stayed perturbed
    (a weight was left at 2.000001)."""
    a = np.array([[2.0, 3.0], [-1.0, 0.5]])
    view = a[:, ::-1]  # a strided view, as the parameters' names are
    before = a.copy()
    calls = []

    def loss():
        calls.append(1)
        if len(calls) == fail_at:
            raise RuntimeError("the loss failed")
        return float(np.sum(a ** 2))

    with pytest.raises(RuntimeError, match="the loss failed"):
        gc.numerical_gradient(loss, view, stencil="five-point")
    np.testing.assert_array_equal(a, before)  # bit for bit, whichever evaluation raised


@pytest.mark.parametrize("eps", [0, 0.0, -1e-6, 1.0, float("nan"), "1e-6"])
def test_numerical_gradient_refuses_a_step_it_cannot_use(eps):
    """Issue 18: ``eps=0`` divided by zero."""
    with pytest.raises(ValueError, match="^eps: expected"):
        gc.numerical_gradient(lambda: 0.0, np.zeros(2), eps)
    X, p, _, _ = _lstm_case(T=2)
    with pytest.raises(ValueError, match="^eps: expected"):
        gc.check_gradients(X, p, 0, eps=eps)


def test_check_gradients_rejects_bad_arguments():
    p = ll.GRUParams.init(2, 3, 0)
    X = np.zeros((2, 1, 2))
    with pytest.raises(ValueError, match=r"^state: expected the array h \(B, H\).*got a tuple of 2"):
        gc.check_gradients(X, p, 0, state=(np.zeros((1, 3)), np.zeros((1, 3))))
    with pytest.raises(ValueError, match=r"^state: expected shape \(B=1, H=3\)"):
        gc.check_gradients(X, p, 0, state=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="^p: expected RNNParams, LSTMParams, GRUParams or VariantLSTMParams, got object"):
        gc.check_gradients(X, object(), 0)
    with pytest.raises(ValueError, match=r"^X: expected shape \(T, B, D=2\)"):
        gc.check_gradients(np.zeros((2, 1, 3)), p, 0)
    with pytest.raises(ValueError, match=r"^out_grad: expected shape \(T=2, B=1, H=3\)"):
        gc.check_gradients(X, p, 0, out_grad=np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="^rng: expected a np.random.Generator"):
        gc.check_gradients(X, p, "seed")
    with pytest.raises(ValueError, match="^stencil: expected one of"):
        gc.check_gradients(X, p, 0, stencil="forward")
