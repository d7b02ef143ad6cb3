"""Chapter 06's pictures: learning curves, exploding gradients and clipping, and what training did
to the gated models (the gradient's reach, the gates per unit, the gates over one sequence).

Legends sit outside the axes (beside or below them), so that no line is hidden behind one."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .. import ch06
from ._style import _C_MODEL, _NAME, _positive, _pow10, blank_figure

_SEED_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)), (0, (3, 1, 1, 1, 1, 1)))
_C_BASE = "0.35"  # guide lines: baseline, target
_C_MARK = "#ff7f0e"  # the adding problem's marked steps


def _step_ticks(nbins="auto"):
    """Ticks for an integer axis (time steps, training steps, units): whole numbers, round steps."""
    return MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 2.5, 5, 10])


def _seed_style(seed: int):
    return _SEED_STYLES[seed % len(_SEED_STYLES)]


def _group_color(group: str) -> str:
    """RNN red, GRU green, LSTM blue (darker for a larger forget bias)."""
    if group.startswith("LSTM"):
        b = float(group.split("=")[1]) if "=" in group else 1.0
        return colormaps["Blues"](0.45 + 0.5 * min(max(b, 0.0), 3.0) / 3.0)
    return _C_MODEL[group.lower()]


def _legend_below(fig, handles, ncols: int) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False)


def plot_learning_curves(experiment, *, accuracy: bool = False, groups=None):
    """One panel per model of a ``ch06.Experiment`` (``groups``: which, default all; shared axes):
    the held-out loss (log scale) or accuracy over training steps, one line per seed (line style),
    with the task's baseline or chance level (dashed) and target (dotted); a dot where a run met
    the target. The legend sits below the panels."""
    if not isinstance(experiment, ch06.Experiment):
        raise ValueError(f"experiment: expected a ch06.Experiment, got {type(experiment).__name__}")
    groups = experiment.groups if groups is None else tuple(groups)
    unknown = [g for g in groups if g not in experiment.groups]
    if unknown or not groups:
        raise ValueError(f"groups: expected some of {experiment.groups}, got {groups!r}")
    spec = experiment.results[0].spec
    task = spec.make_task()
    if accuracy and task.loss != "xent":
        raise ValueError("accuracy: the runs are regressions (MSE): no accuracy to plot")
    fig = blank_figure(2.7 * len(groups) + 0.6, 3.4, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(groups), sharex=True, sharey=True, squeeze=False)[0])
    seeds = sorted({r.spec.seed for r in experiment.results})
    for ax, g in zip(axes, groups):
        for r in experiment.group(g):
            h = r.history
            y = h.eval_accuracy if accuracy else _positive(h.eval_loss)
            ax.plot(h.eval_step, y, ls=_seed_style(r.spec.seed), lw=1.6, color=_group_color(g),
                    label=f"_{r.spec.label}")
            if r.solved:
                ax.plot([r.solved_at], [y[list(h.eval_step).index(r.solved_at)]], "o", ms=4,
                        color=_group_color(g), label="_reached")
        if accuracy:
            ax.axhline(task.chance_accuracy, color=_C_BASE, ls="--", lw=1, label="_chance")
            ax.axhline(spec.target, color=_C_BASE, ls=":", lw=1.2, label="_target")
        else:
            ax.set_yscale("log")
            ax.axhline(task.baseline_loss, color=_C_BASE, ls="--", lw=1, label="_baseline")
            if spec.task == "adding":
                ax.axhline(spec.target, color=_C_BASE, ls=":", lw=1.2, label="_target")
        params = experiment.group(g)[0].num_parameters
        ax.set_title(f"{g}  ({params} parameters)", fontsize=9)
        ax.set_xlabel("training step")
        ax.xaxis.set_major_locator(_step_ticks(nbins=4))
    axes[0].set_ylabel("held-out accuracy" if accuracy else "held-out loss (log scale)")
    if accuracy:
        axes[0].set_ylim(0, 1.05)
    handles = [Line2D([], [], color="0.2", ls=_seed_style(s), lw=1.6, label=f"seed {s}") for s in seeds]
    handles.append(Line2D([], [], color="0.2", marker="o", ls="none", ms=4, label="target met"))
    handles.append(Line2D([], [], color=_C_BASE, ls="--", lw=1,
                          label="chance" if accuracy else "best constant prediction"))
    if accuracy or spec.task == "adding":
        handles.append(Line2D([], [], color=_C_BASE, ls=":", lw=1.2, label="target"))
    _legend_below(fig, handles, len(handles))
    fig.suptitle(f"{task.name}: held-out {'accuracy' if accuracy else 'loss'} while training",
                 fontsize=10)
    return fig


def plot_forget_bias_runs(experiment):
    """The LSTM panels of ``plot_learning_curves`` for an experiment with several forget biases
    (held-out accuracy for classification, loss otherwise)."""
    if not isinstance(experiment, ch06.Experiment):
        raise ValueError(f"experiment: expected a ch06.Experiment, got {type(experiment).__name__}")
    lstm = [g for g in experiment.groups if g.startswith("LSTM")]
    accuracy = experiment.results[0].spec.task == "temporal-order"
    return plot_learning_curves(experiment, accuracy=accuracy, groups=lstm)


# ---- exploding gradients and clipping ------------------------------------------------------------
_C_CLIP = {"default weights": "0.45", "large weights": _C_MODEL["rnn"],
           "large weights, clipped": _C_MODEL["lstm"]}


def _capped(v: np.ndarray, top: float) -> tuple[np.ndarray, int | None]:
    """``v`` with every value above ``top`` (or not finite) left out (NaN: a gap in the line), and
    the index of the first such value (None: all inside)."""
    v = np.asarray(v, dtype=np.float64)
    over = ~np.isfinite(v) | (v > top)
    first = int(np.argmax(over)) if over.any() else None
    return np.where(over, np.nan, v), first


def plot_clipping(experiment, *, norm_range=(0.1, 1e4), loss_range=(0.05, 1e3)):
    """Left: the gradient norm of every step (before clipping); right: the training loss. Both on
    a log scale limited to the ranges where the runs differ: values above the range are left out,
    a triangle on the top edge marks where a run first left the range and a cross where it
    overflowed (and stopped)."""
    fig = blank_figure(10, 3.9, layout="constrained")
    ax_g, ax_l = fig.subplots(1, 2, sharex=True)
    for r in experiment.results:
        group = ch06._clip_group(r.spec)
        color = _C_CLIP[group]
        h = r.history
        steps = np.arange(1, h.steps + 1)
        for ax, values, (lo, hi) in ((ax_g, h.grad_norm, norm_range), (ax_l, h.loss, loss_range)):
            v, first = _capped(values, hi)
            ax.plot(steps, np.maximum(v, lo), color=color, lw=1.0, ls=_seed_style(r.spec.seed),
                    label=f"_{r.spec.label}")
            if first is not None and (not r.diverged or first + 1 < h.diverged_at):
                ax.plot([first + 1], [hi], "^", ms=7, color=color, clip_on=False, label="_left")
            if r.diverged:
                ax.plot([h.diverged_at], [hi], "x", ms=9, mew=2, color=color, clip_on=False,
                        label="_overflow")
    theta = next((r.spec.clip for r in experiment.results if r.spec.clip is not None), None)
    if theta is not None:
        ax_g.axhline(theta, color=_C_CLIP["large weights, clipped"], ls=":", lw=1.2, label="_theta")
    ax_l.axhline(1 / 6, color=_C_BASE, ls="--", lw=1, label="_baseline")
    ax_l.axhline(ch06.STABLE_FACTOR / 6, color=_C_BASE, ls=":", lw=1, label="_stable")
    for ax, name, rng in ((ax_g, "gradient norm ‖g‖ before clipping", norm_range),
                          (ax_l, "training loss (MSE)", loss_range)):
        ax.set_yscale("log")
        ax.set_ylim(*rng)
        ax.set_xlabel("training step")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(_step_ticks())
    for ax, (_, hi) in ((ax_g, norm_range), (ax_l, loss_range)):
        ax.set_title(f"values above {_pow10(hi)} not drawn", fontsize=9, pad=10)
    handles = [Line2D([], [], color=c, lw=1.5, label=g) for g, c in _C_CLIP.items()]
    seeds = sorted({r.spec.seed for r in experiment.results})
    handles += [Line2D([], [], color="0.3", ls=_seed_style(s), lw=1.2, label=f"seed {s}") for s in seeds]
    handles += [Line2D([], [], color="0.3", marker="^", ls="none", label="left the range"),
                Line2D([], [], color="0.3", marker="x", mew=2, ls="none", label="overflowed, stopped")]
    if theta is not None:
        handles.append(Line2D([], [], color=_C_CLIP["large weights, clipped"], ls=":", lw=1.2,
                              label=f"θ = {theta:g}"))
    handles += [Line2D([], [], color=_C_BASE, ls="--", lw=1, label="baseline 1/6"),
                Line2D([], [], color=_C_BASE, ls=":", lw=1, label=f"stable limit {ch06.STABLE_FACTOR:g}/6")]
    _legend_below(fig, handles, 6)
    return fig


def plot_explosion(watch):
    """``ch06.ExplosionWatch`` over its steps, four panels: the recurrent matrix's largest singular
    value, the share of saturated hidden values, the head's learning rate times its largest
    curvature (dashed: 2) and the head's norm, for the unclipped and the clipped run; a dotted
    vertical line where the unclipped run overflowed."""
    if not isinstance(watch, ch06.ExplosionWatch):
        raise ValueError(f"watch: expected a ch06.ExplosionWatch, got {type(watch).__name__}")
    fig = blank_figure(10, 5.6, layout="constrained")
    axes = fig.subplots(2, 2, sharex=True).ravel()
    colors = {"unclipped": _C_CLIP["large weights"], "clipped": _C_CLIP["large weights, clipped"]}
    panels = (("weight_norm", "recurrent weights: ‖W‖₂ (largest singular value)", "log"),
              ("saturated", "share of hidden values with |h| > 0.99", "linear"),
              ("head_curvature", "the head's learning rate × largest curvature", "linear"),
              ("head_norm", "the head's weights: ‖W_y‖", "log"))
    for ax, (key, name, scale) in zip(axes, panels):
        for run, color in colors.items():
            ax.plot(watch.steps, getattr(watch, key)[run], color=color, lw=1.8, label=f"_{run}")
            if watch.overflow[run]:
                ax.axvline(watch.overflow[run], color=color, ls=":", lw=1.2, label="_overflow")
        ax.set_yscale(scale)
        ax.set_xlabel("training step")
        ax.set_title(name, fontsize=9)
        ax.xaxis.set_major_locator(_step_ticks())
    axes[1].set_ylim(0, 1.02)
    axes[2].axhline(2.0, color=_C_BASE, ls="--", lw=1, label="_two")
    axes[2].set_ylim(0, 1.15 * max(2.0, float(np.nanmax([np.nanmax(v) for v in watch.head_curvature.values()]))))
    for ax in axes[:2]:
        ax.set_xlabel("")
    handles = [Line2D([], [], color=c, lw=1.8, label=f"large weights, {r}") for r, c in colors.items()]
    handles.append(Line2D([], [], color=colors["unclipped"], ls=":", lw=1.2,
                          label="the unclipped run overflowed here"))
    handles.append(Line2D([], [], color=_C_BASE, ls="--", lw=1,
                          label="2: above it, each step on the head overshoots further"))
    _legend_below(fig, handles, 2)
    return fig


# ---- after training ------------------------------------------------------------------------------
def plot_gradient_flow_before_after(ba):
    """``||dy/dh_k|| / ||dy/dh_T||`` over k for each model of a ``ch06.BeforeAfter``: at
    initialisation (left) and after training (right), same log scale; the first half of the
    sequence, where the first marked value lies, is shaded."""
    if not isinstance(ba, ch06.BeforeAfter):
        raise ValueError(f"ba: expected a ch06.BeforeAfter, got {type(ba).__name__}")
    fig = blank_figure(10, 3.7, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    lows = []
    for ax, flows, title in ((axes[0], ba.before, "at initialisation"), (axes[1], ba.after, "after training")):
        T = next(iter(flows.values())).steps
        k = np.arange(1, T + 1)
        ax.axvspan(0.5, T // 2 + 0.5, color="0.93", zorder=0, label="_first half")
        for name, flow in flows.items():
            v = _positive(flow.relative("dh"))
            lows.append(v.min())
            ax.semilogy(k, v, color=_C_MODEL[name], lw=1.8, label=f"_{name}")
        ax.axhline(1.0, color="0.6", lw=0.8, zorder=1, label="_one")
        ax.set_xlim(0.5, T + 0.5)
        ax.set_xlabel("time step k (the prediction is read at k = T)")
        ax.set_title(title, fontsize=10)
        ax.xaxis.set_major_locator(_step_ticks())
    axes[0].set_ylabel("‖∂y/∂h_k‖ / ‖∂y/∂h_T‖")
    axes[0].set_ylim(max(1e-40, min(lows) / 10), 10)
    handles = [Line2D([], [], color=_C_MODEL[n], lw=1.8, label=_NAME[n]) for n in ba.before]
    handles.append(Line2D([], [], color="0.93", lw=8, label="first half: the first marked value is here"))
    _legend_below(fig, handles, 4)
    return fig


def plot_reach_over_training(rt):
    """A ``ch06.ReachOverTraining`` against the training step, three panels stacked: the held-out
    MSE, the gradient's reach ``||dy/dh_1|| / ||dy/dh_T||``, and the gated models' best unit's hold
    of the first marked value; a dot where each model met the target."""
    if not isinstance(rt, ch06.ReachOverTraining):
        raise ValueError(f"rt: expected a ch06.ReachOverTraining, got {type(rt).__name__}")
    fig = blank_figure(8.5, 7.2, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    panels = ((rt.loss, "held-out MSE", "held-out MSE"),
              (rt.reach, "reach", "how far back the gradient reaches: ‖∂y/∂h_1‖ / ‖∂y/∂h_T‖"),
              (rt.best_hold, "hold", "the best unit's hold of the first marked value (LSTM: f, GRU: 1 − z)"))
    for ax, (data, name, title) in zip(axes, panels):
        ax.set_title(title, fontsize=9, loc="left")
        for model, values in data.items():
            steps = rt.steps[model]
            v = _positive(values)
            ax.semilogy(steps, v, color=_C_MODEL[model], lw=1.8, label=f"_{model}")
            s = rt.solved_at[model]
            if s is not None and s in steps:
                ax.semilogy([s], [v[list(steps).index(s)]], "o", ms=6, color=_C_MODEL[model],
                            label="_met")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(_step_ticks())
    axes[0].axhline(1 / 6, color=_C_BASE, ls="--", lw=1, label="_baseline")
    axes[0].axhline(ch06.TASK_TARGETS["adding"], color=_C_BASE, ls=":", lw=1.2, label="_target")
    axes[2].set_ylim(top=2)
    axes[-1].set_xlabel("training step")
    handles = [Line2D([], [], color=_C_MODEL[n], lw=1.8, label=_NAME[n]) for n in rt.reach]
    handles += [Line2D([], [], color="0.2", marker="o", ls="none", ms=6, label="target met"),
                Line2D([], [], color=_C_BASE, ls="--", lw=1, label="baseline 1/6"),
                Line2D([], [], color=_C_BASE, ls=":", lw=1.2, label="target 0.01")]
    _legend_below(fig, handles, 6)
    return fig


def plot_gate_hold(gh):
    """Per unit of the LSTM and the GRU (columns), before (open grey) and after training (filled):
    top, the mean keep gate (f, or 1 - z) on the steps without a marker; bottom, the unit's hold
    of the first marked value to the end (log scale). Units sorted by their hold after training."""
    if not isinstance(gh, ch06.GateHold):
        raise ValueError(f"gh: expected a ch06.GateHold, got {type(gh).__name__}")
    fig = blank_figure(10, 5.6, layout="constrained")
    axes = fig.subplots(2, 2, sharey="row")
    floor = 1e-30
    for col, (name, gate) in enumerate((("lstm", "f"), ("gru", "1 − z"))):
        order = np.argsort(-gh.hold_after[name], kind="stable")
        x = np.arange(1, len(order) + 1)
        for row, (before, after) in enumerate(((gh.keep_before[name], gh.keep_after[name]),
                                               (gh.hold_before[name], gh.hold_after[name]))):
            ax = axes[row, col]
            b, a = before[order], after[order]
            if row == 1:
                b, a = np.maximum(b, floor), np.maximum(a, floor)
                ax.set_yscale("log")
            ax.vlines(x, np.minimum(a, b), np.maximum(a, b), color="0.8", lw=1, label="_change")
            ax.plot(x, b, "o", mfc="none", mec="0.45", ms=6, label="_before")
            ax.plot(x, a, "o", color=_C_MODEL[name], ms=6, label="_after")
            ax.xaxis.set_major_locator(_step_ticks())
            if row == 0:
                ax.set_title(f"{_NAME[name]}: keep gate {gate}", fontsize=10)
            else:
                ax.set_xlabel("unit (sorted by its hold after training)")
        axes[0, 0].set_ylabel("mean keep gate, unmarked steps")
        axes[1, 0].set_ylabel("hold: product of the keep gate\nafter the first marked step")
    axes[0, 0].set_ylim(0, 1.02)
    lowest = min(float(np.min(d[n])) for d in (gh.hold_before, gh.hold_after) for n in ("lstm", "gru"))
    axes[1, 0].set_ylim(max(floor, lowest / 10), 2)
    handles = [Line2D([], [], marker="o", mfc="none", mec="0.45", ls="none", ms=6, label="at initialisation"),
               Line2D([], [], marker="o", color=_C_MODEL["lstm"], ls="none", ms=6, label="LSTM after training"),
               Line2D([], [], marker="o", color=_C_MODEL["gru"], ls="none", ms=6, label="GRU after training")]
    _legend_below(fig, handles, 3)
    return fig


def plot_gate_traces(tr):
    """Heatmaps of a ``ch06.GateTraces``: the trained LSTM's f, i, o (top row) and the GRU's z, r
    (bottom row) for every unit (rows, most holding first) and step (columns), one colour scale
    0..1 for all; a triangle above each panel at the two marked steps. The last panel shows the
    sequence's values with the marked ones highlighted."""
    if not isinstance(tr, ch06.GateTraces):
        raise ValueError(f"tr: expected a ch06.GateTraces, got {type(tr).__name__}")
    fig = blank_figure(11, 6.4, layout="constrained")
    axes = fig.subplots(2, 3)
    norm = Normalize(0, 1)
    names = {"f": "forget gate f", "i": "input gate i", "o": "output gate o", "z": "update gate z",
             "r": "reset gate r"}
    cells = [(0, k, "lstm", g) for k, g in enumerate(("f", "i", "o"))] + \
            [(1, k, "gru", g) for k, g in enumerate(("z", "r"))]
    T = len(tr.values)
    image = None
    for row, col, model, g in cells:
        ax = axes[row, col]
        data = tr.gates[model][g]
        image = ax.imshow(data, aspect="auto", cmap="viridis", norm=norm, interpolation="nearest",
                          extent=(0.5, T + 0.5, data.shape[0] + 0.5, 0.5))
        ax.plot(tr.marked, [1.03, 1.03], "v", color=_C_MARK, ms=7, clip_on=False,
                transform=ax.get_xaxis_transform(), label="_marked")
        ax.set_ylim(data.shape[0] + 0.5, 0.5)
        ax.set_title(f"{_NAME[model]} {names[g]}", fontsize=10, pad=11)
        ax.set_xlabel("time step")
        ax.set_ylabel("unit (most holding first)")
        ax.xaxis.set_major_locator(_step_ticks())
        ax.yaxis.set_major_locator(_step_ticks())
    ax = axes[1, 2]
    steps = np.arange(1, T + 1)
    colors = [_C_MARK if t in tr.marked else "0.7" for t in steps]
    ax.bar(steps, tr.values, width=0.8, color=colors)
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"the input: marked values sum to {tr.target:.3f}", fontsize=10)
    ax.set_xlabel("time step")
    ax.set_ylabel("value")
    ax.xaxis.set_major_locator(_step_ticks())
    fig.colorbar(image, ax=axes, shrink=0.6, label="gate value")
    fig.suptitle(f"gates of the trained models over one held-out sequence (▼: the marked steps "
                 f"{tr.marked[0]} and {tr.marked[1]})", fontsize=10)
    return fig
