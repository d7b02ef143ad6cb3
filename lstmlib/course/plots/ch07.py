"""Chapter 07's pictures: the stack and truncated BPTT as schematics, learning curves, closing
brackets by distance, text coloured by a cell, the gates' saturation.

Text coloured character by character is drawn as a grid (``TextGrid``): one image whose pixels are
the characters' cells, and one text artist per line in a monospace font sized so that its
characters fall exactly on the cells. Redrawing it changes one image and a few lines of text, which
is what lets the explorers redraw a 500-character passage quickly.
"""
from __future__ import annotations

import functools

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.image import AxesImage
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from .. import ch07
from ._style import _C_MODEL, blank_figure

MONO = "DejaVu Sans Mono"
_ADVANCE = 1233 / 2048  # DejaVu Sans Mono: every glyph advances 1233 font units of an em of 2048
NEWLINE_GLYPH = "\u21b5"  # drawn where a newline character sits
# the middle of each colour map only: black characters stay readable on every cell
CELL_CMAP = ListedColormap(colormaps["RdBu_r"](np.linspace(0.12, 0.88, 256)), name="cell")
PROB_CMAP = ListedColormap(colormaps["YlOrRd_r"](np.linspace(0.3, 1.0, 256)), name="probability")
_C_LAYER = ("#1f77b4", "#ff7f0e", "#2ca02c")
_C_GATE = {"i": "#2ca02c", "f": "#1f77b4", "o": "#ff7f0e", "z": "#9467bd", "r": "#8c564b"}


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


def _colorbar(fig, cax, cmap, norm, label):
    from matplotlib.cm import ScalarMappable
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    cb.set_label(label, fontsize=8)
    cb.ax.tick_params(labelsize=7)
    return cb


# ----------------------------------------------------------------------------------------------
# Explorer pictures
# ----------------------------------------------------------------------------------------------
class CellPicture:
    """The cell explorer's picture: the passage coloured by one cell's value (top), and along the
    passage that value, the cell's gates and the ground-truth feature (bottom).

    ``update(view)`` with a ``ch07.CellView``."""

    def __init__(self, fig, *, rows: int = 18, cols: int = 80, gates=("i", "f", "o"), raster: bool = True):
        top = fig.add_gridspec(1, 2, width_ratios=(1, 0.018), left=0.01, right=0.93, top=0.94,
                               bottom=0.36, wspace=0.02)
        self.text_ax = fig.add_subplot(top[0, 0])
        self.grid = TextGrid(self.text_ax, rows, cols, raster=raster)
        self.norm = Normalize(-1, 1)
        _colorbar(fig, fig.add_subplot(top[0, 1]), CELL_CMAP, self.norm, "cell value")
        ax = self.ax = fig.add_axes((0.06, 0.09, 0.74, 0.2))
        self.feature = ax.fill_between([0, 1], 0, 0, step="mid", color="0.8", lw=0)
        self._feature_proxy = Rectangle((0, 0), 1, 1, color="0.8")
        (self.cell,) = ax.plot([0], [0], color="k", lw=1.4, label="cell value")
        self.gates = {}
        for g in gates:
            (self.gates[g],) = ax.plot([0], [0], color=_C_GATE[g], lw=0.9, alpha=0.85,
                                       label=f"{_GATE_TITLE[g]} gate")
        ax.set_ylim(-1.08, 1.08)
        ax.axhline(0, color="0.6", lw=0.6, zorder=0)
        ax.set_xlabel("character of the passage", fontsize=8)
        ax.tick_params(labelsize=7)
        self.legend_handles = [self._feature_proxy, self.cell] + list(self.gates.values())
        self.legend = ax.legend(self.legend_handles, ["feature"] + [h.get_label() for h in self.legend_handles[1:]],
                                loc="upper left", bbox_to_anchor=(1.01, 1.08), fontsize=7.5, frameon=False)
        self.title = self.text_ax.set_title(" ", fontsize=9, loc="left", y=1.0)

    def update(self, view) -> None:
        n = len(view.text)
        self.grid.update(view.text, view.cell, self.norm, CELL_CMAP)
        x = np.arange(n)
        self.cell.set_data(x, view.cell)
        for g, line in self.gates.items():
            line.set_data(x, view.gates[g]) if g in view.gates else line.set_data([], [])
        f = np.nan_to_num(view.feature_scaled, nan=0.0)
        verts = np.concatenate([[[0 - 0.5, 0]], np.column_stack([np.repeat(np.arange(n + 1) - 0.5, 2)[1:-1],
                                                                  np.repeat(f, 2)]), [[n - 0.5, 0]]])
        self.feature.set_verts([verts])
        self.legend.get_texts()[0].set_text(view.feature_label)
        self.ax.set_xlim(-0.5, max(n, 2) - 0.5)
        self.title.set_text(view.title)  # a fixed position: set_title would re-place it on every draw
        self.title.set_fontsize(9)


_GATE_TITLE = {"i": "input", "f": "forget", "o": "output", "z": "update", "r": "reset"}


class SamplePicture:
    """The sampling explorer's picture: the primer (grey) and the sampled text, each sampled
    character's cell coloured by the probability the tempered distribution gave it."""

    def __init__(self, fig, *, rows: int = 16, cols: int = 80, raster: bool = True):
        gs = fig.add_gridspec(1, 2, width_ratios=(1, 0.018), left=0.01, right=0.93, top=0.9,
                              bottom=0.03, wspace=0.02)
        self.ax = fig.add_subplot(gs[0, 0])
        self.grid = TextGrid(self.ax, rows, cols, raster=raster)
        self.norm = Normalize(0, 1)
        _colorbar(fig, fig.add_subplot(gs[0, 1]), PROB_CMAP, self.norm, "probability of the drawn character")
        self.title = self.ax.set_title(" ", fontsize=9, loc="left", y=1.0)

    def update(self, sample) -> None:
        text = sample.prime + sample.text
        values = np.concatenate([np.full(len(sample.prime), np.nan), sample.probs])
        fixed = np.arange(len(text)) < len(sample.prime)
        self.grid.update(text, values, self.norm, PROB_CMAP, fixed=fixed)
        self.title.set_text(sample.title)
        self.title.set_fontsize(9)


# ----------------------------------------------------------------------------------------------
# Static figures
# ----------------------------------------------------------------------------------------------
def _arrow(ax, a, b, color="0.15", lw=1.3, ls="-", style="-|>", rad=0.0, ms=9):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=ms, color=color, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0))


def _box(ax, xy, w, h, text, color, fontsize=9, text_color="0.1"):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="0.3", lw=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=text_color)


_BACK = "#d62728"


def plot_stack_and_chunks(T: int = 4, chunks: int = 3):
    """Two schematics. Left: a 2-layer stack unrolled over 3 steps: forward (black) from the
    character up to the softmax and along time; backward (red): each layer's error flows back in
    time and, through its ``dX``, down into the layer below (the article's equation 14). Right:
    truncated BPTT: a stream read in chunks of ``T`` steps; the state is carried across a chunk
    boundary (black), the gradient is not (red, stopping at the boundary)."""
    fig = blank_figure(11.5, 4.3, layout=None)
    ax1 = fig.add_axes((0.0, 0.02, 0.44, 0.9))
    ax2 = fig.add_axes((0.46, 0.02, 0.53, 0.9))
    for ax in (ax1, ax2):
        ax.set_axis_off()

    # left: the stack
    ax1.set_xlim(0.3, 7.3)
    ax1.set_ylim(-0.5, 6.9)
    xs = (1.1, 3.1, 5.1)
    levels = {"x": 0.3, "L1": 2.0, "L2": 3.7, "out": 5.4}
    for k, x in enumerate(xs):
        t = ("t-1", "t", "t+1")[k]
        _box(ax1, (x, levels["x"]), 1.2, 0.6, f"E[char$_{{{t}}}$]", "#eeeeee", 8)
        _box(ax1, (x, levels["L1"]), 1.2, 0.75, "layer 1", "#cfe2f3")
        _box(ax1, (x, levels["L2"]), 1.2, 0.75, "layer 2", "#cfe2f3")
        _box(ax1, (x, levels["out"]), 1.2, 0.6, "softmax", "#fde9c9", 8)
        _arrow(ax1, (x - 0.12, levels["x"] + 0.3), (x - 0.12, levels["L1"] - 0.38))
        _arrow(ax1, (x - 0.12, levels["L1"] + 0.38), (x - 0.12, levels["L2"] - 0.38))
        _arrow(ax1, (x - 0.12, levels["L2"] + 0.38), (x - 0.12, levels["out"] - 0.3))
        _arrow(ax1, (x + 0.14, levels["out"] - 0.3), (x + 0.14, levels["L2"] + 0.38), color=_BACK)
        _arrow(ax1, (x + 0.14, levels["L2"] - 0.38), (x + 0.14, levels["L1"] + 0.38), color=_BACK)
        _arrow(ax1, (x + 0.14, levels["L1"] - 0.38), (x + 0.14, levels["x"] + 0.3), color=_BACK)
    for a, b in zip(xs[:-1], xs[1:]):
        for lev in ("L1", "L2"):
            y = levels[lev]
            _arrow(ax1, (a + 0.6, y + 0.12), (b - 0.6, y + 0.12))
            _arrow(ax1, (b - 0.6, y - 0.14), (a + 0.6, y - 0.14), color=_BACK)
    ymid = (levels["L1"] + levels["L2"]) / 2
    ax1.text(6.05, ymid, "dX of layer 2:\nthe error at the\noutputs h of\nlayer 1 (eq. 14)",
             color=_BACK, fontsize=7.5, ha="left", va="center")
    _arrow(ax1, (6.0, ymid), (xs[-1] + 0.2, ymid), color=_BACK, lw=0.8, ms=6)
    ax1.text(3.1, 6.45, "forward: up and to the right;  backward (red): down and to the left",
             ha="center", fontsize=8.5)
    ax1.text(3.1, -0.35, "time", ha="center", fontsize=8, color="0.3")

    # right: chunks of one stream
    ax2.set_xlim(-0.6, chunks * T + 1.2)
    ax2.set_ylim(-2.3, 3.2)
    for c in range(chunks):
        x0 = c * T
        ax2.add_patch(Rectangle((x0 - 0.45, -0.55), T - 0.1, 1.1, fc="#f4f4f4", ec="0.5", lw=0.9))
        ax2.text(x0 + T / 2 - 0.5, 0.75, f"chunk {c + 1}: one training step", ha="center", fontsize=8)
        for k in range(T):
            x = x0 + k
            _box(ax2, (x, 0), 0.62, 0.62, "h", "#cfe2f3", 8)
            if k < T - 1:
                _arrow(ax2, (x + 0.31, 0.1), (x + 0.69, 0.1))
                _arrow(ax2, (x + 0.69, -0.12), (x + 0.31, -0.12), color=_BACK)
            _arrow(ax2, (x, 0.31), (x, 0.62), lw=0.9, ms=6)
            ax2.text(x, 1.05 if False else -0.9, "", fontsize=6)
        # the loss of every step feeds the gradient of this chunk
        ax2.text(x0 + T / 2 - 0.5, -0.95, f"BPTT over these {T} steps", ha="center", fontsize=7.5, color=_BACK)
        if c < chunks - 1:
            xe = x0 + T - 1
            _arrow(ax2, (xe + 0.31, 0.1), (xe + 0.69, 0.1), lw=1.8)
            ax2.plot([xe + 0.5, xe + 0.5], [-0.75, 0.6], ls=":", color="0.35", lw=1.2)
    ax2.text(T - 0.5, 1.55, "state carried to the next chunk (a value, not a path for the gradient)",
             ha="left", fontsize=8)
    _arrow(ax2, (T + 0.8, 1.42), (T - 0.5 + 0.02, 0.35), lw=0.8, ms=6)
    ax2.text(-0.5, 2.5, "truncated BPTT: one stream of text, read in chunks of T steps", fontsize=9.5)
    ax2.text(-0.5, -1.55, "dotted: a chunk boundary; the red (backward) path stops there,\n"
             "the black (forward) path does not", fontsize=8, color="0.25", va="top")
    return fig


def _chars_read(spec, steps):
    return np.asarray(steps) * spec.chunk * spec.batch


def plot_learning_curves(models: dict, groups=(("rnn", "lstm", "gru"), ("lstm", "lstm_T8", "lstm2"))):
    """Validation bits per character against characters read in training, one panel per group of
    shipped models (name -> ``ch07.ShippedModel``); the training chunks' bits per character faded."""
    fig = blank_figure(11, 3.8, layout="constrained")
    axes = fig.subplots(1, len(groups), sharey=True)
    styles = {"lstm": "-", "lstm_T8": "--", "lstm2": "-", "rnn": "-", "gru": "-"}
    colors = {"rnn": _C_MODEL["rnn"], "lstm": _C_MODEL["lstm"], "gru": _C_MODEL["gru"],
              "lstm_T8": "#17becf", "lstm2": "#000000"}
    for ax, group in zip(np.atleast_1d(axes), groups):
        for name in group:
            s = models[name]
            h = s.history
            label = f"{s.spec.title} ({s.model.num_parameters:,} parameters)"
            ax.plot(_chars_read(s.spec, h["train_step"]) / 1e6, h["train_bpc"], color=colors[name], lw=0.8,
                    alpha=0.3, ls=styles[name])
            ax.plot(_chars_read(s.spec, h["eval_step"][1:]) / 1e6, h["eval_bpc"][1:], color=colors[name], lw=1.8,
                    ls=styles[name], label=label)
        ax.plot([], [], color="0.5", lw=0.8, alpha=0.4, label="faded: training chunks")
        ax.set_xlabel("characters read in training (millions)")
        ax.grid(alpha=0.25)
        ax.legend(fontsize=7.5, loc="upper right")
    np.atleast_1d(axes)[0].set_ylabel("bits per character")
    np.atleast_1d(axes)[0].set_ylim(1.0, 4.0)
    np.atleast_1d(axes)[0].set_title("matched parameter counts, T = 64", fontsize=10)
    if len(groups) > 1:
        np.atleast_1d(axes)[1].set_title("truncation length and depth", fontsize=10)
    return fig


def plot_closers(table: "ch07.CloserTable", *, mark: int | None = 8):
    """Probability of the right closing bracket (left) and quote (right) against the distance to
    the opener, one line per model; a dotted line where the distance passes ``mark`` (the short
    truncation length)."""
    fig = blank_figure(10.5, 3.6, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    x = np.arange(len(table.edges))
    styles = ("-", "--", "-.", ":")
    colors = ("#1f77b4", "#17becf", "#000000", "#d62728")
    for ax, kind in zip(axes, ch07.CLOSERS):
        for j, m in enumerate(table.models):
            ax.plot(x, table.p[m, kind], marker="o", ms=4, ls=styles[j % 4], color=colors[j % 4], label=m)
        if mark is not None:
            b = np.searchsorted(table.edges, mark, side="right") - 0.5
            ax.axvline(b, color="0.4", ls=":", lw=1.2, label=f"distance {mark}")
        ax.set_xticks(x, [f"{lab}\n({n})" for lab, n in zip(table.labels, table.count[kind])], fontsize=7.5)
        ax.set_xlabel("distance from the opener (characters; count below)", fontsize=8.5)
        ax.set_title(f"closing {kind}s: " + " ".join(ch07.CLOSERS[kind]), fontsize=10)
        ax.grid(alpha=0.25)
    top = max(float(np.nanmax(v)) for v in table.p.values())
    axes[0].set_ylim(0, 1.45 * top)
    axes[0].set_ylabel("mean p(the right closer)")
    axes[0].legend(fontsize=8, loc="upper right", ncols=3)
    return fig


def plot_cell_search(trained: "ch07.CellSearch", untrained: "ch07.CellSearch"):
    """Per feature: the held-out |r| of the best single cell of the trained model and of the same
    network untrained, and the best layer's linear probe (all cells) of each."""
    fig = blank_figure(8.5, 3.4, layout="constrained")
    ax = fig.subplots()
    feats = trained.features
    x = np.arange(len(feats))
    w = 0.36
    def best_abs(s):
        return [abs(s.best_r(f)) for f in feats]
    ax.bar(x - w / 2, best_abs(trained), w, color="#1f77b4", label="trained: best single cell")
    ax.bar(x + w / 2, best_abs(untrained), w, color="0.7", label="untrained: best single cell")
    ax.plot(x - w / 2, np.nanmax(np.abs(trained.probe), axis=1), "k_", ms=22, mew=2,
            label="trained: linear probe on a whole layer")
    ax.plot(x + w / 2, np.nanmax(np.abs(untrained.probe), axis=1), "_", color="0.35", ms=22, mew=2,
            label="untrained: linear probe on a whole layer")
    ax.set_xticks(x, [ch07.FEATURE_TITLES[f] for f in feats], fontsize=8.5)
    ax.set_ylabel("|r| on held-out validation files")
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.arange(0, 1.01, 0.2))
    ax.legend(fontsize=7.5, ncols=2, loc="upper center")
    ax.grid(axis="y", alpha=0.25)
    return fig


def plot_best_cells(views: list, *, rows: int = 9, cols: int = 72, dpi: int = 72):
    """One panel per ``ch07.CellView`` (a passage coloured by a cell), stacked. Drawn at ``dpi``:
    a tall figure of text makes a large PNG."""
    n = len(views)
    fig = blank_figure(9.6, n * (rows * 0.19 + 0.45) + 0.3, layout=None)
    fig.set_dpi(dpi)
    top = 1 - 0.3 / fig.get_figheight()
    h = (top - 0.01) / n
    norm = Normalize(-1, 1)
    for k, v in enumerate(views):
        ax = fig.add_axes((0.01, top - (k + 1) * h + 0.02 * h + 0.35 / fig.get_figheight(), 0.86, h - 0.45 / fig.get_figheight()))
        grid = TextGrid(ax, rows, cols)
        grid.update(v.text, v.cell, norm, CELL_CMAP)
        ax.set_title(v.title, fontsize=8.5, loc="left")
    cax = fig.add_axes((0.925, 0.3, 0.014, 0.4))
    _colorbar(fig, cax, CELL_CMAP, norm, "cell value")
    return fig


def plot_saturation(sat: "ch07.Saturation"):
    """Karpathy, Johnson & Fei-Fei (2015), figure 3, for this model: one dot per gate unit, the
    fraction of characters at which it is left-saturated (below ``sat.low``) against the fraction
    at which it is right-saturated (above ``sat.high``), one panel per gate, coloured by layer."""
    fig = blank_figure(10.5, 4.1, layout="constrained")
    axes = fig.subplots(1, len(sat.gates), sharex=True, sharey=True)
    L = sat.left[sat.gates[0]].shape[0]
    for ax, g in zip(np.atleast_1d(axes), sat.gates):
        for k in range(L):
            ax.scatter(sat.left[g][k], sat.right[g][k], s=7, alpha=0.6, color=_C_LAYER[k % 3],
                       label=f"layer {k + 1}", lw=0)
        ax.plot([0, 1], [1, 0], ls=":", color="0.5", lw=1, label="always saturated")
        ax.set_xlim(-0.02, 1.0)
        ax.set_ylim(-0.02, 1.0)
        ax.set_aspect("equal")
        ax.set_title(f"{_GATE_TITLE[g]} gate", fontsize=10)
        ax.set_xlabel(f"fraction left-saturated (< {sat.low:g})", fontsize=8.5)
        ax.grid(alpha=0.25)
    np.atleast_1d(axes)[0].set_ylabel(f"fraction right-saturated (> {sat.high:g})", fontsize=8.5)
    np.atleast_1d(axes)[-1].legend(fontsize=7.5, loc="upper right", markerscale=2)
    return fig
