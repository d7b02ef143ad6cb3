"""Train the character models that chapter 07 ships (lstmlib/course/data/charlm_models.npz).

Every model of ``lstmlib.course.ch07.MODEL_SPECS``: a 2-layer LSTM, an RNN, an LSTM and a GRU of one
layer at matched parameter counts, and the same LSTM with truncation length 8. Each is trained with
``lstmlib.charlm.train`` (truncated BPTT with carried states, Adam, gradient-norm clipping) on the
corpus's training files and scored on its validation files every ``eval_every`` steps; the weights
(float32), the validation curve, the training curve and the run's settings, wall time and final
validation bits per character are written to one compressed ``.npz``.

A run is a pure function of the specs' seeds: the initial weights come from ``spec.seed``, and the
data order is fixed (no shuffling). On one machine with the same BLAS threads a rerun gives the same
numbers bit for bit (the shipped file was trained twice, with identical weights). Another
matrix-product kernel (another processor, another OpenBLAS build, or ``OPENBLAS_CORETYPE``) rounds
float32 sums differently; over thousands of steps those differences grow into different weights,
but not into a different model quality: retrained with ``OPENBLAS_CORETYPE=Haswell``, the ``lstm``
spec ended at 2.2840 bits per character against 2.2771 (within 0.02, the tolerance we promise).

Time: 17 minutes (1026 s) for all five models on a 2-core x86-64 machine (AMD EPYC, numpy 2.4 with
OpenBLAS), every model on one BLAS thread (faster than two at these sizes), the 2-layer LSTM 639 s
of it; measured with ``/usr/bin/time`` while other jobs shared the machine (95% of a core).

Usage::

    python scripts/train_charlm.py                       # all models (about 17 minutes on 2 cores)
    python scripts/train_charlm.py --only lstm,gru       # some of them (keeps the others in --out)
    python scripts/train_charlm.py --tiny --out /tmp/t.npz   # seconds: tiny models, a few steps
    python scripts/train_charlm.py --time-steps 20       # ms per training step of each spec, no training
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from lstmlib import charlm
from lstmlib.course import ch07


def tiny_spec(spec: ch07.ModelSpec) -> ch07.ModelSpec:
    """The same model kind and depth, small and short: for the test that the loss falls."""
    return dataclasses.replace(spec, hidden=16, embedding=8, chunk=min(spec.chunk, 16),
                               batch=min(spec.batch, 8), steps=60, eval_every=30, lr=1e-2, final_lr=1e-2)


def time_steps(spec: ch07.ModelSpec, corpus: ch07.Corpus, steps: int) -> float:
    """Median ms of one training step of ``spec`` (after 3 untimed ones), no evaluation."""
    model = spec.init(len(corpus.vocab))
    hist = charlm.train(model, corpus.train_ids, steps=steps + 3, batch_size=spec.batch, chunk=spec.chunk,
                        lr=spec.lr, clip=spec.clip, threads=spec.threads)
    return float(np.median(np.diff(hist.wall_time[2:]))) * 1e3


def train_one(spec: ch07.ModelSpec, corpus: ch07.Corpus, *, tiny: bool, verbose: bool = True):
    """Train one spec; returns ``(model, history dict, meta dict)``."""
    train_ids, valid_ids = corpus.train_ids, corpus.valid_ids
    if tiny:
        train_ids, valid_ids = train_ids[:40_000], valid_ids[:4_000]
    model = spec.init(len(corpus.vocab))
    progress = _Printer(spec.name, spec.steps) if verbose else None
    t0 = time.perf_counter()
    hist = charlm.train(model, train_ids, steps=spec.steps, batch_size=spec.batch, chunk=spec.chunk,
                        lr=spec.lr, final_lr=spec.final_lr, clip=spec.clip, eval_ids=valid_ids,
                        eval_every=spec.eval_every, eval_batch_size=ch07.VALID_BATCH, progress=progress,
                        label=spec.name, threads=spec.threads)
    wall = time.perf_counter() - t0
    if hist.diverged_at is not None:
        raise RuntimeError(f"{spec.name}: diverged at step {hist.diverged_at}")
    steps_time = np.diff(np.concatenate([[0.0], hist.wall_time]))
    meta = {
        "valid_bpc": float(hist.eval_loss[-1]),
        "first_train_bpc": float(hist.loss[0]),
        "last_train_bpc": float(np.mean(hist.loss[-50:])),
        "wall_seconds": round(wall, 1),
        "median_step_ms": round(float(np.median(steps_time)) * 1e3, 2),
        "parameters": int(model.num_parameters),
        "valid_characters": int(valid_ids.size),
        "tiny": bool(tiny),
        "machine": f"{os.cpu_count()} logical CPUs, {platform.machine()}, numpy {np.__version__}",
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
    }
    return model, ch07.history_dict(hist, window=10 if tiny else 50), meta


class _Printer:
    def __init__(self, name, total):
        self.name, self.total, self.every = name, total, max(1, total // 10)

    def start(self, total, label):
        print(f"{label}: {total} steps", flush=True)

    def update(self, step, loss):
        if step % self.every == 0:
            print(f"  {self.name} step {step}/{self.total}: training {loss:.3f} bits/char", flush=True)

    def close(self, hist):
        print(f"  {self.name}: {hist.steps} steps in {hist.seconds:.0f} s, validation "
              f"{hist.eval_loss[-1]:.4f} bits/char", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ch07.WEIGHTS_PATH), help="the .npz to write")
    ap.add_argument("--tiny", action="store_true", help="tiny models, 60 steps each: a few seconds")
    ap.add_argument("--only", default="", help="comma-separated names of MODEL_SPECS (default: all)")
    ap.add_argument("--time-steps", type=int, default=0, metavar="N",
                    help="only print the median ms per training step of each spec over N steps")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(ch07.MODEL_SPECS)
    unknown = sorted(set(names) - set(ch07.MODEL_SPECS))
    if unknown:
        ap.error(f"--only: expected names among {sorted(ch07.MODEL_SPECS)}, got {unknown}")
    corpus = ch07.load_corpus()
    specs = {n: ch07.MODEL_SPECS[n] for n in names}
    if args.tiny:
        specs = {n: tiny_spec(s) for n, s in specs.items()}
    if args.time_steps:
        for n, s in specs.items():
            print(f"{n:<8} {s.title:<22} {time_steps(s, corpus, args.time_steps):8.1f} ms/step", flush=True)
        return 0
    out = Path(args.out)
    kept = {}
    if out.exists() and set(names) != set(ch07.MODEL_SPECS):
        kept = {n: s for n, s in ch07.load_models(out).items() if n not in specs}
    t0 = time.perf_counter()
    entries = []
    for n, s in specs.items():
        model, hist, meta = train_one(s, corpus, tiny=args.tiny, verbose=not args.quiet)
        entries.append((n, model, s, hist, meta))
    for n, s in kept.items():
        entries.append((n, s.model, s.spec, s.history, s.meta))
    order = list(ch07.MODEL_SPECS)
    entries.sort(key=lambda e: order.index(e[0]))
    ch07.save_models(out, entries)
    total = time.perf_counter() - t0
    print(f"wrote {out.name}: {', '.join(e[0] for e in entries)} in {total:.0f} s "
          f"({out.stat().st_size / 2**20:.2f} MiB)")
    for n, _, s, _, meta in entries:
        print(f"  {n:<8} {s.title:<22} {meta['parameters']:>8,} parameters  validation "
              f"{meta['valid_bpc']:.4f} bits/char  {meta['wall_seconds']:>7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
