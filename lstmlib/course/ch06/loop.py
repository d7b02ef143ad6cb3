"""Chapter 06: the training loop taught from its code (the loss gradients checked, the first SGD
and Adam steps side by side), and the chapter's settings, timings and claims summary."""
from __future__ import annotations

import textwrap

import numpy as np

from ... import losses
from ...optim import SGD, Adam
from ..i18n import tr
from .experiments import Experiment


# ----------------------------------------------------------------------------------------------
# The loop's pieces, checked
# ----------------------------------------------------------------------------------------------
def loss_gradient_check(seed: int = 0, eps: float = 1e-6) -> str:
    """Each loss's gradient (``losses.mse``, ``losses.softmax_cross_entropy``) against central
    differences ``(E(z + eps e_j) - E(z - eps e_j)) / 2 eps`` on a random batch (float64):
    the largest relative difference over all entries."""
    rng = np.random.default_rng(seed)
    cases = (("mse", losses.mse, rng.standard_normal((8, 1)), rng.standard_normal((8, 1))),
             ("softmax cross-entropy", losses.softmax_cross_entropy, rng.standard_normal((8, 4)),
              rng.integers(0, 4, size=8)))
    head = f"{tr('loss'):<24}{tr('value'):>8}{tr('largest relative difference, formula vs numerical'):>52}"
    lines = [head, "-" * len(head)]
    names = {"softmax cross-entropy": tr("softmax cross-entropy")}
    for name, fn, z, y in cases:
        value, grad = fn(z, y)
        num = np.zeros_like(z)
        for j in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[j] += eps
            zm[j] -= eps
            num[j] = (fn(zp, y)[0] - fn(zm, y)[0]) / (2 * eps)
        rel = np.max(np.abs(grad - num) / np.maximum(np.abs(grad) + np.abs(num), 1e-12))
        lines.append(f"{names.get(name, name):<24}{value:>8.4f}{rel:>52.1e}")
    return "\n".join(lines)


def first_steps_table(grad=(2.0, -0.1, 300.0), lr: float = 0.05) -> str:
    """The first update ``w_1 - w_0`` of SGD and of Adam (``lr`` each) for one gradient ``grad``:
    SGD's is ``-lr g``, as large as the gradient; Adam's is ``-lr`` times the gradient's sign in
    every entry, whatever the gradient's size (its running means divide by the gradient's scale)."""
    g = np.asarray(grad, dtype=np.float64)
    if g.ndim != 1 or not np.all(np.isfinite(g)):
        raise ValueError(f"grad: expected a 1-D list of finite numbers, got {grad!r}")
    rows = []
    for opt in (SGD(lr), Adam(lr)):
        w = [np.zeros_like(g)]  # w_0 = 0, so after the step w holds the update w_1 - w_0
        opt.step(w, [g.copy()])
        rows.append((type(opt).__name__, w[0]))
    head = f"{'':<18}" + "".join(f"{f'g = {v:g}':>12}" for v in g)
    lines = [tr("the first update w_1 - w_0 of {sgd}", sgd=repr(SGD(lr))), tr("and of {adam}:", adam=repr(Adam(lr))),
             "", head, "-" * len(head)]
    for name, step in rows:
        lines.append(f"{tr('{name} step', name=name):<18}" + "".join(f"{s:>12.4g}" for s in step))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Sizes and timings
# ----------------------------------------------------------------------------------------------
def timing_table(*experiments: Experiment) -> str:
    """Wall time of every run of ``experiments`` (seconds on this machine; they vary from machine
    to machine, which is why no test and no saved output depends on them)."""
    head = f"{tr('run'):<34}{tr('steps'):>7}{tr('seconds'):>9}{'ms/step':>9}"
    lines = [head, "-" * len(head)]
    total, seen = 0.0, set()
    for ex in experiments:
        for r in ex.results:
            h = r.history
            if r.spec in seen:  # a run reused by a second experiment cost nothing the second time
                lines.append(f"{r.spec.label:<34}{h.steps:>7}{tr('reused'):>9}")
                continue
            seen.add(r.spec)
            total += h.seconds
            lines.append(f"{r.spec.label:<34}{h.steps:>7}{h.seconds:>9.2f}{1e3 * h.seconds / h.steps:>9.2f}")
    lines.append(f"{tr('total'):<34}{'':>7}{total:>9.1f}")
    return "\n".join(lines)


def chapter06_settings(full: bool = False) -> dict:
    """The sizes chapter 06 runs with: the default fits continuous integration's time budget
    (under 30 s for the whole chapter on 2 cores); ``full=True`` gives the longer versions (more
    seeds, larger budgets, the LSTM with b_f = 0 and 3 on the adding problem too)."""
    if full:
        return {
            "adding": dict(T=50, steps=3000, seeds=(0, 1, 2, 3, 4, 5, 6, 7), biases=(0.0, 1.0, 3.0)),
            "temporal_order": dict(T=50, steps=2000, seeds=(0, 1, 2, 3, 4, 5, 6, 7), rnn=True),
            "clipping": dict(T=50, steps=1000, seeds=(0, 1, 2, 3, 4, 5, 6, 7)),
            "watch": dict(T=50, steps=100, seed=0),
            "after_training": dict(T=50, steps=3000, seed=0),
        }
    return {
        "adding": dict(T=50, steps=1200, seeds=(0, 1)),
        "temporal_order": dict(T=50, steps=400, seeds=(0, 1, 2), biases=(0.0, 1.0), rnn=False),
        "clipping": dict(T=50, steps=300, seeds=(0, 1, 2)),
        "watch": dict(T=50, steps=100, seed=0),
        "after_training": dict(T=50, steps=1200, seed=0),
    }


def claims_summary(*experiments: Experiment, width: int = 44) -> str:
    """Every claim of ``experiments`` in one table: the paper, its claim beside what we measured
    (both wrapped to ``width`` characters), and the verdict."""
    head = f"{tr('paper'):<26}{tr('claim'):<{width + 2}}{tr('measured'):<{width + 2}}{tr('verdict')}"
    lines = [head, "-" * (len(head) + 8)]
    for ex in experiments:
        for c in ex.claims:
            claim = textwrap.wrap(c.claim, width)
            measured = textwrap.wrap(c.measured, width)
            source = textwrap.wrap(c.source, 24)
            n = max(len(claim), len(measured), len(source))
            for k in range(n):
                lines.append(f"{source[k] if k < len(source) else '':<26}"
                             f"{claim[k] if k < len(claim) else '':<{width + 2}}"
                             f"{measured[k] if k < len(measured) else '':<{width + 2}}"
                             f"{c.verdict if k == 0 else ''}")
            lines.append("")
    return "\n".join(lines).rstrip()
