"""Every explorer in lstmlib.course.widgets (found by name, so a new one is covered at once): every
control changes the picture over its whole range without a warning, the picture shows what the
chapter's function computes for the controls' values, titles stay where they are from one redraw
to the next, and each redraw is timed. The browser tests drive the same widgets in Chromium."""
import base64
import io
import warnings

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from PIL import Image
from test_course_support import assert_readable, bar_heights

from lstmlib.activations import sigmoid
from lstmlib.course import ch01, ch02, ch03, ch04, ch05, widgets
from lstmlib.course.plots._style import blank_figure

EXPLORERS = sorted(name for name, obj in vars(widgets).items()
                   if name.endswith("_explorer") and callable(obj))


def _values(control):
    """Both ends, one step in from each, and the middle; every option of a selection."""
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, (W.Textarea, W.Text)):  # chapter 07: the reader's own text
        return [control.value + "\nx = (1, 2)\n", "def g():\n    return 'abc'\n"]
    lo, hi, step = control.min, control.max, control.step
    mid = (lo + hi) / 2 if isinstance(control.value, float) else (lo + hi) // 2
    return [lo, lo + step, mid, hi - step, hi]


def _titles(fig):
    return {(n, loc): ax.title if loc == "center" else getattr(ax, f"_{loc}_title")
            for n, ax in enumerate(fig.axes) for loc in ("left", "center", "right")}


def test_explorers_are_found():
    assert EXPLORERS == ["activation_explorer", "cell_explorer", "errata_explorer", "gate_bias_explorer",
                         "gate_explorer", "gate_hold_explorer", "gradient_flow_explorer",
                         "rnn_gradient_explorer", "sample_explorer", "variant_explorer"]


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_changes_the_picture_and_no_title_moves(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = getattr(widgets, name)()
        assert isinstance(ex, widgets.Explorer) and "lstmlib-explorer" in ex._dom_classes
        assert "run the notebook's cells" in repr(ex)
        size = Image.open(io.BytesIO(ex.image.value)).size
        assert size == tuple(round(v * ex.dpi) for v in ex.fig.get_size_inches())  # drawn at its own size
        titled = {k: t for k, t in _titles(ex.fig).items() if t.get_text()}
        assert titled or ex.fig._suptitle is not None
        renderer = ex._canvas.get_renderer()
        where = {k: t.get_window_extent(renderer).y0 for k, t in titled.items()}
        for control_name, control in ex.controls.items():
            start = control.value
            for v in _values(control):
                if v == control.value:
                    continue
                before = ex.image.value
                control.value = v
                assert ex.image.value != before, f"{control_name} = {v} did not change the picture"
                for k, t in titled.items():  # a title set with an explicit y stays at the axes' top
                    assert t.get_position()[1] == 1.0, (k, control_name, v)
                    # the baseline (bottom edge up to descenders) stays put to the pixel
                    assert abs(t.get_window_extent(renderer).y0 - where[k]) <= 4, (k, control_name, v)
            control.value = start
    assert len(ex.timings) > len(ex.controls)
    assert all(compute >= 0 and render > 0 for compute, render in ex.timings)


def _crowded_figure():
    """One axes whose y tick labels need an offset text ("+1e6") at its top left, under a title
    long enough to run into it: where matplotlib's automatic title placement moves a title."""
    fig = blank_figure(4, 3, layout=None)
    ax = fig.subplots()
    (line,) = ax.plot(np.arange(5), 1e6 + np.arange(5))
    ax.set_title("a title long enough to run into the offset text of the y axis")
    return fig, ax, line


def test_a_redraw_does_not_move_a_title_that_matplotlib_would_move():
    fig, ax, _ = _crowded_figure()
    FigureCanvasAgg(fig).draw()
    assert ax.title.get_position()[1] > 1.01  # left to matplotlib, the title moves up over "+1e6"
    fig, ax, line = _crowded_figure()
    ex = widgets.Explorer({"k": W.IntSlider(value=0, min=0, max=3)}, fig,
                          lambda fig, k: line.set_ydata(1e6 + np.arange(5) * (k + 1)))
    y0 = ax.title.get_window_extent(ex._canvas.get_renderer()).y0
    for k in (1, 2, 3):
        ex.controls["k"].value = k
        assert ax.yaxis.offsetText.get_text() == "+1e6"
        assert ax.title.get_position()[1] == 1.0
        assert ax.title.get_window_extent(ex._canvas.get_renderer()).y0 == y0
    assert ax.get_title() == "a title long enough to run into the offset text of the y axis"  # text kept


def test_a_saved_notebook_shows_the_explorers_picture_and_a_line():
    # where a widget cannot run (GitHub, nbviewer, a notebook opened without running) the saved
    # outputs show: the picture at the settings it had, and a line saying how to get the explorer
    ex = widgets.gate_hold_explorer(steps=10)
    ex.controls["z"].value = 0.9
    bundle = ex._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == ex.image.value
    assert bundle["text/plain"] == repr(ex) and "Run All Cells" in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view, where it can run


def test_explorer_shows_its_title_and_controls_in_rows():
    ex = widgets.gate_explorer(steps=10)
    head, row1, row2, image = ex.children
    assert head.value == "<b>Gate explorer: the gates as switches</b>"
    assert [c.description for c in row1.children] == ["forget gate f", "input gate i", "output gate o"]
    assert list(row2.children) == [ex.controls["x"], ex.controls["pattern"]]
    assert image is ex.image and ex.values() == {"f": 0.9, "i": 1.0, "o": 0.8, "x": 2.0, "pattern": "pulse"}
    n = len(ex.timings)
    ex.redraw()
    assert len(ex.timings) == n + 1


# ---- each explorer draws what its chapter computes for the controls' values -----------------------------------
def _set(ex, **values):
    for k, v in values.items():
        ex.controls[k].value = v


@pytest.mark.parametrize("name", ["activation_explorer", "rnn_gradient_explorer", "gate_explorer",
                                  "gate_bias_explorer"])
def test_chapters_00_to_02_explorers_stay_readable_at_every_end_of_every_control(name):
    # the saved still (the opening picture) and each control at both ends: nothing cut off, no
    # legend over the data, no labels running into each other
    ex = getattr(widgets, name)()
    assert_readable(ex.fig)
    for control in ex.controls.values():
        start = control.value
        for v in _values(control)[:: max(1, len(_values(control)) - 1)]:
            control.value = v
            assert_readable(ex.fig)
        control.value = start


def test_activation_explorer_draws_the_chosen_function():
    ex = widgets.activation_explorer()
    _set(ex, name="sigmoid", a=-2.0)
    ax_f, ax_d = ex.fig.axes
    np.testing.assert_allclose(ax_f.lines[0].get_ydata(), sigmoid(ax_f.lines[0].get_xdata()))
    assert ax_f.lines[1].get_ydata()[0] == pytest.approx(sigmoid(-2.0))
    assert ax_d.lines[2].get_ydata()[0] == 0.25


def test_rnn_gradient_explorer_draws_the_radius_experiment():
    ex = widgets.rnn_gradient_explorer(max_steps=60, seed=1)
    _set(ex, radius=2.0, activation="sigmoid", steps=40)
    flow = ch01.radius_experiment(max_steps=60, seed=1).flow(2.0, "sigmoid", 40)
    np.testing.assert_array_equal(ex.fig.axes[0].lines[0].get_ydata(), flow.delta_norms)
    assert f"‖δ_1‖/‖δ_T‖ = {flow.gain:.2g}" in ex.fig.axes[0].get_title()
    assert ex.controls["steps"].max == 60


def test_gate_explorer_draws_the_held_gate_trace():
    ex = widgets.gate_explorer(steps=15)
    _set(ex, f=0.5, i=0.7, o=0.3, x=-1.5, pattern="constant")
    tr = ch02.gate_switch_trace(0.5, 0.7, 0.3, -1.5, steps=15, pattern="constant")
    ax = ex.fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), tr.c)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), tr.h)


def test_gate_bias_explorer_draws_the_bias_lab_run():
    ex = widgets.gate_bias_explorer(steps=20, seed=2)
    _set(ex, b_f=3.0, b_i=-1.0, b_o=2.0)
    cache = ch02.bias_lab(steps=20, seed=2).run(3.0, -1.0, 2.0)
    ax_g, ax_c, _ = ex.fig.axes
    for u, line in enumerate(ax_c.lines):
        np.testing.assert_allclose(line.get_ydata(), cache.c[:, 0, u])
    np.testing.assert_allclose(ax_g.lines[0].get_ydata(), cache.f[:, 0].mean(axis=1))


def test_errata_explorer_draws_the_chosen_gradient_check():
    ex = widgets.errata_explorer(max_steps=4, seed=0)
    _set(ex, variant="no carry", steps=3, state="random")
    report = ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["no carry"], 3, seed=0, zero_state=False, stencil="centred")
    ax = ex.fig.axes[0]
    red = [p for p in ax.patches if to_hex(p.get_facecolor()) == "#d62728"]
    assert len(red) == len(report.failed) > 0
    assert ax.get_title() == f"no carry, T = 3, random state: {len(report.failed)} of 15 arrays fail"


def test_gradient_flow_explorer_draws_the_lab_comparison():
    ex = widgets.gradient_flow_explorer(max_steps=60, seed=0)
    _set(ex, highlight="gru", forget_bias=2.0, scale=0.5, steps=30)
    comp = ch05.GradientFlowLab(max_steps=60, seed=0).compare(2.0, 0.5, 30)
    ax = ex.fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_allclose(lines["GRU  ‖∂E/∂h_k‖"].get_ydata(), comp.flows["gru"].relative("dh"))
    np.testing.assert_allclose(lines["LSTM  ‖∂E/∂c_k‖"].get_ydata(), comp.flows["lstm"].relative("dc"))
    assert f"LSTM {comp.flows['lstm'].relative('dh')[0]:.1e}" in ax.get_title()


def test_gate_hold_explorer_draws_the_gate_lab_run():
    ex = widgets.gate_hold_explorer(steps=25, seed=0)
    _set(ex, z=0.3, r=0.8)
    lab = ch04.GateLab(steps=25, seed=0)
    run = lab.run(0.3, 0.8)
    ax_h, ax_j, ax_x = ex.fig.axes
    np.testing.assert_allclose(ax_j.lines[0].get_ydata(), run.influence)
    np.testing.assert_allclose(ax_h.lines[2].get_ydata()[1:], run.hs[:, 0, 2])
    np.testing.assert_allclose(bar_heights(ax_x.collections[0]), lab.X[:, 0, 0])
