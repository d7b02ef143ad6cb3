"""What every picture shares: colours, figures made outside pyplot, log axes labelled without
mathtext (widgets redraw them on every change), bars as one collection, and axis limits.

Pictures that an explorer redraws are small classes: ``__init__(fig)`` creates the axes and every
artist once, ``update(data)`` changes those artists in place (the fast path an explorer needs).
The ``plot_*`` functions wrap them for a static figure. Figures are made outside pyplot, so a
notebook shows a figure exactly once: when a cell returns it.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter



_C_MEASURED, _C_BOUND, _C_SUM = "#1f77b4", "#d62728", "#2ca02c"
_C_GATE = {"f": "#1f77b4", "i": "#2ca02c", "c": "#9467bd", "o": "#ff7f0e"}


def new_figure(width: float = 8.0, height: float = 3.5, **subplots_kw):
    """``(fig, axes)``: a constrained-layout figure outside pyplot with ``subplots(**subplots_kw)``."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(**subplots_kw)


def blank_figure(width: float, height: float, layout: str | None = "constrained"):
    """An empty figure outside pyplot (a picture class adds its axes). Explorers pass
    ``layout=None`` and fix the margins by hand: then a redraw does not lay the figure out again
    (that doubles its cost) and nothing shifts as labels change."""
    return Figure(figsize=(width, height), layout=layout)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pow10(v: float, _pos=None) -> str:
    """Tick label ``10⁻⁵`` in plain unicode: no mathtext to parse, so a redraw stays fast."""
    if v <= 0:
        return ""
    e = int(np.round(np.log10(v)))
    return "1" if e == 0 else "10" + str(e).translate(_SUPERSCRIPT)


def _plain_log_axis(axis) -> None:
    """Log-scale labels without mathtext (widgets redraw them on every change)."""
    axis.set_major_formatter(FuncFormatter(_pow10))
    axis.set_minor_formatter(NullFormatter())


def _bar_verts(x: np.ndarray, heights: np.ndarray, width: float) -> np.ndarray:
    """Rectangles ``(n, 4, 2)`` for bars at ``x`` of ``heights``: one PolyCollection draws them
    all, far faster to update and render than one Rectangle artist per bar."""
    x = np.asarray(x, float)
    h = np.asarray(heights, float)
    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(h)
    return np.stack([np.stack([left, zero], 1), np.stack([left, h], 1),
                     np.stack([right, h], 1), np.stack([right, zero], 1)], axis=1)


def _log_limits(*arrays, floor: float = 1e-300) -> tuple[float, float]:
    """y-limits for a log axis holding ``arrays``: positive finite values only, with a margin."""
    vals = np.concatenate([np.ravel(a) for a in arrays])
    vals = vals[np.isfinite(vals) & (vals > floor)]
    if vals.size == 0:
        return 1e-3, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    if hi / lo < 10:
        lo, hi = lo / 3, hi * 3
    return lo / 2, hi * 2


def _linear_limits(*arrays, at_least: tuple[float, float] | None = None) -> tuple[float, float]:
    vals = np.concatenate([np.ravel(a) for a in arrays])
    vals = vals[np.isfinite(vals)]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    if at_least is not None:
        lo, hi = min(lo, at_least[0]), max(hi, at_least[1])
    pad = 0.06 * (hi - lo or 1.0)
    return lo - pad, hi + pad


_C_MODEL = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}
_NAME = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
_TINY = 1e-300  # what a log axis is given instead of an exact 0 (an underflow)
_CEIL = 1e30  # where an overflowed value is drawn


def _positive(v) -> np.ndarray:
    return np.maximum(np.asarray(v, dtype=np.float64), _TINY)
