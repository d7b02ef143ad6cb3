"""Optimizers and gradient-norm clipping; all update the arrays they are given in place.

``params`` and ``grads`` are sequences of arrays in the same order (``SequenceModel.arrays()`` and
what ``train.loss_and_grads`` returns).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import _validate

__all__ = ["global_norm", "clip_grad_norm", "SGD", "Adam", "linear_decay"]


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


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are the same array: the same memory, shape and strides."""
    return a is b or (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
                      and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def linear_decay(start: float, end: float, steps: int) -> Callable[[int], float]:
    """A learning-rate schedule: ``start`` at step 1, falling linearly to ``end`` at step
    ``steps`` (>= 2) and staying there. Pass it as an optimizer's ``lr``."""
    start, end = _positive(start, "start"), _positive(end, "end")
    steps = _validate.positive_int(steps, "steps")
    if steps < 2:
        raise ValueError(f"steps: expected at least 2 (step 1 runs at start, step `steps` at end), got {steps}")

    def lr(t: int) -> float:
        return start + (end - start) * min(t - 1, steps - 1) / (steps - 1)
    return lr


def _positive(value, name: str) -> float:
    v = _validate.real(value, name)
    if v <= 0:
        raise ValueError(f"{name}: expected a number > 0, got {value}")
    return v


class _Optimizer:
    """What SGD and Adam share: the learning rate (a number, or a schedule ``lr(t)`` of the step
    count t = 1, 2, ...), the step count, and per-array state that must keep matching the arrays
    it was started with."""

    def __init__(self, lr):
        self.lr = lr if callable(lr) else _positive(lr, "lr")
        self.t = 0
        self._params: list[np.ndarray] | None = None  # the arrays of the first step, kept alive

    def lr_at(self, t: int) -> float:
        """The learning rate of step ``t``."""
        return float(self.lr(t)) if callable(self.lr) else self.lr

    def _start(self, params, grads) -> bool:
        """Checks; True on the first step (the state is then to be created). Later steps must
        update the same arrays (the same memory: fresh views of it are fine)."""
        _pair_check(params, grads)
        if self._params is None:
            self._params = list(params)
            return True
        if len(params) != len(self._params) or not all(map(_same_memory, params, self._params)):
            shapes, given = [p.shape for p in self._params], [p.shape for p in params]
            got = "other arrays of those shapes" if given == shapes else f"{len(given)} of shapes {given}"
            raise ValueError(f"params: expected the {len(shapes)} arrays of shapes {shapes} this optimizer "
                             f"started with (it keeps state per array: make a new one for another model), "
                             f"got {got}")
        return False

    def _lr_repr(self) -> str:
        return "schedule" if callable(self.lr) else f"{self.lr:g}"


class SGD(_Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum:
    ``v <- mu v + g``, ``w <- w - lr v`` (without momentum ``w <- w - lr g``)."""

    def __init__(self, lr: float | Callable[[int], float] = 0.1, momentum: float = 0.0):
        super().__init__(lr)
        self.momentum = _validate.real(momentum, "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum: expected a number in [0, 1), got {momentum}")
        self._velocity: list[np.ndarray] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place, with its gradient in ``grads``."""
        if self._start(params, grads):
            self._velocity = [np.zeros_like(p) for p in params] if self.momentum else []
        self.t += 1
        lr = self.lr_at(self.t)
        if not self.momentum:
            for p, g in zip(params, grads):
                p -= lr * g
            return
        for p, g, v in zip(params, grads, self._velocity):
            v *= self.momentum
            v += g
            p -= lr * v

    def __repr__(self):
        return f"SGD(lr={self._lr_repr()}, momentum={self.momentum:g})"


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015), in the form PyTorch's ``torch.optim.Adam`` computes::

        m <- beta1 m + (1 - beta1) g                 running mean of g
        v <- beta2 v + (1 - beta2) g^2               running mean of g^2
        m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)     corrected for starting at zero
        w <- w - lr m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, lr: float | Callable[[int], float] = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = _validate.real(beta1, "beta1")
        self.beta2 = _validate.real(beta2, "beta2")
        self.eps = _positive(eps, "eps")
        for name, b in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name}: expected a number in [0, 1), got {b}")
        self._m: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._scratch: list[np.ndarray] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place, with its gradient in ``grads``."""
        if self._start(params, grads):  # the running means start at zero
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
            self._scratch = [np.empty_like(p) for p in params]  # no temporaries at each step
        self.t += 1
        lr = self.lr_at(self.t)
        b1, b2 = self.beta1, self.beta2
        m_correction = 1.0 - b1 ** self.t  # m_hat = m / m_correction
        v_correction = np.sqrt(1.0 - b2 ** self.t)  # sqrt(v_hat) = sqrt(v) / v_correction
        for p, g, m, v, s in zip(params, grads, self._m, self._v, self._scratch):
            m *= b1  # m <- beta1 m + (1 - beta1) g
            m += np.multiply(g, 1.0 - b1, out=s)
            v *= b2  # v <- beta2 v + (1 - beta2) g^2
            np.multiply(g, g, out=s)
            v += np.multiply(s, 1.0 - b2, out=s)
            np.sqrt(v, out=s)  # sqrt(v_hat) + eps, in the order torch computes it
            s /= v_correction
            s += self.eps
            np.divide(m, s, out=s)  # m / (sqrt(v_hat) + eps)
            s *= lr / m_correction
            p -= s

    def __repr__(self):
        return f"Adam(lr={self._lr_repr()}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g})"
