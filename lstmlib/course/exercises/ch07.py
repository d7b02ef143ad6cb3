"""Self-checks of chapter 07's exercises."""
from __future__ import annotations

import math

from ...models import get_model
from .. import ch07
from ..i18n import tr
from ._verdict import Verdict, _close, _number


def _digits_verdict(x: float, want: float, digits: int = 3) -> Verdict | None:
    """Right to ``digits`` significant figures: a Verdict; right to fewer (2): "more digits"."""
    scale = 10 ** (math.floor(math.log10(abs(want))) - digits + 1) if want else 0
    if want == 0:
        return Verdict(True, "") if abs(x) < 1e-9 else None
    if abs(x - want) <= 0.5 * scale * (1 + 1e-9) or _close(x, want, rtol=1e-6):
        return Verdict(True, "")
    if abs(x - want) <= 5 * scale * (1 + 1e-9):
        return Verdict(False, tr("right method; give {d} significant figures (you gave {x:g}).", d=digits, x=x))
    return None


def check_bits_per_char(answer, *, nats: float = 1.2) -> Verdict:
    """Exercise 07.1: the bits per character of a model whose mean cross-entropy is ``nats``
    (natural log) per character, to 3 significant figures."""
    x, v = _number(answer, tr("bits per character"))
    if v is not None:
        return v
    want = nats / math.log(2)
    verdict = _digits_verdict(x, want)
    if verdict is not None and verdict.correct:
        return Verdict(True, tr("a nat is 1/ln 2 = {bits:.4f} bits, so {nats:g} nats = {nats:g} / ln 2 = "
                                "{want:.4f} bits per character.", bits=1 / math.log(2), nats=nats, want=want))
    if verdict is not None:
        return verdict
    if _close(x, nats * math.log(2), rtol=0.005):
        return Verdict(False, tr("you multiplied by ln 2; a bit is the smaller unit (ln 2 nats), so the "
                                 "number of bits is larger: divide by ln 2."))
    if _close(x, nats / math.log(10), rtol=0.005) or _close(x, nats * math.log10(math.e), rtol=0.005):
        return Verdict(False, tr("that is in decimal digits (log base 10); bits are log base 2."))
    return Verdict(False, tr("convert the unit of the logarithm: log2(p) = ln(p) / ln 2."))


def check_perplexity(answer, *, bits: float = 2.0) -> Verdict:
    """Exercise 07.2: among how many equally likely characters would a model with ``bits`` bits
    per character be choosing, on average (its perplexity per character)?"""
    x, v = _number(answer, tr("a number of characters"))
    if v is not None:
        return v
    want = 2.0 ** bits
    if _close(x, want, rtol=0.005):
        return Verdict(True, tr("a uniform choice among K characters costs log2 K bits, so {bits:g} bits "
                                "are 2^{bits:g} = {want:.4g} equally likely characters.", bits=bits, want=want))
    if _close(x, math.exp(bits), rtol=0.005):
        return Verdict(False, tr("e^bits would be right for nats; for bits use 2^bits."))
    if _close(x, bits * 2, rtol=0.005) or _close(x, bits ** 2, rtol=0.005):
        return Verdict(False, tr("the number of choices grows exponentially with the bits: 2^bits."))
    return Verdict(False, tr("invert log2 K = bits per character."))


def check_connected_fraction(answer, *, distance: int = 20, chunk: int = 64) -> Verdict:
    """Exercise 07.3: a closing bracket comes ``distance`` characters after its opener. With
    truncated BPTT over chunks of ``chunk`` steps (fixed boundaries), what fraction of such pairs
    have the opener and the prediction of the closer in the same chunk, so that the gradient of
    that prediction reaches the step that read the opener? To 3 significant figures (a fraction
    such as ``45/64`` is exact)."""
    x, v = _number(answer, tr("a fraction between 0 and 1"))
    if v is not None:
        return v
    d, T = int(distance), int(chunk)
    want = max(0, T - d + 1) / T
    span = tr("steps o, o+1, ..., o+d-1") if d > 1 else tr("step o")
    verdict = _digits_verdict(x, want)
    if verdict is not None and verdict.correct:
        return Verdict(True, tr("the opener is read at step o and the closer predicted at step o+{d}-1, so "
                                "the {span} ({d} steps) must lie in one chunk: o must be one of the first "
                                "{T}-{d}+1 = {fit} positions of a chunk, a fraction {fit}/{T} = {want:.4f}.",
                                d=d, span=span, T=T, fit=max(0, T - d + 1), want=want))
    if _close(x, (T - d) / T, rtol=0.002):
        return Verdict(False, tr("close: count the positions again. The prediction of the closer is made "
                                 "at the step before the closer, so the span is d steps, not d + 1."))
    if verdict is not None:
        return verdict
    if _close(x, 1.0, rtol=1e-6):
        return Verdict(False, tr("T >= d is necessary, not sufficient: a pair can straddle a chunk boundary."))
    if not 0 <= x <= 1:
        return Verdict(False, tr("a fraction lies between 0 and 1; you gave {x:g}.", x=x))
    return Verdict(False, tr("picture a chunk of T steps and slide a span of d steps along it: in how "
                             "many of the T starting positions does the span fit?"))


def check_char_parameter_count(answer, *, kind: str = "gru", hidden: int = 148, vocab: int = 96,
                               embedding: int = 32) -> Verdict:
    """Exercise 07.4: the number of parameters of a one-layer character model of ``kind`` with
    ``hidden`` units, a vocabulary of ``vocab`` characters and an embedding of ``embedding``, as
    chapter 07 trains it (``ch07.GATED``: the GRU with ``reset_after=True``, which lstmlib stores
    as one bias per gate plus ``b_ch``)."""
    m = get_model(kind, "kind")
    x, v = _number(answer, tr("a number of parameters"))
    if v is not None:
        return v
    if x != int(x):
        return Verdict(False, tr("a parameter count is a whole number; you gave {x:g}.", x=x))
    options = dict(ch07.GATED[kind])
    want = ch07.parameter_count(kind, hidden, vocab=vocab, embedding=embedding, **options)
    G, H, V, D = m.gates, hidden, vocab, embedding
    layer = m.parameter_count(D, H, **options)
    extra = layer - G * H * (H + D) - G * H
    n = int(x)
    if n == want:
        plus = tr(" + {H} (b_ch)", H=H) if extra else ""
        return Verdict(True, tr("embedding {V}x{D} = {VD}; layer {G}x{H}x({H}+{D}) + {G}x{H}{plus}; head "
                                "{V}x{H} + {V}: {want:,} in all.", V=V, D=D, VD=V * D, G=G, H=H, plus=plus,
                                want=want))
    if extra and n == want + 2 * H:
        return Verdict(False, tr("{n:,} is nn.GRU's count: PyTorch keeps two bias vectors for every gate (b_ih "
                                 "and b_hh, 6H numbers, as exercise 04.1 counts). The model here computes the "
                                 "same function with one bias per gate plus b_ch (4H): count that.", n=n))
    if extra and n == want - extra:
        return Verdict(False, tr("with reset_after=True the GRU has one more bias vector, b_ch (H numbers)."))
    if n == want - V * D:
        return Verdict(False, tr("count the embedding too: one row of D_e numbers per character."))
    if n == want - V * H - V:
        return Verdict(False, tr("count the head too: W_y (V x H) and b_y (V)."))
    return Verdict(False, tr("add the embedding (V x D_e), the layer (G H (H + D_e) + G H, and b_ch for "
                             "this GRU) and the head (V H + V)."))
