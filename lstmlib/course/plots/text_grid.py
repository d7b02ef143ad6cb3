"""Text coloured character by character, drawn as a grid: one image whose pixels are the
characters' cells, and the characters on top in a monospace font sized so that they fall exactly on
the cells (``TextGrid``). Redrawing changes one image and a few lines of text, which is what lets
an explorer redraw a 500-character passage quickly. Chapter 07's pictures use it.
"""
from __future__ import annotations

import functools

import numpy as np
from matplotlib.image import AxesImage

__all__ = ["MONO", "NEWLINE_GLYPH", "TextGrid", "grid_positions"]

MONO = "DejaVu Sans Mono"
_ADVANCE = 1233 / 2048  # DejaVu Sans Mono: every glyph advances 1233 font units of an em of 2048
NEWLINE_GLYPH = "\u21b5"  # drawn where a newline character sits


# ----------------------------------------------------------------------------------------------
# Text on a grid of coloured cells
# ----------------------------------------------------------------------------------------------
def grid_positions(text: str, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each character of ``text`` sits on a grid ``cols`` wide: ``(rows, columns)`` int arrays.
    A newline takes a cell at the end of its line and moves to the next row; a line longer than
    ``cols`` wraps."""
    rows = np.empty(len(text), dtype=np.int64)
    columns = np.empty(len(text), dtype=np.int64)
    r = c = 0
    for k, ch in enumerate(text):
        if c >= cols:
            r, c = r + 1, 0
        rows[k], columns[k] = r, c
        if ch == "\n":
            r, c = r + 1, 0
        else:
            c += 1
    return rows, columns


class TextGrid:
    """``rows`` x ``cols`` character cells on ``ax``: ``update(text, values, norm, cmap)`` colours
    cell k by ``values[k]`` (NaN: white) and writes the characters on top. Text beyond the grid is
    cut off, with a mark in the last cell.

    ``raster=True`` (the explorers) draws the characters as an image rendered once per text, at
    the figure's resolution: a redraw that only changes the colours then renders no glyphs."""

    def __init__(self, ax, rows: int, cols: int, *, fontsize: float | None = None, raster: bool = False):
        self.ax, self.rows, self.cols = ax, rows, cols
        self.rgba = np.ones((rows, cols, 4))
        self.image = ax.imshow(self.rgba, interpolation="nearest", aspect="auto",
                               extent=(-0.5, cols - 0.5, rows - 0.5, -0.5))
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_color("0.75")
        self._fixed_fontsize = fontsize
        self.fontsize = fontsize if fontsize is not None else self._fit(ax.figure.dpi)
        self.raster = raster
        if raster:
            # the characters as an image of their own, rendered when the figure is drawn and only
            # when the text has changed
            self.glyphs = _GlyphImage(ax, self, interpolation="nearest",
                                      extent=(-0.5, cols - 0.5, rows - 0.5, -0.5), zorder=3)
            self.glyphs.set_data(np.zeros((1, 1, 4)))
            ax.add_image(self.glyphs)
            self.lines, self._key, self._pending = [], None, None
        else:
            self.lines = [ax.text(-0.5, r, "", family=MONO, fontsize=self.fontsize, ha="left", va="center",
                                  color="0.05") for r in range(rows)]

    def update(self, text: str, values: np.ndarray, norm, cmap, *, fixed: np.ndarray | None = None,
               fixed_color=(0.85, 0.85, 0.85, 1.0)) -> None:
        """``values (len(text),)``; ``fixed``: a mask of characters drawn in ``fixed_color`` instead."""
        rows, cols = grid_positions(text, self.cols)
        inside = rows < self.rows
        rgba = np.ones((self.rows, self.cols, 4))
        v = np.asarray(values, dtype=float)
        colors = cmap(norm(np.nan_to_num(v, nan=0.0)))
        colors[np.isnan(v)] = (1.0, 1.0, 1.0, 1.0)
        if fixed is not None:
            colors[np.asarray(fixed, bool)] = fixed_color
        rgba[rows[inside], cols[inside]] = colors[inside]
        self.image.set_data(rgba)
        chars = np.full((self.rows, self.cols), " ", dtype="<U1")
        shown = np.array([NEWLINE_GLYPH if ch == "\n" else ch for ch in text], dtype="<U1") if text else np.zeros(0, "<U1")
        chars[rows[inside], cols[inside]] = shown[inside]
        if not inside.all():
            chars[-1, -1] = "\u2026"
        lines = ["".join(chars[r]).rstrip() for r in range(self.rows)]
        if not self.raster:
            for line, artist in zip(lines, self.lines):
                artist.set_text(line)
            return
        self._pending = lines  # rendered by _GlyphImage.draw

    def _glyphs_for_draw(self) -> None:
        fig = self.ax.figure
        lines = self._pending or []
        key = (tuple(lines), fig.dpi, tuple(self.ax.get_position().bounds))
        if key != self._key:
            self.glyphs.set_data(self._render(lines, fig))
            self._key = key

    def _fit(self, dpi: float) -> float:
        """The font size whose characters, as Agg draws them at ``dpi`` (advances rounded by the
        font hinting), are exactly one cell wide: the unhinted size, corrected by measuring."""
        if self._fixed_fontsize is not None:
            return self._fixed_fontsize
        fig = self.ax.figure
        return _fit_fontsize(self.ax.get_position().width * fig.get_figwidth() / self.cols, float(dpi))

    def _render(self, lines, fig) -> np.ndarray:
        """The characters as RGBA ``(pixels high, pixels wide, 4)``: black, their coverage as alpha."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        pos = self.ax.get_position()
        w = max(1, int(round(pos.width * fig.get_figwidth() * fig.dpi)))
        h = max(1, int(round(pos.height * fig.get_figheight() * fig.dpi)))
        off = Figure(figsize=(w / fig.dpi, h / fig.dpi), dpi=fig.dpi)
        ax = off.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(-0.5, self.cols - 0.5)
        ax.set_ylim(self.rows - 0.5, -0.5)
        size = self._fit(fig.dpi)
        for r, line in enumerate(lines):
            if line:
                ax.text(-0.5, r, line, family=MONO, fontsize=size, ha="left", va="center", color="k")
        canvas = FigureCanvasAgg(off)
        canvas.draw()
        coverage = 1.0 - np.asarray(canvas.buffer_rgba())[..., 0] / 255.0
        out = np.zeros(coverage.shape + (4,))
        out[..., :3] = 0.05
        out[..., 3] = coverage
        return out


@functools.lru_cache(maxsize=64)
def _fit_fontsize(cell_inches: float, dpi: float, probe: int = 80) -> float:
    """A monospace font size whose ``probe`` characters, drawn by Agg at ``dpi``, span exactly
    ``probe`` cells of ``cell_inches``."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    renderer = RendererAgg(10, 10, dpi)
    want = probe * cell_inches * dpi  # pixels
    nominal = cell_inches * 72 / _ADVANCE

    def width(size):
        return renderer.get_text_width_height_descent("0" * probe, FontProperties(family=MONO, size=size),
                                                      ismath=False)[0]

    # hinting rounds each advance to whole pixels: of the sizes near the nominal one, take the
    # one whose drawn width comes closest to the grid's (never wider by more than a character)
    sizes = nominal * np.linspace(0.85, 1.15, 61)
    errors = [abs(width(s) - want) + (0 if width(s) <= want + cell_inches * dpi else 1e9) for s in sizes]
    return float(sizes[int(np.argmin(errors))])


class _GlyphImage(AxesImage):
    """The characters of a ``TextGrid`` as an image, brought up to date when the figure is drawn
    (so that rasterising glyphs counts as drawing, not as computing)."""

    def __init__(self, ax, grid, **kw):
        super().__init__(ax, **kw)
        self._grid = grid

    def draw(self, renderer):
        self._grid._glyphs_for_draw()
        super().draw(renderer)
