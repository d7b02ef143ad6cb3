"""Chapter 06: what a handful of seeds can say. Medians with bootstrap intervals, and two exact
tests small enough to read: Fisher's for "learned more often" (counts) and the sign test for
"learned sooner" (seed by seed). Each returns the probability of a split at least as uneven as the
one measured if the two settings were equally good (the p-value); below ``ALPHA`` the chapter
calls a difference distinguishable at that many seeds, otherwise not.

Runs that never met the target count as taking longer than any that did (``inf`` steps): a median
of steps is then finite only when more than half of the seeds met the target.
"""
from __future__ import annotations

import dataclasses
from math import comb

import numpy as np

from ..i18n import tr

ALPHA = 0.05
"""The p-value below which a difference counts as distinguishable (the usual 5%)."""

LEVEL = 0.95
"""The bootstrap intervals' coverage."""


@dataclasses.dataclass(frozen=True)
class Median:
    """The median of ``values`` over seeds and its bootstrap interval ``[low, high]`` (``LEVEL``:
    the middle 95% of the medians of ``draws`` resamples of the seeds, drawn from a fixed seed so
    that the interval is a pure function of the values). ``inf`` stands for "never"."""

    value: float
    low: float
    high: float

    @classmethod
    def of(cls, values, *, draws: int = 4000, seed: int = 0) -> "Median":
        v = np.asarray(values, dtype=np.float64)
        if v.ndim != 1 or v.size == 0 or np.isnan(v).any():
            raise ValueError(f"values: expected a 1-D list of numbers (inf for never), got {values!r}")
        idx = np.random.default_rng(seed).integers(0, v.size, size=(draws, v.size))
        with np.errstate(invalid="ignore"):  # inf - inf inside the median of two infs: it is inf
            meds = np.median(v[idx], axis=1)
        meds = np.where(np.isnan(meds), np.inf, meds)
        tail = (1 - LEVEL) / 2
        return cls(float(np.median(v)), float(np.quantile(meds, tail, method="lower")),
                   float(np.quantile(meds, 1 - tail, method="higher")))

    def text(self, fmt: str = "{:.0f}", never: str | None = None) -> str:
        """``"812 [650, 1000]"``; an infinite end reads ``never`` (default: "never")."""
        never = tr("never") if never is None else never
        show = lambda x: never if not np.isfinite(x) else fmt.format(x)  # noqa: E731
        if not np.isfinite(self.value):
            return never if not np.isfinite(self.low) else tr("{value} [{low}, {high}]", value=never,
                                                             low=show(self.low), high=show(self.high))
        return tr("{value} [{low}, {high}]", value=show(self.value), low=show(self.low), high=show(self.high))


def more_often_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Fisher's exact test, one-sided: the probability that group 1 meets the target on ``k1`` or
    more of its ``n1`` seeds, given that ``k1 + k2`` of all ``n1 + n2`` seeds did and that both
    groups were equally likely to (the hypergeometric tail)."""
    for name, v in (("k1", k1), ("n1", n1), ("k2", k2), ("n2", n2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name}: expected a count >= 0, got {v!r}")
    for name, k, n in (("k1", k1, n1), ("k2", k2, n2)):
        if k > n:
            raise ValueError(f"{name}: expected at most {n} successes (of n{name[1]} = {n} seeds), got {k}")
    K, N = k1 + k2, n1 + n2
    total = comb(N, n1)
    return sum(comb(K, k) * comb(N - K, n1 - k) for k in range(k1, min(K, n1) + 1)) / total


def sign_test_p(wins: int, losses: int) -> float:
    """The sign test, two-sided: the probability of a split at least as uneven as ``wins`` against
    ``losses`` (ties left out) if each seed were a fair coin."""
    for name, v in (("wins", wins), ("losses", losses)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name}: expected a count >= 0, got {v!r}")
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(max(wins, losses), n + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def p_text(p: float) -> str:
    """A p-value as the tables print it: two significant digits, or "< 1e-6"."""
    return "p < 1e-6" if p < 1e-6 else f"p = {p:.2g}"


@dataclasses.dataclass(frozen=True)
class Race:
    """Seed by seed, which of two settings met the target first: ``a`` and ``b`` the seeds each
    won, ``ties`` the seeds where both met it at the same evaluation or neither did; ``p`` the
    sign test's p-value."""

    a: int
    b: int
    ties: int

    @property
    def p(self) -> float:
        return sign_test_p(self.a, self.b)

    @property
    def n(self) -> int:
        return self.a + self.b + self.ties


def race(steps_a, steps_b) -> Race:
    """``Race`` of two settings from their steps to the target on the same seeds (``inf``: never)."""
    a, b = np.asarray(steps_a, dtype=np.float64), np.asarray(steps_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"steps_b: expected one number per seed of steps_a ({a.shape}), got {b.shape}")
    return Race(int(np.sum(a < b)), int(np.sum(b < a)), int(np.sum(a == b)))
