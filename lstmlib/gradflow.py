"""How gradients flow back in time: what chapters 01, 03, 04 and 05 measure and plot (error
terms and their bound, BPTT traces and the article's errata, the three models side by side).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import ACTIVATIONS, DERIVATIVE_BOUND, sigmoid
from .article import (ARTICLE, CORRECT, ArticleErrata, article_backward_with,
                      article_lstm_backward, article_lstm_forward)
from .gradcheck import GradcheckReport, check_gradients
from .gru import GRUParams, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .lstm import LSTMGrads, LSTMParams, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .rnn import RNNParams, rnn_backward, rnn_forward

# ==============================================================================================
# Chapters 00-03
# ==============================================================================================
# ---- chapter 01: the plain RNN's error terms, the article's bound, per-step contributions ----
def _square_matrix(W, name: str = "W") -> np.ndarray:
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
        raise ValueError(f"{name}: expected a square 2-D array (H, H), got shape {W.shape}")
    if W.dtype.kind not in "fiu":
        raise ValueError(f"{name}: expected a real numeric array, got dtype {W.dtype}")
    _validate.finite(W, name)
    return W


def spectral_norm(W: np.ndarray) -> float:
    """The largest singular value of ``W (H, H)``: the article's ``beta_W``.

    It is the most that one multiplication can stretch a vector, ``||v^T W|| <= beta_W ||v||``
    for every ``v``, which is exactly what the article's bound needs. Also called the operator
    2-norm (Pascanu et al. 2013 state the bound with it).
    """
    return float(np.linalg.norm(_square_matrix(W).astype(np.float64), 2))


def spectral_radius(W: np.ndarray) -> float:
    """The largest ``|eigenvalue|`` of ``W (H, H)``: how fast ``W^n`` grows for large ``n``.

    Never larger than ``spectral_norm(W)``; equal to it when ``W`` is normal (orthogonal,
    symmetric). A matrix can have radius < 1 and still stretch some vectors for a few steps.
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square_matrix(W).astype(np.float64)))))


def rescale_matrix(W: np.ndarray, *, spectral_radius: float | None = None,
                   spectral_norm: float | None = None) -> np.ndarray:
    """``W (H, H)`` times the one number that gives it the requested spectral radius OR spectral
    norm (give exactly one). Returns a new array of ``W``'s dtype; the direction of ``W`` is kept."""
    W = _square_matrix(W)
    if (spectral_radius is None) == (spectral_norm is None):
        raise ValueError("rescale_matrix: expected exactly one of spectral_radius= or spectral_norm=, "
                         f"got spectral_radius={spectral_radius!r}, spectral_norm={spectral_norm!r}")
    name = "spectral_radius" if spectral_norm is None else "spectral_norm"
    target = _validate.real(spectral_radius if spectral_norm is None else spectral_norm, name)
    if target < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {target}")
    current = _radius_of(W) if spectral_norm is None else _norm_of(W)
    if current == 0.0:
        raise ValueError(f"W: expected a matrix with {name} > 0 to rescale, got {name} 0")
    return (W * (target / current)).astype(W.dtype if W.dtype.kind == "f" else np.float64)


_radius_of, _norm_of = spectral_radius, spectral_norm  # for rescale_matrix, whose keywords shadow them


def orthogonal_matrix(size: int, rng) -> np.ndarray:
    """A random orthogonal ``(size, size)`` matrix, uniformly distributed (QR of a Gaussian matrix
    with the signs of R's diagonal folded in). All its singular values and all its eigenvalues'
    moduli are 1, so ``rho * Q`` has spectral radius = spectral norm = ``rho``."""
    n = _validate.positive_int(size, "size")
    A = _validate.rng(rng).standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def rnn_with_radius(input_size: int, hidden_size: int, radius: float, rng, *,
                    dtype=np.float64) -> RNNParams:
    """An ``RNNParams`` whose recurrent matrix is ``radius * Q`` with ``Q`` orthogonal, so that
    ``radius`` is both its spectral radius and its spectral norm (``beta_W``); ``U`` and ``b`` as
    ``RNNParams.init`` draws them."""
    radius = _validate.real(radius, "radius")
    if radius < 0:
        raise ValueError(f"radius: expected a number >= 0, got {radius}")
    gen = _validate.rng(rng)
    p = RNNParams.init(input_size, hidden_size, gen, dtype=dtype)
    p.W[...] = radius * orthogonal_matrix(hidden_size, gen)
    return p


@dataclasses.dataclass(frozen=True, eq=False)
class RNNGradientFlow:
    """What BPTT through a plain RNN says about time, for a loss ``E`` at the last step T alone.

    Steps are k = 1..T, stored at index ``k - 1``. ``deltas`` are the article's error terms
    ``delta_k = dE/dnet_k``, the derivative with respect to the weighted input
    ``net_k = U x_k + W h_{k-1} + b`` (not with respect to ``h_k``; ``dE/dh_k = delta_{k+1}^T W``).
    Norms are Frobenius norms over the batch rows, i.e. the Euclidean norm when ``B = 1``.
    """

    activation: str
    deltas: np.ndarray  # (T, B, H): delta_k = dE/dnet_k
    delta_norms: np.ndarray  # (T,): ||delta_k||
    beta_f: float  # the largest value of f'
    beta_W: float  # the largest singular value of W
    bound: np.ndarray  # (T,): (beta_f * beta_W)^(T-k) * ||delta_T||
    contributions: np.ndarray  # (T, H, H): grad_{W_k} E = sum over the batch of delta_k h_{k-1}^T
    grad_W: np.ndarray  # (H, H): their sum, which is rnn_backward's g.W

    @property
    def steps(self) -> int:
        """T, the number of time steps."""
        return self.deltas.shape[0]

    @property
    def contribution_norms(self) -> np.ndarray:
        """``||grad_{W_k} E||`` for k = 1..T, shape ``(T,)``: the article's bars."""
        return np.linalg.norm(self.contributions.reshape(self.steps, -1), axis=1)

    @property
    def gain(self) -> float:
        """``||delta_1|| / ||delta_T||``: what T-1 steps back in time did to the error."""
        last = self.delta_norms[-1]
        return float(self.delta_norms[0] / last) if last > 0 else 0.0

    def early_share(self, n: int = 3) -> float:
        """``||sum_{k <= T-n} grad_{W_k} E|| / ||grad_W E||``: what all steps before the last ``n``
        add to the weight gradient, relative to the whole. Near 0: the early inputs no longer
        influence learning (the article's figure); near or above 1: they dominate it."""
        n = _validate.positive_int(n, "n")
        total = float(np.linalg.norm(self.grad_W))
        early = self.contributions[:-n].sum(axis=0) if n < self.steps else np.zeros_like(self.grad_W)
        return float(np.linalg.norm(early) / total) if total > 0 else 0.0

    def bound_holds(self, rtol: float = 1e-12) -> bool:
        """True when ``||delta_k|| <= bound_k`` at every step (``rtol`` absorbs rounding)."""
        return bool(np.all(self.delta_norms <= self.bound * (1 + rtol)))


def rnn_gradient_flow(p: RNNParams, X: np.ndarray, h0: np.ndarray | None = None,
                      activation: str = "tanh", dh_last: np.ndarray | None = None) -> RNNGradientFlow:
    """Error terms, the article's bound and the per-step weight-gradient contributions of a plain
    RNN run over ``X (T, B, D)`` from ``h0 (B, H)``, for a loss at the last step whose gradient
    ``dE/dh_T`` is ``dh_last (B, H)`` (all ones when ``None``: ``E = sum of h_T's entries``).

    The recursion is the article's, one step back at a time (rows here, so ``W^T delta`` is
    ``delta @ W``)::

        delta_T = dE/dh_T * f'(net_T)
        delta_k = (delta_{k+1} @ W) * f'(net_k)            k = T-1, ..., 1
        grad_{W_k} E = delta_k^T h_{k-1}                   (summed over the batch)
    """
    hs, _ = rnn_forward(X, p, h0=h0, activation=activation)  # validates p, X, h0, activation
    T, B, H = hs.shape
    h0 = np.zeros((B, H), dtype=p.dtype) if h0 is None else np.asarray(h0)
    if dh_last is None:
        dh_last = np.ones((B, H), dtype=p.dtype)
    dh_last = _validate.array(dh_last, "dh_last", ndim=2, dims="(B, H)", shape=(B, H), dtype=p.dtype)
    f_prime = ACTIVATIONS[activation][1](hs)  # f'(net_k) from h_k = f(net_k), (T, B, H)

    deltas = np.empty_like(hs)
    deltas[-1] = dh_last * f_prime[-1]
    for k in range(T - 2, -1, -1):
        deltas[k] = (deltas[k + 1] @ p.W) * f_prime[k]  # delta_k^T = delta_{k+1}^T W diag f'(net_k)
    h_prev = np.concatenate([h0[None], hs[:-1]])  # h_{k-1} for k = 1..T
    contributions = np.einsum("tbi,tbj->tij", deltas, h_prev)

    norms = np.linalg.norm(deltas.reshape(T, -1), axis=1)
    beta_f = DERIVATIVE_BOUND[activation]
    beta_W = spectral_norm(p.W)
    distance = np.arange(T - 1, -1, -1)  # t - k for k = 1..T
    with np.errstate(over="ignore", invalid="ignore"):  # a bound of inf is an honest answer
        bound = norms[-1] * (beta_f * beta_W) ** distance
    bound = np.where(norms[-1] == 0, 0.0, bound)
    return RNNGradientFlow(activation, deltas, norms, beta_f, beta_W, bound, contributions,
                           contributions.sum(axis=0))


@dataclasses.dataclass(frozen=True, eq=False)
class RadiusExperiment:
    """One RNN and one input sequence in which only the size of ``W`` changes.

    ``params.W`` is an orthogonal ``Q`` (spectral radius = spectral norm = 1); ``flow(rho, ...)``
    runs the RNN with ``W = rho * Q`` on the first ``steps`` inputs of ``X (max_steps, 1, D)``.
    Chapter 01's figures and its explorer use it, so that a slider moves one thing only.
    """

    params: RNNParams
    X: np.ndarray

    @property
    def max_steps(self) -> int:
        return self.X.shape[0]

    def flow(self, radius: float, activation: str = "tanh", steps: int | None = None) -> RNNGradientFlow:
        """``rnn_gradient_flow`` with ``W = radius * Q`` over the first ``steps`` inputs."""
        radius = _validate.real(radius, "radius")
        if radius < 0:
            raise ValueError(f"radius: expected a number >= 0, got {radius}")
        steps = self.max_steps if steps is None else _validate.positive_int(steps, "steps")
        if steps > self.max_steps:
            raise ValueError(f"steps: expected at most max_steps={self.max_steps}, got {steps}")
        p = self.params.copy()
        p.W[...] *= radius
        return rnn_gradient_flow(p, self.X[:steps], activation=activation)


def decay_table(experiment: RadiusExperiment, radii=(0.5, 0.9, 1.0, 1.5, 2.0, 3.0),
                activations=("tanh", "sigmoid"), steps: int = 50, early: int = 10) -> str:
    """A text table, one row per (activation, radius) of ``experiment``: the bound's factor per step
    ``beta_f * beta_W``, what the bound allows over ``steps - 1`` steps, what was measured
    (``||delta_1|| / ||delta_T||``), and ``early_share(early)``. Two significant digits."""
    head = (f"{'activation':<10} {'rho':>5} {'beta_f*beta_W':>14} {'bound over T-1':>15} "
            f"{'measured':>10} {'early share':>12}")
    lines = [f"T = {steps}: bound and measured are ||delta_1|| / ||delta_T||; early share = what steps "
             f"1..T-{early} add to grad_W E, relative", head, "-" * len(head)]
    for act in activations:
        for rho in radii:
            flow = experiment.flow(rho, act, steps)
            factor = flow.beta_f * flow.beta_W
            lines.append(f"{act:<10} {rho:>5.2f} {factor:>14.3g} {factor ** (steps - 1):>15.2g} "
                         f"{flow.gain:>10.2g} {flow.early_share(early):>12.2g}")
    return "\n".join(lines)


def radius_experiment(*, input_size: int = 4, hidden_size: int = 16, max_steps: int = 100,
                      seed: int = 0) -> RadiusExperiment:
    """A ``RadiusExperiment``: ``rnn_with_radius(..., 1.0, rng)`` and ``X ~ N(0, 1)`` with B = 1."""
    rng = _validate.rng(seed)
    p = rnn_with_radius(input_size, hidden_size, 1.0, rng)
    X = rng.standard_normal((_validate.positive_int(max_steps, "max_steps"), 1, p.input_size))
    return RadiusExperiment(p, X)


# ---- chapter 03: BPTT for the LSTM, step by step, and the article's errata measured ----------
@dataclasses.dataclass(frozen=True, eq=False)
class LSTMBPTTTrace:
    """What ``lstm_bptt_by_steps`` found: the gradients and, per step t = 1..T (index t-1),
    ``dh (T, B, H)`` = the total ``dE/dh_t``, ``dc (T, B, H)`` = the total ``dE/dc_t``, ``carry
    (T, B, H)`` = the part of ``dE/dc_t`` that came from ``c_{t+1}`` (``dE/dc_{t+1} * f_{t+1}``; the
    rest came through ``h_t``), and ``contributions``: ``{name: (T,)}``, the norm of step t's part
    of ``dE/dname``."""

    grads: LSTMGrads
    dh: np.ndarray
    dc: np.ndarray
    carry: np.ndarray
    contributions: dict

    def step_table(self, sample: int = 0, decimals: int = 4) -> str:
        """One line per step, last step first (the order BPTT visits them): ``dE/dh_t``, the two parts
        of ``dE/dc_t`` and their sum, for one sample."""
        T, B, _ = self.dh.shape
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < B:
            raise ValueError(f"sample: expected a whole number in [0, {B}), got {sample!r}")

        def vec(v):
            return "[" + " ".join(f"{x:{decimals + 4}.{decimals}f}" for x in v) + "]"

        via_h = self.dc[:, sample] - self.carry[:, sample]
        w = len(vec(self.dh[0, sample]))
        head = (f"{'t':>3}  {'dE/dh_t':<{w}}  {'dE/dc_t via h_t':<{w}}  {'carry from c_t+1':<{w}}  "
                f"{'dE/dc_t (total)':<{w}}")
        lines = [head, "-" * len(head)]
        for t in reversed(range(T)):
            lines.append(f"{t + 1:>3}  {vec(self.dh[t, sample])}  {vec(via_h[t])}  "
                         f"{vec(self.carry[t, sample])}  {vec(self.dc[t, sample])}")
        return "\n".join(lines)

    def contributions_table(self) -> str:
        """The ``contributions`` as a text table, one row per parameter, one column per step;
        exact zeros print as ``0`` (they are structural, not small)."""
        T = self.dh.shape[0]
        head = f"{'array':<6}" + "".join(f"{'t=' + str(t + 1):>10}" for t in range(T))
        rows = [head, "-" * len(head)]
        for name, v in self.contributions.items():
            rows.append(f"{name:<6}" + "".join(f"{'0' if x == 0 else f'{x:.3g}':>10}" for x in v))
        return "\n".join(rows)


def lstm_bptt_by_steps(dhs: np.ndarray, X: np.ndarray, p: LSTMParams,
                       h0: np.ndarray | None = None, c0: np.ndarray | None = None) -> LSTMBPTTTrace:
    """BPTT for the LSTM written as a loop over ``lstm_step_backward``: the readable twin of
    ``lstm_backward`` (the tests hold them equal).

    ``dhs (T, B, H)``: ``dE/dh_t`` from the loss at each step; ``X (T, B, D)``; ``h0, c0 (B, H)``.
    Two error signals run backwards in time: ``dh`` (through the gates' recurrent weights) and
    ``dc`` (through ``c_t = f_t * c_{t-1} + ...``, the cell-state carry).
    """
    X, h0, c0 = _validate.sequence_inputs(p, LSTMParams, X, h0=h0, c0=c0)
    T, B, _ = X.shape
    dhs = _validate.array(dhs, "dhs", ndim=3, dims="(T, B, H)", shape=(T, B, p.hidden_size), dtype=p.dtype)

    # forward, keeping every step's cache
    caches, h, c = [], h0, c0
    for t in range(T):
        h, c, cache = lstm_step_forward(X[t], h, c, p)
        caches.append(cache)

    # backward: dh_next = what step t+1 sends to h_t, dc_next = what it sends to c_t
    total = p.zeros_like()
    dX = np.zeros_like(X)
    dh_total, dc_total, carry = (np.zeros((T, B, p.hidden_size), p.dtype) for _ in range(3))
    parts = {name: np.zeros(T) for name in p.names}
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0)
    for t in reversed(range(T)):
        dh = dhs[t] + dh_next  # dE/dh_t: the loss at step t + what step t+1's gates send back
        dc = dc_next  # dE/dc_t through c_{t+1}: the cell-state carry
        dX[t], dh_next, dc_next, g = lstm_step_backward(dh, dc, caches[t])
        for acc, part in zip(total.arrays(), g.arrays()):
            acc += part  # dE/dW = the sum over steps of each step's share
        # recorded for the chapter's tables only; the gradient does not need them
        dh_total[t], carry[t] = dh, dc
        dc_total[t] = dc + dh * caches[t].o * (1.0 - caches[t].tanh_c ** 2)
        for name, part in g:
            parts[name][t] = np.linalg.norm(part)
    grads = LSTMGrads(total.weights, total.bias, dX=dX, dh0=dh_next, dc0=dc_next)
    return LSTMBPTTTrace(grads, dh_total, dc_total, carry, parts)


ERRATA_VARIANTS: dict[str, ArticleErrata] = {
    "correct": CORRECT,
    "no carry": ArticleErrata(no_cell_carry=True),
    "dWx last": ArticleErrata(input_grad_last_step_only=True),
    "b from f": ArticleErrata(gate_bias_from_forget=True),
    "article": ARTICLE,
}
"""Short labels -> ``ArticleErrata``: our backward with no mistake, each of the article's three
mistakes alone, and all three together (what its companion code computes)."""

GRADCHECK_ARRAYS = LSTMParams.names + ("X", "h0", "c0")
"""The 15 arrays a full LSTM gradient check covers: 12 parameters, the inputs and both initial states."""


def errata_case(steps: int, *, seed: int = 0, input_size: int = 3, hidden_size: int = 4,
                batch: int = 2, zero_state: bool = True):
    """The small LSTM problem chapter 03 checks: ``(p, X, states, out_grad)``.

    ``p`` float64 from ``seed``, ``X (steps, batch, input_size) ~ N(0, 1)``, ``states`` zeros
    (as in the article's check) or ``N(0, 1)`` when ``zero_state=False``, and ``out_grad`` the
    ``G`` of the loss ``E = sum(G * hs)`` (every step gets gradient). The same seed gives the same
    numbers in every column of a table, so columns differ only by what they vary.
    """
    steps = _validate.positive_int(steps, "steps")
    rng = _validate.rng(seed)
    p = LSTMParams.init(input_size, hidden_size, rng)
    H = p.hidden_size
    X = rng.standard_normal((steps, batch, p.input_size))
    start = rng.standard_normal((2, batch, H))
    states = {"h0": np.zeros((batch, H)), "c0": np.zeros((batch, H))} if zero_state else \
        {"h0": start[0], "c0": start[1]}
    out_grad = rng.standard_normal((steps, batch, H))
    return p, X, states, out_grad


def errata_gradcheck(errata: ArticleErrata, steps: int, *, stencil: str = "five-point",
                     **case_kw) -> GradcheckReport:
    """``check_gradients`` of the article-style backward with ``errata`` switched on, on
    ``errata_case(steps, **case_kw)``: all 12 parameters, ``X``, ``h0`` and ``c0``.

    The five-point stencil (default) puts the relative error of a correct gradient near 1e-11, so
    every pass prints as ``< 1e-08`` on any machine; ``"centred"`` is twice as fast (the explorer)."""
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    p, X, states, out_grad = errata_case(steps, **case_kw)
    return check_gradients(p, X, None, states=states, out_grad=out_grad, stencil=stencil,
                           backward=article_backward_with(errata))


@dataclasses.dataclass(frozen=True)
class ErrataTable:
    """Gradient-check reports of several backward variants at several sequence lengths.

    ``reports[(label, T)]`` is a ``GradcheckReport``. Printing gives one row per checked array and
    one column per (variant, T), showing ``ok`` where the check passes and the relative error
    (2 significant digits) where it fails.
    """

    reports: dict
    labels: tuple
    steps: tuple

    def failed(self, label: str, steps: int) -> tuple:
        """Names of the arrays that fail for ``label`` at ``steps``."""
        return self.reports[(label, steps)].failed

    def __str__(self) -> str:
        cols = [(lab, T) for T in self.steps for lab in self.labels]
        width = max(9, max(len(lab) for lab in self.labels) + 1)
        head1 = f"{'':<6}" + "".join(f"{lab:>{width}}" for lab, _ in cols)
        head2 = f"{'array':<6}" + "".join(f"{'T=' + str(T):>{width}}" for _, T in cols)
        lines = [head1, head2, "-" * len(head1)]
        names = [r.name for r in self.reports[cols[0]].rows]
        for name in names:
            cells = []
            for col in cols:
                row = self.reports[col][name]
                cells.append("ok" if row.passed else f"{row.relative_error:.2g}")
            lines.append(f"{name:<6}" + "".join(f"{c:>{width}}" for c in cells))
        lines.append(f"{'fail':<6}" + "".join(
            f"{str(len(self.reports[c].failed)) + '/' + str(len(names)):>{width}}" for c in cols))
        return "\n".join(lines)

    __repr__ = __str__


def errata_table(variants: dict | None = None, steps=(2, 5), **case_kw) -> ErrataTable:
    """``errata_gradcheck`` for every variant (default ``ERRATA_VARIANTS``) at every T in ``steps``."""
    variants = dict(ERRATA_VARIANTS if variants is None else variants)
    if not variants:
        raise ValueError("variants: expected at least one {label: ArticleErrata}, got none")
    steps = tuple(_validate.positive_int(T, "steps") for T in steps)
    reports = {(lab, T): errata_gradcheck(e, T, **case_kw) for T in steps for lab, e in variants.items()}
    return ErrataTable(reports, tuple(variants), steps)


def _article_setup(steps: int = 2, weight_scale: float = 1e-4, zero_state: bool = True,
                   loss_at_every_step: bool = False, seed: int = 0):
    """``(p, X, states, out_grad)`` of the article's own gradient check (see ``article_own_check``)."""
    steps = _validate.positive_int(steps, "steps")
    weight_scale = _validate.real(weight_scale, "weight_scale")
    if weight_scale <= 0:
        raise ValueError(f"weight_scale: expected a number > 0, got {weight_scale}")
    rng = _validate.rng(seed)
    p = LSTMParams.init(3, 2, rng, scale=weight_scale)
    p.bias[...] = 0.0
    X = (np.arange(1, steps + 1)[:, None] + np.arange(3)[None, :]).astype(np.float64)[:, None, :]
    states = {"h0": np.zeros((1, 2)), "c0": np.zeros((1, 2))} if zero_state else \
        {"h0": rng.standard_normal((1, 2)), "c0": rng.standard_normal((1, 2))}
    out_grad = np.ones((steps, 1, 2))
    if not loss_at_every_step:
        out_grad[:-1] = 0.0
    return p, X, states, out_grad


def article_own_check(errata: ArticleErrata = ARTICLE, *, steps: int = 2, weight_scale: float = 1e-4,
                      zero_state: bool = True, loss_at_every_step: bool = False,
                      seed: int = 0) -> GradcheckReport:
    """Re-run the article's own gradient check, on the article-style backward with ``errata``.

    Its set-up, by default: D = 3, H = 2, one sample, inputs ``(1, 2, 3)`` then ``(2, 3, 4)``
    (step t: ``(t, t+1, t+2)``), weights uniform in ``+-weight_scale`` (1e-4), zero biases, zero
    initial state, and ``E = sum(h_T)``: error injected at the last step only. Each keyword turns
    one of those choices off. All 12 parameters are checked (the article looked at ``W_fh``
    alone); read ``report['W_fh']`` for its one.
    """
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    p, X, states, out_grad = _article_setup(steps, weight_scale, zero_state, loss_at_every_step, seed)
    return check_gradients(p, X, None, states=states, out_grad=out_grad, inputs=False,
                           backward=article_backward_with(errata))


def errata_gap(errata: ArticleErrata = ARTICLE, **setup) -> dict[str, float]:
    """``{name: ||g_errata - g_correct|| / ||g_correct||}`` for the 12 parameters, on the article's
    set-up (``setup``: the keywords of ``article_own_check``). Analytic against analytic: no finite
    differences, so 0.0 means the mistake changes nothing at all, not "too small to see"."""
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    p, X, states, out_grad = _article_setup(**setup)
    _, cache = article_lstm_forward(X, p, **states)
    wrong = article_lstm_backward(out_grad, cache, errata)
    right = article_lstm_backward(out_grad, cache, CORRECT)
    out = {}
    for name in p.names:
        a, b = getattr(wrong, name), getattr(right, name)
        scale = np.linalg.norm(b)
        out[name] = float(np.linalg.norm(a - b) / scale) if scale > 0 else float(np.linalg.norm(a))
    return out


ARTICLE_CHECK_CHANGES: dict[str, dict] = {
    "the article's set-up": {},
    "T = 3 instead of 2": {"steps": 3},
    "random h0, c0": {"zero_state": False},
    "weights +-0.5": {"weight_scale": 0.5},
    "loss at every step": {"loss_at_every_step": True},
}
"""One change at a time to the article's gradient check, for ``article_check_ablation``."""


@dataclasses.dataclass(frozen=True)
class AblationRow:
    change: str  # what differs from the article's set-up
    relative_error: float  # the finite-difference check's relative error
    passed: bool  # what the check concluded
    gap: float  # ||g_errata - g_correct|| / ||g_correct||: the true size of the mistake


def article_check_ablation(errata: ArticleErrata = ARTICLE, changes: dict | None = None,
                           name: str = "W_fh") -> list[AblationRow]:
    """The article's check of ``name`` on the backward with ``errata``: first as the article ran
    it, then with one choice changed at a time (``ARTICLE_CHECK_CHANGES``). Each row also holds
    the true gap between the erratic and the correct gradient, which shows which of the article's
    choices hid the mistake."""
    if name not in LSTMParams.names:
        raise ValueError(f"name: expected one of {LSTMParams.names}, got {name!r}")
    changes = ARTICLE_CHECK_CHANGES if changes is None else changes
    out = []
    for label, kw in changes.items():
        row = article_own_check(errata, **kw)[name]
        out.append(AblationRow(label, row.relative_error, row.passed, errata_gap(errata, **kw)[name]))
    return out


def _gap_text(v: float) -> str:
    return "0 (identical)" if v == 0 else f"{v:.2g}"


def format_ablation(rows: list[AblationRow], name: str = "W_fh") -> str:
    """``article_check_ablation``'s rows as a text table: what changed, the check's verdict and the
    true gap (``0 (identical)`` when the mistake changes nothing). The check's own relative error
    is left out on purpose: with weights of 1e-4 the gradients are so small that its digits are
    rounding noise, different on every machine."""
    head = f"{'what changed':<22}  {'check of ' + name:<13} {'true gap':>14}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.change:<22}  {'pass' if r.passed else 'FAIL':<13} {_gap_text(r.gap):>14}")
    return "\n".join(lines)


def article_check_table(errata: ArticleErrata = ARTICLE, **setup) -> str:
    """The article's own check (``article_own_check``) extended to all 12 parameters, one row
    each: the finite-difference check's verdict and the true gap ``||g_errata - g_correct|| /
    ||g_correct||`` (``errata_gap``), on the same set-up."""
    report = article_own_check(errata, **setup)
    gaps = errata_gap(errata, **setup)
    head = f"{'array':<6} {'check':<6} {'true gap':>14}"
    lines = [head, "-" * len(head)]
    for row in report.rows:
        lines.append(f"{row.name:<6} {'pass' if row.passed else 'FAIL':<6} {_gap_text(gaps[row.name]):>14}")
    return "\n".join(lines)

# === chapters 00-03 section: end ===

# ==============================================================================================
# Chapters 04-06
# ==============================================================================================
# ---- chapter 04: how far back a loss at the last step reaches, RNN vs LSTM vs GRU -----------
MODEL_NAMES = ("rnn", "lstm", "gru")
"""The three recurrent models chapters 04-06 compare, in the order they are always drawn."""


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

    @property
    def steps(self) -> int:
        return self.dh.shape[0]

    @property
    def dh_norms(self) -> np.ndarray:
        """``||dE/dh_k||`` for k = 1..T, ``(T,)``."""
        return np.linalg.norm(self.dh.reshape(self.steps, -1), axis=1)

    @property
    def dc_norms(self) -> np.ndarray | None:
        """``||dE/dc_k||`` for k = 1..T, ``(T,)`` (None without a cell state)."""
        return None if self.dc is None else np.linalg.norm(self.dc.reshape(self.steps, -1), axis=1)

    def relative(self, which: str = "dh") -> np.ndarray:
        """``||dE/d{h,c}_k|| / ||dE/dh_T||``: the norms relative to what the loss put in."""
        if which not in ("dh", "dc"):
            raise ValueError(f"which: expected 'dh' or 'dc', got {which!r}")
        norms = self.dh_norms if which == "dh" else self.dc_norms
        if norms is None:
            raise ValueError(f"which: {self.model} has no cell state, so no 'dc'")
        top = self.dh_norms[-1]
        return norms / top if top > 0 else np.zeros_like(norms)


def _model_name(p) -> str:
    if isinstance(p, LSTMParams):
        return "lstm"
    if isinstance(p, GRUParams):
        return "gru"
    if isinstance(p, RNNParams):
        return "rnn"
    raise ValueError(f"p: expected RNNParams, LSTMParams or GRUParams, got {type(p).__name__}")


def gru_last_step_dh(p: GRUParams, X: np.ndarray, dh_last: np.ndarray,
                     h0: np.ndarray | None = None) -> np.ndarray:
    """``dE/dh_k (T, B, H)`` of a GRU for a loss at the last step alone (``dE/dh_T = dh_last``),
    from ``gru_step_forward`` and ``gru_step_backward`` one step at a time."""
    X, h0 = _validate.sequence_inputs(p, GRUParams, X, h0=h0)
    caches, h = [], h0
    for x in X:
        h, k = gru_step_forward(x, h, p)
        caches.append(k)
    dh = np.empty((X.shape[0],) + h0.shape, dtype=p.dtype)
    dh[-1] = dh_last
    for t in range(X.shape[0] - 1, 0, -1):
        _, dh[t - 1], _ = gru_step_backward(dh[t], caches[t])
    return dh


def last_step_gradients(p, X: np.ndarray, *, dh_last: np.ndarray | None = None,
                        h0: np.ndarray | None = None, c0: np.ndarray | None = None,
                        activation: str = "tanh") -> LastStepGradients:
    """``dE/dh_k`` (and, for the LSTM, ``dE/dc_k``) at every step k for a loss at step T alone.

    ``p``: ``RNNParams``, ``LSTMParams`` or ``GRUParams``; ``X (T, B, D)``; ``dh_last (B, H)``:
    ``dE/dh_T`` (all ones when None, i.e. ``E = sum of h_T's entries``); ``h0``, ``c0 (B, H)``;
    ``activation``: the RNN's. Computed by the model's fast sequence backward with
    ``state_grads=True`` (the tests hold it equal to the step-by-step versions, chapter 01's
    ``rnn_gradient_flow``, chapter 03's ``lstm_bptt_by_steps`` and ``gru_last_step_dh``); fast
    enough for an explorer to redraw three models at T = 200.
    """
    model = _model_name(p)
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size),
                        dtype=p.dtype)
    T, B, _ = X.shape
    H = p.hidden_size
    if dh_last is None:
        dh_last = np.ones((B, H), dtype=p.dtype)
    dh_last = _validate.array(dh_last, "dh_last", ndim=2, dims="(B, H)", shape=(B, H), dtype=p.dtype)
    dhs = np.zeros((T, B, H), dtype=p.dtype)
    dhs[-1] = dh_last
    if model == "rnn":
        _, cache = rnn_forward(X, p, h0, activation=activation)
        return LastStepGradients(model, rnn_backward(dhs, cache, state_grads=True).dh)
    if model == "lstm":
        _, cache = lstm_forward(X, p, h0, c0)
        g = lstm_backward(dhs, cache, state_grads=True)
        return LastStepGradients(model, g.dh, g.dc)
    _, cache = gru_forward(X, p, h0)
    return LastStepGradients(model, gru_backward(dhs, cache, state_grads=True).dh)


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
        head = (f"{'b_f':>5}  {'sigmoid(b_f)':>12}  {'predicted':>10}  "
                f"{'measured, weights x' + format(self.small_scale, 'g'):>24}  {'measured, usual init':>20}")
        lines = [f"||dE/dc_1|| / ||dE/dc_T|| for T = {self.steps}", head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.forget_bias:>5g}  {float(sigmoid(r.forget_bias)):>12.4f}  "
                         f"{r.predicted:>10.2e}  {r.measured_small:>24.2e}  {r.measured_default:>20.2e}")
        return "\n".join(lines)

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
            g = last_step_gradients(p, X)
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
        parts = (("diag(f_t)", self.direct[0]), ("terms through h", self.through_h[0]),
                 ("total dc_t/dc_(t-1)", self.total[0]))
        H = self.direct.shape[1]
        width = 8 * H
        lines = [f"t = {self.step}:  " + "   ".join(f"{name:<{width}}" for name, _ in parts)]
        for i in range(H):
            lines.append(" " * (len(str(self.step)) + 7)
                         + "   ".join("".join(f"{_no_minus_zero(v):>8.3f}" for v in m[i]) for _, m in parts))
        return "\n".join(lines)

    __repr__ = __str__


def cell_state_jacobian(p: LSTMParams, X: np.ndarray, step: int, h0: np.ndarray | None = None,
                        c0: np.ndarray | None = None) -> CellJacobian:
    """``CellJacobian`` of ``c_step`` with respect to ``c_{step-1}`` on the sequence ``X (T, B, D)``
    (``2 <= step <= T``: at step 1 the previous hidden state is ``h0``, an input, not a function
    of ``c0``)."""
    hs, cache = lstm_forward(X, p, h0=h0, c0=c0)  # validates p, X, h0, c0
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


def cell_jacobian_norms(p: LSTMParams, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(||diag(f_t)||_2, ||through_h_t||_2)`` for t = 2..T, each ``(T-1,)``: how much of each
    step's ``dc_t/dc_{t-1}`` is the highway and how much goes through ``h``."""
    X = _validate.array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    pairs = [cell_state_jacobian(p, X, t).norms() for t in range(2, X.shape[0] + 1)]
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
        """``highway_guide`` of each model for this setting, ``{name: (T,)}``."""
        return {name: highway_guide(name, self.steps, forget_bias=self.forget_bias, beta=self.rnn_beta)
                for name in self.flows}

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
    """Chapter 04's explorer data: one input sequence and one draw of each model's weights,
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
        return {float(b): cell_jacobian_norms(self.models(b, scale)["lstm"], self.X[:steps]) for b in biases}

    def compare(self, forget_bias: float = 0.0, scale: float = 1.0,
                steps: int | None = None) -> GradientFlowComparison:
        steps = self.max_steps if steps is None else _validate.positive_int(steps, "steps")
        if steps > self.max_steps:
            raise ValueError(f"steps: expected at most max_steps={self.max_steps}, got {steps}")
        X = self.X[:steps]
        models = self.models(forget_bias, scale)
        flows = {name: last_step_gradients(p, X) for name, p in models.items()}
        beta = DERIVATIVE_BOUND["tanh"] * spectral_norm(models["rnn"].W)
        return GradientFlowComparison(flows, float(forget_bias), float(scale), beta)


def model_gradient_flow(model, X: np.ndarray) -> LastStepGradients:
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
    return last_step_gradients(p, X, dh_last=dh_last, activation=model.activation)


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
        raise ValueError(f"model: expected one of {MODEL_NAMES}, got {model!r}")
    with np.errstate(over="ignore", under="ignore"):
        return base ** back


# ---- chapter 05: the GRU with its gates held by hand, and the PyTorch convention -------------
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


def gru_fixed_gates(p: GRUParams, X: np.ndarray, z: float, r: float,
                    h0: np.ndarray | None = None) -> FixedGateRun:
    """Run the GRU's candidate and update with ``z_t = z`` and ``r_t = r`` (numbers in [0, 1])
    instead of the learned gates::

        h~_t = tanh(W_ch (r * h_{t-1}) + W_cx x_t + b_c)              (reset_after=False)
        h~_t = tanh(W_cx x_t + b_c + r * (W_ch h_{t-1} + b_ch))       (reset_after=True)
        h_t  = (1 - z) * h_{t-1} + z * h~_t

    and the Jacobian ``dh_t/dh_{t-1} = (1 - z) I + z diag(1 - h~_t^2) W_ch r`` multiplied along
    the way (it is the same for both conventions once the gates are fixed).
    """
    X, h0 = _validate.sequence_inputs(p, GRUParams, X, h0=h0)
    z, r = _validate.real(z, "z"), _validate.real(r, "r")
    for name, v in (("z", z), ("r", r)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name}: expected a gate value in [0, 1], got {v}")
    T, B, _ = X.shape
    H = p.hidden_size
    hs = np.empty((T, B, H), dtype=p.dtype)
    cands = np.empty_like(hs)
    influence = np.empty(T)
    J = np.eye(H)
    eye = np.eye(H)
    inputs = X @ p.W_cx.T + p.b_c  # every step's input part at once, (T, B, H)
    h = h0
    for t in range(T):
        if p.reset_after:
            pre = inputs[t] + r * (h @ p.W_ch.T + p.b_ch)
        else:
            pre = inputs[t] + (r * h) @ p.W_ch.T
        cand = np.tanh(pre)
        h = (1.0 - z) * h + z * cand
        hs[t], cands[t] = h, cand
        step = (1.0 - z) * eye + (z * r) * (1.0 - cand[0] ** 2)[:, None] * p.W_ch
        J = step @ J
        influence[t] = np.linalg.norm(J, 2)
    return FixedGateRun(z, r, hs, cands, influence)


class GateLab:
    """Chapter 05's explorer data: one GRU (article convention, H = 4, recurrent weights large
    enough that the reset gate matters) and one input sequence with a pulse at step 5 and noise."""

    def __init__(self, *, steps: int = 40, hidden_size: int = 4, seed: int = 0):
        gen = _validate.rng(seed)
        steps = _validate.positive_int(steps, "steps")
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
        return gru_fixed_gates(self.params, self.X, z, r, h0=self.h0)


@dataclasses.dataclass(frozen=True)
class ConventionGap:
    """How far apart the two GRU conventions are on the same weights (``compare_gru_conventions``)."""

    learned_reset: float  # max |h_before - h_after| with the reset gate as the weights make it
    open_reset: float  # the same with b_r so large that r = 1 everywhere

    def __str__(self) -> str:
        # below 1e-12 the difference is rounding, whose last bits depend on the BLAS build
        tiny = "< 1e-12" if self.open_reset < 1e-12 else f"{self.open_reset:.1e}"
        return (f"same weights, reset before vs after the product: max |h difference| = "
                f"{self.learned_reset:.3f}\nthe same with the reset gate held open (r = 1):     "
                f"max |h difference| {tiny}")

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
    """One row of ``parameter_counts``: a model, its formula, lstmlib's and PyTorch's counts."""

    model: str
    formula: str
    lstmlib: int
    pytorch: int | None  # None: PyTorch has no such layer


def parameter_counts(input_size: int, hidden_size: int) -> tuple[ParameterCount, ...]:
    """How many numbers each model learns for input size D and hidden size H: lstmlib's count
    (from real parameter objects) and what PyTorch stores (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``
    keep two bias vectors, ``b_ih`` and ``b_hh``, where one suffices except for ``b_hn``)."""
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    gen = np.random.default_rng(0)
    n = lambda p: p.num_parameters  # noqa: E731
    return (
        ParameterCount("RNN", "H(H+D) + H", n(RNNParams.init(D, H, gen)), H * (H + D) + 2 * H),
        ParameterCount("GRU, reset before (article)", "3H(H+D) + 3H",
                       n(GRUParams.init(D, H, gen)), None),
        ParameterCount("GRU, reset after (cuDNN, PyTorch)", "3H(H+D) + 4H",
                       n(GRUParams.init(D, H, gen, reset_after=True)), 3 * H * (H + D) + 6 * H),
        ParameterCount("LSTM", "4H(H+D) + 4H", n(LSTMParams.init(D, H, gen)), 4 * H * (H + D) + 8 * H),
    )


def parameter_count_table(input_size: int, hidden_size: int) -> str:
    """``parameter_counts`` as a text table (PyTorch has no reset-before GRU: shown as '-')."""
    rows = parameter_counts(input_size, hidden_size)
    head = f"{'model':<34}{'formula':>16}{'lstmlib':>10}{'PyTorch':>10}{'vs LSTM':>9}"
    lstm = rows[-1].lstmlib
    lines = [f"D = {input_size}, H = {hidden_size}", head, "-" * len(head)]
    for r in rows:
        torch_n = f"{'-':>10}" if r.pytorch is None else f"{r.pytorch:>10}"
        lines.append(f"{r.model:<34}{r.formula:>16}{r.lstmlib:>10}{torch_n}{r.lstmlib / lstm:>9.2f}")
    return "\n".join(lines)


def gru_grads_torch_layout(g) -> dict:
    """A ``GRUGrads`` (``reset_after=True``) in ``torch.nn.GRU``'s layout: ``weight_ih_l0 (3H, D)``,
    ``weight_hh_l0 (3H, H)``, ``bias_ih_l0``, ``bias_hh_l0 (3H,)``, rows in torch's order r, z, n.

    The same mapping as ``torch_interop.gru_to_torch``, applied to derivatives: torch's z is our
    ``1 - z``, so its z rows are ours negated; ``b_ih`` and ``b_hh`` of r and z are both added to
    one pre-activation, so each gets the whole derivative of our single bias; ``b_hn`` is ``b_ch``.
    """
    if not isinstance(g, GRUParams) or not g.reset_after:
        raise ValueError("g: expected GRUGrads of a reset_after=True GRU (PyTorch's convention), "
                         f"got {type(g).__name__}")
    sign = {"r": 1.0, "z": -1.0, "c": 1.0}
    order = ("r", "z", "c")
    H = g.hidden_size
    stack = lambda fmt: np.concatenate([sign[k] * getattr(g, fmt.format(k)) for k in order])  # noqa: E731
    b_hh = stack("b_{}").copy()
    b_hh[2 * H:] = g.b_ch
    return {"weight_ih_l0": stack("W_{}x"), "weight_hh_l0": stack("W_{}h"),
            "bias_ih_l0": stack("b_{}"), "bias_hh_l0": b_hh}


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
            return f"PyTorch parity: skipped ({self.skipped})"
        lines = [f"{'array':<14}{'max |lstmlib - torch|':>24}"]
        for name, v in self.differences.items():
            lines.append(f"{name:<14}{('< ' + format(self.tol, '.0e')) if v <= self.tol else format(v, '.2e'):>24}")
        verdict = "agree" if self.passed else "DISAGREE"
        lines.append(f"PyTorch parity: the output and all {len(self.differences) - 1} gradient arrays "
                     f"{verdict} to {self.tol:.0e}")
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
    from .torch_interop import gru_to_torch
    from .gru import gru_backward
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
    mine = gru_grads_torch_layout(g)
    diffs = {"output h": float(np.max(np.abs(out.detach().numpy() - hs)))}
    for name, a in mine.items():
        diffs[name] = float(np.max(np.abs(getattr(m, name).grad.numpy() - a)))
    diffs["input X"] = float(np.max(np.abs(Xt.grad.numpy() - g.dX)))
    return TorchParity(diffs, tol)


# === chapters 04-06 section: end ===
