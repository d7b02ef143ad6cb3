"""Where the LSTM's cell-state error comes from, step by step: the carry along the highway and
what re-enters through ``h`` from the next step's gates, read off the library's backward pass."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...lstm import LSTMParams, lstm_backward, lstm_forward, lstm_step_backward
from ...state import LSTMState
from ..i18n import tr
from ..linalg import step_norms
from ..tables import pad, width

__all__ = ["CellErrorParts", "cell_error_parts", "CellErrorTable", "cell_error_table"]

# ---- where the cell-state error comes from, step by step --------------------------------------------
_GATES = LSTMParams.gates  # f, i, o, c~ ("c")


@dataclasses.dataclass(frozen=True, eq=False)
class CellErrorParts:
    """BPTT's cell-state error of an LSTM for a loss at step T alone, taken apart. Arrays
    ``(T, B, H)`` for k = 1..T (index k-1):

    ``dc``: ``dE/dc_k``, the total; ``carry``: ``dE/dc_{k+1} * f_{k+1}``, what the highway brings
    from step k+1 (0 at T); ``via_h``: ``dE/dh_k * o_k * (1 - tanh^2 c_k)``, what enters through
    ``h_k``: at T the loss's own gradient, at k < T the gradient that step k+1's gates send back
    through their recurrent weights, ``dE/dh_k = sum_g W_gh^T delta_{g,k+1}``; ``returned[g]``:
    ``W_gh^T delta_{g,k+1}``, each gate's part of that ``dE/dh_k`` (0 at T); ``highway``:
    ``dE/dc_T * f_T * ... * f_{k+1}``, what would arrive along the cell state alone if nothing
    entered through h below step T; ``forget``: the forget gates ``f_k``.
    ``dc == carry + via_h`` at every step. The norms (over the batch, ``(T,)``) are properties.
    """

    forget_bias: float
    dc: np.ndarray
    carry_v: np.ndarray
    via_h_v: np.ndarray
    returned: dict
    highway_v: np.ndarray
    forget: np.ndarray

    steps = property(lambda self: self.dc.shape[0], doc="T")
    total = property(lambda self: step_norms(self.dc), doc="``||dE/dc_k||``, ``(T,)``")
    carry = property(lambda self: step_norms(self.carry_v), doc="``||carry_k||``, ``(T,)``")
    via_h = property(lambda self: step_norms(self.via_h_v), doc="``||via_h_k||``, ``(T,)``")
    highway = property(lambda self: step_norms(self.highway_v), doc="``||highway_k||``, ``(T,)``")

    @property
    def by_gate(self) -> dict:
        """``{g: ||W_gh^T delta_{g,k+1}||}``, ``(T,)`` each (0 at T)."""
        return {gate: step_norms(v) for gate, v in self.returned.items()}

    @property
    def cosine(self) -> np.ndarray:
        """The cosine between ``carry_k`` and ``via_h_k`` (over the batch's entries), 0 at T."""
        dot = np.sum(self.carry_v * self.via_h_v, axis=(1, 2))
        den = self.carry * self.via_h
        return np.divide(dot, den, out=np.zeros_like(dot), where=den > 0)

    def factors(self) -> tuple[float, float]:
        """Geometric means over k < T of ``||dE/dc_k|| / ||dE/dc_{k+1}||`` (the whole step back)
        and of ``||carry_k|| / ||dE/dc_{k+1}||`` (the highway alone)."""
        nxt = self.total[1:]
        return (float(np.exp(np.mean(np.log(self.total[:-1] / nxt)))),
                float(np.exp(np.mean(np.log(self.carry[:-1] / nxt)))))


def cell_error_parts(X: np.ndarray, p: LSTMParams, *, forget_bias: float | None = None) -> CellErrorParts:
    """``CellErrorParts`` of ``p`` on ``X (T, B, D)`` for ``E`` = the sum of ``h_T``'s entries.
    Everything is read off the library's backward pass: ``lstm_backward(state_grads=True)`` for
    ``dE/dh_k``, then ``lstm_step_backward`` at each step from T down, one sample at a time (so
    that a step's bias gradient is exactly its ``delta_g``), whose ``dc`` is the total, whose
    ``dc0`` is the carry handed to the step before, and whose ``delta_g`` times ``W_gh`` are the
    four parts of the ``dh0`` it sends back."""
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    if X.shape[0] < 2:
        raise ValueError(f"X: expected at least 2 steps (T >= 2: a step back needs one), got T = {X.shape[0]}")
    hs, cache = lstm_forward(X, p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dh = lstm_backward(dhs, cache, state_grads=True).dh  # dE/dh_k, the totals
    T, B, H = dhs.shape
    dc, carry = np.zeros((T, B, H)), np.zeros((T, B, H))
    returned = {gate: np.zeros((T, B, H)) for gate in _GATES}
    for t in range(T - 1, -1, -1):  # step t+1 (index t)
        for b in range(B):
            one = lstm_step_backward(LSTMState(dh[t, b:b + 1], carry[t, b:b + 1]), _one_sample(cache.steps[t], b))
            dc[t, b] = one.dc[0]
            if t > 0:
                carry[t - 1, b] = one.dc0[0]  # dE/dc_{t+1} * f_{t+1}, handed to step t
                for gate in _GATES:  # the parts of dE/dh_t that step t+1's gates send back
                    returned[gate][t - 1, b] = getattr(one, f"b_{gate}") @ getattr(p, f"W_{gate}h")
    f = np.array(cache.f)
    highway = np.empty_like(dc)
    highway[-1] = dc[-1]
    for t in range(T - 2, -1, -1):
        highway[t] = highway[t + 1] * f[t + 1]
    b_f = float(np.mean(p.b_f)) if forget_bias is None else float(forget_bias)
    return CellErrorParts(b_f, dc, carry, dc - carry, returned, highway, f)


def _one_sample(step_cache, b: int):
    """A step cache cut down to sample ``b`` (every ``(B, .)`` array becomes ``(1, .)``)."""
    fields = {f.name: getattr(step_cache, f.name) for f in dataclasses.fields(step_cache)}
    return type(step_cache)(**{k: v[b:b + 1] if isinstance(v, np.ndarray) else v for k, v in fields.items()})


@dataclasses.dataclass(frozen=True, eq=False)
class CellErrorTable:
    """``CellErrorParts`` for a few forget biases, one row each: the geometric-mean factor of one
    step back along the highway alone (the carry) and in all (``factors``), their difference (what
    the return through h adds), the mean cosine between carry and return, the ratio
    ``||dE/dc_1|| / ||dE/dc_T||``, and the candidate's part of the return: the mean over k of
    ``||W_ch^T delta_c|| / sum_g ||W_gh^T delta_g||``."""

    steps: int
    parts: tuple[CellErrorParts, ...]

    def __str__(self) -> str:
        names = ("b_f", tr("highway alone"), tr("whole step"), tr("added via h"), tr("cosine"), tr("after T-1 steps"),
                 tr("W_ch part"))
        rows = []
        for p in self.parts:
            whole, highway = p.factors()
            parts = p.by_gate
            cand = float(np.mean(parts["c"][:-1] / np.sum([parts[g][:-1] for g in _GATES], axis=0)))
            rows.append((f"{p.forget_bias:g}", f"{highway:.3f}", f"{whole:.3f}", f"{whole - highway:+.3f}",
                         f"{float(np.mean(p.cosine[:-1])):.2f}", f"{p.total[0] / p.total[-1]:.3g}", f"{cand:.0%}"))
        widths = [max(least, width(n), *(width(r[j]) for r in rows))
                  for j, (n, least) in enumerate(zip(names, (4, 13, 10, 11, 6, 15, 9)))]

        def line(items):
            return "  ".join(pad(t, w, ">") for t, w in zip(items, widths))
        head = line(names)
        lines = [tr("one step back along the cell state, geometric mean over k = 1..{n} (T = {T})",
                    n=self.steps - 1, T=self.steps), head, "-" * width(head)]
        return "\n".join(lines + [line(r) for r in rows])

    __repr__ = __str__


def cell_error_table(lab, biases=(0.0, 1.0, 3.0), scale: float = 1.0, steps: int = 50) -> CellErrorTable:
    """``cell_error_parts`` of a ``GradientFlowLab``'s LSTM at each forget bias (its first
    ``steps`` inputs; from 2, one step back, to the lab's ``max_steps``)."""
    steps = lab.steps(steps, lo=2)
    return CellErrorTable(steps, tuple(cell_error_parts(lab.X[:steps], lab.models(b, scale)["lstm"], forget_bias=b)
                                       for b in biases))
