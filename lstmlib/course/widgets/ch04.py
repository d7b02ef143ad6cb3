"""Chapter 04's explorer: a GRU with its gates held by hand."""
from __future__ import annotations

import warnings

from .. import _checks, ch04, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import Explorer, _slider

SLOW_STEPS = 500
"""Beyond this many steps a redraw takes long enough (about 40 ms per 100 steps) that dragging a
slider stutters; the explorer warns, and refuses past ``ch04.GateLab.MAX_STEPS``."""


def gate_hold_explorer(*, steps: int = 40, seed: int = 0, z: float = 0.5, r: float = 0.5) -> Explorer:
    """Chapter 04: a GRU of 4 units whose update gate z and reset gate r you hold fixed (each from
    0 to 1; the keywords set where they start). Top left: the units' ``h_t`` reading a pulse at
    step 5 (the input below it, on its own axis); right: ``||dh_t/dh_0||``, how much of the start
    survives. z = 0 keeps the past unchanged; z = 1 with r = 0 keeps nothing of it. ``steps``: from
    5 to ``ch04.GateLab.MAX_STEPS`` (a warning past ``SLOW_STEPS``). The sliders redraw while
    dragged (a redraw takes well under 60 ms at 40 steps)."""
    steps = _checks.whole_number(steps, "steps", 5, ch04.GateLab.MAX_STEPS)
    z = _checks.number_in(z, "z", 0.0, 1.0)
    r = _checks.number_in(r, "r", 0.0, 1.0)
    if steps > SLOW_STEPS:
        warnings.warn(tr("steps = {steps}: each redraw recomputes {steps} steps and will take about {ms:.0f} ms; "
                         "below {slow} steps it stays under 60 ms", steps=steps, ms=0.4 * steps, slow=SLOW_STEPS),
                      stacklevel=2)
    lab = ch04.GateLab(steps=steps, seed=_checks.seed(seed))
    fig = blank_figure(9.5, 3.8, layout=None)
    pic = plots.GateHoldPicture(fig, units=lab.params.hidden_size, steps=steps, h0=lab.h0)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.2, hspace=0.12)
    controls = {
        "z": _slider(z, 0.0, 1.0, 0.05, tr("update gate z")),
        "r": _slider(r, 0.0, 1.0, 0.05, tr("reset gate r")),
    }
    for slider in controls.values():
        slider.continuous_update = True
    x = lab.X[:, 0, 0]

    def update(fig, z, r):
        pic.update(lab.run(z, r), x)

    return Explorer(controls, fig, update,
                    title=tr("GRU gates held by hand, h_t = (1 − z)·h_(t−1) + z·h̃_t: follow the past or ignore it"))
