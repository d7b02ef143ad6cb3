"""The error signals that a loss at the last step sends back to every earlier step, for any model
of the registry: ``dE/dh_k`` (and the LSTM's ``dE/dc_k``), read off the model's own backward pass."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...models import model_of
from ..linalg import step_norms

__all__ = ["LastStepGradients", "last_step_gradients", "model_gradient_flow"]


@dataclasses.dataclass(frozen=True, eq=False)
class LastStepGradients:
    """The error signals that a loss ``E`` at the last step T sends back to every earlier step.

    ``model``: the registry name; ``dh (T, B, H)``: ``dE/dh_k`` for k = 1..T (index k-1), the
    total derivative with respect to the hidden state; ``dc (T, B, H)``: ``dE/dc_k``, the LSTM's
    cell state (both paths into ``c_k``: the carry from ``c_{k+1}`` and the path through
    ``h_k``), ``None`` for a model without a cell state. Norms are Frobenius norms over the batch
    rows (the Euclidean norm when B = 1). Every ``relative`` norm is divided by
    ``||dE/dh_T||``, what the loss put in.
    """

    model: str
    dh: np.ndarray
    dc: np.ndarray | None = None

    steps = property(lambda self: len(self.dh), doc="T, the number of time steps")
    dh_norms = property(lambda self: step_norms(self.dh), doc="``||dE/dh_k||`` for k = 1..T, ``(T,)``")

    @property
    def dc_norms(self) -> np.ndarray | None:
        """``||dE/dc_k||`` for k = 1..T, ``(T,)`` (None without a cell state)."""
        return None if self.dc is None else step_norms(self.dc)

    def relative(self, which: str = "dh") -> np.ndarray:
        """``||dE/dh_k|| / ||dE/dh_T||`` (``which="dh"``) or ``||dE/dc_k|| / ||dE/dh_T||``
        (``"dc"``): the norms relative to what the loss put in (zeros when it put in nothing)."""
        if which not in ("dh", "dc"):
            raise ValueError(f"which: expected 'dh' or 'dc', got {which!r}")
        norms = self.dh_norms if which == "dh" else self.dc_norms
        if norms is None:
            raise ValueError(f"which: the {self.model} has no cell state, so no 'dc'")
        top = self.dh_norms[-1]
        return norms / top if top > 0 else np.zeros_like(norms)


def last_step_gradients(X: np.ndarray, p, state=None, *, dh_last: np.ndarray | None = None) -> LastStepGradients:
    """``dE/dh_k`` (and, with a cell state, ``dE/dc_k``) at every step k for a loss at step T alone.

    ``X (T, B, D)``; ``p``: parameters of any registry model; ``state``: the initial state in
    the model's form (zeros when ``None``); ``dh_last (B, H)``: ``dE/dh_T`` (all ones when
    ``None``, i.e. E = the sum of h_T's entries). Computed by the model's fast backward with
    ``state_grads=True`` (equal to the readable one, as the tests check): fast enough for an
    explorer to redraw three models at T = 200.
    """
    model = model_of(p)
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, B, _ = X.shape
    H = p.hidden_size
    if dh_last is None:
        dh_last = np.ones((B, H), dtype=p.dtype)
    dhs = np.zeros((T, B, H), dtype=p.dtype)
    dhs[-1] = _validate.array(dh_last, "dh_last", ndim=2, dims="(B, H)", shape=(B, H), dtype=p.dtype)
    _, cache = model.forward(X, p, state)
    g = model.backward(dhs, cache, state_grads=True)
    return LastStepGradients(model.name, g.dh, g.dc if model.has_cell else None)


def model_gradient_flow(X: np.ndarray, model) -> LastStepGradients:
    """``last_step_gradients`` of a one-layer ``network.SequenceModel`` with one output, for
    ``E = y``, its prediction: ``dE/dh_T = W_y`` for every sequence, so ``||dE/dh_k||`` says how
    strongly the prediction depends on the state at step k. Computed in float64 (a float32
    model's tiny gradients would underflow). ``X (T, B, D)``."""
    head = getattr(model, "head", None)
    if head is None or head.weights.shape[0] != 1:
        raise ValueError(f"model: expected a SequenceModel with one output, got {model!r}")
    p = model.cell.astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    B = X.shape[1] if X.ndim == 3 else 1
    dh_last = np.repeat(head.weights.astype(np.float64), B, axis=0)
    return last_step_gradients(X, p, dh_last=dh_last)
