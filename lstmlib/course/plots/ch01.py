"""Chapter 01's pictures: error norms against the article's bound, and per-step contributions."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PolyCollection

from ._style import _C_MEASURED, _C_BOUND, _C_SUM, new_figure, blank_figure, _plain_log_axis, _bar_verts, _log_limits


class RNNFlowPicture:
    """Left (log scale): the measured ``||delta_k||`` and the article's bound
    ``(beta_f beta_W)^(t-k) ||delta_t||`` over k. Right: the per-step weight-gradient
    contributions ``||grad_{W_k} E||`` as bars, and the norm of their sum, ``||grad_W E||``, as one
    more bar. ``update(flow, title)`` takes a ``RNNGradientFlow``."""

    def __init__(self, fig, max_steps: int = 100):
        self.ax_n, self.ax_c = fig.subplots(1, 2, width_ratios=(1.15, 1))
        ax = self.ax_n
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        (self.measured,) = ax.plot([1], [1], "o-", ms=3, lw=1.5, color=_C_MEASURED,
                                   label="measured ‖δ_k‖")
        (self.bound,) = ax.plot([1], [1], "--", lw=1.5, color=_C_BOUND,
                                label="bound (β_f·β_W)^(t−k) · ‖δ_t‖")
        ax.set_xlabel("time step k  (the loss sits at step t = T)")
        ax.set_ylabel("norm of the error term")
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        self.bars = self.ax_c.add_collection(PolyCollection([], facecolors=_C_MEASURED))
        (self.sum_bar,) = self.ax_c.bar([max_steps + 2], [0.0], width=0.8 * 1.5, color=_C_SUM)
        self.sum_text = self.ax_c.text(0, 0, "Σ", ha="center", va="bottom", color=_C_SUM)
        self.ax_c.set_xlabel("time step k")
        self.ax_c.set_ylabel("norm of step k's part, δ_k h_(k-1)ᵀ")
        self.max_steps = max_steps

    def update(self, flow, title: str = "") -> None:
        T = flow.steps
        if T > self.max_steps:
            raise ValueError(f"flow: expected at most {self.max_steps} steps, got {T}")
        k = np.arange(1, T + 1)
        self.measured.set_data(k, flow.delta_norms)
        self.bound.set_data(k, flow.bound)
        self.measured.set_markersize(3 if T <= 60 else 0)
        self.ax_n.set_xlim(0.5, T + 0.5)
        self.ax_n.set_ylim(*_log_limits(flow.delta_norms, flow.bound))
        heights = flow.contribution_norms
        self.bars.set_verts(_bar_verts(k, heights, 0.8))
        total = float(np.linalg.norm(flow.grad_W))
        self.sum_bar.set_x(T + 1.5 - 0.6)
        self.sum_bar.set_height(total)
        top = max(float(heights.max()), total) or 1.0
        self.sum_text.set_position((T + 1.5, total))
        self.ax_c.set_xlim(0.3, T + 2.5)
        self.ax_c.set_ylim(0, top * 1.15)
        self.ax_n.set_title(title or f"β_f = {flow.beta_f:g},  β_W = {flow.beta_W:.2f}", fontsize=10)
        self.ax_c.set_title("each step's part of ∇_W E;  green: the whole ∇_W E", fontsize=10)


def plot_rnn_flow(flow, title: str = ""):
    """``RNNFlowPicture`` of one ``RNNGradientFlow``."""
    fig = blank_figure(9, 3.4)
    RNNFlowPicture(fig, max_steps=flow.steps).update(flow, title)
    return fig


def plot_error_norms_by_radius(experiment, radii=(0.5, 0.9, 1.0, 1.5, 3.0), activation: str = "tanh",
                               steps: int = 50):
    """``||delta_k|| / ||delta_T||`` over k for several spectral radii of W (one
    ``RadiusExperiment``), on a log scale: vanishing below the line 1, exploding above."""
    fig, ax = new_figure(7, 3.6)
    cmap = colormaps["viridis"]
    for j, rho in enumerate(radii):
        flow = experiment.flow(rho, activation, steps)
        k = np.arange(1, flow.steps + 1)
        ax.semilogy(k, flow.delta_norms / flow.delta_norms[-1], color=cmap(j / max(1, len(radii) - 1)),
                    lw=1.8, label=rf"$\rho$ = {rho:g}")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(f"time step k (loss at step T = {steps})")
    ax.set_ylabel(r"$\|\delta_k\| \,/\, \|\delta_T\|$")
    ax.set_title(f"{activation} RNN, W = rho * (orthogonal matrix)", fontsize=10)
    ax.legend(fontsize=8, ncols=2)
    return fig
