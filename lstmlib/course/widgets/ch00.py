"""Chapter 00's explorer: an activation function and its derivative."""
from __future__ import annotations

import ipywidgets as W

from .. import plots
from ..i18n import tr
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _margins, _slider


def activation_explorer() -> Explorer:
    """Chapter 00's warm-up: pick an activation and a weighted input ``a``; see ``f(a)``,
    ``f'(a)`` and the derivative bound ``beta_f`` that chapter 01's bound is built from."""
    fig = blank_figure(8, 3.0, layout=None)
    pic = plots.ActivationPicture(fig)
    _margins(fig, left=0.07, right=0.98, bottom=0.16, top=0.89, wspace=0.22)
    controls = {
        "name": W.Dropdown(options=["tanh", "sigmoid", "relu"], value="tanh", description=tr("activation"),
                           style=_WIDE),
        "a": _slider(1.0, -6.0, 6.0, 0.1, tr("weighted input a")),
    }
    controls["a"].continuous_update = True  # a redraw takes about 40 ms: follow the slider as it moves
    return Explorer(controls, fig, lambda fig, name, a: pic.update(name, a),
                    title=tr("An activation and its derivative"))
