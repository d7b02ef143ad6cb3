"""Chapter 05's pictures: gradient norms over time for RNN, LSTM and GRU; the forget bias."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import MaxNLocator

from ...models import MODELS
from .. import ch05
from .ch04 import plot_bias_decay
from ._style import new_figure, blank_figure, _plain_log_axis, _C_MODEL, _positive


class GradientFlowPicture:
    """One log-scale axes: ``||dE/dh_k|| / ||dE/dh_T||`` over the time step k for each model
    (solid), the LSTM's ``||dE/dc_k|| / ||dE/dh_T||`` (dashed), and for the ``highlight``-ed model
    its guide line (dotted, ``ch05.guide_line``: the LSTM's ``sigmoid(b_f)^(T-k)`` from its
    ``||dE/dc_T||``, the GRU's ``(1 - sigmoid(b_z))^(T-k)``, the RNN's bound ``(beta_f
    beta_W)^(T-k)``). Every curve is drawn in full colour, as the legend shows it; the highlighted
    model's is thicker. The legend names whose guide the dotted line is. ``guides=False``: a
    picture that never shows guides (no legend entry for them).

    ``update(flows, guides, highlight, title, guide_label)``: ``flows`` maps registry names to
    ``LastStepGradients``; ``guides`` maps the same names to ``(T,)`` arrays (or is None);
    ``guide_label`` is the legend's text for the dotted line.
    """

    FLOOR = 1e-40  # the lowest value the axis shows; anything below has vanished for all purposes

    def __init__(self, ax, *, legend: bool = True, guides: bool = True):
        self.ax = ax
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        self.dh, self.guide = {}, {}
        for name, m in MODELS.items():
            (self.dh[name],) = ax.plot([1], [1], lw=1.5, color=_C_MODEL[name], label=f"{m.title}  ‖∂E/∂h_k‖")
            (self.guide[name],) = ax.plot([1], [1], ":", lw=1.8, color=_C_MODEL[name])
        cell = next(name for name, m in MODELS.items() if m.has_cell)
        self.cell = cell
        (self.dc,) = ax.plot([1], [1], "--", lw=1.5, color=_C_MODEL[cell], label=f"{MODELS[cell].title}  ‖∂E/∂c_k‖")
        ax.axhline(1.0, color="0.6", lw=0.8, zorder=0, label="1 = ‖∂E/∂h_T‖")
        self.guide_entry = None
        if guides:  # one legend entry for the dotted guide, in the highlighted model's colour and name
            (self.guide_entry,) = ax.plot([], [], ":", lw=1.8, color="0.3", label="guide line")
        ax.set_xlabel("time step k  (the loss sits at the last step, k = T)")
        ax.set_ylabel("norm relative to ‖∂E/∂h_T‖")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        # labels placed by hand: placing them automatically measures every tick label at every
        # redraw of an explorer
        ax.xaxis.set_label_coords(0.5, -0.11)
        ax.yaxis.set_label_coords(-0.085, 0.5)
        # below the axes, so that no setting of the explorer puts a curve under it
        self.legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=3, fontsize=8,
                                frameon=False) if legend else None

    def _set_guide_entry(self, highlight: str, label: str) -> None:
        """The legend's dotted entry: the highlighted model's colour, and whose guide it is."""
        color = _C_MODEL[highlight]
        self.guide_entry.set_color(color)
        self.guide_entry.set_label(label)
        if self.legend is not None:
            self.legend.get_texts()[-1].set_text(label)
            self.legend.legend_handles[-1].set_color(color)

    def update(self, flows: dict, guides: dict | None = None, highlight: str | None = None,
               title: str = "", guide_label: str | None = None) -> None:
        T = next(iter(flows.values())).steps
        k = np.arange(1, T + 1)
        shown = []
        for name in MODELS:
            line, guide = self.dh[name], self.guide[name]
            if name not in flows:
                line.set_visible(False)
                guide.set_visible(False)
                continue
            v = _positive(flows[name].relative("dh"))
            shown.append(v)
            line.set_visible(True)
            line.set_data(k, v)
            line.set_linewidth(2.8 if highlight == name else 1.5)
            line.set_zorder(3 if highlight == name else 2)
            g = None if guides is None else guides.get(name)
            guide.set_visible(g is not None and highlight == name)
            if g is not None:
                guide.set_data(k, _positive(g))
        if self.cell in flows:
            dc = _positive(flows[self.cell].relative("dc"))
            shown.append(dc)
            self.dc.set_data(k, dc)
            self.dc.set_visible(True)
            self.dc.set_linewidth(2.4 if highlight == self.cell else 1.5)
        else:
            self.dc.set_visible(False)
        if guides is not None and highlight in flows and self.guide_entry is not None:
            self._set_guide_entry(highlight, guide_label or f"{MODELS[highlight].title} guide line")
        vals = np.concatenate(shown)
        hi = max(10.0, float(vals.max()) * 10)
        lo = min(0.1, max(self.FLOOR, float(vals.min()) / 10))
        self.ax.set_ylim(lo, hi)
        self.ax.set_xlim(0.5, T + 0.5)
        if title:
            self.ax.set_title(title, fontsize=10)


def plot_gradient_flow(comparison, highlight: str = "lstm", title: str = ""):
    """``GradientFlowPicture`` of one ``GradientFlowComparison``, with the highlighted model's
    guide (named in the legend)."""
    fig = blank_figure(8, 4.5)
    pic = GradientFlowPicture(fig.subplots())
    pic.update(comparison.flows, comparison.guides(), highlight,
               title or f"weights × {comparison.scale:g},  b_f = {comparison.forget_bias:g}",
               guide_label=ch05.guide_label(comparison.models[highlight]))
    return fig


def plot_forget_bias_decay(table, *, biases=None):
    """``sigmoid(b_f)^(T-1)`` as a curve over ``b_f`` (log scale) with the measured ratios of a
    ``ForgetBiasTable`` as markers: near-zero weights (on the curve) and the usual
    initialisation (where the paths through h add to the highway)."""
    b = np.linspace(-1, 6, 141) if biases is None else np.asarray(biases, float)
    label = f"predicted  sigmoid(b_f)^(T−1),  T = {table.steps}"
    texts = ("forget-gate bias b_f", "‖∂E/∂c_1‖ / ‖∂E/∂c_T‖",
             "how much of the cell-state gradient survives T − 1 steps (LSTM)")
    return plot_bias_decay(table, b, ch05.forget_bias_prediction(b, table.steps), label, _C_MODEL["lstm"],
                           [r.forget_bias for r in table.rows], "lower right", texts, height=3.6)


def plot_cell_jacobian(norms_by_bias: dict):
    """``||diag(f_t)||_2`` (solid) and ``||through_h_t||_2`` (dashed) over t for each forget bias:
    ``norms_by_bias`` maps ``b_f`` to the pair from ``cell_jacobian_norms``."""
    fig, ax = new_figure(7, 3.4)
    cmap = colormaps["viridis"]
    n = max(1, len(norms_by_bias) - 1)
    for j, (b, (direct, through)) in enumerate(norms_by_bias.items()):
        t = np.arange(2, len(direct) + 2)
        color = cmap(0.85 * j / n)
        ax.plot(t, direct, color=color, lw=2, label=f"b_f = {b:g}:  ‖diag(f_t)‖")
        ax.plot(t, through, "--", color=color, lw=1.5, label=f"b_f = {b:g}:  ‖terms through h‖")
    ax.set_ylim(0, 1.5)  # every norm here stays below 1.1: the strip above is the legend's
    ax.set_xlabel("time step t")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("largest singular value")
    ax.set_title("the two parts of the one-step ∂c_t/∂c_(t−1) (usual initialisation)", fontsize=10)
    ax.legend(fontsize=7, ncols=len(norms_by_bias), loc="upper center")
    return fig


def plot_cell_error_parts(parts):
    """Left (log scale): ``||dE/dc_k||`` over k with its two parts, the carry from step k+1 and
    what enters through ``h_k``, and what the highway alone would deliver from step T. Right: the
    factor of one step back, ``||dE/dc_k|| / ||dE/dc_(k+1)||``, beside the highway's share of it.
    ``parts``: a ``ch05.CellErrorParts``."""
    fig, (ax, bx) = new_figure(10, 3.6, ncols=2, width_ratios=(1.15, 1))
    T = parts.steps
    k = np.arange(1, T + 1)
    blue = _C_MODEL["lstm"]
    ax.semilogy(k, parts.total, color=blue, lw=2.4, label="‖∂E/∂c_k‖ = ‖carry + via h‖")
    ax.semilogy(k[:-1], parts.carry[:-1], "--", color=blue, lw=1.4, label="carry: ‖∂E/∂c_(k+1) ∘ f_(k+1)‖")
    ax.semilogy(k, parts.via_h, "-.", color="#ff7f0e", lw=1.4, label="via h: ‖∂E/∂h_k ∘ o_k ∘ tanh′(c_k)‖")
    ax.semilogy(k, parts.highway, ":", color="k", lw=1.6, label="highway alone from T: ‖∂E/∂c_T ∘ f_T ⋯ f_(k+1)‖")
    _plain_log_axis(ax.yaxis)
    ax.set_xlim(0.5, T + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time step k  (the loss sits at k = T)")
    ax.set_ylabel("norm")
    lo = min(parts.via_h.min(), parts.highway.min()) / 3
    hi = parts.total.max() * 30
    ax.set_ylim(lo, hi)
    ax.legend(fontsize=7.5, loc="upper right", ncols=1)
    ax.set_title(f"the cell-state error and where it comes from (b_f = {parts.forget_bias:g})", fontsize=10)
    whole = parts.total[:-1] / parts.total[1:]
    highway = parts.carry[:-1] / parts.total[1:]
    kk = k[:-1]
    bx.plot(kk, whole, color=blue, lw=2.2, label="one step back: ‖∂E/∂c_k‖ / ‖∂E/∂c_(k+1)‖")
    bx.plot(kk, highway, "--", color=blue, lw=1.4, label="the carry's part: ‖carry_k‖ / ‖∂E/∂c_(k+1)‖")
    bx.axhline(1.0, color="0.5", lw=1.0, ls=(0, (4, 2)), label="1: the error neither grows nor shrinks")
    bx.set_xlim(0.5, T - 0.5)
    bx.set_ylim(min(0.4, float(highway.min()) - 0.05), max(1.45, float(whole.max()) + 0.3))
    bx.xaxis.set_major_locator(MaxNLocator(integer=True))
    bx.set_xlabel("time step k")
    bx.set_ylabel("factor")
    bx.legend(fontsize=7.5, loc="upper center", ncols=1)
    bx.set_title("one step back: the whole factor and the carry's part", fontsize=10)
    return fig
