"""Self-checks of chapter 06's exercises."""
from __future__ import annotations

import numpy as np

from ...losses import softmax_cross_entropy
from ...optim import Adam, clip_grad_norm
from ._verdict import Verdict, _close, _number, _unanswered


def check_adding_baseline(answer, *, low: float = -1.0, high: float = 1.0) -> Verdict:
    """Exercise 06.1: the MSE of the best constant prediction on an adding problem whose values
    are ``U(low, high)`` and whose target is the plain sum of the two marked values."""
    x, v = _number(answer, "an MSE")
    if v is not None:
        return v
    var_one = (high - low) ** 2 / 12.0
    want = 2.0 * var_one
    if _close(x, want, rtol=0.01):
        return Verdict(True, f"the best constant is the mean {low + high:g}, and its MSE is the "
                             f"variance of the sum of two independent values, each (b - a)^2/12 "
                             f"with a = {low:g}, b = {high:g}: 2 x {var_one:.4g} = {want:.4g}.")
    if _close(x, var_one, rtol=0.01):
        return Verdict(False, "that is the variance of one value; the target adds two independent ones.")
    if _close(x, 1.0 / 6.0, rtol=0.01):
        return Verdict(False, f"1/6 is for values in [0, 1]; here they are in [{low:g}, {high:g}].")
    return Verdict(False, "the best constant is the mean of the target; its MSE is the target's variance.")


def check_clipped_gradient(answer, *, grad=(3.0, 4.0), theta: float = 1.0) -> Verdict:
    """Exercise 06.2: the gradient ``grad`` after clipping its norm at ``theta``."""
    if (v := _unanswered(answer)) is not None:
        return v
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"expected a list of numbers like {list(grad)}, got {answer!r}.")
    g = np.array(grad, dtype=float)
    want = g.copy()
    norm = clip_grad_norm([want], theta)
    if x.shape != g.shape:
        return Verdict(False, f"expected {g.size} numbers, one per entry of the gradient, got shape {x.shape}.")
    if np.allclose(x, want, rtol=1e-4, atol=1e-8):
        return Verdict(True, f"||g|| = {norm:g} > theta = {theta:g}, so g <- theta g/||g|| = "
                             f"{np.round(want, 4).tolist()}: same direction, norm {theta:g}.")
    if np.allclose(x, np.clip(g, -theta, theta)):
        return Verdict(False, "that clips each entry to [-theta, theta], which changes the direction; "
                              "norm clipping rescales the whole vector.")
    if np.allclose(x, g):
        return Verdict(False, f"||g|| = {norm:g} is above theta = {theta:g}, so the gradient is rescaled.")
    return Verdict(False, "divide the whole vector by its norm and multiply by theta.")


def check_chance_cross_entropy(answer, *, classes: int = 8) -> Verdict:
    """Exercise 06.3: the cross-entropy of the best constant prediction on a balanced
    ``classes``-way task (temporal order with three relevant symbols has 2^3 = 8 classes)."""
    x, v = _number(answer, "a cross-entropy")
    if v is not None:
        return v
    want = float(np.log(classes))
    if _close(x, want, rtol=0.005):
        return Verdict(True, f"predicting 1/{classes} for every class costs -ln(1/{classes}) = "
                             f"ln {classes} = {want:.4f} nats per sequence.")
    if _close(x, np.log2(classes), rtol=0.005):
        return Verdict(False, "that is in bits (log base 2); the training loss uses the natural log.")
    if _close(x, 1.0 / classes, rtol=0.005):
        return Verdict(False, "that is the chance accuracy; the cross-entropy is -ln of the probability "
                              "given to the right class.")
    return Verdict(False, "with no information the best prediction is uniform; its cross-entropy is -ln(1/K).")


def check_softmax_gradient(answer, *, logits=(2.0, 0.0, -1.0), label: int = 0) -> Verdict:
    """Exercise 06.4: ``dE/dz`` of the softmax cross-entropy ``E = -log softmax(z)[label]`` for
    one sequence with logits ``z``: ``softmax(z) - onehot(label)``."""
    if (v := _unanswered(answer)) is not None:
        return v
    z = np.asarray(logits, dtype=float)
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"expected a list of {z.size} numbers, one per logit, got {answer!r}.")
    if x.shape != z.shape:
        return Verdict(False, f"expected {z.size} numbers, one per logit, got shape {x.shape}.")
    _, want = softmax_cross_entropy(z[None, :], np.array([label]))
    want = want[0]
    p = want.copy()
    p[label] += 1.0  # the softmax itself
    if np.allclose(x, want, atol=5e-3):
        return Verdict(True, f"softmax(z) = {np.round(p, 3).tolist()}; subtract 1 at the label "
                             f"{label}: {np.round(want, 3).tolist()}. The entries sum to 0, and only "
                             "the label's entry is negative: a step down the gradient raises that "
                             "logit and lowers the others.")
    if np.allclose(x, p, atol=5e-3):
        return Verdict(False, "that is softmax(z) itself; the label's entry also gets -1 (from the "
                              "derivative of -z[label]).")
    if np.allclose(x, -want, atol=5e-3):
        return Verdict(False, "the sign is flipped: dE/dz = softmax(z) - onehot, so the label's entry "
                              "is negative.")
    return Verdict(False, "compute p = softmax(z) (exp, then divide by the sum) and subtract 1 at the label.")


def check_adam_first_step(answer, *, grad=(0.001, 1000.0), lr: float = 0.01) -> Verdict:
    """Exercise 06.5: the change ``theta_1 - theta_0`` that Adam's first step makes for the
    gradient ``grad`` (learning rate ``lr``, the usual betas, eps = 1e-8)."""
    if (v := _unanswered(answer)) is not None:
        return v
    g = np.asarray(grad, dtype=float)
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"expected a list of {g.size} numbers, one per parameter, got {answer!r}.")
    if x.shape != g.shape:
        return Verdict(False, f"expected {g.size} numbers, one per parameter, got shape {x.shape}.")
    p = [np.zeros_like(g)]
    Adam(lr).step(p, [g.copy()])
    want = p[0]
    if np.allclose(x, want, rtol=1e-3, atol=1e-7):
        return Verdict(True, f"after one step m_hat = g and v_hat = g^2, so the step is "
                             f"-lr g/|g| = {np.round(want, 6).tolist()}: about lr in every entry (eps shaves a little off the "
                             "smallest), with the "
                             "gradient's sign, however small or large the gradient.")
    if np.allclose(x, -want, rtol=1e-3, atol=1e-7):
        return Verdict(False, "the sign: Adam steps down the gradient, theta <- theta - lr m_hat/(sqrt(v_hat) + eps).")
    if np.allclose(x, -lr * g, rtol=1e-3):
        return Verdict(False, "that is SGD's step, -lr g. Adam divides by the root of the running mean "
                              "of g^2, which after one step is |g|.")
    return Verdict(False, "after the bias correction, m_hat = g and v_hat = g^2 after the first step.")


def check_hold(answer, *, keep: float = 0.98, steps: int = 40) -> Verdict:
    """Exercise 06.6: the share of what a unit holds that its keep gate passes on over ``steps``
    steps when the gate is ``keep`` at each (the direct path: ``keep^steps``)."""
    x, v = _number(answer, "a share between 0 and 1")
    if v is not None:
        return v
    want = keep ** steps
    if _close(x, want, rtol=0.01):
        return Verdict(True, f"{keep:g}^{steps} = {want:.3f}: a gate that lets {keep:.0%} through "
                             f"per step still passes {want:.0%} after {steps} steps. At the usual "
                             f"start (keep about 0.5) it would be 0.5^{steps} = {0.5 ** steps:.1e}.")
    if _close(x, max(0.0, 1 - (1 - keep) * steps), rtol=0.01):
        return Verdict(False, "that subtracts the loss per step; the gate multiplies at every step, "
                              f"so the shares multiply: {keep:g} x {keep:g} x ... ({steps} times).")
    if _close(x, keep * steps, rtol=0.01):
        return Verdict(False, "the gate multiplies what the unit holds at every step: a power, not a product by the count.")
    return Verdict(False, f"multiply the keep gate over the {steps} steps.")
