"""Chapter 06: one training run as a pure function of its spec (``RunSpec``, ``run``), what is kept
of it (``RunRecord``: the numbers, no weights; what the sweep file stores), and the caller-held
``RunCache``."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from ... import _validate, network, optim, tasks, train
from ...models import MODELS, get_model
from ..i18n import tr
from ..progress import reporter

TASKS = {"adding": tasks.adding_task, "temporal-order": tasks.temporal_order_task}
"""The chapter's two tasks by name: the function that builds each from its length T."""

TASK_TARGETS = {"adding": 0.01, "temporal-order": 0.99}
"""When a task counts as learned, on the held-out set: adding problem, MSE below 0.01 (the
baseline is 1/6: 6% of the variance left); temporal order, accuracy at least 0.99 (chance 0.25)."""

_EVAL_SEED = 20_240_601  # the held-out sets' seed: fixed, and never used for training data
_OPTIMIZERS = {"adam": lambda s: optim.Adam(s.lr), "sgd": lambda s: optim.SGD(s.lr, momentum=s.momentum)}
_DEFAULT_LR = 1e-2


def seed_number(seed, name: str = "seed") -> int:
    """``seed`` as an int, which must be a whole number >= 0 (what ``np.random.default_rng`` takes)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name}: expected a whole number >= 0, got {seed!r}")
    return int(seed)


def _positive(value, name: str, *, optional: bool = False):
    """``value`` if it is a finite number > 0 (or None, when ``optional``), else a ValueError."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        expected = "None or a finite number > 0" if optional else "a finite number > 0"
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run. ``kind``: a name of ``MODELS`` (``"rnn"``, ``"lstm"``, ``"gru"``);
    ``task``: ``"adding"`` or ``"temporal-order"`` of length ``T``; ``steps``: the budget;
    ``optimizer``: ``"adam"`` or ``"sgd"`` (plain, with ``momentum``); ``clip``: gradient-norm
    threshold or None; ``forget_bias``: the LSTM's initial ``b_f`` (kept only for models that have
    that option; ``None`` for the others); ``scale``: initial weights ~ U(-scale, scale) (None:
    1/sqrt(H)); ``seed`` seeds the model and the training batches; ``stop_early``: stop at the
    first evaluation that meets the task's target. Models train in float32."""

    kind: str
    task: str
    T: int
    steps: int
    hidden_size: int = 32
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = _DEFAULT_LR
    momentum: float = 0.0
    clip: float | None = None
    forget_bias: float | None = 1.0
    scale: float | None = None
    seed: int = 0
    stop_early: bool = True
    eval_size: int = 500
    eval_every: int = 50

    def __post_init__(self):
        model = get_model(self.kind, "kind")
        if self.task not in TASKS:
            raise ValueError(f"task: expected one of {tuple(TASKS)}, got {self.task!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {tuple(_OPTIMIZERS)}, got {self.optimizer!r}")
        for name in ("T", "steps", "hidden_size", "batch_size", "eval_size", "eval_every"):
            _validate.positive_int(getattr(self, name), name)
        seed_number(self.seed)
        _positive(self.lr, "lr")
        _positive(self.clip, "clip", optional=True)
        _positive(self.scale, "scale", optional=True)
        if not 0.0 <= _validate.real(self.momentum, "momentum") < 1.0:
            raise ValueError(f"momentum: expected a number in [0, 1), got {self.momentum!r}")
        if "forget_bias" not in model.options:  # the GRU and the RNN have no forget gate
            object.__setattr__(self, "forget_bias", None)
        elif self.forget_bias is None:
            raise ValueError(f"forget_bias: expected a finite number for the {model.title}, got None")
        else:
            _validate.real(self.forget_bias, "forget_bias")
        self.make_task().sample(1, 0)  # the task's own checks (temporal order needs T >= 10)

    def make_task(self) -> tasks.Task:
        return TASKS[self.task](self.T)

    @property
    def options(self) -> dict:
        """The model's own init options this spec sets (``{"forget_bias": 1.0}`` for the LSTM)."""
        return {} if self.forget_bias is None else {"forget_bias": float(self.forget_bias)}

    @property
    def target(self) -> float:
        return TASK_TARGETS[self.task]

    def reached(self, loss: float, accuracy: float | None) -> bool:
        """Whether a held-out ``(loss, accuracy)`` meets the task's target: accuracy for a
        classification, the loss for a regression."""
        return accuracy >= self.target if accuracy is not None else loss < self.target

    @property
    def group(self) -> str:
        """The model as the tables name it: ``"LSTM b_f=1"``, ``"GRU"``, ``"RNN"``."""
        title = MODELS[self.kind].title
        return title if self.forget_bias is None else f"{title} b_f={self.forget_bias:g}"

    @property
    def label(self) -> str:
        """The run as progress lines name it, in the course's language: ``"LSTM T=50 b_f=1 seed 0"``."""
        parts = [MODELS[self.kind].title, f"T={self.T}"]
        if self.forget_bias is not None:
            parts.append(f"b_f={self.forget_bias:g}")
        if self.lr != _DEFAULT_LR:
            parts.append(f"lr={self.lr:g}")
        if self.scale is not None:
            parts.append(f"scale={self.scale:g}")
        if self.clip is not None:
            parts.append(f"clip={self.clip:g}")
        return " ".join(parts + [tr("seed {seed}", seed=self.seed)])


@dataclasses.dataclass(frozen=True, eq=False)
class RunRecord:
    """What is kept of a run: its ``spec`` and numbers, no weights. ``steps`` run (fewer than the
    budget after an early stop or an overflow), ``diverged_at`` (the step that overflowed, or
    None), ``num_parameters``; the held-out scores ``eval_step``, ``eval_loss``,
    ``eval_accuracy`` (None for a regression); per training step ``loss`` and ``grad_norm``
    (None when not kept); per evaluation, ``reach`` (``||dy/dh_1|| / ||dy/dh_T||``) and ``hold``
    (the best unit's hold, gated models) when measured (``after_training.snapshot_reach``);
    ``cpu_seconds`` of the training."""

    spec: RunSpec
    steps: int
    diverged_at: int | None
    num_parameters: int
    eval_step: np.ndarray
    eval_loss: np.ndarray
    eval_accuracy: np.ndarray | None = None
    loss: np.ndarray | None = None
    grad_norm: np.ndarray | None = None
    reach: np.ndarray | None = None
    hold: np.ndarray | None = None
    cpu_seconds: float = 0.0

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final_loss(self) -> float:
        """Held-out loss at the end (inf when the run overflowed)."""
        return np.inf if self.diverged else float(self.eval_loss[-1])

    @property
    def final_accuracy(self) -> float | None:
        return None if self.eval_accuracy is None or self.diverged else float(self.eval_accuracy[-1])

    @property
    def solved_at(self) -> int | None:
        """The first evaluation step at which the held-out set met the task's target (None: never)."""
        acc = self.eval_accuracy
        for k, step in enumerate(self.eval_step):
            if self.spec.reached(self.eval_loss[k], None if acc is None else acc[k]):
                return int(step)
        return None

    @property
    def solved(self) -> bool:
        return self.solved_at is not None


@dataclasses.dataclass(frozen=True, eq=False)
class RunResult:
    """A run trained here: its ``spec``, the ``History``, the trained ``model``, ``checkpoints``
    (``(step, model)`` snapshots at step 0 and at every evaluation, read-only arrays) and the
    ``record`` of its numbers."""

    spec: RunSpec
    history: train.History
    model: network.SequenceModel
    checkpoints: tuple
    record: RunRecord


def initial_model(spec: RunSpec) -> network.SequenceModel:
    """The float32 model ``run(spec)`` starts from (a fresh copy on every call)."""
    task = spec.make_task()
    return network.make_model(spec.kind, task.input_size, spec.hidden_size, task.output_size,
                              np.random.default_rng([spec.seed, 0]), dtype=np.float32, scale=spec.scale,
                              **spec.options)


def held_out_set(spec: RunSpec):
    """``(X, y)``: the ``spec.eval_size`` held-out sequences of the spec's task. They depend on
    the task and T alone, so every model of an experiment is scored on the same sequences."""
    return spec.make_task().sample(spec.eval_size, np.random.default_rng([_EVAL_SEED, spec.T]))


def _frozen_copy(model: network.SequenceModel) -> network.SequenceModel:
    snap = model.copy()
    for a in snap.arrays():
        a.flags.writeable = False
    return snap


class RunCache:
    """Finished runs by their spec, held by the caller (a run is a pure function of its spec, and
    chapter 06 meets some runs twice). It hands out results with copies of the trained models,
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
    """Train one model as ``spec`` says, with ``train.fit`` on fresh batches of the task, scored
    on the task's held-out set every ``spec.eval_every`` steps.

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

    X, y = held_out_set(spec)
    cpu = time.process_time()
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows; fit stops it there
        hist = train.fit(train.task_batches(task.sample, spec.batch_size, np.random.default_rng([spec.seed, 1])),
                         model, _OPTIMIZERS[spec.optimizer](spec), steps=spec.steps, loss=task.loss,
                         clip=spec.clip, evaluate=train.held_out(X, y, task.loss), eval_every=spec.eval_every,
                         progress=reporter(progress), label=spec.label,
                         stop_when=spec.reached if spec.stop_early else None, after_step=snapshot)
    cpu = time.process_time() - cpu
    if snapshots[-1][0] != hist.steps and hist.diverged_at is None:
        snapshots.append((hist.steps, _frozen_copy(model)))
    record = RunRecord(spec, hist.steps, hist.diverged_at, model.num_parameters, hist.eval_step,
                       hist.eval_loss, hist.eval_accuracy, hist.loss, hist.grad_norm, cpu_seconds=cpu)
    result = RunResult(spec, hist, model, tuple(snapshots), record)
    if runs is not None:
        runs.put(result)
    return result
