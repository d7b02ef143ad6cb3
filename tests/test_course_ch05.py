"""Chapter 05, gradient flow: how much of a last-step loss's gradient reaches each earlier step in
an RNN, an LSTM and a GRU; the cell-state Jacobian; the forget-gate bias predicted and measured;
the product of one-step Jacobians against dc_T/dc_k; the cell-state error taken apart; the explorer's
readings; the pictures of all of it, the chapter's claims and its self-checks."""
import numpy as np
import pytest
from matplotlib.figure import Figure
from test_course_support import (
    check_picture,
    labelled,
    outside_pyplot,
    png,
    right,
    wrong,
)

import lstmlib as ll
from lstmlib import network
from lstmlib.activations import sigmoid
from lstmlib.course import ch05, exercises, plots

EPS = 1e-6

MODELS = {
    "rnn": lambda rng: ll.RNNParams.init(3, 4, rng),
    "rnn_sigmoid": lambda rng: ll.RNNParams.init(3, 4, rng, activation="sigmoid"),
    "lstm": lambda rng: ll.LSTMParams.init(3, 4, rng, forget_bias=0.5),
    "gru": lambda rng: ll.GRUParams.init(3, 4, rng),
    "gru_after": lambda rng: ll.GRUParams.init(3, 4, rng, reset_after=True),
}
READABLE = {"rnn": (ll.rnn_forward, ll.rnn_backward), "lstm": (ll.lstm_forward, ll.lstm_backward),
            "gru": (ll.gru_forward, ll.gru_backward)}


def _loss_after_perturbing(X, p, dh_last, h0, c0, k, what, idx, eps):
    """E = sum(dh_last * h_T) with entry ``idx = (b, j)`` of h_k (or c_k, before h_k is formed
    from it) moved by eps, k 1-based: the library's step functions, chained here by hand."""
    h, c = h0.copy(), None if c0 is None else c0.copy()
    for t in range(1, X.shape[0] + 1):
        x = X[t - 1]
        if isinstance(p, ll.LSTMParams):
            (h, c), cache = ll.lstm_step_forward(x, p, (h, c))
            if t == k and what == "c":
                c = c.copy()
                c[idx] += eps
                h = cache.o * np.tanh(c)
        elif isinstance(p, ll.GRUParams):
            h, _ = ll.gru_step_forward(x, p, h)
        else:
            h, _ = ll.rnn_step_forward(x, p, h)
        if t == k and what == "h":
            h = h.copy()
            h[idx] += eps
    return float(np.sum(dh_last * h))


def _numeric(X, p, dh_last, h0, c0, what):
    T, B, H = X.shape[0], X.shape[1], p.hidden_size
    out = np.zeros((T, B, H))
    for k in range(1, T + 1):
        for idx in np.ndindex(B, H):
            up = _loss_after_perturbing(X, p, dh_last, h0, c0, k, what, idx, EPS)
            down = _loss_after_perturbing(X, p, dh_last, h0, c0, k, what, idx, -EPS)
            out[(k - 1,) + idx] = (up - down) / (2 * EPS)
    return out


# ---- the error signals of a last-step loss ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_last_step_gradients_match_finite_differences(name):
    rng = np.random.default_rng(11)
    p = MODELS[name](rng)
    p.weights[...] *= 3  # large enough that no path is negligible
    X = rng.standard_normal((6, 2, 3))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    dh_last = rng.standard_normal((2, 4))
    lstm = isinstance(p, ll.LSTMParams)
    g = ch05.last_step_gradients(X, p, (h0, c0) if lstm else h0, dh_last=dh_last)
    assert g.model == name.split("_")[0] and g.steps == 6
    np.testing.assert_allclose(g.dh, _numeric(X, p, dh_last, h0, c0 if lstm else None, "h"), rtol=1e-6, atol=1e-9)
    if lstm:
        np.testing.assert_allclose(g.dc, _numeric(X, p, dh_last, h0, c0, "c"), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(g.dc_norms, np.linalg.norm(g.dc.reshape(6, -1), axis=1))
        np.testing.assert_allclose(g.relative("dc"), g.dc_norms / g.dh_norms[-1])
    else:
        assert g.dc is None and g.dc_norms is None
    np.testing.assert_array_equal(g.dh[-1], dh_last)
    assert g.dh_norms[-1] == pytest.approx(np.linalg.norm(dh_last))
    np.testing.assert_allclose(g.relative(), g.dh_norms / g.dh_norms[-1])


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru_after"])
def test_last_step_gradients_equal_the_readable_backward(name):
    # the explorer uses the fused pass; the readable reference must give the same signals
    rng = np.random.default_rng(3)
    p = MODELS[name](rng)
    X = rng.standard_normal((7, 2, 3))
    g = ch05.last_step_gradients(X, p)
    forward, backward = READABLE[name.split("_")[0]]
    hs, cache = forward(X, p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0  # the default: E = the sum of h_T's entries
    ref = backward(dhs, cache, state_grads=True)
    np.testing.assert_allclose(g.dh, ref.dh, rtol=1e-10, atol=1e-14)
    if name == "lstm":
        np.testing.assert_allclose(g.dc, ref.dc, rtol=1e-10, atol=1e-14)


def test_last_step_gradients_default_and_errors():
    rng = np.random.default_rng(0)
    p = ll.GRUParams.init(2, 3, rng)
    g = ch05.last_step_gradients(rng.standard_normal((4, 2, 2)), p)
    np.testing.assert_array_equal(g.dh[-1], np.ones((2, 3)))
    with pytest.raises(ValueError, match="p"):
        ch05.last_step_gradients(np.zeros((2, 1, 2)), "lstm")
    with pytest.raises(ValueError, match="X"):
        ch05.last_step_gradients(np.zeros((2, 1, 5)), p)
    with pytest.raises(ValueError, match="dh_last"):
        ch05.last_step_gradients(np.zeros((2, 1, 2)), p, dh_last=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="state"):
        ch05.last_step_gradients(np.zeros((2, 1, 2)), p, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="which"):
        g.relative("dc")
    with pytest.raises(ValueError, match="which"):
        g.relative("dx")
    zero = ch05.last_step_gradients(np.zeros((3, 1, 2)), p, dh_last=np.zeros((1, 3)))
    np.testing.assert_array_equal(zero.relative(), 0.0)  # no loss, no gradient: zeros, not NaN


# ---- the forget-gate bias: predicted sigmoid(b_f)^(T-1) and measured ---------------------------------------
def test_forget_bias_prediction_article_numbers():
    # the chapter's numbers: for T = 50 about 1.8e-15 at b_f = 0, 2.2e-7 at 1, 9.3e-2 at 3
    got = ch05.forget_bias_prediction(np.array([0.0, 1.0, 3.0]), 50)
    np.testing.assert_allclose(got, [1.8e-15, 2.2e-7, 9.3e-2], rtol=0.03)
    np.testing.assert_allclose(got, sigmoid(np.array([0.0, 1.0, 3.0])) ** 49, rtol=1e-14)
    assert ch05.forget_bias_prediction(0.0, 1) == 1.0
    assert isinstance(ch05.forget_bias_prediction(2.0, 10), float)
    with pytest.raises(ValueError, match="forget_bias"):
        ch05.forget_bias_prediction(np.nan, 10)
    with pytest.raises(ValueError, match="steps"):
        ch05.forget_bias_prediction(1.0, 0)


def test_forget_bias_prediction_matches_measurement_with_near_zero_weights():
    # stated in the chapter: within 5% for b_f from -1 to 5 when every weight is at most 1e-3 / sqrt(H)
    table = ch05.forget_bias_table((-1.0, 0.0, 1.0, 3.0, 5.0), steps=50, small_scale=1e-3)
    assert [r.forget_bias for r in table.rows] == [-1.0, 0.0, 1.0, 3.0, 5.0]
    for row in table.rows:
        assert row.predicted == ch05.forget_bias_prediction(row.forget_bias, 50)
        assert row.measured_small == pytest.approx(row.predicted, rel=0.05)
    # with the usual initialisation the paths through h matter: no longer the prediction
    assert any(abs(np.log(r.measured_default / r.predicted)) > np.log(2) for r in table.rows)
    # the measurement is last_step_gradients' own ratio, on the documented model
    gen = np.random.default_rng(0)
    p = ch05.gated_models(4, 16, gen, scale=1.0, forget_bias=3.0)["lstm"]
    g = ch05.last_step_gradients(gen.standard_normal((50, 1, 4)), p)
    assert table.rows[3].measured_default == pytest.approx(g.dc_norms[0] / g.dc_norms[-1], rel=1e-12)
    lines = str(table).splitlines()
    assert lines[0].startswith("||dE/dc_1|| / ||dE/dc_T|| for T = 50: relative to") and len(lines) == 3 + 5
    assert lines[4].split() == ["0", "0.5000", f"{table.rows[1].predicted:.2e}",
                                f"{table.rows[1].measured_small:.2e}", f"{table.rows[1].measured_default:.2e}"]
    assert "weights x0.001" in lines[1]


# ---- the cell-state Jacobian ------------------------------------------------------------------------------
def test_cell_state_jacobian_against_finite_differences():
    rng = np.random.default_rng(5)
    p = ll.LSTMParams.init(3, 4, rng, forget_bias=1.0)
    p.weights[...] *= 2
    X = rng.standard_normal((5, 2, 3))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    step = 4
    jac = ch05.cell_state_jacobian(X, p, step, (h0, c0))
    _, cache = ll.lstm_forward(X, p, (h0, c0))
    np.testing.assert_allclose(np.diagonal(jac.direct, axis1=1, axis2=2), cache.f[step - 1])
    assert not (jac.direct * (1 - np.eye(4))).any()  # the cell-state path touches each unit only itself
    # finite differences of c_step with respect to c_{step-1} (h_{step-1} recomputed from it)
    num = np.zeros((2, 4, 4))
    for j in range(4):
        cs = []
        for eps in (EPS, -EPS):
            h, c = h0, c0
            for t in range(1, step + 1):
                (h, c), k = ll.lstm_step_forward(X[t - 1], p, (h, c))
                if t == step - 1:
                    c = c.copy()
                    c[:, j] += eps
                    h = k.o * np.tanh(c)
            cs.append(c)
        num[:, :, j] = (cs[0] - cs[1]) / (2 * EPS)
    np.testing.assert_allclose(jac.total, num, rtol=1e-6, atol=1e-9)
    assert np.abs(jac.through_h).max() > 1e-3  # the h-paths are really there
    d, t = jac.norms()
    assert d == pytest.approx(cache.f[step - 1].max())
    assert t == pytest.approx(max(np.linalg.norm(m, 2) for m in jac.through_h))
    for bad in (1, 6, 0):
        with pytest.raises(ValueError, match="step"):
            ch05.cell_state_jacobian(X, p, bad)


def test_cell_jacobian_prints_the_three_matrices_of_the_first_sample():
    small = ch05.gated_models(2, 3, 0, forget_bias=1.0)["lstm"]
    X = np.random.default_rng(1).standard_normal((5, 1, 2))
    jac = ch05.cell_state_jacobian(X, small, 5)
    lines = str(jac).splitlines()
    assert lines[0].startswith("t = 5:") and len(lines) == 4 and repr(jac) == str(jac)
    for i in range(3):
        nums = [float(v) for v in lines[1 + i].split()]
        np.testing.assert_allclose(nums, np.concatenate([jac.direct[0, i], jac.through_h[0, i], jac.total[0, i]]),
                                   atol=5e-4)
    assert "-0.000" not in str(jac)  # no sign that the last bits of a BLAS build decide


def test_cell_jacobian_norms_follow_the_forget_bias():
    X = np.random.default_rng(0).standard_normal((12, 1, 4))
    direct = {}
    for b in (0.0, 3.0):
        p = ch05.gated_models(4, 8, np.random.default_rng(1), forget_bias=b)["lstm"]
        d, t = ch05.cell_jacobian_norms(X, p)
        assert d.shape == t.shape == (11,)
        assert d[3] == pytest.approx(ch05.cell_state_jacobian(X, p, 5).norms()[0])
        assert t[3] == pytest.approx(ch05.cell_state_jacobian(X, p, 5).norms()[1])
        direct[b] = d
    assert np.all(direct[3.0] > 0.9) and np.all(direct[0.0] < 0.75)


# ---- the explorer's data and guides ----------------------------------------------------------------------
def test_gated_models():
    ms = ch05.gated_models(3, 5, 0, scale=2.0, forget_bias=1.5)
    assert set(ms) == {"rnn", "lstm", "gru"}
    for p in ms.values():
        assert np.all(np.abs(p.weights) <= 2.0 / np.sqrt(5)) and np.abs(p.weights).max() > 1.0 / np.sqrt(5)
    assert ms["lstm"].b_f.tolist() == [1.5] * 5
    assert not ms["lstm"].b_i.any() and not ms["rnn"].b.any() and not ms["gru"].bias.any()
    assert not ms["gru"].reset_after and ms["rnn"].activation == "tanh"


def test_gradient_flow_lab_moves_one_thing_per_slider():
    lab = ch05.GradientFlowLab(max_steps=30)
    a = lab.compare(0.0, 1.0, 20)
    b = lab.compare(2.0, 1.0, 20)
    c = lab.compare(0.0, 0.5, 20)
    assert a.steps == 20 and (a.forget_bias, a.scale) == (0.0, 1.0)
    np.testing.assert_array_equal(a.flows["rnn"].dh, b.flows["rnn"].dh)  # b_f moves the LSTM only
    np.testing.assert_array_equal(a.flows["gru"].dh, b.flows["gru"].dh)
    assert not np.allclose(a.flows["lstm"].dc, b.flows["lstm"].dc)
    assert not np.allclose(a.flows["rnn"].dh, c.flows["rnn"].dh)  # the scale moves everyone
    assert b.flows["lstm"].relative("dc")[0] > a.flows["lstm"].relative("dc")[0]
    models = lab.models(0.0, 0.5)
    np.testing.assert_array_equal(models["gru"].weights, 0.5 * lab.base["gru"].weights)
    assert lab.base["lstm"].b_f.tolist() == [0.0] * 16  # the lab's own models are never changed
    want = ch05.last_step_gradients(lab.X[:20], models["rnn"])
    np.testing.assert_array_equal(c.flows["rnn"].dh, want.dh)
    beta = np.linalg.norm(lab.models(0.0, 1.0)["rnn"].W, 2)  # tanh's beta_f = 1 times beta_W
    assert ch05.article_bound(a.models["rnn"]) == pytest.approx(beta)
    guides = a.guides()
    np.testing.assert_allclose(guides["rnn"], beta ** np.arange(19, -1, -1))
    np.testing.assert_allclose(guides["gru"], 0.5 ** np.arange(19, -1, -1))
    np.testing.assert_allclose(guides["lstm"], a.flows["lstm"].relative("dc")[-1] * 0.5 ** np.arange(19, -1, -1))
    assert guides["lstm"][-1] == pytest.approx(a.flows["lstm"].relative("dc")[-1])
    with pytest.raises(ValueError, match="steps"):
        lab.compare(0.0, 1.0, 31)
    with pytest.raises(ValueError, match="scale"):
        lab.compare(0.0, -1.0, 5)
    norms = lab.cell_jacobian_norms(biases=(0.0, 2.0), steps=10)
    assert list(norms) == [0.0, 2.0] and norms[2.0][0].shape == (9,)
    with pytest.raises(ValueError, match="steps"):
        lab.cell_jacobian_norms(steps=1)


def test_comparison_table_prints_the_relative_norms():
    comp = ch05.GradientFlowLab(max_steps=50).compare(1.0, 1.0, 50)
    lines = comp.table(at=(1, 10, 60)).splitlines()
    assert lines[0] == "norms relative to ||dE/dh_T||, what the loss put in"  # said each time
    assert lines[1].split() == ["k", "1", "10", "50"]  # steps beyond T are left out, T is always there
    rows = {" ".join(ln.split()[:2]): ln.split()[2:] for ln in lines[3:]}
    assert list(rows) == ["RNN dE/dh_k", "LSTM dE/dh_k", "LSTM dE/dc_k", "GRU dE/dh_k"]
    assert rows["LSTM dE/dc_k"] == [f"{v:.2e}" for v in comp.flows["lstm"].relative("dc")[[0, 9, 49]]]
    assert rows["GRU dE/dh_k"][-1] == "1.00e+00"


def test_guide_lines_are_each_models_path_past_the_weights():
    # the factor is measured through each model's own step backward with every weight zero:
    # sigmoid(b_f) for the LSTM's carry, 1 - sigmoid(b_z) for the GRU's direct path, 0 for the RNN
    ms = ch05.gated_models(2, 3, 0, forget_bias=1.0)
    assert ch05.direct_path_factor(ms["lstm"]) == pytest.approx(sigmoid(1.0), rel=1e-12)
    gru = ms["gru"].copy()
    gru.b_z[...] = -2.0
    assert ch05.direct_path_factor(gru) == pytest.approx(1 - sigmoid(-2.0), rel=1e-12)
    assert ch05.direct_path_factor(ms["rnn"]) == 0.0
    np.testing.assert_allclose(ch05.guide_line(ms["lstm"], 3), sigmoid(1.0) ** np.array([2, 1, 0]))
    np.testing.assert_allclose(ch05.guide_line(ms["gru"], 3, start=2.0), 2.0 * 0.5 ** np.array([2, 1, 0]))
    beta = np.linalg.norm(ms["rnn"].W, 2)  # the RNN has no such path: the article's bound instead
    np.testing.assert_allclose(ch05.guide_line(ms["rnn"], 3), beta ** np.array([2, 1, 0]))
    # the LSTM guide is the prediction for the cell state reaching step 1
    assert ch05.guide_line(ms["lstm"], 50)[0] == pytest.approx(ch05.forget_bias_prediction(1.0, 50))
    assert ch05.guide_label(ms["lstm"]) == "LSTM guide: 0.73^(T−k), the forget gates alone"
    assert ch05.guide_label(ms["gru"]) == "GRU guide: 0.50^(T−k), the direct path alone"
    assert ch05.guide_label(ms["rnn"]).endswith("the article's bound")
    with pytest.raises(ValueError, match="p"):
        ch05.article_bound(ms["lstm"])


def test_model_gradient_flow():
    m = network.make_model("lstm", 2, 6, 1, 0, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((9, 3, 2)).astype(np.float32)
    g = ch05.model_gradient_flow(X, m)
    want = ch05.last_step_gradients(X.astype(np.float64), m.cell.astype(np.float64),
                                    dh_last=np.repeat(m.head.weights.astype(np.float64), 3, axis=0))
    np.testing.assert_allclose(g.dh, want.dh, rtol=1e-12)
    assert g.dh.dtype == np.float64 and m.cell.dtype == np.float32  # the model itself is not converted
    with pytest.raises(ValueError, match="model"):
        ch05.model_gradient_flow(X, network.make_model("gru", 2, 3, 4, 0))
    with pytest.raises(ValueError, match="model"):
        ch05.model_gradient_flow(X, m.cell)


# ---- pictures ------------------------------------------------------------------------------------------------
def test_gradient_flow_picture_draws_the_flows_and_the_highlighted_guide():
    comp = ch05.GradientFlowLab(max_steps=40).compare(1.0, 1.0, 30)
    fig = plots.plot_gradient_flow(comp, highlight="gru")
    assert outside_pyplot(fig) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "weights × 1,  b_f = 1"
    pic = plots.GradientFlowPicture(Figure().subplots())
    pic.update(comp.flows, comp.guides(), "gru")
    for name in ("rnn", "lstm", "gru"):
        np.testing.assert_allclose(pic.dh[name].get_ydata(), comp.flows[name].relative("dh"))
        np.testing.assert_array_equal(pic.dh[name].get_xdata(), np.arange(1, 31))
    np.testing.assert_allclose(pic.dc.get_ydata(), comp.flows["lstm"].relative("dc"))
    assert pic.dh["gru"].get_linewidth() > pic.dh["rnn"].get_linewidth()
    assert pic.guide["gru"].get_visible() and not pic.guide["lstm"].get_visible()
    np.testing.assert_allclose(pic.guide["gru"].get_ydata(), 0.5 ** np.arange(29, -1, -1))
    pic.update(comp.flows, comp.guides(), "lstm")
    assert pic.guide["lstm"].get_visible() and not pic.guide["gru"].get_visible()
    start = comp.flows["lstm"].relative("dc")[-1]  # the LSTM's guide starts where its dashed curve starts
    np.testing.assert_allclose(pic.guide["lstm"].get_ydata(), start * sigmoid(1.0) ** np.arange(29, -1, -1))
    legend = [t.get_text() for t in pic.ax.get_legend().get_texts()] if pic.ax.get_legend() else labelled(pic.ax)
    assert "LSTM guide line" in legend and "1 = ‖∂E/∂h_T‖" in legend  # the guide says whose it is
    lo, hi = pic.ax.get_ylim()
    assert lo <= min(f.relative("dh").min() for f in comp.flows.values()) and hi >= 1
    # a model left out disappears, and the LSTM's cell state with it
    pic.update({"gru": comp.flows["gru"]}, None, None)
    assert not pic.dh["rnn"].get_visible() and not pic.dc.get_visible() and pic.dh["gru"].get_visible()


def test_gradient_flow_picture_draws_an_underflow_without_warning():
    # a gradient that underflows to exactly 0 is drawn at the floor, not dropped from a log axis
    comp = ch05.GradientFlowLab(max_steps=200).compare(-2.0, 0.1, 200)
    assert min(f.dh_norms.min() for f in comp.flows.values()) == 0.0
    png(plots.plot_gradient_flow(comp, highlight="rnn"))


def test_forget_bias_decay_picture_draws_prediction_and_measurements():
    table = ch05.forget_bias_table((0.0, 1.0), steps=10)
    fig = plots.plot_forget_bias_decay(table)
    ax = fig.axes[0]
    curve, small, usual = ax.lines[:3]
    np.testing.assert_allclose(curve.get_ydata(), ch05.forget_bias_prediction(curve.get_xdata(), 10))
    assert curve.get_xdata().min() == -1 and curve.get_xdata().max() == 6
    np.testing.assert_array_equal(small.get_xdata(), [0.0, 1.0])
    np.testing.assert_allclose(small.get_ydata(), [r.measured_small for r in table.rows])
    np.testing.assert_allclose(usual.get_ydata(), [r.measured_default for r in table.rows])
    assert "T = 10" in curve.get_label() and ax.get_yscale() == "log"


def test_cell_jacobian_picture_draws_both_parts_per_bias():
    X = np.random.default_rng(0).standard_normal((6, 1, 4))
    norms = {b: ch05.cell_jacobian_norms(X, ch05.gated_models(4, 5, 0, forget_bias=b)["lstm"]) for b in (0.0, 2.0)}
    fig = plots.plot_cell_jacobian(norms)
    ax = fig.axes[0]
    assert len(ax.lines) == 4
    for j, (b, (direct, through)) in enumerate(norms.items()):
        np.testing.assert_array_equal(ax.lines[2 * j].get_ydata(), direct)
        np.testing.assert_array_equal(ax.lines[2 * j + 1].get_ydata(), through)
        np.testing.assert_array_equal(ax.lines[2 * j].get_xdata(), np.arange(2, 7))
        assert ax.lines[2 * j].get_label().startswith(f"b_f = {b:g}")


def test_cell_jacobian_picture_title_shows_no_raw_latex():
    X = np.random.default_rng(0).standard_normal((4, 1, 4))
    fig = plots.plot_cell_jacobian({1.0: ch05.cell_jacobian_norms(X, ch05.gated_models(4, 5, 0)["lstm"])})


# ---- what the chapter's text says about the numbers it prints -----------------------------------------------
def test_chapter05_claims():
    lab = ch05.GradientFlowLab(seed=0)
    comp = lab.compare(forget_bias=1.0, scale=1.0, steps=50)
    first = {k: f.relative("dh")[0] for k, f in comp.flows.items()}
    # "in an LSTM with b_f = 1 it falls far more slowly" than in the RNN and the GRU
    assert first["lstm"] > 1e3 * first["rnn"] and first["lstm"] > 1e3 * first["gru"]
    # the small example: "the diagonal part holds the forget gates' values, close to sigmoid(1) = 0.73;
    # the part through h is several times smaller"
    small = ch05.gated_models(input_size=2, hidden_size=3, rng=0, forget_bias=1.0)["lstm"]
    jac = ch05.cell_state_jacobian(np.random.default_rng(1).standard_normal((5, 1, 2)), small, step=5)
    assert np.all(np.abs(np.diagonal(jac.direct[0]) - sigmoid(1.0)) < 0.1)
    direct, through = jac.norms()
    assert through < direct / 3
    # "at b_f = 3 the diagonal is close to 1 at every step; the part through h stays small"
    norms = lab.cell_jacobian_norms(biases=(0.0, 1.0, 3.0), scale=1.0, steps=50)
    assert np.all(norms[3.0][0] > 0.95)
    for d, t in norms.values():
        assert t.max() < d.min()
    # "a larger forget bias keeps far more of the gradient", with the usual weights too
    table = ch05.forget_bias_table(biases=(0.0, 1.0, 3.0), steps=50)
    usual = [r.measured_default for r in table.rows]
    assert usual[0] * 1e3 < usual[1] and usual[1] * 1e3 < usual[2]
    np.testing.assert_allclose([r.measured_small for r in table.rows], [1.8e-15, 2.2e-7, 9.3e-2], rtol=0.03)
    # section 3: "at b_f = 0 and 1 more arrives than predicted, at b_f = 3 the ratio is 21.3: the error grew"
    assert all(r.measured_default > r.predicted for r in table.rows)
    assert f"{table.rows[2].measured_default:.3g}" == "21.3" and table.rows[2].measured_default > 1
    # section 2: "the difference sits in the third decimal, and vanishes with W_oh = 0"
    report = ch05.product_vs_total(np.random.default_rng(1).standard_normal((5, 1, 2)), small, 1)
    assert 1e-3 <= report.as_is.difference < 1e-2 and report.no_output_recurrence.difference < 1e-12
    # "the forget bias hardly moves the part through h"
    through = [t.mean() for _, t in norms.values()]
    assert max(through) - min(through) < 0.1 * min(through)
    # section 4, the table and its reading
    errors = ch05.cell_error_table(lab, biases=(0.0, 1.0, 3.0), scale=1.0, steps=50)
    rows = {p.forget_bias: p for p in errors.parts}
    factors = {b: p.factors() for b, p in rows.items()}
    whole3, highway3 = factors[3.0]
    assert f"{highway3:.3f}" == "0.952" and f"{whole3:.3f}" == "1.064" and f"{whole3 - highway3:+.3f}" == "+0.113"
    assert abs(highway3 - rows[3.0].forget[1:].mean()) < 0.005  # "close to the mean forget gate"
    assert abs(1 - highway3 - 0.05) < 0.005  # "loses about 5% per step"
    assert f"{np.mean(rows[3.0].cosine[:-1]):.2f}" == "0.71"
    assert whole3 ** 49 == pytest.approx(rows[3.0].total[0] / rows[3.0].total[-1], rel=1e-9)  # "49 such steps give 21.3"
    step3 = rows[3.0].total[:-1] / rows[3.0].total[1:]
    assert np.mean(step3 > 1) > 0.9  # "above 1 at almost every step"
    assert rows[3.0].highway[0] < rows[3.0].highway[-1]  # "the highway alone would shrink towards step 1"
    for b, p in rows.items():  # "W_ch: 86% of the summed parts"
        share = np.mean(p.by_gate["c"][:-1] / sum(p.by_gate[g][:-1] for g in "fico"))
        assert f"{share:.0%}" == "86%"
    for b in (0.0, 1.0):  # "about as large at b_f = 0 and 1, but the sum stays below 1"
        whole, highway = factors[b]
        assert abs((whole - highway) - (whole3 - highway3)) < 0.05 and whole < 1 and highway < whole
    assert [f"{factors[b][0] - factors[b][1]:+.3f}" for b in (0.0, 1.0)] == ["+0.152", "+0.146"]
    assert [f"{factors[b][1]:.3f}" for b in (0.0, 1.0)] == ["0.504", "0.732"]
    # "the loss's gradient enters at step T only": below T, dE/dh_k is all returned through W_gh
    g = ch05.last_step_gradients(lab.X[:50], lab.models(3.0, 1.0)["lstm"])
    np.testing.assert_allclose(sum(rows[3.0].returned.values())[:-1], g.dh[:-1], rtol=1e-10, atol=1e-14)
    # section 5, the hints at the explorer's settings (default: LSTM, b_f = 1, scale 1, T = 50)
    from lstmlib.course import widgets
    ex = widgets.gradient_flow_explorer()
    assert ex.values() == {"highlight": "lstm", "forget_bias": 1.0, "scale": 1.0, "steps": 50}
    read = {}
    for b, sc, T in [(1.0, 1.0, 50), (0.0, 1.0, 50), (3.0, 1.0, 50), (1.0, 0.1, 50), (3.0, 0.1, 50), (1.0, 1.0, 100)]:
        c = lab.compare(b, sc, T)
        gd = c.guides()
        read[(b, sc, T)] = {"rnn": c.flows["rnn"].relative()[0], "bound": gd["rnn"][0],
                            "dc": c.flows["lstm"].relative("dc")[0], "lstm_guide": gd["lstm"][0],
                            "gru": c.flows["gru"].relative()[0], "gru_guide": gd["gru"][0],
                            "lstm_dh": c.flows["lstm"].relative()[0]}
    d, b0, b3 = read[(1.0, 1.0, 50)], read[(0.0, 1.0, 50)], read[(3.0, 1.0, 50)]
    assert (f"{b0['dc']:.1e}", f"{b3['dc']:.1e}") == ("5.5e-10", "8.9e+00")  # "lifts off the floor"
    for r in (b0, d, b3):
        assert r["dc"] > 100 * r["lstm_guide"]  # "stays far above the dotted prediction" at scale 1
    for b in (1.0, 3.0):  # "at scale 0.1 the dashed curve follows the dotted line"
        r = read[(b, 0.1, 50)]
        assert 1 <= r["dc"] / r["lstm_guide"] < 2
    assert [f"{read[(1.0, 0.1, 50)][k]:.1e}" for k in ("dc", "lstm_guide")] == ["1.8e-07", "1.1e-07"]
    assert [f"{read[(3.0, 0.1, 50)][k]:.1e}" for k in ("dc", "lstm_guide")] == ["6.4e-02", "4.6e-02"]
    assert d["bound"] > 1 and f"{d['bound']:.1e}" == "7.5e+00" and f"{d['rnn']:.1e}" == "3.6e-10"  # RNN hint
    small_rnn = read[(1.0, 0.1, 50)]
    assert small_rnn["rnn"] < small_rnn["bound"] and 1e6 < small_rnn["bound"] / small_rnn["rnn"] < 1e8
    assert ch05.article_bound(lab.compare(1.0, 1.0, 50).models["rnn"]) > 1  # "beta_W a little above 1"
    assert d["gru"] > 1e3 * d["gru_guide"] and read[(1.0, 0.1, 50)]["gru"] / d["gru_guide"] < 3  # GRU hint
    long = read[(1.0, 1.0, 100)]
    assert [f"{long[k]:.1e}" for k in ("rnn", "gru", "dc")] == ["5.4e-20", "2.7e-21", "2.5e-06"]
    # section 1: "with b_f = 0 the LSTM's gradient fades about as fast as the RNN's"
    assert 0.1 < b0["lstm_dh"] / b0["rnn"] < 10


# ---- self-checks ---------------------------------------------------------------------------------------------
def test_forget_bias_decay():
    f = float(sigmoid(np.float64(2.0)))
    right(exercises.check_forget_bias_decay(f ** 29))
    right(exercises.check_forget_bias_decay(0.0253))  # three digits are enough
    wrong(exercises.check_forget_bias_decay(f ** 30), "T - 1")
    wrong(exercises.check_forget_bias_decay(f), "one step")
    wrong(exercises.check_forget_bias_decay(2.0 ** 29), "sigmoid")
    wrong(exercises.check_forget_bias_decay(0.5 ** 29), "b_f = 0")
    wrong(exercises.check_forget_bias_decay(0.3), "once per step")
    wrong(exercises.check_forget_bias_decay("a lot"), "number")
    right(exercises.check_forget_bias_decay(0.5 ** 9, forget_bias=0.0, steps=10))


def test_forget_bias_needed():
    want = exercises.minimal_forget_bias(100, 0.01)
    assert sigmoid(np.float64(want)) ** 99 == pytest.approx(0.01)
    assert ch05.forget_bias_prediction(want - 0.01, 100) < 0.01 < ch05.forget_bias_prediction(want + 0.01, 100)
    right(exercises.check_forget_bias_needed(round(want, 3)))
    right(exercises.check_forget_bias_needed(want + 0.0015))
    # the off-by-one answer (T factors instead of T - 1) is told apart from the right one (issue 18)
    assert f"{want:.3f}" == "3.045"
    wrong(exercises.check_forget_bias_needed(3.055), "off by one")
    wrong(exercises.check_forget_bias_needed(round(want, 2)), "right method")
    wrong(exercises.check_forget_bias_needed(want - 0.5), "less than")
    wrong(exercises.check_forget_bias_needed(want + 1.0), "smallest")


def test_longest_reach():
    right(exercises.check_longest_reach("lstm"))
    right(exercises.check_longest_reach(" LSTM "))
    wrong(exercises.check_longest_reach("rnn"), "not the largest")
    wrong(exercises.check_longest_reach("transformer"), "one of")
    # the notebook's settings (b_f = 0, weight scale 2): the answer is whichever the explorer shows
    comp = ch05.GradientFlowLab(seed=0).compare(0.0, 2.0, 50)
    first = {k: f.relative("dh")[0] for k, f in comp.flows.items()}
    best = max(first, key=first.get)
    right(exercises.check_longest_reach(best, forget_bias=0.0, scale=2.0, steps=50))
    for other in set(first) - {best}:
        wrong(exercises.check_longest_reach(other, forget_bias=0.0, scale=2.0, steps=50), "not the largest")


# ---- the product of one-step Jacobians against dc_T/dc_k ----------------------------------------------------
def _dcT_dck_numeric(X, p, k, h0=None, c0=None):
    """dc_T/dc_k of the first sample by centred differences: c_k moved, h_k = o_k tanh(c_k) with it,
    every later step run again (the library's step functions, chained here by hand)."""
    T, H = X.shape[0], p.hidden_size
    x1 = X[:, :1]
    out = np.zeros((H, H))
    for j in range(H):
        ends = []
        for eps in (EPS, -EPS):
            h = None if h0 is None else h0[:1]
            c = None if c0 is None else c0[:1]
            for t in range(1, T + 1):
                (h, c), cache = ll.lstm_step_forward(x1[t - 1], p, None if h is None else (h, c))
                if t == k:
                    c = c.copy()
                    c[0, j] += eps
                    h = cache.o * np.tanh(c)
            ends.append(c[0])
        out[:, j] = (ends[0] - ends[1]) / (2 * EPS)
    return out


@pytest.mark.parametrize("scale, forget_bias", [(1.0, 1.0), (3.0, 0.0)])
def test_cell_state_chain_total_is_dcT_dck_and_the_product_is_not(scale, forget_bias):
    rng = np.random.default_rng(7)
    p = ch05.gated_models(2, 3, rng, scale=scale, forget_bias=forget_bias)["lstm"]
    X = rng.standard_normal((6, 2, 2))
    h0, c0 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    for k in (1, 3):
        chain = ch05.cell_state_chain(X, p, k, (h0, c0))
        np.testing.assert_allclose(chain.total, _dcT_dck_numeric(X, p, k, h0, c0), rtol=1e-6, atol=1e-9)
        # the product of the one-step matrices of cell_state_jacobian, in order
        want = np.eye(3)
        for t in range(k + 1, 7):
            want = ch05.cell_state_jacobian(X, p, t, (h0, c0)).total[0] @ want
        np.testing.assert_allclose(chain.product, want, rtol=1e-12, atol=1e-15)
        assert chain.difference > 1e-4  # not the same thing: the paths through o are missing
    # with W_oh = 0 the output gate does not read h, c alone is a state, and the product is exact
    q = p.copy()
    q.W_oh[...] = 0.0
    exact = ch05.cell_state_chain(X, q, 1, (h0, c0))
    assert exact.difference < 1e-12
    np.testing.assert_allclose(exact.total, _dcT_dck_numeric(X, q, 1, h0, c0), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="step"):
        ch05.cell_state_chain(X, p, 6)
    with pytest.raises(ValueError, match="X"):
        ch05.cell_state_chain(X[:, :, :1], p, 1)


def test_product_vs_total_prints_both():
    small = ch05.gated_models(input_size=2, hidden_size=3, rng=0, forget_bias=1.0)["lstm"]
    X = np.random.default_rng(1).standard_normal((5, 1, 2))
    report = ch05.product_vs_total(X, small, 1)
    np.testing.assert_array_equal(small.W_oh, ch05.gated_models(2, 3, 0, forget_bias=1.0)["lstm"].W_oh)  # untouched
    assert report.no_output_recurrence.product.shape == (3, 3)
    text = str(report)
    assert text.count("max |difference|") == 2 and "max |difference| < 1e-12" in text
    assert f"max |difference| = {report.as_is.difference:.1e}" in text
    lines = str(report.as_is).splitlines()
    nums = [float(v) for v in lines[1].split()]
    np.testing.assert_allclose(nums, np.concatenate([report.as_is.product[0], report.as_is.total[0]]), atol=5e-4)


# ---- the cell-state error taken apart ---------------------------------------------------------------------
def test_cell_error_parts_add_up_to_the_backward_pass():
    rng = np.random.default_rng(2)
    p = ch05.gated_models(3, 4, rng, forget_bias=2.0)["lstm"]
    X = rng.standard_normal((9, 2, 3))
    parts = ch05.cell_error_parts(X, p)
    g = ch05.last_step_gradients(X, p)
    np.testing.assert_allclose(parts.dc, g.dc, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(parts.carry_v + parts.via_h_v, g.dc, rtol=1e-12, atol=1e-15)
    _, cache = ll.lstm_forward(X, p)
    np.testing.assert_allclose(parts.carry_v[:-1], g.dc[1:] * cache.f[1:], rtol=1e-12)
    assert not parts.carry_v[-1].any()  # nothing to carry into step T
    # below T, dE/dh_k is nothing but what step k+1's four gates send back through W_gh
    np.testing.assert_allclose(sum(parts.returned.values())[:-1], g.dh[:-1], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(parts.via_h_v, g.dh * cache.o * (1 - np.tanh(cache.c) ** 2), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(parts.highway_v[0], g.dc[-1] * np.prod(cache.f[1:], axis=0), rtol=1e-12)
    np.testing.assert_allclose(parts.total, g.dc_norms)
    assert parts.cosine[-1] == 0 and np.all(np.abs(parts.cosine) <= 1)
    whole, highway = parts.factors()
    assert whole ** 8 == pytest.approx(parts.total[0] / parts.total[-1], rel=1e-10)
    assert parts.forget_bias == 2.0 and parts.steps == 9


def test_cell_error_table():
    lab = ch05.GradientFlowLab(max_steps=30)
    table = ch05.cell_error_table(lab, biases=(0.0, 3.0), steps=30)
    assert [p.forget_bias for p in table.parts] == [0.0, 3.0]
    np.testing.assert_allclose(table.parts[1].dc, ch05.last_step_gradients(lab.X[:30], lab.models(3.0)["lstm"]).dc)
    lines = str(table).splitlines()
    assert lines[0].endswith("(T = 30)") and len(lines) == 3 + 2
    p = table.parts[1]
    whole, highway = p.factors()
    share = np.mean(p.by_gate["c"][:-1] / sum(p.by_gate[g][:-1] for g in "fico"))
    assert lines[4].split() == ["3", f"{highway:.3f}", f"{whole:.3f}", f"{whole - highway:+.3f}",
                                f"{np.mean(p.cosine[:-1]):.2f}", f"{p.total[0] / p.total[-1]:.3g}", f"{share:.0%}"]


def test_explorer_readings_against_an_independent_computation():
    # each number of a row rebuilt without GradientFlowComparison: the readable backward passes on
    # the lab's models, norms by hand, and the guides from their closed forms
    lab = ch05.GradientFlowLab(max_steps=60)
    readings = ch05.explorer_readings(lab, [(1.0, 1.0, 50), (3.0, 0.1, 20)])
    lines = str(readings).splitlines()
    assert len(lines) == 3 + 2
    assert lines[1].split()[3:] == ["RNN", "dh", "guide", "LSTM", "dh", "LSTM", "dc", "guide", "GRU", "dh", "guide"]
    b_f, scale, T = 3.0, 0.1, 20
    X = lab.X[:T]
    want = []
    for name, fwd, bwd in (("rnn", ll.rnn_forward, ll.rnn_backward), ("lstm", ll.lstm_forward, ll.lstm_backward),
                           ("gru", ll.gru_forward, ll.gru_backward)):
        p = lab.base[name].copy()
        p.weights[...] *= scale
        if name == "lstm":
            p.b_f[...] = b_f
        hs, cache = fwd(X, p)
        dhs = np.zeros_like(hs)
        dhs[-1] = 1.0
        g = bwd(dhs, cache, state_grads=True)
        top = np.linalg.norm(g.dh[-1])
        want.append(np.linalg.norm(g.dh[0]) / top)
        if name == "rnn":
            want.append(np.linalg.norm(p.W, 2) ** (T - 1))  # tanh: beta_f = 1
        elif name == "lstm":
            want.append(np.linalg.norm(g.dc[0]) / top)
            want.append(np.linalg.norm(g.dc[-1]) / top * sigmoid(b_f) ** (T - 1))
        else:
            want.append(0.5 ** (T - 1))  # b_z = 0: 1 - sigmoid(0) per step
    assert lines[4].split() == ["3", "0.1", "20"] + [f"{v:.1e}" for v in want]


def test_cell_error_parts_picture():
    lab = ch05.GradientFlowLab(max_steps=20)
    parts = ch05.cell_error_parts(lab.X[:20], lab.models(3.0)["lstm"], forget_bias=3.0)
    fig = plots.ch05.plot_cell_error_parts(parts)
    ax, bx = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata(), parts.total)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), parts.carry[:-1])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), parts.via_h)
    np.testing.assert_allclose(ax.lines[3].get_ydata(), parts.highway)
    np.testing.assert_allclose(bx.lines[0].get_ydata(), parts.total[:-1] / parts.total[1:])
    assert ax.get_yscale() == "log" and "b_f = 3" in ax.get_title()
    lo, hi = ax.get_ylim()
    assert lo <= min(parts.via_h.min(), parts.highway.min()) and hi >= parts.total.max()


def test_gradient_flow_explorer_redraws_while_dragged():
    from lstmlib.course import widgets
    ex = widgets.gradient_flow_explorer(max_steps=60)
    assert all(ex.controls[n].continuous_update for n in ("forget_bias", "scale", "steps"))
    before = ex.image.value
    ex.controls["steps"].value = 30  # a drag redraws at once: the picture changes with the value
    assert ex.image.value != before and ex.fig.axes[0].get_xlim() == (0.5, 30.5)


# ---- self-checks of the new exercise ---------------------------------------------------------------------
def test_cut_h_paths():
    want = exercises.ch05.cut_h_paths_share()
    lab = ch05.GradientFlowLab(seed=0)
    p = lab.models(3.0, 1.0)["lstm"]
    for gate in "fico":
        getattr(p, f"W_{gate}h")[...] = 0.0
    g = ch05.last_step_gradients(lab.X[:50], p)
    assert want == pytest.approx(g.dc_norms[0] / g.dc_norms[-1])
    _, cache = ll.lstm_forward(lab.X[:50], p)  # nothing returns through h: the product of the forget gates
    assert want == pytest.approx(np.linalg.norm(g.dc[-1] * np.prod(cache.f[1:], axis=0)) / g.dc_norms[-1])
    # the estimate the exercise asks for, from the table of section 4, is within 10%
    whole, highway = ch05.cell_error_table(lab, biases=(3.0,), steps=50).parts[0].factors()
    right(exercises.ch05.check_cut_h_paths(round(highway, 3) ** 49))
    right(exercises.ch05.check_cut_h_paths(want))
    wrong(exercises.ch05.check_cut_h_paths(whole ** 49), "WITH the paths")
    wrong(exercises.ch05.check_cut_h_paths(highway), "one step")
    wrong(exercises.ch05.check_cut_h_paths(0.5), "forget gate")
    wrong(exercises.ch05.check_cut_h_paths(None), "replace")


def test_forget_bias_needed_tolerance():
    want = exercises.minimal_forget_bias(100, 0.01)
    right(exercises.check_forget_bias_needed(want + 0.09, tolerance=0.1))
    wrong(exercises.check_forget_bias_needed(want + 0.09, tolerance=0.05), "within 0.05")


# ---- every picture of the chapter, as a reader would look at it ---------------------------------------------
def _flow(highlight, T=50, b_f=1.0, scale=1.0):
    return lambda: plots.plot_gradient_flow(ch05.GradientFlowLab(max_steps=T).compare(b_f, scale, T), highlight)


PICTURES = {
    "gradient flow, LSTM highlighted": _flow("lstm"),
    "gradient flow, GRU highlighted": _flow("gru"),
    "gradient flow, RNN highlighted, T = 100 (the README's hero)": _flow("rnn", T=100),
    "gradient flow with an underflow": _flow("rnn", T=200, b_f=-2.0, scale=0.1),
    "forget-bias decay": lambda: plots.plot_forget_bias_decay(ch05.forget_bias_table((0.0, 1.0, 3.0), steps=50)),
    "cell Jacobian": lambda: plots.plot_cell_jacobian(ch05.GradientFlowLab(max_steps=50).cell_jacobian_norms()),
    "cell error parts": lambda: plots.ch05.plot_cell_error_parts(
        ch05.cell_error_table(ch05.GradientFlowLab(max_steps=50), biases=(3.0,)).parts[0]),
}


@pytest.mark.parametrize("name", list(PICTURES))
def test_every_picture_of_chapter05_is_sound(name):
    check_picture(PICTURES, name)


def test_the_gradient_flow_picture_shows_every_model_it_lists_in_full_colour():
    # issue 15: the RNN and GRU were faded to near invisibility while the legend showed them in
    # full colour; every curve is now drawn as its legend entry shows it
    fig = _flow("lstm")()
    ax = fig.axes[0]
    handles = dict(zip([t.get_text() for t in ax.get_legend().get_texts()], ax.get_legend().legend_handles))
    for line in ax.lines:
        if line.get_label() in handles and line.get_visible():
            assert (line.get_alpha() or 1.0) == 1.0, line.get_label()
            assert line.get_color() == handles[line.get_label()].get_color(), line.get_label()
