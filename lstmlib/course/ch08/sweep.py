"""Chapter 08's training sweep: every configuration of ``CONFIGS`` on three tasks, at matched
parameter counts, over a grid of learning rates and seeds. One run is a pure function of its
``RunSpec`` (``run``); ``scripts/sweep_variants.py`` runs them all and writes ``RESULTS_PATH``,
which the chapter reads (``load_results``) and a test re-checks on a slice.

The tasks: the adding problem and temporal order of chapter 06 (T = 50) and a character model
on chapter 07's corpus (validation bits per character). Adam, gradients clipped at norm 1,
float64 (so that a re-run gives the same numbers to many digits on any BLAS kernel), one BLAS
thread. The score of a run is its held-out loss after the whole budget (no early stop).
"""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from ... import charlm, tasks, train
from ...models import get_model
from ...network import make_model
from ...optim import Adam
from ..i18n import N_, tr

__all__ = ["Config", "CONFIGS", "TaskSetting", "TASK_SETTINGS", "RunSpec", "RunResult", "matched_hidden_size",
           "run_specs", "run", "RESULTS_PATH", "save_results", "load_results", "SweepResults"]

RESULTS_PATH = Path(__file__).resolve().parents[1] / "data" / "ch08_variants.json"
"""The sweep's results, shipped with the course (``scripts/sweep_variants.py`` writes it)."""


@dataclasses.dataclass(frozen=True)
class Config:
    """One model of the comparison: ``label`` (Greff et al.'s short name) and the options of the
    ``lstm_variant`` model."""

    label: str
    variant: str
    peepholes: bool
    forget_bias: float

    @property
    def options(self) -> dict:
        return dict(variant=self.variant, peepholes=self.peepholes, forget_bias=self.forget_bias)


CONFIGS = (
    Config("V", "vanilla", True, 1.0),
    Config("NP", "vanilla", False, 1.0),
    Config("NIG", "NIG", True, 1.0),
    Config("NFG", "NFG", True, 0.0),
    Config("NOG", "NOG", True, 1.0),
    Config("NIAF", "NIAF", True, 1.0),
    Config("NOAF", "NOAF", True, 1.0),
    Config("CIFG", "CIFG", True, 1.0),
    Config("V b_f=0", "vanilla", True, 0.0),
)
"""Greff et al.'s vanilla LSTM (peepholes; here with ``b_f = 1``, Jozefowicz et al.'s advice), each
of their one-change variants (NP: no peepholes, chapter 02's LSTM; NFG has no forget gate, so no
forget bias), and the vanilla LSTM with ``b_f = 0`` (Jozefowicz et al.'s claim)."""


@dataclasses.dataclass(frozen=True)
class TaskSetting:
    """A task of the sweep: its size and budget. ``hidden_size`` is the vanilla LSTM's; the others
    get the size whose parameter count is nearest (``matched_hidden_size``)."""

    name: str
    title: str
    loss: str
    steps: int
    hidden_size: int
    lrs: tuple
    eval_every: int
    T: int = 50
    batch_size: int = 32
    embedding_size: int = 16
    chunk: int = 32
    eval_size: int = 1000
    eval_chars: int = 16384


TASK_SETTINGS = {
    "adding": TaskSetting("adding", N_("adding problem, T = 50 (held-out MSE)"), "mse", 1000, 16,
                          (3e-3, 1e-2, 3e-2), 250),
    "order": TaskSetting("order", N_("temporal order, T = 50 (held-out cross-entropy, nats)"), "xent", 500, 16,
                         (3e-3, 1e-2, 3e-2), 125),
    "text": TaskSetting("text", N_("characters of chapter 07's corpus (validation bits per character)"), "xent",
                        600, 48, (1e-3, 3e-3, 1e-2, 3e-2), 150),
}

SEEDS = (0, 1, 2, 3, 4)
EVAL_SEED = 123_456
"""The held-out sequences of the two synthetic tasks are drawn from this seed, the same for every run."""


def _sizes(task: str, vocab_size: int | None) -> tuple[int, int, int | None]:
    """``(input_size, output_size, vocab_size)`` of a task's model."""
    s = TASK_SETTINGS[task]
    if task == "adding":
        return 2, 1, None
    if task == "order":
        return len(tasks.TEMPORAL_ORDER_SYMBOLS), len(tasks.TEMPORAL_ORDER_CLASSES), None
    if vocab_size is None:
        raise ValueError("vocab_size: expected the corpus vocabulary's size for the text task, got None")
    return s.embedding_size, vocab_size, vocab_size


def model_parameter_count(config: Config, task: str, hidden_size: int, vocab_size: int | None = None) -> int:
    """The numbers a model of ``config`` learns on ``task``: its layer and its linear head (and the
    embedding, the same for every configuration, on the text task)."""
    D, K, V = _sizes(task, vocab_size)
    layer = get_model("lstm_variant").parameter_count(D, hidden_size, **config.options)
    return layer + hidden_size * K + K + (V * D if V else 0)


def matched_hidden_size(config: Config, task: str, vocab_size: int | None = None) -> int:
    """The hidden size whose model parameter count is nearest the vanilla LSTM's at the task's
    ``hidden_size`` (the smaller one on a tie)."""
    want = model_parameter_count(CONFIGS[0], task, TASK_SETTINGS[task].hidden_size, vocab_size)
    return min(range(1, 4 * TASK_SETTINGS[task].hidden_size),
               key=lambda H: (abs(model_parameter_count(config, task, H, vocab_size) - want), H))


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run: a task, a configuration (by label), a learning rate and a seed (the
    model's initial weights; on the synthetic tasks also the training batches, from ``1000 +
    seed``)."""

    task: str
    config: str
    lr: float
    seed: int

    def __post_init__(self):
        if self.task not in TASK_SETTINGS:
            raise ValueError(f"task: expected one of {tuple(TASK_SETTINGS)}, got {self.task!r}")
        if self.config not in {c.label for c in CONFIGS}:
            raise ValueError(f"config: expected one of {[c.label for c in CONFIGS]}, got {self.config!r}")

    @property
    def key(self) -> str:
        return f"{self.task}|{self.config}|{self.lr:g}|{self.seed}"


def config_of(label: str) -> Config:
    return next(c for c in CONFIGS if c.label == label)


def run_specs(tasks_=tuple(TASK_SETTINGS), configs=None, seeds=SEEDS) -> list[RunSpec]:
    """Every run of the sweep (or of the named tasks, configurations and seeds), longest task first."""
    labels = [c.label for c in CONFIGS] if configs is None else list(configs)
    order = sorted(tasks_, key=lambda t: -TASK_SETTINGS[t].steps * TASK_SETTINGS[t].hidden_size)
    return [RunSpec(t, c, lr, s) for t in order for s in seeds for c in labels for lr in TASK_SETTINGS[t].lrs]


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one run gave: ``hidden_size``, ``parameters`` (its model's count), ``eval_steps`` and
    ``eval_loss`` (held-out loss at each evaluation; bits per character on the text task),
    ``accuracy`` (temporal order's last held-out accuracy, else None), ``diverged_at``,
    ``cpu_seconds``."""

    spec: RunSpec
    hidden_size: int
    parameters: int
    eval_steps: tuple
    eval_loss: tuple
    accuracy: float | None
    diverged_at: int | None
    cpu_seconds: float

    @property
    def final(self) -> float:
        """The score: the last held-out loss (inf when the run diverged)."""
        return float("inf") if self.diverged_at is not None else self.eval_loss[-1]


def _synthetic(setting: TaskSetting, seed: int):
    task = tasks.adding_task(setting.T) if setting.name == "adding" else tasks.temporal_order_task(setting.T)

    def sample(n, rng):
        return task.sample(n, rng, dtype=np.float64)
    Xv, yv = sample(setting.eval_size, EVAL_SEED)
    return train.task_batches(sample, setting.batch_size, 1000 + seed), train.held_out(Xv, yv, setting.loss)


def run(spec: RunSpec, corpus=None) -> RunResult:
    """Train one model as ``spec`` says and score it (``corpus``: chapter 07's ``Corpus``, needed
    for the text task)."""
    s = TASK_SETTINGS[spec.task]
    config = config_of(spec.config)
    V = None
    if spec.task == "text":
        if corpus is None:
            raise ValueError("corpus: expected chapter 07's corpus (ch07.load_corpus()) for the text task, got None")
        V = len(corpus.vocab)
    D, K, _ = _sizes(spec.task, V)
    H = matched_hidden_size(config, spec.task, V)
    model = make_model("lstm_variant", D, H, K, spec.seed, vocab_size=V, every_step=spec.task == "text",
                       dtype=np.float64, **config.options)
    if spec.task == "text":
        batches = charlm.text_batches(corpus.train_ids, s.batch_size, s.chunk)
        evaluate = charlm.text_score(corpus.valid_ids[:s.eval_chars], batch_size=16, chunk=256)
    else:
        batches, evaluate = _synthetic(s, spec.seed)
    t0 = time.process_time()
    hist = train.fit(batches, model, Adam(spec.lr), steps=s.steps, loss=s.loss, clip=1.0, evaluate=evaluate,
                     eval_every=s.eval_every, threads=1)
    seconds = time.process_time() - t0
    scale = charlm.BITS_PER_NAT if spec.task == "text" else 1.0
    acc = None if hist.eval_accuracy is None or spec.task != "order" else float(hist.eval_accuracy[-1])
    return RunResult(spec, H, model_parameter_count(config, spec.task, H, V), tuple(int(k) for k in hist.eval_step),
                     tuple(float(v) * scale for v in hist.eval_loss), acc, hist.diverged_at, seconds)


# ----------------------------------------------------------------------------------------------
# The results file
# ----------------------------------------------------------------------------------------------
def _record(r: RunResult) -> dict:
    return {"task": r.spec.task, "config": r.spec.config, "lr": r.spec.lr, "seed": r.spec.seed,
            "hidden_size": r.hidden_size, "parameters": r.parameters, "eval_steps": list(r.eval_steps),
            "eval_loss": [float(f"{v:.7g}") for v in r.eval_loss],
            "accuracy": None if r.accuracy is None else float(f"{r.accuracy:.7g}"),
            "diverged_at": r.diverged_at, "cpu_seconds": round(r.cpu_seconds, 3)}


def _from_record(d: dict) -> RunResult:
    return RunResult(RunSpec(d["task"], d["config"], d["lr"], d["seed"]), d["hidden_size"], d["parameters"],
                     tuple(d["eval_steps"]), tuple(d["eval_loss"]), d["accuracy"], d["diverged_at"],
                     d["cpu_seconds"])


def save_results(results, path, meta: dict) -> None:
    """Write ``results`` (``RunResult``s) and ``meta`` (how the sweep ran: machine, times) as JSON."""
    data = {"meta": meta, "runs": [_record(r) for r in sorted(results, key=lambda r: r.spec.key)]}
    Path(path).write_text(json.dumps(data, indent=0, separators=(",", ":")) + "\n")


@dataclasses.dataclass(frozen=True)
class SweepResults:
    """The sweep as the chapter reads it: ``runs`` (``RunResult``s) and ``meta``."""

    runs: tuple
    meta: dict

    def select(self, task: str, config: str | None = None, lr: float | None = None) -> list:
        return [r for r in self.runs if r.spec.task == task and (config is None or r.spec.config == config)
                and (lr is None or np.isclose(r.spec.lr, lr))]

    def scores(self, task: str, config: str, lr: float) -> np.ndarray:
        """Final scores by seed (``SEEDS`` order) of one configuration at one learning rate."""
        runs = sorted(self.select(task, config, lr), key=lambda r: r.spec.seed)
        return np.array([r.final for r in runs])

    def best_lr(self, task: str, config: str) -> float:
        """The learning rate with the lowest median final score over the seeds."""
        lrs = TASK_SETTINGS[task].lrs
        return min(lrs, key=lambda lr: np.median(self.scores(task, config, lr)))

    @property
    def cpu_seconds(self) -> float:
        return float(sum(r.cpu_seconds for r in self.runs))


def load_results(path=RESULTS_PATH) -> SweepResults:
    """The shipped sweep (or the one at ``path``)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(tr("path: expected the sweep's results at {path}; run scripts/sweep_variants.py",
                            path=path.name))
    data = json.loads(path.read_text())
    return SweepResults(tuple(_from_record(d) for d in data["runs"]), data["meta"])


def settings_table(vocab_size: int) -> str:
    """Each task's budget and every configuration's hidden size and parameter count (matched to V's)."""
    lines = []
    for task, s in TASK_SETTINGS.items():
        lines.append(tr("{title}: {steps} Adam steps of batch {B}, learning rates {lrs}, seeds {seeds}",
                        title=tr(s.title), steps=s.steps, B=s.batch_size, lrs=", ".join(f"{lr:g}" for lr in s.lrs),
                        seeds=", ".join(map(str, SEEDS))))
        lines.append("   " + "  ".join(f"{c.label} H={matched_hidden_size(c, task, vocab_size)} "
                                       f"({model_parameter_count(c, task, matched_hidden_size(c, task, vocab_size), vocab_size)})"
                                       for c in CONFIGS))
    return "\n".join(lines)


def cost_text(results: "SweepResults") -> str:
    """How much the sweep cost: runs, CPU time of the runs, what that is on a quiet 2-core machine."""
    m = results.meta
    return tr("{n} runs; {cpu:.1f} CPU-minutes in the runs, i.e. {quiet:.1f} minutes on a quiet 2-core machine "
              "with 2 worker processes (this machine was shared: {wall:.1f} minutes of wall time)",
              n=len(results.runs), cpu=results.cpu_seconds / 60, quiet=results.cpu_seconds / 120,
              wall=m.get("wall_seconds", float("nan")) / 60)


@dataclasses.dataclass(frozen=True)
class Rerun:
    """One shipped run trained again here: the shipped and the new held-out losses."""

    spec: RunSpec
    shipped: tuple
    again: tuple

    @property
    def max_relative_difference(self) -> float:
        a, b = np.array(self.shipped), np.array(self.again)
        return float(np.max(np.abs(a - b) / np.abs(a)))

    def __str__(self) -> str:
        steps = TASK_SETTINGS[self.spec.task].eval_every
        rows = [tr("{key}: held-out loss every {k} steps", key=self.spec.key, k=steps),
                tr("  shipped: {v}", v="  ".join(f"{x:.6g}" for x in self.shipped)),
                tr("  again:   {v}", v="  ".join(f"{x:.6g}" for x in self.again)),
                (tr("  largest relative difference below 1e-06 (the file keeps 7 digits)")
                 if self.max_relative_difference < 1e-6 else
                 tr("  largest relative difference {d:.1e}", d=self.max_relative_difference))]
        return "\n".join(rows)


def rerun(results: "SweepResults", spec: RunSpec, corpus=None) -> Rerun:
    """Train ``spec`` again and set its held-out losses beside the shipped ones."""
    shipped = next(r for r in results.runs if r.spec == spec)
    again = run(spec, corpus)
    return Rerun(spec, shipped.eval_loss, again.eval_loss)
