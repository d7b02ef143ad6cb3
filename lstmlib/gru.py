"""The GRU (Cho et al. 2014) in both conventions a reader will meet, forward and backward.

The article's GRU (column vectors, ``[h, x]`` concatenated), with biases added::

    z_t  = sigmoid(W_z [h_{t-1}, x_t] + b_z)                  update gate
    r_t  = sigmoid(W_r [h_{t-1}, x_t] + b_r)                  reset gate
    h~_t = tanh(W_ch (r_t * h_{t-1}) + W_cx x_t + b_c)        candidate   (reset_after=False)
    h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t

cuDNN, PyTorch's ``nn.GRU`` and Keras' default apply the reset gate AFTER the product, which needs a
second bias inside it::

    h~_t = tanh(W_cx x_t + b_c + r_t * (W_ch h_{t-1} + b_ch))  (reset_after=True)

PyTorch also writes ``h_t = (1 - z) * n + z * h_{t-1}``: its ``z`` is this module's ``1 - z``
(``torch_interop`` converts). The backward pass, which the article leaves to the reader::

    dz      = dh_t * (h~_t - h_{t-1})          delta_z  = dz * z (1 - z)
    dh~     = dh_t * z_t                       delta_c  = dh~ * (1 - h~^2)
    reset_after=False:  d(r*h) = W_ch^T delta_c;   delta_r = d(r*h) * h_{t-1} * r (1 - r)
                        dh_{t-1} = dh_t (1 - z) + d(r*h) * r + W_zh^T delta_z + W_rh^T delta_r
    reset_after=True:   d(W_ch h + b_ch) = delta_c * r;   delta_r = delta_c * (W_ch h + b_ch) * r (1 - r)
                        dh_{t-1} = dh_t (1 - z) + W_zh^T delta_z + W_rh^T delta_r + W_ch^T (delta_c * r)

As in ``lstm``, the step functions are written to be read and the sequence functions to be fast
(states as columns inside the loop, weight gradients as single products after it).
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from . import _bptt, _scratch, _validate
from .activations import sigmoid, sigmoid_, sigmoid_grad_from_output, tanh_grad_from_output
from .params import BiasBlock, FusedParams, WeightBlock, init_storage

__all__ = [
    "GRUParams", "GRUGrads", "GRUStepCache", "GRUCache",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUParams(FusedParams):
    """The GRU's parameters in fused storage: ``weights (3H, H+D)`` with row blocks z, r, c;
    ``bias (3H,)``; and ``hidden_bias (H,)`` = ``b_ch`` when ``reset_after`` (else ``None``).

    Names: ``W_zh (H, H)``, ``W_zx (H, D)``, ``b_z (H,)`` and likewise r and c, plus ``b_ch``.
    """

    hidden_bias: np.ndarray | None = None

    gates: ClassVar[tuple[str, ...]] = ("z", "r", "c")
    storage_fields: ClassVar[tuple[str, ...]] = ("weights", "bias", "hidden_bias")
    W_zh = WeightBlock("z", "h"); W_zx = WeightBlock("z", "x"); b_z = BiasBlock("z")  # noqa: E702
    W_rh = WeightBlock("r", "h"); W_rx = WeightBlock("r", "x"); b_r = BiasBlock("r")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702

    def __post_init__(self):
        super().__post_init__()
        hb = self.hidden_bias
        if hb is not None and (not isinstance(hb, np.ndarray) or hb.shape != (self.hidden_size,)
                               or hb.dtype != self.dtype):
            got = (hb.shape, hb.dtype) if isinstance(hb, np.ndarray) else type(hb).__name__
            raise ValueError(
                f"GRUParams.hidden_bias: expected None or shape ({self.hidden_size},) of dtype "
                f"{self.dtype}, got {got}"
            )

    @property
    def reset_after(self) -> bool:
        """True for the cuDNN/PyTorch convention (reset gate applied after the product)."""
        return self.hidden_bias is not None

    @property
    def names(self) -> tuple[str, ...]:  # type: ignore[override]
        base = ("W_zh", "W_zx", "b_z", "W_rh", "W_rx", "b_r", "W_ch", "W_cx", "b_c")
        return base + ("b_ch",) if self.reset_after else base

    @property
    def b_ch(self) -> np.ndarray:
        """The bias inside the reset product, ``(H,)``; only with ``reset_after=True``."""
        if self.hidden_bias is None:
            raise AttributeError("b_ch exists only with reset_after=True")
        return self.hidden_bias

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, reset_after: bool = False,
             dtype=np.float64, scale: float | None = None) -> "GRUParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``)."""
        if not isinstance(reset_after, (bool, np.bool_)):
            raise ValueError(f"reset_after: expected True or False, got {reset_after!r}")
        weights, bias = init_storage(3, input_size, hidden_size, rng, dtype, scale)
        hidden_bias = None
        if reset_after:
            k = 1.0 / np.sqrt(hidden_size) if scale is None else scale
            hidden_bias = _validate.rng(rng).uniform(-k, k, size=hidden_size).astype(weights.dtype)
        return cls(weights, bias, hidden_bias)


# `names` is a property on instances (it depends on reset_after); params_class() looks for a class
# that defines it, which GRUParams does.


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUGrads(GRUParams):
    """Gradients under the parameter names, plus ``dX (T, B, D)`` and ``dh0 (B, H)``; with
    ``state_grads=True`` also ``dh (T, B, H)``, the total ``dE/dh_t`` at every step."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None


# ----------------------------------------------------------------------------------------------
# One time step, written for reading
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class GRUStepCache:
    """What ``gru_step_backward`` needs; arrays ``(B, .)``. ``hc`` is ``W_ch h + b_ch``
    (reset_after only), ``rh`` is ``r * h_prev`` (reset_after=False only)."""

    x: np.ndarray
    h_prev: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    hc: np.ndarray | None
    rh: np.ndarray | None
    params: GRUParams


def gru_step_forward(x: np.ndarray, h_prev: np.ndarray, p: GRUParams):
    """One GRU step. ``x (B, D)``, ``h_prev (B, H)``; returns ``(h, cache)``, ``h (B, H)``."""
    x, h_prev = _validate.step_inputs(p, GRUParams, x=x, h_prev=h_prev)
    z = sigmoid(h_prev @ p.W_zh.T + x @ p.W_zx.T + p.b_z)        # update gate
    r = sigmoid(h_prev @ p.W_rh.T + x @ p.W_rx.T + p.b_r)        # reset gate
    if p.reset_after:
        hc = h_prev @ p.W_ch.T + p.b_ch
        h_tilde = np.tanh(x @ p.W_cx.T + p.b_c + r * hc)        # reset after the product
        rh = None
    else:
        rh = r * h_prev
        h_tilde = np.tanh(rh @ p.W_ch.T + x @ p.W_cx.T + p.b_c)  # reset before the product
        hc = None
    h = (1.0 - z) * h_prev + z * h_tilde
    return h, GRUStepCache(x, h_prev, z, r, h_tilde, hc, rh, p)


def gru_step_backward(dh: np.ndarray, cache: GRUStepCache):
    """Backward through one step. ``dh (B, H)`` is the total ``dE/dh_t``.

    Returns ``(dx, dh_prev, grads)``: ``dx (B, D)``, ``dh_prev (B, H)`` and a ``GRUParams``
    holding this step's parameter gradients.
    """
    k = cache
    p = k.params
    (dh,) = _validate.step_inputs(p, GRUParams, dh=dh, batch=k.x.shape[0])
    d_z = dh * (k.h_tilde - k.h_prev) * sigmoid_grad_from_output(k.z)
    d_c = dh * k.z * tanh_grad_from_output(k.h_tilde)
    dh_prev = dh * (1.0 - k.z)
    g = p.zeros_like()
    if p.reset_after:
        d_hc = d_c * k.r                                   # through r * (W_ch h + b_ch)
        d_r = d_c * k.hc * sigmoid_grad_from_output(k.r)
        g.W_ch[...] = d_hc.T @ k.h_prev
        g.b_ch[...] = d_hc.sum(axis=0)
        dh_prev += d_hc @ p.W_ch
    else:
        d_rh = d_c @ p.W_ch                                # through W_ch (r * h)
        d_r = d_rh * k.h_prev * sigmoid_grad_from_output(k.r)
        g.W_ch[...] = d_c.T @ k.rh
        dh_prev += d_rh * k.r
    dx = d_c @ p.W_cx
    g.W_cx[...] = d_c.T @ k.x
    g.b_c[...] = d_c.sum(axis=0)
    for gate, delta in (("z", d_z), ("r", d_r)):
        getattr(g, f"W_{gate}h")[...] = delta.T @ k.h_prev
        getattr(g, f"W_{gate}x")[...] = delta.T @ k.x
        getattr(g, f"b_{gate}")[...] = delta.sum(axis=0)
        dh_prev += delta @ getattr(p, f"W_{gate}h")
        dx += delta @ getattr(p, f"W_{gate}x")
    return dx, dh_prev, g


# ----------------------------------------------------------------------------------------------
# Whole sequences, written for speed
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUCache:
    """What ``gru_backward`` needs from ``gru_forward``. Properties ``z``, ``r``, ``h_tilde``
    and ``h`` give ``(T, B, H)`` views."""

    X: np.ndarray  # (T, B, D)
    params: GRUParams
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H), read-only
    hidden: np.ndarray  # (T+1, H, B): h_0 .. h_T as columns
    gates: np.ndarray  # (T, 3H, B): activated z, r, h~
    extra: np.ndarray  # reset_after: (T, H, B) W_ch h + b_ch; else (T, B, H) rows of r * h

    def _gate(self, k):
        H = self.params.hidden_size
        return self.gates[:, k * H:(k + 1) * H, :].transpose(0, 2, 1)

    z = property(lambda self: self._gate(0), doc="update gate z_t, (T, B, H)")
    r = property(lambda self: self._gate(1), doc="reset gate r_t, (T, B, H)")
    h_tilde = property(lambda self: self._gate(2), doc="candidate h~_t, (T, B, H)")
    h = property(lambda self: self.hs, doc="output h_t, (T, B, H)")

    def __repr__(self):
        T, B = self.X.shape[:2]
        return f"GRUCache(T={T}, B={B}, {self.params!r})"


def gru_forward(X: np.ndarray, p: GRUParams, h0: np.ndarray | None = None):
    """Run the GRU over a sequence. ``X (T, B, D)``, ``h0 (B, H)`` (zeros when ``None``).

    Returns ``(hs, cache)``, ``hs (T, B, H)`` read-only (the cache holds it).
    """
    X, h0 = _validate.sequence_inputs(p, GRUParams, X, h0=h0)
    T, B, _ = X.shape
    H, dt = p.hidden_size, p.dtype
    Wx = p.weights[:, H:]
    gates = np.empty((T, 3 * H, B), dtype=dt)
    np.matmul(Wx, X.transpose(0, 2, 1), out=gates)
    gates += p.bias[:, None]
    hidden = np.empty((T + 1, H, B), dtype=dt)
    hidden[0] = h0.T
    hs = np.empty((T, B, H), dtype=dt)
    s = np.empty((H, B), dtype=dt)
    if p.reset_after:
        Wh = np.ascontiguousarray(p.weights[:, :H])  # all three hidden products in one
        extra = np.empty((T, H, B), dtype=dt)
        rec = np.empty((3 * H, B), dtype=dt)
        b_ch = p.hidden_bias[:, None]
    else:
        Wzr = np.ascontiguousarray(p.weights[:2 * H, :H])
        Wc = np.ascontiguousarray(p.weights[2 * H:, :H])
        extra = np.empty((T, B, H), dtype=dt)
        rec = np.empty((2 * H, B), dtype=dt)
    for t in range(T):
        a, h = gates[t], hidden[t]
        zr, n = a[:2 * H], a[2 * H:]
        if p.reset_after:
            np.matmul(Wh, h, out=rec)
            zr += rec[:2 * H]
            sigmoid_(zr)
            np.add(rec[2 * H:], b_ch, out=extra[t])
            np.multiply(a[H:2 * H], extra[t], out=s)
            n += s
        else:
            np.matmul(Wzr, h, out=rec)
            zr += rec
            sigmoid_(zr)
            np.multiply(a[H:2 * H], h, out=s)  # r * h
            extra[t] = s.T
            n += Wc @ s
        np.tanh(n, out=n)
        # h_t = h + z (h~ - h)
        np.subtract(n, h, out=s)
        s *= a[:H]
        np.add(h, s, out=hidden[t + 1])
        hs[t] = hidden[t + 1].T
    hs.flags.writeable = False
    return hs, GRUCache(X, p, h0, hs, hidden, gates, extra)


def gru_backward(dhs: np.ndarray, cache: GRUCache, *, state_grads: bool = False) -> GRUGrads:
    """Backpropagation through time for ``gru_forward``. ``dhs (T, B, H)``: ``dE/dh_t`` from the
    loss. Returns ``GRUGrads`` (every parameter, ``dX``, ``dh0``; with ``state_grads=True`` the
    per-step ``dh (T, B, H)``)."""
    dhs = _validate.output_grads(dhs, cache, GRUCache, "gru_forward")
    p = cache.params
    T, B, D = cache.X.shape
    H, dt = p.hidden_size, p.dtype
    after = p.reset_after
    Wh = np.ascontiguousarray(p.weights[:, :H])
    Wzr, Wc = Wh[:2 * H], Wh[2 * H:]
    deltas = _scratch.scratch("deltas", (3 * H, T, B), dt)  # z, r, c~ pre-activation error terms
    d_hc_all = _scratch.scratch("d_hc", (H, T, B), dt) if after else None
    d = np.empty((3 * H, B), dtype=dt)
    d_z, d_r, d_c = d[:H], d[H:2 * H], d[2 * H:]
    dh = np.zeros((H, B), dtype=dt)
    s = np.empty((H, B), dtype=dt)
    u = np.empty((H, B), dtype=dt)
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
            d_hc = d_hc_all[:, t, :]
            np.multiply(d_c, cache.extra[t], out=d_r)
            d_r *= u
            np.multiply(d_c, r, out=s)
            d_hc[...] = s
            deltas[:, t, :] = d
            d[2 * H:] = s  # reuse the block as W_ch's error term for one product
            dh += Wh.T @ d
        else:
            d_rh = Wc.T @ d_c
            np.multiply(d_rh, h_prev, out=d_r)
            d_r *= u
            d_rh *= r
            dh += d_rh
            deltas[:, t, :] = d
            dh += Wzr.T @ d[:2 * H]

    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _bptt.input_grads(deltas, cache.X, p.weights[:, H:])
    grad_W[:2 * H, :H] = _bptt.recurrent_grad(deltas[:2 * H], cache.h0, cache.hs)
    grad_hb = None
    if after:
        grad_W[2 * H:, :H] = _bptt.recurrent_grad(d_hc_all, cache.h0, cache.hs)
        grad_hb = d_hc_all.reshape(H, T * B).sum(axis=1)
    else:
        grad_W[2 * H:, :H] = _bptt.rows_grad(deltas[2 * H:], cache.extra)
    return GRUGrads(grad_W, grad_b, grad_hb, dX=dX, dh0=np.ascontiguousarray(dh.T), dh=dh_steps)
