"""Chapter 01's pictures: the unrolled RNN with its backward path, error norms against the
article's bound with the per-step contributions, error norms for several spectral radii, and the
share of the weight gradient that the early steps carry."""
from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from ._style import (_C_BOUND, _C_MEASURED, _C_SUM, _bar_verts, _log_limits, _plain_log_axis, blank_figure,
                     new_figure)

_C_FORWARD = "0.25"
_C_BACKWARD = _C_BOUND


def _compact(v: float, _pos=None) -> str:
    """A tick label without an offset text: ``0.5``, ``120``, ``1.5e11``."""
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.3g}"
    mantissa, exponent = f"{v:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _integer_ticks(ax) -> None:
    """Time steps are whole numbers: no tick at 2.5."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


# ---- one unit: a product of numbers ---------------------------------------------------------------------
def plot_scalar_chains(chains):
    """One panel per activation of the ``ch01.ScalarChain`` s given: ``|dE/dh_{T-n}|`` against the
    number of steps back ``n`` (log scale), one colour per ``w`` (blue below 1, red above), solid
    as measured by BPTT and dotted ``|w|^n``, the product if every slope were 1. Where the two
    coincide (relu, whose slope is 1), the solid line hides the dotted one."""
    activations = list(dict.fromkeys(c.activation for c in chains))
    fig, axes = new_figure(4.1 * len(activations) + 1.4, 3.5, ncols=len(activations), sharey=True, squeeze=False)
    ws = sorted({c.w for c in chains})
    colour = dict(zip(ws, radius_colours(ws)))
    for ax, act in zip(axes[0], activations):
        for c in (c for c in chains if c.activation == act):
            n = np.arange(c.steps)
            ax.semilogy(n, np.maximum(c.w_power, 1e-300), ls=":", lw=1.6, color=colour[c.w])
            ax.semilogy(n, np.maximum(c.reach, 1e-300), lw=2.0, color=colour[c.w], label=f"w = {c.w:g}")
        ax.set_title(f"{act}: one step back multiplies by w·{act}′(net)", fontsize=10)
        ax.set_xlabel("n: steps back from the loss at T")
        ax.set_xlim(0, max(c.steps for c in chains) - 1)
        _integer_ticks(ax)
    axes[0, 0].set_ylabel("|∂E/∂h_(T−n)|")
    handles = [Line2D([], [], color=colour[w], lw=2.0, label=f"w = {w:g}") for w in ws]
    handles += [Line2D([], [], color="0.3", lw=2.0, label="measured (BPTT)"),
                Line2D([], [], color="0.3", lw=1.6, ls=":", label="|w|ⁿ (every slope 1)")]
    axes[0, -1].legend(handles=handles, fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    return fig


# ---- the unrolled RNN and its backward path ---------------------------------------------------------------
def _node(ax, xy, text, *, w=0.95, h=0.62, fc="#e8eef7", fontsize=12):
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.04",
                                fc=fc, ec="0.3", lw=1.1, zorder=3))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, a, b, *, color=_C_FORWARD, ls="-", lw=1.4):
    ax.annotate("", xy=b, xytext=a, zorder=2,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, ls=ls, shrinkA=0, shrinkB=0,
                                mutation_scale=12))


def plot_unrolled_rnn():
    """The plain RNN unrolled over steps 1..T, as a schematic. Forward (grey): the input ``x_k``
    enters the weighted input ``net_k = U x_k + W h_{k-1} + b`` (through ``U``), ``h_k = f(net_k)``,
    ``h_k`` enters ``net_{k+1}`` (through ``W``), and the loss E sits at step T. Backward (red,
    dashed, above): the path of BPTT's error, from E into ``h_T``, then alternately through
    ``f'(net_k)`` (which turns ``dE/dh_k`` into ``delta_k``) and through ``W^T`` (which turns
    ``delta_k`` into ``dE/dh_{k-1}``). A band marks what belongs to one step."""
    fig, ax = new_figure(11.5, 4.2)
    ax.set_axis_off()
    y, y_x, y_op, y_red, y_q = 1.5, -0.15, 2.12, 2.42, 2.62
    # (label inside the box, step it belongs to, x position); None draws the "⋯" of left-out steps
    nodes = [(r"$h_0$", None, 0.45),
             (r"$\mathrm{net}_1$", "1", 1.95), (r"$h_1$", "1", 3.4),
             (r"$\mathrm{net}_2$", "2", 4.85), (r"$h_2$", "2", 6.3),
             (None, None, 7.5),
             (r"$\mathrm{net}_{T-1}$", "T-1", 8.7), (r"$h_{T-1}$", "T-1", 10.15),
             (r"$\mathrm{net}_T$", "T", 11.6), (r"$h_T$", "T", 13.05),
             ("loss $E$", None, 14.55)]
    ax.set_xlim(-0.1, 15.35)
    ax.set_ylim(-1.45, 3.45)
    half = 0.45  # half a box's width
    for step, x_net in (("1", 1.95), ("2", 4.85), ("T-1", 8.7), ("T", 11.6)):
        ax.add_patch(FancyBboxPatch((x_net - 0.62, -0.5), 2.69, 2.4, boxstyle="round,pad=0.02",
                                    fc="#f3f5f9", ec="none", zorder=0))
        ax.text(x_net + 0.725, -0.42, f"step {step}", ha="center", va="bottom", fontsize=9, color="0.45")
    for label, step, x in nodes:
        if label is None:
            ax.text(x, y, "⋯", ha="center", va="center", fontsize=18, color="0.3")
            continue
        is_net = label.startswith(r"$\mathrm{net}")
        fc = "#fdecea" if "loss" in label else ("white" if step is None else "#e3ebf6")
        _node(ax, (x, y), label, w=2 * half + (0.3 if "loss" in label else 0.0), h=0.6, fc=fc, fontsize=11)
        if is_net:  # the input of this step, through U
            ax.text(x, y_x, rf"$x_{{{step}}}$", ha="center", va="center", fontsize=12)
            _arrow(ax, (x, y_x + 0.28), (x, y - 0.31))
            ax.text(x - 0.08, (y_x + y) / 2, "$U$", ha="right", va="center", fontsize=10, color="0.35")
    # forward along the chain, and the error backwards above it
    for (la, _, xa), (lb, _, xb) in zip(nodes[:-1], nodes[1:]):
        left_out = la is None or lb is None
        a = xa + (0.22 if la is None else half)
        b = xb - (0.22 if lb is None else half + (0.15 if lb and "loss" in lb else 0.0))
        _arrow(ax, (a, y), (b, y), ls=":" if left_out else "-")
        _arrow(ax, (xb - 0.08, y_red), (xa + 0.08, y_red), color=_C_BACKWARD, ls="--")
        if left_out:
            continue
        mid = (a + b) / 2
        if lb.startswith(r"$\mathrm{net}"):  # h_{k-1} -> net_k: W forward, W^T backward
            fwd, back = "$W$", "$W^T$"
        elif lb.startswith("$h"):  # net_k -> h_k: f forward, f' backward
            fwd, back = "$f$", r"$\odot f'$"
        else:  # h_T -> E
            fwd, back = "", ""
        ax.text(mid, y - 0.1, fwd, ha="center", va="top", fontsize=10, color="0.35")
        ax.text(mid, y_op, back, ha="center", va="center", fontsize=10, color=_C_BACKWARD)
    # what arrives at each node on the way back
    for label, step, x in nodes:
        if label is None or "loss" in label:
            continue
        if label.startswith(r"$\mathrm{net}"):
            q = rf"$\delta_{{{step}}}$"
        else:
            k = step if step is not None else "0"
            q = rf"$\partial E/\partial h_{{{k}}}$"
        ax.text(x, y_q, q, ha="center", va="bottom", fontsize=11, color=_C_BACKWARD)
    ax.text(7.6, -1.05,
            r"$\delta_T = f'(\mathrm{net}_T)\odot\partial E/\partial h_T,\qquad"
            r"\delta_{k-1} = \mathrm{diag}[f'(\mathrm{net}_{k-1})]\,W^T\delta_k,\qquad"
            r"\nabla_W E = \sum_{k=1}^{T}\delta_k\,h_{k-1}^T$",
            ha="center", va="center", fontsize=12, color=_C_BACKWARD)
    handles = [Line2D([], [], color=_C_FORWARD, lw=1.4, label="forward pass"),
               Line2D([], [], color=_C_FORWARD, lw=1.4, ls=":", label="forward, steps 3..T-2 left out"),
               Line2D([], [], color=_C_BACKWARD, lw=1.4, ls="--", label="backward (BPTT): the error")]
    ax.legend(handles=handles, loc="upper left", fontsize=9, frameon=False, ncols=3,
              bbox_to_anchor=(0.0, 1.02))
    return fig


# ---- error norms and per-step contributions (the explorer's picture) ----------------------------------------
class RNNFlowPicture:
    """Left (log scale): the measured ``||delta_k||`` and the article's bound
    ``(beta_f beta_W)^(t-k) ||delta_t||`` over k, with their legend below the axes. Right: the
    per-step weight-gradient contributions ``||grad_{W_k} E||`` as bars, and the norm of their sum,
    ``||grad_W E||``, as one more bar (green, marked Σ). ``update(flow, title)`` takes a
    ``RNNGradientFlow``."""

    def __init__(self, fig, max_steps: int = 100):
        self.ax_n, self.ax_c = fig.subplots(1, 2, width_ratios=(1.15, 1))
        ax = self.ax_n
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        ax.yaxis.set_minor_locator(NullLocator())  # a redraw spends most of its time on ticks
        (self.measured,) = ax.plot([1], [1], "o-", ms=3, lw=1.5, color=_C_MEASURED,
                                   label="measured ‖δ_k‖")
        (self.bound,) = ax.plot([1], [1], "--", lw=1.5, color=_C_BOUND,
                                label="bound (β_f·β_W)^(t−k) · ‖δ_t‖")
        ax.set_xlabel("time step k  (the loss sits at step t = T)")
        ax.set_ylabel("norm of the error term")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=8, frameon=False)
        self.bars = self.ax_c.add_collection(PolyCollection([], facecolors=_C_MEASURED))
        (self.sum_bar,) = self.ax_c.bar([max_steps + 2], [0.0], width=0.8 * 1.5, color=_C_SUM)
        self.sum_text = self.ax_c.text(0, 0, "Σ", ha="center", va="bottom", color=_C_SUM)
        self.ax_c.set_xlabel("time step k")
        self.ax_c.set_ylabel("‖δ_k h_(k−1)ᵀ‖, step k's part")
        self.steps = max_steps
        for a in (self.ax_n, self.ax_c):
            _integer_ticks(a)
        # no tick number under the Σ bar, which stands at T + 1.5 and is no time step
        self.ax_c.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}" if 1 <= v <= self.steps else ""))
        # plain numbers, never an offset text such as "1e11" above the axes, where the title is
        self.ax_c.yaxis.set_major_formatter(FuncFormatter(_compact))
        self.max_steps = max_steps

    def update(self, flow, title: str = "") -> None:
        T = flow.steps
        if T > self.max_steps:
            raise ValueError(f"flow: expected at most {self.max_steps} steps, got {T}")
        self.steps = T
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
        self.ax_c.set_title("each step's part of ∇W E;  green Σ: their sum", fontsize=10)


def plot_rnn_flow(flow, title: str = ""):
    """``RNNFlowPicture`` of one ``RNNGradientFlow``."""
    fig = blank_figure(9, 3.7)
    RNNFlowPicture(fig, max_steps=flow.steps).update(flow, title)
    return fig


# ---- error norms for several spectral radii --------------------------------------------------------------------
def radius_colours(radii) -> list[str]:
    """One colour per spectral radius, so that the meaning shows: blues below 1 (vanishing; darker
    is smaller), black at 1, reds above 1 (darker is larger). Every colour is dark enough to read
    on white."""
    blues = ["#084a91", "#2e7ebc", "#5a9fd4"]
    reds = ["#e8553a", "#c21b1b", "#7f0a10"]
    below = sorted(r for r in radii if r < 1)
    above = sorted(r for r in radii if r > 1)

    def pick(palette, rank, n):
        return palette[round(rank * (len(palette) - 1) / max(1, n - 1))] if n > 1 else palette[len(palette) // 2]

    out = []
    for r in radii:
        if r < 1:
            out.append(pick(blues, below.index(r), len(below)))
        elif r > 1:
            out.append(pick(reds, above.index(r), len(above)))
        else:
            out.append("#111111")
    return out


def plot_error_norms_by_radius(experiment, radii=(0.5, 0.9, 1.0, 1.5, 3.0), activation: str = "tanh",
                               steps: int = 50):
    """``||delta_k|| / ||delta_T||`` over k for several spectral radii of W (one
    ``RadiusExperiment``), on a log scale: vanishing below the dotted line 1, exploding above.
    Legend outside the axes, on the right."""
    fig, ax = new_figure(8.2, 3.7)
    for rho, colour in zip(radii, radius_colours(radii)):
        flow = experiment.flow(rho, activation, steps)
        k = np.arange(1, flow.steps + 1)
        ax.semilogy(k, flow.delta_norms / flow.delta_norms[-1], color=colour, lw=2.0, label=rf"$\rho$ = {rho:g}")
    ax.axhline(1.0, color="0.45", lw=1.0, ls=":", label="ratio 1: no change")
    ax.set_xlim(1, steps)
    _integer_ticks(ax)
    ax.set_xlabel(f"time step k (the loss sits at step T = {steps})")
    ax.set_ylabel(r"$\|\delta_k\| \,/\, \|\delta_T\|$")
    ax.set_title(rf"{activation} RNN, $W = \rho\,Q$ with $Q$ orthogonal", fontsize=10)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


# ---- the share of the early steps: the article's figure tested ----------------------------------------------
def plot_early_share(study, back: int = 3, threshold: float = 0.01):
    """The median (over the study's random RNNs) share of ``||grad_W E||`` carried by the steps
    k <= T - n, against n, one line per (activation, radius) of an ``EarlyStepsStudy``, on a log
    scale; a dashed vertical line at n = ``back`` (the article's t-3) and a dotted horizontal one at
    ``threshold``. Legend outside, on the right."""
    fig, ax = new_figure(8.2, 3.8)
    n = np.arange(1, study.steps)
    colours = {}
    for j, (act, rho) in enumerate(study.settings):
        radii = [r for a, r in study.settings if a == act]
        colours[(act, rho)] = radius_colours(radii)[radii.index(rho)]
        med = np.median(study.shares[j], axis=0)
        ax.semilogy(n, np.maximum(med, 1e-300), color=colours[(act, rho)], lw=2.0,
                    ls="-" if act == "tanh" else "-.", label=rf"{act}, $\rho$ = {rho:g}")
    ax.axvline(back, color="0.3", lw=1.2, ls="--", label=f"n = {back}: the article's t-{back}")
    ax.axhline(threshold, color="0.45", lw=1.0, ls=":", label=f"share {threshold:.0%}")
    ax.set_xlim(1, min(study.steps - 1, 30))
    lo = max(1e-12, float(np.min(np.median(study.shares[:, :, :min(study.steps - 1, 30)], axis=1))) / 3)
    ax.set_ylim(lo, 1.5)
    _integer_ticks(ax)
    ax.set_xlabel(f"n: how many steps before the loss (at step T = {study.steps})")
    ax.set_ylabel(r"share of $\|\nabla_W E\|$ from steps $k \leq T-n$")
    ax.set_title(f"The early steps' share of the weight gradient (median of {len(study.seeds)} random RNNs)",
                 fontsize=10)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig
