"""The matplotlib figures the notebooks show. Each function draws into given or new axes and
returns the figure; the numbers it draws come from tested functions elsewhere in lstmlib."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.collections import PolyCollection
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from . import gates, gradflow
from .activations import ACTIVATIONS, DERIVATIVE_BOUND

# ==============================================================================================
# Chapters 00-03
# ==============================================================================================
# Pictures that a widget redraws are small classes: ``__init__(fig)`` creates the axes and every
# artist once, ``update(data)`` changes those artists in place (the fast path an Explorer needs).
# The ``plot_*`` functions wrap them for a static figure. Figures are made outside pyplot, so a
# notebook shows a figure exactly once: when a cell returns it.
_C_MEASURED, _C_BOUND, _C_SUM = "#1f77b4", "#d62728", "#2ca02c"
_C_GATE = {"f": "#1f77b4", "i": "#2ca02c", "c": "#9467bd", "o": "#ff7f0e"}


def new_figure(width: float = 8.0, height: float = 3.5, **subplots_kw):
    """``(fig, axes)``: a constrained-layout figure outside pyplot with ``subplots(**subplots_kw)``."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(**subplots_kw)


def _blank(width: float, height: float):
    """An empty constrained-layout figure outside pyplot (a picture class adds its axes)."""
    return Figure(figsize=(width, height), layout="constrained")


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


# ---- chapter 00: activation functions and the derivative bound beta_f -------------------------
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
    fig = _blank(8, 3.0)
    ActivationPicture(fig).update(name, a)
    return fig


# ---- chapter 01: error norms against the article's bound; per-step contributions --------------
class RNNFlowPicture:
    """Left (log scale): the measured ``||delta_k||`` and the article's bound
    ``(beta_f beta_W)^(t-k) ||delta_t||`` over k. Right: the per-step weight-gradient
    contributions ``||grad_{W_k} E||`` as bars, and the norm of their sum, ``||grad_W E||``, as one
    more bar. ``update(flow, title)`` takes a ``gradflow.RNNGradientFlow``."""

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
    """``RNNFlowPicture`` of one ``gradflow.RNNGradientFlow``."""
    fig = _blank(9, 3.4)
    RNNFlowPicture(fig, max_steps=flow.steps).update(flow, title)
    return fig


def plot_error_norms_by_radius(experiment, radii=(0.5, 0.9, 1.0, 1.5, 3.0), activation: str = "tanh",
                               steps: int = 50):
    """``||delta_k|| / ||delta_T||`` over k for several spectral radii of W (one
    ``gradflow.RadiusExperiment``), on a log scale: vanishing below the line 1, exploding above."""
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


# ---- chapter 02: the LSTM cell, the gates as switches, gate activations ------------------------
def _box(ax, xy, w, h, text, color, fontsize=11):
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.05",
                                fc=color, ec="0.2", lw=1.2, zorder=3))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize, zorder=4, color="white")


def _op(ax, xy, text, r=0.28):
    ax.add_patch(Circle(xy, r, fc="#fff7d6", ec="0.2", lw=1.2, zorder=3))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=12, zorder=4)


def _arrow(ax, a, b, color="0.2", lw=1.4, ls="-", style="-|>"):
    ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle=style, color=color, lw=lw, ls=ls,
                                                   shrinkA=0, shrinkB=0), zorder=2)


def plot_lstm_cell(backward: bool = False):
    """A diagram of one LSTM step with equations (1)-(6): the cell state runs straight along the
    top, touched only by one product and one sum. With ``backward=True`` the two error signals of
    BPTT are drawn in red: ``dc`` along the cell state (multiplied by ``f_t``) and ``dh`` through
    the four gates' recurrent weights."""
    fig, ax = new_figure(8.6, 4.6)
    ax.set_xlim(0, 12)
    ax.set_ylim(-0.4, 7.2)
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((1.2, 0.9), 9.6, 5.9, boxstyle="round,pad=0.1", fc="#f4f6fa", ec="0.6", zorder=0))
    top, bus = 6.0, 1.5
    # the cell state: c_{t-1} -> x -> + -> c_t
    _arrow(ax, (0.2, top), (11.8, top), lw=2.4)
    ax.text(0.2, top + 0.25, r"$c_{t-1}$", fontsize=12)
    ax.text(11.3, top + 0.25, r"$c_t$", fontsize=12)
    # the input bus: [h_{t-1}, x_t]
    ax.plot([0.2, 8.3], [bus, bus], color="0.2", lw=1.4, zorder=2)
    ax.plot([2.0, 2.0], [-0.2, bus], color="0.2", lw=1.4, zorder=2)
    ax.text(0.2, bus - 0.45, r"$h_{t-1}$", fontsize=12)
    ax.text(2.15, -0.3, r"$x_t$", fontsize=12)
    gates = {"f": (3.0, r"$\sigma$", "(1) $f_t$"), "i": (4.6, r"$\sigma$", "(2) $i_t$"),
             "c": (6.1, "tanh", r"(3) $\tilde c_t$"), "o": (8.3, r"$\sigma$", "(5) $o_t$")}
    for g, (x, label, name) in gates.items():
        ax.plot([x, x], [bus, 2.55], color="0.2", lw=1.4, zorder=2)
        _box(ax, (x, 3.0), 0.9, 0.8, label, _C_GATE[g], fontsize=11 if g != "c" else 10)
        ax.text(x + 0.05, 2.05, name, fontsize=9, ha="left" if g != "o" else "left", zorder=5)
    # forget: f_t * c_{t-1}
    _op(ax, (3.0, top), r"$\times$")
    _arrow(ax, (3.0, 3.4), (3.0, top - 0.28))
    # write: i_t * c~_t, then + onto the cell state
    _op(ax, (5.35, 4.5), r"$\times$")
    _arrow(ax, (4.6, 3.4), (5.15, 4.3))
    _arrow(ax, (6.1, 3.4), (5.55, 4.3))
    _op(ax, (5.35, top), "+")
    _arrow(ax, (5.35, 4.78), (5.35, top - 0.28))
    ax.text(5.75, top - 0.75, "(4)", fontsize=9)
    # output: h_t = o_t * tanh(c_t)
    ax.plot([9.6, 9.6], [top, 5.1], color="0.2", lw=1.4, zorder=2)
    _box(ax, (9.6, 4.7), 0.9, 0.6, "tanh", "#7f7f7f", fontsize=10)
    _op(ax, (9.6, 3.0), r"$\times$")
    _arrow(ax, (9.6, 4.4), (9.6, 3.28))
    _arrow(ax, (8.75, 3.0), (9.32, 3.0))
    ax.plot([9.6, 9.6, 11.0], [2.72, bus, bus], color="0.2", lw=1.4, zorder=2)
    _arrow(ax, (11.0, bus), (11.8, bus))
    _arrow(ax, (11.0, bus), (11.0, 7.1))
    ax.text(11.25, bus - 0.45, r"$h_t$", fontsize=12)
    ax.text(11.15, 6.75, r"$h_t$", fontsize=12)
    ax.text(9.85, 2.4, "(6)", fontsize=9)
    if backward:
        red = _C_BOUND
        _arrow(ax, (11.6, top + 0.55), (0.5, top + 0.55), color=red, lw=2.0, ls="--")
        ax.text(6.0, top + 0.7, r"$\partial E/\partial c_t \;\to\; \times f_t \;\to\; \partial E/\partial c_{t-1}$"
                "   (the cell-state carry)", color=red, fontsize=10, ha="center")
        _arrow(ax, (10.8, bus - 0.25), (0.5, bus - 0.25), color=red, lw=2.0, ls="--")
        ax.text(7.0, bus - 1.0, r"$\partial E/\partial h_{t-1} = \sum_g W_{gh}^T\,\delta_{g,t}$",
                color=red, fontsize=10, ha="center")
        ax.set_title("one LSTM step, and the two error signals BPTT sends back (red)", fontsize=10)
    else:
        ax.set_title("one LSTM step: three gates, one candidate, the cell state along the top", fontsize=10)
    return fig


class GateSwitchPicture:
    """The one-unit cell with its gates held by hand (``gates.GateTrace``): bars for what the input
    gate writes at each step (``i * c~_t``), lines for the cell state ``c_t`` and the output ``h_t``."""

    def __init__(self, fig, max_steps: int = 40):
        self.ax = fig.subplots()
        ax = self.ax
        self.cand = ax.add_collection(PolyCollection([], facecolors="none", edgecolors="0.45", linestyles="--",
                                                     linewidths=1, label="candidate c̃_t = tanh(x_t)"))
        self.bars = ax.add_collection(PolyCollection([], facecolors=_C_GATE["i"], alpha=0.45,
                                                     label="written: i · c̃_t"))
        (self.c,) = ax.plot([1], [0], "o-", ms=4, lw=2, color=_C_GATE["c"], label="cell state c_t")
        (self.h,) = ax.plot([1], [0], "s-", ms=3, lw=1.5, color=_C_GATE["o"], label="output h_t")
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_xlabel("time step t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="best", fontsize=8)
        self.max_steps = max_steps

    def update(self, trace) -> None:
        T = trace.steps
        if T > self.max_steps:
            raise ValueError(f"trace: expected at most {self.max_steps} steps, got {T}")
        t = np.arange(1, T + 1)
        self.cand.set_verts(_bar_verts(t, trace.c_tilde, 0.6))
        self.bars.set_verts(_bar_verts(t, trace.written, 0.6))
        self.c.set_data(t, trace.c)
        self.h.set_data(t, trace.h)
        self.ax.set_xlim(0.3, T + 0.7)
        self.ax.set_ylim(*_linear_limits(trace.c, trace.h, trace.written, at_least=(-1.0, 1.0)))
        x = trace.x[0]
        self.ax.set_title(f"f = {trace.f:.2f}, i = {trace.i:.2f}, o = {trace.o:.2f}, x = {x:.1f} ({trace.pattern}):"
                          f"   c_T = {trace.c[-1]:.3f},  h_T = {trace.h[-1]:.3f}", fontsize=10)


def plot_gate_switches(trace):
    """``GateSwitchPicture`` of one ``gates.GateTrace``."""
    fig = _blank(7, 3.2)
    GateSwitchPicture(fig, max_steps=trace.steps).update(trace)
    return fig


def plot_memory_by_forget_gate(forget=(0.3, 0.7, 0.9, 0.97, 1.0), steps: int = 20, x: float = 2.0):
    """The cell state after one write at step 1 (``gates.gate_switch_trace`` with i = o = 1,
    input pulse ``x``), for several forget-gate values: ``c_t = f^(t-1) tanh(x)``."""
    fig, ax = new_figure(6.5, 3.4)
    cmap = colormaps["viridis"]
    t = np.arange(1, steps + 1)
    for j, f in enumerate(forget):
        trace = gates.gate_switch_trace(f, 1.0, 1.0, x, steps=steps)
        ax.plot(t, trace.c, "o-", ms=3, color=cmap(j / max(1, len(forget) - 1)), label=f"f = {f:g}")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"cell state $c_t$")
    ax.set_ylim(bottom=0)
    ax.set_title(f"one write at t = 1 (x = {x:g}), then only the forget gate acts", fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    return fig


_HEATMAP_ROWS = (("f", "forget gate $f_t$", "Blues", (0, 1)), ("i", "input gate $i_t$", "Greens", (0, 1)),
                 ("o", "output gate $o_t$", "Oranges", (0, 1)),
                 ("c_tilde", r"candidate $\tilde c_t$", "PuOr", (-1, 1)),
                 ("c", "cell state $c_t$", "PuOr", None), ("h", "output $h_t$", "PuOr", (-1, 1)))


def plot_gate_heatmaps(cache, sample: int = 0):
    """Six heatmaps (units x time steps) of one sample of an ``lstm_forward`` cache: the three
    gates in (0, 1), the candidate and the output in (-1, 1), and the cell state (symmetric scale)."""
    T, B, H = cache.h.shape
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < B:
        raise ValueError(f"sample: expected a whole number in [0, {B}), got {sample!r}")
    fig, axes = new_figure(9, 6.2, nrows=3, ncols=2, sharex=True)
    for ax, (name, label, cmap, lim) in zip(axes.T.ravel(), _HEATMAP_ROWS):
        data = np.asarray(getattr(cache, name))[:, sample, :].T  # (H, T)
        if lim is None:
            m = float(np.abs(data).max()) or 1.0
            lim = (-m, m)
        im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=lim[0], vmax=lim[1], interpolation="nearest",
                       extent=(0.5, T + 0.5, H + 0.5, 0.5))
        ax.set_title(label, fontsize=10)
        ax.set_ylabel("unit")
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    for ax in axes[-1]:
        ax.set_xlabel("time step t")
    return fig


class BiasPicture:
    """A real cell (``gates.BiasLab``) run with hand-set gate biases: the mean of each gate over
    the units, every unit's cell state, every unit's output; the input pulses shaded."""

    def __init__(self, fig, lab):
        self.ax_g, self.ax_c, self.ax_h = fig.subplots(1, 3)
        T, _, H = lab.X.shape[0], 1, lab.params.hidden_size
        t = np.arange(1, T + 1)
        self.lines_g = {g: self.ax_g.plot(t, np.zeros(T), lw=2, color=_C_GATE[g], label=lab_)[0]
                        for g, lab_ in (("f", "f_t"), ("i", "i_t"), ("o", "o_t"))}
        self.ax_g.set_ylim(-0.03, 1.03)
        self.ax_g.legend(fontsize=8, loc="center right")
        self.ax_g.set_ylabel("gate value (mean over units)")
        cmap = colormaps["tab10"]
        self.lines_c = [self.ax_c.plot(t, np.zeros(T), lw=1.5, color=cmap(u))[0] for u in range(H)]
        self.lines_h = [self.ax_h.plot(t, np.zeros(T), lw=1.5, color=cmap(u))[0] for u in range(H)]
        self.ax_h.set_ylim(-1.05, 1.05)
        for ax, title in ((self.ax_g, "gates"), (self.ax_c, "cell state c_t (each unit)"),
                          (self.ax_h, "output h_t (each unit)")):
            ax.set_xlabel("time step t")
            ax.set_xlim(0.5, T + 0.5)
            ax.set_title(title, fontsize=10)
            for s in lab.pulses:
                ax.axvspan(s - 0.5, s + 0.5, color="0.85", zorder=0)
        self.suptitle = fig.suptitle("", fontsize=10)

    def update(self, cache, biases: dict) -> None:
        for g, line in self.lines_g.items():
            line.set_ydata(np.asarray(getattr(cache, g))[:, 0, :].mean(axis=1))
        c = np.asarray(cache.c)[:, 0, :]
        h = np.asarray(cache.h)[:, 0, :]
        for u, line in enumerate(self.lines_c):
            line.set_ydata(c[:, u])
        for u, line in enumerate(self.lines_h):
            line.set_ydata(h[:, u])
        self.ax_c.set_ylim(*_linear_limits(c, at_least=(-0.5, 0.5)))
        self.suptitle.set_text("   ".join(f"{k} = {v:+.1f}" for k, v in biases.items())
                               + "   (shaded: input pulses)")


def plot_gate_biases(lab, b_f: float = 0.0, b_i: float = 0.0, b_o: float = 0.0):
    """``BiasPicture`` of ``lab.run(b_f, b_i, b_o)``."""
    fig = _blank(10, 3.2)
    BiasPicture(fig, lab).update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})
    return fig


# ---- chapter 03: gradient checks of the errata ---------------------------------------------------
_ERR_FLOOR = 1e-12


class GradcheckPicture:
    """One ``GradcheckReport`` as horizontal bars of relative error on a log scale, one bar per
    checked array, red where the check fails; the tolerance dashed."""

    def __init__(self, fig, names=None):
        self.ax = fig.subplots()
        self.names = tuple(names or gradflow.GRADCHECK_ARRAYS)
        n = len(self.names)
        self.bars = self.ax.barh(np.arange(n), np.zeros(n), left=_ERR_FLOOR / 10, color="0.6", height=0.7)
        self.ax.set_xscale("log")
        _plain_log_axis(self.ax.xaxis)
        self.ax.set_xlim(_ERR_FLOOR / 10, 10)
        self.ax.set_yticks(np.arange(n), self.names)
        self.tol = self.ax.axvline(1e-7, ls="--", color="0.3", lw=1)
        self.ax.set_xlabel("relative error of the analytic gradient (finite differences as truth)")
        self.ax.text(1.3e-7, -0.55, "tolerance", fontsize=8, color="0.3", va="bottom")
        self.ax.set_ylim(n - 0.5, -0.9)

    def update(self, report, title: str = "") -> None:
        for name, bar in zip(self.names, self.bars):
            row = report[name]
            bar.set_width(max(row.relative_error, _ERR_FLOOR) - _ERR_FLOOR / 10)
            bar.set_color(_C_BOUND if not row.passed else "#8fbf8f")
        self.tol.set_xdata([report.tol, report.tol])
        n_fail = len(report.failed)
        self.ax.set_title(f"{title}{n_fail} of {len(report.rows)} arrays fail", fontsize=10)


def plot_gradcheck(report, title: str = ""):
    """``GradcheckPicture`` of one report."""
    fig = _blank(6.5, 4.4)
    GradcheckPicture(fig, [r.name for r in report.rows]).update(report, title)
    return fig


def plot_errata_heatmap(table):
    """A ``gradflow.ErrataTable`` as a grid: rows the checked arrays, columns (variant, T); colour
    is log10 of the relative error, each cell says ``ok`` or the error (2 significant digits)."""
    cols = [(lab, T) for T in table.steps for lab in table.labels]
    names = [r.name for r in table.reports[cols[0]].rows]
    err = np.array([[table.reports[c][n].relative_error for c in cols] for n in names])
    ok = np.array([[table.reports[c][n].passed for c in cols] for n in names])
    fig, ax = new_figure(1.2 + 0.85 * len(cols), 0.8 + 0.33 * len(names))
    cmap = colormaps["Reds"].with_extremes(bad="#e8f3e8")  # passing cells: pale green
    shown = np.where(ok, np.nan, np.log10(np.clip(err, _ERR_FLOOR, None)))
    im = ax.imshow(shown, cmap=cmap, vmin=-2.5, vmax=0.3, aspect="auto")
    for r in range(len(names)):
        for c in range(len(cols)):
            txt = "ok" if ok[r, c] else f"{err[r, c]:.2g}"
            ax.text(c, r, txt, ha="center", va="center", fontsize=8,
                    color="0.45" if ok[r, c] else ("white" if err[r, c] > 0.1 else "black"))
    ax.set_xticks(np.arange(len(cols)), [f"{lab}\nT={T}" for lab, T in cols], fontsize=8)
    ax.set_yticks(np.arange(len(names)), names, fontsize=9)
    for j in range(1, len(table.steps)):
        ax.axvline(j * len(table.labels) - 0.5, color="0.2", lw=1.5)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="log10 relative error (failing cells)")
    ax.set_title("gradient check of each backward variant (zero initial state)", fontsize=10)
    return fig


def plot_bptt_carries(trace):
    """``||dE/dh_t||`` and ``||dE/dc_t||`` over t from a ``gradflow.LSTMBPTTTrace``: the two
    error signals BPTT carries back through an LSTM."""
    fig, ax = new_figure(6.5, 3.2)
    T = trace.dh.shape[0]
    t = np.arange(1, T + 1)
    ax.semilogy(t, np.linalg.norm(trace.dh.reshape(T, -1), axis=1), "o-", color=_C_GATE["o"],
                label=r"$\|\partial E/\partial h_t\|$")
    ax.semilogy(t, np.linalg.norm(trace.dc.reshape(T, -1), axis=1), "s-", color=_C_GATE["c"],
                label=r"$\|\partial E/\partial c_t\|$")
    ax.set_xlabel("time step t")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=9)
    ax.set_title("the two error signals of LSTM BPTT", fontsize=10)
    return fig

# === chapters 00-03 section: end ===

# ==============================================================================================
# Chapters 04-06
# ==============================================================================================
_C_MODEL = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}
_NAME = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
_TINY = 1e-300  # what a log axis is given instead of an exact 0 (an underflow)
_CEIL = 1e30  # where an overflowed value is drawn


def _positive(v) -> np.ndarray:
    return np.maximum(np.asarray(v, dtype=np.float64), _TINY)


# ---- chapter 04: gradient norms over time steps, RNN vs LSTM vs GRU ---------------------------
class GradientFlowPicture:
    """One log-scale axes: ``||dE/dh_k|| / ||dE/dh_T||`` over the time step k for each model
    (solid), the LSTM's ``||dE/dc_k|| / ||dE/dh_T||`` (dashed), and for the ``highlight``-ed model
    its guide line (dotted: the LSTM's ``sigmoid(b_f)^(T-k)``, the GRU's ``2^-(T-k)``, the RNN's
    bound ``(beta_f beta_W)^(T-k)``). The highlighted model is drawn thick, the others thin.

    ``update(flows, guides, highlight, title)``: ``flows`` maps 'rnn'/'lstm'/'gru' to
    ``gradflow.LastStepGradients``; ``guides`` maps the same names to ``(T,)`` arrays (or is None).
    """

    FLOOR = 1e-40  # the lowest value the axis shows; anything below has vanished for all purposes

    def __init__(self, ax, *, legend: bool = True):
        self.ax = ax
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        self.dh, self.guide = {}, {}
        for name in gradflow.MODEL_NAMES:
            (self.dh[name],) = ax.plot([1], [1], lw=1.5, color=_C_MODEL[name],
                                       label=f"{_NAME[name]}  ‖∂E/∂h_k‖")
            (self.guide[name],) = ax.plot([1], [1], ":", lw=1.6, color=_C_MODEL[name])
        (self.dc,) = ax.plot([1], [1], "--", lw=1.5, color=_C_MODEL["lstm"],
                             label="LSTM  ‖∂E/∂c_k‖")
        ax.axhline(1.0, color="0.6", lw=0.8, zorder=0)
        ax.set_xlabel("time step k  (the loss sits at the last step, k = T)")
        ax.set_ylabel("norm relative to ‖∂E/∂h_T‖")
        if legend:
            ax.legend(loc="lower right", fontsize=8, framealpha=0.9)

    def update(self, flows: dict, guides: dict | None = None, highlight: str | None = None,
               title: str = "") -> None:
        T = next(iter(flows.values())).steps
        k = np.arange(1, T + 1)
        shown = []
        for name in gradflow.MODEL_NAMES:
            line, guide = self.dh[name], self.guide[name]
            if name not in flows:
                line.set_visible(False)
                guide.set_visible(False)
                continue
            v = _positive(flows[name].relative("dh"))
            shown.append(v)
            line.set_visible(True)
            line.set_data(k, v)
            strong = highlight is None or highlight == name
            line.set_linewidth(2.6 if highlight == name else 1.4)
            line.set_alpha(1.0 if strong else 0.35)
            g = None if guides is None else guides.get(name)
            guide.set_visible(g is not None and highlight == name)
            if g is not None:
                guide.set_data(k, _positive(g))
        if "lstm" in flows:
            dc = _positive(flows["lstm"].relative("dc"))
            shown.append(dc)
            self.dc.set_data(k, dc)
            self.dc.set_visible(True)
            self.dc.set_alpha(1.0 if highlight in (None, "lstm") else 0.35)
            self.dc.set_linewidth(2.2 if highlight == "lstm" else 1.3)
        else:
            self.dc.set_visible(False)
        vals = np.concatenate(shown)
        hi = max(10.0, float(vals.max()) * 10)
        lo = min(0.1, max(self.FLOOR, float(vals.min()) / 10))
        self.ax.set_ylim(lo, hi)
        self.ax.set_xlim(0.5, T + 0.5)
        if title:
            self.ax.set_title(title, fontsize=10)


def plot_gradient_flow(comparison, highlight: str = "lstm", title: str = ""):
    """``GradientFlowPicture`` of one ``gradflow.GradientFlowComparison``, with guides."""
    fig = _blank(8, 3.8)
    pic = GradientFlowPicture(fig.subplots())
    pic.update(comparison.flows, comparison.guides(), highlight,
               title or f"weights × {comparison.scale:g},  b_f = {comparison.forget_bias:g}")
    return fig


def plot_gradient_flow_before_after(before: dict, after: dict, *, titles=("at initialisation",
                                                                         "after training")):
    """Two ``GradientFlowPicture`` panels side by side (shared y axis): ``before`` and ``after``
    each map model names to ``gradflow.LastStepGradients``."""
    fig = _blank(10, 3.8)
    axes = fig.subplots(1, 2, sharey=True)
    lo = []
    for ax, flows, title, legend in zip(axes, (before, after), titles, (False, True)):
        pic = GradientFlowPicture(ax, legend=legend)
        pic.update(flows, title=title)
        lo.append(ax.get_ylim())
    axes[0].set_ylim(min(a for a, _ in lo), max(b for _, b in lo))
    axes[1].set_ylabel("")
    return fig


def plot_forget_bias_decay(table, *, biases=None):
    """``sigmoid(b_f)^(T-1)`` as a curve over ``b_f`` (log scale) with the measured ratios of a
    ``gradflow.ForgetBiasTable`` as markers: near-zero weights (on the curve) and the usual
    initialisation (where the paths through h add to the highway)."""
    fig, ax = new_figure(7, 3.6)
    b = np.linspace(-1, 6, 141) if biases is None else np.asarray(biases, float)
    ax.semilogy(b, gradflow.forget_bias_prediction(b, table.steps), color=_C_MODEL["lstm"],
                lw=2, label=f"predicted  sigmoid(b_f)^(T−1),  T = {table.steps}")
    xs = [r.forget_bias for r in table.rows]
    ax.semilogy(xs, [r.measured_small for r in table.rows], "o", ms=8, mfc="none", mew=2,
                color="k", label=f"measured, weights × {table.small_scale:g}")
    ax.semilogy(xs, [r.measured_default for r in table.rows], "s", ms=6, color="#ff7f0e",
                label="measured, usual initialisation")
    ax.axhline(1.0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("forget-gate bias b_f")
    ax.set_ylabel("‖∂E/∂c_1‖ / ‖∂E/∂c_T‖")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("how much of the cell-state gradient survives T − 1 steps", fontsize=10)
    return fig


def plot_cell_jacobian(norms_by_bias: dict):
    """``||diag(f_t)||_2`` (solid) and ``||through_h_t||_2`` (dashed) over t for each forget bias:
    ``norms_by_bias`` maps ``b_f`` to the pair from ``gradflow.cell_jacobian_norms``."""
    fig, ax = new_figure(7, 3.4)
    cmap = colormaps["viridis"]
    n = max(1, len(norms_by_bias) - 1)
    for j, (b, (direct, through)) in enumerate(norms_by_bias.items()):
        t = np.arange(2, len(direct) + 2)
        color = cmap(0.85 * j / n)
        ax.plot(t, direct, color=color, lw=2, label=f"b_f = {b:g}:  ‖diag(f_t)‖")
        ax.plot(t, through, "--", color=color, lw=1.5, label=f"b_f = {b:g}:  ‖terms through h‖")
    ax.set_ylim(0, 1.45)
    ax.set_xlabel("time step t")
    ax.set_ylabel("largest singular value")
    ax.set_title("the two parts of ∂c_t/∂c_{t−1} (usual initialisation)", fontsize=10)
    ax.legend(fontsize=7, ncols=len(norms_by_bias), loc="upper center")
    return fig


# ---- chapter 05: the GRU's gates held by hand ------------------------------------------------
class GateHoldPicture:
    """Left: ``h_t`` of every unit over t (with ``h_0`` at t = 0 and the input as grey bars);
    right (log scale): ``||dh_t/dh_0||``, how much of the starting state survives, with
    ``(1 - z)^t`` dotted. ``update(run, x)`` takes a ``gradflow.FixedGateRun`` and the input ``(T,)``."""

    def __init__(self, fig, *, units: int, steps: int, h0):
        self.ax_h, self.ax_j = fig.subplots(1, 2, width_ratios=(1.3, 1))
        cmap = colormaps["tab10"]
        self.h0 = np.asarray(h0, float).ravel()
        self.lines = [self.ax_h.plot([0], [0], lw=1.8, color=cmap(u), label=f"unit {u + 1}")[0]
                      for u in range(units)]
        self.inputs = self.ax_h.add_collection(PolyCollection([], facecolors="0.75",
                                                              label="input x_t"))
        self.ax_h.axhline(0, color="0.6", lw=0.8, zorder=0)
        self.ax_h.set_xlim(-0.5, steps + 0.5)
        self.ax_h.set_ylim(-1.1, 2.2)
        self.ax_h.set_xlabel("time step t")
        self.ax_h.set_ylabel("h_t")
        self.ax_h.legend(fontsize=7, ncols=3, loc="upper right")
        ax = self.ax_j
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        (self.influence,) = ax.plot([1], [1], lw=2, color=_C_MODEL["gru"], label="‖∂h_t/∂h_0‖")
        (self.leak,) = ax.plot([1], [1], ":", lw=1.6, color="k", label="(1 − z)^t")
        ax.set_xlim(0.5, steps + 0.5)
        ax.set_xlabel("time step t")
        ax.legend(fontsize=8, loc="lower left")
        self.steps = steps

    def update(self, run, x, title: str = "") -> None:
        T = run.hs.shape[0]
        t = np.arange(0, T + 1)
        for u, line in enumerate(self.lines):
            line.set_data(t, np.concatenate([[self.h0[u]], run.hs[:, 0, u]]))
        self.inputs.set_verts(_bar_verts(np.arange(1, T + 1), np.asarray(x, float), 0.6))
        tt = np.arange(1, T + 1)
        infl = _positive(run.influence)
        with np.errstate(under="ignore"):
            leak = _positive((1.0 - run.z) ** tt)
        self.influence.set_data(tt, infl)
        self.leak.set_data(tt, leak)
        lo = max(1e-30, min(float(infl.min()), float(leak.min())) / 10)
        hi = max(10.0, float(infl.max()) * 10)
        self.ax_j.set_ylim(lo, hi)
        self.ax_h.set_title(title or f"z = {run.z:.2f}, r = {run.r:.2f}", fontsize=10)
        self.ax_j.set_title(f"what is left of h_0:  ‖∂h_T/∂h_0‖ = {run.influence[-1]:.2g}", fontsize=10)


def plot_gate_hold(lab, z: float, r: float):
    """``GateHoldPicture`` of ``lab.run(z, r)`` for a ``gradflow.GateLab``."""
    fig = _blank(9.5, 3.4)
    pic = GateHoldPicture(fig, units=lab.params.hidden_size, steps=lab.X.shape[0], h0=lab.h0)
    pic.update(lab.run(z, r), lab.X[:, 0, 0])
    return fig


# ---- chapter 06: learning curves --------------------------------------------------------------
def _run_color(r):
    return _C_MODEL[r.spec.kind]


def plot_learning_curves(*experiments, accuracy: bool = False):
    """Held-out loss (or accuracy) over training steps, one panel per ``experiments.Experiment``,
    one line per run coloured by model, with the task's baseline (dashed) and target (dotted)."""
    n = len(experiments)
    if n == 0:
        raise ValueError("experiments: expected at least one Experiment, got none")
    fig = _blank(4.6 * n + 0.6, 3.5)
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)[0])
    for ax, ex in zip(axes, experiments):
        for r in ex.results:
            h = r.history
            y = h.eval_accuracy if accuracy else h.eval_loss
            if y is None:
                raise ValueError("accuracy: the runs are regressions (MSE): no accuracy to plot")
            ax.plot(h.eval_step, y if accuracy else _positive(y), lw=1.8,
                    color=_run_color(r), label=r.spec.label)
        spec = ex.results[0].spec
        task = spec.make_task()
        if accuracy:
            ax.axhline(task.chance_accuracy, color="0.4", ls="--", lw=1, label="chance")
            ax.axhline(spec.target, color="0.4", ls=":", lw=1, label="target")
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("held-out accuracy")
        else:
            ax.set_yscale("log")
            ax.axhline(task.baseline_loss, color="0.4", ls="--", lw=1, label="best constant")
            if spec.task == "adding":
                ax.axhline(spec.target, color="0.4", ls=":", lw=1, label="target")
            ax.set_ylabel("held-out loss")
        ax.set_xlabel("training step")
        ax.set_title(task.name, fontsize=10)
        ax.legend(fontsize=7, loc="best")
    return fig


def plot_forget_bias_runs(experiment):
    """Held-out accuracy over steps for each run of a forget-bias experiment, coloured by b_f."""
    fig, ax = new_figure(7, 3.5)
    biases = sorted({r.spec.forget_bias for r in experiment.results})
    cmap = colormaps["viridis"]
    styles = ["-", "--", ":", "-.", (0, (1, 1))]
    seeds = sorted({r.spec.seed for r in experiment.results})
    for r in experiment.results:
        h = r.history
        j = biases.index(r.spec.forget_bias)
        y = h.eval_accuracy if h.eval_accuracy is not None else _positive(h.eval_loss)
        ax.plot(h.eval_step, y, ls=styles[seeds.index(r.spec.seed) % len(styles)], lw=1.8,
                color=cmap(0.85 * j / max(1, len(biases) - 1)), label=r.spec.label)
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out accuracy" if experiment.results[0].history.eval_accuracy is not None
                  else "held-out loss")
    ax.legend(fontsize=7, ncols=2, loc="best")
    ax.set_title("LSTM, forget-gate bias b_f (colour) and seed (line style)", fontsize=10)
    return fig


def plot_clipping(experiment):
    """Left: the gradient norm at every step (before clipping; log scale); right: the training
    loss (log scale). One colour per group of a clipping experiment; a cross where a run diverged."""
    fig = _blank(10, 3.5)
    ax_g, ax_l = fig.subplots(1, 2)
    colors = {"default": "0.45", "exploding": _C_MODEL["rnn"], "clipped": _C_MODEL["lstm"]}
    top = 1.0
    for r in experiment.results:
        group = ("clipped" if r.spec.clip is not None
                 else "exploding" if r.spec.scale is not None else "default")
        h = r.history
        steps = np.arange(1, h.steps + 1)
        lab = {"default": "default weights", "exploding": "large weights",
               "clipped": "large weights, clipped"}[group] if r.spec.seed == experiment.results[0].spec.seed else None
        # overflowed values are drawn at the top of the axes (1e30), which they passed
        norm = np.minimum(np.nan_to_num(h.grad_norm, nan=_CEIL, posinf=_CEIL), _CEIL)
        loss = np.minimum(np.nan_to_num(h.loss, nan=_CEIL, posinf=_CEIL), _CEIL)
        top = max(top, float(norm.max()))
        ax_g.semilogy(steps, _positive(norm), color=colors[group], lw=1.2, label=lab)
        ax_l.semilogy(steps, _positive(loss), color=colors[group], lw=1.2, label=lab)
        if r.diverged:
            ax_l.semilogy([h.diverged_at], [_CEIL], "x", ms=9, mew=2, color=colors[group])
    if any(r.spec.clip is not None for r in experiment.results):
        theta = next(r.spec.clip for r in experiment.results if r.spec.clip is not None)
        ax_g.axhline(theta, color=colors["clipped"], ls=":", lw=1.2, label=f"θ = {theta:g}")
    ax_l.axhline(1 / 6, color="0.4", ls="--", lw=1, label="best constant 1/6")
    ax_l.set_ylim(1e-2, _CEIL * 30)
    ax_g.set_ylim(1e-2, top * 30)
    for ax, name in ((ax_g, "gradient norm ‖g‖ (before clipping)"), (ax_l, "training loss (MSE)")):
        ax.set_xlabel("training step")
        ax.set_ylabel(name)
        ax.legend(fontsize=7, loc="best")
    ax_l.set_title("×: the loss overflowed and the run stopped (values above 10³⁰ drawn at 10³⁰)",
                   fontsize=9)
    return fig


# === chapters 04-06 section: end ===
