"""The plain (Elman) RNN, the article's starting point, to be read from top to bottom::

    net_t = U x_t + W h_{t-1} + b                weighted input       (R1)
    h_t   = f(net_t)                             new state            (R2)

with ``f`` tanh (default), sigmoid or relu. Backward, with ``dh_t`` the total ``dE/dh_t``::

    delta_t  = dh_t * f'(net_t)                  the article's error term dE/dnet_t
    dh_{t-1} = W^T delta_t  (+ the loss at t-1)  one step back: a matrix and a slope per step
    dW = sum_t delta_t h_{t-1}^T,   dU = sum_t delta_t x_t^T,   db = sum_t delta_t

That product of one ``W`` and one ``diag f'`` per step shrinks or grows exponentially with the
distance in time (chapter 01), which is the whole motivation for the LSTM. ``lstmlib.fused``
computes the same sequences fast; the tests hold the two equal.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from . import _validate, unroll
from .activations import ACTIVATIONS
from .params import BiasBlock, Fused, Grads, Params, WeightBlock, init_storage

__all__ = ["RNNParams", "RNNGrads", "RNNStepCache", "RNNCache", "rnn_step_forward",
           "rnn_step_backward", "rnn_forward", "rnn_backward"]


class RNNLayout(Fused):
    """``weights (H, H+D)`` = ``[W | U]``, ``bias (H,)``: ``U (H, D)`` the input weights,
    ``W (H, H)`` the recurrent weights, ``b (H,)``."""

    gates: ClassVar[tuple[str, ...]] = ("h",)
    names: ClassVar[tuple[str, ...]] = ("U", "W", "b")
    W = WeightBlock("h", "h")
    U = WeightBlock("h", "x")
    b = BiasBlock("h")


def check_activation(name) -> str:
    """``name`` if it is one of ``activations.ACTIVATIONS``, else a ValueError."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return name


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNParams(RNNLayout, Params):
    """The plain RNN's parameters (see ``RNNLayout``) and its activation function ``f``, one of
    ``"tanh"``, ``"sigmoid"``, ``"relu"`` (part of the model, but not learned)."""

    activation: str = "tanh"

    def __post_init__(self):
        super().__post_init__()
        check_activation(self.activation)

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, activation: str = "tanh",
             dtype=np.float64, scale: float | None = None) -> "RNNParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``).
        ``rng``: a ``np.random.Generator`` or an int seed."""
        weights, bias, _ = init_storage(1, input_size, hidden_size, rng, dtype, scale)
        return cls(weights, bias, check_activation(activation))

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", {self.activation})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNGrads(RNNLayout, Grads):
    """Gradients under the parameters' names, and ``dX``, ``dh0``: from ``rnn_backward``
    ``dX (T, B, D)`` and ``dh0 (B, H)``, with ``state_grads=True`` also ``dh (T, B, H)``, the total
    ``dE/dh_t`` at every step; from ``rnn_step_backward`` one step's share, ``dX (B, D)``,
    ``dh0 (B, H)`` and ``dh (B, H)``, the total ``dE/dh_t`` it received."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None

    @property
    def dstate0(self) -> dict:
        """``{"h": dh0}``: the gradient of the initial state, by state name."""
        return {"h": self.dh0}


# ----------------------------------------------------------------------------------------------
# One step
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class RNNStepCache:
    """What ``rnn_step_backward`` needs: ``x (B, D)``, ``h_prev`` and ``h (B, H)``."""

    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    params: RNNParams


def rnn_step_forward(x: np.ndarray, p: RNNParams, h_prev: np.ndarray | None = None):
    """One step. Inputs: ``x (B, D)``, ``p``, ``h_prev (B, H)`` (zeros when ``None``).
    Returns ``(h, cache)``: ``h (B, H)`` and an ``RNNStepCache``."""
    x, h_prev = _validate.step_inputs(p, RNNParams, x=x, h_prev=h_prev)
    f, _ = ACTIVATIONS[p.activation]
    h = f(x @ p.U.T + h_prev @ p.W.T + p.b)  # (R1) and (R2), rows: U x is x @ U.T
    return h, RNNStepCache(x, h_prev, h, p)


def rnn_step_backward(dh: np.ndarray, cache: RNNStepCache) -> RNNGrads:
    """Backward through one step. Inputs: ``dh (B, H)``, the total ``dE/dh_t``; ``cache`` from
    ``rnn_step_forward``. Returns an ``RNNGrads``: this step's share of ``U``, ``W``, ``b``,
    ``dX (B, D)``, ``dh0 (B, H)`` (what goes back to ``h_{t-1}``) and ``dh`` (the ``dh`` given)."""
    k = cache
    p = k.params
    (dh,) = _validate.step_inputs(p, RNNParams, dh=dh, batch=k.x.shape[0])
    _, f_prime = ACTIVATIONS[p.activation]
    delta = dh * f_prime(k.h)  # the article's delta_t = dE/dnet_t, f' read off h_t = f(net_t)
    g = RNNGrads(np.zeros_like(p.weights), np.zeros_like(p.bias), dX=delta @ p.U, dh0=delta @ p.W, dh=dh)
    g.W[...] = delta.T @ k.h_prev  # summed over the batch
    g.U[...] = delta.T @ k.x
    g.b[...] = delta.sum(axis=0)
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNCache(unroll.SequenceCache):
    """What ``rnn_backward`` needs from ``rnn_forward``: the inputs and every step's cache;
    ``h (T, B, H)`` and ``hT (B, H)``."""

    X: np.ndarray
    params: RNNParams
    hs: np.ndarray  # (T, B, H), read-only
    steps: tuple

    h0 = property(lambda self: self.steps[0].h_prev, doc="initial state h_0, (B, H)")


def rnn_forward(X: np.ndarray, p: RNNParams, h0: np.ndarray | None = None,
                activation: str | None = None):
    """Run the RNN over a sequence: ``rnn_step_forward`` at every step (``unroll.forward``).

    Inputs: ``X (T, B, D)``, ``p``, ``h0 (B, H)`` (zeros when ``None``); ``activation``, when
    given, replaces ``p.activation`` for this call. Returns ``(hs, cache)``: ``hs (T, B, H)``
    read-only (the cache holds it) and an ``RNNCache``.
    """
    p = with_activation(p, activation)
    X, h0 = _validate.sequence_inputs(p, RNNParams, X, h0=h0)
    hs, steps = unroll.forward(rnn_step_forward, X, p, (h0,))
    return hs, RNNCache(X, p, hs, steps)


def rnn_backward(dhs: np.ndarray, cache: RNNCache, dhT: np.ndarray | None = None, *,
                 state_grads: bool = False) -> RNNGrads:
    """Backpropagation through time (``unroll.backward``): at each step from T down to 1,
    ``rnn_step_backward`` turns the total ``dE/dh_t`` into the error term ``delta_t`` and sends
    ``W^T delta_t`` back to ``h_{t-1}``; the steps' shares of ``U``, ``W``, ``b`` are summed.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step; ``cache`` from
    ``rnn_forward``; ``dhT (B, H)``, a gradient arriving at the final state from later on (zeros
    when ``None``). Returns an ``RNNGrads``: ``U``, ``W``, ``b``, ``dX (T, B, D)``, ``dh0 (B, H)``;
    with ``state_grads=True`` also the per-step totals ``dh (T, B, H)``.
    """
    dhs, dhT = _validate.backward_inputs(dhs, cache, RNNCache, "rnn_forward", dhT=dhT)
    shares = unroll.backward(rnn_step_backward, dhs, cache.steps, (dhT,))
    return unroll.sequence_grads(RNNGrads, shares, state_grads)


def with_activation(p: RNNParams, activation: str | None) -> RNNParams:
    """``p``, or a view of its storage with another activation function (the storage is shared,
    so the result trains and changes with ``p``)."""
    _validate.params(p, RNNParams)
    if activation is None or activation == p.activation:
        return p
    return dataclasses.replace(p, activation=check_activation(activation))
