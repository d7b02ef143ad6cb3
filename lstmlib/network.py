"""A recurrent network: inputs, a stack of recurrent layers, a linear head. What training trains.

Bottom to top::

    x_t = X[t]              the inputs (T, B, D) ...
    x_t = E[id_t]           ... or, for ids (T, B), a row of the embedding E (V, D): the same as a
                            one-hot vector times E, without the product (chapter 07's characters)
    h_t = layers(x_1..x_t)  recurrent layers (``stack``), each reading the outputs of the one below
    y   = W_y h_T + b_y     the head: one prediction per sequence from the last step (chapter 06) ...
    y_t = W_y h_t + b_y     ... or one at every step (``every_step``: the next character)

``dropout`` (Zaremba, Sutskever and Vinyals 2014) zeroes each non-recurrent connection with that
probability while training, and scales the survivors by ``1 / (1 - dropout)``: the inputs of every
layer and of the head. The recurrent connections (``h_{t-1} -> h_t``) are never dropped. The masks
are drawn by ``dropout_masks`` and passed in, so a gradient check can hold them fixed.

Functions follow the library's order, data then model then state: ``forward(X, model, state)``,
``loss_and_grads(X, y, model, state)``, ``predict(X, model)``, ``evaluate(X, y, model)``. A network's
state is the stack's: a list with one state per layer (``lstmlib.state``).
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple, Sequence

import numpy as np

from . import _validate
from .fused import Workspace
from .losses import LOSSES
from .models import get_model, model_of
from .stack import StackCache, stack_backward, stack_forward

__all__ = ["Linear", "SequenceModel", "make_model", "ModelCache", "ModelGrads", "Score", "dropout_masks",
           "forward", "backward", "loss_and_grads", "predict", "evaluate"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Linear:
    """The readout ``y = W_y h + b_y``: ``weights (K, H)``, ``bias (K,)``."""

    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def init(cls, hidden_size: int, output_size: int, rng, dtype=np.float64) -> "Linear":
        """Weights from ``U(-k, k)``, ``k = 1/sqrt(H)``; bias zero."""
        H = _validate.positive_int(hidden_size, "hidden_size")
        K = _validate.positive_int(output_size, "output_size")
        dt = _validate.as_dtype(dtype)
        k = 1.0 / np.sqrt(H)
        w = _validate.rng(rng).uniform(-k, k, size=(K, H)).astype(dt)
        return cls(w, np.zeros(K, dtype=dt))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.weights, self.bias)

    def copy(self) -> "Linear":
        return Linear(self.weights.copy(), self.bias.copy())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SequenceModel:
    """Recurrent ``layers`` (parameter objects, bottom first: each reads the hidden size of the
    one below), a ``Linear`` ``head``, an optional ``embedding (V, D)`` (then the inputs are ids),
    ``every_step`` (a prediction at every step instead of one from the last) and ``dropout`` (the
    probability of dropping a non-recurrent connection while training). All arrays share a dtype."""

    layers: tuple
    head: Linear
    embedding: np.ndarray | None = None
    every_step: bool = False
    dropout: float = 0.0

    def __post_init__(self):
        layers = tuple(self.layers) if isinstance(self.layers, (list, tuple)) else (self.layers,)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise ValueError("layers: expected at least one recurrent layer, got none")
        E = self.embedding
        if E is not None:
            if not isinstance(E, np.ndarray) or E.ndim != 2:
                got = E.shape if isinstance(E, np.ndarray) else type(E).__name__
                raise ValueError(f"embedding: expected None or a 2-D array (V, D), got {got}")
            _validate.as_dtype(E.dtype, "embedding dtype")
        dt = layers[0].dtype if E is None else E.dtype
        size = layers[0].input_size if E is None else E.shape[1]
        for k, p in enumerate(layers):
            model_of(p, f"layers[{k}]")
            if p.input_size != size:
                raise ValueError(f"layers[{k}]: expected input size {size} (the size below), got {p.input_size}")
            if p.dtype != dt:
                raise ValueError(f"layers[{k}]: expected dtype {dt} like the rest of the model, got {p.dtype}")
            size = p.hidden_size
        if not isinstance(self.head, Linear):
            raise ValueError(f"head: expected a network.Linear, got {type(self.head).__name__}")
        K = self.head.weights.shape[0]
        if self.head.weights.shape != (K, size) or self.head.bias.shape != (K,):
            raise ValueError(f"head: expected weights (K, {size}) and bias (K,), got "
                             f"{self.head.weights.shape} and {self.head.bias.shape}")
        if self.head.weights.dtype != dt or self.head.bias.dtype != dt:
            raise ValueError(f"head: expected dtype {dt} like the layers, got {self.head.weights.dtype}")
        if not isinstance(self.every_step, (bool, np.bool_)):
            raise ValueError(f"every_step: expected True or False, got {self.every_step!r}")
        rate = _validate.real(self.dropout, "dropout")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {self.dropout}")

    # sizes and kinds ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``"rnn"``, ``"lstm"`` or ``"gru"`` (``"mixed"`` when the layers differ)."""
        kinds = {model_of(p).name for p in self.layers}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def cell(self):
        """The recurrent layer of a one-layer model."""
        if len(self.layers) != 1:
            raise AttributeError(f"cell: a model of {len(self.layers)} layers has no single cell; use layers")
        return self.layers[0]

    @property
    def input_size(self) -> int:
        """D, the size of what the bottom layer reads (the embedding's width for ids)."""
        return self.layers[0].input_size

    @property
    def vocab_size(self) -> int | None:
        """V, the number of ids the embedding holds (``None`` without an embedding)."""
        return None if self.embedding is None else self.embedding.shape[0]

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(p.hidden_size for p in self.layers)

    @property
    def output_size(self) -> int:
        return self.head.weights.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return self.head.weights.dtype

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every trainable array, in a fixed order: the embedding, each layer's, the head's (the
        order of ``ModelGrads.arrays()``; what an optimizer updates in place)."""
        out = () if self.embedding is None else (self.embedding,)
        for p in self.layers:
            out += p.arrays()
        return out + self.head.arrays()

    @property
    def num_parameters(self) -> int:
        return sum(a.size for a in self.arrays())

    def copy(self) -> "SequenceModel":
        return self.astype(self.dtype)

    def astype(self, dtype) -> "SequenceModel":
        """A copy in ``dtype`` (float32 or float64)."""
        dt = _validate.as_dtype(dtype)
        return dataclasses.replace(
            self, layers=tuple(p.astype(dt) for p in self.layers),
            head=Linear(self.head.weights.astype(dt), self.head.bias.astype(dt)),
            embedding=None if self.embedding is None else self.embedding.astype(dt))

    def describe(self) -> str:
        """One line, e.g. ``"LSTM 2x192, embedding 96x32, 490,080 parameters"`` (a stack of
        different models names them bottom first: ``"LSTM-GRU 64-32, ..."``)."""
        titles = [model_of(p).title for p in self.layers]
        title = titles[0] if len(set(titles)) == 1 else "-".join(titles)
        sizes = self.hidden_sizes
        shape = f"{len(sizes)}x{sizes[0]}" if len(set(sizes)) == 1 and len(sizes) > 1 else "-".join(map(str, sizes))
        parts = [f"{title} {shape}"]
        if self.embedding is not None:
            parts.append(f"embedding {self.embedding.shape[0]}x{self.embedding.shape[1]}")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        return ", ".join(parts + [f"{self.num_parameters:,} parameters"])

    def __repr__(self) -> str:
        return f"SequenceModel({self.describe()})"


def make_model(kind: str, input_size: int, hidden_size: int, output_size: int, rng, *, layers: int = 1,
               vocab_size: int | None = None, every_step: bool = False, dropout: float = 0.0,
               dtype=np.float64, scale: float | None = None, **options) -> SequenceModel:
    """A fresh ``SequenceModel``: ``layers`` layers of ``kind`` (``"rnn"``, ``"lstm"``, ``"gru"``)
    with ``hidden_size`` units and a head of ``output_size``. With ``vocab_size`` the inputs are ids
    and an embedding ``(vocab_size, input_size)`` drawn from ``N(0, 1)`` comes first. ``options``
    are the layers' own (``forget_bias``, ``reset_after``, ``activation``), with the defaults of
    ``MODELS[kind].options``; ``scale`` as for ``Params.init``. Draws from ``rng`` in the order
    embedding, layers bottom to top, head."""
    model = get_model(kind, "kind")
    options = model.check_options(options)
    L = _validate.positive_int(layers, "layers")
    dt = _validate.as_dtype(dtype)
    gen = _validate.rng(rng)
    embedding = None
    if vocab_size is not None:
        V = _validate.positive_int(vocab_size, "vocab_size")
        embedding = gen.standard_normal((V, _validate.positive_int(input_size, "input_size"))).astype(dt)
    stack, size = [], input_size
    for _ in range(L):
        stack.append(model.init(size, hidden_size, gen, dtype=dt, scale=scale, **options))
        size = hidden_size
    return SequenceModel(tuple(stack), Linear.init(hidden_size, output_size, gen, dtype=dt), embedding,
                         bool(every_step), dropout)


# ----------------------------------------------------------------------------------------------
# Forward and backward
# ----------------------------------------------------------------------------------------------
class Masks(NamedTuple):
    """Dropout masks: ``layers``, one ``(T, B, D_k)`` array per layer (its input), and ``head``,
    ``(T, B, H)`` or ``(B, H)`` (what the head reads); entries 0 or ``1 / (1 - dropout)``."""

    layers: tuple
    head: np.ndarray


def dropout_masks(model: SequenceModel, steps: int, batch: int, rng) -> Masks | None:
    """Fresh dropout masks for ``steps`` x ``batch`` inputs, or ``None`` when ``model.dropout`` is
    0. ``rng``: a Generator or a seed."""
    _check_model(model)
    if not model.dropout:
        return None
    T, B = _validate.positive_int(steps, "steps"), _validate.positive_int(batch, "batch")
    gen = _validate.rng(rng)
    keep = 1.0 - model.dropout

    def mask(shape):
        return ((gen.random(shape) < keep) / keep).astype(model.dtype)

    sizes = (model.input_size,) + model.hidden_sizes[:-1]
    head = mask((T, B, model.hidden_sizes[-1]) if model.every_step else (B, model.hidden_sizes[-1]))
    return Masks(tuple(mask((T, B, d)) for d in sizes), head)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ModelCache:
    """What ``backward`` needs from ``forward``: the ``model``, the ``inputs`` (ids or X), the
    ``stack``'s cache, what the head read (``read``), the ``masks``; ``final_state``."""

    model: SequenceModel
    inputs: np.ndarray
    stack: StackCache
    read: np.ndarray
    masks: Masks | None

    @property
    def final_state(self) -> list:
        """Each layer's final state (copies), bottom first: where the next chunk starts."""
        return self.stack.final_state


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ModelGrads:
    """The gradients of a scalar loss: ``embedding`` (``None`` without one), ``layers`` (one
    ``Grads`` per layer, bottom first), ``head_weights``, ``head_bias``; ``dX`` (the inputs', for
    float inputs) and ``dstate0`` (one per layer: what a backward pass through the previous chunk
    would receive)."""

    embedding: np.ndarray | None
    layers: tuple
    head_weights: np.ndarray
    head_bias: np.ndarray
    dX: np.ndarray | None

    @property
    def dstate0(self) -> list:
        return [g.dstate0 for g in self.layers]

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order of ``SequenceModel.arrays()``."""
        out = () if self.embedding is None else (self.embedding,)
        for g in self.layers:
            out += g.arrays()
        return out + (self.head_weights, self.head_bias)


def _check_model(model) -> None:
    if not isinstance(model, SequenceModel):
        raise ValueError(f"model: expected a SequenceModel (see make_model), got {type(model).__name__}")


def _inputs(X, model: SequenceModel) -> np.ndarray:
    """The bottom layer's inputs: ``X`` itself, or the embedding rows of the ids ``X (T, B)``."""
    if model.embedding is None:
        return X
    ids = np.asarray(X)
    V = model.vocab_size
    if ids.dtype.kind not in "iu":
        raise ValueError(f"X: expected integer ids (T, B) for a model with an embedding, got dtype {ids.dtype}")
    if ids.ndim != 2 or 0 in ids.shape:
        raise ValueError(f"X: expected ids of shape (T, B) with T, B >= 1, got shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"X: expected ids in [0, {V}), got values in [{ids.min()}, {ids.max()}]")
    return model.embedding[ids]  # (T, B, D): a row lookup is a one-hot vector times E


def forward(X, model: SequenceModel, state: Sequence | None = None, *, masks: Masks | None = None,
            workspace: Workspace | None = None):
    """The model's predictions. ``X (T, B, D)`` floats, or ids ``(T, B)`` with an embedding;
    ``state``: one per layer (``None``: zeros); ``masks``: from ``dropout_masks`` while training
    (``None``: no dropout, as for evaluation). Returns ``(outputs, cache)``: ``outputs (B, K)``,
    or ``(T, B, K)`` with ``every_step``, and a ``ModelCache`` (``cache.final_state``)."""
    _check_model(model)
    x = _inputs(X, model)
    layer_masks = None if masks is None else masks.layers
    hs, stack = stack_forward(x, model.layers, state, masks=layer_masks, workspace=workspace)
    read = hs if model.every_step else hs[-1]  # (T, B, H) or (B, H)
    if masks is not None:
        read = read * masks.head
    W, b = model.head.weights, model.head.bias
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows here (see loss_and_grads)
        outputs = (read.reshape(-1, W.shape[1]) @ W.T + b).reshape(read.shape[:-1] + (W.shape[0],))
    return outputs, ModelCache(model, X, stack, read, masks)


def backward(doutputs: np.ndarray, cache: ModelCache, dstate: Sequence | None = None, *,
             workspace: Workspace | None = None) -> ModelGrads:
    """BPTT through the head, the layers (top to bottom: each layer's ``dX`` is the error of the
    outputs of the layer below, the article's equation 14) and the embedding. ``doutputs``:
    ``dE/d(outputs)``, the shape ``forward`` returned; ``dstate``: the gradient arriving at each
    layer's final state from a later chunk (``None``: the gradient is truncated there). Raises
    ``FloatingPointError`` when the error at the head overflows (a diverged run)."""
    if not isinstance(cache, ModelCache):
        raise ValueError(f"cache: expected the ModelCache returned by network.forward, got {type(cache).__name__}")
    model = cache.model
    W = model.head.weights
    want = cache.read.shape[:-1] + (W.shape[0],)
    d = _validate.array(doutputs, "doutputs", ndim=len(want), dims="(T, B, K)" if model.every_step else "(B, K)",
                        shape=want, dtype=model.dtype)
    d2, read2 = d.reshape(-1, W.shape[0]), cache.read.reshape(-1, W.shape[1])
    dW = d2.T @ read2  # the head: dW_y = sum dy h^T, db_y = sum dy, dE/dh = dy W_y
    db = d2.sum(axis=0)
    dread = (d2 @ W).reshape(cache.read.shape)
    if not (np.isfinite(dread.min()) and np.isfinite(dread.max())):  # not an input error: a diverging run
        raise FloatingPointError("the gradient overflowed in the head: the run diverged")
    if cache.masks is not None:
        dread *= cache.masks.head
    hs = cache.stack.layers[-1].hs
    if model.every_step:
        dhs = dread
    else:  # the head reads h_T alone: no error enters from above at the earlier steps
        dhs = np.zeros_like(hs)
        dhs[-1] = dread
    layer_grads = stack_backward(dhs, cache.stack, dstate, workspace=workspace)
    dX = layer_grads[0].dX  # (T, B, D)
    dE = None
    if model.embedding is not None:
        dE = _embedding_grad(cache.inputs, dX, model.vocab_size)
        dX = None
    return ModelGrads(dE, tuple(layer_grads), dW, db, dX)


def _embedding_grad(ids, dX: np.ndarray, vocab_size: int) -> np.ndarray:
    """``dE (V, D)``: each id's row gets the error of every step that read it, ``dE[v] = sum of
    dX[t, b]`` over the ``(t, b)`` with ``ids[t, b] = v`` (``x = E[id]`` is a one-hot vector times
    ``E``, so ``dE = onehot^T dX``). One ``bincount`` over (id, column) pairs, summed in float64:
    several times faster than ``np.add.at`` and, unlike a one-hot product, small for any ``V``."""
    D = dX.shape[-1]
    pairs = (np.asarray(ids).reshape(-1, 1) * D + np.arange(D)).ravel()
    sums = np.bincount(pairs, weights=dX.reshape(-1), minlength=vocab_size * D)
    return sums.reshape(vocab_size, D).astype(dX.dtype)


def loss_and_grads(X, y, model: SequenceModel, state: Sequence | None = None, *, loss: str = "mse",
                   masks: Masks | None = None, workspace: Workspace | None = None):
    """Forward, the loss, and backward, for one batch.

    ``X``: as for ``forward``; ``y``: ``(B, K)`` floats for ``"mse"`` or ``(B,)`` ints for
    ``"xent"`` (with ``T`` in front when ``model.every_step``); ``state``: where the batch starts.
    Returns ``(loss, grads, final_state)``: the mean loss (nats for ``"xent"``), a ``ModelGrads``
    whose ``arrays()`` match ``model.arrays()``, and each layer's final state (for the next chunk).
    Raises ``FloatingPointError`` when the loss or a gradient overflows, in the loss or anywhere in
    the backward pass (a diverged run).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    outputs, cache = forward(X, model, state, masks=masks, workspace=workspace)
    with np.errstate(over="ignore", invalid="ignore"):
        value, doutputs = LOSSES[loss](outputs, y)
    if not (np.isfinite(value) and np.all(np.isfinite(doutputs))):
        raise FloatingPointError(f"the loss or its gradient overflowed (loss {value:.3g}): the run diverged")
    try:  # large weights can overflow the backward pass although the loss did not: diverged too
        with np.errstate(over="raise", invalid="raise"):
            grads = backward(doutputs.astype(model.dtype, copy=False), cache, workspace=workspace)
    except FloatingPointError as err:
        raise FloatingPointError(f"the gradient overflowed in the backward pass (loss {value:.3g}): "
                                 "the run diverged") from err
    if not all(np.isfinite(a.min()) and np.isfinite(a.max()) for a in grads.arrays()):
        raise FloatingPointError(f"the gradient overflowed (loss {value:.3g}): the run diverged")
    return value, grads, cache.final_state


def predict(X, model: SequenceModel, state: Sequence | None = None) -> np.ndarray:
    """The head's outputs without dropout: ``(B, K)``, or ``(T, B, K)`` with ``every_step``."""
    outputs, _ = forward(X, model, state)
    return outputs


class Score(NamedTuple):
    """A model's loss on held-out data, and its accuracy (``None`` for a regression)."""

    loss: float
    accuracy: float | None


def evaluate(X, y, model: SequenceModel, *, loss: str = "mse") -> Score:
    """``Score(loss, accuracy)`` of ``model`` on ``(X, y)``, without dropout; a diverged model's
    loss reads ``inf``."""
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    pred = predict(X, model)
    with np.errstate(over="ignore", invalid="ignore"):
        value, _ = LOSSES[loss](pred, y)
    value = float(value) if np.isfinite(value) else np.inf
    accuracy = None if loss == "mse" else float(np.mean(pred.argmax(axis=-1) == np.asarray(y)))
    return Score(value, accuracy)
