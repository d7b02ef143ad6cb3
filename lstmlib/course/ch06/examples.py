"""Chapter 06: the two tasks shown to a reader: one sequence of each, and the loss of the best
constant prediction (the baseline a model that ignores its input reaches)."""
from __future__ import annotations

import numpy as np

from ... import _validate, tasks
from ..i18n import tr
from ..tables import fixed_columns
from .runs import seed_number


def adding_example(T: int = 10, seed: int = 0) -> str:
    """One sequence of the (modern) adding problem as text: step, value, marker, and the target."""
    X, y = tasks.adding_problem(_validate.positive_int(T, "T"), 1, seed_number(seed), dtype=np.float64)
    marked_text = "1   " + tr("<-- marked")
    rows = [(t + 1, f"{v:.3f}", marked_text if m == 1 else "0") for t, (v, m) in enumerate(X[:, 0])]
    marked = np.flatnonzero(X[:, 0, 1] == 1)
    header = [(tr("step"), tr("value"), tr("marker"))]
    table = fixed_columns([(">", 4), "  ", (">", 6), "  ", ("<", 0)], header, rows, rule=None)
    target = tr("target = {a:.3f} + {b:.3f} = {y:.3f}", a=X[marked[0], 0, 0], b=X[marked[1], 0, 0], y=y[0, 0])
    return table + "\n" + target


def temporal_order_example(T: int = 20, seed: int = 0) -> str:
    """One sequence of the temporal order task as its symbols, and its class."""
    X, y = tasks.temporal_order(_validate.positive_int(T, "T"), 1, seed_number(seed))
    symbols = "".join(tasks.TEMPORAL_ORDER_SYMBOLS[k] for k in X[:, 0].argmax(axis=1))
    k = int(y[0])
    return (tr("sequence: {symbols}", symbols=symbols) + "\n"
            + tr("class:    {name} (index {k})", name=tasks.TEMPORAL_ORDER_CLASSES[k], k=k))


def baseline_table(T: int = 50, n: int = 100_000, seed: int = 0) -> str:
    """Each task's best-constant loss: from its formula and measured on ``n`` sequences."""
    T, n, seed = _validate.positive_int(T, "T"), _validate.positive_int(n, "n"), seed_number(seed)
    rows = [(tasks.adding_task(T), tr("adding T={T}", T=T), "MSE", "1/6"),
            (tasks.adding_task(T, form="original"), tr("adding (original) T={T}", T=T), "MSE", "~1/24"),
            (tasks.temporal_order_task(T), tr("temporal order T={T}", T=T), tr("cross-entropy"), "ln 4")]
    cells = [(name, loss, formula, f"{task.baseline_loss:.4f}",
              f"{tasks.constant_baseline(task, n, seed):.4f}") for task, name, loss, formula in rows]
    return fixed_columns([("<", 28), ("<", 15), (">", 9), (">", 9), (">", 10)],
                         [(tr("task"), tr("loss"), tr("formula"), tr("value"), tr("measured"))], cells)
