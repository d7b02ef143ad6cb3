"""Chapter 01's explorer: vanishing and exploding gradients in a plain RNN."""
from __future__ import annotations

import ipywidgets as W

from .. import ch01, plots
from .._args import whole_number
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _margins, _slider


START = {"radius": 1.5, "activation": "tanh", "steps": 30}
"""Where the explorer opens: near the edge between vanishing and exploding (chapter 01's static
pictures show rho = 0.9 and a range of radii at T = 50; this is a third view)."""


def rnn_gradient_explorer(*, max_steps: int = 100, seed: int = 0) -> Explorer:
    """Chapter 01: a plain RNN with ``W = rho * Q`` (``Q`` orthogonal, so rho is both the spectral
    radius and ``beta_W``), over at most ``max_steps`` (2 to 1000) steps; ``seed`` (>= 0) draws
    ``Q`` and the inputs. Controls: rho, the activation, T (opening at ``START``). Picture:
    ``||delta_k||`` against the article's bound on a log scale, and the per-step weight-gradient
    contributions with their sum."""
    max_steps = whole_number(max_steps, "max_steps", 2, 1000)
    exp = ch01.radius_experiment(max_steps=max_steps, seed=seed)
    fig = blank_figure(9, 3.8, layout=None)
    pic = plots.RNNFlowPicture(fig, max_steps=exp.max_steps)
    # room below the left panel for its legend; sliders redraw on release (a redraw takes ~70 ms)
    _margins(fig, left=0.09, right=0.98, bottom=0.25, top=0.91, wspace=0.34)
    controls = {
        "radius": _slider(START["radius"], 0.1, 5.0, 0.05, tr("spectral radius ρ of W")),
        "activation": W.Dropdown(options=["tanh", "sigmoid"], value=START["activation"],
                                 description=tr("activation"), style=_WIDE),
        "steps": W.IntSlider(value=min(START["steps"], exp.max_steps), min=2, max=exp.max_steps,
                             description=tr("sequence length T"),
                             continuous_update=False, style=_WIDE, layout=W.Layout(width="300px")),
    }

    def update(fig, radius, activation, steps):
        flow = exp.flow(radius, activation, steps)
        pic.update(flow, title=(f"{activation}, ρ = {radius:.2f}:  β_f·β_W = {flow.beta_f * flow.beta_W:.3g},"
                                f"  ‖δ_1‖/‖δ_T‖ = {flow.gain:.2g}"))

    return Explorer(controls, fig, update, title=tr("Vanishing and exploding gradients in a plain RNN"))
