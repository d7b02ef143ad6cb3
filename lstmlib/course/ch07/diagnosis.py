"""Chapter 07: the experiments behind the comparison (``scripts/sweep_charlm.py diagnosis``): the
previous recipe again with several seeds, the LSTM's forget-gate bias and initial scale, twice the
budget, and truncation length 8 against 64 for closing brackets and quotes; and what the sweeps cost."""
from __future__ import annotations

import numpy as np

from ..i18n import tr
from .closers import closer_table
from .comparison import (
    _plain,
    _valid,
    best_learning_rates,
    best_runs,
    config_name,
    config_title,
    difference_interval,
    runs_by,
)
from .corpus import Corpus


def _named(records: list, suffix: str, config: str) -> list:
    """The runs of ``config`` whose names end with ``suffix`` (``"_fb0"``, ``"_long"``...), by seed."""
    out = [r for r in records if config_name(r) == config and r["spec"]["name"].endswith(suffix)]
    return sorted(out, key=lambda r: r["spec"]["seed"])


def diagnosis_rows(diagnosis: list, comparison: list) -> list:
    """``(label, runs, baseline runs or None)`` for every row of ``diagnosis_table``."""
    best = best_learning_rates(comparison)
    rows = []
    for lr in sorted({r["spec"]["lr"] for r in diagnosis if _plain(r)}):  # the previous recipe
        base = runs_by(diagnosis, "lstm128", lr)
        for c in ("rnn250", "lstm128", "gru148"):
            runs = runs_by(diagnosis, c, lr)
            if runs:
                rows.append((tr("{model}, lr {lr:g} (the previous recipe)", model=config_title(c), lr=lr), runs,
                             None if c == "lstm128" else base))
    for c in ("lstm128", "gru148"):
        base = [r for r in runs_by(comparison, c, best[c]) if r["spec"]["seed"] < 3]
        rows.append((tr("{model}, lr {lr:g} (chosen), 4000 steps", model=config_title(c), lr=best[c]), base, None))
        for suffix, what in (("_fb0", tr("forget-gate bias 0 instead of 1")),
                             ("_init0.5", tr("initial weights half as large")),
                             ("_init2", tr("initial weights twice as large")),
                             ("_long", tr("8000 steps instead of 4000"))):
            runs = _named(diagnosis, suffix, c)
            if runs:
                rows.append(("  " + what, runs, base))
    return rows


def diagnosis_table(diagnosis: list, comparison: list) -> str:
    """Each experiment: its seeds, validation and training bits per character (mean [min, max]), and
    its difference from the row it varies (for the previous recipe: from the LSTM at that rate), with
    a 90% interval over seeds and validation files."""
    head = (f"{tr('setting'):<44} {tr('seeds'):>5} {tr('valid bits/char'):>22} {tr('train'):>6} "
            f"{tr('difference'):>10} {tr('90% interval'):>18}")
    rows = [head, "-" * len(head)]
    for label, runs, base in diagnosis_rows(diagnosis, comparison):
        v = np.array([_valid(r) for r in runs])
        t = np.mean([r["train_bpc"] for r in runs])
        d = ci = ""
        if base is not None:
            diff, lo, hi = difference_interval(runs, base)
            d, ci = f"{diff:+.3f}", f"[{lo:+.3f}, {hi:+.3f}]"
        rows.append(f"{label:<44} {len(runs):>5} {f'{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]':>22} {t:>6.3f} "
                    f"{d:>10} {ci:>18}")
    rows.append(tr("difference: from the LSTM of the same recipe, or from the chosen run the row varies"))
    return "\n".join(rows)


def truncation_groups(comparison: list, diagnosis: list) -> dict:
    """``{"T=64": ..., "T=8": ...}``: the recorded closer counts of the LSTM at its chosen rate
    with truncation length 64 (the comparison's seeds) and 8 (the diagnosis' seeds)."""
    lstm = best_runs(comparison)["lstm128"]
    short = _named(diagnosis, "_T8", "lstm128")
    return {"T=64": [r["measured"]["closers"] for r in lstm], "T=8": [r["measured"]["closers"] for r in short]}


def truncation_closers(comparison: list, diagnosis: list, corpus: Corpus):
    """``closer_table`` of ``truncation_groups``."""
    return closer_table(truncation_groups(comparison, diagnosis), corpus)


def truncation_scores(comparison: list, diagnosis: list) -> str:
    """The overall validation bits per character of the two truncation lengths, over their seeds."""
    parts = []
    for name, runs in (("T=64", best_runs(comparison)["lstm128"]), ("T=8", _named(diagnosis, "_T8", "lstm128"))):
        v = np.array([_valid(r) for r in runs])
        parts.append(f"{name} {v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]")
    return tr("validation bits per character, mean [min, max] over 5 seeds: {parts}", parts="; ".join(parts))


def sweep_cost_table(sweeps: dict) -> str:
    """Per sweep stage: how many runs, their CPU minutes in all, and what that is on two worker
    processes of a quiet 2-core machine (half of it)."""
    head = f"{tr('sweep'):<12} {tr('runs'):>5} {tr('CPU minutes'):>12} {tr('on 2 cores (minutes)'):>21}"
    rows = [head, "-" * len(head)]
    for name, records in sweeps.items():
        cpu = sum(r["cpu_seconds"] for r in records) / 60
        rows.append(f"{name:<12} {len(records):>5} {cpu:>12.0f} {cpu / 2:>21.0f}")
    return "\n".join(rows)
