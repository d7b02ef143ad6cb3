"""Chapter 05's explorer: how far back the gradient reaches in RNN, LSTM and GRU."""
from __future__ import annotations

import ipywidgets as W

from ...models import MODELS
from .. import _checks, ch05, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _slider

MAX_STEPS = 1000
"""The longest sequence the explorer offers: a redraw stays under about 100 ms up to here."""


def gradient_flow_explorer(*, max_steps: int = 200, seed: int = 0, highlight: str = "lstm",
                           forget_bias: float = 1.0, scale: float = 1.0, steps: int = 50) -> Explorer:
    """Chapter 05: an RNN, an LSTM and a GRU (16 units, zero biases, the same input sequence) on
    one log-scale plot of ``||dE/dh_k||`` (and the LSTM's ``||dE/dc_k||``) for a loss at the last
    step. Controls: which model to highlight (with its guide line), the LSTM's forget-gate bias
    (-2 to 5), the weight scale (0.1 to 3, times the usual ``1/sqrt(H)``) and the sequence length
    T (5 to ``max_steps``, itself from 5 to ``MAX_STEPS``); the keywords set where they start.
    The sliders redraw while dragged."""
    max_steps = _checks.whole_number(max_steps, "max_steps", 5, MAX_STEPS)
    if highlight not in MODELS:
        raise ValueError(f"highlight: expected one of {tuple(MODELS)}, got {highlight!r}")
    forget_bias = _checks.number_in(forget_bias, "forget_bias", -2.0, 5.0)
    scale = _checks.number_in(scale, "scale", 0.1, 3.0)
    steps = _checks.whole_number(steps, "steps", 5, max_steps)
    lab = ch05.GradientFlowLab(max_steps=max_steps, seed=_checks.seed(seed))
    fig = blank_figure(8.5, 4.3, layout=None)
    pic = plots.GradientFlowPicture(fig.subplots())
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.28, top=0.92)
    controls = {
        "highlight": W.Dropdown(options=[(m.title, name) for name, m in MODELS.items()],
                                value=highlight, description=tr("highlight"), style=_WIDE),
        "forget_bias": _slider(forget_bias, -2.0, 5.0, 0.25, tr("LSTM forget bias b_f")),
        "scale": _slider(scale, 0.1, 3.0, 0.1, tr("weight scale")),
        "steps": W.IntSlider(value=steps, min=5, max=lab.max_steps, description=tr("sequence length T"),
                             continuous_update=False, style=_WIDE,
                             layout=W.Layout(width="280px")),
    }
    for name in ("forget_bias", "scale", "steps"):  # a redraw takes well under 60 ms, even at T = 200
        controls[name].continuous_update = True
    rows = [[controls["highlight"], controls["forget_bias"]], [controls["scale"], controls["steps"]]]

    def update(fig, highlight, forget_bias, scale, steps):
        comp = lab.compare(forget_bias, scale, steps)
        first = ", ".join(f"{MODELS[n].title} {flow.relative('dh')[0]:.1e}" for n, flow in comp.flows.items())
        pic.update(comp.flows, comp.guides(), highlight,
                   title=f"T = {steps}, weights × {scale:.1f}, b_f = {forget_bias:g}:   ‖∂E/∂h_1‖ {first}",
                   guide_label=ch05.guide_label(comp.models[highlight]))

    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("How far back does the gradient reach? RNN vs LSTM vs GRU"))
