"""Chapter 08, the variants themselves: their parameter counts, a proof that the switches change
nothing when they are off, and gradient checks of every variant."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate, lstm
from ...gradcheck import check_gradients
from ...models import get_model
from ...params import LSTMParams
from ...variants import VariantLSTMParams
from ..i18n import tr
from ..tables import pad, width

__all__ = ["variant_options", "VARIANT_LABELS", "parameter_table", "SwitchedOff", "switched_off",
           "gradcheck_table", "GradcheckRow"]

VARIANT_LABELS = ("V", "NP", "NIG", "NFG", "NOG", "NIAF", "NOAF", "CIFG")
"""Greff et al.'s names: V (vanilla, with peepholes), NP (no peepholes, chapter 02's LSTM) and
the one-change variants, each with peepholes as in their paper."""


def variant_options(label: str) -> dict:
    """The ``lstm_variant`` options of one of ``VARIANT_LABELS``."""
    if label not in VARIANT_LABELS:
        raise ValueError(f"label: expected one of {VARIANT_LABELS}, got {label!r}")
    if label in ("V", "NP"):
        return dict(variant="vanilla", peepholes=label == "V")
    return dict(variant=label, peepholes=True)


def parameter_table(input_size: int = 2, hidden_size: int = 16) -> str:
    """Each variant's learned numbers for one layer of ``input_size`` inputs and ``hidden_size``
    units: weight blocks, peepholes, total, and the change from V."""
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    m = get_model("lstm_variant")
    base = m.parameter_count(D, H, **variant_options("V"))
    head = (pad(tr("variant"), 8) + pad(tr("blocks"), 8, ">") + pad(tr("peepholes"), 11, ">")
            + pad(tr("parameters"), 12, ">") + pad(tr("vs V"), 9, ">"))
    lines = [tr("one layer, D = {D} inputs, H = {H} units", D=D, H=H), head, "-" * width(head)]
    for label in VARIANT_LABELS:
        opts = variant_options(label)
        p = VariantLSTMParams.init(D, H, 0, **opts)
        n = m.parameter_count(D, H, **opts)
        lines.append(f"{label:<8}{len(p.gates):>8}{0 if p.peephole is None else p.peephole.size:>11}{n:>12}"
                     f"{(n - base) / base:>+9.1%}")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class SwitchedOff:
    """The variant model with every switch off against ``lstm.py`` on the same weights: the
    largest difference of the outputs, of the final state and of any gradient."""

    outputs: float
    final_state: float
    gradients: float
    shape: tuple

    def __str__(self) -> str:
        return tr("every switch off vs chapter 02's LSTM on the same weights, X {shape}: outputs differ "
                  "by at most {a:.1e}, final state by {b:.1e}, gradients (every parameter, X, h0, c0) "
                  "by {c:.1e}", shape=self.shape, a=self.outputs, b=self.final_state, c=self.gradients)


def switched_off(steps: int = 20, batch: int = 3, input_size: int = 4, hidden_size: int = 5,
                 seed: int = 0) -> SwitchedOff:
    """Run ``lstm.lstm_forward``/``backward`` and the ``lstm_variant`` model's fast passes with
    ``variant="vanilla", peepholes=False`` on the same ``LSTMParams`` storage, random input,
    initial state and output gradients (``seed``)."""
    gen = _validate.rng(seed)
    p = LSTMParams.init(input_size, hidden_size, gen)
    q = VariantLSTMParams(p.weights, p.bias)
    X = gen.standard_normal((steps, batch, input_size))
    state = (gen.standard_normal((batch, hidden_size)), gen.standard_normal((batch, hidden_size)))
    G = gen.standard_normal((steps, batch, hidden_size))
    final = (gen.standard_normal((batch, hidden_size)), gen.standard_normal((batch, hidden_size)))
    hs, cache = lstm.lstm_forward(X, p, state)
    g = lstm.lstm_backward(G, cache, final)
    m = get_model("lstm_variant")
    hs2, cache2 = m.forward(X, q, state)
    g2 = m.backward(G, cache2, final)
    grads = [np.abs(getattr(g, n) - getattr(g2, n)).max() for n in p.names]
    grads += [np.abs(g.dX - g2.dX).max(), np.abs(g.dh0 - g2.dh0).max(), np.abs(g.dc0 - g2.dc0).max()]
    fs = max(np.abs(a - b).max() for a, b in zip(cache.final_state, cache2.final_state))
    return SwitchedOff(float(np.abs(hs - hs2).max()), float(fs), float(max(grads)), X.shape)


@dataclasses.dataclass(frozen=True)
class GradcheckRow:
    label: str
    arrays: int
    worst: float
    passed: bool


def gradcheck_table(labels=VARIANT_LABELS, *, steps: int = 6, batch: int = 2, input_size: int = 3,
                    hidden_size: int = 4, seed: int = 0) -> tuple[str, list]:
    """``check_gradients`` (float64, centred differences) of every variant's fast backward, for
    every parameter, ``X``, ``h0``, ``c0`` and with gradients arriving at the final state too;
    the initial state random. Returns the table's text and its rows."""
    rows = []
    m = get_model("lstm_variant")
    for label in labels:
        gen = _validate.rng(seed)
        p = m.init(input_size, hidden_size, gen, forget_bias=0.5 if label != "NFG" else 0.0,
                   **variant_options(label))
        X = gen.standard_normal((steps, batch, input_size))
        state = (gen.standard_normal((batch, hidden_size)), gen.standard_normal((batch, hidden_size)))
        rep = check_gradients(X, p, gen, state=state, final_grads=True)
        rows.append(GradcheckRow(label, len(rep.rows), rep.max_relative_error(), rep.passed))
    verdicts = [tr("pass") if r.passed else tr("FAIL") for r in rows]
    last = max(width(tr("result")), *(width(v) for v in verdicts))
    head = (pad(tr("variant"), 8) + pad(tr("arrays checked"), 16, ">") + pad(tr("worst relative error"), 22, ">")
            + "  " + pad(tr("result"), last))
    lines = [head, "-" * width(head)]
    for r, v in zip(rows, verdicts):
        lines.append(f"{r.label:<8}{r.arrays:>16}{r.worst:>22.1e}  {v}")
    return "\n".join(lines), rows


