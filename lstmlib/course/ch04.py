"""Chapter 04, the GRU: its gates held by hand; its conventions compared (reset before or after the
product, and d2l's update gate on the old state); parameter counts at equal hidden size and at
equal count; the parity with PyTorch's ``nn.GRU``; the update gate's bias, the GRU's ``b_f``."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate
from ..activations import sigmoid
from ..gru import GRUParams, gru_backward, gru_forward, gru_step_backward
from ..models import MODELS, get_model
from . import _checks
from .ch02 import held_gate_bias
from .i18n import N_, tr
from .tables import pad, table, width

__all__ = ["FixedGateRun", "held_gates", "gru_fixed_gates", "GateLab", "ConventionGap",
           "compare_gru_conventions", "ParameterCount", "parameter_counts", "parameter_count_table",
           "TorchParity", "gru_torch_parity", "D2LGRU", "d2l_gru_forward", "gru_from_d2l", "D2LParity",
           "d2l_parity", "update_bias_prediction", "update_bias_gru", "first_step_share", "UpdateBiasRow",
           "UpdateBiasTable", "update_bias_table", "model_parameter_count", "matching_hidden_size", "equal_size_table"]


@dataclasses.dataclass(frozen=True, eq=False)
class FixedGateRun:
    """A GRU run with its update and reset gates held at given values.

    ``hs (T, B, H)``: ``h_1..h_T``; ``h_tilde (T, B, H)``: the candidates; ``influence (T,)``:
    ``||dh_t/dh_0||_2`` for the first sample, how much of the starting state survives to step t.
    """

    z: float
    r: float
    hs: np.ndarray
    h_tilde: np.ndarray
    influence: np.ndarray


def held_gates(p: GRUParams, z: float, r: float) -> GRUParams:
    """A copy of ``p`` whose update and reset gates are ``z`` and ``r`` at every step, whatever
    the input: their weights are zero and their biases ``held_gate_bias(z)``, ``held_gate_bias(r)``."""
    _validate.params(p, GRUParams)
    q = p.copy()
    for gate, v in (("z", z), ("r", r)):
        getattr(q, f"W_{gate}h")[...] = 0.0
        getattr(q, f"W_{gate}x")[...] = 0.0
        getattr(q, f"b_{gate}")[...] = held_gate_bias(v, gate)
    return q


def gru_fixed_gates(X: np.ndarray, p: GRUParams, z: float, r: float,
                    state: np.ndarray | None = None) -> FixedGateRun:
    """Run the GRU ``p`` over ``X (T, B, D)`` from ``state = h0 (B, H)`` with its gates held at ``z_t = z``
    and ``r_t = r`` (``held_gates``), in either convention::

        h~_t = tanh(W_ch (r * h_{t-1}) + W_cx x_t + b_c)              (reset_after=False)
        h~_t = tanh(W_cx x_t + b_c + r * (W_ch h_{t-1} + b_ch))       (reset_after=True)
        h_t  = (1 - z) * h_{t-1} + z * h~_t

    ``influence[t-1] = ||dh_t/dh_0||_2`` for the first sample: the product of the one-step
    Jacobians ``dh_t/dh_{t-1}``, each read off ``gru_step_backward`` (the backward of
    ``E = h_t[j]`` gives row j, so a batch of identity rows gives them all at once).
    """
    q = held_gates(p, z, r)
    X, h0 = _validate.sequence_inputs(q, GRUParams, X, state)
    B, H = X.shape[1], q.hidden_size
    # one forward pass over the batch and, beside it, H copies of the first sample: identity rows
    # as dE/dh_t on the copies then give all of dh_t/dh_{t-1} from one step backward
    both, cache = gru_forward(np.concatenate([X, np.repeat(X[:, :1], H, axis=1)], axis=1), q,
                              np.concatenate([h0, np.repeat(h0[:1], H, axis=0)]))
    hs, h_tilde = both[:, :B], cache.h_tilde[:, :B]
    rows = np.concatenate([np.zeros((B, H)), np.eye(H)])
    influence = np.empty(hs.shape[0])
    J = np.eye(H)
    for t, step in enumerate(cache.steps):
        J = gru_step_backward(rows, step).dh0[B:] @ J  # one step's Jacobian, then the chain rule
        influence[t] = np.linalg.norm(J, 2)
    return FixedGateRun(float(z), float(r), np.array(hs), np.array(h_tilde), influence)


class GateLab:
    """Chapter 04's explorer data: one GRU (article convention, H = 4, recurrent weights large
    enough that the reset gate matters) and one input sequence with a pulse at step 5 and noise.
    ``steps``: from 5 (the pulse must fit) to ``MAX_STEPS``; ``hidden_size`` from 1 to 10 (one
    colour per unit in the picture)."""

    MAX_STEPS = 2000  # beyond this a redraw of the explorer takes more than a second

    def __init__(self, *, steps: int = 40, hidden_size: int = 4, seed: int = 0):
        steps = _checks.whole_number(steps, "steps", 5, self.MAX_STEPS)
        hidden_size = _checks.whole_number(hidden_size, "hidden_size", 1, 10)
        gen = _validate.rng(_checks.seed(seed))
        self.params = GRUParams.init(1, hidden_size, gen)
        H = self.params.hidden_size
        q, _ = np.linalg.qr(gen.standard_normal((H, H)))
        self.params.W_ch[...] = 1.5 * q  # stretches by 1.5 in every direction
        self.params.W_cx[...] = np.linspace(1.0, -1.0, H).reshape(H, 1)  # units read x differently
        self.params.b_c[...] = 0.0
        x = 0.1 * gen.standard_normal(steps)
        x[4] += 2.0  # the pulse, at step 5
        self.X = x.reshape(steps, 1, 1)
        self.h0 = np.full((1, H), 0.8)
        self.h0[0, 1::2] = -0.8

    def run(self, z: float, r: float) -> FixedGateRun:
        return gru_fixed_gates(self.X, self.params, z, r, self.h0)


def _aligned(rows, indent: int = 0) -> str:
    """Lines ``label  max |h difference| value``, the labels padded to one width on screen, so that
    the comparisons line up in any language. ``rows``: ``(label, value)`` pairs."""
    size = max(width(label) for label, _ in rows)
    return "\n".join(" " * indent + pad(label, size) + " " + tr("max |h difference|") + " " + value
                     for label, value in rows)


@dataclasses.dataclass(frozen=True)
class ConventionGap:
    """How far apart the two GRU conventions are on the same weights (``compare_gru_conventions``)."""

    learned_reset: float  # max |h_before - h_after| with the reset gate as the weights make it
    open_reset: float  # the same with b_r so large that r = 1 everywhere

    def __str__(self) -> str:
        # below 1e-12 the difference is rounding, whose last bits depend on the BLAS build
        tiny = "< 1e-12" if self.open_reset < 1e-12 else f"= {self.open_reset:.1e}"
        return _aligned([(tr("same weights, reset before vs after the product:"),
                          f"= {self.learned_reset:.3f}"),
                         (tr("the same with the reset gate held open (r = 1):"), tiny)])

    __repr__ = __str__


def compare_gru_conventions(*, steps: int = 20, input_size: int = 3, hidden_size: int = 8,
                            seed: int = 0) -> ConventionGap:
    """Run one set of weights as the article's GRU (reset before the product) and as cuDNN's
    (reset after, with ``b_ch = 0``) on one random sequence; again with ``b_r = 40`` (``r = 1``
    to float64 precision), where the two formulas coincide."""
    gen = _validate.rng(seed)
    before = GRUParams.init(input_size, hidden_size, gen)
    X = gen.standard_normal((_validate.positive_int(steps, "steps"), 2, before.input_size))
    gaps = []
    for open_gate in (False, True):
        p = before.copy()
        if open_gate:
            p.b_r[...] = 40.0
        after = GRUParams(p.weights.copy(), p.bias.copy(), np.zeros(p.hidden_size))
        hb, _ = gru_forward(X, p)
        ha, _ = gru_forward(X, after)
        gaps.append(float(np.max(np.abs(hb - ha))))
    return ConventionGap(*gaps)


@dataclasses.dataclass(frozen=True)
class ParameterCount:
    """One row of ``parameter_counts``: a model (its registry name and options), its formula,
    lstmlib's and PyTorch's counts."""

    model: str
    options: dict
    label: str
    formula: str
    lstmlib: int
    pytorch: int | None  # None: PyTorch has no such layer


PYTORCH_OPTIONS = {"reset_after": True}
"""The options PyTorch's recurrent layers compute with (``nn.GRU`` applies the reset gate after the
product): a variant that sets one of these otherwise has no PyTorch layer."""

_OPTION_LABELS = {("reset_after", False): N_("reset before (article)"),
                  ("reset_after", True): N_("reset after (cuDNN, PyTorch)")}


def _variants(name: str):
    """``[(options, label)]`` of a registry model: one per value of each on/off option."""
    m = MODELS[name]
    flags = [k for k, v in m.options.items() if isinstance(v, bool)]
    if not flags:
        return [({}, m.title)]
    return [({k: v}, tr("{model}, {option}", model=m.title, option=tr(_OPTION_LABELS.get((k, v), f"{k}={v}"))))
            for k in flags for v in (False, True)]


def _formula(gates: int, biases: int) -> str:
    g = "" if gates == 1 else str(gates)
    return f"{g}H(H+D) + {'' if biases == 1 else biases}H"


def parameter_counts(input_size: int, hidden_size: int) -> tuple[ParameterCount, ...]:
    """How many numbers each registry model learns for input size D and hidden size H (one row
    per value of an on/off option such as the GRU's ``reset_after``): lstmlib's count
    (``MODELS[name].parameter_count``) and what PyTorch stores (``nn.RNN``, ``nn.GRU``,
    ``nn.LSTM`` keep two bias vectors per layer, ``b_ih`` and ``b_hh``, where one suffices except
    for ``b_hn``)."""
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    rows = []
    for name, m in MODELS.items():
        for options, label in _variants(name):
            n = m.parameter_count(D, H, **options)
            biases = (n - m.gates * H * (H + D)) // H
            torch_has = all(PYTORCH_OPTIONS.get(k, v) == v for k, v in options.items())
            torch_n = m.gates * H * (H + D) + 2 * m.gates * H if torch_has else None
            rows.append(ParameterCount(name, options, label, _formula(m.gates, biases), n, torch_n))
    return tuple(rows)


def parameter_count_table(input_size: int, hidden_size: int, *, reference: str = "lstm") -> str:
    """``parameter_counts`` as a text table (a variant PyTorch lacks shows '-'), with each count
    relative to the ``reference`` model's (a registry name)."""
    ref = get_model(reference, "reference")
    rows = parameter_counts(input_size, hidden_size)
    columns = [(tr("model"), "<"), (tr("formula"), ">"), ("lstmlib", ">"), ("PyTorch", ">"),
               (tr("vs {model}", model=ref.title), ">")]
    largest = ref.parameter_count(input_size, hidden_size)
    rows = [[r.label, r.formula, str(r.lstmlib), "-" if r.pytorch is None else str(r.pytorch),
             f"{r.lstmlib / largest:.2f}"] for r in parameter_counts(input_size, hidden_size)]
    return f"D = {input_size}, H = {hidden_size}\n" + table(columns, rows, widths=[34, 14, 8, 8, 7])


@dataclasses.dataclass(frozen=True)
class TorchParity:
    """``gru_torch_parity``'s findings: the largest absolute difference per compared array
    (``None`` in ``skipped`` when torch is not installed)."""

    differences: dict
    tol: float
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and all(v <= self.tol for v in self.differences.values())

    def __str__(self) -> str:
        if self.skipped:
            reason = tr("torch is not installed") if self.skipped == "torch is not installed" else self.skipped
            return tr("PyTorch parity: skipped ({reason})", reason=reason)
        names = {"output h": tr("output h"), "input X": tr("input X")}
        cells = [(names.get(name, name), f"< {self.tol:.0e}" if v <= self.tol else f"{v:.2e}")
                 for name, v in self.differences.items()]
        heads = (tr("array"), tr("max |lstmlib - torch|"))
        first = max([14] + [width(h) + 2 for h, _ in [heads, *cells]])
        second = max([24] + [width(v) + 2 for _, v in [heads, *cells]])
        lines = [pad(name, first) + pad(value, second, ">") for name, value in [heads, *cells]]
        fields = dict(n=len(self.differences) - 1, tol=self.tol)
        lines.append(tr("PyTorch parity: the output and all {n} gradient arrays agree to {tol:.0e}", **fields)
                     if self.passed else
                     tr("PyTorch parity: the output and all {n} gradient arrays DISAGREE to {tol:.0e}", **fields))
        return "\n".join(lines)

    __repr__ = __str__


def gru_torch_parity(*, steps: int = 6, batch: int = 3, input_size: int = 4, hidden_size: int = 5,
                     seed: int = 0, tol: float = 1e-12) -> TorchParity:
    """Run one random ``reset_after=True`` GRU (float64) in lstmlib and, converted with
    ``torch_interop.gru_to_torch``, in ``torch.nn.GRU``; compare the outputs and the gradients of
    ``E = sum(G * hs)`` for every torch parameter and the input. Skipped when torch is absent."""
    try:
        import torch
    except ImportError:
        return TorchParity({}, tol, skipped="torch is not installed")
    from ..torch_interop import gru_grads_to_torch, gru_to_torch
    gen = np.random.default_rng(seed)
    q = GRUParams.init(input_size, hidden_size, gen, reset_after=True)
    X = gen.standard_normal((steps, batch, input_size))
    G = gen.standard_normal((steps, batch, hidden_size))
    hs, cache = gru_forward(X, q)
    g = gru_backward(G, cache)
    m = gru_to_torch(q)
    Xt = torch.tensor(X, requires_grad=True)
    out, _ = m(Xt)
    (out * torch.from_numpy(G)).sum().backward()
    mine = gru_grads_to_torch(g)
    diffs = {"output h": float(np.max(np.abs(out.detach().numpy() - hs)))}
    for name, a in mine.items():
        diffs[name] = float(np.max(np.abs(getattr(m, name).grad.numpy() - a)))
    diffs["input X"] = float(np.max(np.abs(Xt.grad.numpy() - g.dX)))
    return TorchParity(diffs, tol)


# ---- the third convention: d2l (and Cho et al.'s paper) ---------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class D2LGRU:
    """A GRU's parameters the way d2l.ai writes them: row vectors, so each weighted input is
    ``X @ W`` with ``W_x* (D, H)`` and ``W_h* (H, H)``; biases ``(H,)``. Its update gate weighs
    the OLD state, ``H_t = Z * H_{t-1} + (1 - Z) * H~_t``, and its reset gate acts before the
    product, ``H~_t = tanh(X W_xh + (R * H_{t-1}) W_hh + b_h)``."""

    W_xz: np.ndarray
    W_hz: np.ndarray
    b_z: np.ndarray
    W_xr: np.ndarray
    W_hr: np.ndarray
    b_r: np.ndarray
    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng) -> "D2LGRU":
        """Every array drawn from ``N(0, 0.5^2)``: a random GRU in d2l's layout."""
        D = _validate.positive_int(input_size, "input_size")
        H = _validate.positive_int(hidden_size, "hidden_size")
        gen = _validate.rng(rng)
        shapes = [(D, H), (H, H), (H,)] * 3
        return cls(*(0.5 * gen.standard_normal(s) for s in shapes))


def d2l_gru_forward(X: np.ndarray, d: D2LGRU, state: np.ndarray | None = None) -> np.ndarray:
    """d2l's GRU equations, written out in its own row-vector form, over ``X (T, B, D)`` from
    ``state = h0 (B, H)`` (zeros when None); returns the states ``(T, B, H)``. Written here only to check
    ``gru_from_d2l`` against: lstmlib's GRU is ``ll.gru``."""
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, d.W_xz.shape[0]),
                        dtype=np.float64)
    H = d.W_hz.shape[0]
    state = np.zeros((X.shape[1], H)) if state is None else np.array(state, dtype=np.float64)
    out = []
    for x in X:
        Z = sigmoid(x @ d.W_xz + state @ d.W_hz + d.b_z)
        R = sigmoid(x @ d.W_xr + state @ d.W_hr + d.b_r)
        candidate = np.tanh(x @ d.W_xh + (R * state) @ d.W_hh + d.b_h)
        state = Z * state + (1.0 - Z) * candidate
        out.append(state)
    return np.stack(out)


def gru_from_d2l(d: D2LGRU, *, negate_update: bool = True) -> GRUParams:
    """The same GRU as lstmlib's ``GRUParams`` (``reset_after=False``): every matrix transposed
    (d2l multiplies rows, ``x @ W``; lstmlib writes ``W x``), and the update gate's weights and
    bias negated, because d2l's ``Z`` is the article's ``1 - z`` and ``1 - sigmoid(a) =
    sigmoid(-a)``. ``negate_update=False`` leaves the sign as it is (wrong: shown to make the
    point)."""
    H, D = d.W_hz.shape[0], d.W_xz.shape[0]
    q = GRUParams(np.zeros((3 * H, H + D)), np.zeros(3 * H))
    sign = -1.0 if negate_update else 1.0
    for gate, (Wx, Wh, b, s) in {"z": (d.W_xz, d.W_hz, d.b_z, sign), "r": (d.W_xr, d.W_hr, d.b_r, 1.0),
                                 "c": (d.W_xh, d.W_hh, d.b_h, 1.0)}.items():
        getattr(q, f"W_{gate}x")[...] = s * Wx.T
        getattr(q, f"W_{gate}h")[...] = s * Wh.T
        getattr(q, f"b_{gate}")[...] = s * b
    return q


@dataclasses.dataclass(frozen=True)
class D2LParity:
    """``d2l_parity``'s findings: max ``|h|`` differences between d2l's equations and lstmlib."""

    mapped: float  # with gru_from_d2l (transposed, update gate negated)
    unnegated: float  # transposed only

    def __str__(self) -> str:
        tiny = "< 1e-12" if self.mapped < 1e-12 else f"= {self.mapped:.1e}"
        return (tr("d2l's equations vs lstmlib's gru_forward on the same GRU:") + "\n"
                + _aligned([(tr("matrices transposed, update gate negated:"), tiny),
                            (tr("matrices transposed, update gate unchanged:"), f"= {self.unnegated:.3f}")],
                           indent=2))

    __repr__ = __str__


def d2l_parity(*, steps: int = 12, input_size: int = 3, hidden_size: int = 5, seed: int = 0) -> D2LParity:
    """Run one random GRU in d2l's layout (``d2l_gru_forward``) and, converted with
    ``gru_from_d2l``, through ``gru_forward``; again without negating the update gate."""
    gen = _validate.rng(seed)
    d = D2LGRU.init(input_size, hidden_size, gen)
    X = gen.standard_normal((_validate.positive_int(steps, "steps"), 2, input_size))
    h0 = 0.5 * gen.standard_normal((2, hidden_size))
    theirs = d2l_gru_forward(X, d, h0)
    gaps = []
    for negate in (True, False):
        ours, _ = gru_forward(X, gru_from_d2l(d, negate_update=negate), h0)
        gaps.append(float(np.max(np.abs(ours - theirs))))
    return D2LParity(*gaps)


# ---- the update gate's bias: the GRU's b_f ------------------------------------------------------------
def update_bias_prediction(update_bias, steps: int):
    """``(1 - sigmoid(b_z))^(steps - 1)``: what is left of ``dE/dh_T`` after ``steps - 1`` steps
    back along the direct path ``dE/dh_{t-1} = dE/dh_t * (1 - z_t)`` alone, when every update
    gate sits at ``sigmoid(b_z)`` (near-zero weights). ``update_bias``: a number or an array."""
    steps = _validate.positive_int(steps, "steps")
    b = np.asarray(update_bias, dtype=np.float64)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"update_bias: expected finite numbers, got {update_bias!r}")
    with np.errstate(under="ignore"):
        out = sigmoid(-b) ** (steps - 1)  # 1 - sigmoid(b) = sigmoid(-b), without cancellation
    return float(out) if out.ndim == 0 else out


def update_bias_gru(input_size: int, hidden_size: int, rng, *, scale: float = 1.0,
                    update_bias: float = 0.0) -> GRUParams:
    """A GRU (article convention) with weights from ``U(-s, s)``, ``s = scale / sqrt(H)``
    (``scale=1`` is the usual initialisation), every bias zero except ``b_z = update_bias``."""
    H = _validate.positive_int(hidden_size, "hidden_size")
    q = GRUParams.init(input_size, H, _validate.rng(rng), scale=_validate.real(scale, "scale") / np.sqrt(H))
    q.bias[...] = 0.0
    q.b_z[...] = _validate.real(update_bias, "update_bias")
    return q


def first_step_share(X: np.ndarray, q: GRUParams) -> float:
    """``||dE/dh_1|| / ||dE/dh_T||`` for ``E`` = the sum of ``h_T``'s entries: how much of the
    gradient a loss at the last step sends back to the first state (``gru_backward`` with
    ``state_grads=True``). ``X (T, B, D)``."""
    hs, cache = gru_forward(X, q)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dh = gru_backward(dhs, cache, state_grads=True).dh
    return float(np.linalg.norm(dh[0]) / np.linalg.norm(dh[-1]))


def bias_decay_text(title: str, bias: str, keep: tuple[str, int], small_scale: float, rows) -> str:
    """The text of a gate-bias table (the GRU's ``UpdateBiasTable`` here, the LSTM's
    ``ForgetBiasTable`` in chapter 05): a title, then per bias how much of the state each step keeps
    at initialisation, the predicted share of the gradient that reaches step 1 and the two measured
    ones. ``keep``: the column's header and width; ``rows``: ``(bias, keep, predicted,
    measured with small weights, measured at the usual initialisation)``."""
    name, least = keep
    columns = [(bias, ">"), (name, ">"), (tr("predicted"), ">"),
               (tr("measured, weights x{scale:g}", scale=small_scale), ">"),
               (tr("measured, usual init"), ">")]
    cells = [[f"{b:g}", f"{k:.4f}", f"{predicted:.2e}", f"{small:.2e}", f"{usual:.2e}"]
             for b, k, predicted, small, usual in rows]
    return title + "\n" + table(columns, cells, widths=[5, least, 10, 24, 20])


@dataclasses.dataclass(frozen=True)
class UpdateBiasRow:
    """One row of ``UpdateBiasTable``."""

    update_bias: float
    predicted: float
    measured_small: float
    measured_default: float

    @property
    def keep(self) -> float:
        """``1 - sigmoid(b_z)``: the share of the old state each step keeps at initialisation."""
        return float(sigmoid(np.float64(-self.update_bias)))


@dataclasses.dataclass(frozen=True)
class UpdateBiasTable:
    """``(1 - sigmoid(b_z))^(T-1)`` next to the measured ``||dE/dh_1|| / ||dE/dh_T||`` of a GRU
    with near-zero weights (``small_scale``) and with the usual initialisation (scale 1)."""

    steps: int
    small_scale: float
    rows: tuple[UpdateBiasRow, ...]

    def __str__(self) -> str:
        return bias_decay_text(tr("||dE/dh_1|| / ||dE/dh_T|| of a GRU for T = {T}", T=self.steps),
                               "b_z", (tr("keeps 1 - z"), 11), self.small_scale,
                               [(r.update_bias, r.keep, r.predicted, r.measured_small, r.measured_default)
                                for r in self.rows])

    __repr__ = __str__


def update_bias_table(biases=(1.0, 0.0, -1.0, -3.0), steps: int = 50, *, input_size: int = 4,
                      hidden_size: int = 16, small_scale: float = 1e-3, seed: int = 0) -> UpdateBiasTable:
    """Predicted and measured share of the gradient that reaches step 1 for each update-gate bias
    (one sequence ``X ~ N(0, 1)``, B = 1, float64, the same draws for every row)."""
    steps = _validate.positive_int(steps, "steps")
    small_scale = _validate.real(small_scale, "small_scale")
    rows = []
    for b in biases:
        measured = []
        for scale in (small_scale, 1.0):
            gen = np.random.default_rng(seed)
            q = update_bias_gru(input_size, hidden_size, gen, scale=scale, update_bias=b)
            measured.append(first_step_share(gen.standard_normal((steps, 1, input_size)), q))
        rows.append(UpdateBiasRow(float(b), update_bias_prediction(b, steps), *measured))
    return UpdateBiasTable(steps, float(small_scale), tuple(rows))


# ---- equal hidden sizes or equal parameter counts -----------------------------------------------------
def model_parameter_count(model: str, input_size: int, hidden_size: int, output_size: int = 0) -> int:
    """Parameters of the registry model ``model`` ('rnn', 'lstm', 'gru' with its default options)
    with ``hidden_size`` units, plus a linear output layer of ``output_size`` outputs, ``K H + K``
    (none when 0)."""
    m = get_model(model)
    H = _validate.positive_int(hidden_size, "hidden_size")
    K = _checks.whole_number(output_size, "output_size", 0)
    return m.parameter_count(input_size, H) + K * H + K


def matching_hidden_size(model: str, input_size: int, target: int, output_size: int = 0) -> int:
    """The hidden size at which ``model_parameter_count`` is closest to ``target`` (the smaller
    one on a tie)."""
    target = _validate.positive_int(target, "target")
    count = lambda H: model_parameter_count(model, input_size, H, output_size)  # noqa: E731
    H = 1
    while count(H + 1) <= target:
        H += 1
    return H if target - count(H) <= count(H + 1) - target else H + 1


def equal_size_table(input_size: int, hidden_size: int, output_size: int = 0, *, reference: str = "lstm") -> str:
    """Each model's parameter count at the same hidden size, and the hidden size that gives it
    about the ``reference`` model's count (the comparison of Chung et al. 2014), with a linear
    output layer of ``output_size`` outputs counted too."""
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    ref = get_model(reference, "reference")
    target = model_parameter_count(reference, D, H, output_size)
    columns = [(tr("model"), "<"), (tr("parameters at H = {H}", H=H), ">"),
               (tr("H for the {model} count", model=ref.title), ">"), (tr("parameters there"), ">")]
    fields = dict(D=D, K=output_size, H=H, target=target, model=ref.title)
    title = (tr("D = {D}, output layer of {K} included: every model at H = {H}, or sized to the {model}'s {target} "
                "parameters", **fields) if output_size else
             tr("D = {D}: every model at H = {H}, or sized to the {model}'s {target} parameters", **fields))
    rows = []
    for name, m in MODELS.items():
        H2 = matching_hidden_size(name, D, target, output_size)
        rows.append([m.title, str(model_parameter_count(name, D, H, output_size)), str(H2),
                     str(model_parameter_count(name, D, H2, output_size))])
    return title + "\n" + table(columns, rows, widths=[6, 20, 20, 16])
