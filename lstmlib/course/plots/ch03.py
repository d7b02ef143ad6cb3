"""Chapter 03's pictures: the error of a finite difference against its step, gradient checks of
the article's errata, the two error signals. (The graph of two steps is ``diagrams.plot_bptt_graph``.)"""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import MaxNLocator

from ...gradcheck import DEFAULT_EPS
from .. import ch03
from ._style import _C_BOUND, _C_GATE, new_figure, blank_figure, _plain_log_axis


_ERR_FLOOR = 1e-12


class GradcheckPicture:
    """One ``GradcheckReport`` as horizontal bars of relative error on a log scale, one bar per
    checked array, red where the check fails; the tolerance dashed."""

    def __init__(self, fig, names=None):
        self.ax = fig.subplots()
        self.names = tuple(names or ch03.GRADCHECK_ARRAYS)
        n = len(self.names)
        self.bars = self.ax.barh(np.arange(n), np.zeros(n), left=_ERR_FLOOR / 10, color="0.6", height=0.7)
        self.ax.set_xscale("log")
        _plain_log_axis(self.ax.xaxis)
        self.ax.set_xlim(_ERR_FLOOR / 10, 10)
        self.ax.set_yticks(np.arange(n), self.names)
        self.tol = self.ax.axvline(1e-7, ls="--", color="0.3", lw=1)
        self.ax.set_xlabel("relative error of the analytic gradient (finite differences as truth)")
        self.ax.text(1.3e-7, -0.55, "tolerance", fontsize=8, color="0.3", va="bottom")
        self.ax.set_ylim(n - 0.5, -0.9)

    def update(self, report, title: str = "") -> None:
        for name, bar in zip(self.names, self.bars):
            row = report[name]
            bar.set_width(max(row.relative_error, _ERR_FLOOR) - _ERR_FLOOR / 10)
            bar.set_color(_C_BOUND if not row.passed else "#8fbf8f")
        self.tol.set_xdata([report.tol, report.tol])
        n_fail = len(report.failed)
        self.ax.set_title(f"{title}{n_fail} of {len(report.rows)} arrays fail", fontsize=10)


def plot_gradcheck(report, title: str = ""):
    """``GradcheckPicture`` of one report."""
    fig = blank_figure(6.5, 4.4)
    GradcheckPicture(fig, [r.name for r in report.rows]).update(report, title)
    return fig


def plot_eps_sweep(sweep, tol: float = 1e-7):
    """A ``ch03.EpsSweep`` on log-log axes: the measured relative error of a correct gradient
    against the step ``eps`` (a V), with the two guides that explain its branches, ``eps^2``
    through the largest step and ``u / eps`` through the smallest, and the check's tolerance."""
    eps, err = np.asarray(sweep.eps), np.asarray(sweep.errors)
    fig, ax = new_figure(7.6, 3.5)
    u = ch03.UNIT_ROUNDOFF
    i_big, i_small = int(np.argmax(eps)), int(np.argmin(eps))
    grid = np.logspace(np.log10(eps.min()), np.log10(eps.max()), 50)
    ax.loglog(grid, err[i_big] * (grid / eps[i_big]) ** 2, ":", color=_C_GATE["f"], lw=1.5,
              label="truncation, proportional to eps²")
    ax.loglog(grid, err[i_small] * eps[i_small] / grid, ":", color=_C_GATE["o"], lw=1.5,
              label="round-off, proportional to u/eps")
    ax.loglog(eps, err, "o-", color="0.15", ms=5, lw=1.5, label="measured (correct gradient)")
    ax.axhline(tol, color=_C_BOUND, ls="--", lw=1, label=f"tolerance {tol:g}")
    default = DEFAULT_EPS[sweep.stencil]
    ax.axvline(default, color="0.5", ls="-.", lw=1, label=f"check_gradients' default eps = {default:g}")
    ax.set_ylim(err.min() / 10, err.max() * 10)
    ax.set_xlim(eps.min() / 2, eps.max() * 2)
    ax.invert_xaxis()  # smaller steps to the right, as one tries them
    ax.set_xlabel("step eps of the finite difference")
    ax.set_ylabel("relative error")
    ax.set_title(f"{sweep.stencil} difference: the error is smallest at eps = {sweep.best_eps:.0e} "
                 f"(u = {u:.1e})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def plot_errata_heatmap(table, steps=None):
    """A ``ErrataTable`` as a grid: rows the checked arrays, columns (variant, T) for T in
    ``steps`` (default: all of the table's); colour is log10 of the relative error, each cell says
    ``ok`` or the error (2 significant digits)."""
    steps = tuple(table.steps if steps is None else steps)
    missing = [T for T in steps if T not in table.steps]
    if missing or not steps:
        raise ValueError(f"steps: expected lengths among the table's {table.steps}, got {steps}")
    cols = [(lab, T) for T in steps for lab in table.labels]
    names = [r.name for r in table.reports[cols[0]].rows]
    err = np.array([[table.reports[c][n].relative_error for c in cols] for n in names])
    ok = np.array([[table.reports[c][n].passed for c in cols] for n in names])
    fig, ax = new_figure(1.2 + 0.85 * len(cols), 0.8 + 0.33 * len(names))
    cmap = colormaps["Reds"].with_extremes(bad="#e8f3e8")  # passing cells: pale green
    shown = np.where(ok, np.nan, np.log10(np.clip(err, _ERR_FLOOR, None)))
    im = ax.imshow(shown, cmap=cmap, vmin=-2.5, vmax=0.3, aspect="auto")
    for r in range(len(names)):
        for c in range(len(cols)):
            txt = "ok" if ok[r, c] else f"{err[r, c]:.2g}"
            ax.text(c, r, txt, ha="center", va="center", fontsize=8,
                    color="0.45" if ok[r, c] else ("white" if err[r, c] > 0.1 else "black"))
    ax.set_xticks(np.arange(len(cols)), [f"{lab}\nT={T}" for lab, T in cols], fontsize=8)
    ax.set_yticks(np.arange(len(names)), names, fontsize=9)
    for j in range(1, len(steps)):
        ax.axvline(j * len(table.labels) - 0.5, color="0.2", lw=1.5)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="log10 relative error (failing cells)")
    ax.set_title(f"gradient check of each backward variant ({'zero' if table.zero_state else 'random'} "
                 "initial state)", fontsize=10)
    return fig


def plot_bptt_carries(trace):
    """``||dE/dh_t||`` and ``||dE/dc_t||`` over t from a ``ch03.BPTTTrace``: the two
    error signals BPTT carries back through an LSTM."""
    fig, ax = new_figure(6.5, 3.2)
    T = trace.dh.shape[0]
    t = np.arange(1, T + 1)
    ax.semilogy(t, np.linalg.norm(trace.dh.reshape(T, -1), axis=1), "o-", color=_C_GATE["o"],
                label=r"$\|\partial E/\partial h_t\|$")
    ax.semilogy(t, np.linalg.norm(trace.dc.reshape(T, -1), axis=1), "s-", color=_C_GATE["c"],
                label=r"$\|\partial E/\partial c_t\|$")
    ax.set_xlabel("time step t")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=9)
    ax.set_title("the two error signals of LSTM BPTT", fontsize=10)
    return fig
