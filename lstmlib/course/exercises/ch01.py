"""Self-checks of chapter 01's exercises."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from ...activations import ACTIVATIONS, DERIVATIVE_BOUND
from ...rnn import RNNParams, rnn_forward
from .. import ch01
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _digits, _more_digits, _number, _returned_array, _same


def _setting(value, name: str, allowed: str, ok: bool, used: str) -> Verdict | None:
    """A Verdict naming a keyword argument of a check that a reader changed to something the check
    cannot use (``ok`` False), with what it accepts and what the exercise uses."""
    if ok:
        return None
    return Verdict(False, tr("{name}: expected {allowed} (the exercise uses {used}), got {value!r}.", name=name,
                             allowed=allowed, used=used, value=value))


def _first(*verdicts) -> Verdict | None:
    """The first of ``verdicts`` that is not ``None`` (a Verdict that says "not yet" is falsy)."""
    return next((v for v in verdicts if v is not None), None)


def _activation(value, used: str) -> Verdict | None:
    names = ", ".join(repr(n) for n in sorted(ACTIVATIONS))
    return _setting(value, "activation", tr("one of {names}", names=names),
                    isinstance(value, str) and value in DERIVATIVE_BOUND, used)


def _whole(value, name: str, low: int, high: int, used: str) -> Verdict | None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= value <= high
    return _setting(value, name, tr("a whole number from {low} to {high}", low=low, high=high), ok, used)


def check_bound_factor(answer, *, steps: int = 20, activation: str = "sigmoid",
                       spectral_norm: float = 3.0) -> Verdict:
    """Exercise 01.1: the factor ``q`` in ``||delta_{t-steps}|| <= q ||delta_t||`` that the
    article's bound guarantees for ``activation`` and a W of the given spectral norm, to three
    significant digits."""
    x, v = _number(answer, tr("the factor q"))
    if v is not None:
        return v
    bad = _first(_activation(activation, "'sigmoid'"), _whole(steps, "steps", 1, 10_000, "20"),
                 _setting(spectral_norm, "spectral_norm", tr("a number >= 0"),
                          isinstance(spectral_norm, numbers.Real) and not isinstance(spectral_norm, bool)
                          and np.isfinite(spectral_norm) and spectral_norm >= 0, "3.0"))
    if bad is not None:
        return bad
    beta_f = DERIVATIVE_BOUND[activation]
    want = (beta_f * spectral_norm) ** steps
    fields = dict(steps=steps, beta_f=beta_f, beta_W=spectral_norm, want=want)
    match = _digits(x, want, significant=3)
    if match == "right":
        if want < 1:
            return Verdict(True, tr("(beta_f * beta_W)^{steps} = ({beta_f:g} * {beta_W:g})^{steps} = {want:.3g}, "
                                    "so the error is guaranteed to vanish.", **fields))
        return Verdict(True, tr("(beta_f * beta_W)^{steps} = ({beta_f:g} * {beta_W:g})^{steps} = {want:.3g}, "
                                "which guarantees nothing: it may explode.", **fields))
    if match == "coarse":
        return _more_digits(tr("q"), x, tr("three significant digits"))
    hints = [(spectral_norm ** steps, tr("beta_f is missing: {activation}' is at most {beta_f:g}.",
                                         activation=activation, beta_f=beta_f)),
             (beta_f * spectral_norm, tr("that is one step; the bound multiplies {steps} of them.", steps=steps)),
             ((beta_f * spectral_norm) ** (steps - 1), tr("off by one: from t back to t-k the product has k factors.")),
             ((beta_f * spectral_norm) ** (steps + 1), tr("off by one: from t back to t-k the product has k factors.")),
             (beta_f ** steps, tr("beta_W is missing: each step also multiplies by W (norm at most beta_W)."))]
    why = next((h for val, h in hints if _close(x, val, rtol=5e-3)),
               tr("each step back multiplies by diag[f'(net)] (norm <= beta_f) and by W (norm <= beta_W)."))
    return Verdict(False, tr("{x:.3g} is not the bound's factor: {why}", x=x, why=why))


def _norms(a: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a.reshape(len(a), -1), axis=1)


def _recursion(hs: np.ndarray, W: np.ndarray, *, slope_at_T: bool = True, slopes: bool = True,
               transpose: bool = False) -> np.ndarray:
    """``||delta_k||`` of a tanh RNN with E = sum(h_T), written out, with one of the usual slips
    switched on: no f' at T, no f' anywhere, W transposed."""
    slope = 1 - hs ** 2
    d = np.ones_like(hs[-1]) * (slope[-1] if slope_at_T else 1.0)
    out = [d]
    M = W.T if transpose else W
    for k in range(len(hs) - 2, -1, -1):
        d = (d @ M) * (slope[k] if slopes else 1.0)
        out.append(d)
    return _norms(np.stack(out[::-1]))


def check_error_norms(fn) -> Verdict:
    """Exercise 01.2: ``fn(X, p)`` should return ``||delta_k||`` for k = 1..T, shape ``(T,)``, for a
    tanh RNN ``p`` run on ``X (T, 1, D)`` from h_0 = 0 with ``E = sum of h_T's entries``. Checked
    against ``ch01.rnn_gradient_flow`` on three random problems, to 7 significant digits."""
    for seed, (T, D, H) in enumerate(((6, 2, 3), (1, 3, 2), (9, 1, 4))):
        rng = np.random.default_rng(100 + seed)
        p = RNNParams.init(D, H, rng)
        X = rng.standard_normal((T, 1, D))
        out, err = _call(fn, X, p)
        if err is not None:
            return err
        what = tr("{T} norms, one per step k = 1..T (a list or an array of shape ({T},))", T=T)
        got, err = _returned_array(out, what)
        if err is not None:
            return err
        if got.size != T:
            return Verdict(False, tr("for T={T} expected {T} norms (one per step), got an array of shape {shape}.",
                                     T=T, shape=got.shape))
        got = got.ravel()
        flow = ch01.rnn_gradient_flow(X, p)
        want = flow.delta_norms
        if _same(got, want):
            continue
        hs, _ = rnn_forward(X, p)
        dE_dh = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, H))])  # dE/dh_k
        slips = [
            (_recursion(hs, p.W, slope_at_T=False),
             tr("delta_T misses its slope: delta_T = f'(net_T) * dE/dh_T, and with E = sum of h_T, dE/dh_T is all "
                "ones; the slope at T is not 1.")),
            (_recursion(hs, p.W, slope_at_T=False, slopes=False),
             tr("the slopes f'(net_k) are missing: every step back multiplies by W and then by f'(net_k).")),
            (_norms(dE_dh), tr("these are the norms of dE/dh_k; the article's delta_k is dE/dnet_k = "
                               "dE/dh_k * f'(net_k).")),
            (want[::-1], tr("the right numbers in reverse order: index k-1 should hold step k (step 1 first).")),
            (_recursion(hs, p.W, transpose=True),
             tr("W is transposed: with rows, one step back is  delta @ W  (the column form W^T delta).")),
        ]
        why = next((m for val, m in slips if _same(got, val)), None)
        if why is None:
            differ = ~np.isclose(got, want, rtol=1e-7, atol=1e-10)
            k = int(np.nonzero(differ)[0].max()) + 1  # the first wrong step, coming back from T
            if k == T:
                where = tr("at step T = {T} already", T=T)
            elif k + 1 == T:
                where = tr("they agree at step T = {T}; at step k = {k}", T=T, k=k)
            else:
                where = tr("they agree at steps {right} to T = {T}; at step k = {k}", T=T, right=k + 1, k=k)
            why = tr("{where} yours is {got:.6g}, the library's {want:.6g}.", where=where, got=got[k - 1],
                     want=want[k - 1])
        return Verdict(False, f"(T={T}, D={D}, H={H}) {why}")
    return Verdict(True, tr("your error norms match the library's on three random RNNs: delta_T = f'(net_T) * "
                            "dE/dh_T, then delta_k = (delta_{k+1} @ W) * f'(net_k)."))


GRID_TOP = 5.0
"""The largest spectral radius on the chapter 01 explorer's slider."""


@functools.lru_cache(maxsize=8)
def _gains(activation: str, steps: int, grid_step: float) -> dict:
    """``||delta_1|| / ||delta_T||`` of chapter 01's RNN at every radius of the explorer's grid."""
    exp = ch01.radius_experiment()
    grid = np.round(np.arange(0.1, GRID_TOP + 1e-9, grid_step), 10)
    return {float(r): exp.flow(float(r), activation, steps).gain for r in grid}


def check_critical_radius(answer, *, steps: int = 50, activation: str = "tanh",
                          grid_step: float = 0.05) -> Verdict:
    """Exercise 01.3: the smallest spectral radius on the explorer's grid (0.1, 0.15, ..., 5.0) at
    which ``||delta_1|| >= ||delta_T||`` for chapter 01's RNN (``ch01.radius_experiment()``)."""
    x, v = _number(answer, tr("a spectral radius"))
    if v is not None:
        return v
    bad = _first(_activation(activation, "'tanh'"), _whole(steps, "steps", 2, 100, "50"),
                 _setting(grid_step, "grid_step", tr("the slider's step, a number from 0.01 to 1"),
                          isinstance(grid_step, numbers.Real) and not isinstance(grid_step, bool)
                          and 0.01 <= grid_step <= 1, "0.05"))
    if bad is not None:
        return bad
    gains = _gains(activation, steps, float(grid_step))
    want = next((r for r, g in gains.items() if g >= 1.0), None)
    if want is None:
        return Verdict(False, tr("with {activation} and T = {steps}, no radius up to {top:g} brings the error back "
                                 "to step 1 at its full size (at rho = {top:g}, ||delta_1||/||delta_T|| = "
                                 "{gain:.2g}): there is no such radius. The exercise asks about tanh.",
                                 activation=activation, steps=steps, top=GRID_TOP, gain=gains[max(gains)]))
    if abs(x - want) <= grid_step / 2:
        return Verdict(True, tr("at rho = {want:.2f} the error first arrives at step 1 at least as large as it left "
                                "step {steps} (gain {gain:.2g}). Not at rho = 1: {activation}' is below 1 "
                                "wherever a unit is active, so W must stretch by more than 1 to make up for it.",
                                want=want, steps=steps, gain=gains[want], activation=activation))
    near = min(gains, key=lambda r: abs(r - x))
    fields = dict(near=near, gain=gains[near], steps=steps, activation=activation)
    if gains[near] < 1:
        return Verdict(False, tr("at rho = {near:.2f} the gradient still vanishes (||delta_1||/||delta_T|| = "
                                 "{gain:.2g}). Move the radius slider with T = {steps} and {activation}, and read "
                                 "the gain in the title.", **fields))
    return Verdict(False, tr("at rho = {near:.2f} the gradient already does not vanish, but a smaller radius also "
                             "does not (||delta_1||/||delta_T|| = {gain:.2g}). Move the radius slider with T = "
                             "{steps} and {activation}, and read the gain in the title.", **fields))
