"""A character-level language model: read text one character at a time, predict the next one.

The model, bottom to top::

    x_t = E[id_t]                           embedding: row id_t of E (V, D_e); the same as a one-hot
                                            vector times E, without the product
    h_t^(1), ..., h_t^(L)                   L recurrent layers (``stack``): RNN, LSTM or GRU, each
                                            reading the outputs of the layer below
    z_t = W_y h_t^(L) + b_y                 the head: one score (logit) per character of the vocabulary
    p(id_{t+1} | id_1..id_t) = softmax(z_t) every step predicts the character that follows

The loss is the mean cross-entropy of the next character over every step of every sequence
(``losses.softmax_cross_entropy``), in nats; divided by ``ln 2`` it is the model's **bits per
character**: how many bits an ideal coder driven by the model would spend per character.

Long text is trained with **truncated BPTT**: the text is cut into ``B`` contiguous streams, and
each training step reads the next ``T`` characters of every stream (a *chunk*), starting from the
states the previous chunk ended in (the state is *carried*), and backpropagates through those ``T``
steps only (the gradient is *truncated* at the chunk's start). ``train`` is that loop, with Adam and
gradient-norm clipping (``optim``) and a caller-held ``fused.Workspace``.

Shapes: character ids ``(T, B)`` (time-major, like every sequence in lstmlib), logits ``(T, B, V)``,
states one ``{"h": (B, H), "c": (B, H)}`` per layer, bottom first.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Sequence

import numpy as np

from . import _validate
from .fused import Workspace
from .activations import sigmoid
from .losses import log_softmax, softmax_cross_entropy
from .models import get_model, model_of
from .optim import Adam, clip_grad_norm
from .stack import StackCache, stack_backward, stack_forward
from .train import History, Linear, blas_threads

__all__ = ["Vocabulary", "ASCII", "CharModel", "CharCache", "CharGrads", "init_model", "forward",
           "backward", "loss_and_grads", "BITS_PER_NAT", "bits_per_char", "streams", "chunks",
           "evaluate", "next_char_log_probs", "train", "sample", "sample_text"]

BITS_PER_NAT = 1.0 / math.log(2.0)
"""``1 / ln 2``: a loss in nats times this is the loss in bits."""


# ----------------------------------------------------------------------------------------------
# The vocabulary
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The characters a model reads and writes; a character's id is its index in ``chars``.

    ``replacement``: the character that ``encode(text, errors="replace")`` puts in place of one
    the vocabulary lacks (it must be in the vocabulary)."""

    chars: str
    replacement: str = "?"

    def __post_init__(self):
        if not isinstance(self.chars, str) or not self.chars:
            raise ValueError(f"chars: expected a non-empty string, got {self.chars!r}")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("chars: expected every character once, got repeated characters")
        if self.replacement not in self.chars:
            raise ValueError(f"replacement: expected a character of chars, got {self.replacement!r}")
        object.__setattr__(self, "_index", {ch: k for k, ch in enumerate(self.chars)})

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, errors: str = "strict") -> np.ndarray:
        """The ids of ``text`` ``(len(text),)`` int64. ``errors="strict"`` refuses a character
        outside the vocabulary; ``"replace"`` writes ``replacement`` for it."""
        if not isinstance(text, str):
            raise ValueError(f"text: expected a string, got {type(text).__name__}")
        if errors not in ("strict", "replace"):
            raise ValueError(f"errors: expected 'strict' or 'replace', got {errors!r}")
        index = self._index
        if errors == "strict":
            missing = sorted(set(text) - set(index))
            if missing:
                raise ValueError(f"text: expected characters of the vocabulary, got {missing[:5]!r}"
                                 + (" and more" if len(missing) > 5 else ""))
            return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))
        rep = index[self.replacement]
        return np.fromiter((index.get(ch, rep) for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text of ``ids`` (any integer array or sequence)."""
        ids = np.asarray(ids)
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(f"ids: expected integers in [0, {len(self.chars)}), got {ids.dtype} values")
        return "".join(self.chars[k] for k in ids.ravel())


ASCII = Vocabulary("\n" + "".join(chr(k) for k in range(32, 127)))
"""The newline and the 95 printable ASCII characters (space to ``~``): 96 ids, newline first."""


# ----------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CharModel:
    """An embedding ``embedding (V, D_e)``, recurrent ``layers`` (parameter objects, bottom first:
    the first reads ``D_e`` inputs, each next one the hidden size below) and a ``Linear`` head
    ``(V, H_top)``. All arrays share one dtype."""

    embedding: np.ndarray
    layers: tuple
    head: Linear

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        E = self.embedding
        if not isinstance(E, np.ndarray) or E.ndim != 2:
            got = E.shape if isinstance(E, np.ndarray) else type(E).__name__
            raise ValueError(f"embedding: expected a 2-D array (V, D_e), got {got}")
        _validate.as_dtype(E.dtype, "embedding dtype")
        if not self.layers:
            raise ValueError("layers: expected at least one recurrent layer, got none")
        size = E.shape[1]
        for k, p in enumerate(self.layers):
            model_of(p)  # a ValueError when it is not a model's parameters
            if p.input_size != size:
                raise ValueError(f"layers[{k}]: expected input size {size} (the size below), "
                                 f"got {p.input_size}")
            if p.dtype != E.dtype:
                raise ValueError(f"layers[{k}]: expected dtype {E.dtype} like the embedding, got {p.dtype}")
            size = p.hidden_size
        if not isinstance(self.head, Linear):
            raise ValueError(f"head: expected a train.Linear, got {type(self.head).__name__}")
        if self.head.weights.shape != (E.shape[0], size) or self.head.bias.shape != (E.shape[0],):
            raise ValueError(f"head: expected weights ({E.shape[0]}, {size}) and bias ({E.shape[0]},), "
                             f"got {self.head.weights.shape} and {self.head.bias.shape}")
        if self.head.weights.dtype != E.dtype or self.head.bias.dtype != E.dtype:
            raise ValueError(f"head: expected dtype {E.dtype} like the embedding, got {self.head.weights.dtype}")

    @property
    def vocab_size(self) -> int:
        """V, the number of characters."""
        return self.embedding.shape[0]

    @property
    def embedding_size(self) -> int:
        return self.embedding.shape[1]

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(p.hidden_size for p in self.layers)

    @property
    def kind(self) -> str:
        """``"rnn"``, ``"lstm"`` or ``"gru"`` (``"mixed"`` when the layers differ)."""
        kinds = {model_of(p).name for p in self.layers}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def dtype(self) -> np.dtype:
        return self.embedding.dtype

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every trainable array: the embedding, each layer's, the head's (the order of
        ``CharGrads.arrays()``)."""
        out = (self.embedding,)
        for p in self.layers:
            out += p.arrays()
        return out + self.head.arrays()

    @property
    def num_parameters(self) -> int:
        return sum(a.size for a in self.arrays())

    def zero_states(self, batch: int) -> list[dict]:
        """Zero states for ``batch`` sequences, one dict per layer."""
        B = _validate.positive_int(batch, "batch")
        return [{s: np.zeros((B, p.hidden_size), dtype=self.dtype) for s in model_of(p).states}
                for p in self.layers]

    def copy(self) -> "CharModel":
        return CharModel(self.embedding.copy(), tuple(p.copy() for p in self.layers), self.head.copy())

    def astype(self, dtype) -> "CharModel":
        """A copy in ``dtype`` (float32 or float64)."""
        dt = _validate.as_dtype(dtype)
        return CharModel(self.embedding.astype(dt), tuple(p.astype(dt) for p in self.layers),
                         Linear(self.head.weights.astype(dt), self.head.bias.astype(dt)))

    def describe(self) -> str:
        """One line: e.g. ``"LSTM 2x256, embedding 32, 96 characters, 850,016 parameters"``."""
        title = get_model(self.kind).title if self.kind != "mixed" else "mixed"
        sizes = self.hidden_sizes
        shape = f"{len(sizes)}x{sizes[0]}" if len(set(sizes)) == 1 else "-".join(map(str, sizes))
        return (f"{title} {shape}, embedding {self.embedding_size}, {self.vocab_size} characters, "
                f"{self.num_parameters:,} parameters")

    def __repr__(self) -> str:
        return f"CharModel({self.describe()})"


def init_model(kind: str, vocab_size: int, hidden_size: int, rng, *, num_layers: int = 1,
               embedding_size: int = 32, forget_bias: float = 1.0, dtype=np.float32,
               reset_after: bool = True) -> CharModel:
    """A fresh ``CharModel``: ``num_layers`` layers of ``kind`` (``"rnn"``, ``"lstm"``, ``"gru"``),
    each of ``hidden_size`` units. The embedding is drawn from ``N(0, 1)``, the recurrent layers
    and the head from ``U(-1/sqrt(H), 1/sqrt(H))`` (the LSTM's ``b_f`` set to ``forget_bias``, the
    GRU in PyTorch's convention unless ``reset_after=False``), in that order from ``rng``."""
    model = get_model(kind, "kind")
    V = _validate.positive_int(vocab_size, "vocab_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    L = _validate.positive_int(num_layers, "num_layers")
    De = _validate.positive_int(embedding_size, "embedding_size")
    dt = _validate.as_dtype(dtype)
    gen = _validate.rng(rng)
    extra = {"lstm": dict(forget_bias=forget_bias), "gru": dict(reset_after=reset_after), "rnn": {}}[kind]
    embedding = gen.standard_normal((V, De)).astype(dt)
    layers, size = [], De
    for _ in range(L):
        layers.append(model.init(size, H, gen, dtype=dt, **extra))
        size = H
    return CharModel(embedding, tuple(layers), Linear.init(H, V, gen, dtype=dt))


# ----------------------------------------------------------------------------------------------
# Forward and backward
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CharCache:
    """What ``backward`` needs from ``forward``: the ids ``(T, B)``, the model, the recurrent
    layers' ``StackCache`` and the top layer's outputs ``hs (T, B, H_top)``."""

    ids: np.ndarray
    model: CharModel
    stack: StackCache
    hs: np.ndarray

    @property
    def final_states(self) -> list[dict]:
        """Each layer's final state (copies), bottom first: what the next chunk starts from."""
        return [{k: v.copy() for k, v in s.items()} for s in self.stack.final_states]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CharGrads:
    """The gradients of a scalar loss: ``embedding (V, D_e)``, ``layers`` (one ``Grads`` per
    layer, bottom first), ``head_weights (V, H)``, ``head_bias (V,)``, and ``dstates0``: the
    gradient of each layer's initial state (``[{"h": (B, H), ...}, ...]``), what a backward pass
    through the previous chunk would receive."""

    embedding: np.ndarray
    layers: tuple
    head_weights: np.ndarray
    head_bias: np.ndarray
    dstates0: tuple

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order of ``CharModel.arrays()``."""
        out = (self.embedding,)
        for g in self.layers:
            out += g.arrays()
        return out + (self.head_weights, self.head_bias)


def _check_model(model) -> None:
    if not isinstance(model, CharModel):
        raise ValueError(f"model: expected a charlm.CharModel (see init_model), got {type(model).__name__}")


def _check_ids(ids, V: int, name: str = "ids") -> np.ndarray:
    a = np.asarray(ids)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer character ids, got dtype {a.dtype}")
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"{name}: expected a 2-D array (T, B) with T, B >= 1, got shape {a.shape}")
    if a.min() < 0 or a.max() >= V:
        raise ValueError(f"{name}: expected ids in [0, {V}), got values in [{a.min()}, {a.max()}]")
    return a


def _check_states(states, model: CharModel, B: int, name: str = "states"):
    if states is None:
        return None
    states = list(states)
    if len(states) != len(model.layers):
        raise ValueError(f"{name}: expected one dict per layer ({len(model.layers)}), got {len(states)}")
    for k, (s, p) in enumerate(zip(states, model.layers)):
        if s is None:
            continue
        if not isinstance(s, dict):
            raise ValueError(f"{name}[{k}]: expected a dict like {{'h': (B, H)}}, got {type(s).__name__}")
        for key, v in s.items():
            v = np.asarray(v)
            if v.shape != (B, p.hidden_size):
                raise ValueError(f"{name}[{k}]['{key}']: expected shape ({B}, {p.hidden_size}), got {v.shape}")
    return states


def forward(ids, model: CharModel, states: Sequence[dict | None] | None = None, *,
            workspace: Workspace | None = None):
    """The scores of the next character after each one. ``ids (T, B)`` ints in ``[0, V)``;
    ``states``: each layer's initial state (zeros when ``None``). Returns ``(logits (T, B, V),
    CharCache)``; ``cache.final_states`` is where the next chunk starts."""
    _check_model(model)
    ids = _check_ids(ids, model.vocab_size)
    states = _check_states(states, model, ids.shape[1])
    X = model.embedding[ids]  # (T, B, D_e): a row lookup is a one-hot vector times E
    hs, stack = stack_forward(X, model.layers, states, workspace=workspace)
    T, B, H = hs.shape
    logits = (hs.reshape(T * B, H) @ model.head.weights.T + model.head.bias).reshape(T, B, -1)
    return logits, CharCache(ids, model, stack, hs)


def backward(dlogits: np.ndarray, cache: CharCache, dstates: Sequence[dict | None] | None = None, *,
             workspace: Workspace | None = None) -> CharGrads:
    """BPTT through the head, the layers (top to bottom: each layer's ``dX`` is the error of the
    outputs of the layer below, the article's equation 14) and the embedding. ``dlogits (T, B, V)``:
    ``dE/dz_t``; ``dstates``: gradients arriving at each layer's final states from a later chunk
    (``None``: the gradient is truncated there). Returns ``CharGrads``."""
    if not isinstance(cache, CharCache):
        raise ValueError(f"cache: expected the CharCache returned by charlm.forward, got {type(cache).__name__}")
    model = cache.model
    T, B, H = cache.hs.shape
    V = model.vocab_size
    dlogits = np.asarray(dlogits)
    if dlogits.shape != (T, B, V):
        raise ValueError(f"dlogits: expected shape ({T}, {B}, {V}) like the logits, got {dlogits.shape}")
    dstates = _check_states(dstates, model, B, "dstates")
    d2 = dlogits.reshape(T * B, V).astype(model.dtype, copy=False)
    W = model.head.weights
    dW = d2.T @ cache.hs.reshape(T * B, H)  # the head: dW_y = sum_t dz_t h_t^T
    db = d2.sum(axis=0)
    dhs = (d2 @ W).reshape(T, B, H)  # dE/dh_t of the top layer, from the head
    grads = stack_backward(dhs, cache.stack, dstates, workspace=workspace)
    dX = grads[0].dX  # (T, B, D_e): the error that reaches the embedding rows
    dE = np.zeros_like(model.embedding)
    np.add.at(dE, cache.ids.ravel(), dX.reshape(T * B, -1))  # rows read several times add up
    return CharGrads(dE, tuple(grads), dW, db, tuple(g.dstate0 for g in grads))


def loss_and_grads(ids, targets, model: CharModel, states: Sequence[dict | None] | None = None, *,
                   dstates: Sequence[dict | None] | None = None, workspace: Workspace | None = None):
    """One chunk: forward, the mean cross-entropy (nats) of ``targets (T, B)`` (the characters that
    follow ``ids``), and backward. Returns ``(loss, CharGrads, final_states)``."""
    logits, cache = forward(ids, model, states, workspace=workspace)
    targets = _check_ids(targets, model.vocab_size, "targets")
    if targets.shape != cache.ids.shape:
        raise ValueError(f"targets: expected shape {cache.ids.shape} like ids, got {targets.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        loss, dlogits = softmax_cross_entropy(logits, targets)
    if not np.isfinite(loss):
        raise FloatingPointError(f"the loss overflowed ({loss}): the run diverged")
    final = cache.final_states
    return loss, backward(dlogits, cache, dstates, workspace=workspace), final


def bits_per_char(nats: float) -> float:
    """A cross-entropy in nats per character, in bits per character: ``nats / ln 2``."""
    return float(_validate.real(nats, "nats")) * BITS_PER_NAT


# ----------------------------------------------------------------------------------------------
# Long text: streams and chunks
# ----------------------------------------------------------------------------------------------
def _check_sequence(ids, V: int | None = None, name: str = "ids", at_least: int = 2) -> np.ndarray:
    a = np.asarray(ids)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of integer character ids, got {a.dtype} of shape {a.shape}")
    if a.size < at_least:
        raise ValueError(f"{name}: expected at least {at_least} characters, got {a.size}")
    if V is not None and (a.min() < 0 or a.max() >= V):
        raise ValueError(f"{name}: expected ids in [0, {V}), got values in [{a.min()}, {a.max()}]")
    return a


def streams(ids, batch_size: int) -> np.ndarray:
    """The sequence ``ids (N,)`` cut into ``batch_size`` contiguous streams of equal length
    ``L = N // batch_size``: ``(B, L)``, stream ``b`` holding ``ids[b L : (b + 1) L]`` (the last
    ``N - B L`` characters are dropped)."""
    B = _validate.positive_int(batch_size, "batch_size")
    ids = _check_sequence(ids)
    L = ids.size // B
    if L < 2:
        raise ValueError(f"batch_size: expected at most {ids.size // 2} streams of 2 characters "
                         f"or more for {ids.size} characters, got {B}")
    return ids[:B * L].reshape(B, L)


def chunks(stream_ids: np.ndarray, chunk: int):
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


def next_char_log_probs(model: CharModel, ids, *, batch_size: int = 32, chunk: int = 256,
                        keep: Sequence[int] | None = None, threads: int | None = 1):
    """Read ``ids (N,)`` as ``batch_size`` streams (``streams``), carrying the state from chunk to
    chunk, and return, for every position ``n`` whose next character was predicted, ``(positions
    (M,), log p(ids[n+1]) (M,) in nats)``, plus the probabilities ``(M, len(keep))`` of the
    characters ``keep`` when given. ``M = B (L - 1)``, positions in the order of ``ids``.
    ``threads``: BLAS threads (None leaves BLAS alone; one is fastest at these sizes, and far
    faster than two on a machine whose other core is busy)."""
    with blas_threads(threads):
        return _next_char_log_probs(model, ids, batch_size, chunk, keep)


def _next_char_log_probs(model, ids, batch_size, chunk, keep):
    _check_model(model)
    ids = _check_sequence(ids, model.vocab_size)
    s = streams(ids, batch_size)
    B, L = s.shape
    logp_true = np.empty((L - 1, B))
    kept = None if keep is None else np.empty((L - 1, B, len(keep)))
    keep_idx = None if keep is None else np.asarray(keep, dtype=np.int64)
    if keep_idx is not None and keep_idx.size and (keep_idx.min() < 0 or keep_idx.max() >= model.vocab_size):
        raise ValueError(f"keep: expected ids in [0, {model.vocab_size}), got {keep_idx.tolist()}")
    state, ws, t0 = None, Workspace(), 0
    for x, y in chunks(s, chunk):
        logits, cache = forward(x, model, state, workspace=ws)
        logp = log_softmax(logits.astype(np.float64))
        logp_true[t0:t0 + len(x)] = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
        if kept is not None:
            kept[t0:t0 + len(x)] = np.exp(logp[..., keep_idx])
        state, t0 = cache.final_states, t0 + len(x)
    positions = (np.arange(B)[:, None] * L + np.arange(L - 1)[None, :]).ravel()
    out = (positions, logp_true.T.ravel())
    if kept is not None:
        out += (kept.transpose(1, 0, 2).reshape(-1, len(keep)),)
    return out


def evaluate(model: CharModel, ids, *, batch_size: int = 32, chunk: int = 256, threads: int | None = 1) -> float:
    """Bits per character of ``model`` on ``ids (N,)``, read as ``batch_size`` streams each from a
    zero state, the state carried from chunk to chunk (so ``chunk`` changes the speed, not the
    result). ``threads``: as for ``next_char_log_probs``."""
    _, logp = next_char_log_probs(model, ids, batch_size=batch_size, chunk=chunk, threads=threads)
    return float(-logp.mean() * BITS_PER_NAT)


# ----------------------------------------------------------------------------------------------
# Training: truncated BPTT with a carried state
# ----------------------------------------------------------------------------------------------
def train(model: CharModel, ids, *, steps: int, batch_size: int, chunk: int, lr: float = 2e-3,
          final_lr: float | None = None, clip: float | None = 5.0, eval_ids=None,
          eval_every: int = 100, eval_batch_size: int = 32, progress=None, label: str = "",
          threads: int | None = 1, optimizer=None) -> History:
    """Train ``model`` in place on the text ``ids (N,)`` with truncated BPTT.

    The text is cut into ``batch_size`` streams (``streams``); step k reads the next ``chunk``
    characters of every stream from the states the previous step ended in and backpropagates
    through those ``chunk`` steps only. At the end of the text the streams start again from zero
    states (an *epoch*). ``lr``: Adam's step size, decayed linearly to ``final_lr`` (default: no
    decay) over the run; ``clip``: the global gradient-norm threshold (None: none);
    ``eval_ids``: held-out text scored (bits per character, ``evaluate``) every ``eval_every``
    steps and at the end. ``progress``: as for ``train.fit``; ``threads``: BLAS threads (None
    leaves BLAS alone); ``optimizer``: an object with ``step(params, grads)`` and a ``lr``
    attribute, instead of a fresh ``optim.Adam(lr)``.

    Returns a ``train.History`` whose losses are in bits per character: ``loss`` the training
    chunks', ``eval_loss`` the held-out text's. A step whose loss overflows stops the run.
    """
    _check_model(model)
    steps = _validate.positive_int(steps, "steps")
    chunk = _validate.positive_int(chunk, "chunk")
    eval_every = _validate.positive_int(eval_every, "eval_every")
    ids = _check_sequence(ids, model.vocab_size)
    s = streams(ids, batch_size)
    if s.shape[1] <= chunk:
        raise ValueError(f"chunk: expected fewer than {s.shape[1]} steps (the length of each of the "
                         f"{batch_size} streams), got {chunk}")
    if eval_ids is not None:
        eval_ids = _check_sequence(eval_ids, model.vocab_size, "eval_ids")
        streams(eval_ids, eval_batch_size)  # a ValueError now, not after the first steps
    lr = _validate.real(lr, "lr")
    final_lr = lr if final_lr is None else _validate.real(final_lr, "final_lr")
    if lr <= 0 or final_lr <= 0:
        raise ValueError(f"lr, final_lr: expected numbers > 0, got {lr} and {final_lr}")
    if clip is not None and _validate.real(clip, "clip") <= 0:
        raise ValueError(f"clip: expected None or a number > 0, got {clip}")
    if progress is not None and not all(hasattr(progress, m) for m in ("start", "update", "close")):
        raise ValueError("progress: expected None or an object with start, update and close, "
                         f"got {type(progress).__name__}")
    opt = Adam(lr) if optimizer is None else optimizer
    if not (hasattr(opt, "step") and hasattr(opt, "lr")):
        raise ValueError(f"optimizer: expected an object with step(params, grads) and lr, got {type(opt).__name__}")
    params = model.arrays()
    ws = Workspace()
    losses, norms, times = np.full(steps, np.nan), np.full(steps, np.nan), np.full(steps, np.nan)
    ev_step, ev_loss = [], []
    if progress is not None:
        progress.start(steps, label)

    def run_eval(step):
        if eval_ids is not None:
            ev_step.append(step)
            ev_loss.append(evaluate(model, eval_ids, batch_size=eval_batch_size))

    with blas_threads(threads):
        t0 = time.perf_counter()
        run_eval(0)
        reader, state, done, diverged = None, None, 0, None
        for step in range(1, steps + 1):
            if reader is None:
                reader, state = chunks(s, chunk), None  # a new epoch starts from zero states
            try:
                x, y = next(reader)
            except StopIteration:
                reader, state = chunks(s, chunk), None
                x, y = next(reader)
            done = step
            opt.lr = lr + (final_lr - lr) * (step - 1) / max(1, steps - 1)
            try:
                loss, grads, state = loss_and_grads(x, y, model, state, workspace=ws)
            except FloatingPointError:
                diverged, losses[step - 1] = step, np.inf
                times[step - 1] = time.perf_counter() - t0
                break
            g = grads.arrays()
            norm = clip_grad_norm(g, clip) if clip is not None else float(
                np.sqrt(sum(np.sum(np.square(a, dtype=np.float64)) for a in g)))
            losses[step - 1], norms[step - 1] = loss * BITS_PER_NAT, norm
            if not np.isfinite(norm):
                diverged = step
                times[step - 1] = time.perf_counter() - t0
                break
            opt.step(params, g)
            times[step - 1] = time.perf_counter() - t0
            if progress is not None:
                progress.update(step, losses[step - 1])
            if step % eval_every == 0 or step == steps:
                run_eval(step)
        seconds = time.perf_counter() - t0
    hist = History(label, losses[:done], norms[:done], times[:done], np.array(ev_step, dtype=np.int64),
                   np.array(ev_loss, dtype=np.float64), None, seconds, diverged)
    if progress is not None:
        progress.close(hist)
    return hist




# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------
class _Stepper:
    """One character at a time through every layer, for generation (B = 1): the same equations as
    the sequence functions (``fused``), with each layer's weights laid out once for a single row
    instead of at every call, and the first layer's input projection of every character computed
    once (an embedding row times ``W_x`` is a row of ``E W_x^T``). The tests hold its outputs equal
    to ``forward``'s."""

    def __init__(self, model: CharModel):
        self.model = model
        self.layers = []
        for k, p in enumerate(model.layers):
            H = p.hidden_size
            Wx, Wh = p.weights[:, H:], p.weights[:, :H]
            name = model_of(p).name
            entry = {"name": name, "H": H, "Wh": np.ascontiguousarray(Wh.T), "p": p}
            if k == 0:  # every character's input projection, looked up instead of multiplied
                entry["table"] = model.embedding @ Wx.T + p.bias
            else:
                entry["Wx"], entry["b"] = np.ascontiguousarray(Wx.T), p.bias.copy()
            if name == "gru":
                entry["reset_after"] = p.reset_after
                if p.reset_after:
                    entry["b_ch"] = p.hidden_bias
            if name == "rnn":
                from .activations import ACTIVATIONS
                entry["f"] = ACTIVATIONS[p.activation][0]
            self.layers.append(entry)
        self.Wy, self.by = np.ascontiguousarray(model.head.weights.T), model.head.bias

    def step(self, char: int, state: list[dict]) -> np.ndarray:
        """Read character id ``char`` from ``state`` (updated in place, one dict of ``(H,)`` per
        layer); returns the logits ``(V,)``."""
        x = None
        for k, (L, s) in enumerate(zip(self.layers, state)):
            a = L["table"][char].copy() if k == 0 else x @ L["Wx"] + L["b"]
            H, h = L["H"], s["h"]
            if L["name"] == "lstm":  # row blocks f, i, o, c~
                a += h @ L["Wh"]
                g = sigmoid(a[:3 * H])
                c = g[:H] * s["c"] + g[H:2 * H] * np.tanh(a[3 * H:])
                s["c"], s["h"] = c, g[2 * H:] * np.tanh(c)
            elif L["name"] == "gru":  # row blocks z, r, h~
                if L["reset_after"]:
                    rec = h @ L["Wh"]
                    zr = sigmoid(a[:2 * H] + rec[:2 * H])
                    n = np.tanh(a[2 * H:] + zr[H:] * (rec[2 * H:] + L["b_ch"]))
                else:
                    zr = sigmoid(a[:2 * H] + h @ L["Wh"][:, :2 * H])
                    n = np.tanh(a[2 * H:] + (zr[H:] * h) @ L["Wh"][:, 2 * H:])
                s["h"] = h + zr[:H] * (n - h)
            else:
                s["h"] = L["f"](a + h @ L["Wh"])
            x = s["h"]
        return x @ self.Wy + self.by


def sample(model: CharModel, prime, length: int, *, temperature: float = 1.0, rng=0):
    """Generate ``length`` characters after the priming ids ``prime (P,)`` (P >= 1): read the
    primer, then repeatedly draw the next character from ``softmax(z / temperature)`` and feed it
    back. ``temperature`` < 1 sharpens the distribution (towards the most likely character), > 1
    flattens it. Returns ``(ids (length,), probs (length,))``: the characters drawn and the
    probability the tempered distribution gave each."""
    _check_model(model)
    prime = _check_sequence(prime, model.vocab_size, "prime", at_least=1)
    n = _validate.positive_int(length, "length")
    tau = _validate.real(temperature, "temperature")
    if tau <= 0:
        raise ValueError(f"temperature: expected a number > 0, got {temperature}")
    gen = _validate.rng(rng)
    with blas_threads(1):  # one row at a time: a second BLAS thread only adds synchronisation
        return _sample(model, prime, n, tau, gen)


def _sample(model, prime, n, tau, gen):
    logits, cache = forward(prime[:, None], model)
    z = logits[-1, 0]
    state = [{k: v[0].copy() for k, v in s.items()} for s in cache.final_states]
    stepper = _Stepper(model)
    out, probs = np.empty(n, dtype=np.int64), np.empty(n)
    for k in range(n):
        p = np.exp(log_softmax(z.astype(np.float64) / tau))
        nxt = int(min(np.searchsorted(np.cumsum(p), gen.random() * p.sum(), side="right"), p.size - 1))
        out[k], probs[k] = nxt, p[nxt]
        if k < n - 1:
            z = stepper.step(nxt, state)
    return out, probs


def sample_text(model: CharModel, vocab: Vocabulary, prime: str, length: int, *,
                temperature: float = 1.0, rng=0) -> str:
    """``sample`` with text in and out: the ``length`` characters generated after ``prime``
    (characters outside ``vocab`` in the primer are replaced)."""
    if not isinstance(vocab, Vocabulary):
        raise ValueError(f"vocab: expected a charlm.Vocabulary, got {type(vocab).__name__}")
    if len(vocab) != getattr(model, "vocab_size", len(vocab)):
        raise ValueError(f"vocab: expected {model.vocab_size} characters like the model, got {len(vocab)}")
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime: expected a non-empty string, got {prime!r}")
    ids, _ = sample(model, vocab.encode(prime, errors="replace"), length, temperature=temperature, rng=rng)
    return vocab.decode(ids)
