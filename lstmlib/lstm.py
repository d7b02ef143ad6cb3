"""The LSTM, to be read from top to bottom: its parameters, one step forward and backward, and a
whole sequence forward and backward as loops over the steps.

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

In code a batch of B sequences is stored as rows, so ``W_fh h`` becomes ``h @ W_fh.T``. The
sequence functions here are the reference: short and slow. ``lstmlib.fused`` computes the same
numbers fast (the tests hold the two equal); training and the explorers use that one.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from . import _validate, unroll
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .params import BiasBlock, Fused, Grads, Params, WeightBlock, init_storage

__all__ = ["LSTMParams", "LSTMGrads", "LSTMStepCache", "LSTMCache", "lstm_step_forward",
           "lstm_step_backward", "lstm_forward", "lstm_backward"]


class LSTMLayout(Fused):
    """Where the article's 12 parameters live: ``weights`` is ``(4H, H+D)`` with row blocks in the
    order f, i, o, c~ (the three sigmoid gates first, so that one call activates them all) and
    ``bias`` is ``(4H,)``. ``W_fh (H, H)``, ``W_fx (H, D)``, ``b_f (H,)`` and likewise i, c, o."""

    gates: ClassVar[tuple[str, ...]] = ("f", "i", "o", "c")
    names: ClassVar[tuple[str, ...]] = (
        "W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_ch", "W_cx", "b_c", "W_oh", "W_ox", "b_o",
    )
    W_fh = WeightBlock("f", "h"); W_fx = WeightBlock("f", "x"); b_f = BiasBlock("f")  # noqa: E702
    W_ih = WeightBlock("i", "h"); W_ix = WeightBlock("i", "x"); b_i = BiasBlock("i")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702
    W_oh = WeightBlock("o", "h"); W_ox = WeightBlock("o", "x"); b_o = BiasBlock("o")  # noqa: E702


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMParams(LSTMLayout, Params):
    """The LSTM's 12 parameters in fused storage (see ``LSTMLayout``)."""

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, forget_bias: float = 0.0,
             dtype=np.float64, scale: float | None = None) -> "LSTMParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``), then ``b_f``
        set to ``forget_bias`` (1 is the usual choice for training: Jozefowicz et al. 2015).
        ``rng``: a ``np.random.Generator`` or an int seed."""
        forget_bias = _validate.real(forget_bias, "forget_bias")
        weights, bias, _ = init_storage(4, input_size, hidden_size, rng, dtype, scale)
        p = cls(weights, bias)
        p.b_f[...] = forget_bias
        return p


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMGrads(LSTMLayout, Grads):
    """Gradients of a scalar loss E under the parameters' names (``g.W_fh`` ...), and of the
    inputs and initial states: ``dX``, ``dh0``, ``dc0``.

    From ``lstm_backward``: ``dX (T, B, D)``, ``dh0`` and ``dc0 (B, H)``, and with
    ``state_grads=True`` also ``dh`` and ``dc (T, B, H)``, the total ``dE/dh_t`` and ``dE/dc_t``
    at every step. From ``lstm_step_backward``: this step's share of the parameter gradients,
    ``dX (B, D)`` the gradient of its input ``x_t``, ``dh0``, ``dc0 (B, H)`` what it sends back to
    the states it started from (``h_{t-1}`` through the gates, ``c_{t-1}`` through the carry), and
    ``dh``, ``dc (B, H)`` the totals ``dE/dh_t``, ``dE/dc_t`` at this step.
    """

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dc0: np.ndarray | None = None
    dh: np.ndarray | None = None
    dc: np.ndarray | None = None

    @property
    def dstate0(self) -> dict:
        """``{"h": dh0, "c": dc0}``: the gradients of the initial states, by state name."""
        return {"h": self.dh0, "c": self.dc0}


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


def lstm_step_forward(x: np.ndarray, p: LSTMParams, h_prev: np.ndarray | None = None,
                      c_prev: np.ndarray | None = None):
    """One step of equations (1)-(6).

    Inputs: ``x (B, D)``, ``p`` an ``LSTMParams``, ``h_prev`` and ``c_prev (B, H)`` (zeros when
    ``None``). Returns ``(h, c, cache)``: ``h`` and ``c (B, H)``, and an ``LSTMStepCache``.
    """
    x, h_prev, c_prev = _validate.step_inputs(p, LSTMParams, x=x, h_prev=h_prev, c_prev=c_prev)
    f = sigmoid(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f)          # (1) forget gate
    i = sigmoid(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i)          # (2) input gate
    c_tilde = np.tanh(h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c)    # (3) candidate cell state
    c = f * c_prev + i * c_tilde                                   # (4) cell state
    o = sigmoid(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o)          # (5) output gate
    tanh_c = np.tanh(c)
    h = o * tanh_c                                                 # (6) output
    return h, c, LSTMStepCache(x, h_prev, c_prev, f, i, c_tilde, o, c, tanh_c, p)


def lstm_step_backward(dh: np.ndarray, dc: np.ndarray | None, cache: LSTMStepCache) -> LSTMGrads:
    """Backward through one step.

    Inputs: ``dh (B, H)``, the total ``dE/dh_t`` (a); ``dc (B, H)``, the part of ``dE/dc_t`` that
    does NOT go through ``h_t``: in a sequence the carry ``dc_{t+1} * f_{t+1}`` from the next step
    (``None``: zeros, as at the last step); ``cache`` from ``lstm_step_forward``.
    Returns an ``LSTMGrads``: this step's share of every parameter's gradient, ``dX (B, D)``;
    ``dh0``, ``dc0 (B, H)``: what goes back to ``h_{t-1}`` (through the four gates) and to
    ``c_{t-1}`` (the carry); ``dh``, ``dc (B, H)``: the totals ``dE/dh_t`` and ``dE/dc_t``.
    """
    k = cache
    p = k.params
    dh, dc = _validate.step_inputs(p, LSTMParams, dh=dh, dc=dc, batch=k.x.shape[0])
    dc = dc + dh * k.o * tanh_grad_from_output(k.tanh_c)           # (b) both paths into c_t
    d_o = dh * k.tanh_c * sigmoid_grad_from_output(k.o)            # (c) delta_o
    d_f = dc * k.c_prev * sigmoid_grad_from_output(k.f)            # (c) delta_f
    d_i = dc * k.c_tilde * sigmoid_grad_from_output(k.i)           # (c) delta_i
    d_c = dc * k.i * tanh_grad_from_output(k.c_tilde)              # (c) delta_c~

    g = LSTMGrads(np.zeros_like(p.weights), np.zeros_like(p.bias),
                  dX=np.zeros_like(k.x), dh0=np.zeros_like(k.h_prev), dc0=dc * k.f,  # (e) the carry
                  dh=dh, dc=dc)
    for gate, delta in (("f", d_f), ("i", d_i), ("c", d_c), ("o", d_o)):
        getattr(g, f"W_{gate}h")[...] = delta.T @ k.h_prev      # (d) sum over the batch of delta h^T
        getattr(g, f"W_{gate}x")[...] = delta.T @ k.x           # (d)
        getattr(g, f"b_{gate}")[...] = delta.sum(axis=0)        # (d)
        g.dh0[...] += delta @ getattr(p, f"W_{gate}h")          # (a) W_gh^T delta, as rows
        g.dX[...] += delta @ getattr(p, f"W_{gate}x")           # (e)
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMCache(unroll.SequenceCache):
    """What ``lstm_backward`` needs from ``lstm_forward``: the inputs and every step's cache.

    The article's quantities over the whole sequence, ``(T, B, H)`` each: ``f``, ``i``,
    ``c_tilde``, ``o``, ``c`` (c_1 .. c_T) and ``h`` (h_1 .. h_T); the final states ``hT``,
    ``cT (B, H)`` and ``final_state`` (hand it to the next chunk's ``lstm_forward``).
    """

    X: np.ndarray  # (T, B, D)
    params: LSTMParams
    hs: np.ndarray  # (T, B, H), read-only: the array lstm_forward returned
    steps: tuple  # T LSTMStepCache
    states = ("h", "c")

    def _stack(self, name):
        return np.stack([getattr(s, name) for s in self.steps])

    f = property(lambda self: self._stack("f"), doc="forget gate f_t, (T, B, H)")
    i = property(lambda self: self._stack("i"), doc="input gate i_t, (T, B, H)")
    o = property(lambda self: self._stack("o"), doc="output gate o_t, (T, B, H)")
    c_tilde = property(lambda self: self._stack("c_tilde"), doc="candidate c~_t, (T, B, H)")
    c = property(lambda self: self._stack("c"), doc="cell state c_t, (T, B, H)")
    cT = property(lambda self: self.steps[-1].c, doc="final cell state c_T, (B, H)")
    h0 = property(lambda self: self.steps[0].h_prev, doc="initial state h_0, (B, H)")
    c0 = property(lambda self: self.steps[0].c_prev, doc="initial cell state c_0, (B, H)")


def lstm_forward(X: np.ndarray, p: LSTMParams, h0: np.ndarray | None = None,
                 c0: np.ndarray | None = None):
    """Run the LSTM over a sequence: ``lstm_step_forward`` at every step (``unroll.forward``).

    Inputs: ``X (T, B, D)``; ``p``; ``h0``, ``c0 (B, H)`` (zeros when ``None``).
    Returns ``(hs, cache)``: ``hs (T, B, H)`` the outputs h_1 .. h_T (read-only, the cache holds
    them) and an ``LSTMCache`` (``cache.final_state`` to continue from).
    """
    X, h0, c0 = _validate.sequence_inputs(p, LSTMParams, X, h0=h0, c0=c0)
    hs, steps = unroll.forward(lstm_step_forward, X, p, (h0, c0))
    return hs, LSTMCache(X, p, hs, steps)


def lstm_backward(dhs: np.ndarray, cache: LSTMCache, dhT: np.ndarray | None = None,
                  dcT: np.ndarray | None = None, *, state_grads: bool = False) -> LSTMGrads:
    """Backpropagation through time: ``lstm_step_backward`` from step T down to 1, carrying the
    two error signals dh and dc (``unroll.backward``), then the steps' shares summed.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step (zeros where no loss is
    attached); ``cache`` from ``lstm_forward``; ``dhT``, ``dcT (B, H)``: gradients arriving at the
    final states from later on (the next chunk, a decoder; zeros when ``None``).
    Returns an ``LSTMGrads`` with every parameter's gradient and ``dX (T, B, D)``, ``dh0``,
    ``dc0 (B, H)``; with ``state_grads=True`` also the per-step totals ``dh``, ``dc (T, B, H)``.
    """
    dhs, dhT, dcT = _validate.backward_inputs(dhs, cache, LSTMCache, "lstm_forward", dhT=dhT, dcT=dcT)
    shares = unroll.backward(lstm_step_backward, dhs, cache.steps, (dhT, dcT))
    return unroll.sequence_grads(LSTMGrads, shares, state_grads)  # (d): sum of the steps' shares
