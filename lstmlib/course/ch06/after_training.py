"""Chapter 06: what training did to the models: the gradient's reach before and after and along
the way (for one seed trained here, and counted over the sweep's seeds), the gates' hold per unit,
and the gates of trained models over one sequence.

What a gated model's memory keeps per step (the LSTM's f, the GRU's 1 - z) comes from the
registry (``Model.keep``); the RNN has no such path."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import network, tasks
from ...models import MODELS, model_of
from ..ch05 import model_gradient_flow
from ..i18n import tr
from ..tables import Span, fixed_columns
from .runs import TASK_TARGETS, RunCache, RunRecord, RunResult, held_out_set, initial_model, run
from .stats import Median

_BASELINE_LEVEL = 0.9
"""A held-out MSE above this share of the baseline 1/6 counts as "still on the plateau"."""


def _yes(b) -> str:
    return tr("yes") if b else tr("no")


def _seeds(groups: dict) -> str:
    seeds = sorted({r.spec.seed for rs in groups.values() for r in rs})
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def _gated(kinds) -> list[str]:
    return [k for k in kinds if MODELS[k].keep is not None]


def reach(X: np.ndarray, model: network.SequenceModel) -> float:
    """``||dy/dh_1|| / ||dy/dh_T||`` of the prediction y on ``X``: how much of the gradient
    reaches the first step (``ch05.model_gradient_flow``, in float64)."""
    return float(model_gradient_flow(X, model).relative("dh")[0])


def keep_gate(model: network.SequenceModel, X: np.ndarray) -> np.ndarray:
    """What each unit keeps of its memory at each step, ``(T, B, H)``, in float64: the registry's
    ``keep`` (the LSTM's forget gate f, the GRU's ``1 - z``)."""
    p = model.cell.astype(np.float64)
    m = model_of(p)
    if m.keep is None:
        raise ValueError(f"model: expected a gated model (one with a keep gate), got the {m.title}")
    _, cache = m.forward(np.asarray(X, dtype=np.float64), p)
    return m.keep(cache)


def _first_marker(X: np.ndarray) -> np.ndarray:
    """Index of the first marked step of each adding-problem sequence, ``(B,)``."""
    return np.argmax(X[:, :, 1] == 1, axis=0)


def hold(model: network.SequenceModel, X: np.ndarray) -> np.ndarray:
    """Per unit, ``(H,)``: the product of the keep gate over the steps after each sequence's first
    marked step, ``prod_{t > p1} keep_t`` (the share of what the unit held at the first marked
    value that the direct path carries to the end), median over the sequences."""
    keep = keep_gate(model, X)
    T = keep.shape[0]
    after = np.arange(T)[:, None] > _first_marker(X)[None, :]  # (T, B)
    logs = np.where(after[:, :, None], np.log(np.maximum(keep, 1e-300)), 0.0).sum(axis=0)  # (B, H)
    return np.exp(np.median(logs, axis=0))


def snapshot_reach(result: RunResult, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """At every snapshot of ``result``: the reach and, for a gated model, its best unit's hold
    (``None`` otherwise), on ``X``."""
    gated = MODELS[result.spec.kind].keep is not None
    r = np.array([reach(X, m) for _, m in result.checkpoints])
    h = np.array([hold(m, X).max() for _, m in result.checkpoints]) if gated else None
    return r, h


def _takeoff(eval_loss: np.ndarray, values: np.ndarray) -> float:
    """``values`` at the last evaluation whose held-out MSE was still on the plateau (above
    ``_BASELINE_LEVEL`` x 1/6): just before the model began to learn (for a model that never
    did, at the end)."""
    on_plateau = np.flatnonzero(eval_loss[:len(values)] > _BASELINE_LEVEL * tasks.ADDING_BASELINE_MSE)
    return float(values[on_plateau[-1]]) if on_plateau.size else float(values[0])


# ----------------------------------------------------------------------------------------------
# One seed, trained here: before and after, and along the way
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BeforeAfter:
    """``model_gradient_flow`` of each model at initialisation (``before``) and after ``run``
    trained it (``after``), on the same ``X`` (held-out sequences); ``results`` the runs, by
    model name."""

    before: dict
    after: dict
    results: dict
    X: np.ndarray

    def table(self) -> str:
        T = next(iter(self.before.values())).steps
        header = [(tr("model"), Span("||dy/dh_1|| / ||dy/dh_T||", 2, ">")),
                  ("", tr("before"), tr("after training"))]
        rows = [(MODELS[name].title, f"{self.before[name].relative('dh')[0]:.2e}",
                 f"{self.after[name].relative('dh')[0]:.2e}") for name in self.results]
        return "\n".join([tr("adding problem, T = {T}, seed {seed}; y = the model's prediction", T=T,
                             seed=next(iter(self.results.values())).spec.seed),
                          fixed_columns([("<", 7), (">", 12), (">", 16)], header, rows)])

    __repr__ = __str__ = table

    def agreement(self, sweeps) -> str:
        """Coarse, the same on every CPU: per model, did the run trained here learn the task, and
        did the same run in the sweep file (the same spec: the same seed) learn it?"""
        rows = []
        for name, r in self.results.items():
            (filed,) = sweeps.of([r.spec])
            rows.append((MODELS[name].title, _yes(r.record.solved), _yes(filed.solved)))
        header = [(tr("model"), tr("learned the task here"), tr("the same run in the sweep file"))]
        title = tr("MSE < {target:g} on the held-out set within the budget:", target=TASK_TARGETS["adding"])
        return title + "\n" + fixed_columns([("<", 7), ("<", 24), ("<", 0)], header, rows)

    def summary(self, threshold: float = 1e-2) -> str:
        """Coarse, the same on every CPU: per model, does more than ``threshold`` of the gradient
        reach step 1 before and after training?"""
        side = lambda v: (tr("above {x:.0%}", x=threshold) if v > threshold  # noqa: E731
                          else tr("below {x:.0%}", x=threshold))
        rows = [(MODELS[name].title, _yes(r.record.solved), side(self.before[name].relative("dh")[0]),
                 side(self.after[name].relative("dh")[0])) for name, r in self.results.items()]
        return fixed_columns([("<", 7), ("<", 10), ("<", 15), ("<", 0)],
                             [(tr("model"), tr("learned"), tr("reach before"), tr("reach after"))], rows)


def gradient_flow_before_after(specs, *, batch: int = 32, runs: RunCache | None = None,
                               progress: bool | None = None) -> BeforeAfter:
    """Train each spec of ``specs`` (one per model, on the adding problem; ``runs`` may serve
    them) and measure ``||dy/dh_k||`` of the prediction y on ``batch`` held-out sequences, before
    and after training."""
    specs = tuple(specs)
    if not specs or any(s.task != "adding" for s in specs) or len({s.kind for s in specs}) != len(specs):
        raise ValueError(f"specs: expected one adding-problem RunSpec per model, got {specs!r}")
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or not 1 <= batch <= specs[0].eval_size:
        raise ValueError(f"batch: expected a whole number in [1, {specs[0].eval_size}], got {batch!r}")
    X = held_out_set(specs[0])[0][:, :batch]
    before, after, results = {}, {}, {}
    for spec in specs:
        results[spec.kind] = run(spec, runs=runs, progress=progress)
        before[spec.kind] = model_gradient_flow(X, initial_model(spec))
        after[spec.kind] = model_gradient_flow(X, results[spec.kind].model)
    return BeforeAfter(before, after, results, X)


@dataclasses.dataclass(frozen=True)
class ReachOverTraining:
    """From one seed's snapshots: at each snapshot ``step``, the held-out ``loss``, the ``reach``
    and, for the gated models, ``best_hold`` (the largest ``hold`` over the units). Dicts by model
    name; ``solved_at`` the step each met the target."""

    steps: dict
    loss: dict
    reach: dict
    best_hold: dict
    solved_at: dict

    def takeoff_reach(self, name: str) -> float:
        """The reach just before the model began to learn (``_takeoff``)."""
        return _takeoff(self.loss[name], self.reach[name])

    def table(self, above: float = 1e-3) -> str:
        header = [(tr("model"), tr("reach at step 0"), tr("just before learning"), tr("at the end"),
                   tr("first > {above:g} at step", above=above), tr("target met at step"))]
        rows = []
        for name, r in self.reach.items():
            hit = np.flatnonzero(r > above)
            first = tr("never") if not hit.size else int(self.steps[name][hit[0]])
            solved = tr("never") if self.solved_at[name] is None else self.solved_at[name]
            rows.append((MODELS[name].title, f"{r[0]:.2e}", f"{self.takeoff_reach(name):.2e}", f"{r[-1]:.2e}",
                         first, solved))
        return fixed_columns([("<", 7), (">", 16), (">", 22), (">", 12), (">", 24), (">", 20)], header, rows)

    __str__ = __repr__ = table

    def summary(self, above: float = 1e-3) -> str:
        """Coarse (the same on every CPU): was the reach above ``above`` just before the model
        began to learn, and at the end?"""
        side = lambda v: (tr("above {above:g}", above=above) if v > above  # noqa: E731
                          else tr("below {above:g}", above=above))
        rows = [(MODELS[name].title, side(self.takeoff_reach(name)), side(self.reach[name][-1]),
                 _yes(self.solved_at[name])) for name in self.reach]
        header = [(tr("model"), tr("reach just before learning"), tr("at the end"), tr("target met"))]
        return fixed_columns([("<", 7), ("<", 29), ("<", 16), ("<", 0)], header, rows)


def reach_over_training(records) -> ReachOverTraining:
    """The reach and the best unit's hold at every evaluation of ``records`` (one ``RunRecord``
    per model, with the reach measured: ``sweeps.record(..., reach=True)``, as the sweep file keeps
    them)."""
    records = tuple(records)
    if not records or not all(isinstance(r, RunRecord) and r.reach is not None for r in records) \
            or len({r.spec.kind for r in records}) != len(records):
        raise ValueError("records: expected one RunRecord per model with its reach measured "
                         "(Sweeps.select(...) of the adding sweep)")
    steps, loss, reaches, holds, solved = {}, {}, {}, {}, {}
    for r in records:
        k = r.spec.kind
        n = len(r.reach)  # one per snapshot: step 0 and every evaluation
        steps[k], loss[k] = r.eval_step[:n], r.eval_loss[:n]
        reaches[k] = r.reach
        if r.hold is not None:
            holds[k] = r.hold
        solved[k] = r.solved_at
    return ReachOverTraining(steps, loss, reaches, holds, solved)


# ----------------------------------------------------------------------------------------------
# Over the sweep's seeds
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ReachAcrossSeeds:
    """Per model (``groups``: name -> records of the adding sweep, with their reach measured): how
    many seeds learned the task; of those, how many ended with more than ``end_level`` of the
    gradient reaching step 1 and (gated models) a best unit holding more than ``hold_level`` of the
    first marked value; and on how many seeds the reach was already above ``takeoff_level`` while
    the held-out MSE was still on the plateau, with the median of that reach and its interval."""

    groups: dict
    end_level: float = 1e-2
    hold_level: float = 0.1
    takeoff_level: float = 1e-3

    def table(self) -> str:
        of = lambda k, n: tr("{k} of {n}", k=k, n=n)  # noqa: E731
        header = [(Span("", 2), Span(tr("at the end, of those that learned"), 2),
                   Span(tr("on the plateau, every seed"), 2)),
                  (tr("model"), tr("learned"), tr("reach > {x:g}", x=self.end_level),
                   tr("best hold > {x:g}", x=self.hold_level), tr("reach > {x:g}", x=self.takeoff_level),
                   tr("reach: median [95% interval]"))]
        rows = []
        for g, records in self.groups.items():
            learned = [r for r in records if r.solved]
            held = "-" if records[0].hold is None else of(sum(r.hold[-1] > self.hold_level for r in learned),
                                                          len(learned))
            takeoff = [_takeoff(r.eval_loss, r.reach) for r in records]
            reached = of(sum(r.reach[-1] > self.end_level for r in learned), len(learned)) if learned else "-"
            rows.append((g, of(len(learned), len(records)), reached, held if learned else "-",
                         of(sum(t > self.takeoff_level for t in takeoff), len(records)),
                         Median.of(takeoff).text("{:.1e}")))
        title = tr("adding problem, seeds {seeds}; reach = ||dy/dh_1|| / ||dy/dh_T||; on the plateau: at the "
                   "last evaluation with the held-out MSE above {level:g} x 1/6", seeds=_seeds(self.groups),
                   level=_BASELINE_LEVEL)
        layout = [("<", 12), ("<", 10), ("<", 16), ("<", 20), ("<", 16), ("<", 0)]
        return title + "\n" + fixed_columns(layout, header, rows)

    __str__ = __repr__ = table


def reach_across_seeds(sweeps) -> ReachAcrossSeeds:
    """``ReachAcrossSeeds`` of the adding sweep's models at the sweeps' learning rate."""
    groups = sweeps.groups(task="adding", lr=sweeps.settings.lr)
    if not groups or any(r.reach is None for rs in groups.values() for r in rs):
        raise ValueError("sweeps: expected adding-problem records with their reach measured (scripts/ch06_sweeps.py)")
    return ReachAcrossSeeds(groups)


# ----------------------------------------------------------------------------------------------
# The gates: per unit before and after, and over one sequence
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GateHold:
    """Per unit of each gated model (``before`` and ``after`` training, dicts by model):
    ``keep``, the mean keep gate over the held-out steps that carry no marker, and ``hold``."""

    keep_before: dict
    keep_after: dict
    hold_before: dict
    hold_after: dict
    seed: int = 0
    sequences: int = 0

    def table(self) -> str:
        title = tr("the models of seed {seed} on {n} held-out sequences, before and after training", seed=self.seed,
                   n=self.sequences)
        b, a = tr("before"), tr("after")
        header = [(tr("model"), tr("gate"), Span(tr("mean keep, all units"), 2, ">"),
                   Span(tr("largest keep"), 2, ">"), Span(tr("largest hold"), 2, ">")),
                  ("", "", b, a, b, a, b, a)]
        rows = []
        for name in self.keep_before:
            kb, ka, hb, ha = (d[name] for d in (self.keep_before, self.keep_after, self.hold_before,
                                                self.hold_after))
            rows.append((MODELS[name].title, MODELS[name].keep_name, f"{kb.mean():.3f}", f"{ka.mean():.3f}",
                         f"{kb.max():.3f}", f"{ka.max():.3f}", f"{hb.max():.1e}", f"{ha.max():.1e}"))
        layout = [("<", 7), ("<", 8), (">", 11), (">", 11), (">", 8), (">", 8), (">", 8), (">", 8)]
        return title + "\n" + fixed_columns(layout, header, rows)

    __str__ = __repr__ = table

    def summary(self, keep: float = 0.95, hold: float = 0.1) -> str:
        """Coarse: are there units that keep more than ``keep`` per step, and that hold more than
        ``hold`` of the first marked value to the end ("none", "some"), before and after?"""
        word = lambda n: tr("none") if n == 0 else tr("some")  # noqa: E731
        b, a = tr("before"), tr("after")
        header = [(tr("model"), Span(tr("units with keep > {keep:g}", keep=keep), 2),
                   Span(tr("units holding > {hold:g} to the end", hold=hold), 2)), ("", b, a, b, a)]
        rows = [(MODELS[name].title, word(np.sum(self.keep_before[name] > keep)),
                 word(np.sum(self.keep_after[name] > keep)), word(np.sum(self.hold_before[name] > hold)),
                 word(np.sum(self.hold_after[name] > hold))) for name in self.keep_before]
        return fixed_columns([("<", 7), ("<", 13), ("<", 13), ("<", 13), ("<", 0)], header, rows)


def gate_hold(ba: BeforeAfter) -> GateHold:
    """``GateHold`` of the gated models of ``ba``, before and after training, on ``ba.X``."""
    if not isinstance(ba, BeforeAfter):
        raise ValueError(f"ba: expected a BeforeAfter from gradient_flow_before_after, got {type(ba).__name__}")
    unmarked = ba.X[:, :, 1] != 1  # (T, B)
    out = {k: {} for k in ("keep_before", "keep_after", "hold_before", "hold_after")}
    for name in _gated(ba.results):
        r = ba.results[name]
        for when, model in (("before", initial_model(r.spec)), ("after", r.model)):
            out[f"keep_{when}"][name] = keep_gate(model, ba.X)[unmarked].mean(axis=0)
            out[f"hold_{when}"][name] = hold(model, ba.X)
    return GateHold(**out, seed=next(iter(ba.results.values())).spec.seed, sequences=ba.X.shape[1])


def sigmoid_gates(kind: str) -> tuple[str, ...]:
    """The names of a model's gates, its candidate left out (every layout stores it last):
    ``("f", "i", "o")`` for the LSTM, ``("z", "r")`` for the GRU, none for the RNN."""
    return MODELS[kind].params.gates[:-1]


@dataclasses.dataclass(frozen=True)
class GateTraces:
    """The gates of the trained gated models over one held-out sequence: ``gates[model][gate]``
    is ``(H, T)``, units ordered by how much they hold (most first, ``order[model]``);
    ``marked``: the two marked steps (1-based); ``values``: the sequence's values."""

    gates: dict
    order: dict
    marked: tuple[int, int]
    values: np.ndarray
    target: float
    predictions: dict
    seed: int = 0

    def table(self, top: int = 1) -> str:
        """Each gate's mean over the ``top`` most holding units and over all units, at the two
        marked steps and at the other steps; the models' predictions of the target."""
        name = tr("the most holding unit") if top == 1 else tr("{top} most holding units", top=top)
        header = [(tr("gate"), Span(name, 2, "^"), Span(tr("all units"), 2, "^")),
                  ("", tr("marked"), tr("other"), tr("marked"), tr("other"))]
        predicted = tr(", ").join(tr("{model} predicts {y:.3f}", model=MODELS[m].title, y=y)
                              for m, y in self.predictions.items())
        lines = [tr("the models of seed {seed}; a sequence with marked steps {first} and {second}: target {target:.3f}; "
                    "{predicted}", seed=self.seed, first=self.marked[0], second=self.marked[1], target=self.target,
                    predicted=predicted),
                 ""]
        marked = np.zeros(len(self.values), bool)
        marked[np.array(self.marked) - 1] = True
        rows = [(f"{MODELS[model].title} {g}",
                 *(f"{x:.3f}" for units in (data[:top], data) for x in (units[:, marked].mean(),
                                                                         units[:, ~marked].mean())))
                for model, gates in self.gates.items() for g, data in gates.items()]
        lines.append(fixed_columns([("<", 22), (">", 12), (">", 12), (">", 12), (">", 12)], header, rows))
        return "\n".join(lines)

    __str__ = __repr__ = table


def gate_traces(ba: BeforeAfter, sequence: int = 0) -> GateTraces:
    """``GateTraces`` of the trained gated models of ``ba`` on held-out sequence ``sequence``."""
    if not isinstance(ba, BeforeAfter):
        raise ValueError(f"ba: expected a BeforeAfter from gradient_flow_before_after, got {type(ba).__name__}")
    B = ba.X.shape[1]
    if isinstance(sequence, bool) or not (isinstance(sequence, (int, np.integer)) and 0 <= sequence < B):
        raise ValueError(f"sequence: expected an index in [0, {B}), got {sequence!r}")
    x = ba.X[:, sequence:sequence + 1].astype(np.float64)
    marked = tuple(int(t) + 1 for t in np.flatnonzero(x[:, 0, 1] == 1))
    gates, order, preds = {}, {}, {}
    for name in _gated(ba.results):
        m = ba.results[name].model
        p = m.cell.astype(np.float64)
        _, cache = model_of(p).forward(x, p)
        order[name] = np.argsort(-hold(m, ba.X), kind="stable")
        gates[name] = {g: np.array(getattr(cache, g))[:, 0, :].T[order[name]] for g in sigmoid_gates(name)}
        preds[name] = float(network.predict(x.astype(m.dtype), m)[0, 0])
    target = float(x[np.array(marked) - 1, 0, 0].sum())
    return GateTraces(gates, order, marked, x[:, 0, 0], target, preds, next(iter(ba.results.values())).spec.seed)

