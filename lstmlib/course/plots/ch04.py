"""Chapter 04's picture: a GRU with its gates held by hand."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PolyCollection

from ._style import blank_figure, _plain_log_axis, _bar_verts, _C_MODEL, _positive


class GateHoldPicture:
    """Left: ``h_t`` of every unit over t (with ``h_0`` at t = 0 and the input as grey bars);
    right (log scale): ``||dh_t/dh_0||``, how much of the starting state survives, with
    ``(1 - z)^t`` dotted. ``update(run, x)`` takes a ``FixedGateRun`` and the input ``(T,)``."""

    def __init__(self, fig, *, units: int, steps: int, h0):
        self.ax_h, self.ax_j = fig.subplots(1, 2, width_ratios=(1.3, 1))
        cmap = colormaps["tab10"]
        self.h0 = np.asarray(h0, float).ravel()
        self.lines = [self.ax_h.plot([0], [0], lw=1.8, color=cmap(u), label=f"unit {u + 1}")[0]
                      for u in range(units)]
        self.inputs = self.ax_h.add_collection(PolyCollection([], facecolors="0.75",
                                                              label="input x_t"))
        self.ax_h.axhline(0, color="0.6", lw=0.8, zorder=0)
        self.ax_h.set_xlim(-0.5, steps + 0.5)
        self.ax_h.set_ylim(-1.1, 2.2)
        self.ax_h.set_xlabel("time step t")
        self.ax_h.set_ylabel("h_t")
        self.ax_h.legend(fontsize=7, ncols=3, loc="upper right")
        ax = self.ax_j
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        (self.influence,) = ax.plot([1], [1], lw=2, color=_C_MODEL["gru"], label="‖∂h_t/∂h_0‖")
        (self.leak,) = ax.plot([1], [1], ":", lw=1.6, color="k", label="(1 − z)^t")
        ax.set_xlim(0.5, steps + 0.5)
        ax.set_xlabel("time step t")
        ax.legend(fontsize=8, loc="lower left")
        self.steps = steps

    def update(self, run, x, title: str = "") -> None:
        T = run.hs.shape[0]
        t = np.arange(0, T + 1)
        for u, line in enumerate(self.lines):
            line.set_data(t, np.concatenate([[self.h0[u]], run.hs[:, 0, u]]))
        self.inputs.set_verts(_bar_verts(np.arange(1, T + 1), np.asarray(x, float), 0.6))
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
    fig = blank_figure(9.5, 3.4)
    pic = GateHoldPicture(fig, units=lab.params.hidden_size, steps=lab.X.shape[0], h0=lab.h0)
    pic.update(lab.run(z, r), lab.X[:, 0, 0])
    return fig
