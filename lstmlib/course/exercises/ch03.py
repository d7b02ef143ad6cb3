"""Self-checks of chapter 03's exercises: one step backward, the whole sequence's loop, the failures
without the carry, and how far the carry reaches."""
from __future__ import annotations

import numpy as np

from ...lstm import LSTMParams, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from ...state import LSTMState
from .. import ch03
from ..ch02 import held_gate_bias
from ..i18n import N_, tr
from ._arrays import gradient_dict, names_set, numbers
from ._verdict import Verdict, _call, _close, _number, _same, _unanswered

__all__ = ["check_lstm_step_backward", "check_lstm_backward_loop", "check_no_carry_failures", "check_carry_ratio"]

_FORGET = {"W_fh", "W_fx", "b_f"}


def _run(fn, args, names):
    """Call the reader's ``fn(*args)``, whose four results are ``names`` (three arrays, then the
    gradients): ``({name: array}, grads, None)``, or ``(None, None, Verdict)`` saying what went
    wrong (it raised, returned something else, or an array is not one)."""
    out, err = _call(fn, *args)
    if err is not None:
        return None, None, err
    try:
        a, b, c, grads = out
    except (TypeError, ValueError):
        return None, None, Verdict(False, tr("expected your function to return ({names}).", names=", ".join(names)))
    arrays = {}
    for name, value in zip(names, (a, b, c)):
        arrays[name], v = numbers(value, name)
        if v is not None:
            return None, None, v
    return arrays, grads, None


def _grads_verdict(grads, want, sizes: str) -> Verdict | None:
    """None when ``grads`` holds the 12 parameter gradients of ``want`` (an ``LSTMGrads``), else
    the Verdict naming the likeliest slip: a missing name, a transposed matrix, a bias kept 2-D,
    the forget gate's error term, or which arrays differ."""
    names = LSTMParams.names
    g, v = gradient_dict(grads, names)
    if v is not None:
        return v
    missing = [n for n in names if n not in g]
    if missing:
        return Verdict(False, tr("{sizes} missing gradients: {names}.", sizes=sizes, names=", ".join(missing)))
    for n in names:
        a, w = g[n], getattr(want, n)
        if a.shape == w.shape:
            continue
        if a.ndim == 2 and a.shape == w.T.shape and _same(a.T, w):
            return Verdict(False, tr("{sizes} {name} is transposed: shape {got}, expected {want}. With samples as "
                                     "rows the gradient is delta.T @ h_prev (or @ x), (H, B) times (B, .).",
                                     sizes=sizes, name=n, got=a.shape, want=w.shape))
        if w.ndim == 1 and a.size == w.size and _same(a.reshape(w.shape), w):
            return Verdict(False, tr("{sizes} {name} has shape {got}, expected {want}: sum delta over the batch "
                                     "axis without keepdims (delta.sum(axis=0)).", sizes=sizes, name=n, got=a.shape,
                                     want=w.shape))
        return Verdict(False, tr("{sizes} {name} has shape {got}, expected {want}.", sizes=sizes, name=n, got=a.shape,
                                 want=w.shape))
    bad = [n for n in names if not _same(g[n], getattr(want, n))]
    if not bad:
        return None
    fields = dict(sizes=sizes, names=", ".join(bad))
    if set(bad) <= _FORGET:
        return Verdict(False, tr("{sizes} wrong gradients: {names}. The forget gate's error term uses the cell state "
                                 "it multiplied: dE/dc_t * c_prev * f(1-f).", **fields))
    if all(n.startswith("b_") for n in bad):
        return Verdict(False, tr("{sizes} wrong gradients: {names}. A bias gradient is the gate's error term summed "
                                 "over the batch.", **fields))
    return Verdict(False, tr("{sizes} wrong gradients: {names}. Each is delta_g.T @ h_prev, delta_g.T @ x or "
                             "delta_g summed over the batch, with the error terms of (c).", **fields))


def check_lstm_step_backward(fn) -> Verdict:
    """Exercise 03.1: ``fn(dh, dc, cache)`` should return ``(dx, dh_prev, dc_prev, grads)``, the
    numbers ``lstm_step_backward((dh, dc), cache)`` returns as ``g.dX``, ``g.dh0``, ``g.dc0`` and
    the parameter gradients; ``grads`` a dict (or an ``LSTMGrads``) with the 12 parameter names.
    Every array must agree with the library's to about 7 significant digits."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2))):
        rng = np.random.default_rng(300 + seed)
        p = LSTMParams.init(D, H, rng)
        x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        _, k = lstm_step_forward(x, p, LSTMState(h_prev, c_prev))
        dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        arrays, grads, err = _run(fn, (dh, dc, k), ("dx", "dh_prev", "dc_prev", "grads"))
        if err is not None:
            return err
        sizes = f"(B={B}, D={D}, H={H})"
        want = lstm_step_backward(LSTMState(dh, dc), k)
        dc_total = dc + dh * k.o * (1 - k.tanh_c ** 2)
        if not _same(arrays["dc_prev"], want.dc0):
            if _same(arrays["dc_prev"], dc_total):
                why = tr("dc_prev must pass through the forget gate: dc_prev = dE/dc_t * f_t.")
            elif _same(arrays["dc_prev"], (dh * k.o * (1 - k.tanh_c ** 2)) * k.f):
                why = tr("the incoming carry dc is missing: dE/dc_t = dc + dh * o * (1 - tanh(c)^2).")
            else:
                why = "dc_prev = (dc + dh * o * (1 - tanh(c)^2)) * f."
            return Verdict(False, tr("{sizes} dc_prev differs from the library's: {why}", sizes=sizes, why=why))
        if (v := _grads_verdict(grads, want, sizes)) is not None:
            return v
        if not _same(arrays["dh_prev"], want.dh0):
            return Verdict(False, tr("the parameter gradients are right but dh_prev is not: it is the sum over the "
                                     "four gates of  delta_g @ W_gh  (rows)."))
        if not _same(arrays["dx"], want.dX):
            return Verdict(False, tr("everything but dx is right: dx is the sum over the four gates of  delta_g @ W_gx."))
    return Verdict(True, tr("your backward step matches lstm_step_backward to 7 digits: the carry enters dE/dc_t and "
                            "leaves through f_t, and every gate's error term is right."))


# ---- exercise 03.2: the loop over the whole sequence ----------------------------------------------------------
SLIPS = ("no carry", "no dh from t+1", "no loss at t", "last share only", "first share only", "forward order")
"""The slips ``check_lstm_backward_loop`` recognises, each re-created by ``slipped_backward``."""


def slipped_backward(dhs: np.ndarray, cache, slip: str | None = None):
    """The sequence backward written as the exercise asks, ``(dX, dh0, dc0, grads)``, with one
    of ``SLIPS`` made on purpose (``None``: none, the same numbers as ``lstm_backward``):
    ``no carry`` passes zeros as the carry, ``no dh from t+1`` forgets what step t+1 sent back to
    ``h_t``, ``no loss at t`` forgets the loss's own ``dhs[t]``, ``last share only`` / ``first share
    only`` keep one step's share of the weights instead of their sum (step 1's or step T's), and
    ``forward order`` walks t = 1..T instead of T..1."""
    if slip is not None and slip not in SLIPS:
        raise ValueError(f"slip: expected None or one of {SLIPS}, got {slip!r}")
    T, B, H = dhs.shape
    dh, dc = np.zeros((B, H)), np.zeros((B, H))
    total, kept = None, None
    dX = np.zeros(cache.X.shape)
    order = range(T) if slip == "forward order" else reversed(range(T))
    for t in order:
        into_h = (0.0 if slip == "no loss at t" else dhs[t]) + (0.0 if slip == "no dh from t+1" else dh)
        g = lstm_step_backward(LSTMState(into_h, np.zeros_like(dc) if slip == "no carry" else dc), cache.steps[t])
        share = g.named()
        total = share if total is None else {n: total[n] + share[n] for n in share}
        if kept is None or slip == "last share only":
            kept = share
        dX[t] = g.dX
        dh, dc = g.dh0, g.dc0
    grads = kept if slip in ("last share only", "first share only") else total
    return dX, dh, dc, grads


_SLIP_HINTS = {
    "no carry": N_("the carry is missing: pass dc, what step t+1 sent back to c_t (its g.dc0), into the step "
                   "backward."),
    "no dh from t+1": N_("dh at step t must add what step t+1 sent back to h_t (its g.dh0) to the loss's dhs[t]."),
    "no loss at t": N_("the loss's own gradient dhs[t] is missing: dh at step t is dhs[t] + what step t+1 sent back."),
    "last share only": N_("the weights' gradients are one step's share (step 1's): every step shares the weights, "
                          "so add up the shares of all T steps."),
    "first share only": N_("the weights' gradients are one step's share (step T's): add up the shares of all T "
                           "steps."),
    "forward order": N_("the loop runs forwards: BPTT starts at t = T (where nothing comes back yet) and walks down "
                        "to 1."),
}


def check_lstm_backward_loop(fn) -> Verdict:
    """Exercise 03.2: ``fn(dhs, cache)`` (``cache`` from ``ll.lstm_forward``, ``dhs (T, B, H)``)
    should return ``(dX, dh0, dc0, grads)``, what ``ll.lstm_backward(dhs, cache)`` returns as
    ``g.dX``, the two parts of ``g.dstate0`` and the 12 parameter gradients, by calling
    ``ll.lstm_step_backward`` once per step. Every array must agree to about 7 significant
    digits; a wrong answer is compared with ``SLIPS`` to name the likeliest one."""
    for seed, (T, B, D, H) in enumerate(((4, 1, 2, 3), (3, 2, 3, 2))):
        rng = np.random.default_rng(310 + seed)
        p = LSTMParams.init(D, H, rng)
        X = rng.standard_normal((T, B, D))
        state = LSTMState(rng.standard_normal((B, H)), rng.standard_normal((B, H)))
        _, cache = lstm_forward(X, p, state)
        dhs = rng.standard_normal((T, B, H))
        arrays, grads, err = _run(fn, (dhs, cache), ("dX", "dh0", "dc0", "grads"))
        if err is not None:
            return err
        want = lstm_backward(dhs, cache)
        g, v = gradient_dict(grads, LSTMParams.names)
        if v is not None:
            return v
        sizes = f"(T={T}, B={B}, D={D}, H={H})"
        right = (all(n in g and _same(g[n], getattr(want, n)) for n in LSTMParams.names)
                 and _same(arrays["dX"], want.dX) and _same(arrays["dh0"], want.dh0) and _same(arrays["dc0"], want.dc0))
        if right:
            continue
        for slip in SLIPS:
            sX, sh, sc, sg = slipped_backward(dhs, cache, slip)
            if all(n in g and _same(g[n], sg[n]) for n in LSTMParams.names) and _same(arrays["dX"], sX):
                return Verdict(False, tr("{sizes} {hint}", sizes=sizes, hint=tr(_SLIP_HINTS[slip])))
        if (v := _grads_verdict(g, want, sizes)) is not None:
            return v
        for name, attr in (("dX", "dX"), ("dh0", "dh0"), ("dc0", "dc0")):
            if not _same(arrays[name], getattr(want, attr)):
                return Verdict(False, tr("{sizes} the parameter gradients are right but {name} is not: after the loop "
                                         "dh0 and dc0 are what step 1 sent back (its g.dh0 and g.dc0), and dX[t] is "
                                         "step t's g.dX.", sizes=sizes, name=name))
    return Verdict(True, tr("your loop matches lstm_backward to 7 digits: it walks from T down to 1, adds the loss's "
                            "dhs[t] to what step t+1 sent back, passes the carry on, and sums the steps' shares."))


# ---- exercise 03.3: the failures without the carry ------------------------------------------------------------
def check_no_carry_failures(answer, *, zero_state: bool = False) -> Verdict:
    """Exercise 03.3: the set of arrays (names from ``ch03.GRADCHECK_ARRAYS``) whose gradient
    check fails when the cell-state carry is dropped, at T = 2, from a random initial state
    (``zero_state=False``) or a zero one (``ch03.errata_gradcheck``)."""
    if (v := _unanswered(answer)) is not None:
        return v
    got, v = names_set(answer, ch03.GRADCHECK_ARRAYS)
    if v is not None:
        return v
    want = set(ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["no carry"], 2, zero_state=bool(zero_state)).failed)
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


# ---- exercise 03.4: how far the carry reaches -----------------------------------------------------------------
def _held_gate_carry(f: float, steps: int) -> float:
    """``|dE/dc_1| / |dE/dc_T|`` for one unit whose gates are held (zero weights, forget bias
    ``held_gate_bias(f)``) with the loss at step T only, from ``lstm_backward``'s per-step ``dc``."""
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.W_cx[...] = 1.0
    p.b_f[...] = held_gate_bias(f, "f")
    _, cache = lstm_forward(np.ones((steps, 1, 1)), p)
    dhs = np.zeros((steps, 1, 1))
    dhs[-1] = 1.0
    dc = lstm_backward(dhs, cache, state_grads=True).dc
    return float(abs(dc[0, 0, 0]) / abs(dc[-1, 0, 0]))


def check_carry_ratio(answer, *, f: float = 0.95, steps: int = 20) -> Verdict:
    """Exercise 03.4: one unit, forget gate held at ``f`` (in (0, 1]), no recurrent weights, loss
    at step ``steps`` (>= 2) only: the ratio ``|dE/dc_1| / |dE/dc_T|`` (computed by
    ``lstm_backward``), right to 3 significant figures (relative error 1e-3)."""
    bad_f = isinstance(f, bool) or not isinstance(f, (int, float, np.floating)) or not 0.0 < f <= 1.0
    if bad_f:
        return Verdict(False, tr("f: expected a forget-gate value in (0, 1], got {f!r}.", f=f))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        return Verdict(False, tr("steps: expected a whole number >= 2, got {steps!r}.", steps=steps))
    x, v = _number(answer, tr("the ratio"))
    if v is not None:
        return v
    want = _held_gate_carry(float(f), int(steps))
    if _close(x, want):
        return Verdict(True, tr("{f:g}^{n} = {want:.4g}: with no recurrent weights the only way back is the "
                                "carry, one factor f per step. A tanh RNN would also multiply by W and by slopes "
                                "below 1 at every step; here a forget gate near 1 keeps the error alive.",
                                f=f, n=steps - 1, want=want))
    if _close(x, want, rtol=0.02):
        return Verdict(False, tr("{x:.4g} is close to the ratio: right method, give 3 significant figures.", x=x))
    off = tr("off by one: from c_{T} back to c_1 there are {n} steps, one factor f each.", T=steps, n=steps - 1)
    hints = [(f ** steps, off),
             (f ** (steps - 2), off),
             (f * (steps - 1), tr("the carry multiplies at every step: f times f times ..., not f times the number of steps.")),
             (0.0, tr("with the carry the error does reach c_1; only the article's version (no carry) would give 0 here.")),
             (1.0, tr("each step back multiplies dE/dc by f_t (equation 4: c_t = f_t c_{t-1} + ...)."))]
    why = next((m for val, m in hints if _close(x, val) or (val == 0.0 and x == 0.0)),
               tr("follow dE/dc_t back one step at a time: dE/dc_{t-1} = dE/dc_t * f_t when nothing enters through h."))
    return Verdict(False, tr("{x:.4g} is not the ratio: {why}", x=x, why=why))
