"""Chapter 02, the LSTM cell: the gates held by hand (a real one-unit LSTM), one step taken apart
equation by equation, a real cell over a sequence and with its biases set by hand, the pictures of
all of them and of the cell itself, the claims of the chapter's text, and its self-checks.

Expected values come from elsewhere than the code under test: the closed forms of equations (4)
and (6) with the gates held, and an LSTM step written out here from the article's equations."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from test_course_support import assert_readable, bar_centres, bar_heights, outside_pyplot, right, wrong

import lstmlib as ll
from lstmlib import fused
from lstmlib.activations import sigmoid
from lstmlib.course import ch02, exercises, plots, widgets

# gate values, the exact ends 0 and 1 (where the bias saturates the sigmoid) as likely as the inside
GATE = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


def _closed_form(f, i, o, x, c0):
    """Equations (4) and (6) with the gates held: c_t = f c_{t-1} + i tanh(x_t), h_t = o tanh(c_t)."""
    c = np.empty(len(x))
    prev = c0
    for t, xt in enumerate(x):
        prev = f * prev + i * np.tanh(xt)
        c[t] = prev
    return c, o * np.tanh(c)


def _step_by_hand(x, p, h_prev, c_prev):
    """Equations (1)-(6) for one batch of rows, with the article's joined matrices W_g = [W_gh, W_gx]
    acting on [h, x]: written here, independent of the library's step."""
    hx = np.hstack([h_prev, x])
    w = p.named()
    joined = {g: np.hstack([w[f"W_{g}h"], w[f"W_{g}x"]]) for g in "fico"}
    net = {g: hx @ joined[g].T + w[f"b_{g}"] for g in "fico"}
    f, i, o, c_tilde = sigmoid(net["f"]), sigmoid(net["i"]), sigmoid(net["o"]), np.tanh(net["c"])
    c = f * c_prev + i * c_tilde
    return dict(net=net, f=f, i=i, o=o, c_tilde=c_tilde, c=c, h=o * np.tanh(c))


def _forward_by_hand(X, p):
    h = c = np.zeros((X.shape[1], p.hidden_size))
    steps = []
    for x in X:
        s = _step_by_hand(x, p, h, c)
        h, c = s["h"], s["c"]
        steps.append(s)
    return {k: np.stack([s[k] for s in steps]) for k in ("f", "i", "o", "c_tilde", "c", "h")}


# ---- the gates held by hand ----------------------------------------------------------------------------
@given(f=GATE, i=GATE, o=GATE, x=st.floats(-3, 3), c0=st.floats(-2, 2),
       pattern=st.sampled_from(ch02.INPUT_PATTERNS), steps=st.integers(1, 15))
def test_gate_switch_trace_follows_the_closed_form(f, i, o, x, c0, pattern, steps):
    tr = ch02.gate_switch_trace(f, i, o, x, steps=steps, pattern=pattern, c0=c0)
    c, h = _closed_form(f, i, o, tr.x, c0)
    np.testing.assert_allclose(tr.c, c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.h, h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.written, i * np.tanh(tr.x), rtol=1e-12, atol=1e-300)
    assert (tr.f, tr.i, tr.o, tr.pattern, tr.steps) == (f, i, o, pattern, steps)


@pytest.mark.parametrize("f, i, o", [(f, i, o) for f in (0.0, 1.0) for i in (0.0, 1.0) for o in (0.0, 1.0)])
def test_gates_at_zero_and_one_are_exact_switches(f, i, o):
    # a bias of +-1e4 saturates the sigmoid to exactly 0 or 1: no leak of 1e-16 per step
    tr = ch02.gate_switch_trace(f, i, o, 1.0, steps=5, pattern="constant", c0=0.75)
    c, h = _closed_form(f, i, o, tr.x, 0.75)
    np.testing.assert_array_equal(tr.c, c)
    np.testing.assert_array_equal(tr.h, h)


def test_gate_switch_trace_is_a_real_lstm_with_the_documented_recipe():
    tr = ch02.gate_switch_trace(0.8, 0.6, 0.7, 1.5, steps=9, pattern="two pulses", c0=-0.4)
    p = ll.LSTMParams(np.zeros((4, 2)), np.zeros(4))
    p.W_cx[...] = 1.0
    for b, v in ((p.b_f, 0.8), (p.b_i, 0.6), (p.b_o, 0.7)):
        b[...] = np.log(v / (1 - v))
    hs, cache = ll.lstm_forward(tr.x.reshape(-1, 1, 1), p, (None, [[-0.4]]))
    np.testing.assert_allclose(tr.c, cache.c[:, 0, 0], rtol=1e-13)
    np.testing.assert_allclose(tr.h, hs[:, 0, 0], rtol=1e-13)
    np.testing.assert_array_equal(ch02.input_pattern("two pulses", 1.5, 6), [1.5, 0, 0, -1.5, 0, 0])
    assert ch02.held_gate_bias(1.0, "f") == 1e4 and ch02.held_gate_bias(0.0, "f") == -1e4


@pytest.mark.parametrize("call, match", [
    (lambda: ch02.held_gate_bias(1.2, "gate_z"), "gate_z"),
    (lambda: ch02.gate_switch_trace(1.2, 0.5, 0.5, 1.0), "f"),
    (lambda: ch02.gate_switch_trace(0.5, 0.5, float("nan"), 1.0), "o"),
    (lambda: ch02.gate_switch_trace(0.5, 0.5, 0.5, 1.0, steps=0), "steps"),
    (lambda: ch02.gate_switch_trace(0.5, 0.5, 0.5, 1.0, c0=float("inf")), "c0"),
    (lambda: ch02.input_pattern("sine", 1.0, 5), "pattern"),
    (lambda: ch02.half_life(0.0), "f"),
    (lambda: ch02.half_life_table(()), "forget"),
    (lambda: ch02.bias_lab(steps=4), "steps"),
    (lambda: ch02.bias_lab().run(0.0, float("nan"), 0.0), "b_i"),
    (lambda: ch02.lstm_step_trace(*ch02.worked_example(), sample=1), "sample"),
    (lambda: ch02.parameter_table("p"), "p"),
    (lambda: ch02.forget_bias_memory(np.zeros((3, 1, 3)), ll.LSTMParams.init(3, 2, 0), ()), "forget_biases"),
    (lambda: ch02.step_correlation(np.ones((1, 1, 2))), "a:"),
])
def test_bad_input_is_refused_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- one step, equation by equation ---------------------------------------------------------------------
def test_step_trace_takes_one_step_apart_as_the_article_writes_it():
    rng = np.random.default_rng(8)
    p = ll.LSTMParams.init(3, 4, rng)
    x, h_prev, c_prev = rng.standard_normal((3, 3)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    want = _step_by_hand(x, p, h_prev, c_prev)
    for s in range(3):  # each sample from its own row
        tr = ch02.lstm_step_trace(x, p, (h_prev, c_prev), sample=s)
        for g in "fico":
            np.testing.assert_allclose(tr.net[g], want["net"][g][s], rtol=1e-13, atol=1e-15)
        for sym, key in (("f_t", "f"), ("i_t", "i"), ("o_t", "o"), ("c~_t", "c_tilde"), ("c_t", "c"), ("h_t", "h")):
            np.testing.assert_allclose(tr.values[sym], want[key][s], rtol=1e-13)
        np.testing.assert_allclose(tr.values["f_t*c_{t-1}"] + tr.values["i_t*c~_t"], want["c"][s], rtol=1e-13)
    text = str(tr)
    for eq in ("(1) f_t", "(2) i_t", "(3) c~_t", "(4) c_t", "(5) o_t", "(6) h_t"):
        assert eq in text


def test_worked_example_reads_as_the_chapter_says():
    x, p, state = ch02.worked_example()
    assert isinstance(state, ll.LSTMState) and (x.shape, state.h.shape, p.hidden_size) == ((1, 2), (1, 2), 2)
    tr = ch02.lstm_step_trace(x, p, state)
    # "row 1 of W_fh times h_{t-1}, row 1 of W_fx times x_t, plus b_f: 0.5*0.5 + 0*(-0.5) + 0.5*1 + 0.5*(-1) + 1"
    assert tr.net["f"][0] == 0.5 * 0.5 + 0 * (-0.5) + 0.5 * 1 + 0.5 * (-1) + 1 == 1.25
    lines = ch02.parameter_table(p).splitlines()
    assert lines[1].split() == ["f", "[", "0.5", "0.0]", "[", "0.5", "0.5]", "1.0"]
    assert lines[8].split() == ["[", "0.5", "0.5]", "[", "0.0", "0.5]", "-1.0"]  # o's second row: article order
    assert ch02.parameter_table(p, decimals=2).splitlines()[1].split()[2] == "0.50"
    assert ch02.ARTICLE_GATES == ("f", "i", "c", "o")


def test_run_summary_and_the_fast_forward_agree_with_the_article_by_hand():
    rng = np.random.default_rng(2)
    p8 = ll.LSTMParams.init(input_size=3, hidden_size=8, rng=rng, forget_bias=1.0)
    X = rng.standard_normal((30, 1, 3))
    want = _forward_by_hand(X, p8)
    _, cache = fused.lstm_forward(X, p8)
    for name in ("f", "i", "o", "c", "h"):
        np.testing.assert_allclose(getattr(cache, name), want[name], rtol=1e-12, atol=1e-14)
    lines = ch02.run_summary(cache).splitlines()
    assert lines[0] == f"f_t: mean {want['f'].mean():.3f}, from {want['f'].min():.3f} to {want['f'].max():.3f}"
    assert lines[4].endswith("True")
    assert ch02.compare_with_fused(X, p8).endswith(": True")


def test_step_correlation():
    t = np.arange(50.0)
    assert ch02.step_correlation(np.ones((50, 1, 2))) == 0.0  # no variation: nothing to correlate
    assert ch02.step_correlation(np.sin(t / 8)[:, None, None] * np.ones((1, 2, 3))) > 0.95
    assert ch02.step_correlation(((-1.0) ** t)[:, None, None] * np.ones((1, 1, 2))) == pytest.approx(-1, abs=0.05)
    assert abs(ch02.step_correlation(np.random.default_rng(0).standard_normal((4000, 1, 2)))) < 0.05


def test_forget_bias_memory_runs_the_same_cell_with_each_bias():
    rng = np.random.default_rng(2)
    p8 = ll.LSTMParams.init(input_size=3, hidden_size=8, rng=rng, forget_bias=1.0)
    X = rng.standard_normal((30, 1, 3))
    memory = ch02.forget_bias_memory(X, p8, (1.0, 3.0))
    for r in memory.rows:
        q = p8.copy()
        q.b_f[...] = r.forget_bias
        want = _forward_by_hand(X, q)
        np.testing.assert_allclose(memory.caches[r.forget_bias].c, want["c"], rtol=1e-12, atol=1e-14)
        assert r.mean_f == pytest.approx(want["f"].mean(), rel=1e-12)
        assert 0.5 ** (1 / r.half_life) == pytest.approx(r.mean_f, rel=1e-12)  # f^(half-life) = 1/2
        assert r.max_abs_c == pytest.approx(np.abs(want["c"]).max(), rel=1e-12)
    assert p8.b_f.tolist() == [1.0] * 8 and memory.row(3.0) is memory.rows[1]  # the runs left the cell alone


def test_bias_lab_runs_the_cell_with_the_biases_it_is_given():
    lab = ch02.bias_lab(steps=20)
    assert lab.pulses == (3, 13) and np.count_nonzero(lab.X[:, 0, 0]) == 2
    cache = lab.run(1.5, -0.5, 2.0)
    p = lab.params.copy()
    p.b_f[...], p.b_i[...], p.b_o[...], p.b_c[...] = 1.5, -0.5, 2.0, 0.0
    want = _forward_by_hand(lab.X, p)
    np.testing.assert_allclose(cache.c, want["c"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.h, want["h"], rtol=1e-12, atol=1e-14)


# ---- pictures -------------------------------------------------------------------------------------------
def test_gate_switch_picture_draws_the_trace_it_is_given():
    pic = plots.ch02.GateSwitchPicture(Figure(), max_steps=12)
    for args in ((0.9, 1.0, 0.8, 2.0, "pulse"), (0.5, 0.3, 1.0, -1.0, "constant"), (1.0, 1.0, 1.0, 3.0, "two pulses")):
        tr = ch02.gate_switch_trace(*args[:4], steps=12, pattern=args[4])
        pic.update(tr)  # one picture, redrawn
        c, h = _closed_form(*args[:3], tr.x, 0.0)
        np.testing.assert_allclose(pic.c.get_ydata(), c, atol=1e-12)
        np.testing.assert_allclose(pic.h.get_ydata(), h, atol=1e-12)
        np.testing.assert_allclose(bar_heights(pic.bars), args[1] * np.tanh(tr.x), atol=1e-12)
        np.testing.assert_allclose(bar_centres(pic.bars), np.arange(1, 13))
    fig = plots.plot_gate_switches(ch02.gate_switch_trace(1.0, 1, 1, 1, pattern="constant"))  # growing c_t
    assert outside_pyplot(fig)
    assert_readable(fig)


def test_memory_by_forget_gate_draws_the_geometric_decays():
    forget = (0.3, 0.9, 1.0)
    fig = plots.ch02.plot_memory_by_forget_gate(forget=forget, steps=12, x=1.5)
    decays = fig.axes[0].lines[:3]
    for ln, f in zip(decays, forget):  # one write at t = 1, then c_t = f^(t-1) tanh(x)
        np.testing.assert_allclose(ln.get_ydata(), np.tanh(1.5) * f ** np.arange(12), rtol=1e-12)
    assert [ln.get_label() for ln in decays][1] == "f = 0.9: half-life 6.6 steps"  # ln(1/2)/ln(0.9) = 6.58
    assert_readable(fig)


def test_gate_heatmaps_show_every_array_of_the_sample_on_shared_scales():
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(3, 4, rng, forget_bias=3.0)
    X = rng.standard_normal((10, 2, 3))
    _, cache = ll.lstm_forward(X, p)
    fig = plots.ch02.plot_gate_heatmaps(cache, 1)
    want = _forward_by_hand(X, p)
    by_title = {ax.get_title(): ax.images[0] for ax in fig.axes if ax.images}
    m = max(1.0, np.abs(want["c"][:, 1]).max())
    assert m > 1  # this cell state leaves (-1, 1): the signed scale widened to it
    for title, name, lim in (("forget gate $f_t$", "f", (0, 1)), ("output gate $o_t$", "o", (0, 1)),
                             ("cell state $c_t$", "c", (-m, m)), ("output $h_t$", "h", (-m, m))):
        np.testing.assert_allclose(by_title[title].get_array(), want[name][:, 1, :].T, rtol=1e-12)
        assert by_title[title].get_clim() == pytest.approx(lim)  # panels compared share one scale
    assert len(by_title) == 6
    assert_readable(fig)


def test_cell_state_by_forget_bias_draws_each_run_on_one_scale():
    rng = np.random.default_rng(2)
    p = ll.LSTMParams.init(3, 8, rng, forget_bias=1.0)
    memory = ch02.forget_bias_memory(rng.standard_normal((30, 1, 3)), p, (1.0, 3.0))
    fig = plots.ch02.plot_cell_state_by_forget_bias(memory)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    m = max(np.abs(c.c).max() for c in memory.caches.values())
    assert len(images) == 2 and all(im.get_clim() == pytest.approx((-m, m)) for im in images)
    assert_readable(fig)


def test_step_walkthrough_numbers_its_panels_by_the_equations_and_labels_clear_of_the_bars():
    trace = ch02.lstm_step_trace(*ch02.worked_example())
    v = trace.values
    fig = plots.ch02.plot_step_walkthrough(trace)
    axes = fig.axes
    # each panel says which equations it shows, (1)-(6) all told, in the order of the panels
    titles = [ax.get_title() for ax in axes]
    assert [t[:3] for t in titles] == ["(a)", "(b)", "(c)", "(d)"]
    equations = [eq for t in titles for eq in ("(1)", "(2)", "(3)", "(4)", "(5)", "(6)") if eq in t]
    assert equations == ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
    for ax, before, after in ((axes[0], trace.c_prev, v["f_t*c_{t-1}"]), (axes[1], v["c~_t"], v["i_t*c~_t"]),
                              (axes[3], v["tanh(c_t)"], v["h_t"])):
        (b, a) = [[r.get_height() for r in cont] for cont in ax.containers]
        np.testing.assert_allclose(b, before)
        np.testing.assert_allclose(a, after)
        # the numbers stand under each unit, before -> after, where no bar can cover them
        assert [t.get_text().splitlines()[1] for t in ax.get_xticklabels()] == [
            f"{x:.3f} → {y:.3f}" for x, y in zip(before, after)]
    kept, written = axes[2].containers
    np.testing.assert_allclose([r.get_y() + r.get_height() for r in written], v["c_t"])
    assert len({ax.get_ylim() for ax in axes}) == 1  # one y-scale: the panels compare
    assert_readable(fig)


def test_diagrams_of_the_cell_show_the_six_equations_and_both_states():
    cell = plots.diagrams.plot_lstm_cell()
    texts = [t.get_text() for t in cell.axes[0].texts]
    for eq in ("(1) $f_t$", "(2) $i_t$", r"(3) $\tilde c_t$", "(4)", "(5) $o_t$", "(6)"):
        assert eq in texts, eq
    red = [a for a in cell.axes[0].texts if isinstance(a, Annotation) and a.arrow_patch is not None
           and to_hex(a.arrow_patch.get_edgecolor()) == "#d62728"]
    assert not red  # the forward diagram carries no error signals
    unrolled = plots.diagrams.plot_lstm_unrolled(steps=3)
    texts = [t.get_text() for t in unrolled.axes[0].texts]
    for name in ("t-1", "t", "t+1"):
        assert f"$h_{{{name}}}$" in texts and f"$c_{{{name}}}$" in texts
    for fig in (cell, unrolled):
        assert_readable(fig)


def test_bias_picture_draws_the_run_names_every_unit_and_keeps_the_gates_apart():
    lab = ch02.bias_lab(steps=16)
    pic = plots.BiasPicture(Figure(figsize=(10.8, 3.3)), lab)
    for biases in ((1.0, -2.0, 0.5), (-6.0, 6.0, -6.0)):
        cache = lab.run(*biases)
        pic.update(cache, dict(zip(("b_f", "b_i", "b_o"), biases)))
        want = _forward_by_hand(lab.X, _with_biases(lab.params, *biases))
        np.testing.assert_allclose(pic.lines_g["f"].get_ydata(), want["f"][:, 0, :].mean(axis=1), rtol=1e-12)
        for u in range(lab.params.hidden_size):
            np.testing.assert_allclose(pic.lines_c[u].get_ydata(), want["c"][:, 0, u], rtol=1e-12, atol=1e-14)
    # every unit's colour is named, and the three gates never look alike even where they overlap
    named = [t.get_text() for t in pic.ax_h.get_legend().get_texts()]
    assert named == [f"unit {u + 1}" for u in range(lab.params.hidden_size)]
    assert [ln.get_color() for ln in pic.lines_c] == [ln.get_color() for ln in pic.lines_h]
    assert len({ln.get_linestyle() for ln in pic.lines_g.values()}) == 3
    # the explorer opens with the three gates at three levels, not on top of each other at one half
    start = widgets.ch02.BIAS_START
    opening = ch02.bias_lab().run(start["b_f"], start["b_i"], start["b_o"])
    means = sorted(float(np.asarray(getattr(opening, g)).mean()) for g in "fio")
    assert min(np.diff(means)) > 0.15
    assert_readable(plots.plot_gate_biases(ch02.bias_lab(), **start))


def _with_biases(p, b_f, b_i, b_o):
    q = p.copy()
    q.b_f[...], q.b_i[...], q.b_o[...], q.b_c[...] = b_f, b_i, b_o, 0.0
    return q


# ---- what the chapter's text says about the numbers it prints ------------------------------------------
def test_chapter02_claims():
    rng = np.random.default_rng(2)
    p8 = ll.LSTMParams.init(input_size=3, hidden_size=8, rng=rng, forget_bias=1.0)
    X = rng.standard_normal((30, 1, 3))
    _, cache = ll.lstm_forward(X, p8)
    f = np.asarray(cache.f)
    assert (f > 0.5).mean() > 0.9  # "the forget gates lie mostly above one half"
    assert np.all(np.abs(cache.h) < np.abs(np.tanh(cache.c)))  # "h_t is smaller than tanh(c_t) everywhere"
    assert np.abs(cache.c).max() < 1  # "here from -1 to 1": the signed scale did not widen
    assert f.mean() ** 10 < 0.05  # "whatever this cell wrote ten steps ago is all but gone"
    one, three = ch02.forget_bias_memory(X, p8, (1.0, 3.0)).rows
    assert one.c_correlation > 0.5 > 0.1 > one.candidate_correlation  # smoother than the candidate
    assert three.half_life > 10 and three.c_correlation > one.c_correlation
    assert three.max_abs_c > 1 > one.max_abs_c  # "it grows, far outside (-1, 1)"
    # section 4: the worked example, as the text reads the picture
    v = ch02.lstm_step_trace(*ch02.worked_example()).values
    assert v["c_t"][0] > 1 and v["f_t"][1] < 0.5 and v["o_t"][1] < 0.2 < 0.5 < abs(v["c_t"][1])


def test_chapter02_bias_explorer_hints_hold():
    lab = ch02.bias_lab()
    start = widgets.ch02.BIAS_START
    assert widgets.gate_bias_explorer().values() == start == {"b_f": 3.0, "b_i": 0.0, "b_o": -1.0}

    def pulse_effect(b_f, pulse, b_i=0.0, b_o=0.0):
        """|c_t - c_t of the same run without that pulse|, at every step."""
        X = lab.X.copy()
        X[pulse - 1, 0, 0] = 0.0
        without = ch02.BiasLab(lab.params, X, lab.pulses).run(b_f, b_i, b_o)
        return np.linalg.norm(lab.run(b_f, b_i, b_o).c[:, 0] - without.c[:, 0], axis=1)

    opening = lab.run(**start)
    # "at the start the forget gates sit near 1, the input gates near one half, the output gates near a quarter"
    assert opening.f.mean() > 0.9 and abs(opening.i.mean() - 0.5) < 0.1 and abs(opening.o.mean() - 0.25) < 0.1
    for pulse in lab.pulses:
        d = pulse_effect(start["b_f"], pulse, start["b_i"], start["b_o"])  # "fades only slowly"
        assert d[pulse - 1] > 0.3 and d[pulse - 1 + 5] > 0.5 * d[pulse - 1]
        d = pulse_effect(0.0, pulse)  # "b_f = 0: gone within a few steps"
        assert d[pulse - 1] > 0.3 and d[pulse - 1 + 5] < 0.15 * d[pulse - 1]
        d = pulse_effect(6.0, pulse)  # "b_f = +6: the pulse changes c_t for good"
        assert d[pulse - 1:].min() >= 0.9 * d[pulse - 1]
        d = pulse_effect(-6.0, pulse)  # "b_f = -6: shows for one step, gone at the next"
        assert d[pulse] < 0.2 * d[pulse - 1] and d[pulse + 1] < 0.03 * d[pulse - 1]
    assert np.abs(lab.run(0.0, -6.0, 0.0).c).max() < 0.02  # "b_i = -6: the cell state hardly moves"
    quiet = lab.run(0.0, 0.0, -6.0)
    assert np.abs(quiet.h).max() < 0.01 < np.abs(quiet.c).max()  # "b_o = -6: memory kept, output quiet"
    assert np.abs(lab.run(6.0, 0.0, 0.0).c[-1]).max() > 2  # "the cell states drift far from 0"


def test_chapter02_gate_explorer_opens_where_the_hints_start():
    gate = widgets.gate_explorer()
    assert gate.values()["f"] == 0.9 and gate.values()["pattern"] == "pulse" and gate.values()["i"] > 0
    assert all(gate.controls[k].continuous_update for k in ("f", "i", "o", "x"))


# ---- self-checks ------------------------------------------------------------------------------------------
def test_cell_update():
    c, h = 0.9 * 1.0 + 0.5 * 0.8, 0.6 * np.tanh(1.3)
    right(exercises.check_cell_update(c, h))
    right(exercises.check_cell_update(1.3, 0.517))  # three decimals, as the exercise asks
    wrong(exercises.check_cell_update(1.3, 0.52), "right method", "three decimals")
    wrong(exercises.check_cell_update(1.0 + 0.4, h), "forget gate")
    wrong(exercises.check_cell_update(0.9 + 0.8, h), "input gate")
    wrong(exercises.check_cell_update(0.9 * 0.4, h), "adds")
    wrong(exercises.check_cell_update(0.9 * 0.8 + 0.5 * 1.0, h), "f multiplies the old state")
    wrong(exercises.check_cell_update(c, 0.6 * 1.3), "tanh is missing")
    wrong(exercises.check_cell_update(c, np.tanh(0.6 * 1.3)), "applies to c_t alone")
    wrong(exercises.check_cell_update(c, np.tanh(1.3)), "output gate")
    wrong(exercises.check_cell_update(c, 0.6 * np.tanh(1.0)), "not c_{t-1}")
    # other gate values, the ends of the range included
    right(exercises.check_cell_update(0.2 * -1.0 + 0.7 * 0.3, 0.4 * np.tanh(0.2 * -1.0 + 0.7 * 0.3),
                                      f=0.2, i=0.7, c_tilde=0.3, c_prev=-1.0, o=0.4))
    right(exercises.check_cell_update(1.4, 0.6 * np.tanh(1.4), f=1.0))


def test_memory_steps():
    # c_t = 0.95^(t-1) of the write: 0.95^13 > 1/2 > 0.95^14, so t = 15 is the first step below half
    assert 0.95 ** 13 > 0.5 > 0.95 ** 14
    right(exercises.ch02.check_memory_steps(15))
    wrong(exercises.ch02.check_memory_steps(14), "14 steps after the write", "t = 1")
    wrong(exercises.ch02.check_memory_steps(13), "still above half")
    wrong(exercises.ch02.check_memory_steps(14.51), "half-life")
    wrong(exercises.ch02.check_memory_steps(20), "earlier step")
    right(exercises.check_memory_steps(8, f=0.9))  # 0.9^6 > 1/2 > 0.9^7
    right(exercises.check_memory_steps(2, f=0.3))
    right(exercises.check_memory_steps(2, f=0.0))


def _my_step(x, p, state):
    """Exercise 02.3 as a learner writes it."""
    h_prev, c_prev = state
    f = sigmoid(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f)
    i = sigmoid(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i)
    ct = np.tanh(h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c)
    o = sigmoid(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o)
    c = f * c_prev + i * ct
    return o * np.tanh(c), c


def _variant(change):
    def step(x, p, state):
        q = p.copy()
        change(q)
        return _my_step(x, q, state)
    return step


def test_lstm_step():
    right(exercises.check_lstm_step(_my_step))
    right(exercises.check_lstm_step(lambda x, p, s: list(_my_step(x, p, s))))

    def no_tanh(x, p, state):
        h, c = _my_step(x, p, state)
        return h / np.tanh(c) * c, c

    def no_input_gate(x, p, state):
        s = _step_by_hand(x, p, *state)
        c = s["f"] * state[1] + s["c_tilde"]
        return s["o"] * np.tanh(c), c

    def no_output_gate(x, p, state):
        _, c = _my_step(x, p, state)
        return np.tanh(c), c

    def zero(*names):
        return lambda q: [getattr(q, n).__setitem__(Ellipsis, 0.0) for n in names]

    wrong(exercises.check_lstm_step(no_tanh), "tanh is missing")
    wrong(exercises.check_lstm_step(no_input_gate), "input gate")
    wrong(exercises.check_lstm_step(no_output_gate), "output gate is missing")
    wrong(exercises.check_lstm_step(lambda x, p, s: _my_step(x, p, s)[::-1]), "(c, h)", "h first")
    wrong(exercises.check_lstm_step(_variant(zero("b_f", "b_i", "b_c", "b_o"))), "biases are missing")
    wrong(exercises.check_lstm_step(_variant(zero("b_c"))), "b_c is missing from (3)")
    wrong(exercises.check_lstm_step(lambda x, p, s: _my_step(x, p, s)[0]), "(h, c)")
    wrong(exercises.check_lstm_step(lambda x, p, s: (s[0], s[1])), "c differs")
    # unbatched code (one sample only) fails on the batches of the second problem
    wrong(exercises.check_lstm_step(lambda x, p, s: tuple(a[:1] for a in _my_step(x, p, s))), "shape")


def test_forget_bias_for_half_life():
    f = 0.5 ** (1 / 20)
    b = np.log(f / (1 - f))
    assert b == pytest.approx(3.3449, abs=1e-4)
    right(exercises.ch02.check_forget_bias_for_half_life(b))
    right(exercises.ch02.check_forget_bias_for_half_life(3.34))  # two decimals, as the exercise asks
    wrong(exercises.ch02.check_forget_bias_for_half_life(3.3), "right method", "two decimals")
    wrong(exercises.ch02.check_forget_bias_for_half_life(3.0), "half-life is 14.3 steps")
    wrong(exercises.ch02.check_forget_bias_for_half_life(f), "value f, not its bias")
    wrong(exercises.ch02.check_forget_bias_for_half_life(np.log(2) / 20), "first find f")
    wrong(exercises.ch02.check_forget_bias_for_half_life(1e4), "infinite")
    wrong(exercises.ch02.check_forget_bias_for_half_life("three"), "as a number")
    right(exercises.ch02.check_forget_bias_for_half_life(np.log(0.5 ** 0.1 / (1 - 0.5 ** 0.1)), half_life=10))
