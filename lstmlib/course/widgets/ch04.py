"""Chapter 04's explorer: a GRU with its gates held by hand."""
from __future__ import annotations

from .. import ch04, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import Explorer, _slider


def gate_hold_explorer(*, steps: int = 40, seed: int = 0) -> Explorer:
    """Chapter 04: a GRU of 4 units whose update gate z and reset gate r you hold fixed. Top left:
    the units' ``h_t`` reading a pulse at step 5 (the input below it, on its own axis); right:
    ``||dh_t/dh_0||``, how much of the start survives. z = 0 keeps the past unchanged; z = 1 with
    r = 0 keeps nothing of it. The sliders redraw while dragged (a redraw takes well under 60 ms)."""
    lab = ch04.GateLab(steps=steps, seed=seed)
    fig = blank_figure(9.5, 3.8, layout=None)
    pic = plots.GateHoldPicture(fig, units=lab.params.hidden_size, steps=steps, h0=lab.h0)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.2, hspace=0.12)
    controls = {
        "z": _slider(0.5, 0.0, 1.0, 0.05, tr("update gate z")),
        "r": _slider(0.5, 0.0, 1.0, 0.05, tr("reset gate r")),
    }
    for slider in controls.values():
        slider.continuous_update = True
    x = lab.X[:, 0, 0]

    def update(fig, z, r):
        run = lab.run(z, r)
        pic.update(run, x)

    return Explorer(controls, fig, update,
                    title=tr("GRU gates held by hand, h_t = (1 − z)·h_(t−1) + z·h̃_t: follow the past or ignore it"))
