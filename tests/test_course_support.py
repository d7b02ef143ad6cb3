"""What the course-layer tests share: reading back what a picture draws, checking its texts, and
reading a self-check's verdict. The helpers are tested here too, so that a picture test cannot pass
because its helper sees nothing."""
from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from lstmlib.course import exercises

_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")


# ---- texts ---------------------------------------------------------------------------------------
def raw_tex(text: str) -> str:
    """The part of ``text`` matplotlib draws literally: everything outside ``$...$``. A brace or a
    backslash there is LaTeX that will be printed as typed (``c_{t-1}`` shows its braces)."""
    return _MATH.sub("", text)


def figure_texts(fig) -> dict[str, str]:
    """Every title, axis label, legend entry and suptitle of ``fig``, by where it sits."""
    out = {}
    if fig._suptitle is not None and fig._suptitle.get_text():
        out["suptitle"] = fig._suptitle.get_text()
    for n, ax in enumerate(fig.axes):
        for loc in ("left", "center", "right"):
            if ax.get_title(loc):
                out[f"axes {n} title ({loc})"] = ax.get_title(loc)
        for what, text in (("xlabel", ax.get_xlabel()), ("ylabel", ax.get_ylabel())):
            if text:
                out[f"axes {n} {what}"] = text
        legend = ax.get_legend()
        if legend is not None:
            for j, t in enumerate(legend.get_texts()):
                out[f"axes {n} legend {j}"] = t.get_text()
    return out


def assert_clean_texts(fig) -> None:
    """No raw LaTeX in a plain-text part of any title, label or legend entry, and no unpaired ``$``
    (mathtext that would not parse, or would swallow the rest of the line)."""
    bad = {}
    for where, text in figure_texts(fig).items():
        plain = raw_tex(text)
        if any(ch in plain for ch in "{}\\$"):
            bad[where] = text
    assert not bad, f"raw LaTeX shown as typed: {bad}"


def labelled(ax) -> list[str]:
    """Labels of the artists of ``ax`` that a legend would list (matplotlib skips ``_...``)."""
    _, labels = ax.get_legend_handles_labels()
    return labels


def assert_legend_lists_the_labels(ax) -> None:
    """A legend exists exactly when artists carry labels, and it lists exactly those labels."""
    want = labelled(ax)
    legend = ax.get_legend()
    if not want:
        assert legend is None, "a legend without labelled artists"
        return
    assert legend is not None, f"labelled artists {want} but no legend"
    assert [t.get_text() for t in legend.get_texts()] == want


def titles(fig) -> list[str]:
    """The centre titles of the axes of ``fig`` that have one."""
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


# ---- data ----------------------------------------------------------------------------------------
def bar_heights(bars: PolyCollection) -> np.ndarray:
    """Heights of the bars drawn as one ``PolyCollection`` of rectangles (``_style._bar_verts``):
    the second vertex of each, ``(left, height)``."""
    return np.array([p.vertices[1, 1] for p in bars.get_paths()])


def bar_centres(bars: PolyCollection) -> np.ndarray:
    return np.array([(p.vertices[0, 0] + p.vertices[2, 0]) / 2 for p in bars.get_paths()])


def png(fig) -> bytes:
    """Render ``fig`` to PNG with every warning an error (a glyph missing from the font, a
    mathtext parse error, a log axis given a non-positive value all warn)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=40)
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG")
    return data


def outside_pyplot(fig) -> bool:
    """A course figure is made without pyplot, so a notebook shows it once (when a cell returns it)."""
    return isinstance(fig, Figure) and fig.canvas.manager is None


# ---- self-checks ---------------------------------------------------------------------------------
def right(v) -> str:
    assert isinstance(v, exercises.Verdict), type(v)
    assert v.correct and bool(v) and str(v).startswith("Right: "), str(v)
    return str(v)


def wrong(v, *words) -> str:
    """A verdict that says "not yet" and gives the reason, recognised by ``words``."""
    assert isinstance(v, exercises.Verdict), type(v)
    assert not v.correct and not bool(v) and str(v).startswith("Not yet: "), str(v)
    for w in words:
        assert w in v.message, (w, v.message)
    return str(v)


# ---- the helpers themselves ----------------------------------------------------------------------
@pytest.mark.parametrize("text, ok", [
    ("cell state c_t", True),  # an underscore in plain text is just an underscore
    (r"output $h_{t-1}$ and $\tilde c_t$", True),
    ("∂c_t/∂c_{t−1}", False),  # braces outside mathtext are printed as typed
    (r"\delta_k", False),
    ("costs $5", False),  # an unpaired dollar
])
def test_the_raw_latex_check_tells_plain_braces_from_mathtext(text, ok):
    fig = Figure()
    fig.subplots().set_title(text)
    if ok:
        assert_clean_texts(fig)
    else:
        with pytest.raises(AssertionError, match="raw LaTeX"):
            assert_clean_texts(fig)


def test_the_legend_check_needs_a_legend_exactly_when_there_are_labels():
    ax = Figure().subplots()
    ax.plot([0, 1], label="a")
    with pytest.raises(AssertionError, match="no legend"):
        assert_legend_lists_the_labels(ax)
    ax.legend()
    assert_legend_lists_the_labels(ax)
    bare = Figure().subplots()
    bare.plot([0, 1])
    assert_legend_lists_the_labels(bare)


def test_bar_readers_read_back_the_rectangles():
    from lstmlib.course.plots._style import _bar_verts
    bars = PolyCollection(_bar_verts(np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0]), 0.8))
    np.testing.assert_allclose(bar_heights(bars), [0.5, -1.0, 2.0])
    np.testing.assert_allclose(bar_centres(bars), [1.0, 2.0, 3.0])


# ---- one check of a picture that would catch a real regression ------------------------------------------
def _data_points(ax) -> np.ndarray:
    """Display coordinates of every finite point of the visible lines of ``ax``."""
    pts = []
    for line in ax.lines:
        if not line.get_visible() or line.get_label() == "_nolegend_":
            continue
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        if len(xy) < 2:
            continue
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if ax.get_yscale() == "log":
            xy = xy[xy[:, 1] > 0]
        pts.append(ax.transData.transform(xy))
    pts = np.concatenate(pts) if pts else np.zeros((0, 2))
    box = ax.bbox  # points clipped away outside the axes are not drawn: they cannot be covered
    return pts[(pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)]


def assert_picture_sound(fig, *, legend_may_cover: float = 0.02) -> None:
    """What a reader would notice: the figure renders without a warning (a missing glyph, a
    mathtext error, a non-positive value on a log axis), no text shows raw LaTeX, no title or
    axis label is cut off at the figure's edge, and no legend covers more than
    ``legend_may_cover`` of the plotted points of its axes."""
    png(fig)
    assert_clean_texts(fig)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the figure out as it is shown
    renderer = canvas.get_renderer()
    edge = fig.bbox
    for n, ax in enumerate(fig.axes):
        for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
            if text.get_text() and text.get_visible():
                bb = text.get_window_extent(renderer)
                assert (bb.x0 >= edge.x0 - 1 and bb.x1 <= edge.x1 + 1 and bb.y0 >= edge.y0 - 1
                        and bb.y1 <= edge.y1 + 1), f"axes {n}: {text.get_text()!r} is cut off"
        legend = ax.get_legend()
        if legend is not None:
            pts = _data_points(ax)
            if len(pts):
                box = legend.get_window_extent(renderer)
                inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
                assert inside.mean() <= legend_may_cover, \
                    f"axes {n}: the legend covers {inside.mean():.0%} of the plotted points"


def test_the_picture_check_catches_a_legend_on_the_data_and_a_title_cut_off():
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.linspace(0, 1, 50), np.full(50, 0.5), label="a line under the legend")
    ax.legend(loc="center")
    with pytest.raises(AssertionError, match="legend covers"):
        assert_picture_sound(fig)
    fig = Figure(figsize=(3, 2))
    fig.subplots().set_title("a title far too long to fit inside a figure this narrow, cut off at both ends")
    with pytest.raises(AssertionError, match="cut off"):
        assert_picture_sound(fig)
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="fine")
    ax.legend(loc="lower right")
    assert_picture_sound(fig)


def check_picture(pictures: dict, name: str) -> None:
    """One row of a chapter's table of pictures: made outside pyplot, and sound."""
    fig = pictures[name]()
    assert outside_pyplot(fig)
    assert_picture_sound(fig)
