"""Fast sequence forward and backward passes of the RNN, the LSTM and the GRU.

They compute exactly what the readable loops in ``rnn``, ``lstm`` and ``gru`` compute (the tests
hold them equal to 1e-13 forward, 1e-10 backward) with the same signatures and the same gradient
types, and they are what training, the explorers and the benchmarks call. What makes them fast:

1. The input projections of all steps in ONE matrix product before the loop, the bias included
   (``_input_projection``), and all weight gradients in one product after it (``_input_grads``,
   ``_recurrent_grad``; the bias gradients too, as a matrix-vector product).
2. ONE matrix product per step for all gates, through the fused ``weights`` (``params``), with the
   recurrent weights in the layout that product prefers: backward, ``W_h^T`` is copied into a
   contiguous array once per call (with OpenBLAS's AVX-512 kernels the step's product then runs
   about 20% faster than on the transposed view; no slower with the AVX2 ones).
3. States as columns ``(H, B)`` inside the gated loops, the article's own convention: each gate's
   block of a product's output is then contiguous, and the elementwise work runs about 3x faster
   than on the strided blocks that rows would give. Inputs and outputs keep the row shapes.
4. Few elementwise passes, since at B = 32 each numpy call costs about as much as its arithmetic:
   ONE ``tanh`` activates all four LSTM gates (the GRU's z and r), with
   ``sigmoid(a) = (1 + tanh(a/2)) / 2`` and the sigmoid gates' weights halved beforehand (exactly:
   a power of two), instead of ``exp`` and a reciprocal; backward, the four gates' error terms
   are multiplied by their activations' slopes in one pass over the ``(4H, B)`` block.
5. Preallocated buffers and ``out=`` arguments: no temporaries inside the loops.
6. Optionally, a caller-held ``Workspace`` that lends the large arrays from one call to the next.

Each model's step is one small kernel (``_LSTMStep``, ``_GRUStep``, ``_RNNStep``) that the
sequence loop runs at every step and that ``*_stepper`` runs alone, for generation one character
at a time: the fast mathematics is written once per model.

One idea, "the same mathematics, fast", for three models; the readable versions are the place to
learn the mathematics from.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import ACTIVATIONS
from .params import GRUGrads, GRUParams, LSTMGrads, LSTMParams, RNNGrads, RNNParams
from .state import LSTMState, SequenceCache

__all__ = ["Workspace", "FusedLSTMCache", "FusedGRUCache", "FusedRNNCache", "lstm_forward",
           "lstm_backward", "gru_forward", "gru_backward", "rnn_forward", "rnn_backward", "lstm_stepper",
           "gru_stepper", "rnn_stepper"]


class Workspace:
    """Large arrays a caller lends to the fused passes, reused from one call to the next.

    Without one, every call allocates its arrays afresh: at the benchmark's largest size the
    forward cache and the backward's error terms are hundreds of MB, and fresh pages must be
    faulted in and zeroed by the operating system on every call (``benchmarks/bench_rnns.py``
    shows both ways). With one, a training loop touches the same memory at every step.

    Rules: a forward pass given a workspace builds ``hs`` and its cache in the workspace's
    arrays, so they stay valid only until the next forward pass with the same workspace; a
    backward pass refuses a cache that a later forward has overwritten. Gradients are always fresh
    arrays. ``part(key)`` gives an independent workspace for each layer of a stack.
    """

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}
        self._parts: dict = {}
        self.generation = 0  # counts the forward passes that wrote into this workspace

    def array(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype``, the same memory as last time when
        the shape and dtype are the same."""
        a = self._arrays.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            self._arrays.pop(name, None)  # free the old one before allocating its successor
            a = self._arrays[name] = np.empty(shape, dtype=dtype)
        return a

    def part(self, key) -> "Workspace":
        """A workspace of its own for ``key`` (e.g. a layer's index), kept by this one."""
        return self._parts.setdefault(key, Workspace())

    @property
    def nbytes(self) -> int:
        """Memory held, this workspace and its parts."""
        return sum(a.nbytes for a in self._arrays.values()) + sum(p.nbytes for p in self._parts.values())

    def __repr__(self) -> str:
        return f"Workspace({len(self._arrays)} arrays, {self.nbytes / 2**20:.1f} MiB)"


def _allocator(workspace: Workspace | None, prefix: str):
    """``new(name, shape, dtype)``: an array from ``workspace`` (named ``prefix + name``), or a
    fresh one when there is no workspace."""
    if workspace is None:
        return lambda name, shape, dtype: np.empty(shape, dtype=dtype)
    if not isinstance(workspace, Workspace):
        raise ValueError(f"workspace: expected a fused.Workspace or None, got {type(workspace).__name__}")
    return lambda name, shape, dtype: workspace.array(prefix + name, shape, dtype)


def _stamp_forward(workspace):
    """What marks a cache built in ``workspace``: ``(workspace, its new generation)``."""
    if workspace is None:
        return None
    workspace.generation += 1
    return (workspace, workspace.generation)


def _check_fresh(cache) -> None:
    if cache.stamp is not None and cache.stamp[0].generation != cache.stamp[1]:
        raise ValueError("cache: expected the cache of the latest forward pass with its workspace, "
                         "got one whose arrays a later forward pass has overwritten")


def _begin_backward(dhs, cache, cache_type, model: str, workspace, dstate, cell: bool = False):
    """A backward pass's checks: its ``dhs`` and final-state gradient (returned, zeros for
    ``None``), a cache that no later forward has overwritten; and its allocator."""
    checked = _validate.backward_inputs(dhs, cache, cache_type, f"fused.{model}_forward", dstate, cell=cell)
    _check_fresh(cache)
    return checked, _allocator(workspace, model + ".")


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _own(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a``: the cache's own, which no one else can change."""
    a = a.copy()
    a.flags.writeable = False
    return a


def _input_projection(X: np.ndarray, Wx: np.ndarray, b: np.ndarray, new) -> np.ndarray:
    """``gates[t] = W_x x_t + b`` as columns ``(T, G*H, B)`` for every step of ``X (T, B, D)`` in
    ONE product, in arrays from the allocator ``new``; the bias rides along as a last column of
    ``W_x`` against a row of ones under the inputs (no pass over all the gates to add it)."""
    T, B, D = X.shape
    W1 = np.empty((Wx.shape[0], D + 1), dtype=Wx.dtype)
    W1[:, :D], W1[:, D] = Wx, b
    X1 = new("inputs_and_ones", (T, D + 1, B), X.dtype)
    X1[:, :D], X1[:, D] = X.transpose(0, 2, 1), 1.0
    return np.matmul(W1, X1, out=new("gates", (T, Wx.shape[0], B), X.dtype))


def _input_grads(deltas: np.ndarray, X: np.ndarray, Wx: np.ndarray):
    """``(dW_x, db, dX)`` from the error terms ``deltas (G*H, T, B)`` (one column per (step,
    sample) pair): ``sum_t delta_t x_t^T`` ``(G*H, D)``, ``sum_t delta_t`` ``(G*H,)`` and
    ``dX_t = W_x^T delta_t`` as rows ``(T, B, D)``: three products, no loop over time."""
    GH, T, B = deltas.shape
    cols = deltas.reshape(GH, T * B)
    sums = cols @ np.ones(T * B, dtype=cols.dtype)  # a matrix-vector product: 3x faster than .sum(axis=1)
    return cols @ X.reshape(T * B, -1), sums, (cols.T @ Wx).reshape(T, B, -1)


def _recurrent_grad(deltas: np.ndarray, h0: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """``sum_t delta_t h_{t-1}^T`` ``(G*H, H)``, with ``h_{t-1}`` = ``h0 (B, H)`` for t = 1 and
    ``hs[t-2]`` after (``hs (T, B, H)``, the forward's outputs)."""
    GH, T, B = deltas.shape
    grad = deltas[:, 0, :] @ h0
    if T > 1:
        grad += deltas[:, 1:, :].reshape(GH, (T - 1) * B) @ hs[:-1].reshape((T - 1) * B, -1)
    return grad


def _halving(rows: int, sigmoid_rows: int, dtype) -> np.ndarray:
    """``(rows, 1)``: 0.5 for the first ``sigmoid_rows`` rows (the gates a sigmoid activates), 1
    for the rest. Weights times this give ``a/2`` exactly for those gates (a power of two)."""
    half = np.ones((rows, 1), dtype=dtype)
    half[:sigmoid_rows] = 0.5
    return half


def _sigmoid_from_tanh_of_half(t: np.ndarray) -> np.ndarray:
    """In place, ``tanh(a/2)`` -> ``sigmoid(a) = (1 + tanh(a/2)) / 2``: with halved weights, one
    ``tanh`` call activates the sigmoid gates and the candidate together, and ``tanh`` costs a
    fraction of ``exp`` + ``reciprocal``. Exact to rounding; no overflow for any input."""
    t *= 0.5
    t += 0.5
    return t


# ----------------------------------------------------------------------------------------------
# LSTM
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FusedLSTMCache(SequenceCache):
    """What ``lstm_backward`` needs from ``lstm_forward``. Per-step arrays are stored column-wise
    (``(T, ., B)``, one contiguous block per step); the properties give the article's quantities
    in the public row shapes ``(T, B, H)`` as views: ``f``, ``i``, ``c_tilde``, ``o``, ``c``
    (c_1..c_T), ``h`` (h_1..h_T), and the final states ``hT``, ``cT (B, H)``, ``final_state``."""

    X: np.ndarray  # (T, B, D)
    params: LSTMParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only: the array lstm_forward returned
    gates: np.ndarray  # (T, 4H, B): activated f, i, o, c~
    cells: np.ndarray  # (T+1, H, B): c_0 .. c_T
    tanh_cells: np.ndarray  # (T, H, B): tanh(c_1) .. tanh(c_T)
    stamp: tuple | None = None  # (workspace, generation) when built in a workspace

    def _gate(self, name):
        H = self.params.hidden_size
        k = self.params.gate_index(name)
        return _read_only(self.gates[:, k * H:(k + 1) * H, :].transpose(0, 2, 1))

    f = property(lambda self: self._gate("f"), doc="forget gate f_t, (T, B, H), read-only")
    i = property(lambda self: self._gate("i"), doc="input gate i_t, (T, B, H), read-only")
    o = property(lambda self: self._gate("o"), doc="output gate o_t, (T, B, H), read-only")
    c_tilde = property(lambda self: self._gate("c"), doc="candidate c~_t, (T, B, H), read-only")
    c = property(lambda self: _read_only(self.cells[1:].transpose(0, 2, 1)), doc="cell state c_t, (T, B, H), read-only")
    c0 = property(lambda self: _read_only(self.cells[0].T), doc="initial cell state c_0, (B, H), read-only")
    cT = property(lambda self: _read_only(self.cells[-1].T), doc="final cell state c_T, (B, H), read-only")
    has_cell = True


# The forward below turns tanh(a/2) into sigmoid(a) for f, i, o in one call on the first 3H rows:
# that needs the three sigmoid gates first and the candidate last in LSTMParams' row blocks.
_F, _I, _O, _C = (LSTMParams.gate_index(g) for g in ("f", "i", "o", "c"))
assert sorted((_F, _I, _O)) == [0, 1, 2] and _C == 3, "fused.py expects the LSTM's candidate block last"


def _lstm_blocks(a: np.ndarray, H: int):
    """The f, i, o, c~ blocks of a ``(4H, ...)`` array, in the row order of ``LSTMParams.gates``."""
    return a[_F * H:(_F + 1) * H], a[_I * H:(_I + 1) * H], a[_O * H:(_O + 1) * H], a[_C * H:(_C + 1) * H]


class _LSTMStep:
    """One fast LSTM step on columns, prepared once: the halved weights (see technique 4) and
    the step's scratch buffers. Both the sequence forward and ``lstm_stepper`` run it."""

    def __init__(self, p: LSTMParams, B: int):
        H, dt = p.hidden_size, p.dtype
        half = _halving(4 * H, 3 * H, dt)  # f, i, o's rows halved, so that ONE tanh activates all four
        self.H = H
        self.Wh = p.weights[:, :H] * half  # (4H, H), contiguous
        self.Wx, self.b = p.weights[:, H:] * half, p.bias * half[:, 0]
        self.recurrent = np.empty((4 * H, B), dtype=dt)
        self.scratch = np.empty((H, B), dtype=dt)

    def __call__(self, a, h, c_prev, c, tanh_c):
        """``a (4H, B)``: ``W_x x_t + b`` in, the activated gates out; ``h (H, B)``: ``h_{t-1}``
        in, ``h_t`` out; ``c_prev``: ``c_{t-1}``; ``c``, ``tanh_c``: written with ``c_t``, ``tanh(c_t)``."""
        H = self.H
        np.matmul(self.Wh, h, out=self.recurrent)  # the one product of this step
        a += self.recurrent
        np.tanh(a, out=a)  # tanh(a/2) for f, i, o; tanh(a) for c~
        _sigmoid_from_tanh_of_half(a[:3 * H])  # f, i, o
        f, i, o, c_tilde = _lstm_blocks(a, H)
        np.multiply(f, c_prev, out=c)
        np.multiply(i, c_tilde, out=self.scratch)
        c += self.scratch
        np.tanh(c, out=tanh_c)
        np.multiply(o, tanh_c, out=h)


def lstm_forward(X: np.ndarray, p: LSTMParams, state: LSTMState | None = None, *,
                 workspace: Workspace | None = None):
    """``lstm.lstm_forward``, fast. ``X (T, B, D)``; ``state = (h0, c0)``, each ``(B, H)`` (zeros
    when ``None``). Returns ``(hs, cache)``: ``hs (T, B, H)`` read-only, and a ``FusedLSTMCache``."""
    X, (h0, c0) = _validate.sequence_inputs(p, LSTMParams, X, state, cell=True)
    h0, c0 = _own(h0), c0.copy()  # they may be views of a workspace this call overwrites
    new = _allocator(workspace, "lstm.")
    T, B, _ = X.shape
    H, dt = p.hidden_size, p.dtype
    step = _LSTMStep(p, B)
    gates = _input_projection(X, step.Wx, step.b, new)  # (T, 4H, B)
    cells = new("cells", (T + 1, H, B), dt)
    cells[0] = c0.T
    tanh_cells = new("tanh_cells", (T, H, B), dt)
    hs = new("hs", (T, B, H), dt)
    h = h0.T.copy()  # the current state as columns, (H, B); a copy: it is written into
    for t in range(T):
        step(gates[t], h, cells[t], cells[t + 1], tanh_cells[t])
        hs[t] = h.T
    hs, gates, cells, tanh_cells = map(_read_only, (hs, gates, cells, tanh_cells))  # handed out: read-only
    return hs, FusedLSTMCache(X, p, h0, hs, gates, cells, tanh_cells, _stamp_forward(workspace))


def lstm_backward(dhs: np.ndarray, cache: FusedLSTMCache, dstate: LSTMState | None = None, *,
                  state_grads: bool = False, workspace: Workspace | None = None) -> LSTMGrads:
    """``lstm.lstm_backward``, fast. ``dhs (T, B, H)``: ``dE/dh_t`` from the loss; ``dstate =
    (dhT, dcT)``: gradients arriving at the final state (zeros when ``None``). Returns an
    ``LSTMGrads``; with ``state_grads=True`` also the per-step totals ``dh`` and ``dc (T, B, H)``
    (what chapter 05 plots)."""
    (dhs, (dhT, dcT)), new = _begin_backward(dhs, cache, FusedLSTMCache, "lstm", workspace, dstate, cell=True)
    p = cache.params
    T, B, D = cache.X.shape
    H, dt = p.hidden_size, p.dtype
    WhT = np.ascontiguousarray(p.weights[:, :H].T)  # (H, 4H): the layout the step's product prefers

    # Error terms of the gate pre-activations with (step, sample) pairs as columns, so that the
    # weight gradients below are single matrix products over all steps.
    deltas = new("deltas", (4 * H, T, B), dt)
    d = np.empty((4 * H, B), dtype=dt)  # this step's error terms, contiguous
    d_f, d_i, d_o, d_c = _lstm_blocks(d, H)
    slope = np.empty((4 * H, B), dtype=dt)  # each gate's activation derivative
    dh = dhT.T.copy()  # dE/dh_t through the future
    dc = dcT.T.copy()  # the carry dE/dc_{t+1} * f_{t+1}
    s = np.empty((H, B), dtype=dt)
    dh_steps = np.empty((T, B, H), dtype=dt) if state_grads else None
    dc_steps = np.empty((T, B, H), dtype=dt) if state_grads else None
    for t in range(T - 1, -1, -1):
        a = cache.gates[t]
        f, i, o, c_tilde = _lstm_blocks(a, H)
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
        # the errors at the gates' outputs: dE/df = dc c_{t-1}, dE/di = dc c~, dE/do = dh tanh(c),
        # dE/dc~ = dc i ...
        np.multiply(dc, cache.cells[t], out=d_f)
        np.multiply(dc, c_tilde, out=d_i)
        np.multiply(dh, tanh_c, out=d_o)
        np.multiply(dc, i, out=d_c)
        # ... times the activations' slopes, all four blocks at once: y - y^2 = y (1 - y) for the
        # sigmoid gates, 1 - y^2 for c~
        np.multiply(a, a, out=slope)
        np.subtract(a[:3 * H], slope[:3 * H], out=slope[:3 * H])
        np.subtract(1.0, slope[3 * H:], out=slope[3 * H:])
        d *= slope
        deltas[:, t, :] = d
        # to step t-1: dh through all four gates in one product, dc through the forget gate
        np.matmul(WhT, d, out=dh)
        dc *= f

    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _input_grads(deltas, cache.X, p.weights[:, H:])
    grad_W[:, :H] = _recurrent_grad(deltas, cache.h0, cache.hs)
    return LSTMGrads(grad_W, grad_b, dX=dX, dh0=np.ascontiguousarray(dh.T),
                     dc0=np.ascontiguousarray(dc.T), dh=dh_steps, dc=dc_steps)


# ----------------------------------------------------------------------------------------------
# GRU
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FusedGRUCache(SequenceCache):
    """What ``gru_backward`` needs from ``gru_forward``. Properties ``z``, ``r``, ``h_tilde``
    and ``h`` give ``(T, B, H)`` views; ``hT (B, H)`` the final state."""

    X: np.ndarray  # (T, B, D)
    params: GRUParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only
    hidden: np.ndarray  # (T+1, H, B): h_0 .. h_T as columns
    gates: np.ndarray  # (T, 3H, B): activated z, r, h~
    extra: np.ndarray  # reset_after: (T, H, B) W_ch h + b_ch; else (T, B, H) rows of r * h
    stamp: tuple | None = None

    def _gate(self, name):
        H = self.params.hidden_size
        k = self.params.gate_index(name)
        return _read_only(self.gates[:, k * H:(k + 1) * H, :].transpose(0, 2, 1))

    z = property(lambda self: self._gate("z"), doc="update gate z_t, (T, B, H), read-only")
    r = property(lambda self: self._gate("r"), doc="reset gate r_t, (T, B, H), read-only")
    h_tilde = property(lambda self: self._gate("c"), doc="candidate h~_t, (T, B, H), read-only")


class _GRUStep:
    """One fast GRU step on columns, prepared once (z and r through one tanh of their halved
    pre-activations); the sequence forward and ``gru_stepper`` run it."""

    def __init__(self, p: GRUParams, B: int):
        H, dt = p.hidden_size, p.dtype
        half = _halving(3 * H, 2 * H, dt)
        self.H, self.after = H, p.reset_after
        self.Wx, self.b = p.weights[:, H:] * half, p.bias * half[:, 0]
        self.s = np.empty((H, B), dtype=dt)
        if self.after:
            self.Wh = p.weights[:, :H] * half  # all three hidden products in one
            self.rec = np.empty((3 * H, B), dtype=dt)
            self.b_ch = p.hidden_bias[:, None]
        else:
            self.Wzr = p.weights[:2 * H, :H] * half[:2 * H]
            self.Wc = np.ascontiguousarray(p.weights[2 * H:, :H])
            self.rec = np.empty((2 * H, B), dtype=dt)
            self.rec_c = np.empty((H, B), dtype=dt)

    def __call__(self, a, h, h_new, extra):
        """``a (3H, B)``: ``W_x x_t + b`` in, z, r, h~ out; ``h (H, B)``: ``h_{t-1}``; ``h_new``:
        written with ``h_t``; ``extra``: written with ``W_ch h + b_ch`` (reset after, ``(H, B)``)
        or ``r * h_{t-1}`` (reset before, as rows ``(B, H)``), what the backward needs."""
        H, s = self.H, self.s
        zr, n = a[:2 * H], a[2 * H:]
        if self.after:
            np.matmul(self.Wh, h, out=self.rec)
            zr += self.rec[:2 * H]
            _sigmoid_from_tanh_of_half(np.tanh(zr, out=zr))
            np.add(self.rec[2 * H:], self.b_ch, out=extra)
            np.multiply(a[H:2 * H], extra, out=s)
            n += s
        else:
            np.matmul(self.Wzr, h, out=self.rec)
            zr += self.rec
            _sigmoid_from_tanh_of_half(np.tanh(zr, out=zr))
            np.multiply(a[H:2 * H], h, out=s)  # r * h
            extra[...] = s.T
            n += np.matmul(self.Wc, s, out=self.rec_c)
        np.tanh(n, out=n)
        np.subtract(n, h, out=s)  # h_t = h + z (h~ - h)
        s *= a[:H]
        np.add(h, s, out=h_new)


def gru_forward(X: np.ndarray, p: GRUParams, state: np.ndarray | None = None, *,
                workspace: Workspace | None = None):
    """``gru.gru_forward``, fast. ``X (T, B, D)``, ``state``: ``h0 (B, H)`` (zeros when ``None``).
    Returns ``(hs, cache)``: ``hs (T, B, H)`` read-only, and a ``FusedGRUCache``."""
    X, h0 = _validate.sequence_inputs(p, GRUParams, X, state)
    h0 = _own(h0)  # it may be a view of a workspace this call overwrites (a carried state)
    new = _allocator(workspace, "gru.")
    T, B, _ = X.shape
    H, dt = p.hidden_size, p.dtype
    step = _GRUStep(p, B)
    gates = _input_projection(X, step.Wx, step.b, new)  # (T, 3H, B)
    hidden = new("hidden", (T + 1, H, B), dt)
    hidden[0] = h0.T
    hs = new("hs", (T, B, H), dt)
    extra = new("extra_after", (T, H, B), dt) if p.reset_after else new("extra_before", (T, B, H), dt)
    for t in range(T):
        step(gates[t], hidden[t], hidden[t + 1], extra[t])
        hs[t] = hidden[t + 1].T
    hs, hidden, gates, extra = map(_read_only, (hs, hidden, gates, extra))  # handed out: read-only
    return hs, FusedGRUCache(X, p, h0, hs, hidden, gates, extra, _stamp_forward(workspace))


def gru_backward(dhs: np.ndarray, cache: FusedGRUCache, dstate: np.ndarray | None = None, *,
                 state_grads: bool = False, workspace: Workspace | None = None) -> GRUGrads:
    """``gru.gru_backward``, fast. ``dhs (T, B, H)``; ``dstate``: ``dhT (B, H)`` (zeros when ``None``).
    Returns a ``GRUGrads``; with ``state_grads=True`` also the per-step total ``dh (T, B, H)``."""
    (dhs, dhT), new = _begin_backward(dhs, cache, FusedGRUCache, "gru", workspace, dstate)
    p = cache.params
    T, B, D = cache.X.shape
    H, dt = p.hidden_size, p.dtype
    after = p.reset_after
    WhT = np.ascontiguousarray(p.weights[:, :H].T)  # (H, 3H): the layout the step's products prefer
    WzrT, WcT = WhT[:, :2 * H], WhT[:, 2 * H:]
    deltas = new("deltas", (3 * H, T, B), dt)  # z, r, c~ pre-activation error terms
    d_u_all = new("d_u", (H, T, B), dt) if after else None
    d = np.empty((3 * H, B), dtype=dt)
    d_z, d_r, d_c = d[:H], d[H:2 * H], d[2 * H:]
    dh = dhT.T.copy()
    s = np.empty((H, B), dtype=dt)
    u = np.empty((H, B), dtype=dt)
    back = np.empty((H, B), dtype=dt)  # what a step's product sends back to h_prev
    dh_steps = np.empty((T, B, H), dtype=dt) if state_grads else None
    for t in range(T - 1, -1, -1):
        a, h_prev = cache.gates[t], cache.hidden[t]
        z, r, n = a[:H], a[H:2 * H], a[2 * H:]
        dh += dhs[t].T
        if state_grads:
            dh_steps[t] = dh.T
        # delta_z = dh (h~ - h_prev) z (1 - z)
        np.subtract(n, h_prev, out=d_z)
        d_z *= dh
        np.subtract(1.0, z, out=s)
        s *= z
        d_z *= s
        # delta_c = dh z (1 - h~^2)
        np.multiply(n, n, out=s)
        np.subtract(1.0, s, out=s)
        s *= z
        np.multiply(dh, s, out=d_c)
        # the direct path h_prev -> h_t
        np.subtract(1.0, z, out=s)
        dh *= s
        np.subtract(1.0, r, out=u)
        u *= r  # r (1 - r)
        if after:
            d_u = d_u_all[:, t, :]
            np.multiply(d_c, cache.extra[t], out=d_r)
            d_r *= u
            np.multiply(d_c, r, out=s)
            d_u[...] = s
            deltas[:, t, :] = d
            d[2 * H:] = s  # reuse the block as W_ch's error term for one product
            dh += np.matmul(WhT, d, out=back)
        else:
            d_s = np.matmul(WcT, d_c, out=back)
            np.multiply(d_s, h_prev, out=d_r)
            d_r *= u
            d_s *= r
            dh += d_s
            deltas[:, t, :] = d
            dh += np.matmul(WzrT, d[:2 * H], out=back)

    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _input_grads(deltas, cache.X, p.weights[:, H:])
    grad_W[:2 * H, :H] = _recurrent_grad(deltas[:2 * H], cache.h0, cache.hs)
    grad_hb = None
    if after:
        grad_W[2 * H:, :H] = _recurrent_grad(d_u_all, cache.h0, cache.hs)
        grad_hb = d_u_all.reshape(H, T * B).sum(axis=1)
    else:  # sum_t delta_c,t s_t^T, with s_t = r_t * h_{t-1} kept as rows
        grad_W[2 * H:, :H] = deltas[2 * H:].reshape(H, T * B) @ cache.extra.reshape(T * B, H)
    return GRUGrads(grad_W, grad_b, grad_hb, dX=dX, dh0=np.ascontiguousarray(dh.T), dh=dh_steps)


# ----------------------------------------------------------------------------------------------
# RNN
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FusedRNNCache(SequenceCache):
    """What ``rnn_backward`` needs from ``rnn_forward``; ``h (T, B, H)``, ``hT (B, H)``."""

    X: np.ndarray  # (T, B, D)
    params: RNNParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only: h_1 .. h_T
    stamp: tuple | None = None


class _RNNStep:
    """One fast RNN step on rows (no gate blocks to keep contiguous), prepared once; the
    sequence forward and ``rnn_stepper`` run it."""

    def __init__(self, p: RNNParams, B: int):
        self.f = None if p.activation == "tanh" else ACTIVATIONS[p.activation][0]
        self.WT = p.W.T  # rows: net_t = x_t U^T + h_{t-1} W^T + b
        self.rec = np.empty((B, p.hidden_size), dtype=p.dtype)

    def __call__(self, a, h):
        """``a (B, H)``: ``x_t U^T + b`` in, ``h_t`` out; ``h``: ``h_{t-1}``."""
        np.matmul(h, self.WT, out=self.rec)
        a += self.rec
        if self.f is None:
            np.tanh(a, out=a)
        else:
            a[...] = self.f(a)


def rnn_forward(X: np.ndarray, p: RNNParams, state: np.ndarray | None = None, *,
                workspace: Workspace | None = None):
    """``rnn.rnn_forward``, fast. ``X (T, B, D)``, ``state``: ``h0 (B, H)`` (zeros when
    ``None``). Returns ``(hs, cache)``.

    With a single weighted input per step there are no gate blocks to keep contiguous, so unlike
    the LSTM and GRU this loop works on rows throughout: the buffer that receives every step's
    input projection becomes ``hs`` in place, and nothing is transposed.
    """
    X, h0 = _validate.sequence_inputs(p, RNNParams, X, state)
    h0 = _own(h0)  # it may be a view of a workspace this call overwrites (a carried state)
    new = _allocator(workspace, "rnn.")
    T, B, D = X.shape
    H = p.hidden_size
    hs = new("hs", (T, B, H), p.dtype)
    np.matmul(X.reshape(T * B, D), p.U.T, out=hs.reshape(T * B, H))  # every input projection
    hs += p.b
    step = _RNNStep(p, B)
    h = h0
    for t in range(T):
        step(hs[t], h)
        h = hs[t]
    hs = _read_only(hs)
    return hs, FusedRNNCache(X, p, h0, hs, _stamp_forward(workspace))


def rnn_backward(dhs: np.ndarray, cache: FusedRNNCache, dstate: np.ndarray | None = None, *,
                 state_grads: bool = False, workspace: Workspace | None = None) -> RNNGrads:
    """``rnn.rnn_backward``, fast. ``dhs (T, B, H)``; ``dstate``: ``dhT (B, H)`` (zeros when ``None``).
    Returns an ``RNNGrads``; with ``state_grads=True`` also the per-step total ``dh (T, B, H)``."""
    (dhs, dhT), new = _begin_backward(dhs, cache, FusedRNNCache, "rnn", workspace, dstate)
    p = cache.params
    _, f_prime = ACTIVATIONS[p.activation]
    W, H = p.W, p.hidden_size
    T, B, D = cache.X.shape
    deltas = new("deltas", (T, B, H), p.dtype)  # the article's delta_t = dE/dnet_t, as rows
    dh = dhT.copy()
    dh_steps = np.empty((T, B, H), dtype=p.dtype) if state_grads else None
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        if state_grads:
            dh_steps[t] = dh
        h, delta = cache.hs[t], deltas[t]
        if p.activation == "tanh":  # 1 - h^2 without temporaries
            np.multiply(h, h, out=delta)
            np.subtract(1.0, delta, out=delta)
        else:
            delta[...] = f_prime(h)
        delta *= dh
        np.matmul(delta, W, out=dh)
    cols = deltas.transpose(2, 0, 1)  # (H, T, B) view: the layout the sums below expect
    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _input_grads(cols, cache.X, p.U)
    grad_W[:, :H] = _recurrent_grad(cols, cache.h0, cache.hs)
    return RNNGrads(grad_W, grad_b, dX=dX, dh0=dh, dh=dh_steps)


# ----------------------------------------------------------------------------------------------
# One step at a time, for generation: the same step kernels as the sequence loops
# ----------------------------------------------------------------------------------------------
def _stepper(p, cls, cell: bool, prepare, run):
    """A function ``step(x, state) -> state``: one fast step forward, without a cache (for
    generation, one character at a time). The weights are prepared once, as they are now: a
    stepper made before ``p`` changes keeps the old weights. ``step.unchecked(x, state)`` skips
    the checks of ``x`` and ``state``: for a loop that feeds the step its own outputs (sampling
    does, after checking its primer), where the checks would take a third of the time."""
    _validate.params(p, cls)
    p.check_finite()
    kernels: dict = {}

    def unchecked(x, state):
        B = x.shape[0]
        if B not in kernels:
            kernels[B] = prepare(p, B)
        return run(kernels[B], x, state)

    def step(x, state=None):
        x, state = _validate.step_inputs(p, cls, x, state, cell=cell)
        return unchecked(x, state)
    step.unchecked = unchecked
    return step


def _run_lstm(k: _LSTMStep, x, state):
    h, c = (np.array(a.T) for a in state)  # columns (H, B), fresh: written into
    a = k.Wx @ x.T + k.b[:, None]
    c_new, tanh_c = np.empty_like(c), np.empty_like(c)
    k(a, h, c, c_new, tanh_c)
    return LSTMState(np.ascontiguousarray(h.T), np.ascontiguousarray(c_new.T))


def _run_gru(k: _GRUStep, x, h):
    a = k.Wx @ x.T + k.b[:, None]
    h_new = np.empty((k.H, x.shape[0]), dtype=h.dtype)
    extra = np.empty((k.H, x.shape[0]) if k.after else (x.shape[0], k.H), dtype=h.dtype)
    k(a, np.ascontiguousarray(h.T), h_new, extra)
    return np.ascontiguousarray(h_new.T)


def lstm_stepper(p: LSTMParams):
    """One fast LSTM step for generation: ``step(x (B, D), state) -> LSTMState(h, c)``."""
    return _stepper(p, LSTMParams, True, _LSTMStep, _run_lstm)


def gru_stepper(p: GRUParams):
    """One fast GRU step for generation: ``step(x (B, D), h) -> h``."""
    return _stepper(p, GRUParams, False, _GRUStep, _run_gru)


def rnn_stepper(p: RNNParams):
    """One fast RNN step for generation: ``step(x (B, D), h) -> h``."""
    U_T, b = p.U.T.copy(), p.b.copy()

    def run(k: _RNNStep, x, h):
        a = x @ U_T + b
        k(a, h)
        return a
    return _stepper(p, RNNParams, False, _RNNStep, run)
