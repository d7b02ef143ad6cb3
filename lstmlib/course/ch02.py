"""Chapter 02, the LSTM cell: what the three gates do.

* ``gate_switch_trace``: a one-unit cell whose gates are held at fixed values, so that the reader
  can set the forget, input and output gates by hand and watch equations (4) and (6) act alone;
* ``lstm_step_trace``: one step of ``lstm_step_forward`` taken apart equation by equation, with
  the weighted inputs (the article's ``net``) and every intermediate value, for the worked example;
* ``half_life``, ``half_life_table``: how many steps a value kept by the forget gate alone takes
  to halve, ``ln(1/2) / ln(f)``;
* ``run_summary`` and ``forget_bias_memory``: a real cell over a sequence, its gates' ranges, and
  how long its memory is at two forget-gate biases;
* ``BiasLab``: a real LSTM cell, with every gate's bias set by hand, run over a fixed input.

Every value here comes from, or is tested against, ``lstm_step_forward`` / ``lstm_forward``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate
from ..fused import FusedLSTMCache, lstm_forward
from ..lstm import LSTMParams, lstm_step_forward
from ..state import LSTMState
from ..lstm import lstm_forward as readable_lstm_forward
from ._args import whole_number
from .i18n import tr
from .tables import pad, table, width

__all__ = ["ARTICLE_GATES", "INPUT_PATTERNS", "GateTrace", "input_pattern", "gate_switch_trace", "half_life",
           "half_life_table", "StepTrace", "lstm_step_trace", "worked_example", "parameter_table",
           "compare_with_fused", "run_summary", "step_correlation", "MemoryRow", "ForgetBiasMemory", "forget_bias_memory",
           "BiasLab", "bias_lab"]

# ---- a cell with its gates held by hand ---------------------------------------------------------
INPUT_PATTERNS = ("pulse", "constant", "two pulses")
"""How ``input_pattern`` spreads an input value over time: once at step 1; at every step; at
step 1 and, with the opposite sign, half-way through."""


def input_pattern(pattern: str, value: float, steps: int) -> np.ndarray:
    """The inputs ``x_1 .. x_T`` as a ``(steps,)`` array for one of ``INPUT_PATTERNS``."""
    if pattern not in INPUT_PATTERNS:
        raise ValueError(f"pattern: expected one of {INPUT_PATTERNS}, got {pattern!r}")
    value = _validate.real(value, "value")
    T = _validate.positive_int(steps, "steps")
    x = np.zeros(T)
    if pattern == "constant":
        x[:] = value
    else:
        x[0] = value
        if pattern == "two pulses" and T > 1:
            x[T // 2] = -value
    return x


@dataclasses.dataclass(frozen=True, eq=False)
class GateTrace:
    """One unit with constant gates ``f, i, o`` over T steps; arrays are ``(T,)`` for t = 1..T.

    ``c_tilde = tanh(x)`` is the candidate, ``written = i * c_tilde`` what the input gate lets into
    the cell, ``c`` the cell state (equation 4) and ``h`` the output (equation 6).
    """

    f: float
    i: float
    o: float
    x: np.ndarray
    c_tilde: np.ndarray
    written: np.ndarray
    c: np.ndarray
    h: np.ndarray
    pattern: str = "pulse"

    @property
    def steps(self) -> int:
        return self.x.shape[0]


def held_gate_bias(value, name: str) -> float:
    """The bias that holds a sigmoid gate with zero weights at ``value`` (in [0, 1]):
    ``logit(value)``, or ``+-1e4`` for exactly 1 and 0, where the sigmoid saturates exactly."""
    v = _validate.real(value, name)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name}: expected a gate value in [0, 1], got {v}")
    with np.errstate(divide="ignore"):
        return float(np.clip(np.log(v) - np.log1p(-v), -1e4, 1e4))


def held_gates_lstm(f: float, i: float, o: float) -> LSTMParams:
    """A one-unit LSTM (D = H = 1) whose gates are held at ``f, i, o``: zero gate weights, biases
    from ``held_gate_bias``, and a candidate ``c~_t = tanh(x_t)`` (``W_cx = 1``, ``W_ch = b_c = 0``)."""
    p = LSTMParams(np.zeros((4, 2)), np.zeros(4))
    for gate, v in (("f", f), ("i", i), ("o", o)):
        getattr(p, f"b_{gate}")[...] = held_gate_bias(v, gate)
    p.W_cx[...] = 1.0
    return p


def gate_switch_trace(f: float, i: float, o: float, x: float, *, steps: int = 20,
                      pattern: str = "pulse", c0: float = 0.0) -> GateTrace:
    """One LSTM unit whose gates are held at ``f, i, o`` (each in [0, 1]; ``held_gates_lstm``),
    reading ``input_pattern(pattern, x, steps)`` from the cell state ``c_0 = c0``: equations (4)
    and (6) at work alone, ``c_t = f c_{t-1} + i tanh(x_t)`` and ``h_t = o tanh(c_t)``."""
    p = held_gates_lstm(f, i, o)
    xs = input_pattern(pattern, x, steps)
    _, cache = lstm_forward(xs.reshape(-1, 1, 1), p, (None, [[_validate.real(c0, "c0")]]))
    c_tilde = cache.c_tilde[:, 0, 0].copy()
    return GateTrace(float(f), float(i), float(o), xs, c_tilde, cache.i[:, 0, 0] * c_tilde,
                     cache.c[:, 0, 0].copy(), cache.h[:, 0, 0].copy(), pattern)


def half_life(f) -> float:
    """How many steps a value kept by the forget gate alone takes to halve.

    With the input gate shut, ``c_{t+n} = f^n c_t``; that is half of ``c_t`` when
    ``n = ln(1/2) / ln(f)``: a number of steps, not necessarily whole. ``f`` in (0, 1];
    ``inf`` at ``f = 1`` (nothing is ever forgotten).
    """
    v = _validate.real(f, "f")
    if not 0.0 < v <= 1.0:
        raise ValueError(f"f: expected a forget-gate value in (0, 1], got {v}")
    return float("inf") if v == 1.0 else float(np.log(0.5) / np.log(v))


def _steps_text(n: float) -> str:
    return tr("never") if np.isinf(n) else f"{n:.1f}"


def half_life_table(forget=(0.3, 0.7, 0.9, 0.97, 1.0)) -> str:
    """``half_life`` of each forget-gate value, as two text rows."""
    forget = tuple(forget)
    if not forget:
        raise ValueError("forget: expected at least one forget-gate value, got none")
    lives = [_steps_text(half_life(f)) for f in forget]
    labels = [tr("forget gate f"), tr("half-life (steps)")]
    w = max(6, *(width(x) + 2 for x in lives))
    first = max(20, *(width(x) + 2 for x in labels))
    return "\n".join([pad(labels[0], first) + "".join(f"{f:>{w}g}" for f in forget),
                      pad(labels[1], first) + "".join(pad(x, w, ">") for x in lives)])


# ---- one LSTM step, equation by equation ---------------------------------------------------------
def _rows() -> tuple:
    """(equation, symbol, how it is computed, what it means), the meaning in the current language."""
    return (
        ("(1)", "f_t", "sigmoid(W_fh h_{t-1} + W_fx x_t + b_f)", tr("forget gate: how much of c_{t-1} to keep")),
        ("(2)", "i_t", "sigmoid(W_ih h_{t-1} + W_ix x_t + b_i)", tr("input gate: how much of c~_t to write")),
        ("(3)", "c~_t", "tanh(W_ch h_{t-1} + W_cx x_t + b_c)", tr("candidate: what could be written")),
        ("(4)", "c_t", "f_t * c_{t-1} + i_t * c~_t", tr("cell state: kept part + written part")),
        ("(5)", "o_t", "sigmoid(W_oh h_{t-1} + W_ox x_t + b_o)", tr("output gate: how much of tanh(c_t) to show")),
        ("(6)", "h_t", "o_t * tanh(c_t)", tr("output")),
    )


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:7.3f}" for x in v) + "]"


@dataclasses.dataclass(frozen=True, eq=False)
class StepTrace:
    """One sample of one LSTM step with every intermediate value, ``(H,)`` each.

    ``net[g]`` is the weighted input of gate ``g`` in ``f, i, c, o`` (``W_gh h_{t-1} + W_gx x_t +
    b_g``); ``values`` maps ``f_t, i_t, c~_t, c_t, o_t, h_t`` (and ``f_t*c_{t-1}``,
    ``i_t*c~_t``, ``tanh(c_t)``) to their values, taken from ``lstm_step_forward``'s cache.
    Printing shows the six equations with the numbers filled in, 3 decimals.
    """

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    net: dict
    values: dict

    def __str__(self) -> str:
        lines = [f"x_t     = {_vec(self.x)}", f"h_{{t-1}} = {_vec(self.h_prev)}",
                 f"c_{{t-1}} = {_vec(self.c_prev)}", ""]
        for (eq, sym, formula, meaning), gate in zip(_rows(), ("f", "i", "c", None, "o", None)):
            lines.append(f"{eq} {sym} = {formula}      <- {meaning}")
            if gate is not None:
                fn = "tanh" if gate == "c" else "sigmoid"
                lines.append(f"      net  = {_vec(self.net[gate])}")
                lines.append(f"      {sym:<4} = {fn}(net) = {_vec(self.values[sym])}")
            elif sym == "c_t":
                lines.append(f"      f_t * c_{{t-1}} = {_vec(self.values['f_t*c_{t-1}'])}   {tr('(kept)')}")
                lines.append(f"      i_t * c~_t    = {_vec(self.values['i_t*c~_t'])}   {tr('(written)')}")
                lines.append(f"      c_t           = {_vec(self.values['c_t'])}")
            else:
                lines.append(f"      tanh(c_t) = {_vec(self.values['tanh(c_t)'])}")
                lines.append(f"      h_t       = {_vec(self.values['h_t'])}")
        return "\n".join(lines)

    __repr__ = __str__


ARTICLE_GATES = tuple(name[2:] for name in LSTMParams.names if name.startswith("b_"))
"""The LSTM's weighted inputs in the article's order, ``("f", "i", "c", "o")``: equations (1), (2),
(3), (5) (read off ``LSTMParams.names``; the fused storage keeps another order)."""


def lstm_step_trace(x: np.ndarray, p: LSTMParams, state=None, sample: int = 0) -> StepTrace:
    """Run ``lstm_step_forward(x (B, D), p, state)`` (``state = (h_prev, c_prev)``, each ``(B, H)``;
    zeros when ``None``) and take sample ``sample`` apart: the weighted input of each gate and every
    value of equations (1)-(6)."""
    (h, c), k = lstm_step_forward(x, p, state)
    s = whole_number(sample, "sample", 0, k.x.shape[0] - 1, tr("B-1: x holds B = {B} samples", B=k.x.shape[0]))
    weights = p.named()
    net = {g: k.h_prev[s] @ weights[f"W_{g}h"].T + k.x[s] @ weights[f"W_{g}x"].T + weights[f"b_{g}"]
           for g in ARTICLE_GATES}
    values = {"f_t": k.f[s], "i_t": k.i[s], "c~_t": k.c_tilde[s], "o_t": k.o[s],
              "f_t*c_{t-1}": k.f[s] * k.c_prev[s], "i_t*c~_t": k.i[s] * k.c_tilde[s],
              "c_t": c[s], "tanh(c_t)": k.tanh_c[s], "h_t": h[s]}
    return StepTrace(k.x[s].copy(), k.h_prev[s].copy(), k.c_prev[s].copy(), net,
                     {name: np.array(v) for name, v in values.items()})


def worked_example() -> tuple[np.ndarray, LSTMParams, LSTMState]:
    """Chapter 02's hand-sized example: ``(x (1, 2), p, state)`` with D = H = 2, weights of one
    decimal and the state ``(h_prev, c_prev)`` to start from, each ``(1, 2)``: small enough to
    follow with a pocket calculator."""
    p = LSTMParams.init(2, 2, 0)
    #                 W_gh (2, 2)                 W_gx (2, 2)                b_g (2,)
    numbers = {
        "f": ([[0.5, 0.0], [0.0, 0.5]], [[0.5, 0.5], [-1.0, 0.0]], [1.0, 1.0]),  # leans to "keep"
        "i": ([[0.0, 0.5], [0.5, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]),
        "c": ([[0.5, -0.5], [0.0, 0.5]], [[1.0, -1.0], [0.5, 0.5]], [0.0, 0.0]),
        "o": ([[0.0, 0.0], [0.5, 0.5]], [[0.5, 0.0], [0.0, 0.5]], [0.0, -1.0]),
    }
    weights = p.named()
    for g, (Wh, Wx, b) in numbers.items():
        weights[f"W_{g}h"][...] = Wh
        weights[f"W_{g}x"][...] = Wx
        weights[f"b_{g}"][...] = b
    x = np.array([[1.0, -1.0]])
    state = LSTMState(h=np.array([[0.5, -0.5]]), c=np.array([[1.0, -1.0]]))
    return x, p, state


def parameter_table(p: LSTMParams, decimals: int = 1) -> str:
    """The 12 parameters of a small LSTM as a text table: one block of H rows per gate (in the
    article's order f, i, c, o) with ``W_gh``, ``W_gx`` and ``b_g`` side by side, ``decimals``
    (0 to 6) decimals."""
    _validate.params(p, LSTMParams)
    decimals = whole_number(decimals, "decimals", 0, 6)
    H, D = p.hidden_size, p.input_size
    w = decimals + 4

    def row(v):
        return "[" + " ".join(f"{x:{w}.{decimals}f}" for x in v) + "]"

    cols = (f"{'W_gh':<{H * (w + 1) + 3}}", f"{'W_gx':<{D * (w + 1) + 3}}", "b_g")
    first = max(6, width(tr("gate")) + 2)
    lines = [pad(tr("gate"), first) + "".join(cols)]
    weights = p.named()
    for g in ARTICLE_GATES:
        Wh, Wx, b = weights[f"W_{g}h"], weights[f"W_{g}x"], weights[f"b_{g}"]
        for r in range(H):
            label = g if r == 0 else ""
            lines.append(f"{pad(label, first)}{row(Wh[r])}  {row(Wx[r])}  {b[r]:{w}.{decimals}f}")
    return "\n".join(lines)


# ---- a real cell over a sequence: how long is its memory? ------------------------------------------
def compare_with_fused(X: np.ndarray, p: LSTMParams, atol: float = 1e-13) -> str:
    """Whether the fast ``fused.lstm_forward`` and the readable ``lstm.lstm_forward`` give the
    same outputs and cell states over ``X (T, B, D)`` (zero initial state), within ``atol``, as
    one line of text. (The largest difference itself is rounding noise, different on every
    machine, so it is not printed.)"""
    hs_fast, fast = lstm_forward(X, p)
    hs, slow = readable_lstm_forward(X, p)
    same = bool(np.allclose(hs_fast, hs, rtol=0, atol=atol) and np.allclose(fast.c, slow.c, rtol=0, atol=atol))
    return tr("fused.lstm_forward and lstm_forward agree within {atol:g} (every h_t and c_t): {same}",
              atol=atol, same=same)


def run_summary(cache, sample: int = 0) -> str:
    """The gates' means and ranges, and the ranges of ``c_t`` and ``h_t``, of one sample of an
    ``lstm_forward`` cache (arrays ``(T, B, H)``), one line each, 3 decimals."""
    B = np.asarray(cache.h).shape[1]
    sample = whole_number(sample, "sample", 0, B - 1, tr("B-1: the cache holds B = {B} samples", B=B))
    lines = []
    for name in ("f", "i", "o"):
        g = np.asarray(getattr(cache, name))[:, sample]
        lines.append(tr("{name}_t: mean {mean:.3f}, from {low:.3f} to {high:.3f}", name=name, mean=g.mean(),
                        low=g.min(), high=g.max()))
    c, h = np.asarray(cache.c)[:, sample], np.asarray(cache.h)[:, sample]
    lines.append(tr("c_t: from {c_low:.3f} to {c_high:.3f};  h_t: from {h_low:.3f} to {h_high:.3f}",
                    c_low=c.min(), c_high=c.max(), h_low=h.min(), h_high=h.max()))
    tc = np.abs(np.tanh(c))
    lines.append(tr("|h_t| < |tanh(c_t)| at every step and unit: {same}", same=bool(np.all(np.abs(h) < tc))))
    return "\n".join(lines)


def step_correlation(a) -> float:
    """How much a sequence ``a (T, B, H)`` resembles itself one step later: the correlation of
    ``a_t`` with ``a_{t-1}``, each unit of each sample centred on its own mean, pooled over
    units and samples. 1: it does not change; 0: each step is unrelated to the one before."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3 or a.shape[0] < 2:
        raise ValueError(f"a: expected an array (T, B, H) with T >= 2, got shape {a.shape}")
    d = a - a.mean(axis=0)
    den = float(np.sum(d * d))
    return 0.0 if den == 0 else float(np.sum(d[1:] * d[:-1]) / den)


@dataclasses.dataclass(frozen=True)
class MemoryRow:
    forget_bias: float  # every unit's b_f
    mean_f: float  # the forget gates' mean over steps, units and samples
    half_life: float  # half_life(mean_f): steps for a value kept by f alone to halve
    c_correlation: float  # step_correlation of the cell state
    candidate_correlation: float  # step_correlation of the candidate
    max_abs_c: float  # the largest |c_t|


@dataclasses.dataclass(frozen=True, eq=False)
class ForgetBiasMemory:
    """``forget_bias_memory``'s result: one ``MemoryRow`` per forget bias and the runs'
    ``lstm_forward`` caches (``caches[b_f]``). Printing gives the rows as a table."""

    rows: tuple
    caches: dict

    def row(self, forget_bias: float) -> MemoryRow:
        """The row of ``forget_bias`` (KeyError when the table has none)."""
        return {r.forget_bias: r for r in self.rows}[forget_bias]

    def __str__(self) -> str:
        columns = [("b_f", ">"), (tr("mean f_t"), ">"), (tr("half-life (steps)"), ">"), (tr("corr c_t"), ">"),
                   (tr("corr c~_t"), ">"), (tr("largest |c_t|"), ">")]
        rows = [[f"{r.forget_bias:.1f}", f"{r.mean_f:.3f}", _steps_text(r.half_life),
                 f"{r.c_correlation:.2f}", f"{r.candidate_correlation:.2f}", f"{r.max_abs_c:.2f}"]
                for r in self.rows]
        note = tr("half-life = ln(1/2) / ln(mean f_t); corr = correlation of each step with the one before")
        return table(columns, rows, widths=[5, 8, 17, 8, 9, 13], notes=[note])

    __repr__ = __str__


def forget_bias_memory(X: np.ndarray, p: LSTMParams, forget_biases=(1.0, 3.0)) -> ForgetBiasMemory:
    """The cell ``p`` run over ``X (T, B, D)`` (``lstm_forward``, zero initial state) once per
    forget-gate bias in ``forget_biases`` (every unit's ``b_f`` set to it; the other parameters
    as in ``p``), and for each run: the mean forget gate, its ``half_life``, how much the cell
    state and the candidate resemble themselves one step later (``step_correlation``), and the
    largest ``|c_t|``."""
    _validate.params(p, LSTMParams)
    biases = tuple(_validate.real(b, "forget_biases") for b in forget_biases)
    if not biases:
        raise ValueError("forget_biases: expected at least one bias, got none")
    rows, caches = [], {}
    for b in biases:
        q = p.copy()
        q.b_f[...] = b
        _, cache = lstm_forward(X, q)
        f = np.asarray(cache.f)
        rows.append(MemoryRow(b, float(f.mean()), half_life(float(f.mean())), step_correlation(cache.c),
                              step_correlation(cache.c_tilde), float(np.abs(cache.c).max())))
        caches[b] = cache
    return ForgetBiasMemory(tuple(rows), caches)


# ---- a real cell, its gate biases set by hand -----------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class BiasLab:
    """A random LSTM cell and a fixed input ``X (T, 1, D)``: two pulses on input 0 (at
    ``pulses``, 1-based steps, values +2 and -2) over weak noise on the other inputs.

    ``run(b_f, b_i, b_o)`` sets every unit's bias of each gate to the given number (``b_c`` stays
    0) and returns ``fused.lstm_forward``'s cache: ``cache.f`` ... ``cache.c``, ``cache.h`` ``(T, 1, H)``.
    """

    params: LSTMParams
    X: np.ndarray
    pulses: tuple

    def run(self, b_f: float, b_i: float, b_o: float) -> FusedLSTMCache:
        p = self.params.copy()
        p.b_f[...] = _validate.real(b_f, "b_f")
        p.b_i[...] = _validate.real(b_i, "b_i")
        p.b_o[...] = _validate.real(b_o, "b_o")
        p.b_c[...] = 0.0
        _, cache = lstm_forward(self.X, p)
        return cache


def bias_lab(*, input_size: int = 2, hidden_size: int = 4, steps: int = 40, seed: int = 0) -> BiasLab:
    """A ``BiasLab`` from ``seed``: weights from ``LSTMParams.init``, pulses at steps 3 and
    ``steps // 2 + 3``, noise ``N(0, 0.1^2)`` on inputs 1..D-1."""
    T = _validate.positive_int(steps, "steps")
    if T < 8:
        raise ValueError(f"steps: expected at least 8 (room for two pulses), got {T}")
    rng = _validate.rng(seed, "seed")
    p = LSTMParams.init(input_size, hidden_size, rng)
    X = np.zeros((T, 1, p.input_size))
    X[:, :, 1:] = 0.1 * rng.standard_normal((T, 1, p.input_size - 1))
    pulses = (3, T // 2 + 3)
    X[pulses[0] - 1, 0, 0] = 2.0
    X[pulses[1] - 1, 0, 0] = -2.0
    return BiasLab(p, X, pulses)


def check_sample(cache, sample) -> None:
    """Refuse a ``sample`` that is not one of the ``B`` samples a cache of ``(T, B, H)`` arrays holds
    (the pictures of one sample check it before drawing)."""
    B = np.asarray(cache.h).shape[1]
    whole_number(sample, "sample", 0, B - 1, tr("B-1: the cache holds B = {B} samples", B=B))
