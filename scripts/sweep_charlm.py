"""The sweeps behind chapter 07's verdicts: RNN, LSTM and GRU compared with a learning rate tuned for
each, several seeds, at matched parameter counts and at matched hidden size; then the experiments
that look for the reasons behind the result.

Each run trains one ``lstmlib.course.ch07.ModelSpec`` with ``ch07.run_record`` (``train.fit`` on the
corpus's training files, truncated BPTT, Adam with a linearly decayed learning rate, clipping at 5)
and keeps what the chapter needs: the validation curve, bits per character on the whole training
and validation text (per file, for intervals over files), how well closing brackets and quotes
were predicted by distance, and the run's CPU and wall seconds. Results go to one JSON file per
stage in ``lstmlib/course/data/charlm/``, written after every run (a stopped sweep resumes where it
stopped: runs already in the file are not repeated).

Stages::

    comparison   5 configurations (RNN 250, LSTM 128, GRU 148: about 98,000 parameters each;
                 RNN 128 and GRU 128: the LSTM's hidden size) x 3 learning rates x seeds 0-2
                 (a fourth rate where the best was at an end of the grid), then seeds 3-4 at each
                 configuration's best learning rate (5 seeds there)
    flagship     the 2-layer LSTM, one change at a time: the previous recipe, twice its learning
                 rate, dropout on the non-recurrent connections, 2 x 256 units (one seed each, 6000
                 steps), with the quality of their samples
    diagnosis    the previous recipe again (all three at learning rate 2e-3, 3 seeds); at the
                 chosen rates: the LSTM with forget-gate bias 0 instead of 1, with initial weights
                 half and twice as large, twice the budget (LSTM and GRU), and truncation length 8
                 (3 to 5 seeds each)

How to run it (a quiet 2-core machine; each stage under an hour)::

    nice -n 10 env OPENBLAS_NUM_THREADS=1 python scripts/sweep_charlm.py comparison
    nice -n 10 env OPENBLAS_NUM_THREADS=1 python scripts/sweep_charlm.py diagnosis
    python scripts/sweep_charlm.py comparison --tiny --out /tmp/tiny.json   # seconds: the machinery

Every run is a pure function of its spec (seeded initial weights and dropout masks, a fixed data
order) and of the matrix-product kernel: on one machine a rerun gives the same numbers bit for bit;
another kernel changes the last digits (the test re-runs the first steps of one recorded run).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # each worker on one BLAS thread

from lstmlib.course import ch07

COMPARED = {"lstm128": ("lstm", 128), "gru148": ("gru", 148), "gru128": ("gru", 128), "rnn250": ("rnn", 250),
            "rnn128": ("rnn", 128)}
"""The configurations compared: three at about 98,000 parameters, two more at the LSTM's hidden size."""

LEARNING_RATES = {"lstm": (5e-3, 1e-2, 2e-2), "gru": (2.5e-3, 5e-3, 1e-2), "rnn": (2.5e-3, 5e-3, 1e-2)}
"""Adam's initial learning rate (decayed linearly to a tenth of it over the run), three per model,
a factor of 2 apart around the best of a pilot (seed 0, 1500 steps, rates 2e-3, 5e-3, 1e-2 and
2e-2: the LSTM preferred 1e-2, the GRU 5e-3; the RNN's grid is the GRU's)."""

STEPS = 4000
FIRST_SEEDS, MORE_SEEDS = (0, 1, 2), (3, 4)


def spec_for(config: str, lr: float, seed: int, *, steps: int = STEPS, **changes) -> ch07.ModelSpec:
    """The ``ModelSpec`` of one run: ``config`` of ``COMPARED`` at learning rate ``lr``, B = 32
    streams of T = 64 steps, the layer options of ``ch07.GATED``; ``changes``: other fields."""
    kind, hidden = COMPARED[config]
    name = f"{config}_lr{lr:g}_s{seed}"
    spec = ch07.ModelSpec(name, kind, 1, hidden, chunk=64, batch=32, steps=steps, options=ch07.GATED[kind], lr=lr,
                          final_lr=lr / 10, seed=seed, eval_every=steps // 10)
    return dataclasses.replace(spec, **changes)


def tiny(spec: ch07.ModelSpec) -> ch07.ModelSpec:
    """The same run, small and short: for checking the machinery in seconds."""
    return dataclasses.replace(spec, hidden=12, embedding=8, batch=4, chunk=min(spec.chunk, 16),
                               steps=40, eval_every=20)


_CORPUS = None


RUNS_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "charlm_runs"
"""Where the weights of the runs with seed 0 are kept (git-ignored): ``train_charlm.py --adopt``
takes a shipped model from here when a run had exactly its spec, instead of training it again."""


def _run(job: tuple) -> dict:
    """One run in a worker process (the corpus is read once per worker); with ``quality``, the
    record also holds ``ch07.sample_quality`` of the trained model. The weights of a run with seed
    0 are saved in ``RUNS_DIR``."""
    global _CORPUS
    spec_json, quality, runs_dir = job
    if _CORPUS is None:
        _CORPUS = ch07.load_corpus()
    spec = ch07.ModelSpec.from_json(spec_json)
    model, record = ch07.run_record(spec, _CORPUS)
    if record.get("diverged_at") is None:
        if quality:
            record["quality"] = dataclasses.asdict(ch07.sample_quality(model, _CORPUS))
        if spec.seed == 0 and runs_dir:
            Path(runs_dir).mkdir(parents=True, exist_ok=True)
            ch07.save_model(Path(runs_dir) / f"{spec.name}.npz", ch07.shipped_from_record(spec, model, record, _CORPUS))
    return record


def run_all(specs: list, out: Path, *, workers: int, log, quality: bool = False, runs_dir=RUNS_DIR) -> list:
    """Run every spec not yet in ``out`` (by name) on ``workers`` processes, appending each record
    to ``out`` as it finishes. Returns all records of the file."""
    records = json.loads(out.read_text())["runs"] if out.exists() else []
    done = {r["spec"]["name"] for r in records}
    todo = [s for s in specs if s.name not in done]
    log(f"{len(specs)} runs, {len(specs) - len(todo)} already in {out.name}, {len(todo)} to go")
    if not todo:
        return records
    with get_context("spawn").Pool(workers) as pool:
        jobs = [(s.to_json(), quality, str(runs_dir) if runs_dir else "") for s in todo]
        for record in pool.imap_unordered(_run, jobs):
            records.append(record)
            _write(out, records)
            log(f"{record['spec']['name']:<32} valid {record.get('valid_bpc', float('nan')):.4f} bits/char, "
                f"{record['cpu_seconds']:.0f} s CPU, {record['wall_seconds']:.0f} s wall")
    return records


def _write(out: Path, records: list) -> None:
    order = sorted(records, key=lambda r: r["spec"]["name"])
    payload = {"about": "chapter 07 sweep results, written by scripts/sweep_charlm.py", "runs": order}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":")))
    tmp.replace(out)


def comparison_specs(records: list | None, *, steps: int = STEPS) -> list:
    """Stage 1: every configuration x learning rate x ``FIRST_SEEDS``; with stage 1's ``records``:
    for a configuration whose best rate is at an end of its grid, the next rate beyond that end
    (``FIRST_SEEDS``), so that the chosen rate has a worse one on each side."""
    specs = [spec_for(c, lr, s, steps=steps) for s in FIRST_SEEDS for c, (kind, _) in COMPARED.items()
             for lr in LEARNING_RATES[kind]]
    if records is None:
        return specs
    best = ch07.best_learning_rates(records)
    for c in COMPARED:
        lrs = ch07.learning_rates_of(records, c)
        if best[c] == lrs[0]:
            specs += [spec_for(c, lrs[0] / 2, s, steps=steps) for s in FIRST_SEEDS]
        elif best[c] == lrs[-1]:
            specs += [spec_for(c, lrs[-1] * 2, s, steps=steps) for s in FIRST_SEEDS]
    return specs


def more_seeds(records: list, *, steps: int = STEPS) -> list:
    """Stage 2: ``MORE_SEEDS`` at each configuration's best learning rate."""
    best = ch07.best_learning_rates(records)
    return [spec_for(c, best[c], s, steps=steps) for c in COMPARED for s in MORE_SEEDS]


OLD_RATE = 2e-3
"""The learning rate the previous edition of the chapter used for all three models."""


def diagnosis_specs(comparison: list, *, steps: int = STEPS) -> list:
    """The experiments behind the ranking: the previous recipe (all three models at ``OLD_RATE``,
    seeds 0-2); at the LSTM's chosen rate, the LSTM with forget-gate bias 0 instead of 1 and with
    initial weights half and twice as large, and twice the budget for the LSTM and the GRU (seeds
    0-2); and the LSTM with truncation length 8 (8 times the streams, seeds 0-4)."""
    best = ch07.best_learning_rates(comparison)
    lstm, gru = best["lstm128"], best["gru148"]
    specs = [spec_for(c, OLD_RATE, s, steps=steps) for s in FIRST_SEEDS for c in ("rnn250", "lstm128", "gru148")]
    for s in FIRST_SEEDS:
        specs.append(spec_for("lstm128", lstm, s, steps=steps, options=(("forget_bias", 0.0),),
                              name=f"lstm128_lr{lstm:g}_s{s}_fb0"))
        for scale in (0.5, 2.0):
            specs.append(spec_for("lstm128", lstm, s, steps=steps, init_scale=scale,
                                  name=f"lstm128_lr{lstm:g}_s{s}_init{scale:g}"))
        specs.append(spec_for("lstm128", lstm, s, steps=2 * steps, name=f"lstm128_lr{lstm:g}_s{s}_long"))
        specs.append(spec_for("gru148", gru, s, steps=2 * steps, name=f"gru148_lr{gru:g}_s{s}_long"))
    for s in FIRST_SEEDS + MORE_SEEDS:
        specs.append(spec_for("lstm128", lstm, s, steps=steps, chunk=8, batch=256, name=f"lstm128_lr{lstm:g}_s{s}_T8"))
    return specs


def flagship_specs() -> list:
    """The 2-layer LSTMs, 6000 steps each, one change at a time: the previous recipe (2 x 192,
    learning rate 2e-3, no dropout); the learning rate doubled; then dropout 0.25 on the
    non-recurrent connections (Zaremba et al. 2014); then 2 x 256 units. One seed each: the
    comparison's spread over seeds is the yardstick."""
    def two_layers(hidden, lr, dropout):
        return ch07.ModelSpec(f"lstm2x{hidden}_lr{lr:g}_d{dropout:g}", "lstm", 2, hidden, chunk=64, batch=32,
                              steps=6000, options=ch07.GATED["lstm"], lr=lr, final_lr=lr / 10, dropout=dropout,
                              eval_every=600)
    return [two_layers(192, 2e-3, 0.0), two_layers(192, 4e-3, 0.0), two_layers(192, 4e-3, 0.25),
            two_layers(256, 4e-3, 0.25)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", choices=("comparison", "diagnosis", "flagship"))
    ap.add_argument("--out", default=None, help="the JSON to write (default: data/charlm/<stage>.json)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tiny", action="store_true", help="tiny models, 40 steps each: the machinery in seconds")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else ch07.MODELS_DIR / f"{args.stage}.json"
    t0 = time.perf_counter()

    def log(msg):
        if not args.quiet:
            print(f"[{time.perf_counter() - t0:7.0f} s] {msg}", flush=True)

    shrink = tiny if args.tiny else (lambda s: s)
    kw = dict(workers=args.workers, log=log, runs_dir=None if args.tiny else RUNS_DIR)
    if args.stage == "comparison":
        records = run_all([shrink(s) for s in comparison_specs(None)], out, **kw)
        while True:  # widen a grid whose best rate is at its end, until none is
            specs = comparison_specs(records)
            if all(s.name in {r["spec"]["name"] for r in records} for s in specs):
                break
            records = run_all([shrink(s) for s in specs], out, **kw)
        records = run_all([shrink(s) for s in specs + more_seeds(records)], out, **kw)
    elif args.stage == "flagship":
        records = run_all([shrink(s) for s in flagship_specs()], out, quality=True, **kw)
    else:
        comparison = json.loads((out.parent / "comparison.json").read_text())["runs"]
        records = run_all([shrink(s) for s in diagnosis_specs(comparison)], out, **kw)
    cpu = sum(r["cpu_seconds"] for r in records)
    log(f"done: {len(records)} runs in {out.name}; {cpu / 60:.1f} CPU minutes in the runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
