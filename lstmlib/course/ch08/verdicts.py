"""Chapter 08's verdicts: each configuration against the vanilla LSTM on each task, from the
shipped sweep, and the papers' claims checked one by one.

A comparison is paired by seed (the same seed draws the same training batches on the synthetic
tasks): for every seed, ``log10`` of the configuration's final score over V's, each at its own best
learning rate (the lowest median over the seeds). Its mean has a 95% t-interval over the seeds;
"worse" when the whole interval is above 0, "better" when below, else "no clear difference".
A diverged run scores infinity and makes its configuration worse on that seed.

On the two synthetic tasks a run either learns the task or stays near the constant baseline, and the
grid's learning rates decide much of which; there the first question is how many of a configuration's
15 runs (3 learning rates x 5 seeds) learned it (chapter 06's targets: held-out MSE below 0.01;
accuracy at least 0.99), against V's count, by Fisher's exact test (two-sided, p < 0.05). When the
counts do not differ clearly, the paired comparison at the best learning rates decides.
"""
from __future__ import annotations

import math
import textwrap
from functools import reduce

import dataclasses

import numpy as np

from ..i18n import N_, tr
from ..tables import pad
from ..tables import width as width_of
from .sweep import CONFIGS, TASK_SETTINGS, SweepResults

__all__ = ["T_975", "Comparison", "compare", "comparison_table", "Claim", "claims", "claims_table",
           "lr_table", "best_scores", "learned", "fisher_exact", "verdict"]

T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
"""Student's t quantile 0.975 by degrees of freedom (a table: the course does not need scipy)."""

WORSE, BETTER, SAME = N_("worse"), N_("better"), N_("no clear difference")

TASK_NAMES = {"adding": N_("adding"), "order": N_("order"), "text": N_("text")}
"""The tasks' short names in the claims (translated where they are shown)."""


TARGETS = {"adding": 0.01, "order": 0.99}
"""A run has learned the adding problem when its final held-out MSE is below 0.01, temporal order when
its final held-out accuracy is at least 0.99 (chapter 06's targets)."""


def learned(results: SweepResults, task: str, config: str) -> tuple[int, int]:
    """``(k, n)``: how many of the configuration's runs on ``task`` (every learning rate and seed)
    reached the task's target."""
    runs = results.select(task, config)
    if task == "adding":
        k = sum(r.final < TARGETS[task] for r in runs)
    else:
        k = sum(r.accuracy is not None and r.accuracy >= TARGETS[task] and r.diverged_at is None for r in runs)
    return int(k), len(runs)


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for ``k1`` of ``n1`` against ``k2`` of ``n2``: the
    probability, with the margins fixed, of a table no more likely than the one observed."""
    total, hits = n1 + n2, k1 + k2

    def prob(a):
        return math.comb(n1, a) * math.comb(n2, hits - a) / math.comb(total, hits)
    observed = prob(k1)
    lo, hi = max(0, hits - n2), min(n1, hits)
    return float(min(1.0, sum(prob(a) for a in range(lo, hi + 1) if prob(a) <= observed * (1 + 1e-9))))


def verdict(results: SweepResults, task: str, config: str, baseline: str = "V") -> str:
    """``config`` against ``baseline`` on ``task``: by the learned counts where they differ clearly
    (synthetic tasks), else by the paired comparison (module docstring)."""
    if task in TARGETS:
        (k, n), (kb, nb) = learned(results, task, config), learned(results, task, baseline)
        if fisher_exact(k, n, kb, nb) < 0.05:
            return BETTER if k > kb else WORSE
    return compare(results, task, config, baseline).verdict


def best_scores(results: SweepResults, task: str, config: str) -> tuple[float, np.ndarray]:
    """``(best learning rate, final scores by seed at it)``."""
    lr = results.best_lr(task, config)
    return lr, results.scores(task, config, lr)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One configuration against V on one task: ``log_ratios`` by seed, their ``mean`` and 95%
    interval ``(low, high)``, how many seeds were worse than V, and the verdict."""

    task: str
    config: str
    lr: float
    median: float
    log_ratios: np.ndarray
    mean: float
    low: float
    high: float
    seeds_worse: int
    diverged: int

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return WORSE
        if self.high < 0:
            return BETTER
        return SAME

    @property
    def factor(self) -> float:
        """The mean ratio of scores, ``10 ** mean`` (inf when a run diverged)."""
        return float(10 ** self.mean)


def compare(results: SweepResults, task: str, config: str, baseline: str = "V") -> Comparison:
    """``config`` against ``baseline`` on ``task`` (module docstring)."""
    _, base = best_scores(results, task, baseline)
    lr, mine = best_scores(results, task, config)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log10(mine) - np.log10(base)
    n = len(r)
    if not np.all(np.isfinite(r)):
        mean = low = high = float("inf")
    else:
        mean = float(r.mean())
        half = T_975[n - 1] * float(r.std(ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
        low, high = mean - half, mean + half
    all_runs = results.select(task, config)
    return Comparison(task, config, lr, float(np.median(mine)), r, mean, low, high, int(np.sum(r > 0)),
                      sum(x.diverged_at is not None for x in all_runs))


def comparison_table(results: SweepResults, task: str) -> str:
    """Every configuration against V on ``task``: best lr, median final score, mean ratio to V with
    its 95% interval, seeds worse than V, verdict."""
    s = TASK_SETTINGS[task]
    synthetic = task in TARGETS
    heads = [tr("config")] + ([tr("learned"), "p"] if synthetic else []) + [
        tr("best lr"), tr("median"), tr("x V (mean)"), tr("95% interval"), tr("seeds worse")]
    least = [9] + ([9, 8] if synthetic else []) + [8, 10, 12, 18, 13]
    kb, nb = learned(results, task, "V") if synthetic else (0, 0)
    n = len(results.scores(task, "V", s.lrs[0]))
    rows = []
    for c in CONFIGS:
        if c.label == "V":
            lr, sc = best_scores(results, task, "V")
            counts = [f"{kb}/{nb}", ""] if synthetic else []
            rows.append(["V"] + counts + [f"{lr:g}", f"{np.median(sc):.4g}", "1", "", "", tr("(reference)")])
            continue
        k = compare(results, task, c.label)
        ival = tr("diverged") if not np.isfinite(k.mean) else f"[{10 ** k.low:.2f}, {10 ** k.high:.2f}]"
        factor = "inf" if not np.isfinite(k.mean) else f"{k.factor:.2f}"
        counts = []
        if synthetic:
            kc, nc = learned(results, task, c.label)
            counts = [f"{kc}/{nc}", f"{fisher_exact(kc, nc, kb, nb):.2g}"]
        rows.append([c.label] + counts + [f"{k.lr:g}", f"{k.median:.4g}", factor, ival,
                                          tr("{k} of {n}", k=k.seeds_worse, n=n), tr(verdict(results, task, c.label))])
    widths = [max(least[0], width_of(heads[0]) + 1, *(width_of(r[0]) + 1 for r in rows))]
    widths += [max(w, width_of(h) + 1, *(width_of(r[j]) + 1 for r in rows))
               for j, (h, w) in enumerate(zip(heads[1:], least[1:]), 1)]

    def line(cells):
        return (pad(cells[0], widths[0]) + "".join(pad(t, w, ">") for t, w in zip(cells[1:], widths[1:]))
                + "  " + cells[-1])
    body = [line(r) for r in rows]
    head = line(heads + [tr("verdict")])
    return "\n".join([tr(s.title), head, "-" * max(width_of(t) for t in [head] + body)] + body)


def lr_table(results: SweepResults, task: str) -> str:
    """Median final score (over the seeds) of every configuration at every learning rate, and how
    much the learning rate moves it (largest median over smallest)."""
    lrs = TASK_SETTINGS[task].lrs
    head = pad(tr("config"), 9) + "".join(f"{'lr ' + format(lr, 'g'):>12}" for lr in lrs) + pad(tr("max/min"), 10, ">")
    lines = [tr(TASK_SETTINGS[task].title), head, "-" * width_of(head)]
    for c in CONFIGS:
        med = [float(np.median(results.scores(task, c.label, lr))) for lr in lrs]
        lines.append(f"{c.label:<9}" + "".join(f"{m:>12.4g}" for m in med) + f"{max(med) / min(med):>10.2f}")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A paper's claim, what the sweep measured, and whether it holds on these tasks."""

    source: str
    claim: str
    measured: str
    holds: str


def _verdicts(results, config) -> dict:
    return {t: verdict(results, t, config) for t in TASK_SETTINGS}


def _where(verdicts_: dict, which: str) -> list:
    return [t for t, v in verdicts_.items() if v == which]


def _tasks(tasks) -> str:
    """Tasks' short names as a list in the current language."""
    return tr(", ").join(tr(TASK_NAMES[t]) for t in tasks)


def _say(verdicts_: dict) -> str:
    """``adding better, order no clear difference, ...``: a verdict per task."""
    return reduce(lambda a, b: tr("{a}, {b}", a=a, b=b),
                  [tr("{task} {verdict}", task=tr(TASK_NAMES[t]), verdict=tr(v)) for t, v in verdicts_.items()])


def claims(results: SweepResults) -> list:
    """Greff et al.'s and Jozefowicz et al.'s claims, point by point, from each configuration's
    verdict on each task (``verdict``)."""
    labels = [c.label for c in CONFIGS if c.label not in ("V", "V b_f=0")]
    every = {c: _verdicts(results, c) for c in labels}
    worse = {c: _where(every[c], WORSE) for c in labels}
    better = [tr("{config} ({tasks})", config=c, tasks=_tasks(_where(every[c], BETTER)))
              for c in labels if _where(every[c], BETTER)]
    hurt = tr(", ").join(tr("{config} ({tasks})", config=c, tasks=_tasks(w)) for c, w in worse.items() if w) or tr("none")
    greff, jozefowicz = tr("Greff et al. 2017"), tr("Jozefowicz et al. 2015")
    out = [Claim(greff, tr("no variant clearly improves on the vanilla LSTM"),
                 tr("clearly better than V somewhere: {which}", which=tr(", ").join(better) or tr("none")),
                 tr("holds") if not better else tr("does not hold here"))]
    most = max(len(w) for w in worse.values())
    key = {c for c in ("NFG", "NOAF") if worse[c]}
    others = max(len(worse[c]) for c in labels if c not in ("NFG", "NOAF"))
    out.append(Claim(greff, tr("the forget gate and the output activation matter most"),
                     tr("clearly worse than V: {hurt}", hurt=hurt),
                     tr("holds") if len(key) == 2 and others < most else tr("partly") if key else
                     tr("does not hold here")))
    for c in ("CIFG", "NP"):
        out.append(Claim(greff, tr("{c} costs little", c=c), _say(every[c]),
                         tr("holds") if not worse[c] else tr("does not hold here")))
    out.append(Claim(greff, tr("full gate recurrence (FGR) does not help"),
                     tr("not measured: FGR's state is (h, c, f, i, o), outside the library's (h, c)"),
                     tr("not tested")))
    gates = {c: len(worse[c]) for c in ("NIG", "NFG", "NOG")}
    out.append(Claim(jozefowicz, tr("removing the forget gate hurts most"),
                     tr("tasks on which removing a gate is clearly worse: {n}",
                        n=tr(", ").join(f"{c} {k}" for c, k in gates.items())),
                     tr("holds") if gates["NFG"] > max(gates["NIG"], gates["NOG"]) else
                     tr("partly") if gates["NFG"] and gates["NFG"] == max(gates.values()) else tr("does not hold here")))
    out.append(Claim(jozefowicz, tr("the output gate matters least (of the three gates)"),
                     tr("NOG: {detail}", detail=_say(every["NOG"])),
                     tr("holds") if gates["NOG"] <= min(gates["NIG"], gates["NFG"]) else tr("does not hold here")))
    bf0 = _verdicts(results, "V b_f=0")
    k0, n0 = learned(results, "order", "V b_f=0")
    k1, n1 = learned(results, "order", "V")
    out.append(Claim(jozefowicz, tr("a forget-gate bias of 1 matters (b_f = 0 is worse)"),
                     tr("V with b_f = 0 against b_f = 1: {detail}; temporal order learned in {k0} of {n0} runs "
                        "against {k1} of {n1}", detail=_say(bf0), k0=k0, n0=n0, k1=k1, n1=n1),
                     tr("holds") if len(_where(bf0, WORSE)) == 3 else tr("partly") if _where(bf0, WORSE)
                     else tr("does not hold here")))
    return out


def claims_table(results: SweepResults, width: int = 46) -> str:
    """``claims`` as a table: source, claim, measured (wrapped to ``width`` columns on screen),
    verdict."""
    columns = width
    head = pad(tr("paper"), 24) + pad(tr("claim"), columns + 2) + pad(tr("measured"), columns + 2) + tr("verdict")
    lines = []
    for c in claims(results):
        a, b = wrap(c.claim, columns), wrap(c.measured, columns)
        for k in range(max(len(a), len(b))):
            lines.append(pad(c.source if k == 0 else "", 24) + pad(a[k] if k < len(a) else "", columns + 2)
                         + pad(b[k] if k < len(b) else "", columns + 2) + (c.holds if k == 0 else ""))
    return "\n".join([head, "-" * max(width_of(t) for t in [head] + lines)] + lines)


_NO_BREAK_BEFORE = set("，。、；：？！）》”’,.;:?!)")
"""Characters a line must not start with (Chinese and Western closing punctuation)."""


def wrap(text: str, columns: int) -> list[str]:
    """``text`` in lines of at most ``columns`` display columns. Text of single-width characters
    only is wrapped as ``textwrap.wrap`` does; text with wide (CJK) characters may break between
    any two of them, never before closing punctuation, and keeps Latin words whole."""
    if width_of(text) == len(text):
        return textwrap.wrap(text, columns)
    tokens = []  # a CJK character, or a run of non-space narrow characters, or one space
    for ch in text:
        if ch == " " or width_of(ch) > 1 or not tokens or tokens[-1] == " " or width_of(tokens[-1][-1]) > 1:
            tokens.append(ch)
        else:
            tokens[-1] += ch
    lines, line = [], ""
    for k, tok in enumerate(tokens):
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
        keep = tok + nxt if nxt and nxt[0] in _NO_BREAK_BEFORE else tok
        if line and width_of((line + keep).rstrip()) > columns:
            lines.append(line.rstrip())
            line = "" if tok == " " else tok
        else:
            line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines
