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


def _label(ax, xy, text, fontsize=11, color="0.1", **kw):
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    ax.text(xy[0], xy[1], text, fontsize=fontsize, color=color, zorder=6, **kw)


def plot_lstm_unrolled(steps: int = 3):
    """The LSTM unrolled in time: the same cell drawn ``steps`` times side by side (steps t-1,
    t, t+1 for the default 3). The cell state runs along the top from step to step, touched by
    one product (the forget gate) and one sum (the write); the output ``h`` runs along the
    bottom into the next step's gates and up to whatever reads it; each input ``x`` enters from
    below. Every step uses the same weights."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 5:
        raise ValueError(f"steps: expected a whole number from 2 to 5, got {steps!r}")
    names = {2: ("t", "t+1"), 3: ("t-1", "t", "t+1"), 4: ("t-1", "t", "t+1", "t+2"),
             5: ("t-2", "t-1", "t", "t+1", "t+2")}[steps]
    prev = {"t-2": "t-3", "t-1": "t-2", "t": "t-1", "t+1": "t", "t+2": "t+1"}
    width, gap, left = 3.4, 1.3, 1.3
    fig, ax = new_figure(3.3 * steps + 1.0, 4.3)
    right = left + steps * width + (steps - 1) * gap + 1.2
    ax.set_xlim(0, right)
    ax.set_ylim(-0.75, 6.15)
    ax.set_axis_off()
    top, bottom = 4.4, 1.0
    c_col, h_col = _C_GATE["c"], _C_GATE["o"]
    # the two states between the steps: c along the top, h along the bottom
    _arrow(ax, (0.1, top), (right - 0.1, top), color=c_col, lw=2.6)
    for k, name in enumerate(names):
        x0 = left + k * (width + gap)
        ax.add_patch(FancyBboxPatch((x0, 0.55), width, 4.35, boxstyle="round,pad=0.08", fc="#f4f6fa",
                                    ec="0.6", zorder=0))
        _label(ax, (x0 + 0.7, 0.3), f"step {name}", fontsize=9, color="0.35")
        # h_{k-1} comes in along the bottom and rises into the gates
        h_in_end = x0 + 0.45
        start = 0.1 if k == 0 else x0 - gap - 0.05
        ax.plot([start, h_in_end, h_in_end], [bottom, bottom, 1.6], color=h_col, lw=2.2, zorder=2)
        # the gates, each fed by h_{k-1} and x_k (one bus below them)
        gx = x0 + 0.25
        ax.plot([h_in_end, gx + 1.74], [1.6, 1.6], color="0.2", lw=1.2, zorder=2)
        for j, (g, sym) in enumerate((("f", r"$f$"), ("i", r"$i$"), ("c", r"$\tilde c$"), ("o", r"$o$"))):
            ax.plot([gx + 0.24 + 0.5 * j] * 2, [1.6, 1.95], color="0.2", lw=1.2, zorder=2)
            _box(ax, (gx + 0.24 + 0.5 * j, 2.25), 0.4, 0.6, sym, _C_GATE[g], fontsize=10)
        ax.plot([x0 + 1.49, x0 + 1.49], [-0.45, 1.6], color="0.2", lw=1.2, zorder=2)
        _label(ax, (x0 + 1.65, -0.45), f"$x_{{{name}}}$", fontsize=11, ha="left")
        # forget: x on the cell state; write: + on the cell state
        fx, px = gx + 0.24, gx + 0.99
        _arrow(ax, (fx, 2.6), (fx, top - 0.25))
        _op(ax, (fx, top), r"$\times$", r=0.25)
        _arrow(ax, (gx + 0.74, 2.6), (px - 0.12, 3.22))  # i and c~ meet in a product: the write
        _arrow(ax, (gx + 1.24, 2.6), (px + 0.12, 3.22))
        _op(ax, (px, 3.4), r"$\times$", r=0.2)
        _arrow(ax, (px, 3.6), (px, top - 0.25))
        _op(ax, (px, top), "+", r=0.25)
        # output: h_k = o_k * tanh(c_k)
        ox = x0 + width - 0.5
        ax.plot([ox, ox], [top, 3.55], color="0.2", lw=1.2, zorder=2)
        _box(ax, (ox, 3.25), 0.55, 0.35, "tanh", "#7f7f7f", fontsize=7)
        _op(ax, (ox, 2.25), r"$\times$", r=0.22)
        _arrow(ax, (ox, 3.05), (ox, 2.47))
        _arrow(ax, (gx + 1.74 + 0.2, 2.25), (ox - 0.22, 2.25))
        ax.plot([ox, ox, x0 + width + 0.05], [2.03, bottom, bottom], color=h_col, lw=2.2, zorder=2)
        # h_k also leaves upwards (to the loss or the layer above), across the cell state
        ax.plot([x0 + width + 0.45, x0 + width + 0.45], [bottom, top - 0.12], color=h_col, lw=1.6, zorder=2)
        _arrow(ax, (x0 + width + 0.45, top + 0.12), (x0 + width + 0.45, 5.75), color=h_col, lw=1.6)
        _label(ax, (x0 + width + 0.6, 5.75), f"$h_{{{name}}}$", fontsize=11, ha="left")
        _label(ax, (x0 + width + 0.65, top + 0.3), f"$c_{{{name}}}$", fontsize=11, color=c_col, ha="left")
        if k == 0:
            _label(ax, (0.15, top + 0.3), f"$c_{{{prev[name]}}}$", fontsize=11, color=c_col, ha="left")
            _label(ax, (0.15, bottom - 0.3), f"$h_{{{prev[name]}}}$", fontsize=11, color=h_col, ha="left")
    ax.plot([right - 1.25, right - 0.1], [bottom, bottom], color=h_col, lw=2.2, zorder=2)
    _arrow(ax, (right - 0.3, bottom), (right - 0.1, bottom), color=h_col, lw=2.2)
    ax.set_title("the LSTM unrolled in time: the same cell, with the same weights, at every step\n"
                 "cell state c along the top, output h along the bottom, input x from below", fontsize=10)
    return fig


def plot_bptt_graph():
    """The computation graph of two LSTM steps, t and t+1, with the paths of BPTT drawn backwards
    in colour over the forward graph (grey): the loss's own term entering at each output
    (``dE_k/dh_k``, red); the error on the output (orange) going into the cell state through
    ``o * (1 - tanh^2 c)``, into the output gate, and from step t+1's four gates back to ``h_t``
    through the recurrent weights ``W_gh``; the error on the cell state (purple) flowing back along
    the top, multiplied only by the forget gate, and into the forget gate, the input gate and the
    candidate. The letters (a)-(e) are the steps of chapter 03's derivation."""
    fig, ax = new_figure(12.5, 6.4)
    ax.set_xlim(0, 13.6)
    ax.set_ylim(-0.35, 7.6)
    ax.set_axis_off()
    grey, red = "0.55", _C_BOUND
    dc_col, dh_col = _C_GATE["c"], _C_GATE["o"]
    top, gate_y, bus, hrow = 6.1, 3.4, 2.6, 1.75
    # the forward graph, in grey: cell state along the top, output along the bottom
    ax.plot([0.2, 13.4], [top, top], color=grey, lw=2.2, zorder=1)
    width = 4.5
    for k, (x0, step, before) in enumerate(((1.3, "t", "t-1"), (7.6, "t+1", "t"))):
        ax.add_patch(FancyBboxPatch((x0, 0.75), width, 6.55, boxstyle="round,pad=0.08", fc="#f6f7fa", ec="0.75",
                                    zorder=0))
        _label(ax, (x0 + 0.1, 7.1), f"step {step}", fontsize=10, color="0.35", ha="left")
        gates = {g: x0 + 0.7 + 0.62 * j for j, g in enumerate("fico")}
        # h_{k-1} rises into the bus under the gates; x_k comes up from below
        start = 0.2 if k == 0 else 1.3 + width + 0.05
        ax.plot([start, x0 + 0.25, x0 + 0.25, gates["o"]], [hrow, hrow, bus, bus], color=grey, lw=1.4, zorder=1)
        ax.plot([x0 + 1.63, x0 + 1.63], [0.1, bus], color=grey, lw=1.4, zorder=1)
        _label(ax, (x0 + 1.8, 0.12), f"$x_{{{step}}}$", fontsize=12, ha="left")
        for g, gx in gates.items():
            ax.plot([gx, gx], [bus, gate_y], color=grey, lw=1.4, zorder=1)
            sym = {"f": "$f$", "i": "$i$", "c": r"$\tilde c$", "o": "$o$"}[g]
            _box(ax, (gx, gate_y), 0.44, 0.58, sym, _C_GATE[g], fontsize=11)
        # c_{k-1} -> x f_k -> + i_k c~_k -> c_k
        ax.plot([gates["f"], gates["f"]], [gate_y, top], color=grey, lw=1.4, zorder=1)
        _op(ax, (gates["f"], top), r"$\times$", r=0.24)
        wx = (gates["i"] + gates["c"]) / 2
        ax.plot([gates["i"], wx, gates["c"]], [gate_y, 4.85, gate_y], color=grey, lw=1.4, zorder=1)
        ax.plot([wx, wx], [4.85, top], color=grey, lw=1.4, zorder=1)
        _op(ax, (wx, 4.85), r"$\times$", r=0.2)
        _op(ax, (wx, top), "+", r=0.24)
        # h_k = o_k * tanh(c_k); h_k feeds the loss E_k and the next step
        ox = x0 + 3.75
        ax.plot([ox, ox], [top, hrow], color=grey, lw=1.4, zorder=1)
        ax.plot([gates["o"], ox], [gate_y, gate_y], color=grey, lw=1.4, zorder=1)
        _box(ax, (ox, 5.1), 0.6, 0.36, "tanh", "#9a9a9a", fontsize=8)
        _op(ax, (ox, gate_y), r"$\times$", r=0.22)
        ax.add_patch(Circle((ox, hrow), 0.3, fc="white", ec=dh_col, lw=1.8, zorder=3))
        _label(ax, (ox, hrow), f"$h_{{{step}}}$", fontsize=10)
        ax.plot([ox, ox], [hrow - 0.3, 0.55], color=grey, lw=1.4, zorder=1)
        ax.add_patch(FancyBboxPatch((ox - 0.35, 0.05), 0.7, 0.45, boxstyle="round,pad=0.04", fc="white",
                                    ec=red, lw=1.5, zorder=3))
        _label(ax, (ox, 0.27), f"$E_{{{step}}}$", fontsize=11)
        ax.plot([ox + 0.3, x0 + width + 0.05], [hrow, hrow], color=grey, lw=1.4, zorder=1)
        # ---- backwards, in colour ----
        # the loss's own term at this step
        _arrow(ax, (ox + 0.12, 0.5), (ox + 0.12, hrow - 0.3), color=red, lw=2.0)
        _label(ax, (ox + 0.25, 1.0), f"$\\partial E_{{{step}}}/\\partial h_{{{step}}}$", fontsize=9.5, color=red,
               ha="left")
        # (b): from h_k into c_k, through o (1 - tanh^2 c)
        _arrow(ax, (ox + 0.2, hrow + 0.3), (ox + 0.2, top - 0.15), color=dh_col, lw=2.0)
        _label(ax, (ox + 0.3, 4.35), "(b)", fontsize=9.5, color=dh_col, ha="left")
        # (c): from h_k into the output gate
        _arrow(ax, (ox - 0.05, gate_y - 0.2), (gates["o"] + 0.25, gate_y - 0.2), color=dh_col, lw=1.8)
        _label(ax, ((ox + gates["o"]) / 2 + 0.05, gate_y - 0.45), "(c)", fontsize=9.5, color=dh_col)
        # (c): from c_k into the forget gate, the input gate and the candidate
        _arrow(ax, (gates["f"] + 0.13, top - 0.24), (gates["f"] + 0.13, gate_y + 0.3), color=dc_col, lw=1.8)
        _arrow(ax, (wx + 0.12, top - 0.24), (wx + 0.12, 5.03), color=dc_col, lw=1.8)
        _arrow(ax, (wx - 0.05, 4.67), (gates["i"] + 0.12, gate_y + 0.3), color=dc_col, lw=1.5)
        _arrow(ax, (wx + 0.17, 4.7), (gates["c"] + 0.1, gate_y + 0.3), color=dc_col, lw=1.5)
        _label(ax, (gates["f"] + 0.22, 4.6), "(c)", fontsize=9.5, color=dc_col, ha="left")
        # (a): from the four gates back to h_{k-1}, through W_gh^T
        end = 0.3 if k == 0 else 1.3 + 3.75 + 0.3
        _arrow(ax, (x0 + 0.25 + 0.14, bus + 0.05), (x0 + 0.25 + 0.14, hrow - 0.2), color=dh_col, lw=2.0,
               style="-")
        _arrow(ax, (x0 + 0.39, hrow - 0.2), (end, hrow - 0.2), color=dh_col, lw=2.0)
        _label(ax, (x0 - 0.35 if k else 0.3, hrow - 0.5),
               r"(a) $\sum_g W_{gh}^T\,\delta_{g," + step + "}$", fontsize=9.5, color=dh_col,
               ha="right" if k else "left", va="top")
        # (e) and (d): back down the input's own wire to x_k (the layer below), and each step's share
        # of the weight gradients
        _arrow(ax, (x0 + 1.63, bus - 0.12), (x0 + 1.63, 0.42), color="0.1", lw=1.8, ls=(0, (3, 2)))
        _label(ax, (x0 + 1.5, 1.05), r"(e) $\partial E/\partial x$", fontsize=9.5, color="0.1", ha="right")
        _label(ax, (x0 + 1.78, 2.3), r"(d) $\delta_g\,[h, x]^T$", fontsize=8.5, color="0.15", ha="left")
    # (b): the cell-state carry, one arrow per step: from c_k back through step k's forget product
    # to c_{k-1}, multiplied by f_k and nothing else
    for x0, step in ((7.6, "t+1"), (1.3, "t")):
        right = 13.35 if step == "t+1" else 6.0
        left = 6.6 if step == "t+1" else 0.25
        _arrow(ax, (right, top + 0.32), (left, top + 0.32), color=dc_col, lw=2.4)
        _label(ax, ((right + left) / 2 + 0.2, top + 0.6), rf"(b) carry $\delta c_{{{step}}} \odot f_{{{step}}}$",
               fontsize=10, color=dc_col)
    _label(ax, (0.25, top - 0.35), "$c_{t-1}$", fontsize=12, ha="left")
    _label(ax, (6.3, top - 0.35), "$c_t$", fontsize=12)
    _label(ax, (13.3, top - 0.35), "$c_{t+1}$", fontsize=12, ha="right")
    _label(ax, (0.25, hrow + 0.3), "$h_{t-1}$", fontsize=12, ha="left")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=grey, lw=1.6, label="forward computation"),
               Line2D([], [], color=red, lw=2.0, label=r"the loss's own term $\partial E_k/\partial h_k$"),
               Line2D([], [], color=dh_col, lw=2.0, label=r"error on the output, $\delta h$"),
               Line2D([], [], color=dc_col, lw=2.0, label=r"error on the cell state, $\delta c$"),
               Line2D([], [], color="0.1", lw=1.8, ls=(0, (3, 2)), label="(e) to the input / layer below")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5, fontsize=8.5, frameon=False)
    ax.set_title("two LSTM steps, and how BPTT sends the error back through them", fontsize=10.5)
    return fig
