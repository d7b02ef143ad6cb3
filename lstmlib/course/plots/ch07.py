"""Chapter 07's pictures: the stack and truncated BPTT as schematics, learning curves, closing
brackets by distance, text coloured by a cell (on ``text_grid.TextGrid``), the gates' saturation."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from .. import ch07
from ._style import _C_MODEL, blank_figure
from .text_grid import TextGrid

# the middle of each colour map only: black characters stay readable on every cell
CELL_CMAP = ListedColormap(colormaps["RdBu_r"](np.linspace(0.12, 0.88, 256)), name="cell")
PROB_CMAP = ListedColormap(colormaps["YlOrRd_r"](np.linspace(0.3, 1.0, 256)), name="probability")
_C_LAYER = ("#1f77b4", "#ff7f0e", "#2ca02c")
_C_GATE = {"i": "#2ca02c", "f": "#1f77b4", "o": "#ff7f0e", "z": "#9467bd", "r": "#8c564b"}


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

    def __init__(self, fig, *, rows: int = 18, cols: int = 80, gates=("f", "i", "o"), raster: bool = True):
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
                                       label=f"{ch07.GATE_TITLES[g]} gate")
        ax.set_ylim(-1.08, 1.08)
        ax.axhline(0, color="0.6", lw=0.6, zorder=0)
        ax.set_xlabel("character of the passage", fontsize=8)
        ax.tick_params(labelsize=7)
        self.legend_handles = [self._feature_proxy, self.cell] + list(self.gates.values())
        self.legend = ax.legend(self.legend_handles, ["feature"] + [h.get_label() for h in self.legend_handles[1:]],
                                loc="upper left", bbox_to_anchor=(1.01, 1.08), fontsize=7.5, frameon=False)
        self.title = self.text_ax.set_title(" ", fontsize=9, loc="left", y=1.0)
        self.notice = fig.text(0.01, 0.005, "", fontsize=8, color="#b22222", va="bottom")

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
        self.notice.set_text(view.notice)


class SamplePicture:
    """The sampling explorer's picture: the primer (grey) and the sampled text, each sampled
    character's cell coloured by the probability the tempered distribution gave it."""

    def __init__(self, fig, *, rows: int = 16, cols: int = 80, raster: bool = True):
        gs = fig.add_gridspec(1, 2, width_ratios=(1, 0.018), left=0.01, right=0.93, top=0.9,
                              bottom=0.08, wspace=0.02)
        self.ax = fig.add_subplot(gs[0, 0])
        self.grid = TextGrid(self.ax, rows, cols, raster=raster)
        self.norm = Normalize(0, 1)
        _colorbar(fig, fig.add_subplot(gs[0, 1]), PROB_CMAP, self.norm, "probability of the drawn character")
        self.title = self.ax.set_title(" ", fontsize=9, loc="left", y=1.0)
        self.notice = fig.text(0.01, 0.01, "", fontsize=8, color="#b22222", va="bottom")

    def update(self, sample) -> None:
        text = sample.prime + sample.text
        values = np.concatenate([np.full(len(sample.prime), np.nan), sample.probs])
        fixed = np.arange(len(text)) < len(sample.prime)
        self.grid.update(text, values, self.norm, PROB_CMAP, fixed=fixed)
        self.title.set_text(sample.title)
        self.title.set_fontsize(9)
        self.notice.set_text(sample.notice)


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


def _config_style(config: str) -> dict:
    """Colour by the registry's model name, dashed for the configurations at matched hidden size."""
    kind = config.rstrip("0123456789")
    return {"color": _C_MODEL[kind], "ls": "-" if config in ch07.MATCHED_PARAMETERS else "--"}


MATCHED_PARAMETERS, MATCHED_HIDDEN = ch07.MATCHED_PARAMETERS, ch07.MATCHED_HIDDEN


def plot_comparison(records: list):
    """Three panels from the comparison sweep (``ch07.load_sweep("comparison")``). Left: the
    validation bits per character after training against the learning rate, per configuration
    (mean of seeds 0-2, bars from their min to max). Middle and right: at each configuration's
    chosen rate, the validation curve against the characters read (mean over seeds, band from min to
    max), at matched parameter counts and at matched hidden size."""
    fig = blank_figure(12, 3.9, layout="constrained")
    ax_lr, ax_p, ax_h = fig.subplots(1, 3, gridspec_kw={"width_ratios": (1, 1.15, 1.15)})
    best = ch07.best_learning_rates(records)
    for c in ch07.configs(records):
        lrs = ch07.learning_rates_of(records, c)
        v = [np.array([r["valid_bpc"] for r in ch07.runs_by(records, c, lr) if r["spec"]["seed"] < 3]) for lr in lrs]
        mean = np.array([x.mean() for x in v])
        err = np.array([[m - x.min() for m, x in zip(mean, v)], [x.max() - m for m, x in zip(mean, v)]])
        ax_lr.errorbar(lrs, mean, yerr=err, marker="o", ms=4, capsize=2, lw=1.4, label=ch07.config_title(c),
                       **_config_style(c))
        k = lrs.index(best[c])
        ax_lr.plot([lrs[k]], [mean[k]], "o", ms=9, mfc="none", mec=_config_style(c)["color"], mew=1.5)
    ax_lr.set_xscale("log")
    rates = ch07.learning_rates(records)  # the grid's rates as plain numbers (log-axis minor labels collide)
    ax_lr.set_xticks(rates, [f"{lr:g}" for lr in rates], fontsize=7.5)
    ax_lr.xaxis.set_minor_locator(ticker.NullLocator())
    ax_lr.set_xlabel("initial learning rate (Adam)")
    ax_lr.set_ylabel("validation bits per character")
    ax_lr.set_title("learning rate (circled: chosen)", fontsize=10)
    ax_lr.legend(fontsize=7.5)
    ax_lr.grid(alpha=0.25)
    runs = ch07.best_runs(records)
    for ax, group, title in ((ax_p, MATCHED_PARAMETERS, "matched parameter counts"),
                             (ax_h, MATCHED_HIDDEN, "matched hidden size (128)")):
        for c in group:
            rs = runs[c]
            sp = rs[0]["spec"]
            x = np.asarray(rs[0]["eval_step"][1:]) * sp["chunk"] * sp["batch"] / 1e6
            y = np.array([r["eval_bpc"][1:] for r in rs])
            st = _config_style(c)
            ax.fill_between(x, y.min(0), y.max(0), color=st["color"], alpha=0.2, lw=0)
            ax.plot(x, y.mean(0), lw=1.6, label=f"{ch07.config_title(c)}, lr {sp['lr']:g} ({len(rs)} seeds)", **st)
        ax.set_xlabel("characters read in training (millions)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=7.5, loc="upper right")
    lo = min(min(min(r["eval_bpc"][1:]) for r in rs) for rs in runs.values())
    for ax in (ax_p, ax_h):
        ax.set_ylim(lo - 0.05, lo + 0.75)
    return fig


def plot_flagship(records: list, names=None):
    """The 2-layer LSTMs of the flagship sweep (``ch07.load_sweep("flagship")``): left, each run's
    validation curve (solid) and, where the run recorded them, its training chunks' bits per
    character (faded); right, bits per
    character on the whole training text and on the validation text after training (the gap is
    what dropout attacks)."""
    fig = blank_figure(11, 3.8, layout="constrained")
    ax_c, ax_b = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.2, 1)})
    records = [r for r in records if names is None or r["spec"]["name"] in names]
    colors = ("#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b")
    labels = []
    for k, r in enumerate(records):
        sp = r["spec"]
        label = ch07.flagship_label(r)
        labels.append(label)
        scale = sp["chunk"] * sp["batch"] / 1e6
        if r.get("chunk_step"):
            ax_c.plot(np.asarray(r["chunk_step"]) * scale, r["chunk_bpc"], color=colors[k % 6], lw=0.7, alpha=0.35)
        ax_c.plot(np.asarray(r["eval_step"][1:]) * scale, r["eval_bpc"][1:], color=colors[k % 6], lw=1.6, label=label)
    ax_c.set_ylim(1.0, 3.0)
    ax_c.set_xlabel("characters read in training (millions)")
    ax_c.set_ylabel("bits per character")
    chunks = any(r.get("chunk_step") for r in records)
    ax_c.set_title("validation (solid) and training chunks (faded)" if chunks else "validation text", fontsize=10)
    ax_c.legend(fontsize=7, loc="upper right")
    ax_c.grid(alpha=0.25)
    y = np.arange(len(records))
    ax_b.barh(y + 0.2, [r["train_bpc"] for r in records], 0.38, color="0.6", label="training text")
    ax_b.barh(y - 0.2, [r["valid_bpc"] for r in records], 0.38, color="#1f77b4", label="validation text")
    for k, r in enumerate(records):
        ax_b.text(r["valid_bpc"] + 0.02, k - 0.2, f"{r['valid_bpc']:.3f}", va="center", fontsize=7.5)
        ax_b.text(r["train_bpc"] + 0.02, k + 0.2, f"{r['train_bpc']:.3f}", va="center", fontsize=7.5, color="0.3")
    ax_b.set_yticks(y, labels, fontsize=7.5)
    ax_b.invert_yaxis()
    ax_b.set_xlim(1.0, 2.6)
    ax_b.set_xlabel("bits per character after training (no dropout)")
    ax_b.legend(fontsize=7.5, loc="lower right")
    ax_b.grid(axis="x", alpha=0.25)
    return fig


def plot_closers(table: ch07.CloserTable, a: str = "T=64", b: str = "T=8", *, mark: int | None = 8):
    """Probability of the right closing bracket (left) and quote (right) by distance to the
    opener, for the groups ``a`` and ``b`` of ``table`` (mean over seeds; bars: the seeds' range);
    a dotted line where the distance passes ``mark`` (the short truncation length)."""
    fig = blank_figure(10.5, 3.5, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    x = np.arange(len(table.edges))
    for ax, kind in zip(axes, ch07.CLOSERS):
        n = table.count[kind].sum(axis=0)
        for k, (g, color, shift) in enumerate(((a, "#1f77b4", -0.06), (b, "#17becf", 0.06))):
            per_seed = table.p[g, kind].sum(axis=1) / n  # (seeds, bins)
            m = per_seed.mean(0)
            ax.errorbar(x + shift, m, yerr=[m - per_seed.min(0), per_seed.max(0) - m], marker="o", ms=4, capsize=3,
                        color=color, ls="-" if k == 0 else "--", label=f"{g} ({per_seed.shape[0]} seeds)")
        if mark is not None:
            ax.axvline(np.searchsorted(table.edges, mark, side="right") - 0.5, color="0.4", ls=":", lw=1.2,
                       label=f"distance {mark}")
        ax.set_xticks(x, [f"{lab}\n({int(c)})" for lab, c in zip(table.labels, n)], fontsize=8)
        ax.set_xlabel("distance from the opener (characters; closers below)", fontsize=8.5)
        ax.set_title(f"closing {kind}s: " + " ".join(ch07.CLOSERS[kind]), fontsize=10)
        ax.grid(alpha=0.25)
    axes[0].set_ylim(0, None)
    axes[0].set_ylabel("mean p(the right closer)")
    axes[0].legend(fontsize=8, loc="upper right")
    return fig


def plot_cell_search(trained: ch07.CellSearch, untrained: ch07.CellSearch):
    """Per feature: |r| on the validation files of the trained model's best cell (chosen on the
    training files; bars: 90% interval over validation files), the best |r| any cell of the same
    network untrained reaches there (chosen with hindsight: flattering it), and each network's best
    layer-wide linear probe."""
    fig = blank_figure(9.5, 3.5, layout="constrained")
    ax = fig.subplots()
    feats = trained.features
    x = np.arange(len(feats))
    w = 0.36
    r = np.array([abs(trained.r(f)) for f in feats])
    iv = np.array([sorted(abs(v) for v in trained.interval(f)) for f in feats])
    same_sign = np.array([np.sign(lo) == np.sign(hi) for lo, hi in (trained.interval(f) for f in feats)])
    lo = np.where(same_sign, iv[:, 0], 0.0)
    ax.bar(x - w / 2, r, w, color="#1f77b4", label="trained: best cell (chosen on training files)")
    ax.errorbar(x - w / 2, r, yerr=[r - lo, iv[:, 1] - r], fmt="none", ecolor="k", capsize=3, lw=1)
    ax.bar(x + w / 2, np.nanmax(np.abs(untrained.r_report), axis=(1, 2)), w, color="0.72",
           label="untrained: best cell in hindsight")
    ax.plot(x - w / 2, np.nanmax(np.abs(trained.probe), axis=1), "k_", ms=20, mew=2, label="trained: layer probe")
    ax.plot(x + w / 2, np.nanmax(np.abs(untrained.probe), axis=1), "_", color="0.35", ms=20, mew=2,
            label="untrained: layer probe")
    ax.set_xticks(x, [ch07.FEATURE_TITLES[f].replace(" a string or ", " string or\n").replace("inside ", "inside\n")
                      for f in feats], fontsize=8)
    ax.set_ylabel("|r| on the validation files")
    ax.set_ylim(0, 1.25)
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
        ax = fig.add_axes((0.01, top - (k + 1) * h + 0.02 * h + 0.35 / fig.get_figheight(), 0.86,
                           h - 0.45 / fig.get_figheight()))
        grid = TextGrid(ax, rows, cols)
        grid.update(v.text, v.cell, norm, CELL_CMAP)
        ax.set_title(v.title, fontsize=8.5, loc="left")
    cax = fig.add_axes((0.925, 0.3, 0.014, 0.4))
    _colorbar(fig, cax, CELL_CMAP, norm, "cell value")
    return fig


def plot_thumbnail(view, *, cols: int = 22, rows: int = 5):
    """The chapter in one small picture (legible at 220 pixels wide): a few lines of Python, large,
    coloured by one cell of the trained network, with its title."""
    fig = blank_figure(4.4, 2.1, layout=None)
    ax = fig.add_axes((0.02, 0.03, 0.96, 0.72))
    grid = TextGrid(ax, rows, cols)
    grid.update(view.text, view.cell, Normalize(-1, 1), CELL_CMAP)
    fig.text(0.02, 0.93, view.title, fontsize=13, va="top", weight="bold")
    fig.text(0.02, 0.82, "red: the cell is high, blue: low", fontsize=10, va="top", color="0.25")
    return fig


def plot_saturation(sat: ch07.Saturation):
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
        ax.set_title(f"{ch07.GATE_TITLES[g]} gate", fontsize=10)
        ax.set_xlabel(f"fraction left-saturated (< {sat.low:g})", fontsize=8.5)
        ax.grid(alpha=0.25)
    np.atleast_1d(axes)[0].set_ylabel(f"fraction right-saturated (> {sat.high:g})", fontsize=8.5)
    np.atleast_1d(axes)[-1].legend(fontsize=7.5, loc="upper right", markerscale=2)
    return fig
