"""Chapter 07: reading the sweeps (``scripts/sweep_charlm.py``): the learning rate each model
prefers, the comparison at that rate with its spread over seeds and files, whether the curves had
flattened, and the experiments that look for the reasons."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ... import _validate
from ...models import get_model
from ..i18n import N_, tr
from ..tables import fixed_columns
from .corpus import MODELS_DIR


def load_sweep(stage: str, directory=None) -> list:
    """The records of a sweep stage (``"comparison"`` or ``"diagnosis"``), from
    ``data/charlm/<stage>.json`` (or ``directory``)."""
    if stage not in ("comparison", "diagnosis", "flagship"):
        raise ValueError(f"stage: expected 'comparison', 'diagnosis' or 'flagship', got {stage!r}")
    path = (MODELS_DIR if directory is None else Path(directory)) / f"{stage}.json"
    if not path.exists():
        raise ValueError(f"stage: expected the results file {path.name} written by scripts/sweep_charlm.py, "
                         f"got a missing file")
    return json.loads(path.read_text())["runs"]


def config_name(record: dict) -> str:
    """``"lstm128"``: the configuration of a run (its name up to ``_lr``: the kind and hidden size)."""
    return record["spec"]["name"].split("_lr")[0]


def config_title(config: str) -> str:
    """``"LSTM 128"`` for ``"lstm128"``."""
    kind = config.rstrip("0123456789")
    return f"{get_model(kind, 'config').title} {config[len(kind):]}"


def _plain(record: dict) -> bool:
    """A run of the comparison grid itself (its name is ``<config>_lr<lr>_s<seed>``)."""
    s = record["spec"]
    return s["name"] == f"{config_name(record)}_lr{s['lr']:g}_s{s['seed']}"


def _valid(record: dict) -> float:
    """Final validation bits per character; ``inf`` for a run that diverged."""
    return np.inf if record.get("diverged_at") is not None else float(record["valid_bpc"])


def runs_by(records: list, config: str, lr: float | None = None) -> list:
    """The plain grid runs of ``config`` (at learning rate ``lr`` when given), by seed."""
    out = [r for r in records if _plain(r) and config_name(r) == config
           and (lr is None or np.isclose(r["spec"]["lr"], lr))]
    return sorted(out, key=lambda r: r["spec"]["seed"])


MATCHED_PARAMETERS = ("rnn250", "lstm128", "gru148")
"""The configurations at about 98,000 parameters each (``matched_hidden_size``)."""
MATCHED_HIDDEN = ("rnn128", "lstm128", "gru128")
"""The configurations with the LSTM's hidden size."""


def configs(records: list) -> list:
    """The configurations of a sweep: those at matched parameter counts, then the others (matched
    hidden size), then any more in the order of their first run."""
    seen = []
    for r in records:
        c = config_name(r)
        if c not in seen:
            seen.append(c)
    order = list(dict.fromkeys(MATCHED_PARAMETERS + MATCHED_HIDDEN))
    return sorted(seen, key=lambda c: order.index(c) if c in order else len(order) + seen.index(c))


def learning_rates(records: list) -> list:
    """Every learning rate of the grid, sorted."""
    return sorted({float(r["spec"]["lr"]) for r in records if _plain(r)})


def learning_rates_of(records: list, config: str) -> list:
    """The learning rates ``config`` was run at, sorted."""
    return sorted({float(r["spec"]["lr"]) for r in records if _plain(r) and config_name(r) == config})


def best_learning_rates(records: list, seeds=(0, 1, 2)) -> dict:
    """config -> the learning rate whose runs with ``seeds`` end at the lowest mean validation bits
    per character (a diverged run counts as infinitely bad)."""
    best = {}
    for c in configs(records):
        scores = {}
        for lr in learning_rates_of(records, c):
            v = [_valid(r) for r in runs_by(records, c, lr) if r["spec"]["seed"] in seeds]
            if v:
                scores[lr] = float(np.mean(v))
        best[c] = min(scores, key=scores.get)
    return best


def lr_table(records: list) -> str:
    """Per configuration and learning rate: the mean validation bits per character of seeds 0-2
    and their range; the chosen rate marked with ``*``."""
    lrs = learning_rates(records)
    best = best_learning_rates(records)
    header = [(tr("model"), tr("parameters"), *(tr("lr {lr:g}", lr=lr) for lr in lrs))]
    title = tr("validation bits per character after training: mean of seeds 0-2 [min, max]; * the learning "
               "rate chosen")
    rows = []
    for c in configs(records):
        cells = []
        for lr in lrs:
            v = np.array([_valid(r) for r in runs_by(records, c, lr) if r["spec"]["seed"] < 3])
            mark = "*" if lr == best[c] else " "
            if not v.size:
                cells.append("-" + mark)
            elif np.isfinite(v).all():
                cells.append(f"{v.mean():.3f} [{v.min():.2f}, {v.max():.2f}]{mark}")
            else:
                cells.append(tr("{n} of {m} diverged", n=int(np.sum(~np.isfinite(v))), m=v.size) + mark)
        rows.append((config_title(c), f"{_parameters(runs_by(records, c)[0]):,}", *cells))
    layout = [("<", 9), " ", (">", 10)] + [" ", (">", 20)] * len(lrs)
    return title + "\n" + fixed_columns(layout, header, rows)


def _parameters(record: dict) -> int:
    from .models import ModelSpec, parameter_count
    s = ModelSpec.from_json(record["spec"])
    return parameter_count(s.kind, s.hidden, layers=s.layers, embedding=s.embedding, **dict(s.options))


def best_runs(records: list) -> dict:
    """config -> its runs at its chosen learning rate (every seed)."""
    best = best_learning_rates(records)
    return {c: runs_by(records, c, best[c]) for c in configs(records)}


def _files(runs: list, part: str) -> tuple[np.ndarray, np.ndarray]:
    """``(bits (seeds, F), count (F,))`` of ``runs`` on the files of ``part``."""
    bits = np.array([r["measured"][part]["bits"] for r in runs], float)
    return bits, np.asarray(runs[0]["measured"][part]["count"], float)


def difference_interval(a: list, b: list, part: str = "valid", *, rng=0, draws: int = 4000,
                        level: float = 0.9) -> tuple[float, float, float]:
    """Bits per character of runs ``a`` minus runs ``b`` (each averaged over its seeds) on
    ``part``, and a ``level`` percentile bootstrap interval that draws again, with replacement,
    the seeds of each side and the files (the same files for both): ``(difference, low, high)``."""
    ba, n = _files(a, part)
    bb, _ = _files(b, part)
    gen = np.random.default_rng(rng)
    diff = ba.mean(0).sum() / n.sum() - bb.mean(0).sum() / n.sum()
    stats = np.empty(draws)
    for k in range(draws):
        f = gen.integers(0, n.size, n.size)
        sa = gen.integers(0, len(a), len(a))
        sb = gen.integers(0, len(b), len(b))
        stats[k] = (ba[sa][:, f].mean(0).sum() - bb[sb][:, f].mean(0).sum()) / n[f].sum()
    q = (1 - level) / 2
    return float(diff), float(np.quantile(stats, q)), float(np.quantile(stats, 1 - q))


def comparison_table(records: list, *, reference: str = "lstm128") -> str:
    """At each configuration's chosen learning rate: seeds, validation and training bits per
    character (mean [min, max] over seeds), and the difference from ``reference`` with its 90%
    interval over seeds and files."""
    runs = best_runs(records)
    header = [(tr("model"), tr("lr"), tr("seeds"), tr("valid bits/char"), tr("train bits/char"),
               tr("valid minus {model}", model=config_title(reference)), tr("90% interval"))]
    rows = []
    for c, rs in runs.items():
        v = np.array([_valid(r) for r in rs])
        t = np.array([r["train_bpc"] for r in rs])
        if c == reference:
            d = "-"
            ci = ""
        else:
            diff, lo, hi = difference_interval(rs, runs[reference])
            d, ci = f"{diff:+.3f}", f"[{lo:+.3f}, {hi:+.3f}]"
        rows.append((config_title(c), f"{rs[0]['spec']['lr']:g}", len(rs),
                     f"{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]",
                     f"{t.mean():.3f} [{t.min():.3f}, {t.max():.3f}]", d, ci))
    layout = [("<", 9), " ", (">", 7), " ", (">", 5), " ", (">", 22), " ", (">", 22), " ", (">", 20), " ",
              (">", 18)]
    note = tr("intervals: 90% bootstrap, drawing again the seeds of each model and the {f} validation files",
              f=len(next(iter(runs.values()))[0]["measured"]["valid"]["files"]))
    return fixed_columns(layout, header, rows) + "\n" + note


def per_file_table(records: list, a: str, b: str, part: str = "valid") -> str:
    """Per file of ``part``: bits per character of configurations ``a`` and ``b`` at their chosen
    rates (mean over their seeds) and the difference; and on how many files ``a`` is ahead."""
    runs = best_runs(records)
    ba, n = _files(runs[a], part)
    bb, _ = _files(runs[b], part)
    va, vb = ba.mean(0) / n, bb.mean(0) / n
    names = runs[a][0]["measured"][part]["files"]
    ta, tb = config_title(a), config_title(b)
    header = [(tr("file"), tr("characters"), ta, tb, tr("difference"))]
    rows = [(name, f"{int(n[k]):,}", f"{va[k]:.3f}", f"{vb[k]:.3f}", f"{va[k] - vb[k]:+.3f}")
            for k, name in enumerate(names)]
    layout = [("<", 12), " ", (">", 10), " ", (">", 10), " ", (">", 10), " ", (">", 10)]
    note = tr("{a} ahead on {k} of {n} files", a=ta, k=int(np.sum(va < vb)), n=len(names))
    return fixed_columns(layout, header, rows) + "\n" + note


def flattening(record: dict, share: float = 0.2) -> float:
    """How much a run's validation bits per character fell over its last ``share`` of steps."""
    steps, bpc = np.asarray(record["eval_step"]), np.asarray(record["eval_bpc"])
    k = int(np.argmin(np.abs(steps - (1 - share) * steps[-1])))
    return float(bpc[k] - bpc[-1])


def flattening_summary(records: list, share: float = 0.2) -> str:
    """Per configuration at its chosen rate: the largest fall of validation bits per character over
    the last ``share`` of the steps, over its seeds."""
    share = _validate.real(share, "share")
    parts = []
    for c, rs in best_runs(records).items():
        parts.append(f"{config_title(c)} {max(flattening(r, share) for r in rs):.3f}")
    return tr("largest fall over the last {pct:.0f}% of the steps (bits per character): {parts}",
              pct=100 * share, parts=", ".join(parts))


def ranking_counts(records: list, a: str, b: str) -> tuple[int, int]:
    """In how many of the seed pairs (every seed of ``a`` against every seed of ``b``, at their
    chosen rates) ``a`` ends with fewer validation bits per character: ``(wins, pairs)``."""
    runs = best_runs(records)
    va = [_valid(r) for r in runs[a]]
    vb = [_valid(r) for r in runs[b]]
    wins = sum(x < y for x in va for y in vb)
    return wins, len(va) * len(vb)


def ranking_summary(records: list, pairs=(("gru148", "lstm128"), ("lstm128", "rnn250"), ("gru128", "lstm128"),
                                           ("lstm128", "rnn128"))) -> str:
    """One line per pair ``(a, b)``: in how many seed pairs and on how many validation files (seeds
    averaged) ``a`` ends lower than ``b``, at their chosen rates."""
    runs = best_runs(records)
    rows = []
    for a, b in pairs:
        wins, n = ranking_counts(records, a, b)
        fa, count = _files(runs[a], "valid")
        fb, _ = _files(runs[b], "valid")
        files = int(np.sum(fa.mean(0) / count < fb.mean(0) / count))
        rows.append(tr("{a} below {b}: in {w} of {n} pairs of seeds, on {f} of {F} validation files",
                       a=config_title(a), b=config_title(b), w=wins, n=n, f=files, F=count.size))
    return "\n".join(rows)


def compute_seconds(records: list) -> tuple[float, float]:
    """``(CPU seconds, wall seconds)`` summed over the runs of a sweep."""
    return (float(sum(r["cpu_seconds"] for r in records)), float(sum(r["wall_seconds"] for r in records)))


FLAGSHIP_LABEL = N_("{shape}, lr {lr:g}, {dropout}")
NO_DROPOUT, DROPOUT = N_("no dropout"), N_("dropout {p:g}")


def flagship_label(record: dict, *, translated: bool = False) -> str:
    """How a run of the flagship sweep is named: ``"2x256, lr 0.004, dropout 0.25"``; in English
    (figures stay English), or in the course's language with ``translated=True`` (tables)."""
    say = tr if translated else str.format
    s = record["spec"]
    drop = say(DROPOUT, p=s["dropout"]) if s["dropout"] else say(NO_DROPOUT)
    return say(FLAGSHIP_LABEL, shape=f"{s['layers']}x{s['hidden']}", lr=s["lr"], dropout=drop)


def flagship_table(records: list) -> str:
    """Per run of the flagship sweep: the model, parameters, bits per character on the whole
    training text and on the validation text, their gap, and the share of sampled lines that
    ``tokenize`` accepts (with the validation files' own share as the yardstick)."""
    header = [(tr("run"), tr("parameters"), tr("train"), tr("valid"), tr("gap"), tr("lines accepted"))]
    title = tr("bits per character after training, without dropout; lines accepted: of the lines sampled at "
               "temperature 1 after 24 primers, the share tokenize accepts")
    rows = []
    for r in records:
        q = r["quality"]
        rows.append((flagship_label(r, translated=True), f"{_parameters(r):,}", f"{r['train_bpc']:.3f}",
                     f"{r['valid_bpc']:.3f}", f"{r['valid_bpc'] - r['train_bpc']:.3f}",
                     tr("{share:.1%} of {n}", share=q["accepted"] / q["lines"], n=q["lines"])))
    layout = [("<", 32), " ", (">", 10), " ", (">", 7), " ", (">", 7), " ", (">", 6), " ", (">", 16)]
    note = tr("the validation files' own lines: {ref:.1%} accepted", ref=records[0]["quality"]["reference"])
    return title + "\n" + fixed_columns(layout, header, rows) + "\n" + note
