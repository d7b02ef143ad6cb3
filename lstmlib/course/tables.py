"""Plain-text tables that line up in any language: widths measured on screen, not in characters.

A Chinese character takes two columns of a monospaced screen, an ASCII one takes one, so a header
padded with ``f"{text:<12}"`` drifts as soon as it is translated. Everything here measures with
``wcwidth`` (the display width terminals and Jupyter use)::

    print(table([("model", "<"), ("bits/char", ">")], [("LSTM", "2.01"), ("GRU", "2.13")]))
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple, Sequence

from wcwidth import wcswidth

__all__ = ["width", "pad", "table", "rule_for", "Span", "fixed_columns", "wrap"]


def width(text: str) -> int:
    """How many columns ``text`` takes on a monospaced screen (a CJK character counts 2)."""
    w = wcswidth(text)
    return len(text) if w < 0 else w  # control characters: count them as one column each


def pad(text, columns: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``columns`` display columns: ``align`` ``"<"`` (left), ``">"``
    (right) or ``"^"`` (centre). Text already wider is returned unchanged."""
    text = str(text)
    if align not in ("<", ">", "^"):
        raise ValueError(f"align: expected '<', '>' or '^', got {align!r}")
    extra = max(0, columns - width(text))
    if align == "<":
        return text + " " * extra
    if align == ">":
        return " " * extra + text
    return " " * (extra // 2) + text + " " * (extra - extra // 2)


def table(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence], *, gap: int | Sequence[int] = 2,
          rule: str = "-", notes: Sequence[str] = (), widths: Sequence[int] | None = None) -> str:
    """A table: ``columns`` are ``(header, align)`` pairs, ``rows`` sequences of cells (already
    formatted strings, or anything ``str`` gives). Each column is as wide as its widest cell on
    screen, and at least ``widths[j]`` when given; ``gap`` spaces stand between two columns (one
    number for all, or one per pair of neighbours); a rule as wide as the header line follows the
    header; ``notes`` are lines after the rows."""
    headers = [str(h) for h, _ in columns]
    aligns = [a for _, a in columns]
    cells = [[str(c) for c in row] for row in rows]
    for k, row in enumerate(cells):
        if len(row) != len(columns):
            raise ValueError(f"rows[{k}]: expected {len(columns)} cells like columns, got {len(row)}")
    least = [0] * len(columns) if widths is None else list(widths)
    if len(least) != len(columns):
        raise ValueError(f"widths: expected {len(columns)} numbers like columns, got {len(least)}")
    gaps = [gap] * (len(columns) - 1) if isinstance(gap, int) else list(gap)
    if len(gaps) != len(columns) - 1 or any(not isinstance(g, int) or g < 0 for g in gaps):
        raise ValueError(f"gap: expected a whole number >= 0 or {len(columns) - 1} of them, got {gap!r}")
    sizes = [max([least[j], width(h)] + [width(r[j]) for r in cells]) for j, h in enumerate(headers)]

    def line(items, rstrip=True):
        out = pad(items[0], sizes[0], aligns[0])
        for g, t, w, a in zip(gaps, items[1:], sizes[1:], aligns[1:]):
            out += " " * g + pad(t, w, a)
        return out.rstrip() if rstrip else out

    out = [line(headers), rule * width(line(headers, rstrip=False))]
    out += [line(r) for r in cells]
    return "\n".join(out + list(notes))


def rule_for(header: str, char: str = "-") -> str:
    """A rule as wide on screen as ``header``."""
    return char * width(header)


# ---- tables laid out like fixed-width format strings, measured on screen ---------------------------
class Span(NamedTuple):
    """A header cell over ``columns`` neighbouring columns (and the separators between them),
    aligned ``align`` within them."""

    text: str
    columns: int
    align: str = "<"


def _cells(row, n: int, where: str) -> list[tuple[int, int, str, str | None]]:
    """``(first column, column count, text, align or None)`` of each cell of ``row``."""
    out, j = [], 0
    for cell in row:
        if isinstance(cell, Span):
            if cell.align not in ("<", ">", "^"):
                raise ValueError(f"{where}: expected a Span aligned '<', '>' or '^', got {cell.align!r}")
            out.append((j, cell.columns, str(cell.text), cell.align))
            j += cell.columns
        else:
            out.append((j, 1, str(cell), None))
            j += 1
    if j != n:
        raise ValueError(f"{where}: expected cells covering {n} columns like layout, got {j}")
    return out


def fixed_columns(layout: Sequence, header: Sequence[Sequence], rows: Sequence[Sequence], *, gap: int = 1,
                  rule: str | None = "-") -> str:
    """A table laid out like code that pads with fixed widths (``f"{a:<12}{b:>8}  {c}"``), measured
    on screen, so that it lines up in any language.

    ``layout`` lists the columns, ``(align, width)`` each (the width the English text was laid out
    in), with literal separators (strings such as ``"  "``) between them where the layout has them.
    ``header`` and ``rows`` are rows of cells, one per column (a ``Span`` covers several). A column
    keeps its width while its cells fit, so English laid out for these widths comes out as before;
    it grows (by display width) when a cell would leave less than ``gap`` spaces to its neighbour.
    A ``rule`` line as wide as the widest line follows the header (``None``: no rule). Lines carry
    no trailing spaces."""
    cols = [item for item in layout if not isinstance(item, str)]
    for k, (align, w) in enumerate(cols):
        if align not in ("<", ">", "^") or isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise ValueError(f"layout[{k}]: expected (align '<', '>' or '^', width >= 0), got {(align, w)!r}")
    seps, pending = [], ""  # seps[j]: the literal text after column j
    for item in layout:
        if isinstance(item, str):
            pending += item
        else:
            seps.append(pending)
            pending = ""
    seps = seps[1:] + [pending]
    n = len(cols)
    head_cells = [_cells(r, n, f"header[{k}]") for k, r in enumerate(header)]
    row_cells = [_cells(r, n, f"rows[{k}]") for k, r in enumerate(rows)]
    widths = [w for _, w in cols]

    def span_width(j, m):
        return sum(widths[j:j + m]) + sum(width(s) for s in seps[j:j + m - 1])

    for _ in range(4 * n + 4):  # widths only grow; a few passes settle them
        grown = False
        for cells in head_cells + row_cells:
            for j, m, text, align in cells:  # a cell wider than its columns widens them
                need = width(text) - span_width(j, m)
                if need > 0 and j + m == n:  # the last column is open-ended: it takes it all
                    widths[n - 1] += need
                elif need > 0:  # evenly
                    for k in range(m):
                        widths[j + k] += need // m + (k >= m - need % m)
                grown = grown or need > 0
            for (j, m, a, al), (j2, m2, b, bl) in zip(cells, cells[1:]):  # the space between neighbours
                left_align = al or cols[j + m - 1][0]
                right_align = bl or cols[j2][0]
                spare_left = span_width(j, m) - width(a)
                spare_right = span_width(j2, m2) - width(b)
                between = width(seps[j + m - 1])
                between += {"<": spare_left, "^": spare_left - spare_left // 2}.get(left_align, 0)
                between += {">": spare_right, "^": spare_right // 2}.get(right_align, 0)
                if a and b and between < gap and (left_align != ">" or right_align != "<"):
                    widths[j + m - 1 if left_align != ">" else j2] += gap - between
                    grown = True
        if not grown:
            break

    def render(cells):
        out = ""
        for j, m, text, align in cells:
            out += pad(text, span_width(j, m), align or cols[j][0])
            out += seps[j + m - 1]
        return out.rstrip()

    head = [render(c) for c in head_cells]
    body = [render(c) for c in row_cells]
    out = list(head)
    if rule:
        out.append(rule * max([width(x) for x in head + body] or [0]))
    return "\n".join(out + body)


# ---- wrapping by display width ---------------------------------------------------------------------
_CLOSING = set("，。、；：？！）》」』】”’％")
_OPENING = set("（《「『【“‘")
_RELATIONS = {"=", "<", ">", "<=", ">=", "~", "≈", "x", "×", "±", "->", "→"}
_NUMBER = re.compile(r"^[(\[]*[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?%?[)\],;:.]*$")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Words, runs of spaces, and each wide (CJK) character on its own."""
    out = []
    for chunk in re.split(r"(\s+)", text):
        if not chunk or chunk.isspace():
            out += [chunk] if chunk else []
            continue
        word = ""
        for ch in chunk:
            if _wide(ch):
                out += ([word] if word else []) + [ch]
                word = ""
            else:
                word += ch
        out += [word] if word else []
    return out


def _glued(a: str, b: str) -> bool:
    """Whether the space between tokens ``a`` and ``b`` must not become a line break: beside a wide
    character (Chinese spaces numbers and Latin words off, and those stay with their neighbours:
    "第 275 步"), around a relation ("b_f = 1", "p < 1e-6"), and between two numbers ("0.165, 0.167")."""
    if _wide(a[-1]) or _wide(b[0]):
        return True
    if a in _RELATIONS or b in _RELATIONS:
        return True
    return bool(_NUMBER.match(a) and _NUMBER.match(b))


def _joinable(a: str, b: str) -> bool:
    """Whether a line may break between tokens ``a`` and ``b`` written without a space: between two
    wide characters, after wide punctuation, before an opening bracket, never before closing
    punctuation or after an opening one."""
    if b[0] in _CLOSING or a[-1] in _OPENING:
        return False
    return (_wide(a[-1]) and _wide(b[0])) or a[-1] in _CLOSING or b[0] in _OPENING


def wrap(text: str, columns: int, *, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """``text`` in lines at most ``columns`` wide on screen (a line holding one unbreakable piece
    wider than that is the exception), like ``textwrap.wrap`` but measured by display width and
    breaking where Chinese text may break: between Chinese characters (not before closing
    punctuation), at spaces between Latin words, never between a number and its unit or neighbour
    (``_glued``)."""
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns: expected a whole number >= 1, got {columns!r}")
    tokens = _tokens(" ".join(text.split()))
    pieces: list[tuple[str, str]] = []  # (what joins it to the piece before: "", " " or None, the piece)
    for k, tok in enumerate(tokens):
        if tok.isspace():
            continue
        before = tokens[k - 1] if k else None
        if not pieces:
            pieces.append((None, tok))
        elif before is not None and before.isspace():
            prev = tokens[k - 2]
            if _glued(prev, tok):
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + " " + tok)
            else:
                pieces.append((" ", tok))
        elif _joinable(before, tok):
            pieces.append(("", tok))
        else:
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + tok)
    lines, line, indent = [], "", initial_indent
    for join, piece in pieces:
        if line and width(indent + line + (join or "") + piece) <= columns:
            line += (join or "") + piece
        else:
            if line:
                lines.append(indent + line)
                indent = subsequent_indent
            line = piece
    if line:
        lines.append(indent + line)
    return lines
