"""Chapter 06's pictures (learning curves, the forget-bias runs, clipping) and self-checks. The
training experiments themselves, their claims and verdicts are tested with the chapter-06
experiments; here tiny runs only feed the pictures."""
import numpy as np
import pytest
from test_course_support import (
    assert_clean_texts,
    assert_legend_lists_the_labels,
    outside_pyplot,
    png,
    right,
    wrong,
)

from lstmlib import tasks
from lstmlib.course import ch06, exercises, plots
from lstmlib.course.plots._style import _CEIL


@pytest.fixture(scope="module")
def tiny_experiments():
    kw = dict(progress=False)
    adding = ch06.adding_experiment(8, steps=20, eval_every=10, hidden_size=4, **kw)
    order = ch06.temporal_order_experiment(10, steps=20, eval_every=10, hidden_size=4, **kw)
    bias = ch06.forget_bias_experiment(10, steps=20, seeds=(0, 1), eval_every=10, hidden_size=4, **kw)
    clip = ch06.clipping_experiment(10, steps=30, seeds=(0,), hidden_size=4, scale=2.0, lr=1.0, **kw)
    return adding, order, bias, clip


def _run_lines(ax):
    return [ln for ln in ax.lines if ln.get_label().startswith(("RNN", "LSTM", "GRU"))]


def test_learning_curves_draw_every_runs_held_out_loss(tiny_experiments):
    adding, order, _, _ = tiny_experiments
    fig = plots.plot_learning_curves(adding, order)
    assert outside_pyplot(fig) and len(fig.axes) == 2
    for ax, ex in zip(fig.axes, (adding, order)):
        lines = _run_lines(ax)
        assert [ln.get_label() for ln in lines] == [r.spec.label for r in ex.results]
        for ln, r in zip(lines, ex.results):
            np.testing.assert_array_equal(ln.get_xdata(), r.history.eval_step)
            np.testing.assert_allclose(ln.get_ydata(), r.history.eval_loss)
        task = ex.results[0].spec.make_task()
        assert ax.get_title() == task.name and ax.get_yscale() == "log"
        baseline = [ln for ln in ax.lines if ln.get_label() == "best constant"]
        assert len(baseline) == 1 and baseline[0].get_ydata()[0] == pytest.approx(task.baseline_loss)
        assert_legend_lists_the_labels(ax)
    assert adding.results[0].spec.make_task().baseline_loss == tasks.ADDING_BASELINE_MSE
    target = [ln for ln in fig.axes[0].lines if ln.get_label() == "target"]
    assert len(target) == 1 and target[0].get_ydata()[0] == ch06.TASK_TARGETS["adding"]
    assert not [ln for ln in fig.axes[1].lines if ln.get_label() == "target"]  # a loss target: adding only
    assert_clean_texts(fig)
    png(fig)


def test_learning_curves_of_accuracy(tiny_experiments):
    adding, order, _, _ = tiny_experiments
    fig = plots.plot_learning_curves(order, accuracy=True)
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 1.05) and ax.get_ylabel() == "held-out accuracy"
    for ln, r in zip(_run_lines(ax), order.results):
        np.testing.assert_allclose(ln.get_ydata(), r.history.eval_accuracy)
    levels = {ln.get_label(): ln.get_ydata()[0] for ln in ax.lines if not ln.get_label().startswith(("R", "L", "G"))}
    task = order.results[0].spec.make_task()
    assert levels == {"chance": task.chance_accuracy, "target": ch06.TASK_TARGETS["temporal-order"]}
    assert_legend_lists_the_labels(ax)
    png(fig)
    with pytest.raises(ValueError, match="accuracy"):
        plots.plot_learning_curves(adding, accuracy=True)
    with pytest.raises(ValueError, match="experiments"):
        plots.plot_learning_curves()


def test_forget_bias_runs_are_coloured_by_bias_and_styled_by_seed(tiny_experiments):
    _, _, bias, _ = tiny_experiments
    fig = plots.plot_forget_bias_runs(bias)
    ax = fig.axes[0]
    assert len(ax.lines) == 6  # b_f = 0, 1, 3, two seeds each
    for ln, r in zip(ax.lines, bias.results):
        assert ln.get_label() == r.spec.label
        np.testing.assert_allclose(ln.get_ydata(), r.history.eval_accuracy)
    colours = {r.spec.forget_bias: ln.get_color() for ln, r in zip(ax.lines, bias.results)}
    styles = {r.spec.seed: ln.get_linestyle() for ln, r in zip(ax.lines, bias.results)}
    assert len(set(colours.values())) == 3 and len(set(styles.values())) == 2
    for ln, r in zip(ax.lines, bias.results):  # the same bias, the same colour; the same seed, the same style
        assert ln.get_color() == colours[r.spec.forget_bias] and ln.get_linestyle() == styles[r.spec.seed]
    assert ax.get_ylabel() == "held-out accuracy"
    assert_legend_lists_the_labels(ax)
    assert_clean_texts(fig)
    png(fig)


def test_clipping_picture_draws_norms_losses_and_divergences(tiny_experiments):
    _, _, _, clip = tiny_experiments
    assert [r.diverged for r in clip.results] == [True, True, False]  # the tiny set-up exercises both
    fig = plots.plot_clipping(clip)
    ax_g, ax_l = fig.axes
    runs = [ln for ln in ax_g.lines if not ln.get_label().startswith(("θ", "_"))]
    assert [ln.get_label() for ln in runs] == ["default weights", "large weights", "large weights, clipped"]
    for ln, r in zip(runs, clip.results):
        h = r.history
        want = np.minimum(np.nan_to_num(h.grad_norm, nan=_CEIL, posinf=_CEIL), _CEIL)
        np.testing.assert_allclose(ln.get_ydata(), np.maximum(want, 1e-300))
        np.testing.assert_array_equal(ln.get_xdata(), np.arange(1, h.steps + 1))
    theta = [ln for ln in ax_g.lines if ln.get_label().startswith("θ")]
    assert len(theta) == 1 and theta[0].get_ydata()[0] == 1.0 and theta[0].get_label() == "θ = 1"
    crosses = [ln for ln in ax_l.lines if ln.get_marker() == "x"]
    assert sorted(ln.get_xdata()[0] for ln in crosses) == sorted(r.history.diverged_at for r in clip.results
                                                                 if r.diverged)
    assert all(ln.get_ydata()[0] == _CEIL for ln in crosses)
    baseline = [ln for ln in ax_l.lines if ln.get_label() == "best constant 1/6"]
    assert baseline[0].get_ydata()[0] == pytest.approx(tasks.ADDING_BASELINE_MSE)
    for ax in fig.axes:
        assert ax.get_yscale() == "log"
        assert_legend_lists_the_labels(ax)
    assert_clean_texts(fig)
    png(fig)


# ---- self-checks ----------------------------------------------------------------------------------------
def test_adding_baseline():
    right(exercises.check_adding_baseline(2 / 3))
    wrong(exercises.check_adding_baseline(1 / 3), "one value")
    wrong(exercises.check_adding_baseline(1 / 6), "[0, 1]")
    wrong(exercises.check_adding_baseline(1.0), "variance")
    right(exercises.check_adding_baseline(1 / 6, low=0.0, high=1.0))
    # the answer is the task's own: the best constant's MSE on the adding problem with values in [0, 1]
    assert right(exercises.check_adding_baseline(tasks.ADDING_BASELINE_MSE, low=0.0, high=1.0))


def test_clipped_gradient():
    right(exercises.check_clipped_gradient([0.6, 0.8]))
    wrong(exercises.check_clipped_gradient([1.0, 1.0]), "direction")
    wrong(exercises.check_clipped_gradient([3.0, 4.0]), "above theta")
    wrong(exercises.check_clipped_gradient([0.3, 0.4]), "divide the whole vector")
    wrong(exercises.check_clipped_gradient([0.6]), "expected 2 numbers")
    wrong(exercises.check_clipped_gradient(["a", "b"]), "list of numbers")
    right(exercises.check_clipped_gradient([0.3, 0.4], grad=(0.3, 0.4), theta=1.0))  # below theta: unchanged
    right(exercises.check_clipped_gradient([1.2, 1.6], theta=2.0))


def test_chance_cross_entropy():
    right(exercises.check_chance_cross_entropy(np.log(8)))
    right(exercises.check_chance_cross_entropy(2.0794))
    wrong(exercises.check_chance_cross_entropy(3.0), "bits")
    wrong(exercises.check_chance_cross_entropy(0.125), "accuracy")
    wrong(exercises.check_chance_cross_entropy(1.0), "uniform")
    right(exercises.check_chance_cross_entropy(np.log(4), classes=4))
