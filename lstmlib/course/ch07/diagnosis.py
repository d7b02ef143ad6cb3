"""Chapter 07: the experiments behind the comparison (``scripts/sweep_charlm.py diagnosis``): the
previous recipe again with several seeds, the LSTM's forget-gate bias and initial scale, twice the
budget, and truncation length 8 against 64 for closing brackets and quotes; and what the sweeps cost."""
from __future__ import annotations

import numpy as np

from ..i18n import N_, tr
from ..tables import fixed_columns
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
    header = [(tr("setting"), tr("seeds"), tr("valid bits/char"), tr("train"), tr("difference"),
               tr("90% interval"))]
    rows = []
    for label, runs, base in diagnosis_rows(diagnosis, comparison):
        v = np.array([_valid(r) for r in runs])
        t = np.mean([r["train_bpc"] for r in runs])
        d = ci = ""
        if base is not None:
            diff, lo, hi = difference_interval(runs, base)
            d, ci = f"{diff:+.3f}", f"[{lo:+.3f}, {hi:+.3f}]"
        rows.append((label, len(runs), f"{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]", f"{t:.3f}", d, ci))
    layout = [("<", 44), " ", (">", 5), " ", (">", 22), " ", (">", 6), " ", (">", 10), " ", (">", 18)]
    note = tr("difference: from the LSTM of the same recipe, or from the chosen run the row varies")
    return fixed_columns(layout, header, rows) + "\n" + note


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
    parts, seeds = [], []
    for name, runs in (("T=64", best_runs(comparison)["lstm128"]), ("T=8", _named(diagnosis, "_T8", "lstm128"))):
        if not runs:
            raise ValueError(f"diagnosis: expected runs of lstm128 with truncation length 8 (names ending "
                             f"_T8) for {name}, got none")
        v = np.array([_valid(r) for r in runs])
        parts.append(f"{name} {v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]")
        seeds.append(len(runs))
    n = seeds[0] if seeds[0] == seeds[1] else tr("{a} and {b}", a=seeds[0], b=seeds[1])
    return tr("validation bits per character, mean [min, max] over {n} seeds: {first}; {second}", n=n,
              first=parts[0], second=parts[1])


SWEEP_TITLES = {"comparison": N_("comparison"), "diagnosis": N_("diagnosis"), "flagship": N_("flagship")}
"""The sweep stages of ``scripts/sweep_charlm.py`` as tables name them (``ch07.load_sweep``'s stages)."""


def sweep_cost_table(sweeps: dict) -> str:
    """Per sweep stage (``sweeps``: stage -> its records): how many runs, their CPU minutes in all, and
    what that is on two worker processes of a quiet 2-core machine (half of it)."""
    header = [(tr("sweep"), tr("runs"), tr("CPU minutes"), tr("on 2 cores (minutes)"))]
    rows = []
    for name, records in sweeps.items():
        cpu = sum(r["cpu_seconds"] for r in records) / 60
        rows.append((tr(SWEEP_TITLES[name]) if name in SWEEP_TITLES else name, len(records), f"{cpu:.0f}",
                     f"{cpu / 2:.0f}"))
    return fixed_columns([("<", 12), " ", (">", 5), " ", (">", 12), " ", (">", 21)], header, rows)
