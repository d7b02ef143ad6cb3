"""lstmlib.tasks: shapes, determinism from the seed, the tasks' rules, and their baselines measured."""
import numpy as np
import pytest

from lstmlib import losses, tasks


@pytest.mark.parametrize("form", ["modern", "original"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adding_shapes_dtypes(form, dtype):
    X, y = tasks.adding_problem(30, 7, np.random.default_rng(0), form=form, dtype=dtype)
    assert X.shape == (30, 7, 2) and y.shape == (7, 1)
    assert X.dtype == dtype and y.dtype == dtype


def test_generators_are_pure_functions_of_the_seed():
    for gen in (lambda r: tasks.adding_problem(20, 5, r), lambda r: tasks.adding_problem(20, 5, r, form="original"),
                lambda r: tasks.temporal_order(20, 5, r)):
        a, b, c = gen(np.random.default_rng(3)), gen(np.random.default_rng(3)), gen(np.random.default_rng(4))
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
        assert not np.array_equal(a[0], c[0])
    # an int seed works like default_rng(seed)
    assert np.array_equal(tasks.adding_problem(8, 2, 5)[0], tasks.adding_problem(8, 2, np.random.default_rng(5))[0])


def test_modern_adding_rules():
    T, n = 40, 500
    X, y = tasks.adding_problem(T, n, np.random.default_rng(1), dtype=np.float64)
    marks = X[:, :, 1]
    assert np.all((marks == 0) | (marks == 1))
    assert np.all(marks.sum(axis=0) == 2)
    first = np.argmax(marks, axis=0)
    second = T - 1 - np.argmax(marks[::-1], axis=0)
    assert np.all(first < T // 2) and np.all(second >= T // 2)
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] <= 1))
    np.testing.assert_allclose(y[:, 0], (X[:, :, 0] * marks).sum(axis=0))


def test_original_adding_rules():
    T, n = 30, 2000
    X, y = tasks.adding_problem(T, n, np.random.default_rng(2), form="original", dtype=np.float64)
    marks = X[:, :, 1]
    ones = marks == 1
    assert np.all(ones.sum(axis=0) == 2)
    pos = [np.flatnonzero(ones[:, j]) for j in range(n)]
    assert all(p[1] < T // 2 - 1 for p in pos)  # both among the first T/2 - 1 steps
    first_markers = np.array([p.min() for p in pos])
    assert first_markers.max() < T // 2 - 1
    # -1 at the first and last steps unless marked
    assert np.all((marks[0] == -1) | ones[0]) and np.all(marks[-1] == -1)
    assert np.all(np.abs(X[:, :, 0]) <= 1)
    vals = np.where(np.arange(T)[:, None] == 0, 0.0, X[:, :, 0])  # a value marked at step 0 counts 0
    np.testing.assert_allclose(y[:, 0], 0.5 + (vals * ones).sum(axis=0) / 4)
    # the rare case happens at this size, so the zeroing rule is exercised
    assert ones[0].any()


def test_original_first_marker_window():
    X, _ = tasks.adding_problem(100, 3000, np.random.default_rng(0), form="original", dtype=np.float64)
    ones = X[:, :, 1] == 1
    firsts = [np.flatnonzero(ones[:, j]) for j in range(ones.shape[1])]
    # one of the two markers always lies in the first 10 steps
    assert all(p.min() < 10 for p in firsts)
    assert max(p.max() for p in firsts) < 49


def test_temporal_order_rules():
    T, n = 100, 400
    X, y = tasks.temporal_order(T, n, np.random.default_rng(5))
    assert X.shape == (T, n, 8) and y.shape == (n,) and y.dtype == np.int64
    assert np.all(X.sum(axis=2) == 1)  # one-hot
    sym = X.argmax(axis=2)
    S = tasks.TEMPORAL_ORDER_SYMBOLS
    assert np.all(sym[0] == S.index("E")) and np.all(sym[-1] == S.index("B"))
    relevant = (sym == S.index("X")) | (sym == S.index("Y"))
    assert np.all(relevant.sum(axis=0) == 2)
    for j in range(n):
        t1, t2 = np.flatnonzero(relevant[:, j])
        assert 10 <= t1 <= 20 and 50 <= t2 <= 60  # the paper's windows at T = 100
        order = S[sym[t1, j]] + S[sym[t2, j]]
        assert tasks.TEMPORAL_ORDER_CLASSES[y[j]] == order
    assert set(np.unique(y)) == {0, 1, 2, 3}


@pytest.mark.parametrize("T", [10, 11, 17, 33, 64])
def test_temporal_order_small_T(T):
    X, _ = tasks.temporal_order(T, 50, np.random.default_rng(T))
    sym = X.argmax(axis=2)
    relevant = (sym == 4) | (sym == 5)
    assert np.all(relevant.sum(axis=0) == 2)
    assert not relevant[0].any() and not relevant[-1].any()


def test_baselines_measured():
    # predicting the mean of the modern adding problem scores 1/6 (the variance of a sum of two U(0, 1))
    _, y = tasks.adding_problem(10, 60_000, np.random.default_rng(0), dtype=np.float64)
    loss, _ = losses.mse(np.full_like(y, 1.0), y)
    assert loss == pytest.approx(1 / 6, rel=0.015)
    measured = tasks.constant_baseline(tasks.adding_task(10), 60_000)
    assert measured == pytest.approx(tasks.ADDING_BASELINE_MSE, rel=0.015)
    for T in (8, 20):  # the original form's exact figure, which counts a value marked at step 0 as 0
        t = tasks.adding_task(T, form="original")
        assert t.baseline_loss == tasks.original_adding_baseline(T)
        assert tasks.constant_baseline(t, 60_000) == pytest.approx(t.baseline_loss, rel=0.015)
    # the zeroing rule lowers the idealised 1/24 by a few per cent at T = 50
    assert tasks.original_adding_baseline(50) == pytest.approx(tasks.ADDING_ORIGINAL_BASELINE_MSE, rel=0.08)
    assert tasks.original_adding_baseline(50) < tasks.ADDING_ORIGINAL_BASELINE_MSE
    to = tasks.temporal_order_task(12)
    assert tasks.constant_baseline(to, 60_000) == pytest.approx(np.log(4), rel=0.002)
    assert to.chance_accuracy == 0.25 and to.baseline_loss == pytest.approx(np.log(4))


def test_original_baseline_exact_small_case():
    # T = 6: both markers among steps 0, 1; each is at step 0 half the time
    assert tasks.original_adding_baseline(6) == pytest.approx((0.5 / 3 + 0.5 / 3) / 16)


def test_task_objects():
    """The tasks generate float32 unless asked; models take that exactly (test_validation)."""
    t = tasks.adding_task(12)
    assert (t.T, t.input_size, t.output_size, t.loss) == (12, 2, 1, "mse")
    X, y = t.sample(4, np.random.default_rng(0))
    assert X.shape == (12, 4, 2) and y.shape == (4, 1) and X.dtype == np.float32
    c = tasks.temporal_order_task(12)
    X, y = c.sample(3, np.random.default_rng(0), dtype=np.float64)
    assert X.shape == (12, 3, 8) and X.dtype == np.float64 and c.loss == "xent" and c.output_size == 4


def test_adding_solved():
    y = np.array([[0.5], [0.7]])
    assert tasks.adding_solved(y + 0.039, y)
    assert not tasks.adding_solved(y + np.array([[0.0], [0.05]]), y)
    with pytest.raises(ValueError, match="pred"):
        tasks.adding_solved(y[:1], y)


@pytest.mark.parametrize("call, name", [
    (lambda: tasks.adding_problem(0, 3, 0), "T"),
    (lambda: tasks.adding_problem(1, 3, 0), "T"),
    (lambda: tasks.adding_problem(5, 3, 0, form="original"), "T"),
    (lambda: tasks.adding_problem(10, 0, 0), "n"),
    (lambda: tasks.adding_problem(10, 2.5, 0), "n"),
    (lambda: tasks.adding_problem(10, 2, "seed"), "rng"),
    (lambda: tasks.adding_problem(10, 2, 0, form="new"), "form"),
    (lambda: tasks.adding_problem(10, 2, 0, dtype=np.int32), "dtype"),
    (lambda: tasks.temporal_order(9, 2, 0), "T"),
    (lambda: tasks.adding_task(10, form="x"), "form"),
    (lambda: tasks.constant_baseline("adding"), "task"),
    (lambda: tasks.original_adding_baseline(5), "T"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
