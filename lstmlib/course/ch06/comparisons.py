"""Chapter 06: the models compared on the sweeps' seeds. On each task, every model at matched
parameter counts (``model_comparison``: how often each met the target, how soon, where it ended),
with the claims of Hochreiter & Schmidhuber (1997), Chung et al. (2014) and Jozefowicz et al.
(2015) about them; then the GRU against the LSTM with ``b_f = 1`` seed by seed, at three learning
rates (``gru_vs_lstm``)."""
from __future__ import annotations

import numpy as np

from ..i18n import N_, tr
from ..tables import Span, fixed_columns
from .findings import Comparison, Finding, outcome
from .runs import TASK_TARGETS
from .stats import Median, more_often_p, p_text, race

_LSTM, _ZERO, _THREE, _GRU, _RNN = "LSTM b_f=1", "LSTM b_f=0", "LSTM b_f=3", "GRU", "RNN"  # the groups claims name
TASK_NAMES = {"adding": N_("the adding problem"), "temporal-order": N_("temporal order")}


def steps_to_target(records) -> np.ndarray:
    """Each record's first step at the target, ``inf`` for a run that never met it."""
    return np.array([np.inf if r.solved_at is None else r.solved_at for r in records], dtype=np.float64)


def _solved(records) -> int:
    return sum(r.solved for r in records)


def _count(records) -> str:
    return tr("{k} of {n}", k=_solved(records), n=len(records))


def _seeds_text(records) -> str:
    seeds = sorted({r.spec.seed for r in records})
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def _final(records, classify: bool) -> str:
    """The final held-out accuracy (classification) or MSE: median [min, max] over the seeds."""
    v = np.array([(r.final_accuracy if classify else r.final_loss) for r in records], dtype=np.float64)
    fmt = "{:.2f}" if classify else "{:.4g}"
    if not np.all(np.isfinite(v)):
        return tr("{k} overflowed", k=int(np.sum(~np.isfinite(v))))
    return tr("{value} [{low}, {high}]", value=fmt.format(np.median(v)), low=fmt.format(v.min()),
              high=fmt.format(v.max()))


def _more_often(a, b) -> tuple[float, float]:
    """Fisher's one-sided p for "group a meets the target more often than group b", and against."""
    ka, kb = _solved(a), _solved(b)
    return more_often_p(ka, len(a), kb, len(b)), more_often_p(kb, len(b), ka, len(a))


def _better(a, b):
    """How setting ``a`` compares with ``b`` on the same seeds: Fisher's p for "more often" (and
    against), the ``Race``, and the smaller one-sided p of the two tests for ``a`` (and for ``b``):
    more often, or sooner on more seeds (half the two-sided sign test)."""
    more, less = _more_often(a, b)
    rc = race(steps_to_target(a), steps_to_target(b))
    sooner = rc.p / 2 if rc.a > rc.b else 1.0
    later = rc.p / 2 if rc.b > rc.a else 1.0
    return more, less, rc, min(more, sooner), min(less, later)


def _table(groups: dict, task: str, budget: int) -> str:
    classify = next(iter(groups.values()))[0].eval_accuracy is not None
    final = tr("final held-out accuracy") if classify else tr("final held-out MSE")
    target = tr("accuracy >= {x:g}", x=TASK_TARGETS[task]) if classify else tr("MSE < {x:g}", x=TASK_TARGETS[task])
    never = tr("never (> {budget})", budget=budget)
    rows = [(g, rs[0].spec.hidden_size, rs[0].num_parameters, _count(rs),
             Median.of(steps_to_target(rs)).text(never=never), _final(rs, classify))
            for g, rs in groups.items()]
    header = [(tr("model"), "H", tr("params"), tr("met the target"), tr("steps to the target"), final),
              ("", "", "", tr("({target})", target=target), tr("median [95% interval]"),
               tr("median [min, max]"))]
    return fixed_columns([("<", 12), (">", 4), (">", 8), "   ", ("<", 20), ("<", 24), ("<", 0)], header, rows)


def model_comparison(sweeps, task: str) -> Comparison:
    """Every model of the sweeps on ``task`` (``"adding"`` or ``"temporal-order"``) at the sweeps'
    learning rate, from the same seeds: one table, and the findings on the papers' claims.

    Claims tested: Hochreiter & Schmidhuber (1997), an LSTM learns the task and a plain RNN does
    not; Chung et al. (2014), gated units beat the tanh RNN at about the same number of
    parameters; Jozefowicz, Zaremba & Sutskever (2015), a forget-gate bias of 1 instead of 0 helps
    the LSTM learn long-range dependencies; chapter 05's reading of the gradient at
    initialisation, that b_f = 3 should help further.
    """
    s = sweeps.settings
    groups = sweeps.groups(task=task, lr=s.lr)
    missing = [g for g in (_RNN, _ZERO, _LSTM, _THREE, _GRU) if g not in groups]
    if missing:
        raise ValueError(f"task: expected sweeps of {', '.join(missing)} on {task!r}, found {list(groups)}")
    n = len(groups[_LSTM])
    rnn, lstm, zero, gru = groups[_RNN], groups[_LSTM], groups[_ZERO], groups[_GRU]
    name = tr(TASK_NAMES[task])
    lstm_rnn, rnn_lstm = _more_often(lstm, rnn)
    gru_rnn, rnn_gru = _more_often(gru, rnn)
    one_zero, zero_one, bias_race, bias_for, bias_against = _better(lstm, zero)
    three_one, one_three, three_race, three_for, three_against = _better(groups[_THREE], lstm)
    findings = (
        Finding(tr("Hochreiter & Schmidhuber 1997"),
                tr("an LSTM learns {task} (T = {T}); a plain RNN does not.", task=name, T=s.T),
                tr("the LSTM (b_f = 1) met the target on {lstm} seeds, the RNN on {rnn} (Fisher's test: {p}).",
                   lstm=_count(lstm), rnn=_count(rnn), p=p_text(lstm_rnn)),
                outcome(lstm_rnn, rnn_lstm), n),
        Finding(tr("Chung et al. 2014"),
                tr("gated units (LSTM, GRU) beat the tanh RNN at about the same number of parameters."),
                tr("met the target: LSTM {lstm}, GRU {gru}, RNN {rnn} (LSTM vs RNN {p1}; GRU vs RNN {p2}).",
                   lstm=_count(lstm), gru=_count(gru), rnn=_count(rnn), p1=p_text(lstm_rnn), p2=p_text(gru_rnn)),
                outcome(max(lstm_rnn, gru_rnn), min(rnn_lstm, rnn_gru)), n),
        Finding(tr("Jozefowicz, Zaremba & Sutskever 2015"),
                tr("a forget-gate bias of 1 instead of 0 helps the LSTM learn long-range dependencies."),
                tr("met the target: b_f = 1 on {one}, b_f = 0 on {zero} ({p}); seed by seed, b_f = 1 first on "
                   "{a}, b_f = 0 first on {b}, tied on {ties} (sign test: {q}).", one=_count(lstm), zero=_count(zero),
                   p=p_text(one_zero), a=bias_race.a, b=bias_race.b, ties=bias_race.ties, q=p_text(bias_race.p)),
                outcome(bias_for, bias_against), n),
        Finding(tr("Chapter 05"),
                tr("b_f = 3 keeps far more of the gradient at initialisation than b_f = 1, so it should help further."),
                tr("met the target: b_f = 3 on {three}, b_f = 1 on {one} ({p}); seed by seed, b_f = 3 first on "
                   "{a}, b_f = 1 first on {b}, tied on {ties} (sign test: {q}).", three=_count(groups[_THREE]),
                   one=_count(lstm), p=p_text(three_one), a=three_race.a, b=three_race.b, ties=three_race.ties,
                   q=p_text(three_race.p)),
                outcome(three_for, three_against), n),
    )
    title = tr("{task}, T = {T}: every model from seeds {seeds}, matched parameters, Adam lr {lr:g}, at most "
               "{steps} steps", task=name[0].upper() + name[1:], T=s.T, seeds=_seeds_text(lstm), lr=s.lr,
               steps=s.budget(task))
    return Comparison(title, _table(groups, task, s.budget(task)), findings)


def gru_vs_lstm(sweeps) -> Comparison:
    """The GRU against the LSTM with ``b_f = 1`` on both tasks and at every learning rate of the
    sweeps, seed by seed: which met the target first (a run that never did loses to one that did;
    both never, or at the same evaluation, is a tie), with the sign test's p-value.

    Claims tested: Chung et al. (2014), the GRU and the LSTM are comparable (which is better
    depends on the task); Jozefowicz et al. (2015), with ``b_f = 1`` the LSTM closes the gap to the
    GRU (on no task is the GRU distinguishably faster).
    """
    s = sweeps.settings
    lrs = sorted({s.lr, *s.other_lrs})
    header = [(tr("task"), "lr", Span(tr("met the target"), 2), Span(tr("median steps"), 2),
               Span(tr("first to the target"), 3), tr("sign test")),
              ("", "", "LSTM", "GRU", "LSTM", "GRU", "LSTM", "GRU", tr("tied"), "")]
    rows, winners, worse, n_main = [], {}, [], 0
    for task in ("adding", "temporal-order"):
        for lr in lrs:
            lstm = sweeps.select(task=task, lr=lr, kind="lstm", forget_bias=1.0)
            gru = sweeps.select(task=task, lr=lr, kind="gru")
            if not lstm or [r.spec.seed for r in lstm] != [r.spec.seed for r in gru]:
                raise ValueError(f"sweeps: expected the LSTM and the GRU from the same seeds on {task} at lr {lr:g}")
            rc = race(steps_to_target(lstm), steps_to_target(gru))
            never = tr("never")
            medians = [Median.of(steps_to_target(x)).text(never=never).split(" [")[0] for x in (lstm, gru)]
            rows.append((tr(TASK_NAMES[task]), f"{lr:g}", _count(lstm), _count(gru), *medians, rc.a, rc.b,
                         rc.ties, p_text(rc.p)))
            if lr == s.lr:
                n_main = rc.n
                faster = None if rc.p >= 0.05 else ("LSTM" if rc.a > rc.b else "GRU")
                winners[task] = (faster, rc)
                if faster == "GRU":
                    worse.append(tr(TASK_NAMES[task]))
    said = tr("; ").join(
        tr("{task}: LSTM first on {a}, GRU on {b}, tied on {t} ({p})", task=tr(TASK_NAMES[task]), a=rc.a, b=rc.b, t=rc.ties,
           p=p_text(rc.p)) for task, (_, rc) in winners.items())
    faster = {w for w, _ in winners.values()}
    same_everywhere = len(faster) == 1 and None not in faster
    chung = Finding(tr("Chung et al. 2014"),
                    tr("the GRU and the LSTM are comparable: which is better depends on the task."),
                    tr("at lr {lr:g}, seed by seed: {said}.", lr=s.lr, said=said),
                    "contrary" if same_everywhere else ("consistent" if len(faster - {None}) == 2
                                                        else "indistinguishable"), n_main)
    jozefowicz = Finding(tr("Jozefowicz, Zaremba & Sutskever 2015"),
                         tr("with the forget-gate bias at 1, the LSTM closes the gap to the GRU."),
                         tr("the GRU was distinguishably faster on: {tasks}.", tasks=tr(", ").join(worse))
                         if worse else tr("on no task was the GRU distinguishably faster."),
                         "contrary" if worse else "consistent", n_main)
    title = tr("GRU vs LSTM (b_f = 1), matched parameters, the same seeds, at learning rates {lrs}",
               lrs=", ".join(f"{x:g}" for x in lrs))
    layout = [("<", 20), (">", 6), "   ", ("<", 11), ("<", 11), ("<", 10), ("<", 10), ("<", 7), ("<", 7),
              ("<", 8), ("<", 0)]
    table = fixed_columns(layout, header, rows)
    return Comparison(title, table, (chung, jozefowicz))
