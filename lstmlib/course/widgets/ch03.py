"""Chapter 03's explorer: gradient-check the article's backward pass."""
from __future__ import annotations

import ipywidgets as W

from .. import _checks, ch03, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _margins


ERRATA_STATES = {"zero (the article's)": True, "random": False}
MAX_STEPS = 12
"""The longest sequence the explorer offers: a redraw is a gradient check of 15 arrays, about
10 ms per step."""


def errata_explorer(*, max_steps: int = 8, seed: int = 0) -> Explorer:
    """Chapter 03: gradient-check a backward variant (correct, one of the article's three
    mistakes, or all three) at a chosen T (from 1 to ``max_steps``, itself from 2 to
    ``MAX_STEPS``), from a zero or a random initial state."""
    max_steps = _checks.whole_number(max_steps, "max_steps", 2, MAX_STEPS)
    seed = _checks.whole_number(seed, "seed", 0)  # drawn afresh at every redraw: a number, not a Generator
    fig = blank_figure(6.8, 4.6, layout=None)
    pic = plots.GradcheckPicture(fig)
    _margins(fig, left=0.11, right=0.97, bottom=0.11, top=0.93)
    labels = {"zero (the article's)": tr("zero (the article's)"), "random": tr("random")}
    controls = {
        "variant": W.Dropdown(options=list(ch03.ERRATA_VARIANTS), value="article",
                              description=tr("backward"), style=_WIDE),
        "steps": W.IntSlider(value=2, min=1, max=max_steps, description="T", continuous_update=False,
                             style=_WIDE),
        "state": W.Dropdown(options=[(labels[s], s) for s in ERRATA_STATES], value="zero (the article's)",
                            description=tr("initial state"), style=_WIDE),
    }

    def update(fig, variant, steps, state):
        report = ch03.errata_gradcheck(ch03.ERRATA_VARIANTS[variant], steps, seed=seed,
                                       zero_state=ERRATA_STATES[state], stencil="centred")
        pic.update(report, title=f"{variant}, T = {steps}, {state.split(' ')[0]} state: ")

    return Explorer(controls, fig, update, title=tr("Gradient-check the article's backward pass"))
