"""A number in a chapter's prose must be one its code cells print (or set).

Every decimal number, power of ten and percentage in a markdown cell is looked up in the same
notebook: in the text its code cells printed (rounded to the precision the prose quotes), or
literally in a code cell's source (a setting such as ``rho = 0.9`` is not a claim). A number that
is neither fails the test, with its chapter, cell and context, so that prose cannot drift from the
outputs when a computation changes. Numbers that are definitions rather than results (``1/4`` as
``0.25``, a tolerance) may be listed, with the reason, in the notebook's metadata under
``lstm_course`` / ``prose_constants``: ``{"0.25": "the largest slope of the sigmoid"}``.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].glob("notebooks/**/*.ipynb"))

_NUMBER = re.compile(r"""
    (?P<tenpow>(?:(?P<mant>\d+(?:\.\d+)?)\s*(?:\\cdot|\\times|×|·)\s*)?10\^\{?(?P<exp>[-−]?\d+)\}?)
  | (?P<sci>\d+(?:\.\d+)?[eE][-+−]?\d+)
  | (?P<pct>\d+(?:\.\d+)?)\s*(?:\\%|%)
  | (?P<dec>(?<![\w.^{])\d+\.\d+(?!\w|\.\d))
""", re.VERBOSE)
_OUTPUT_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _text_outputs(nb) -> str:
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                parts.append("".join(out["text"]))
            elif out["output_type"] in ("execute_result", "display_data"):
                for kind in ("text/plain", "text/markdown", "text/html"):
                    parts.append("".join(out.get("data", {}).get(kind, "")))
    return "\n".join(parts)


def _code(nb) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def _numbers(text: str) -> list[float]:
    out = []
    for tok in _OUTPUT_NUMBER.findall(text):
        try:
            out.append(float(tok))
        except ValueError:
            pass
    return out


def _sig(s: str) -> int:
    digits = s.replace(".", "").lstrip("0") or "0"
    return max(1, len(digits))


def _within(value: float, half_unit: float, printed: list[float]) -> bool:
    """Whether a printed number lies in ``value +- half_unit`` (the numbers that round to what the
    prose wrote; inclusive, as a printed number may itself be rounded already)."""
    slack = half_unit * (1 + 1e-9)
    return any(abs(abs(y) - value) <= slack for y in printed)


def _matches(value: float, text_digits: str, printed: list[float], decimals: bool = True) -> bool:
    """Whether some printed number, rounded to the precision ``text_digits`` shows, is ``value``:
    to as many decimals (unless ``decimals`` is False: a mantissa), or significant digits."""
    if decimals and "." in text_digits and _within(value, 0.5 * 10 ** -len(text_digits.split(".")[1]), printed):
        return True
    if value == 0:
        return False
    unit = 10 ** (math.floor(math.log10(value)) - _sig(text_digits) + 1)
    return _within(value, 0.5 * unit, printed)


def claims(nb) -> list[tuple[int, str, str]]:
    """``(cell index, number as written, context)`` of every prose number not backed by an output
    or a code cell of ``nb``."""
    printed = _numbers(_text_outputs(nb))
    code = _code(nb)
    exempt = set(nb.get("metadata", {}).get("lstm_course", {}).get("prose_constants", {}))
    bad = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets are not prose
        text = re.sub(r"<img[^>]*>", "", text)
        for m in _NUMBER.finditer(text):
            written = m.group(0).strip()
            if re.fullmatch(r"0\d\.\d+", written):  # an exercise's label, "Exercise 01.2"
                continue
            if written in exempt or written.replace(" ", "") in exempt:
                continue
            context = text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            if m.group("tenpow"):
                exp = int(m.group("exp").replace("−", "-"))
                mant = m.group("mant")
                if mant is None:  # "about 10^{-15}": an order of magnitude, or a setting
                    ok = any(y > 0 and exp in (round(math.log10(y)), math.floor(math.log10(y)))
                             for y in printed) or re.search(rf"\b1e{exp}\b|\b1e-0{-exp}\b", code) is not None
                else:
                    ok = _matches(float(mant) * 10.0 ** exp, mant, printed, decimals=False)
            elif m.group("sci"):
                digits = m.group("sci").replace("−", "-")
                mant = re.split("[eE]", digits)[0]
                ok = digits in code or _matches(float(digits), mant, printed, decimals=False)
            else:
                digits = m.group("pct") or m.group("dec")
                value = float(digits)
                ok = digits in code or _matches(value, digits, printed)
                if not ok and m.group("pct"):  # 6% may be printed as 0.06
                    ok = _matches(value / 100, f"{value / 100:.{max(2, len(digits))}f}".rstrip("0"), printed)
            if not ok:
                bad.append((i, written, context))
    return bad


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(p.parents[1] if p.parent.name == "zh" else p.parent).as_posix() for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_printed_by_the_chapter(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    bad = claims(nb)
    assert not bad, f"{path.name}: {len(bad)} number(s) in the prose that no output prints:\n" + "\n".join(
        f"  cell {i}: {w!r} in ...{ctx}..." for i, w, ctx in bad)


def test_the_check_catches_a_number_that_drifted():
    nb = {"metadata": {}, "cells": [
        {"cell_type": "code", "source": "print(round(2 / 3, 4))", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "0.6667\n1.78e-15\n"}]},
        {"cell_type": "markdown", "source": "The ratio is 0.67, about 0.6667, and 1.8e-15, "
                                             "about $10^{-15}$, or $1.78\\cdot10^{-15}$; 67%."},
        {"cell_type": "markdown", "source": "But 0.68 and 2.3e-15 and $10^{-12}$ are not printed."},
    ]}
    bad = claims(nb)
    assert [w for _, w, _ in bad] == ["0.68", "2.3e-15", "10^{-12}"]
    nb["metadata"] = {"lstm_course": {"prose_constants": {"0.68": "a definition"}}}
    assert [w for _, w, _ in claims(nb)] == ["2.3e-15", "10^{-12}"]
