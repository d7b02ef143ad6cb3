"""Chapter 07: how well a model predicts a closing bracket or quote, by the distance to its opener
(for models trained with different truncation lengths), counted per file so that intervals can be
drawn over files."""
from __future__ import annotations

import dataclasses
import tokenize

import numpy as np

from ... import charlm
from ..i18n import tr
from ..tables import fixed_columns
from .corpus import VALID_BATCH, Corpus
from .tokens import line_offsets, python_tokens

CLOSERS = {"bracket": ")]}", "quote": "'\""}


def closers(text: str) -> dict:
    """Every closing bracket and every closing quote of a one-line string literal (not a triple
    quote) in ``text`` (Python source), with its opener, from ``tokenize``: kind -> ``(opener
    positions (K,), closer positions (K,))`` as int arrays. The distance is ``closer - opener``."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    starts = line_offsets(text)

    def at(pos):
        return starts[pos[0] - 1] + pos[1]

    out = {"bracket": ([], []), "quote": ([], [])}
    stack = []
    for tok in python_tokens(text):
        if tok.type == tokenize.OP and tok.string in "([{":
            stack.append(at(tok.start))
        elif tok.type == tokenize.OP and tok.string in ")]}":
            if stack:
                out["bracket"][0].append(stack.pop())
                out["bracket"][1].append(at(tok.start))
        elif tok.type == tokenize.STRING:
            body = tok.string.lstrip("rRbBuUfF")
            if body[:3] in ('"""', "'''") or tok.start[0] != tok.end[0]:
                continue
            a, b = at(tok.start), at(tok.end)
            out["quote"][0].append(a + len(tok.string) - len(body))
            out["quote"][1].append(b - 1)
    return {k: (np.array(o, dtype=np.int64), np.array(c, dtype=np.int64)) for k, (o, c) in out.items()}


DISTANCE_BINS = (1, 9, 33)
"""Left edges of the distance bins the chapter shows: 1-8 (within a chunk of 8), 9-32 and 33 and
more. Coarse on purpose: a bin must hold closers in most files for an interval over files to mean
something."""

FINE_BINS = (1, 3, 5, 9, 17, 33, 65)
"""The bins the sweeps record (1-2, 3-4, 5-8, 9-16, 17-32, 33-64, 65+); any coarser bins whose
edges are among these are sums of their columns (``merge_bins``)."""


def merge_bins(values, fine, coarse) -> np.ndarray:
    """``values (..., len(fine))`` counted in the bins ``fine`` summed into the bins ``coarse``
    (whose edges must be among ``fine``'s)."""
    fine, coarse = list(fine), list(coarse)
    if not set(coarse) <= set(fine) or coarse[0] != fine[0]:
        raise ValueError(f"coarse: expected edges among {fine} starting at {fine[0]}, got {coarse}")
    v = np.asarray(values, float)
    groups = np.searchsorted(coarse, fine, side="right") - 1
    out = np.zeros(v.shape[:-1] + (len(coarse),))
    for j, g in enumerate(groups):
        out[..., g] += v[..., j]
    return out


def _bin_labels(edges) -> list[str]:
    labels = []
    for a, b in zip(edges, list(edges[1:]) + [None]):
        labels.append(f"{a}+" if b is None else (f"{a}" if b == a + 1 else f"{a}-{b - 1}"))
    return labels


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CloserSites:
    """Every closer of one kind in a part of the corpus: ``opener``, ``closer`` (positions in the
    part's text), ``file`` (index of its file), ``which`` (its index in ``CLOSERS[kind]``)."""

    opener: np.ndarray
    closer: np.ndarray
    file: np.ndarray
    which: np.ndarray

    @property
    def distance(self) -> np.ndarray:
        return self.closer - self.opener


def closer_sites(corpus: Corpus, part: str = "valid") -> dict:
    """kind -> ``CloserSites`` of every closer in the ``part`` text (tokenized file by file)."""
    starts = corpus.starts(part)
    found = {k: [] for k in CLOSERS}
    for f, (name, start) in enumerate(starts.items()):
        text = corpus.files[name]
        for kind, (o, c) in closers(text).items():
            which = np.array([CLOSERS[kind].index(text[j]) for j in c], dtype=np.int64)
            found[kind].append((o + start, c + start, np.full(o.size, f), which))
    return {k: CloserSites(*(np.concatenate([part_[i] for part_ in v]) for i in range(4)))
            for k, v in found.items()}


def closer_ids(corpus: Corpus) -> np.ndarray:
    """The ids of every closer character, kind after kind (the ``keep`` of the pass)."""
    return np.concatenate([corpus.vocab.encode(s) for s in CLOSERS.values()])


def closer_counts(pos, logp, kept, sites: dict, n_files: int, n_chars: int, edges=DISTANCE_BINS) -> dict:
    """Per kind, per file and distance bin: ``count``, ``p`` (sum of the probability the model gave
    the right closer where it comes) and ``share`` (sum of that probability over the probability
    of all closers of its kind), each ``(n_files, bins)``, from one pass of
    ``charlm.next_char_log_probs(..., keep=closer_ids(corpus))`` over the part's ids
    (``n_chars``)."""
    full_logp = np.full(n_chars, np.nan)
    full_logp[pos] = logp
    full_kept = np.full((n_chars, kept.shape[1]), np.nan)
    full_kept[pos] = kept
    out, col = {}, 0
    for kind, chars in CLOSERS.items():
        s = sites[kind]
        at = s.closer - 1  # a closer is predicted after reading the character before it
        ok = ~np.isnan(full_logp[at])
        pr = np.exp(full_logp[at[ok]])
        tot = full_kept[at[ok], col:col + len(chars)].sum(axis=1)
        b = np.searchsorted(edges, s.distance[ok], side="right") - 1
        cell = s.file[ok] * len(edges) + b
        size = n_files * len(edges)
        out[kind] = {"count": np.bincount(cell, minlength=size).reshape(n_files, -1),
                     "p": np.bincount(cell, weights=pr, minlength=size).reshape(n_files, -1),
                     "share": np.bincount(cell, weights=pr / tot, minlength=size).reshape(n_files, -1)}
        col += len(chars)
    return out


def closer_frequencies(sites: dict, n_files: int, edges=DISTANCE_BINS) -> dict:
    """Per kind: the ``share`` (summed per file and bin, like ``closer_counts``) of a model that
    knows only how often each closer of the kind comes at that distance in these files (it gives
    each closer the share of its frequency): the baseline for ``share``."""
    out = {}
    for kind, chars in CLOSERS.items():
        s = sites[kind]
        b = np.searchsorted(edges, s.distance, side="right") - 1
        table = np.zeros((len(edges), len(chars)))
        np.add.at(table, (b, s.which), 1)
        with np.errstate(invalid="ignore"):
            freq = table / table.sum(axis=1, keepdims=True)
        per = np.zeros((n_files, len(edges)))
        np.add.at(per, (s.file, b), freq[b, s.which])
        out[kind] = per
    return out


def model_closer_counts(model, corpus: Corpus, *, sites: dict | None = None, edges=FINE_BINS) -> dict:
    """``closer_counts`` of ``model`` on the validation text (one pass, ``VALID_BATCH`` streams)."""
    sites = closer_sites(corpus) if sites is None else sites
    pos, logp, kept = charlm.next_char_log_probs(corpus.valid_ids, model, batch_size=VALID_BATCH,
                                                 keep=closer_ids(corpus))
    return closer_counts(pos, logp, kept, sites, len(corpus.valid_names), len(corpus.valid_ids), edges)


def bootstrap_files(values: np.ndarray, weights: np.ndarray, rng, *, draws: int = 2000,
                    level: float = 0.9) -> tuple[float, float]:
    """A percentile interval of ``sum(values) / sum(weights)`` when the files (the rows, axis 0)
    are drawn again with replacement: ``values, weights (F, ...)`` summed over every axis but the
    first. Returns ``(low, high)``."""
    v = np.asarray(values, float).reshape(len(values), -1).sum(axis=1)
    w = np.asarray(weights, float).reshape(len(weights), -1).sum(axis=1)
    gen = np.random.default_rng(rng)
    idx = gen.integers(0, len(v), size=(draws, len(v)))
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = v[idx].sum(axis=1) / w[idx].sum(axis=1)
    a = (1 - level) / 2
    return float(np.nanquantile(stats, a)), float(np.nanquantile(stats, 1 - a))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CloserTable:
    """For named groups of runs (e.g. ``"T=64"`` and ``"T=8"``, several seeds each), per kind of
    closer and distance bin: ``count`` (closers per file ``(F, bins)``), and per group ``p`` and
    ``share``, each ``(seeds, F, bins)`` sums (as ``closer_counts``); ``freq``: the frequency-only
    share ``(F, bins)`` per kind."""

    groups: tuple
    edges: tuple
    count: dict
    p: dict  # (group, kind) -> (seeds, F, bins)
    share: dict
    freq: dict

    @property
    def labels(self) -> list[str]:
        return _bin_labels(self.edges)

    def mean(self, group: str, kind: str, what: str = "p") -> np.ndarray:
        """Per bin, over every file and seed: the mean probability (``"p"``) or share."""
        v = (self.p if what == "p" else self.share)[group, kind]
        return v.sum(axis=(0, 1)) / (v.shape[0] * self.count[kind].sum(axis=0))

    def difference(self, a: str, b: str, kind: str, *, rng=0, draws: int = 2000):
        """Per bin: the mean ``p`` of group ``a`` minus group ``b`` (seeds averaged) and a 90%
        bootstrap interval over files; ``(diff (bins,), low (bins,), high (bins,))``."""
        pa = self.p[a, kind].mean(axis=0)  # (F, bins)
        pb = self.p[b, kind].mean(axis=0)
        n = self.count[kind]
        diff, lo, hi = [], [], []
        for k in range(n.shape[1]):
            diff.append(float((pa[:, k] - pb[:, k]).sum() / n[:, k].sum()))
            low, high = bootstrap_files(pa[:, k] - pb[:, k], n[:, k], [rng, k], draws=draws)
            lo.append(low)
            hi.append(high)
        return np.array(diff), np.array(lo), np.array(hi)

    def seeds_agreeing(self, a: str, b: str, kind: str) -> np.ndarray:
        """Per bin: in how many seed pairs (seed k of ``a`` against seed k of ``b``) ``a``'s mean
        ``p`` is higher."""
        pa = self.p[a, kind].sum(axis=1) / self.count[kind].sum(axis=0)
        pb = self.p[b, kind].sum(axis=1) / self.count[kind].sum(axis=0)
        return (pa > pb).sum(axis=0)

    def table(self, kind: str, a: str, b: str) -> str:
        """Rows: distance bins; columns: closers, the mean ``p`` of groups ``a`` and ``b``, their
        difference with its 90% interval over files, and in how many seeds ``a`` is ahead."""
        if kind not in CLOSERS:
            raise ValueError(f"kind: expected one of {tuple(CLOSERS)}, got {kind!r}")
        diff, lo, hi = self.difference(a, b, kind)
        wins = self.seeds_agreeing(a, b, kind)
        seeds = self.p[a, kind].shape[0]
        header = [(tr("distance"), tr("closers"), a + " p", b + " p", tr("difference"),
                   tr("90% interval over files"), tr("seeds {a} ahead", a=a))]
        closing = tr("closing brackets") if kind == "bracket" else tr("closing quotes")
        title = tr("{closing} ({closers}): p = mean probability of the right closer, {s} seeds per setting",
                   closing=closing, closers=" ".join(CLOSERS[kind]), s=seeds)
        pa, pb = self.mean(a, kind), self.mean(b, kind)
        rows = [(lab, int(self.count[kind][:, k].sum()), f"{pa[k]:.3f}", f"{pb[k]:.3f}", f"{diff[k]:+.3f}",
                 f"[{lo[k]:+.3f}, {hi[k]:+.3f}]", tr("{k} of {n}", k=int(wins[k]), n=seeds))
                for k, lab in enumerate(self.labels)]
        layout = [(">", 9), " ", (">", 8), " ", (">", 9), " ", (">", 9), " ", (">", 11), " ", (">", 24), " ",
                  (">", 16)]
        return title + "\n" + fixed_columns(layout, header, rows)


def closer_table(groups: dict, corpus: Corpus, *, edges=DISTANCE_BINS, recorded=FINE_BINS) -> CloserTable:
    """A ``CloserTable`` in the bins ``edges`` from ``groups``: name -> a list of runs, one per
    seed, each either ``closer_counts`` recorded in the bins ``recorded`` (as the sweeps store
    them) or a model to measure now."""
    if not groups:
        raise ValueError("groups: expected at least one group of runs, got none")
    sites = closer_sites(corpus)
    n_files = len(corpus.valid_names)
    p, share, count = {}, {}, {}
    for name, runs in groups.items():
        if not runs:
            raise ValueError(f"groups[{name!r}]: expected at least one run, got none")
        measured = [r if isinstance(r, dict) else model_closer_counts(r, corpus, sites=sites, edges=recorded)
                    for r in runs]
        for kind in CLOSERS:
            p[name, kind] = np.stack([merge_bins(m[kind]["p"], recorded, edges) for m in measured])
            share[name, kind] = np.stack([merge_bins(m[kind]["share"], recorded, edges) for m in measured])
            count[kind] = merge_bins(measured[0][kind]["count"], recorded, edges)
    return CloserTable(tuple(groups), tuple(edges), count, p, share, closer_frequencies(sites, n_files, edges))
