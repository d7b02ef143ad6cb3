"""Chapter 00's picture: an activation function, its derivative and the bound beta_f."""
from __future__ import annotations

import numpy as np

from ...activations import ACTIVATIONS, DERIVATIVE_BOUND
from ._style import _C_BOUND, _C_MEASURED, _linear_limits, blank_figure


class ActivationPicture:
    """Left: ``f(a)``; right: ``f'(a)`` with its largest value ``beta_f`` dashed; a marker at the
    chosen ``a`` on both. The right panel's legend (above the curves, where no derivative reaches)
    names the curve, the dashed line with the value of ``beta_f``, and the marker.
    ``update(name, a)`` with ``name`` in ``activations.ACTIVATIONS``."""

    GRID = np.linspace(-6, 6, 241)
    TOP = 1.62  # the derivative panel's upper limit: room above f' <= 1 for the legend

    def __init__(self, fig):
        self.ax_f, self.ax_d = fig.subplots(1, 2)
        (self.curve,) = self.ax_f.plot(self.GRID, self.GRID * 0, color=_C_MEASURED)
        (self.dot,) = self.ax_f.plot([0], [0], "o", color=_C_BOUND, ms=8)
        (self.dcurve,) = self.ax_d.plot(self.GRID, self.GRID * 0, color=_C_MEASURED, label="f′(a)")
        (self.ddot,) = self.ax_d.plot([0], [0], "o", color=_C_BOUND, ms=8, label="chosen a")
        self.beta = self.ax_d.axhline(1.0, ls="--", color="0.4", label=self._beta_label(1.0))
        for ax in (self.ax_f, self.ax_d):
            ax.axhline(0, color="0.85", lw=0.8, zorder=0)
            ax.axvline(0, color="0.85", lw=0.8, zorder=0)
            ax.set_xlabel("weighted input  a")
            ax.set_xlim(-6, 6)
        self.ax_d.set_ylim(-0.05, self.TOP)
        self.ax_d.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        self.legend = self.ax_d.legend(loc="upper center",
                                       ncols=3, fontsize=9.5, frameon=True, edgecolor="none", framealpha=1.0, handlelength=1.5, handletextpad=0.5,
                                       columnspacing=0.9, borderaxespad=0.3)

    @staticmethod
    def _beta_label(beta: float) -> str:
        # mathtext for a true subscript; an explorer sees three strings, each parsed once and cached
        return rf"$\beta_f$ = {beta:g} = max f′"

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
        self.beta.set_label(self._beta_label(beta))
        self.legend.get_texts()[2].set_text(self.beta.get_label())
        self.ax_f.set_ylim(*_linear_limits(y, at_least=(-1.0, 1.0)))
        self.ax_f.set_title(f"{name}(a):  {name}({a:.2f}) = {ya:.3f}")
        self.ax_d.set_title(f"{name}'(a):  {name}'({a:.2f}) = {da:.3f}")


def plot_activations(name: str = "tanh", a: float = 1.0):
    """The ``ActivationPicture`` for ``name`` at ``a``, as a figure."""
    fig = blank_figure(8, 3.0)
    ActivationPicture(fig).update(name, a)
    return fig
