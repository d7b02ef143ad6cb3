"""Chapter 06's pictures: learning curves, the forget-bias runs, clipping."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ._style import new_figure, blank_figure, _C_MODEL, _CEIL, _positive


def _run_color(r):
    return _C_MODEL[r.spec.kind]


def plot_learning_curves(*experiments, accuracy: bool = False):
    """Held-out loss (or accuracy) over training steps, one panel per ``experiments.Experiment``,
    one line per run coloured by model, with the task's baseline (dashed) and target (dotted)."""
    n = len(experiments)
    if n == 0:
        raise ValueError("experiments: expected at least one Experiment, got none")
    fig = blank_figure(4.6 * n + 0.6, 3.5)
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
    fig = blank_figure(10, 3.5)
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
