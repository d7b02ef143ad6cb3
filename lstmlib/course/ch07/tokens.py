"""Chapter 07: Python's tokens as the chapter reads them, the same on every Python it supports.

The chapter's ground truth (inside a string, bracket depth, which quote closes which) comes from
``tokenize``, whose view of two things changed in Python 3.12 (PEP 701):

* an f-string used to be one ``STRING`` token; since 3.12 it is ``FSTRING_START``, pieces of text,
  the tokens of its replacement fields (their braces as operators) and ``FSTRING_END``. Here it is
  one ``STRING`` token again, from its prefix to its closing quote: the chapter counts the braces
  of ``f"{x}"`` as part of a string, not as brackets;
* text that is not valid Python: 3.11 reads a stray quote as an ``ERRORTOKEN`` and goes on, 3.12
  stops with ``TokenError``; 3.11 reads ``$``, ``?``, a backtick or a lone ``!`` as ``ERRORTOKEN``,
  3.12 as operators; an unclosed bracket at the end of the text ends 3.11's tokens with an error
  placed after the last line, 3.12's with one placed at the start. Here a stray quote always stops
  the tokens with ``TokenError("unterminated string literal", (row, col))``, stray characters are
  ``ERRORTOKEN``, and an unclosed bracket at the end simply ends the tokens (every one has come out).

A malformed f-string (``f"{a"``) is the one difference left: 3.11's tokenizer passes it as a
string, 3.12's stops there. The shipped corpus has none.
"""
from __future__ import annotations

import io
import tokenize
from collections.abc import Iterator

_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_QUOTES = ("'", '"')
_STRAY = ("$", "?", "`", "!")  # not Python outside an f-string: 3.11 reads them as ERRORTOKEN


def line_offsets(text: str) -> list[int]:
    """Where each line of ``text`` starts, and last its length: position ``(row, col)`` is character
    ``offsets[row - 1] + col``."""
    offsets, k = [0], 0
    for line in text.splitlines(keepends=True):
        k += len(line)
        offsets.append(k)
    return offsets


def python_tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens of ``text`` (Python source) as Python 3.11's ``tokenize.generate_tokens`` gives
    them, on any Python: each f-string one ``STRING`` token. Raises ``tokenize.TokenError`` (message,
    ``(row, col)``) where a string literal is left open on its line, or a triple-quoted one at the
    end of the text, and ``SyntaxError`` (``IndentationError``) for a dedent to no enclosing level."""
    starts = line_offsets(text)
    opened = []  # the FSTRING_START tokens of the f-strings we are inside (they nest)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if _FSTRING_START is not None and tok.type == _FSTRING_START:
                opened.append(tok)
            elif _FSTRING_END is not None and tok.type == _FSTRING_END:
                first = opened.pop()
                if not opened:  # the outermost f-string closed: one token, its source as it stands
                    a = starts[first.start[0] - 1] + first.start[1]
                    b = starts[tok.end[0] - 1] + tok.end[1]
                    yield tokenize.TokenInfo(tokenize.STRING, text[a:b], first.start, tok.end, first.line)
            elif opened:
                continue  # inside an f-string: part of its one token
            elif tok.type == tokenize.ERRORTOKEN and tok.string.isspace():
                continue  # 3.11's whitespace before a stray character; 3.12 gives none
            elif tok.type == tokenize.ERRORTOKEN and tok.string in _QUOTES:  # Python 3.11's open quote
                raise tokenize.TokenError("unterminated string literal", tok.start)
            elif tok.type == tokenize.OP and tok.string in _STRAY:  # 3.12+ calls these operators
                yield tok._replace(type=tokenize.ERRORTOKEN)
            else:
                yield tok
    except tokenize.TokenError as err:
        if "multi-line statement" in str(err.args[0]):
            return  # an unclosed bracket at the end of the text: every token has come out
        raise
