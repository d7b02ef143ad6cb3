"""Chapter 07: what the explorers compute: passages, a cell's view over a passage, samples."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import charlm
from ...charlm import ASCII, CharModel, Vocabulary
from ...models import model_of
from ..i18n import tr
from .cells import _GATES, CellSearch, _check_model_arg, trace
from .corpus import FEATURE_TITLES, FEATURES, Corpus, char_features, load_corpus
from .models import MODEL_SPECS


# ----------------------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------------------
def sample_table(model: CharModel, prime: str, *, temperatures=(0.5, 1.0, 1.5), length: int = 240,
                 seed: int = 0, vocab: Vocabulary = ASCII) -> str:
    """``length`` characters sampled after ``prime`` at each temperature (same seed), one block each."""
    blocks = []
    for tau in temperatures:
        text = charlm.sample_text(model, vocab, prime, length, temperature=tau, rng=seed)
        blocks.append(tr("--- temperature {tau:g} ---", tau=tau) + f"\n{prime}{text}")
    return "\n".join(blocks)


# ----------------------------------------------------------------------------------------------
# The explorers' computations
# ----------------------------------------------------------------------------------------------
PASSAGES = {
    "random: choice and shuffle": ("random", "    def choice(self, seq):"),
    "textwrap: dedent": ("textwrap", "def dedent(text):"),
    "textwrap: indent": ("textwrap", "def indent(text, prefix, predicate=None):"),
    "csv: Sniffer._guess_quote_and_delimiter": ("csv", "    def _guess_quote_and_delimiter("),
    "calendar: weekday and friends": ("calendar", "def weekday(year, month, day):"),
    "pprint: PrettyPrinter.__init__": ("pprint", "    def __init__(self, indent=1, width=80, depth=None, stream=None, *,"),
}
"""Validation passages the cell explorer offers: name -> (module, the line it starts with)."""


def passage(corpus: Corpus, name: str, max_chars: int = 500) -> str:
    """The passage ``name`` of ``PASSAGES``: from its first line, whole lines of the validation
    file up to ``max_chars`` characters, as they stand in the file."""
    if name not in PASSAGES:
        raise ValueError(f"name: expected one of {sorted(PASSAGES)}, got {name!r}")
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
    """What the cell explorer draws: the ``text``, the chosen cell's value ``cell (n,)`` and gates
    (name -> ``(n,)``), the ground-truth ``feature (n,)`` (NaN where tokenize gave up),
    ``feature_scaled`` (the same in [0, 1] for the picture), ``r_here`` (the cell's correlation
    with the feature in this text; NaN if undefined) and the ``title``."""

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


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


class CellLab:
    """The cell explorer's computation: a model, the ``CellSearch`` that names each feature's best
    cell, and the last text read (``trace`` runs again only when the text changes)."""

    def __init__(self, model: CharModel, search: CellSearch, corpus: Corpus | None = None):
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
        ``layer`` (0-based)."""
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
        gates = {g: d[g][:, unit] for g in _GATES[model_of(self.model.layers[layer]).name]}
        f = feats[feature]
        top = np.nanmax(f) if np.any(~np.isnan(f)) else 0.0
        scaled = f / top if top > 1 else f
        r = _corr(cell, f)
        bl, bu = self.search.best[feature]
        k = self.search.features.index(feature)
        best = (f"the best cell for '{FEATURE_TITLES[feature]}' (held-out r = {self.search.r_report[k, bl, bu]:+.2f})"
                if (bl, bu) == (layer, unit) else
                f"best for '{FEATURE_TITLES[feature]}': L{bl + 1}:{bu}, held-out r = {self.search.r_report[k, bl, bu]:+.2f}")
        here = "n/a" if np.isnan(r) else f"{r:+.2f}"
        title = f"layer {layer + 1}, cell {unit}: {best};  r in this text {here}"
        label = f"{FEATURE_TITLES[feature]}" + (f" (0 to {top:g})" if top > 1 else "")
        return CellView(text, layer, unit, cell, gates, f, scaled, label, r, title)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SampleView:
    """What the sampling explorer draws: the ``prime``, the sampled ``text``, the probability of
    each drawn character ``probs (len(text),)``, the ``title``."""

    prime: str
    text: str
    probs: np.ndarray
    title: str


def sample_view(models: dict, name: str, prime: str, temperature: float, seed: int, *,
                length: int = 400, vocab: Vocabulary = ASCII) -> SampleView:
    """``length`` characters of model ``name`` (of ``models``: name -> ``CharModel``) after
    ``prime`` at ``temperature`` with ``seed``."""
    if name not in models:
        raise ValueError(f"name: expected one of {sorted(models)}, got {name!r}")
    if not isinstance(prime, str) or not prime:
        prime = "\n"
    ids, probs = charlm.sample(models[name], vocab.encode(prime, errors="replace"), length,
                               temperature=temperature, rng=seed)
    text = vocab.decode(ids)
    low = float(np.mean(probs < 0.1))
    who = MODEL_SPECS[name].title if name in MODEL_SPECS else name
    title = (f"{who}, temperature {temperature:.2f}, seed {seed}: {len(text)} characters, "
             f"{100 * low:.0f}% of them drawn with probability below 0.1")
    return SampleView(prime, text, probs, title)
