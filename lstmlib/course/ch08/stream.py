"""Chapter 08, what the parts are for, measured on fresh weights: the cell state on a continual
stream with no sequence boundaries (Gers, Schmidhuber and Cummins 2000), and the gradient's reach
(chapter 05's measure, ``||dE/dh_k|| / ||dE/dh_T||`` for a loss at the last step alone) of every
variant. ``VariantLab`` is the explorer's data: one stream and one draw of weights, so that every
control moves exactly one thing."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...models import get_model
from ..i18n import tr
from ..linalg import step_norms
from ..tables import pad, width
from .parts import VARIANT_LABELS, variant_options

__all__ = ["stream_inputs", "variant_params", "CellDrift", "cell_drift", "drift_table", "Reach", "reach", "lab_readings",
           "reach_table", "VariantLab"]


def stream_inputs(steps: int, *, input_size: int = 2, mean: float = 0.5, seed: int = 0) -> np.ndarray:
    """One continual stream ``(steps, 1, input_size)``: inputs drawn from ``U(mean - 1/2, mean +
    1/2)`` (``mean = 0.5``: the adding problem's values in [0, 1], never reset)."""
    steps = _validate.positive_int(steps, "steps")
    gen = _validate.rng(seed)
    return gen.uniform(-0.5, 0.5, (steps, 1, input_size)) + _validate.real(mean, "mean")


def variant_params(label: str, input_size: int = 2, hidden_size: int = 16, *, forget_bias: float = 1.0,
                   scale: float | None = None, seed: int = 0):
    """Fresh ``lstm_variant`` parameters of variant ``label`` (``VARIANT_LABELS``) drawn from
    ``seed``; ``forget_bias`` is ignored for NFG (it has no forget gate)."""
    opts = variant_options(label)
    fb = 0.0 if label == "NFG" else _validate.real(forget_bias, "forget_bias")
    return get_model("lstm_variant").init(input_size, hidden_size, seed, scale=scale, forget_bias=fb, **opts)


@dataclasses.dataclass(frozen=True, eq=False)
class CellDrift:
    """``|c_t|`` along a stream: ``size (T,)`` the mean of ``|c_t|`` over the units and
    ``saturated (T,)`` the share of units with ``|tanh c_t| > 0.99`` (where ``tanh'`` < 0.02: the
    unit's output no longer moves, nor does the gradient through it)."""

    label: str
    size: np.ndarray
    saturated: np.ndarray

    def at(self, step: int) -> float:
        return float(self.size[step - 1])


def cell_drift(X: np.ndarray, p) -> CellDrift:
    """Run ``p`` (an ``lstm_variant``) over the stream ``X (T, 1, D)`` from a zero state, never
    resetting it, and measure its cell state at every step."""
    _, cache = get_model("lstm_variant").forward(X, p)
    c = np.asarray(cache.c)[:, 0, :]
    return CellDrift(p.title, np.abs(c).mean(axis=1), (np.abs(np.tanh(c)) > 0.99).mean(axis=1))


def drift_table(steps: int = 5000, labels=VARIANT_LABELS, at=(10, 100, 1000, 5000), *, seed: int = 0) -> tuple[str, dict]:
    """``cell_drift`` of every variant (H = 16, b_f = 1, weights from ``seed``) on one stream of
    ``steps`` steps from ``seed``: mean ``|c_t|`` at the steps ``at``, and the saturated share at the
    end. Returns the table's text and ``{label: CellDrift}``."""
    X = stream_inputs(steps, seed=seed)
    drifts = {label: cell_drift(X, variant_params(label, seed=seed)) for label in labels}
    at = [k for k in at if k <= steps]
    head = pad(tr("variant"), 8) + "".join(f"{'|c| t=' + str(k):>13}" for k in at) + pad(tr("saturated"), 11, ">")
    lines = [tr("mean |c_t| over 16 units on one stream of {T} steps (inputs U(0, 1), never reset)", T=steps),
             head, "-" * width(head)]
    for label, d in drifts.items():
        lines.append(f"{label:<8}" + "".join(f"{d.at(k):>13.3g}" for k in at) + f"{d.saturated[-1]:>11.0%}")
    return "\n".join(lines), drifts


@dataclasses.dataclass(frozen=True, eq=False)
class Reach:
    """Chapter 05's measure for one variant: ``dh (T,)`` = ``||dE/dh_k|| / ||dE/dh_T||`` and ``dc
    (T,)`` = ``||dE/dc_k|| / ||dE/dh_T||``, k = 1..T, for ``E = sum(h_T)``."""

    label: str
    dh: np.ndarray
    dc: np.ndarray

    def at(self, step: int, which: str = "dh") -> float:
        return float((self.dh if which == "dh" else self.dc)[step - 1])


def reach(X: np.ndarray, p) -> Reach:
    """The gradient's reach of ``p`` on ``X (T, B, D)``: the fast backward with ``state_grads``."""
    m = get_model("lstm_variant")
    hs, cache = m.forward(X, p)
    dhs = np.zeros(hs.shape, dtype=hs.dtype)
    dhs[-1] = 1.0
    g = m.backward(dhs, cache, state_grads=True)
    dh, dc = step_norms(g.dh), step_norms(g.dc)
    top = dh[-1]
    return Reach(p.title, dh / top, dc / top)


def reach_table(steps: int = 100, labels=VARIANT_LABELS, forget_biases=(0.0, 1.0), *, seed: int = 0) -> tuple[str, dict]:
    """``reach`` of every variant (H = 16, weights from ``seed``) on ``steps`` inputs of the stream,
    for each forget bias: ``||dE/dh_1|| / ||dE/dh_T||``. Returns the text and ``{(label, b_f): Reach}``."""
    X = stream_inputs(steps, seed=seed)
    out = {(label, float(b)): reach(X, variant_params(label, forget_bias=b, seed=seed))
           for b in forget_biases for label in labels}
    head = pad(tr("variant"), 8) + "".join(f"{'b_f=' + format(b, 'g'):>12}" for b in forget_biases)
    lines = [tr("||dE/dh_1|| / ||dE/dh_T||, T = {T}, loss at the last step alone (chapter 05's measure)", T=steps),
             head, "-" * width(head)]
    for label in labels:
        lines.append(f"{label:<8}" + "".join(f"{out[(label, float(b))].at(1):>12.2e}" for b in forget_biases))
    return "\n".join(lines), out


class VariantLab:
    """The explorer's data: one stream of ``max_steps`` inputs and one draw of weights per
    variant. ``view(label, forget_bias, input_mean, steps)`` gives the variant's and the standard
    LSTM's (NP) cell drift over ``steps`` and their gradient's reach over the first ``reach_steps``."""

    def __init__(self, *, hidden_size: int = 16, max_steps: int = 1000, reach_steps: int = 100, seed: int = 0):
        self.max_steps = _validate.positive_int(max_steps, "max_steps")
        self.reach_steps = _validate.positive_int(reach_steps, "reach_steps")
        self.hidden_size = _validate.positive_int(hidden_size, "hidden_size")
        self.seed = seed
        self.noise = stream_inputs(self.max_steps, mean=0.0, seed=seed)
        self.base = {label: variant_params(label, hidden_size=hidden_size, forget_bias=0.0, seed=seed)
                     for label in VARIANT_LABELS}
        self._reference: dict = {}

    def params(self, label: str, forget_bias: float):
        p = self.base[label].copy()
        if p.has("f"):
            p.b_f[...] = _validate.real(forget_bias, "forget_bias")
        return p

    def view(self, label: str, forget_bias: float = 1.0, input_mean: float = 0.5, steps: int | None = None):
        """``(drift, reference_drift, reach, reference_reach)``: ``CellDrift`` and ``Reach`` of
        ``label`` and of NP (chapter 02's LSTM) at the same forget bias, on the stream shifted to
        ``input_mean``."""
        if label not in VARIANT_LABELS:
            raise ValueError(f"label: expected one of {VARIANT_LABELS}, got {label!r}")
        steps = self.max_steps if steps is None else _validate.positive_int(steps, "steps")
        if steps > self.max_steps:
            raise ValueError(f"steps: expected at most max_steps={self.max_steps}, got {steps}")
        X = self.noise[:steps] + _validate.real(input_mean, "input_mean")
        key = (float(forget_bias), float(input_mean), steps)
        if key not in self._reference:  # NP changes only with these: keep the last few
            if len(self._reference) > 16:
                self._reference.pop(next(iter(self._reference)))
            self._reference[key] = self._measure("NP", forget_bias, X)
        d, r = self._measure(label, forget_bias, X)
        d0, r0 = self._reference[key]
        return d, d0, r, r0

    def _measure(self, label: str, forget_bias: float, X: np.ndarray):
        p = self.params(label, forget_bias)
        return cell_drift(X, p), reach(X[:self.reach_steps], p)


def lab_readings(lab: VariantLab, settings) -> str:
    """What the explorer shows at each ``(label, forget_bias, input_mean)`` of ``settings``: mean
    ``|c|`` at the end of the stream and ``||dE/dh_1|| / ||dE/dh_T||``, beside NP's."""
    head = (pad(tr("variant"), 8) + f"{'b_f':>6}" + pad(tr("mean x"), 8, ">") + pad(tr("|c| end"), 10, ">") + f"{'NP |c|':>10}"
            f"{'dh_1/dh_T':>12}{'NP dh_1/dh_T':>14}")
    lines = [tr("stream of {T} steps; reach over the first {k}", T=lab.max_steps, k=lab.reach_steps), head,
             "-" * width(head)]
    for label, b, mean in settings:
        d, d0, r, r0 = lab.view(label, b, mean)
        lines.append(f"{label:<8}{b:>6g}{mean:>8g}{d.size[-1]:>10.3g}{d0.size[-1]:>10.3g}{r.at(1):>12.2e}"
                     f"{r0.at(1):>14.2e}")
    return "\n".join(lines)
