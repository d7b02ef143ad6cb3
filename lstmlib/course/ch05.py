"""Chapter 05, gradient flow: how much of a loss's gradient at the last step reaches every
earlier step in an RNN, an LSTM and a GRU; the cell-state Jacobian; the forget-gate bias."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate, fused
from ..activations import DERIVATIVE_BOUND, sigmoid
from ..gru import GRUParams
from ..lstm import LSTMParams
from ..models import MODELS, model_of
from ..rnn import RNNParams
from .ch01 import spectral_norm, step_norms

__all__ = ["LastStepGradients", "last_step_gradients", "forget_bias_prediction", "gated_models",
           "ForgetBiasRow", "ForgetBiasTable", "forget_bias_table", "CellJacobian",
           "cell_state_jacobian", "cell_jacobian_norms", "GradientFlowComparison", "GradientFlowLab",
           "model_gradient_flow", "highway_guide"]


@dataclasses.dataclass(frozen=True, eq=False)
class LastStepGradients:
    """The error signals that a loss ``E`` at the last step T sends back to every earlier step.

    ``dh (T, B, H)``: ``dE/dh_k`` for k = 1..T (index k-1), the total derivative with respect to
    the hidden state; ``dc (T, B, H)``: ``dE/dc_k``, the LSTM's cell state (both paths into
    ``c_k``: the carry from ``c_{k+1}`` and the path through ``h_k``), ``None`` for the RNN and
    GRU. Norms are Frobenius norms over the batch rows (the Euclidean norm when B = 1).
    """

    model: str
    dh: np.ndarray
    dc: np.ndarray | None = None

    steps = property(lambda self: len(self.dh), doc="T, the number of time steps")
    dh_norms = property(lambda self: step_norms(self.dh), doc="``||dE/dh_k||`` for k = 1..T, ``(T,)``")

    @property
    def dc_norms(self) -> np.ndarray | None:
        """``||dE/dc_k||`` for k = 1..T, ``(T,)`` (None without a cell state)."""
        return None if self.dc is None else step_norms(self.dc)

    def relative(self, which: str = "dh") -> np.ndarray:
        """``||dE/d{h,c}_k|| / ||dE/dh_T||``: the norms relative to what the loss put in."""
        if which not in ("dh", "dc"):
            raise ValueError(f"which: expected 'dh' or 'dc', got {which!r}")
        norms = self.dh_norms if which == "dh" else self.dc_norms
        if norms is None:
            raise ValueError(f"which: {self.model} has no cell state, so no 'dc'")
        top = self.dh_norms[-1]
        return norms / top if top > 0 else np.zeros_like(norms)


def last_step_gradients(X: np.ndarray, p, *, dh_last: np.ndarray | None = None,
                        h0: np.ndarray | None = None, c0: np.ndarray | None = None) -> LastStepGradients:
    """``dE/dh_k`` (and, for the LSTM, ``dE/dc_k``) at every step k for a loss at step T alone.

    ``X (T, B, D)``; ``p``: ``RNNParams``, ``LSTMParams`` or ``GRUParams``; ``dh_last (B, H)``:
    ``dE/dh_T`` (all ones when None, i.e. E = the sum of h_T's entries); ``h0``, ``c0 (B, H)``.
    Computed by the model's fused backward with ``state_grads=True`` (equal to the readable one,
    as the tests check): fast enough for an explorer to redraw three models at T = 200.
    """
    model = model_of(p)
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, B, _ = X.shape
    H = p.hidden_size
    if dh_last is None:
        dh_last = np.ones((B, H), dtype=p.dtype)
    dhs = np.zeros((T, B, H), dtype=p.dtype)
    dhs[-1] = _validate.array(dh_last, "dh_last", ndim=2, dims="(B, H)", shape=(B, H), dtype=p.dtype)
    state = {"h": h0, "c": c0} if model.name == "lstm" else {"h": h0}
    _, cache = model.forward(X, p, state)
    g = model.backward(dhs, cache, state_grads=True)
    return LastStepGradients(model.name, g.dh, getattr(g, "dc", None))


def forget_bias_prediction(forget_bias, steps: int):
    """``sigmoid(b_f)^(steps - 1)``: what is left of ``dE/dc_T`` after travelling back to
    ``c_1`` along the cell state alone when every forget gate sits at ``sigmoid(b_f)``, i.e.
    with near-zero weights (Jozefowicz et al. 2015). ``forget_bias``: a number or an array."""
    steps = _validate.positive_int(steps, "steps")
    b = np.asarray(forget_bias, dtype=np.float64)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"forget_bias: expected finite numbers, got {forget_bias!r}")
    out = sigmoid(b) ** (steps - 1)
    return float(out) if out.ndim == 0 else out


def gated_models(input_size: int, hidden_size: int, rng, *, scale: float = 1.0,
                 forget_bias: float = 0.0, dtype=np.float64):
    """``{'rnn': RNNParams, 'lstm': LSTMParams, 'gru': GRUParams}`` with every weight drawn from
    ``U(-s, s)``, ``s = scale / sqrt(H)`` (``scale=1`` is the usual initialisation), all biases
    zero except the LSTM's ``b_f = forget_bias``. Zero biases keep the comparison about the
    weights: every gate starts at sigmoid(0) = 1/2 apart from what the weights add."""
    H = _validate.positive_int(hidden_size, "hidden_size")
    s = _validate.real(scale, "scale") / np.sqrt(H)
    gen = _validate.rng(rng)
    models = {
        "rnn": RNNParams.init(input_size, H, gen, dtype=dtype, scale=s),
        "lstm": LSTMParams.init(input_size, H, gen, dtype=dtype, scale=s),
        "gru": GRUParams.init(input_size, H, gen, dtype=dtype, scale=s),
    }
    for p in models.values():
        p.bias[...] = 0.0
    models["lstm"].b_f[...] = _validate.real(forget_bias, "forget_bias")
    return models


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
    near-zero weights (``small_scale``) and with the usual initialisation (scale 1)."""

    steps: int
    small_scale: float
    rows: tuple[ForgetBiasRow, ...]

    def __str__(self) -> str:
        head = (f"{'b_f':>5}  {'sigmoid(b_f)':>12}  {'predicted':>10}  "
                f"{'measured, weights x' + format(self.small_scale, 'g'):>24}  {'measured, usual init':>20}")
        lines = [f"||dE/dc_1|| / ||dE/dc_T|| for T = {self.steps}", head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.forget_bias:>5g}  {float(sigmoid(r.forget_bias)):>12.4f}  "
                         f"{r.predicted:>10.2e}  {r.measured_small:>24.2e}  {r.measured_default:>20.2e}")
        return "\n".join(lines)

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


def _no_minus_zero(v: float, digits: int = 3) -> float:
    """``v`` rounded to ``digits``, with -0.0 turned into 0.0 (so a printed table does not show a
    sign that the last bits of a BLAS build decide)."""
    return float(np.round(v, digits)) + 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class CellJacobian:
    """``dc_t/dc_{t-1}`` of an LSTM, split in two, per sample: ``(B, H, H)`` each.

    ``direct = diag(f_t)``: the cell-state path ``c_t = f_t * c_{t-1} + ...``; ``through_h``: the
    paths through ``h_{t-1} = o_{t-1} * tanh(c_{t-1})`` into the gates of step t::

        [diag(c_{t-1} f'(.)) W_fh + diag(c~_t i'(.)) W_ih + diag(i_t c~'(.)) W_ch] diag(o_{t-1} tanh'(c_{t-1}))

    (with ``f' = f (1 - f)`` etc.). Their sum is the whole derivative of ``c_t`` with respect to
    ``c_{t-1}`` when ``h_{t-1}`` is computed from it.
    """

    step: int
    direct: np.ndarray
    through_h: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.direct + self.through_h

    def norms(self) -> tuple[float, float]:
        """Largest singular values (``||direct||_2``, ``||through_h||_2``) over the batch."""
        return (float(max(np.linalg.norm(m, 2) for m in self.direct)),
                float(max(np.linalg.norm(m, 2) for m in self.through_h)))

    def __str__(self) -> str:
        """The three matrices of the first sample, side by side, 3 decimals."""
        parts = (("diag(f_t)", self.direct[0]), ("terms through h", self.through_h[0]),
                 ("total dc_t/dc_(t-1)", self.total[0]))
        H = self.direct.shape[1]
        width = 8 * H
        lines = [f"t = {self.step}:  " + "   ".join(f"{name:<{width}}" for name, _ in parts)]
        for i in range(H):
            lines.append(" " * (len(str(self.step)) + 7)
                         + "   ".join("".join(f"{_no_minus_zero(v):>8.3f}" for v in m[i]) for _, m in parts))
        return "\n".join(lines)

    __repr__ = __str__


def cell_state_jacobian(X: np.ndarray, p: LSTMParams, step: int, h0: np.ndarray | None = None,
                        c0: np.ndarray | None = None) -> CellJacobian:
    """``CellJacobian`` of ``c_step`` with respect to ``c_{step-1}`` on the sequence ``X (T, B, D)``
    (``2 <= step <= T``: at step 1 the previous hidden state is ``h0``, an input, not a function
    of ``c0``)."""
    hs, cache = fused.lstm_forward(X, p, h0, c0)  # validates X, p, h0, c0
    T = hs.shape[0]
    step = _validate.positive_int(step, "step")
    if not 2 <= step <= T:
        raise ValueError(f"step: expected 2 <= step <= T = {T}, got {step}")
    t, s = step - 1, step - 2  # array indices of steps t and t-1
    f, i, c_tilde = cache.f[t], cache.i[t], cache.c_tilde[t]
    c_prev, o_prev = cache.c[s], cache.o[s]
    dh_dc = o_prev * (1.0 - np.tanh(c_prev) ** 2)  # d h_{t-1} / d c_{t-1}, diagonal, (B, H)
    rows = ((c_prev * f * (1.0 - f))[:, :, None] * p.W_fh
            + (c_tilde * i * (1.0 - i))[:, :, None] * p.W_ih
            + (i * (1.0 - c_tilde ** 2))[:, :, None] * p.W_ch)  # (B, H, H): d c_t / d h_{t-1}
    through_h = rows * dh_dc[:, None, :]
    direct = np.zeros_like(through_h)
    idx = np.arange(p.hidden_size)
    direct[:, idx, idx] = f
    return CellJacobian(step, direct, through_h)


def cell_jacobian_norms(X: np.ndarray, p: LSTMParams) -> tuple[np.ndarray, np.ndarray]:
    """``(||diag(f_t)||_2, ||through_h_t||_2)`` for t = 2..T, each ``(T-1,)``: how much of each
    step's ``dc_t/dc_{t-1}`` is the highway and how much goes through ``h``."""
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    pairs = [cell_state_jacobian(X, p, t).norms() for t in range(2, X.shape[0] + 1)]
    return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])


@dataclasses.dataclass(frozen=True, eq=False)
class GradientFlowComparison:
    """``last_step_gradients`` of the three models on one input, for one setting of the explorer."""

    flows: dict
    forget_bias: float
    scale: float
    rnn_beta: float  # beta_f * beta_W of the RNN: tanh's 1 times the largest singular value of W

    @property
    def steps(self) -> int:
        return next(iter(self.flows.values())).steps

    def guides(self) -> dict:
        """``highway_guide`` of each model for this setting, ``{name: (T,)}``."""
        return {name: highway_guide(name, self.steps, forget_bias=self.forget_bias, beta=self.rnn_beta)
                for name in self.flows}

    def table(self, at=(1, 10, 25, 40)) -> str:
        """``||dE/dh_k|| / ||dE/dh_T||`` (and the LSTM's ``dE/dc_k``) at the steps ``at`` (and T)."""
        T = self.steps
        ks = [k for k in at if 1 <= k < T] + [T]
        head = f"{'k':>14}" + "".join(f"{k:>10}" for k in ks)
        lines = [head, "-" * len(head)]
        for name, flow in self.flows.items():
            rows = [(f"{name.upper()} dE/dh_k", flow.relative("dh"))]
            if flow.dc is not None:
                rows.append((f"{name.upper()} dE/dc_k", flow.relative("dc")))
            for label, v in rows:
                lines.append(f"{label:>14}" + "".join(f"{v[k - 1]:>10.2e}" for k in ks))
        return "\n".join(lines)


class GradientFlowLab:
    """Chapter 05's explorer data: one input sequence and one draw of each model's weights,
    re-scaled and re-biased on request, so that every slider moves exactly one thing.

    ``compare(forget_bias, scale, steps)`` runs all three models on the first ``steps`` inputs.
    """

    def __init__(self, *, input_size: int = 4, hidden_size: int = 16, max_steps: int = 200,
                 seed: int = 0):
        self.max_steps = _validate.positive_int(max_steps, "max_steps")
        gen = _validate.rng(seed)
        self.base = gated_models(input_size, hidden_size, gen, scale=1.0)
        self.X = gen.standard_normal((self.max_steps, 1, _validate.positive_int(input_size, "input_size")))

    def models(self, forget_bias: float = 0.0, scale: float = 1.0) -> dict:
        scale = _validate.real(scale, "scale")
        if scale < 0:
            raise ValueError(f"scale: expected a number >= 0, got {scale}")
        out = {}
        for name, base in self.base.items():
            p = base.copy()
            p.weights[...] *= scale
            out[name] = p
        out["lstm"].b_f[...] = _validate.real(forget_bias, "forget_bias")
        return out

    def cell_jacobian_norms(self, biases=(0.0, 1.0, 3.0), scale: float = 1.0, steps: int = 50) -> dict:
        """``{b_f: cell_jacobian_norms(LSTM with that forget bias, first steps inputs)}``."""
        steps = _validate.positive_int(steps, "steps")
        if not 2 <= steps <= self.max_steps:
            raise ValueError(f"steps: expected 2 <= steps <= max_steps={self.max_steps}, got {steps}")
        return {float(b): cell_jacobian_norms(self.X[:steps], self.models(b, scale)["lstm"]) for b in biases}

    def compare(self, forget_bias: float = 0.0, scale: float = 1.0,
                steps: int | None = None) -> GradientFlowComparison:
        steps = self.max_steps if steps is None else _validate.positive_int(steps, "steps")
        if steps > self.max_steps:
            raise ValueError(f"steps: expected at most max_steps={self.max_steps}, got {steps}")
        X = self.X[:steps]
        models = self.models(forget_bias, scale)
        flows = {name: last_step_gradients(X, p) for name, p in models.items()}
        beta = DERIVATIVE_BOUND["tanh"] * spectral_norm(models["rnn"].W)
        return GradientFlowComparison(flows, float(forget_bias), float(scale), beta)


def model_gradient_flow(X: np.ndarray, model) -> LastStepGradients:
    """``last_step_gradients`` of a ``train.SequenceModel`` (one output) for ``E = y``, its
    prediction: ``dE/dh_T = W_y`` for every sequence, so ``||dE/dh_k||`` says how strongly the
    prediction depends on the state at step k. Computed in float64 (a float32 model's tiny
    gradients would underflow). ``X (T, B, D)``."""
    head = getattr(model, "head", None)
    if head is None or head.weights.shape[0] != 1:
        raise ValueError(f"model: expected a SequenceModel with one output, got {model!r}")
    p = model.cell.astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    B = X.shape[1] if X.ndim == 3 else 1
    dh_last = np.repeat(head.weights.astype(np.float64), B, axis=0)
    return last_step_gradients(X, p, dh_last=dh_last)


def highway_guide(model: str, steps: int, *, forget_bias: float = 0.0, beta: float | None = None):
    """The straight line on a log plot that each model's gradient is measured against, ``(T,)``
    over k = 1..T (1 at k = T):

    * ``"lstm"``: ``sigmoid(b_f)^(T-k)``, the cell-state path alone with near-zero weights;
    * ``"gru"``: ``(1 - sigmoid(0))^(T-k) = 2^-(T-k)``, the path ``h_{k-1} -> (1 - z) h_{k-1}``
      alone with zero update-gate bias and near-zero weights;
    * ``"rnn"``: the article's bound ``beta^(T-k)``, ``beta = beta_f beta_W`` (give ``beta``).
    """
    steps = _validate.positive_int(steps, "steps")
    back = np.arange(steps - 1, -1, -1, dtype=np.float64)  # T - k
    if model == "lstm":
        base = float(sigmoid(np.float64(_validate.real(forget_bias, "forget_bias"))))
    elif model == "gru":
        base = 0.5
    elif model == "rnn":
        if beta is None:
            raise ValueError("beta: expected beta_f * beta_W for the RNN's bound, got None")
        base = _validate.real(beta, "beta")
    else:
        raise ValueError(f"model: expected one of {tuple(MODELS)}, got {model!r}")
    with np.errstate(over="ignore", under="ignore"):
        return base ** back
