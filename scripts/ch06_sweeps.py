"""Train chapter 06's sweeps and write them to the file the course ships
(lstmlib/course/data/ch06_sweeps.npz).

Every run of ``lstmlib.course.ch06.plans()``: on the adding problem and on temporal order (T = 50)
the RNN, the LSTM with b_f = 0, 1 and 3, and the GRU at matched parameter counts from 20 seeds;
the LSTM (b_f = 1) and the GRU at two more learning rates from 10 seeds; and the clipping
experiment (a tanh RNN under plain SGD, three kinds of run) from 20 seeds. Each run is a pure
function of its spec (``ch06.RunSpec``), trained by ``ch06.record`` exactly as the chapter trains
its one live configuration, so seed 0 of the adding sweep is the chapter's live run.

The runs are shared among ``--workers`` processes, each on one BLAS thread (``train.fit`` holds
BLAS to one thread; at these sizes two are slower). Every run's CPU time (training and the
measurements of its snapshots) goes into the file, and the log prints it run by run.

Time: see the file's ``meta`` (printed by ``print(ch06.load_sweeps())``): the CPU minutes of all
runs, the wall minutes on the workers, the machine.

Usage::

    python scripts/ch06_sweeps.py                        # everything (2 workers)
    python scripts/ch06_sweeps.py --tiny --out /tmp/t.npz  # seconds: the tiny settings, for a test
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads, in the workers too

from lstmlib.course import ch06  # noqa: E402
from lstmlib.train import blas_kernel  # noqa: E402


def run_all(settings: ch06.Settings, workers: int, log) -> tuple[list, dict]:
    """Every run of ``settings``' plans on ``workers`` processes; returns the records in plan order
    and the meta (wall minutes, workers, machine)."""
    jobs = ch06.jobs(settings)
    records = [None] * len(jobs)
    start = time.perf_counter()
    cpu = 0.0
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for done, (index, rec) in enumerate(pool.imap_unordered(ch06.run_job, jobs), 1):
            records[index] = rec
            cpu += rec.cpu_seconds
            print(f"[{done:>4}/{len(jobs)}] {rec.spec.label:<40} {rec.steps:>5} steps  "
                  f"{'solved at ' + str(rec.solved_at) if rec.solved else 'not solved':<16}"
                  f"cpu {rec.cpu_seconds:6.1f} s   total cpu {cpu / 60:6.1f} min   "
                  f"wall {(time.perf_counter() - start) / 60:5.1f} min", file=log, flush=True)
    meta = dict(workers=workers, wall_minutes=round((time.perf_counter() - start) / 60, 1),
                cpu_minutes=round(cpu / 60, 1),
                machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                blas=blas_kernel())
    return records, meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ch06.DATA, help="where to write the .npz")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--tiny", action="store_true", help="the tiny settings: seconds, for a test")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers: expected a whole number >= 1, got {args.workers}")
    settings = ch06.Settings.tiny() if args.tiny else ch06.Settings()
    records, meta = run_all(settings, args.workers, sys.stdout)
    ch06.save(args.out, records, settings, meta)
    print(f"wrote {len(records)} runs to {args.out.name}: {meta['cpu_minutes']} CPU minutes, "
          f"{meta['wall_minutes']} minutes on {args.workers} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
