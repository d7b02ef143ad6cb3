"""Chapter 06: one training run as a pure function of its spec (``RunSpec``, ``run``), the
caller-held ``RunCache``, and model sizes with matched parameter counts."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate, tasks, train
from ...models import MODELS, get_model
from ...optim import SGD, Adam
from ..i18n import tr
from ..progress import reporter

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
