"""Chapter 05's explorer: how far back the gradient reaches in RNN, LSTM and GRU."""
from __future__ import annotations

import ipywidgets as W

from .. import ch05, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _slider


def gradient_flow_explorer(*, max_steps: int = 200, seed: int = 0) -> Explorer:
    """Chapter 05: an RNN, an LSTM and a GRU (16 units, zero biases, the same input sequence) on
    one log-scale plot of ``||dE/dh_k||`` (and the LSTM's ``||dE/dc_k||``) for a loss at the last
    step. Controls: which model to highlight (with its guide line), the LSTM's forget-gate bias,
    the weight scale (times the usual ``1/sqrt(H)``) and the sequence length T. The sliders redraw
    while dragged."""
    lab = ch05.GradientFlowLab(max_steps=max_steps, seed=seed)
    fig = blank_figure(8.5, 3.9, layout=None)
    pic = plots.GradientFlowPicture(fig.subplots())
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.13, top=0.9)
    controls = {
        "highlight": W.Dropdown(options=[("LSTM", "lstm"), ("GRU", "gru"), ("RNN", "rnn")],
                                value="lstm", description=tr("highlight"), style=_WIDE),
        "forget_bias": _slider(1.0, -2.0, 5.0, 0.25, tr("LSTM forget bias b_f")),
        "scale": _slider(1.0, 0.1, 3.0, 0.1, tr("weight scale")),
        "steps": W.IntSlider(value=50, min=5, max=lab.max_steps, description=tr("sequence length T"),
                             continuous_update=False, style=_WIDE,
                             layout=W.Layout(width="280px")),
    }
    for name in ("forget_bias", "scale", "steps"):  # a redraw takes well under 60 ms, even at T = 200
        controls[name].continuous_update = True
    rows = [[controls["highlight"], controls["forget_bias"]], [controls["scale"], controls["steps"]]]

    def update(fig, highlight, forget_bias, scale, steps):
        comp = lab.compare(forget_bias, scale, steps)
        first = {name: float(flow.relative("dh")[0]) for name, flow in comp.flows.items()}
        pic.update(comp.flows, comp.guides(), highlight,
                   title=(f"T = {steps}, weights × {scale:.1f}, b_f = {forget_bias:g}:   ‖∂E/∂h_1‖ "
                          f"RNN {first['rnn']:.1e}, LSTM {first['lstm']:.1e}, GRU {first['gru']:.1e}"))

    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("How far back does the gradient reach? RNN vs LSTM vs GRU"))
