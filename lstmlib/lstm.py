"""The LSTM: parameters, one step forward and backward, and whole sequences forward and backward.

The article's equations (column vectors; ``[h, x]`` is the concatenation, hidden state first)::

    f_t  = sigmoid(W_f [h_{t-1}, x_t] + b_f)      forget gate   (1)
    i_t  = sigmoid(W_i [h_{t-1}, x_t] + b_i)      input gate    (2)
    c~_t = tanh   (W_c [h_{t-1}, x_t] + b_c)      candidate     (3)
    c_t  = f_t * c_{t-1} + i_t * c~_t             cell state    (4)
    o_t  = sigmoid(W_o [h_{t-1}, x_t] + b_o)      output gate   (5)
    h_t  = o_t * tanh(c_t)                        output        (6)

Two implementations of the same mathematics live here, and the tests hold them equal:

* ``lstm_step_forward`` / ``lstm_step_backward`` follow the equations line by line with the
  article's names, one time step, a batch as rows (``W_fh @ h`` becomes ``h @ W_fh.T``). They are
  the ones to read.
* ``lstm_forward`` / ``lstm_backward`` process a whole sequence fast: the input projections of all
  steps in one matrix product before the loop, ONE product per step for all four gates, and the
  weight gradients in one product after the loop. Inside the loop they hold states as columns
  ``(H, B)``, the article's own convention: then each gate is a contiguous block of the product's
  output and the elementwise work runs about 3x faster than on the strided column blocks that rows
  would give. Inputs and outputs keep the public row shapes ``(T, B, ...)``.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from . import _bptt, _scratch, _validate
from .activations import sigmoid, sigmoid_, sigmoid_grad_from_output, tanh_grad_from_output
from .params import BiasBlock, FusedParams, WeightBlock, init_storage

__all__ = [
    "LSTMParams", "LSTMGrads", "LSTMStepCache", "LSTMCache",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMParams(FusedParams):
    """The LSTM's 12 parameters in fused storage.

    ``weights`` is ``(4H, H+D)``, row blocks in the order f, i, o, c~ (the three sigmoid gates first
    so that one call activates them all); ``bias`` is ``(4H,)``. The article's names are writable
    views: ``W_fh (H, H)``, ``W_fx (H, D)``, ``b_f (H,)`` and likewise for i, c, o.
    """

    gates: ClassVar[tuple[str, ...]] = ("f", "i", "o", "c")
    names: ClassVar[tuple[str, ...]] = (
        "W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_ch", "W_cx", "b_c", "W_oh", "W_ox", "b_o",
    )
    W_fh = WeightBlock("f", "h"); W_fx = WeightBlock("f", "x"); b_f = BiasBlock("f")  # noqa: E702
    W_ih = WeightBlock("i", "h"); W_ix = WeightBlock("i", "x"); b_i = BiasBlock("i")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702
    W_oh = WeightBlock("o", "h"); W_ox = WeightBlock("o", "x"); b_o = BiasBlock("o")  # noqa: E702

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, forget_bias: float = 0.0,
             dtype=np.float64, scale: float | None = None) -> "LSTMParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``), then ``b_f``
        set to ``forget_bias`` (1 is the usual choice for training: Jozefowicz et al. 2015)."""
        forget_bias = _validate.real(forget_bias, "forget_bias")
        p = cls(*init_storage(4, input_size, hidden_size, rng, dtype, scale))
        p.b_f[...] = forget_bias
        return p


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMGrads(LSTMParams):
    """Gradients of a scalar loss E: ``dE/d(param)`` under the parameter names (``g.W_fh`` ...),
    plus ``dX (T, B, D)``, ``dh0 (B, H)`` and ``dc0 (B, H)``; with ``state_grads=True`` also
    ``dh`` and ``dc (T, B, H)``, the total ``dE/dh_t`` and ``dE/dc_t`` at every step."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dc0: np.ndarray | None = None
    dh: np.ndarray | None = None  # (T, B, H) total dE/dh_t, with state_grads=True
    dc: np.ndarray | None = None  # (T, B, H) total dE/dc_t, with state_grads=True


# ----------------------------------------------------------------------------------------------
# One time step, written for reading
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


def lstm_step_forward(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, p: LSTMParams):
    """One step of equations (1)-(6).

    Shapes: ``x (B, D)``, ``h_prev (B, H)``, ``c_prev (B, H)``. Returns ``(h, c, cache)`` with
    ``h, c`` of shape ``(B, H)``.
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


def lstm_step_backward(dh: np.ndarray, dc: np.ndarray, cache: LSTMStepCache):
    """Backward through one step.

    ``dh (B, H)`` is the total ``dE/dh_t``; ``dc (B, H)`` is ``dE/dc_t`` through the paths that do
    NOT go through ``h_t`` (in a sequence: ``dc_{t+1} * f_{t+1}`` from the next step, the
    cell-state carry). Returns ``(dx, dh_prev, dc_prev, grads)``: ``dx (B, D)``, ``dh_prev`` and
    ``dc_prev (B, H)`` (this step's contributions to ``dE/dh_{t-1}`` and the carry to step t-1),
    and ``grads``, an ``LSTMParams`` holding this step's parameter gradients.
    """
    k = cache
    p = k.params
    dh, dc = _validate.step_inputs(p, LSTMParams, dh=dh, dc=dc, batch=k.x.shape[0])
    # h = o * tanh(c): dE/dc gets the path through h on top of the carried path
    dc = dc + dh * k.o * tanh_grad_from_output(k.tanh_c)
    # Error terms of the four pre-activations (the article's delta_o, delta_f, delta_i, delta_c~)
    d_o = dh * k.tanh_c * sigmoid_grad_from_output(k.o)
    d_f = dc * k.c_prev * sigmoid_grad_from_output(k.f)
    d_i = dc * k.c_tilde * sigmoid_grad_from_output(k.i)
    d_c = dc * k.i * tanh_grad_from_output(k.c_tilde)

    g = p.zeros_like()
    dh_prev = np.zeros_like(k.h_prev)
    dx = np.zeros_like(k.x)
    for gate, delta in (("f", d_f), ("i", d_i), ("c", d_c), ("o", d_o)):
        getattr(g, f"W_{gate}h")[...] = delta.T @ k.h_prev   # sum over the batch of delta h^T
        getattr(g, f"W_{gate}x")[...] = delta.T @ k.x
        getattr(g, f"b_{gate}")[...] = delta.sum(axis=0)
        dh_prev += delta @ getattr(p, f"W_{gate}h")        # W_gh^T delta, as rows
        dx += delta @ getattr(p, f"W_{gate}x")
    dc_prev = dc * k.f                                     # the cell-state carry to step t-1
    return dx, dh_prev, dc_prev, g


# ----------------------------------------------------------------------------------------------
# Whole sequences, written for speed
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMCache:
    """What ``lstm_backward`` needs from ``lstm_forward``.

    The per-step arrays are stored column-wise (``(T, ., B)``, one contiguous block per step); the
    properties give the article's quantities in the public row shapes ``(T, B, H)`` as views:
    ``f``, ``i``, ``c_tilde``, ``o``, ``c`` (c_1..c_T) and ``h`` (h_1..h_T).
    """

    X: np.ndarray  # (T, B, D)
    params: LSTMParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only: the array lstm_forward returned
    gates: np.ndarray  # (T, 4H, B): activated f, i, o, c~
    cells: np.ndarray  # (T+1, H, B): c_0 .. c_T
    tanh_cells: np.ndarray  # (T, H, B): tanh(c_1) .. tanh(c_T)

    def _gate(self, name):
        H = self.params.hidden_size
        k = self.params.gate_index(name)
        return self.gates[:, k * H:(k + 1) * H, :].transpose(0, 2, 1)

    f = property(lambda self: self._gate("f"), doc="forget gate f_t, (T, B, H)")
    i = property(lambda self: self._gate("i"), doc="input gate i_t, (T, B, H)")
    o = property(lambda self: self._gate("o"), doc="output gate o_t, (T, B, H)")
    c_tilde = property(lambda self: self._gate("c"), doc="candidate c~_t, (T, B, H)")
    c = property(lambda self: self.cells[1:].transpose(0, 2, 1), doc="cell state c_t, (T, B, H)")
    h = property(lambda self: self.hs, doc="output h_t, (T, B, H)")

    def __repr__(self):
        T, B = self.X.shape[:2]
        return f"LSTMCache(T={T}, B={B}, {self.params!r})"


def lstm_forward(X: np.ndarray, p: LSTMParams, h0: np.ndarray | None = None,
                 c0: np.ndarray | None = None):
    """Run the LSTM over a sequence.

    ``X (T, B, D)``; ``h0, c0 (B, H)``, zeros when ``None``. Returns ``(hs, cache)`` with
    ``hs (T, B, H)`` the outputs h_1..h_T. ``hs`` is read-only because the cache holds it for the
    backward pass; take ``hs.copy()`` to modify it.
    """
    X, h0, c0 = _validate.sequence_inputs(p, LSTMParams, X, h0=h0, c0=c0)
    T, B, _ = X.shape
    H = p.hidden_size
    Wh = np.ascontiguousarray(p.weights[:, :H])  # (4H, H)
    Wx = p.weights[:, H:]  # (4H, D)

    gates = np.empty((T, 4 * H, B), dtype=p.dtype)
    np.matmul(Wx, X.transpose(0, 2, 1), out=gates)  # every step's input projection at once
    gates += p.bias[:, None]
    cells = np.empty((T + 1, H, B), dtype=p.dtype)
    cells[0] = c0.T
    tanh_cells = np.empty((T, H, B), dtype=p.dtype)
    hs = np.empty((T, B, H), dtype=p.dtype)
    h = h0.T.copy()  # the current state as columns, (H, B); a copy: it is written into
    recurrent = np.empty((4 * H, B), dtype=p.dtype)
    scratch = np.empty((H, B), dtype=p.dtype)
    for t in range(T):
        a = gates[t]
        np.matmul(Wh, h, out=recurrent)  # the one product of this step
        a += recurrent
        sigmoid_(a[:3 * H])  # f, i, o
        np.tanh(a[3 * H:], out=a[3 * H:])  # c~
        f, i, o, c_tilde = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        c = cells[t + 1]
        np.multiply(f, cells[t], out=c)
        np.multiply(i, c_tilde, out=scratch)
        c += scratch
        np.tanh(c, out=tanh_cells[t])
        np.multiply(o, tanh_cells[t], out=h)
        hs[t] = h.T
    hs.flags.writeable = False
    return hs, LSTMCache(X, p, h0, hs, gates, cells, tanh_cells)


def lstm_backward(dhs: np.ndarray, cache: LSTMCache, *, state_grads: bool = False) -> LSTMGrads:
    """Backpropagation through time for ``lstm_forward``.

    ``dhs (T, B, H)`` holds ``dE/dh_t`` from the loss at each step (zeros where no loss is
    attached). The recursion, with ``dh``/``dc`` the total derivatives::

        dc_t = dh_t * o_t * (1 - tanh^2 c_t) + dc_{t+1} * f_{t+1}        (the cell-state carry)
        dh_{t-1} = dhs_{t-1} + sum_g W_gh^T delta_g,t

    Returns ``LSTMGrads`` with every parameter's gradient and ``dX``, ``dh0``, ``dc0``; with
    ``state_grads=True`` also the per-step ``dh`` and ``dc (T, B, H)`` (what chapter 04 plots).
    """
    dhs = _validate.output_grads(dhs, cache, LSTMCache, "lstm_forward")
    p = cache.params
    T, B, D = cache.X.shape
    H = p.hidden_size
    Wh = np.ascontiguousarray(p.weights[:, :H])

    # Error terms of the gate pre-activations with (step, sample) pairs as columns, so that the
    # weight gradients below are single matrix products over all steps.
    deltas = _scratch.scratch("deltas", (4 * H, T, B), p.dtype)
    d = np.empty((4 * H, B), dtype=p.dtype)  # this step's error terms, contiguous
    d_f, d_i, d_o, d_c = d[:H], d[H:2 * H], d[2 * H:3 * H], d[3 * H:]
    dh = np.zeros((H, B), dtype=p.dtype)  # dE/dh_t through the future
    dc = np.zeros((H, B), dtype=p.dtype)  # the carry dE/dc_{t+1} * f_{t+1}
    s = np.empty((H, B), dtype=p.dtype)
    dh_steps = np.empty((T, B, H), dtype=p.dtype) if state_grads else None
    dc_steps = np.empty((T, B, H), dtype=p.dtype) if state_grads else None
    for t in range(T - 1, -1, -1):
        a = cache.gates[t]
        f, i, o, c_tilde = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        tanh_c = cache.tanh_cells[t]
        dh += dhs[t].T
        # dc_t = carry + dh * o * (1 - tanh^2 c)
        np.multiply(tanh_c, tanh_c, out=s)
        np.subtract(1.0, s, out=s)
        s *= o
        s *= dh
        dc += s
        if state_grads:
            dh_steps[t], dc_steps[t] = dh.T, dc.T
        # delta_o = dh * tanh(c) * o (1 - o)
        np.subtract(1.0, o, out=s)
        s *= o
        np.multiply(dh, tanh_c, out=d_o)
        d_o *= s
        # delta_f = dc * c_{t-1} * f (1 - f)
        np.subtract(1.0, f, out=s)
        s *= f
        np.multiply(dc, cache.cells[t], out=d_f)
        d_f *= s
        # delta_i = dc * c~ * i (1 - i)
        np.subtract(1.0, i, out=s)
        s *= i
        np.multiply(dc, c_tilde, out=d_i)
        d_i *= s
        # delta_c~ = dc * i * (1 - c~^2)
        np.multiply(c_tilde, c_tilde, out=s)
        np.subtract(1.0, s, out=s)
        np.multiply(dc, i, out=d_c)
        d_c *= s
        deltas[:, t, :] = d
        # to step t-1: dh through all four gates in one product, dc through the forget gate
        np.matmul(Wh.T, d, out=dh)
        dc *= f

    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _bptt.input_grads(deltas, cache.X, p.weights[:, H:])
    grad_W[:, :H] = _bptt.recurrent_grad(deltas, cache.h0, cache.hs)
    return LSTMGrads(grad_W, grad_b, dX=dX, dh0=np.ascontiguousarray(dh.T),
                     dc0=np.ascontiguousarray(dc.T), dh=dh_steps, dc=dc_steps)
