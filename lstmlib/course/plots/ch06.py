"""Chapter 06's pictures: learning curves and steps to the target over the sweeps' seeds, exploding
gradients and clipping, and what training did to the gated models (the gradient's reach, the gates
per unit, the gates over one sequence).

Every picture keeps its legend outside the axes (a figure legend below them), so that no line is
hidden behind one; guide lines (baseline, target, threshold) are labelled where they are drawn."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullFormatter

from ...models import MODELS
from .. import ch06
from ._style import _C_MODEL, _positive, _pow10, blank_figure

_C_GUIDE = "0.2"  # guide lines: baseline, target, threshold
_C_MARK = "#ff7f0e"  # the adding problem's marked steps
_C_CLIP = {"default weights": "#7570b3", "large weights": "#d95f02", "large weights, clipped": "#1b9e77"}


def _step_ticks(nbins="auto"):
    """Ticks for an integer axis (time steps, training steps, units): whole numbers, round steps."""
    return MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 2.5, 5, 10])


def _group_color(spec) -> str:
    """The model's colour (registry name); an LSTM darker for a larger forget bias."""
    if spec.forget_bias is None:
        return _C_MODEL[spec.kind]
    return colormaps["Blues"](0.45 + 0.5 * min(max(spec.forget_bias, 0.0), 3.0) / 3.0)


def _legend_below(fig, handles, ncols: int) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False)


def _guide(ax, y: float, text: str, ls: str) -> None:
    """A horizontal guide line at ``y`` with its label written on it, at the right end."""
    ax.axhline(y, color=_C_GUIDE, ls=ls, lw=1, label=f"_{text}")
    ax.annotate(text, (1, y), xycoords=("axes fraction", "data"), xytext=(-2, 2), textcoords="offset points",
                ha="right", va="bottom", fontsize=7, color=_C_GUIDE)


def _check_groups(groups) -> dict:
    if not isinstance(groups, dict) or not groups or not all(
            isinstance(r, ch06.RunRecord) for rs in groups.values() for r in rs) or not all(groups.values()):
        raise ValueError(f"groups: expected a dict of model group -> RunRecords (Sweeps.groups), got {type(groups).__name__}")
    return groups


# ---- the sweeps ----------------------------------------------------------------------------------
def plot_learning_curves(groups, *, accuracy: bool = False):
    """One panel per model group (``Sweeps.groups(...)``), shared axes: the held-out loss (log
    scale) or accuracy over training steps, one thin line per seed in the model's colour, with the
    best constant prediction or chance (dashed) and the target (dotted). A run that met the target
    stopped there. Each panel's title counts the seeds that met the target."""
    groups = _check_groups(groups)
    first = next(iter(groups.values()))[0]
    task = first.spec.make_task()
    if accuracy and first.eval_accuracy is None:
        raise ValueError("accuracy: the runs are regressions (MSE): no accuracy to plot")
    fig = blank_figure(2.3 * len(groups) + 0.6, 3.3, layout="constrained")
    axes = fig.subplots(1, len(groups), sharex=True, sharey=True, squeeze=False)[0]
    for ax, (g, rs) in zip(axes, groups.items()):
        for r in rs:
            y = r.eval_accuracy if accuracy else _positive(r.eval_loss)
            ax.plot(r.eval_step, y, lw=0.9, alpha=0.55, color=_group_color(r.spec), label=f"_{r.spec.label}")
        if accuracy:
            _guide(ax, task.chance_accuracy, "chance", "--")
        else:
            ax.set_yscale("log")
            _guide(ax, task.baseline_loss, "baseline", "--")
        _guide(ax, first.spec.target, "target", ":")
        ax.set_title(f"{g}: {sum(r.solved for r in rs)} of {len(rs)} met it", fontsize=9)
        ax.set_xlabel("training step")
        ax.xaxis.set_major_locator(_step_ticks(nbins=4))
    axes[0].set_ylabel("held-out accuracy" if accuracy else "held-out loss (log scale)")
    if accuracy:
        axes[0].set_ylim(0, 1.05)
    seeds = sorted({r.spec.seed for rs in groups.values() for r in rs})
    handles = [Line2D([], [], color="0.4", lw=0.9, label=f"one line per seed ({seeds[0]}-{seeds[-1]}); "
                                                        "a run stopped when it met the target"),
               Line2D([], [], color=_C_GUIDE, ls="--", lw=1,
                      label="chance" if accuracy else "baseline: the best constant prediction"),
               Line2D([], [], color=_C_GUIDE, ls=":", lw=1, label="target")]
    _legend_below(fig, handles, 3)
    fig.suptitle(f"{task.name}: held-out {'accuracy' if accuracy else 'loss'} while training", fontsize=10)
    return fig


def steps_to_target_rows(groups) -> list[tuple]:
    """Per group: ``(name, steps of the seeds that met the target, how many never did, Median)``."""
    return [(g, np.array([r.solved_at for r in rs if r.solved], dtype=float), sum(not r.solved for r in rs),
             ch06.Median.of(ch06.steps_to_target(rs))) for g, rs in _check_groups(groups).items()]


def plot_steps_to_target(panels: dict):
    """``panels``: title -> model groups (``Sweeps.groups``), one panel each. A row per group: a
    dot per seed at the step it met the target, the seeds that never did counted at the right
    (beyond the budget), and the median with its 95% bootstrap interval (black); log steps."""
    if not isinstance(panels, dict) or not panels:
        raise ValueError(f"panels: expected a dict of title -> model groups, got {type(panels).__name__}")
    fig = blank_figure(10, 0.45 * max(len(g) for g in panels.values()) + 1.9, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    rng = np.random.default_rng(0)  # the dots' vertical jitter, fixed
    for ax, (title, groups) in zip(axes, panels.items()):
        rows = steps_to_target_rows(groups)
        budget = max(r.spec.steps for rs in groups.values() for r in rs)
        never_x = budget * 1.12  # where the count of seeds that never met the target is written
        first = min([s.min() for _, s, *_ in rows if s.size] or [budget / 10])
        for y, (g, steps, never, med) in enumerate(rows):
            color = _group_color(groups[g][0].spec)
            ax.plot(steps, y + rng.uniform(-0.18, 0.18, steps.size), "o", ms=3.5, alpha=0.7, color=color,
                    label=f"_{g}")
            if never:
                ax.text(never_x, y, f"{never} never", va="center", ha="left", fontsize=8, color=color)
            lo, hi = (min(v, budget) for v in (med.low, med.high))
            if np.isfinite(med.value):
                ax.plot([lo, hi], [y, y], color="k", lw=1.6, label="_interval")
                ax.plot([med.value], [y], "|", ms=11, mew=2, color="k", label="_median")
        ax.axvline(budget, color=_C_GUIDE, ls=":", lw=1, label="_budget")
        ax.set_xscale("log")
        lo, hi = first / 1.6, budget * 2.6
        ax.set_xlim(lo, hi)
        ticks = [t for t in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000) if lo <= t <= hi]
        ax.set_xticks(ticks, [str(t) for t in ticks])  # round numbers of steps, not powers of ten
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(range(len(rows)), [g for g, *_ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel("training steps to the target (log scale)")
        ax.set_title(title, fontsize=10)
    handles = [Line2D([], [], color="0.4", marker="o", ls="none", ms=3.5, label="a seed, at the step it met the target"),
               Line2D([], [], color="k", marker="|", ms=9, mew=2, lw=1.6, label="median and its 95% interval"),
               Line2D([], [], color=_C_GUIDE, ls=":", lw=1, label="the budget; beyond it, seeds that never met it")]
    _legend_below(fig, handles, 3)
    return fig


# ---- exploding gradients and clipping -----------------------------------------------------------
def band(values_by_run, steps: int, top: float):
    """Per step 1..``steps``: the median and the quartiles (the middle half) over the runs still
    running (a run that overflowed stops counting at that step), each capped at ``top``; NaN where
    no run is left."""
    V = np.full((len(values_by_run), steps), np.nan)
    for k, v in enumerate(values_by_run):
        v = np.asarray(v, dtype=np.float64)[:steps]
        V[k, :len(v)] = np.where(np.isfinite(v), v, np.nan)
    alive = ~np.isnan(V)
    out = np.full((3, steps), np.nan)
    for j in np.flatnonzero(alive.any(axis=0)):
        col = V[alive[:, j], j]
        out[:, j] = np.percentile(col, (50, 25, 75))
    return np.minimum(out, top)


def plot_clipping(groups, *, norm_range=(0.1, 1e4), loss_range=(0.05, 1e3)):
    """The clipping runs by group (``ch06.clipping_records``): the gradient norm of every step
    (before clipping, left) and the training loss (right), as the median over the seeds (line)
    and their middle half (band, the quartiles), on log scales limited to where the groups differ; a cross on the top
    edge at each step where a run overflowed (and stopped)."""
    groups = _check_groups(groups)
    fig = blank_figure(10, 3.9, layout="constrained")
    ax_g, ax_l = fig.subplots(1, 2, sharex=True)
    steps = max(r.spec.steps for rs in groups.values() for r in rs)
    x = np.arange(1, steps + 1)
    for g, rs in groups.items():
        color = _C_CLIP[g]
        for ax, key, (lo, hi) in ((ax_g, "grad_norm", norm_range), (ax_l, "loss", loss_range)):
            med, low, high = band([getattr(r, key) for r in rs], steps, hi)
            ax.fill_between(x, np.maximum(low, lo), np.maximum(high, lo), color=color, alpha=0.2, lw=0,
                            label=f"_{g} quartiles")
            ax.plot(x, np.maximum(med, lo), color=color, lw=1.6, label=f"_{g}")
            over = [r.diverged_at for r in rs if r.diverged]
            if over:
                ax.plot(over, [hi] * len(over), "x", ms=7, mew=1.5, color=color, clip_on=False, label="_overflow")
    clip = next((r.spec.clip for rs in groups.values() for r in rs if r.spec.clip is not None), None)
    if clip is not None:
        _guide(ax_g, clip, f"θ = {clip:g}", ":")
    _guide(ax_l, 1 / 6, "baseline 1/6", "--")
    _guide(ax_l, ch06.STABLE_FACTOR / 6, f"stable limit {ch06.STABLE_FACTOR:g}/6", ":")
    for ax, name, rng in ((ax_g, "gradient norm ‖g‖ before clipping", norm_range),
                          (ax_l, "training loss (MSE)", loss_range)):
        ax.set_yscale("log")
        ax.set_ylim(*rng)
        ax.set_xlabel("training step")
        ax.set_ylabel(name)
        ax.set_title(f"the seeds' median and middle half; above {_pow10(rng[1])} not drawn", fontsize=9, pad=10)
        ax.xaxis.set_major_locator(_step_ticks())
    n = len(next(iter(groups.values())))
    handles = [Line2D([], [], color=c, lw=1.6, label=f"{g} ({n} seeds)") for g, c in _C_CLIP.items() if g in groups]
    handles.append(Line2D([], [], color="0.3", marker="x", mew=1.5, ls="none", label="a run overflowed here"))
    _legend_below(fig, handles, len(handles))
    return fig


def plot_explosion(watch):
    """``ch06.ExplosionWatch`` over its steps, four panels: the recurrent weights' largest singular
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
        ax.set_title(name, fontsize=9)
        ax.xaxis.set_major_locator(_step_ticks())
    for ax in axes[2:]:
        ax.set_xlabel("training step")
    axes[1].set_ylim(0, 1.02)
    _guide(axes[2], 2.0, "2: above it, each step on the head overshoots further", "--")
    axes[2].set_ylim(0, 1.15 * max(2.0, float(np.nanmax([np.nanmax(v) for v in watch.head_curvature.values()]))))
    handles = [Line2D([], [], color=c, lw=1.8, label=f"large weights, {r} (seed {watch.spec.seed})")
               for r, c in colors.items()]
    handles.append(Line2D([], [], color=colors["unclipped"], ls=":", lw=1.2, label="the unclipped run overflowed here"))
    _legend_below(fig, handles, 3)
    return fig


# ---- after training ------------------------------------------------------------------------------
def _title(name: str) -> str:
    return MODELS[name].title


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
    seed = next(iter(ba.results.values())).spec.seed
    handles = [Line2D([], [], color=_C_MODEL[n], lw=1.8, label=f"{_title(n)} (seed {seed})") for n in ba.before]
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
    keep = " or ".join(f"{_title(n)}: {MODELS[n].keep_name}" for n in rt.best_hold)
    panels = ((rt.loss, "held-out MSE", "held-out MSE"),
              (rt.reach, "reach", "how far back the gradient reaches: ‖∂y/∂h_1‖ / ‖∂y/∂h_T‖"),
              (rt.best_hold, "hold", f"the best unit's hold of the first marked value ({keep})"))
    for ax, (data, name, title) in zip(axes, panels):
        ax.set_title(title, fontsize=9, loc="left")
        for model, values in data.items():
            steps = rt.steps[model]
            v = _positive(values)
            ax.semilogy(steps, v, color=_C_MODEL[model], lw=1.8, label=f"_{model}")
            s = rt.solved_at[model]
            if s is not None and s in steps:
                ax.semilogy([s], [v[list(steps).index(s)]], "o", ms=6, color=_C_MODEL[model], label="_met")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(_step_ticks())
    _guide(axes[0], 1 / 6, "baseline 1/6", "--")
    _guide(axes[0], ch06.TASK_TARGETS["adding"], f"target {ch06.TASK_TARGETS['adding']:g}", ":")
    axes[2].set_ylim(top=2)
    axes[-1].set_xlabel("training step")
    handles = [Line2D([], [], color=_C_MODEL[n], lw=1.8, label=_title(n)) for n in rt.reach]
    handles.append(Line2D([], [], color="0.2", marker="o", ls="none", ms=6, label="target met"))
    _legend_below(fig, handles, len(handles))
    return fig


def plot_gate_hold(gh):
    """Per unit of each gated model (columns), before (open grey) and after training (filled):
    top, the mean keep gate (f, or 1 - z) on the steps without a marker; bottom, the unit's hold
    of the first marked value to the end (log scale). Units sorted by their hold after training."""
    if not isinstance(gh, ch06.GateHold):
        raise ValueError(f"gh: expected a ch06.GateHold, got {type(gh).__name__}")
    names = list(gh.keep_before)
    fig = blank_figure(5 * len(names), 5.6, layout="constrained")
    axes = fig.subplots(2, len(names), sharey="row", squeeze=False)
    floor = 1e-30
    for col, name in enumerate(names):
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
                ax.set_title(f"{_title(name)}: keep gate {MODELS[name].keep_name}", fontsize=10)
            else:
                ax.set_xlabel("unit (sorted by its hold after training)")
    axes[0, 0].set_ylabel("mean keep gate, unmarked steps")
    axes[1, 0].set_ylabel("hold: product of the keep gate\nafter the first marked step")
    axes[0, 0].set_ylim(0, 1.02)
    lowest = min(float(np.min(d[n])) for d in (gh.hold_before, gh.hold_after) for n in names)
    axes[1, 0].set_ylim(max(floor, lowest / 10), 2)
    handles = [Line2D([], [], marker="o", mfc="none", mec="0.45", ls="none", ms=6, label="at initialisation")]
    handles += [Line2D([], [], marker="o", color=_C_MODEL[n], ls="none", ms=6, label=f"{_title(n)} after training")
                for n in names]
    _legend_below(fig, handles, len(handles))
    return fig


def plot_gate_traces(traces):
    """Heatmaps of a ``ch06.GateTraces``: each gated model's gates (a row per model) for every
    unit (rows, most holding first) and step (columns), one colour scale 0..1 for all; a triangle
    above each panel at the two marked steps. The last panel shows the sequence's values with the
    marked ones highlighted."""
    if not isinstance(traces, ch06.GateTraces):
        raise ValueError(f"traces: expected a ch06.GateTraces, got {type(traces).__name__}")
    cols = max(len(g) for g in traces.gates.values())
    rows = len(traces.gates)
    fig = blank_figure(11, 3.2 * rows, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    T = len(traces.values)
    image = None
    for row, (model, gates) in enumerate(traces.gates.items()):
        for col, (g, data) in enumerate(gates.items()):
            ax = axes[row, col]
            image = ax.imshow(data, aspect="auto", cmap="viridis", norm=Normalize(0, 1), interpolation="nearest",
                              extent=(0.5, T + 0.5, data.shape[0] + 0.5, 0.5))
            ax.plot(traces.marked, [1.03, 1.03], "v", color=_C_MARK, ms=7, clip_on=False,
                    transform=ax.get_xaxis_transform(), label="_marked")
            ax.set_ylim(data.shape[0] + 0.5, 0.5)
            ax.set_title(f"{_title(model)} gate {g}", fontsize=10, pad=11)
            ax.set_xlabel("time step")
            ax.set_ylabel("unit (most holding first)")
            ax.xaxis.set_major_locator(_step_ticks())
            ax.yaxis.set_major_locator(_step_ticks())
    ax = axes[-1, -1]
    steps = np.arange(1, T + 1)
    ax.bar(steps, traces.values, width=0.8, color=[_C_MARK if t in traces.marked else "0.7" for t in steps])
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"the input: marked values sum to {traces.target:.3f}", fontsize=10)
    ax.set_xlabel("time step")
    ax.set_ylabel("value")
    ax.xaxis.set_major_locator(_step_ticks())
    for row in range(rows):
        for col in range(len(list(traces.gates.values())[row]), cols - (row == rows - 1)):
            axes[row, col].set_visible(False)
    fig.colorbar(image, ax=axes, shrink=0.6, label="gate value")
    fig.suptitle(f"gates of the trained models over one held-out sequence (▼: the marked steps "
                 f"{traces.marked[0]} and {traces.marked[1]})", fontsize=10)
    return fig
