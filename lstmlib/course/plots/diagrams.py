"""Schematic drawings: the LSTM cell with its equations, and the paths of the error backwards."""
from __future__ import annotations

from matplotlib.patches import Circle, FancyBboxPatch

from ._style import _C_BOUND, _C_GATE, new_figure


def _box(ax, xy, w, h, text, color, fontsize=11):
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.05",
                                fc=color, ec="0.2", lw=1.2, zorder=3))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize, zorder=4, color="white")


def _op(ax, xy, text, r=0.28):
    ax.add_patch(Circle(xy, r, fc="#fff7d6", ec="0.2", lw=1.2, zorder=3))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=12, zorder=4)


def _arrow(ax, a, b, color="0.2", lw=1.4, ls="-", style="-|>"):
    ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle=style, color=color, lw=lw, ls=ls,
                                                   shrinkA=0, shrinkB=0), zorder=2)


def plot_lstm_cell(backward: bool = False):
    """A diagram of one LSTM step with equations (1)-(6): the cell state runs straight along the
    top, touched only by one product and one sum. With ``backward=True`` the two error signals of
    BPTT are drawn in red: ``dc`` along the cell state (multiplied by ``f_t``) and ``dh`` through
    the four gates' recurrent weights."""
    fig, ax = new_figure(8.6, 4.6)
    ax.set_xlim(0, 12)
    ax.set_ylim(-0.4, 7.2)
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((1.2, 0.9), 9.6, 5.9, boxstyle="round,pad=0.1", fc="#f4f6fa", ec="0.6", zorder=0))
    top, bus = 6.0, 1.5
    # the cell state: c_{t-1} -> x -> + -> c_t
    _arrow(ax, (0.2, top), (11.8, top), lw=2.4)
    ax.text(0.2, top + 0.25, r"$c_{t-1}$", fontsize=12)
    ax.text(11.3, top + 0.25, r"$c_t$", fontsize=12)
    # the input bus: [h_{t-1}, x_t]
    ax.plot([0.2, 8.3], [bus, bus], color="0.2", lw=1.4, zorder=2)
    ax.plot([2.0, 2.0], [-0.2, bus], color="0.2", lw=1.4, zorder=2)
    ax.text(0.2, bus - 0.45, r"$h_{t-1}$", fontsize=12)
    ax.text(2.15, -0.3, r"$x_t$", fontsize=12)
    gates = {"f": (3.0, r"$\sigma$", "(1) $f_t$"), "i": (4.6, r"$\sigma$", "(2) $i_t$"),
             "c": (6.1, "tanh", r"(3) $\tilde c_t$"), "o": (8.3, r"$\sigma$", "(5) $o_t$")}
    for g, (x, label, name) in gates.items():
        ax.plot([x, x], [bus, 2.55], color="0.2", lw=1.4, zorder=2)
        _box(ax, (x, 3.0), 0.9, 0.8, label, _C_GATE[g], fontsize=11 if g != "c" else 10)
        ax.text(x + 0.05, 2.05, name, fontsize=9, ha="left" if g != "o" else "left", zorder=5)
    # forget: f_t * c_{t-1}
    _op(ax, (3.0, top), r"$\times$")
    _arrow(ax, (3.0, 3.4), (3.0, top - 0.28))
    # write: i_t * c~_t, then + onto the cell state
    _op(ax, (5.35, 4.5), r"$\times$")
    _arrow(ax, (4.6, 3.4), (5.15, 4.3))
    _arrow(ax, (6.1, 3.4), (5.55, 4.3))
    _op(ax, (5.35, top), "+")
    _arrow(ax, (5.35, 4.78), (5.35, top - 0.28))
    ax.text(5.75, top - 0.75, "(4)", fontsize=9)
    # output: h_t = o_t * tanh(c_t)
    ax.plot([9.6, 9.6], [top, 5.1], color="0.2", lw=1.4, zorder=2)
    _box(ax, (9.6, 4.7), 0.9, 0.6, "tanh", "#7f7f7f", fontsize=10)
    _op(ax, (9.6, 3.0), r"$\times$")
    _arrow(ax, (9.6, 4.4), (9.6, 3.28))
    _arrow(ax, (8.75, 3.0), (9.32, 3.0))
    ax.plot([9.6, 9.6, 11.0], [2.72, bus, bus], color="0.2", lw=1.4, zorder=2)
    _arrow(ax, (11.0, bus), (11.8, bus))
    _arrow(ax, (11.0, bus), (11.0, 7.1))
    ax.text(11.25, bus - 0.45, r"$h_t$", fontsize=12)
    ax.text(11.15, 6.75, r"$h_t$", fontsize=12)
    ax.text(9.85, 2.4, "(6)", fontsize=9)
    if backward:
        red = _C_BOUND
        _arrow(ax, (11.6, top + 0.55), (0.5, top + 0.55), color=red, lw=2.0, ls="--")
        ax.text(6.0, top + 0.7, r"$\partial E/\partial c_t \;\to\; \times f_t \;\to\; \partial E/\partial c_{t-1}$"
                "   (the cell-state carry)", color=red, fontsize=10, ha="center")
        _arrow(ax, (10.8, bus - 0.25), (0.5, bus - 0.25), color=red, lw=2.0, ls="--")
        ax.text(7.0, bus - 1.0, r"$\partial E/\partial h_{t-1} = \sum_g W_{gh}^T\,\delta_{g,t}$",
                color=red, fontsize=10, ha="center")
        ax.set_title("one LSTM step, and the two error signals BPTT sends back (red)", fontsize=10)
    else:
        ax.set_title("one LSTM step: three gates, one candidate, the cell state along the top", fontsize=10)
    return fig
