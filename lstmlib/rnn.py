"""The plain (Elman) RNN, the article's starting point, to be read from top to bottom::

    net_t = U x_t + W h_{t-1} + b                weighted input       (R1)
    h_t   = f(net_t)                             new state            (R2)

with ``f`` tanh (default), sigmoid or relu. Backward, with ``dh_t`` the total ``dE/dh_t``::

    delta_t  = dh_t * f'(net_t)                  the article's error term dE/dnet_t
    dh_{t-1} = W^T delta_t  (+ the loss at t-1)  one step back: a matrix and a slope per step
    dW = sum_t delta_t h_{t-1}^T,   dU = sum_t delta_t x_t^T,   db = sum_t delta_t

That product of one ``W`` and one ``diag f'`` per step shrinks or grows exponentially with the
distance in time (chapter 01), which is the whole motivation for the LSTM. The state is ``h``; the
parameters (``RNNParams``: ``U``, ``W``, ``b`` and the activation's name) are in ``params``.
``lstmlib.fused`` computes the same sequences fast; the tests hold the two equal.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import ACTIVATIONS
from .params import RNNGrads, RNNParams
from .state import SequenceCache

__all__ = ["RNNParams", "RNNGrads", "RNNStepCache", "RNNCache", "rnn_step_forward",
           "rnn_step_backward", "rnn_forward", "rnn_backward"]


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


def rnn_step_forward(x: np.ndarray, p: RNNParams, state: np.ndarray | None = None):
    """One step. Inputs: ``x (B, D)``, ``p``, ``state``: ``h_prev (B, H)`` (zeros when ``None``).
    Returns ``(h, cache)``: the new state ``h (B, H)`` and an ``RNNStepCache``."""
    x, h_prev = _validate.step_inputs(p, RNNParams, x, state)
    f, _ = ACTIVATIONS[p.activation]
    h = f(x @ p.U.T + h_prev @ p.W.T + p.b)  # (R1) and (R2); rows: U x is x @ U.T
    return h.copy(), RNNStepCache(x, h_prev, h, p)  # the caller's own h: the backward reads the cache's


def rnn_step_backward(dstate: np.ndarray, cache: RNNStepCache) -> RNNGrads:
    """Backward through one step. Inputs: ``dstate``: ``dh (B, H)``, the total ``dE/dh_t``;
    ``cache`` from ``rnn_step_forward``. Returns an ``RNNGrads``: this step's share of ``U``,
    ``W``, ``b``, ``dX (B, D)``, ``dh0 (B, H)`` (what goes back to ``h_{t-1}``) and ``dh``."""
    dh = _validate.step_grad(dstate, cache, RNNStepCache)
    k, p = cache, cache.params
    _, f_prime = ACTIVATIONS[p.activation]
    delta = dh * f_prime(k.h)  # the article's delta_t = dE/dnet_t, f' read off h_t = f(net_t)
    g = RNNGrads(np.empty_like(p.weights), np.empty_like(p.bias), dX=delta @ p.U, dh0=delta @ p.W, dh=dh)
    g.W[...] = delta.T @ k.h_prev  # summed over the batch
    g.U[...] = delta.T @ k.x
    g.b[...] = delta.sum(axis=0)
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNCache(SequenceCache):
    """What ``rnn_backward`` needs from ``rnn_forward``: the inputs and every step's cache;
    ``h (T, B, H)``, ``hT (B, H)`` and ``final_state`` (a copy of h_T)."""

    X: np.ndarray
    params: RNNParams
    hs: np.ndarray  # (T, B, H), read-only
    steps: tuple

    h0 = property(lambda self: self.steps[0].h_prev.copy(), doc="initial state h_0, (B, H)")


def rnn_forward(X: np.ndarray, p: RNNParams, state: np.ndarray | None = None):
    """Run the RNN over a sequence: ``rnn_step_forward`` at every step.

    Inputs: ``X (T, B, D)``, time-major; ``p``; ``state``: ``h0 (B, H)`` (zeros when ``None``).
    Returns ``(hs, cache)``: ``hs (T, B, H)`` read-only (the cache holds it) and an ``RNNCache``.
    For another activation, pass ``p.with_activation("relu")``.
    """
    X, h = _validate.sequence_inputs(p, RNNParams, X, state)
    hs, steps = [], []
    for x in X:                                # t = 1 .. T
        h, step = rnn_step_forward(x, p, h)    # h_t goes on to step t+1
        hs.append(h)
        steps.append(step)
    hs = np.stack(hs)
    hs.flags.writeable = False
    return hs, RNNCache(X, p, hs, tuple(steps))


def rnn_backward(dhs: np.ndarray, cache: RNNCache, dstate: np.ndarray | None = None, *,
                 state_grads: bool = False) -> RNNGrads:
    """Backpropagation through time: at each step from T down to 1, ``rnn_step_backward`` turns
    the total ``dE/dh_t`` into the error term ``delta_t`` and sends ``W^T delta_t`` back to
    ``h_{t-1}``; the steps' shares of ``U``, ``W``, ``b`` add up.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step; ``cache`` from
    ``rnn_forward``; ``dstate``: ``dhT (B, H)``, a gradient arriving at the final state from later
    on (zeros when ``None``). Returns an ``RNNGrads``: ``U``, ``W``, ``b``, ``dX (T, B, D)``,
    ``dh0 (B, H)``; with ``state_grads=True`` also the per-step totals ``dh (T, B, H)``.
    """
    dhs, dh = _validate.backward_inputs(dhs, cache, RNNCache, "rnn_forward", dstate)
    p = cache.params
    weights, bias = np.zeros_like(p.weights), np.zeros_like(p.bias)
    dX = np.empty_like(cache.X)
    dh_total = np.empty_like(cache.hs)
    for t in reversed(range(len(cache.steps))):           # t = T .. 1
        g = rnn_step_backward(dhs[t] + dh, cache.steps[t])  # the loss at t + what t+1 sent back
        weights += g.weights                               # every step shares U, W, b
        bias += g.bias
        dX[t] = g.dX
        dh_total[t] = g.dh
        dh = g.dh0                                         # W^T delta_t, to step t-1
    return RNNGrads(weights, bias, dX=dX, dh0=dh, dh=dh_total if state_grads else None)
