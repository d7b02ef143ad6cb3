"""One training step of the character model: lstmlib against PyTorch, in one process.

A step is the library's own ``train.train_step`` on one chunk of text (``charlm.text_batches``):
embedding lookup, one LSTM layer, a linear head and the softmax cross-entropy at every step,
backward through all of it (truncated BPTT, the state carried in from the previous chunk),
gradient-norm clipping and an Adam update. The peer
does the same with ``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear`` + ``F.cross_entropy`` +
``clip_grad_norm_`` + ``torch.optim.Adam`` on the CPU, float32 both. Sizes: B = 32 streams,
T = 64 steps, H = 256, the corpus's 96 characters, embedding 32.

Timed alternating (A B A B) with pauses, medians; BLAS/torch threads 1 and 2. On one thread the
ratio of CPU times is printed too: on a machine shared with other work it is the steadier figure.
The ratio depends on numpy's BLAS kernels (printed first): torch's LSTM runs oneDNN's own kernels,
AVX-512 where the CPU has it, while ``OPENBLAS_CORETYPE=Haswell`` holds numpy to AVX2. Then
lstmlib's step taken apart: where the time goes, and how much of it is matrix products. Prints
tables; asserts nothing about time. Usage::

    python benchmarks/bench_charlm.py            # about a minute
    python benchmarks/bench_charlm.py --quick
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench_rnns import blas_kernel, median_time  # the same helpers as the RNN benchmark (same folder)
from lstmlib import charlm, fused, network, train
from lstmlib.losses import softmax_cross_entropy
from lstmlib.optim import Adam, clip_grad_norm

try:
    import torch
except ImportError:  # the benchmark still runs, without the torch column
    torch = None

B, T, H, V, E = 32, 64, 256, 96, 32


def text(steps: int = 64) -> np.ndarray:
    """A fixed random text of ``B * (steps * T + 1)`` character ids."""
    return np.random.default_rng(0).integers(0, V, size=B * (steps * T + 1))


def data(steps: int = 64):
    """The chunks that ``charlm.text_batches`` cuts from ``text(steps)``: ``(inputs, targets)``."""
    s = charlm.streams(text(steps), B)
    return [(x.copy(), y.copy()) for x, y in charlm.chunks(s, T)]


def model():
    return charlm.init_model("lstm", V, H, 0, embedding_size=E, dtype=np.float32, forget_bias=1.0)


def ours():
    """The library's own step (``train.train_step``) on the library's own batches."""
    m, opt, ws = model(), Adam(2e-3), fused.Workspace()
    batches = charlm.text_batches(text(), B, T)
    carried = {"state": None}

    def step():
        _, _, carried["state"] = train.train_step(next(batches), m, opt, carried["state"], loss="xent",
                                                  clip=5.0, workspace=ws)

    return step, m


def peer():
    torch.manual_seed(0)
    emb = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E, H)
    head = torch.nn.Linear(H, V)
    params = list(emb.parameters()) + list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    chunks = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data()]
    state = {"s": None, "k": 0}

    def step():
        x, y = chunks[state["k"] % len(chunks)]
        opt.zero_grad(set_to_none=True)
        out, (h, c) = lstm(emb(x), state["s"])
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        state["s"] = (h.detach(), c.detach())
        state["k"] += 1

    return step


def wall_and_cpu(fn, repeats: int, warmup: int = 2) -> tuple[float, float]:
    """Median wall time and median CPU time of the calling thread over the same ``repeats`` calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall), statistics.median(cpu)


def breakdown(threads: int, repeats: int) -> list[tuple[str, float]]:
    """lstmlib's step in parts (ms, medians; CPU time on one thread, wall time on two): the
    embedding, the LSTM forward and backward (each with the share of its matrix products, timed
    alone with the same shapes), the head, the loss, clipping's norm, Adam. Rows whose name starts
    with a space are parts of the row above."""
    m = model()
    ws = fused.Workspace()
    x, y = data(1)[0]
    p = m.layers[0]
    clock = time.thread_time if threads == 1 else time.perf_counter
    rows = []

    def row(name, fn):
        rows.append((name, median_time(fn, repeats, clock=clock)))

    with threadpool_limits(threads):
        X = m.embedding[x]
        row("embedding lookup", lambda: m.embedding[x])
        row("LSTM forward (fused)", lambda: fused.lstm_forward(X, p, workspace=ws))
        Wh = np.ascontiguousarray(p.weights[:, :H])
        h, gates = np.zeros((H, B), np.float32), np.empty((4 * H, B), np.float32)

        def step_products():
            for _ in range(T):
                np.matmul(Wh, h, out=gates)
        row(" per-step products (4H, H) @ (H, B)", step_products)
        row(" input projection, all steps", lambda: np.matmul(p.weights[:, H:], X.transpose(0, 2, 1)))
        hs, cache = fused.lstm_forward(X, p, workspace=ws)
        W, b = m.head.weights, m.head.bias
        row("head forward (product)", lambda: hs.reshape(T * B, H) @ W.T + b)
        z = (hs.reshape(T * B, H) @ W.T + b).reshape(T, B, V)
        row("softmax cross-entropy", lambda: softmax_cross_entropy(z, y))
        _, dz = softmax_cross_entropy(z, y)
        d2 = dz.reshape(T * B, V).astype(np.float32)
        row("head backward (products)", lambda: (d2.T @ hs.reshape(T * B, H), d2.sum(0), d2 @ W))
        dhs = (d2 @ W).reshape(T, B, H)
        row("LSTM backward (fused)", lambda: fused.lstm_backward(dhs, cache, workspace=ws))
        WhT, deltas = np.ascontiguousarray(Wh.T), np.zeros((4 * H, T, B), np.float32)

        def step_products_back():
            for _ in range(T):
                np.matmul(WhT, gates, out=h)
        row(" per-step products (H, 4H) @ (4H, B)", step_products_back)
        row(" weight-gradient products, all steps", lambda: (fused._input_grads(deltas, X, p.weights[:, H:]),
                                                              fused._recurrent_grad(deltas, cache.h0, hs)))
        g = fused.lstm_backward(dhs, cache, workspace=ws)
        row("embedding backward", lambda: network._embedding_grad(x, g.dX, V))
        _, grads, _ = network.loss_and_grads(x, y, m, loss="xent")
        arrays = grads.arrays()
        row("clip_grad_norm", lambda: clip_grad_norm(arrays, 1e9))
        opt = Adam(1e-9)
        row("Adam step", lambda: opt.step(m.arrays(), arrays))
        f_step, _ = ours()
        row("the whole train_step", f_step)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    reps = 7 if args.quick else 21
    peer_version = f", torch {torch.__version__}" if torch else ", torch not installed"
    print(f"numpy {np.__version__} ({blas_kernel()}){peer_version}")
    print(f"one training step: B={B}, T={T}, H={H}, V={V}, embedding {E}, float32; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    cols = ["threads", "lstmlib (ms)"]
    if torch:
        cols += ["torch (ms)", "lstmlib / torch", "CPU time: lstmlib / torch"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for threads in (1, 2):
        f_ours, _ = ours()
        f_torch = peer() if torch else None
        a, b = [], []
        with threadpool_limits(threads):
            if torch:
                torch.set_num_threads(threads)
            for _ in range(3):  # A B A B A B
                a.append(wall_and_cpu(f_ours, reps))
                time.sleep(0.3)
                if f_torch is not None:
                    b.append(wall_and_cpu(f_torch, reps))
                    time.sleep(0.3)
        wall = statistics.median(t for t, _ in a)
        row = [str(threads), f"{1e3 * wall:.1f}"]
        if torch:
            peer_wall = statistics.median(t for t, _ in b)
            # CPU time counts one thread: the honest figure on a busy machine, for one thread only
            cpu = "-"
            if threads == 1:
                cpu = f"{statistics.median(c for _, c in a) / statistics.median(c for _, c in b):.2f}"
            row += [f"{1e3 * peer_wall:.1f}", f"{wall / peer_wall:.2f}", cpu]
        print("| " + " | ".join(row) + " |", flush=True)
    for threads in (1, 2):
        rows = breakdown(threads, reps)
        total = rows[-1][1]
        parts = [t for name, t in rows[:-1] if not name.startswith(" ")]
        products = sum(t for name, t in rows if name.startswith(" ") or "(product" in name)
        kind = "CPU" if threads == 1 else "wall"
        print(f"\nlstmlib's step in parts, {threads} thread(s) ({kind} time, medians; the parts add up to "
              f"{1e3 * sum(parts):.1f} ms of the step's {1e3 * total:.1f})")
        summary = [("matrix products (rows marked or indented)", products),
                   ("everything else", total - products)]
        for name, t in rows[:-1] + summary:
            print(f"  {name:<40} {1e3 * t:7.2f} ms  {100 * t / total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
