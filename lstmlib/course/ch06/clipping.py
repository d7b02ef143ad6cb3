"""Chapter 06: exploding gradients and clipping. The sweep's runs compared (``clipping_comparison``:
a tanh RNN under plain SGD with default weights, large weights, and large weights with the
gradient's norm clipped), and one of them watched step by step (``watch_explosion``)."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate, optim, tasks, train
from ...models import model_of
from ..i18n import N_, tr
from ..tables import fixed_columns, pad
from .findings import Comparison, Finding, outcome
from .runs import RunSpec, held_out_set, initial_model
from .stats import Median, more_often_p, p_text

STABLE_FACTOR = 2.0
"""A run of the clipping experiment is *stable* when it finishes its budget with a held-out MSE at
most ``STABLE_FACTOR`` times the baseline 1/6 (twice what predicting a constant scores)."""

GROUPS = {"default weights": N_("default weights"), "large weights": N_("large weights"),
          "large weights, clipped": N_("large weights, clipped")}
"""The clipping experiment's three kinds of run, as ``clip_group`` names them."""


def clip_group(spec: RunSpec) -> str:
    """Which of ``GROUPS`` a run of the clipping experiment belongs to."""
    if spec.clip is not None:
        return "large weights, clipped"
    return "large weights" if spec.scale is not None else "default weights"


def stability(r, factor: float = STABLE_FACTOR) -> str:
    """``"overflowed"`` (the loss or gradient overflowed and the run stopped), ``"failed"``
    (finished with a held-out MSE above ``factor`` x the baseline 1/6) or ``"stable"``."""
    if r.diverged:
        return "overflowed"
    return "failed" if r.final_loss > factor * tasks.ADDING_BASELINE_MSE else "stable"


def clipping_records(sweeps) -> dict:
    """The sweep's clipping runs by ``clip_group``, each in seed order."""
    found = sweeps.select(task="adding", kind="rnn", optimizer="sgd")
    groups = {g: tuple(r for r in found if clip_group(r.spec) == g) for g in GROUPS}
    if not all(groups.values()) or any(r.grad_norm is None for r in found):
        raise ValueError("sweeps: expected the clipping runs with their per-step gradient norms (scripts/ch06_sweeps.py)")
    return groups


def clipping_comparison(sweeps) -> Comparison:
    """The clipping runs of the sweeps: per group, the first step's gradient norm, how many runs
    stayed stable, failed or overflowed, and the final held-out MSE of those that finished.

    Claim tested: Pascanu, Mikolov & Bengio (2013), exploding gradients throw plain SGD off, and
    clipping the gradient's norm keeps training stable (here: clipped runs with large weights are
    stable more often than unclipped ones, by Fisher's test)."""
    groups = clipping_records(sweeps)
    n = len(groups["large weights"])
    header = [(tr("runs"), tr("first gradient norm"), tr("stable"), tr("failed"), tr("overflowed"),
               tr("final held-out MSE of those that finished")),
              ("", tr("median [min, max]"), "", "", "", tr("median [min, max]"))]
    rows, counts = [], {}
    for g, rs in groups.items():
        first = np.array([r.grad_norm[0] for r in rs])
        counts[g] = {k: sum(stability(r) == k for r in rs) for k in ("stable", "failed", "overflowed")}
        finished = np.array([r.final_loss for r in rs if not r.diverged])
        final = "-" if not finished.size else f"{np.median(finished):.3g} [{finished.min():.3g}, {finished.max():.3g}]"
        rows.append((tr(GROUPS[g]), f"{np.median(first):.3g} [{first.min():.3g}, {first.max():.3g}]",
                     counts[g]["stable"], counts[g]["failed"], counts[g]["overflowed"], final))
    large, clipped = counts["large weights"]["stable"], counts["large weights, clipped"]["stable"]
    p_for, p_against = more_often_p(clipped, n, large, n), more_often_p(large, n, clipped, n)
    ratio = Median.of([r.grad_norm[0] for r in groups["large weights"]]).value / \
        Median.of([r.grad_norm[0] for r in groups["default weights"]]).value
    finding = Finding(
        tr("Pascanu, Mikolov & Bengio 2013"),
        tr("when gradients explode, a plain SGD step can throw the parameters far away and training breaks down; "
           "rescaling the gradient to norm theta when it is larger keeps training stable."),
        tr("the large weights start with a gradient {ratio:.0f} times the default one (medians). Stable: {clipped} of "
           "{n} clipped runs against {large} of {n} unclipped ones (Fisher's test: {p}); {default} of {n} with "
           "default weights.", ratio=ratio, clipped=clipped, large=large, n=n, p=p_text(p_for),
           default=counts["default weights"]["stable"]),
        outcome(p_for, p_against), n)
    s = sweeps.settings
    seeds = [r.spec.seed for r in groups["large weights"]]
    title = tr("Gradient clipping: tanh RNN, adding problem T = {T}, SGD lr {lr:g}, {steps} steps, seeds {a}-{b}; "
               "stable = finished with held-out MSE <= {factor:g} x 1/6", T=s.T, lr=s.clip_lr, steps=s.clip_steps,
               a=seeds[0], b=seeds[-1], factor=STABLE_FACTOR)
    layout = [("<", 24), (">", 22), (">", 9), (">", 9), (">", 12), "   ", ("<", 0)]
    table = fixed_columns(layout, header, rows)
    return Comparison(title, table, (finding,))


# ----------------------------------------------------------------------------------------------
# One explosion, watched
# ----------------------------------------------------------------------------------------------
_RUN_NAMES = {"unclipped": N_("unclipped"), "clipped": N_("clipped")}


def _yes(b) -> str:
    return tr("yes") if b else tr("no")


@dataclasses.dataclass(frozen=True)
class ExplosionWatch:
    """Step by step over the first steps of two runs (``"unclipped"``, ``"clipped"``) that differ
    only in clipping: ``weight_norm`` ``||W||_2`` (the largest singular value of the recurrent
    weights, the RNN's W), ``head_norm`` ``||W_y||``, ``saturated`` the fraction of hidden values with
    ``|h| > 0.99`` over ``batch`` held-out sequences and all steps (where ``tanh' < 0.02``),
    ``head_curvature`` ``lr * lambda_max``, the learning rate times the largest eigenvalue of the
    MSE's Hessian in the head's weights and bias, ``(2/B) sum_n [h_T;1][h_T;1]^T`` on those
    sequences (gradient descent on a quadratic overshoots more at every step when this exceeds 2),
    and ``loss`` the training loss. Index 0 is the initial model; ``overflow`` the step at which a
    run overflowed (None: it did not)."""

    steps: np.ndarray
    weight_norm: dict
    head_norm: dict
    saturated: dict
    head_curvature: dict
    loss: dict
    overflow: dict
    spec: RunSpec
    batch: int = 64

    def at(self, step: int) -> str:
        """One line per run: the measurements after ``step`` steps."""
        lines = []
        for name in _RUN_NAMES:
            k = int(step)
            label = pad(tr(_RUN_NAMES[name]), 10) + " "
            if k >= len(self.weight_norm[name]) or not np.isfinite(self.weight_norm[name][k]):
                lines.append(label + tr("step {k:>4}: overflowed (at step {at})", k=k, at=self.overflow[name]))
                continue
            lines.append(label + tr(
                "step {k:>4}: ||W||_2 {w:>9.3g}   saturated {s:>6.1%}   lr x curvature {c:>6.2f}   ||W_y|| {h:>9.3g}",
                k=k, w=self.weight_norm[name][k], s=self.saturated[name][k], c=self.head_curvature[name][k],
                h=self.head_norm[name][k]))
        return "\n".join(lines)

    def table(self, at=(0, 1, 10, 20, 30, 50)) -> str:
        lines = [tr("seed {seed}; saturated: the share of hidden values with |h| > 0.99 (where tanh' = 1 - h^2 < "
                    "{limit:.2f}) over {batch} held-out sequences and all their steps;", seed=self.spec.seed,
                    limit=1 - 0.99 ** 2, batch=self.batch),
                 tr("lr x curvature: the learning rate times the largest eigenvalue of the head's Hessian"),
                 "", *(self.at(s) for s in at), ""]
        for name in _RUN_NAMES:
            c = float(np.nanmax(self.head_curvature[name]))
            lines.append(pad(tr(_RUN_NAMES[name]), 10) + " " + tr(
                "largest lr x curvature {c:.2f}: a step on the head alone multiplies the head's error by up to "
                "|1 - {c:.2f}| = {factor:.2f}", c=c, factor=abs(1 - c)))
        return "\n".join(lines)

    __str__ = __repr__ = table

    def summary(self) -> str:
        """Coarse (the same on every CPU): did ``||W||_2`` grow over 100-fold, did over half of the
        hidden values saturate, was the head's learning rate x curvature above 2 at the last step
        measured, did the run overflow?"""
        header = [(tr("large weights"), tr("||W||_2 grew over 100-fold"), tr("over half saturated"),
                   tr("lr x curvature over 2 at the end"), tr("overflowed"))]
        rows = []
        for name in _RUN_NAMES:
            w, s, c = self.weight_norm[name], self.saturated[name], self.head_curvature[name]
            last = c[np.isfinite(c)][-1]
            rows.append((tr(_RUN_NAMES[name]), _yes(np.nanmax(w) > 100 * w[0]), _yes(np.nanmax(s) > 0.5),
                         _yes(last > 2), _yes(self.overflow[name] is not None)))
        return fixed_columns([("<", 15), ("<", 29), ("<", 22), ("<", 35), ("<", 0)], header, rows)


def watch_explosion(spec: RunSpec, *, steps: int = 100, batch: int = 64) -> ExplosionWatch:
    """Retrain the first ``steps`` steps of a clipping run ``spec`` (large weights, clipped: its
    unclipped twin runs beside it; the same seeds, so the same numbers as the sweep's runs) and
    measure after every step what the update did to the recurrent weights, the hidden units and
    the head. ``batch`` held-out sequences measure the saturation."""
    if not isinstance(spec, RunSpec) or spec.clip is None or spec.optimizer != "sgd":
        raise ValueError(f"spec: expected a clipped run of the clipping experiment (SGD), got {spec!r}")
    steps = _validate.positive_int(steps, "steps")
    if steps > spec.steps:
        raise ValueError(f"steps: expected at most the run's {spec.steps} steps, got {steps}")
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or not 1 <= batch <= spec.eval_size:
        raise ValueError(f"batch: expected a whole number in [1, {spec.eval_size}], got {batch!r}")
    out = {k: {} for k in ("weight_norm", "head_norm", "saturated", "head_curvature", "loss", "overflow")}
    X = held_out_set(spec)[0][:, :batch]
    for name, twin in (("unclipped", dataclasses.replace(spec, clip=None)), ("clipped", spec)):
        w, hn, sat, curv = (np.full(steps + 1, np.nan) for _ in range(4))

        def measure(step, m):
            with np.errstate(over="ignore", invalid="ignore"):
                hs, _ = model_of(m.cell).forward(X, m.cell)
                H = m.cell.hidden_size  # the recurrent block of the fused weights (W for the RNN)
                w[step] = np.linalg.norm(m.cell.weights[:, :H].astype(np.float64), 2)
                hn[step] = np.linalg.norm(m.head.weights.astype(np.float64))
                sat[step] = np.mean(np.abs(hs) > 0.99)
                F = np.concatenate([hs[-1].astype(np.float64), np.ones((X.shape[1], 1))], axis=1)
                if np.all(np.isfinite(F)):  # the Hessian of the MSE in (W_y, b_y): (2/B) F^T F
                    curv[step] = twin.lr * 2.0 / X.shape[1] * np.linalg.norm(F, 2) ** 2

        model = initial_model(twin)
        measure(0, model)
        task = twin.make_task()
        with np.errstate(over="ignore", invalid="ignore"):  # the unclipped run overflows; fit stops it there
            hist = train.fit(train.task_batches(task.sample, twin.batch_size, np.random.default_rng([twin.seed, 1])),
                             model, optim.SGD(twin.lr), steps=steps, clip=twin.clip, after_step=measure)
        for key, arr in (("weight_norm", w), ("head_norm", hn), ("saturated", sat), ("head_curvature", curv)):
            arr[~np.isfinite(arr)] = np.nan
            out[key][name] = arr
        out["loss"][name] = hist.loss
        out["overflow"][name] = hist.diverged_at
    return ExplosionWatch(np.arange(steps + 1), **out, spec=spec, batch=batch)
