"""Chapter 06's computations: small, seeded training runs that test what the papers claim, and
measurements of what training did to the models.

A ``RunSpec`` says everything about one training run (model, task, sizes, optimizer, seeds), so a
run is a pure function of its spec: ``run(spec)`` builds the task, the model and the optimizer from
it, trains with ``train.fit`` and returns a ``RunResult`` (with snapshots of the model taken at every
evaluation, for measuring what training changed). Every model of one task is scored on the same
held-out sequences (drawn from a seed that depends on the task and T alone). A ``RunCache`` held by
the caller lets a later experiment reuse a run an earlier one trained.

Each experiment runs a handful of specs and returns an ``Experiment``: the measurements as a table,
a coarse summary that does not depend on the last bits of float32 rounding (the same on every
CPU), and, for each paper's claim, the measured result and a verdict by a stated criterion.

After training: ``gradient_flow_before_after`` (how far back the gradient reaches, before and after
training), ``reach_over_training`` (the same along the way, from the snapshots), ``gate_hold``
(each unit's forget or update gate before and after) and ``gate_traces`` (the gates of a trained
model over one sequence). ``watch_explosion`` measures, step by step, what an exploding gradient
does to a plain RNN with and without clipping.
"""
from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
from threadpoolctl import threadpool_limits

from .. import _validate, losses, tasks, train
from ..models import MODELS, get_model, model_of
from ..optim import SGD, Adam
from .ch05 import model_gradient_flow
from .i18n import tr
from .progress import reporter

__all__ = [
    "RunSpec", "RunResult", "RunCache", "run", "initial_model", "held_out_set", "Claim", "Experiment",
    "parameter_count", "matched_sizes", "sizes_table", "adding_experiment",
    "temporal_order_experiment", "gru_vs_lstm", "clipping_experiment", "stability",
    "STABLE_FACTOR", "ExplosionWatch", "watch_explosion", "TASK_TARGETS", "BeforeAfter",
    "gradient_flow_before_after", "ReachOverTraining", "reach_over_training", "GateHold", "gate_hold",
    "GateTraces", "gate_traces", "loss_gradient_check", "first_steps_table", "timing_table",
    "chapter06_settings", "claims_summary",
]

TASK_TARGETS = {"adding": 0.01, "temporal-order": 0.99}
"""When a task counts as learned, on the held-out set: adding problem, MSE below 0.01 (the
baseline is 1/6: 6% of the variance left); temporal order, accuracy at least 0.99 (chance 0.25)."""

STABLE_FACTOR = 2.0
"""A run of the clipping experiment is *stable* when it finishes its budget with a held-out MSE at
most ``STABLE_FACTOR`` times the baseline 1/6 (twice what predicting a constant scores)."""

_EVAL_SEED = 20_240_601  # the held-out sets' seed: fixed, and never used for training data
_TASK_SIZES = {"adding": (2, 1), "temporal-order": (len(tasks.TEMPORAL_ORDER_SYMBOLS),
                                                    len(tasks.TEMPORAL_ORDER_CLASSES))}


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run. ``task``: ``"adding"`` or ``"temporal-order"``; ``kind``: ``"rnn"``,
    ``"lstm"``, ``"gru"``; ``optimizer``: ``"adam"`` or ``"sgd"`` (plain, with ``momentum``);
    ``clip``: gradient-norm threshold or None; ``scale``: initial weights ~ U(-scale, scale)
    (None: 1/sqrt(H)); ``seed`` seeds the model and the training batches; ``stop_early``: stop at
    the first evaluation that meets the task's target."""

    kind: str
    task: str
    T: int
    steps: int
    hidden_size: int = 32
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.0
    clip: float | None = None
    forget_bias: float = 1.0
    scale: float | None = None
    seed: int = 0
    stop_early: bool = True
    eval_size: int = 500
    eval_every: int = 50

    def __post_init__(self):
        if self.kind not in MODELS:
            raise ValueError(f"kind: expected one of {tuple(MODELS)}, got {self.kind!r}")
        if self.task not in TASK_TARGETS:
            raise ValueError(f"task: expected one of {tuple(TASK_TARGETS)}, got {self.task!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer: expected 'adam' or 'sgd', got {self.optimizer!r}")
        for name in ("T", "steps", "hidden_size", "batch_size", "eval_size", "eval_every"):
            _validate.positive_int(getattr(self, name), name)

    def make_task(self) -> tasks.Task:
        return tasks.adding_task(self.T) if self.task == "adding" else tasks.temporal_order_task(self.T)

    @property
    def target(self) -> float:
        return TASK_TARGETS[self.task]

    def reached(self, loss: float, accuracy: float | None) -> bool:
        """Whether a held-out ``(loss, accuracy)`` meets the task's target."""
        return loss < self.target if self.task == "adding" else accuracy >= self.target

    @property
    def group(self) -> str:
        """The model as the tables name it: ``"LSTM b_f=1"``, ``"GRU"``, ``"RNN"``."""
        return self.kind.upper() + (f" b_f={self.forget_bias:g}" if self.kind == "lstm" else "")

    @property
    def label(self) -> str:
        parts = [self.kind.upper(), f"T={self.T}"]
        if self.kind == "lstm":
            parts.append(f"b_f={self.forget_bias:g}")
        if self.scale is not None:
            parts.append(f"scale={self.scale:g}")
        if self.clip is not None:
            parts.append(f"clip={self.clip:g}")
        parts.append(f"seed {self.seed}")
        return " ".join(parts)


@dataclasses.dataclass(frozen=True)
class RunResult:
    """A finished run: its ``spec``, the ``History``, the trained ``model``, and ``checkpoints``:
    ``(step, model)`` snapshots at step 0 and at every evaluation (read-only arrays)."""

    spec: RunSpec
    history: train.History
    model: train.SequenceModel
    checkpoints: tuple = ()

    @property
    def num_parameters(self) -> int:
        return self.model.num_parameters

    @property
    def final_loss(self) -> float:
        """Held-out loss at the end (inf when the run diverged)."""
        return np.inf if self.diverged else self.history.final_eval_loss

    @property
    def final_accuracy(self) -> float | None:
        acc = self.history.eval_accuracy
        return None if acc is None or self.diverged else float(acc[-1])

    @property
    def diverged(self) -> bool:
        return self.history.diverged_at is not None

    @property
    def solved_at(self) -> int | None:
        """The first step at which the held-out set met the task's target (None: never)."""
        h = self.history
        if self.spec.task == "adding":
            return h.steps_to(self.spec.target)
        return h.steps_to_accuracy(self.spec.target)

    @property
    def solved(self) -> bool:
        return self.solved_at is not None


def initial_model(spec: RunSpec) -> train.SequenceModel:
    """The model ``run(spec)`` starts from (a fresh copy on every call)."""
    task = spec.make_task()
    return train.make_model(spec.kind, task.input_size, spec.hidden_size, task.output_size,
                            np.random.default_rng([spec.seed, 0]), forget_bias=spec.forget_bias,
                            scale=spec.scale)


def held_out_set(spec: RunSpec):
    """``(X, y)``: the ``spec.eval_size`` held-out sequences of the spec's task. They depend on
    the task and T alone, so every model of an experiment is scored on the same sequences."""
    return spec.make_task().sample(spec.eval_size, np.random.default_rng([_EVAL_SEED, spec.T]))


def _frozen_copy(model: train.SequenceModel) -> train.SequenceModel:
    snap = model.copy()
    for a in snap.arrays():
        a.flags.writeable = False
    return snap


class RunCache:
    """Finished runs by their spec, held by the caller (chapter 06 meets some runs twice, and a
    run is a pure function of its spec). It hands out results with copies of the trained models,
    so changing one cannot change what a later caller gets (the snapshots are read-only)."""

    def __init__(self):
        self._results: dict[RunSpec, RunResult] = {}

    def get(self, spec: RunSpec) -> RunResult | None:
        r = self._results.get(spec)
        return None if r is None else dataclasses.replace(r, model=r.model.copy())

    def put(self, result: RunResult) -> None:
        self._results[result.spec] = dataclasses.replace(result, model=result.model.copy())

    def __len__(self) -> int:
        return len(self._results)


def run(spec: RunSpec, *, runs: RunCache | None = None, progress: bool | None = None) -> RunResult:
    """Train one model as ``spec`` says and score it on the task's held-out set.

    ``runs``: a ``RunCache`` to look the spec up in first and to keep the result in (None: always
    train). ``progress``: see ``progress.reporter``.
    """
    if not isinstance(spec, RunSpec):
        raise ValueError(f"spec: expected a RunSpec, got {type(spec).__name__}")
    if runs is not None and not isinstance(runs, RunCache):
        raise ValueError(f"runs: expected a RunCache or None, got {type(runs).__name__}")
    cached = None if runs is None else runs.get(spec)
    if cached is not None:
        return cached
    task = spec.make_task()
    model = initial_model(spec)
    snapshots = [(0, _frozen_copy(model))]

    def snapshot(step, m):  # the model at every evaluation, to measure what training changed
        if step % spec.eval_every == 0:
            snapshots.append((step, _frozen_copy(m)))

    opt = Adam(spec.lr) if spec.optimizer == "adam" else SGD(spec.lr, momentum=spec.momentum)
    hist = train.fit(model, task.sample, steps=spec.steps, batch_size=spec.batch_size,
                     optimizer=opt, rng=np.random.default_rng([spec.seed, 1]), loss=task.loss,
                     clip=spec.clip, eval_data=held_out_set(spec), eval_every=spec.eval_every,
                     progress=reporter(progress), label=spec.label,
                     stop_when=spec.reached if spec.stop_early else None, after_step=snapshot)
    if snapshots[-1][0] != hist.steps and not hist.diverged_at:
        snapshots.append((hist.steps, _frozen_copy(model)))
    result = RunResult(spec, hist, model, tuple(snapshots))
    if runs is not None:
        runs.put(result)
    return result


# ----------------------------------------------------------------------------------------------
# Model sizes: matched parameter counts
# ----------------------------------------------------------------------------------------------
def parameter_count(kind: str, task: str, hidden_size: int) -> int:
    """Trainable numbers of a ``kind`` layer of ``hidden_size`` units with its linear head, on
    ``task``: ``G H (H + D) + G H`` for the layer (``G`` = 1, 4, 3 blocks for the RNN, LSTM, GRU)
    and ``K H + K`` for the head."""
    G = len(get_model(kind, "kind").params.gates)
    if task not in _TASK_SIZES:
        raise ValueError(f"task: expected one of {tuple(_TASK_SIZES)}, got {task!r}")
    H = _validate.positive_int(hidden_size, "hidden_size")
    D, K = _TASK_SIZES[task]
    return G * H * (H + D) + G * H + K * H + K


def matched_sizes(task: str, lstm_hidden: int = 16) -> dict[str, int]:
    """Hidden sizes that give the RNN and the GRU about as many parameters as an LSTM of
    ``lstm_hidden`` units on ``task`` (the comparison of Chung et al. 2014)."""
    want = parameter_count("lstm", task, lstm_hidden)
    sizes = {"lstm": lstm_hidden}
    for kind in ("rnn", "gru"):
        sizes[kind] = min(range(1, 8 * lstm_hidden),
                          key=lambda H, k=kind: abs(parameter_count(k, task, H) - want))
    return {k: sizes[k] for k in ("rnn", "lstm", "gru")}


def sizes_table(lstm_hidden: int = 16) -> str:
    """Hidden size H and parameter count of each model on each task, matched to the LSTM."""
    head = f"{tr('task'):<16}{tr('model'):<7}{'H':>4}{tr('parameters'):>12}"
    lines = [head, "-" * len(head)]
    names = {"adding": tr("adding"), "temporal-order": tr("temporal-order")}
    for task in ("adding", "temporal-order"):
        for kind, H in matched_sizes(task, lstm_hidden).items():
            lines.append(f"{names[task]:<16}{kind.upper():<7}{H:>4}{parameter_count(kind, task, H):>12}")
    return "\n".join(lines)


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


# ----------------------------------------------------------------------------------------------
# After training: how far back the gradient reaches, and the gates that make it
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BeforeAfter:
    """``model_gradient_flow`` of each model at initialisation (``before``) and after ``run``
    trained it (``after``), on the same ``X`` (held-out sequences); ``results`` the runs."""

    before: dict
    after: dict
    results: dict
    X: np.ndarray | None = None

    def table(self) -> str:
        T = next(iter(self.before.values())).steps
        head = f"{tr('model'):<7}{tr('held-out MSE'):>16}   {'||dy/dh_1|| / ||dy/dh_T||':>26}"
        sub = f"{'':<7}{tr('after training'):>16}   {tr('before'):>12}{tr('after'):>14}"
        lines = [head, sub, "-" * len(head)]
        for name, r in self.results.items():
            b, a = self.before[name].relative("dh")[0], self.after[name].relative("dh")[0]
            lines.append(f"{name.upper():<7}{r.final_loss:>16.3g}   {b:>12.2e}{a:>14.2e}")
        return tr("adding problem, T = {T}; y = the model's prediction", T=T) + "\n" + "\n".join(lines)

    __repr__ = __str__ = table

    def summary(self, threshold: float = 1e-2) -> str:
        """Per model: did it learn the task, and does more than ``threshold`` of the gradient
        reach step 1 before and after training? Coarse on purpose: these answers do not change
        with the float32 rounding of another CPU, while the table's digits can."""
        target = TASK_TARGETS["adding"]
        head = f"{tr('model'):<7}{tr('learned the task'):<20}{tr('share of the gradient reaching step 1')}"
        sub = f"{'':<7}{f'(MSE < {target:g})':<20}{tr('before training'):<20}{tr('after training')}"
        lines = [head, sub, "-" * len(head)]
        side = lambda v: (tr("above {threshold:.0%}", threshold=threshold) if v > threshold  # noqa: E731
                          else tr("below {threshold:.0%}", threshold=threshold))
        for name, r in self.results.items():
            b, a = self.before[name].relative("dh")[0], self.after[name].relative("dh")[0]
            lines.append(f"{name.upper():<7}{_yes(r.solved):<20}{side(b):<20}{side(a)}")
        return "\n".join(lines)


def gradient_flow_before_after(T: int = 50, *, steps: int = 1200, seed: int = 0, batch: int = 32,
                               lstm_hidden: int = 16, batch_size: int = 32, lr: float = 1e-2,
                               eval_every: int = 25, runs: RunCache | None = None,
                               progress: bool | None = None) -> BeforeAfter:
    """Train an RNN, an LSTM (``b_f = 1``) and a GRU on the adding problem of length ``T`` exactly
    as ``adding_experiment`` does for ``seed`` (so a shared ``RunCache`` reuses its runs), and
    measure ``||dy/dh_k||`` of the prediction y on ``batch`` held-out sequences, before and after
    training."""
    specs = _task_specs("adding", T, steps, (seed,), (1.0,), lstm_hidden, batch_size, lr, eval_every)
    before, after, results = {}, {}, {}
    X = held_out_set(specs[0])[0][:, :_validate.positive_int(batch, "batch")]
    for spec in specs:
        results[spec.kind] = run(spec, runs=runs, progress=progress)
        with threadpool_limits(1):
            before[spec.kind] = model_gradient_flow(X, initial_model(spec))
            after[spec.kind] = model_gradient_flow(X, results[spec.kind].model)
    return BeforeAfter(before, after, results, X)


def _first_marker(X: np.ndarray) -> np.ndarray:
    """Index of the first marked step of each adding-problem sequence, ``(B,)``."""
    return np.argmax(X[:, :, 1] == 1, axis=0)


def _keep_gate(kind: str, model, X: np.ndarray) -> np.ndarray:
    """What a unit keeps of its memory at each step, ``(T, B, H)``: the LSTM's forget gate f,
    the GRU's ``1 - z`` (the article's ``h = (1 - z) h_prev + z h~``). Float64."""
    p = model.cell.astype(np.float64)
    _, cache = model_of(p).forward(np.asarray(X, dtype=np.float64), p)
    return np.array(cache.f) if kind == "lstm" else 1.0 - np.array(cache.z)


def _hold(kind: str, model, X: np.ndarray) -> np.ndarray:
    """Per unit, ``(H,)``: the product of the keep gate over the steps after each sequence's first
    marked step, ``prod_{t > p1} keep_t`` (the share of what the unit held at the first marked
    value that the direct path carries to the end), median over the sequences."""
    keep = _keep_gate(kind, model, X)
    T = keep.shape[0]
    after = np.arange(T)[:, None] > _first_marker(X)[None, :]  # (T, B)
    logs = np.where(after[:, :, None], np.log(np.maximum(keep, 1e-300)), 0.0).sum(axis=0)  # (B, H)
    return np.exp(np.median(logs, axis=0))


@dataclasses.dataclass(frozen=True)
class ReachOverTraining:
    """From a run's snapshots: at each snapshot ``step``, the held-out ``loss``, ``reach``
    ``||dy/dh_1|| / ||dy/dh_T||`` and, for the gated models, ``best_hold`` (the largest ``_hold``
    over the units). Dicts by model name; ``solved_at`` the step each met the target."""

    steps: dict
    loss: dict
    reach: dict
    best_hold: dict
    solved_at: dict

    def takeoff_reach(self, name: str, level: float = 0.9) -> float:
        """The reach at the last snapshot whose held-out MSE was still at the baseline (above
        ``level`` x 1/6): how far back the gradient reached just before the model began to learn
        (for a model that never did, at the end)."""
        at_baseline = np.flatnonzero(self.loss[name] > level * tasks.ADDING_BASELINE_MSE)
        return float(self.reach[name][at_baseline[-1]])

    def table(self, above: float = 1e-3) -> str:
        head = (f"{tr('model'):<7}{tr('reach at step 0'):>16}{tr('just before learning'):>22}{tr('at the end'):>12}"
                f"{tr('first > {above:g} at step', above=above):>24}{tr('target met at step'):>20}")
        lines = [head, "-" * len(head)]
        for name in self.reach:
            r = self.reach[name]
            hit = np.flatnonzero(r > above)
            first = tr("never") if not hit.size else int(self.steps[name][hit[0]])
            solved = tr("never") if self.solved_at[name] is None else self.solved_at[name]
            lines.append(f"{name.upper():<7}{r[0]:>16.2e}{self.takeoff_reach(name):>22.2e}{r[-1]:>12.2e}"
                         f"{first:>24}{solved:>20}")
        return "\n".join(lines)

    __str__ = __repr__ = table

    def summary(self, above: float = 1e-3) -> str:
        """Coarse (the same on every CPU): was the reach above ``above`` just before the model began
        to learn (the last snapshot with the held-out MSE at the baseline), and at the end?"""
        side = lambda v: (tr("above {above:g}", above=above) if v > above  # noqa: E731
                          else tr("below {above:g}", above=above))
        head = f"{tr('model'):<7}{tr('reach just before learning'):<29}{tr('at the end'):<16}{tr('target met')}"
        lines = [head, "-" * len(head)]
        for name in self.reach:
            lines.append(f"{name.upper():<7}{side(self.takeoff_reach(name)):<29}"
                         f"{side(self.reach[name][-1]):<16}{_yes(self.solved_at[name])}")
        return "\n".join(lines)


def reach_over_training(ba: BeforeAfter) -> ReachOverTraining:
    """The reach and the best unit's hold at every snapshot of the runs of ``ba``, on ``ba.X``."""
    if not isinstance(ba, BeforeAfter) or ba.X is None:
        raise ValueError(f"ba: expected a BeforeAfter from gradient_flow_before_after, got {type(ba).__name__}")
    steps, loss, reach, hold, solved = {}, {}, {}, {}, {}
    with threadpool_limits(1):  # small products: one BLAS thread is faster, as in training
        for name, r in ba.results.items():
            snaps = r.checkpoints
            steps[name] = np.array([s for s, _ in snaps])
            at = dict(zip(r.history.eval_step.tolist(), r.history.eval_loss))
            loss[name] = np.array([at.get(s, np.nan) for s, _ in snaps])
            reach[name] = np.array([model_gradient_flow(ba.X, m).relative("dh")[0] for _, m in snaps])
            if name != "rnn":
                hold[name] = np.array([_hold(name, m, ba.X).max() for _, m in snaps])
            solved[name] = r.solved_at
    return ReachOverTraining(steps, loss, reach, hold, solved)


@dataclasses.dataclass(frozen=True)
class GateHold:
    """Per unit of the trained LSTM and GRU (``before`` and ``after`` training, dicts by model):
    ``keep``, the mean keep gate (f, or 1 - z) over the held-out steps that carry no marker, and
    ``hold``, the product of the keep gate after the first marked step (``_hold``)."""

    keep_before: dict
    keep_after: dict
    hold_before: dict
    hold_after: dict

    def table(self) -> str:
        head = (f"{tr('model'):<7}{tr('gate'):<8}{tr('mean keep, all units'):>22}{tr('largest keep'):>16}"
                f"{tr('largest hold'):>16}")
        b, a = tr("before"), tr("after")
        sub = f"{'':<15}{b:>11}{a:>11}{b:>8}{a:>8}{b:>8}{a:>8}"
        lines = [head, sub, "-" * len(head)]
        for name, gate in (("lstm", "f"), ("gru", "1 - z")):
            kb, ka, hb, ha = (d[name] for d in (self.keep_before, self.keep_after, self.hold_before,
                                                self.hold_after))
            lines.append(f"{name.upper():<7}{gate:<8}{kb.mean():>11.3f}{ka.mean():>11.3f}"
                         f"{kb.max():>8.3f}{ka.max():>8.3f}{hb.max():>8.1e}{ha.max():>8.1e}")
        return "\n".join(lines)

    __str__ = __repr__ = table

    def summary(self, keep: float = 0.95, hold: float = 0.1) -> str:
        """Coarse: how many units keep more than ``keep`` per step, and hold more than ``hold`` of
        the first marked value to the end ("none", "some"), before and after training."""
        word = lambda n: tr("none") if n == 0 else tr("some")  # noqa: E731
        head = (f"{tr('model'):<7}{tr('units with keep > {keep:g}', keep=keep):<26}"
                f"{tr('units holding > {hold:g} to the end', hold=hold)}")
        sub = f"{'':<7}{tr('before'):<13}{tr('after'):<13}{tr('before'):<13}{tr('after')}"
        lines = [head, sub, "-" * len(head)]
        for name in ("lstm", "gru"):
            lines.append(f"{name.upper():<7}{word(np.sum(self.keep_before[name] > keep)):<13}"
                         f"{word(np.sum(self.keep_after[name] > keep)):<13}"
                         f"{word(np.sum(self.hold_before[name] > hold)):<13}"
                         f"{word(np.sum(self.hold_after[name] > hold))}")
        return "\n".join(lines)


def gate_hold(ba: BeforeAfter) -> GateHold:
    """``GateHold`` of the LSTM and the GRU of ``ba``, before and after training, on ``ba.X``."""
    if not isinstance(ba, BeforeAfter) or ba.X is None:
        raise ValueError(f"ba: expected a BeforeAfter from gradient_flow_before_after, got {type(ba).__name__}")
    unmarked = ba.X[:, :, 1] != 1  # (T, B)
    out = {k: {} for k in ("keep_before", "keep_after", "hold_before", "hold_after")}
    with threadpool_limits(1):
        for name in ("lstm", "gru"):
            r = ba.results[name]
            for when, model in (("before", initial_model(r.spec)), ("after", r.model)):
                keep = _keep_gate(name, model, ba.X)
                out[f"keep_{when}"][name] = keep[unmarked].mean(axis=0)
                out[f"hold_{when}"][name] = _hold(name, model, ba.X)
    return GateHold(**out)


@dataclasses.dataclass(frozen=True)
class GateTraces:
    """The gates of the trained LSTM (``f``, ``i``, ``o``) and GRU (``z``, ``r``) over one held-out
    sequence: ``gates[model][gate]`` is ``(H, T)``, units ordered by how much they hold (most first,
    ``order[model]``); ``marked``: the two marked steps (1-based); ``values``: the sequence's values."""

    gates: dict
    order: dict
    marked: tuple[int, int]
    values: np.ndarray
    target: float
    predictions: dict

    def table(self, top: int = 1) -> str:
        """Each gate's mean over the ``top`` most holding units and over all units, at the two
        marked steps and at the other steps; the models' predictions of the target."""
        name = tr("the most holding unit") if top == 1 else tr("{top} most holding units", top=top)
        head = (f"{tr('gate'):<22}{name:^24}{tr('all units'):^24}")
        sub = f"{'':<22}" + f"{tr('marked'):>12}{tr('other'):>12}" * 2
        lines = [tr("sequence with marked steps {first} and {second}: target {target:.3f}, LSTM predicts "
                    "{lstm:.3f}, GRU predicts {gru:.3f}", first=self.marked[0], second=self.marked[1],
                    target=self.target, lstm=self.predictions["lstm"], gru=self.predictions["gru"]),
                 "", head, sub, "-" * len(sub)]
        T = len(self.values)
        marked = np.zeros(T, bool)
        marked[np.array(self.marked) - 1] = True
        for model, gates in self.gates.items():
            for g, data in gates.items():
                row = f"{model.upper()} {g:<17}"
                for rows in (data[:top], data):
                    row += f"{rows[:, marked].mean():>12.3f}{rows[:, ~marked].mean():>12.3f}"
                lines.append(row)
        return "\n".join(lines)

    __str__ = __repr__ = table


def gate_traces(ba: BeforeAfter, sequence: int = 0) -> GateTraces:
    """``GateTraces`` of the trained LSTM and GRU of ``ba`` on held-out sequence ``sequence``."""
    if not isinstance(ba, BeforeAfter) or ba.X is None:
        raise ValueError(f"ba: expected a BeforeAfter from gradient_flow_before_after, got {type(ba).__name__}")
    B = ba.X.shape[1]
    if not (isinstance(sequence, (int, np.integer)) and 0 <= sequence < B):
        raise ValueError(f"sequence: expected an index in [0, {B}), got {sequence!r}")
    x = ba.X[:, sequence:sequence + 1].astype(np.float64)
    marked = tuple(int(t) + 1 for t in np.flatnonzero(x[:, 0, 1] == 1))
    gates, order, preds = {}, {}, {}
    with threadpool_limits(1):
        _traces(ba, x, gates, order, preds)
    target = float(x[np.array(marked) - 1, 0, 0].sum())
    return GateTraces(gates, order, marked, x[:, 0, 0], target, preds)


def _traces(ba, x, gates, order, preds):
    for name, names in (("lstm", ("f", "i", "o")), ("gru", ("z", "r"))):
        m = ba.results[name].model
        p = m.cell.astype(np.float64)
        _, cache = model_of(p).forward(x, p)
        ordering = np.argsort(-_hold(name, m, ba.X), kind="stable")
        order[name] = ordering
        gates[name] = {g: np.array(getattr(cache, g))[:, 0, :].T[ordering] for g in names}
        preds[name] = float(train.predict(m, x.astype(m.dtype))[0, 0])


# ----------------------------------------------------------------------------------------------
# The loop's pieces, checked
# ----------------------------------------------------------------------------------------------
def loss_gradient_check(seed: int = 0, eps: float = 1e-6) -> str:
    """Each loss's gradient (``losses.mse``, ``losses.softmax_cross_entropy``) against central
    differences ``(E(z + eps e_j) - E(z - eps e_j)) / 2 eps`` on a random batch (float64):
    the largest relative difference over all entries."""
    rng = np.random.default_rng(seed)
    cases = (("mse", losses.mse, rng.standard_normal((8, 1)), rng.standard_normal((8, 1))),
             ("softmax cross-entropy", losses.softmax_cross_entropy, rng.standard_normal((8, 4)),
              rng.integers(0, 4, size=8)))
    head = f"{tr('loss'):<24}{tr('value'):>8}{tr('largest relative difference, formula vs numerical'):>52}"
    lines = [head, "-" * len(head)]
    names = {"softmax cross-entropy": tr("softmax cross-entropy")}
    for name, fn, z, y in cases:
        value, grad = fn(z, y)
        num = np.zeros_like(z)
        for j in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[j] += eps
            zm[j] -= eps
            num[j] = (fn(zp, y)[0] - fn(zm, y)[0]) / (2 * eps)
        rel = np.max(np.abs(grad - num) / np.maximum(np.abs(grad) + np.abs(num), 1e-12))
        lines.append(f"{names.get(name, name):<24}{value:>8.4f}{rel:>52.1e}")
    return "\n".join(lines)


def first_steps_table(grad=(2.0, -0.1, 300.0), lr: float = 0.05) -> str:
    """The first update ``w_1 - w_0`` of SGD and of Adam (``lr`` each) for one gradient ``grad``:
    SGD's is ``-lr g``, as large as the gradient; Adam's is ``-lr`` times the gradient's sign in
    every entry, whatever the gradient's size (its running means divide by the gradient's scale)."""
    g = np.asarray(grad, dtype=np.float64)
    if g.ndim != 1 or not np.all(np.isfinite(g)):
        raise ValueError(f"grad: expected a 1-D list of finite numbers, got {grad!r}")
    rows = []
    for opt in (SGD(lr), Adam(lr)):
        w = [np.zeros_like(g)]  # w_0 = 0, so after the step w holds the update w_1 - w_0
        opt.step(w, [g.copy()])
        rows.append((type(opt).__name__, w[0]))
    head = f"{'':<18}" + "".join(f"{f'g = {v:g}':>12}" for v in g)
    lines = [tr("the first update w_1 - w_0 of {sgd}", sgd=repr(SGD(lr))), tr("and of {adam}:", adam=repr(Adam(lr))),
             "", head, "-" * len(head)]
    for name, step in rows:
        lines.append(f"{tr('{name} step', name=name):<18}" + "".join(f"{s:>12.4g}" for s in step))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Sizes and timings
# ----------------------------------------------------------------------------------------------
def timing_table(*experiments: Experiment) -> str:
    """Wall time of every run of ``experiments`` (seconds on this machine; they vary from machine
    to machine, which is why no test and no saved output depends on them)."""
    head = f"{tr('run'):<34}{tr('steps'):>7}{tr('seconds'):>9}{'ms/step':>9}"
    lines = [head, "-" * len(head)]
    total, seen = 0.0, set()
    for ex in experiments:
        for r in ex.results:
            h = r.history
            if r.spec in seen:  # a run reused by a second experiment cost nothing the second time
                lines.append(f"{r.spec.label:<34}{h.steps:>7}{tr('reused'):>9}")
                continue
            seen.add(r.spec)
            total += h.seconds
            lines.append(f"{r.spec.label:<34}{h.steps:>7}{h.seconds:>9.2f}{1e3 * h.seconds / h.steps:>9.2f}")
    lines.append(f"{tr('total'):<34}{'':>7}{total:>9.1f}")
    return "\n".join(lines)


def chapter06_settings(full: bool = False) -> dict:
    """The sizes chapter 06 runs with: the default fits continuous integration's time budget
    (under 30 s for the whole chapter on 2 cores); ``full=True`` gives the longer versions (more
    seeds, larger budgets, the LSTM with b_f = 0 and 3 on the adding problem too)."""
    if full:
        return {
            "adding": dict(T=50, steps=3000, seeds=(0, 1, 2, 3, 4, 5, 6, 7), biases=(0.0, 1.0, 3.0)),
            "temporal_order": dict(T=50, steps=2000, seeds=(0, 1, 2, 3, 4, 5, 6, 7), rnn=True),
            "clipping": dict(T=50, steps=1000, seeds=(0, 1, 2, 3, 4, 5, 6, 7)),
            "watch": dict(T=50, steps=100, seed=0),
            "after_training": dict(T=50, steps=3000, seed=0),
        }
    return {
        "adding": dict(T=50, steps=1200, seeds=(0, 1)),
        "temporal_order": dict(T=50, steps=400, seeds=(0, 1, 2), biases=(0.0, 1.0), rnn=False),
        "clipping": dict(T=50, steps=300, seeds=(0, 1, 2)),
        "watch": dict(T=50, steps=100, seed=0),
        "after_training": dict(T=50, steps=1200, seed=0),
    }


def claims_summary(*experiments: Experiment, width: int = 44) -> str:
    """Every claim of ``experiments`` in one table: the paper, its claim beside what we measured
    (both wrapped to ``width`` characters), and the verdict."""
    head = f"{tr('paper'):<26}{tr('claim'):<{width + 2}}{tr('measured'):<{width + 2}}{tr('verdict')}"
    lines = [head, "-" * (len(head) + 8)]
    for ex in experiments:
        for c in ex.claims:
            claim = textwrap.wrap(c.claim, width)
            measured = textwrap.wrap(c.measured, width)
            source = textwrap.wrap(c.source, 24)
            n = max(len(claim), len(measured), len(source))
            for k in range(n):
                lines.append(f"{source[k] if k < len(source) else '':<26}"
                             f"{claim[k] if k < len(claim) else '':<{width + 2}}"
                             f"{measured[k] if k < len(measured) else '':<{width + 2}}"
                             f"{c.verdict if k == 0 else ''}")
            lines.append("")
    return "\n".join(lines).rstrip()
