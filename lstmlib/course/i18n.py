"""The course in more than one language: the text lstmlib shows a reader, from translation catalogs.

English is the source: every message is written in English in the code, wrapped in ``tr``. A
catalog per language (gettext ``.po``, the format translators' tools open) maps each English
message to its translation; ``set_language("zh")`` makes ``tr`` return the translation. A message
with fields is written with ``{name}`` placeholders and formatted after translation, so a
translation may reorder them::

    tr("for D={D}, H={H} your formula gives {got}", D=3, H=4, got=10)

A message missing from the catalog (or marked fuzzy: its English changed since it was translated)
comes back in English; ``tests/test_translations.py`` fails when any is missing.
"""
from __future__ import annotations

import re
from pathlib import Path

import polib

__all__ = ["tr", "N_", "set_language", "language", "LANGUAGES", "read_po", "write_po", "entry", "places", "show",
           "Text"]

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_language = "en"
_catalogs: dict[str, dict[str, str]] = {}


def language() -> str:
    """The language ``tr`` translates into: ``"en"`` (the source) or ``"zh"``."""
    return _language


def set_language(code: str) -> None:
    """Show lstmlib's messages in ``code`` (``"en"`` or ``"zh"``) from now on, in this process."""
    global _language
    if code not in LANGUAGES:
        raise ValueError(f"code: expected one of {LANGUAGES}, got {code!r}")
    _language = code


def catalog(code: str) -> dict[str, str]:
    """``{English: translation}`` of ``code``'s catalog (fuzzy and empty entries left out)."""
    if code not in _catalogs:
        path = LOCALE_DIR / f"{code}.po"
        entries = read_po(path) if path.exists() else []
        _catalogs[code] = {e.msgid: e.msgstr for e in entries if e.msgstr and not e.fuzzy}
    return _catalogs[code]


def tr(message: str, /, **fields) -> str:
    """``message`` in the current language, with ``fields`` filled into its ``{name}`` places."""
    text = message if _language == "en" else catalog(_language).get(message, message)
    return text.format(**fields) if fields else text


def N_(message: str) -> str:
    """``message`` unchanged: marks an English message that is translated later, where it is
    used (``tr(table[key], ...)``), so that the catalog update finds it (gettext's convention)."""
    return message


class Text(str):
    """Text a notebook displays as it is: its repr is itself (no quotes, real line breaks)."""

    def __repr__(self) -> str:
        return str(self)


def show(obj) -> Text:
    """A model-layer report in the course's language: a ``GradcheckReport``'s table, a
    ``History``'s summary line. The model layer writes English; it takes ``tr`` from here, and a
    table its display width (``tables.width``: a CJK character takes two columns)."""
    from ..gradcheck import GradcheckReport
    from ..train import History
    from .tables import width
    if isinstance(obj, GradcheckReport):
        return Text(obj.format(tr, width=width))
    if isinstance(obj, History):
        return Text(obj.summary(tr=tr))
    raise ValueError(f"obj: expected a GradcheckReport or a History, got {type(obj).__name__}")


# ---- the catalogs: gettext .po files, read and written by polib ---------------------------------
def entry(msgid: str, msgstr: str = "", places=(), fuzzy: bool = False,
          previous: str | None = None) -> polib.POEntry:
    """One message: ``msgid`` (the English), ``msgstr`` (the translation), the ``places`` it comes
    from (``"file:line"``, or ``"NN_chapter.ipynb:cell"`` for a notebook's markdown cell), the
    ``fuzzy`` flag, and the English it was translated from when that changed since
    (``previous``, gettext's ``#| msgid``)."""
    occurrences = [tuple(p.rsplit(":", 1)) if ":" in p else (p, "") for p in places]
    return polib.POEntry(msgid=msgid, msgstr=msgstr, occurrences=occurrences,
                         flags=["fuzzy"] if fuzzy else [], previous_msgid=previous)


def places(e: polib.POEntry) -> list[str]:
    """Where ``e`` comes from: ``["file:line", ...]``."""
    return [f"{f}:{n}" if n else f for f, n in e.occurrences]


def write_po(entries, path: Path, header: str = "") -> None:
    """Write ``entries`` to ``path`` as a .po file (UTF-8)."""
    po = polib.POFile(wrapwidth=0)
    po.header = header
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "zh_CN"}
    po.extend(entries)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))


def read_po(path: Path) -> list[polib.POEntry]:
    """The entries of a .po file (without the header and obsolete entries)."""
    return [e for e in polib.pofile(str(path), wrapwidth=0) if not e.obsolete]


# ---- notebooks: the Chinese chapters are built from the English ones and a catalog each ------------
SETUP_CELL = 'from lstmlib.course.i18n import set_language\nset_language("zh")  # lstmlib 的提示、表头与检查结果用中文'


def markdown_messages(nb: dict) -> list[tuple[int, str]]:
    """``(cell index, text)`` of every non-empty markdown cell of a notebook: what a catalog
    translates."""
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown" and "".join(c["source"]).strip()]


def update_catalog(nb: dict, name: str, entries: list[polib.POEntry]) -> list[polib.POEntry]:
    """The catalog of notebook ``name`` brought in line with its English ``nb``: one entry per
    markdown cell, in order, keeping every translation whose English is unchanged; an entry whose
    English changed keeps its old translation, marked fuzzy with the old English (``previous``),
    matched by cell position; new cells get empty entries."""
    by_id = {e.msgid: e for e in entries}
    by_place = {p: e for e in entries for p in places(e)}
    out = []
    for i, text in markdown_messages(nb):
        place = f"{name}:{i}"  # the notebook and the cell's index
        if text in by_id:
            e = by_id[text]
            out.append(entry(text, e.msgstr, [place], e.fuzzy, e.previous_msgid))
        elif place in by_place and by_place[place].msgstr:
            old = by_place[place]
            out.append(entry(text, old.msgstr, [place], True, old.previous_msgid or old.msgid))
        else:
            out.append(entry(text, "", [place]))
    return out


def untranslated(nb: dict, name: str, entries: list[polib.POEntry]) -> list[str]:
    """Why each markdown cell of ``nb`` has no usable translation in ``entries``: missing, empty,
    or fuzzy (the English changed after it was translated). Empty when all are translated."""
    by_id = {e.msgid: e for e in entries}
    problems = []
    for i, text in markdown_messages(nb):
        e = by_id.get(text)
        head = text.strip().splitlines()[0][:60]
        if e is None:
            problems.append(f"{name} cell {i}: no translation of the current English ({head!r})")
        elif not e.msgstr:
            problems.append(f"{name} cell {i}: the translation is empty ({head!r})")
        elif e.fuzzy:
            problems.append(f"{name} cell {i}: the English changed after it was translated ({head!r})")
    return problems


def _relink(text: str) -> str:
    """Links from notebooks/zh/ to the pictures the English chapters keep in notebooks/figures/."""
    return re.sub(r'(\]\(|src=")(figures/)', r"\1../\2", text)


def translate_notebook(nb: dict, entries: list[polib.POEntry]) -> dict:
    """The Chinese notebook: ``nb`` with each markdown cell replaced by its translation (the
    English where there is none), the same code cells without outputs, and a first code cell that
    switches lstmlib's messages to Chinese."""
    import copy
    table = {e.msgid: e.msgstr for e in entries if e.msgstr and not e.fuzzy}
    out = copy.deepcopy(nb)
    cells = []
    for c in out["cells"]:
        if c["cell_type"] == "markdown":
            text = "".join(c["source"])
            c["source"] = _relink(table.get(text, text)).splitlines(keepends=True)
        else:
            c["outputs"], c["execution_count"] = [], None
        cells.append(c)
    first_code = next((k for k, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, {"cell_type": "code", "execution_count": None, "id": "zh-setup",
                              "metadata": {}, "outputs": [],
                              "source": SETUP_CELL.splitlines(keepends=True)})
    out["cells"] = cells
    out.setdefault("metadata", {})["language_info"] = out["metadata"].get("language_info", {})
    return out
