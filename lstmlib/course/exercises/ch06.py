"""Self-checks of chapter 06's exercises."""
from __future__ import annotations

import numpy as np

from ...losses import softmax_cross_entropy
from ...optim import Adam, clip_grad_norm
from ..i18n import N_, tr
from ._verdict import Verdict, _close, _number, _unanswered


def check_adding_baseline(answer, *, low: float = -1.0, high: float = 1.0) -> Verdict:
    """Exercise 06.1: the MSE of the best constant prediction on an adding problem whose values
    are ``U(low, high)`` and whose target is the plain sum of the two marked values."""
    x, v = _number(answer, tr("an MSE"))
    if v is not None:
        return v
    var_one = (high - low) ** 2 / 12.0
    want = 2.0 * var_one
    if _close(x, want, rtol=0.01):
        return Verdict(True, tr("the best constant is the mean {mean:g}, and its MSE is the "
                                "variance of the sum of two independent values, each (b - a)^2/12 "
                                "with a = {low:g}, b = {high:g}: 2 x {one:.4g} = {want:.4g}.",
                                mean=low + high, low=low, high=high, one=var_one, want=want))
    if _close(x, var_one, rtol=0.01):
        return Verdict(False, tr("that is the variance of one value; the target adds two independent ones."))
    if _close(x, 1.0 / 6.0, rtol=0.01):
        return Verdict(False, tr("1/6 is for values in [0, 1]; here they are in [{low:g}, {high:g}].", low=low, high=high))
    return Verdict(False, tr("the best constant is the mean of the target; its MSE is the target's variance."))


def check_clipped_gradient(answer, *, grad=(3.0, 4.0), theta: float = 1.0) -> Verdict:
    """Exercise 06.2: the gradient ``grad`` after clipping its norm at ``theta``."""
    if (v := _unanswered(answer)) is not None:
        return v
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, tr("expected a list of numbers like {example}, got {answer!r}.", example=list(grad),
                                 answer=answer))
    g = np.array(grad, dtype=float)
    want = g.copy()
    norm = clip_grad_norm([want], theta)
    if x.shape != g.shape:
        return Verdict(False, tr("expected {n} numbers, one per entry of the gradient, got shape {shape}.",
                                 n=g.size, shape=x.shape))
    if np.allclose(x, want, rtol=1e-4, atol=1e-8):
        return Verdict(True, tr("||g|| = {norm:g} > theta = {theta:g}, so g <- theta g/||g|| = "
                                "{clipped}: same direction, norm {theta:g}.",
                                norm=norm, theta=theta, clipped=np.round(want, 4).tolist()))
    if np.allclose(x, np.clip(g, -theta, theta)):
        return Verdict(False, tr("that clips each entry to [-theta, theta], which changes the direction; "
                                 "norm clipping rescales the whole vector."))
    if np.allclose(x, g):
        return Verdict(False, tr("||g|| = {norm:g} is above theta = {theta:g}, so the gradient is rescaled.",
                                 norm=norm, theta=theta))
    return Verdict(False, tr("divide the whole vector by its norm and multiply by theta."))


def check_chance_cross_entropy(answer, *, classes: int = 8) -> Verdict:
    """Exercise 06.3: the cross-entropy of the best constant prediction on a balanced
    ``classes``-way task (temporal order with three relevant symbols has 2^3 = 8 classes)."""
    x, v = _number(answer, tr("a cross-entropy"))
    if v is not None:
        return v
    want = float(np.log(classes))
    if _close(x, want, rtol=0.005):
        return Verdict(True, tr("predicting 1/{K} for every class costs -ln(1/{K}) = "
                                "ln {K} = {want:.4f} nats per sequence.", K=classes, want=want))
    if _close(x, np.log2(classes), rtol=0.005):
        return Verdict(False, tr("that is in bits (log base 2); the training loss uses the natural log."))
    if _close(x, 1.0 / classes, rtol=0.005):
        return Verdict(False, tr("that is the chance accuracy; the cross-entropy is -ln of the probability "
                                 "given to the right class."))
    return Verdict(False, tr("with no information the best prediction is uniform; its cross-entropy is -ln(1/K)."))


_NOT_NUMBERS = {  # per what the numbers stand for: (not numbers at all, the wrong number of them)
    "logit": (N_("expected a list of {n} numbers, one per logit, got {answer!r}."),
              N_("expected {n} numbers, one per logit, got shape {shape}.")),
    "parameter": (N_("expected a list of {n} numbers, one per parameter, got {answer!r}."),
                  N_("expected {n} numbers, one per parameter, got shape {shape}.")),
}


def _numbers(answer, n: int, per: str):
    """``(array, None)`` when ``answer`` is ``n`` numbers (one per logit or per parameter, as
    ``per`` says), else ``(None, Verdict)`` saying what came instead."""
    if (v := _unanswered(answer)) is not None:
        return None, v
    not_numbers, wrong_count = _NOT_NUMBERS[per]
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None, Verdict(False, tr(not_numbers, n=n, answer=answer))
    if x.shape != (n,):
        return None, Verdict(False, tr(wrong_count, n=n, shape=x.shape))
    return x, None


def check_softmax_gradient(answer, *, logits=(2.0, 0.0, -1.0), label: int = 0) -> Verdict:
    """Exercise 06.4: ``dE/dz`` of the softmax cross-entropy ``E = -log softmax(z)[label]`` for
    one sequence with logits ``z``: ``softmax(z) - onehot(label)``."""
    x, v = _numbers(answer, len(logits), "logit")
    if v is not None:
        return v
    z = np.asarray(logits, dtype=float)
    _, want = softmax_cross_entropy(z[None, :], np.array([label]))
    want = want[0]
    p = want.copy()
    p[label] += 1.0  # the softmax itself
    if np.allclose(x, want, atol=5e-3):
        return Verdict(True, tr("softmax(z) = {p}; subtract 1 at the label "
                                "{label}: {grad}. The entries sum to 0, and only "
                                "the label's entry is negative: a step down the gradient raises that "
                                "logit and lowers the others.", p=np.round(p, 3).tolist(), label=label,
                                grad=np.round(want, 3).tolist()))
    if np.allclose(x, p, atol=5e-3):
        return Verdict(False, tr("that is softmax(z) itself; the label's entry also gets -1 (from the "
                                 "derivative of -z[label])."))
    if np.allclose(x, -want, atol=5e-3):
        return Verdict(False, tr("the sign is flipped: dE/dz = softmax(z) - onehot, so the label's entry "
                                 "is negative."))
    return Verdict(False, tr("compute p = softmax(z) (exp, then divide by the sum) and subtract 1 at the label."))


def check_adam_first_step(answer, *, grad=(0.001, 1000.0), lr: float = 0.01) -> Verdict:
    """Exercise 06.5: the change ``theta_1 - theta_0`` that Adam's first step makes for the
    gradient ``grad`` (learning rate ``lr``, the usual betas, eps = 1e-8)."""
    g = np.asarray(grad, dtype=float)
    x, v = _numbers(answer, g.size, "parameter")
    if v is not None:
        return v
    p = [np.zeros_like(g)]
    Adam(lr).step(p, [g.copy()])
    want = p[0]
    if np.allclose(x, want, rtol=1e-3, atol=1e-7):
        return Verdict(True, tr("after one step m_hat = g and v_hat = g^2, so the step is "
                                "-lr g/|g| = {step}: about lr in every entry (eps shaves a little off the "
                                "smallest), with the gradient's sign, however small or large the gradient.",
                                step=np.round(want, 6).tolist()))
    if np.allclose(x, -want, rtol=1e-3, atol=1e-7):
        return Verdict(False, tr("the sign: Adam steps down the gradient, theta <- theta - lr m_hat/(sqrt(v_hat) + eps)."))
    if np.allclose(x, -lr * g, rtol=1e-3):
        return Verdict(False, tr("that is SGD's step, -lr g. Adam divides by the root of the running mean "
                                 "of g^2, which after one step is |g|."))
    return Verdict(False, tr("after the bias correction, m_hat = g and v_hat = g^2 after the first step."))


def check_hold(answer, *, keep: float = 0.98, steps: int = 40) -> Verdict:
    """Exercise 06.6: the share of what a unit holds that its keep gate passes on over ``steps``
    steps when the gate is ``keep`` at each (the direct path: ``keep^steps``)."""
    x, v = _number(answer, tr("a share between 0 and 1"))
    if v is not None:
        return v
    want = keep ** steps
    if _close(x, want, rtol=0.01):
        return Verdict(True, tr("{keep:g}^{steps} = {want:.3f}: a gate that lets {keep:.0%} through "
                                "per step still passes {want:.0%} after {steps} steps. At the usual "
                                "start (keep about 0.5) it would be 0.5^{steps} = {half:.1e}.",
                                keep=keep, steps=steps, want=want, half=0.5 ** steps))
    if _close(x, max(0.0, 1 - (1 - keep) * steps), rtol=0.01):
        return Verdict(False, tr("that subtracts the loss per step; the gate multiplies at every step, "
                                 "so the shares multiply: {keep:g} x {keep:g} x ... ({steps} times).",
                                 keep=keep, steps=steps))
    if _close(x, keep * steps, rtol=0.01):
        return Verdict(False, tr("the gate multiplies what the unit holds at every step: a power, not a product by the count."))
    return Verdict(False, tr("multiply the keep gate over the {steps} steps.", steps=steps))
