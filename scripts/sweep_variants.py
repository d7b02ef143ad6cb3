"""Chapter 08's sweep: every LSTM variant on the adding problem, temporal order and chapter 07's
corpus, at matched parameter counts, three learning rates, five seeds; writes
lstmlib/course/data/ch08_variants.json, which the chapter reads.

    OPENBLAS_NUM_THREADS=1 nice -n 10 python scripts/sweep_variants.py [--workers 2] [--log sweep.log]

Each run is a pure function of its spec (lstmlib.course.ch08.sweep.run); the script only spreads
them over worker processes and records the CPU time they took (process time, summed over runs:
what the sweep costs on a quiet machine is that sum divided by the number of cores).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from lstmlib.course import ch07  # noqa: E402
from lstmlib.course.ch08 import sweep  # noqa: E402

_CORPUS = None


def _work(spec):
    global _CORPUS
    if spec.task == "text" and _CORPUS is None:
        _CORPUS = ch07.load_corpus()
    return sweep.run(spec, _CORPUS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(sweep.RESULTS_PATH))
    ap.add_argument("--log", default=None, help="append one line per finished run to this file")
    ap.add_argument("--tasks", nargs="*", default=list(sweep.TASK_SETTINGS))
    ap.add_argument("--resume", action="store_true",
                    help="keep the runs already in --out and run only the missing ones")
    args = ap.parse_args(argv)
    specs = sweep.run_specs(args.tasks)
    done, before = [], {}
    if args.resume and os.path.exists(args.out):
        old = sweep.load_results(args.out)
        wanted = {s.key for s in specs}
        done = [r for r in old.runs if r.spec.key in wanted]
        before = old.meta
        specs = [s for s in specs if s.key not in {r.spec.key for r in done}]
    log = open(args.log, "a") if args.log else sys.stdout
    t0, c0 = time.time(), time.process_time()
    results = list(done)
    with mp.get_context("fork").Pool(args.workers) as pool:
        for k, r in enumerate(pool.imap_unordered(_work, specs, chunksize=1), 1):
            results.append(r)
            print(f"{k}/{len(specs)} {r.spec.key} H={r.hidden_size} final={r.final:.5g} "
                  f"cpu={r.cpu_seconds:.1f}s wall={time.time() - t0:.0f}s", file=log, flush=True)
    wall = time.time() - t0 + before.get("wall_seconds", 0.0)
    cpu = sum(r.cpu_seconds for r in results)
    meta = {"runs": len(results), "workers": args.workers, "wall_seconds": round(wall, 1),
            "cpu_seconds_of_runs": round(cpu, 1), "quiet_machine_minutes_on_2_cores": round(cpu / 2 / 60, 1),
            "python": platform.python_version(), "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "nice": os.nice(0)}
    sweep.save_results(results, args.out, meta)
    print(f"done: {len(results)} runs, {wall / 60:.1f} min wall, {cpu / 60:.1f} CPU-minutes in the runs "
          f"(+{time.process_time() - c0:.1f} s in the parent)", file=log, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
