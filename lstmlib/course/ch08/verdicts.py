"""Chapter 08's verdicts: each configuration against the vanilla LSTM on each task, from the
shipped sweep, and the papers' claims checked one by one.

A comparison is paired by seed (the same seed draws the same training batches on the synthetic
tasks): for every seed, ``log10`` of the configuration's final score over V's, each at its own best
learning rate (the lowest median over the seeds). Its mean has a 95% t-interval over the seeds;
"worse" when the whole interval is above 0, "better" when below, else "no clear difference".
A diverged run scores infinity and makes its configuration worse on that seed.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..i18n import tr
from .sweep import CONFIGS, TASK_SETTINGS, SweepResults

__all__ = ["T_975", "Comparison", "compare", "comparison_table", "Claim", "claims", "claims_table",
           "lr_table", "best_scores"]

T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
"""Student's t quantile 0.975 by degrees of freedom (a table: the course does not need scipy)."""

WORSE, BETTER, SAME = "worse", "better", "no clear difference"


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
    head = (f"{tr('config'):<9}{tr('best lr'):>8}{tr('median'):>10}{tr('x V (mean)'):>12}"
            f"{tr('95% interval'):>18}{tr('seeds worse'):>13}  {tr('verdict')}")
    lines = [tr(s.title), head, "-" * (len(head) + 12)]
    n = len(results.scores(task, "V", s.lrs[0]))
    for c in CONFIGS:
        if c.label == "V":
            lr, sc = best_scores(results, task, "V")
            lines.append(f"{'V':<9}{lr:>8g}{np.median(sc):>10.4g}{'1':>12}{'':>18}{'':>13}  {tr('(reference)')}")
            continue
        k = compare(results, task, c.label)
        ival = "diverged" if not np.isfinite(k.mean) else f"[{10 ** k.low:.2f}, {10 ** k.high:.2f}]"
        factor = "inf" if not np.isfinite(k.mean) else f"{k.factor:.2f}"
        lines.append(f"{c.label:<9}{k.lr:>8g}{k.median:>10.4g}{factor:>12}{ival:>18}"
                     f"{f'{k.seeds_worse} of {n}':>13}  {tr(k.verdict)}")
    return "\n".join(lines)


def lr_table(results: SweepResults, task: str) -> str:
    """Median final score (over the seeds) of every configuration at every learning rate, and how
    much the learning rate moves it (largest median over smallest)."""
    lrs = TASK_SETTINGS[task].lrs
    head = f"{tr('config'):<9}" + "".join(f"{'lr ' + format(lr, 'g'):>12}" for lr in lrs) + f"{tr('max/min'):>10}"
    lines = [tr(TASK_SETTINGS[task].title), head, "-" * len(head)]
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


def _verdicts(results, config):
    return {t: compare(results, t, config) for t in TASK_SETTINGS}


def _list(comps) -> str:
    return ", ".join(f"{t} {tr(k.verdict)} (x{k.factor:.2f})" if np.isfinite(k.mean) else f"{t} diverged"
                     for t, k in comps.items())


def _mean_over_tasks(results, config) -> float:
    """The mean over the tasks of the mean log10 ratio to V (the size of a configuration's effect)."""
    return float(np.mean([compare(results, t, config).mean for t in TASK_SETTINGS]))


def claims(results: SweepResults) -> list:
    """Greff et al.'s and Jozefowicz et al.'s claims, point by point."""
    labels = [c.label for c in CONFIGS if c.label not in ("V", "V b_f=0")]
    every = {c: _verdicts(results, c) for c in labels}
    better = [f"{c} on {t}" for c in labels for t, k in every[c].items() if k.verdict == BETTER]
    effect = {c: _mean_over_tasks(results, c) for c in labels}
    ranked = sorted(labels, key=lambda c: -effect[c])
    top2 = ranked[:2]
    out = []
    out.append(Claim("Greff et al. 2017", tr("no variant clearly improves on the vanilla LSTM"),
                     tr("clearly better than V: {which}", which=", ".join(better) or tr("none")),
                     tr("holds") if not better else tr("partly")))
    out.append(Claim("Greff et al. 2017", tr("the forget gate and the output activation matter most"),
                     tr("largest mean effects (log10 ratio to V over the 3 tasks): {rank}",
                        rank=", ".join(f"{c} {effect[c]:+.2f}" for c in ranked[:4])),
                     tr("holds") if set(top2) == {"NFG", "NOAF"} else
                     (tr("partly") if {"NFG", "NOAF"} & set(top2) else tr("does not hold here"))))
    for c in ("CIFG", "NP"):
        worse = [t for t, k in every[c].items() if k.verdict == WORSE]
        out.append(Claim("Greff et al. 2017", tr("{c} costs little", c=c), _list(every[c]),
                         tr("holds") if not worse else tr("partly") if len(worse) < 3 else tr("does not hold here")))
    out.append(Claim("Greff et al. 2017", tr("full gate recurrence (FGR) does not help"),
                     tr("not measured: FGR's state is (h, c, f, i, o), outside the library's (h, c)"),
                     tr("not tested")))
    nfg_rank = ranked.index("NFG") + 1
    out.append(Claim("Jozefowicz et al. 2015", tr("removing the forget gate hurts most"),
                     tr("NFG ranks {k} of {n} by mean effect; {detail}", k=nfg_rank, n=len(ranked),
                        detail=_list(every["NFG"])),
                     tr("holds") if nfg_rank == 1 else tr("partly") if nfg_rank <= 3 else tr("does not hold here")))
    removals = sorted(("NIG", "NFG", "NOG"), key=lambda c: effect[c])
    out.append(Claim("Jozefowicz et al. 2015", tr("the output gate matters least (of the three gates)"),
                     tr("mean effects: {rank}", rank=", ".join(f"{c} {effect[c]:+.2f}" for c in removals)),
                     tr("holds") if removals[0] == "NOG" else tr("does not hold here")))
    bf0 = _verdicts(results, "V b_f=0")
    worse = [t for t, k in bf0.items() if k.verdict == WORSE]
    out.append(Claim("Jozefowicz et al. 2015", tr("a forget-gate bias of 1 matters (b_f = 0 is worse)"),
                     tr("V with b_f = 0 against V with b_f = 1: {detail}", detail=_list(bf0)),
                     tr("holds") if len(worse) == 3 else tr("partly") if worse else tr("does not hold here")))
    return out


def claims_table(results: SweepResults, width: int = 46) -> str:
    """``claims`` as a table: source, claim, measured (wrapped), verdict."""
    import textwrap
    head = f"{tr('paper'):<24}{tr('claim'):<{width + 2}}{tr('measured'):<{width + 2}}{tr('verdict')}"
    lines = [head, "-" * (len(head) + 12)]
    for c in claims(results):
        a, b = textwrap.wrap(c.claim, width), textwrap.wrap(c.measured, width)
        for k in range(max(len(a), len(b))):
            lines.append(f"{(c.source if k == 0 else ''):<24}{(a[k] if k < len(a) else ''):<{width + 2}}"
                         f"{(b[k] if k < len(b) else ''):<{width + 2}}{(c.holds if k == 0 else '')}")
    return "\n".join(lines)
