"""Chapter 03, BPTT for the LSTM: the two error signals step by step (``bptt_trace``), the
article's errata re-created and measured, the pictures of both, the claims of the chapter's
text, and its self-checks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from test_course_support import (
    check_picture,
    outside_pyplot,
    right,
    wrong,
)

import lstmlib as ll
from lstmlib import fused
from lstmlib.article import ARTICLE, CORRECT, ArticleErrata, article_lstm_backward, article_lstm_forward
from lstmlib.course import ch03, exercises, plots
from lstmlib.gradcheck import numerical_gradient

NO_CARRY = ArticleErrata(no_cell_carry=True)
RED = "#d62728"


def _case(T, B, D, H, seed, zero_state=False):
    rng = np.random.default_rng(seed)
    p = ll.LSTMParams.init(D, H, rng)
    X = rng.standard_normal((T, B, D))
    h0, c0 = (np.zeros((B, H)), np.zeros((B, H))) if zero_state else (rng.standard_normal((B, H)),
                                                                      rng.standard_normal((B, H)))
    return X, p, h0, c0, rng.standard_normal((T, B, H))


def _loss(X, p, G, h0, c0, *, at=None, which=None, offset=0.0, step_params=None):
    """E = sum(G * hs), by a loop over ``lstm_step_forward`` written here. ``offset`` is added to
    h_at (after the step) or to c_at (before h_at is formed from it), 0-based; ``step_params``:
    ``(t, q)`` runs step t with the parameters ``q`` instead of ``p`` (step t's share of a gradient)."""
    h, c, E = h0, c0, 0.0
    for t in range(X.shape[0]):
        q = step_params[1] if step_params is not None and step_params[0] == t else p
        (h, c), k = ll.lstm_step_forward(X[t], q, (h, c))
        if t == at and which == "c":
            c = c + offset
            h = k.o * np.tanh(c)
        if t == at and which == "h":
            h = h + offset
        E += float(np.sum(G[t] * h))
    return E


# ---- BPTT step by step -------------------------------------------------------------------------------------
@given(T=st.integers(1, 6), B=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4),
       seed=st.integers(0, 2**31 - 1))
def test_bptt_trace_equals_both_backward_passes(T, B, D, H, seed):
    X, p, h0, c0, G = _case(T, B, D, H, seed)
    tr = ch03.bptt_trace(X, p, G, (h0, c0))
    _, cache = ll.lstm_forward(X, p, (h0, c0))
    g = ll.lstm_backward(G, cache)
    for name in p.names + ("dX", "dh0", "dc0"):
        np.testing.assert_allclose(getattr(tr.grads, name), getattr(g, name), rtol=1e-10, atol=1e-12)
    # the recorded totals against the fast pass's, an independent implementation
    _, fcache = fused.lstm_forward(X, p, (h0, c0))
    fg = fused.lstm_backward(G, fcache, state_grads=True)
    np.testing.assert_allclose(tr.dh, fg.dh, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tr.dc, fg.dc, rtol=1e-10, atol=1e-12)
    # at the last step dE/dh_T is the loss's own, and dE/dc_T only comes through h_T
    np.testing.assert_array_equal(tr.dh[-1], G[-1])
    o, tc = cache.o[-1], np.tanh(cache.c[-1])
    np.testing.assert_allclose(tr.dc[-1], G[-1] * o * (1 - tc ** 2), rtol=1e-12)
    # every carry is dE/dc_{t+1} * f_{t+1}; the one out of step 1 is dc0; none comes from beyond T
    np.testing.assert_allclose(tr.carry[:-1], tr.dc[1:] * cache.f[1:], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dc0, tr.dc[0] * cache.f[0], rtol=1e-10, atol=1e-12)
    assert not tr.carry[-1].any()


def test_bptt_trace_signals_equal_finite_differences():
    T, B, H = 4, 2, 3
    X, p, h0, c0, G = _case(T, B, 2, H, 11)
    p.weights[...] *= 2  # large enough that every path back matters
    tr = ch03.bptt_trace(X, p, G, (h0, c0))
    eps = 1e-6
    for which, got in (("h", tr.dh), ("c", tr.dc)):
        numeric = np.zeros((T, B, H))
        for t in range(T):
            for idx in np.ndindex(B, H):
                e = np.zeros((B, H))
                e[idx] = eps
                numeric[(t,) + idx] = (_loss(X, p, G, h0, c0, at=t, which=which, offset=e)
                                       - _loss(X, p, G, h0, c0, at=t, which=which, offset=-e)) / (2 * eps)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9, err_msg=which)
    # the carry is the part of dE/dc_t that c_{t+1} sends back: dE/dc_t minus the path through h_t
    _, cache = ll.lstm_forward(X, p, (h0, c0))
    via_h = tr.dh * cache.o * (1 - np.tanh(cache.c) ** 2)
    np.testing.assert_allclose(tr.carry, tr.dc - via_h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("zero_state", [False, True])
def test_step_contributions_are_each_steps_share_of_the_gradient(zero_state):
    # step t's share of dE/dW = the derivative of E with respect to a copy of W used at step t only
    T = 3
    X, p, h0, c0, G = _case(T, 2, 2, 2, 5, zero_state=zero_state)
    tr = ch03.bptt_trace(X, p, G, (h0, c0))
    assert list(tr.contributions) == list(p.names)
    for t in range(T):
        q = p.copy()
        for name in p.names:
            numeric = numerical_gradient(lambda t=t, q=q: _loss(X, p, G, h0, c0, step_params=(t, q)),
                                         getattr(q, name))
            assert tr.contributions[name][t] == pytest.approx(np.linalg.norm(numeric), rel=1e-6, abs=1e-9), (name, t)


def test_contributions_vanish_exactly_where_the_zero_state_makes_them_zero():
    X, p, state, G = ch03.errata_case(2)
    assert not state.h.any() and not state.c.any()
    tr = ch03.bptt_trace(X, p, G, state)
    zero_at_step1 = {"W_fh", "W_ih", "W_ch", "W_oh", "W_fx", "b_f"}  # h_0 = 0, and c_0 = 0 kills delta_f,1
    for name, parts in tr.contributions.items():
        assert (parts[0] == 0.0) == (name in zero_at_step1), name  # exactly zero, or clearly not
        assert parts[0] == 0.0 or parts[0] > 1e-6, name
        assert parts[1] > 1e-6, name
    # from a random state nothing is structurally zero
    X, p, state, G = ch03.errata_case(2, zero_state=False)
    tr = ch03.bptt_trace(X, p, G, state)
    assert all(np.all(v > 1e-6) for v in tr.contributions.values())


def test_step_and_contributions_tables_print_the_trace():
    X, p, state, G = ch03.errata_case(3)
    tr = ch03.bptt_trace(X, p, G, state)
    lines = tr.step_table(sample=1, decimals=3).splitlines()
    assert len(lines) == 2 + 3 and lines[0].split()[0] == "t"
    assert [ln.split()[0] for ln in lines[2:]] == ["3", "2", "1"]  # the order BPTT visits them
    first = lines[2]  # t = 3: dE/dh_3, the part via h_3 (all of it), no carry, the total
    assert first.count("[") == 4
    assert f"{tr.dh[2, 1, 0]:.3f}" in first and f"{tr.dc[2, 1, 0]:.3f}" in first
    with pytest.raises(ValueError, match="sample"):
        tr.step_table(sample=2)
    rows = tr.contributions_table().splitlines()
    assert rows[0].split() == ["array", "t=1", "t=2", "t=3"]
    by_name = {r.split()[0]: r.split()[1:] for r in rows[2:]}
    assert list(by_name) == list(p.names)
    assert by_name["W_fh"][0] == "0" and by_name["W_ix"][0] != "0"  # structural zeros print as 0
    assert by_name["W_ix"][1] == f"{tr.contributions['W_ix'][1]:.3g}"


def test_bptt_trace_rejects_bad_input():
    X, p, h0, c0, G = _case(3, 2, 2, 2, 0)
    with pytest.raises(ValueError, match="dhs"):
        ch03.bptt_trace(X, p, G[:2], (h0, c0))
    with pytest.raises(ValueError, match="state"):
        ch03.bptt_trace(X, p, G, (h0, c0[:1]))
    with pytest.raises(ValueError, match="p"):
        ch03.bptt_trace(X, ll.GRUParams.init(2, 2, 0), G)


# ---- the article's errata, measured ---------------------------------------------------------------------------
EXPECTED_T2 = {
    "correct": set(),
    "no carry": {"W_ix", "b_i", "W_cx", "b_c", "X", "h0", "c0"},
    "dWx last": {"W_ix", "W_cx", "W_ox"},
    "b from f": {"b_i", "b_o"},
    "article": {"W_ix", "b_i", "W_cx", "b_c", "W_ox", "b_o", "X", "h0", "c0"},
}


@pytest.fixture(scope="module")
def table():
    return ch03.errata_table()


def test_errata_table_failures_at_T2_and_T5(table):
    assert table.labels == tuple(ch03.ERRATA_VARIANTS) and table.steps == (2, 5)
    for label, expected in EXPECTED_T2.items():
        assert set(table.failed(label, 2)) == expected, label
    assert table.failed("correct", 5) == ()
    assert set(table.failed("no carry", 5)) == set(ch03.GRADCHECK_ARRAYS)
    assert set(table.failed("article", 5)) == set(ch03.GRADCHECK_ARRAYS)
    assert set(table.failed("dWx last", 5)) == {"W_fx", "W_ix", "W_cx", "W_ox"}
    assert set(table.failed("b from f", 5)) == {"b_i", "b_o"}
    # failures are gross, passes are at rounding level: no borderline cell
    for rep in table.reports.values():
        for row in rep.rows:
            assert row.relative_error > 1e-2 if not row.passed else row.relative_error < 1e-8
    lines = str(table).splitlines()
    assert len(lines) == 3 + 15 + 1
    width = max(9, max(len(lab) for lab in table.labels) + 1)  # labels have spaces: read by column
    assert [lines[0][6 + j * width:6 + (j + 1) * width].strip() for j in range(10)] == list(table.labels) * 2
    assert lines[1].split()[1:] == ["T=2"] * 5 + ["T=5"] * 5
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[3:]}
    assert rows["W_fh"] == ["ok"] * 5 + ["ok", f"{table.reports[('no carry', 5)]['W_fh'].relative_error:.2g}",
                                         "ok", "ok", f"{table.reports[('article', 5)]['W_fh'].relative_error:.2g}"]
    assert rows["fail"] == ["0/15", "7/15", "3/15", "2/15", "9/15", "0/15", "15/15", "4/15", "2/15", "15/15"]


def test_errata_case_is_deterministic_and_zero_state_is_zero():
    a, b = ch03.errata_case(3, seed=4), ch03.errata_case(3, seed=4)
    for x, y in ((a[0], b[0]), (a[1].weights, b[1].weights), (a[3], b[3])):
        np.testing.assert_array_equal(x, y)
    X, _, state, G = a
    assert X.shape == (3, 2, 3) and G.shape == (3, 2, 4) and isinstance(state, ll.LSTMState)
    assert not state.h.any() and not state.c.any()
    r = ch03.errata_case(3, seed=4, zero_state=False)
    assert r[2].h.any() and r[2].c.any()
    np.testing.assert_array_equal(r[0], X)  # only the states differ: the columns of a table compare
    with pytest.raises(ValueError, match="errata"):
        ch03.errata_gradcheck("article", 2)
    with pytest.raises(ValueError, match="variants"):
        ch03.errata_table({})
    with pytest.raises(ValueError, match="steps"):
        ch03.errata_case(0)


def test_errata_gradcheck_checks_the_variant_it_is_given():
    # centred and five-point stencils agree on which arrays fail (the explorer uses centred)
    for label in ("no carry", "b from f"):
        five = ch03.errata_gradcheck(ch03.ERRATA_VARIANTS[label], 2)
        centred = ch03.errata_gradcheck(ch03.ERRATA_VARIANTS[label], 2, stencil="centred")
        assert five.failed == centred.failed and set(five.failed) == EXPECTED_T2[label]
        assert [r.name for r in five.rows] == list(ch03.GRADCHECK_ARRAYS)


def test_the_articles_own_check_passes_the_erratic_backward():
    rep = ch03.article_own_check(ARTICLE)
    assert [r.name for r in rep.rows] == list(ll.LSTMParams.names)  # parameters only, as the article
    assert rep["W_fh"].passed
    assert ch03.errata_gap(ARTICLE)["W_fh"] == 0.0  # not small: exactly the same gradient
    assert {"W_ix", "b_i", "W_cx", "b_c", "b_o"} <= set(rep.failed)  # yet the same set-up catches others
    assert ch03.article_own_check(ch03.ERRATA_VARIANTS["correct"]).passed
    assert all(v == 0.0 for v in ch03.errata_gap(ch03.ERRATA_VARIANTS["correct"]).values())
    with pytest.raises(ValueError, match="weight_scale"):
        ch03.article_own_check(ARTICLE, weight_scale=0.0)
    with pytest.raises(ValueError, match="errata"):
        ch03.errata_gap("article")


def test_ablation_shows_which_choices_hid_the_error():
    rows = {r.change: r for r in ch03.article_check_ablation(ARTICLE)}
    assert list(rows) == list(ch03.ARTICLE_CHECK_CHANGES)
    assert rows["the article's set-up"].passed and rows["the article's set-up"].gap == 0.0
    assert not rows["T = 3 instead of 2"].passed and rows["T = 3 instead of 2"].gap > 0.01
    assert not rows["random h0, c0"].passed and rows["random h0, c0"].gap > 0.1
    assert rows["weights +-0.5"].passed and rows["weights +-0.5"].gap == 0.0
    assert rows["loss at every step"].passed and rows["loss at every step"].gap == 0.0
    # for W_ox the small weights DO hide the error: the gap is real but of noise size
    ox = {r.change: r for r in ch03.article_check_ablation(ARTICLE, name="W_ox")}
    assert 0 < ox["the article's set-up"].gap < 1e-4
    assert ox["loss at every step"].gap > 0.1 and not ox["loss at every step"].passed
    lines = ch03.format_ablation(ch03.article_check_ablation(ARTICLE)).splitlines()[2:]
    assert [ln.split("  ")[0] for ln in lines] == list(ch03.ARTICLE_CHECK_CHANGES)
    assert lines[0].split()[-3:] == ["pass", "0", "(identical)"]
    assert lines[1].split()[-2:] == ["FAIL", f"{rows['T = 3 instead of 2'].gap:.2g}"]
    with pytest.raises(ValueError, match="name"):
        ch03.article_check_ablation(ARTICLE, name="W_zz")


def test_article_check_table_verdicts_agree_with_the_true_gaps():
    text = ch03.article_check_table(ARTICLE)
    all_lines = text.splitlines()
    assert all_lines[0] == ch03.setup_text() and "+-0.0001" in all_lines[0] and "last step only" in all_lines[0]
    assert all_lines[-1].startswith("check: pass when relative error <= 1e-07, or every entry within 1e-10, or")
    lines = all_lines[3:-1]
    assert [ln.split()[0] for ln in lines] == list(ll.LSTMParams.names)
    rows = {ln.split()[0]: ln for ln in lines}
    verdicts = {n: ln[7:17].strip() for n, ln in rows.items()}
    gaps = ch03.errata_gap(ARTICLE)
    report = ch03.article_own_check(ARTICLE)
    X, p, state, G = ch03._article_setup()
    _, cache = article_lstm_forward(X, p, state)
    right_g = article_lstm_backward(G, cache, errata=CORRECT)
    wrong_g = article_lstm_backward(G, cache, errata=ARTICLE)
    for n, gap in gaps.items():
        # every verdict agrees with the true gap: zero gap passes, non-zero gap fails (even W_ox's 2e-6)
        assert verdicts[n].startswith("pass") == (gap == 0.0), n
        row = report[n]
        # "pass (abs)": passed on the absolute floor although the relative error exceeds the tolerance
        assert (verdicts[n] == "pass (abs)") == (row.passed and row.relative_error > report.tol), n
        size = np.abs(getattr(right_g, n)).max()
        absgap = np.abs(getattr(wrong_g, n) - getattr(right_g, n)).max()
        assert rows[n][17:].split()[0] == f"{size:.2g}", n
        assert rows[n].split()[-1] == ("0" if absgap == 0 else f"{absgap:.2g}"), n
    # what the chapter's prose reads off this table
    assert {n for n, v in verdicts.items() if v == "pass (abs)"} == {"W_fh", "W_ih", "W_oh"}
    assert report["W_fh"].relative_error > 10 * report.tol and report["W_fh"].max_abs_error < report.atol / 100
    assert f"{np.abs(right_g.W_fh).max():.2g}" == "4.3e-10"
    failing = {n: gaps[n] for n in ("W_ix", "b_i", "W_cx", "b_c", "b_o")}
    assert f"{min(failing.values()):.2g}" == "0.16" and f"{max(failing.values()):.2g}" == "0.78"
    # W_ox: relative gap 19 times the tolerance, absolute gap about 4 times the floor: it fails, barely
    ox_abs = np.abs(wrong_g.W_ox - right_g.W_ox).max()
    assert 15 * report.tol < gaps["W_ox"] < 25 * report.tol and 3 * report.atol < ox_abs < 5 * report.atol
    assert not report["W_ox"].passed
    assert ch03.article_own_check(ARTICLE)["W_ox"].relative_error < 1e-5  # a looser tolerance lets it through


def test_no_carry_is_first_seen_by_the_articles_check_at_T3():
    passed = {T: ch03.article_own_check(NO_CARRY, steps=T)["W_fh"].passed for T in (1, 2, 3)}
    assert passed == {1: True, 2: True, 3: False}


# ---- pictures ---------------------------------------------------------------------------------------------------
def test_gradcheck_picture_draws_each_arrays_error_and_verdict():
    report = ch03.errata_gradcheck(ARTICLE, 2)
    pic = plots.GradcheckPicture(Figure())
    pic.update(report, title="article, T = 2: ")
    assert [t.get_text() for t in pic.ax.get_yticklabels()] == list(ch03.GRADCHECK_ARRAYS)
    floor = 1e-12
    for name, bar in zip(pic.names, pic.bars):
        row = report[name]
        assert bar.get_x() + bar.get_width() == pytest.approx(max(row.relative_error, floor))  # the bar's end
        assert to_hex(bar.get_facecolor()) == (RED if not row.passed else "#8fbf8f")
    assert list(pic.tol.get_xdata()) == [report.tol] * 2
    assert pic.ax.get_title() == "article, T = 2: 9 of 15 arrays fail"
    pic.update(ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["correct"], 2))  # a redraw repaints every bar
    assert all(to_hex(b.get_facecolor()) != RED for b in pic.bars)
    assert pic.ax.get_title() == "0 of 15 arrays fail"
    fig = plots.plot_gradcheck(report)
    assert outside_pyplot(fig) and fig.axes[0].get_xscale() == "log"


def test_errata_heatmap_shows_the_table(table):
    fig = plots.plot_errata_heatmap(table)
    ax = fig.axes[0]
    cols = [(lab, T) for T in table.steps for lab in table.labels]
    names = list(ch03.GRADCHECK_ARRAYS)
    shown = ax.images[0].get_array()
    assert shown.shape == (len(names), len(cols))
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    for r, name in enumerate(names):
        for c, col in enumerate(cols):
            row = table.reports[col][name]
            if row.passed:  # passing cells are masked (pale green) and say ok
                assert np.ma.is_masked(shown[r, c]) or np.isnan(shown[r, c])
                assert cells[(r, c)] == "ok"
            else:
                assert shown[r, c] == pytest.approx(np.log10(row.relative_error))
                assert cells[(r, c)] == f"{row.relative_error:.2g}"
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{lab}\nT={T}" for lab, T in cols]
    assert len(fig.axes) == 2  # the map and its colour bar


def test_errata_heatmap_says_which_initial_state_it_shows():
    # the title names the initial state; a table checked from a random state must not read "zero"
    fig = plots.plot_errata_heatmap(ch03.errata_table(steps=(2,), zero_state=False))
    assert "zero initial state" not in fig.axes[0].get_title()


def test_bptt_carries_picture_draws_the_two_signals():
    X, p, state, G = ch03.errata_case(5)
    tr = ch03.bptt_trace(X, p, G, state)
    fig = plots.plot_bptt_carries(tr)
    ax = fig.axes[0]
    dh_line, dc_line = ax.lines
    np.testing.assert_allclose(dh_line.get_ydata(), np.linalg.norm(tr.dh.reshape(5, -1), axis=1))
    np.testing.assert_allclose(dc_line.get_ydata(), np.linalg.norm(tr.dc.reshape(5, -1), axis=1))
    np.testing.assert_array_equal(dh_line.get_xdata(), np.arange(1, 6))
    assert ax.get_yscale() == "log"


def test_lstm_cell_diagram_with_the_error_signals():
    fig = plots.plot_lstm_cell(backward=True)
    ax = fig.axes[0]
    red_arrows = [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
                  and to_hex(a.arrow_patch.get_edgecolor()) == RED]
    assert len(red_arrows) == 2  # dc along the cell state, dh back through the gates
    red_texts = [t.get_text() for t in ax.texts if t.get_text() and to_hex(t.get_color()) == RED]
    assert len(red_texts) == 2 and any("c_{t-1}" in t for t in red_texts) and any("W_{gh}" in t for t in red_texts)
    assert "error signals" in ax.get_title()


# ---- what the chapter's text says about the numbers it prints ------------------------------------------------------
def _worked_example():
    """Chapter 03's worked example: D = H = 2, three steps, a loss at the last step only."""
    rng = np.random.default_rng(3)
    p2 = ll.LSTMParams.init(input_size=2, hidden_size=2, rng=rng)
    X2 = rng.standard_normal((3, 1, 2))
    dhs = np.zeros((3, 1, 2))
    dhs[-1] = 1.0
    return X2, p2, dhs


def test_chapter03_claims(table):
    X2, p2, dhs = _worked_example()
    tr = ch03.bptt_trace(X2, p2, dhs)
    via_h = tr.dc - tr.carry
    assert not tr.carry[-1].any()  # "at t = 3 the carry is zero"
    for t in (0, 1):  # "at t = 2 and t = 1 the carry is the larger part of dE/dc_t"
        assert np.linalg.norm(tr.carry[t]) > np.linalg.norm(via_h[t])
    # "lstm_backward computes the same thing" for every array the notebook compares
    _, cache2 = ll.lstm_forward(X2, p2)
    fast = ll.lstm_backward(dhs, cache2)
    for n in p2.names + ("dX", "dh0", "dc0"):
        np.testing.assert_allclose(getattr(fast, n), getattr(tr.grads, n), rtol=1e-12, atol=1e-14)
    # "all 15 arrays pass" the full gradient check of section 5
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(input_size=3, hidden_size=4, rng=rng)
    X = rng.standard_normal((5, 2, 3))
    state = ll.LSTMState(rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))
    report = ll.check_gradients(X, p, rng, state=state)
    assert report.passed and len(report.rows) == 15
    # "at T = 2 six of the twelve parameters fail, and the inputs and initial states too; at T = 5 everything"
    at2 = set(table.failed("article", 2))
    assert len(at2 & set(ll.LSTMParams.names)) == 6 and {"X", "h0", "c0"} <= at2
    assert len(table.failed("article", 5)) == 15


# ---- self-checks --------------------------------------------------------------------------------------------
def test_lstm_step_backward():
    def mine(dh, dc, k):
        g = ll.lstm_step_backward((dh, dc), k)
        return g.dX, g.dh0, g.dc0, g

    right(exercises.check_lstm_step_backward(mine))

    def as_dict(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        return dx, dh_prev, dc_prev, g.named()

    right(exercises.check_lstm_step_backward(as_dict))

    def no_f(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        return dx, dh_prev, dc_prev / k.f, g

    def ignores_carry(dh, dc, k):
        return mine(dh, np.zeros_like(dc), k)

    def bad_dx(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        return 2 * dx, dh_prev, dc_prev, g

    def bad_dh(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        return dx, 0 * dh_prev, dc_prev, g

    def missing_grad(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        d = g.named()
        del d["W_fh"]
        return dx, dh_prev, dc_prev, d

    def wrong_forget_delta(dh, dc, k):
        dx, dh_prev, dc_prev, g = mine(dh, dc, k)
        d = g.named()
        d["W_fx"] = 2 * d["W_fx"]
        return dx, dh_prev, dc_prev, d

    wrong(exercises.check_lstm_step_backward(no_f), "forget gate")
    wrong(exercises.check_lstm_step_backward(ignores_carry), "carry dc is missing")
    wrong(exercises.check_lstm_step_backward(bad_dx), "dx")
    wrong(exercises.check_lstm_step_backward(bad_dh), "dh_prev")
    wrong(exercises.check_lstm_step_backward(missing_grad), "W_fh")
    wrong(exercises.check_lstm_step_backward(wrong_forget_delta), "W_fx", "c_prev")
    wrong(exercises.check_lstm_step_backward(lambda dh, dc, k: None), "return (dx, dh_prev, dc_prev, grads)")
    wrong(exercises.check_lstm_step_backward(lambda dh, dc, k: (0, 0, mine(dh, dc, k)[2], [1])), "dict")


def test_no_carry_failures():
    zero = {"W_ix", "b_i", "W_cx", "b_c", "X", "h0", "c0"}
    rand = zero | {"W_fh", "W_fx", "b_f", "W_ih", "W_ch"}
    assert set(ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["no carry"], 2).failed) == zero
    assert set(ch03.errata_gradcheck(ch03.ERRATA_VARIANTS["no carry"], 2, zero_state=False).failed) == rand
    v = right(exercises.check_no_carry_failures(rand))
    assert "From T = 3 on" in v  # the output gate passes at T = 2 only: the verdict says so
    right(exercises.check_no_carry_failures(sorted(rand)))
    right(exercises.check_no_carry_failures(zero, zero_state=True))
    wrong(exercises.check_no_carry_failures(zero), "does not vanish")  # the zero-state answer, for a random state
    wrong(exercises.check_no_carry_failures(rand | {"W_oh"}), "does not involve")
    wrong(exercises.check_no_carry_failures(zero | {"W_fh"}, zero_state=True), "h_0 = 0")
    wrong(exercises.check_no_carry_failures(zero | {"W_fx"}, zero_state=True), "c_0 = 0")
    wrong(exercises.check_no_carry_failures(zero - {"c0"}, zero_state=True), "lacks the carry")
    wrong(exercises.check_no_carry_failures({"W_zz"}), "unknown")
    wrong(exercises.check_no_carry_failures("W_ix"), "set of names")


def test_carry_ratio():
    assert exercises.ch03._held_gate_carry(0.95, 20) == pytest.approx(0.95 ** 19, rel=1e-12)
    right(exercises.check_carry_ratio(0.95 ** 19))
    right(exercises.check_carry_ratio(0.3774))
    wrong(exercises.check_carry_ratio(0.95 ** 20), "off by one")
    wrong(exercises.check_carry_ratio(0.95 ** 18), "off by one")
    wrong(exercises.check_carry_ratio(0.95 * 19), "not f times the number")
    wrong(exercises.check_carry_ratio(0.0), "does reach")
    wrong(exercises.check_carry_ratio(1.0), "multiplies dE/dc by f_t")
    wrong(exercises.check_carry_ratio(0.5), "one step at a time")
    right(exercises.check_carry_ratio(0.5 ** 4, f=0.5, steps=5))


# ---- what limits a finite-difference check; the comparison with the fused pass -------------------------------
def _section5_case():
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(input_size=3, hidden_size=4, rng=rng)
    X = rng.standard_normal((5, 2, 3))
    state = ll.LSTMState(rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))
    return X, p, state


@pytest.fixture(scope="module")
def sweep():
    X, p, state = _section5_case()
    return ch03.eps_sweep(X, p, state)


def test_eps_sweep_is_a_v_truncation_then_round_off(sweep):
    assert ch03.UNIT_ROUNDOFF == 2.0 ** -53
    eps, err = np.array(sweep.eps), np.array(sweep.errors)
    np.testing.assert_allclose(eps, 10.0 ** -np.arange(1, 11))
    assert sweep.best_eps == 1e-5 and sweep.stencil == "centred"
    # left branch: truncation, a hundredfold less per factor ten (the prose's 9.6e-03, 9.6e-05, ...)
    np.testing.assert_allclose(err[1:4] / err[:3], 0.01, rtol=0.05)
    assert f"{err[0]:.1e}" == "9.6e-03" and f"{err[1]:.1e}" == "9.6e-05"
    # right branch: round-off, proportional to u / eps, within a factor 3 of one constant
    k = err[5:] * eps[5:] / ch03.UNIT_ROUNDOFF
    assert k.max() / k.min() < 3 and 1 < k.min()
    # at the library's default eps = 1e-6: truncation negligible, a correct gradient well inside the tolerance
    assert err[5] < 1e-8 and 0.5 * 1e-12 < err[0] / 1e-2 * 1e-12 < 2e-12
    assert sweep.summary() == ("smallest error at eps = 1e-05; it falls all the way down to there: True; "
                               "it grows all the way past it: True")
    lines = str(sweep).splitlines()
    assert lines[0].split() == ["eps", "relative", "error", "eps^2", "u/eps"]
    assert lines[2].split() == ["1e-01", f"{err[0]:.1e}", "1e-02", "1.1e-15"]
    assert lines[-1] == "(centred difference; u = 1.1e-16, the float64 unit round-off)"
    # each error is the worst of the 15 arrays of check_gradients at that eps
    X, p, state = _section5_case()
    rep = ll.check_gradients(X, p, 5, state=state, eps=1e-3)
    assert err[2] == rep.max_relative_error() and len(rep.rows) == 15
    with pytest.raises(ValueError, match="eps"):
        ch03.eps_sweep(X, p, state, eps=(1e-3, 0.0))
    with pytest.raises(ValueError, match="eps"):
        ch03.eps_sweep(X, p, state, eps=())


def test_summary_tells_a_v_from_a_line():
    v = ch03.EpsSweep((1e-1, 1e-2, 1e-3), (1e-3, 1e-5, 1e-4), "centred")
    assert v.best_eps == 1e-2 and v.summary().endswith("True; it grows all the way past it: True")
    falling = ch03.EpsSweep((1e-1, 1e-2, 1e-3), (1e-3, 1e-4, 1e-5), "centred")
    assert falling.best_eps == 1e-3 and "grows all the way past it: True" in falling.summary()
    bumpy = ch03.EpsSweep((1e-1, 1e-2, 1e-3, 1e-4), (1e-3, 1e-2, 1e-5, 1e-4), "centred")
    assert "falls all the way down to there: False" in bumpy.summary()


def test_eps_sweep_picture(sweep):
    fig = plots.ch03.plot_eps_sweep(sweep)
    ax = fig.axes[0]
    measured = [ln for ln in ax.lines if ln.get_label().startswith("measured")][0]
    np.testing.assert_array_equal(measured.get_xdata(), sweep.eps)
    np.testing.assert_array_equal(measured.get_ydata(), sweep.errors)
    trunc, roundoff = ax.lines[0], ax.lines[1]
    assert trunc.get_linestyle() == ":" and roundoff.get_linestyle() == ":"
    x, y = trunc.get_xdata(), trunc.get_ydata()
    np.testing.assert_allclose(y / x ** 2, sweep.errors[0] / sweep.eps[0] ** 2)  # the eps^2 guide
    x, y = roundoff.get_xdata(), roundoff.get_ydata()
    np.testing.assert_allclose(y * x, sweep.errors[-1] * sweep.eps[-1])  # the u/eps guide
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "eps = 1e-05" in ax.get_title()
    assert len(ax.get_legend().get_texts()) == 5  # both guides, measured, tolerance, default eps


def test_compare_with_fused():
    X2, p2, dhs = _worked_example()
    text = ch03.compare_with_fused(X2, p2, dhs)
    assert text.startswith("fused.lstm_backward equals lstm_backward for all 15 arrays (W_fh,") and text.endswith(": True")
    # a check that can fail: compared with the gradient of another loss, they differ
    assert ch03.compare_with_fused(X2, p2, dhs, rtol=-1.0, atol=-1.0).endswith(": False")


# ---- the errata at T = 1, 2, 5: which mistakes act on earlier steps only -----------------------------------
def test_failure_summary_at_T1_T2_T5():
    table = ch03.errata_table(steps=(1, 2, 5))
    lines = table.failure_summary().splitlines()
    assert lines[0].split() == ["T=1", "T=2", "T=5"]
    rows = {ln[:8].strip(): ln for ln in lines[2:]}
    assert list(rows) == list(ch03.ERRATA_VARIANTS)
    cols = [lines[0].index(f"T={T}") for T in (1, 2, 5)]

    def cell(label, k):
        ln = rows[label]
        end = cols[k + 1] if k + 1 < len(cols) else None
        return ln[cols[k]:end].strip()

    # "no carry" and "dWx last" change only earlier steps' terms: nothing fails at T = 1
    assert [cell(lab, 0) for lab in ch03.ERRATA_VARIANTS] == ["none", "none", "none", "b_i b_o", "b_i b_o"]
    assert cell("no carry", 1) == "W_ix b_i W_cx b_c X h0 c0" and cell("no carry", 2) == "all 15"
    assert cell("dWx last", 2) == "W_fx W_ix W_cx W_ox" and cell("article", 2) == "all 15"
    assert cell("b from f", 1) == cell("b from f", 2) == "b_i b_o"
    # b from f at T = 1 from a zero state: delta_f,1 = 0, so the erratic bias gradients are exactly zero
    rep = table.reports[("b from f", 1)]
    assert rep["b_i"].relative_error == 1.0 and rep["b_o"].relative_error == 1.0
    # at T = 5 the output gate fails without the carry (at T = 2 it does not)
    assert {"W_oh", "W_ox", "b_o"} <= set(table.failed("no carry", 5))
    assert not {"W_oh", "W_ox", "b_o"} & set(table.failed("no carry", 2))
    fig = plots.ch03.plot_errata_heatmap(table, steps=(2, 5))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [f"{lab}\nT={T}" for T in (2, 5) for lab in table.labels]
    for bad in ((3,), ()):
        with pytest.raises(ValueError, match="steps"):
            plots.ch03.plot_errata_heatmap(table, steps=bad)


def test_bptt_graph_draws_both_paths_and_the_losses():
    fig = plots.diagrams.plot_bptt_graph()
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for letter in ("(a)", "(b)", "(c)", "(d)", "(e)"):
        assert any(t.startswith(letter) for t in texts), letter
    for name in ("$h_{t}$", "$h_{t+1}$", "$E_{t}$", "$E_{t+1}$", "$x_{t}$", "$x_{t+1}$", "$c_t$", "$c_{t-1}$",
                 "$c_{t+1}$", "$h_{t-1}$"):
        assert name in texts, name
    arrows = [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None]
    colours = {to_hex(a.arrow_patch.get_edgecolor()) for a in arrows}
    assert {RED, "#ff7f0e", "#9467bd"} <= colours  # the losses, dh, dc
    red = [a for a in arrows if to_hex(a.arrow_patch.get_edgecolor()) == RED]
    assert len(red) == 2  # a loss term enters at each h_t
    purple = [a for a in arrows if to_hex(a.arrow_patch.get_edgecolor()) == "#9467bd"]
    carry = max(purple, key=lambda a: abs(a.xy[0] - a.xyann[0]))  # the long one runs right to left along the top
    assert carry.xy[0] < carry.xyann[0] and carry.xy[1] == carry.xyann[1]
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "forward computation"
    assert not ax.axison


def test_errata_explorer_redraws_only_when_released():
    from lstmlib.course import widgets
    ex = widgets.errata_explorer()
    # a redraw is a gradient check of 15 arrays (up to ~85 ms at T = 8): it waits for the slider's release
    assert ex.controls["steps"].continuous_update is False
    assert ex.values() == {"variant": "article", "steps": 2, "state": "zero (the article's)"}


def test_chapter03_scoped_claims():
    V = ch03.ERRATA_VARIANTS
    # explorer hints: article at T = 2 (the start) shows section 6's nine failures; correct stays below tolerance
    assert len(ch03.errata_gradcheck(V["article"], 2, stencil="centred").failed) == 9
    for T in range(1, 9):
        for zero in (True, False):
            assert ch03.errata_gradcheck(V["correct"], T, stencil="centred", zero_state=zero).passed
    assert "W_fx" in ch03.errata_gradcheck(V["dWx last"], 3, stencil="centred").failed
    assert "W_fx" not in ch03.errata_gradcheck(V["dWx last"], 2, stencil="centred").failed
    # section 5's check at the default eps passes every array on the relative condition alone
    X, p, state = _section5_case()
    rep = ll.check_gradients(X, p, np.random.default_rng(0), state=state)
    assert all(r.relative_error <= rep.tol for r in rep.rows)


# ---- every picture of the chapter, as a reader would look at it ---------------------------------------------
def _carries():
    X, p, state, G = ch03.errata_case(5)
    return plots.plot_bptt_carries(ch03.bptt_trace(X, p, G, state))


PICTURES = {
    "the cell with the error signals": lambda: plots.plot_lstm_cell(backward=True),
    "the two-step BPTT graph": plots.diagrams.plot_bptt_graph,
    "eps sweep": lambda: plots.ch03.plot_eps_sweep(ch03.EpsSweep(tuple(10.0 ** -np.arange(1, 6)),
                                                                (1e-2, 1e-4, 1e-6, 1e-8, 1e-7), "centred")),
    "gradient check": lambda: plots.plot_gradcheck(ch03.errata_gradcheck(ARTICLE, 2)),
    "errata heat map": lambda: plots.plot_errata_heatmap(ch03.errata_table(steps=(2,))),
    "the two error signals": _carries,
}


@pytest.mark.parametrize("name", list(PICTURES))
def test_every_picture_of_chapter03_is_sound(name):
    check_picture(PICTURES, name)


def test_the_bptt_graph_draws_one_carry_per_step():
    # issue 15: the carry was one arrow across both steps; each step now has its own, ending at c_t
    # and c_(t-1), labelled with that step's forget gate
    ax = plots.diagrams.plot_bptt_graph().axes[0]
    purple = [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
              and to_hex(a.arrow_patch.get_edgecolor()) == "#9467bd"]
    top = max(a.xy[1] for a in purple)
    carries = sorted((a for a in purple if a.xy[1] == top), key=lambda a: a.xy[0])
    assert len(carries) == 2 and carries[0].xyann[0] < carries[1].xy[0]  # two arrows, not one
    labels = [t.get_text() for t in ax.texts if "carry" in t.get_text()]
    assert sorted(labels) == sorted([r"(b) carry $\delta c_{t} \odot f_{t}$", r"(b) carry $\delta c_{t+1} \odot f_{t+1}$"])
