"""Chapter 07: the shipped corpus (CPython's own modules, PSF license), its fixed split, and the
features ``tokenize`` gives every character (inside a string or comment, bracket depth, indent,
column)."""
from __future__ import annotations

import dataclasses
import functools
import tokenize
from pathlib import Path

import numpy as np

from ...charlm import ASCII, Vocabulary
from ..i18n import N_, tr
from ..tables import fixed_columns, wrap
from .tokens import line_offsets, python_tokens

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CORPUS_DIR = DATA_DIR / "python_stdlib"
MODELS_DIR = DATA_DIR / "charlm"
"""One file per shipped model (``<name>.npz``, ``lstmlib.saving``) and the sweeps' results (``*.json``)."""

TRAIN_FILES = (
    "argparse", "ast", "configparser", "dataclasses", "datetime", "difflib", "dis", "enum",
    "inspect", "optparse", "os", "pathlib", "pickle", "pydoc", "shutil", "string", "subprocess",
    "tarfile", "threading", "tokenize", "traceback", "typing",
)
"""The modules the models train on (22 files)."""

VALID_FILES = ("calendar", "contextlib", "csv", "gettext", "pprint", "queue", "random", "textwrap")
"""The held-out modules (8 files, other authors and subjects): validation bits per character and
every measurement of the chapter are on these, never seen in training."""

VALID_BATCH = 32
"""Validation text is scored as this many streams (``charlm.bits_per_char``), each from a zero state."""


# ----------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Corpus:
    """The text of every file (``files``: module name -> text, in the order of ``TRAIN_FILES`` then
    ``VALID_FILES``), the ``vocab`` (``charlm.ASCII``) and the split. ``train_text`` and
    ``valid_text`` are the files of each part joined in that order (every file ends with a
    newline); ``*_ids`` their character ids; ``valid_starts`` the offset of each validation file."""

    files: dict
    vocab: Vocabulary
    train_names: tuple
    valid_names: tuple

    @functools.cached_property
    def train_text(self) -> str:
        return "".join(self.files[n] for n in self.train_names)

    @functools.cached_property
    def valid_text(self) -> str:
        return "".join(self.files[n] for n in self.valid_names)

    @functools.cached_property
    def train_ids(self) -> np.ndarray:
        return self.vocab.encode(self.train_text)

    @functools.cached_property
    def valid_ids(self) -> np.ndarray:
        return self.vocab.encode(self.valid_text)

    @property
    def valid_starts(self) -> dict:
        """Module name -> offset of its first character in ``valid_text``."""
        return self.starts("valid")

    def starts(self, part: str) -> dict:
        """Module name -> offset of its first character in the ``part`` (``"train"`` or
        ``"valid"``) text."""
        names = _part_names(self, part)
        out, k = {}, 0
        for n in names:
            out[n] = k
            k += len(self.files[n])
        return out

    def file_index(self, part: str) -> np.ndarray:
        """For every character of the ``part`` text, the index of its file in that part's names
        ``(N,)`` int."""
        names = _part_names(self, part)
        return np.repeat(np.arange(len(names)), [len(self.files[n]) for n in names])

    def features(self, part: str) -> dict:
        """``char_features`` of the ``part`` text (per file, joined)."""
        return self.valid_features if part == "valid" else self.train_features

    @functools.cached_property
    def train_features(self) -> dict:
        """``char_features`` of every training file, joined: name -> ``(len(train_text),)``."""
        return _joined_features(self, self.train_names)

    @functools.cached_property
    def valid_features(self) -> dict:
        """``char_features`` of every validation file, joined: name -> ``(len(valid_text),)``."""
        return _joined_features(self, self.valid_names)

    def __repr__(self) -> str:
        return (f"Corpus({len(self.train_names)} training files, {len(self.train_text):,} characters; "
                f"{len(self.valid_names)} validation files, {len(self.valid_text):,} characters)")


def _part_names(corpus: Corpus, part: str) -> tuple:
    if part not in ("train", "valid"):
        raise ValueError(f"part: expected 'train' or 'valid', got {part!r}")
    return corpus.train_names if part == "train" else corpus.valid_names


def _joined_features(corpus: Corpus, names) -> dict:
    parts = [char_features(corpus.files[n]) for n in names]
    return {f: np.concatenate([p[f] for p in parts]) for f in FEATURES}


def load_corpus() -> Corpus:
    """The shipped corpus, read from ``data/python_stdlib/<module>.py.txt`` (about 2 ms; the caller
    keeps it: the notebook reads it once and hands it to what needs it)."""
    files = {}
    for name in TRAIN_FILES + VALID_FILES:
        files[name] = (CORPUS_DIR / f"{name}.py.txt").read_text(encoding="ascii")
    return Corpus(files, ASCII, TRAIN_FILES, VALID_FILES)


def corpus_table(corpus: Corpus) -> str:
    """The split: how many files and characters each part has, and which files (the list of
    modules wrapped to keep the table within 100 columns)."""
    layout = [("<", 11), " ", (">", 5), " ", (">", 12), " ", (">", 8), "   ", ("<", 0)]
    modules_at = sum(len(item) if isinstance(item, str) else item[1] for item in layout[:-1])
    header = [(tr("part"), tr("files"), tr("characters"), tr("lines"), tr("modules"))]
    rows = []
    for part, names in ((tr("training"), corpus.train_names), (tr("validation"), corpus.valid_names)):
        n = sum(len(corpus.files[k]) for k in names)
        lines = sum(corpus.files[k].count("\n") for k in names)
        modules = wrap(", ".join(names), 100 - modules_at)
        rows.append((part, len(names), f"{n:,}", f"{lines:,}", modules[0]))
        rows += [("", "", "", "", more) for more in modules[1:]]
    rows.append((tr("total"), len(corpus.files), f"{sum(len(t) for t in corpus.files.values()):,}", "", ""))
    note = tr("vocabulary: {n} characters (newline and the 95 printable ASCII characters)",
              n=len(corpus.vocab))
    return fixed_columns(layout, header, rows) + "\n" + note


# ----------------------------------------------------------------------------------------------
# Ground truth from tokenize
# ----------------------------------------------------------------------------------------------
FEATURES = ("string", "comment", "prose", "brackets", "paren", "indent", "column")
FEATURE_TITLES = {
    "string": N_("inside a string"),
    "comment": N_("inside a comment"),
    "prose": N_("inside a string or comment"),
    "brackets": N_("bracket depth"),
    "paren": N_("inside round parentheses"),
    "indent": N_("indentation level"),
    "column": N_("column in the line"),
}
"""Each feature describes the state *after* reading a character, as a model reading the text has
it: ``string`` is 1 from a string literal's opening quote up to the character before its closing
quote (prefix letters such as ``f`` are outside; in 3.11 an f-string is one literal); ``comment`` is
1 from ``#`` to the end of the line (the newline outside); ``prose``: either of the two (where the
text is words rather than code); ``brackets``: how many ``(``, ``[``, ``{`` are open (in code, not
in strings or comments); ``paren``: 1 while at least one round parenthesis ``(`` of code is open
(whatever square or curly brackets are open inside it); ``indent``: how many indented blocks
enclose the current line (tokenize's INDENT minus DEDENT, counted from the start of the line on
which they occur); ``column``: how many characters of the current line have been read (0 after a
newline)."""


def feature_titles() -> dict:
    """``FEATURE_TITLES`` in the course's language, for tables and controls (``FEATURE_TITLES``
    itself stays English: the figures use it)."""
    return {f: tr(t) for f, t in FEATURE_TITLES.items()}


def char_features(text: str) -> dict:
    """The ground truth of ``FEATURES`` for every character of ``text`` (Python source), from
    ``tokenize``: name -> float array ``(len(text),)``. Where ``tokenize`` stops on an error
    (text that is not valid Python), the features of the rest of the text are NaN."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    n = len(text)
    starts = line_offsets(text)

    def at(pos):
        row, col = pos
        return starts[row - 1] + col if row - 1 < len(starts) else n

    in_string = np.zeros(n)
    in_comment = np.zeros(n)
    bracket_delta = np.zeros(n + 1)
    paren_delta = np.zeros(n + 1)
    indent_delta = np.zeros(n + 1)
    known = n
    try:
        for tok in python_tokens(text):
            a, b = at(tok.start), at(tok.end)
            if tok.type == tokenize.STRING:
                s = tok.string
                body = s.lstrip("rRbBuUfF")
                quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
                in_string[a + len(s) - len(body):b - len(quote)] = 1.0
            elif tok.type == tokenize.COMMENT:
                in_comment[a:b] = 1.0
            elif tok.type == tokenize.OP and tok.string in "([{":
                bracket_delta[a] += 1
                paren_delta[a] += tok.string == "("
            elif tok.type == tokenize.OP and tok.string in ")]}":
                bracket_delta[a] -= 1
                paren_delta[a] -= tok.string == ")"
            elif tok.type == tokenize.INDENT:
                indent_delta[starts[tok.start[0] - 1]] += 1
            elif tok.type == tokenize.DEDENT:
                indent_delta[starts[tok.start[0] - 1]] -= 1
    except tokenize.TokenError as err:
        # an unterminated triple-quoted string: unknown from the line it starts on (an
        # unfinished bracket at the end of the text loses nothing: every token came out)
        row = err.args[1][0] if len(err.args) > 1 and isinstance(err.args[1], tuple) else len(starts)
        known = min(n, starts[min(max(row, 1), len(starts)) - 1])
    except SyntaxError as err:  # IndentationError: a dedent to no enclosing level
        known = min(n, starts[min(max(err.lineno or 1, 1), len(starts)) - 1])
    brackets = np.cumsum(bracket_delta)[:n]
    paren = (np.cumsum(paren_delta)[:n] > 0).astype(float)
    indent = np.cumsum(indent_delta)[:n]
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if n else np.zeros(0, np.uint32)
    newline = chars == ord("\n")
    # column after reading char t: characters since the last newline, the newline itself -> 0
    idx = np.arange(n)
    last_nl = np.maximum.accumulate(np.where(newline, idx, -1)) if n else idx
    column = (idx - last_nl).astype(float)
    out = {"string": in_string, "comment": in_comment, "prose": np.maximum(in_string, in_comment),
           "brackets": brackets, "paren": paren, "indent": indent, "column": column}
    if known < n:
        for f in ("string", "comment", "prose", "brackets", "paren", "indent"):
            out[f][known:] = np.nan
    return out
