"""Chapter 05, gradient flow: how much of a loss's gradient at the last step reaches every
earlier step in an RNN, an LSTM and a GRU; the one-step cell-state Jacobian and why its product is
not ``dc_T/dc_k``; the forget-gate bias predicted and measured; where the cell-state error comes
from at every step, and why it can grow; what the explorer shows at a few settings."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate, fused
from ..activations import DERIVATIVE_BOUND, sigmoid
from ..lstm import lstm_backward, lstm_forward, lstm_step_backward
from ..gru import GRUParams
from ..lstm import LSTMParams
from ..models import MODELS, model_of
from ..rnn import RNNParams
from .linalg import spectral_norm, step_norms
from .ch04 import bias_decay_text
from .i18n import tr

__all__ = ["LastStepGradients", "last_step_gradients", "forget_bias_prediction", "gated_models",
           "ForgetBiasRow", "ForgetBiasTable", "forget_bias_table", "CellJacobian",
           "cell_state_jacobian", "cell_jacobian_norms", "GradientFlowComparison", "GradientFlowLab",
           "model_gradient_flow", "highway_guide", "CellStateChain", "cell_state_chain", "ProductVsTotal",
           "product_vs_total", "CellErrorParts",
           "cell_error_parts", "CellErrorTable", "cell_error_table", "ExplorerReadings", "explorer_readings"]


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
        return bias_decay_text(tr("||dE/dc_1|| / ||dE/dc_T|| for T = {T}", T=self.steps), "b_f",
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
        parts = (("diag(f_t)", self.direct[0]), (tr("terms through h"), self.through_h[0]),
                 (tr("total dc_t/dc_(t-1)"), self.total[0]))
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
        """``highway_guide`` of each model for this setting, ``{name: (T,)}``, each starting where
        the curve it predicts starts: at 1 (``||dE/dh_T||``) for the RNN and the GRU, at the
        LSTM's ``||dE/dc_T|| / ||dE/dh_T||`` for the LSTM's cell-state guide."""
        out = {name: highway_guide(name, self.steps, forget_bias=self.forget_bias, beta=self.rnn_beta)
               for name in self.flows}
        if "lstm" in out:
            out["lstm"] = out["lstm"] * self.flows["lstm"].relative("dc")[-1]
        return out

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


# ---- the product of one-step Jacobians is not dc_T/dc_k ----------------------------------------------
def _first_sample_copies(X: np.ndarray, H: int, h0, c0):
    """``X (T, B, D)`` -> its first sample repeated H times, ``(T, H, D)``, with the states' first
    rows repeated likewise: a batch of H identity rows as the seed of one backward pass then gives
    a whole Jacobian."""
    rep = lambda a: None if a is None else np.repeat(np.asarray(a)[:1], H, axis=0)  # noqa: E731
    return np.repeat(X[:, :1], H, axis=1), rep(h0), rep(c0)


@dataclasses.dataclass(frozen=True, eq=False)
class CellStateChain:
    """For the first sample, from step ``k`` to step ``T``, both ``(H, H)``:

    ``product``: ``J_T ... J_{k+1}`` with ``J_t`` the one-step matrix of ``cell_state_jacobian``
    (``c_t`` against ``c_{t-1}``, with ``h_{t-1} = o_{t-1} * tanh(c_{t-1})`` and ``o_{t-1}`` held);
    ``total``: ``dc_T/dc_k``, the derivative of the whole network: ``c_k`` moved, ``h_k`` moved
    with it, and every later step run again (row j: ``dc_T[j]/dc_k``).
    """

    step: int
    steps: int
    product: np.ndarray
    total: np.ndarray

    @property
    def difference(self) -> float:
        """``max |product - total|``."""
        return float(np.max(np.abs(self.product - self.total)))

    def __str__(self) -> str:
        H = self.product.shape[0]
        width = 8 * H
        k, T = self.step, self.steps
        names = (tr("product of J_t, t = {first}..{T}", first=k + 1, T=T),
                 tr("dc_{T}/dc_{k} (whole network)", T=T, k=k))
        lines = ["   ".join(f"{n:<{width}}" for n in names)]
        for i in range(H):
            lines.append("   ".join("".join(f"{_no_minus_zero(v):>8.3f}" for v in m[i])
                                    for m in (self.product, self.total)))
        diff = "< 1e-12" if self.difference < 1e-12 else f"= {self.difference:.1e}"
        lines.append(tr("max |difference| {diff}", diff=diff))
        return "\n".join(lines)

    __repr__ = __str__


def cell_state_chain(X: np.ndarray, p: LSTMParams, step: int, h0: np.ndarray | None = None,
                     c0: np.ndarray | None = None) -> CellStateChain:
    """``CellStateChain`` from ``c_step`` to ``c_T`` on ``X (T, B, D)`` (first sample), ``1 <= step
    < T``. ``total`` comes from one ``lstm_backward`` seeded with ``dcT`` = the identity (H copies
    of the sample): BPTT's cell-state error, which carries every path. The two agree exactly when
    ``W_oh = 0``: what the product leaves out is ``c_k -> h_k -> o_{k+1} -> h_{k+1} -> ...``, the
    path through the next output gate, which depends on ``h_k``."""
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    T, H = X.shape[0], p.hidden_size
    step = _validate.positive_int(step, "step")
    if not 1 <= step < T:
        raise ValueError(f"step: expected 1 <= step < T = {T}, got {step}")
    product = np.eye(H)
    for t in range(step + 1, T + 1):
        product = cell_state_jacobian(X, p, t, h0, c0).total[0] @ product
    Xr, hr, cr = _first_sample_copies(X, H, h0, c0)
    hs, cache = lstm_forward(Xr, p, hr, cr)
    g = lstm_backward(np.zeros_like(hs), cache, dcT=np.eye(H, dtype=p.dtype), state_grads=True)
    return CellStateChain(step, T, product, np.array(g.dc[step - 1]))


@dataclasses.dataclass(frozen=True, eq=False)
class ProductVsTotal:
    """``cell_state_chain`` of an LSTM as it is, and of the same LSTM with ``W_oh = 0``."""

    as_is: CellStateChain
    no_output_recurrence: CellStateChain

    def __str__(self) -> str:
        return (tr("the LSTM as it is:") + f"\n{self.as_is}\n\n"
                + tr("the same LSTM with W_oh = 0 (the output gate no longer reads h_(t-1)):")
                + f"\n{self.no_output_recurrence}")

    __repr__ = __str__


def product_vs_total(X: np.ndarray, p: LSTMParams, step: int) -> ProductVsTotal:
    """``cell_state_chain(X, p, step)`` beside the same for a copy of ``p`` with ``W_oh = 0``,
    where the product of the one-step matrices is the whole derivative."""
    q = p.copy()
    q.W_oh[...] = 0.0
    return ProductVsTotal(cell_state_chain(X, p, step), cell_state_chain(X, q, step))


# ---- where the cell-state error comes from, step by step --------------------------------------------
_GATES = ("f", "i", "c", "o")


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
    hs, cache = lstm_forward(X, p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dh = lstm_backward(dhs, cache, state_grads=True).dh  # dE/dh_k, the totals
    T, B, H = dhs.shape
    dc, carry = np.zeros((T, B, H)), np.zeros((T, B, H))
    returned = {gate: np.zeros((T, B, H)) for gate in _GATES}
    for t in range(T - 1, -1, -1):  # step t+1 (index t)
        for b in range(B):
            one = lstm_step_backward(dh[t, b:b + 1], carry[t, b:b + 1], _one_sample(cache.steps[t], b))
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
        head = (f"{'b_f':>4}  {tr('highway alone'):>13}  {tr('whole step'):>10}  {tr('added via h'):>11}  "
                f"{tr('cosine'):>6}  {tr('after T-1 steps'):>15}  {tr('W_ch part'):>9}")
        lines = [tr("one step back along the cell state, geometric mean over k = 1..{n} (T = {T})",
                    n=self.steps - 1, T=self.steps),
                 head, "-" * len(head)]
        for p in self.parts:
            whole, highway = p.factors()
            parts = p.by_gate
            cand = float(np.mean(parts["c"][:-1] / np.sum([parts[g][:-1] for g in _GATES], axis=0)))
            lines.append(f"{p.forget_bias:>4g}  {highway:>13.3f}  {whole:>10.3f}  {whole - highway:>+11.3f}  "
                         f"{float(np.mean(p.cosine[:-1])):>6.2f}  {p.total[0] / p.total[-1]:>15.3g}  {cand:>9.0%}")
        return "\n".join(lines)

    __repr__ = __str__


def cell_error_table(lab: "GradientFlowLab", biases=(0.0, 1.0, 3.0), scale: float = 1.0,
                     steps: int = 50) -> CellErrorTable:
    """``cell_error_parts`` of the lab's LSTM at each forget bias (its first ``steps`` inputs)."""
    steps = _validate.positive_int(steps, "steps")
    return CellErrorTable(steps, tuple(cell_error_parts(lab.X[:steps], lab.models(b, scale)["lstm"], forget_bias=b)
                                       for b in biases))


# ---- what the explorer shows at step 1 -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class ExplorerReadings:
    """The values at k = 1 of every curve and guide of the explorer, for a few settings."""

    rows: tuple

    def __str__(self) -> str:
        head = (f"{'b_f':>4}{tr('scale'):>6}{'T':>5}  {'RNN':>9}{tr('bound'):>10}  {'LSTM dh':>9}{'LSTM dc':>10}"
                f"{tr('guide'):>10}  {'GRU':>9}{tr('guide'):>10}")
        lines = [tr("values at k = 1, relative to ||dE/dh_T|| (guide: the dotted line of the highlighted model)"),
                 head, "-" * len(head)]
        for (b, s, T), comp in self.rows:
            fl, gd = comp.flows, comp.guides()
            first = lambda name, which="dh": fl[name].relative(which)[0]  # noqa: E731
            lines.append(f"{b:>4g}{s:>6g}{T:>5}  {first('rnn'):>9.1e}{gd['rnn'][0]:>10.1e}  "
                         f"{first('lstm'):>9.1e}{first('lstm', 'dc'):>10.1e}{gd['lstm'][0]:>10.1e}  "
                         f"{first('gru'):>9.1e}{gd['gru'][0]:>10.1e}")
        return "\n".join(lines)

    __repr__ = __str__


def explorer_readings(lab: "GradientFlowLab", settings) -> ExplorerReadings:
    """``lab.compare(b_f, scale, T)`` for each ``(b_f, scale, T)`` in ``settings``."""
    return ExplorerReadings(tuple(((float(b), float(s), int(T)), lab.compare(b, s, T)) for b, s, T in settings))
