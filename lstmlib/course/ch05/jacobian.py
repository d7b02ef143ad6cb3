"""The LSTM's one-step cell-state Jacobian ``dc_t/dc_{t-1}`` in its two parts (the highway
``diag(f_t)`` and the paths through ``h``), and why the product of these one-step matrices is not
``dc_T/dc_k``: BPTT's two recursions carry the paths the product leaves out."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate, fused
from ...lstm import LSTMParams, lstm_backward, lstm_forward
from ...state import LSTMState
from ..i18n import tr
from ..tables import pad

__all__ = ["CellJacobian", "cell_state_jacobian", "cell_jacobian_norms", "CellStateChain", "cell_state_chain",
           "ProductVsTotal", "product_vs_total"]


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
        w = 8 * H
        lines = [f"t = {self.step}:  " + "   ".join(pad(name, w) for name, _ in parts)]
        for i in range(H):
            lines.append(" " * (len(str(self.step)) + 7)
                         + "   ".join("".join(f"{_no_minus_zero(v):>8.3f}" for v in m[i]) for _, m in parts))
        return "\n".join(lines)

    __repr__ = __str__


def cell_state_jacobian(X: np.ndarray, p: LSTMParams, step: int, state: LSTMState | None = None) -> CellJacobian:
    """``CellJacobian`` of ``c_step`` with respect to ``c_{step-1}`` on the sequence ``X (T, B, D)``
    from ``state = (h0, c0)`` (zeros when ``None``); ``2 <= step <= T``: at step 1 the previous
    hidden state is ``h0``, an input, not a function of ``c0``."""
    hs, cache = fused.lstm_forward(X, p, state)  # validates X, p and the state
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


# ---- the product of one-step Jacobians is not dc_T/dc_k ----------------------------------------------
def _first_sample_copies(X: np.ndarray, H: int, state):
    """``X (T, B, D)`` -> its first sample repeated H times, ``(T, H, D)``, with the state's first
    rows repeated likewise: a batch of H identity rows as the seed of one backward pass then gives
    a whole Jacobian."""
    rep = lambda a: np.repeat(np.asarray(a)[:1], H, axis=0)  # noqa: E731
    return np.repeat(X[:, :1], H, axis=1), None if state is None else LSTMState(*(rep(a) for a in state))


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
        w = 8 * H
        k, T = self.step, self.steps
        names = (tr("product of J_t, t = {first}..{T}", first=k + 1, T=T),
                 tr("dc_{T}/dc_{k} (whole network)", T=T, k=k))
        lines = ["   ".join(pad(n, w) for n in names)]
        for i in range(H):
            lines.append("   ".join("".join(f"{_no_minus_zero(v):>8.3f}" for v in m[i])
                                    for m in (self.product, self.total)))
        diff = "< 1e-12" if self.difference < 1e-12 else f"= {self.difference:.1e}"
        lines.append(tr("max |difference| {diff}", diff=diff))
        return "\n".join(lines)

    __repr__ = __str__


def cell_state_chain(X: np.ndarray, p: LSTMParams, step: int, state: LSTMState | None = None) -> CellStateChain:
    """``CellStateChain`` from ``c_step`` to ``c_T`` on ``X (T, B, D)`` (first sample), ``1 <= step
    < T``. ``total`` comes from one ``lstm_backward`` seeded with ``dE/dc_T`` = the identity (H copies
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
        product = cell_state_jacobian(X, p, t, state).total[0] @ product
    Xr, start = _first_sample_copies(X, H, state)
    hs, cache = lstm_forward(Xr, p, start)
    dstate = LSTMState(np.zeros((H, H), dtype=p.dtype), np.eye(H, dtype=p.dtype))  # dE/dc_T = the identity
    g = lstm_backward(np.zeros_like(hs), cache, dstate, state_grads=True)
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
