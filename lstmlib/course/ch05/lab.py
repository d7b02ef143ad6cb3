"""Chapter 05's comparison of the three models under the same conditions: their parameters
(``gated_models``), the straight line each one's gradient is read against (``guide_line``), and
the explorer's data (``GradientFlowLab``) with its readings at a few settings."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...activations import DERIVATIVE_BOUND
from ...models import MODELS, model_of
from ...rnn import RNNParams
from .. import _checks
from ..i18n import tr
from ..linalg import spectral_norm
from ..tables import pad, width
from .flow import last_step_gradients
from .jacobian import cell_jacobian_norms

__all__ = ["gated_models", "set_forget_bias", "direct_path_factor", "article_bound", "guide_line", "guide_label",
           "GradientFlowComparison", "GradientFlowLab", "ExplorerReadings", "explorer_readings"]


def set_forget_bias(p, forget_bias: float) -> None:
    """Set ``b_f = forget_bias`` in ``p`` when its model has that option (the LSTM); leave any
    other model as it is (a GRU's or an RNN's state has no forget gate)."""
    if "forget_bias" in model_of(p).options:
        p.b_f[...] = _validate.real(forget_bias, "forget_bias")


def gated_models(input_size: int, hidden_size: int, rng, *, scale: float = 1.0,
                 forget_bias: float = 0.0, dtype=np.float64) -> dict:
    """One model of each registry kind, ``{'rnn': RNNParams, 'lstm': LSTMParams, 'gru':
    GRUParams}``, drawn in that order from ``rng``, with every weight from ``U(-s, s)``, ``s =
    scale / sqrt(H)`` (``scale=1`` is the usual initialisation), all biases zero except the
    LSTM's ``b_f = forget_bias``. Zero biases keep the comparison about the weights: every gate
    starts at sigmoid(0) = 1/2 apart from what the weights add."""
    H = _validate.positive_int(hidden_size, "hidden_size")
    s = _validate.real(scale, "scale") / np.sqrt(H)
    gen = _validate.rng(rng)
    models = {name: m.init(input_size, H, gen, dtype=dtype, scale=s) for name, m in MODELS.items()}
    for p in models.values():
        p.bias[...] = 0.0
        set_forget_bias(p, forget_bias)
    return models


def direct_path_factor(p) -> float:
    """What one step back multiplies the gradient by along the path that bypasses every weight
    matrix, when all weights are zero and the biases are as in ``p``: the mean over the units of
    the carried state's gradient after one ``step_backward`` (the model's own). The LSTM's cell
    state gives ``sigmoid(b_f)`` (the forget gate), the GRU's state ``1 - sigmoid(b_z)`` (the
    direct path of its update), the RNN 0: every path back crosses ``W``."""
    m = model_of(p)
    q = p.copy()
    q.weights[...] = 0.0
    zero = m.check_state(None, 1, q.hidden_size, q.dtype)  # a zero state of the model's form
    _, step = m.step_forward(np.zeros((1, q.input_size), dtype=q.dtype), q, zero)
    grads = [np.zeros_like(a) for a in m.state_arrays(zero)]
    grads[-1][...] = 1.0  # on the state that is carried: c for the LSTM, h otherwise
    dstate = type(zero)(*grads) if m.has_cell else grads[0]
    back = m.state_arrays(m.step_backward(dstate, step).dstate0)[-1]
    return float(np.mean(back))


def article_bound(p: RNNParams) -> float:
    """``beta_f * beta_W`` of a plain RNN (chapter 01): the bound on the activation's derivative
    times the largest singular value of ``W``, the most one step back can stretch the gradient."""
    _validate.params(p, RNNParams)
    return DERIVATIVE_BOUND[p.activation] * spectral_norm(p.W)


def guide_line(p, steps: int, *, start: float = 1.0) -> np.ndarray:
    """The straight line on a log plot that a model's gradient is read against, ``(T,)`` over
    k = 1..T, equal to ``start`` at k = T: ``factor^(T-k)`` with ``factor = direct_path_factor(p)``
    for a model with a path that bypasses the weights (the LSTM's ``sigmoid(b_f)``, the GRU's
    ``1 - sigmoid(b_z)``: the prediction with near-zero weights), and for the plain RNN, which has
    none, the article's bound ``(beta_f beta_W)^(T-k)``."""
    steps = _validate.positive_int(steps, "steps")
    factor = direct_path_factor(p)
    if factor == 0.0:
        factor = article_bound(p)
    back = np.arange(steps - 1, -1, -1, dtype=np.float64)  # T - k
    with np.errstate(over="ignore", under="ignore"):
        return _validate.real(start, "start") * factor ** back


def guide_label(p) -> str:
    """Whose dotted line ``guide_line(p, ...)`` is, and what it follows, in a few words for a
    legend: ``LSTM guide: 0.73^(T−k), the forget gates alone``."""
    m = model_of(p)
    factor = direct_path_factor(p)
    if factor == 0.0:
        return f"{m.title} guide: {article_bound(p):.2f}^(T−k), the article's bound"
    what = "the forget gates alone" if m.has_cell else "the direct path alone"
    return f"{m.title} guide: {factor:.2f}^(T−k), {what}"


@dataclasses.dataclass(frozen=True, eq=False)
class GradientFlowComparison:
    """``last_step_gradients`` of the three models on one input, for one setting of the explorer:
    ``flows`` and ``models`` (the parameters) by registry name. Every norm is relative to
    ``||dE/dh_T||``, what the loss put in."""

    flows: dict
    models: dict
    forget_bias: float
    scale: float

    @property
    def steps(self) -> int:
        return next(iter(self.flows.values())).steps

    def guides(self) -> dict:
        """``guide_line`` of each model, ``{name: (T,)}``, each starting where the curve it
        predicts starts: at 1 (``||dE/dh_T||``) for the state ``h``, and for a model with a cell
        state at its ``||dE/dc_T|| / ||dE/dh_T||`` (the guide is about the cell state)."""
        out = {}
        for name, flow in self.flows.items():
            start = flow.relative("dc")[-1] if flow.dc is not None else 1.0
            out[name] = guide_line(self.models[name], self.steps, start=start)
        return out

    def table(self, at=(1, 10, 25, 40)) -> str:
        """``||dE/dh_k|| / ||dE/dh_T||`` (and the LSTM's ``||dE/dc_k|| / ||dE/dh_T||``) at the steps
        ``at`` (and T)."""
        T = self.steps
        ks = [k for k in at if 1 <= k < T] + [T]
        head = f"{'k':>14}" + "".join(f"{k:>10}" for k in ks)
        lines = [tr("norms relative to ||dE/dh_T||, what the loss put in"), head, "-" * len(head)]
        for name, flow in self.flows.items():
            title = MODELS[name].title
            rows = [(f"{title} dE/dh_k", flow.relative("dh"))]
            if flow.dc is not None:
                rows.append((f"{title} dE/dc_k", flow.relative("dc")))
            for label, v in rows:
                lines.append(f"{label:>14}" + "".join(f"{v[k - 1]:>10.2e}" for k in ks))
        return "\n".join(lines)


class GradientFlowLab:
    """Chapter 05's explorer data: one input sequence and one draw of each model's weights,
    re-scaled and re-biased on request, so that every slider moves exactly one thing.

    ``compare(forget_bias, scale, steps)`` runs all three models on the first ``steps`` inputs;
    ``max_steps`` from 2 to ``MAX_STEPS``.
    """

    MAX_STEPS = 5000

    def __init__(self, *, input_size: int = 4, hidden_size: int = 16, max_steps: int = 200,
                 seed: int = 0):
        self.max_steps = _checks.whole_number(max_steps, "max_steps", 2, self.MAX_STEPS)
        gen = _validate.rng(_checks.seed(seed))
        self.base = gated_models(input_size, hidden_size, gen, scale=1.0)
        self.X = gen.standard_normal((self.max_steps, 1, _validate.positive_int(input_size, "input_size")))

    def steps(self, steps: int | None, lo: int = 1) -> int:
        """``steps`` checked against this lab (``None``: ``max_steps``)."""
        return self.max_steps if steps is None else _checks.whole_number(steps, "steps", lo, self.max_steps)

    def models(self, forget_bias: float = 0.0, scale: float = 1.0) -> dict:
        """Copies of the lab's models with every weight times ``scale`` (>= 0) and the LSTM's
        ``b_f = forget_bias``."""
        scale = _validate.real(scale, "scale")
        if scale < 0:
            raise ValueError(f"scale: expected a number >= 0, got {scale}")
        out = {}
        for name, base in self.base.items():
            p = base.copy()
            p.weights[...] *= scale
            set_forget_bias(p, forget_bias)
            out[name] = p
        return out

    def cell_jacobian_norms(self, biases=(0.0, 1.0, 3.0), scale: float = 1.0, steps: int = 50) -> dict:
        """``{b_f: cell_jacobian_norms(LSTM with that forget bias, first steps inputs)}``, ``steps``
        from 2 to ``max_steps``."""
        X = self.X[:self.steps(steps, lo=2)]
        return {float(b): cell_jacobian_norms(X, self.models(b, scale)["lstm"]) for b in biases}

    def compare(self, forget_bias: float = 0.0, scale: float = 1.0,
                steps: int | None = None) -> GradientFlowComparison:
        X = self.X[:self.steps(steps)]
        models = self.models(forget_bias, scale)
        flows = {name: last_step_gradients(X, p) for name, p in models.items()}
        return GradientFlowComparison(flows, models, float(forget_bias), float(scale))


@dataclasses.dataclass(frozen=True, eq=False)
class ExplorerReadings:
    """The values at k = 1 of every curve and guide of the explorer, for a few settings."""

    rows: tuple

    def __str__(self) -> str:
        first = self.rows[0][1]
        cols = []
        for name, flow in first.flows.items():
            title = MODELS[name].title
            cols += [f"{title} dh"] + ([f"{title} dc"] if flow.dc is not None else []) + [tr("guide")]
        head = f"{'b_f':>4}{pad(tr('scale'), 6, '>')}{'T':>5}  " + "".join(pad(c, 10, ">") for c in cols)
        lines = [tr("values at k = 1, relative to ||dE/dh_T|| (guide: the dotted line of that model; for the RNN "
                    "the article's bound)"), head, "-" * width(head)]
        for (b, s, T), comp in self.rows:
            gd = comp.guides()
            cells = []
            for name, flow in comp.flows.items():
                cells.append(flow.relative("dh")[0])
                if flow.dc is not None:
                    cells.append(flow.relative("dc")[0])
                cells.append(gd[name][0])
            lines.append(f"{b:>4g}{s:>6g}{T:>5}  " + "".join(f"{v:>10.1e}" for v in cells))
        return "\n".join(lines)

    __repr__ = __str__


def explorer_readings(lab: GradientFlowLab, settings) -> ExplorerReadings:
    """``lab.compare(b_f, scale, T)`` for each ``(b_f, scale, T)`` in ``settings``."""
    return ExplorerReadings(tuple(((float(b), float(s), int(T)), lab.compare(b, s, T)) for b, s, T in settings))

