"""Chapter 08's pictures: the cell state on a continual stream and the gradient's reach of every
variant; the sweep as box plots (Greff et al.'s Fig. 3, on our tasks) and its learning-rate curves;
the explorer's picture (one variant against chapter 02's LSTM)."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ..ch08 import CONFIGS, TASK_SETTINGS, SweepResults
from ..ch08.parts import VARIANT_LABELS
from ..ch08.verdicts import T_975, best_scores
from ._style import _plain_log_axis, _positive, blank_figure, new_figure

_CMAP = colormaps["tab10"]
COLOURS = {label: _CMAP(k) for k, label in zip((0, 1, 2, 3, 4, 5, 6, 8, 9), VARIANT_LABELS + ("V b_f=0",))}
"""One colour per configuration; tab10's grey (7) is left out: the explorer draws its reference in grey."""
_CLIP = {"text": (2.9, 4.6)}  # linear axis, scores above drawn at the top edge and counted
_TASK_AXIS = {"adding": "held-out MSE", "order": "held-out cross-entropy (nats)", "text": "validation bits per char"}


class VariantPicture:
    """Two log-scale axes: left, mean ``|c_t|`` along the stream; right, the gradient's reach
    ``||dE/dh_k|| / ||dE/dh_T||`` (solid) and ``||dE/dc_k|| / ||dE/dh_T||`` (dashed). The chosen
    variant in colour, chapter 02's LSTM (NP) in grey for reference.

    ``update(drift, ref_drift, reach, ref_reach, title)``: ``CellDrift`` and ``Reach`` objects.
    """

    def __init__(self, fig):
        self.ax_c, self.ax_r = fig.subplots(1, 2)
        for ax in (self.ax_c, self.ax_r):
            ax.set_yscale("log")
            _plain_log_axis(ax.yaxis)
        (self.c_ref,) = self.ax_c.plot([1], [1], color="0.55", lw=1.4, label="NP (chapter 02's LSTM)")
        (self.c,) = self.ax_c.plot([1], [1], lw=1.8, label="the chosen variant")
        self.ax_c.set_xlabel("time step t of the stream")
        self.ax_c.set_ylabel("mean |c_t| over the units")
        self.legend = self.ax_c.legend(loc="upper left", fontsize=8)
        (self.dh_ref,) = self.ax_r.plot([1], [1], color="0.55", lw=1.4)
        (self.dc_ref,) = self.ax_r.plot([1], [1], "--", color="0.55", lw=1.2)
        (self.dh,) = self.ax_r.plot([1], [1], lw=1.8)
        (self.dc,) = self.ax_r.plot([1], [1], "--", lw=1.5)
        self.ax_r.set_xlabel("step k (the loss sits at the last step)")
        self.ax_r.set_ylabel("relative to ‖∂E/∂h_T‖")
        self.ax_r.set_title("solid ‖∂E/∂h_k‖, dashed ‖∂E/∂c_k‖", fontsize=8, loc="left")
        # labels placed by hand: an explorer would otherwise measure every tick label at each redraw
        for ax in (self.ax_c, self.ax_r):
            ax.xaxis.set_label_coords(0.5, -0.12)
            ax.yaxis.set_label_coords(-0.13, 0.5)
        self.title = fig.suptitle("", fontsize=10)

    def update(self, drift, ref_drift, reach, ref_reach, title: str = "") -> None:
        colour = COLOURS.get(drift.label.split()[0], "C0")
        T = len(drift.size)
        t = np.unique(np.linspace(0, T - 1, min(T, 300)).astype(int))  # 300 points draw the same curve
        self.c.set_data(t + 1, _positive(drift.size[t]))
        self.c_ref.set_data(t + 1, _positive(ref_drift.size[t]))
        self.c.set_color(colour)
        self.legend.legend_handles[1].set_color(colour)
        self.ax_c.set_xlim(1, T)
        lo = min(drift.size.min(), ref_drift.size.min())
        hi = max(drift.size.max(), ref_drift.size.max())
        self.ax_c.set_ylim(max(lo / 2, 1e-4), max(hi * 2, 1.0))
        k = np.arange(1, len(reach.dh) + 1)
        for line, v in ((self.dh, reach.dh), (self.dc, reach.dc), (self.dh_ref, ref_reach.dh),
                        (self.dc_ref, ref_reach.dc)):
            line.set_data(k, _positive(v))
        self.dh.set_color(colour)
        self.dc.set_color(colour)
        self.ax_r.set_xlim(1, len(k))
        vals = np.concatenate([reach.dh, reach.dc, ref_reach.dh, ref_reach.dc])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        self.ax_r.set_ylim(max(vals.min() / 3, 1e-30), vals.max() * 3)
        self.title.set_text(title)


def plot_variant_view(view, title: str = ""):
    """A static ``VariantPicture`` of ``VariantLab.view(...)``."""
    fig = blank_figure(9.0, 3.6)
    pic = VariantPicture(fig)
    pic.update(*view, title=title)
    return fig


def plot_cell_drift(drifts: dict):
    """Mean ``|c_t|`` along one continual stream for every variant (``{label: CellDrift}``),
    log-log; the share of saturated units at the end in the legend."""
    fig, ax = new_figure(8.0, 3.6)
    for label, d in drifts.items():
        t = np.arange(1, len(d.size) + 1)
        ax.plot(t, _positive(d.size), color=COLOURS[label], lw=2.2 if label == "NFG" else 1.3,
                label=f"{label} ({d.saturated[-1]:.0%} saturated at the end)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time step t of one stream, never reset")
    ax.set_ylabel("mean |c_t| over 16 units")
    ax.set_title("Without a forget gate the cell state keeps growing (fresh weights, b_f = 1)")
    ax.legend(fontsize=7.5, ncol=2, loc="upper left")
    return fig


def plot_reach(reaches: dict, forget_bias: float = 1.0):
    """``||dE/dh_k|| / ||dE/dh_T||`` over k for every variant at one forget bias
    (``{(label, b_f): Reach}`` from ``reach_table``)."""
    fig, ax = new_figure(8.0, 3.6)
    for (label, b), r in reaches.items():
        if b != forget_bias:
            continue
        k = np.arange(1, len(r.dh) + 1)
        ax.plot(k, _positive(r.dh), color=COLOURS[label], lw=2.2 if label in ("NFG", "NP") else 1.3, label=label)
    ax.set_yscale("log")
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("step k (the loss sits at the last step, k = T)")
    ax.set_ylabel("‖∂E/∂h_k‖ / ‖∂E/∂h_T‖")
    ax.set_title(f"How far back the gradient reaches, fresh weights, b_f = {forget_bias:g}")
    ax.legend(fontsize=8, ncol=4, loc="lower right")
    return fig


def plot_sweep_boxes(results: SweepResults):
    """Greff et al.'s picture on our three tasks: for every configuration the final scores of its
    seeds at its best learning rate (dots), their box (quartiles; whiskers: min and max) and the
    mean of log scores with its 95% t-interval (black bar beside the box); V's median dashed."""
    fig, axes = new_figure(11.0, 3.8, ncols=len(TASK_SETTINGS))
    labels = [c.label for c in CONFIGS]
    for ax, task in zip(axes, TASK_SETTINGS):
        for x, label in enumerate(labels):
            _, sc = best_scores(results, task, label)
            finite = sc[np.isfinite(sc)]
            if finite.size:
                q1, med, q3 = np.percentile(finite, [25, 50, 75])
                ax.add_patch(_box(x, q1, q3, COLOURS[label]))
                ax.plot([x - 0.3, x + 0.3], [med, med], color="k", lw=1.2)
                ax.plot([x, x], [finite.min(), q1], color=COLOURS[label], lw=1)
                ax.plot([x, x], [q3, finite.max()], color=COLOURS[label], lw=1)
                jitter = np.linspace(-0.15, 0.15, finite.size)
                ax.plot(x + jitter, finite, "o", ms=3, color="k", alpha=0.6)
                if finite.size > 1:
                    logs = np.log10(finite)
                    half = T_975[finite.size - 1] * logs.std(ddof=1) / np.sqrt(finite.size)
                    ax.errorbar(x + 0.42, 10 ** logs.mean(), yerr=[[10 ** logs.mean() - 10 ** (logs.mean() - half)],
                                [10 ** (logs.mean() + half) - 10 ** logs.mean()]], fmt="s", ms=3, color="k",
                                capsize=2, lw=1)
            if finite.size < sc.size:
                ax.annotate(f"{sc.size - finite.size} diverged", (x, 1), xycoords=("data", "axes fraction"),
                            ha="center", va="top", fontsize=7, color="r")
        _, base = best_scores(results, task, "V")
        ax.axhline(np.median(base), color="0.4", ls="--", lw=0.8, zorder=0)
        if task in _CLIP:
            lo, hi = _CLIP[task]
            ax.set_ylim(lo, hi)
            for x, label in enumerate(labels):
                _, sc = best_scores(results, task, label)
                above = sc[sc > hi]
                if above.size:
                    ax.annotate(f"{above.size} above\n(max {np.max(above):.0f})", (x, hi), ha="center", va="top",
                                fontsize=7, color="r")
        else:
            ax.set_yscale("log")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=60, fontsize=8)
        ax.set_xlim(-0.6, len(labels) - 0.3)
        ax.set_ylabel(_TASK_AXIS[task])
        ax.set_title(task_title(task), fontsize=9)
    fig.suptitle(f"Final score of {len(results.scores('adding', 'V', TASK_SETTINGS['adding'].lrs[0]))} seeds per "
                 "variant at its best learning rate (lower is better; dashed: V's median)", fontsize=10)
    return fig


def task_title(task: str) -> str:
    return {"adding": "adding problem, T = 50", "order": "temporal order, T = 50",
            "text": "characters, chapter 07's corpus"}[task]


def _box(x, q1, q3, colour):
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.3, q1), 0.6, max(q3 - q1, 1e-12), facecolor=colour, alpha=0.55, edgecolor=colour)


def plot_lr_sweep(results: SweepResults):
    """Median final score over the seeds against the learning rate for every configuration, with
    the seeds' range as a bar: how much the learning rate moves each one."""
    fig, axes = new_figure(11.0, 3.6, ncols=len(TASK_SETTINGS))
    for ax, task in zip(axes, TASK_SETTINGS):
        lrs = np.array(TASK_SETTINGS[task].lrs)
        for k, c in enumerate(CONFIGS):
            shift = 1.0 + 0.03 * (k - len(CONFIGS) / 2)
            scores = [results.scores(task, c.label, lr) for lr in lrs]
            med = np.array([np.median(s) for s in scores])
            lo = np.array([np.min(s) for s in scores])
            hi = np.array([np.max(s) for s in scores])
            hi = np.where(np.isfinite(hi), hi, np.nan)
            ax.errorbar(lrs * shift, med, yerr=[med - lo, hi - med], color=COLOURS[c.label], lw=1.2,
                        marker="o", ms=3, capsize=2, label=c.label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Adam learning rate")
        ax.set_ylabel(_TASK_AXIS[task])
        ax.set_title(task_title(task), fontsize=9)
    axes[-1].legend(fontsize=7, ncol=2, loc="best")
    fig.suptitle("Final score against the learning rate: median over the seeds, bars from the best to the worst seed",
                 fontsize=10)
    return fig
