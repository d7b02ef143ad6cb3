"""Chapter 01, the plain RNN and its vanishing gradients: the error terms of BPTT, the article's
bound on them, the per-step contributions to the weight gradient, and an RNN whose recurrent
matrix has one knob (its spectral radius) for the pictures and the explorer."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate
from ..activations import ACTIVATIONS, DERIVATIVE_BOUND
from ..rnn import RNNParams, rnn_backward, rnn_forward, rnn_step_backward
from ._args import whole_number
from .i18n import tr
from .tables import pad, table, width
from .linalg import orthogonal_matrix, rescale_matrix, spectral_norm, spectral_radius, step_norms

__all__ = ["ScalarChain", "scalar_chain", "scalar_chains", "scalar_chain_table", "step_norms", "spectral_norm", "spectral_radius", "rescale_matrix", "orthogonal_matrix", "rnn_with_radius",
           "RNNGradientFlow", "rnn_gradient_flow", "sequence_summary", "sum_check", "spectral_examples", "ProductOrderCheck", "product_order_check",
           "RadiusExperiment", "radius_experiment", "decay_table", "EarlyStepsStudy", "early_steps_study"]


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


# ---- one unit: the whole argument in a product of numbers -------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class ScalarChain:
    """A plain RNN with one unit, ``h_t = f(w h_{t-1} + x_t)``, and a loss ``E = h_T`` at its last
    step, over the last T steps of a longer run. One step back multiplies the gradient by the
    number ``w f'(net_t)``, so

        dE/dh_{T-n} = w^n * f'(net_T) f'(net_{T-1}) ... f'(net_{T-n+1}).

    ``reach[n] = |dE/dh_{T-n}|`` for n = 0..T-1, from the library's BPTT (``rnn_backward``);
    ``w_power[n] = |w|^n``, what the product would be if every slope were 1; ``slopes[t-1] =
    f'(net_t)``."""

    w: float
    activation: str
    slopes: np.ndarray  # (T,)
    reach: np.ndarray  # (T,)

    @property
    def steps(self) -> int:
        """T, the number of time steps."""
        return len(self.slopes)

    @property
    def w_power(self) -> np.ndarray:
        """``|w|^n`` for n = 0..T-1."""
        return abs(self.w) ** np.arange(self.steps, dtype=np.float64)


SCALAR_INPUT = 0.1
"""The input a ``scalar_chain`` unit reads at every step, unless told otherwise."""


def scalar_chain(w: float, activation: str = "tanh", *, steps: int = 30, x: float = SCALAR_INPUT,
                 warmup: int = 20) -> ScalarChain:
    """The ``ScalarChain`` of a one-unit RNN (``RNNParams`` with D = H = 1: ``W = [[w]]``,
    ``U = [[1]]``, ``b = 0``) reading the same small input ``x`` at every step from ``h_0 = 0``:
    ``warmup`` steps to settle, then the ``steps`` steps the chain describes (the loss at the last)."""
    w = _validate.real(w, "w")
    steps = _validate.positive_int(steps, "steps")
    warmup = whole_number(warmup, "warmup", 0)
    X = np.full((warmup + steps, 1, 1), _validate.real(x, "x"))
    p = RNNParams(np.array([[w, 1.0]]), np.zeros(1)).with_activation(activation)
    hs, _, g = _bptt_last_step_loss(X, p, None, None)
    slopes = ACTIVATIONS[p.activation][1](hs[warmup:, 0, 0])
    return ScalarChain(w, p.activation, slopes, np.abs(g.dh[::-1, 0, 0])[:steps])


def scalar_chains(ws=(0.5, 0.9, 1.5), activations=("relu", "tanh"), *, steps: int = 30) -> list[ScalarChain]:
    """``scalar_chain(w, activation, steps=steps)`` for every activation and ``w``, activation by
    activation."""
    return [scalar_chain(w, act, steps=steps) for act in activations for w in ws]


def scalar_chain_table(ws=(0.5, 1.5), activations=("relu", "tanh"), backs=(1, 5, 10, 20), *,
                       steps: int = 30) -> str:
    """For each activation and ``w``: the slope at the last step, the factor ``w f'`` one step
    back costs there, and ``|dE/dh_{T-n}|`` measured by BPTT beside ``|w|^n`` at each ``n`` of
    ``backs`` (``scalar_chain``), three significant digits."""
    backs = tuple(backs)
    if not backs or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < steps
                        for n in backs):
        raise ValueError(tr("backs: expected whole numbers of steps back from 0 to T-1 = {last}, got {backs!r}",
                            last=steps - 1, backs=backs))
    columns = ([(tr("activation"), "<"), ("w", ">"), (tr("slope f′"), ">"), ("w·f′", ">"), ("", "<")]
               + [(f"n = {n}", ">") for n in backs])
    rows = []
    for c in scalar_chains(ws, activations, steps=steps):
        slope = float(c.slopes[-1])
        rows.append([c.activation, f"{c.w:g}", f"{slope:.3f}", f"{c.w * slope:.3f}",
                     tr("measured |dE/dh_(T-n)|")] + [f"{c.reach[n]:.3g}" for n in backs])
        rows.append(["", "", "", "", "|w|^n"] + [f"{c.w_power[n]:.3g}" for n in backs])
    title = tr("one unit, x_t = {x:g}, loss E = h_T at T = {T}: |dE/dh_(T-n)| from BPTT, and |w|^n",
               x=SCALAR_INPUT, T=steps)
    return title + "\n" + table(columns, rows, gap=[1, 1, 1, 2] + [0] * len(backs),
                                 widths=[10, 5, 8, 6, 22] + [10] * len(backs))


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
        return len(self.deltas)

    @property
    def contribution_norms(self) -> np.ndarray:
        """``||grad_{W_k} E||`` for k = 1..T, shape ``(T,)``: the article's bars."""
        return step_norms(self.contributions)

    @property
    def gain(self) -> float:
        """``||delta_1|| / ||delta_T||``: what T-1 steps back in time did to the error."""
        last = self.delta_norms[-1]
        return float(self.delta_norms[0] / last) if last > 0 else 0.0

    def _back(self, n, name: str = "n") -> int:
        """``n`` checked as a number of steps back that leaves at least one earlier step."""
        if self.steps < 2:
            raise ValueError(tr("{name}: this flow has T = 1 step, so no step lies before the last", name=name))
        return whole_number(n, name, 1, self.steps - 1, tr("T-1: this flow has T = {T} steps", T=self.steps))

    def early_share(self, n: int = 3) -> float:
        """``||sum_{k <= T-n} grad_{W_k} E|| / ||grad_W E||``: what all steps before the last ``n``
        add to the weight gradient, relative to the whole, for ``n`` from 1 to T-1. Near 0: the
        early inputs no longer influence learning (the article's figure); near or above 1: they
        dominate it."""
        n = self._back(n)
        total = float(np.linalg.norm(self.grad_W))
        return float(np.linalg.norm(self.contributions[:-n].sum(axis=0)) / total) if total > 0 else 0.0

    def reach_table(self, back=(3, 10), last: int = 6) -> str:
        """Text: ``early_share(n)`` for each ``n`` in ``back``, then ``||grad_{W_k} E||`` of the
        ``last`` steps before the loss and ``||grad_W E||``, three significant digits. Every ``n``
        and ``last`` must fit this flow's T (a ValueError says so)."""
        back = tuple(self._back(n, "back") for n in back)
        last = whole_number(last, "last", 1, self.steps, tr("T: this flow has T = {T} steps", T=self.steps))
        T = self.steps
        lines = [tr("steps 1..T-{n} add {share:.2g} of ||grad_W E||", n=n, share=self.early_share(n)) for n in back]
        norms = self.contribution_norms
        lines += [f"  ||grad_(W_{k}) E|| = {norms[k - 1]:.3g}" for k in range(T - last + 1, T + 1)]
        lines.append(f"  ||grad_W E|| = {np.linalg.norm(self.grad_W):.3g}")
        return "\n".join(lines)

    def bound_holds(self, rtol: float = 1e-12) -> bool:
        """True when ``||delta_k|| <= bound_k`` at every step (``rtol`` absorbs rounding)."""
        return bool(np.all(self.delta_norms <= self.bound * (1 + rtol)))

    def error_term_table(self, sample: int = 0) -> str:
        """Text, one line per step k = 1..T: ``delta_k`` of batch row ``sample`` (4 decimals), its
        norm ``||delta_k||`` (over the whole batch) and the article's bound there."""
        B = self.deltas.shape[1]
        s = whole_number(sample, "sample", 0, B - 1, tr("B-1: the flow holds B = {B} samples", B=B))
        return "\n".join(
            tr("k = {k}   delta_k = {delta}   ||delta_k|| = {norm:.4f}   bound = {bound:.4f}", k=k + 1,
               delta=np.array2string(self.deltas[k, s], precision=4, floatmode="fixed", sign=" "),
               norm=self.delta_norms[k], bound=self.bound[k])
            for k in range(self.steps))

    def bound_report(self, at=(1, 10, 20, 25, 28, 29, 30)) -> str:
        """Text: whether the bound holds at every step, ``||delta_1|| / ||delta_T||`` against what
        the bound allows over the T-1 steps, then ``||delta_k||`` and the bound at each step k of
        ``at`` (1 to T), three significant digits."""
        note = tr("T: this flow has T = {T} steps", T=self.steps)
        ks = [whole_number(k, "at", 1, self.steps, note) for k in at]
        allowed = self.bound[0] / self.bound[-1] if self.bound[-1] > 0 else 0.0
        lines = [tr("the bound holds at every step: {holds}", holds=self.bound_holds()),
                 tr("||delta_1|| / ||delta_T|| = {gain:.3g};  the bound allows up to {allowed:.3g}",
                    gain=self.gain, allowed=allowed)]
        lines += [tr("  k = {k:>2}:  ||delta_k|| = {norm:.3g}   bound = {bound:.3g}", k=k,
                     norm=self.delta_norms[k - 1], bound=self.bound[k - 1]) for k in ks]
        return "\n".join(lines)


def _bptt_last_step_loss(X, p, state, dh_last):
    """``(hs, cache, grads)`` of the library's BPTT for a loss at the last step only, whose
    gradient ``dE/dh_T`` is ``dh_last (B, H)`` (all ones when ``None``); ``grads.dh (T, B, H)``
    holds the total ``dE/dh_k`` of every step."""
    hs, cache = rnn_forward(X, p, state)  # validates X, p and the initial state h_0
    T, B, H = hs.shape
    if dh_last is None:
        dh_last = np.ones((B, H), dtype=p.dtype)
    dhs = np.zeros_like(hs)
    dhs[-1] = _validate.array(dh_last, "dh_last", ndim=2, dims="(B, H)", shape=(B, H), dtype=p.dtype)
    return hs, cache, rnn_backward(dhs, cache, state_grads=True)


def rnn_gradient_flow(X: np.ndarray, p: RNNParams, state: np.ndarray | None = None, *,
                      dh_last: np.ndarray | None = None) -> RNNGradientFlow:
    """Error terms, the article's bound and the per-step weight-gradient contributions of the
    plain RNN ``p`` run over ``X (T, B, D)`` from the state ``h_0 (B, H)`` (zeros when ``None``),
    for a loss at the last step whose
    gradient ``dE/dh_T`` is ``dh_last (B, H)`` (all ones when ``None``: E = the sum of h_T).

    All of it comes from the library's own BPTT: ``rnn_backward`` records the total ``dE/dh_k``
    at every step, the article's error term is ``delta_k = dE/dh_k * f'(net_k)``, and step k's
    share of ``grad_W E`` is what ``rnn_step_backward`` computes for step k.
    """
    hs, cache, g = _bptt_last_step_loss(X, p, state, dh_last)
    T = hs.shape[0]
    deltas = g.dh * ACTIVATIONS[p.activation][1](hs)  # f'(net_k), read off h_k = f(net_k)
    contributions = np.stack([rnn_step_backward(g.dh[k], cache.steps[k]).W for k in range(T)])

    norms = step_norms(deltas)
    beta_f = DERIVATIVE_BOUND[p.activation]
    beta_W = spectral_norm(p.W)
    distance = np.arange(T - 1, -1, -1)  # t - k for k = 1..T
    with np.errstate(over="ignore", invalid="ignore"):  # a bound of inf is an honest answer
        bound = norms[-1] * (beta_f * beta_W) ** distance
    bound = np.where(norms[-1] == 0, 0.0, bound)
    return RNNGradientFlow(p.activation, deltas, norms, beta_f, beta_W, bound, contributions, g.W)


def sequence_summary(p: RNNParams, hs: np.ndarray) -> str:
    """Text: the RNN ``p`` and the shape of the outputs ``hs (T, B, H)`` it computed, in words."""
    T, B, H = np.shape(hs)
    fields = dict(shape=np.shape(hs), T=T, B=B, H=H)
    return "\n".join([str(p), tr("hs: {shape} -> h_1 .. h_{T}, each a row of {H} numbers", **fields) if B == 1
                      else tr("hs: {shape} -> h_1 .. h_{T}, each {B} rows of {H} numbers", **fields)])


def sum_check(flow: RNNGradientFlow, grads) -> str:
    """Text, two lines: whether ``flow``'s per-step contributions add up to ``grads.W`` and its
    error terms to ``grads.b`` (``grads``: a backward pass's ``RNNGrads`` for the same loss, e.g.
    from ``fused.rnn_backward``), each ``True`` or ``False`` (``np.allclose``)."""
    checks = (("sum_k delta_k h_{k-1}^T", "dE/dW", np.allclose(flow.contributions.sum(axis=0), grads.W)),
              ("sum_k delta_k", "dE/db", np.allclose(flow.deltas.sum(axis=(0, 1)), grads.b)))
    size = max(width(name) for name, _, _ in checks)
    return "\n".join(tr("{sum} equals rnn_backward's {grad}: {same}", sum=pad(name, size), grad=grad,
                        same=bool(same)) for name, grad, same in checks)


def spectral_examples(size: int = 16, seed: int = 0) -> str:
    """Text: the spectral radius and the spectral norm of three ``size x size`` matrices, three
    decimals: a random ``A`` (``N(0, 1) / 4`` from ``seed``), ``A`` rescaled to spectral radius 1
    (``rescale_matrix``), and an orthogonal ``Q`` (``orthogonal_matrix``, same seed)."""
    n = _validate.positive_int(size, "size")
    A = _validate.rng(seed, "seed").standard_normal((n, n)) / 4
    examples = ((tr("random A:"), A), (tr("rescaled A:"), rescale_matrix(A, spectral_radius=1.0)),
                (tr("orthogonal Q:"), orthogonal_matrix(n, _validate.rng(seed, "seed"))))
    first = max(width(label) for label, _ in examples)
    return "\n".join(pad(label, first) + " " + tr("spectral radius {radius:.3f}, spectral norm {norm:.3f}",
                                                  radius=spectral_radius(M), norm=spectral_norm(M))
                     for label, M in examples)


def _relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / norm) if norm > 0 else float(np.linalg.norm(a))


@dataclasses.dataclass(frozen=True, eq=False)
class ProductOrderCheck:
    """Three ways of writing ``delta_k^T`` as ``delta_t^T`` times a product of ``W`` and
    ``D_i = diag[f'(net_i)]``, each compared with the ``delta_k`` of the library's BPTT, and the
    recursion of ``dE/dh`` that the article's factor order belongs to.

    Steps k = 1..t-1 (t = T, the loss's step) sit at index ``k - 1``; every entry is the relative
    difference ``||product - reference|| / ||reference||`` (Frobenius norm over the batch rows):

    - ``correct``:    ``delta_t^T W D_{t-1} W D_{t-2} ... W D_k`` (one ``W D_i`` per step, i from
      t-1 down to k, left to right) against ``delta_k``;
    - ``descending``: the article's factors ``D_i W``, i from t-1 down to k:
      ``delta_t^T D_{t-1} W ... D_k W`` against ``delta_k``;
    - ``ascending``:  the article's product read in the order it is written, i from k up to t-1:
      ``delta_t^T D_k W D_{k+1} W ... D_{t-1} W`` against ``delta_k``;
    - ``state_form``: ``(dE/dh_t)^T D_t W D_{t-1} W ... D_{k+1} W`` (factors ``D_i W``, i from t
      down to k+1) against the total ``dE/dh_k`` that BPTT records.
    """

    correct: np.ndarray  # (T-1,)
    descending: np.ndarray  # (T-1,)
    ascending: np.ndarray  # (T-1,)
    state_form: np.ndarray  # (T-1,)

    @property
    def steps(self) -> int:
        """t = T, the step of the loss."""
        return len(self.correct) + 1

    def table(self, tolerance: float = 1e-12) -> str:
        """The check as text: one row per k, two significant digits, ``< tolerance`` for agreement."""
        def cell(v: float) -> str:
            return f"< {tolerance:.0e}" if v < tolerance else f"{v:.2g}"

        names = ["", tr("chain rule"), tr("article, i = t-1..k"), tr("article, i = k..t-1")]
        heads = ["k", "W D_(t-1) ... W D_k", "D_(t-1) W ... D_k W", "D_k W ... D_(t-1) W"]
        rows = [[str(k), cell(self.correct[k - 1]), cell(self.descending[k - 1]), cell(self.ascending[k - 1])]
                for k in range(1, self.steps)]
        sizes = [max([least, width(n), width(h)] + [width(r[j]) for r in rows])
                 for j, (least, n, h) in enumerate(zip((3, 22, 22, 22), names, heads))]
        lines = [tr("t = T = {T}, D_i = diag[f'(net_i)]; each entry: ||delta_t^T P - delta_k^T|| / "
                    "||delta_k^T|| for the product P named above it, delta_k from BPTT", T=self.steps),
                 " ".join(pad(n, size, ">") for n, size in zip(names, sizes)),
                 table([(h, ">") for h in heads], rows, gap=1, widths=sizes),
                 tr("(dE/dh_t)^T D_t W D_(t-1) W ... D_(k+1) W against BPTT's dE/dh_k, largest relative "
                    "difference over k: {value}", value=cell(float(self.state_form.max())))]
        return "\n".join(lines)


def product_order_check(X: np.ndarray, p: RNNParams, state: np.ndarray | None = None, *,
                        dh_last: np.ndarray | None = None) -> ProductOrderCheck:
    """Multiply out the products of ``ProductOrderCheck`` for the RNN ``p`` on ``X (T, B, D)`` from
    the state ``h_0 (B, H)`` (zeros when ``None``), loss at step T with ``dE/dh_T = dh_last (B, H)`` (ones when ``None``), and
    compare them with the library's BPTT. Needs T >= 2.

    In rows, ``v D_i`` is ``v * f'(net_i)`` (a diagonal matrix scales each entry) and ``v W`` is
    ``v @ W``; ``f'(net_i)`` is read off ``h_i = f(net_i)``.
    """
    hs, _, g = _bptt_last_step_loss(X, p, state, dh_last)
    T = hs.shape[0]
    if T < 2:
        raise ValueError(f"X: expected at least 2 time steps (a product needs a step back), got T={T}")
    slope = ACTIVATIONS[p.activation][1](hs)  # f'(net_i) at index i-1, (T, B, H)
    D = [None] + list(slope)  # D[i] for i = 1..T: multiply a row by it to apply diag[f'(net_i)]
    W = p.W
    delta = g.dh * slope  # BPTT's delta_k = dE/dh_k * f'(net_k)
    t = T
    correct, descending, ascending, state_form = [], [], [], []
    for k in range(1, t):
        v = delta[t - 1]
        for i in range(t - 1, k - 1, -1):  # W D_i, i = t-1, ..., k
            v = (v @ W) * D[i]
        correct.append(_relative_difference(v, delta[k - 1]))
        v = delta[t - 1]
        for i in range(t - 1, k - 1, -1):  # D_i W, i = t-1, ..., k
            v = (v * D[i]) @ W
        descending.append(_relative_difference(v, delta[k - 1]))
        v = delta[t - 1]
        for i in range(k, t):  # D_i W, i = k, ..., t-1
            v = (v * D[i]) @ W
        ascending.append(_relative_difference(v, delta[k - 1]))
        v = g.dh[t - 1]
        for i in range(t, k, -1):  # D_i W, i = t, ..., k+1
            v = (v * D[i]) @ W
        state_form.append(_relative_difference(v, g.dh[k - 1]))
    return ProductOrderCheck(*(np.array(a) for a in (correct, descending, ascending, state_form)))


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
        p = self.params.copy().with_activation(activation)
        p.W[...] *= radius
        return rnn_gradient_flow(self.X[:steps], p)


def decay_table(experiment: RadiusExperiment, radii=(0.5, 0.9, 1.0, 1.5, 2.0, 3.0),
                activations=("tanh", "sigmoid"), steps: int = 50, early: int = 10) -> str:
    """A text table, one row per (activation, radius) of ``experiment``: the bound's factor per step
    ``beta_f * beta_W``, what the bound allows over ``steps - 1`` steps, what was measured
    (``||delta_1|| / ||delta_T||``), and ``early_share(early)``. Two significant digits."""
    columns = [(tr("activation"), "<"), ("ρ", ">"), ("beta_f*beta_W", ">"), (tr("bound over T-1"), ">"),
               (tr("measured"), ">"), (tr("early share"), ">")]
    rows = []
    for act in activations:
        for rho in radii:
            flow = experiment.flow(rho, act, steps)
            factor = flow.beta_f * flow.beta_W
            rows.append([act, f"{rho:.2f}", f"{factor:.3g}", f"{factor ** (steps - 1):.2g}",
                         f"{flow.gain:.2g}", f"{flow.early_share(early):.2g}"])
    title = tr("T = {T}: bound and measured are ||delta_1|| / ||delta_T||; early share = what steps "
               "1..T-{early} add to grad_W E, relative", T=steps, early=early)
    return title + "\n" + table(columns, rows, gap=1, widths=[10, 5, 14, 15, 10, 12])


def radius_experiment(*, input_size: int = 4, hidden_size: int = 16, max_steps: int = 100,
                      seed: int = 0) -> RadiusExperiment:
    """A ``RadiusExperiment``: ``rnn_with_radius(..., 1.0, rng)`` and ``X ~ N(0, 1)`` with B = 1."""
    rng = _validate.rng(seed, "seed")
    p = rnn_with_radius(input_size, hidden_size, 1.0, rng)
    X = rng.standard_normal((_validate.positive_int(max_steps, "max_steps"), 1, p.input_size))
    return RadiusExperiment(p, X)


@dataclasses.dataclass(frozen=True, eq=False)
class EarlyStepsStudy:
    """How much of ``grad_W E`` the early steps carry, over many random RNNs: the test of the
    article's figure ("from step t-3 back the contributions are almost zero").

    For each ``(activation, radius)`` in ``settings`` and each of ``len(seeds)`` random RNNs
    (``radius_experiment(seed=s)``: W = radius * Q, its own inputs), with the loss at step
    T = ``steps``: ``shares[j, s, n - 1] = early_share(n)``, the part of ``||grad_W E||`` carried by
    the steps k <= T - n, for n = 1..T-1.
    """

    settings: tuple  # ((activation, radius), ...)
    seeds: tuple
    steps: int
    shares: np.ndarray  # (len(settings), len(seeds), T-1)

    def share(self, n: int) -> np.ndarray:
        """``early_share(n)`` for every setting and seed, ``(len(settings), len(seeds))``."""
        n = _validate.positive_int(n, "n")
        if n >= self.steps:
            raise ValueError(f"n: expected at most T-1 = {self.steps - 1}, got {n}")
        return self.shares[:, :, n - 1]

    def median_share(self, n: int) -> np.ndarray:
        """The median over the seeds of ``share(n)``, one number per setting."""
        return np.median(self.share(n), axis=1)

    def horizon(self, threshold: float = 0.01) -> np.ndarray:
        """For every setting and seed, the smallest n from which on (n, n+1, ..., T-1) the steps
        k <= T - n carry less than ``threshold`` of ``||grad_W E||``: how many steps back the
        gradient stops seeing the past. T when no such n exists. ``(len(settings), len(seeds))``."""
        threshold = _validate.real(threshold, "threshold")
        below = self.shares < threshold  # (S, R, T-1)
        # the last n at which the share is still at or above the threshold, plus one
        above_any = ~below
        last_above = np.where(above_any.any(axis=2), self.steps - 1 - np.argmax(above_any[:, :, ::-1], axis=2), 0)
        return last_above + 1

    def table(self, back: int = 3, far: int = 10, threshold: float = 0.01) -> str:
        """One row per setting: the median, smallest and largest share of the steps k <= T-``back``,
        the median share of k <= T-``far``, and the median horizon for ``threshold``."""
        columns = [(tr("activation"), "<"), ("ρ", ">"), (tr("n = {n}: median", n=back), ">"),
                   (tr("(smallest - largest)"), ">"), (tr("n = {n}: median", n=far), ">"),
                   (tr("n for a share < {threshold:.0%}: median", threshold=threshold), ">")]
        near, far_share, hor = self.share(back), self.median_share(far), np.median(self.horizon(threshold), axis=1)
        rows = [[act, f"{rho:.2f}", f"{np.median(near[j]):.2g}",
                 f"({near[j].min():.2g} - {near[j].max():.2g})", f"{far_share[j]:.2g}", f"{hor[j]:g}"]
                for j, (act, rho) in enumerate(self.settings)]
        title = tr("T = {T}, loss at step T, {n} random RNNs per row; the share of "
                   "||grad_W E|| that the steps k <= T - n carry", T=self.steps, n=len(self.seeds))
        return title + "\n" + table(columns, rows, gap=1, widths=[10, 5, 15, 21, 16, 27])


def early_steps_study(radii=(0.5, 0.9, 1.0), activations=("tanh", "sigmoid"), *, steps: int = 50,
                      seeds=range(20)) -> EarlyStepsStudy:
    """An ``EarlyStepsStudy`` over every activation x radius, with ``steps`` time steps and one
    ``radius_experiment(seed=s, max_steps=steps)`` per seed (H = 16, D = 4, B = 1)."""
    steps = _validate.positive_int(steps, "steps")
    if steps < 2:
        raise ValueError(f"steps: expected at least 2, got {steps}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    settings = tuple((act, float(rho)) for act in activations for rho in radii)
    if not settings:
        raise ValueError("radii, activations: expected at least one of each")
    shares = np.empty((len(settings), len(seeds), steps - 1))
    experiments = [radius_experiment(seed=s, max_steps=steps) for s in seeds]
    for j, (act, rho) in enumerate(settings):
        for r, exp in enumerate(experiments):
            flow = exp.flow(rho, act, steps)
            shares[j, r] = [flow.early_share(n) for n in range(1, steps)]
    return EarlyStepsStudy(settings, seeds, steps, shares)
