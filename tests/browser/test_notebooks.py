"""Every chapter notebook in a real browser: JupyterLab + Chromium.

For each notebook in notebooks/ (discovered, so chapters are covered as they land): open it, run
all cells, then move every slider, dropdown, toggle and checkbox of every ``Explorer`` (sliders to
both ends of their range and one step each way), and require that every move that changes a value
redraws the picture, that the kernel's explorers are all on the page, and that no error, traceback
or warning text shows in outputs, dialogs, notifications or the log console, before running,
after running, and after moving everything. A screenshot per notebook goes to artifacts/browser/.
"""
from __future__ import annotations

import pytest

from lab_harness import chapter_notebooks, drive_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHAPTERS = chapter_notebooks()
PARAMS = CHAPTERS or [pytest.param(None, id="no-notebooks", marks=pytest.mark.skip(
    reason="notebooks/ holds no notebook yet"))]


@pytest.mark.parametrize("notebook", PARAMS)
def test_notebook_in_jupyterlab(notebook, lab_server, browser, artifacts, run_log):
    run = drive_notebook(browser, lab_server, notebook, artifacts)
    run_log.append(run)
    failures = run.failures()
    assert not failures, (f"{notebook}: {len(failures)} problem(s) in the browser:\n  "
                          + "\n  ".join(failures))
    # Every control that exists was operated, and each one that changed value redrew.
    for ex in run.explorers:
        title = ex["title"] or f"explorer {ex['index']}"
        moved = {m.cid for m in run.moves
                 if m.explorer_index == ex["index"] and m.changed and m.redrew}
        assert len(moved) == len([c for c in ex["controls"] if not c.get("disabled")]), (
            f"{notebook} / {title}: some control never changed value and redrew; moved: {moved}")
