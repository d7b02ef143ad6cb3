"""The GRU (Cho et al. 2014), to be read from top to bottom, in both conventions a reader meets:
its parameters, one step forward and backward, and a sequence unrolled over the steps.

Forward, the article's GRU (as Chung et al. 2014 and colah write it) with a bias added to each
weighted input; its ``z`` weighs the candidate (Cho et al., d2l and PyTorch put their ``z`` on the
old state: theirs is this ``1 - z``)::

    z_t  = sigmoid(W_zh h_{t-1} + W_zx x_t + b_z)                update gate        (G1)
    r_t  = sigmoid(W_rh h_{t-1} + W_rx x_t + b_r)                reset gate         (G2)
    h~_t = tanh(W_ch (r_t * h_{t-1}) + W_cx x_t + b_c)           candidate          (G3)
    h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t                      new state          (G4)

cuDNN, PyTorch's ``nn.GRU`` and Keras' default apply the reset gate AFTER the product, which needs
a second bias ``b_ch`` inside it (``reset_after=True``)::

    h~_t = tanh(W_cx x_t + b_c + r_t * (W_ch h_{t-1} + b_ch))                       (G3')

PyTorch also writes ``h_t = (1 - z) * n + z * h_{t-1}``: its ``z`` is this module's ``1 - z``
(``torch_interop`` converts). The state is ``h``; the parameters (``GRUParams``) are in ``params``.
Backward, which the article leaves to the reader (chapter 04
derives it; ``dh_t`` is the total ``dE/dh_t``)::

    delta_z = dh_t * (h~_t - h_{t-1}) * z (1 - z)          from (G4) and (G1)
    delta_c = dh_t * z_t * (1 - h~_t^2)                     from (G4) and (G3)
    (G3)  s = r * h_{t-1}:       dE/ds = W_ch^T delta_c,   delta_r = dE/ds * h_{t-1} * r (1 - r)
    (G3') u = W_ch h + b_ch:     dE/du = delta_c * r,      delta_r = delta_c * u * r (1 - r)
    dh_{t-1} = dh_t * (1 - z) + (the path through s or u) + W_zh^T delta_z + W_rh^T delta_r

``lstmlib.fused`` computes the same sequences fast; the tests hold the two equal.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .params import GRUGrads, GRUParams
from .state import SequenceCache

__all__ = ["GRUParams", "GRUGrads", "GRUStepCache", "GRUCache", "gru_step_forward",
           "gru_step_backward", "gru_forward", "gru_backward"]


# ----------------------------------------------------------------------------------------------
# One step
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class GRUStepCache:
    """What ``gru_step_backward`` needs; arrays ``(B, .)``. ``u`` is ``W_ch h_{t-1} + b_ch``
    (reset_after only), ``s`` is ``r * h_{t-1}`` (reset_after=False only)."""

    x: np.ndarray
    h_prev: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    u: np.ndarray | None
    s: np.ndarray | None
    params: GRUParams


def gru_step_forward(x: np.ndarray, p: GRUParams, state: np.ndarray | None = None):
    """One GRU step. Inputs: ``x (B, D)``, ``p``, ``state``: ``h_prev (B, H)`` (zeros when
    ``None``). Returns ``(h, cache)``: the new state ``h (B, H)`` and a ``GRUStepCache``."""
    x, h_prev = _validate.step_inputs(p, GRUParams, x, state)
    z = sigmoid(h_prev @ p.W_zh.T + x @ p.W_zx.T + p.b_z)        # (G1) update gate
    r = sigmoid(h_prev @ p.W_rh.T + x @ p.W_rx.T + p.b_r)        # (G2) reset gate
    if p.reset_after:
        u, s = h_prev @ p.W_ch.T + p.b_ch, None
        h_tilde = np.tanh(x @ p.W_cx.T + p.b_c + r * u)         # (G3') reset after the product
    else:
        u, s = None, r * h_prev
        h_tilde = np.tanh(s @ p.W_ch.T + x @ p.W_cx.T + p.b_c)  # (G3) reset before the product
    h = (1.0 - z) * h_prev + z * h_tilde                        # (G4) new state
    return h, GRUStepCache(x, h_prev, z, r, h_tilde, u, s, p)


def gru_step_backward(dstate: np.ndarray, cache: GRUStepCache) -> GRUGrads:
    """Backward through one step. Inputs: ``dstate``: ``dh (B, H)``, the total ``dE/dh_t``;
    ``cache`` from ``gru_step_forward``. Returns a ``GRUGrads``: this step's share of every
    parameter's gradient, ``dX (B, D)``, ``dh0 (B, H)`` (what goes back to ``h_{t-1}``) and ``dh``."""
    dh = _validate.step_grad(dstate, cache, GRUStepCache)
    k, p = cache, cache.params
    d_z = dh * (k.h_tilde - k.h_prev) * sigmoid_grad_from_output(k.z)   # (G4) then (G1)
    d_c = dh * k.z * tanh_grad_from_output(k.h_tilde)                   # (G4) then (G3)
    if p.reset_after:
        d_u = d_c * k.r                                                  # (G3') through r * u
        d_r = d_c * k.u * sigmoid_grad_from_output(k.r)
        dh_via_c = d_u @ p.W_ch
    else:
        d_s = d_c @ p.W_ch                                               # (G3) through W_ch s
        d_r = d_s * k.h_prev * sigmoid_grad_from_output(k.r)
        dh_via_c = d_s * k.r
    dh_prev = dh * (1.0 - k.z) + dh_via_c + d_z @ p.W_zh + d_r @ p.W_rh  # (G4)'s direct path and the rest
    dx = d_z @ p.W_zx + d_r @ p.W_rx + d_c @ p.W_cx
    g = GRUGrads(np.empty_like(p.weights), np.empty_like(p.bias),
                 None if p.hidden_bias is None else np.empty_like(p.hidden_bias), dX=dx, dh0=dh_prev, dh=dh)
    g.W_zh[...] = d_z.T @ k.h_prev; g.W_zx[...] = d_z.T @ k.x; g.b_z[...] = d_z.sum(axis=0)  # noqa: E702
    g.W_rh[...] = d_r.T @ k.h_prev; g.W_rx[...] = d_r.T @ k.x; g.b_r[...] = d_r.sum(axis=0)  # noqa: E702
    g.W_cx[...] = d_c.T @ k.x; g.b_c[...] = d_c.sum(axis=0)  # noqa: E702
    if p.reset_after:
        g.W_ch[...] = d_u.T @ k.h_prev
        g.b_ch[...] = d_u.sum(axis=0)
    else:
        g.W_ch[...] = d_c.T @ k.s
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUCache(SequenceCache):
    """What ``gru_backward`` needs from ``gru_forward``: the inputs and every step's cache.
    ``z``, ``r``, ``h_tilde`` give fresh ``(T, B, H)`` arrays; ``h`` (read-only), ``hT`` and
    ``final_state`` (a copy of h_T)."""

    X: np.ndarray
    params: GRUParams
    hs: np.ndarray  # (T, B, H), read-only
    steps: tuple

    z = property(lambda self: np.stack([s.z for s in self.steps]), doc="update gate z_t, (T, B, H)")
    r = property(lambda self: np.stack([s.r for s in self.steps]), doc="reset gate r_t, (T, B, H)")
    h_tilde = property(lambda self: np.stack([s.h_tilde for s in self.steps]), doc="candidate h~_t, (T, B, H)")
    h0 = property(lambda self: self.steps[0].h_prev.copy(), doc="initial state h_0, (B, H)")


def gru_forward(X: np.ndarray, p: GRUParams, state: np.ndarray | None = None):
    """Run the GRU over a sequence: ``gru_step_forward`` at every step.

    Inputs: ``X (T, B, D)``, time-major; ``p``; ``state``: ``h0 (B, H)`` (zeros when ``None``).
    Returns ``(hs, cache)``: ``hs (T, B, H)`` read-only (the cache holds it) and a ``GRUCache``.
    """
    X, h = _validate.sequence_inputs(p, GRUParams, X, state)
    hs, steps = [], []
    for x in X:                                # t = 1 .. T
        h, step = gru_step_forward(x, p, h)    # h_t goes on to step t+1
        hs.append(h)
        steps.append(step)
    hs = np.stack(hs)
    hs.flags.writeable = False
    return hs, GRUCache(X, p, hs, tuple(steps))


def gru_backward(dhs: np.ndarray, cache: GRUCache, dstate: np.ndarray | None = None, *,
                 state_grads: bool = False) -> GRUGrads:
    """Backpropagation through time: ``gru_step_backward`` at each step from T down to 1, the error
    reaching ``h_{t-1}`` along the direct path ``(1 - z_t)`` and through the gates and the
    candidate; the steps' shares of every parameter add up.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step; ``cache`` from
    ``gru_forward``; ``dstate``: ``dhT (B, H)``, a gradient arriving at the final state from later
    on (zeros when ``None``). Returns a ``GRUGrads`` with every parameter's gradient, ``dX (T, B,
    D)`` and ``dh0 (B, H)``; with ``state_grads=True`` also the per-step totals ``dh (T, B, H)``.
    """
    dhs, dh = _validate.backward_inputs(dhs, cache, GRUCache, "gru_forward", dstate)
    p = cache.params
    storage = [np.zeros_like(a) for a in p.arrays()]      # weights, bias (and b_ch)
    dX = np.empty_like(cache.X)
    dh_total = np.empty_like(cache.hs)
    for t in reversed(range(len(cache.steps))):           # t = T .. 1
        g = gru_step_backward(dhs[t] + dh, cache.steps[t])  # the loss at t + what t+1 sent back
        for total, share in zip(storage, g.arrays()):      # every step shares the parameters
            total += share
        dX[t] = g.dX
        dh_total[t] = g.dh
        dh = g.dh0                                         # to step t-1
    return GRUGrads(*storage, dX=dX, dh0=dh, dh=dh_total if state_grads else None)
