"""Chapter 00's picture: an activation function, its derivative and the bound beta_f."""
from __future__ import annotations

import numpy as np

from ...activations import ACTIVATIONS, DERIVATIVE_BOUND
from ._style import _C_MEASURED, _C_BOUND, blank_figure, _linear_limits


class ActivationPicture:
    """Left: ``f(a)``; right: ``f'(a)`` with its largest value ``beta_f`` dashed; a marker at the
    chosen ``a`` on both. ``update(name, a)`` with ``name`` in ``activations.ACTIVATIONS``."""

    GRID = np.linspace(-6, 6, 241)

    def __init__(self, fig):
        self.ax_f, self.ax_d = fig.subplots(1, 2)
        (self.curve,) = self.ax_f.plot(self.GRID, self.GRID * 0, color=_C_MEASURED)
        (self.dot,) = self.ax_f.plot([0], [0], "o", color=_C_BOUND, ms=8)
        (self.dcurve,) = self.ax_d.plot(self.GRID, self.GRID * 0, color=_C_MEASURED)
        (self.ddot,) = self.ax_d.plot([0], [0], "o", color=_C_BOUND, ms=8)
        self.beta = self.ax_d.axhline(1.0, ls="--", color="0.4")
        self.beta_text = self.ax_d.text(-5.8, 1.0, "", va="bottom", fontsize=9, color="0.3")
        for ax in (self.ax_f, self.ax_d):
            ax.axhline(0, color="0.85", lw=0.8, zorder=0)
            ax.axvline(0, color="0.85", lw=0.8, zorder=0)
            ax.set_xlabel("weighted input  a")
            ax.set_xlim(-6, 6)
        self.ax_d.set_ylim(-0.05, 1.15)

    def update(self, name: str, a: float) -> None:
        fn, grad_from_output = ACTIVATIONS[name]
        y = fn(self.GRID)
        ya = float(fn(np.array(a)))
        da = float(grad_from_output(np.array(ya)))
        beta = DERIVATIVE_BOUND[name]
        self.curve.set_ydata(y)
        self.dot.set_data([a], [ya])
        self.dcurve.set_ydata(grad_from_output(y))
        self.ddot.set_data([a], [da])
        self.beta.set_ydata([beta, beta])
        self.beta_text.set_position((-5.8, beta))
        self.beta_text.set_text(f"β_f = {beta:g}")
        self.ax_f.set_ylim(*_linear_limits(y, at_least=(-1.0, 1.0)))
        self.ax_f.set_title(f"{name}(a):  {name}({a:.2f}) = {ya:.3f}")
        self.ax_d.set_title(f"{name}'(a):  {name}'({a:.2f}) = {da:.3f}")


def plot_activations(name: str = "tanh", a: float = 1.0):
    """The ``ActivationPicture`` for ``name`` at ``a``, as a figure."""
    fig = blank_figure(8, 3.0)
    ActivationPicture(fig).update(name, a)
    return fig
