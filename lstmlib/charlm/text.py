"""Long text for a character model: streams, chunks, batches for truncated BPTT, and scores.

Long text is trained with **truncated BPTT**: the text is cut into ``B`` contiguous streams
(``streams``), and each training step reads the next ``T`` characters of every stream (a *chunk*,
``chunks``), starting from the state the previous chunk ended in (the state is *carried*), and
backpropagates through those ``T`` steps only (the gradient is *truncated* at the chunk's start).
``text_batches`` is that walk as a batch source for ``train.fit``.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np

from .. import _validate
from ..fused import Workspace
from ..losses import log_softmax
from ..network import Score, SequenceModel, forward
from ..train import Batch, blas_threads

__all__ = ["BITS_PER_NAT", "streams", "chunks", "text_batches", "next_char_log_probs", "bits_per_char",
           "text_score"]

BITS_PER_NAT = 1.0 / math.log(2.0)
"""``1 / ln 2``: a loss in nats times this is the loss in bits."""


def check_ids(ids, V: int | None = None, name: str = "ids", at_least: int = 2) -> np.ndarray:
    """``ids`` as a 1-D integer array of at least ``at_least`` entries in ``[0, V)``."""
    a = np.asarray(ids)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of integer character ids, got {a.dtype} of shape {a.shape}")
    if a.size < at_least:
        raise ValueError(f"{name}: expected at least {at_least} characters, got {a.size}")
    if V is not None and (a.min() < 0 or a.max() >= V):
        raise ValueError(f"{name}: expected ids in [0, {V}), got values in [{a.min()}, {a.max()}]")
    return a


def check_char_model(model) -> SequenceModel:
    """``model`` if it reads ids and predicts at every step (a character model), else a ValueError."""
    if not isinstance(model, SequenceModel) or model.embedding is None or not model.every_step:
        got = type(model).__name__ if not isinstance(model, SequenceModel) else \
            f"a SequenceModel with embedding={'yes' if model.embedding is not None else 'None'}, every_step={model.every_step}"
        raise ValueError(f"model: expected a character model (charlm.init_model: an embedding and a "
                         f"prediction at every step), got {got}")
    return model


def streams(ids, batch_size: int) -> np.ndarray:
    """The sequence ``ids (N,)`` cut into ``batch_size`` contiguous streams of equal length
    ``L = N // batch_size``: ``(B, L)``, stream ``b`` holding ``ids[b L : (b + 1) L]`` (the last
    ``N - B L`` characters are dropped)."""
    B = _validate.positive_int(batch_size, "batch_size")
    ids = check_ids(ids)
    L = ids.size // B
    if L < 2:
        raise ValueError(f"batch_size: expected at most {ids.size // 2} streams of 2 characters "
                         f"or more for {ids.size} characters, got {B}")
    return ids[:B * L].reshape(B, L)


def chunks(stream_ids: np.ndarray, chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The chunks of ``T = chunk`` steps that truncated BPTT reads, in order: yields ``(inputs,
    targets)``, each ``(T, B)`` (the last chunk may be shorter), targets one character ahead.
    ``stream_ids (B, L)`` from ``streams``."""
    T = _validate.positive_int(chunk, "chunk")
    s = np.asarray(stream_ids)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"stream_ids: expected (B, L) with L >= 2 (see streams), got shape {s.shape}")
    L = s.shape[1]
    for start in range(0, L - 1, T):
        stop = min(start + T, L - 1)
        yield s[:, start:stop].T, s[:, start + 1:stop + 1].T


def text_batches(ids, batch_size: int, chunk: int) -> Iterator[Batch]:
    """Endless batches for ``train.fit`` from the text ``ids (N,)``: its ``batch_size`` streams read
    ``chunk`` characters at a time, each chunk carrying on from the state the one before ended in
    (``carry=True``); at the end of the text the streams start again from zero states (an epoch:
    the first chunk has ``carry=False``)."""
    s = streams(ids, batch_size)
    T = _validate.positive_int(chunk, "chunk")
    if s.shape[1] <= T:
        raise ValueError(f"chunk: expected fewer than {s.shape[1]} steps (the length of each of the "
                         f"{batch_size} streams), got {chunk}")
    while True:
        for k, (x, y) in enumerate(chunks(s, T)):
            yield Batch(x, y, k > 0)


def next_char_log_probs(ids, model: SequenceModel, *, batch_size: int = 32, chunk: int = 256,
                        keep: Sequence[int] | None = None, threads: int | None = 1):
    """Read ``ids (N,)`` as ``batch_size`` streams (``streams``), carrying the state from chunk to
    chunk, and return, for every position ``n`` whose next character was predicted, ``(positions
    (M,), log p(ids[n+1]) (M,) in nats)``, plus the probabilities ``(M, len(keep))`` of the
    characters ``keep`` when given. ``M = B (L - 1)``, positions in the order of ``ids``.
    ``threads``: BLAS threads (None leaves BLAS alone)."""
    check_char_model(model)
    ids = check_ids(ids, model.vocab_size)
    keep_idx = None if keep is None else np.asarray(keep, dtype=np.int64)
    if keep_idx is not None and keep_idx.size and (keep_idx.min() < 0 or keep_idx.max() >= model.vocab_size):
        raise ValueError(f"keep: expected ids in [0, {model.vocab_size}), got {keep_idx.tolist()}")
    s = streams(ids, batch_size)
    B, L = s.shape
    logp_true = np.empty((L - 1, B))
    kept = None if keep_idx is None else np.empty((L - 1, B, keep_idx.size))
    state, ws, t0 = None, Workspace(), 0
    with blas_threads(threads):
        for x, y in chunks(s, chunk):
            logits, cache = forward(x, model, state, workspace=ws)
            logp = log_softmax(logits.astype(np.float64))
            logp_true[t0:t0 + len(x)] = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
            if kept is not None:
                kept[t0:t0 + len(x)] = np.exp(logp[..., keep_idx])
            state, t0 = cache.final_state, t0 + len(x)
    positions = (np.arange(B)[:, None] * L + np.arange(L - 1)[None, :]).ravel()
    out = (positions, logp_true.T.ravel())
    if kept is not None:
        out += (kept.transpose(1, 0, 2).reshape(-1, keep_idx.size),)
    return out


def bits_per_char(ids, model: SequenceModel, *, batch_size: int = 32, chunk: int = 256,
                  threads: int | None = 1) -> float:
    """Bits per character of ``model`` on the text ``ids (N,)``, read as ``batch_size`` streams each
    from a zero state, the state carried from chunk to chunk (so ``chunk`` changes the speed, not
    the result)."""
    _, logp = next_char_log_probs(ids, model, batch_size=batch_size, chunk=chunk, threads=threads)
    return float(-logp.mean() * BITS_PER_NAT)


def text_score(ids, *, batch_size: int = 32, chunk: int = 256):
    """An evaluation for ``train.fit``: the model's cross-entropy on the text ``ids`` in nats (as
    the training loss), as a ``Score`` without accuracy; times ``BITS_PER_NAT`` it is
    ``bits_per_char``."""
    ids = check_ids(ids)
    streams(ids, batch_size)  # a ValueError now, not after the first training steps

    def score(model: SequenceModel) -> Score:
        _, logp = next_char_log_probs(ids, model, batch_size=batch_size, chunk=chunk, threads=None)
        return Score(float(-logp.mean()), None)
    return score
