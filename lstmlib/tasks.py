"""Synthetic sequence tasks from a seed (no downloads): the adding problem and temporal order.

Each generator is a pure function of ``(T, n, rng)`` returning time-major inputs ``X (T, n, D)``
and targets; the same generator and seed always give the same arrays. A ``Task`` bundles a generator
with what a training loop needs to know about it: sizes, which loss to use, and the loss of the best
*constant* prediction (the baseline a model that ignores its input can reach).

Both tasks come from Hochreiter & Schmidhuber (1997), the paper that introduced the LSTM. Only two
steps of a long sequence matter; everything between them is distraction, so a model must carry
information across the whole gap, and the gradient must flow back across it.

* ``adding_problem`` (their Experiment 4): two marked values among ``T`` random ones; the target
  depends on those two alone. The common modern form (Le, Jaitly & Hinton 2015; Arjovsky et al.
  2016): values in [0, 1], target the sum, best constant prediction 1 with MSE 1/6. The original
  form: values in [-1, 1], target ``0.5 + (X1 + X2) / 4``, best constant 0.5 with MSE 1/24.
* ``temporal_order`` (their Experiment 6a): two relevant symbols, each X or Y, at two random places
  among distractor symbols; the class is their order, one of XX, XY, YX, YY. Chance accuracy 1/4,
  best constant cross-entropy ln 4.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from . import _validate

__all__ = [
    "adding_problem", "temporal_order", "Task", "adding_task", "temporal_order_task",
    "ADDING_BASELINE_MSE", "ADDING_ORIGINAL_BASELINE_MSE", "TEMPORAL_ORDER_SYMBOLS",
    "TEMPORAL_ORDER_CLASSES", "adding_solved", "constant_baseline", "original_adding_baseline",
]

ADDING_BASELINE_MSE = 1.0 / 6.0
"""Modern adding problem: the variance of a sum of two U(0, 1) values, 2 * 1/12."""

ADDING_ORIGINAL_BASELINE_MSE = 1.0 / 24.0
"""Original adding problem: the variance of ``(X1 + X2) / 4`` for X1, X2 ~ U(-1, 1): 2 * (1/3) / 16.
(A value marked at the first step counts as 0, which lowers the exact figure a little:
``original_adding_baseline(T)``.)"""


def original_adding_baseline(T: int) -> float:
    """The exact best-constant MSE of ``adding_problem(T, form="original")``: the target's
    variance ``(Var v1 + Var v2) / 16``, where a marked value is U(-1, 1) (variance 1/3) except at
    the first step, where it counts as 0. The first marker is uniform over ``m1 = min(10, T/2 - 1)``
    steps, the second over the other ``m2 - 1`` of the first ``m2 = T/2 - 1`` steps."""
    T = _validate.positive_int(T, "T")
    if T < 6:
        raise ValueError(f"T: expected a sequence length >= 6, got {T}")
    m2 = T // 2 - 1
    m1 = min(10, m2)
    p1 = 1.0 / m1  # P(first marker at step 0)
    p2 = (1.0 - p1) / (m2 - 1)  # P(second marker at step 0)
    return ((1.0 - p1) / 3.0 + (1.0 - p2) / 3.0) / 16.0

TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "E", "B")
"""Input alphabet of the temporal order task, in one-hot order: four distractors, the two relevant
symbols, and the start (E) and end (B) markers."""

TEMPORAL_ORDER_CLASSES = ("XX", "XY", "YX", "YY")
"""Class ``k`` of the temporal order task: the relevant symbols in the order they appeared."""


def _sizes(T, n, rng, min_T: int):
    T = _validate.positive_int(T, "T")
    if T < min_T:
        raise ValueError(f"T: expected a sequence length >= {min_T}, got {T}")
    return T, _validate.positive_int(n, "n"), _validate.rng(rng)


def _distinct_positions(gen: np.random.Generator, n: int, lo1: int, hi1: int, lo2: int, hi2: int):
    """Two positions per sample, the first uniform in ``[lo1, hi1)`` and the second uniform in
    ``[lo2, hi2)`` but never equal to the first (the ranges may overlap)."""
    p1 = gen.integers(lo1, hi1, size=n)
    p2 = gen.integers(lo2, hi2, size=n)
    clash = p2 == p1
    while clash.any():  # redraw only the clashes; the loop ends quickly since ranges hold >= 2
        p2[clash] = gen.integers(lo2, hi2, size=int(clash.sum()))
        clash = p2 == p1
    return p1, p2


def adding_problem(T: int, n: int, rng, *, form: str = "modern", dtype=np.float32):
    """``n`` sequences of the adding problem, each of length ``T``.

    Returns ``(X, y)``: ``X (T, n, 2)`` with the value in channel 0 and the marker in channel 1,
    ``y (n, 1)`` the target.

    * ``form="modern"``: values ~ U(0, 1); one marker (1.0) uniformly in the first half of the
      sequence and one in the second half; ``y`` = the sum of the two marked values. Predicting the
      constant 1 scores MSE 1/6 (``ADDING_BASELINE_MSE``). Needs ``T >= 2``.
    * ``form="original"`` (Hochreiter & Schmidhuber 1997, Experiment 4): values ~ U(-1, 1); the
      first marker among the first 10 steps, the second among the first ``T/2 - 1`` steps (never the
      same step); marker -1 on the first and last steps unless marked; a value marked at the first
      step counts as 0; ``y = 0.5 + (X1 + X2) / 4``. Constant 0.5 scores about MSE 1/24
      (exactly ``original_adding_baseline(T)``). Needs ``T >= 6``.
    """
    if form not in ("modern", "original"):
        raise ValueError(f"form: expected 'modern' or 'original', got {form!r}")
    T, n, gen = _sizes(T, n, rng, 2 if form == "modern" else 6)
    dt = _validate.as_dtype(dtype)
    cols = np.arange(n)
    X = np.zeros((T, n, 2), dtype=np.float64)
    if form == "modern":
        X[:, :, 0] = gen.uniform(0.0, 1.0, size=(T, n))
        half = T // 2
        p1, p2 = _distinct_positions(gen, n, 0, half, half, T)
        X[p1, cols, 1] = 1.0
        X[p2, cols, 1] = 1.0
        y = X[p1, cols, 0] + X[p2, cols, 0]
    else:
        X[:, :, 0] = gen.uniform(-1.0, 1.0, size=(T, n))
        last_first_half = T // 2 - 1
        p1, p2 = _distinct_positions(gen, n, 0, min(10, last_first_half), 0, last_first_half)
        X[0, :, 1] = -1.0
        X[-1, :, 1] = -1.0
        X[p1, cols, 1] = 1.0
        X[p2, cols, 1] = 1.0
        v1 = np.where(p1 == 0, 0.0, X[p1, cols, 0])
        v2 = np.where(p2 == 0, 0.0, X[p2, cols, 0])
        y = 0.5 + (v1 + v2) / 4.0
    return X.astype(dt), y.reshape(n, 1).astype(dt)


def adding_solved(pred: np.ndarray, y: np.ndarray, *, tol: float = 0.04) -> bool:
    """Hochreiter & Schmidhuber's criterion for the original adding problem: every absolute error
    below ``tol`` (0.04). ``pred`` and ``y`` have the same shape, e.g. ``(n, 1)``."""
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.shape != y.shape:
        raise ValueError(f"pred: expected the shape of y {y.shape}, got {pred.shape}")
    tol = _validate.real(tol, "tol")
    return bool(np.all(np.abs(pred - y) < tol))


def temporal_order(T: int, n: int, rng, *, dtype=np.float32):
    """``n`` sequences of the temporal order task, each of length ``T``.

    Step 0 is the start symbol E and step ``T-1`` the end symbol B; every other step is a random
    distractor among a, b, c, d, except two: one in ``[0.1 T, 0.2 T]`` and one in ``[0.5 T, 0.6 T]``
    (the paper's windows 10-20 and 50-60 at T = 100), each holding X or Y at random. Returns
    ``(X, y)``: ``X (T, n, 8)`` one-hot over ``TEMPORAL_ORDER_SYMBOLS``, ``y (n,)`` int64 class
    index into ``TEMPORAL_ORDER_CLASSES`` (0 = XX, 1 = XY, 2 = YX, 3 = YY). Needs ``T >= 10``.
    """
    T, n, gen = _sizes(T, n, rng, 10)
    dt = _validate.as_dtype(dtype)
    symbols = gen.integers(0, 4, size=(T, n))  # distractors a..d
    symbols[0] = TEMPORAL_ORDER_SYMBOLS.index("E")
    symbols[-1] = TEMPORAL_ORDER_SYMBOLS.index("B")
    # The two windows, scaled with T and kept strictly inside (1 .. T-2) and apart.
    lo1, hi1 = max(1, round(0.1 * T)), max(2, round(0.2 * T))
    lo2, hi2 = max(hi1 + 1, round(0.5 * T)), min(T - 2, max(hi1 + 2, round(0.6 * T)))
    t1 = gen.integers(lo1, hi1 + 1, size=n)
    t2 = gen.integers(lo2, hi2 + 1, size=n)
    first = gen.integers(0, 2, size=n)  # 0 = X, 1 = Y
    second = gen.integers(0, 2, size=n)
    cols = np.arange(n)
    x_index = TEMPORAL_ORDER_SYMBOLS.index("X")
    symbols[t1, cols] = x_index + first
    symbols[t2, cols] = x_index + second
    X = np.zeros((T, n, len(TEMPORAL_ORDER_SYMBOLS)), dtype=dt)
    np.put_along_axis(X, symbols[:, :, None], 1.0, axis=2)
    return X, (2 * first + second).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class Task:
    """A sequence task as a training loop sees it.

    ``sample(n, rng) -> (X (T, n, input_size), y)``; ``loss`` is ``"mse"`` (``y (n, output_size)``
    float) or ``"xent"`` (``y (n,)`` int class labels, ``output_size`` classes);
    ``baseline_loss`` is the loss of the best constant prediction, ``chance_accuracy`` its accuracy
    for classification (``None`` for regression).
    """

    name: str
    T: int
    input_size: int
    output_size: int
    loss: str
    baseline_loss: float
    generate: Callable
    chance_accuracy: float | None = None

    def sample(self, n: int, rng, dtype=np.float32):
        """``n`` fresh sequences drawn from ``rng``: ``(X, y)``."""
        return self.generate(self.T, n, rng, dtype=dtype)


def adding_task(T: int, *, form: str = "modern") -> Task:
    """The adding problem of length ``T`` as a ``Task`` (MSE loss, one output)."""
    if form not in ("modern", "original"):
        raise ValueError(f"form: expected 'modern' or 'original', got {form!r}")
    T = _validate.positive_int(T, "T")
    base = ADDING_BASELINE_MSE if form == "modern" else original_adding_baseline(T)

    def generate(T, n, rng, dtype=np.float32):
        return adding_problem(T, n, rng, form=form, dtype=dtype)

    name = f"adding T={T}" if form == "modern" else f"adding (original) T={T}"
    return Task(name, T, 2, 1, "mse", base, generate)


def temporal_order_task(T: int) -> Task:
    """The temporal order task of length ``T`` as a ``Task`` (4 classes, cross-entropy)."""
    T = _validate.positive_int(T, "T")
    k = len(TEMPORAL_ORDER_CLASSES)
    return Task(f"temporal order T={T}", T, len(TEMPORAL_ORDER_SYMBOLS), k, "xent",
                float(np.log(k)), temporal_order, chance_accuracy=1.0 / k)


def constant_baseline(task: Task, n: int = 100_000, seed: int = 0) -> float:
    """The loss of the best constant prediction, measured on ``n`` fresh sequences: the targets'
    mean for MSE (whose loss is their variance), the class frequencies for cross-entropy. It should
    come out near ``task.baseline_loss``."""
    if not isinstance(task, Task):
        raise ValueError(f"task: expected a Task (adding_task, temporal_order_task), got {type(task).__name__}")
    n = _validate.positive_int(n, "n")
    _, y = task.sample(n, np.random.default_rng(seed), dtype=np.float64)
    if task.loss == "mse":
        return float(np.mean((y - y.mean(axis=0)) ** 2))
    freq = np.bincount(y, minlength=task.output_size) / n
    freq = freq[freq > 0]
    return float(-np.sum(freq * np.log(freq)))
