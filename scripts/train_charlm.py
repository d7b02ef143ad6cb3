"""Train the character models that chapter 07 ships: one file per model in
lstmlib/course/data/charlm/<name>.npz (``lstmlib.saving``: the weights in float32, with the spec,
the vocabulary, the training curves and what the run cost as metadata).

Every model of ``lstmlib.course.ch07.MODEL_SPECS``: the 2-layer LSTM with dropout that the chapter
opens up (``lstm2``); an RNN, an LSTM and a GRU of one layer at matched parameter counts, each at
the learning rate ``scripts/sweep_charlm.py comparison`` chose for it; and that LSTM trained with
truncation length 8 (``lstm_T8``). Each is trained by ``ch07.run_record`` (``train.fit``: truncated
BPTT with carried states, Adam with a linearly decayed learning rate, gradient-norm clipping) and
measured on the whole training and validation text.

The sweeps train runs with exactly these specs (seed 0), and keep their weights in
``artifacts/charlm_runs/``. ``--adopt`` takes a model from there when a run had exactly its spec
(everything but the name) instead of training it again: the same spec on the same machine gives the
same weights bit for bit (``tests/test_course_ch07.py`` checks it on tiny settings), so adopting saves
the time and changes nothing. The shipped files were made that way; the file's metadata names the
run.

A run is a pure function of its spec's seed: the initial weights and the dropout masks come from
it, and the data order is fixed. Another matrix-product kernel (another processor, another
OpenBLAS build, or ``OPENBLAS_CORETYPE``) rounds float32 sums differently, and over thousands of
steps the weights drift apart; the quality does not (the comparison's spread over seeds is far
larger than that drift).

Usage (a quiet 2-core machine: the models train on 2 worker processes, about 35 minutes)::

    nice -n 10 env OPENBLAS_NUM_THREADS=1 python scripts/train_charlm.py          # every model
    python scripts/train_charlm.py --adopt                 # take identical sweep runs where there are
    python scripts/train_charlm.py --only lstm,gru         # some of them
    python scripts/train_charlm.py --tiny --out /tmp/t     # seconds: tiny models, a few steps
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from lstmlib import saving  # noqa: E402
from lstmlib.course import ch07  # noqa: E402

RUNS_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "charlm_runs"


def tiny_spec(spec: ch07.ModelSpec) -> ch07.ModelSpec:
    """The same model kind and depth, small and short: for the test that the loss falls."""
    return dataclasses.replace(spec, hidden=16, embedding=8, chunk=min(spec.chunk, 16), batch=min(spec.batch, 8),
                               steps=60, eval_every=30, lr=1e-2, final_lr=1e-2)


def adoptable(spec: ch07.ModelSpec, corpus: ch07.Corpus, runs_dir: Path = RUNS_DIR):
    """A ``ShippedModel`` of ``spec`` made from a sweep run with the same spec but for its name:
    its record in the sweeps' results and its weights in ``runs_dir`` (None if there is none)."""
    for stage in ("comparison", "diagnosis", "flagship"):
        path = ch07.MODELS_DIR / f"{stage}.json"
        records = ch07.load_sweep(stage) if path.exists() else []
        for record in records:
            run = ch07.ModelSpec.from_json(record["spec"])
            weights = runs_dir / f"{run.name}.npz"
            if dataclasses.replace(run, name=spec.name) == spec and weights.exists():
                model, _ = saving.load(weights)
                shipped = ch07.shipped_from_record(spec, model, record, corpus)
                return dataclasses.replace(shipped, meta=dict(shipped.meta, adopted_from=f"{stage}: {run.name}"))
    return None


_CORPUS = None


def _train(spec_json: dict):
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = ch07.load_corpus()
    spec = ch07.ModelSpec.from_json(spec_json)
    model, record = ch07.run_record(spec, _CORPUS)
    if record.get("diverged_at") is not None:
        raise RuntimeError(f"{spec.name}: diverged at step {record['diverged_at']}")
    return ch07.shipped_from_record(spec, model, record, _CORPUS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ch07.MODELS_DIR), help="the directory to write <name>.npz into")
    ap.add_argument("--tiny", action="store_true", help="tiny models, 60 steps each: a few seconds")
    ap.add_argument("--only", default="", help="comma-separated names of MODEL_SPECS (default: all)")
    ap.add_argument("--adopt", action="store_true", help="take identical runs from artifacts/charlm_runs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(ch07.MODEL_SPECS)
    unknown = sorted(set(names) - set(ch07.MODEL_SPECS))
    if unknown:
        ap.error(f"--only: expected names among {sorted(ch07.MODEL_SPECS)}, got {unknown}")
    specs = {n: ch07.MODEL_SPECS[n] for n in names}
    if args.tiny:
        specs = {n: tiny_spec(s) for n, s in specs.items()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    done, todo = {}, []
    corpus = ch07.load_corpus()
    for n, s in specs.items():
        run = adoptable(s, corpus) if args.adopt and not args.tiny else None
        if run is None:
            todo.append(s)
            continue
        done[n] = run
        say(f"{n}: adopted the sweep run {run.meta['adopted_from']} (the same spec)")
    if todo:
        if args.workers > 1 and len(todo) > 1:
            with get_context("spawn").Pool(min(args.workers, len(todo))) as pool:
                trained = pool.map(_train, [s.to_json() for s in todo], chunksize=1)
        else:
            trained = [_train(s.to_json()) for s in todo]
        for s, shipped in zip(todo, trained):
            done[s.name] = shipped
            say(f"{s.name}: trained, {shipped.meta['cpu_seconds']:.0f} s CPU")
    for n in specs:
        ch07.save_model(out / f"{n}.npz", done[n])
    size = sum((out / f"{n}.npz").stat().st_size for n in specs)
    models = "1 model" if len(specs) == 1 else f"{len(specs)} models"
    say(f"wrote {models} to {out} ({size / 2**20:.2f} MiB) in {time.perf_counter() - t0:.0f} s")
    for n in specs:
        s = done[n]
        say(f"  {n:<8} {s.spec.title:<32} {s.meta['parameters']:>9,} parameters  validation "
            f"{s.valid_bpc:.4f} bits/char")
    return 0


if __name__ == "__main__":
    sys.exit(main())
