"""Self-checks of chapter 03's exercises."""
from __future__ import annotations

import numpy as np

from ...lstm import LSTMParams, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .. import ch03
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _number, _same, _unanswered


def check_lstm_step_backward(fn) -> Verdict:
    """Exercise 03.1: ``fn(dh, dc, cache)`` should return ``(dx, dh_prev, dc_prev, grads)``, the
    numbers ``lstm_step_backward`` returns as ``g.dX``, ``g.dh0``, ``g.dc0`` and the parameter
    gradients; ``grads`` a dict (or an ``LSTMGrads``) with the 12 parameter names."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2))):
        rng = np.random.default_rng(300 + seed)
        p = LSTMParams.init(D, H, rng)
        x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        _, _, k = lstm_step_forward(x, p, h_prev, c_prev)
        dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        out, err = _call(fn, dh, dc, k)
        if err is not None:
            return err
        try:
            dx, dh_prev, dc_prev, grads = out
        except (TypeError, ValueError):
            return Verdict(False, tr("expected your function to return (dx, dh_prev, dc_prev, grads)."))
        want = lstm_step_backward(dh, dc, k)
        dc_total = dc + dh * k.o * (1 - k.tanh_c ** 2)
        if not _same(dc_prev, want.dc0):
            if _same(dc_prev, dc_total):
                why = tr("dc_prev must pass through the forget gate: dc_prev = dE/dc_t * f_t.")
            elif _same(dc_prev, (dh * k.o * (1 - k.tanh_c ** 2)) * k.f):
                why = tr("the incoming carry dc is missing: dE/dc_t = dc + dh * o * (1 - tanh(c)^2).")
            else:
                why = "dc_prev = (dc + dh * o * (1 - tanh(c)^2)) * f."
            return Verdict(False, tr("(B={B}, D={D}, H={H}) dc_prev differs from the library's: {why}",
                                     B=B, D=D, H=H, why=why))
        g = grads.named() if hasattr(grads, "named") else dict(grads) if isinstance(grads, dict) else None
        if g is None:
            return Verdict(False, tr("grads should be a dict {'W_fh': ..., ...} or an LSTMGrads."))
        bad = [n for n in p.names if n not in g or not _same(g[n], getattr(want, n))]
        if bad:
            fields = dict(B=B, D=D, H=H, names=", ".join(bad))
            if any(n.endswith("_f") or n.startswith("W_f") for n in bad):
                return Verdict(False, tr("(B={B}, D={D}, H={H}) wrong or missing gradients: {names}. The forget "
                                         "gate's error term uses the cell state it multiplied: dE/dc_t * c_prev * "
                                         "f(1-f).", **fields))
            return Verdict(False, tr("(B={B}, D={D}, H={H}) wrong or missing gradients: {names}.", **fields))
        if not _same(dh_prev, want.dh0):
            return Verdict(False, tr("the parameter gradients are right but dh_prev is not: it is the sum over the "
                                     "four gates of  delta_g @ W_gh  (rows)."))
        if not _same(dx, want.dX):
            return Verdict(False, tr("everything but dx is right: dx is the sum over the four gates of  delta_g @ W_gx."))
    return Verdict(True, tr("your backward step matches lstm_step_backward: the carry enters dE/dc_t and leaves "
                            "through f_t, and every gate's error term is right."))


def check_no_carry_failures(answer, *, zero_state: bool = False) -> Verdict:
    """Exercise 03.2: the set of arrays (names from ``ch03.GRADCHECK_ARRAYS``) whose gradient
    check fails when the cell-state carry is dropped, at T = 2, from a random initial state
    (``zero_state=False``) or a zero one (``ch03.errata_gradcheck``)."""
    if (v := _unanswered(answer)) is not None:
        return v
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return Verdict(False, tr("expected a set of names such as {'W_ix', 'b_c'}."))
    got = set(answer)
    unknown = got - set(ch03.GRADCHECK_ARRAYS)
    if unknown:
        return Verdict(False, tr("unknown names {unknown}; choose from {names}.", unknown=sorted(unknown),
                                 names=", ".join(ch03.GRADCHECK_ARRAYS)))
    want = set(ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["no carry"], 2, zero_state=zero_state).failed)
    if got == want:
        names = ", ".join(n for n in ch03.GRADCHECK_ARRAYS if n in want)
        if zero_state:
            return Verdict(True, tr(
                "{names}. At T = 2 the carry only changes the error terms at step 1 (zero initial state): of "
                "step 1's terms, those multiplied by h_0 = 0 (every W_gh) or by c_0 = 0 (delta_f,1, hence W_fx and "
                "b_f) vanish anyway; the output gate's error term delta_o,1 uses dE/dh_1 only, which step 2 (the "
                "last, with no carry to lose) sends back correctly, so W_oh, W_ox and b_o pass. From T = 3 on they "
                "fail too: dE/dh_1 then comes from a step whose dE/dc lacked the carry.", names=names))
        return Verdict(True, tr(
            "{names}. At T = 2 the carry only changes the error terms at step 1 (random initial state): with h_0 "
            "and c_0 not zero, every gate's step-1 term that depends on dE/dc_1 is wrong; the output gate's error "
            "term delta_o,1 uses dE/dh_1 only, which step 2 (the last, with no carry to lose) sends back "
            "correctly, so W_oh, W_ox and b_o pass. From T = 3 on they fail too: dE/dh_1 then comes from a step "
            "whose dE/dc lacked the carry.", names=names))
    reasons = {}
    for n in got - want:
        if n in ("W_oh", "W_ox", "b_o"):
            reasons[n] = tr("delta_o,t = dE/dh_t * tanh(c_t) * o(1-o) does not involve dE/dc_t, and at T = 2 the "
                            "step-2 error terms that feed dE/dh_1 need no carry (from T = 3 on they would)")
        elif zero_state and n.endswith("h") and n.startswith("W_"):
            reasons[n] = tr("its step-1 term is delta_g,1 h_0^T, and h_0 = 0")
        elif zero_state and n in ("W_fx", "b_f"):
            reasons[n] = tr("delta_f,1 = dE/dc_1 * c_0 * f(1-f) is 0 because c_0 = 0, carry or not")
        else:
            reasons[n] = tr("it does not change")
    for n in want - got:
        reasons[n] = (tr("its step-1 part depends on dE/dc_1, which lacks the carry dE/dc_2 * f_2") if zero_state else
                      tr("its step-1 part depends on dE/dc_1, which lacks the carry dE/dc_2 * f_2, and with h_0, "
                         "c_0 not zero that part does not vanish"))
    lines = tr("; ").join(tr("{name}: {reason}", name=n, reason=r) for n, r in sorted(reasons.items()))
    if zero_state:
        return Verdict(False, tr("not quite (zero initial state). {reasons}.", reasons=lines))
    return Verdict(False, tr("not quite (random initial state). {reasons}.", reasons=lines))


def _held_gate_carry(f: float, steps: int) -> float:
    """``|dE/dc_1| / |dE/dc_T|`` for one unit whose gates are held (zero weights, forget bias
    logit(f)) with the loss at step T only, from ``lstm_backward``'s per-step ``dc``."""
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.W_cx[...] = 1.0
    p.b_f[...] = np.log(f / (1 - f))
    _, cache = lstm_forward(np.ones((steps, 1, 1)), p)
    dhs = np.zeros((steps, 1, 1))
    dhs[-1] = 1.0
    dc = lstm_backward(dhs, cache, state_grads=True).dc
    return float(abs(dc[0, 0, 0]) / abs(dc[-1, 0, 0]))


def check_carry_ratio(answer, *, f: float = 0.95, steps: int = 20) -> Verdict:
    """Exercise 03.3: one unit, forget gate held at ``f``, no recurrent weights, loss at step
    ``steps`` only: the ratio ``|dE/dc_1| / |dE/dc_T|`` (computed by ``lstm_backward``)."""
    x, v = _number(answer, tr("the ratio"))
    if v is not None:
        return v
    want = _held_gate_carry(f, steps)
    if _close(x, want):
        return Verdict(True, tr("{f:g}^{n} = {want:.4g}: with no recurrent weights the only way back is the "
                                "carry, one factor f per step. A tanh RNN would also multiply by W and by slopes "
                                "below 1 at every step; here a forget gate near 1 keeps the error alive.",
                                f=f, n=steps - 1, want=want))
    off = tr("off by one: from c_{T} back to c_1 there are {n} steps, one factor f each.", T=steps, n=steps - 1)
    hints = [(f ** steps, off),
             (f ** (steps - 2), off),
             (f * (steps - 1), tr("the carry multiplies at every step: f times f times ..., not f times the number of steps.")),
             (0.0, tr("with the carry the error does reach c_1; only the article's version (no carry) would give 0 here.")),
             (1.0, tr("each step back multiplies dE/dc by f_t (equation 4: c_t = f_t c_{t-1} + ...)."))]
    why = next((m for val, m in hints if _close(x, val) or (val == 0.0 and x == 0.0)),
               tr("follow dE/dc_t back one step at a time: dE/dc_{t-1} = dE/dc_t * f_t when nothing enters through h."))
    return Verdict(False, tr("{x:.4g} is not the ratio: {why}", x=x, why=why))
