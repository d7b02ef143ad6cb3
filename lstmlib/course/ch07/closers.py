"""Chapter 07: how well a model predicts a closing bracket or quote, by the distance to its opener,
for models trained with different truncation lengths."""
from __future__ import annotations

import dataclasses
import io
import tokenize

import numpy as np

from ... import charlm
from ..i18n import tr
from .corpus import VALID_BATCH, Corpus, _line_offsets

# ----------------------------------------------------------------------------------------------
# Closing brackets and quotes: how far back can a model look?
# ----------------------------------------------------------------------------------------------
CLOSERS = {"bracket": ")]}", "quote": "'\""}


def closers(text: str) -> dict:
    """Every closing bracket and every closing quote of a one-line string literal (not a triple
    quote) in ``text`` (Python source), with its opener, from ``tokenize``: kind -> ``(opener
    positions (K,), closer positions (K,))`` as int arrays. The distance is ``closer - opener``."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    starts = _line_offsets(text)

    def at(pos):
        return starts[pos[0] - 1] + pos[1]

    out = {"bracket": ([], []), "quote": ([], [])}
    stack = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
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


DISTANCE_BINS = (1, 3, 5, 9, 17, 33, 65)
"""Left edges of the distance bins: 1-2, 3-4, 5-8, 9-16, 17-32, 33-64, 65 and more."""


def _bin_labels(edges) -> list[str]:
    labels = []
    for a, b in zip(edges, list(edges[1:]) + [None]):
        labels.append(f"{a}+" if b is None else (f"{a}" if b == a + 1 else f"{a}-{b - 1}"))
    return labels


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CloserTable:
    """For each model and each kind of closer (``"bracket"``, ``"quote"``), per distance bin
    (``edges``): ``count``, ``p`` the mean probability the model gave the right closing character
    where it comes, and ``share``: that probability divided by the probability of all closers of
    that kind (which bracket or which quote, given that one closes here); ``common``: the mean
    ``share`` of a model that knows only how often each closer of the kind comes at that distance
    (it gives each the share of its frequency: the sum of the squared frequencies). ``models``:
    names."""

    models: tuple
    edges: tuple
    count: dict  # kind -> (bins,)
    p: dict  # (model, kind) -> (bins,)
    share: dict  # (model, kind) -> (bins,)
    common: dict  # kind -> (bins,): the share a model knowing only the closers' frequencies would give

    @property
    def labels(self) -> list[str]:
        return _bin_labels(self.edges)

    def table(self, kind: str) -> str:
        """Rows: distance bins; columns: count, then ``p`` and ``share`` of each model."""
        if kind not in CLOSERS:
            raise ValueError(f"kind: expected one of {tuple(CLOSERS)}, got {kind!r}")
        which = tr("which")
        cols = "".join(f" {m + ' p':>9} {m + ' ' + which:>11}" for m in self.models)
        head = f"{tr('distance'):>9} {tr('count'):>6} {tr('freq only'):>9}{cols}"
        closing = tr("closing brackets") if kind == "bracket" else tr("closing quotes")
        rows = [tr("{closing}: p = probability of the right closer; which = its share among {closers}; freq only "
                   "= that share from the closers' frequencies alone", closing=closing,
                   closers=" ".join(CLOSERS[kind])),
                head, "-" * len(head)]
        for b, lab in enumerate(self.labels):
            vals = "".join(f" {self.p[m, kind][b]:>9.2f} {self.share[m, kind][b]:>11.2f}" for m in self.models)
            rows.append(f"{lab:>9} {self.count[kind][b]:>6} {self.common[kind][b]:>9.2f}{vals}")
        return "\n".join(rows)


def closer_table(models: dict, corpus: Corpus, *, edges=DISTANCE_BINS, batch_size: int = VALID_BATCH) -> CloserTable:
    """Run each model (name -> ``CharModel``) over the validation text (``batch_size`` streams,
    as ``charlm.evaluate``) and measure, for every closing bracket and quote of ``closers`` that it
    predicts, the probability it gave the right closer, by distance to the opener."""
    if not models:
        raise ValueError("models: expected at least one model, got none")
    edges = tuple(int(e) for e in edges)
    if list(edges) != sorted(set(edges)) or edges[0] < 1:
        raise ValueError(f"edges: expected increasing whole numbers >= 1, got {edges}")
    text, ids, vocab = corpus.valid_text, corpus.valid_ids, corpus.vocab
    found = {}
    for name, start in corpus.valid_starts.items():  # per file: tokenize needs whole files
        for kind, (o, c) in closers(corpus.files[name]).items():
            found.setdefault(kind, []).append((o + start, c + start))
    found = {k: (np.concatenate([a for a, _ in v]), np.concatenate([b for _, b in v])) for k, v in found.items()}
    keep_chars = {k: vocab.encode(s) for k, s in CLOSERS.items()}
    keep = np.concatenate(list(keep_chars.values()))
    count, p, share, common = {}, {}, {}, {}
    for kind, (o, c) in found.items():
        b = np.searchsorted(edges, c - o, side="right") - 1
        which = np.searchsorted(np.sort(keep_chars[kind]), ids[c])  # 0.. for the kind's closers
        table = np.zeros((len(edges), len(CLOSERS[kind])))
        np.add.at(table, (b, which), 1)
        with np.errstate(invalid="ignore"):
            freq = table / table.sum(axis=1, keepdims=True)
        common[kind] = np.sum(freq ** 2, axis=1)
    for name, model in models.items():
        pos, logp, kept = charlm.next_char_log_probs(model, ids, batch_size=batch_size, keep=keep)
        full_logp = np.full(len(text), np.nan)
        full_logp[pos] = logp
        full_kept = np.full((len(text), keep.size), np.nan)
        full_kept[pos] = kept
        col = 0
        for kind in CLOSERS:
            o, c = found[kind]
            k = len(CLOSERS[kind])
            at = c - 1  # the closer is predicted after reading the character before it
            ok = ~np.isnan(full_logp[at])
            d = (c - o)[ok]
            pr = np.exp(full_logp[at[ok]])
            tot = full_kept[at[ok], col:col + k].sum(axis=1)
            b = np.searchsorted(edges, d, side="right") - 1
            count[kind] = np.bincount(b, minlength=len(edges))
            with np.errstate(invalid="ignore"):
                p[name, kind] = np.bincount(b, weights=pr, minlength=len(edges)) / count[kind]
                share[name, kind] = np.bincount(b, weights=pr / tot, minlength=len(edges)) / count[kind]
            col += k
    return CloserTable(tuple(models), edges, count, p, share, common)
