"""The plain (Elman) RNN, the article's starting point::

    net_t = U x_t + W h_{t-1} + b,        h_t = f(net_t)

with ``f`` tanh (default), sigmoid or relu. Its BPTT error term ``delta_t = dE/dnet_t`` obeys
``delta_{t-1} = W^T delta_t * f'(net_{t-1})`` (plus the loss at t-1): a product of Jacobians that
shrinks or grows exponentially with the distance in time, which is the whole motivation for the LSTM.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from . import _bptt, _scratch, _validate
from .activations import ACTIVATIONS
from .params import BiasBlock, FusedParams, WeightBlock, init_storage

__all__ = ["RNNParams", "RNNGrads", "RNNStepCache", "RNNCache", "rnn_step_forward",
           "rnn_step_backward", "rnn_forward", "rnn_backward"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNParams(FusedParams):
    """``weights (H, H+D)`` = ``[W | U]``, ``bias (H,)``. Names: ``U (H, D)`` the input weights,
    ``W (H, H)`` the recurrent weights, ``b (H,)``."""

    gates: ClassVar[tuple[str, ...]] = ("h",)
    names: ClassVar[tuple[str, ...]] = ("U", "W", "b")
    W = WeightBlock("h", "h")
    U = WeightBlock("h", "x")
    b = BiasBlock("h")

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, dtype=np.float64,
             scale: float | None = None) -> "RNNParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``)."""
        return cls(*init_storage(1, input_size, hidden_size, rng, dtype, scale))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNGrads(RNNParams):
    """Gradients under the parameter names, plus ``dX (T, B, D)`` and ``dh0 (B, H)``; with
    ``state_grads=True`` also ``dh (T, B, H)``, the total ``dE/dh_t`` at every step."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


@dataclasses.dataclass(frozen=True, eq=False)
class RNNStepCache:
    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    activation: str
    params: RNNParams


def rnn_step_forward(x, h_prev, p: RNNParams, activation: str = "tanh"):
    """``h = f(x U^T + h_prev W^T + b)`` for a batch of rows. ``x (B, D)``, ``h_prev (B, H)``.
    Returns ``(h, cache)``."""
    x, h_prev = _validate.step_inputs(p, RNNParams, x=x, h_prev=h_prev)
    f, _ = _activation(activation)
    h = f(x @ p.U.T + h_prev @ p.W.T + p.b)
    return h, RNNStepCache(x, h_prev, h, activation, p)


def rnn_step_backward(dh, cache: RNNStepCache):
    """``dh (B, H)`` the total ``dE/dh_t``. Returns ``(dx, dh_prev, grads)``; ``grads`` an
    ``RNNParams`` of this step's parameter gradients."""
    k = cache
    p = k.params
    (dh,) = _validate.step_inputs(p, RNNParams, dh=dh, batch=k.x.shape[0])
    _, f_prime = _activation(k.activation)
    delta = dh * f_prime(k.h)  # the article's delta_t = dE/dnet_t
    g = p.zeros_like()
    g.W[...] = delta.T @ k.h_prev
    g.U[...] = delta.T @ k.x
    g.b[...] = delta.sum(axis=0)
    return delta @ p.U, delta @ p.W, g


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNCache:
    X: np.ndarray  # (T, B, D)
    params: RNNParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only: h_1 .. h_T
    activation: str

    h = property(lambda self: self.hs, doc="h_t, (T, B, H)")

    def __repr__(self):
        T, B = self.X.shape[:2]
        return f"RNNCache(T={T}, B={B}, activation={self.activation!r}, {self.params!r})"


def rnn_forward(X, p: RNNParams, h0=None, activation: str = "tanh"):
    """Run the RNN over ``X (T, B, D)`` from ``h0 (B, H)`` (zeros when ``None``).
    Returns ``(hs, cache)``, ``hs (T, B, H)`` read-only.

    With a single weighted input per step there are no gate blocks to keep contiguous, so unlike
    the LSTM and GRU this loop works on rows throughout: the buffer that receives every step's
    input projection becomes ``hs`` in place, and nothing is transposed.
    """
    f, _ = _activation(activation)
    X, h0 = _validate.sequence_inputs(p, RNNParams, X, h0=h0)
    T, B, D = X.shape
    H = p.hidden_size
    WT = p.W.T  # rows: net_t = x_t U^T + h_{t-1} W^T + b
    hs = np.empty((T, B, H), dtype=p.dtype)
    np.matmul(X.reshape(T * B, D), p.U.T, out=hs.reshape(T * B, H))  # every input projection
    hs += p.b
    rec = np.empty((B, H), dtype=p.dtype)
    h = h0
    for t in range(T):
        np.matmul(h, WT, out=rec)
        a = hs[t]
        a += rec
        if activation == "tanh":
            np.tanh(a, out=a)
        else:
            a[...] = f(a)
        h = a
    hs.flags.writeable = False
    return hs, RNNCache(X, p, h0, hs, activation)


def rnn_backward(dhs, cache: RNNCache, *, state_grads: bool = False) -> RNNGrads:
    """BPTT for ``rnn_forward``. ``dhs (T, B, H)``. Returns ``RNNGrads`` (with
    ``state_grads=True`` also the per-step total ``dh (T, B, H)``)."""
    dhs = _validate.output_grads(dhs, cache, RNNCache, "rnn_forward")
    p = cache.params
    T, B, D = cache.X.shape
    H = p.hidden_size
    _, f_prime = _activation(cache.activation)
    W = p.W
    deltas = _scratch.scratch("deltas", (T, B, H), p.dtype)  # the article's delta_t = dE/dnet_t, as rows
    dh = np.zeros((B, H), dtype=p.dtype)
    dh_steps = np.empty((T, B, H), dtype=p.dtype) if state_grads else None
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        if state_grads:
            dh_steps[t] = dh
        h, delta = cache.hs[t], deltas[t]
        if cache.activation == "tanh":  # 1 - h^2 without temporaries
            np.multiply(h, h, out=delta)
            np.subtract(1.0, delta, out=delta)
        else:
            delta[...] = f_prime(h)
        delta *= dh
        np.matmul(delta, W, out=dh)
    cols = deltas.transpose(2, 0, 1)  # (H, T, B) view: the layout _bptt sums over
    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _bptt.input_grads(cols, cache.X, p.U)
    grad_W[:, :H] = _bptt.recurrent_grad(cols, cache.h0, cache.hs)
    return RNNGrads(grad_W, grad_b, dX=dX, dh0=dh, dh=dh_steps)
