"""Forward + backward (BPTT) timings of lstmlib's LSTM, GRU and RNN beside their peers.

lstmlib is measured twice: ``lstmlib.fused`` with a caller-held ``fused.Workspace`` (what
``train.fit`` uses: the same memory at every call) and without one (fresh arrays at every call), to
show what the workspace is worth. Peers, measured in the same process, alternating (A B A B) with
pauses so that one library's idle worker threads do not slow the other:

* ``torch``: ``torch.nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` on the CPU (when torch is installed);
* ``article``: an LSTM written the way the source article's code is shaped (per sample, per gate,
  column vectors; ``lstmlib.article``). At the two largest sizes it runs on a slice of the batch
  and is scaled up linearly (marked ``~``): its cost is exactly linear in B.

Also printed: the fraction of the GEMM limit, measured here with one large matrix product, that
each run reaches (flops of forward + backward = 3 x forward's ``2 T B (D+H) G H``).

Prints tables; asserts nothing about time. Usage::

    python benchmarks/bench_rnns.py            # everything (a few minutes)
    python benchmarks/bench_rnns.py --quick    # fewer repeats, skips the largest size
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import lstmlib as ll
from lstmlib import article, fused
from lstmlib.train import blas_kernel

SIZES = [(1, 50, 10, 32), (32, 50, 64, 128), (64, 100, 128, 256), (128, 200, 256, 512)]  # B, T, D, H

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # the benchmark still runs, without the torch column
    torch = None


def median_time(fn, repeats: int, warmup: int = 2, clock=time.perf_counter) -> float:
    """Median wall time of ``repeats`` calls after ``warmup`` untimed ones. The first calls that
    touch hundreds of MB of fresh memory are several times slower on a virtual machine whose host
    hands pages out lazily; training loops run in the steady state that the warm-up reaches.
    ``clock=time.thread_time`` measures the calling thread's CPU time instead: on a shared machine
    the honest figure for one-thread work, as it leaves out the time other processes held the core."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def gemm_limit(dtype) -> float:
    """GFLOP/s of one large square matrix product: the ceiling for everything else."""
    n = 1536
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    return 2 * n ** 3 / median_time(lambda: a @ a, 5) / 1e9


def ours(model, B, T, D, H, dtype, workspace: bool):
    """lstmlib's fused forward + backward, with a workspace kept across calls or without one."""
    rng = np.random.default_rng(0)
    m = ll.get_model(model)
    kw = {"reset_after": True} if model == "gru" else {}
    p = m.init(D, H, rng, dtype=dtype, **kw)
    X = rng.standard_normal((T, B, D)).astype(dtype)
    G = rng.standard_normal((T, B, H)).astype(dtype)
    ws = fused.Workspace() if workspace else None
    return lambda: m.backward(G, m.forward(X, p, workspace=ws)[1], workspace=ws)


def torch_peer(model, B, T, D, H, dtype):
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[model]
    m = cls(D, H, dtype=tdt)
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((T, B, D)).astype(dtype)).requires_grad_()
    G = torch.from_numpy(rng.standard_normal((T, B, H)).astype(dtype))

    def run():
        m.zero_grad(set_to_none=True)
        X.grad = None
        out, _ = m(X)
        out.backward(G)

    return run


def article_peer(B, T, D, H, dtype):
    """The article-style LSTM on ``b`` samples; returns (fn, scale to the full batch)."""
    b = min(B, 4) if B * T * H > 32 * 50 * 128 else B
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(D, H, rng, dtype=dtype)
    X = rng.standard_normal((T, b, D)).astype(dtype)
    G = rng.standard_normal((T, b, H)).astype(dtype)
    return (lambda: article.article_lstm_backward(G, article.article_lstm_forward(X, p)[1])), B / b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; skip the largest size")
    ap.add_argument("--models", default="lstm,gru,rnn")
    args = ap.parse_args(argv)
    sizes = SIZES[:-1] if args.quick else SIZES
    peer_version = f", torch {torch.__version__}" if torch else ", torch not installed"
    print(f"numpy {np.__version__} ({blas_kernel()}){peer_version}")
    limits = {dt: gemm_limit(dt) for dt in (np.float32, np.float64)}
    print("GEMM limit here: " + ", ".join(f"{np.dtype(dt).name} {v:.0f} GFLOP/s" for dt, v in limits.items()))
    for model in args.models.split(","):
        print(f"\n### {model.upper()}: forward + backward, seconds (median)\n")
        cols = ["B, T, D, H", "dtype", "lstmlib", "% of GEMM limit", "no workspace", "workspace gain"]
        if torch is not None:
            cols += ["torch", "lstmlib / torch"]
        if model == "lstm":
            cols += ["article-style", "article / lstmlib"]
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for B, T, D, H in sizes:
            for dt in (np.float32, np.float64):
                big = B * T * H >= 64 * 100 * 256
                reps = 3 if big and not args.quick else (3 if args.quick else 9)
                warm = 4 if big else 2
                f_ours = ours(model, B, T, D, H, dt, workspace=True)
                f_fresh = ours(model, B, T, D, H, dt, workspace=False)
                f_torch = torch_peer(model, B, T, D, H, dt) if torch is not None else None
                t_ours, t_fresh, t_torch = [], [], []
                for _ in range(2):  # A B A B
                    t_ours.append(median_time(f_ours, reps, warm))
                    t_fresh.append(median_time(f_fresh, reps, warm))
                    time.sleep(0.3)
                    if f_torch is not None:
                        t_torch.append(median_time(f_torch, reps, warm))
                        time.sleep(0.3)
                a, fresh = min(t_ours), min(t_fresh)
                flops = 3 * 2 * T * B * (D + H) * ll.MODELS[model].gates * H
                row = [f"{B}, {T}, {D}, {H}", np.dtype(dt).name, f"{a:.4g}", f"{100 * flops / a / 1e9 / limits[dt]:.0f}%",
                       f"{fresh:.4g}", f"{fresh / a:.2f}x"]
                if f_torch is not None:
                    b = min(t_torch)
                    row += [f"{b:.4g}", f"{a / b:.2f}"]
                if model == "lstm":
                    fn, scale = article_peer(B, T, D, H, dt)
                    c = median_time(fn, 1 if scale > 1 else 3, warmup=0) * scale
                    mark = "~" if scale > 1 else ""
                    row += [f"{mark}{c:.4g}", f"{mark}{c / a:.0f}x"]
                print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
