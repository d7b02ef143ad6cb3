"""Activation functions and their derivatives, written through the outputs.

A gate's derivative is cheapest from the value the forward pass already computed:
``sigmoid'(a) = y (1 - y)`` and ``tanh'(a) = 1 - y**2`` where ``y`` is the output. The backward
passes keep the outputs in their caches and never recompute an exponential.
"""
from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-a))``, elementwise, any shape.

    Stable for any finite input: for ``a`` below about -709 (float64) ``exp(-a)`` overflows to
    ``inf`` and ``1 / (1 + inf)`` is the correct limit 0, so the overflow is expected and silenced.
    Small outputs keep their full relative precision (``sigmoid(-50)`` is 1.9e-22, not 0).
    """
    a = np.asarray(a)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


def sigmoid_grad_from_output(y: np.ndarray) -> np.ndarray:
    """``d sigmoid(a) / da`` given ``y = sigmoid(a)``: ``y (1 - y)``, at most 1/4."""
    return y * (1.0 - y)


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise (numpy's, which saturates cleanly to +-1)."""
    return np.tanh(a)


def tanh_grad_from_output(y: np.ndarray) -> np.ndarray:
    """``d tanh(a) / da`` given ``y = tanh(a)``: ``1 - y**2``, at most 1."""
    return 1.0 - y * y


def relu(a: np.ndarray) -> np.ndarray:
    """``max(a, 0)``, elementwise."""
    return np.maximum(a, 0.0)


def relu_grad_from_output(y: np.ndarray) -> np.ndarray:
    """``d relu(a) / da`` given ``y = relu(a)``: 1 where ``y > 0``, else 0."""
    return (y > 0).astype(np.asarray(y).dtype)


ACTIVATIONS = {
    "tanh": (tanh, tanh_grad_from_output),
    "sigmoid": (sigmoid, sigmoid_grad_from_output),
    "relu": (relu, relu_grad_from_output),
}
"""name -> (function, derivative through the output); the plain RNN accepts any of these."""

DERIVATIVE_BOUND = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}
"""The largest value of each activation's derivative: the article's ``beta_f``."""


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """In-place ``sigmoid`` for the fused loops: four passes over ``a``, no temporaries."""
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)
    return a
