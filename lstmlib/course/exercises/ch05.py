"""Self-checks of chapter 05's exercises."""
from __future__ import annotations

import numpy as np

from ...activations import sigmoid
from ...models import MODELS
from .. import ch05
from ..i18n import tr
from ._verdict import Verdict, _close, _number, _unanswered


def check_forget_bias_decay(answer, *, forget_bias: float = 2.0, steps: int = 30) -> Verdict:
    """Exercise 05.1: predict how much of ``dE/dc_T`` reaches ``c_1`` along the cell state of an
    LSTM with near-zero weights, forget bias ``forget_bias`` and T = ``steps``; right to 2
    significant figures (within 2%)."""
    x, v = _number(answer, tr("a fraction"))
    if v is not None:
        return v
    want = ch05.forget_bias_prediction(forget_bias, steps)
    f = float(sigmoid(np.float64(forget_bias)))
    if _close(x, want, rtol=0.02):
        return Verdict(True, tr("every forget gate sits at sigmoid({b_f:g}) = {f:.4f}, and the "
                                "error crosses {n} of them: {f:.4f}^{n} = {want:.3g}.",
                                b_f=forget_bias, f=f, n=steps - 1, want=want))
    hints = {f ** steps: tr("that is {T} factors; from c_T back to c_1 there are T - 1 = {n}.", T=steps, n=steps - 1),
             f: tr("that is one step; the error is multiplied by f at every one of the T - 1 steps."),
             forget_bias ** (steps - 1): tr("the factor is the gate's value sigmoid(b_f), not b_f itself."),
             0.5 ** (steps - 1): tr("that would be b_f = 0; here the bias is {b_f:g}.", b_f=forget_bias)}
    why = next((m for val, m in hints.items() if _close(x, val, rtol=0.02)),
               tr("multiply by the forget gate's value once per step back in time."))
    return Verdict(False, tr("{x:.3g} is not it: {why}", x=x, why=why))


def minimal_forget_bias(steps: int, keep: float, *, factors: int | None = None) -> float:
    """The smallest ``b_f`` with ``sigmoid(b_f)^(steps-1) >= keep``: ``logit(keep^(1/(steps-1)))``
    (``factors``: another number of factors than ``steps - 1``, for the off-by-one slip)."""
    n = steps - 1 if factors is None else factors
    f = keep ** (1.0 / n)
    return float(np.log(f / (1.0 - f)))


def check_forget_bias_needed(answer, *, steps: int = 100, keep: float = 0.01,
                             tolerance: float = 0.002) -> Verdict:
    """Exercise 05.2: the smallest forget bias for which at least ``keep`` of the cell-state
    gradient survives ``steps - 1`` steps with near-zero weights, right to 3 decimals (within
    ``tolerance``): close enough to tell it from the off-by-one answer with ``steps`` factors."""
    x, v = _number(answer, tr("a forget-gate bias"))
    if v is not None:
        return v
    want = minimal_forget_bias(steps, keep)
    got = ch05.forget_bias_prediction(x, steps)
    slips = [minimal_forget_bias(steps, keep, factors=n) for n in (steps, steps - 2)]
    if abs(x - want) > tolerance and min(abs(x - s) for s in slips) <= tolerance:
        return Verdict(False, tr("{x:g} is off by one: from c_T back to c_1 the error crosses T - 1 = {n} forget "
                                 "gates, so solve sigmoid(b_f)^{n} = {keep:g}.", x=x, n=steps - 1, keep=keep))
    if abs(x - want) <= tolerance:
        gate = float(sigmoid(np.float64(want)))
        return Verdict(True, tr("b_f = {want:.3f}: sigmoid(b_f) = {keep:g}^(1/{n}) = {gate:.4f}, the forget gate "
                                "must pass about {percent:.1f}% at every step.",
                                want=want, keep=keep, n=steps - 1, gate=gate, percent=100 * gate))
    if abs(x - want) <= 5 * tolerance:
        return Verdict(False, tr("{x:g} is close: right method, give it to within {tolerance:g} (the off-by-one "
                                 "answer, with {T} factors, lies only about 0.01 away).", x=x, tolerance=tolerance,
                                 T=steps))
    if x < want:
        return Verdict(False, tr("with b_f = {x:g} only {got:.2g} of the gradient survives, less than "
                                 "{keep:g}. Solve sigmoid(b_f)^{n} = {keep:g} for b_f.",
                                 x=x, got=got, keep=keep, n=steps - 1))
    return Verdict(False, tr("b_f = {x:g} keeps {got:.2g}, enough, but a smaller bias does too: the "
                             "question asks for the smallest (to within {tolerance:g}).",
                             x=x, got=got, tolerance=tolerance))


def check_longest_reach(answer, *, forget_bias: float = 1.0, scale: float = 1.0, steps: int = 50,
                        seed: int = 0) -> Verdict:
    """Exercise 05.3: in chapter 05's explorer with the given settings, which model's
    ``||dE/dh_1||`` is largest: 'rnn', 'lstm' or 'gru'?"""
    if (v := _unanswered(answer)) is not None:
        return v
    name = str(answer).strip().lower()
    if name not in tuple(MODELS):
        return Verdict(False, tr("answer with one of {names}, got {answer!r}.", names=", ".join(tuple(MODELS)),
                                 answer=answer))
    comp = ch05.GradientFlowLab(seed=seed).compare(forget_bias, scale, steps)
    first = {k: float(f.relative("dh")[0]) for k, f in comp.flows.items()}
    want = max(first, key=first.get)
    summary = ", ".join(f"{k.upper()} {v:.1e}" for k, v in first.items())
    if name == want:
        return Verdict(True, tr("||dE/dh_1|| / ||dE/dh_T|| = {summary}. The {model} keeps the most "
                                "of the gradient over the whole sequence.", summary=summary, model=want.upper()))
    return Verdict(False, tr("at b_f = {b_f:g}, weight scale {scale:g}, T = {T} the "
                             "{model} is not the largest: read the title of the explorer at "
                             "those settings.", b_f=forget_bias, scale=scale, T=steps, model=name.upper()))


def cut_h_paths_share(*, forget_bias: float = 3.0, steps: int = 50, seed: int = 0) -> float:
    """``||dE/dc_1|| / ||dE/dc_T||`` of chapter 05's LSTM (``GradientFlowLab``, usual
    initialisation) with every recurrent weight ``W_gh`` set to 0: no gradient comes back
    through h, only the carry along the cell state is left."""
    p = ch05.GradientFlowLab(seed=seed).models(forget_bias, 1.0)["lstm"]
    for gate in p.gates:
        getattr(p, f"W_{gate}h")[...] = 0.0
    g = ch05.last_step_gradients(ch05.GradientFlowLab(seed=seed).X[:steps], p)
    return float(g.dc_norms[0] / g.dc_norms[-1])


def check_cut_h_paths(answer, *, forget_bias: float = 3.0, steps: int = 50, rtol: float = 0.1,
                      seed: int = 0) -> Verdict:
    """Exercise 05.4: with the paths through h cut (every ``W_gh = 0``), what share of
    ``||dE/dc_T||`` reaches ``c_1``? Measured by ``cut_h_paths_share``; right within ``rtol``."""
    x, v = _number(answer, tr("a share"))
    if v is not None:
        return v
    want = cut_h_paths_share(forget_bias=forget_bias, steps=steps, seed=seed)
    table = ch05.cell_error_table(ch05.GradientFlowLab(seed=seed), biases=(forget_bias,), steps=steps)
    whole, highway = table.parts[0].factors()
    if _close(x, want, rtol=rtol):
        return Verdict(True, tr("measured with W_gh = 0: {want:.3g}. Only the carry is left, about {highway:.3f} per "
                                "step, and {highway:.3f}^{n} = {alone:.3g}. With the paths "
                                "through h the same network delivers {whole:.3g}: all of the growth "
                                "comes back through h.", want=want, highway=highway, n=steps - 1,
                                alone=highway ** (steps - 1), whole=whole ** (steps - 1)))
    if _close(x, whole ** (steps - 1), rtol=rtol):
        return Verdict(False, tr("{x:.3g} is what arrives WITH the paths through h (the whole step, {whole:.3f}, "
                                 "{n} times). Cut them, and only the carry's factor is left.",
                                 x=x, whole=whole, n=steps - 1))
    if _close(x, highway, rtol=0.02) or _close(x, whole, rtol=0.02):
        return Verdict(False, tr("{x:.3g} is one step's factor; the error takes {n} steps from c_T to c_1.",
                                 x=x, n=steps - 1))
    return Verdict(False, tr("{x:.3g} is not it: with W_gh = 0 nothing enters the cell state below step T, so the "
                             "error is multiplied by the forget gate, and nothing else, at every step back.", x=x))
