"""Self-checks of chapter 01's exercises."""
from __future__ import annotations

import numpy as np

from ...activations import DERIVATIVE_BOUND
from ...rnn import RNNParams, rnn_forward
from .. import ch01
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _number, _same


def check_bound_factor(answer, *, steps: int = 20, activation: str = "sigmoid",
                       spectral_norm: float = 3.0) -> Verdict:
    """Exercise 01.1: the factor ``q`` in ``||delta_{t-steps}|| <= q ||delta_t||`` that the
    article's bound guarantees for ``activation`` and a W of the given spectral norm."""
    x, v = _number(answer, tr("the factor q"))
    if v is not None:
        return v
    beta_f = DERIVATIVE_BOUND[activation]
    want = (beta_f * spectral_norm) ** steps
    if _close(x, want):
        fields = dict(steps=steps, beta_f=beta_f, beta_W=spectral_norm, want=want)
        if want < 1:
            return Verdict(True, tr("(beta_f * beta_W)^{steps} = ({beta_f:g} * {beta_W:g})^{steps} = {want:.3g}, "
                                    "so the error is guaranteed to vanish.", **fields))
        return Verdict(True, tr("(beta_f * beta_W)^{steps} = ({beta_f:g} * {beta_W:g})^{steps} = {want:.3g}, "
                                "which guarantees nothing: it may explode.", **fields))
    hints = [(spectral_norm ** steps, tr("beta_f is missing: {activation}' is at most {beta_f:g}.",
                                         activation=activation, beta_f=beta_f)),
             (beta_f * spectral_norm, tr("that is one step; the bound multiplies {steps} of them.", steps=steps)),
             ((beta_f * spectral_norm) ** (steps - 1), tr("off by one: from t back to t-k the product has k factors.")),
             ((beta_f * spectral_norm) ** (steps + 1), tr("off by one: from t back to t-k the product has k factors.")),
             (beta_f ** steps, tr("beta_W is missing: each step also multiplies by W (norm at most beta_W)."))]
    why = next((h for val, h in hints if _close(x, val)),
               tr("each step back multiplies by diag[f'(net)] (norm <= beta_f) and by W (norm <= beta_W)."))
    return Verdict(False, tr("{x:.3g} is not the bound's factor: {why}", x=x, why=why))


def check_error_norms(fn) -> Verdict:
    """Exercise 01.2: ``fn(X, p)`` should return ``||delta_k||`` for k = 1..T, shape ``(T,)``, for a
    tanh RNN ``p`` run on ``X (T, 1, D)`` from h_0 = 0 with ``E = sum of h_T's entries``. Checked
    against ``ch01.rnn_gradient_flow`` on three random problems."""
    for seed, (T, D, H) in enumerate(((6, 2, 3), (1, 3, 2), (9, 1, 4))):
        rng = np.random.default_rng(100 + seed)
        p = RNNParams.init(D, H, rng)
        X = rng.standard_normal((T, 1, D))
        got, err = _call(fn, X, p)
        if err is not None:
            return err
        flow = ch01.rnn_gradient_flow(X, p)
        want = flow.delta_norms
        got = np.asarray(got, dtype=float).ravel()
        if got.shape != want.shape:
            return Verdict(False, tr("for T={T} expected {T} norms (one per step), got an array of shape {shape}.",
                                     T=T, shape=got.shape))
        if _same(got, want):
            continue
        hs, _ = rnn_forward(X, p)
        dE_dh = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, H))])  # dE/dh_k
        wrong_W = np.empty_like(flow.deltas)
        wrong_W[-1] = flow.deltas[-1]
        for k in range(T - 2, -1, -1):
            wrong_W[k] = (wrong_W[k + 1] @ p.W.T) * (1 - hs[k] ** 2)
        if _same(got, np.linalg.norm(dE_dh.reshape(T, -1), axis=1)):
            why = tr("these are the norms of dE/dh_k; the article's delta_k is dE/dnet_k = dE/dh_k * f'(net_k).")
        elif _same(got, want[::-1]):
            why = tr("the right numbers in reverse order: index k-1 should hold step k (step 1 first).")
        elif _same(got, np.linalg.norm(wrong_W.reshape(T, -1), axis=1)):
            why = tr("W is transposed: with rows, one step back is  delta @ W  (the column form W^T delta).")
        else:
            k = int(np.argmax(~np.isclose(got, want, rtol=1e-7, atol=1e-10)))
            why = tr("first difference at step k={k}: yours {got:.6g}, expected {want:.6g}.",
                     k=k + 1, got=got[k], want=want[k])
        return Verdict(False, f"(T={T}, D={D}, H={H}) {why}")
    return Verdict(True, tr("your error norms match the library's on three random RNNs: delta_T = f'(net_T) * "
                            "dE/dh_T, then delta_k = (delta_{k+1} @ W) * f'(net_k)."))


def check_critical_radius(answer, *, steps: int = 50, activation: str = "tanh",
                          grid_step: float = 0.05) -> Verdict:
    """Exercise 01.3: the smallest spectral radius on the explorer's grid (0.1, 0.15, ...) at which
    ``||delta_1|| >= ||delta_T||`` for chapter 01's RNN (``ch01.radius_experiment()``)."""
    x, v = _number(answer, tr("a spectral radius"))
    if v is not None:
        return v
    exp = ch01.radius_experiment()
    grid = np.round(np.arange(0.1, 5.0 + 1e-9, grid_step), 10)
    gains = {float(r): exp.flow(float(r), activation, steps).gain for r in grid}
    want = next(r for r, g in gains.items() if g >= 1.0)
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
