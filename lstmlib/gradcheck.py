"""Gradient checking: finite differences for every parameter, input and state of a model.

For a scalar loss ``E`` the centred difference ``(E(w + eps) - E(w - eps)) / (2 eps)`` has error
``O(eps^2)``; in float64 with ``eps = 1e-6`` it agrees with a correct analytic gradient to about
``1e-9`` relative. A missing term in a backward pass shows up as a relative error near 1e-2..1.

The loss used by ``check_gradients`` is ``E = sum(G * hs)`` for a fixed random ``G``: every output
of every step receives gradient, so no path through the network is left unchecked; with
``final_grads=True`` it also has terms on the final states (``sum(G_h * h_T) + sum(G_c * c_T)``),
which checks the gradients a backward pass accepts from a later chunk.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from . import _validate
from .models import model_of

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
    """``dE/da`` by finite differences, perturbing ``a`` in place one entry at a time.

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
        # In the course's language (lstmlib.course.i18n: English unless a notebook chose another);
        # imported here, as the model layer's only use of it, so that importing lstmlib stays light.
        from .course.i18n import tr
        head = (f"{tr('array'):<7} {tr('shape'):<13} {tr('relative error'):>15} {tr('max abs error'):>14}  "
                f"{tr('result')}")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.name:<7} {str(r.shape):<13} {self._fmt(r.relative_error):>15} "
                f"{self._fmt(r.max_abs_error):>14}  {tr('pass') if r.passed else tr('FAIL')}"
            )
        if self.passed:
            verdict = tr("all pass (pass: relative error <= {tol:g} or max abs error <= {atol:g})",
                         tol=self.tol, atol=self.atol)
        else:
            verdict = tr("{n} of {total} fail (pass: relative error <= {tol:g} or max abs error <= {atol:g})",
                         n=len(self.failed), total=len(self.rows), tol=self.tol, atol=self.atol)
        lines.append(verdict)
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


def check_gradients(X: np.ndarray, p, rng=0, *, states: dict | None = None,
                    out_grad: np.ndarray | None = None, final_grads: bool = False,
                    backward=None, reference: bool = False, inputs: bool = True,
                    eps: float | None = None, stencil: str = "centred", tol: float = 1e-7,
                    atol: float = 1e-10) -> GradcheckReport:
    """Check a model's backward pass against finite differences, for every named parameter and
    (with ``inputs=True``) ``X`` and each initial state.

    ``X (T, B, D)``; ``p``: an ``RNNParams``, ``LSTMParams`` or ``GRUParams`` (float64 for a
    meaningful check); ``rng``: a Generator or seed for the random ``G`` of ``E = sum(G * hs)``;
    ``states``: initial states by name, ``{"h": ..., "c": ...}`` (zeros when absent);
    ``out_grad (T, B, H)``: ``G`` given instead of drawn; ``final_grads``: add random terms on the
    final states to the loss and pass their gradients to the backward pass; ``backward``: a
    replacement for the model's backward, same signature (to check a deliberately broken one);
    ``reference``: check the readable loops instead of the fused functions;
    ``stencil``/``eps``: see ``numerical_gradient``.
    """
    model = model_of(p)
    gen = _validate.rng(rng)
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, B, _ = X.shape
    H = p.hidden_size
    X = X.copy()  # perturbed in place below
    states = dict(states or {})
    model._state_kwargs(states, "", "")  # names the unknown keys, if any
    states = {n: _validate.state(states.get(n), f"states[{n!r}]", batch=B, size=H, dtype=p.dtype).copy()
              for n in model.states}
    if out_grad is None:
        out_grad = gen.standard_normal((T, B, H)).astype(p.dtype)
    out_grad = _validate.array(out_grad, "out_grad", ndim=3, dims="(T, B, H)", shape=(T, B, H), dtype=p.dtype)
    final = {n: gen.standard_normal((B, H)).astype(p.dtype) for n in model.states} if final_grads else {}

    def run():
        return model.forward(X, p, states, reference=reference)

    def loss() -> float:
        hs, cache = run()
        value = float(np.sum(out_grad.astype(np.float64) * hs))
        return value + sum(float(np.sum(G * cache.final_state[n])) for n, G in final.items())

    _, cache = run()
    if backward is None:
        g = model.backward(out_grad, cache, final)
    else:
        g = backward(out_grad, cache, **{f"d{n}T": G for n, G in final.items()})
    analytic = {name: getattr(g, name) for name in p.names}
    arrays = dict(p.named())
    if inputs:
        analytic["X"], arrays["X"] = g.dX, X
        for n in model.states:
            analytic[n + "0"], arrays[n + "0"] = g.dstate0[n], states[n]
    numeric = {name: numerical_gradient(loss, a, eps, stencil) for name, a in arrays.items()}
    return compare_gradients(analytic, numeric, tol=tol, atol=atol)
