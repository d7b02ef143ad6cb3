"""Self-checks of chapter 06's exercises."""
from __future__ import annotations

import numpy as np

from ...optim import clip_grad_norm
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
