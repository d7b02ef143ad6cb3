"""Chapter 06's pictures (the sweeps' curves and steps to the target, clipping, the explosion
watched, and the after-training measurements) and self-checks. The pictures are fed by tiny
sweeps and runs made here; each test checks that a picture draws the numbers it is given, keeps
its legend outside the axes and its texts inside the figure. The self-checks are driven by
tables: right answers, the slips each one names, malformed answers, odd settings."""
import dataclasses

import numpy as np
import pytest
from test_course_support import assert_clean_texts, outside_pyplot, png, right, wrong

from lstmlib import losses, optim
from lstmlib.course import ch06
from lstmlib.course.exercises import ch06 as checks
from lstmlib.course.plots import ch06 as plots

TINY = ch06.Settings.tiny()


@pytest.fixture(scope="module")
def tiny():
    sweeps = ch06.Sweeps(TINY, tuple(ch06.run_job(j)[1] for j in ch06.jobs(TINY)), {})
    specs = [dataclasses.replace(s, steps=40) for s in ch06.live_specs(TINY)]
    ba = ch06.gradient_flow_before_after(specs, batch=8, progress=False)
    clip = ch06.RunSpec("rnn", "adding", 20, 40, hidden_size=8, batch_size=8, optimizer="sgd", lr=0.5, scale=1.0,
                        clip=1.0, stop_early=False)  # harsh: the unclipped twin overflows within 40 steps
    watch = ch06.watch_explosion(clip, steps=40, batch=16)
    return dict(sweeps=sweeps, ba=ba, watch=watch)


def _legend(fig) -> list[str]:
    assert len(fig.legends) == 1, "one figure legend, outside the axes"
    assert all(ax.get_legend() is None for ax in fig.axes), "no legend inside an axes, over the data"
    return [t.get_text() for t in fig.legends[0].get_texts()]


def _inside(fig) -> None:
    """Every title, label, legend and annotation lies inside the figure (nothing cut off)."""
    fig.draw_without_rendering()  # lays the figure out as saving it would
    box = fig.bbox.padded(1)
    texts = [fig._suptitle] if fig._suptitle else []
    for ax in fig.axes:
        if ax.get_visible():
            texts += [ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
    texts += [t for leg in fig.legends for t in leg.get_texts()]
    for t in texts:
        if t.get_text():
            e = t.get_window_extent()
            assert box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0 and e.y1 <= box.y1, t.get_text()


def _line(ax, label):
    return next(ln for ln in ax.lines if ln.get_label() == label)


def _finish(fig):
    assert outside_pyplot(fig)
    assert_clean_texts(fig)
    _inside(fig)
    png(fig)


def test_learning_curves_draw_every_seed_of_every_group(tiny):
    groups = tiny["sweeps"].groups(task="adding", lr=TINY.lr)
    fig = plots.plot_learning_curves(groups)
    assert len(fig.axes) == len(groups) == 5
    for ax, (g, rs) in zip(fig.axes, groups.items()):
        for r in rs:
            ln = _line(ax, f"_{r.spec.label}")
            np.testing.assert_array_equal(ln.get_xdata(), r.eval_step)
            np.testing.assert_allclose(ln.get_ydata(), r.eval_loss)
        assert ax.get_title().startswith(f"{g}: {sum(r.solved for r in rs)} of {len(rs)}")
        assert _line(ax, "_target").get_ydata()[0] == ch06.TASK_TARGETS["adding"]
    assert len(_legend(fig)) == 3
    _finish(fig)
    order = plots.plot_learning_curves(tiny["sweeps"].groups(task="temporal-order", lr=TINY.lr), accuracy=True)
    r = tiny["sweeps"].select(task="temporal-order", kind="gru", lr=TINY.lr)[0]
    np.testing.assert_allclose(_line(order.axes[-1], f"_{r.spec.label}").get_ydata(), r.eval_accuracy)
    with pytest.raises(ValueError, match="^accuracy"):
        plots.plot_learning_curves(groups, accuracy=True)
    with pytest.raises(ValueError, match="^groups"):
        plots.plot_learning_curves({})


def test_steps_to_target_puts_each_seed_where_it_met_the_target():
    spec = dict(task="adding", T=10, steps=100, eval_every=10, hidden_size=4)
    recs = []
    for seed, at in enumerate((30, 50, None, 70)):
        steps = np.arange(0, (at or 100) + 1, 10)
        loss = np.full(steps.size, 0.2)
        if at:
            loss[-1] = 0.001
        recs.append(ch06.RunRecord(ch06.RunSpec("gru", seed=seed, **spec), int(steps[-1]), None, 9, steps, loss))
    fig = plots.plot_steps_to_target({"a": {"GRU": tuple(recs)}})
    ax = fig.axes[0]
    np.testing.assert_array_equal(_line(ax, "_GRU").get_xdata(), [30, 50, 70])
    assert _line(ax, "_median").get_xdata()[0] == 60  # the median of 30, 50, 70 and never
    assert [t.get_text() for t in ax.texts] == ["1 never"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["GRU"]
    assert len(_legend(fig)) == 3
    _finish(fig)


def test_clipping_draws_the_median_and_range_and_marks_each_overflow(tiny):
    groups = ch06.clipping_records(tiny["sweeps"])
    fig = plots.plot_clipping(groups, norm_range=(0.1, 1e3), loss_range=(0.05, 1e2))
    ax_g, ax_l = fig.axes
    for g, rs in groups.items():
        med, low, high = plots.band([r.grad_norm for r in rs], TINY.clip_steps, 1e3)
        np.testing.assert_allclose(_line(ax_g, f"_{g}").get_ydata(), np.maximum(med, 0.1))
        np.testing.assert_allclose(med, np.median([r.grad_norm for r in rs], axis=0).clip(max=1e3))
    legend = _legend(fig)
    assert legend[:3] == [f"{g} ({len(TINY.clip_seeds)} seeds)" for g in ch06.CLIP_GROUPS]
    assert [t.get_text() for t in ax_g.texts] == ["θ = 1"] and len(ax_l.texts) == 2
    _finish(fig)
    # a run that overflowed stops counting there, and is marked where it did
    stub = [np.array([1.0, 2.0, np.inf]), np.array([1.0, 4.0, 5.0])]
    np.testing.assert_allclose(plots.band(stub, 3, 10.0), [[1, 3, 5], [1, 2.5, 5], [1, 3.5, 5]])


def test_explosion_picture_draws_the_watch(tiny):
    w = tiny["watch"]
    fig = plots.plot_explosion(w)
    for ax, key in zip(fig.axes, ("weight_norm", "saturated", "head_curvature", "head_norm")):
        for run in ("unclipped", "clipped"):
            np.testing.assert_array_equal(_line(ax, f"_{run}").get_ydata(), getattr(w, key)[run])
    assert w.overflow["unclipped"] and _line(fig.axes[0], "_overflow").get_xdata()[0] == w.overflow["unclipped"]
    assert _legend(fig)[0].startswith("large weights, unclipped (seed")
    _finish(fig)
    with pytest.raises(ValueError, match="^watch"):
        plots.plot_explosion(tiny["ba"])


def test_after_training_pictures(tiny):
    ba = tiny["ba"]
    fig = plots.plot_gradient_flow_before_after(ba)
    for ax, flows in zip(fig.axes, (ba.before, ba.after)):
        for name, flow in flows.items():
            np.testing.assert_allclose(_line(ax, f"_{name}").get_ydata(), np.maximum(flow.relative("dh"), 1e-300))
    _finish(fig)
    rt = ch06.reach_over_training(tiny["sweeps"].select(task="adding", seed=0, lr=TINY.lr, forget_bias=None)
                                  + tiny["sweeps"].select(task="adding", seed=0, lr=TINY.lr, forget_bias=1.0))
    fig = plots.plot_reach_over_training(rt)
    for ax, data in zip(fig.axes, (rt.loss, rt.reach, rt.best_hold)):
        for name, values in data.items():
            np.testing.assert_allclose(_line(ax, f"_{name}").get_ydata(), np.maximum(values, 1e-300))
    _finish(fig)
    gh = ch06.gate_hold(ba)
    fig = plots.plot_gate_hold(gh)
    for col, name in enumerate(gh.keep_after):
        order = np.argsort(-gh.hold_after[name], kind="stable")
        np.testing.assert_allclose(_line(fig.axes[col], "_after").get_ydata(), gh.keep_after[name][order])
    assert _legend(fig) == ["at initialisation", "LSTM after training", "GRU after training"]
    _finish(fig)
    tr = ch06.gate_traces(ba, sequence=1)
    fig = plots.plot_gate_traces(tr)
    heat = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heat] == ["LSTM gate f", "LSTM gate i", "LSTM gate o", "GRU gate z", "GRU gate r"]
    for ax, (model, gate) in zip(heat, [("lstm", g) for g in "fio"] + [("gru", g) for g in "zr"]):
        np.testing.assert_array_equal(ax.images[0].get_array(), tr.gates[model][gate])
    np.testing.assert_allclose([p.get_height() for p in next(ax for ax in fig.axes if ax.patches).patches], tr.values)
    png(fig)


# ---- self-checks ----------------------------------------------------------------------------------------
z = np.array([2.0, 0.0, -1.0])
p = np.exp(z) / np.exp(z).sum()
adam = [np.zeros(2)]
optim.Adam(0.01).step(adam, [np.array([0.001, 1000.0])])

ANSWERS = [  # (check, answer, right?, words the verdict must hold)
    (checks.check_adding_baseline, 2 / 3, True, ()),
    (checks.check_adding_baseline, 0.667, True, ()),
    (checks.check_adding_baseline, 0.67, False, ("method is right", "three significant figures")),
    (checks.check_adding_baseline, 1 / 3, False, ("variance of one value", "square is missing")),
    (checks.check_adding_baseline, 4 / 3, False, ("twice one value",)),
    (checks.check_adding_baseline, np.sqrt(2 / 3), False, ("standard deviation",)),
    (checks.check_adding_baseline, 1 / 6, False, ("[0, 1]",)),
    (checks.check_adding_baseline, 5.0, False, ("variances",)),
    (checks.check_clipped_gradient, [0.6, 0.8], True, ()),
    (checks.check_clipped_gradient, np.array([0.6, 0.8]), True, ()),
    (checks.check_clipped_gradient, [1.0, 1.0], False, ("direction",)),
    (checks.check_clipped_gradient, [3.0, 4.0], False, ("above theta",)),
    (checks.check_clipped_gradient, [0.12, 0.16], False, ("||g||^2",)),
    (checks.check_clipped_gradient, [3 / 7, 4 / 7], False, ("Euclidean norm",)),
    (checks.check_clipped_gradient, [0.59, 0.81], False, ("three decimals",)),
    (checks.check_chance_cross_entropy, np.log(8), True, ()),
    (checks.check_chance_cross_entropy, 2.08, True, ()),
    (checks.check_chance_cross_entropy, 2.1, False, ("method is right",)),
    (checks.check_chance_cross_entropy, 3.0, False, ("bits",)),
    (checks.check_chance_cross_entropy, np.log10(8), False, ("base 10",)),
    (checks.check_chance_cross_entropy, 0.125, False, ("accuracy",)),
    (checks.check_chance_cross_entropy, np.log(4), False, ("four classes",)),
    (checks.check_chance_cross_entropy, 1.0, False, ("uniform",)),
    (checks.check_softmax_gradient, p - [1, 0, 0], True, ()),
    (checks.check_softmax_gradient, [-0.156, 0.114, 0.042], True, ()),
    (checks.check_softmax_gradient, [-0.16, 0.11, 0.04], False, ("three decimals",)),
    (checks.check_softmax_gradient, p, False, ("softmax(z) itself",)),
    (checks.check_softmax_gradient, [1, 0, 0] - p, False, ("sign",)),
    (checks.check_softmax_gradient, np.exp(z) - [1, 0, 0], False, ("not divided by their sum",)),
    (checks.check_softmax_gradient, p - [0, 1, 0], False, ("entry 1", "entry 0")),
    (checks.check_softmax_gradient, [0.5, 0.2, 0.3], False, ("subtract 1 at the label",)),
    (checks.check_adam_first_step, adam[0], True, ()),
    (checks.check_adam_first_step, [-0.01, -0.01], True, ()),
    (checks.check_adam_first_step, [0.01, 0.01], False, ("sign",)),
    (checks.check_adam_first_step, [-1e-5, -10.0], False, ("SGD's step",)),
    (checks.check_adam_first_step, [-0.0316, -0.0316], False, ("bias corrections are missing",)),
    (checks.check_adam_first_step, [-10.0, -1e-5], False, ("square root",)),
    (checks.check_adam_first_step, [-0.5, -0.5], False, ("m_hat = g",)),
    (checks.check_hold, 0.98 ** 40, True, ()),
    (checks.check_hold, 0.446, True, ()),
    (checks.check_hold, 0.45, False, ("method is right",)),
    (checks.check_hold, 0.98 ** 39, False, ("0.98^39",)),
    (checks.check_hold, 0.2, False, ("multiplies at every step",)),
    (checks.check_hold, 39.2, False, ("a power",)),
    (checks.check_hold, 0.02 ** 40, False, ("share let go",)),
    (checks.check_hold, 0.9, False, ("keep^steps",)),
]


@pytest.mark.parametrize("check, answer, ok, words", ANSWERS,
                         ids=[f"{c.__name__}-{k}" for k, (c, *_) in enumerate(ANSWERS)])
def test_answers_and_the_slips_they_name(check, answer, ok, words):
    (right if ok else wrong)(check(answer), *words)


SINGLE = (checks.check_adding_baseline, checks.check_chance_cross_entropy, checks.check_hold)
LISTS = (checks.check_clipped_gradient, checks.check_softmax_gradient, checks.check_adam_first_step)
MALFORMED = ["0.5", "abc", [0.5], {"a": 1}, True, 1 + 2j, float("inf"), float("nan"), (x for x in ()), print]
MALFORMED_LISTS = ["ab", 0.5, [0.5], [["0.6", "0.8"]], ["0.6", "0.8"], [[0.6, 0.8]], (float("inf"), 1.0),
                   {"a": 1}, (x for x in (1, 2)), [0.6, None], [0.6, 0.8, 0.1, 0.2], np.zeros((2, 2))]


@pytest.mark.parametrize("check", SINGLE + LISTS, ids=lambda c: c.__name__)
def test_malformed_answers_get_a_sentence(check):
    for answer in (MALFORMED if check in SINGLE else MALFORMED_LISTS):
        v = check(answer)
        text = wrong(v, "expected")
        assert "\n" not in text and len(text) < 200, text
    wrong(check(...), "replace the ...")


ODD_SETTINGS = [
    (lambda: checks.check_adding_baseline(1.0, low=1.0, high=0.0), "high"),
    (lambda: checks.check_adding_baseline(1.0, low="a"), "low"),
    (lambda: checks.check_clipped_gradient([1.0], theta=0.0), "theta"),
    (lambda: checks.check_clipped_gradient([1.0], grad="x"), "grad"),
    (lambda: checks.check_chance_cross_entropy(1.0, classes=1), "classes"),
    (lambda: checks.check_chance_cross_entropy(1.0, classes=2.5), "classes"),
    (lambda: checks.check_softmax_gradient([0.0, 0.0], logits=(1.0,)), "logits"),
    (lambda: checks.check_softmax_gradient([0.0, 0.0, 0.0], label=3), "label"),
    (lambda: checks.check_adam_first_step([0.0], lr=0.0), "lr"),
    (lambda: checks.check_hold(0.5, keep=1.5), "keep"),
    (lambda: checks.check_hold(0.5, steps=0), "steps"),
]


@pytest.mark.parametrize("call, name", ODD_SETTINGS, ids=[n for _, n in ODD_SETTINGS])
def test_odd_settings_raise_one_sentence_naming_them(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected .*, got "):
        call()


def test_the_checks_agree_with_the_library():
    right(checks.check_adding_baseline(1 / 6, low=0.0, high=1.0))  # the task's own baseline
    right(checks.check_clipped_gradient([0.3, 0.4], grad=(0.3, 0.4), theta=1.0))  # below theta: unchanged
    _, g = losses.softmax_cross_entropy(np.array([[0.5, 1.5, -2.0, 0.0]]), np.array([2]))
    right(checks.check_softmax_gradient(g[0], logits=(0.5, 1.5, -2.0, 0.0), label=2))
    right(checks.check_chance_cross_entropy(np.log(4), classes=4))
    right(checks.check_hold(0.5 ** 10, keep=0.5, steps=10))
