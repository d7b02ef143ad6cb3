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
(``torch_interop`` converts). Backward, which the article leaves to the reader (chapter 04
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
from typing import ClassVar

import numpy as np

from . import _validate, unroll
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .params import BiasBlock, Fused, Grads, Params, WeightBlock, init_storage

__all__ = ["GRUParams", "GRUGrads", "GRUStepCache", "GRUCache", "gru_step_forward",
           "gru_step_backward", "gru_forward", "gru_backward"]


class GRULayout(Fused):
    """Where the GRU's parameters live: ``weights (3H, H+D)`` with row blocks z, r, c (the
    candidate), ``bias (3H,)``, and ``hidden_bias (H,)`` = ``b_ch`` when ``reset_after`` (else
    ``None``). ``W_zh (H, H)``, ``W_zx (H, D)``, ``b_z (H,)`` and likewise r and c."""

    hidden_bias: np.ndarray | None
    gates: ClassVar[tuple[str, ...]] = ("z", "r", "c")
    storage_fields: ClassVar[tuple[str, ...]] = ("weights", "bias", "hidden_bias")
    W_zh = WeightBlock("z", "h"); W_zx = WeightBlock("z", "x"); b_z = BiasBlock("z")  # noqa: E702
    W_rh = WeightBlock("r", "h"); W_rx = WeightBlock("r", "x"); b_r = BiasBlock("r")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702

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

    def _check_hidden_bias(self) -> None:
        hb = self.hidden_bias
        if hb is not None and (not isinstance(hb, np.ndarray) or hb.shape != (self.hidden_size,)
                               or hb.dtype != self.dtype):
            got = (hb.shape, hb.dtype) if isinstance(hb, np.ndarray) else type(hb).__name__
            raise ValueError(f"{type(self).__name__}.hidden_bias: expected None or shape "
                             f"({self.hidden_size},) of dtype {self.dtype}, got {got}")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUParams(GRULayout, Params):
    """The GRU's parameters in fused storage (see ``GRULayout``)."""

    hidden_bias: np.ndarray | None = None

    def __post_init__(self):
        super().__post_init__()
        self._check_hidden_bias()

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, reset_after: bool = False,
             dtype=np.float64, scale: float | None = None) -> "GRUParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``); with
        ``reset_after`` also ``b_ch``, drawn after the others from the same generator.
        ``rng``: a ``np.random.Generator`` or an int seed."""
        if not isinstance(reset_after, (bool, np.bool_)):
            raise ValueError(f"reset_after: expected True or False, got {reset_after!r}")
        weights, bias, hidden_bias = init_storage(3, input_size, hidden_size, rng, dtype, scale,
                                                  extra=hidden_size if reset_after else 0)
        return cls(weights, bias, hidden_bias)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUGrads(GRULayout, Grads):
    """Gradients under the parameters' names, and ``dX``, ``dh0``: from ``gru_backward``
    ``dX (T, B, D)`` and ``dh0 (B, H)``, with ``state_grads=True`` also ``dh (T, B, H)``, the total
    ``dE/dh_t`` at every step; from ``gru_step_backward`` one step's share, ``dX (B, D)``,
    ``dh0 (B, H)`` what goes back to ``h_{t-1}``, and ``dh (B, H)`` the total it received."""

    hidden_bias: np.ndarray | None = None
    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None

    def __post_init__(self):
        super().__post_init__()
        self._check_hidden_bias()

    @property
    def dstate0(self) -> dict:
        """``{"h": dh0}``: the gradient of the initial state, by state name."""
        return {"h": self.dh0}


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


def gru_step_forward(x: np.ndarray, p: GRUParams, h_prev: np.ndarray | None = None):
    """One GRU step. Inputs: ``x (B, D)``, ``p``, ``h_prev (B, H)`` (zeros when ``None``).
    Returns ``(h, cache)``: ``h (B, H)`` and a ``GRUStepCache``."""
    x, h_prev = _validate.step_inputs(p, GRUParams, x=x, h_prev=h_prev)
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


def gru_step_backward(dh: np.ndarray, cache: GRUStepCache) -> GRUGrads:
    """Backward through one step. Inputs: ``dh (B, H)``, the total ``dE/dh_t``; ``cache`` from
    ``gru_step_forward``. Returns a ``GRUGrads``: this step's share of every parameter's
    gradient, ``dX (B, D)``, ``dh0 (B, H)`` (what goes back to ``h_{t-1}``) and ``dh``."""
    k = cache
    p = k.params
    (dh,) = _validate.step_inputs(p, GRUParams, dh=dh, batch=k.x.shape[0])
    d_z = dh * (k.h_tilde - k.h_prev) * sigmoid_grad_from_output(k.z)   # (G4) then (G1)
    d_c = dh * k.z * tanh_grad_from_output(k.h_tilde)                   # (G4) then (G3)
    g = GRUGrads(np.zeros_like(p.weights), np.zeros_like(p.bias),
                 None if p.hidden_bias is None else np.zeros_like(p.hidden_bias),
                 dX=d_c @ p.W_cx, dh0=dh * (1.0 - k.z), dh=dh)           # (G4) the direct path
    if p.reset_after:
        d_u = d_c * k.r                                                  # (G3') through r * u
        d_r = d_c * k.u * sigmoid_grad_from_output(k.r)
        g.W_ch[...] = d_u.T @ k.h_prev
        g.b_ch[...] = d_u.sum(axis=0)
        g.dh0[...] += d_u @ p.W_ch
    else:
        d_s = d_c @ p.W_ch                                               # (G3) through W_ch s
        d_r = d_s * k.h_prev * sigmoid_grad_from_output(k.r)
        g.W_ch[...] = d_c.T @ k.s
        g.dh0[...] += d_s * k.r
    g.W_cx[...] = d_c.T @ k.x
    g.b_c[...] = d_c.sum(axis=0)
    for gate, delta in (("z", d_z), ("r", d_r)):                         # (G1), (G2)
        getattr(g, f"W_{gate}h")[...] = delta.T @ k.h_prev
        getattr(g, f"W_{gate}x")[...] = delta.T @ k.x
        getattr(g, f"b_{gate}")[...] = delta.sum(axis=0)
        g.dh0[...] += delta @ getattr(p, f"W_{gate}h")
        g.dX[...] += delta @ getattr(p, f"W_{gate}x")
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUCache(unroll.SequenceCache):
    """What ``gru_backward`` needs from ``gru_forward``: the inputs and every step's cache.
    ``z``, ``r``, ``h_tilde``, ``h`` give ``(T, B, H)`` arrays; ``hT (B, H)`` the final state."""

    X: np.ndarray
    params: GRUParams
    hs: np.ndarray  # (T, B, H), read-only
    steps: tuple

    z = property(lambda self: np.stack([s.z for s in self.steps]), doc="update gate z_t, (T, B, H)")
    r = property(lambda self: np.stack([s.r for s in self.steps]), doc="reset gate r_t, (T, B, H)")
    h_tilde = property(lambda self: np.stack([s.h_tilde for s in self.steps]), doc="candidate h~_t, (T, B, H)")
    h0 = property(lambda self: self.steps[0].h_prev, doc="initial state h_0, (B, H)")


def gru_forward(X: np.ndarray, p: GRUParams, h0: np.ndarray | None = None):
    """Run the GRU over a sequence: ``gru_step_forward`` at every step (``unroll.forward``).

    Inputs: ``X (T, B, D)``, ``p``, ``h0 (B, H)`` (zeros when ``None``). Returns ``(hs, cache)``:
    ``hs (T, B, H)`` read-only (the cache holds it) and a ``GRUCache``.
    """
    X, h0 = _validate.sequence_inputs(p, GRUParams, X, h0=h0)
    hs, steps = unroll.forward(gru_step_forward, X, p, (h0,))
    return hs, GRUCache(X, p, hs, steps)


def gru_backward(dhs: np.ndarray, cache: GRUCache, dhT: np.ndarray | None = None, *,
                 state_grads: bool = False) -> GRUGrads:
    """Backpropagation through time (``unroll.backward``): ``gru_step_backward`` at each step
    from T down to 1, the error reaching ``h_{t-1}`` along the direct path ``(1 - z_t)`` and
    through the gates and the candidate; the steps' shares of every parameter are summed.

    Inputs: ``dhs (T, B, H)``, ``dE/dh_t`` from the loss at each step; ``cache`` from
    ``gru_forward``; ``dhT (B, H)``: a gradient arriving at the final state from later on (zeros
    when ``None``). Returns a ``GRUGrads`` with every parameter's gradient, ``dX (T, B, D)`` and
    ``dh0 (B, H)``; with ``state_grads=True`` also the per-step totals ``dh (T, B, H)``.
    """
    dhs, dhT = _validate.backward_inputs(dhs, cache, GRUCache, "gru_forward", dhT=dhT)
    shares = unroll.backward(gru_step_backward, dhs, cache.steps, (dhT,))
    return unroll.sequence_grads(GRUGrads, shares, state_grads)
