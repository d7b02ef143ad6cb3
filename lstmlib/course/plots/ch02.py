"""Chapter 02's pictures: the gates as switches, gate heatmaps, a real cell's gate biases."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator

from .. import ch02
from ._style import _C_GATE, new_figure, blank_figure, _bar_verts, _linear_limits


class GateSwitchPicture:
    """The one-unit cell with its gates held by hand (``ch02.GateTrace``): bars for what the input
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
    """``GateSwitchPicture`` of one ``ch02.GateTrace``."""
    fig = blank_figure(7, 3.2)
    GateSwitchPicture(fig, max_steps=trace.steps).update(trace)
    return fig


def plot_memory_by_forget_gate(forget=(0.3, 0.7, 0.9, 0.97, 1.0), steps: int = 20, x: float = 2.0):
    """The cell state after one write at step 1 (``ch02.gate_switch_trace`` with i = o = 1,
    input pulse ``x``), for several forget-gate values: ``c_t = f^(t-1) tanh(x)``."""
    fig, ax = new_figure(6.5, 3.4)
    cmap = colormaps["viridis"]
    t = np.arange(1, steps + 1)
    for j, f in enumerate(forget):
        trace = ch02.gate_switch_trace(f, 1.0, 1.0, x, steps=steps)
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
    """A real cell (``ch02.BiasLab``) run with hand-set gate biases: the mean of each gate over
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
    fig = blank_figure(10, 3.2)
    BiasPicture(fig, lab).update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})
    return fig
