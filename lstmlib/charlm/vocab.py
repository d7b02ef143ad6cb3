"""The characters a model reads and writes, and their ids."""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Vocabulary", "ASCII"]


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The characters a model reads and writes; a character's id is its index in ``chars``.

    ``replacement``: the character that ``encode(text, errors="replace")`` writes for one the
    vocabulary lacks (``None``: no replacing; it must be in ``chars`` when given)."""

    chars: str
    replacement: str | None = None

    def __post_init__(self):
        if not isinstance(self.chars, str) or not self.chars:
            raise ValueError(f"chars: expected a non-empty string, got {self.chars!r}")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("chars: expected every character once, got repeated characters")
        if self.replacement is not None and (not isinstance(self.replacement, str)
                                             or self.replacement not in self.chars):
            raise ValueError(f"replacement: expected None or a character of chars, got {self.replacement!r}")
        object.__setattr__(self, "_index", {ch: k for k, ch in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str, replacement: str | None = None) -> "Vocabulary":
        """Every character of ``text``, sorted, once (and ``replacement``, if given, added)."""
        if not isinstance(text, str) or not text:
            raise ValueError(f"text: expected a non-empty string, got {text!r:.40}")
        chars = set(text) | ({replacement} if replacement else set())
        return cls("".join(sorted(chars)), replacement)

    def __len__(self) -> int:
        return len(self.chars)

    def missing(self, text: str) -> str:
        """The characters of ``text`` outside the vocabulary, sorted, each once."""
        if not isinstance(text, str):
            raise ValueError(f"text: expected a string, got {type(text).__name__}")
        return "".join(sorted(set(text) - set(self._index)))

    def encode(self, text: str, errors: str = "strict") -> np.ndarray:
        """The ids of ``text`` ``(len(text),)`` int64. ``errors="strict"`` refuses a character
        outside the vocabulary, naming it; ``"replace"`` writes ``replacement`` for it."""
        if errors not in ("strict", "replace"):
            raise ValueError(f"errors: expected 'strict' or 'replace', got {errors!r}")
        missing = self.missing(text)
        if missing and (errors == "strict" or self.replacement is None):
            shown = ", ".join(repr(ch) for ch in missing[:5]) + (" and more" if len(missing) > 5 else "")
            why = "" if errors == "strict" else " (this vocabulary has no replacement character)"
            raise ValueError(f"text: expected characters of the vocabulary, got {shown}{why}")
        index = self._index
        rep = index.get(self.replacement)
        return np.fromiter((index.get(ch, rep) for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text of ``ids`` (any integer array or sequence)."""
        ids = np.asarray(ids)
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(f"ids: expected integers in [0, {len(self.chars)}), got {ids.dtype} values")
        return "".join(self.chars[k] for k in ids.ravel())


ASCII = Vocabulary("\n" + "".join(chr(k) for k in range(32, 127)), replacement="?")
"""The newline and the 95 printable ASCII characters (space to ``~``): 96 ids, newline first; a
character outside it encodes as ``?`` with ``errors="replace"``."""
