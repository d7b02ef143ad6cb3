"""Chapters 04-06's figures: they draw the numbers of the tested compute functions and render to
PNG without warnings (their explorers are covered by test_explorers.py)."""
import io
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from lstmlib import experiments as E
from lstmlib import gradflow as gf
from lstmlib import plots


def _png(fig) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiny_experiments():
    adding = E.adding_experiment(8, steps=20, eval_every=10, hidden_size=4)
    order = E.temporal_order_experiment(10, steps=20, eval_every=10, hidden_size=4)
    bias = E.forget_bias_experiment(10, steps=20, seeds=(0, 1), eval_every=10, hidden_size=4)
    clip = E.clipping_experiment(10, steps=30, seeds=(0,), hidden_size=4, scale=2.0, lr=1.0)
    return adding, order, bias, clip


def test_gradient_flow_picture_draws_the_flows():
    comp = gf.GradientFlowLab(max_steps=40).compare(1.0, 1.0, 30)
    fig = plots.plot_gradient_flow(comp, highlight="gru")
    assert isinstance(fig, Figure) and fig.canvas.manager is None  # outside pyplot
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    pic = plots.GradientFlowPicture(Figure().subplots())
    pic.update(comp.flows, comp.guides(), "gru")
    np.testing.assert_allclose(pic.dh["lstm"].get_ydata(), comp.flows["lstm"].relative("dh"))
    np.testing.assert_allclose(pic.dc.get_ydata(), comp.flows["lstm"].relative("dc"))
    assert pic.dh["gru"].get_linewidth() > pic.dh["rnn"].get_linewidth()
    assert pic.guide["gru"].get_visible() and not pic.guide["lstm"].get_visible()
    np.testing.assert_allclose(pic.guide["gru"].get_ydata(), 0.5 ** np.arange(29, -1, -1))
    pic.update(comp.flows, comp.guides(), "lstm")
    assert pic.guide["lstm"].get_visible() and not pic.guide["gru"].get_visible()
    _png(fig)


def test_before_after_and_chapter04_statics():
    lab = gf.GradientFlowLab(max_steps=20)
    a, b = lab.compare(0.0, 1.0, 20), lab.compare(2.0, 0.5, 20)
    fig = plots.plot_gradient_flow_before_after(a.flows, b.flows)
    assert len(fig.axes) == 2 and fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    _png(fig)
    table = gf.forget_bias_table((0.0, 1.0), steps=10)
    fig = plots.plot_forget_bias_decay(table)
    marks = fig.axes[0].lines[1]
    np.testing.assert_allclose(marks.get_ydata(), [r.measured_small for r in table.rows])
    _png(fig)
    X = np.random.default_rng(0).standard_normal((6, 1, 4))
    norms = {b: gf.cell_jacobian_norms(gf.gated_models(4, 5, 0, forget_bias=b)["lstm"], X) for b in (0.0, 2.0)}
    fig = plots.plot_cell_jacobian(norms)
    assert len(fig.axes[0].lines) == 4
    _png(fig)


def test_gate_hold_picture():
    lab = gf.GateLab(steps=15)
    fig = plots.plot_gate_hold(lab, 0.4, 0.6)
    run = lab.run(0.4, 0.6)
    ax_h, ax_j = fig.axes
    np.testing.assert_allclose(ax_h.lines[0].get_ydata()[1:], run.hs[:, 0, 0])
    assert ax_h.lines[0].get_ydata()[0] == lab.h0[0, 0]
    np.testing.assert_allclose(ax_j.lines[0].get_ydata(), run.influence)
    _png(fig)
    _png(plots.plot_gate_hold(lab, 1.0, 0.0))  # influence exactly zero: still draws, no warning


def test_training_figures(tiny_experiments):
    adding, order, bias, clip = tiny_experiments
    fig = plots.plot_learning_curves(adding, order)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    run_lines = [ln for ln in ax.lines if ln.get_label().startswith(("RNN", "LSTM", "GRU"))]
    assert len(run_lines) == 3
    np.testing.assert_allclose(run_lines[1].get_ydata(), adding.results[1].history.eval_loss)
    assert any(np.allclose(ln.get_ydata(), 1 / 6) for ln in ax.lines)  # the baseline
    _png(fig)
    fig = plots.plot_learning_curves(order, accuracy=True)
    assert fig.axes[0].get_ylim() == (0, 1.05)
    _png(fig)
    with pytest.raises(ValueError, match="accuracy"):
        plots.plot_learning_curves(adding, accuracy=True)
    with pytest.raises(ValueError, match="experiments"):
        plots.plot_learning_curves()
    fig = plots.plot_forget_bias_runs(bias)
    assert len(fig.axes[0].lines) == 6  # b_f = 0, 1, 3, two seeds each
    _png(fig)
    fig = plots.plot_clipping(clip)
    assert len(fig.axes) == 2
    _png(fig)
