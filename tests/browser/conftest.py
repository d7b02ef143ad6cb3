"""Fixtures for the browser tests: one JupyterLab server and one headless Chromium per session.

The server serves a temporary copy of ``notebooks/`` plus ``tests/browser/fixtures/`` (never the
repository itself: JupyterLab autosaves), on 127.0.0.1 with a random token, in a process group of
its own that is stopped at the end of the session whatever happened. Screenshots and a latency
report go to ``artifacts/browser/`` (git-ignored; CI keeps it as an artifact).

Without Chromium (/usr/bin/chromium) or the playwright package the browser tests are skipped with
the reason, except when the environment variable CI is set: there a missing browser is a failure.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics

import pytest

from lab_harness import (ARTIFACTS, CHROMIUM, FIXTURES, NOTEBOOKS, REPO, JupyterLabServer,
                         copy_notebooks, launch_chromium)

# The fixture notebooks are driven by test_harness.py, not validated by nbval (`make test` passes
# --nbval, which would otherwise collect every .ipynb under tests/).
collect_ignore_glob = ["fixtures/*"]


def missing_requirements() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian/Ubuntu: apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright Python package (pip install playwright; do NOT run "
                       "`playwright install`, the tests use the system Chromium)")
    return missing


def _require_browser() -> None:
    missing = missing_requirements()
    if not missing:
        return
    msg = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"{msg}; CI is set, so they must not be skipped", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    _require_browser()
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "root"
    copy_notebooks([d for d in (NOTEBOOKS, FIXTURES) if d.is_dir()], root)
    server = JupyterLabServer(root, tmp / "state")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(lab_server):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def artifacts():
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)  # no stale screenshots from an earlier run
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


_RUNS: list = []


@pytest.fixture(scope="session")
def run_log(artifacts):
    """Collects every NotebookRun; written to artifacts/browser/report.json at the end."""
    yield _RUNS
    report = [{
        "notebook": r.name, "run_all_s": round(r.run_all_s, 2),
        "explorers": [{"title": e["title"], "png_px": e.get("image_px"),
                       "shown_px": e.get("shown_px"),
                       "controls": [f"{c['kind']} {c['label']!r}" for c in e["controls"]]}
                      for e in r.explorers],
        "failures": r.failures(),
        "moves": [{"explorer": m.explorer, "control": m.control, "action": m.action,
                   "before": m.before, "after": m.after, "redrew": m.redrew,
                   "latency_ms": m.latency_ms, "log": m.log, "error": m.error}
                  for m in r.moves],
        "kernel_timings": r.kernel_timings,
        "screenshots": [str(p.relative_to(REPO)) for p in r.screenshots],
    } for r in _RUNS]
    (artifacts / "report.json").write_text(json.dumps(report, indent=1))


def latency_rows(run) -> list[tuple[str, str, int, float, float]]:
    """(notebook, explorer, redraws, median ms, max ms) of the browser latency of each explorer."""
    rows = []
    for ex in run.explorers:
        title = ex["title"] or f"explorer {ex['index']}"
        lat = [m.latency_ms for m in run.moves
               if m.explorer_index == ex["index"] and m.latency_ms is not None]
        if lat:
            rows.append((run.name, title, len(lat), statistics.median(lat), max(lat)))
    return rows


def pytest_terminal_summary(terminalreporter):
    rows = [row for r in _RUNS for row in latency_rows(r)]
    if not rows:
        return
    tr = terminalreporter
    tr.section("browser: control moved -> picture redrawn (ms, page clock)")
    for nb, title, n, med, mx in rows:
        tr.write_line(f"{nb:32.32s} {title:44.44s} n={n:3d} median {med:6.0f}  max {mx:6.0f}")
    tr.write_line(f"screenshots and report.json: {ARTIFACTS.relative_to(REPO)}/")
