"""Chapter 06: the training loop's pieces, checked: each loss's gradient against central
differences, and the first update of SGD and of Adam side by side."""
from __future__ import annotations

import numpy as np

from ... import losses
from ...optim import SGD, Adam
from ..i18n import tr
from ..tables import fixed_columns
from .runs import seed_number

EPS_RANGE = (0.0, 0.1)
"""``loss_gradient_check``'s step: above 0 (a zero step divides by zero) and at most 0.1 (beyond,
the differences measure the curvature more than the slope)."""


def loss_gradient_check(seed: int = 0, eps: float = 1e-6) -> str:
    """Each loss's gradient (``losses.mse``, ``losses.softmax_cross_entropy``) against central
    differences ``(E(z + eps e_j) - E(z - eps e_j)) / 2 eps`` on a random batch (float64):
    the largest relative difference over all entries."""
    rng = np.random.default_rng(seed_number(seed))
    lo, hi = EPS_RANGE
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not lo < eps <= hi:
        raise ValueError(f"eps: expected a step in ({lo:g}, {hi:g}], got {eps!r}")
    cases = ((tr("mse"), losses.mse, rng.standard_normal((8, 1)), rng.standard_normal((8, 1))),
             (tr("softmax cross-entropy"), losses.softmax_cross_entropy, rng.standard_normal((8, 4)),
              rng.integers(0, 4, size=8)))
    rows = []
    for name, fn, z, y in cases:
        value, grad = fn(z, y)
        num = np.zeros_like(z)
        for j in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[j] += eps
            zm[j] -= eps
            num[j] = (fn(zp, y)[0] - fn(zm, y)[0]) / (2 * eps)
        rel = np.max(np.abs(grad - num) / np.maximum(np.abs(grad) + np.abs(num), 1e-12))
        rows.append((name, f"{value:.4f}", f"{rel:.1e}"))
    header = [(tr("loss"), tr("value"), tr("largest relative difference, formula vs numerical"))]
    return fixed_columns([("<", 24), (">", 8), (">", 52)], header, rows)


def first_steps_table(grad=(2.0, -0.1, 300.0), lr: float = 0.05) -> str:
    """The first update ``w_1 - w_0`` of SGD and of Adam (``lr`` each) for one gradient ``grad``:
    SGD's is ``-lr g``, as large as the gradient; Adam's is ``-lr`` times the gradient's sign in
    every entry, whatever the gradient's size (its running means divide by the gradient's scale)."""
    try:
        g = np.asarray(grad, dtype=np.float64)
    except (TypeError, ValueError):
        g = None
    if g is None or g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g)):
        raise ValueError(f"grad: expected a 1-D list of finite numbers, got {grad!r}")
    rows = []
    for opt in (SGD(lr), Adam(lr)):
        w = [np.zeros_like(g)]  # w_0 = 0, so after the step w holds the update w_1 - w_0
        opt.step(w, [g.copy()])
        rows.append((type(opt).__name__, w[0]))
    cells = [[tr("{name} step", name=name)] + [f"{s:.4g}" for s in step] for name, step in rows]
    table = fixed_columns([("<", 18)] + [(">", 12)] * g.size, [[""] + [f"g = {v:g}" for v in g]], cells)
    return "\n".join([tr("the first update w_1 - w_0 of {sgd}", sgd=repr(SGD(lr))),
                      tr("and of {adam}:", adam=repr(Adam(lr))), "", table])
