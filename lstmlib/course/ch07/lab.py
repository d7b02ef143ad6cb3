"""Chapter 07: what the explorers compute: passages, a cell's view over a passage, samples; and the
checks of a reader's odd input (a seed, a primer with characters the model does not know)."""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ... import charlm
from ...charlm import ASCII, Vocabulary
from ...network import SequenceModel
from ..i18n import N_, tr
from .cells import CellSearch, _check_model_arg, trace
from .corpus import FEATURE_TITLES, FEATURES, Corpus, char_features, load_corpus
from .models import MODEL_SPECS


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an int, if it is a whole number >= 0 (what ``np.random.default_rng`` takes)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name}: expected a whole number >= 0, got {seed!r}")
    return int(seed)


def outside_notice(text: str, vocab: Vocabulary) -> str:
    """A sentence naming the characters of ``text`` outside ``vocab`` and what the model reads
    instead ("" when there are none)."""
    missing = vocab.missing(text)
    if not missing:
        return ""
    return tr("{chars} not among the model's {n} characters: read as {rep!r}",
              chars=", ".join(repr(ch) for ch in missing), n=len(vocab), rep=vocab.replacement)


def _encode(prime: str, vocab: Vocabulary, errors: str) -> tuple[np.ndarray, str]:
    """The ids of ``prime`` and the notice for what was replaced; ``errors="strict"`` refuses a
    character outside the vocabulary, naming it."""
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime: expected a non-empty string, got {prime!r}")
    if errors == "strict" and vocab.missing(prime):
        raise ValueError(f"prime: expected characters among the model's {len(vocab)}, got "
                         f"{', '.join(repr(c) for c in vocab.missing(prime))} (pass errors='replace' to read "
                         f"them as {vocab.replacement!r})")
    return vocab.encode(prime, errors="replace"), outside_notice(prime, vocab)


# ----------------------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------------------
def sample_table(model: SequenceModel, prime: str, *, temperatures=(0.5, 1.0, 1.5), length: int = 240,
                 seed: int = 0, vocab: Vocabulary = ASCII, errors: str = "strict") -> str:
    """``length`` characters sampled after ``prime`` at each temperature (the same seed for each),
    one block each. A character of ``prime`` outside ``vocab`` is refused, naming it; with
    ``errors="replace"`` it is read as the replacement character and a first line says so."""
    seed = check_seed(seed)
    ids, notice = _encode(prime, vocab, errors)
    shown = vocab.decode(ids)  # the primer as the model read it
    blocks = [tr("note: {notice}", notice=notice)] if notice else []
    for tau in temperatures:
        out, _ = charlm.sample(ids, model, length, seed, temperature=tau)
        blocks.append(tr("--- temperature {tau:g} ---", tau=tau) + f"\n{shown}{vocab.decode(out)}")
    return "\n".join(blocks)


# ----------------------------------------------------------------------------------------------
# The explorers' computations
# ----------------------------------------------------------------------------------------------
PASSAGES = {
    N_("random: choice and shuffle"): ("random", "    def choice(self, seq):"),
    N_("textwrap: dedent"): ("textwrap", "def dedent(text):"),
    N_("textwrap: indent"): ("textwrap", "def indent(text, prefix, predicate=None):"),
    N_("csv: Sniffer._guess_quote_and_delimiter"): ("csv", "    def _guess_quote_and_delimiter("),
    N_("calendar: weekday and friends"): ("calendar", "def weekday(year, month, day):"),
    N_("pprint: PrettyPrinter.__init__"): ("pprint", "    def __init__(self, indent=1, width=80, depth=None, stream=None, *,"),
}
"""Validation passages the cell explorer offers: name -> (module, the line it starts with)."""

THUMBNAIL_TEXT = "if n > 0:\n    f(x[i], (a, b))\n"
"""Two short lines for the chapter's thumbnail: brackets of three kinds, nested."""


def passage(corpus: Corpus, name: str, max_chars: int = 500) -> str:
    """The passage ``name`` of ``PASSAGES``: from its first line, whole lines of the validation
    file up to ``max_chars`` characters, as they stand in the file."""
    if name not in PASSAGES:
        raise ValueError(f"passage: expected one of {sorted(PASSAGES)}, got {name!r}")
    module, first = PASSAGES[name]
    text = corpus.files[module]
    start = text.index("\n" + first) + 1
    out, n = [], 0
    for line in text[start:].splitlines(keepends=True):
        if n + len(line) > max_chars:
            break
        out.append(line)
        n += len(line)
    return "".join(out)


def text_features(corpus: Corpus, text: str) -> dict:
    """``char_features`` of ``text``, except when ``text`` is a stretch of the validation text:
    then its slice of ``corpus.valid_features`` (a passage cut out of a file may end inside a
    string or a bracket, where ``tokenize`` alone would give up)."""
    k = corpus.valid_text.find(text) if text else -1
    if k >= 0:
        return {f: v[k:k + len(text)] for f, v in corpus.valid_features.items()}
    return char_features(text)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CellView:
    """What the cell explorer draws: the ``text`` as the model read it, the chosen cell's value
    ``cell (n,)`` and gates (letter -> ``(n,)``), the ground-truth ``feature (n,)`` (NaN where
    tokenize gave up), ``feature_scaled`` (the same in [0, 1] for the picture), ``r_here`` (the
    cell's correlation with the feature in this text; NaN if undefined), the ``title`` and a
    ``notice`` naming characters the model could not read ("" when none)."""

    text: str
    layer: int
    unit: int
    cell: np.ndarray
    gates: dict
    feature: np.ndarray
    feature_scaled: np.ndarray
    feature_label: str
    r_here: float
    title: str
    notice: str = ""


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


class CellLab:
    """The cell explorer's computation: a model, the ``CellSearch`` that names each feature's best
    cell, and the last text read (``trace`` runs again only when the text changes)."""

    def __init__(self, model: SequenceModel, search: CellSearch, corpus: Corpus | None = None):
        _check_model_arg(model)
        self.model, self.search = model, search
        self.corpus = load_corpus() if corpus is None else corpus
        self.vocab = self.corpus.vocab
        self._text, self._trace, self._features = None, None, None

    def _read(self, text: str):
        if text != self._text:
            self._trace = trace(self.model, text, self.vocab)
            self._features = text_features(self.corpus, text)
            self._text = text
        return self._trace, self._features

    def view(self, text: str, feature: str, layer: int, unit: int) -> CellView:
        """The picture's data for ``text``, the ground truth ``feature`` and cell ``unit`` of
        ``layer`` (0-based). Characters outside the vocabulary are shown as the model read them
        (the replacement character) and named in ``notice``."""
        if feature not in FEATURES:
            raise ValueError(f"feature: expected one of {FEATURES}, got {feature!r}")
        if not isinstance(text, str) or not text.strip():
            text = " "
        read, feats = self._read(text)
        if not 0 <= layer < len(read.layers):
            raise ValueError(f"layer: expected 0 to {len(read.layers) - 1}, got {layer}")
        H = read.layers[layer]["cell"].shape[1]
        if not 0 <= unit < H:
            raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
        d = read.layers[layer]
        cell = d["cell"][:, unit]
        gates = {g: v[:, unit] for g, v in d.items() if g not in ("cell", "h")}
        f = feats[feature]
        top = np.nanmax(f) if np.any(~np.isnan(f)) else 0.0
        scaled = f / top if top > 1 else f
        r = _corr(cell, f)
        bl, bu = self.search.best[feature]
        k = self.search.features.index(feature)
        name = FEATURE_TITLES[feature]
        held = self.search.r_report[k, bl, bu]
        best = (f"the best cell for '{name}' (validation r = {held:+.2f})" if (bl, bu) == (layer, unit) else
                f"best for '{name}': L{bl + 1}:{bu}, validation r = {held:+.2f}")
        here = "n/a" if np.isnan(r) else f"{r:+.2f}"
        title = f"layer {layer + 1}, cell {unit}: {best};  r in this text {here}"
        label = name + (f" (0 to {top:g})" if top > 1 else "")
        shown = self.vocab.decode(self.vocab.encode(text, errors="replace"))
        return CellView(shown, layer, unit, cell, gates, f, scaled, label, r, title, outside_notice(text, self.vocab))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SampleView:
    """What the sampling explorer draws: the ``prime`` as the model read it, the sampled
    ``text``, the probability of each drawn character ``probs (len(text),)``, the ``title`` and a
    ``notice`` naming characters of the primer the model could not read ("" when none)."""

    prime: str
    text: str
    probs: np.ndarray
    title: str
    notice: str = ""


def model_title(name: str, model: SequenceModel, *, translated: bool = False) -> str:
    """How a model is named to a reader: its spec's title for a shipped one (``"LSTM 2x256, T=64,
    dropout 0.25"``; in the course's language with ``translated``, as dropdowns show it; figures
    keep English), else its ``describe()``."""
    if name not in MODEL_SPECS:
        return f"{name}: {model.describe()}"
    return MODEL_SPECS[name].title_in() if translated else MODEL_SPECS[name].title


def sample_view(models: dict, name: str, prime: str, temperature: float, seed: int, *,
                length: int = 400, vocab: Vocabulary = ASCII) -> SampleView:
    """``length`` characters of model ``name`` (of ``models``: name -> ``SequenceModel``) after
    ``prime`` at ``temperature`` with ``seed``; characters of the primer outside ``vocab`` are read
    as its replacement character and named in the notice."""
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models: expected a dict of at least one name -> model, got {models!r}")
    if name not in models:
        raise ValueError(f"name: expected one of {sorted(models)}, got {name!r}")
    seed = check_seed(seed)
    if not isinstance(prime, str) or not prime:
        prime = "\n"
    ids, notice = _encode(prime, vocab, "replace")
    out, probs = charlm.sample(ids, models[name], length, seed, temperature=temperature)
    text = vocab.decode(out)
    low = float(np.mean(probs < 0.1))
    title = (f"{model_title(name, models[name])}, temperature {temperature:.2f}, seed {seed}: {len(text)} "
             f"characters, {100 * low:.0f}% of them drawn with probability below 0.1")
    return SampleView(vocab.decode(ids), text, probs, title, notice)
