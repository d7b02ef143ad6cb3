"""Chapter 04's pictures: the GRU cell as a diagram, and a GRU with its gates held by hand."""
from __future__ import annotations

import matplotlib.patheffects as pe
import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from ._style import _C_BOUND, _C_GATE, _C_MODEL, _bar_verts, _plain_log_axis, _positive, blank_figure, new_figure
from .diagrams import _arrow, _box, _op

# the GRU's gates: z keeps or rewrites (the LSTM's forget gate's blue), r resets, the candidate
# has the LSTM candidate's purple
C_UPDATE, C_RESET, C_CANDIDATE = _C_GATE["f"], _C_GATE["o"], _C_GATE["c"]
_FRAME = "#f4f6fa"


def _wire(ax, xs, ys, bridge: bool = False) -> None:
    """A plain connection. ``bridge``: drawn over a wider stroke of the frame's colour, so a line
    it crosses shows a gap there (a crossing, not a junction)."""
    effects = [pe.Stroke(linewidth=7, foreground=_FRAME), pe.Normal()] if bridge else None
    ax.plot(xs, ys, color="0.2", lw=1.4, zorder=2.5 if bridge else 2, solid_capstyle="butt",
            path_effects=effects)


def _junction(ax, xy) -> None:
    ax.plot(*xy, "o", color="0.2", ms=4, zorder=3)


def plot_gru_cell(backward: bool = False):
    """A diagram of one GRU step in the article's form, equations (G1)-(G4), in the visual language
    of ``plot_lstm_cell``: the state ``h`` runs along the top, multiplied by ``1 - z_t`` (what is
    kept) and added to ``z_t * h~_t`` (what is written); the reset gate scales ``h_{t-1}`` before
    the candidate's matrix product. With ``backward=True`` the two error signals of BPTT are drawn
    in red: the direct path ``dE/dh_t * (1 - z_t)`` along the top, and the paths through the
    recurrent weights of z, r and the candidate."""
    fig, ax = new_figure(8.0, 4.9)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.6, 7.8)
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((0.9, 0.3), 7.4, 6.9, boxstyle="round,pad=0.1", fc=_FRAME, ec="0.6",
                                zorder=0))
    top, bus, x_line = 6.6, 1.6, 0.8                  # the state, the gates' input, x_t's own line
    x_in, x_x, xr, xz, xc, x_out = 1.3, 1.8, 2.6, 4.0, 6.3, 7.7
    y_reset, y_write = 4.3, 5.0
    # the state: h_{t-1} -> x (1 - z_t) -> + z_t h~_t -> h_t
    _arrow(ax, (0.1, top), (9.9, top), lw=2.4)
    ax.text(0.1, top + 0.25, r"$h_{t-1}$", fontsize=12)
    ax.text(9.3, top + 0.25, r"$h_t$", fontsize=12)
    # h_{t-1} down to the gates' input [h_{t-1}, x_t]; x_t joins it, and runs on to the candidate
    _wire(ax, [x_in, x_in], [top, bus])
    _junction(ax, (x_in, top))
    _wire(ax, [x_in, xz], [bus, bus])
    _wire(ax, [x_x, x_x], [-0.35, bus])
    _junction(ax, (x_x, bus))
    _junction(ax, (x_x, x_line))
    _wire(ax, [x_x, xc], [x_line, x_line])
    ax.text(x_x + 0.12, -0.5, r"$x_t$", fontsize=12)
    for x, color, name in ((xz, C_UPDATE, r"(G1) $z_t$"), (xr, C_RESET, r"(G2) $r_t$")):
        _wire(ax, [x, x], [bus, 2.6])
        _box(ax, (x, 3.0), 0.8, 0.8, r"$\sigma$", color)
        ax.text(x + 0.08, 2.05, name, fontsize=9, zorder=5)
    # z_t: up through 1 - z_t to the product that keeps the old state, across to the one that writes
    _wire(ax, [xz, xz], [3.4, 5.27])
    _junction(ax, (xz, y_write))
    _op(ax, (xz, 5.55), r"$1-$")
    _arrow(ax, (xz, 5.83), (xz, top - 0.28))
    _op(ax, (xz, top), r"$\times$")
    _arrow(ax, (xz, y_write), (xc - 0.28, y_write))
    # r_t * h_{t-1}: the reset gate scales what the candidate sees of the old state
    _wire(ax, [xr, xr], [top, y_reset + 0.28])
    _junction(ax, (xr, top))
    _arrow(ax, (xr, 3.4), (xr, y_reset - 0.28))
    _op(ax, (xr, y_reset), r"$\times$")
    _wire(ax, [xr + 0.28, 5.3], [y_reset, y_reset], bridge=True)  # crosses z_t's wire
    _wire(ax, [5.3, 5.3], [y_reset, 3.0])
    _arrow(ax, (5.3, 3.0), (xc - 0.4, 3.0))
    ax.text(4.3, y_reset + 0.16, r"$r_t\circ h_{t-1}$", fontsize=9, color="0.25")
    # the candidate reads r_t * h_{t-1} and x_t; z_t * h~_t is added to the kept state
    _arrow(ax, (xc, x_line), (xc, 2.6))
    _box(ax, (xc, 3.0), 0.8, 0.8, "tanh", C_CANDIDATE, fontsize=10)
    ax.text(xc + 0.5, 2.3, r"(G3) $\tilde h_t$", fontsize=9, zorder=5)
    _arrow(ax, (xc, 3.4), (xc, y_write - 0.28))
    _op(ax, (xc, y_write), r"$\times$")
    _arrow(ax, (xc, y_write + 0.28), (xc, top - 0.28))
    _op(ax, (xc, top), "+")
    ax.text(xc + 0.35, top - 0.65, "(G4)", fontsize=9)
    # h_t is also the output (to a loss, or to the layer above)
    _arrow(ax, (x_out, top), (x_out, 7.7))
    _junction(ax, (x_out, top))
    ax.text(x_out + 0.15, 7.3, r"$h_t$", fontsize=12)
    if backward:
        red = _C_BOUND
        ax.plot([9.7, 0.75, 0.75], [top + 0.6, top + 0.6, top + 0.35], color=red, lw=2.0, ls="--", zorder=2)
        _arrow(ax, (0.75, top + 0.35), (0.75, top + 0.08), color=red, lw=2.0)
        ax.text(5.0, top + 0.75, r"$\partial E/\partial h_t \;\to\; \times(1-z_t) \;\to\; "
                r"\partial E/\partial h_{t-1}$   (the direct path)", color=red, fontsize=10, ha="center")
        # through the gates: along the bottom, then up into the h_(t-1) wire, left of where it
        # branches down to the gates
        ax.plot([8.1, 0.55, 0.55], [0.45, 0.45, top - 0.6], color=red, lw=2.0, ls="--", zorder=2)
        _arrow(ax, (0.55, top - 0.6), (0.55, top - 0.08), color=red, lw=2.0)
        ax.text(5.2, -0.45, r"$+\;W_{zh}^T\delta_{z,t} + W_{rh}^T\delta_{r,t} + (W_{ch}^T\delta_{c,t})\circ r_t$"
                "   (through the gates)", color=red, fontsize=10, ha="center")
        ax.set_title("one GRU step, and the two ways the error reaches h_(t−1) (red)", fontsize=10)
    else:
        ax.set_title("one GRU step (the article's form): the state runs along the top, "
                     "kept by 1 − z, rewritten by z", fontsize=10)
    return fig


class GateHoldPicture:
    """Three panels for a GRU with its gates held by hand (``ch04.FixedGateRun``). Top left:
    ``h_t`` of every unit over t (one colour each), with ``h_0`` at t = 0; bottom left, on its own axis: the input
    ``x_t`` as bars; right (log scale): ``||dh_t/dh_0||``, how much of the starting state survives,
    with ``(1 - z)^t`` dotted. ``update(run, x)`` takes a ``FixedGateRun`` and the input ``(T,)``."""

    def __init__(self, fig, *, units: int, steps: int, h0):
        grid = fig.add_gridspec(2, 2, width_ratios=(1.3, 1), height_ratios=(3, 1))
        self.ax_h = fig.add_subplot(grid[0, 0])
        self.ax_j = fig.add_subplot(grid[:, 1])
        self.ax_x = fig.add_subplot(grid[1, 0])  # the same x range as ax_h, set by hand (sharing costs a redraw)
        cmap = colormaps["tab10"]
        self.h0 = np.asarray(h0, float).ravel()
        ax = self.ax_h
        # one colour per unit, no legend: which unit is which does not matter here, and a legend
        # would cost a sixth of every redraw
        self.lines = [ax.plot([0], [0], lw=1.8, color=cmap(u))[0] for u in range(units)]
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.set_xlim(-0.5, steps + 0.5)
        ax.set_ylim(-1.1, 1.1)  # |h_t| < 1 always
        ax.set_yticks([-1, -0.5, 0, 0.5, 1])
        ax.set_ylabel(f"state h of the {units} units")
        ax.xaxis.set_major_locator(NullLocator())  # the input panel below carries the time axis
        ax.yaxis.set_label_coords(-0.1, 0.5)
        ax = self.ax_x
        self.inputs = ax.add_collection(PolyCollection([], facecolors="0.6"))
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.set_xlim(-0.5, steps + 0.5)
        ax.set_ylabel("input x")
        ax.set_xlabel("time step t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_label_coords(-0.1, 0.5)
        ax.xaxis.set_label_coords(0.5, -0.42)
        ax = self.ax_j
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        ax.yaxis.set_major_locator(LogLocator(numticks=8))
        ax.yaxis.set_minor_locator(NullLocator())  # dozens of minor ticks over 30 decades: slow, unread
        (self.influence,) = ax.plot([1], [1], lw=2, color=_C_MODEL["gru"], label="‖∂h_t/∂h_0‖")
        (self.leak,) = ax.plot([1], [1], ":", lw=1.6, color="k", label="(1 − z)^t, the direct path alone")
        ax.set_xlim(0.5, steps + 0.5)
        ax.set_xlabel("time step t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        # labels placed by hand: placing them automatically measures every tick label at every
        # redraw (a fifth of the explorer's draw time)
        ax.xaxis.set_label_coords(0.5, -0.1)
        ax.legend(fontsize=8, loc="lower left")
        self.steps = steps

    def update(self, run, x, title: str = "") -> None:
        T = run.hs.shape[0]
        t = np.arange(0, T + 1)
        for u, line in enumerate(self.lines):
            line.set_data(t, np.concatenate([[self.h0[u]], run.hs[:, 0, u]]))
        x = np.asarray(x, float)
        self.inputs.set_verts(_bar_verts(np.arange(1, T + 1), x, 0.6))
        lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
        pad = 0.1 * (hi - lo or 1.0)
        self.ax_x.set_ylim(lo - pad, hi + pad)
        tt = np.arange(1, T + 1)
        infl = _positive(run.influence)
        with np.errstate(under="ignore"):
            leak = _positive((1.0 - run.z) ** tt)
        self.influence.set_data(tt, infl)
        self.leak.set_data(tt, leak)
        lo = max(1e-30, min(float(infl.min()), float(leak.min())) / 10)
        hi = max(10.0, float(infl.max()) * 10)
        self.ax_j.set_ylim(lo, hi)
        self.ax_h.set_title(title or f"z = {run.z:.2f}, r = {run.r:.2f}", fontsize=10)
        self.ax_j.set_title(f"what is left of h_0:  ‖∂h_T/∂h_0‖ = {run.influence[-1]:.2g}", fontsize=10)


def plot_gate_hold(lab, z: float, r: float):
    """``GateHoldPicture`` of ``lab.run(z, r)`` for a ``GateLab``."""
    fig = blank_figure(9.5, 3.8)
    pic = GateHoldPicture(fig, units=lab.params.hidden_size, steps=lab.X.shape[0], h0=lab.h0)
    pic.update(lab.run(z, r), lab.X[:, 0, 0])
    return fig


def plot_bias_decay(table, grid, predicted, label: str, color, xs, legend_at: str,
                    texts: tuple[str, str, str], height: float = 3.4):
    """The picture of a gate-bias table (the GRU's here, the LSTM's in chapter 05): the prediction
    ``predicted (len(grid),)`` over the biases ``grid`` as a curve labelled ``label``, and the
    table's measured ratios at the biases ``xs`` as markers (near-zero weights, usual weights);
    ``texts``: the x label, the y label and the title. Returns the figure."""
    fig, ax = new_figure(7, height)
    ax.semilogy(grid, predicted, color=color, lw=2, label=label)
    ax.semilogy(xs, [r.measured_small for r in table.rows], "o", ms=8, mfc="none", mew=2, color="k",
                label=f"measured, weights × {table.small_scale:g}")
    ax.semilogy(xs, [r.measured_default for r in table.rows], "s", ms=6, color="#ff7f0e",
                label="measured, usual initialisation")
    ax.axhline(1.0, color="0.6", lw=0.8, zorder=0, label="1: all of it")
    ax.legend(fontsize=8, loc=legend_at)
    ax.set_xlabel(texts[0])
    ax.set_ylabel(texts[1])
    ax.set_title(texts[2], fontsize=10)
    return fig


def plot_update_bias_decay(table):
    """``(1 - sigmoid(b_z))^(T-1)`` as a curve over the update-gate bias ``b_z`` (log scale), with
    the measured ratios of a ``ch04.UpdateBiasTable`` as markers: near-zero weights (on the
    curve) and the usual initialisation."""
    from .. import ch04
    b = np.linspace(-4, 2, 121)
    texts = ("update-gate bias b_z (the article's convention)", "‖∂E/∂h_1‖ / ‖∂E/∂h_T‖",
             "how much of the gradient reaches step 1 at initialisation (GRU)")
    return plot_bias_decay(table, b, ch04.update_bias_prediction(b, table.steps),
                           f"predicted  (1 − sigmoid(b_z))^(T−1),  T = {table.steps}", _C_MODEL["gru"],
                           [r.update_bias for r in table.rows], "lower left", texts)
