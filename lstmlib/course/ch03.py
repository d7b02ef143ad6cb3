"""Chapter 03, BPTT for the LSTM: the two error signals step by step, what limits a finite-difference
check (``eps_sweep``), and the article's errata re-created and measured (which arrays each mistake
breaks, at which lengths, and why the article's own gradient check could not see them)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate, fused
from ..article import (ARTICLE, CORRECT, ArticleErrata, article_backward_with, article_lstm_backward,
                       article_lstm_forward)
from ..gradcheck import GradcheckReport, check_gradients
from ..lstm import LSTMGrads, LSTMParams, lstm_backward, lstm_forward, lstm_step_backward
from ..state import LSTMState
from .i18n import tr
from .tables import pad, width

__all__ = ["BPTTTrace", "bptt_trace", "compare_with_fused", "UNIT_ROUNDOFF", "EpsSweep", "eps_sweep", "ERRATA_VARIANTS", "GRADCHECK_ARRAYS", "errata_case",
           "errata_gradcheck", "ErrataTable", "errata_table", "article_own_check", "errata_gap",
           "ARTICLE_CHECK_CHANGES", "AblationRow", "article_check_ablation", "format_ablation", "exact_errors",
           "setup_text", "article_check_table"]


@dataclasses.dataclass(frozen=True, eq=False)
class BPTTTrace:
    """What ``bptt_trace`` found: the gradients and, per step t = 1..T (index t-1),
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
        names = ("dE/dh_t", tr("dE/dc_t via h_t"), tr("carry from c_t+1"), tr("dE/dc_t (total)"))
        w = max(len(vec(self.dh[0, sample])), *(width(n) for n in names))
        head = f"{'t':>3}  " + "  ".join(pad(n, w) for n in names)
        lines = [head, "-" * width(head)]
        for t in reversed(range(T)):
            lines.append(f"{t + 1:>3}  " + "  ".join(
                pad(vec(v), w) for v in (self.dh[t, sample], via_h[t], self.carry[t, sample], self.dc[t, sample])))
        return "\n".join(lines)

    def contributions_table(self) -> str:
        """The ``contributions`` as a text table, one row per parameter, one column per step;
        exact zeros print as ``0`` (they are structural, not small)."""
        T = self.dh.shape[0]
        first = max(6, width(tr("array")))
        head = pad(tr("array"), first) + "".join(f"{'t=' + str(t + 1):>10}" for t in range(T))
        rows = [head, "-" * width(head)]
        for name, v in self.contributions.items():
            rows.append(pad(name, first) + "".join(f"{'0' if x == 0 else f'{x:.3g}':>10}" for x in v))
        return "\n".join(rows)


def bptt_trace(X: np.ndarray, p: LSTMParams, dhs: np.ndarray, state: LSTMState | None = None) -> BPTTTrace:
    """BPTT of the LSTM ``p`` over ``X (T, B, D)`` from ``state = (h0, c0)`` (zeros when ``None``), for a loss whose
    gradients at the outputs are ``dhs (T, B, H)``, taken apart step by step for the chapter's
    tables: ``lstm_backward`` records the two error signals at every step, the carry into step t
    is ``dE/dc_{t+1} * f_{t+1}``, and step t's share of each parameter's gradient is what
    ``lstm_step_backward`` computes for step t from those signals.
    """
    _, cache = lstm_forward(X, p, state)  # validates X, p and the state
    g = lstm_backward(dhs, cache, state_grads=True)
    carry = np.zeros_like(g.dc)
    carry[:-1] = g.dc[1:] * cache.f[1:]  # nothing comes from beyond the last step
    shares = [lstm_step_backward(LSTMState(g.dh[t], carry[t]), step) for t, step in enumerate(cache.steps)]
    contributions = {name: np.array([np.linalg.norm(getattr(s, name)) for s in shares]) for name in p.names}
    return BPTTTrace(g, g.dh, g.dc, carry, contributions)


def compare_with_fused(X: np.ndarray, p: LSTMParams, dhs: np.ndarray, state: LSTMState | None = None, *,
                       rtol: float = 1e-12, atol: float = 1e-14) -> str:
    """Whether the fast ``fused.lstm_backward`` gives the same gradients as the readable
    ``lstm_backward`` (every parameter, ``dX``, ``dh0``, ``dc0``) for the loss gradients ``dhs
    (T, B, H)`` over ``X (T, B, D)`` from ``state``, within ``rtol``/``atol``, as one line of text."""
    _, cache = lstm_forward(X, p, state)
    readable = lstm_backward(dhs, cache)
    _, fast_cache = fused.lstm_forward(X, p, state)
    fast = fused.lstm_backward(dhs, fast_cache)
    names = p.names + ("dX", "dh0", "dc0")
    same = all(np.allclose(getattr(fast, n), getattr(readable, n), rtol=rtol, atol=atol) for n in names)
    return tr("fused.lstm_backward equals lstm_backward for all {n} arrays ({names}): {same}",
              n=len(names), names=", ".join(names), same=same)


UNIT_ROUNDOFF = float(np.finfo(np.float64).eps / 2)
"""u, the largest relative error of rounding one float64 result: 2^-53, about 1.1e-16."""


@dataclasses.dataclass(frozen=True)
class EpsSweep:
    """``eps_sweep``'s result: for each ``eps``, the relative error of the finite-difference
    gradient against a correct analytic one (the worst of the checked arrays), beside the two
    shapes that explain it: ``eps^2`` (truncation) and ``u / eps`` (round-off)."""

    eps: tuple
    errors: tuple  # the largest relative error over the checked arrays, one per eps
    stencil: str

    @property
    def best_eps(self) -> float:
        """The ``eps`` with the smallest error: the bottom of the V."""
        return self.eps[int(np.argmin(self.errors))]

    def __str__(self) -> str:
        w = max(14, width(tr("relative error")))
        head = f"{'eps':>7}  {pad(tr('relative error'), w, '>')}  {'eps^2':>8}  {'u/eps':>8}"
        lines = [head, "-" * width(head)]
        for e, err in zip(self.eps, self.errors):
            lines.append(f"{e:7.0e}  {err:{w}.1e}  {e * e:8.0e}  {UNIT_ROUNDOFF / e:8.1e}")
        stencil = {"centred": tr("centred"), "five-point": tr("five-point")}.get(self.stencil, self.stencil)
        lines.append(tr("({stencil} difference; u = {u:.1e}, the float64 unit round-off)", stencil=stencil,
                        u=UNIT_ROUNDOFF))
        return "\n".join(lines)

    __repr__ = __str__

    def summary(self) -> str:
        """What the table shows, in words that do not depend on the machine's last digits: where the
        bottom of the V is, and that the error grows on both sides of it."""
        errs = np.asarray(self.errors)
        k = int(np.argmin(errs))
        falls = bool(np.all(np.diff(errs[:k + 1]) < 0))  # eps decreasing towards the bottom
        rises = bool(np.all(np.diff(errs[k:]) > 0))
        return tr("smallest error at eps = {eps:.0e}; it falls all the way down to there: {falls}; "
                  "it grows all the way past it: {rises}", eps=self.eps[k], falls=falls, rises=rises)


def eps_sweep(X: np.ndarray, p: LSTMParams, state: LSTMState | None = None, *,
              eps=tuple(10.0 ** -k for k in range(1, 11)), stencil: str = "centred",
              seed: int = 5) -> EpsSweep:
    """``check_gradients`` of the correct LSTM backward on ``X (T, B, D)``, ``p``, ``state``
    once per step size in ``eps`` (the same random loss each time, from ``seed``), keeping the
    largest relative error over the 12 parameters, ``X`` and the initial states. For a correct
    gradient the error is the finite difference's own: truncation (falls as eps shrinks) and
    round-off (grows as eps shrinks)."""
    eps = tuple(_validate.real(e, "eps") for e in eps)
    if not eps or min(eps) <= 0:
        raise ValueError(f"eps: expected step sizes > 0, got {eps}")
    errors = tuple(check_gradients(X, p, seed, state=state, eps=e, stencil=stencil).max_relative_error()
                   for e in eps)
    return EpsSweep(eps, errors, stencil)


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
    """The small LSTM problem chapter 03 checks: ``(X, p, state, out_grad)``.

    ``p`` float64 from ``seed``, ``X (steps, batch, input_size) ~ N(0, 1)``, ``state = (h0, c0)`` zeros
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
    state = LSTMState(np.zeros((batch, H)), np.zeros((batch, H))) if zero_state else LSTMState(start[0], start[1])
    out_grad = rng.standard_normal((steps, batch, H))
    return X, p, state, out_grad


def errata_gradcheck(errata: ArticleErrata, steps: int, *, stencil: str = "five-point",
                     **case_kw) -> GradcheckReport:
    """``check_gradients`` of the article-style backward with ``errata`` switched on, on
    ``errata_case(steps, **case_kw)``: all 12 parameters, ``X``, ``h0`` and ``c0``.

    The five-point stencil (default) puts the relative error of a correct gradient near 1e-11, so
    every pass prints as ``< 1e-08`` on any machine; ``"centred"`` is twice as fast (the explorer)."""
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    X, p, state, out_grad = errata_case(steps, **case_kw)
    return check_gradients(X, p, state=state, out_grad=out_grad, stencil=stencil,
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
    zero_state: bool = True  # the initial state the checks started from: zeros, or random

    def failed(self, label: str, steps: int) -> tuple:
        """Names of the arrays that fail for ``label`` at ``steps``."""
        return self.reports[(label, steps)].failed

    def failure_summary(self) -> str:
        """One line per variant and one column per T: which arrays fail (``none``, their names, or
        ``all 15``)."""
        n = len(self.reports[(self.labels[0], self.steps[0])].rows)
        cells = {}
        for key, rep in self.reports.items():
            f = rep.failed
            cells[key] = tr("none") if not f else tr("all {n}", n=n) if len(f) == n else " ".join(f)
        widths = {T: max(len(f"T={T}"), *(width(cells[(lab, T)]) for lab in self.labels)) for T in self.steps}
        lw = max(len(lab) for lab in self.labels)
        head = f"{'':<{lw}}  " + "  ".join(pad(f"T={T}", widths[T]) for T in self.steps)
        rule = lw + 2 + sum(widths.values()) + 2 * (len(self.steps) - 1)  # as wide as the widest row
        lines = [head.rstrip(), "-" * rule]
        for lab in self.labels:
            lines.append((f"{lab:<{lw}}  " + "  ".join(pad(cells[(lab, T)], widths[T]) for T in self.steps)).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        cols = [(lab, T) for T in self.steps for lab in self.labels]
        w = max(9, max(len(lab) for lab in self.labels) + 1, width(tr("ok")) + 1)
        first = max(6, width(tr("array")), width(tr("fail")))
        head1 = " " * first + "".join(f"{lab:>{w}}" for lab, _ in cols)
        head2 = pad(tr("array"), first) + "".join(f"{'T=' + str(T):>{w}}" for _, T in cols)
        lines = [head1, head2, "-" * width(head1)]
        names = [r.name for r in self.reports[cols[0]].rows]
        for name in names:
            cells = []
            for col in cols:
                row = self.reports[col][name]
                cells.append(tr("ok") if row.passed else f"{row.relative_error:.2g}")
            lines.append(pad(name, first) + "".join(pad(c, w, ">") for c in cells))
        lines.append(pad(tr("fail"), first) + "".join(
            f"{str(len(self.reports[c].failed)) + '/' + str(len(names)):>{w}}" for c in cols))
        return "\n".join(lines)

    __repr__ = __str__


def exact_errors(table: ErrataTable, label: str, steps: int, names=("b_i", "b_o")) -> str:
    """The relative errors of ``names`` in ``table``'s check of ``label`` at ``steps``, printed in
    full (``repr``), and whether each is exactly 1: what an erratic gradient of exactly zero gives,
    ``||0 - n|| / ||n||``."""
    rep = table.reports[(label, steps)]
    return "\n".join(tr("{label}, T = {T}: {name} relative error {err!r} (exactly 1: {one})", label=label, T=steps,
                         name=n, err=rep[n].relative_error, one=rep[n].relative_error == 1.0) for n in names)


def errata_table(variants: dict | None = None, steps=(2, 5), **case_kw) -> ErrataTable:
    """``errata_gradcheck`` for every variant (default ``ERRATA_VARIANTS``) at every T in ``steps``."""
    variants = dict(ERRATA_VARIANTS if variants is None else variants)
    if not variants:
        raise ValueError("variants: expected at least one {label: ArticleErrata}, got none")
    steps = tuple(_validate.positive_int(T, "steps") for T in steps)
    reports = {(lab, T): errata_gradcheck(e, T, **case_kw) for T in steps for lab, e in variants.items()}
    return ErrataTable(reports, tuple(variants), steps, case_kw.get("zero_state", True))


def _article_setup(steps: int = 2, weight_scale: float = 1e-4, zero_state: bool = True,
                   loss_at_every_step: bool = False, seed: int = 0):
    """``(X, p, state, out_grad)`` of the article's own gradient check (see ``article_own_check``)."""
    steps = _validate.positive_int(steps, "steps")
    weight_scale = _validate.real(weight_scale, "weight_scale")
    if weight_scale <= 0:
        raise ValueError(f"weight_scale: expected a number > 0, got {weight_scale}")
    rng = _validate.rng(seed)
    p = LSTMParams.init(3, 2, rng, scale=weight_scale)
    p.bias[...] = 0.0
    X = (np.arange(1, steps + 1)[:, None] + np.arange(3)[None, :]).astype(np.float64)[:, None, :]
    state = LSTMState(np.zeros((1, 2)), np.zeros((1, 2))) if zero_state else \
        LSTMState(rng.standard_normal((1, 2)), rng.standard_normal((1, 2)))
    out_grad = np.ones((steps, 1, 2))
    if not loss_at_every_step:
        out_grad[:-1] = 0.0
    return X, p, state, out_grad


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
    X, p, state, out_grad = _article_setup(steps, weight_scale, zero_state, loss_at_every_step, seed)
    return check_gradients(X, p, state=state, out_grad=out_grad, inputs=False,
                           backward=article_backward_with(errata))


def errata_gap(errata: ArticleErrata = ARTICLE, **setup) -> dict[str, float]:
    """``{name: ||g_errata - g_correct|| / ||g_correct||}`` for the 12 parameters, on the article's
    set-up (``setup``: the keywords of ``article_own_check``). Analytic against analytic: no finite
    differences, so 0.0 means the mistake changes nothing at all, not "too small to see"."""
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    X, p, state, out_grad = _article_setup(**setup)
    _, cache = article_lstm_forward(X, p, state)
    wrong = article_lstm_backward(out_grad, cache, errata=errata)
    right = article_lstm_backward(out_grad, cache, errata=CORRECT)
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
    return tr("0 (identical)") if v == 0 else f"{v:.2g}"


def _change_labels() -> dict:
    """``ARTICLE_CHECK_CHANGES``' labels in the current language."""
    return {"the article's set-up": tr("the article's set-up"), "T = 3 instead of 2": tr("T = 3 instead of 2"),
            "random h0, c0": tr("random h0, c0"), "weights +-0.5": tr("weights +-0.5"),
            "loss at every step": tr("loss at every step")}


def format_ablation(rows: list[AblationRow], name: str = "W_fh") -> str:
    """``article_check_ablation``'s rows as a text table: what changed, the check's verdict and the
    true gap (``0 (identical)`` when the mistake changes nothing). The check's own relative error
    is left out on purpose: with weights of 1e-4 the gradients are so small that its digits are
    rounding noise, different on every machine."""
    changes = _change_labels()
    labels = [changes.get(r.change, r.change) for r in rows]
    verdicts = [tr("pass") if r.passed else tr("FAIL") for r in rows]
    gaps = [_gap_text(r.gap) for r in rows]
    heads = (tr("what changed"), tr("check of {name}", name=name), tr("true gap"))
    w1 = max(22, *(width(t) for t in labels + [heads[0]]))
    w2 = max(13, *(width(t) for t in verdicts + [heads[1]]))
    w3 = max(14, *(width(t) for t in gaps + [heads[2]]))
    head = f"{pad(heads[0], w1)}  {pad(heads[1], w2)} {pad(heads[2], w3, '>')}"
    lines = [head, "-" * width(head)]
    for label, verdict, gap in zip(labels, verdicts, gaps):
        lines.append(f"{pad(label, w1)}  {pad(verdict, w2)} {pad(gap, w3, '>')}")
    return "\n".join(lines)


def setup_text(steps: int = 2, weight_scale: float = 1e-4, zero_state: bool = True,
               loss_at_every_step: bool = False, seed: int = 0) -> str:
    """The set-up of ``article_own_check`` with these keywords, in words (one line)."""
    state = tr("zero initial state") if zero_state else tr("random initial state")
    loss = tr("loss at every step") if loss_at_every_step else tr("loss at the last step only")
    return tr("set-up: T = {T}, D = 3, H = 2, one sample, weights uniform in +-{scale:g}, zero biases, "
              "{state}, {loss}", T=steps, scale=weight_scale, state=state, loss=loss)


def _pass_text(row) -> str:
    """The verdict of one gradient-check row, as ``GradcheckReport`` prints it."""
    return {"relative": tr("pass"), "absolute": tr("pass (abs)"), "within FD error": tr("pass (within FD error)"),
            "FAIL": tr("FAIL")}[row.decided_by]


def article_check_table(errata: ArticleErrata = ARTICLE, **setup) -> str:
    """The article's own check (``article_own_check``) extended to all 12 parameters, one row
    each: the finite-difference check's verdict (``pass (abs)``: passed by the absolute floor,
    every entry within ``atol``, although the relative error exceeds ``tol``), the size of the
    correct gradient (its largest entry), and the true gap between the erratic and the correct
    gradient, analytic against analytic: relative (``errata_gap``) and largest absolute
    difference."""
    report = article_own_check(errata, **setup)
    gaps = errata_gap(errata, **setup)
    X, p, state, out_grad = _article_setup(**setup)
    _, cache = article_lstm_forward(X, p, state)
    wrong = article_lstm_backward(out_grad, cache, errata=errata)
    right = article_lstm_backward(out_grad, cache, errata=CORRECT)
    cells = []
    for row in report.rows:
        a, b = getattr(wrong, row.name), getattr(right, row.name)
        absgap = float(np.abs(a - b).max())
        cells.append((row.name, _pass_text(row), f"{np.abs(b).max():.2g}", _gap_text(gaps[row.name]),
                      "0" if absgap == 0 else f"{absgap:.2g}"))
    heads = (tr("array"), tr("check"), tr("largest |dE/dw|"), tr("true gap: relative"), tr("absolute"))
    widths = [max(least, width(h), *(width(c[j]) for c in cells))
              for j, (h, least) in enumerate(zip(heads, (6, 10, 15, 19, 9)))]
    aligns = ("<", "<", ">", ">", ">")

    def line(items):
        return " ".join(pad(t, w, a) for t, w, a in zip(items, widths, aligns))
    head = line(heads)
    lines = [setup_text(**setup), head, "-" * width(head)] + [line(c) for c in cells]
    lines.append(tr("check: pass when relative error <= {tol:g}, or every entry within {atol:g}, or relative error "
                    "<= {k:g} x the finite differences' own error", tol=report.tol, atol=report.atol, k=report.fd_factor))
    return "\n".join(lines)
