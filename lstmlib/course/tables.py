"""Plain-text tables that line up in any language: widths measured on screen, not in characters.

A Chinese character takes two columns of a monospaced screen, an ASCII one takes one, so a header
padded with ``f"{text:<12}"`` drifts as soon as it is translated. Everything here measures with
``wcwidth`` (the display width terminals and Jupyter use)::

    print(table([("model", "<"), ("bits/char", ">")], [("LSTM", "2.01"), ("GRU", "2.13")]))
"""
from __future__ import annotations

from typing import Sequence

from wcwidth import wcswidth

__all__ = ["width", "pad", "table", "rule_for"]


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
