"""Chapter 06: a paper's claim beside what the sweeps measured, and a verdict worded by what the
seeds can tell: "consistent with the claim", "not distinguishable at n seeds" or "contrary to the
claim" (``stats``: a one-sided p-value below ``ALPHA`` for or against the claim decides)."""
from __future__ import annotations

import dataclasses

from ..i18n import N_, tr
from ..tables import pad, width as text_width, wrap
from .stats import ALPHA

OUTCOMES = {
    "consistent": N_("consistent with the claim"),
    "indistinguishable": N_("not distinguishable at {n} seeds"),
    "contrary": N_("contrary to the claim"),
}


def outcome(p_for: float, p_against: float) -> str:
    """``"consistent"`` when the measurement favours the claim with p below ``ALPHA``,
    ``"contrary"`` when it favours the opposite so, else (neither, or both by different tests)
    ``"indistinguishable"``."""
    if (p_for < ALPHA) != (p_against < ALPHA):
        return "consistent" if p_for < ALPHA else "contrary"
    return "indistinguishable"


@dataclasses.dataclass(frozen=True)
class Finding:
    """``source``'s ``claim``, what was ``measured`` (with the counts and p-values), the
    ``outcome`` (a key of ``OUTCOMES``) and the number of ``seeds`` per setting."""

    source: str
    claim: str
    measured: str
    outcome: str
    seeds: int

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome: expected one of {tuple(OUTCOMES)}, got {self.outcome!r}")

    @property
    def verdict(self) -> str:
        return tr(OUTCOMES[self.outcome], n=self.seeds)

    def lines(self, width: int = 100) -> list[str]:
        """The finding in lines at most ``width`` columns wide on screen (``tables.wrap``: a number
        stays with its unit and its neighbours)."""
        out = wrap(tr("{source}: {claim}", source=self.source, claim=self.claim), width)
        for head, text in ((tr("measured:"), self.measured), (tr("verdict:"), self.verdict)):
            out += wrap(text, width, initial_indent="  " + pad(head, 10), subsequent_indent=" " * 12)
        return out


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One comparison as the chapter prints it, once: a ``title``, a ``table`` and the
    ``findings`` it supports."""

    title: str
    table: str
    findings: tuple = ()

    def __str__(self) -> str:
        # the double rule spans the title and the table below it
        rule = max([text_width(self.title)] + [text_width(line) for line in self.table.splitlines()])
        parts = [self.title, "=" * rule, self.table]
        for f in self.findings:
            parts += [""] + f.lines()
        return "\n".join(parts)

    __repr__ = __str__
