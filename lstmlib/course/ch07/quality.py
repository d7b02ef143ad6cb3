"""Chapter 07: how good are a model's samples as Python? One line at a time, Python's own
``tokenize`` is the judge, and the same measure on the real validation files is the yardstick."""
from __future__ import annotations

import dataclasses
import tokenize

import numpy as np

from ... import _validate, charlm
from ...network import SequenceModel
from ..i18n import tr
from .corpus import Corpus
from .tokens import python_tokens

_OPEN, _CLOSE = "([{", ")]}"


def line_ok(line: str) -> bool:
    """Whether one line of Python, read alone (its indentation removed), is accepted by
    ``tokenize`` (no error, no error token: an unterminated string, a stray character) and its
    brackets match (each closer closes the last open bracket of its kind, none left open)."""
    if not isinstance(line, str):
        raise ValueError(f"line: expected a string, got {type(line).__name__}")
    text = line.strip()
    try:
        toks = list(python_tokens(text + "\n"))
    except (tokenize.TokenError, SyntaxError):
        return False
    stack = []
    for tok in toks:
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            return False
        if tok.type == tokenize.OP and tok.string in _OPEN:
            stack.append(_OPEN.index(tok.string))
        elif tok.type == tokenize.OP and tok.string in _CLOSE:
            if not stack or stack.pop() != _CLOSE.index(tok.string):
                return False
    return not stack


def lines_ok(text: str) -> tuple[int, int]:
    """``(accepted, lines)``: how many of the non-blank complete lines of ``text`` (the last line
    counts only when it ends with a newline) ``line_ok`` accepts."""
    lines = text.split("\n")[:-1]
    kept = [ln for ln in lines if ln.strip()]
    return sum(line_ok(ln) for ln in kept), len(kept)


def primers(corpus: Corpus, count: int = 24, length: int = 200) -> list[str]:
    """``count`` primers from the validation text, evenly spread: each the ``length`` or so
    characters of whole lines before an evenly spaced line start (so a sample starts a new line)."""
    text = corpus.valid_text
    n = _validate.positive_int(count, "count")
    out = []
    for k in range(n):
        end = text.rfind("\n", 0, int((k + 0.5) * len(text) / n)) + 1
        start = text.rfind("\n", 0, max(0, end - length)) + 1
        out.append(text[start:end] if end > start else text[:end])
    return out


@dataclasses.dataclass(frozen=True)
class SampleQuality:
    """``accepted`` of ``lines`` sampled lines that ``line_ok`` accepts (``share``), over
    ``samples`` samples of ``length`` characters at ``temperature``; ``reference``: the share
    of the validation text's own lines."""

    accepted: int
    lines: int
    samples: int
    length: int
    temperature: float
    reference: float

    @property
    def share(self) -> float:
        return self.accepted / self.lines if self.lines else float("nan")


def sample_quality(model: SequenceModel, corpus: Corpus, *, samples: int = 24, length: int = 400,
                   temperature: float = 1.0, seed: int = 0) -> SampleQuality:
    """Draw ``samples`` samples of ``length`` characters, one after each of ``primers(corpus,
    samples)``, at ``temperature`` (``charlm.sample``, seeds ``[seed, k]``), and count the
    generated lines ``line_ok`` accepts."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, got {seed!r}")
    ok = total = 0
    for k, prime in enumerate(primers(corpus, samples)):
        ids, _ = charlm.sample(corpus.vocab.encode(prime), model, length, np.random.default_rng([seed, k]),
                              temperature=temperature)
        a, n = lines_ok(corpus.vocab.decode(ids))
        ok, total = ok + a, total + n
    ref_ok, ref_n = lines_ok(corpus.valid_text)
    return SampleQuality(ok, total, samples, length, float(temperature), ref_ok / ref_n)


def quality_line(name: str, q: SampleQuality) -> str:
    """One line: the share of accepted lines with its counts, beside the validation text's."""
    return tr("{name}: {a} of {n} sampled lines accepted ({share:.1%}; the validation files' own lines: "
              "{ref:.1%}), {s} samples of {L} characters at temperature {t:g}", name=name, a=q.accepted,
              n=q.lines, share=q.share, ref=q.reference, s=q.samples, L=q.length, t=q.temperature)
