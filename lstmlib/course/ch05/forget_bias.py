"""The forget-gate bias: what ``sigmoid(b_f)^(T-1)`` predicts for the cell-state gradient reaching
step 1, and what BPTT measures, with near-zero weights and with the usual ones."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...activations import sigmoid
from ..ch04 import bias_decay_text
from ..i18n import tr
from .flow import last_step_gradients
from .lab import gated_models

__all__ = ["forget_bias_prediction", "ForgetBiasRow", "ForgetBiasTable", "forget_bias_table"]


def forget_bias_prediction(forget_bias, steps: int):
    """``sigmoid(b_f)^(steps - 1)``: what is left of ``dE/dc_T`` after travelling back to
    ``c_1`` along the cell state alone when every forget gate sits at ``sigmoid(b_f)``, i.e.
    with near-zero weights (Jozefowicz et al. 2015). ``forget_bias``: a number or an array."""
    steps = _validate.positive_int(steps, "steps")
    b = np.asarray(forget_bias, dtype=np.float64)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"forget_bias: expected finite numbers, got {forget_bias!r}")
    with np.errstate(under="ignore"):
        out = sigmoid(b) ** (steps - 1)
    return float(out) if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True, eq=False)
class ForgetBiasRow:
    """One row of ``ForgetBiasTable``: a bias, its prediction and the two measured ratios."""

    forget_bias: float
    predicted: float
    measured_small: float
    measured_default: float


@dataclasses.dataclass(frozen=True, eq=False)
class ForgetBiasTable:
    """``sigmoid(b_f)^(T-1)`` next to the measured ``||dE/dc_1|| / ||dE/dc_T||`` of an LSTM with
    near-zero weights (``small_scale``) and with the usual initialisation (scale 1). Here the
    norms are relative to ``||dE/dc_T||``, the cell state's own start, and the title says so."""

    steps: int
    small_scale: float
    rows: tuple[ForgetBiasRow, ...]

    def small_weight_gap(self) -> float:
        """The largest ``|measured / predicted - 1|`` with near-zero weights, over the rows."""
        return max(abs(r.measured_small / r.predicted - 1.0) for r in self.rows)

    def small_weight_summary(self) -> str:
        """One line: how close the near-zero-weight measurement is to the prediction, over the
        table's biases."""
        biases = ", ".join(f"{r.forget_bias:g}" for r in self.rows)
        return tr("weights x{scale:g}, b_f = {biases}, T = {T}: largest |measured / predicted - 1| = {gap:.1e}",
                  scale=self.small_scale, biases=biases, T=self.steps, gap=self.small_weight_gap())

    def __str__(self) -> str:
        return bias_decay_text(tr("||dE/dc_1|| / ||dE/dc_T|| for T = {T}: relative to the cell state's own "
                                  "gradient at T", T=self.steps), "b_f",
                               ("sigmoid(b_f)", 12), self.small_scale,
                               [(r.forget_bias, float(sigmoid(r.forget_bias)), r.predicted, r.measured_small,
                                 r.measured_default) for r in self.rows])

    __repr__ = __str__


def forget_bias_table(biases=(0.0, 1.0, 3.0), steps: int = 50, *, input_size: int = 4,
                      hidden_size: int = 16, small_scale: float = 1e-3, seed: int = 0) -> ForgetBiasTable:
    """Predicted and measured decay of the cell-state error over ``steps`` steps for each forget
    bias (one sequence ``X ~ N(0, 1)``, B = 1, float64, the same draws for every row)."""
    steps = _validate.positive_int(steps, "steps")
    rows = []
    for b in biases:
        measured = []
        for scale in (_validate.real(small_scale, "small_scale"), 1.0):
            gen = np.random.default_rng(seed)
            p = gated_models(input_size, hidden_size, gen, scale=scale, forget_bias=b)["lstm"]
            X = gen.standard_normal((steps, 1, input_size))
            g = last_step_gradients(X, p)
            measured.append(float(g.dc_norms[0] / g.dc_norms[-1]))
        rows.append(ForgetBiasRow(float(b), forget_bias_prediction(b, steps), *measured))
    return ForgetBiasTable(steps, float(small_scale), tuple(rows))
