"""Chapters 04-05's gradient-flow functions (lstmlib.gradflow, chapters 04-06 section): per-step
error norms against finite differences, the forget-bias prediction against measurement, the
cell-state Jacobian, the GRU with fixed gates, parameter counts and the PyTorch mapping."""
import builtins
import os

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import gradflow as gf

EPS = 1e-6


# ---- finite differences by hand: perturb one state at one step and run the rest ----------------
def _loss_after_perturbing(p, X, dh_last, k, what, j, eps):
    """E = sum(dh_last * h_T) with entry j of h_k (or c_k) moved by eps, k 1-based."""
    B, H = X.shape[1], p.hidden_size
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    for t in range(1, X.shape[0] + 1):
        x = X[t - 1]
        if isinstance(p, ll.LSTMParams):
            if t == k and what == "c":
                # c_k is perturbed before h_k = o_k tanh(c_k) is formed
                _, c, cache = ll.lstm_step_forward(x, h, c, p)
                c = c.copy()
                c[:, j] += eps
                h = cache.o * np.tanh(c)
                continue
            h, c, _ = ll.lstm_step_forward(x, h, c, p)
        elif isinstance(p, ll.GRUParams):
            h, _ = ll.gru_step_forward(x, h, p)
        else:
            h, _ = ll.rnn_step_forward(x, h, p)
        if t == k and what == "h":
            h = h.copy()
            h[:, j] += eps
    return float(np.sum(dh_last * h))


def _numeric(p, X, dh_last, what):
    T, H = X.shape[0], p.hidden_size
    out = np.zeros((T, X.shape[1], H))
    for k in range(1, T + 1):
        for j in range(H):
            up = _loss_after_perturbing(p, X, dh_last, k, what, j, EPS)
            down = _loss_after_perturbing(p, X, dh_last, k, what, j, -EPS)
            out[k - 1, :, j] = (up - down) / (2 * EPS)  # B = 1 below, so one number per (k, j)
    return out


MODELS = {
    "rnn": lambda rng: ll.RNNParams.init(3, 4, rng),
    "lstm": lambda rng: ll.LSTMParams.init(3, 4, rng, forget_bias=0.5),
    "gru": lambda rng: ll.GRUParams.init(3, 4, rng),
    "gru_after": lambda rng: ll.GRUParams.init(3, 4, rng, reset_after=True),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_last_step_gradients_match_finite_differences(name):
    rng = np.random.default_rng(11)
    p = MODELS[name](rng)
    p.weights[...] *= 3  # large enough that no path is negligible
    X = rng.standard_normal((6, 1, 3))
    dh_last = rng.standard_normal((1, 4))
    g = gf.last_step_gradients(p, X, dh_last=dh_last)
    assert g.model == name.split("_")[0]
    np.testing.assert_allclose(g.dh, _numeric(p, X, dh_last, "h"), rtol=1e-6, atol=1e-9)
    if name == "lstm":
        np.testing.assert_allclose(g.dc, _numeric(p, X, dh_last, "c"), rtol=1e-6, atol=1e-9)
        assert g.dc_norms.shape == (6,)
    else:
        assert g.dc is None and g.dc_norms is None
    assert g.dh_norms[-1] == pytest.approx(np.linalg.norm(dh_last))
    np.testing.assert_allclose(g.relative(), g.dh_norms / g.dh_norms[-1])


def test_last_step_gradients_default_and_errors():
    rng = np.random.default_rng(0)
    p = ll.GRUParams.init(2, 3, rng)
    g = gf.last_step_gradients(p, rng.standard_normal((4, 2, 2)))
    np.testing.assert_array_equal(g.dh[-1], np.ones((2, 3)))
    with pytest.raises(ValueError, match="p"):
        gf.last_step_gradients("lstm", np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="X"):
        gf.last_step_gradients(p, np.zeros((2, 1, 5)))
    with pytest.raises(ValueError, match="dh_last"):
        gf.last_step_gradients(p, np.zeros((2, 1, 2)), dh_last=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="which"):
        g.relative("dc")
    with pytest.raises(ValueError, match="which"):
        g.relative("dx")


def test_lstm_agrees_with_the_fast_backward():
    # one more step back from what last_step_gradients reports at step 1 gives lstm_backward's dh0
    rng = np.random.default_rng(3)
    p = ll.LSTMParams.init(3, 5, rng)
    X = rng.standard_normal((7, 2, 3))
    g = gf.last_step_gradients(p, X)
    hs, cache = ll.lstm_forward(X, p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    full = ll.lstm_backward(dhs, cache)
    _, _, step1 = ll.lstm_step_forward(X[0], np.zeros((2, 5)), np.zeros((2, 5)), p)
    carry = g.dc[0] - g.dh[0] * step1.o * (1 - step1.tanh_c ** 2)  # dE/dc_1 minus its path via h_1
    _, dh0, dc0, _ = ll.lstm_step_backward(g.dh[0], carry, step1)
    np.testing.assert_allclose(dh0, full.dh0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dc0, full.dc0, rtol=1e-10, atol=1e-12)


# ---- the forget-gate bias: predicted sigmoid(b_f)^(T-1) and measured ----------------------------
def test_forget_bias_prediction_article_numbers():
    # ARTICLE.md: for T = 50 about 1.8e-15 at b_f = 0, 2.2e-7 at 1, 9.3e-2 at 3
    got = gf.forget_bias_prediction(np.array([0.0, 1.0, 3.0]), 50)
    np.testing.assert_allclose(got, [1.8e-15, 2.2e-7, 9.3e-2], rtol=0.03)
    assert gf.forget_bias_prediction(0.0, 1) == 1.0
    assert isinstance(gf.forget_bias_prediction(2.0, 10), float)
    with pytest.raises(ValueError, match="forget_bias"):
        gf.forget_bias_prediction(np.nan, 10)
    with pytest.raises(ValueError, match="steps"):
        gf.forget_bias_prediction(1.0, 0)


def test_forget_bias_prediction_matches_measurement_with_near_zero_weights():
    # stated factor: within 5% when every weight is at most 1e-3 / sqrt(H)
    table = gf.forget_bias_table((-1.0, 0.0, 1.0, 3.0, 5.0), steps=50, small_scale=1e-3)
    for row in table.rows:
        assert row.measured_small == pytest.approx(row.predicted, rel=0.05)
    # with the usual initialisation the paths through h matter: no longer the prediction
    assert any(abs(np.log(r.measured_default / r.predicted)) > np.log(2) for r in table.rows)
    text = str(table)
    assert "T = 50" in text and "1.78e-15" in text


def test_cell_state_jacobian_against_finite_differences():
    rng = np.random.default_rng(5)
    p = ll.LSTMParams.init(3, 4, rng, forget_bias=1.0)
    p.weights[...] *= 2
    X = rng.standard_normal((5, 2, 3))
    step = 4
    jac = gf.cell_state_jacobian(p, X, step)
    _, cache = ll.lstm_forward(X, p)
    np.testing.assert_allclose(np.diagonal(jac.direct, axis1=1, axis2=2), cache.f[step - 1])
    off_diagonal = jac.direct * (1 - np.eye(4))
    assert not off_diagonal.any()  # the cell-state path touches each unit only itself
    # finite differences of c_step with respect to c_{step-1} (h_{step-1} recomputed from it)
    num = np.zeros((2, 4, 4))
    for j in range(4):
        cs = []
        for eps in (EPS, -EPS):
            h = np.zeros((2, 4))
            c = np.zeros((2, 4))
            for t in range(1, step + 1):
                if t == step - 1:
                    _, c, k = ll.lstm_step_forward(X[t - 1], h, c, p)
                    c = c.copy()
                    c[:, j] += eps
                    h = k.o * np.tanh(c)
                else:
                    h, c, _ = ll.lstm_step_forward(X[t - 1], h, c, p)
            cs.append(c)
        num[:, :, j] = (cs[0] - cs[1]) / (2 * EPS)
    np.testing.assert_allclose(jac.total, num, rtol=1e-6, atol=1e-9)
    assert np.abs(jac.through_h).max() > 1e-3  # the h-paths are really there
    d, t = jac.norms()
    assert d == pytest.approx(cache.f[step - 1].max()) and t > 0
    with pytest.raises(ValueError, match="step"):
        gf.cell_state_jacobian(p, X, 1)
    with pytest.raises(ValueError, match="step"):
        gf.cell_state_jacobian(p, X, 6)


def test_cell_jacobian_norms_follow_the_forget_bias():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 1, 4))
    direct = {}
    for b in (0.0, 3.0):
        p = gf.gated_models(4, 8, np.random.default_rng(1), forget_bias=b)["lstm"]
        d, t = gf.cell_jacobian_norms(p, X)
        assert d.shape == t.shape == (11,)
        direct[b] = d
    assert np.all(direct[3.0] > 0.9) and np.all(direct[0.0] < 0.75)


# ---- the explorer's data and guides -------------------------------------------------------------
def test_gated_models_and_lab():
    ms = gf.gated_models(3, 5, 0, scale=2.0, forget_bias=1.5)
    assert set(ms) == {"rnn", "lstm", "gru"}
    assert np.all(np.abs(ms["gru"].weights) <= 2.0 / np.sqrt(5))
    assert ms["lstm"].b_f.tolist() == [1.5] * 5 and not ms["lstm"].b_i.any() and not ms["rnn"].b.any()
    lab = gf.GradientFlowLab(max_steps=30)
    a = lab.compare(0.0, 1.0, 20)
    b = lab.compare(2.0, 1.0, 20)
    c = lab.compare(0.0, 0.5, 20)
    assert a.steps == 20
    np.testing.assert_array_equal(a.flows["rnn"].dh, b.flows["rnn"].dh)  # b_f moves the LSTM only
    assert not np.allclose(a.flows["lstm"].dc, b.flows["lstm"].dc)
    assert not np.allclose(a.flows["rnn"].dh, c.flows["rnn"].dh)  # the scale moves everyone
    assert b.flows["lstm"].relative("dc")[0] > a.flows["lstm"].relative("dc")[0]
    assert a.rnn_beta == pytest.approx(np.linalg.norm(lab.models(0.0, 1.0)["rnn"].W, 2))
    assert "LSTM dE/dc_k" in a.table()
    with pytest.raises(ValueError, match="steps"):
        lab.compare(0.0, 1.0, 31)
    with pytest.raises(ValueError, match="scale"):
        lab.compare(0.0, -1.0, 5)


def test_highway_guide():
    np.testing.assert_allclose(gf.highway_guide("lstm", 3, forget_bias=0.0), [0.25, 0.5, 1.0])
    np.testing.assert_allclose(gf.highway_guide("gru", 3), [0.25, 0.5, 1.0])
    np.testing.assert_allclose(gf.highway_guide("rnn", 3, beta=2.0), [4.0, 2.0, 1.0])
    # the LSTM guide is the prediction for the cell state reaching step 1
    assert gf.highway_guide("lstm", 50, forget_bias=1.0)[0] == pytest.approx(gf.forget_bias_prediction(1.0, 50))
    with pytest.raises(ValueError, match="beta"):
        gf.highway_guide("rnn", 3)
    with pytest.raises(ValueError, match="model"):
        gf.highway_guide("cnn", 3)


def test_model_gradient_flow():
    from lstmlib import train
    m = train.make_model("lstm", 2, 6, 1, 0)
    X = np.random.default_rng(0).standard_normal((9, 3, 2)).astype(np.float32)
    g = gf.model_gradient_flow(m, X)
    want = gf.last_step_gradients(m.cell.astype(np.float64), X.astype(np.float64),
                                  dh_last=np.repeat(m.head.weights.astype(np.float64), 3, axis=0))
    np.testing.assert_allclose(g.dh, want.dh)
    assert g.dh.dtype == np.float64
    with pytest.raises(ValueError, match="model"):
        gf.model_gradient_flow(train.make_model("gru", 2, 3, 4, 0), X)


# ---- chapter 05: the GRU with fixed gates --------------------------------------------------------
@pytest.mark.parametrize("reset_after", [False, True])
def test_fixed_gates_influence_matches_finite_differences(reset_after):
    rng = np.random.default_rng(2)
    q = ll.GRUParams.init(1, 3, rng, reset_after=reset_after)
    q.W_ch[...] *= 4
    X = rng.standard_normal((6, 1, 1))
    h0 = rng.standard_normal((1, 3)) * 0.5
    run = gf.gru_fixed_gates(q, X, 0.6, 0.7, h0=h0)
    J = np.zeros((3, 3))
    for j in range(3):
        up, down = h0.copy(), h0.copy()
        up[0, j] += EPS
        down[0, j] -= EPS
        J[:, j] = (gf.gru_fixed_gates(q, X, 0.6, 0.7, h0=up).hs[-1, 0]
                   - gf.gru_fixed_gates(q, X, 0.6, 0.7, h0=down).hs[-1, 0]) / (2 * EPS)
    assert run.influence[-1] == pytest.approx(np.linalg.norm(J, 2), rel=1e-6)
    assert run.hs.shape == run.h_tilde.shape == (6, 1, 3)


def test_fixed_gates_extremes():
    lab = gf.GateLab(steps=12)
    keep = lab.run(0.0, 0.5)  # z = 0: the state never changes
    np.testing.assert_array_equal(keep.hs[:, 0], np.repeat(lab.h0, 12, axis=0))
    np.testing.assert_allclose(keep.influence, 1.0)
    fresh = lab.run(1.0, 0.0)  # z = 1, r = 0: h_t = tanh(W_cx x_t + b_c), no memory at all
    np.testing.assert_allclose(fresh.hs[:, 0], np.tanh(lab.X[:, 0] @ lab.params.W_cx.T + lab.params.b_c))
    assert np.all(fresh.influence == 0)
    leaky = lab.run(0.3, 0.0)  # r = 0: only the direct path, (1 - z)^t exactly
    np.testing.assert_allclose(leaky.influence, 0.7 ** np.arange(1, 13), rtol=1e-12)
    with pytest.raises(ValueError, match="z"):
        lab.run(1.5, 0.5)
    with pytest.raises(ValueError, match="r"):
        lab.run(0.5, -0.1)


def test_compare_gru_conventions():
    gap = gf.compare_gru_conventions()
    assert gap.learned_reset > 1e-2  # two different functions ...
    assert gap.open_reset < 1e-12  # ... that coincide when the reset gate is fully open
    assert "reset before vs after" in str(gap)


# ---- parameter counts and PyTorch ----------------------------------------------------------------
def test_parameter_counts_formulas():
    D, H = 7, 5
    rows = {r.model: r for r in gf.parameter_counts(D, H)}
    assert rows["RNN"].lstmlib == H * (H + D) + H
    assert rows["GRU, reset before (article)"].lstmlib == 3 * H * (H + D) + 3 * H
    assert rows["GRU, reset after (cuDNN, PyTorch)"].lstmlib == 3 * H * (H + D) + 4 * H
    assert rows["LSTM"].lstmlib == 4 * H * (H + D) + 4 * H
    assert rows["GRU, reset before (article)"].pytorch is None
    text = gf.parameter_count_table(D, H)
    assert "0.75" in text and "1.00" in text
    with pytest.raises(ValueError, match="hidden_size"):
        gf.parameter_counts(3, 0)


def _torch():
    if os.environ.get("CI"):
        import torch
        return torch
    return pytest.importorskip("torch", reason="PyTorch not installed")


@pytest.mark.torch
def test_pytorch_counts_are_the_modules_counts():
    torch = _torch()
    D, H = 7, 5
    rows = {r.model: r for r in gf.parameter_counts(D, H)}
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert rows["RNN"].pytorch == n(torch.nn.RNN(D, H))
    assert rows["GRU, reset after (cuDNN, PyTorch)"].pytorch == n(torch.nn.GRU(D, H))
    assert rows["LSTM"].pytorch == n(torch.nn.LSTM(D, H))


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 1])
def test_gru_torch_parity(seed):
    _torch()
    report = gf.gru_torch_parity(seed=seed)
    assert report.passed, str(report)
    assert set(report.differences) == {"output h", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                       "bias_hh_l0", "input X"}
    assert "agree to 1e-12" in str(report)


@pytest.mark.torch
def test_torch_layout_catches_a_wrong_sign():
    _torch()
    # the parity check is not vacuous: flip the z rows' sign in the mapping and it fails
    orig = gf.gru_grads_torch_layout

    def wrong(g):
        out = orig(g)
        H = g.hidden_size
        out["weight_hh_l0"][H:2 * H] *= -1
        return out

    gf.gru_grads_torch_layout = wrong
    try:
        assert not gf.gru_torch_parity().passed
    finally:
        gf.gru_grads_torch_layout = orig


def test_gru_torch_parity_without_torch(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    report = gf.gru_torch_parity()
    assert report.skipped and not report.passed
    assert str(report) == "PyTorch parity: skipped (torch is not installed)"


def test_torch_layout_rejects_reset_before():
    q = ll.GRUParams.init(2, 3, 0)
    hs, cache = ll.gru_forward(np.zeros((2, 1, 2)), q)
    with pytest.raises(ValueError, match="g"):
        gf.gru_grads_torch_layout(ll.gru_backward(np.ones_like(hs), cache))


def test_gru_step_by_step_teaching_version_equals_last_step_gradients():
    """Chapter 04 shows gru_last_step_dh's source; it must compute what the explorer plots."""
    rng = np.random.default_rng(3)
    for after in (False, True):
        q = ll.GRUParams.init(3, 5, rng, reset_after=after)
        X, h0 = rng.standard_normal((7, 2, 3)), rng.standard_normal((2, 5))
        dh_last = rng.standard_normal((2, 5))
        np.testing.assert_allclose(gf.gru_last_step_dh(q, X, dh_last, h0=h0),
                                   gf.last_step_gradients(q, X, dh_last=dh_last, h0=h0).dh,
                                   rtol=1e-10, atol=1e-14)
