"""Self-checks of chapter 02's exercises."""
from __future__ import annotations

import numpy as np

from ...lstm import LSTMParams, lstm_step_forward
from .. import ch02
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _number, _same


def _one_unit_step(f, i, c_tilde, c_prev, o):
    """``(c, h)`` from the library's own ``lstm_step_forward`` with one unit whose gates take the
    given values (zero weights; biases set to logit / artanh of the wanted values)."""
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.b_f[...] = np.log(f / (1 - f))
    p.b_i[...] = np.log(i / (1 - i))
    p.b_o[...] = np.log(o / (1 - o))
    p.b_c[...] = np.arctanh(c_tilde)
    h, c, _ = lstm_step_forward(np.zeros((1, 1)), p, np.zeros((1, 1)), np.full((1, 1), c_prev))
    return float(c[0, 0]), float(h[0, 0])


def check_cell_update(c, h, *, f: float = 0.9, i: float = 0.5, c_tilde: float = 0.8,
                      c_prev: float = 1.0, o: float = 0.6) -> Verdict:
    """Exercise 02.1: ``c_t`` and ``h_t`` by hand for one unit with the given gate values."""
    c, v = _number(c, "c_t")
    if v is not None:
        return v
    h, v = _number(h, "h_t")
    if v is not None:
        return v
    want_c, want_h = _one_unit_step(f, i, c_tilde, c_prev, o)
    if not _close(c, want_c):
        hints = [(c_prev + i * c_tilde, tr("the forget gate is missing: the old state is kept only in part, f * c_{t-1}.")),
                 (f * c_prev + c_tilde, tr("the input gate is missing: only i * c~_t is written.")),
                 (f * c_prev * i * c_tilde, tr("equation (4) adds the kept part and the written part.")),
                 (f * c_tilde + i * c_prev, tr("f multiplies the old state c_{t-1}, i the candidate c~_t."))]
        why = next((m for val, m in hints if _close(c, val)), tr("use c_t = f * c_{t-1} + i * c~_t."))
        return Verdict(False, tr("c_t = {c:.4g} is not right: {why}", c=c, why=why))
    if not _close(h, want_h):
        hints = [(o * want_c, tr("h_t = o_t * tanh(c_t): the tanh is missing.")),
                 (float(np.tanh(o * want_c)), tr("the tanh applies to c_t alone; o_t multiplies after it.")),
                 (float(np.tanh(want_c)), tr("the output gate is missing: h_t = o_t * tanh(c_t)."))]
        why = next((m for val, m in hints if _close(h, val)), tr("use h_t = o_t * tanh(c_t)."))
        return Verdict(False, tr("c_t = {c:.4g} is right, but h_t = {h:.4g} is not: {why}", c=want_c, h=h, why=why))
    return Verdict(True, tr("c_t = {f:g}*{c_prev:g} + {i:g}*{c_tilde:g} = {c:.4g}, and "
                            "h_t = {o:g}*tanh({c:.4g}) = {h:.4g}.", f=f, c_prev=c_prev, i=i, c_tilde=c_tilde,
                            c=want_c, o=o, h=want_h))


def check_memory_steps(answer, *, f: float = 0.95) -> Verdict:
    """Exercise 02.2: after one write (then i = 0), how many steps until ``c`` falls below half of
    what was written, with the forget gate held at ``f``? (From ``ch02.gate_switch_trace``.)"""
    x, v = _number(answer, tr("a number of steps"))
    if v is not None:
        return v
    trace = ch02.gate_switch_trace(f, 1.0, 1.0, 1.0, steps=500, pattern="pulse")
    below = np.nonzero(trace.c < trace.c[0] / 2)[0]
    want = int(below[0])  # c_{1+n} = f^n c_1: index 1+n-1 = n
    if x == want:
        return Verdict(True, tr("{f:g}^{before} = {above:.3f} is still above 1/2, {f:g}^{want} = "
                                "{below:.3f} is below: {want} steps. The memory fades geometrically.",
                                f=f, before=want - 1, above=f ** (want - 1), want=want, below=f ** want))
    if x == want - 1:
        return Verdict(False, tr("after {n} steps c is {left:.3f} of what was written: not yet below half.",
                                 n=want - 1, left=f ** (want - 1)))
    if not float(x).is_integer():
        return Verdict(False, tr("{x:g} is not a whole number of steps: c_(1+n) = f^n c_1 crosses 1/2 between two "
                                 "steps; count the first step at which it is below.", x=x))
    return Verdict(False, tr("after {x:g} steps c is {left:.3g} of what was written; find the first n with "
                             "{f:g}^n < 1/2.", x=x, left=f ** x, f=f))


def check_lstm_step(fn) -> Verdict:
    """Exercise 02.3: ``fn(x, p, h_prev, c_prev)`` should return ``(h, c)`` like
    ``lstm_step_forward`` (rows: ``x (B, D)``, states ``(B, H)``), on three random problems."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2), (3, 1, 4))):
        rng = np.random.default_rng(200 + seed)
        p = LSTMParams.init(D, H, rng)
        x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        out, err = _call(fn, x, p, h_prev, c_prev)
        if err is not None:
            return err
        try:
            h, c = out
        except (TypeError, ValueError):
            return Verdict(False, tr("expected your function to return (h, c), got {kind}.", kind=type(out).__name__))
        want_h, want_c, k = lstm_step_forward(x, p, h_prev, c_prev)
        if not _same(c, want_c):
            if _same(c, k.f * c_prev + k.c_tilde):
                why = tr("c is missing the input gate: c = f * c_prev + i * c~.")
            elif _same(c, c_prev + k.i * k.c_tilde):
                why = tr("c is missing the forget gate: c = f * c_prev + i * c~.")
            else:
                why = tr("check equations (1)-(4); with rows, W_fh @ h becomes h_prev @ p.W_fh.T.")
            return Verdict(False, tr("(B={B}, D={D}, H={H}) c differs from the library's: {why}", B=B, D=D, H=H, why=why))
        if not _same(h, want_h):
            if _same(h, k.o * want_c):
                why = tr("h = o * tanh(c): the tanh is missing.")
            elif _same(h, np.tanh(want_c)):
                why = tr("the output gate is missing: h = o * tanh(c).")
            else:
                why = tr("check equations (5)-(6): o = sigmoid(...), h = o * tanh(c).")
            return Verdict(False, tr("(B={B}, D={D}, H={H}) c is right but h differs: {why}", B=B, D=D, H=H, why=why))
    return Verdict(True, tr("your step matches lstm_step_forward on three random problems, batches included."))


def check_forget_bias_for_half_life(answer, *, half_life: float = 20.0) -> Verdict:
    """Exercise 02.4: the forget-gate bias ``b_f`` that, with zero forget-gate weights, holds the
    gate at the value whose ``ch02.half_life`` is ``half_life`` steps. The gate's value is read
    from a real one-unit LSTM with that bias (``ch02.held_gates_lstm``), not from a formula."""
    b, v = _number(answer, tr("the bias b_f"))
    if v is not None:
        return v
    n = float(half_life)
    if not n > 0:
        raise ValueError(f"half_life: expected a number of steps > 0, got {half_life!r}")
    want_f = 0.5 ** (1.0 / n)
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.b_f[...] = b
    _, _, k = lstm_step_forward(np.zeros((1, 1)), p, np.zeros((1, 1)), np.zeros((1, 1)))
    f = float(k.f[0, 0])
    got = ch02.half_life(f) if 0.0 < f <= 1.0 else 0.0
    if abs(got - n) <= 0.01 * n:
        return Verdict(True, tr("sigmoid({b:.3g}) = {f:.4f}, and ln(1/2) / ln({f:.4f}) = {got:.1f} steps. "
                                "A bias of 1 would give a half-life of {one:.1f} "
                                "steps; long memories need the forget gate very close to 1.",
                                b=b, f=f, got=got, one=ch02.half_life(1 / (1 + np.exp(-1.0)))))
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
