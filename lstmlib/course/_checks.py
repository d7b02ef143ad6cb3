"""Checks of the arguments a reader passes to chapters 03-05's functions and explorers: each
failure is one sentence naming the argument, the range it accepts and the value it got."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["whole_number", "seed", "number_in"]


def whole_number(value, name: str, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in ``[lo, hi]`` (``hi=None``: no upper limit), else a ValueError."""
    span = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name}: expected a whole number {span}, got {value!r}")
    return int(value)


def seed(value, name: str = "seed"):
    """A random seed: a whole number >= 0 or a ``np.random.Generator`` (returned as given)."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}: expected a whole number >= 0 (or a np.random.Generator), got {value!r}")
    return int(value)


def number_in(value, name: str, lo: float, hi: float, *, open_low: bool = False) -> float:
    """``value`` as a float in ``[lo, hi]`` (``(lo, hi]`` with ``open_low``), else a ValueError."""
    left = "(" if open_low else "["
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value > hi or value < lo or (open_low and value == lo):
        raise ValueError(f"{name}: expected a number in {left}{lo:g}, {hi:g}], got {value!r}")
    return float(value)
