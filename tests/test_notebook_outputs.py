"""What a reader sees in a saved chapter where nothing runs (GitHub, nbviewer, a notebook opened
without its kernel): the outputs as committed.

- every explorer's saved output carries a picture of its default state beside the live view;
- every other widget output (a training progress bar) reads as a line of text: what ran, how far,
  how it ended; never a description of the widget (``HBox(children=(IntProgress(...``);
- the chapter was run top to bottom in a fresh kernel (execution counts 1, 2, 3, ...), with no
  error output, no path of the machine it ran on, and its figures as PNG (not SVG, which nbval
  would compare byte by byte).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lstmlib.course import i18n

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].glob("notebooks/**/*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def _pattern(template: str) -> str:
    """A regular expression for what ``template.format(...)`` can give: literal text escaped,
    the label any text, counts whole numbers, losses numbers."""
    kinds = {"label": ".+", "steps": r"\d+", "step": r"\d+", "loss": r"[-+0-9.e]+"}
    out = ""
    for literal, field, _spec, _conv in __import__("string").Formatter().parse(template):
        out += re.escape(literal) + (kinds.get(field, "(?P<result>.+)") if field else "")
    return out


def progress_lines() -> re.Pattern:
    """The line a finished progress bar saves, in every language of the course (from
    ``train.History.summary``'s own messages, so that the test follows the catalogs)."""
    alternatives = []
    for lang in i18n.LANGUAGES:
        i18n.set_language(lang)
        try:
            results = "|".join(_pattern(i18n.tr(m)) for m in (
                "held-out loss {loss:.4g}", "loss {loss:.4g}", "diverged at step {step}"))
            alternatives.append(_pattern(i18n.tr("{label}: {steps} steps, {result}")).replace(
                "(?P<result>.+)", f"(?:{results})"))
        finally:
            i18n.set_language("en")
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


PROGRESS_LINE = progress_lines()


def _outputs(nb):
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            yield i, cell, out


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(p.parents[1] if p.parent.name == "zh" else p.parent).as_posix() for p in NOTEBOOKS])
def test_saved_widgets_read_well_where_widgets_do_not_run(path):
    nb = _load(path)
    for i, _cell, out in _outputs(nb):
        data = out.get("data", {})
        if WIDGET not in data:
            continue
        plain = "".join(data.get("text/plain", ""))
        assert not re.match(r"\s*\w+\((children|value|description|layout)=", plain), \
            f"{path.name} cell {i}: a saved widget reads as {plain[:60]!r}"
        if "explorer" in plain.lower() or "探索器" in plain:  # the explorer's text, in either language
            assert "image/png" in data, f"{path.name} cell {i}: an explorer saved without a picture"
        else:
            assert PROGRESS_LINE.match(plain), (
                f"{path.name} cell {i}: a saved progress bar should read 'label: N steps, held-out "
                f"loss x' or '... diverged at step n', got {plain!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(p.parents[1] if p.parent.name == "zh" else p.parent).as_posix() for p in NOTEBOOKS])
def test_run_top_to_bottom_without_errors_or_machine_paths(path):
    nb = _load(path)
    counts = [c.get("execution_count") for c in nb["cells"]
              if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts}"
    for i, _cell, out in _outputs(nb):
        assert out["output_type"] != "error", f"{path.name} cell {i}: saved with an error"
        text = json.dumps(out)
        assert not re.search(r"/(work|tmp|root|home)/[A-Za-z0-9_.-]+", text.replace("site-packages", "")), \
            f"{path.name} cell {i}: an output shows a path of this machine"
        assert "image/svg+xml" not in out.get("data", {}), f"{path.name} cell {i}: an SVG figure"
        if out["output_type"] == "stream":
            assert out["name"] != "stderr", f"{path.name} cell {i}: something was written to stderr"
