"""The LSTM variants' sequence forward and backward, fast: ``variants.variant_forward`` and
``variant_backward`` computed as ``fused`` computes the LSTM (every step's input projection in one
product before the loop, one product per step for all gates, states as columns ``(H, B)``, the
weight gradients in one product after the loop; the peephole gradients in one pass over the
stored cells). The tests hold them equal to the readable loops; the readable loops are the place
to learn the mathematics from.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import sigmoid_
from .fused import Workspace, _allocator, _begin_backward, _input_grads, _own, _read_only, _recurrent_grad, \
    _stamp_forward
from .state import LSTMState, SequenceCache
from .variants import VariantLSTMGrads, VariantLSTMParams

__all__ = ["FusedVariantCache", "variant_forward", "variant_backward"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FusedVariantCache(SequenceCache):
    """What ``variant_backward`` needs: ``gates (T, G*H, B)`` the activated gates and candidate of
    the variant's blocks, ``cells (T+1, H, B)`` c_0..c_T, ``outs (T, H, B)`` what the output gate
    scaled (``tanh(c_t)``, or ``c_t`` for NOAF). ``f``, ``i``, ``o``, ``c_tilde``, ``c (T, B, H)``
    as read-only views or fresh arrays (a missing gate's constant value)."""

    X: np.ndarray
    params: VariantLSTMParams
    h0: np.ndarray
    hs: np.ndarray
    gates: np.ndarray
    cells: np.ndarray
    outs: np.ndarray
    stamp: tuple | None = None
    has_cell = True

    def _block(self, name):
        p, H = self.params, self.params.hidden_size
        k = p.gate_index(name)
        return _read_only(self.gates[:, k * H:(k + 1) * H, :].transpose(0, 2, 1))

    def _gate(self, name):
        if self.params.has(name):
            return self._block(name)
        if name == "i" and self.params.variant == "CIFG":
            return 1.0 - self._block("f")
        return np.ones_like(self.hs)

    f = property(lambda self: self._gate("f"), doc="forget gate f_t, (T, B, H)")
    i = property(lambda self: self._gate("i"), doc="input gate i_t, (T, B, H)")
    o = property(lambda self: self._gate("o"), doc="output gate o_t, (T, B, H)")
    c_tilde = property(lambda self: self._block("c"), doc="candidate c~_t, (T, B, H), read-only")
    c = property(lambda self: _read_only(self.cells[1:].transpose(0, 2, 1)), doc="cell state c_t, (T, B, H)")
    cT = property(lambda self: _read_only(self.cells[-1].T), doc="final cell state c_T, (B, H)")


def _blocks(a: np.ndarray, p: VariantLSTMParams) -> dict:
    """``{gate: rows of a}`` for the variant's blocks of a ``(G*H, ...)`` array."""
    H = p.hidden_size
    return {g: a[k * H:(k + 1) * H] for k, g in enumerate(p.gates)}


def _peepholes(p: VariantLSTMParams) -> dict:
    """``{gate: p_g as a column (H, 1)}`` (empty without peepholes)."""
    if not p.peepholes:
        return {}
    return {g: getattr(p, f"p_{g}")[:, None] for g in p.gates[:-1]}


def variant_forward(X: np.ndarray, p: VariantLSTMParams, state: LSTMState | None = None, *,
                    workspace: Workspace | None = None):
    """``variants.variant_forward``, fast. ``X (T, B, D)``; ``state = (h0, c0)`` (zeros when
    ``None``). Returns ``(hs (T, B, H) read-only, FusedVariantCache)``."""
    X, (h0, c0) = _validate.sequence_inputs(p, VariantLSTMParams, X, state, cell=True)
    h0 = _own(h0)
    new = _allocator(workspace, "variant.")
    T, B, _ = X.shape
    H, G, dt, v = p.hidden_size, len(p.gates), p.dtype, p.variant
    S = (G - 1) * H  # rows of the sigmoid gates
    Wh = np.ascontiguousarray(p.weights[:, :H])
    gates = new("gates", (T, G * H, B), dt)
    np.matmul(p.weights[:, H:], X.transpose(0, 2, 1), out=gates)
    gates += p.bias[:, None]
    cells = new("cells", (T + 1, H, B), dt)
    cells[0] = c0.T
    outs = new("outs", (T, H, B), dt)
    hs = new("hs", (T, B, H), dt)
    peep = _peepholes(p)
    h = h0.T.copy()
    recurrent = np.empty((G * H, B), dtype=dt)
    scratch = np.empty((H, B), dtype=dt)
    has_o = p.has("o")
    for t in range(T):
        a = gates[t]
        np.matmul(Wh, h, out=recurrent)
        a += recurrent
        blk = _blocks(a, p)
        c_prev, c = cells[t], cells[t + 1]
        for g in ("f", "i"):
            if g in peep:
                np.multiply(peep[g], c_prev, out=scratch)
                blk[g] += scratch
        if has_o and "o" in peep:  # o sees c_t: activate f and i first
            sigmoid_(a[:S - H])
        else:
            sigmoid_(a[:S])
        if v != "NIAF":
            np.tanh(blk["c"], out=blk["c"])
        # c_t = f c_{t-1} + i c~
        if "f" in blk:
            np.multiply(blk["f"], c_prev, out=c)
        else:
            c[...] = c_prev
        if v == "CIFG":
            np.subtract(1.0, blk["f"], out=scratch)
            scratch *= blk["c"]
        elif "i" in blk:
            np.multiply(blk["i"], blk["c"], out=scratch)
        else:
            scratch[...] = blk["c"]
        c += scratch
        if has_o and "o" in peep:
            np.multiply(peep["o"], c, out=scratch)
            blk["o"] += scratch
            sigmoid_(blk["o"])
        if v == "NOAF":
            outs[t] = c
        else:
            np.tanh(c, out=outs[t])
        if has_o:
            np.multiply(blk["o"], outs[t], out=h)
        else:
            h[...] = outs[t]
        hs[t] = h.T
    hs = _read_only(hs)
    return hs, FusedVariantCache(X, p, h0, hs, gates, cells, outs, _stamp_forward(workspace))


def variant_backward(dhs: np.ndarray, cache: FusedVariantCache, dstate: LSTMState | None = None, *,
                     state_grads: bool = False, workspace: Workspace | None = None) -> VariantLSTMGrads:
    """``variants.variant_backward``, fast. ``dhs (T, B, H)``; ``dstate = (dhT, dcT)`` (zeros when
    ``None``). Returns a ``VariantLSTMGrads``; with ``state_grads=True`` also ``dh``, ``dc (T, B,
    H)``, the total ``dE/dh_t`` and ``dE/dc_t``."""
    (dhs, (dhT, dcT)), new = _begin_backward(dhs, cache, FusedVariantCache, "variant", workspace, dstate, cell=True)
    p = cache.params
    T, B, D = cache.X.shape
    H, G, dt, v = p.hidden_size, len(p.gates), p.dtype, p.variant
    Wh = np.ascontiguousarray(p.weights[:, :H])
    peep = _peepholes(p)
    deltas = new("deltas", (G * H, T, B), dt)
    d = np.empty((G * H, B), dtype=dt)
    dblk = _blocks(d, p)
    dh = dhT.T.copy()
    dc = dcT.T.copy()
    s = np.empty((H, B), dtype=dt)
    u = np.empty((H, B), dtype=dt)
    dh_steps = np.empty((T, B, H), dtype=dt) if state_grads else None
    dc_steps = np.empty((T, B, H), dtype=dt) if state_grads else None
    for t in range(T - 1, -1, -1):
        blk = _blocks(cache.gates[t], p)
        out, c_prev = cache.outs[t], cache.cells[t]
        dh += dhs[t].T
        # dc_t += dh * o * s'(c_t)
        if v == "NOAF":
            s[...] = 1.0
        else:
            np.multiply(out, out, out=s)
            np.subtract(1.0, s, out=s)
        if "o" in blk:
            s *= blk["o"]
            # delta_o = dh * out * o (1 - o); the peephole adds delta_o p_o to dc_t
            np.subtract(1.0, blk["o"], out=u)
            u *= blk["o"]
            np.multiply(dh, out, out=dblk["o"])
            dblk["o"] *= u
        s *= dh
        dc += s
        if "o" in peep:
            np.multiply(dblk["o"], peep["o"], out=s)
            dc += s
        if state_grads:
            dh_steps[t], dc_steps[t] = dh.T, dc.T
        if "f" in blk:  # delta_f = dc * c_{t-1} * f (1 - f); CIFG: dc * (c_{t-1} - c~) * f (1 - f)
            np.subtract(1.0, blk["f"], out=u)
            u *= blk["f"]
            if v == "CIFG":
                np.subtract(c_prev, blk["c"], out=s)
                np.multiply(dc, s, out=dblk["f"])
            else:
                np.multiply(dc, c_prev, out=dblk["f"])
            dblk["f"] *= u
        if "i" in blk:  # delta_i = dc * c~ * i (1 - i)
            np.subtract(1.0, blk["i"], out=u)
            u *= blk["i"]
            np.multiply(dc, blk["c"], out=dblk["i"])
            dblk["i"] *= u
        # delta_c~ = dc * i * (1 - c~^2); NIAF: dc * i
        i_now = blk.get("i")
        if v == "CIFG":
            np.subtract(1.0, blk["f"], out=u)
            i_now = u
        if i_now is None:
            dblk["c"][...] = dc
        else:
            np.multiply(dc, i_now, out=dblk["c"])
        if v != "NIAF":
            np.multiply(blk["c"], blk["c"], out=s)
            np.subtract(1.0, s, out=s)
            dblk["c"] *= s
        deltas[:, t, :] = d
        np.matmul(Wh.T, d, out=dh)
        if "f" in blk:
            dc *= blk["f"]
        for g in ("f", "i"):
            if g in peep:
                np.multiply(dblk[g], peep[g], out=s)
                dc += s

    grad_W = np.empty_like(p.weights)
    grad_W[:, H:], grad_b, dX = _input_grads(deltas, cache.X, p.weights[:, H:])
    grad_W[:, :H] = _recurrent_grad(deltas, cache.h0, cache.hs)
    grad_peep = None
    if p.peepholes:  # dp_g = sum over steps and samples of delta_g * (c_{t-1}, or c_t for o)
        grad_peep = np.empty_like(p.peephole)
        dpb = _blocks(grad_peep, p)
        for k, g in enumerate(p.gates[:-1]):
            seen = cache.cells[1:] if g == "o" else cache.cells[:-1]
            dpb[g][...] = np.einsum("thb,thb->h", deltas[k * H:(k + 1) * H].transpose(1, 0, 2), seen)
    return VariantLSTMGrads(grad_W, grad_b, grad_peep, v, dX=dX, dh0=np.ascontiguousarray(dh.T),
                            dc0=np.ascontiguousarray(dc.T), dh=dh_steps, dc=dc_steps)
