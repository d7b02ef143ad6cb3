"""Chapter 06: the experiments that test the papers' claims (adding problem, temporal order, the
forget bias, GRU vs LSTM, clipping and stability, the exploding-gradient watch), each an
``Experiment`` with its table, a coarse summary and verdicts."""
from __future__ import annotations

import dataclasses
import textwrap

import numpy as np

from ... import _validate, tasks, train
from ...models import model_of
from ...optim import SGD
from ..i18n import tr
from .runs import (
    STABLE_FACTOR,
    TASK_TARGETS,
    RunCache,
    RunResult,
    RunSpec,
    held_out_set,
    initial_model,
    matched_sizes,
    run,
)


# ----------------------------------------------------------------------------------------------
# Claims and experiments
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Claim:
    """A paper's claim, what we measured, and whether the measurement agrees (``reproduced``),
    decided by ``criterion`` (stated, so a reader can disagree with it)."""

    source: str
    claim: str
    measured: str
    criterion: str
    reproduced: bool

    @property
    def verdict(self) -> str:
        return tr("reproduced") if self.reproduced else tr("NOT reproduced")

    def lines(self, width: int = 96) -> list[str]:
        out = []
        paper = tr("{source}: {claim}", source=self.source, claim=self.claim)
        for head, text in ((tr("Paper:"), paper), (tr("Measured:"), self.measured),
                           (tr("Criterion:"), self.criterion), (tr("Verdict:"), self.verdict)):
            out += textwrap.wrap(text, width, initial_indent=f"{head:<11}", subsequent_indent=" " * 11)
        return out


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if not np.isfinite(v):
        return tr("diverged")
    return f"{v:.3g}"


def _count(results) -> str:
    return tr("{k} of {n}", k=sum(r.solved for r in results), n=len(results))


def _median_steps(results) -> int | None:
    s = [r.solved_at for r in results if r.solved]
    return int(np.median(s)) if s else None


def _reached_text(results) -> str:
    med = _median_steps(results)
    if med is None:
        return tr("{count} seeds", count=_count(results))
    return tr("{count} seeds (median step {median})", count=_count(results), median=med)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """Runs and the claims they test. ``str()`` gives the measurement table and the claims;
    ``summary()`` the coarse result that every CPU reproduces; ``verdicts()`` the verdicts."""

    title: str
    results: tuple[RunResult, ...]
    claims: tuple[Claim, ...]
    summary_lines: tuple[str, ...] = ()

    def table(self) -> str:
        """One row per run: model, H, parameters, steps run, held-out loss (and accuracy), the
        step at which it first met the task's target, its wall time."""
        classify = any(r.spec.task == "temporal-order" for r in self.results)
        loss_name = tr("held-out xent") if classify else tr("held-out MSE")
        head = (f"{tr('run'):<34}{'H':>4}{tr('params'):>7}{tr('steps'):>7}{loss_name:>15}"
                + (f"{tr('accuracy'):>10}" if classify else "") + f"  {tr('target reached'):<22}{tr('seconds'):>8}")
        rows = [head, "-" * len(head)]
        for r in self.results:
            reached = (tr("diverged at step {step}", step=r.history.diverged_at) if r.diverged
                       else (tr("at step {step}", step=r.solved_at) if r.solved else tr("no")))
            acc = (f"{r.final_accuracy:>10.3f}" if r.final_accuracy is not None else f"{'-':>10}") \
                if classify else ""
            rows.append(f"{r.spec.label:<34}{r.spec.hidden_size:>4}{r.num_parameters:>7}"
                        f"{r.history.steps:>7}{_fmt(r.final_loss):>15}{acc}  {reached:<22}"
                        f"{r.history.seconds:>8.2f}")
        return "\n".join(rows)

    def __str__(self) -> str:
        parts = [self.title, "=" * len(self.title), self.table()]
        for c in self.claims:
            parts += [""] + c.lines()
        return "\n".join(parts)

    __repr__ = __str__

    def summary(self, width: int = 96) -> str:
        """What the experiment found, coarsely (counts of seeds, no step counts or digits that
        the float32 rounding of another CPU could move), then the verdicts."""
        return "\n".join([self.title, *self.summary_lines, "", self.verdicts(width)])

    def verdicts(self, width: int = 96) -> str:
        """Only the verdicts, one per claim."""
        lines = []
        for c in self.claims:
            head = tr("reproduced:") if c.reproduced else tr("NOT reproduced:")
            lines += textwrap.wrap(tr("{source}: {claim}", source=c.source, claim=c.claim), width,
                                   initial_indent=f"{head:<16}", subsequent_indent=" " * 16)
        return "\n".join(lines)

    def by_label(self, label: str) -> RunResult:
        for r in self.results:
            if r.spec.label == label:
                return r
        raise KeyError(label)

    def group(self, name: str) -> tuple[RunResult, ...]:
        """The runs of one model (``RunSpec.group``: ``"RNN"``, ``"LSTM b_f=1"``, ``"GRU"``)."""
        found = tuple(r for r in self.results if r.spec.group == name)
        if not found:
            raise KeyError(name)
        return found

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.spec.group for r in self.results))


def _runs(specs, runs, progress) -> tuple[RunResult, ...]:
    return tuple(run(s, runs=runs, progress=progress) for s in specs)


def _seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    return seeds


def _task_specs(task, T, steps, seeds, biases, lstm_hidden, batch_size, lr, eval_every, rnn=True):
    sizes = matched_sizes(task, lstm_hidden)
    base = dict(task=task, T=T, steps=steps, batch_size=batch_size, lr=lr, eval_every=eval_every)
    specs = []
    for seed in seeds:  # seed by seed: the models compared on one seed train one after another
        if rnn:
            specs.append(RunSpec(kind="rnn", hidden_size=sizes["rnn"], seed=seed, **base))
        specs += [RunSpec(kind="lstm", hidden_size=sizes["lstm"], seed=seed, forget_bias=float(b),
                          **base) for b in biases]
        specs.append(RunSpec(kind="gru", hidden_size=sizes["gru"], seed=seed, **base))
    return specs


def _group_lines(ex_results, groups, target_text) -> list[str]:
    lines = [f"{tr('model'):<13}{tr('params'):>7}   " + tr("reached the target ({target})", target=target_text)]
    for g in groups:
        rs = [r for r in ex_results if r.spec.group == g]
        lines.append(f"{g:<13}{rs[0].num_parameters:>7}   " + tr("{count} seeds", count=_count(rs)))
    return lines


def adding_experiment(T: int = 50, *, steps: int, seeds=(0, 1, 2), biases=(1.0,),
                      lstm_hidden: int = 16, batch_size: int = 32, lr: float = 1e-2,
                      eval_every: int = 25, runs: RunCache | None = None,
                      progress: bool | None = None) -> Experiment:
    """RNN vs LSTM (forget bias in ``biases``) vs GRU on the adding problem of length ``T``, at
    matched parameter counts (``matched_sizes``), from every seed in ``seeds``, each with the same
    budget of ``steps`` Adam steps (a run stops early once its held-out MSE is below 0.01).

    Claims tested: Hochreiter & Schmidhuber (1997), an LSTM learns it where a plain RNN stays at
    the baseline; Chung et al. (2014), gated units (LSTM and GRU) beat the tanh RNN.
    """
    seeds = _seeds(seeds)
    if 1.0 not in biases:
        raise ValueError(f"biases: expected a tuple holding 1.0 (the usual LSTM), got {biases!r}")
    results = _runs(_task_specs("adding", T, steps, seeds, biases, lstm_hidden, batch_size, lr,
                                eval_every), runs, progress)
    ex = Experiment("", results, ())
    rnn, lstm, gru = ex.group("RNN"), ex.group("LSTM b_f=1"), ex.group("GRU")
    baseline = tasks.ADDING_BASELINE_MSE
    target = TASK_TARGETS["adding"]
    rnn_stuck = all(r.final_loss > 0.5 * baseline for r in rnn)
    n = len(seeds)
    claims = (
        Claim("Hochreiter & Schmidhuber 1997",
              tr("an LSTM learns the adding problem (here T = {T}); a plain RNN does not get "
                 "beyond predicting the average.", T=T),
              tr("LSTM (b_f = 1) reached the target on {lstm}; RNN on {rnn}, final held-out MSE {losses} "
                 "after {steps} steps (baseline 1/6 = {baseline:.3f}).", lstm=_reached_text(lstm),
                 rnn=_count(rnn), losses=", ".join(_fmt(r.final_loss) for r in rnn), steps=steps,
                 baseline=baseline),
              tr("the LSTM reaches MSE < {target} within {steps} steps on every seed and every RNN "
                 "ends above half the baseline.", target=target, steps=steps),
              all(r.solved for r in lstm) and rnn_stuck),
        Claim("Chung et al. 2014",
              tr("gated units (LSTM, GRU) beat the tanh RNN at about the same number of parameters."),
              tr("parameters: RNN {rnn_n}, LSTM {lstm_n}, GRU {gru_n}. Reached the target: LSTM {lstm}, GRU "
                 "{gru}, RNN {rnn}.", rnn_n=rnn[0].num_parameters, lstm_n=lstm[0].num_parameters,
                 gru_n=gru[0].num_parameters, lstm=_reached_text(lstm), gru=_reached_text(gru), rnn=_count(rnn)),
              tr("the LSTM and the GRU each reach the target on more of the {n} seeds than the RNN.", n=n),
              min(sum(r.solved for r in lstm), sum(r.solved for r in gru)) > sum(r.solved for r in rnn)),
    )
    title = tr("Adding problem, T = {T}: RNN vs LSTM vs GRU, matched parameters, seeds {seeds}, at most "
               "{steps} Adam steps (lr {lr:g})", T=T, seeds=", ".join(map(str, seeds)), steps=steps, lr=lr)
    sooner = sum(1 for s in seeds if _sooner(ex, "GRU", "LSTM b_f=1", s))
    lines = _group_lines(results, ex.groups, f"MSE < {target}") + [
        tr("the GRU reached it before the LSTM (b_f = 1) on {k} of {n} seeds", k=sooner, n=n)]
    return Experiment(title, results, claims, tuple(lines))


def _sooner(ex: Experiment, a: str, b: str, seed: int) -> bool:
    """Whether group ``a`` met the target before group ``b`` on ``seed`` (never counts as last)."""
    ra = next(r for r in ex.group(a) if r.spec.seed == seed)
    rb = next(r for r in ex.group(b) if r.spec.seed == seed)
    inf = float("inf")
    return (ra.solved_at or inf) < (rb.solved_at or inf)


def temporal_order_experiment(T: int = 50, *, steps: int, seeds=(0, 1, 2), biases=(0.0, 1.0, 3.0),
                              rnn: bool = True, lstm_hidden: int = 16, batch_size: int = 32,
                              lr: float = 1e-2, eval_every: int = 25, runs: RunCache | None = None,
                              progress: bool | None = None) -> Experiment:
    """LSTM with forget-gate bias ``b_f`` in ``biases`` vs GRU (and, with ``rnn``, a plain RNN) on
    temporal order of length ``T``, at matched parameter counts, from every seed in ``seeds``
    (``steps`` Adam steps at most; a run stops once 99% of the held-out sequences are classified
    right).

    Claims tested: Hochreiter & Schmidhuber (1997), an LSTM learns the order of two distant
    symbols (and a plain RNN stays at chance); Jozefowicz, Zaremba & Sutskever (2015),
    ``b_f = 1`` instead of 0 makes the LSTM learn.
    """
    seeds = _seeds(seeds)
    biases = tuple(float(b) for b in biases)
    if 0.0 not in biases or 1.0 not in biases:
        raise ValueError(f"biases: expected a tuple holding at least 0.0 and 1.0, got {biases!r}")
    results = _runs(_task_specs("temporal-order", T, steps, seeds, biases, lstm_hidden, batch_size,
                                lr, eval_every, rnn=bool(rnn)), runs, progress)
    ex = Experiment("", results, ())
    lstm0, lstm1 = ex.group("LSTM b_f=0"), ex.group("LSTM b_f=1")
    chance = float(np.log(len(tasks.TEMPORAL_ORDER_CLASSES)))
    acc = TASK_TARGETS["temporal-order"]
    lstm_learns = 2 * sum(r.solved for r in lstm1) > len(seeds)
    fields = dict(lstm=_reached_text(lstm1), acc=acc, steps=steps, T=T)
    if rnn:
        plain = ex.group("RNN")
        first = Claim("Hochreiter & Schmidhuber 1997",
                      tr("an LSTM learns temporal order (here T = {T}); a plain RNN stays at chance.", T=T),
                      tr("LSTM (b_f = 1) reached the target on {lstm}; RNN on {rnn}, final held-out cross-entropy "
                         "{losses} (chance ln 4 = {chance:.3f}).", rnn=_count(plain),
                         losses=", ".join(_fmt(r.final_loss) for r in plain), chance=chance, **fields),
                      tr("the LSTM reaches held-out accuracy >= {acc} within {steps} steps on most seeds and "
                         "every RNN ends above half of ln 4.", **fields),
                      lstm_learns and all(r.final_loss > 0.5 * chance for r in plain))
    else:
        first = Claim("Hochreiter & Schmidhuber 1997",
                      tr("an LSTM learns temporal order (here T = {T}).", T=T),
                      tr("LSTM (b_f = 1) reached the target on {lstm}.", **fields),
                      tr("the LSTM reaches held-out accuracy >= {acc} within {steps} steps on most seeds.",
                         **fields), lstm_learns)
    claims = (
        first,
        Claim("Jozefowicz, Zaremba & Sutskever 2015",
              tr("initialising the forget-gate bias to 1 instead of 0 makes the LSTM learn "
                 "long-range dependencies."),
              tr("reached the target: b_f = 0 on {zero}, b_f = 1 on {one}.", zero=_reached_text(lstm0),
                 one=_reached_text(lstm1)),
              tr("more seeds reach the target with b_f = 1 than with b_f = 0."),
              sum(r.solved for r in lstm1) > sum(r.solved for r in lstm0)),
    )
    fields = dict(T=T, biases=", ".join(f"{b:g}" for b in biases), seeds=", ".join(map(str, seeds)), steps=steps,
                  lr=lr)
    title = (tr("Temporal order, T = {T}: RNN vs LSTM (b_f = {biases}) vs GRU, matched parameters, seeds {seeds}, "
                "at most {steps} Adam steps (lr {lr:g})", **fields) if rnn else
             tr("Temporal order, T = {T}: LSTM (b_f = {biases}) vs GRU, matched parameters, seeds {seeds}, "
                "at most {steps} Adam steps (lr {lr:g})", **fields))
    lines = _group_lines(results, ex.groups, tr("accuracy >= {acc}", acc=acc))
    return Experiment(title, results, claims, tuple(lines))


def _races(lstm, gru) -> tuple[int, int]:
    """Seed by seed, which model met the target first: ``(LSTM wins, GRU wins)``. A run that never
    met it loses to one that did; two that both failed, or met it at the same step, are a draw."""
    inf = float("inf")
    by_seed = {r.spec.seed: r for r in gru}
    won = [0, 0]
    for r in lstm:
        a, b = r.solved_at or inf, by_seed[r.spec.seed].solved_at or inf
        if a != b:
            won[a > b] += 1
    return won[0], won[1]


def gru_vs_lstm(*experiments: Experiment) -> Experiment:
    """The GRU against the LSTM with ``b_f = 1`` on every task of ``experiments`` (the runs they
    already made: no training here). Each seed is a race to the target; "better on a task": won
    more of the races (a run that never meets the target loses).

    Claims tested: Chung et al. (2014), the GRU and the LSTM are comparable (neither is better on
    every task); Jozefowicz et al. (2015), with ``b_f = 1`` the LSTM closes the gap to the GRU
    (it is not worse than the GRU on any task).
    """
    if not experiments:
        raise ValueError("experiments: expected the adding and temporal-order experiments, got none")
    rows, worse, results = [], [], []
    for ex in experiments:
        lstm, gru = ex.group("LSTM b_f=1"), ex.group("GRU")
        results += [*lstm, *gru]
        task = _task_name(lstm[0].spec)
        wins = _races(lstm, gru)
        winner = "LSTM" if wins[0] > wins[1] else "GRU" if wins[1] > wins[0] else "neither"
        rows.append((task, lstm, gru, wins, winner))
        if winner == "GRU":
            worse.append(task)
    measured = tr("; ").join(
        tr("{task}: first to the target LSTM {lstm_wins}, GRU {gru_wins} of {n} seeds (reached: LSTM {lstm}, GRU "
           "{gru})", task=task, lstm_wins=w[0], gru_wins=w[1], n=len(lstm), lstm=_reached_text(lstm),
           gru=_reached_text(gru)) for task, lstm, gru, w, _ in rows) + tr(".")
    winners = {w for *_, w in rows}
    rule = tr("better: first to the target on more of the seeds; a run that never gets there loses")
    claims = (
        Claim("Chung et al. 2014",
              tr("the GRU and the LSTM are comparable: which is better depends on the task."),
              measured, tr("neither model is better on every task ({rule}).", rule=rule),
              not (winners == {"GRU"} or winners == {"LSTM"})),
        Claim("Jozefowicz, Zaremba & Sutskever 2015",
              tr("with the forget-gate bias at 1, the LSTM closes the gap to the GRU."),
              tr("the GRU was better on {tasks}.", tasks=", ".join(worse)) if worse else
              tr("the GRU was better on no task."),
              tr("the LSTM with b_f = 1 is not worse than the GRU on any task ({rule}).", rule=rule),
              not worse),
    )
    lines = [f"{tr('task'):<22}{tr('first to the target: LSTM'):>27}{'GRU':>6}   {tr('better')}"]
    lines += [f"{task:<22}{w[0]:>27}{w[1]:>6}   {tr('neither') if winner == 'neither' else winner}"
              for task, *_, w, winner in rows]
    return Experiment(tr("GRU vs LSTM (b_f = 1), same seeds and matched parameters"), tuple(results),
                      claims, tuple(lines))


def _task_name(spec: RunSpec) -> str:
    """The task of ``spec`` as ``tasks`` names it (``"adding T=50"``), in the current language."""
    if spec.task == "adding":
        return tr("adding T={T}", T=spec.T)
    return tr("temporal order T={T}", T=spec.T)


# ----------------------------------------------------------------------------------------------
# Exploding gradients and clipping
# ----------------------------------------------------------------------------------------------
def stability(r: RunResult, factor: float = STABLE_FACTOR) -> str:
    """``"overflowed"`` (the loss or gradient overflowed and the run stopped), ``"failed"``
    (finished with a held-out MSE above ``factor`` x the baseline 1/6) or ``"stable"``."""
    if r.diverged:
        return "overflowed"
    return "failed" if r.final_loss > factor * tasks.ADDING_BASELINE_MSE else "stable"


_CLIP_GROUPS = ("default weights", "large weights", "large weights, clipped")


def _clip_group(spec: RunSpec) -> str:
    return _CLIP_GROUPS[2] if spec.clip is not None else _CLIP_GROUPS[1 if spec.scale is not None else 0]


def clipping_experiment(T: int = 50, *, steps: int = 300, seeds=(0, 1, 2), scale: float = 0.5,
                        lr: float = 0.05, clip: float = 1.0, hidden_size: int = 32,
                        batch_size: int = 32, eval_every: int = 50,
                        runs: RunCache | None = None, progress: bool | None = None) -> Experiment:
    """Plain SGD on a tanh RNN, adding problem of length ``T``: default initial weights without
    clipping, large initial weights (``U(-scale, scale)``, whose gradients explode) without
    clipping, and the same with gradient-norm clipping at ``clip``. Every run takes all ``steps``
    (no early stop) unless it overflows; ``stability`` classifies it.

    Claim tested: Pascanu, Mikolov & Bengio (2013), exploding gradients throw plain SGD off;
    clipping the norm keeps training stable.
    """
    seeds = _seeds(seeds)
    kws = (dict(scale=None, clip=None), dict(scale=scale, clip=None), dict(scale=scale, clip=clip))
    specs = [RunSpec(kind="rnn", task="adding", T=T, steps=steps, seed=s, optimizer="sgd", lr=lr,
                     hidden_size=hidden_size, batch_size=batch_size, eval_every=eval_every,
                     stop_early=False, **kw) for kw in kws for s in seeds]
    results = _runs(specs, runs, progress)
    by = {g: [r for r in results if _clip_group(r.spec) == g] for g in _CLIP_GROUPS}
    n = len(seeds)
    stable = {g: sum(stability(r) == "stable" for r in rs) for g, rs in by.items()}
    first = {g: float(np.median([r.history.grad_norm[0] for r in rs])) for g, rs in by.items()}
    default, large, clipped = _CLIP_GROUPS
    counted = {"stable": lambda k: tr("{k} stable", k=k), "failed": lambda k: tr("{k} failed", k=k),
               "overflowed": lambda k: tr("{k} overflowed", k=k)}
    outcome = lambda g: tr(", ").join(  # noqa: E731
        counted[s](sum(stability(r) == s for r in by[g])) for s in ("stable", "failed", "overflowed")
        if any(stability(r) == s for r in by[g]))
    limit = STABLE_FACTOR * tasks.ADDING_BASELINE_MSE
    claims = (
        Claim("Pascanu, Mikolov & Bengio 2013",
              tr("when gradients explode, a plain SGD step can throw the parameters far away and "
                 "training breaks down; rescaling the gradient to norm theta when it is larger keeps "
                 "training stable."),
              tr("median gradient norm at the first step: {default_norm:.3g} with default weights, "
                 "{large_norm:.3g} with U(-{scale:g}, {scale:g}) weights. Outcomes (of {n}): "
                 "default weights {default}; large weights {large}; large weights "
                 "clipped at {clip:g}: {clipped}.", default_norm=first[default], large_norm=first[large],
                 scale=scale, n=n, default=outcome(default), large=outcome(large), clip=clip,
                 clipped=outcome(clipped)),
              tr("stable = finished all {steps} steps with held-out MSE at most {factor:g} x "
                 "the baseline ({limit:.3f}). The large weights start with a gradient at least 10x "
                 "the default one, at least one of their unclipped runs is not stable, and every "
                 "clipped run and every default run is.", steps=steps, factor=STABLE_FACTOR, limit=limit),
              first[large] > 10 * first[default] and stable[large] < n
              and stable[clipped] == n and stable[default] == n),
    )
    names = _clip_group_names()
    lines = [f"{tr('runs'):<26}" + tr("stable (of {n})   not stable (overflowed or failed)", n=n)]
    lines += [f"{names[g]:<26}{stable[g]:<18}{n - stable[g]}" for g in _CLIP_GROUPS]
    ratio = first[large] / first[default]
    lines.append(tr("the first gradient of the large weights is {ratio} the default one", ratio=_order_words(ratio)))
    title = tr("Gradient clipping: tanh RNN, adding problem T = {T}, SGD lr {lr:g}, {steps} steps, seeds {seeds}",
               T=T, lr=lr, steps=steps, seeds=", ".join(map(str, seeds)))
    return Experiment(title, results, claims, tuple(lines))


def _clip_group_names() -> dict:
    """The clipping experiment's groups as its tables name them, in the current language."""
    return {"default weights": tr("default weights"), "large weights": tr("large weights"),
            "large weights, clipped": tr("large weights, clipped")}


def _order_words(ratio: float) -> str:
    """``ratio`` as a coarse phrase: "over 10 times", "over 100 times", ... ("less than 10 times")."""
    if ratio < 10:
        return tr("less than 10 times")
    return tr("over {factor:d} times", factor=10 ** int(np.floor(np.log10(ratio))))


@dataclasses.dataclass(frozen=True)
class ExplosionWatch:
    """Step by step over the first steps of two runs (``"unclipped"``, ``"clipped"``) that differ
    only in clipping: ``weight_norm`` ``||W||_2`` (the largest singular value of the recurrent
    matrix), ``head_norm`` ``||W_y||``, ``saturated`` the fraction of hidden values with
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
        names = _run_names()
        for name in ("unclipped", "clipped"):
            k = int(step)
            if k >= len(self.weight_norm[name]) or not np.isfinite(self.weight_norm[name][k]):
                lines.append(f"{names[name]:<10} " + tr("step {k:>4}: overflowed (at step {at})", k=k,
                                                        at=self.overflow[name]))
                continue
            lines.append(f"{names[name]:<10} " + tr(
                "step {k:>4}: ||W||_2 {w:>9.3g}   saturated {s:>6.1%}   lr x curvature {c:>6.2f}   ||W_y|| {h:>9.3g}",
                k=k, w=self.weight_norm[name][k], s=self.saturated[name][k], c=self.head_curvature[name][k],
                h=self.head_norm[name][k]))
        return "\n".join(lines)

    def table(self, at=(0, 1, 10, 20, 30, 50)) -> str:
        lines = [tr("saturated: the share of hidden values with |h| > 0.99 (where tanh' = 1 - h^2 < "
                    "{limit:.2f}) over {batch} held-out sequences and all their steps;", limit=1 - 0.99 ** 2,
                    batch=self.batch),
                 tr("lr x curvature: the learning rate times the largest eigenvalue of the head's Hessian"),
                 "", *(self.at(s) for s in at), ""]
        names = _run_names()
        for name in ("unclipped", "clipped"):
            c = float(np.nanmax(self.head_curvature[name]))
            lines.append(f"{names[name]:<10} " + tr("largest lr x curvature {c:.2f}: a step on the head alone "
                                                    "multiplies the head's error by up to |1 - {c:.2f}| = "
                                                    "{factor:.2f}", c=c, factor=abs(1 - c)))
        return "\n".join(lines)

    __str__ = __repr__ = table

    def summary(self) -> str:
        """Coarse (the same on every CPU): did ``||W||_2`` grow over 100-fold, did over half of the
        hidden values saturate, was the head's learning rate x curvature above 2 at the last step
        measured, did the run overflow?"""
        head = (f"{tr('large weights'):<15}{tr('||W||_2 grew over 100-fold'):<29}{tr('over half saturated'):<22}"
                f"{tr('lr x curvature over 2 at the end'):<35}{tr('overflowed')}")
        lines = [head, "-" * len(head)]
        names = _run_names()
        for name in ("unclipped", "clipped"):
            w, s, c = self.weight_norm[name], self.saturated[name], self.head_curvature[name]
            last = c[np.isfinite(c)][-1]
            lines.append(f"{names[name]:<15}{_yes(np.nanmax(w) > 100 * w[0]):<29}{_yes(np.nanmax(s) > 0.5):<22}"
                         f"{_yes(last > 2):<35}{_yes(self.overflow[name] is not None)}")
        return "\n".join(lines)


def _run_names() -> dict:
    """``ExplosionWatch``'s two runs as its tables name them, in the current language."""
    return {"unclipped": tr("unclipped"), "clipped": tr("clipped")}


def _yes(b) -> str:
    return tr("yes") if b else tr("no")


def watch_explosion(T: int = 50, *, steps: int = 100, seed: int = 0, scale: float = 0.5,
                    lr: float = 0.05, clip: float = 1.0, hidden_size: int = 32,
                    batch_size: int = 32, batch: int = 64) -> ExplosionWatch:
    """Retrain the first ``steps`` steps of two runs of ``clipping_experiment`` (large weights,
    unclipped and clipped; the same seeds, so the same numbers) and measure after every step what
    the update did to the recurrent weights, the hidden units and the head. ``batch`` held-out
    sequences measure the saturation."""
    steps = _validate.positive_int(steps, "steps")
    base = dict(kind="rnn", task="adding", T=T, steps=steps, seed=seed, optimizer="sgd", lr=lr,
                hidden_size=hidden_size, batch_size=batch_size, stop_early=False, scale=scale)
    out = {k: {} for k in ("weight_norm", "head_norm", "saturated", "head_curvature", "loss", "overflow")}
    for name, c in (("unclipped", None), ("clipped", clip)):
        spec = RunSpec(clip=c, **base)
        X = held_out_set(spec)[0][:, :_validate.positive_int(batch, "batch")]
        w, hn, sat, curv = (np.full(steps + 1, np.nan) for _ in range(4))

        def measure(step, m):
            with np.errstate(over="ignore", invalid="ignore"):
                hs, _ = model_of(m.cell).forward(X, m.cell)
                w[step] = np.linalg.norm(m.cell.W.astype(np.float64), 2)
                hn[step] = np.linalg.norm(m.head.weights.astype(np.float64))
                sat[step] = np.mean(np.abs(hs) > 0.99)
                F = np.concatenate([hs[-1].astype(np.float64), np.ones((X.shape[1], 1))], axis=1)
                if np.all(np.isfinite(F)):  # the Hessian of the MSE in (W_y, b_y): (2/B) F^T F
                    curv[step] = lr * 2.0 / X.shape[1] * np.linalg.norm(F, 2) ** 2

        model = initial_model(spec)
        measure(0, model)
        hist = train.fit(model, spec.make_task().sample, steps=steps, batch_size=batch_size,
                         optimizer=SGD(lr), rng=np.random.default_rng([seed, 1]), clip=c,
                         after_step=measure)
        for key, arr in (("weight_norm", w), ("head_norm", hn), ("saturated", sat), ("head_curvature", curv)):
            arr[~np.isfinite(arr)] = np.nan
            out[key][name] = arr
        out["loss"][name] = hist.loss
        out["overflow"][name] = hist.diverged_at
    return ExplosionWatch(np.arange(steps + 1), **out, spec=RunSpec(**base), batch=X.shape[1])
