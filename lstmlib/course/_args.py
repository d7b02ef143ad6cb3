"""Checks of the arguments a reader passes to the course's functions and explorers: one sentence
naming the argument, the accepted range and the value given (``ValueError``), translated."""
from __future__ import annotations

import numbers

from .i18n import tr

__all__ = ["whole_number"]


def whole_number(value, name: str, low: int, high: int | None = None, note: str = "") -> int:
    """``value`` as an int when it is a whole number from ``low`` to ``high`` (no upper end when
    ``None``), else a ValueError such as ``steps: expected a whole number from 2 to 500, got 1``;
    ``note`` (translated by the caller) says where the range comes from, in parentheses."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    note = f" ({note})" if note else ""
    if high is None:
        raise ValueError(tr("{name}: expected a whole number >= {low}{note}, got {value!r}", name=name, low=low,
                            note=note, value=value))
    raise ValueError(tr("{name}: expected a whole number from {low} to {high}{note}, got {value!r}",
                        name=name, low=low, high=high, note=note, value=value))
