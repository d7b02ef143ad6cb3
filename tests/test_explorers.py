"""Every explorer in lstmlib.widgets (found by name, so a new one is covered at once): every
control changes the picture over its whole range, without a warning, and each redraw is timed.
The browser tests drive the same widgets in Chromium."""
import warnings

import pytest

from lstmlib import widgets

EXPLORERS = sorted(name for name, obj in vars(widgets).items()
                   if name.endswith("_explorer") and callable(obj))


def _values(control):
    """Both ends, one step in from each, and the middle; every option of a selection."""
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    lo, hi, step = control.min, control.max, control.step
    mid = (lo + hi) / 2 if isinstance(control.value, float) else (lo + hi) // 2
    return [lo, lo + step, mid, hi - step, hi]


def test_explorers_are_found():
    assert len(EXPLORERS) >= 7, EXPLORERS


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_changes_the_picture(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = getattr(widgets, name)()
        assert isinstance(ex, widgets.Explorer) and "lstmlib-explorer" in ex._dom_classes
        assert "run the notebook's cells" in repr(ex)
        for control_name, control in ex.controls.items():
            start = control.value
            for v in _values(control):
                if v == control.value:
                    continue
                before = ex.image.value
                control.value = v
                assert ex.image.value != before, f"{control_name} = {v} did not change the picture"
            control.value = start
    assert len(ex.timings) > len(ex.controls)
    assert all(compute >= 0 and render > 0 for compute, render in ex.timings)
