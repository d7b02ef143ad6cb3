"""What chapters 00-03 show: the LSTM BPTT trace, the errata measurements, the gate computations,
the notation table, and the pictures that draw them."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

import lstmlib as ll
from lstmlib import gates, gradflow as gf, notation, plots
from lstmlib.article import ARTICLE, ArticleErrata

NO_CARRY = ArticleErrata(no_cell_carry=True)


# ---- chapter 03: BPTT written as a loop over lstm_step_backward --------------------------------------
@given(T=st.integers(1, 6), B=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4),
       seed=st.integers(0, 2**31 - 1))
def test_bptt_by_steps_equals_lstm_backward(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    p = ll.LSTMParams.init(D, H, rng)
    X = rng.standard_normal((T, B, D))
    h0, c0, G = rng.standard_normal((B, H)), rng.standard_normal((B, H)), rng.standard_normal((T, B, H))
    tr = gf.lstm_bptt_by_steps(G, X, p, h0, c0)
    _, cache = ll.lstm_forward(X, p, h0, c0)
    g = ll.lstm_backward(G, cache)
    for name in p.names:
        np.testing.assert_allclose(getattr(tr.grads, name), getattr(g, name), rtol=1e-10, atol=1e-12)
    for name in ("dX", "dh0", "dc0"):
        np.testing.assert_allclose(getattr(tr.grads, name), getattr(g, name), rtol=1e-10, atol=1e-12)
    # the recorded totals: at the last step dE/dh_T is the loss's own, and dE/dc_T only comes through h_T
    np.testing.assert_array_equal(tr.dh[-1], G[-1])
    o, tc = cache.o[-1], np.tanh(cache.c[-1])
    np.testing.assert_allclose(tr.dc[-1], G[-1] * o * (1 - tc ** 2), rtol=1e-12)
    # dc0 is the carry out of step 1: dE/dc_1 * f_1; every carry is dE/dc_{t+1} * f_{t+1}
    np.testing.assert_allclose(g.dc0, tr.dc[0] * cache.f[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tr.carry[:-1], tr.dc[1:] * cache.f[1:], rtol=1e-10, atol=1e-12)
    assert not tr.carry[-1].any()
    assert tr.step_table(sample=B - 1).count("\n") == T + 1


def test_step_contributions_vanish_exactly_where_the_zero_state_says():
    p, X, states, G = gf.errata_case(2)
    tr = gf.lstm_bptt_by_steps(G, X, p, **states)
    zero_at_step1 = {"W_fh", "W_ih", "W_ch", "W_oh", "W_fx", "b_f"}  # h_0 = 0, and c_0 = 0 kills delta_f,1
    for name, parts in tr.contributions.items():
        assert (parts[0] == 0.0) == (name in zero_at_step1), name
        assert parts[1] > 0, name
    assert "W_fh" in tr.contributions_table() and "\n" in tr.contributions_table()


# ---- chapter 03: the article's errata, measured ---------------------------------------------------
EXPECTED_T2 = {
    "correct": set(),
    "no carry": {"W_ix", "b_i", "W_cx", "b_c", "X", "h0", "c0"},
    "dWx last": {"W_ix", "W_cx", "W_ox"},
    "b from f": {"b_i", "b_o"},
    "article": {"W_ix", "b_i", "W_cx", "b_c", "W_ox", "b_o", "X", "h0", "c0"},
}


@pytest.fixture(scope="module")
def table():
    return gf.errata_table()


def test_errata_table_failures_at_T2_and_T5(table):
    assert table.labels == tuple(gf.ERRATA_VARIANTS) and table.steps == (2, 5)
    for label, expected in EXPECTED_T2.items():
        assert set(table.failed(label, 2)) == expected, label
    assert table.failed("correct", 5) == ()
    assert set(table.failed("no carry", 5)) == set(gf.GRADCHECK_ARRAYS)
    assert set(table.failed("article", 5)) == set(gf.GRADCHECK_ARRAYS)
    assert set(table.failed("dWx last", 5)) == {"W_fx", "W_ix", "W_cx", "W_ox"}
    assert set(table.failed("b from f", 5)) == {"b_i", "b_o"}
    # failures are gross, passes are at rounding level: no borderline cell
    for rep in table.reports.values():
        for row in rep.rows:
            assert row.relative_error > 1e-2 if not row.passed else row.relative_error < 1e-6
    text = str(table)
    assert text.count("\n") == 2 + 1 + 15 and "T=5" in text and "15/15" in text


def test_errata_case_is_deterministic_and_zero_state_is_zero():
    a = gf.errata_case(3, seed=4)
    b = gf.errata_case(3, seed=4)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0].weights, b[0].weights)
    assert not a[2]["h0"].any() and not a[2]["c0"].any()
    r = gf.errata_case(3, seed=4, zero_state=False)
    assert r[2]["h0"].any() and r[2]["c0"].any()
    with pytest.raises(ValueError, match="errata"):
        gf.errata_gradcheck("article", 2)
    with pytest.raises(ValueError, match="variants"):
        gf.errata_table({})


def test_the_articles_own_check_passes_the_erratic_backward():
    rep = gf.article_own_check(ARTICLE)
    assert rep["W_fh"].passed
    assert gf.errata_gap(ARTICLE)["W_fh"] == 0.0  # not small: exactly the same gradient
    # yet the same set-up catches other parameters
    assert {"W_ix", "b_i", "W_cx", "b_c", "b_o"} <= set(rep.failed)


def test_ablation_shows_which_choices_hid_the_error():
    rows = {r.change: r for r in gf.article_check_ablation(ARTICLE)}
    assert list(rows) == list(gf.ARTICLE_CHECK_CHANGES)
    assert rows["the article's set-up"].passed and rows["the article's set-up"].gap == 0.0
    assert not rows["T = 3 instead of 2"].passed and rows["T = 3 instead of 2"].gap > 0.01
    assert not rows["random h0, c0"].passed and rows["random h0, c0"].gap > 0.1
    assert rows["weights +-0.5"].passed and rows["weights +-0.5"].gap == 0.0
    assert rows["loss at every step"].passed and rows["loss at every step"].gap == 0.0
    # for W_ox the small weights DO hide the error: the gap is real but of noise size
    ox = {r.change: r for r in gf.article_check_ablation(ARTICLE, name="W_ox")}
    assert 0 < ox["the article's set-up"].gap < 1e-4
    assert ox["loss at every step"].gap > 0.1
    text = gf.format_ablation(gf.article_check_ablation(ARTICLE))
    assert "FAIL" in text and "pass" in text and "0 (identical)" in text
    lines = gf.article_check_table(ARTICLE).splitlines()[2:]
    assert [ln.split()[0] for ln in lines] == list(ll.LSTMParams.names)
    verdicts = {ln.split()[0]: ln.split()[1] for ln in lines}
    assert verdicts["W_fh"] == "pass" and verdicts["W_ix"] == "FAIL"
    # every verdict agrees with the true gap: zero gap passes, non-zero gap fails (robustly)
    gaps = gf.errata_gap(ARTICLE)
    assert all((verdicts[n] == "pass") == (gaps[n] == 0.0) for n in gaps)
    with pytest.raises(ValueError, match="name"):
        gf.article_check_ablation(ARTICLE, name="W_zz")
    with pytest.raises(ValueError, match="weight_scale"):
        gf.article_own_check(ARTICLE, weight_scale=0.0)


def test_no_carry_is_first_seen_by_the_articles_check_at_T3():
    passed = {T: gf.article_own_check(NO_CARRY, steps=T)["W_fh"].passed for T in (1, 2, 3)}
    assert passed == {1: True, 2: True, 3: False}


# ---- chapter 02: gates ------------------------------------------------------------------------------
def _logit(v):
    return np.log(v / (1 - v))


@given(f=st.floats(0.01, 0.99), i=st.floats(0.01, 0.99), o=st.floats(0.01, 0.99), x=st.floats(-3, 3),
       pattern=st.sampled_from(gates.INPUT_PATTERNS))
def test_gate_switch_trace_is_a_real_lstm_with_held_gates(f, i, o, x, pattern):
    tr = gates.gate_switch_trace(f, i, o, x, steps=12, pattern=pattern)
    p = ll.LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.W_cx[...] = 1.0
    p.b_f[...], p.b_i[...], p.b_o[...], p.b_c[...] = _logit(f), _logit(i), _logit(o), 0.0
    hs, cache = ll.lstm_forward(tr.x[:, None, None], p)
    np.testing.assert_allclose(tr.c, cache.c[:, 0, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.h, hs[:, 0, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.written, i * np.tanh(tr.x))


def test_gate_switch_extremes():
    keep = gates.gate_switch_trace(1.0, 1.0, 1.0, 2.0, steps=10)
    np.testing.assert_allclose(keep.c, np.tanh(2.0))  # f = 1 keeps the written value forever
    forget = gates.gate_switch_trace(0.0, 1.0, 1.0, 2.0, steps=10)
    assert forget.c[0] == pytest.approx(np.tanh(2.0)) and not forget.c[1:].any()
    grow = gates.gate_switch_trace(1.0, 1.0, 1.0, 1.0, steps=10, pattern="constant")
    np.testing.assert_allclose(grow.c, np.tanh(1.0) * np.arange(1, 11))  # no forgetting: unbounded growth
    shut = gates.gate_switch_trace(0.9, 1.0, 0.0, 2.0)
    assert not shut.h.any() and shut.c.all()
    np.testing.assert_array_equal(gates.input_pattern("two pulses", 1.5, 6), [1.5, 0, 0, -1.5, 0, 0])
    for bad in (dict(f=1.2), dict(i=-0.1), dict(o=float("nan"))):
        with pytest.raises(ValueError):
            gates.gate_switch_trace(**{"f": 0.5, "i": 0.5, "o": 0.5, "x": 1.0, **bad})
    with pytest.raises(ValueError, match="pattern"):
        gates.input_pattern("sine", 1.0, 5)


def test_step_trace_matches_lstm_step_forward():
    x, h_prev, c_prev, p = gates.worked_example()
    tr = gates.lstm_step_trace(x, h_prev, c_prev, p)
    h, c, k = ll.lstm_step_forward(x, h_prev, c_prev, p)
    np.testing.assert_allclose(tr.values["c_t"], c[0])
    np.testing.assert_allclose(tr.values["h_t"], h[0])
    np.testing.assert_allclose(tr.values["f_t"], ll.activations.sigmoid(tr.net["f"]), rtol=1e-14)
    np.testing.assert_allclose(tr.values["c~_t"], np.tanh(tr.net["c"]), rtol=1e-14)
    np.testing.assert_allclose(tr.values["o_t"], ll.activations.sigmoid(tr.net["o"]), rtol=1e-14)
    np.testing.assert_allclose(tr.values["f_t*c_{t-1}"] + tr.values["i_t*c~_t"], tr.values["c_t"])
    text = str(tr)
    for eq in ("(1)", "(2)", "(3)", "(4)", "(5)", "(6)"):
        assert eq in text
    assert f"{c[0, 0]:7.3f}" in text
    with pytest.raises(ValueError, match="sample"):
        gates.lstm_step_trace(x, h_prev, c_prev, p, sample=1)


def test_worked_example_reads_as_the_chapter_says():
    x, h_prev, c_prev, p = gates.worked_example()
    h, c, k = ll.lstm_step_forward(x, h_prev, c_prev, p)
    assert k.f[0, 0] > 0.5 > k.f[0, 1]  # unit 1 keeps most of c_{t-1}, unit 2 loses most of it
    assert c[0, 0] > c_prev[0, 0]  # unit 1's cell state grows
    table = gates.parameter_table(p)
    assert table.splitlines()[1].split() == ["f", "[", "0.5", "0.0]", "[", "0.5", "0.5]", "1.0"]
    assert len(table.splitlines()) == 1 + 4 * p.hidden_size
    with pytest.raises(ValueError, match="p"):
        gates.parameter_table("p")


def test_bias_lab():
    lab = gates.bias_lab(steps=20)
    open_ = lab.run(6.0, 0.0, 0.0)
    shut = lab.run(-6.0, 0.0, 0.0)
    assert open_.f.min() > 0.99 and shut.f.max() < 0.01
    # a shut forget gate forgets: after the first pulse the cell state falls back quickly
    assert np.abs(shut.c[-1]).max() < np.abs(open_.c[-1]).max()
    assert lab.X[lab.pulses[0] - 1, 0, 0] == 2.0
    with pytest.raises(ValueError, match="steps"):
        gates.bias_lab(steps=4)


# ---- chapter 00: notation and glossary -------------------------------------------------------------
def test_notation_shapes_are_the_real_shapes():
    D, H, B, T = 3, 5, 2, 4
    rows = notation.notation_rows(D, H, B, T)
    sizes = {"D": D, "H": H, "B": B, "T": T}
    for r in rows:
        letters = r.dims.strip("()").replace(" ", "").split(",")
        want = tuple(eval(s, {}, sizes) for s in letters if s)  # "H+D" -> 8
        assert r.shape == want, r
    md = notation.notation_markdown()
    assert md.count("\n") == len(rows) + 1 and "$f_t$" in md and "遗忘门" in md


def test_source_view_shows_the_tested_code():
    v = notation.source(ll.lstm_step_forward)
    assert v._repr_markdown_().startswith("```python\ndef lstm_step_forward(")
    assert "(4) cell state" in repr(v)
    with pytest.raises(ValueError, match="obj"):
        notation.source(3)


def test_glossary_has_the_articles_terms():
    zh = " ".join(z for _, z, _ in notation.GLOSSARY)
    for term in ("遗忘门", "输入门", "输出门", "单元状态", "长短时记忆网络", "循环神经网络", "梯度消失", "梯度爆炸",
                 "误差项", "沿时间反向传播"):
        assert term in zh, term
    assert notation.glossary_markdown().count("\n") == len(notation.GLOSSARY) + 1


# ---- pictures ----------------------------------------------------------------------------------------
def test_static_plots_return_figures():
    exp = gf.radius_experiment(max_steps=30)
    p = ll.LSTMParams.init(3, 4, 0)
    _, cache = ll.lstm_forward(np.random.default_rng(0).standard_normal((10, 2, 3)), p)
    pp, X, st_, G = gf.errata_case(3)
    figs = [plots.plot_activations("sigmoid", 1.0), plots.plot_rnn_flow(exp.flow(0.9, "tanh", 30)),
            plots.plot_error_norms_by_radius(exp, steps=30), plots.plot_lstm_cell(), plots.plot_lstm_cell(True),
            plots.plot_gate_switches(gates.gate_switch_trace(0.9, 1, 1, 1)), plots.plot_memory_by_forget_gate(),
            plots.plot_gate_heatmaps(cache, 1), plots.plot_gate_biases(gates.bias_lab()),
            plots.plot_gradcheck(gf.errata_gradcheck(ARTICLE, 2)),
            plots.plot_errata_heatmap(gf.errata_table(steps=(2,))),
            plots.plot_bptt_carries(gf.lstm_bptt_by_steps(G, X, pp, **st_))]
    for fig in figs:
        assert isinstance(fig, Figure) and fig.axes
    with pytest.raises(ValueError, match="sample"):
        plots.plot_gate_heatmaps(cache, 2)


def test_rnn_picture_draws_the_flow_it_is_given():
    exp = gf.radius_experiment(max_steps=40)
    fig = Figure()
    pic = plots.RNNFlowPicture(fig, max_steps=40)
    flow = exp.flow(1.2, "tanh", 25)
    pic.update(flow)
    x, y = pic.measured.get_data()
    np.testing.assert_array_equal(y, flow.delta_norms)
    np.testing.assert_array_equal(pic.bound.get_data()[1], flow.bound)
    heights = [v[1, 1] for v in pic.bars.get_paths() for v in [v.vertices]]
    np.testing.assert_allclose(heights, flow.contribution_norms)
    assert pic.sum_bar.get_height() == pytest.approx(np.linalg.norm(flow.grad_W))
    with pytest.raises(ValueError, match="steps"):
        pic.update(gf.radius_experiment(max_steps=50).flow(1.0, "tanh", 50))


# ---- what the chapters' prose says about the numbers they print ------------------------------------
def test_chapter01_claims():
    exp = gf.radius_experiment()
    assert exp.flow(0.9, "tanh", 30).gain < 0.9 ** 29 / 10  # faster than the bound's 0.9^(t-k)
    assert exp.flow(1.0, "tanh", 50).gain < 1e-3  # rho = 1 still vanishes for tanh
    assert exp.flow(3.0, "tanh", 50).gain < 1e-6 * 3.0 ** 49  # saturation: far below the bound
    assert exp.flow(3.0, "tanh", 50).gain > 1  # ... but it does explode
    assert exp.flow(3.0, "sigmoid", 50).gain < 1e-6


def test_chapter02_claims():
    rng = np.random.default_rng(2)
    p8 = ll.LSTMParams.init(input_size=3, hidden_size=8, rng=rng, forget_bias=1.0)
    _, cache = ll.lstm_forward(rng.standard_normal((30, 1, 3)), p8)
    assert (cache.f > 0.5).mean() > 0.9  # "the forget gates sit mostly above one half"
    lab = gates.bias_lab()
    shut_in = lab.run(0.0, -6.0, 0.0)
    assert np.abs(shut_in.c).max() < 0.02  # b_i = -6: the cell state hardly moves
    quiet = lab.run(0.0, 0.0, -6.0)
    assert np.abs(quiet.h).max() < 0.01 < np.abs(quiet.c).max()  # b_o = -6: memory kept, output quiet
    forget = lab.run(-6.0, 0.0, 0.0)
    pulse = lab.pulses[1] - 1
    assert np.abs(forget.c[pulse + 1]).max() < 0.2 * np.abs(forget.c[pulse]).max()  # gone at the next step


def test_chapter03_claims():
    rng = np.random.default_rng(3)
    p2 = ll.LSTMParams.init(input_size=2, hidden_size=2, rng=rng)
    X2 = rng.standard_normal((3, 1, 2))
    dhs = np.zeros((3, 1, 2))
    dhs[-1] = 1.0
    tr = gf.lstm_bptt_by_steps(dhs, X2, p2)
    via_h = tr.dc - tr.carry
    for t in (0, 1):  # "at t = 2 and t = 1 the carry is the larger part of dE/dc_t"
        assert np.linalg.norm(tr.carry[t]) > np.linalg.norm(via_h[t])
