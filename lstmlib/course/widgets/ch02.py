"""Chapter 02's explorers: the gates by hand, and a real cell's gate biases."""
from __future__ import annotations

import ipywidgets as W

from .. import ch02, plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _margins, _slider


def gate_explorer(*, steps: int = 20) -> Explorer:
    """Chapter 02's gate explorer: hold the forget, input and output gates of one unit at values
    of your choice, feed an input, and watch ``c_t`` and ``h_t`` over ``steps`` time steps."""
    fig = blank_figure(9.0, 3.3, layout=None)
    pic = plots.GateSwitchPicture(fig, max_steps=steps)
    _margins(fig, left=0.07, right=0.74, bottom=0.14, top=0.9)  # the legend sits to the right
    labels = {"pulse": tr("pulse"), "constant": tr("constant"), "two pulses": tr("two pulses")}
    controls = {
        "f": _slider(0.9, 0.0, 1.0, 0.01, tr("forget gate f"), width="260px"),
        "i": _slider(1.0, 0.0, 1.0, 0.01, tr("input gate i"), width="260px"),
        "o": _slider(0.8, 0.0, 1.0, 0.01, tr("output gate o"), width="260px"),
        "x": _slider(2.0, -3.0, 3.0, 0.1, tr("input x"), width="260px"),
        "pattern": W.Dropdown(options=[(labels[p], p) for p in ch02.INPUT_PATTERNS], value="pulse",
                              description=tr("input arrives"), style=_WIDE),
    }
    rows = [[controls["f"], controls["i"], controls["o"]], [controls["x"], controls["pattern"]]]
    for name in ("f", "i", "o", "x"):  # a redraw takes ~45 ms: fast enough to follow the drag
        controls[name].continuous_update = True

    def update(fig, f, i, o, x, pattern):
        pic.update(ch02.gate_switch_trace(f, i, o, x, steps=steps, pattern=pattern))

    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("Gate explorer: the gates as switches"))


def gate_bias_explorer(*, steps: int = 40, seed: int = 0) -> Explorer:
    """Chapter 02's second explorer: a real LSTM cell (random weights, 4 units) reading two input
    pulses; sliders set the biases ``b_f``, ``b_i``, ``b_o`` of every unit. Picture: the gates'
    mean values, each unit's cell state and output over time."""
    lab = ch02.bias_lab(steps=steps, seed=seed)
    fig = blank_figure(10, 3.3, layout=None)
    pic = plots.BiasPicture(fig, lab)
    _margins(fig, left=0.07, right=0.99, bottom=0.14, top=0.83, wspace=0.22)
    controls = {
        "b_f": _slider(0.0, -6.0, 6.0, 0.25, tr("forget bias b_f"), width="280px"),
        "b_i": _slider(0.0, -6.0, 6.0, 0.25, tr("input bias b_i"), width="280px"),
        "b_o": _slider(0.0, -6.0, 6.0, 0.25, tr("output bias b_o"), width="280px"),
    }
    for slider in controls.values():  # a redraw takes ~55 ms: fast enough to follow the drag
        slider.continuous_update = True

    def update(fig, b_f, b_i, b_o):
        pic.update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})

    return Explorer(controls, fig, update, title=tr("A real LSTM cell: set its gate biases"))
