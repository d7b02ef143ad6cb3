"""Self-checks of chapter 08's exercises: a variant's parameter count, what CIFG saves, and the
peepholes' terms in the backward pass."""
from __future__ import annotations

import numpy as np

from ...models import get_model
from ...variants import VariantLSTMParams, variant_step_backward, variant_step_forward
from ..ch08.parts import VARIANT_LABELS, variant_options
from ..i18n import tr
from ._verdict import Verdict, _call, _close, _number, _same


def _count(label: str, D: int, H: int) -> int:
    return get_model("lstm_variant").parameter_count(D, H, **variant_options(label))


def check_variant_parameter_count(answer, *, variant: str = "CIFG", input_size: int = 10,
                                  hidden_size: int = 20) -> Verdict:
    """Exercise 08.1: how many numbers one layer of ``variant`` (with peepholes, as in Greff et
    al.) learns for ``input_size`` inputs and ``hidden_size`` units. Exact integer."""
    if variant not in VARIANT_LABELS:
        raise ValueError(f"variant: expected one of {VARIANT_LABELS}, got {variant!r}")
    x, v = _number(answer, tr("a whole number of parameters"))
    if v is not None:
        return v
    D, H = input_size, hidden_size
    want = _count(variant, D, H)
    p = VariantLSTMParams.init(D, H, 0, **variant_options(variant))
    G = len(p.gates)
    peep = 0 if p.peephole is None else p.peephole.size
    if x == want:
        return Verdict(True, tr("{G} blocks of H(H + D) + H = {block} each, plus {peep} peephole weights: "
                                "{want}.", G=G, block=H * (H + D) + H, peep=peep, want=want))
    hints = {
        4 * (H * (H + D) + H) + 3 * H: tr("that is the vanilla LSTM's count: {variant} has {G} weight blocks, "
                                          "not 4.", variant=variant, G=G),
        4 * (H * (H + D) + H): tr("that is chapter 02's LSTM (4 blocks, no peepholes)."),
        want - peep: tr("the peepholes are missing: one weight per unit for each of the {k} sigmoid gates.",
                        k=G - 1),
        want - G * H: tr("the biases are missing: one per unit in each of the {G} blocks.", G=G),
        want + H: tr("one peephole vector too many: {variant} has {k} sigmoid gates.", variant=variant, k=G - 1),
        G * (H * H + H * D) + peep + G * H + G * H * H: tr("H x H counted twice: a block is [W_gh | W_gx], "
                                                            "(H, H + D)."),
    }
    why = hints.get(int(x), tr("count the weight blocks (H, H + D), the biases (H) and the peepholes (H per "
                               "sigmoid gate) of the gates {variant} has.", variant=variant))
    return Verdict(False, tr("{x:g} is not it: {why}", x=x, why=why))


def cifg_saving(input_size: int, hidden_size: int) -> float:
    """The share of V's parameters that CIFG does without (both with peepholes)."""
    return 1.0 - _count("CIFG", input_size, hidden_size) / _count("V", input_size, hidden_size)


def check_cifg_saving(answer, *, input_size: int = 2, hidden_size: int = 16) -> Verdict:
    """Exercise 08.2: what fraction of the vanilla LSTM's parameters (with peepholes) coupling the
    input and forget gates saves, for one layer of these sizes; to 3 significant digits."""
    x, v = _number(answer, tr("a fraction between 0 and 1"))
    if v is not None:
        return v
    D, H = input_size, hidden_size
    want = cifg_saving(D, H)
    if _close(x, want, rtol=1e-3):
        return Verdict(True, tr("one block of H(H + D) + H weights and biases and one peephole vector: "
                                "{saved} of {total}, {share:.4f}: a little over a quarter, one weight block "
                                "of four and one peephole vector of three.", saved=_count("V", D, H) - _count("CIFG", D, H),
                                total=_count("V", D, H), share=want))
    if _close(x, 0.25, rtol=1e-3):
        return Verdict(False, tr("0.25 would be one block of four without peepholes; V also has 3H peephole "
                                 "weights, and CIFG keeps two peephole vectors of them."))
    if x > 1:
        return Verdict(False, tr("give a fraction between 0 and 1, not a percentage."))
    if _close(x, 1 - want, rtol=1e-3):
        return Verdict(False, tr("{x:.4g} is the share CIFG keeps; the question asks for the share it saves.", x=x))
    return Verdict(False, tr("{x:.4g} is not it: count V's parameters and CIFG's for D = {D}, H = {H}, and "
                             "divide what is saved by V's count.", x=x, D=D, H=H))


PEEPHOLE_EXAMPLE_SEED = 8
"""The seed of the step that ``check_cell_carry`` tests a reader's function on."""


def peephole_step(seed: int = PEEPHOLE_EXAMPLE_SEED, batch: int = 3, hidden_size: int = 4, input_size: int = 2):
    """A vanilla LSTM step with peepholes and the gradients it receives: ``(cache, dh, dc)``."""
    gen = np.random.default_rng(seed)
    p = VariantLSTMParams.init(input_size, hidden_size, gen, peepholes=True, forget_bias=1.0)
    p.peephole[...] = gen.uniform(-1, 1, p.peephole.shape)
    state = (gen.standard_normal((batch, hidden_size)), gen.standard_normal((batch, hidden_size)))
    _, cache = variant_step_forward(gen.standard_normal((batch, input_size)), p, state)
    return cache, gen.standard_normal((batch, hidden_size)), gen.standard_normal((batch, hidden_size))


def check_cell_carry(fn) -> Verdict:
    """Exercise 08.3: ``fn(dc, f, delta_f, delta_i, p_f, p_i)`` must return ``dE/dc_{t-1}`` of one
    step of the vanilla LSTM with peepholes: ``dc`` is the total ``dE/dc_t`` (every path into
    ``c_t``), ``delta_f``, ``delta_i`` the gates' error terms, ``p_f``, ``p_i`` their peepholes.
    Checked on a step from ``peephole_step`` to 1e-10."""
    cache, dh, dc_in = peephole_step()
    g = variant_step_backward((dh, dc_in), cache)
    p, k = cache.params, cache
    dc = g.dc
    d_f = dc * k.c_prev * k.f * (1 - k.f)
    d_i = dc * k.c_tilde * k.i * (1 - k.i)
    got, v = _call(fn, dc, k.f, d_f, d_i, p.p_f.copy(), p.p_i.copy())
    if v is not None:
        return v
    if got is None:
        return Verdict(False, tr("your function returned nothing: replace the ... with your code and return "
                                 "the array."))
    if _same(got, g.dc0):
        return Verdict(True, tr("dc_(t-1) = dc_t f_t + delta_f p_f + delta_i p_i: the carry and the two "
                                "peepholes that looked at c_(t-1)."))
    if np.shape(got) != g.dc0.shape:
        return Verdict(False, tr("expected an array of shape {want}, got shape {got}.", want=g.dc0.shape,
                                 got=np.shape(got)))
    hints = [(dc * k.f, tr("that is the carry alone: the input and forget gates also saw c_(t-1) through "
                           "their peepholes.")),
             (dc * k.f + d_f * p.p_f, tr("the input gate's peephole is missing (delta_i p_i).")),
             (dc * k.f + d_i * p.p_i, tr("the forget gate's peephole is missing (delta_f p_f).")),
             (dc + d_f * p.p_f + d_i * p.p_i, tr("the carry goes through the forget gate: dc_t * f_t, not dc_t.")),
             (dc * k.f + (d_f + d_i) * (p.p_f + p.p_i), tr("each gate's error meets its own peephole weight, "
                                                           "not the sum of both."))]
    why = next((m for want, m in hints if _same(got, want)),
               tr("c_(t-1) reaches the loss three ways: through c_t (times f_t) and through the two gates "
                  "whose peepholes read it."))
    return Verdict(False, why)
