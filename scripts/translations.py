"""Keep the Chinese course in step with the English one: catalogs in, Chinese notebooks out.

The English chapters (notebooks/NN_*.ipynb) and the English messages in lstmlib's course layer
(every ``tr("...")``) are the source. Translations live in gettext catalogs:

    notebooks/zh/po/NN_*.po          one per chapter: each markdown cell, English -> Chinese
    lstmlib/course/locale/zh.po      every message lstmlib shows a reader

Usage (from the top of the repository)::

    python scripts/translations.py update     # catalogs follow the English: new entries empty,
                                              # changed ones marked fuzzy with the old English
    python scripts/translations.py check      # what is missing or out of date (exit 1 if any)
    python scripts/translations.py build      # notebooks/zh/NN_*.ipynb from English + catalogs
                                              # (without outputs: then run them, see `make zh`)
    python scripts/translations.py merge F.json   # {English: Chinese} pairs into the library
                                              # catalog (several translators, one file each)

Edit the .po files with any translation tool (Poedit, Lokalize, a text editor): translate the
``msgstr`` of each entry, and remove the ``#, fuzzy`` line once a changed entry is checked.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstmlib.course import i18n  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
ZH = NOTEBOOKS / "zh"
PO_DIR = ZH / "po"
LIB_PO = i18n.LOCALE_DIR / "zh.po"
HEADER = ("Chinese translation of the LSTM from scratch course. The English is the source:\n"
          "python scripts/translations.py update  brings this catalog in line with it.")


def chapters() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def library_messages() -> list[tuple[str, str]]:
    """``(message, place)`` of every ``tr("literal", ...)`` and ``N_("literal")`` in lstmlib, in
    file order."""
    out, seen = [], set()
    for path in sorted((ROOT / "lstmlib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "N_") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                msg = node.args[0].value
                if msg not in seen:
                    seen.add(msg)
                    out.append((msg, f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"))
    return out


def update() -> None:
    for path in chapters():
        po = PO_DIR / (path.stem + ".po")
        old = i18n.read_po(po) if po.exists() else []
        nb = json.loads(path.read_text(encoding="utf-8"))
        i18n.write_po(i18n.update_catalog(nb, path.name, old), po, HEADER)
    old = {e.msgid: e for e in (i18n.read_po(LIB_PO) if LIB_PO.exists() else [])}
    entries = [i18n.entry(msg, old[msg].msgstr if msg in old else "", [place],
                          old[msg].fuzzy if msg in old else False) for msg, place in library_messages()]
    i18n.write_po(entries, LIB_PO, HEADER)


def problems() -> list[str]:
    out = []
    for path in chapters():
        po = PO_DIR / (path.stem + ".po")
        entries = i18n.read_po(po) if po.exists() else []
        out += i18n.untranslated(json.loads(path.read_text(encoding="utf-8")), path.name, entries)
    lib = {e.msgid: e for e in (i18n.read_po(LIB_PO) if LIB_PO.exists() else [])}
    for msg, place in library_messages():
        e = lib.get(msg)
        if e is None or not e.msgstr or e.fuzzy:
            state = "missing" if e is None else ("empty" if not e.msgstr else "fuzzy")
            out.append(f"{place}: message {state} in locale/zh.po ({msg[:50]!r})")
    return out


def build() -> list[Path]:
    written = []
    for path in chapters():
        po = PO_DIR / (path.stem + ".po")
        entries = i18n.read_po(po) if po.exists() else []
        nb = json.loads(path.read_text(encoding="utf-8"))
        out = ZH / path.name
        zh = i18n.translate_notebook(nb, entries)
        if out.exists():  # keep the outputs of an unchanged notebook (and its kernel metadata)
            old = json.loads(out.read_text(encoding="utf-8"))
            if ([c["source"] for c in old["cells"]] == [c["source"] for c in zh["cells"]]
                    and old.get("metadata", {}).get("lstm_course") == zh["metadata"].get("lstm_course")):
                continue
        out.write_text(json.dumps(zh, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(out)
    return written


def merge(path: Path) -> tuple[int, list[str]]:
    """Set the library catalog's translation of each ``{msgid: msgstr}`` pair of the JSON file
    ``path`` (clearing ``fuzzy``); returns how many were set and the msgids the catalog lacks."""
    pairs = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = i18n.read_po(LIB_PO)
    by_id = {e.msgid: e for e in entries}
    unknown = [m for m in pairs if m not in by_id]
    for msgid, msgstr in pairs.items():
        if msgid in by_id and msgstr:
            e = by_id[msgid]
            e.msgstr = msgstr
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
            e.previous_msgid = None
    i18n.write_po(entries, LIB_PO, HEADER)
    return len(pairs) - len(unknown), unknown


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("update", "check", "build", "merge"))
    ap.add_argument("files", nargs="*", help="merge: JSON files of {English: Chinese}")
    args = ap.parse_args(argv)
    if args.command == "update":
        update()
        print("catalogs updated; untranslated or out of date:", len(problems()))
    elif args.command == "merge":
        for f in args.files:
            n, unknown = merge(Path(f))
            print(f"{f}: {n} translations set" + (f"; not in the catalog: {unknown}" if unknown else ""))
    elif args.command == "check":
        found = problems()
        print("\n".join(found) or "every message is translated and up to date")
        return 1 if found else 0
    else:
        for p in build():
            print("wrote", p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
