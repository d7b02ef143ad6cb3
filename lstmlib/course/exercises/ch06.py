"""Self-checks of chapter 06's exercises.

Each exercise states the precision it wants (three significant figures, or three decimals for a
list); an answer at that precision is right, a slip we know of gets its own hint, an answer
within 10% of the right one is told that the method is right and more digits are wanted, and an
answer that is not a number (or a list of them) is told so in a sentence. The settings a learner
may change (``low``, ``theta``, ``classes``, ...) are checked: an odd one raises a ValueError
naming it, its range and its value.
"""
from __future__ import annotations

import numbers

import numpy as np

from ...losses import softmax_cross_entropy
from ...optim import Adam, clip_grad_norm
from ..i18n import tr
from ._verdict import Verdict, _unanswered

SIG_FIGS = 3
"""The precision of the single-number exercises: three significant figures."""

DECIMALS = 3
"""The precision of the list exercises (06.2, 06.4): three decimals; 06.5 asks for three
significant figures in each entry."""

_CLOSE = 0.1  # within 10% of the right value: the method is right, the digits are too few
_SLIP = 0.01  # a known slip is recognised within 1%


# ---- reading an answer -------------------------------------------------------------------------
def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _one_number(answer, what: str):
    """``(float, None)`` when ``answer`` is one finite real number, else ``(None, Verdict)``."""
    if (v := _unanswered(answer)) is not None:
        return None, v
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, str):
        return None, Verdict(False, tr("expected {what} as a number, got the text {answer!r}: write it without "
                                       "quotes.", what=what, answer=answer))
    if not _is_number(answer):
        return None, Verdict(False, tr("expected {what} as one number, got {kind}.", what=what,
                                       kind=type(answer).__name__))
    x = float(answer)
    if not np.isfinite(x):
        return None, Verdict(False, tr("expected {what} as a finite number, got {x}.", what=what, x=x))
    return x, None


def _numbers(answer, n: int, per: str):
    """``(array (n,), None)`` when ``answer`` is ``n`` finite real numbers (a list, tuple or 1-D
    array), else ``(None, Verdict)`` saying what came instead; ``per`` names one entry."""
    if (v := _unanswered(answer)) is not None:
        return None, v
    items = list(answer) if isinstance(answer, (list, tuple, np.ndarray)) and np.ndim(answer) == 1 else None
    if items is None or not all(_is_number(np.asarray(a).item() if isinstance(a, np.generic) else a)
                                for a in items):
        shown = tr("the text {answer!r}", answer=answer) if isinstance(answer, str) else (
            tr("{kind} of shape {shape}", kind=type(answer).__name__, shape=np.shape(answer))
            if isinstance(answer, np.ndarray) else repr(answer))
        return None, Verdict(False, tr("expected a list of {n} numbers, one per {per}, like [0.1, -0.2], got {shown}.",
                                       n=n, per=per, shown=shown[:80]))
    x = np.array([float(a) for a in items])
    if x.size != n:
        return None, Verdict(False, tr("expected {n} numbers, one per {per}, got {k}.", n=n, per=per, k=x.size))
    if not np.all(np.isfinite(x)):
        return None, Verdict(False, tr("expected finite numbers, got {x}.", x=x.tolist()))
    return x, None


# ---- grading --------------------------------------------------------------------------------------
def _at_precision(x, want, *, digits: int | None = SIG_FIGS, decimals: int | None = None) -> bool:
    """Whether ``x`` is ``want`` rounded to ``digits`` significant figures (or ``decimals``
    decimals), or closer: within half a unit of the last digit asked for, entry by entry."""
    x, want = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(want, float))
    if decimals is not None:
        unit = np.full(want.shape, 10.0 ** -decimals)
    else:
        unit = 10.0 ** (np.floor(np.log10(np.maximum(np.abs(want), 1e-300))) - digits + 1)
    return bool(np.all(np.abs(x - want) <= 0.5 * unit * (1 + 1e-9)))


def _near(x, value, rtol: float) -> bool:
    x, value = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(value, float))
    scale = np.maximum(np.abs(value), 1e-12)
    return bool(np.all(np.abs(x - value) <= rtol * scale))


def _grade(x, want, right: str, slips, hint: str, *, precision: str, **at) -> Verdict:
    """Right at the stated precision; else the slips of ``slips`` (``(value, message)``) that
    ``x`` matches (two slips can give the same number: both are named); else "right method, more
    digits" when within ``_CLOSE``; else ``hint``. A slip that gives the right answer at these
    settings is no slip, and is left out."""
    if _at_precision(x, want, **at):
        return Verdict(True, right)
    said = [m for value, m in slips if _near(x, value, _SLIP) and not _near(value, want, _SLIP)]
    if said:
        return Verdict(False, tr(" Or: ").join(dict.fromkeys(said)))
    if _near(x, want, _CLOSE):
        return Verdict(False, tr("the method is right; give {precision} (the exercise asks for them).",
                                 precision=precision))
    return Verdict(False, hint)


_SIG = lambda: tr("three significant figures")  # noqa: E731
_DEC = lambda: tr("three decimals")  # noqa: E731


# ---- the settings a learner may change -------------------------------------------------------------
def _real(value, name: str) -> float:
    if not _is_number(value) or not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _above_zero(value, name: str, what: str) -> float:
    v = _real(value, name)
    if v <= 0:
        raise ValueError(f"{name}: expected {what} > 0, got {v:g}")
    return v


def _vector(value, name: str, *, min_size: int = 1) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        v = None
    if v is None or v.ndim != 1 or v.size < min_size or not np.all(np.isfinite(v)):
        raise ValueError(f"{name}: expected a list of at least {min_size} finite numbers, got {value!r}")
    return v


def _whole(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}: expected a whole number >= {low}, got {value!r}")
    return int(value)


# ---- the exercises ---------------------------------------------------------------------------------
def check_adding_baseline(answer, *, low: float = -1.0, high: float = 1.0) -> Verdict:
    """Exercise 06.1: the MSE of the best constant prediction on an adding problem whose values
    are ``U(low, high)`` and whose target is the plain sum of the two marked values (three
    significant figures)."""
    low, high = _real(low, "low"), _real(high, "high")
    if not low < high:
        raise ValueError(f"high: expected a number above low = {low:g}, got {high:g}")
    x, v = _one_number(answer, tr("an MSE"))
    if v is not None:
        return v
    var_one = (high - low) ** 2 / 12.0
    want = 2.0 * var_one
    slips = [(var_one, tr("{x:.4g} is the variance of one value ((b - a)^2/12); the target adds two independent "
                          "values, and their variances add.", x=var_one)),
             (2 * (high - low) / 12.0, tr("the variance of U(a, b) is (b - a)^2/12: the square is missing.")),
             (4 * var_one, tr("4 x (b - a)^2/12 is the variance of twice one value; two independent values "
                              "add their variances: 2 x (b - a)^2/12.")),
             (np.sqrt(want), tr("that is the standard deviation of the sum; the MSE is its square, the variance.")),
             (1.0 / 6.0, tr("1/6 is for values in [0, 1]; here they are in [{low:g}, {high:g}].", low=low, high=high))]
    right = tr("the best constant is the mean {mean:g}, and its MSE is the variance of the sum of two independent "
               "values, each (b - a)^2/12 with a = {low:g}, b = {high:g}: 2 x {one:.4g} = {want:.4g}.",
               mean=low + high, low=low, high=high, one=var_one, want=want)
    return _grade(x, want, right, slips, tr("the best constant is the mean of the target; its MSE is the "
                                            "target's variance, the sum of the two values' variances."),
                  precision=_SIG())


def check_clipped_gradient(answer, *, grad=(3.0, 4.0), theta: float = 1.0) -> Verdict:
    """Exercise 06.2: the gradient ``grad`` after clipping its norm at ``theta`` (three decimals)."""
    g = _vector(grad, "grad")
    theta = _above_zero(theta, "theta", "a threshold")
    x, v = _numbers(answer, g.size, tr("entry of the gradient"))
    if v is not None:
        return v
    want = g.copy()
    norm = clip_grad_norm([want], theta)
    right = tr("||g|| = {norm:g} {op} theta = {theta:g}, so {what}: {clipped}.", norm=norm, theta=theta,
               op=">" if norm > theta else "<=", clipped=np.round(want, 4).tolist(),
               what=tr("g <- theta g/||g||, same direction, norm theta") if norm > theta else tr("g stays as it is"))
    slips = [(np.clip(g, -theta, theta), tr("that clips each entry to [-theta, theta], which changes the direction; "
                                            "norm clipping rescales the whole vector."))]
    if norm > theta:
        slips += [(g, tr("||g|| = {norm:g} is above theta = {theta:g}, so the gradient is rescaled.",
                         norm=norm, theta=theta)),
                  (theta * g / norm ** 2, tr("that divides by ||g||^2; divide by the norm ||g|| = {norm:g} itself.",
                                             norm=norm)),
                  (theta * g / np.abs(g).sum(), tr("that divides by the sum of the entries' sizes; clipping uses the "
                                                   "Euclidean norm sqrt(sum g_i^2) = {norm:g}.", norm=norm))]
    return _grade(x, want, right, slips, tr("when ||g|| > theta, divide the whole vector by its norm and multiply "
                                            "by theta."), precision=_DEC(), digits=None, decimals=DECIMALS)


def check_chance_cross_entropy(answer, *, classes: int = 8) -> Verdict:
    """Exercise 06.3: the cross-entropy of the best constant prediction on a balanced
    ``classes``-way task (temporal order with three relevant symbols has 2^3 = 8 classes; three
    significant figures)."""
    K = _whole(classes, "classes", 2)
    x, v = _one_number(answer, tr("a cross-entropy"))
    if v is not None:
        return v
    want = float(np.log(K))
    slips = [(np.log2(K), tr("that is in bits (log base 2); the training loss uses the natural log.")),
             (np.log10(K), tr("that is log base 10; the training loss uses the natural log.")),
             (1.0 / K, tr("that is the chance accuracy; the cross-entropy is -ln of the probability given to the "
                          "right class.")),
             (-np.log(1 - 1.0 / K), tr("that is -ln(1 - 1/K); the loss is -ln of the probability given to the "
                                       "right class, 1/K."))]
    if K == 8:
        slips.append((np.log(4), tr("ln 4 is for four classes (two symbols); three symbols give 2^3 = 8.")))
    right = tr("predicting 1/{K} for every class costs -ln(1/{K}) = ln {K} = {want:.4f} nats per sequence.", K=K,
               want=want)
    return _grade(x, want, right, slips, tr("with no information the best prediction is uniform; its "
                                            "cross-entropy is -ln(1/K)."), precision=_SIG())


def check_softmax_gradient(answer, *, logits=(2.0, 0.0, -1.0), label: int = 0) -> Verdict:
    """Exercise 06.4: ``dE/dz`` of the softmax cross-entropy ``E = -log softmax(z)[label]`` for
    one sequence with logits ``z``: ``softmax(z) - onehot(label)`` (three decimals)."""
    z = _vector(logits, "logits", min_size=2)
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label < z.size:
        raise ValueError(f"label: expected a class index in [0, {z.size}), got {label!r}")
    x, v = _numbers(answer, z.size, tr("logit"))
    if v is not None:
        return v
    _, want = softmax_cross_entropy(z[None, :], np.array([label]))
    want = want[0]
    p = want.copy()
    p[label] += 1.0  # the softmax itself
    onehot = np.eye(z.size)[label]
    slips = [(p, tr("that is softmax(z) itself; the label's entry also gets -1 (from the derivative of -z[label]).")),
             (-want, tr("the sign is flipped: dE/dz = softmax(z) - onehot, so the label's entry is negative.")),
             (np.exp(z) - onehot, tr("the exponentials are not divided by their sum: softmax(z) = exp(z) / "
                                     "sum(exp(z)), then subtract 1 at the label."))]
    slips += [(p - np.eye(z.size)[k], tr("the 1 is subtracted at entry {k}; subtract it at the label, entry {label}.",
                                         k=k, label=label)) for k in range(z.size) if k != label]
    right = tr("softmax(z) = {p}; subtract 1 at the label {label}: {grad}. The entries sum to 0, and only the "
               "label's entry is negative: a step down the gradient raises that logit and lowers the others.",
               p=np.round(p, 3).tolist(), label=label, grad=np.round(want, 3).tolist())
    return _grade(x, want, right, slips, tr("compute p = softmax(z) (exp, then divide by the sum) and subtract 1 "
                                            "at the label."), precision=_DEC(), digits=None, decimals=DECIMALS)


def check_adam_first_step(answer, *, grad=(0.001, 1000.0), lr: float = 0.01) -> Verdict:
    """Exercise 06.5: the change ``theta_1 - theta_0`` that Adam's first step makes for the
    gradient ``grad`` (learning rate ``lr``, the usual betas, eps = 1e-8; three significant
    figures in each entry)."""
    g = _vector(grad, "grad")
    lr = _above_zero(lr, "lr", "a learning rate")
    x, v = _numbers(answer, g.size, tr("parameter"))
    if v is not None:
        return v
    p = [np.zeros_like(g)]
    Adam(lr).step(p, [g.copy()])
    want = p[0]
    slips = [(-want, tr("the sign: Adam steps down the gradient, theta <- theta - lr m_hat/(sqrt(v_hat) + eps).")),
             (-lr * g, tr("that is SGD's step, -lr g. Adam divides by the root of the running mean of g^2, which "
                          "after one step is |g|.")),
             (-lr * 0.1 * g / (np.sqrt(0.001) * np.abs(g) + 1e-8),
              tr("the bias corrections are missing: after one step m = 0.1 g and v = 0.001 g^2; divided by "
                 "1 - beta1 and 1 - beta2 they become g and g^2.")),
             (-lr * g / (g * g + 1e-8), tr("that divides by v_hat = g^2; Adam divides by its square root, |g|."))]
    right = tr("after one step m_hat = g and v_hat = g^2, so the step is -lr g/(|g| + eps) = {step}: about lr in "
               "every entry (eps shaves a little off the smallest), with the gradient's sign, however small or large "
               "the gradient.", step=np.round(want, 6).tolist())
    return _grade(x, want, right, slips, tr("after the bias correction, m_hat = g and v_hat = g^2 after the first "
                                            "step."), precision=_SIG())


def check_hold(answer, *, keep: float = 0.98, steps: int = 40) -> Verdict:
    """Exercise 06.6: the share of what a unit holds that its keep gate passes on over ``steps``
    steps when the gate is ``keep`` at each (the direct path: ``keep^steps``; three significant
    figures)."""
    keep = _real(keep, "keep")
    if not 0 < keep <= 1:
        raise ValueError(f"keep: expected a gate value in (0, 1], got {keep:g}")
    steps = _whole(steps, "steps", 1)
    x, v = _one_number(answer, tr("a share between 0 and 1"))
    if v is not None:
        return v
    want = keep ** steps
    slips = [(max(0.0, 1 - (1 - keep) * steps), tr("that subtracts the loss per step; the gate multiplies at every "
                                                   "step, so the shares multiply: {keep:g} x {keep:g} x ... ({steps} "
                                                   "times).", keep=keep, steps=steps)),
             (keep * steps, tr("the gate multiplies what the unit holds at every step: a power, not a product by "
                               "the count.")),
             (keep ** (steps - 1), tr("that is {keep:g}^{n}: the gate acts at each of the {steps} steps after the "
                                      "marked one.", keep=keep, n=steps - 1, steps=steps)),
             ((1 - keep) ** steps, tr("that multiplies the share let go, 1 - {keep:g}; the share kept is {keep:g}.",
                                      keep=keep))]
    right = tr("{keep:g}^{steps} = {want:.3f}: a gate that lets {keep:.0%} through per step still passes {want:.0%} "
               "after {steps} steps. At the usual start (keep about 0.5) it would be 0.5^{steps} = {half:.1e}.",
               keep=keep, steps=steps, want=want, half=0.5 ** steps)
    return _grade(x, want, right, slips, tr("multiply the keep gate over the {steps} steps: keep^steps.", steps=steps),
                  precision=_SIG())
