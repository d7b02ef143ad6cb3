"""Losses for training: each returns ``(mean loss, dLoss/dprediction)``.

``mse`` for regression (the adding problem), ``softmax_cross_entropy`` for classification
(temporal order, the next character), computed from a ``log_softmax`` that cannot overflow.
"""
from __future__ import annotations

import numpy as np

__all__ = ["mse", "log_softmax", "softmax_cross_entropy", "LOSSES"]


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every entry and its gradient: ``E = mean((pred - target)^2)``,
    ``dE/dpred = 2 (pred - target) / N``. ``pred`` and ``target`` share a shape."""
    pred = np.asarray(pred)
    target = np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"target: expected shape {pred.shape} like pred, got {target.shape}")
    diff = pred - target
    # the sum in float64: a mean of many float32 squares loses digits otherwise
    loss = float(np.sum(np.square(diff, dtype=np.float64)) / diff.size)
    return loss, (2.0 / diff.size) * diff


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax`` over the last axis, stable for any finite logits: subtracting the row
    maximum first keeps every ``exp`` in (0, 1]."""
    logits = np.asarray(logits)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer ``labels`` under ``softmax(logits)`` and its gradient
    ``(softmax - onehot) / N``. ``logits (..., K)``, ``labels (...)`` ints in ``[0, K)``."""
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim < 1 or labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels: expected shape {logits.shape[:-1]} (logits without the class "
                         f"axis), got {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels: expected integer class indices, got dtype {labels.dtype}")
    K = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels: expected class indices in [0, {K}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)
    N = labels.size
    loss = float(-np.sum(picked, dtype=np.float64) / N)
    grad = np.exp(logp)
    np.put_along_axis(grad, labels[..., None], np.take_along_axis(grad, labels[..., None], -1) - 1.0, -1)
    return loss, grad / N


LOSSES = {"mse": mse, "xent": softmax_cross_entropy}
