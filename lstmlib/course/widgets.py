"""The ipywidgets explorers. Each is a function returning a widget; its compute lives in a
separate, tested function and its drawing in ``plots``, so both can be tested and timed.

All explorers share one mechanism, ``Explorer``: a matplotlib figure that is NOT managed by pyplot
(so the inline backend never shows a stale copy), redrawn by updating its artists in place and
rendered to PNG into an ``ipywidgets.Image``. No ``Output`` widget, no ``clear_output``: nothing
flickers, nothing leaks into the saved notebook, and every redraw is timed.
"""
from __future__ import annotations

import base64
import io
import time
from typing import Callable

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from . import ch01, ch02, ch03, ch04, ch05, plots
from .plots._style import blank_figure


class Explorer(W.VBox):
    """Controls above a picture. ``update(fig, **values)`` changes the figure's artists for the
    current control values; it runs once at construction and again on every change.

    ``timings`` keeps ``(compute_and_update_seconds, render_seconds)`` of every redraw, for
    ``benchmarks/bench_widgets.py``; ``redraw()`` runs one by hand (for tests).
    """

    def __init__(self, controls: dict[str, W.ValueWidget], fig: Figure,
                 update: Callable[..., None], *, dpi: int = 80, layout_rows=None, title: str = ""):
        self.controls = dict(controls)
        self.fig = fig
        self._update = update
        self.dpi = dpi
        self.timings: list[tuple[float, float]] = []
        # Draw at the PNG's own resolution on one canvas kept for the widget's life: savefig
        # would switch the figure's dpi, make a new canvas and re-measure every text each time.
        fig.set_dpi(dpi)
        self._canvas = FigureCanvasAgg(fig)
        for ax in fig.axes:
            # A title at a fixed height: otherwise every draw measures the tick labels to see
            # whether the title must move up (a fifth of the draw time of a two-panel figure).
            # Giving set_title a y switches that off for good.
            for loc in ("left", "center", "right"):
                ax.set_title(ax.get_title(loc), loc=loc, y=1.0)
        # Shown at its own size (a VBox stretches its children to the full width, which enlarges
        # the picture up to twice and blurs it), never wider than the notebook.
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start",
                                                           max_width="100%"))
        self.image.add_class("lstmlib-explorer-image")
        rows = layout_rows or [list(self.controls.values())]
        boxes = [W.HBox(r) for r in rows]
        head = [W.HTML(f"<b>{title}</b>")] if title else []
        super().__init__(head + boxes + [self.image])
        self.add_class("lstmlib-explorer")
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.redraw()

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def redraw(self) -> None:
        t0 = time.perf_counter()
        self._update(self.fig, **self.values())
        t1 = time.perf_counter()
        self._canvas.draw()
        rgba = self._canvas.buffer_rgba()
        buf = io.BytesIO()
        # RGB (the figure is opaque) and light compression: a third of the bytes of RGBA, and
        # zlib level 1 costs a few ms where the default costs three times that.
        PILImage.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba).convert("RGB").save(
            buf, format="png", compress_level=1)
        self.image.value = buf.getvalue()
        self.timings.append((t1 - t0, time.perf_counter() - t1))

    def _on_change(self, _change) -> None:
        self.redraw()

    def __repr__(self) -> str:
        # What a reader sees where the widget should be when a saved notebook is opened without
        # running it (JupyterLab does not restore saved widget state).
        return f"{type(self).__name__}: run the notebook's cells (Run > Run All Cells) to use this explorer"

    def _repr_mimebundle_(self, **kwargs):
        # Beside the live view, the picture at the settings it was displayed with: GitHub, nbviewer
        # and a saved notebook opened without running show it where they cannot run a widget.
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None and self.image.value:
            data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data


_WIDE = {"description_width": "initial"}


def _slider(value, lo, hi, step, description, fmt=".2f", width="300px"):
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         readout_format=fmt, continuous_update=False, style=_WIDE,
                         layout=W.Layout(width=width))


def _margins(fig: Figure, **adjust) -> Figure:
    fig.subplots_adjust(**adjust)
    return fig


def activation_explorer() -> Explorer:
    """Chapter 00's warm-up: pick an activation and a weighted input ``a``; see ``f(a)``,
    ``f'(a)`` and the derivative bound ``beta_f`` that chapter 01's bound is built from."""
    fig = blank_figure(8, 3.0, layout=None)
    pic = plots.ActivationPicture(fig)
    _margins(fig, left=0.07, right=0.98, bottom=0.16, top=0.89, wspace=0.22)
    controls = {
        "name": W.Dropdown(options=["tanh", "sigmoid", "relu"], value="tanh", description="activation",
                           style=_WIDE),
        "a": _slider(1.0, -6.0, 6.0, 0.1, "weighted input a"),
    }
    return Explorer(controls, fig, lambda fig, name, a: pic.update(name, a),
                    title="An activation and its derivative")


def rnn_gradient_explorer(*, max_steps: int = 100, seed: int = 0) -> Explorer:
    """Chapter 01: a plain RNN with ``W = rho * Q`` (``Q`` orthogonal, so rho is both the spectral
    radius and ``beta_W``). Controls: rho, the activation, T. Picture: ``||delta_k||`` against the
    article's bound on a log scale, and the per-step weight-gradient contributions with their sum."""
    exp = ch01.radius_experiment(max_steps=max_steps, seed=seed)
    fig = blank_figure(9, 3.4, layout=None)
    pic = plots.RNNFlowPicture(fig, max_steps=exp.max_steps)
    _margins(fig, left=0.1, right=0.98, bottom=0.14, top=0.9, wspace=0.28)
    controls = {
        "radius": _slider(0.9, 0.1, 5.0, 0.05, "spectral radius ρ of W"),
        "activation": W.Dropdown(options=["tanh", "sigmoid"], value="tanh", description="activation",
                                 style=_WIDE),
        "steps": W.IntSlider(value=30, min=2, max=exp.max_steps, description="sequence length T",
                             continuous_update=False, style=_WIDE, layout=W.Layout(width="300px")),
    }

    def update(fig, radius, activation, steps):
        flow = exp.flow(radius, activation, steps)
        pic.update(flow, title=(f"{activation}, ρ = {radius:.2f}:  β_f·β_W = {flow.beta_f * flow.beta_W:.3g},"
                                f"  ‖δ_1‖/‖δ_T‖ = {flow.gain:.2g}"))

    return Explorer(controls, fig, update, title="Vanishing and exploding gradients in a plain RNN")


def gate_explorer(*, steps: int = 20) -> Explorer:
    """Chapter 02's gate explorer: hold the forget, input and output gates of one unit at values
    of your choice, feed an input, and watch ``c_t`` and ``h_t`` over ``steps`` time steps."""
    fig = blank_figure(7.5, 3.3, layout=None)
    pic = plots.GateSwitchPicture(fig, max_steps=steps)
    _margins(fig, left=0.08, right=0.98, bottom=0.14, top=0.9)
    controls = {
        "f": _slider(0.9, 0.0, 1.0, 0.01, "forget gate f", width="260px"),
        "i": _slider(1.0, 0.0, 1.0, 0.01, "input gate i", width="260px"),
        "o": _slider(0.8, 0.0, 1.0, 0.01, "output gate o", width="260px"),
        "x": _slider(2.0, -3.0, 3.0, 0.1, "input x", width="260px"),
        "pattern": W.Dropdown(options=list(ch02.INPUT_PATTERNS), value="pulse", description="input arrives",
                              style=_WIDE),
    }
    rows = [[controls["f"], controls["i"], controls["o"]], [controls["x"], controls["pattern"]]]

    def update(fig, f, i, o, x, pattern):
        pic.update(ch02.gate_switch_trace(f, i, o, x, steps=steps, pattern=pattern))

    return Explorer(controls, fig, update, layout_rows=rows,
                    title="Gate explorer: the gates as switches")


def gate_bias_explorer(*, steps: int = 40, seed: int = 0) -> Explorer:
    """Chapter 02's second explorer: a real LSTM cell (random weights, 4 units) reading two input
    pulses; sliders set the biases ``b_f``, ``b_i``, ``b_o`` of every unit. Picture: the gates'
    mean values, each unit's cell state and output over time."""
    lab = ch02.bias_lab(steps=steps, seed=seed)
    fig = blank_figure(10, 3.3, layout=None)
    pic = plots.BiasPicture(fig, lab)
    _margins(fig, left=0.07, right=0.99, bottom=0.14, top=0.83, wspace=0.22)
    controls = {
        "b_f": _slider(0.0, -6.0, 6.0, 0.25, "forget bias b_f", width="280px"),
        "b_i": _slider(0.0, -6.0, 6.0, 0.25, "input bias b_i", width="280px"),
        "b_o": _slider(0.0, -6.0, 6.0, 0.25, "output bias b_o", width="280px"),
    }

    def update(fig, b_f, b_i, b_o):
        pic.update(lab.run(b_f, b_i, b_o), {"b_f": b_f, "b_i": b_i, "b_o": b_o})

    return Explorer(controls, fig, update, title="A real LSTM cell: set its gate biases")


ERRATA_STATES = {"zero (the article's)": True, "random": False}


def errata_explorer(*, max_steps: int = 8, seed: int = 0) -> Explorer:
    """Chapter 03: gradient-check a backward variant (correct, one of the article's three
    mistakes, or all three) at a chosen T, from a zero or a random initial state."""
    fig = blank_figure(6.8, 4.6, layout=None)
    pic = plots.GradcheckPicture(fig)
    _margins(fig, left=0.11, right=0.97, bottom=0.11, top=0.93)
    controls = {
        "variant": W.Dropdown(options=list(ch03.ERRATA_VARIANTS), value="article",
                              description="backward", style=_WIDE),
        "steps": W.IntSlider(value=2, min=1, max=max_steps, description="T", continuous_update=False,
                             style=_WIDE),
        "state": W.Dropdown(options=list(ERRATA_STATES), value="zero (the article's)",
                            description="initial state", style=_WIDE),
    }

    def update(fig, variant, steps, state):
        report = ch03.errata_gradcheck(ch03.ERRATA_VARIANTS[variant], steps, seed=seed,
                                           zero_state=ERRATA_STATES[state], stencil="centred")
        pic.update(report, title=f"{variant}, T = {steps}, {state.split(' ')[0]} state: ")

    return Explorer(controls, fig, update, title="Gradient-check the article's backward pass")


def gradient_flow_explorer(*, max_steps: int = 200, seed: int = 0) -> Explorer:
    """Chapter 04: an RNN, an LSTM and a GRU (16 units, zero biases, the same input sequence) on
    one log-scale plot of ``||dE/dh_k||`` (and the LSTM's ``||dE/dc_k||``) for a loss at the last
    step. Controls: which model to highlight (with its guide line), the LSTM's forget-gate bias,
    the weight scale (times the usual ``1/sqrt(H)``) and the sequence length T."""
    lab = ch04.GradientFlowLab(max_steps=max_steps, seed=seed)
    fig = blank_figure(8.5, 3.9, layout=None)
    pic = plots.GradientFlowPicture(fig.subplots())
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.13, top=0.9)
    controls = {
        "highlight": W.Dropdown(options=[("LSTM", "lstm"), ("GRU", "gru"), ("RNN", "rnn")],
                                value="lstm", description="highlight", style=_WIDE),
        "forget_bias": _slider(1.0, -2.0, 5.0, 0.25, "LSTM forget bias b_f"),
        "scale": _slider(1.0, 0.1, 3.0, 0.1, "weight scale"),
        "steps": W.IntSlider(value=50, min=5, max=lab.max_steps, description="sequence length T",
                             continuous_update=False, style=_WIDE,
                             layout=W.Layout(width="280px")),
    }
    rows = [[controls["highlight"], controls["forget_bias"]], [controls["scale"], controls["steps"]]]

    def update(fig, highlight, forget_bias, scale, steps):
        comp = lab.compare(forget_bias, scale, steps)
        first = {name: float(flow.relative("dh")[0]) for name, flow in comp.flows.items()}
        pic.update(comp.flows, comp.guides(), highlight,
                   title=(f"T = {steps}, weights × {scale:.1f}, b_f = {forget_bias:g}:   ‖∂E/∂h_1‖ "
                          f"RNN {first['rnn']:.1e}, LSTM {first['lstm']:.1e}, GRU {first['gru']:.1e}"))

    return Explorer(controls, fig, update, layout_rows=rows,
                    title="How far back does the gradient reach? RNN vs LSTM vs GRU")


def gate_hold_explorer(*, steps: int = 40, seed: int = 0) -> Explorer:
    """Chapter 05: a GRU of 4 units whose update gate z and reset gate r you hold fixed. Left: the
    units' ``h_t`` reading a pulse at step 5; right: ``||dh_t/dh_0||``, how much of the start
    survives. z = 0 keeps the past unchanged; z = 1 with r = 0 keeps nothing of it."""
    lab = ch05.GateLab(steps=steps, seed=seed)
    fig = blank_figure(9.5, 3.4, layout=None)
    pic = plots.GateHoldPicture(fig, units=lab.params.hidden_size, steps=steps, h0=lab.h0)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.2)
    controls = {
        "z": _slider(0.5, 0.0, 1.0, 0.05, "update gate z"),
        "r": _slider(0.5, 0.0, 1.0, 0.05, "reset gate r"),
    }
    x = lab.X[:, 0, 0]

    def update(fig, z, r):
        run = lab.run(z, r)
        pic.update(run, x, title=f"z = {z:.2f}, r = {r:.2f}:   h_t = (1 − z)·h_(t−1) + z·h̃_t")

    return Explorer(controls, fig, update, title="GRU gates held by hand: follow the past or ignore it")

