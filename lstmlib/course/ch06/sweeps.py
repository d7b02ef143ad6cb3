"""Chapter 06's sweeps: every comparison of the chapter from many seeds, too long to train while
the chapter runs. ``scripts/ch06_sweeps.py`` trains them (``plans`` says which runs, ``record``
trains one) and writes the records to a small file shipped with the course
(``data/ch06_sweeps.npz``); ``load_sweeps`` reads it back for the chapter.

The file holds numbers, no weights: per run its spec, held-out scores at every evaluation, and,
where a picture needs them, the training loss and gradient norm of every step (clipping) or the
gradient's reach at every evaluation (adding problem).
"""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from ...models import MODELS
from ..i18n import tr
from .after_training import snapshot_reach
from .runs import TASKS, RunRecord, RunSpec, held_out_set, run
from .sizes import matched_sizes

DATA = Path(__file__).resolve().parents[1] / "data" / "ch06_sweeps.npz"
"""The shipped results file."""

REACH_BATCH = 32
"""How many held-out sequences the gradient's reach is measured on."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the sweeps run: tasks of length ``T``; the LSTM with ``lstm_hidden`` units and the
    other models at matched parameter counts; Adam at ``lr`` with ``batch_size`` sequences a step,
    scored every ``eval_every`` steps, stopped at the target or after ``adding_steps`` /
    ``order_steps``; the LSTM with each of ``forget_biases``; ``seeds`` for every model;
    ``lr_seeds`` for the LSTM (b_f = 1) and the GRU at each of ``other_lrs``; the clipping
    experiment (a tanh RNN of ``clip_hidden`` units, plain SGD at ``clip_lr`` for ``clip_steps``
    steps, weights U(-``clip_scale``, ``clip_scale``), threshold ``clip``) from ``clip_seeds``."""

    T: int = 50
    lstm_hidden: int = 16
    batch_size: int = 32
    lr: float = 1e-2
    eval_every: int = 25
    adding_steps: int = 3000
    order_steps: int = 2000
    forget_biases: tuple = (0.0, 1.0, 3.0)
    seeds: tuple = tuple(range(20))
    other_lrs: tuple = (3e-3, 3e-2)
    lr_seeds: tuple = tuple(range(10))
    clip_hidden: int = 32
    clip_lr: float = 0.05
    clip_steps: int = 300
    clip_scale: float = 0.5
    clip: float = 1.0
    clip_seeds: tuple = tuple(range(20))

    @classmethod
    def tiny(cls) -> "Settings":
        """Seconds instead of minutes: short sequences, small models, two seeds (for tests)."""
        return cls(T=10, lstm_hidden=4, eval_every=10, adding_steps=30, order_steps=30, seeds=(0, 1),
                   other_lrs=(3e-2,), lr_seeds=(0,), clip_hidden=8, clip_steps=20, clip_seeds=(0, 1))

    def budget(self, task: str) -> int:
        return self.adding_steps if task == "adding" else self.order_steps


def _model_specs(s: Settings, task: str, seed: int, lr: float, kinds=None) -> list[RunSpec]:
    """Every model of the registry (or of ``kinds``) on ``task`` from ``seed`` at matched sizes;
    a model with a forget bias once per bias of the settings (at the other learning rates, 1 only)."""
    sizes = matched_sizes(task, s.lstm_hidden)
    base = dict(task=task, T=s.T, steps=s.budget(task), batch_size=s.batch_size, lr=lr,
                eval_every=s.eval_every, seed=seed)
    specs = []
    for kind in kinds or MODELS:
        biases = (s.forget_biases if lr == s.lr else (1.0,)) if "forget_bias" in MODELS[kind].options else (None,)
        specs += [RunSpec(kind, hidden_size=sizes[kind], forget_bias=b, **base) for b in biases]
    return specs


@dataclasses.dataclass(frozen=True)
class Plan:
    """One sweep: its ``specs``; ``per_step``: keep each step's loss and gradient norm;
    ``reach``: measure the gradient's reach at every evaluation."""

    name: str
    specs: tuple
    per_step: bool = False
    reach: bool = False


def plans(s: Settings | None = None) -> tuple[Plan, ...]:
    """The sweeps of ``s`` (default: the shipped settings), seed by seed within each."""
    s = Settings() if s is None else s
    clipping = [RunSpec("rnn", "adding", s.T, s.clip_steps, hidden_size=s.clip_hidden, batch_size=s.batch_size,
                        optimizer="sgd", lr=s.clip_lr, seed=seed, stop_early=False, eval_every=50, **kw)
                for kw in (dict(), dict(scale=s.clip_scale), dict(scale=s.clip_scale, clip=s.clip))
                for seed in s.clip_seeds]
    return (
        Plan("adding", tuple(x for seed in s.seeds for x in _model_specs(s, "adding", seed, s.lr)), reach=True),
        Plan("temporal-order", tuple(x for seed in s.seeds for x in _model_specs(s, "temporal-order", seed, s.lr))),
        Plan("learning-rate", tuple(x for task in TASKS for lr in s.other_lrs for seed in s.lr_seeds
                                    for x in _model_specs(s, task, seed, lr, kinds=("lstm", "gru")))),
        Plan("clipping", tuple(clipping), per_step=True),
    )


def live_specs(s: Settings | None = None, seed: int = 0) -> tuple[RunSpec, ...]:
    """The one configuration the chapter trains live: the adding problem's models from ``seed``,
    the LSTM with ``b_f = 1``, exactly as the adding sweep ran them (so the sweep file holds the
    same runs)."""
    s = Settings() if s is None else s
    return tuple(x for x in _model_specs(s, "adding", seed, s.lr) if x.forget_bias in (None, 1.0))


def record(spec: RunSpec, *, per_step: bool = False, reach: bool = False, runs=None,
           progress: bool | None = False) -> RunRecord:
    """Train ``spec`` (``run``) and keep its numbers: the per-step loss and gradient norm only
    with ``per_step``; with ``reach``, the gradient's reach and the best unit's hold at every
    evaluation, on the first ``REACH_BATCH`` held-out sequences."""
    result = run(spec, runs=runs, progress=progress)
    rec = result.record
    if not per_step:
        rec = dataclasses.replace(rec, loss=None, grad_norm=None)
    if reach:
        X = held_out_set(spec)[0][:, :REACH_BATCH]
        r, h = snapshot_reach(result, X)
        rec = dataclasses.replace(rec, reach=r, hold=h)
    return rec


def jobs(s: Settings | None = None) -> list[tuple[int, Plan, RunSpec]]:
    """Every run of ``plans(s)`` as ``(index, plan, spec)``, in plan order: what ``run_job`` takes
    (the script shares them among worker processes)."""
    return [(k, plan, spec) for k, (plan, spec) in enumerate((p, x) for p in plans(s) for x in p.specs)]


def run_job(job) -> tuple[int, RunRecord]:
    """``(index, record)`` of one job of ``jobs``, its ``cpu_seconds`` the CPU time of everything
    it did (the training and the measurements of its snapshots)."""
    index, plan, spec = job
    cpu = time.process_time()
    rec = record(spec, per_step=plan.per_step, reach=plan.reach)
    return index, dataclasses.replace(rec, cpu_seconds=time.process_time() - cpu)


# ----------------------------------------------------------------------------------------------
# The file
# ----------------------------------------------------------------------------------------------
_ARRAYS = ("eval_step", "eval_loss", "eval_accuracy", "loss", "grad_norm", "reach", "hold")


def save(path, records, settings: Settings, meta: dict | None = None) -> None:
    """Write ``records`` (``RunRecord``), the ``settings`` and ``meta`` (how it was run: machine,
    times) to one compressed ``.npz`` (no pickles: specs as JSON, numbers as arrays)."""
    rows, arrays = [], {}
    for k, r in enumerate(records):
        rows.append(dict(spec=dataclasses.asdict(r.spec), steps=r.steps, diverged_at=r.diverged_at,
                         num_parameters=r.num_parameters, cpu_seconds=round(r.cpu_seconds, 3)))
        for name in _ARRAYS:
            a = getattr(r, name)
            if a is not None:
                arrays[f"{k}/{name}"] = np.asarray(a, dtype=np.int32 if name == "eval_step" else np.float32)
    head = dict(settings=dataclasses.asdict(settings), meta=meta or {}, runs=rows)
    np.savez_compressed(path, head=np.array(json.dumps(head)), **arrays)


@dataclasses.dataclass(frozen=True, eq=False)
class Sweeps:
    """The sweeps read back: ``settings``, ``records`` (``RunRecord``, in the order they ran) and
    ``meta`` (how they were run)."""

    settings: Settings
    records: tuple
    meta: dict

    def select(self, **fields) -> tuple[RunRecord, ...]:
        """The records whose spec has every ``field=value`` (e.g. ``task="adding", kind="gru"``),
        in seed order."""
        for name in fields:
            if name not in RunSpec.__dataclass_fields__:
                raise ValueError(f"{name}: not a field of RunSpec (its fields: {', '.join(RunSpec.__dataclass_fields__)})")
        found = [r for r in self.records if all(getattr(r.spec, k) == v for k, v in fields.items())]
        return tuple(sorted(found, key=lambda r: r.spec.seed))

    def of(self, specs) -> tuple[RunRecord, ...]:
        """The records of ``specs``, one each, in their order (a ValueError names a spec the
        sweeps never ran)."""
        by_spec = {r.spec: r for r in self.records}
        missing = [s.label for s in specs if s not in by_spec]
        if missing:
            raise ValueError(f"specs: expected runs of the sweeps, got {', '.join(missing)} (not in the file)")
        return tuple(by_spec[s] for s in specs)

    def groups(self, **fields) -> dict[str, tuple[RunRecord, ...]]:
        """``select(**fields)`` by model group (``"RNN"``, ``"LSTM b_f=1"``, ...), registry order."""
        found = self.select(**fields)
        order = {k: i for i, k in enumerate(MODELS)}
        keys = sorted({(order[r.spec.kind], r.spec.forget_bias or 0.0, r.spec.group) for r in found})
        return {g: tuple(r for r in found if r.spec.group == g) for *_, g in keys}

    def __str__(self) -> str:
        s, m = self.settings, self.meta
        seeds = lambda t: f"{t[0]}-{t[-1]}" if len(t) > 1 else str(t[0])  # noqa: E731
        lines = [tr("{n} runs, trained by scripts/ch06_sweeps.py:", n=len(self.records)),
                 tr("  adding problem and temporal order, T = {T}: every model from seeds {seeds}, Adam lr {lr:g}, "
                    "at most {a} and {o} steps", T=s.T, seeds=seeds(s.seeds), lr=s.lr, a=s.adding_steps,
                    o=s.order_steps),
                 tr("  LSTM (b_f = 1) and GRU at lr {lrs}: seeds {seeds}",
                    lrs=", ".join(f"{x:g}" for x in s.other_lrs), seeds=seeds(s.lr_seeds)),
                 tr("  clipping: seeds {seeds}", seeds=seeds(s.clip_seeds))]
        cpu = sum(r.cpu_seconds for r in self.records)
        lines.append(tr("training took {minutes:.0f} CPU minutes in all", minutes=cpu / 60))
        if m.get("wall_minutes"):
            lines.append(tr("({wall:.0f} minutes on {workers} worker processes, {machine})", wall=m["wall_minutes"],
                            workers=m.get("workers", 1), machine=m.get("machine", "?")))
        return "\n".join(lines)

    __repr__ = __str__


def load_sweeps(path=None) -> Sweeps:
    """The sweeps written by ``save`` (default: the file the course ships)."""
    path = DATA if path is None else Path(path)
    if not path.exists():
        raise ValueError(f"path: expected the sweeps file written by scripts/ch06_sweeps.py, got {str(path)!r} "
                         "(no such file)")
    with np.load(path, allow_pickle=False) as f:
        head = json.loads(str(f["head"]))
        arrays = {k: f[k] for k in f.files if k != "head"}
    settings = Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in head["settings"].items()})
    records = []
    for k, row in enumerate(head["runs"]):
        got = {name: arrays.get(f"{k}/{name}") for name in _ARRAYS}
        got["eval_step"] = got["eval_step"].astype(np.int64)
        records.append(RunRecord(RunSpec(**row["spec"]), row["steps"], row["diverged_at"], row["num_parameters"],
                                 cpu_seconds=row["cpu_seconds"], **{n: (None if v is None else
                                                                      v if n == "eval_step" else v.astype(np.float64))
                                                                   for n, v in got.items()}))
    return Sweeps(settings, tuple(records), head["meta"])
