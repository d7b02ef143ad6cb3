"""Gradient checking: centred finite differences for every parameter and input of a model.

For a scalar loss ``E`` the centred difference ``(E(w + eps) - E(w - eps)) / (2 eps)`` has error
``O(eps^2)``; in float64 with ``eps = 1e-6`` it agrees with a correct analytic gradient to about
``1e-9`` relative. A missing term in a backward pass shows up as a relative error near 1e-2..1.

The loss used by ``check_gradients`` is ``E = sum(G * hs)`` for a fixed random ``G``: every output
of every step receives gradient, so no path through the network is left unchecked.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from . import _validate
from .gru import GRUParams, gru_backward, gru_forward
from .lstm import LSTMParams, lstm_backward, lstm_forward
from .rnn import RNNParams, rnn_backward, rnn_forward

__all__ = ["numerical_gradient", "relative_error", "GradcheckRow", "GradcheckReport",
           "compare_gradients", "check_gradients"]


STENCILS = {
    # name: (offsets in units of eps, weights, divisor): dE/dw ~ sum(w_j E(w + o_j eps)) / (div eps)
    "centred": ((1, -1), (1, -1), 2),  # error O(eps^2): the textbook formula
    "five-point": ((2, 1, -1, -2), (-1, 8, -8, 1), 12),  # error O(eps^4): for tight test tolerances
}
DEFAULT_EPS = {"centred": 1e-6, "five-point": 1e-3}


def numerical_gradient(loss: Callable[[], float], a: np.ndarray, eps: float | None = None,
                       stencil: str = "centred") -> np.ndarray:
    """``dE/da`` by centred differences, perturbing ``a`` in place one entry at a time.

    ``loss()`` must read ``a`` (a parameter view, an input array); ``a`` is restored exactly.
    ``stencil="centred"`` is ``(E(w+eps) - E(w-eps)) / (2 eps)``, 2 calls of ``loss`` per entry;
    ``"five-point"`` cancels the eps^2 error term too, 4 calls per entry, and is what the tests
    use: the rounding error of E, divided by eps, limits how small a gradient the centred formula
    can resolve to 1e-7 relative.
    """
    if stencil not in STENCILS:
        raise ValueError(f"stencil: expected one of {sorted(STENCILS)}, got {stencil!r}")
    offsets, weights, divisor = STENCILS[stencil]
    eps = DEFAULT_EPS[stencil] if eps is None else _validate.real(eps, "eps")
    grad = np.zeros(a.shape, dtype=np.float64)
    for k in np.ndindex(a.shape):  # works on strided views such as p.W_fh
        old = a[k]
        total = 0.0
        for o, w in zip(offsets, weights):
            a[k] = old + o * eps
            total += w * loss()
        a[k] = old
        grad[k] = total / (divisor * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a||, ||n||)`` (Frobenius norms); 0 when both are zero."""
    diff = np.linalg.norm(np.asarray(analytic, np.float64) - numeric)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return 0.0 if scale == 0 else float(diff / scale)


@dataclasses.dataclass(frozen=True)
class GradcheckRow:
    name: str
    shape: tuple
    relative_error: float
    max_abs_error: float
    passed: bool


@dataclasses.dataclass(frozen=True)
class GradcheckReport:
    """One row per checked array; ``passed`` when every row passed. Printing shows a table in
    which errors below ``display_floor`` read ``< 1e-08`` (their last digits depend on the BLAS
    build and would make saved notebook outputs flicker)."""

    rows: tuple[GradcheckRow, ...]
    tol: float
    atol: float
    display_floor: float = 1e-8

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows if not r.passed)

    def __getitem__(self, name: str) -> GradcheckRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def max_relative_error(self) -> float:
        return max(r.relative_error for r in self.rows)

    def _fmt(self, v: float) -> str:
        return f"< {self.display_floor:.0e}" if v < self.display_floor else f"{v:.2g}"

    def __str__(self) -> str:
        head = f"{'array':<7} {'shape':<13} {'relative error':>15} {'max abs error':>14}  result"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.name:<7} {str(r.shape):<13} {self._fmt(r.relative_error):>15} "
                f"{self._fmt(r.max_abs_error):>14}  {'pass' if r.passed else 'FAIL'}"
            )
        verdict = "all pass" if self.passed else f"{len(self.failed)} of {len(self.rows)} fail"
        lines.append(f"{verdict} (pass: relative error <= {self.tol:g} or max abs error <= {self.atol:g})")
        return "\n".join(lines)

    __repr__ = __str__


def compare_gradients(analytic: dict[str, np.ndarray], numeric: dict[str, np.ndarray],
                      tol: float = 1e-7, atol: float = 1e-10) -> GradcheckReport:
    """Build a report from two dicts of gradients with the same keys."""
    rows = []
    for name, n in numeric.items():
        a = np.asarray(analytic[name], np.float64)
        if a.shape != n.shape:
            raise ValueError(f"analytic[{name!r}]: expected shape {n.shape}, got {a.shape}")
        rel = relative_error(a, n)
        mx = float(np.max(np.abs(a - n))) if n.size else 0.0
        rows.append(GradcheckRow(name, tuple(n.shape), rel, mx, rel <= tol or mx <= atol))
    return GradcheckReport(tuple(rows), tol, atol)


MODELS = {
    "lstm": (LSTMParams, lstm_forward, lstm_backward, ("h0", "c0")),
    "gru": (GRUParams, gru_forward, gru_backward, ("h0",)),
    "rnn": (RNNParams, rnn_forward, rnn_backward, ("h0",)),
}
"""model name -> (params class, forward, backward, initial-state names)"""


def model_of(p) -> str:
    """'lstm', 'gru' or 'rnn' for a parameter object."""
    for name, (cls, *_rest) in MODELS.items():
        if isinstance(p, cls):
            return name
    raise ValueError(f"p: expected LSTMParams, GRUParams or RNNParams, got {type(p).__name__}")


def check_gradients(p, X: np.ndarray, rng, *, states: dict | None = None, backward=None,
                    forward_kwargs: dict | None = None, inputs: bool = True, eps: float | None = None,
                    stencil: str = "centred", tol: float = 1e-7, atol: float = 1e-10,
                    out_grad: np.ndarray | None = None) -> GradcheckReport:
    """Check a model's backward pass against centred differences, for every named parameter and
    (with ``inputs=True``) ``X`` and each initial state.

    ``p``: an ``LSTMParams``, ``GRUParams`` or ``RNNParams`` (float64 for a meaningful check);
    ``X (T, B, D)``; ``states``: initial states by name (``{'h0': ..., 'c0': ...}``, zeros when
    absent); ``backward``: a replacement for the model's backward with the same signature (to
    check a deliberately broken one); ``out_grad (T, B, H)``: the ``G`` of ``E = sum(G * hs)``,
    drawn from ``rng`` when ``None``; ``stencil``/``eps``: see ``numerical_gradient``.
    """
    model = model_of(p)
    _, forward, default_backward, state_names = MODELS[model]
    backward = default_backward if backward is None else backward
    forward_kwargs = dict(forward_kwargs or {})
    states = dict(states or {})
    for name in states:
        if name not in state_names:
            raise ValueError(f"states: expected keys among {state_names}, got {name!r}")
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, B, _ = X.shape
    X = X.copy()  # perturbed in place below
    for name in state_names:
        states[name] = _validate.state(states.get(name), name, batch=B, size=p.hidden_size, dtype=p.dtype).copy()
    if out_grad is None:
        out_grad = _validate.rng(rng).standard_normal((T, B, p.hidden_size)).astype(p.dtype)

    def loss() -> float:
        hs, _ = forward(X, p, **states, **forward_kwargs)
        return float(np.sum(out_grad.astype(np.float64) * hs))

    _, cache = forward(X, p, **states, **forward_kwargs)
    g = backward(out_grad, cache)
    analytic = {name: getattr(g, name) for name in p.names}
    arrays = dict(p.named())
    if inputs:
        analytic["X"] = g.dX
        arrays["X"] = X
        for name in state_names:
            analytic[name] = getattr(g, "d" + name)
            arrays[name] = states[name]
    numeric = {name: numerical_gradient(loss, a, eps, stencil) for name, a in arrays.items()}
    return compare_gradients(analytic, numeric, tol=tol, atol=atol)
