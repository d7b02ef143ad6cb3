"""One Chinese term per idea: no variant from lstmlib/course/locale/zh_terms.tsv in any Chinese text a
reader sees (the chapters' catalogs, lstmlib's messages and Chinese literals, README_zh.md). The
glossary of chapter 00 may name a variant in its synonyms column: that is where readers learn
which words they will meet elsewhere."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lstmlib.course import ch00, i18n

ROOT = Path(__file__).resolve().parents[1]
TERMS = ROOT / "lstmlib" / "course" / "locale" / "zh_terms.tsv"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _terms():
    rows = []
    for line in TERMS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, term, banned, *_ = line.split("\t")
        if banned:
            rows.append((english, term, re.compile(banned)))
    return rows


TERM_ROWS = _terms()
SYNONYMS = {row[2] for row in ch00.GLOSSARY if row[2]}  # the glossary's "also met elsewhere" column


def _strip_code(text: str) -> str:
    """Text without inline code, code blocks and link targets (names there are not prose)."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def _texts():
    """``(where, Chinese text)`` of everything the Chinese course shows as text."""
    for po in sorted((ROOT / "notebooks" / "zh" / "po").glob("*.po")):
        for e in i18n.read_po(po):
            if e.msgstr:
                yield f"{po.name} {', '.join(i18n.places(e))}", _strip_code(e.msgstr)
    for e in i18n.read_po(i18n.LOCALE_DIR / "zh.po"):
        if e.msgstr and e.msgid not in SYNONYMS:
            yield f"zh.po {', '.join(i18n.places(e))} ({e.msgid[:40]!r})", e.msgstr
    readme = ROOT / "README_zh.md"
    for k, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
        yield f"README_zh.md:{k}", _strip_code(line)
    for path in sorted((ROOT / "lstmlib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
                    and node.value not in SYNONYMS):  # the glossary's synonyms may name a variant
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


def test_the_term_list_is_well_formed():
    assert len(TERM_ROWS) >= 10
    for english, term, banned in TERM_ROWS:
        assert not banned.search(term), f"{english}: the chosen term {term!r} matches its own banned pattern"


@pytest.mark.parametrize("english,term,banned", TERM_ROWS, ids=[r[0] for r in TERM_ROWS])
def test_no_variant_of_a_term(english, term, banned):
    found = [f"{where}: {m.group(0)!r} in ...{text[max(0, m.start() - 12):m.end() + 12]!r}..."
             for where, text in _texts() for m in [banned.search(text)] if m]
    assert not found, f"use {term!r} for {english!r}:\n  " + "\n  ".join(found[:30]) + (
        f"\n  ... and {len(found) - 30} more" if len(found) > 30 else "")
