"""The LSTM, to be read from top to bottom: one step forward and backward, then a whole sequence
forward and backward as loops over the steps.

Forward, the article's equations (column vectors; ``[h, x]`` is the concatenation, ``h`` first)::

    f_t  = sigmoid(W_f [h_{t-1}, x_t] + b_f)      forget gate            (1)
    i_t  = sigmoid(W_i [h_{t-1}, x_t] + b_i)      input gate             (2)
    c~_t = tanh   (W_c [h_{t-1}, x_t] + b_c)      candidate cell state   (3)
    c_t  = f_t * c_{t-1} + i_t * c~_t             cell state             (4)
    o_t  = sigmoid(W_o [h_{t-1}, x_t] + b_o)      output gate            (5)
    h_t  = o_t * tanh(c_t)                        output                 (6)

Backward (chapter 03 derives it; ``dh_t``, ``dc_t`` are total derivatives of the loss E, and
``delta_g,t`` is the error term of gate g's weighted input ``W_gh h_{t-1} + W_gx x_t + b_g``)::

    dh_t      = dE_t/dh_t + sum_g W_gh^T delta_g,t+1                                        (a)
    dc_t      = dh_t * o_t * (1 - tanh^2 c_t) + dc_{t+1} * f_{t+1}    (the cell-state carry) (b)
    delta_o,t = dh_t * tanh(c_t) * o_t (1 - o_t)                                            (c)
    delta_f,t = dc_t * c_{t-1} * f_t (1 - f_t)                                              (c)
    delta_i,t = dc_t * c~_t * i_t (1 - i_t)                                                 (c)
    delta_c,t = dc_t * i_t * (1 - c~_t^2)                                                   (c)
    dW_gh = sum_t delta_g,t h_{t-1}^T,   dW_gx = sum_t delta_g,t x_t^T,   db_g = sum_t delta_g,t (d)
    dx_t  = sum_g W_gx^T delta_g,t,      dc_{t-1} gets dc_t * f_t                            (e)

In code a batch of B sequences is stored as rows, so ``W_fh h`` becomes ``h @ W_fh.T``. The state
is the pair ``(h, c)`` (an ``LSTMState``). The parameters (``LSTMParams``: the 12 names above as
views onto one fused matrix) are in ``params``. These loops are the reference, short and slow;
``lstmlib.fused`` computes the same numbers fast (the tests hold the two equal).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .params import LSTMGrads, LSTMParams
from .state import LSTMState, SequenceCache

__all__ = ["LSTMParams", "LSTMGrads", "LSTMState", "LSTMStepCache", "LSTMCache", "lstm_step_forward",
           "lstm_step_backward", "lstm_forward", "lstm_backward"]


# ----------------------------------------------------------------------------------------------
# One step
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class LSTMStepCache:
    """What ``lstm_step_backward`` needs from ``lstm_step_forward``; every array ``(B, .)``."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    params: LSTMParams


def lstm_step_forward(x: np.ndarray, p: LSTMParams, state: LSTMState | None = None):
    """One step of equations (1)-(6).

    Inputs: ``x (B, D)``, ``p``, ``state = (h_prev, c_prev)``, each ``(B, H)`` (zeros when
    ``None``). Returns ``(state, cache)``: the new ``LSTMState(h, c)`` and an ``LSTMStepCache``.
    """
    x, (h_prev, c_prev) = _validate.step_inputs(p, LSTMParams, x, state, cell=True)
    f = sigmoid(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f)          # (1) forget gate
    i = sigmoid(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i)          # (2) input gate
    c_tilde = np.tanh(h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c)    # (3) candidate cell state
    c = f * c_prev + i * c_tilde                                   # (4) cell state
    o = sigmoid(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o)          # (5) output gate
    tanh_c = np.tanh(c)
    h = o * tanh_c                                                 # (6) output
    state = LSTMState(h, c.copy())  # the caller's own c: the cache keeps its c_t
    return state, LSTMStepCache(x, h_prev, c_prev, f, i, c_tilde, o, c, tanh_c, p)


def lstm_step_backward(dstate: LSTMState, cache: LSTMStepCache) -> LSTMGrads:
    """Backward through one step.

    Inputs: ``dstate = (dh, dc)``, the gradient arriving at the state ``(h_t, c_t)`` the step
    returned: ``dh (B, H)`` the total ``dE/dh_t`` (a), ``dc (B, H)`` the part of ``dE/dc_t`` that
    does not go through ``h_t`` (in a sequence, the carry ``dc_{t+1} * f_{t+1}``; ``None``: zeros);
    ``cache`` from ``lstm_step_forward``. Returns an ``LSTMGrads``: this step's share of every
    parameter's gradient, ``dX (B, D)``, and ``dh0``, ``dc0 (B, H)``, what goes back to the state
    the step started from (``h_{t-1}`` through the four gates, ``c_{t-1}`` through the carry).
    """
    dh, dc = _validate.step_grad(dstate, cache, LSTMStepCache, cell=True)
    k, p = cache, cache.params
    dc = dc + dh * k.o * tanh_grad_from_output(k.tanh_c)           # (b) both paths into c_t
    d_o = dh * k.tanh_c * sigmoid_grad_from_output(k.o)            # (c) delta_o
    d_f = dc * k.c_prev * sigmoid_grad_from_output(k.f)            # (c) delta_f
    d_i = dc * k.c_tilde * sigmoid_grad_from_output(k.i)           # (c) delta_i
    d_c = dc * k.i * tanh_grad_from_output(k.c_tilde)              # (c) delta_c~

    dh_prev = d_f @ p.W_fh + d_i @ p.W_ih + d_c @ p.W_ch + d_o @ p.W_oh   # (a) sum_g W_gh^T delta_g
    dx = d_f @ p.W_fx + d_i @ p.W_ix + d_c @ p.W_cx + d_o @ p.W_ox        # (e) sum_g W_gx^T delta_g
    g = LSTMGrads(np.empty_like(p.weights), np.empty_like(p.bias), dX=dx, dh0=dh_prev,
                  dc0=dc * k.f, dh=dh, dc=dc)                             # (e) the carry to c_{t-1}
    # (d): delta h^T summed over the batch is delta.T @ h_prev with rows as samples
    g.W_fh[...] = d_f.T @ k.h_prev; g.W_fx[...] = d_f.T @ k.x; g.b_f[...] = d_f.sum(axis=0)  # noqa: E702
    g.W_ih[...] = d_i.T @ k.h_prev; g.W_ix[...] = d_i.T @ k.x; g.b_i[...] = d_i.sum(axis=0)  # noqa: E702
    g.W_ch[...] = d_c.T @ k.h_prev; g.W_cx[...] = d_c.T @ k.x; g.b_c[...] = d_c.sum(axis=0)  # noqa: E702
    g.W_oh[...] = d_o.T @ k.h_prev; g.W_ox[...] = d_o.T @ k.x; g.b_o[...] = d_o.sum(axis=0)  # noqa: E702
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMCache(SequenceCache):
    """What ``lstm_backward`` needs from ``lstm_forward``: the inputs and every step's cache.

    The article's quantities over the whole sequence, ``(T, B, H)`` each (fresh arrays): ``f``,
    ``i``, ``c_tilde``, ``o``, ``c`` (c_1 .. c_T) and ``h`` (h_1 .. h_T, read-only); ``hT``,
    ``cT (B, H)``; ``final_state``, the ``LSTMState`` to start the next chunk from.
    """

    X: np.ndarray  # (T, B, D)
    params: LSTMParams
    hs: np.ndarray  # (T, B, H), read-only: the array lstm_forward returned
    steps: tuple  # T LSTMStepCache, step 1 first
    has_cell = True

    def _stack(self, name):
        return np.stack([getattr(s, name) for s in self.steps])

    f = property(lambda self: self._stack("f"), doc="forget gate f_t, (T, B, H)")
    i = property(lambda self: self._stack("i"), doc="input gate i_t, (T, B, H)")
    o = property(lambda self: self._stack("o"), doc="output gate o_t, (T, B, H)")
    c_tilde = property(lambda self: self._stack("c_tilde"), doc="candidate c~_t, (T, B, H)")
    c = property(lambda self: self._stack("c"), doc="cell state c_t, (T, B, H)")
    cT = property(lambda self: self.steps[-1].c.copy(), doc="final cell state c_T, (B, H)")
    h0 = property(lambda self: self.steps[0].h_prev.copy(), doc="initial output h_0, (B, H)")
    c0 = property(lambda self: self.steps[0].c_prev.copy(), doc="initial cell state c_0, (B, H)")


def lstm_forward(X: np.ndarray, p: LSTMParams, state: LSTMState | None = None):
    """Run the LSTM over a sequence: ``lstm_step_forward`` at every step.

    Inputs: ``X (T, B, D)``, time-major; ``p``; ``state = (h0, c0)``, each ``(B, H)`` (zeros when
    ``None``; a cache's ``final_state`` continues a sequence). Returns ``(hs, cache)``: ``hs (T, B,
    H)`` the outputs h_1 .. h_T (read-only: the cache holds them) and an ``LSTMCache``.
    """
    X, state = _validate.sequence_inputs(p, LSTMParams, X, state, cell=True)
    hs, steps = [], []
    for x in X:                                       # t = 1 .. T
        state, step = lstm_step_forward(x, p, state)  # (1)-(6); (h_t, c_t) goes on to step t+1
        hs.append(state.h)
        steps.append(step)
    hs = np.stack(hs)
    hs.flags.writeable = False
    return hs, LSTMCache(X, p, hs, tuple(steps))


def lstm_backward(dhs: np.ndarray, cache: LSTMCache, dstate: LSTMState | None = None, *,
                  state_grads: bool = False) -> LSTMGrads:
    """Backpropagation through time: ``lstm_step_backward`` from step T down to 1, carrying the
    two error signals ``dh`` and ``dc`` back one step at a time.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step (zeros where no loss is
    attached); ``cache`` from ``lstm_forward``; ``dstate = (dhT, dcT)``, gradients arriving at the
    final state from later on (the next chunk, a decoder; zeros when ``None``).
    Returns an ``LSTMGrads`` with every parameter's gradient, ``dX (T, B, D)``, ``dh0``, ``dc0 (B,
    H)``; with ``state_grads=True`` also the per-step totals ``dh``, ``dc (T, B, H)``.
    """
    dhs, (dh, dc) = _validate.backward_inputs(dhs, cache, LSTMCache, "lstm_forward", dstate, cell=True)
    p = cache.params
    weights, bias = np.zeros_like(p.weights), np.zeros_like(p.bias)
    dX = np.empty_like(cache.X)
    dh_total, dc_total = np.empty_like(cache.hs), np.empty_like(cache.hs)
    for t in reversed(range(len(cache.steps))):                   # t = T .. 1
        g = lstm_step_backward((dhs[t] + dh, dc), cache.steps[t])  # (a): the loss at t + what t+1 sent
        weights += g.weights                                       # (d): every step shares the weights,
        bias += g.bias                                             # so their gradients add up
        dX[t] = g.dX
        dh_total[t], dc_total[t] = g.dh, g.dc
        dh, dc = g.dh0, g.dc0       # to step t-1: sum_g W_gh^T delta_g (a) and the carry dc_t * f_t (e)
    return LSTMGrads(weights, bias, dX=dX, dh0=dh, dc0=dc,
                     dh=dh_total if state_grads else None, dc=dc_total if state_grads else None)
