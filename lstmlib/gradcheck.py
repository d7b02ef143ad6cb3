"""Gradient checking: finite differences for every parameter, input and state of a model.

For a scalar loss ``E`` the centred difference ``(E(w + eps) - E(w - eps)) / (2 eps)`` has error
``O(eps^2)`` (truncation) plus ``O(u |E| / eps)`` (rounding, ``u`` = 1.1e-16 in float64); in
float64 with ``eps = 1e-6`` it agrees with a correct analytic gradient to about 1e-9 relative. A
missing term in a backward pass shows up as a relative error near 1e-2..1.

Finite differences can also be the inaccurate side: at large weights the loss curves sharply and
the truncation error grows. So every numerical gradient here comes with an estimate of its own
error, from the same loss evaluated at ``w +- 2 eps`` (the centred difference at ``2 eps`` errs
four times as much, so the two differ by about three times the error at ``eps``), and the verdict
says which criterion decided it.

The loss used by ``check_gradients`` is ``E = sum(G * hs)`` for a fixed random ``G``: every output
of every step receives gradient, so no path through the network is left unchecked; with
``final_grads=True`` it also has terms on the final state (``sum(G_h * h_T)``, and ``sum(G_c * c_T)``
for the LSTM), which checks the gradients a backward pass accepts from a later chunk.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from . import _validate
from .models import model_of

__all__ = ["numerical_gradient", "relative_error", "GradcheckRow", "GradcheckReport",
           "compare_gradients", "check_gradients"]

STENCILS = ("centred", "five-point")
DEFAULT_EPS = {"centred": 1e-6, "five-point": 1e-3}
ROUNDING = float(np.finfo(np.float64).eps)


def _check_eps(eps, stencil: str) -> float:
    if stencil not in STENCILS:
        raise ValueError(f"stencil: expected one of {STENCILS}, got {stencil!r}")
    if eps is None:
        return DEFAULT_EPS[stencil]
    eps = _validate.real(eps, "eps")
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps: expected a step in (0, 1), e.g. {DEFAULT_EPS[stencil]:g}, got {eps:g}")
    return eps


def numerical_gradient(loss: Callable[[], float], a: np.ndarray, eps: float | None = None,
                       stencil: str = "centred", *, with_error: bool = False):
    """``dE/da`` by finite differences, perturbing ``a`` in place one entry at a time.

    ``loss()`` must read ``a`` (a parameter view, an input array); ``a`` is restored exactly, also
    when ``loss`` raises. ``stencil="centred"``: ``(E(w+eps) - E(w-eps)) / (2 eps)``;
    ``"five-point"`` cancels the eps^2 term too (what the tests use for tight tolerances). Both
    evaluate ``E`` at ``w +- eps`` and ``w +- 2 eps``. With ``with_error=True`` returns
    ``(gradient, error)``: the gradient and an estimate of its own error, entry by entry.
    """
    eps = _check_eps(eps, stencil)
    grad = np.zeros(a.shape, dtype=np.float64)
    err = np.zeros(a.shape, dtype=np.float64)
    for k in np.ndindex(a.shape):  # works on strided views such as p.W_fh
        old = a[k]
        try:
            values = {}
            for o in (1, -1, 2, -2):
                a[k] = old + o * eps
                values[o] = loss()
        finally:
            a[k] = old
        d1 = (values[1] - values[-1]) / (2 * eps)  # centred at eps
        d2 = (values[2] - values[-2]) / (4 * eps)  # centred at 2 eps: four times the eps^2 error
        rounding = ROUNDING * max(abs(v) for v in values.values()) / eps
        if stencil == "centred":
            grad[k], err[k] = d1, abs(d2 - d1) / 3 + rounding
        else:  # Richardson: (4 d1 - d2) / 3 removes the eps^2 term
            grad[k], err[k] = (4 * d1 - d2) / 3, 2 * rounding
    return (grad, err) if with_error else grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a||, ||n||)`` (Frobenius norms); 0 when both are zero."""
    diff = np.linalg.norm(np.asarray(analytic, np.float64) - numeric)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return 0.0 if scale == 0 else float(diff / scale)


@dataclasses.dataclass(frozen=True)
class GradcheckRow:
    """One checked array: ``relative_error`` and ``max_abs_error`` of analytic against numeric,
    ``numeric_error`` the finite differences' own estimated error (relative), and ``decided_by``:
    ``"relative"``, ``"absolute"``, ``"within FD error"`` for a pass, ``"FAIL"`` otherwise."""

    name: str
    shape: tuple
    relative_error: float
    max_abs_error: float
    numeric_error: float
    decided_by: str

    @property
    def passed(self) -> bool:
        return self.decided_by != "FAIL"


@dataclasses.dataclass(frozen=True)
class GradcheckReport:
    """One row per checked array; ``passed`` when every row passed. The rule: a row passes when
    its relative error is at most ``tol``, or its largest absolute error at most ``atol``, or its
    relative error at most ``fd_factor`` times the finite differences' own estimated error (then
    the check cannot tell a correct gradient from this one, and says so).

    Printed, errors below ``display_floor`` read ``< 1e-08`` (their last digits depend on the BLAS
    build), except where they decide the verdict: a row's absolute error when it passes by ``atol``
    or fails is shown in full, and the finite differences' error when it is above ``tol``."""

    rows: tuple[GradcheckRow, ...]
    tol: float
    atol: float
    fd_factor: float = 3.0
    note: str = ""
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

    def _fmt(self, v: float, exact: bool = False) -> str:
        if v < self.display_floor and not exact:
            return f"< {self.display_floor:.0e}"
        return f"{v:.2g}"

    def _fmt_fd(self, r: GradcheckRow) -> str:
        # the finite differences' own error matters only above tol: below it reads "< tol"
        if r.decided_by == "relative" or r.numeric_error < self.tol:
            return f"< {self.tol:.0e}"
        return f"{r.numeric_error:.2g}"

    def format(self, tr: Callable[..., str] | None = None, width: Callable[[str], int] = len) -> str:
        """The table. ``tr(message, **fields)`` translates the labels (``None``: English);
        ``width(text)`` measures a cell on screen (``len`` for English; the course passes a
        display width that counts a CJK character as two columns), so that translated headers
        line up with their columns."""
        tr = tr or (lambda m, **f: m.format(**f) if f else m)
        results = {"relative": tr("pass"), "absolute": tr("pass (abs)"),
                   "within FD error": tr("pass (within FD error)"), "FAIL": tr("FAIL")}
        columns = [(tr("array"), "<", 7), (tr("shape"), "<", 11), (tr("relative error"), ">", 14),
                   (tr("FD error"), ">", 10), (tr("max abs error"), ">", 14), (tr("result"), "<", 0)]
        rows = []
        for r in self.rows:
            show_abs = r.decided_by in ("absolute", "FAIL")
            rows.append((r.name, str(r.shape), self._fmt(r.relative_error, not r.passed), self._fmt_fd(r),
                         self._fmt(r.max_abs_error, show_abs), results[r.decided_by]))
        sizes = [max([least, width(head)] + [width(row[j]) for row in rows])
                 for j, (head, _, least) in enumerate(columns)]

        def line(cells) -> str:
            out = []
            for text, (_, align, _), size in zip(cells, columns, sizes):
                fill = " " * max(0, size - width(text))
                out.append(text + fill if align == "<" else fill + text)
            return (" ".join(out[:-1]) + "  " + out[-1]).rstrip()  # two spaces before the verdict

        head = line([c[0] for c in columns])
        lines = [head, "-" * (sum(sizes) + len(sizes))]
        lines += [line(row) for row in rows]
        rule = tr("pass: relative error <= {tol:g}, or max abs error <= {atol:g}, or relative error "
                  "<= {k:g} x FD error", tol=self.tol, atol=self.atol, k=self.fd_factor)
        if self.passed:
            lines.append(tr("all pass ({rule})", rule=rule))
        else:
            lines.append(tr("{n} of {total} fail ({rule})", n=len(self.failed), total=len(self.rows), rule=rule))
        if self.note:
            lines.append(tr(self.note))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    __repr__ = __str__


def compare_gradients(analytic: dict[str, np.ndarray], numeric: dict[str, np.ndarray],
                      numeric_error: dict[str, np.ndarray] | None = None, *, tol: float = 1e-7,
                      atol: float = 1e-10, fd_factor: float = 3.0, note: str = "") -> GradcheckReport:
    """A report from dicts of gradients with the same keys (and the numerical ones' error)."""
    rows = []
    for name, n in numeric.items():
        a = np.asarray(analytic[name], np.float64)
        if a.shape != n.shape:
            raise ValueError(f"analytic[{name!r}]: expected shape {n.shape}, got {a.shape}")
        rel = relative_error(a, n)
        mx = float(np.max(np.abs(a - n))) if n.size else 0.0
        scale = max(np.linalg.norm(a), np.linalg.norm(n))
        fd = 0.0 if numeric_error is None or scale == 0 else float(np.linalg.norm(numeric_error[name]) / scale)
        if rel <= tol:
            decided = "relative"
        elif mx <= atol:
            decided = "absolute"
        elif rel <= fd_factor * fd:
            decided = "within FD error"
        else:
            decided = "FAIL"
        rows.append(GradcheckRow(name, tuple(n.shape), rel, mx, fd, decided))
    return GradcheckReport(tuple(rows), tol, atol, fd_factor, note)


def N_(message: str) -> str:
    """``message`` unchanged: marks English a course may translate (``tr(report.note)``) so that its
    catalog update finds it (gettext's convention; the course's ``i18n.N_`` does the same)."""
    return message


FLOAT32_NOTE = N_("checked in float64, on a copy of the float32 parameters: float32 rounds at 1e-7, "
                "which swamps finite differences")


def check_gradients(X: np.ndarray, p, rng=0, *, state=None, out_grad: np.ndarray | None = None,
                    final_grads: bool = False, backward=None, reference: bool = False,
                    inputs: bool = True, eps: float | None = None, stencil: str = "centred",
                    tol: float = 1e-7, atol: float = 1e-10) -> GradcheckReport:
    """Check a model's backward pass against finite differences, for every named parameter and
    (with ``inputs=True``) ``X`` and the initial state.

    ``X (T, B, D)``; ``p``: an ``RNNParams``, ``LSTMParams`` or ``GRUParams`` (a float32 model is
    checked on a float64 copy, and the report says so); ``rng``: a Generator or seed for the random
    ``G`` of ``E = sum(G * hs)``; ``state``: the initial state (zeros when ``None``); ``out_grad
    (T, B, H)``: ``G`` given instead of drawn; ``final_grads``: add random terms on the final state
    to the loss and pass their gradient to the backward pass; ``backward``: a replacement for the
    model's backward with its signature ``(dhs, cache, dstate)`` (to check a deliberately broken
    one); ``reference``: check the readable loops instead of the fused functions;
    ``stencil``/``eps``: see ``numerical_gradient``.
    """
    model = model_of(p)
    note = ""
    if p.dtype != np.float64:
        p, note = p.astype(np.float64), FLOAT32_NOTE
    gen = _validate.rng(rng)
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, B, _ = X.shape
    H = p.hidden_size
    X = X.copy()  # perturbed in place below
    # the initial state's arrays, copied: they are perturbed in place below
    state = tuple(s.copy() for s in model.state_arrays(model.check_state(state, B, H, p.dtype)))
    start = state if model.has_cell else state[0]
    if out_grad is None:
        out_grad = gen.standard_normal((T, B, H))
    out_grad = _validate.array(out_grad, "out_grad", ndim=3, dims="(T, B, H)", shape=(T, B, H), dtype=p.dtype)
    final = tuple(gen.standard_normal((B, H)) for _ in state) if final_grads else None
    dstate = None if final is None else (final if model.has_cell else final[0])

    def run():
        return model.forward(X, p, start, reference=reference)

    def loss() -> float:
        hs, cache = run()
        value = float(np.sum(out_grad * hs))
        if final is not None:
            value += sum(float(np.sum(G * s)) for G, s in zip(final, model.state_arrays(cache.final_state)))
        return value

    _, cache = run()
    g = (model.backward if backward is None else backward)(out_grad, cache, dstate)
    analytic = {name: getattr(g, name) for name in p.names}
    arrays = dict(p.named())
    if inputs:
        analytic["X"], arrays["X"] = g.dX, X
        for name, a, d in zip(("h0", "c0"), state, model.state_arrays(g.dstate0)):
            analytic[name], arrays[name] = d, a
    numeric, errors = {}, {}
    for name, a in arrays.items():
        numeric[name], errors[name] = numerical_gradient(loss, a, eps, stencil, with_error=True)
    return compare_gradients(analytic, numeric, errors, tol=tol, atol=atol, note=note)
