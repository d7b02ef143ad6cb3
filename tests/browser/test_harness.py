"""The harness must be able to fail: it is run on two fixture notebooks, one healthy (every kind of
control an Explorer may carry) and one with planted faults, and must pass the first and report
each planted fault of the second, pinned on the right control. The text matcher is also checked
without a browser."""
from __future__ import annotations

import pytest

from lab_harness import drive_notebook, find_problems

KINDS = {"slider", "dropdown", "toggle", "checkbox", "togglebuttons", "radio"}


@pytest.mark.browser
@pytest.mark.slow
def test_healthy_fixture_passes_and_every_control_kind_is_moved(lab_server, browser, artifacts,
                                                                run_log):
    run = drive_notebook(browser, lab_server, "explorer_fixture.ipynb", artifacts)
    run_log.append(run)
    assert run.failures() == []
    assert len(run.explorers) == 2 and run.kernel_explorers == 2
    assert {c["kind"] for e in run.explorers for c in e["controls"]} == KINDS
    controls = {c["id"]: c for e in run.explorers for c in e["controls"]}
    for cid, ctl in controls.items():
        moves = [m for m in run.moves if m.cid == cid]
        assert moves and all(m.redrew for m in moves if m.changed), (ctl, moves)
        assert all(m.latency_ms is not None and 0 < m.latency_ms < 30_000
                   for m in moves if m.changed)
        if ctl["kind"] == "slider":  # both ends reached
            ends = {m.action.split(":")[0]: float(m.after.split(" | ")[0]) for m in moves}
            assert ends["End"] == float(ctl["max"]) and ends["Home"] == float(ctl["min"])
        if ctl["kind"] == "dropdown":  # every option chosen
            assert {m.after for m in moves} == set(ctl["options"])
    # The kernel redrew once at construction and once per change the page saw.
    redraws = sum(1 for m in run.moves if m.changed)
    assert sum(len(k["timings"]) for k in run.kernel_timings) == redraws + 2
    assert (artifacts / "explorer_fixture.png").stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.slow
def test_planted_faults_are_all_reported(lab_server, browser, artifacts, run_log):
    run = drive_notebook(browser, lab_server, "broken_fixture.ipynb", artifacts)
    run_log.append(run)
    failures = run.failures()
    text = "\n".join(failures)
    # a picture in the prose that does not load
    assert "picture in the prose does not load: /files/figures/no_such_picture.png" in text
    # a warning printed while the notebook runs: seen in the saved notebook and after run-all
    assert "[on opening, before running] cell 1 stderr" in text
    assert "[after run-all] cell 1 stderr" in text and "UserWarning: planted" in text
    # a control that changes nothing in the picture
    assert "checkbox 'does nothing' / switch: value off -> on but the picture did not redraw" in text
    # a callback that raises, on the move that triggered it, with the traceback from the log
    raised = [f for f in failures if "slider 'n' / Home: minimum" in f]
    assert any("log console" in f and "ValueError: planted: n=1" in f for f in raised), raised
    assert any("did not redraw" in f for f in raised), raised
    # a warning inside a callback that still redraws
    assert any("dropdown 'op' / select 'log': log console" in f and "RuntimeWarning" in f
               for f in failures), failures
    # a cell that raises: its traceback, and run-all stopping there
    assert "run-all: 1 cell(s) raised" in text
    assert any("error output: ZeroDivisionError: planted: the last cell raises" in f
               for f in failures), failures
    # ... and nothing is pinned on the healthy slider
    assert not [f for f in failures if "slider 'slope'" in f]


@pytest.mark.parametrize("text, bad", [
    ("the error term delta_t and the relative error 3.2e-09", False),
    ("Warnings and errors in prose are fine, and so is naming ValueError in a sentence", False),
    ('        raise ValueError(f"max_norm: expected a number > 0, got {max_norm}")', False),
    ("    except ValueError:  pass", False),
    ("    except (ValueError, TypeError) as e:", False),
    ("ZeroDivisionError: division by zero", True),
    ("/tmp/ipykernel_1/2.py:8: UserWarning: planted", True),
    ("Error displaying widget", True),
    ("\x1b[0;31mValueError\x1b[0m: coloured as in a traceback", True),
    ("ValueError: X must be 3-D", True),
    ("Traceback (most recent call last):", True),
    ("/tmp/x.py:3: RuntimeWarning: overflow encountered in exp", True),
    ("warning: clipped 3 gradients", True),
    ("Error displaying widget: model not found", True),
    ("gradient check: 12 passed, 0 failed", False),
    ("Not yet: your function still raises NotImplementedError: fill in its body.", False),
    ("Right: the gradient matches to 1e-9.", False),
    ("  ValueError: Not yet: is no verdict when it follows an exception name", True),
    ("Not yet: Traceback (most recent call last): a traceback is never exempt", True),
])
def test_problem_text_matcher(text, bad):
    assert bool(find_problems([{"where": "cell 1 output", "text": text}])) is bad
