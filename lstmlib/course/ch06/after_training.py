"""Chapter 06: what training did to the models: the gradient's reach before and after and along
the way, the gates' hold per unit, and the gates of trained models over one sequence."""
from __future__ import annotations

import dataclasses

import numpy as np
from threadpoolctl import threadpool_limits

from ... import _validate, tasks, train
from ...models import model_of
from ..ch05 import model_gradient_flow
from ..i18n import tr
from .experiments import _task_specs, _yes
from .runs import TASK_TARGETS, RunCache, held_out_set, initial_model, run


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
