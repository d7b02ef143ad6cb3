"""What the course-layer tests share: reading back what a picture draws, checking its texts, and
reading a self-check's verdict. The helpers are tested here too, so that a picture test cannot pass
because its helper sees nothing."""
from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

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


# ---- what a reader would notice: one check per picture --------------------------------------------
def _drawn_ticklabels(ax, axis: int) -> list:
    """The tick labels matplotlib draws on ``ax``'s x (0) or y (1) axis: those of ticks inside the
    view limits (compared on the screen, so that log axes are handled too)."""
    labels = ax.get_xticklabels() if axis == 0 else ax.get_yticklabels()
    x0, y0 = ax.get_xlim()[0], ax.get_ylim()[0]

    def screen(v):
        return ax.transData.transform((v, y0))[0] if axis == 0 else ax.transData.transform((x0, v))[1]

    a, b = sorted(screen(v) for v in (ax.get_xlim() if axis == 0 else ax.get_ylim()))
    return [t for t in labels if a - 1 <= screen(t.get_position()[axis]) <= b + 1]


def _visible_texts(fig):
    """Every text artist a reader sees: titles, axis labels, tick labels, legend entries, free texts,
    the suptitle (empty and invisible ones left out)."""
    out = []
    if fig._suptitle is not None:
        out.append(fig._suptitle)
    for ax in fig.axes:
        out += [ax.title, ax._left_title, ax._right_title] + list(ax.texts)
        if ax.axison:
            out += [ax.xaxis.label, ax.yaxis.label]
            out += _drawn_ticklabels(ax, 0) + _drawn_ticklabels(ax, 1)
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
    for legend in fig.legends:
        out += legend.get_texts()
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def _data_points(ax) -> np.ndarray:
    """The plotted data of ``ax`` in display coordinates: every vertex of every line drawn in data
    coordinates (guides drawn across the whole axes, axhline/axvline, are left out), and the corners
    of every bar and polygon."""
    pts = []
    for line in ax.get_lines():
        if line.get_transform() != ax.transData or not line.get_visible():
            continue
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        pts.append(ax.transData.transform(xy[np.all(np.isfinite(xy), axis=1)]))
    for patch in ax.patches:
        if patch.get_transform() == ax.transData or patch.get_transform().contains_branch(ax.transData):
            pts.append(patch.get_window_extent().corners())
    for coll in ax.collections:
        for path in coll.get_paths():
            pts.append(ax.transData.transform(path.vertices))
    pts = np.concatenate([p for p in pts if len(p)] or [np.empty((0, 2))])
    area = ax.bbox  # what is drawn is clipped to the axes
    return pts[(pts[:, 0] >= area.x0) & (pts[:, 0] <= area.x1) & (pts[:, 1] >= area.y0) & (pts[:, 1] <= area.y1)]


def assert_readable(fig) -> None:
    """What a reader would notice at a glance, checked on the rendered figure: it renders without a
    warning (a missing glyph, a mathtext error, a bad log value), no text is cut off at the figure's
    edge, no two texts overlap (labels colliding, a title over another), no legend covers plotted
    data, and no raw LaTeX shows as typed."""
    png(fig)
    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    texts = _visible_texts(fig)
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for t, b in boxes:
        assert b.x0 >= page.x0 - 1 and b.x1 <= page.x1 + 1 and b.y0 >= page.y0 - 1 and b.y1 <= page.y1 + 1, \
            f"text {t.get_text()!r} is cut off at the figure's edge: {b} outside {page}"
    for i, (t1, b1) in enumerate(boxes):
        for t2, b2 in boxes[i + 1:]:
            if b1.overlaps(b2) and b1.width > 0 and b2.width > 0:
                shrink1, shrink2 = b1.shrunk(0.9, 0.8), b2.shrunk(0.9, 0.8)  # touching is not colliding
                assert not shrink1.overlaps(shrink2), f"texts {t1.get_text()!r} and {t2.get_text()!r} overlap"
    for ax in fig.axes:  # a label on a bar sits inside it or clear of it, never across its edge
        bars = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Rectangle)
                and p.get_transform().contains_branch(ax.transData)]
        for t in ax.texts:
            b = t.get_window_extent(renderer)
            for bar in bars:
                inside = bar.x0 <= b.x0 and b.x1 <= bar.x1 and bar.y0 <= b.y0 and b.y1 <= bar.y1
                # a label standing on (or hanging from) its own bar's end, centred over it, is a label
                on_end = (b.y0 >= bar.y1 - 1 or b.y1 <= bar.y0 + 1) and bar.x0 <= (b.x0 + b.x1) / 2 <= bar.x1
                assert inside or on_end or not b.padded(5).overlaps(bar), \
                    f"text {t.get_text()!r} touches the edge of a bar"
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        pts = _data_points(ax)
        inside = pts[(pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)]
        assert not len(inside), f"the legend of axes {fig.axes.index(ax)} covers {len(inside)} plotted point(s)"
    assert_clean_texts(fig)


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


def _legend_over_data():
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="a line through the middle")
    ax.legend(loc="center")
    return fig


def _title_cut_off():
    fig = Figure(figsize=(3, 2))
    fig.subplots().set_title("a title far too long for a figure this narrow, cut off at both ends")
    return fig


def _label_across_a_bar():
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.bar([1], [1.0], width=0.4, fill=False, ls="--")
    ax.text(1.2, 0.5, "-0.079", ha="center")
    return fig


def _labels_collide():
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.bar([1, 2], [1, 1])
    ax.set_xticks([1, 2], ["a long label under bar one", "another long label under bar two"])
    return fig


@pytest.mark.parametrize("make, words", [(_legend_over_data, "covers"), (_title_cut_off, "cut off"),
                                         (_labels_collide, "overlap"), (_label_across_a_bar, "edge of a bar")])
def test_the_readability_check_catches_what_a_reader_would_see(make, words):
    with pytest.raises(AssertionError, match=words):
        assert_readable(make())


def test_the_readability_check_passes_a_clean_figure():
    fig = Figure(figsize=(5, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot([1, 2, 3], [0.1, 0.2, 0.15], label="data")
    ax.axhline(0.5, ls=":", label="a guide")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("a short title")
    assert_readable(fig)


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
