"""The Chinese course cannot fall behind the English one.

Every markdown cell of every English chapter must have a translation in the chapter's catalog
(notebooks/zh/po/NN_*.po) whose msgid is exactly the cell's current English, neither empty nor
fuzzy; every message lstmlib shows a reader (``tr("...")``) must have one in
lstmlib/course/locale/zh.po with the same placeholders; and each Chinese notebook must be what
``scripts/translations.py build`` makes of its English chapter and catalog (same code, translated
markdown). A failure names the chapter and the cell (or the message) and says what to run.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import string
from pathlib import Path

import pytest

from lstmlib.course import i18n

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
translations = importlib.util.module_from_spec(spec)
spec.loader.exec_module(translations)

CHAPTERS = translations.chapters()


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _catalog(path: Path) -> list:
    po = translations.PO_DIR / (path.stem + ".po")
    return i18n.read_po(po) if po.exists() else []


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_every_markdown_cell_has_a_current_translation(path):
    problems = i18n.untranslated(_nb(path), path.name, _catalog(path))
    assert not problems, ("translate these (python scripts/translations.py update, then edit "
                          f"notebooks/zh/po/{path.stem}.po):\n  " + "\n  ".join(problems))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_the_chinese_notebook_is_built_from_the_current_english(path):
    zh = translations.ZH / path.name
    assert zh.exists(), f"notebooks/zh/{path.name} is missing: run python scripts/translations.py build"
    want = i18n.translate_notebook(_nb(path), _catalog(path))
    got = _nb(zh)
    for k, (a, b) in enumerate(zip(got["cells"], want["cells"])):
        assert (a["cell_type"], "".join(a["source"])) == (b["cell_type"], "".join(b["source"])), (
            f"notebooks/zh/{path.name} cell {k} differs from its English chapter and catalog: run "
            "python scripts/translations.py build, then execute the Chinese notebooks")
    assert len(got["cells"]) == len(want["cells"]), f"notebooks/zh/{path.name}: a cell is missing or extra"


def _fields(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_lstmlib_shows_has_a_translation_with_the_same_placeholders():
    table = {e.msgid: e for e in i18n.read_po(translations.LIB_PO)}
    problems = []
    for msg, place in translations.library_messages():
        e = table.get(msg)
        if e is None or not e.msgstr or e.fuzzy:
            problems.append(f"{place}: {msg[:60]!r} has no current translation")
        elif _fields(e.msgstr) != _fields(msg):
            problems.append(f"{place}: placeholders {sorted(_fields(msg))} became {sorted(_fields(e.msgstr))}")
    assert not problems, "\n".join(problems)


def test_a_changed_english_sentence_is_caught_and_named():
    """Edit a copy of a chapter: the check names the chapter and the cell, and the next catalog
    update keeps the old translation, marked fuzzy with the old English beside it."""
    path = CHAPTERS[1]
    nb = copy.deepcopy(_nb(path))
    entries = _catalog(path)
    assert not i18n.untranslated(nb, path.name, entries)  # the committed state is complete
    index, text = i18n.markdown_messages(nb)[0]
    nb["cells"][index]["source"] = [text.replace(".", ". A sentence the translator has not seen.", 1)]
    problems = i18n.untranslated(nb, path.name, entries)
    assert problems == [f"{path.name} cell {index}: no translation of the current English "
                        f"({nb['cells'][index]['source'][0].strip().splitlines()[0][:60]!r})"]
    updated = i18n.update_catalog(nb, path.name, entries)
    changed = next(e for e in updated if i18n.places(e) == [f"{path.name}:{index}"])
    assert changed.fuzzy and changed.previous_msgid == text and changed.msgstr  # kept, for the translator
    assert i18n.untranslated(nb, path.name, updated)  # still not done: fuzzy is not translated


def test_po_files_round_trip(tmp_path):
    entries = [i18n.entry('a "quoted"\n$\\frac{1}{2}$ line\n', "引号\n第二行", ["x.ipynb:1"]),
               i18n.entry("one {n}", "一 {n}", [], True, "one {m}")]
    i18n.write_po(entries, tmp_path / "t.po")
    back = i18n.read_po(tmp_path / "t.po")
    assert [(e.msgid, e.msgstr, i18n.places(e), e.fuzzy, e.previous_msgid) for e in back] == \
        [(e.msgid, e.msgstr, i18n.places(e), e.fuzzy, e.previous_msgid) for e in entries]


def test_tr_translates_and_formats_and_falls_back_to_english(monkeypatch):
    monkeypatch.setattr(i18n, "_catalogs", {"zh": {"{n} steps": "{n} 步"}})
    try:
        i18n.set_language("zh")
        assert i18n.tr("{n} steps", n=3) == "3 步"
        assert i18n.tr("not in the catalog {x}", x=1) == "not in the catalog 1"
    finally:
        i18n.set_language("en")
    assert i18n.tr("{n} steps", n=3) == "3 steps"
    with pytest.raises(ValueError, match="code: expected one of"):
        i18n.set_language("fr")
