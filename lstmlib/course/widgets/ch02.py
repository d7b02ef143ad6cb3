"""Chapter 02's explorers: the gates by hand, and a real cell's gate biases."""
from __future__ import annotations

import ipywidgets as W

from .. import ch02, plots
from .._args import whole_number
from ..i18n import N_, tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _margins, _slider


def gate_explorer(*, steps: int = 20) -> Explorer:
    """Chapter 02's gate explorer: hold the forget, input and output gates of one unit at values
    of your choice, feed an input, and watch ``c_t`` and ``h_t`` over ``steps`` (2 to 200) time
    steps."""
    steps = whole_number(steps, "steps", 2, 200)
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


BIAS_START = {"b_f": 3.0, "b_i": 0.0, "b_o": -1.0}
"""Where the bias explorer opens: three gates at three different levels (about 0.95, 0.5 and 0.27),
and a forget gate that keeps each pulse for a while."""


def gate_bias_explorer(*, steps: int = 40, seed: int = 0) -> Explorer:
    """Chapter 02's second explorer: a real LSTM cell (random weights, 4 units) reading two input
    pulses over ``steps`` (8 to 400) steps; sliders set the biases ``b_f``, ``b_i``, ``b_o`` of
    every unit (opening at ``BIAS_START``). Picture: the gates' mean values, each unit's cell state
    and output over time."""
    lab = ch02.bias_lab(steps=whole_number(steps, "steps", 8, 400), seed=seed)
    fig = blank_figure(10.8, 3.3, layout=None)
    pic = plots.BiasPicture(fig, lab)
    _margins(fig, left=0.065, right=0.925, bottom=0.14, top=0.83, wspace=0.22)
    controls = {name: _slider(BIAS_START[name], -6.0, 6.0, 0.25, tr(label), width="280px")
                for name, label in (("b_f", N_("forget bias b_f")), ("b_i", N_("input bias b_i")),
                                    ("b_o", N_("output bias b_o")))}
    for slider in controls.values():  # a redraw takes ~55 ms: fast enough to follow the drag
        slider.continuous_update = True

    def update(fig, b_f, b_i, b_o):
        pic.update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})

    return Explorer(controls, fig, update, title=tr("A real LSTM cell: set its gate biases"))
