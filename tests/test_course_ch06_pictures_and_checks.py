"""Chapter 06's pictures (learning curves, clipping, the explosion watched, and the after-training
measurements) and self-checks. The experiments themselves, their claims and verdicts are tested
with the chapter-06 experiments; here tiny runs only feed the pictures. Every picture keeps its
legend outside the axes (a figure legend), so each axes must have none of its own."""
import numpy as np
import pytest
from test_course_support import assert_clean_texts, outside_pyplot, png, right, wrong

from lstmlib import losses, optim, tasks
from lstmlib.course import ch06
from lstmlib.course.exercises import ch06 as checks
from lstmlib.course.plots import ch06 as plots


@pytest.fixture(scope="module")
def tiny():
    runs = ch06.RunCache()
    kw = dict(progress=False, runs=runs, lstm_hidden=4, eval_every=10)
    adding = ch06.adding_experiment(8, steps=40, seeds=(0, 1), **kw)
    order = ch06.temporal_order_experiment(10, steps=40, seeds=(0, 1), biases=(0.0, 1.0, 3.0), **kw)
    clip = ch06.clipping_experiment(10, steps=30, seeds=(0,), hidden_size=4, scale=2.0, lr=1.0, progress=False)
    watch = ch06.watch_explosion(20, steps=40, scale=1.0, lr=0.5, hidden_size=8, batch_size=8, batch=16)
    ba = ch06.gradient_flow_before_after(8, steps=40, batch=8, **kw)
    return dict(adding=adding, order=order, clip=clip, watch=watch, ba=ba)


def _legend(fig) -> list[str]:
    assert len(fig.legends) == 1, "one figure legend, outside the axes"
    assert all(ax.get_legend() is None for ax in fig.axes), "no legend inside an axes, over the data"
    return [t.get_text() for t in fig.legends[0].get_texts()]


def _lines(ax, prefix="_"):
    return [ln for ln in ax.lines if ln.get_label().startswith(prefix)]


def _run_lines(ax):
    return {ln.get_label()[1:]: ln for ln in ax.lines if ln.get_label()[1:].startswith(("RNN", "LSTM", "GRU"))}


def test_learning_curves_one_panel_per_model(tiny):
    ex = tiny["adding"]
    fig = plots.plot_learning_curves(ex)
    assert outside_pyplot(fig) and len(fig.axes) == 3
    for ax, group in zip(fig.axes, ex.groups):
        runs = ex.group(group)
        assert ax.get_title().startswith(group) and f"({runs[0].num_parameters} parameters)" in ax.get_title()
        lines = _run_lines(ax)
        assert sorted(lines) == sorted(r.spec.label for r in runs)
        for r in runs:
            ln = lines[r.spec.label]
            np.testing.assert_array_equal(ln.get_xdata(), r.history.eval_step)
            np.testing.assert_allclose(ln.get_ydata(), r.history.eval_loss)
        assert len({ln.get_linestyle() for ln in lines.values()}) == 2  # one style per seed
        levels = {ln.get_label(): ln.get_ydata()[0] for ln in ax.lines if ln.get_label() in ("_baseline", "_target")}
        assert levels == {"_baseline": pytest.approx(tasks.ADDING_BASELINE_MSE), "_target": ch06.TASK_TARGETS["adding"]}
        assert ax.get_yscale() == "log"
        solved = [r for r in runs if r.solved]
        assert len([ln for ln in ax.lines if ln.get_label() == "_reached"]) == len(solved)
    assert _legend(fig) == ["seed 0", "seed 1", "target met", "best constant prediction", "target"]
    assert_clean_texts(fig)
    png(fig)


def test_learning_curves_of_accuracy_and_the_forget_bias_panels(tiny):
    ex = tiny["order"]
    fig = plots.plot_learning_curves(ex, accuracy=True)
    assert len(fig.axes) == 5 and fig.axes[0].get_ylim() == (0, 1.05)
    for ax, group in zip(fig.axes, ex.groups):
        for r in ex.group(group):
            np.testing.assert_allclose(_run_lines(ax)[r.spec.label].get_ydata(), r.history.eval_accuracy)
    levels = {ln.get_label(): ln.get_ydata()[0] for ln in fig.axes[0].lines if ln.get_label() in ("_chance", "_target")}
    assert levels == {"_chance": 0.25, "_target": ch06.TASK_TARGETS["temporal-order"]}
    assert _legend(fig)[-2:] == ["chance", "target"]
    colours = {g: _run_lines(ax)[ex.group(g)[0].spec.label].get_color() for ax, g in zip(fig.axes, ex.groups)}
    assert len(set(map(str, colours.values()))) == 5  # each model (and each forget bias) its own colour
    bias = plots.plot_forget_bias_runs(ex)
    assert [ax.get_title().split("  ")[0] for ax in bias.axes] == ["LSTM b_f=0", "LSTM b_f=1", "LSTM b_f=3"]
    png(fig)
    with pytest.raises(ValueError, match="accuracy"):
        plots.plot_learning_curves(tiny["adding"], accuracy=True)
    with pytest.raises(ValueError, match="groups"):
        plots.plot_learning_curves(ex, groups=("CNN",))
    with pytest.raises(ValueError, match="experiment"):
        plots.plot_learning_curves("x")


def test_clipping_picture_leaves_out_what_is_off_the_scale_and_marks_it(tiny):
    ex = tiny["clip"]
    assert [r.diverged for r in ex.results] == [True, True, False]  # the tiny set-up exercises both
    fig = plots.plot_clipping(ex, norm_range=(0.1, 1e3), loss_range=(0.05, 1e2))
    ax_g, ax_l = fig.axes
    for ax, top, values in ((ax_g, 1e3, "grad_norm"), (ax_l, 1e2, "loss")):
        assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((top / (1e4 if top == 1e3 else 2e3), top))
        lines = _run_lines(ax)
        for r in ex.results:
            v = getattr(r.history, values)
            want = np.where(np.isfinite(v) & (v <= top), np.maximum(v, ax.get_ylim()[0]), np.nan)
            np.testing.assert_allclose(lines[r.spec.label].get_ydata(), want)
            np.testing.assert_array_equal(lines[r.spec.label].get_xdata(), np.arange(1, r.history.steps + 1))
        crosses = [ln for ln in ax.lines if ln.get_label() == "_overflow"]
        assert sorted(ln.get_xdata()[0] for ln in crosses) == sorted(r.history.diverged_at for r in ex.results if r.diverged)
        assert all(ln.get_ydata()[0] == top and ln.get_marker() == "x" for ln in crosses)
        assert all(ln.get_ydata()[0] == top for ln in ax.lines if ln.get_label() == "_left")
    theta = [ln for ln in ax_g.lines if ln.get_label() == "_theta"]
    assert theta[0].get_ydata()[0] == 1.0
    levels = {ln.get_label(): ln.get_ydata()[0] for ln in ax_l.lines if ln.get_label() in ("_baseline", "_stable")}
    assert levels == {"_baseline": pytest.approx(1 / 6), "_stable": pytest.approx(ch06.STABLE_FACTOR / 6)}
    legend = _legend(fig)
    assert legend[:3] == ["default weights", "large weights", "large weights, clipped"]
    assert {"seed 0", "left the range", "overflowed, stopped", "θ = 1", "baseline 1/6", "stable limit 2/6"} <= set(legend)
    assert [ax.get_title() for ax in fig.axes] == ["values above 10³ not drawn", "values above 10² not drawn"]
    assert_clean_texts(fig)
    png(fig)


def test_explosion_picture_draws_the_watch(tiny):
    w = tiny["watch"]
    fig = plots.plot_explosion(w)
    assert len(fig.axes) == 4
    keys = ("weight_norm", "saturated", "head_curvature", "head_norm")
    for ax, key in zip(fig.axes, keys):
        for run in ("unclipped", "clipped"):
            ln = next(ln for ln in ax.lines if ln.get_label() == f"_{run}")
            np.testing.assert_array_equal(ln.get_ydata(), getattr(w, key)[run])
            np.testing.assert_array_equal(ln.get_xdata(), w.steps)
        overflow = [ln for ln in ax.lines if ln.get_label() == "_overflow"]
        assert [ln.get_xdata()[0] for ln in overflow] == [w.overflow["unclipped"]]
    assert fig.axes[1].get_ylim() == (0, 1.02) and fig.axes[2].get_yscale() == "linear"
    assert [ln.get_ydata()[0] for ln in fig.axes[2].lines if ln.get_label() == "_two"] == [2.0]
    assert _legend(fig)[:2] == ["large weights, unclipped", "large weights, clipped"]
    assert_clean_texts(fig)
    png(fig)
    with pytest.raises(ValueError, match="watch"):
        plots.plot_explosion(tiny["clip"])


def test_gradient_flow_before_after_picture(tiny):
    ba = tiny["ba"]
    fig = plots.plot_gradient_flow_before_after(ba)
    assert [ax.get_title() for ax in fig.axes] == ["at initialisation", "after training"]
    for ax, flows in zip(fig.axes, (ba.before, ba.after)):
        for name, flow in flows.items():
            ln = next(ln for ln in ax.lines if ln.get_label() == f"_{name}")
            np.testing.assert_allclose(ln.get_ydata(), np.maximum(flow.relative("dh"), 1e-300))
            np.testing.assert_array_equal(ln.get_xdata(), np.arange(1, 9))
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
    assert _legend(fig) == ["RNN", "LSTM", "GRU", "first half: the first marked value is here"]
    assert_clean_texts(fig)
    png(fig)


def test_reach_over_training_picture(tiny):
    rt = ch06.reach_over_training(tiny["ba"])
    fig = plots.plot_reach_over_training(rt)
    assert len(fig.axes) == 3
    for ax, data in zip(fig.axes, (rt.loss, rt.reach, rt.best_hold)):
        for name, values in data.items():
            ln = next(ln for ln in ax.lines if ln.get_label() == f"_{name}")
            np.testing.assert_allclose(ln.get_ydata(), np.maximum(values, 1e-300))
            np.testing.assert_array_equal(ln.get_xdata(), rt.steps[name])
    solved = [n for n, s in rt.solved_at.items() if s is not None]
    assert len([ln for ln in fig.axes[1].lines if ln.get_label() == "_met"]) == len(solved)
    assert _legend(fig)[:3] == ["RNN", "LSTM", "GRU"]
    assert_clean_texts(fig)
    png(fig)


def test_gate_hold_picture(tiny):
    gh = ch06.gate_hold(tiny["ba"])
    fig = plots.plot_gate_hold(gh)
    axes = np.array(fig.axes).reshape(2, 2)
    for col, name in enumerate(("lstm", "gru")):
        order = np.argsort(-gh.hold_after[name], kind="stable")
        for row, (before, after) in enumerate(((gh.keep_before, gh.keep_after), (gh.hold_before, gh.hold_after))):
            ax = axes[row, col]
            b = next(ln for ln in ax.lines if ln.get_label() == "_before")
            a = next(ln for ln in ax.lines if ln.get_label() == "_after")
            floor = 1e-30 if row == 1 else -np.inf
            np.testing.assert_allclose(b.get_ydata(), np.maximum(before[name][order], floor))
            np.testing.assert_allclose(a.get_ydata(), np.maximum(after[name][order], floor))
            assert np.all(np.diff(gh.hold_after[name][order]) <= 0)
        assert axes[1, col].get_yscale() == "log"
    assert axes[0, 0].get_ylim() == (0, 1.02)
    assert _legend(fig) == ["at initialisation", "LSTM after training", "GRU after training"]
    assert_clean_texts(fig)
    png(fig)


def test_gate_traces_picture(tiny):
    tr = ch06.gate_traces(tiny["ba"], sequence=1)
    fig = plots.plot_gate_traces(tr)
    heat = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heat] == ["LSTM forget gate f", "LSTM input gate i", "LSTM output gate o",
                                               "GRU update gate z", "GRU reset gate r"]
    for ax, (model, gate) in zip(heat, [("lstm", g) for g in "fio"] + [("gru", g) for g in "zr"]):
        im = ax.images[0]
        np.testing.assert_array_equal(im.get_array(), tr.gates[model][gate])
        assert (im.norm.vmin, im.norm.vmax) == (0, 1)  # one colour scale for every panel
        marks = [ln for ln in ax.lines if ln.get_label() == "_marked"]
        assert list(marks[0].get_xdata()) == list(tr.marked)
    bars = next(ax for ax in fig.axes if ax.patches)
    heights = [p.get_height() for p in bars.patches]
    np.testing.assert_allclose(heights, tr.values)
    colours = [p.get_facecolor() for p in bars.patches]
    marked = {t - 1 for t in tr.marked}
    assert len({colours[k] for k in marked}) == 1 and all(colours[k] != colours[min(marked)] for k in range(8)
                                                          if k not in marked)
    assert_clean_texts(fig)
    png(fig)
    with pytest.raises(ValueError, match="tr"):
        plots.plot_gate_traces(tiny["ba"])


# ---- self-checks ----------------------------------------------------------------------------------------
def test_adding_baseline():
    right(checks.check_adding_baseline(2 / 3))
    wrong(checks.check_adding_baseline(1 / 3), "one value")
    wrong(checks.check_adding_baseline(1 / 6), "[0, 1]")
    wrong(checks.check_adding_baseline(1.0), "variance")
    right(checks.check_adding_baseline(1 / 6, low=0.0, high=1.0))
    # the answer is the task's own: the best constant's MSE on the adding problem with values in [0, 1]
    assert right(checks.check_adding_baseline(tasks.ADDING_BASELINE_MSE, low=0.0, high=1.0))


def test_clipped_gradient():
    right(checks.check_clipped_gradient([0.6, 0.8]))
    wrong(checks.check_clipped_gradient([1.0, 1.0]), "direction")
    wrong(checks.check_clipped_gradient([3.0, 4.0]), "above theta")
    wrong(checks.check_clipped_gradient([0.3, 0.4]), "divide the whole vector")
    wrong(checks.check_clipped_gradient([0.6]), "expected 2 numbers")
    wrong(checks.check_clipped_gradient(["a", "b"]), "list of numbers")
    right(checks.check_clipped_gradient([0.3, 0.4], grad=(0.3, 0.4), theta=1.0))  # below theta: unchanged
    right(checks.check_clipped_gradient([1.2, 1.6], theta=2.0))


def test_chance_cross_entropy():
    right(checks.check_chance_cross_entropy(np.log(8)))
    right(checks.check_chance_cross_entropy(2.0794))
    wrong(checks.check_chance_cross_entropy(3.0), "bits")
    wrong(checks.check_chance_cross_entropy(0.125), "accuracy")
    wrong(checks.check_chance_cross_entropy(1.0), "uniform")
    right(checks.check_chance_cross_entropy(np.log(4), classes=4))


def test_softmax_gradient():
    z = np.array([2.0, 0.0, -1.0])
    p = np.exp(z) / np.exp(z).sum()
    right(checks.check_softmax_gradient(p - [1, 0, 0]))
    right(checks.check_softmax_gradient([-0.156, 0.114, 0.042]))  # rounded to three decimals
    wrong(checks.check_softmax_gradient(p), "softmax(z) itself")
    wrong(checks.check_softmax_gradient([1, 0, 0] - p), "sign")
    wrong(checks.check_softmax_gradient([0.1, 0.2, 0.3]), "subtract 1 at the label")
    wrong(checks.check_softmax_gradient([0.1, 0.2]), "expected 3 numbers")
    wrong(checks.check_softmax_gradient("abc"), "list of 3 numbers")
    # the answer is the library's own gradient
    _, g = losses.softmax_cross_entropy(np.array([[0.5, 1.5, -2.0, 0.0]]), np.array([2]))
    right(checks.check_softmax_gradient(g[0], logits=(0.5, 1.5, -2.0, 0.0), label=2))


def test_adam_first_step():
    right(checks.check_adam_first_step([-0.01, -0.01]))
    right(checks.check_adam_first_step([0.02, -0.02], grad=(-5.0, 3.0), lr=0.02))
    wrong(checks.check_adam_first_step([0.01, 0.01]), "sign")
    wrong(checks.check_adam_first_step([-1e-5, -10.0]), "SGD's step")
    wrong(checks.check_adam_first_step([-0.5, -0.5]), "m_hat = g")
    wrong(checks.check_adam_first_step([-0.01]), "expected 2 numbers")
    p = [np.zeros(2)]
    optim.Adam(0.01).step(p, [np.array([0.001, 1000.0])])
    right(checks.check_adam_first_step(p[0]))  # the optimizer's own step


def test_hold():
    right(checks.check_hold(0.98 ** 40))
    right(checks.check_hold(0.446))
    wrong(checks.check_hold(0.2), "multiplies at every step")
    wrong(checks.check_hold(0.98 * 40 / 100 * 100), "a power")
    wrong(checks.check_hold(0.9), "multiply the keep gate")
    right(checks.check_hold(0.5 ** 10, keep=0.5, steps=10))
