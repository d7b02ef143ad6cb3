"""Chapter 08's explorer: take the LSTM apart and watch its cell state on a long stream and its
gradient's reach, beside chapter 02's LSTM."""
from __future__ import annotations

import ipywidgets as W

from .. import plots
from ..ch08.parts import VARIANT_LABELS
from ..ch08.stream import VariantLab
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _slider


def variant_explorer(*, max_steps: int = 1000, seed: int = 0) -> Explorer:
    """Chapter 08: one variant (16 units, fresh weights from ``seed``) on one continual stream,
    never reset: its mean ``|c_t|`` over the stream (left) and its gradient's reach over the first
    100 steps (right), with chapter 02's LSTM (NP) in grey. Controls: the variant, the forget-gate
    bias b_f (both models), the stream's input mean, the stream's length."""
    lab = VariantLab(max_steps=max_steps, seed=seed)
    fig = blank_figure(9.0, 3.7, layout=None)
    pic = plots.VariantPicture(fig)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.3)
    controls = {
        "label": W.Dropdown(options=list(VARIANT_LABELS), value="NFG", description=tr("variant"), style=_WIDE),
        "forget_bias": _slider(1.0, -2.0, 4.0, 0.25, tr("forget bias b_f")),
        "input_mean": _slider(0.5, -1.0, 1.0, 0.1, tr("input mean")),
        "steps": W.IntSlider(value=lab.max_steps, min=100, max=lab.max_steps, step=100,
                             description=tr("stream length"), continuous_update=False, style=_WIDE,
                             layout=W.Layout(width="280px")),
    }
    rows = [[controls["label"], controls["forget_bias"]], [controls["input_mean"], controls["steps"]]]

    def update(fig, label, forget_bias, input_mean, steps):
        view = lab.view(label, forget_bias, input_mean, steps)
        d, d0 = view[0], view[1]
        # the figure's own title stays English, like every figure's text (no CJK font is needed)
        pic.update(*view, title=f"{label}, b_f = {forget_bias:g}, input mean {input_mean:g}: mean |c| at t = {steps}: "
                                f"{d.size[-1]:.3g} (NP {d0.size[-1]:.3g})")

    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("Take the LSTM apart: the cell state on a long stream, and the gradient's reach"))
