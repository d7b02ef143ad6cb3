"""The mechanism every explorer shares, ``Explorer``: a matplotlib figure that is NOT managed by
pyplot (so the inline backend never shows a stale copy), redrawn by updating its artists in place
and rendered to PNG into an ``ipywidgets.Image``. No ``Output`` widget, no ``clear_output``: nothing
flickers, nothing leaks into the saved notebook, and every redraw is timed.
"""
from __future__ import annotations

import base64
import io
import time
from typing import Callable

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from ..i18n import tr


class Explorer(W.VBox):
    """Controls above a picture. ``update(fig, **values)`` changes the figure's artists for the
    current control values; it runs once at construction and again on every change.

    ``timings`` keeps ``(compute_and_update_seconds, render_seconds)`` of every redraw, for
    ``benchmarks/bench_widgets.py``; ``redraw()`` runs one by hand (for tests).
    """

    def __init__(self, controls: dict[str, W.ValueWidget], fig: Figure,
                 update: Callable[..., None], *, dpi: int = 80, layout_rows=None, title: str = ""):
        self.controls = dict(controls)
        self.fig = fig
        self._update = update
        self.dpi = dpi
        self.timings: list[tuple[float, float]] = []
        # Draw at the PNG's own resolution on one canvas kept for the widget's life: savefig
        # would switch the figure's dpi, make a new canvas and re-measure every text each time.
        fig.set_dpi(dpi)
        self._canvas = FigureCanvasAgg(fig)
        for ax in fig.axes:
            # A title at a fixed height: otherwise every draw measures the tick labels to see
            # whether the title must move up (a fifth of the draw time of a two-panel figure).
            # Giving set_title a y switches that off for good.
            for loc in ("left", "center", "right"):
                ax.set_title(ax.get_title(loc), loc=loc, y=1.0)
        # Shown at its own size (a VBox stretches its children to the full width, which enlarges
        # the picture up to twice and blurs it), never wider than the notebook.
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start",
                                                           max_width="100%"))
        self.image.add_class("lstmlib-explorer-image")
        rows = layout_rows or [list(self.controls.values())]
        boxes = [W.HBox(r) for r in rows]
        head = [W.HTML(f"<b>{title}</b>")] if title else []
        super().__init__(head + boxes + [self.image])
        self.add_class("lstmlib-explorer")
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.redraw()

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def redraw(self) -> None:
        t0 = time.perf_counter()
        self._update(self.fig, **self.values())
        t1 = time.perf_counter()
        self._canvas.draw()
        rgba = self._canvas.buffer_rgba()
        buf = io.BytesIO()
        # RGB (the figure is opaque) and light compression: a third of the bytes of RGBA, and
        # zlib level 1 costs a few ms where the default costs three times that.
        PILImage.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba).convert("RGB").save(
            buf, format="png", compress_level=1)
        self.image.value = buf.getvalue()
        self.timings.append((t1 - t0, time.perf_counter() - t1))

    def _on_change(self, _change) -> None:
        self.redraw()

    def __repr__(self) -> str:
        # What a reader sees where the widget should be when a saved notebook is opened without
        # running it (JupyterLab does not restore saved widget state).
        # (ipywidgets shortens a longer text/plain, so the line names no title)
        return tr("Explorer: run the notebook's cells (Run > Run All Cells) to use it")

    def _repr_mimebundle_(self, **kwargs):
        # Beside the live view, the picture at the settings it was displayed with: GitHub, nbviewer
        # and a saved notebook opened without running show it where they cannot run a widget.
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None and self.image.value:
            data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data


_WIDE = {"description_width": "initial"}


def _slider(value, lo, hi, step, description, fmt=".2f", width="300px"):
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         readout_format=fmt, continuous_update=False, style=_WIDE,
                         layout=W.Layout(width=width))


def _margins(fig: Figure, **adjust) -> Figure:
    fig.subplots_adjust(**adjust)
    return fig
