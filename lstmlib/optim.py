"""Optimizers and gradient-norm clipping; all update the arrays they are given in place.

``params`` and ``grads`` are sequences of arrays in the same order (``SequenceModel.arrays()`` and
what ``train.loss_and_grads`` returns).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _validate

__all__ = ["global_norm", "clip_grad_norm", "SGD", "Adam"]


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """``sqrt(sum of squares)`` over every entry of every array (accumulated in float64)."""
    return float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads)))


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float) -> float:
    """Pascanu, Mikolov & Bengio (2013): when ``||g|| > theta``, rescale ``g <- theta g / ||g||``
    (in place, all arrays together, so the direction is kept). Returns ``||g||`` before clipping."""
    theta = _validate.real(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm: expected a number > 0, got {max_norm}")
    norm = global_norm(grads)
    if norm > theta:
        for g in grads:
            g *= theta / norm
    return norm


def _pair_check(params, grads):
    if len(params) != len(grads):
        raise ValueError(f"grads: expected {len(params)} arrays like params, got {len(grads)}")
    for k, (p, g) in enumerate(zip(params, grads)):
        if p.shape != g.shape:
            raise ValueError(f"grads[{k}]: expected shape {p.shape}, got {g.shape}")


class SGD:
    """Stochastic gradient descent, optionally with (heavy-ball) momentum:
    ``v <- mu v + g``, ``w <- w - lr v`` (without momentum ``w <- w - lr g``)."""

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        self.lr = _validate.real(lr, "lr")
        self.momentum = _validate.real(momentum, "momentum")
        if self.lr <= 0:
            raise ValueError(f"lr: expected a number > 0, got {lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum: expected a number in [0, 1), got {momentum}")
        self._velocity: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        _pair_check(params, grads)
        if self.momentum == 0.0:
            for p, g in zip(params, grads):
                p -= self.lr * g
            return
        if self._velocity is None:
            self._velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self._velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


class Adam:
    """Adam (Kingma & Ba 2015): running means ``m`` of ``g`` and ``v`` of ``g^2``, corrected for
    their start at zero (``m_hat = m / (1 - beta1^t)``, ``v_hat = v / (1 - beta2^t)``);
    ``w <- w - lr m_hat / (sqrt(v_hat) + eps)``."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr = _validate.real(lr, "lr")
        self.beta1 = _validate.real(beta1, "beta1")
        self.beta2 = _validate.real(beta2, "beta2")
        self.eps = _validate.real(eps, "eps")
        if self.lr <= 0:
            raise ValueError(f"lr: expected a number > 0, got {lr}")
        for name, b in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name}: expected a number in [0, 1), got {b}")
        self.t = 0
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place, with its gradient in ``grads``."""
        _pair_check(params, grads)
        if self._m is None:  # the running means start at zero
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
        self.t += 1
        # both bias corrections folded into one step size a = lr sqrt(1 - beta2^t) / (1 - beta1^t)
        a = self.lr * np.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)
        for p, g, m, v in zip(params, grads, self._m, self._v):
            m *= self.beta1  # m <- beta1 m + (1 - beta1) g
            m += (1.0 - self.beta1) * g
            v *= self.beta2  # v <- beta2 v + (1 - beta2) g^2
            v += (1.0 - self.beta2) * (g * g)
            p -= a * m / (np.sqrt(v) + self.eps)  # w <- w - a m / (sqrt(v) + eps)

    def __repr__(self):
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g})"
