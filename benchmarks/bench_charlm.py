"""One training step of the character model: lstmlib against PyTorch, in one process.

A step is the library's own ``train.train_step`` on one chunk of text (``charlm.text_batches``):
embedding lookup, one LSTM layer, a linear head and the softmax cross-entropy at every step,
backward through all of it (truncated BPTT, the state carried in from the previous chunk),
gradient-norm clipping and an Adam update. The peer
does the same with ``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear`` + ``F.cross_entropy`` +
``clip_grad_norm_`` + ``torch.optim.Adam`` on the CPU, float32 both. Sizes: B = 32 streams,
T = 64 steps, H = 256, the corpus's 96 characters, embedding 32.

Timed alternating (A B A B) with pauses, medians; BLAS/torch threads 1 and 2. Then lstmlib's step
taken apart: where the time goes. Prints tables; asserts nothing about time. Usage::

    python benchmarks/bench_charlm.py            # about a minute
    python benchmarks/bench_charlm.py --quick
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench_rnns import median_time  # the same timer as the RNN benchmark (same folder)
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


def breakdown(threads: int, repeats: int) -> list[tuple[str, float]]:
    """lstmlib's step in parts (ms, medians): forward, head and loss, backward of head, LSTM and
    embedding, clipping, Adam."""
    m = model()
    ws = fused.Workspace()
    x, y = data(1)[0]
    p = m.layers[0]
    rows = []
    with threadpool_limits(threads):
        X = m.embedding[x]
        rows.append(("embedding lookup", median_time(lambda: m.embedding[x], repeats)))
        rows.append(("LSTM forward (fused)", median_time(lambda: fused.lstm_forward(X, p, workspace=ws), repeats)))
        hs, cache = fused.lstm_forward(X, p, workspace=ws)
        W, b = m.head.weights, m.head.bias

        def head_loss():
            z = (hs.reshape(T * B, H) @ W.T + b).reshape(T, B, V)
            return softmax_cross_entropy(z, y)
        rows.append(("head + softmax cross-entropy", median_time(head_loss, repeats)))
        _, dz = head_loss()
        d2 = dz.reshape(T * B, V).astype(np.float32)

        def head_back():
            return d2.T @ hs.reshape(T * B, H), d2.sum(0), (d2 @ W).reshape(T, B, H)
        rows.append(("head backward", median_time(head_back, repeats)))
        dhs = head_back()[2]
        rows.append(("LSTM backward (fused)", median_time(lambda: fused.lstm_backward(dhs, cache, workspace=ws),
                                                          repeats)))
        g = fused.lstm_backward(dhs, cache, workspace=ws)

        def emb_back():
            dE = np.zeros_like(m.embedding)
            np.add.at(dE, x.ravel(), g.dX.reshape(T * B, E))
        rows.append(("embedding backward", median_time(emb_back, repeats)))
        _, grads, _ = network.loss_and_grads(x, y, m, loss="xent")
        arrays = grads.arrays()
        rows.append(("clip_grad_norm", median_time(lambda: clip_grad_norm(arrays, 1e9), repeats)))
        opt = Adam(1e-9)
        rows.append(("Adam step", median_time(lambda: opt.step(m.arrays(), arrays), repeats)))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    reps = 7 if args.quick else 21
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    print(f"one training step: B={B}, T={T}, H={H}, V={V}, embedding {E}, float32\n")
    cols = ["threads", "lstmlib (ms)"] + (["torch (ms)", "lstmlib / torch"] if torch else [])
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
                a.append(median_time(f_ours, reps))
                time.sleep(0.3)
                if f_torch is not None:
                    b.append(median_time(f_torch, reps))
                    time.sleep(0.3)
        row = [str(threads), f"{1e3 * statistics.median(a):.1f}"]
        if torch:
            row += [f"{1e3 * statistics.median(b):.1f}", f"{statistics.median(a) / statistics.median(b):.2f}"]
        print("| " + " | ".join(row) + " |", flush=True)
    for threads in (1, 2):
        rows = breakdown(threads, reps)
        total = sum(t for _, t in rows)
        print(f"\nlstmlib's step in parts, {threads} thread(s) (medians; the parts add up to {1e3 * total:.1f} ms)")
        for name, t in rows:
            print(f"  {name:<32} {1e3 * t:7.2f} ms  {100 * t / total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
