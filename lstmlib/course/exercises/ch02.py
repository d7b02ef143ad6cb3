"""Self-checks of chapter 02's exercises."""
from __future__ import annotations

import numbers

import numpy as np

from ...lstm import LSTMParams, lstm_step_forward
from ...state import LSTMState
from .. import ch02
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _digits, _more_digits, _number, _returned_array, _same, _short


def _real_setting(value, name: str, low: float, high: float, used) -> Verdict | None:
    """A Verdict when a keyword argument of a check is not a number from ``low`` to ``high``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value) and low <= value <= high
    if ok:
        return None
    return Verdict(False, tr("{name}: expected a number from {low:g} to {high:g} (the exercise uses {used}), got "
                             "{value!r}.", name=name, low=low, high=high, used=used, value=value))


def _first(*verdicts) -> Verdict | None:
    """The first of ``verdicts`` that is not ``None`` (a Verdict that says "not yet" is falsy)."""
    return next((v for v in verdicts if v is not None), None)


def _one_unit_step(f, i, c_tilde, c_prev, o):
    """``(c, h)`` from the library's own ``lstm_step_forward`` with one unit whose gates are held
    at the given values (``ch02.held_gates_lstm``) and whose candidate is ``c_tilde``."""
    p = ch02.held_gates_lstm(f, i, o)
    x = np.arctanh(np.clip(c_tilde, -1.0, 1.0) * (1 - 1e-16))  # the candidate is tanh(x), W_cx = 1
    (h, c), _ = lstm_step_forward(np.full((1, 1), x), p, (None, np.full((1, 1), c_prev)))
    return float(c[0, 0]), float(h[0, 0])


def check_cell_update(c, h, *, f: float = 0.9, i: float = 0.5, c_tilde: float = 0.8,
                      c_prev: float = 1.0, o: float = 0.6) -> Verdict:
    """Exercise 02.1: ``c_t`` and ``h_t`` by hand for one unit with the given gate values, each to
    three decimals."""
    c, v = _number(c, "c_t")
    if v is not None:
        return v
    h, v = _number(h, "h_t")
    if v is not None:
        return v
    bad = _first(_real_setting(f, "f", 0, 1, 0.9), _real_setting(i, "i", 0, 1, 0.5),
                 _real_setting(o, "o", 0, 1, 0.6), _real_setting(c_tilde, "c_tilde", -1, 1, 0.8),
                 _real_setting(c_prev, "c_prev", -1e6, 1e6, 1.0))
    if bad is not None:
        return bad
    want_c, want_h = _one_unit_step(f, i, c_tilde, c_prev, o)
    match = _digits(c, want_c, decimals=3)
    if match == "coarse":
        return _more_digits("c_t", c, tr("three decimals"))
    if match is None:
        hints = [(c_prev + i * c_tilde, tr("the forget gate is missing: the old state is kept only in part, f * c_{t-1}.")),
                 (f * c_prev + c_tilde, tr("the input gate is missing: only i * c~_t is written.")),
                 (f * c_prev * i * c_tilde, tr("equation (4) adds the kept part and the written part.")),
                 (f * c_tilde + i * c_prev, tr("f multiplies the old state c_{t-1}, i the candidate c~_t."))]
        why = next((m for val, m in hints if _digits(c, val, decimals=3)), tr("use c_t = f * c_{t-1} + i * c~_t."))
        return Verdict(False, tr("c_t = {c:.4g} is not right: {why}", c=c, why=why))
    match = _digits(h, want_h, decimals=3)
    if match == "coarse":
        return _more_digits("h_t", h, tr("three decimals"))
    if match is None:
        hints = [(o * want_c, tr("h_t = o_t * tanh(c_t): the tanh is missing.")),
                 (float(np.tanh(o * want_c)), tr("the tanh applies to c_t alone; o_t multiplies after it.")),
                 (float(np.tanh(want_c)), tr("the output gate is missing: h_t = o_t * tanh(c_t).")),
                 (o * float(np.tanh(c_prev)), tr("h_t uses the new cell state c_t, not c_{t-1}."))]
        why = next((m for val, m in hints if _digits(h, val, decimals=3)), tr("use h_t = o_t * tanh(c_t)."))
        return Verdict(False, tr("c_t = {c:.4g} is right, but h_t = {h:.4g} is not: {why}", c=want_c, h=h, why=why))
    return Verdict(True, tr("c_t = {f:g}*{c_prev:g} + {i:g}*{c_tilde:g} = {c:.4g}, and "
                            "h_t = {o:g}*tanh({c:.4g}) = {h:.4g}.", f=f, c_prev=c_prev, i=i, c_tilde=c_tilde,
                            c=want_c, o=o, h=want_h))


def check_memory_steps(answer, *, f: float = 0.95) -> Verdict:
    """Exercise 02.2: a value is written into the cell state at step t = 1, then the input gate is
    shut and the forget gate held at ``f``: at which time step t is ``c_t`` first below half of
    what was written? (From ``ch02.gate_switch_trace``, the one-unit cell of the gate explorer.)"""
    x, v = _number(answer, tr("a time step t"))
    if v is not None:
        return v
    bad = _real_setting(f, "f", 0, 1, 0.95)
    if bad is not None:
        return bad
    if f == 1:
        return Verdict(False, tr("with f = 1 nothing is forgotten: c_t keeps what was written at every step and "
                                 "never falls below half, so no time step answers the question. The exercise "
                                 "uses f = 0.95."))
    steps = (int(np.log(0.5) / np.log(f)) if f > 0 else 0) + 3  # long enough to fall below half
    trace = ch02.gate_switch_trace(f, 1.0, 1.0, 1.0, steps=steps, pattern="pulse")
    left = trace.c / trace.c[0]  # c_t as a fraction of the write, t = 1..steps
    want = int(np.nonzero(left < 0.5)[0][0]) + 1  # the time step t (index t-1)

    def share(t: float) -> float:
        return float(f ** (t - 1))

    if x == want:
        return Verdict(True, tr("c_t = {f:g}^(t-1) of the write: at t = {before} it is {above:.4f}, still above 1/2; "
                                "at t = {want} it is {below:.4f}, below. The memory fades geometrically.",
                                f=f, before=want - 1, above=share(want - 1), want=want, below=share(want)))
    if not float(x).is_integer():
        life = ch02.half_life(f)
        if abs(x - life) < 0.05 or abs(x - (life + 1)) < 0.05:
            return Verdict(False, tr("{x:g} is where f^n = 1/2 exactly, the half-life, which falls between two time "
                                     "steps; the question asks for the first whole time step t with c_t below half.",
                                     x=x))
        return Verdict(False, tr("{x:g} is not a whole time step: c_t changes once per step; find the first t "
                                 "at which it is below half of the write.", x=x))
    if x == want - 1 and want > 2:
        return Verdict(False, tr("c_t first falls below half {n} steps after the write, and the write is at t = 1: "
                                 "at which time step is that?", n=want - 1))
    if x < 1:
        return Verdict(False, tr("time steps start at t = 1, where the value is written; got {x:g}.", x=x))
    where = tr("still above half") if share(x) >= 0.5 else tr("below half, but it fell below at an earlier step")
    return Verdict(False, tr("at t = {x:g}, c_t is {left:.4f} of the write: {where}. Look for the first t with "
                             "{f:g}^(t-1) < 1/2.", x=x, left=share(x), where=where, f=f))


def _pair(out, B: int, H: int) -> tuple[tuple | None, Verdict | None]:
    """``(h, c)`` from what a reader's step returned, each a float array ``(B, H)``, or a Verdict."""
    what = tr("the new state (h, c), two arrays of shape (B, H) = ({B}, {H})", B=B, H=H)
    if isinstance(out, (str, bytes, dict)) or not isinstance(out, (tuple, list)) or len(out) != 2:
        n = tr(", {n} values", n=len(out)) if isinstance(out, (tuple, list)) else ""
        return None, Verdict(False, tr("your function returned {kind}{n} {out}; expected {what}.",
                                       kind=type(out).__name__, n=n, out=_short(out), what=what))
    arrays = []
    for value, name in zip(out, ("h", "c")):
        a, err = _returned_array(value, what, (B, H))
        if err is not None:
            return None, Verdict(False, tr("{name}, the {pos} value you returned: {why}", name=name,
                                           pos=tr("first") if name == "h" else tr("second"), why=err.message))
        arrays.append(a)
    return tuple(arrays), None


def _variant(p: LSTMParams, change) -> LSTMParams:
    q = p.copy()
    change(q.named())
    return q


def check_lstm_step(fn) -> Verdict:
    """Exercise 02.3: ``fn(x, p, state)`` should return the new state ``(h, c)`` like
    ``lstm_step_forward`` (rows: ``x (B, D)``, ``state = (h_prev, c_prev)`` each ``(B, H)``), on
    three random problems."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2), (3, 1, 4))):
        rng = np.random.default_rng(200 + seed)
        p = LSTMParams.init(D, H, rng)
        x = rng.standard_normal((B, D))
        state = LSTMState(rng.standard_normal((B, H)), rng.standard_normal((B, H)))
        out, err = _call(fn, x, p.copy(), LSTMState(state.h.copy(), state.c.copy()))
        if err is not None:
            if "matmul" in err.message or "shapes" in err.message:
                err = Verdict(False, err.message + tr(" (with rows, W_fh h_{t-1} is h_prev @ p.W_fh.T)"))
            elif "positional argument" in err.message:
                err = Verdict(False, err.message + tr(" (the check calls fn(x, p, state) with state = (h_prev, "
                                                      "c_prev), as lstm_step_forward takes it)"))
            return err
        got, err = _pair(out, B, H)
        if err is not None:
            return err
        h, c = got
        (want_h, want_c), k = lstm_step_forward(x, p, state)
        where = f"(B={B}, D={D}, H={H})"
        if _same(c, want_c) and _same(h, want_h):
            continue
        if _same(h, want_c) and _same(c, want_h):
            return Verdict(False, tr("{where} you returned (c, h): the LSTM's state is (h, c), h first, as in "
                                     "LSTMState(h, c).", where=where))

        def slip(q):
            return lstm_step_forward(x, q, state)[0]

        def zero(names):
            return _variant(p, lambda w: [w[n].__setitem__(Ellipsis, 0.0) for n in names])

        slips = [
            (slip(zero(["b_f", "b_i", "b_c", "b_o"])), tr("the biases are missing: each weighted input is "
                                                         "W_gh h_{t-1} + W_gx x_t + b_g.")),
            *[(slip(zero([f"b_{g}"])), tr("the bias b_{g} is missing from {eq}.", g=g, eq=eq))
              for g, eq in (("f", "(1)"), ("i", "(2)"), ("c", "(3)"), ("o", "(5)"))],
            (slip(_variant(p, lambda w: [w[n].__setitem__(Ellipsis, w["b_f"]) for n in ("b_i", "b_c", "b_o")])),
             tr("every gate got b_f: each weighted input has its own bias, b_f, b_i, b_c, b_o.")),
            (slip(_variant(p, _swap_f_i)), tr("the forget and input gates are swapped: f_t multiplies c_{t-1}, i_t "
                                               "the candidate c~_t.")),
        ]
        why = next((m for (sh, sc), m in slips if _same(h, sh) and _same(c, sc)), None)
        if why is None and _same(c, want_c) and _same(h, k.o * np.tanh(state.c)):
            why = tr("c is right but h uses c_{t-1}: h = o * tanh(c) with the new cell state.")
        if why is None and _same(c, want_c):
            if _same(h, k.o * want_c):
                why = tr("c is right, but h = o * tanh(c): the tanh is missing.")
            elif _same(h, np.tanh(want_c)):
                why = tr("c is right, but the output gate is missing: h = o * tanh(c).")
            else:
                why = tr("c is right, but h is not: check equations (5)-(6), o = sigmoid(...), h = o * tanh(c).")
        if why is None:
            if _same(c, k.f * state.c + k.c_tilde):
                why = tr("c is missing the input gate: c = f * c_prev + i * c~.")
            elif _same(c, state.c + k.i * k.c_tilde):
                why = tr("c is missing the forget gate: c = f * c_prev + i * c~.")
            else:
                why = tr("c differs from the library's: check equations (1)-(4); with rows, W_fh h_{t-1} becomes "
                         "h_prev @ p.W_fh.T.")
        return Verdict(False, f"{where} {why}")
    return Verdict(True, tr("your step matches lstm_step_forward on three random problems, batches included."))


def _swap_f_i(w: dict) -> None:
    for part in ("W_{}h", "W_{}x", "b_{}"):
        f, i = w[part.format("f")], w[part.format("i")]
        f[...], i[...] = i.copy(), f.copy()


def check_forget_bias_for_half_life(answer, *, half_life: float = 20.0) -> Verdict:
    """Exercise 02.4: the forget-gate bias ``b_f`` (to two decimals) that, with zero forget-gate
    weights, holds the gate at the value whose ``ch02.half_life`` is ``half_life`` steps. The
    gate's value is read from a real one-unit LSTM with that bias, not from a formula."""
    b, v = _number(answer, tr("the bias b_f"))
    if v is not None:
        return v
    bad = _real_setting(half_life, "half_life", 0.01, 1e6, 20)
    if bad is not None:
        return bad
    n = float(half_life)
    want_f = 0.5 ** (1.0 / n)
    want_b = float(np.log(want_f) - np.log1p(-want_f))
    p = LSTMParams(np.zeros((4, 2)), np.zeros(4))
    p.b_f[...] = b
    _, k = lstm_step_forward(np.zeros((1, 1)), p)
    f = float(k.f[0, 0])
    got = ch02.half_life(f) if 0.0 < f <= 1.0 else 0.0
    match = _digits(b, want_b, decimals=2)
    if match == "right":
        return Verdict(True, tr("sigmoid({b:.3g}) = {f:.4f}, and ln(1/2) / ln({f:.4f}) = {got:.1f} steps. "
                                "A bias of 1 would give a half-life of {one:.1f} "
                                "steps; long memories need the forget gate very close to 1.",
                                b=b, f=f, got=got, one=ch02.half_life(1 / (1 + np.exp(-1.0)))))
    if match == "coarse":
        return _more_digits("b_f", b, tr("two decimals"))
    if _close(b, want_f, rtol=1e-2):
        return Verdict(False, tr("{b:.4g} is the forget gate's value f, not its bias: the gate is sigmoid(b_f), so "
                                 "b_f = ln(f / (1 - f)).", b=b))
    if _close(b, np.log(2) / n, rtol=1e-2) or _close(b, n, rtol=1e-2):
        return Verdict(False, tr("first find f from f^n = 1/2, then the bias from f = sigmoid(b_f)."))
    if np.isinf(got):
        return Verdict(False, tr("with b_f = {b:.4g} the gate is f = {f:.4f}, whose half-life is infinite, not {n:g}. "
                                 "Solve f^{n:g} = 1/2 for f, then f = sigmoid(b_f) for b_f.", b=b, f=f, n=n))
    return Verdict(False, tr("with b_f = {b:.4g} the gate is f = {f:.4f}, whose half-life is {got:.1f} steps, "
                             "not {n:g}. Solve f^{n:g} = 1/2 for f, then f = sigmoid(b_f) for b_f.",
                             b=b, f=f, got=got, n=n))
