"""The two sums over time that every model's backward pass ends with, as single matrix products.

During the backward loop each model writes the error terms of its pre-activations into
``deltas (G*H, T, B)``: one column per (step, sample) pair. Then a sum over steps and samples of
``delta_t x_t^T`` is one product ``(G*H, T*B) @ (T*B, D)``: no Python loop, no transposed copies.
"""
from __future__ import annotations

import numpy as np


def input_grads(deltas: np.ndarray, X: np.ndarray, Wx: np.ndarray):
    """``(dW_x, db, dX)``: ``sum_t delta_t x_t^T`` ``(G*H, D)``, ``sum_t delta_t`` ``(G*H,)`` and
    ``dX_t = W_x^T delta_t`` as rows ``(T, B, D)``."""
    GH, T, B = deltas.shape
    cols = deltas.reshape(GH, T * B)
    dWx = cols @ X.reshape(T * B, -1)
    db = cols.sum(axis=1)
    dX = (cols.T @ Wx).reshape(T, B, -1)
    return dWx, db, dX


def recurrent_grad(deltas: np.ndarray, h0: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """``sum_t delta_t h_{t-1}^T`` ``(G*H, H)`` where ``h_{t-1}`` is ``h0 (B, H)`` for t = 1 and
    ``hs[t-2]`` after (``hs (T, B, H)``, the forward's outputs)."""
    GH, T, B = deltas.shape
    grad = deltas[:, 0, :] @ h0
    if T > 1:
        grad += deltas[:, 1:, :].reshape(GH, (T - 1) * B) @ hs[:-1].reshape((T - 1) * B, -1)
    return grad


def rows_grad(deltas: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``sum_t delta_t v_t^T`` for any per-step vectors ``rows (T, B, K)``: ``(G*H, K)``."""
    GH, T, B = deltas.shape
    return deltas.reshape(GH, T * B) @ rows.reshape(T * B, -1)
