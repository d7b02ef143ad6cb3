"""Chapter 02's pictures: one step gate by gate, the gates as switches, how long a memory lasts,
gate heatmaps over a sequence, a real cell's gate biases."""
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
        # beside the axes, never over a curve (and no search for the "best" place at every redraw)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)
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
    fig = blank_figure(8.6, 3.2)
    GateSwitchPicture(fig, max_steps=trace.steps).update(trace)
    return fig


def plot_memory_by_forget_gate(forget=(0.3, 0.7, 0.9, 0.97, 1.0), steps: int = 20, x: float = 2.0):
    """The cell state after one write at step 1 (``ch02.gate_switch_trace`` with i = o = 1,
    input pulse ``x``), for several forget-gate values: ``c_t = f^(t-1) tanh(x)``; each legend
    entry gives the value's ``ch02.half_life``, and a dotted line marks half of the write."""
    fig, ax = new_figure(7.4, 3.4)
    cmap = colormaps["viridis"]
    t = np.arange(1, steps + 1)
    for j, f in enumerate(forget):
        trace = ch02.gate_switch_trace(f, 1.0, 1.0, x, steps=steps)
        life = ch02.half_life(f) if f > 0 else 0.0
        label = f"f = {f:g}: " + ("never halves" if np.isinf(life) else f"half-life {life:.1f} steps")
        ax.plot(t, trace.c, "o-", ms=3, color=cmap(0.9 * j / max(1, len(forget) - 1)), label=label)
    ax.axhline(np.tanh(x) / 2, color="0.4", ls=":", lw=1.2, label="half of the write")
    ax.set_xlabel("time step t")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0.5, steps + 0.5)
    ax.set_ylabel(r"cell state $c_t$")
    ax.set_ylim(0, 1.06 * np.tanh(abs(x)))
    ax.set_title(f"one write at t = 1 (x = {x:g}), then only the forget gate acts", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


_GATE_MAPS = (("f", "forget gate $f_t$"), ("i", "input gate $i_t$"), ("o", "output gate $o_t$"))
_GATE_CMAP = "YlGnBu"  # one colour map and one scale for the three gates: their panels compare
_SIGNED_MAPS = (("c_tilde", r"candidate $\tilde c_t$"), ("c", "cell state $c_t$"), ("h", "output $h_t$"))


def signed_limit(*caches, sample: int = 0) -> float:
    """The half-width of the one colour scale shared by the candidate, the cell state and the
    output of ``caches``: 1 (where the candidate and the output live), widened to the largest
    ``|c_t|`` when the cell state leaves (-1, 1)."""
    return max([1.0] + [float(np.abs(np.asarray(c.c)[:, sample]).max()) for c in caches])


def _heatmap(ax, data, cmap, lim, T, H):
    return ax.imshow(data, aspect="auto", cmap=cmap, vmin=lim[0], vmax=lim[1], interpolation="nearest",
                     extent=(0.5, T + 0.5, H + 0.5, 0.5))


def plot_gate_heatmaps(cache, sample: int = 0):
    """Six heatmaps (units x time steps) of one sample of an ``lstm_forward`` cache. Panels meant
    to be compared share a colour scale: the three gates (left) share 0..1; the candidate, the
    cell state and the output (right) share one symmetric scale, ``+-signed_limit(cache)``."""
    ch02.check_sample(cache, sample)
    T, _, H = np.asarray(cache.h).shape
    fig, axes = new_figure(9, 6.2, nrows=3, ncols=2, sharex=True)
    m = signed_limit(cache, sample=sample)
    for row, (name, label) in enumerate(_GATE_MAPS):
        im_gate = _heatmap(axes[row, 0], np.asarray(getattr(cache, name))[:, sample, :].T, _GATE_CMAP, (0, 1), T, H)
        axes[row, 0].set_title(label, fontsize=10)
    for row, (name, label) in enumerate(_SIGNED_MAPS):
        im_signed = _heatmap(axes[row, 1], np.asarray(getattr(cache, name))[:, sample, :].T, "PuOr", (-m, m), T, H)
        axes[row, 1].set_title(label, fontsize=10)
    fig.colorbar(im_gate, ax=axes[:, 0], fraction=0.05, pad=0.02, label="the three gates: one scale")
    fig.colorbar(im_signed, ax=axes[:, 1], fraction=0.05, pad=0.02,
                 label=r"$\tilde c_t$, $c_t$, $h_t$: one scale")
    for ax in axes.ravel():
        ax.set_ylabel("unit")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("time step t")
    return fig


def plot_cell_state_by_forget_bias(memory, sample: int = 0):
    """The cell state ``c_t`` (units x time steps) of each run of a ``ch02.ForgetBiasMemory``,
    one panel per forget bias, all on one symmetric colour scale (the largest ``|c_t|`` of any
    run), so that the panels compare directly."""
    caches = [memory.caches[r.forget_bias] for r in memory.rows]
    for cache in caches:
        ch02.check_sample(cache, sample)
    m = signed_limit(*caches, sample=sample)
    fig, axes = new_figure(9, 1.0 + 1.45 * len(caches), nrows=len(caches), ncols=1, sharex=True, squeeze=False)
    for ax, r, cache in zip(axes[:, 0], memory.rows, caches):
        T, _, H = np.asarray(cache.c).shape
        im = _heatmap(ax, np.asarray(cache.c)[:, sample, :].T, "PuOr", (-m, m), T, H)
        ax.set_title(f"cell state $c_t$ with $b_f$ = {r.forget_bias:g}: mean $f_t$ = {r.mean_f:.3f}, "
                     f"half-life {r.half_life:.1f} steps", fontsize=10)
        ax.set_ylabel("unit")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1, 0].set_xlabel("time step t")
    fig.colorbar(im, ax=axes[:, 0], fraction=0.04, pad=0.02, label="$c_t$ (one scale for all panels)")
    return fig


_WALK = (  # panel title, (before, its label), (after, its label), the gate that multiplies
    (r"(a) forget gate $f_t$ (1) keeps part of $c_{t-1}$", ("c_{t-1}", "old cell state $c_{t-1}$"),
     ("f_t*c_{t-1}", r"kept: $f_t \odot c_{t-1}$"), "f_t"),
    (r"(b) input gate $i_t$ (2) writes part of $\tilde c_t$ (3)", ("c~_t", r"candidate $\tilde c_t$"),
     ("i_t*c~_t", r"written: $i_t \odot \tilde c_t$"), "i_t"),
    (r"(c) new cell state $c_t$ (4) = kept + written", None, None, None),
    (r"(d) output gate $o_t$ (5): $h_t$ (6)", ("tanh(c_t)", r"$\tanh(c_t)$"),
     ("h_t", r"output $h_t = o_t \odot \tanh(c_t)$"), "o_t"),
)
_GATE_SYMBOL = {"f_t": "f", "i_t": "i", "o_t": "o"}


def plot_step_walkthrough(trace):
    """One LSTM step gate by gate, for a ``ch02.StepTrace`` (the worked example): four panels
    (a)-(d), one bar group per unit, all on one y-scale, each title naming its equations. (a) the
    forget gate (1) scales the old cell state to the kept part; (b) the input gate (2) scales the
    candidate (3) to the written part; (c) the new cell state (4) is their sum; (d) the output gate
    (5) scales ``tanh(c_t)`` to the output ``h_t`` (6). Dashed bars: a vector before a gate
    multiplies it; filled: after; the gate's value above each group. The numbers stand under each
    unit, "before -> after" (in (c), "kept + written = new"), where no bar can cover them."""
    v = dict(trace.values)
    v["c_{t-1}"] = np.asarray(trace.c_prev)
    H = len(v["c_t"])
    units = np.arange(1, H + 1)
    everything = np.concatenate([np.ravel(a) for a in v.values()] + [[0.0]])
    lo, hi = float(everything.min()), float(everything.max())
    span = hi - lo
    fig, axes = new_figure(12, 4.1, ncols=4, sharey=True)
    w = 0.34
    for ax, (title, before, after, gate) in zip(axes, _WALK):
        ax.axhline(0, color="0.5", lw=0.8)
        if before is not None:
            col = _C_GATE[_GATE_SYMBOL[gate]]
            ax.bar(units, v[before[0]], width=2 * w, facecolor="none", edgecolor="0.35", ls="--", lw=1.2,
                   label=before[1])
            ax.bar(units, v[after[0]], width=w, color=col, alpha=0.85, label=after[1])
            for u, g, b, a in zip(units, v[gate], v[before[0]], v[after[0]]):
                ax.text(u, max(b, a, 0) + 0.05 * span, f"{_GATE_SYMBOL[gate]} = {g:.3f}", ha="center",
                        va="bottom", fontsize=8.5, color=col)
            ticks = [f"unit {u}\n{b:.3f} → {a:.3f}" for u, b, a in zip(units, v[before[0]], v[after[0]])]
        else:  # the sum: kept from 0, then written from where kept ends
            kept, written = v["f_t*c_{t-1}"], v["i_t*c~_t"]
            ax.bar(units, kept, width=w, color=_C_GATE["f"], alpha=0.85, label="kept, from (a)")
            ax.bar(units, written, width=w, bottom=kept, color=_C_GATE["i"], alpha=0.85, label="written, from (b)")
            ax.hlines(v["c_t"], units - w, units + w, color=_C_GATE["c"], lw=2.5, label="new cell state $c_t$")
            ticks = [f"unit {u}\n{k:.3f} + {wr:.3f}\n= {c:.3f}" for u, k, wr, c in zip(units, kept, written, v["c_t"])]
        ax.set_title(title, fontsize=9.5)
        ax.set_xticks(units, ticks, fontsize=8.5)
        ax.set_xlim(0.4, H + 0.6)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.26), borderaxespad=0.0)
    axes[0].set_ylim(lo - 0.08 * span, hi + 0.2 * span)
    axes[0].set_ylabel("value")
    return fig


class BiasPicture:
    """A real cell (``ch02.BiasLab``) run with hand-set gate biases: the mean of each gate over
    the units (one line style per gate, so that lines lying on top of each other stay apart), every
    unit's cell state and every unit's output (one colour per unit, named in a legend on the
    right; each panel's scale follows its values, at least -0.5..0.5 for c_t and -0.3..0.3 for
    h_t); the input pulses shaded."""

    GATE_STYLES = (("f", "f_t", "-"), ("i", "i_t", "--"), ("o", "o_t", "-."))

    def __init__(self, fig, lab):
        self.ax_g, self.ax_c, self.ax_h = fig.subplots(1, 3)
        T, H = lab.X.shape[0], lab.params.hidden_size
        t = np.arange(1, T + 1)
        self.lines_g = {g: self.ax_g.plot(t, np.zeros(T), lw=2, ls=ls, color=_C_GATE[g], label=name)[0]
                        for g, name, ls in self.GATE_STYLES}
        # gates never exceed 1: the legend sits in the headroom above, clear of every curve
        self.ax_g.set_ylim(-0.03, 1.32)
        self.ax_g.set_yticks(np.linspace(0, 1, 6))
        self.ax_g.legend(fontsize=8, loc="upper center", ncol=3, borderaxespad=0.2, handlelength=2.2)
        self.ax_g.set_ylabel("gate value (mean over units)")
        cmap = colormaps["tab10"]
        self.lines_c = [self.ax_c.plot(t, np.zeros(T), lw=1.5, color=cmap(u))[0] for u in range(H)]
        self.lines_h = [self.ax_h.plot(t, np.zeros(T), lw=1.5, color=cmap(u), label=f"unit {u + 1}")[0]
                        for u in range(H)]
        # the units' colours, once for both panels, beside the last one: over no curve
        self.ax_h.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                         handlelength=1.5)
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
        self.ax_h.set_ylim(*_linear_limits(h, at_least=(-0.3, 0.3)))
        self.suptitle.set_text("   ".join(f"{k} = {v:+.1f}" for k, v in biases.items())
                               + "   (shaded: input pulses)")


def plot_gate_biases(lab, b_f: float = 0.0, b_i: float = 0.0, b_o: float = 0.0):
    """``BiasPicture`` of ``lab.run(b_f, b_i, b_o)``."""
    fig = blank_figure(10.8, 3.2)
    BiasPicture(fig, lab).update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})
    return fig
