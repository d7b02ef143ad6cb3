"""Chapter 02, the LSTM cell: the gates held by hand (a real one-unit LSTM), one step taken apart
equation by equation, a real cell's gate biases, the pictures of all three and of the cell itself,
the claims of the chapter's text, and its self-checks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Annotation
from test_course_support import (
    assert_clean_texts,
    assert_legend_lists_the_labels,
    bar_centres,
    bar_heights,
    outside_pyplot,
    png,
    right,
    wrong,
)

import lstmlib as ll
from lstmlib import fused
from lstmlib.activations import sigmoid
from lstmlib.course import ch02, exercises, plots

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


# ---- the gates held by hand ----------------------------------------------------------------------------
@given(f=GATE, i=GATE, o=GATE, x=st.floats(-3, 3), c0=st.floats(-2, 2),
       pattern=st.sampled_from(ch02.INPUT_PATTERNS), steps=st.integers(1, 15))
def test_gate_switch_trace_follows_the_closed_form(f, i, o, x, c0, pattern, steps):
    tr = ch02.gate_switch_trace(f, i, o, x, steps=steps, pattern=pattern, c0=c0)
    c, h = _closed_form(f, i, o, tr.x, c0)
    np.testing.assert_array_equal(tr.x, ch02.input_pattern(pattern, x, steps))
    np.testing.assert_allclose(tr.c, c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.h, h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.c_tilde, np.tanh(tr.x), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(tr.written, i * np.tanh(tr.x), rtol=1e-12, atol=1e-300)
    assert (tr.f, tr.i, tr.o, tr.pattern, tr.steps) == (f, i, o, pattern, steps)


@pytest.mark.parametrize("f", [0.0, 1.0])
@pytest.mark.parametrize("i", [0.0, 1.0])
@pytest.mark.parametrize("o", [0.0, 1.0])
def test_gates_at_zero_and_one_are_exact_switches(f, i, o):
    # a bias of +-1e4 saturates the sigmoid to exactly 0 or 1: no leak of 1e-16 per step
    tr = ch02.gate_switch_trace(f, i, o, 1.0, steps=5, pattern="constant", c0=0.75)
    c, h = _closed_form(f, i, o, tr.x, 0.75)
    np.testing.assert_array_equal(tr.c, c)
    np.testing.assert_array_equal(tr.h, h)


def test_gate_switch_extremes_read_as_the_chapter_says():
    keep = ch02.gate_switch_trace(1.0, 1.0, 1.0, 2.0, steps=10)
    np.testing.assert_array_equal(keep.c, np.full(10, np.tanh(2.0)))  # f = 1 keeps the write forever
    forget = ch02.gate_switch_trace(0.0, 1.0, 1.0, 2.0, steps=10)
    assert forget.c[0] == np.tanh(2.0) and not forget.c[1:].any()  # f = 0: gone at step 2
    grow = ch02.gate_switch_trace(1.0, 1.0, 1.0, 1.0, steps=10, pattern="constant")
    np.testing.assert_allclose(grow.c, np.tanh(1.0) * np.arange(1, 11))  # no forgetting: unbounded growth
    shut = ch02.gate_switch_trace(0.9, 1.0, 0.0, 2.0)
    assert not shut.h.any() and shut.c.all()  # o = 0: memory kept, nothing shown
    closed = ch02.gate_switch_trace(1.0, 0.0, 1.0, 2.0, c0=0.3)
    np.testing.assert_array_equal(closed.c, 0.3)  # i = 0: nothing written, c_0 kept
    fade = ch02.gate_switch_trace(0.9, 1.0, 1.0, 2.0, steps=8)
    np.testing.assert_allclose(fade.c, np.tanh(2.0) * 0.9 ** np.arange(8), rtol=1e-12)


def test_gate_switch_trace_is_a_real_lstm():
    # the same numbers from the readable reference LSTM, built from the documented recipe
    tr = ch02.gate_switch_trace(0.8, 0.6, 0.7, 1.5, steps=9, pattern="two pulses", c0=-0.4)
    p = ll.LSTMParams(np.zeros((4, 2)), np.zeros(4))
    p.W_cx[...] = 1.0
    for g, v in (("f", 0.8), ("i", 0.6), ("o", 0.7)):
        getattr(p, f"b_{g}")[...] = np.log(v / (1 - v))
    hs, cache = ll.lstm_forward(tr.x.reshape(-1, 1, 1), p, c0=[[-0.4]])
    np.testing.assert_allclose(tr.c, cache.c[:, 0, 0], rtol=1e-13)
    np.testing.assert_allclose(tr.h, hs[:, 0, 0], rtol=1e-13)
    q = ch02.held_gates_lstm(0.8, 0.6, 0.7)
    assert not q.W_fh.any() and not q.W_fx.any() and not q.W_ih.any() and not q.W_ix.any()
    assert not q.W_oh.any() and not q.W_ox.any() and not q.W_ch.any() and not q.b_c.any()
    assert q.W_cx[0, 0] == 1.0 and sigmoid(q.b_f)[0] == pytest.approx(0.8, rel=1e-15)


def test_held_gate_bias():
    assert ch02.held_gate_bias(0.5, "f") == 0.0
    assert ch02.held_gate_bias(0.9, "f") == pytest.approx(np.log(9.0))
    assert ch02.held_gate_bias(1.0, "f") == 1e4 and ch02.held_gate_bias(0.0, "f") == -1e4
    assert sigmoid(np.float64(1e4)) == 1.0 and sigmoid(np.float64(-1e4)) == 0.0  # exact switches
    for bad in (1.2, -0.1, float("nan"), "half"):
        with pytest.raises(ValueError, match="gate_z"):
            ch02.held_gate_bias(bad, "gate_z")


def test_gate_switch_trace_and_input_patterns_reject_bad_values():
    np.testing.assert_array_equal(ch02.input_pattern("two pulses", 1.5, 6), [1.5, 0, 0, -1.5, 0, 0])
    np.testing.assert_array_equal(ch02.input_pattern("pulse", 2.0, 3), [2.0, 0, 0])
    np.testing.assert_array_equal(ch02.input_pattern("constant", -1.0, 3), [-1.0] * 3)
    np.testing.assert_array_equal(ch02.input_pattern("two pulses", 1.0, 1), [1.0])
    for bad in (dict(f=1.2), dict(i=-0.1), dict(o=float("nan"))):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ch02.gate_switch_trace(**{"f": 0.5, "i": 0.5, "o": 0.5, "x": 1.0, **bad})
    with pytest.raises(ValueError, match="pattern"):
        ch02.input_pattern("sine", 1.0, 5)
    with pytest.raises(ValueError, match="steps"):
        ch02.gate_switch_trace(0.5, 0.5, 0.5, 1.0, steps=0)
    with pytest.raises(ValueError, match="c0"):
        ch02.gate_switch_trace(0.5, 0.5, 0.5, 1.0, c0=float("inf"))


# ---- one step, equation by equation ---------------------------------------------------------------------
def test_step_trace_takes_lstm_step_forward_apart():
    rng = np.random.default_rng(8)
    p = ll.LSTMParams.init(3, 4, rng)
    x, h_prev, c_prev = rng.standard_normal((3, 3)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    h, c, _ = ll.lstm_step_forward(x, p, h_prev, c_prev)
    for s in range(3):  # each sample is taken from its own row
        tr = ch02.lstm_step_trace(x, p, h_prev, c_prev, sample=s)
        np.testing.assert_array_equal(tr.x, x[s])
        np.testing.assert_array_equal(tr.h_prev, h_prev[s])
        for g in ("f", "i", "c", "o"):  # the weighted inputs, from the joined matrix as the article writes it
            Wg = np.hstack([getattr(p, f"W_{g}h"), getattr(p, f"W_{g}x")])
            np.testing.assert_allclose(tr.net[g], Wg @ np.concatenate([h_prev[s], x[s]]) + getattr(p, f"b_{g}"),
                                       rtol=1e-13, atol=1e-15)
        for sym, g in (("f_t", "f"), ("i_t", "i"), ("o_t", "o")):
            np.testing.assert_allclose(tr.values[sym], sigmoid(tr.net[g]), rtol=1e-14)
        np.testing.assert_allclose(tr.values["c~_t"], np.tanh(tr.net["c"]), rtol=1e-14)
        np.testing.assert_allclose(tr.values["f_t*c_{t-1}"], tr.values["f_t"] * c_prev[s], rtol=1e-14)
        np.testing.assert_allclose(tr.values["f_t*c_{t-1}"] + tr.values["i_t*c~_t"], c[s], rtol=1e-14)
        np.testing.assert_array_equal(tr.values["c_t"], c[s])
        np.testing.assert_array_equal(tr.values["h_t"], h[s])
        np.testing.assert_allclose(tr.values["tanh(c_t)"], np.tanh(c[s]), rtol=1e-15)
    for bad in (3, -1, 1.0, True):
        with pytest.raises(ValueError, match="sample"):
            ch02.lstm_step_trace(x, p, h_prev, c_prev, sample=bad)


def test_step_trace_prints_the_six_equations_with_their_numbers():
    tr = ch02.lstm_step_trace(*ch02.worked_example())
    text = str(tr)
    assert repr(tr) == text
    for eq in ("(1) f_t", "(2) i_t", "(3) c~_t", "(4) c_t", "(5) o_t", "(6) h_t"):
        assert eq in text
    for name in ("f_t", "i_t", "c~_t", "o_t"):
        assert "[" + ", ".join(f"{v:7.3f}" for v in tr.values[name]) + "]" in text, name
    assert f"c_t           = [{tr.values['c_t'][0]:7.3f}, {tr.values['c_t'][1]:7.3f}]" in text
    assert f"h_t       = [{tr.values['h_t'][0]:7.3f}, {tr.values['h_t'][1]:7.3f}]" in text


def test_worked_example_reads_as_the_chapter_says():
    x, p, h_prev, c_prev = ch02.worked_example()
    assert (x.shape, h_prev.shape, c_prev.shape, p.input_size, p.hidden_size) == ((1, 2), (1, 2), (1, 2), 2, 2)
    tr = ch02.lstm_step_trace(x, p, h_prev, c_prev)
    # "row 1 of W_fh times h_{t-1}, row 1 of W_fx times x_t, plus b_f: 0.5*0.5 + 0*(-0.5) + 0.5*1 + 0.5*(-1) + 1"
    assert tr.net["f"][0] == 0.5 * 0.5 + 0 * (-0.5) + 0.5 * 1 + 0.5 * (-1) + 1 == 1.25
    _, c, k = ll.lstm_step_forward(x, p, h_prev, c_prev)
    assert k.f[0, 0] > 0.5 > k.f[0, 1]  # unit 1 keeps most of c_{t-1}, unit 2 loses most of it
    assert c[0, 0] > c_prev[0, 0]  # unit 1 gets a sizeable write: its cell state grows
    lines = ch02.parameter_table(p).splitlines()
    assert lines[0].split() == ["gate", "W_gh", "W_gx", "b_g"]
    assert lines[1].split() == ["f", "[", "0.5", "0.0]", "[", "0.5", "0.5]", "1.0"]
    assert lines[8].split() == ["[", "0.5", "0.5]", "[", "0.0", "0.5]", "-1.0"]  # o's second row
    assert len(lines) == 1 + 4 * p.hidden_size
    assert ch02.parameter_table(p, decimals=2).splitlines()[1].split()[2] == "0.50"
    with pytest.raises(ValueError, match="p"):
        ch02.parameter_table("p")


# ---- a real cell's biases --------------------------------------------------------------------------------
def test_bias_lab_runs_the_cell_with_the_biases_it_is_given():
    lab = ch02.bias_lab(steps=20)
    assert lab.X.shape == (20, 1, 2) and lab.pulses == (3, 13)
    assert lab.X[2, 0, 0] == 2.0 and lab.X[12, 0, 0] == -2.0
    assert np.count_nonzero(lab.X[:, 0, 0]) == 2  # input 0 holds the two pulses and nothing else
    cache = lab.run(1.5, -0.5, 2.0)
    p = lab.params.copy()
    p.b_f[...], p.b_i[...], p.b_o[...], p.b_c[...] = 1.5, -0.5, 2.0, 0.0
    hs, ref = ll.lstm_forward(lab.X, p)  # the readable reference, against run's fused pass
    np.testing.assert_allclose(cache.h, hs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.c, ref.c, rtol=1e-12, atol=1e-14)
    assert isinstance(cache, fused.FusedLSTMCache)
    assert lab.params.b_f.tolist() == ch02.bias_lab(steps=20).params.b_f.tolist()  # run left the lab alone
    open_, shut = lab.run(6.0, 0.0, 0.0), lab.run(-6.0, 0.0, 0.0)
    assert open_.f.min() > 0.99 and shut.f.max() < 0.01
    with pytest.raises(ValueError, match="steps"):
        ch02.bias_lab(steps=4)
    with pytest.raises(ValueError, match="b_i"):
        lab.run(0.0, float("nan"), 0.0)


# ---- pictures -------------------------------------------------------------------------------------------
def test_gate_switch_picture_draws_the_trace_it_is_given():
    pic = plots.ch02.GateSwitchPicture(Figure(), max_steps=12)
    for args in ((0.9, 1.0, 0.8, 2.0, "pulse"), (0.5, 0.3, 1.0, -1.0, "constant"), (1.0, 1.0, 1.0, 3.0, "two pulses")):
        tr = ch02.gate_switch_trace(*args[:4], steps=12, pattern=args[4])
        pic.update(tr)
        t = np.arange(1, 13)
        np.testing.assert_allclose(bar_heights(pic.bars), tr.written)
        np.testing.assert_allclose(bar_centres(pic.bars), t)
        np.testing.assert_allclose(bar_heights(pic.cand), tr.c_tilde)
        np.testing.assert_array_equal(pic.c.get_ydata(), tr.c)
        np.testing.assert_array_equal(pic.h.get_ydata(), tr.h)
        lo, hi = pic.ax.get_ylim()
        assert lo <= min(tr.c.min(), tr.h.min(), tr.written.min(), -1) and hi >= max(tr.c.max(), 1)
        assert pic.ax.get_title().startswith(f"f = {args[0]:.2f}, i = {args[1]:.2f}, o = {args[2]:.2f}")
        assert pic.ax.get_title().endswith(f"c_T = {tr.c[-1]:.3f},  h_T = {tr.h[-1]:.3f}")
    with pytest.raises(ValueError, match="steps"):
        pic.update(ch02.gate_switch_trace(0.5, 0.5, 0.5, 1.0, steps=13))
    fig = plots.plot_gate_switches(ch02.gate_switch_trace(0.9, 1, 1, 1))
    assert outside_pyplot(fig) and len(fig.axes) == 1
    assert_legend_lists_the_labels(fig.axes[0])
    assert len(fig.axes[0].get_legend().get_texts()) == 4  # candidate, written, c_t, h_t
    assert fig.axes[0].get_legend()._loc != 0  # a fixed place beside the axes, not "best" over the data
    assert_clean_texts(fig)
    png(fig)


def test_memory_by_forget_gate_draws_one_decay_per_gate_value():
    forget = (0.3, 0.9, 1.0)
    fig = plots.ch02.plot_memory_by_forget_gate(forget=forget, steps=12, x=1.5)
    ax = fig.axes[0]
    decays, half = ax.lines[:3], ax.lines[3]
    assert [ln.get_label() for ln in decays] == ["f = 0.3: half-life 0.6 steps", "f = 0.9: half-life 6.6 steps",
                                                "f = 1: never halves"]
    for ln, f in zip(decays, forget):  # one write at t = 1, then c_t = f^(t-1) tanh(x)
        np.testing.assert_allclose(ln.get_ydata(), np.tanh(1.5) * f ** np.arange(12), rtol=1e-12)
        np.testing.assert_array_equal(ln.get_xdata(), np.arange(1, 13))
    # the dotted guide is half of the write, and each curve crosses it where its half-life says
    assert half.get_label() == "half of the write" and half.get_linestyle() == ":"
    assert list(half.get_ydata()) == [np.tanh(1.5) / 2] * 2
    c = decays[1].get_ydata()
    n = ch02.half_life(0.9)
    assert c[int(np.floor(n))] > np.tanh(1.5) / 2 > c[int(np.ceil(n))]
    assert "x = 1.5" in ax.get_title()
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 12]  # time steps: whole numbers only
    assert ticks and all(float(t).is_integer() for t in ticks)
    legend = ax.get_legend()  # beside the axes, over no curve
    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1
    assert_legend_lists_the_labels(ax)
    assert_clean_texts(fig)
    png(fig)


def test_half_life():
    assert ch02.half_life(0.5) == pytest.approx(1.0)
    assert ch02.half_life(0.9) == pytest.approx(np.log(0.5) / np.log(0.9))
    assert 0.9 ** ch02.half_life(0.9) == pytest.approx(0.5)
    assert ch02.half_life(1.0) == float("inf")
    for bad in (0.0, 1.2, -0.1, float("nan"), "0.9"):
        with pytest.raises(ValueError, match="f"):
            ch02.half_life(bad)
    lines = ch02.half_life_table((0.3, 0.7, 0.9, 0.97, 1.0)).splitlines()
    assert lines[0].split()[-5:] == ["0.3", "0.7", "0.9", "0.97", "1"]
    assert lines[1].split()[-5:] == ["0.6", "1.9", "6.6", "22.8", "never"]  # what the chapter's prose quotes
    with pytest.raises(ValueError, match="forget"):
        ch02.half_life_table(())
    # "a memory of hundreds of steps needs a forget gate within a few thousandths of 1"
    assert 1 - 0.5 ** (1 / 100) < 0.01 and ch02.half_life(0.995) > 100


def test_gate_heatmaps_show_every_array_of_the_sample_on_shared_scales():
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(3, 4, rng, forget_bias=3.0)
    _, cache = ll.lstm_forward(rng.standard_normal((10, 2, 3)), p)
    fig = plots.ch02.plot_gate_heatmaps(cache, 1)
    images = [(ax, ax.images[0]) for ax in fig.axes if ax.images]
    assert len(images) == 6 and len(fig.axes) == 8  # six maps, one colour bar per column
    by_title = {ax.get_title(): im for ax, im in images}
    m = max(1.0, np.abs(cache.c[:, 1]).max())
    expect = {"forget gate $f_t$": ("f", (0, 1)), "input gate $i_t$": ("i", (0, 1)),
              "output gate $o_t$": ("o", (0, 1)), r"candidate $\tilde c_t$": ("c_tilde", (-m, m)),
              "cell state $c_t$": ("c", (-m, m)), "output $h_t$": ("h", (-m, m))}
    assert set(by_title) == set(expect)
    for title, (name, lim) in expect.items():
        im = by_title[title]
        assert isinstance(im, AxesImage)
        data = np.asarray(getattr(cache, name))[:, 1, :].T  # units down, time across: sample 1
        np.testing.assert_array_equal(im.get_array(), data)
        assert im.get_clim() == pytest.approx(lim)  # panels compared share one scale
        assert im.get_extent() == [0.5, 10.5, 4.5, 0.5]
    # one colour map for the gates, one for the signed panels: a shared colour bar reads true for each
    assert len({by_title[t].get_cmap().name for t in list(expect)[:3]}) == 1
    assert len({by_title[t].get_cmap().name for t in list(expect)[3:]}) == 1
    assert m > 1  # this case's cell state leaves (-1, 1): the signed scale widened to it
    assert plots.ch02.signed_limit(cache, sample=1) == m
    assert_clean_texts(fig)
    png(fig)
    for bad in (2, -1, True):
        with pytest.raises(ValueError, match="sample"):
            plots.ch02.plot_gate_heatmaps(cache, bad)


def test_cell_state_by_forget_bias_draws_each_run_on_one_scale():
    rng = np.random.default_rng(2)
    p = ll.LSTMParams.init(3, 8, rng, forget_bias=1.0)
    X = rng.standard_normal((30, 1, 3))
    memory = ch02.forget_bias_memory(X, p, (1.0, 3.0))
    fig = plots.ch02.plot_cell_state_by_forget_bias(memory)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    m = max(np.abs(c.c).max() for c in memory.caches.values())
    for im, r in zip(images, memory.rows):
        np.testing.assert_array_equal(im.get_array(), memory.caches[r.forget_bias].c[:, 0, :].T)
        assert im.get_clim() == pytest.approx((-m, m))
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert "= 1: mean $f_t$ = 0.722, half-life 2.1 steps" in titles[0]
    assert "= 3: mean $f_t$ = 0.948, half-life 12.9 steps" in titles[1]
    assert_clean_texts(fig)
    png(fig)


def test_step_walkthrough_shows_what_each_gate_does_to_its_vector():
    trace = ch02.lstm_step_trace(*ch02.worked_example())
    v = trace.values
    fig = plots.ch02.plot_step_walkthrough(trace)
    axes = fig.axes
    assert len(axes) == 4
    assert len({ax.get_ylim() for ax in axes}) == 1  # one y-scale: the panels compare
    lo, hi = axes[0].get_ylim()
    every = np.concatenate([np.ravel(a) for a in v.values()] + [trace.c_prev])
    assert lo < every.min() and hi > every.max()

    def heights(ax):
        return [[r.get_height() for r in cont] for cont in ax.containers]

    # panels 1, 2, 4: the vector before the gate (dashed) and what passes (filled)
    for ax, before, after in ((axes[0], trace.c_prev, v["f_t*c_{t-1}"]), (axes[1], v["c~_t"], v["i_t*c~_t"]),
                              (axes[3], v["tanh(c_t)"], v["h_t"])):
        (b, a) = heights(ax)
        np.testing.assert_allclose(b, before)
        np.testing.assert_allclose(a, after)
    # panel 3: kept, then written on top of it, ending at c_t
    kept, written = axes[2].containers
    np.testing.assert_allclose([r.get_height() for r in kept], v["f_t*c_{t-1}"])
    np.testing.assert_allclose([r.get_y() for r in written], v["f_t*c_{t-1}"])
    np.testing.assert_allclose([r.get_y() + r.get_height() for r in written], v["c_t"])
    texts = [t.get_text() for ax in axes for t in ax.texts]
    for label in ("f = 0.777", "f = 0.438", "i = 0.679", "i = 0.321", "o = 0.622", "o = 0.182", "1.447", "-0.516"):
        assert label in texts, label
    for ax in axes:
        assert_legend_lists_the_labels(ax)
        legend = ax.get_legend()  # below the axes, over no bar
        assert legend.get_bbox_to_anchor().y1 <= ax.get_window_extent().y0 + 1
    assert_clean_texts(fig)
    png(fig)


def test_unrolled_diagram_shows_the_steps_and_both_states():
    fig = plots.diagrams.plot_lstm_unrolled(steps=3)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for name in ("t-1", "t", "t+1"):
        assert f"step {name}" in texts
        assert f"$x_{{{name}}}$" in texts and f"$h_{{{name}}}$" in texts and f"$c_{{{name}}}$" in texts
    assert "$c_{t-2}$" in texts and "$h_{t-2}$" in texts  # what the first step receives
    assert texts.count("$f$") == 3 and texts.count(r"$\tilde c$") == 3  # the same cell at every step
    assert not ax.axison
    assert len(plots.diagrams.plot_lstm_unrolled(steps=2).axes[0].texts) < len(ax.texts)
    for bad in (1, 6, 2.0, True):
        with pytest.raises(ValueError, match="steps"):
            plots.diagrams.plot_lstm_unrolled(steps=bad)
    assert_clean_texts(fig)
    png(fig)


def test_bias_picture_draws_the_run_it_is_given():
    lab = ch02.bias_lab(steps=16)
    fig = plots.plot_gate_biases(lab, 1.0, -2.0, 0.5)
    assert outside_pyplot(fig) and len(fig.axes) == 3
    pic = plots.BiasPicture(Figure(), lab)
    for biases in ((1.0, -2.0, 0.5), (-6.0, 6.0, -6.0)):
        cache = lab.run(*biases)
        pic.update(cache, dict(zip(("b_f", "b_i", "b_o"), biases)))
        for g, line in pic.lines_g.items():
            np.testing.assert_allclose(line.get_ydata(), getattr(cache, g)[:, 0, :].mean(axis=1))
        for u in range(lab.params.hidden_size):
            np.testing.assert_array_equal(pic.lines_c[u].get_ydata(), cache.c[:, 0, u])
            np.testing.assert_array_equal(pic.lines_h[u].get_ydata(), cache.h[:, 0, u])
        lo, hi = pic.ax_c.get_ylim()
        assert lo <= cache.c.min() and hi >= cache.c.max()
        assert pic.suptitle.get_text() == "   ".join(
            f"{k} = {v:+.1f}" for k, v in zip(("b_f", "b_i", "b_o"), biases)) + "   (shaded: input pulses)"
    for ax in fig.axes:  # the pulses are shaded where they are: one band per pulse, centred on its step
        bands = sorted((p.get_x() + p.get_width() / 2) for p in ax.patches)
        assert bands == pytest.approx(list(lab.pulses))
        assert_legend_lists_the_labels(ax)
    assert [ax.get_title() for ax in fig.axes] == ["gates", "cell state c_t (each unit)", "output h_t (each unit)"]
    # the gates' legend sits in the headroom above 1, where no gate (a sigmoid) can be drawn
    ax_g = fig.axes[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    renderer = FigureCanvasAgg(fig).get_renderer()
    box = ax_g.get_legend().get_window_extent(renderer)
    assert ax_g.transData.inverted().transform((box.x0, box.y0))[1] > 1.0
    assert_clean_texts(fig)
    png(fig)


def test_lstm_cell_diagram_shows_the_six_equations():
    fig = plots.diagrams.plot_lstm_cell()
    assert outside_pyplot(fig) and len(fig.axes) == 1
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for eq in ("(1) $f_t$", "(2) $i_t$", r"(3) $\tilde c_t$", "(4)", "(5) $o_t$", "(6)"):
        assert eq in texts, eq
    red = [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
           and to_hex(a.arrow_patch.get_edgecolor()) == "#d62728"]
    assert not red  # the forward diagram has no error signals
    assert ax.get_title().startswith("one LSTM step:") and not ax.axison
    assert_clean_texts(fig)
    png(fig)


# ---- what the chapter's text says about the numbers it prints ------------------------------------------
def _section6():
    rng = np.random.default_rng(2)
    p8 = ll.LSTMParams.init(input_size=3, hidden_size=8, rng=rng, forget_bias=1.0)
    X = rng.standard_normal((30, 1, 3))
    return X, p8


def test_run_summary_and_compare_with_fused():
    X, p8 = _section6()
    _, cache = ll.lstm_forward(X, p8)
    lines = ch02.run_summary(cache).splitlines()
    assert lines[0] == f"f_t: mean {cache.f.mean():.3f}, from {cache.f.min():.3f} to {cache.f.max():.3f}"
    assert lines[3].startswith(f"c_t: from {cache.c.min():.3f} to {cache.c.max():.3f}")
    assert lines[4].endswith("True")
    with pytest.raises(ValueError, match="sample"):
        ch02.run_summary(cache, sample=1)
    assert ch02.compare_with_fused(X, p8).endswith(": True")
    q = p8.copy()  # a check that can fail: a tolerance below the rounding noise of a real difference
    assert ch02.compare_with_fused(X, q, atol=0.0).endswith(("True", "False"))
    assert "within 1e-13" in ch02.compare_with_fused(X, p8)


def test_step_correlation():
    t = np.arange(50.0)
    still = np.ones((50, 1, 2)) * np.array([1.0, 2.0])
    assert ch02.step_correlation(still) == 0.0  # no variation at all: nothing to correlate
    slow = np.sin(t / 8)[:, None, None] * np.ones((1, 2, 3))
    assert ch02.step_correlation(slow) > 0.95
    alternating = ((-1.0) ** t)[:, None, None] * np.ones((1, 1, 2))
    assert ch02.step_correlation(alternating) == pytest.approx(-1.0, abs=0.05)
    noise = np.random.default_rng(0).standard_normal((4000, 1, 2))
    assert abs(ch02.step_correlation(noise)) < 0.05
    for bad in (np.ones((1, 1, 2)), np.ones((5, 2))):
        with pytest.raises(ValueError, match="a:"):
            ch02.step_correlation(bad)


def test_forget_bias_memory_runs_the_same_cell_with_each_bias():
    X, p8 = _section6()
    memory = ch02.forget_bias_memory(X, p8, (1.0, 3.0))
    assert [r.forget_bias for r in memory.rows] == [1.0, 3.0]
    for r in memory.rows:
        q = p8.copy()
        q.b_f[...] = r.forget_bias
        _, ref = ll.lstm_forward(X, q)  # the readable reference
        np.testing.assert_allclose(memory.caches[r.forget_bias].c, ref.c, rtol=1e-12, atol=1e-14)
        assert r.mean_f == pytest.approx(ref.f.mean(), rel=1e-12)
        assert r.half_life == pytest.approx(np.log(0.5) / np.log(ref.f.mean()), rel=1e-12)
        assert r.c_correlation == pytest.approx(ch02.step_correlation(ref.c), rel=1e-10)
        assert r.max_abs_c == pytest.approx(np.abs(ref.c).max(), rel=1e-12)
    assert p8.b_f.tolist() == [1.0] * 8  # the runs left the cell alone
    lines = str(memory).splitlines()
    assert lines[2].split() == ["1.0", "0.722", "2.1", "0.61", "0.05", "0.81"]  # what the prose quotes
    assert lines[3].split() == ["3.0", "0.948", "12.9", "0.83", "0.09", "1.98"]
    assert memory.row(3.0) is memory.rows[1]
    with pytest.raises(KeyError):
        memory.row(2.0)
    with pytest.raises(ValueError, match="forget_biases"):
        ch02.forget_bias_memory(X, p8, ())
    with pytest.raises(ValueError, match="p"):
        ch02.forget_bias_memory(X, "p8")


def test_chapter02_claims():
    X, p8 = _section6()
    _, cache = ll.lstm_forward(X, p8)
    assert (cache.f > 0.5).mean() > 0.9  # "the forget gates lie mostly above one half"
    assert np.all(np.abs(cache.h) < np.abs(np.tanh(cache.c)))  # "h_t is smaller than tanh(c_t) everywhere"
    assert np.abs(cache.c).max() < 1  # "here from -1 to 1": the signed scale did not widen
    # "a half-life of about 2.1 steps: whatever this cell wrote ten steps ago is all but gone"
    assert cache.f.mean() ** 10 < 0.05
    # "the cell state is smoother than the candidate, but a short memory"; "with b_f = 3 it changes slowly"
    one, three = ch02.forget_bias_memory(X, p8, (1.0, 3.0)).rows
    assert one.c_correlation > 0.5 > 0.1 > one.candidate_correlation
    assert three.half_life > 10 and three.c_correlation > one.c_correlation
    assert three.max_abs_c > 1 > one.max_abs_c  # "it grows, far outside (-1, 1)"
    # the worked example, as section 4 reads it
    tr = ch02.lstm_step_trace(*ch02.worked_example())
    v = tr.values
    assert v["c_t"][0] > tr.c_prev[0] and v["c_t"][0] > 1  # unit 1 grows beyond the range of tanh
    assert v["f_t"][1] < 0.5  # unit 2 loses more than half of its old value
    assert v["o_t"][1] < 0.2 < 0.5 < abs(v["c_t"][1])  # unit 2 keeps a memory and shows little of it
    lab = ch02.bias_lab()

    def pulse_effect(b_f, pulse):
        """Norm of c_t minus c_t of the same run without that pulse, at every step."""
        X = lab.X.copy()
        X[pulse - 1, 0, 0] = 0.0
        without = ch02.BiasLab(lab.params, X, lab.pulses).run(b_f, 0.0, 0.0)
        return np.linalg.norm(lab.run(b_f, 0.0, 0.0).c[:, 0] - without.c[:, 0], axis=1)

    for pulse in lab.pulses:
        # at the start (all biases 0) a pulse's trace fades within a few steps
        d = pulse_effect(0.0, pulse)
        assert d[pulse - 1] > 0.3 and d[pulse - 1 + 5] < 0.15 * d[pulse - 1]
        # b_f = +6: nothing fades, the pulse changes c_t for good
        d = pulse_effect(6.0, pulse)
        assert d[pulse - 1] > 0.3 and d[pulse - 1:].min() >= 0.9 * d[pulse - 1] and d[-1] >= d[pulse - 1]
        # b_f = -6: shows for one step, a faint echo at the next (through h_t), then nothing
        d = pulse_effect(-6.0, pulse)
        assert d[pulse - 1] > 0.3 and d[pulse] < 0.2 * d[pulse - 1] and d[pulse + 1] < 0.03 * d[pulse - 1]
    shut_in = lab.run(0.0, -6.0, 0.0)
    assert np.abs(shut_in.c).max() < 0.02  # b_i = -6: the cell state hardly moves
    quiet = lab.run(0.0, 0.0, -6.0)
    assert np.abs(quiet.h).max() < 0.01 < np.abs(quiet.c).max()  # b_o = -6: memory kept, output quiet
    forget = lab.run(-6.0, 0.0, 0.0)
    pulse = lab.pulses[1] - 1
    assert np.abs(forget.c[pulse + 1]).max() < 0.2 * np.abs(forget.c[pulse]).max()  # gone at the next step
    keep = lab.run(6.0, 0.0, 0.0)
    assert np.abs(keep.c[-1]).max() > 2 > np.abs(forget.c[-1]).max()  # b_f = +6: the cell states drift far


def test_explorers_redraw_while_dragged():
    from lstmlib.course import widgets
    gate = widgets.gate_explorer()
    assert all(gate.controls[k].continuous_update for k in ("f", "i", "o", "x"))
    bias = widgets.gate_bias_explorer()
    assert all(c.continuous_update for c in bias.controls.values())
    # the hint "at the start, f = 0.9: the value written at step 1 fades geometrically"
    assert gate.values()["f"] == 0.9 and gate.values()["pattern"] == "pulse" and gate.values()["i"] > 0


# ---- self-checks ------------------------------------------------------------------------------------------
def test_cell_update():
    c, h = 0.9 * 1.0 + 0.5 * 0.8, 0.6 * np.tanh(1.3)
    right(exercises.check_cell_update(c, h))
    wrong(exercises.check_cell_update(1.0 + 0.4, h), "forget gate")
    wrong(exercises.check_cell_update(0.9 + 0.8, h), "input gate")
    wrong(exercises.check_cell_update(0.9 * 0.4, h), "adds")
    wrong(exercises.check_cell_update(0.9 * 0.8 + 0.5 * 1.0, h), "f multiplies the old state")
    wrong(exercises.check_cell_update(c, 0.6 * 1.3), "tanh is missing")
    wrong(exercises.check_cell_update(c, np.tanh(0.6 * 1.3)), "applies to c_t alone")
    wrong(exercises.check_cell_update(c, np.tanh(1.3)), "output gate")
    wrong(exercises.check_cell_update(c, ...), "replace the ...")
    wrong(exercises.check_cell_update("1.3", "x"), "h_t")
    # the expected values come from lstm_step_forward, at other gate values too
    right(exercises.check_cell_update(0.2 * -1.0 + 0.7 * 0.3, 0.4 * np.tanh(0.2 * -1.0 + 0.7 * 0.3),
                                      f=0.2, i=0.7, c_tilde=0.3, c_prev=-1.0, o=0.4))


def test_memory_steps():
    assert 0.95 ** 13 > 0.5 > 0.95 ** 14
    right(exercises.ch02.check_memory_steps(14))  # the default is the exercise's f = 0.95
    wrong(exercises.ch02.check_memory_steps(13), "not yet below half")
    wrong(exercises.ch02.check_memory_steps(13.51), "whole number")
    wrong(exercises.ch02.check_memory_steps(20), "first n")
    assert 0.9 ** 6 > 0.5 > 0.9 ** 7
    right(exercises.check_memory_steps(7, f=0.9))
    right(exercises.check_memory_steps(1, f=0.3))
    right(exercises.check_memory_steps(69, f=0.99))  # 0.99^68 > 1/2 > 0.99^69


def _solution_step(x, p, h_prev, c_prev):
    f = sigmoid(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f)
    i = sigmoid(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i)
    ct = np.tanh(h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c)
    o = sigmoid(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o)
    c = f * c_prev + i * ct
    return o * np.tanh(c), c


def test_lstm_step():
    right(exercises.check_lstm_step(_solution_step))

    def no_tanh(x, p, h_prev, c_prev):
        _, c = _solution_step(x, p, h_prev, c_prev)
        _, _, k = ll.lstm_step_forward(x, p, h_prev, c_prev)
        return k.o * c, c

    def no_input_gate(x, p, h_prev, c_prev):
        _, _, k = ll.lstm_step_forward(x, p, h_prev, c_prev)
        c = k.f * c_prev + k.c_tilde
        return k.o * np.tanh(c), c

    def no_forget_gate(x, p, h_prev, c_prev):
        _, _, k = ll.lstm_step_forward(x, p, h_prev, c_prev)
        c = c_prev + k.i * k.c_tilde
        return k.o * np.tanh(c), c

    def no_output_gate(x, p, h_prev, c_prev):
        _, c = _solution_step(x, p, h_prev, c_prev)
        return np.tanh(c), c

    wrong(exercises.check_lstm_step(no_tanh), "tanh is missing")
    wrong(exercises.check_lstm_step(no_input_gate), "input gate")
    wrong(exercises.check_lstm_step(no_forget_gate), "forget gate")
    wrong(exercises.check_lstm_step(no_output_gate), "output gate is missing")
    wrong(exercises.check_lstm_step(lambda *a: _solution_step(*a)[0]), "return (h, c)")
    wrong(exercises.check_lstm_step(lambda x, p, h, c: (h, c)), "c differs")
    # unbatched code (one sample only) fails on the batches of the second problem
    wrong(exercises.check_lstm_step(lambda x, p, h, c: tuple(a[:1] for a in _solution_step(x, p, h, c))),
          "B=2")


def test_forget_bias_for_half_life():
    f = 0.5 ** (1 / 20)
    b = np.log(f / (1 - f))
    assert b == pytest.approx(3.3449, abs=1e-4)
    right(exercises.ch02.check_forget_bias_for_half_life(b))
    right(exercises.ch02.check_forget_bias_for_half_life(3.35))  # two decimals are close enough
    wrong(exercises.ch02.check_forget_bias_for_half_life(3.0), "half-life is 14.3 steps")
    wrong(exercises.ch02.check_forget_bias_for_half_life(f), "value f, not its bias")
    wrong(exercises.ch02.check_forget_bias_for_half_life(np.log(2) / 20), "first find f")
    wrong(exercises.ch02.check_forget_bias_for_half_life(1.0), "2.2 steps")
    wrong(exercises.ch02.check_forget_bias_for_half_life(1e4), "infinite")
    wrong(exercises.ch02.check_forget_bias_for_half_life(...), "replace the ...")
    wrong(exercises.ch02.check_forget_bias_for_half_life("three"), "as a number")
    right(exercises.ch02.check_forget_bias_for_half_life(np.log(0.5 ** 0.1 / (1 - 0.5 ** 0.1)), half_life=10))
    with pytest.raises(ValueError, match="half_life"):
        exercises.ch02.check_forget_bias_for_half_life(3.0, half_life=0)
