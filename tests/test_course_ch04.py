"""Chapter 04, the GRU: a real GRU with its gates held by hand (and the influence of h_0 read off
its step backward), the two conventions compared, parameter counts, PyTorch parity, the picture of
the held gates, the chapter's claims and its self-checks."""
import builtins
import os

import numpy as np
import pytest
from matplotlib.figure import Figure
from test_course_support import (
    check_picture,
    bar_centres,
    bar_heights,
    outside_pyplot,
    png,
    right,
    wrong,
)

import lstmlib as ll
from lstmlib.activations import sigmoid
from lstmlib.course import ch02, ch04, exercises, plots

EPS = 1e-6


def _gru(reset_after, seed=2, H=3, D=1):
    rng = np.random.default_rng(seed)
    q = ll.GRUParams.init(D, H, rng, reset_after=reset_after)
    q.W_ch[...] *= 4  # the candidate's path back to h_{t-1} is not negligible
    X = rng.standard_normal((6, 2, D))
    h0 = rng.standard_normal((2, H)) * 0.5
    return q, X, h0


def _held_closed_form(X, q, z, r, h0):
    """The GRU with z_t = z and r_t = r, written out: (G3) or (G3') and (G4)."""
    h, hs, cands = h0, [], []
    for x in X:
        if q.reset_after:
            cand = np.tanh(x @ q.W_cx.T + q.b_c + r * (h @ q.W_ch.T + q.b_ch))
        else:
            cand = np.tanh((r * h) @ q.W_ch.T + x @ q.W_cx.T + q.b_c)
        h = (1 - z) * h + z * cand
        hs.append(h)
        cands.append(cand)
    return np.array(hs), np.array(cands)


# ---- the gates held by hand ------------------------------------------------------------------------------
@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("z, r", [(0.6, 0.7), (0.2, 1.0), (1.0, 0.3)])
def test_fixed_gates_run_the_gru_with_the_gates_held(reset_after, z, r):
    q, X, h0 = _gru(reset_after)
    run = ch04.gru_fixed_gates(X, q, z, r, h0)
    hs, cands = _held_closed_form(X, q, z, r, h0)
    np.testing.assert_allclose(run.hs, hs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.h_tilde, cands, rtol=1e-12, atol=1e-14)
    assert (run.z, run.r) == (z, r) and run.hs.shape == run.h_tilde.shape == (6, 2, 3)


@pytest.mark.parametrize("reset_after", [False, True])
def test_influence_equals_finite_differences_of_h_t_with_respect_to_h0(reset_after):
    q, X, h0 = _gru(reset_after)
    run = ch04.gru_fixed_gates(X, q, 0.6, 0.7, h0)
    J = np.zeros((6, 3, 3))  # dh_t/dh_0 of the first sample, every t
    for j in range(3):
        up, down = h0.copy(), h0.copy()
        up[0, j] += EPS
        down[0, j] -= EPS
        J[:, :, j] = (ch04.gru_fixed_gates(X, q, 0.6, 0.7, up).hs[:, 0]
                      - ch04.gru_fixed_gates(X, q, 0.6, 0.7, down).hs[:, 0]) / (2 * EPS)
    np.testing.assert_allclose(run.influence, [np.linalg.norm(J[t], 2) for t in range(6)], rtol=1e-6)
    # the second sample has other inputs and another h_0: it is not what influence measures
    other = ch04.gru_fixed_gates(X[:, ::-1], q, 0.6, 0.7, h0[::-1])
    assert not np.allclose(other.influence, run.influence)


@pytest.mark.parametrize("reset_after", [False, True])
def test_with_the_reset_gate_shut_the_influence_is_exactly_the_leak(reset_after):
    # r = 0: the candidate never sees h_{t-1}, only the direct path (1 - z) is left
    q, X, h0 = _gru(reset_after)
    for z in (0.1, 0.3, 0.9):
        run = ch04.gru_fixed_gates(X, q, z, 0.0, h0)
        np.testing.assert_allclose(run.influence, (1 - z) ** np.arange(1, 7), rtol=1e-12)


def test_fixed_gates_extremes():
    lab = ch04.GateLab(steps=12)
    keep = lab.run(0.0, 0.5)  # z = 0: the state never changes
    np.testing.assert_array_equal(keep.hs[:, 0], np.repeat(lab.h0, 12, axis=0))
    np.testing.assert_allclose(keep.influence, 1.0, rtol=1e-15)
    fresh = lab.run(1.0, 0.0)  # z = 1, r = 0: h_t = tanh(W_cx x_t + b_c), no memory at all
    np.testing.assert_allclose(fresh.hs[:, 0], np.tanh(lab.X[:, 0] @ lab.params.W_cx.T + lab.params.b_c))
    assert np.all(fresh.influence == 0)
    leaky = lab.run(0.3, 0.0)  # r = 0: only the direct path, (1 - z)^t exactly
    np.testing.assert_allclose(leaky.influence, 0.7 ** np.arange(1, 13), rtol=1e-12)
    with pytest.raises(ValueError, match="z"):
        lab.run(1.5, 0.5)
    with pytest.raises(ValueError, match="r"):
        lab.run(0.5, -0.1)


def test_held_gates_copies_and_holds():
    q = ll.GRUParams.init(2, 3, 0, reset_after=True)
    before = q.weights.copy()
    held = ch04.held_gates(q, 0.25, 1.0)
    np.testing.assert_array_equal(q.weights, before)  # the original is untouched
    for gate in ("z", "r"):
        assert not getattr(held, f"W_{gate}h").any() and not getattr(held, f"W_{gate}x").any()
    np.testing.assert_allclose(sigmoid(held.b_z), 0.25, rtol=1e-15)
    assert held.b_r.tolist() == [ch02.held_gate_bias(1.0, "r")] * 3 and sigmoid(held.b_r).tolist() == [1.0] * 3
    np.testing.assert_array_equal(held.W_ch, q.W_ch)
    np.testing.assert_array_equal(held.b_ch, q.b_ch)
    with pytest.raises(ValueError, match="p"):
        ch04.held_gates(ll.LSTMParams.init(2, 3, 0), 0.5, 0.5)


def test_gate_lab_is_the_chapters_gru():
    lab = ch04.GateLab(steps=40, seed=0)
    assert lab.X.shape == (40, 1, 1) and not lab.params.reset_after
    assert np.argmax(np.abs(lab.X[:, 0, 0])) == 4 and lab.X[4, 0, 0] > 1.5  # the pulse, at step 5
    np.testing.assert_allclose(np.linalg.svd(lab.params.W_ch, compute_uv=False), 1.5)  # stretches by 1.5
    np.testing.assert_allclose(lab.params.W_cx[:, 0], [1.0, 1 / 3, -1 / 3, -1.0])
    np.testing.assert_array_equal(lab.h0, [[0.8, -0.8, 0.8, -0.8]])
    run = lab.run(0.2, 0.5)
    np.testing.assert_array_equal(run.hs, ch04.gru_fixed_gates(lab.X, lab.params, 0.2, 0.5, lab.h0).hs)


# ---- the two conventions ---------------------------------------------------------------------------------------
def test_compare_gru_conventions():
    gap = ch04.compare_gru_conventions()
    assert gap.learned_reset > 1e-2  # two different functions ...
    assert gap.open_reset < 1e-12  # ... that coincide when the reset gate is fully open
    lines = str(gap).splitlines()
    assert lines[0].endswith(f"max |h difference| = {gap.learned_reset:.3f}")
    assert lines[1].endswith("max |h difference| < 1e-12") and repr(gap) == str(gap)
    assert "1.0e-03" in str(ch04.ConventionGap(0.5, 1e-3))


# ---- parameter counts and PyTorch -------------------------------------------------------------------------------
def _count_rows(D, H):
    """``parameter_counts`` by (registry name, reset_after or None)."""
    return {(r.model, r.options.get("reset_after")): r for r in ch04.parameter_counts(D, H)}


def test_parameter_counts_formulas():
    # the counts by hand, against the registry's rows (one per model, two for the GRU's conventions)
    D, H = 7, 5
    rows = _count_rows(D, H)
    assert set(rows) == {("rnn", None), ("lstm", None), ("gru", False), ("gru", True)}
    assert rows[("rnn", None)].lstmlib == H * (H + D) + H == ll.RNNParams.init(D, H, 0).num_parameters
    assert rows[("gru", False)].lstmlib == 3 * H * (H + D) + 3 * H == ll.GRUParams.init(D, H, 0).num_parameters
    assert rows[("gru", True)].lstmlib == 3 * H * (H + D) + 4 * H
    assert rows[("lstm", None)].lstmlib == 4 * H * (H + D) + 4 * H
    assert rows[("gru", False)].pytorch is None  # nn.GRU applies the reset gate after the product
    assert rows[("lstm", None)].pytorch == 4 * H * (H + D) + 8 * H
    assert rows[("gru", True)].pytorch == 3 * H * (H + D) + 6 * H
    assert [r.formula for r in rows.values()] == ["H(H+D) + H", "4H(H+D) + 4H", "3H(H+D) + 3H", "3H(H+D) + 4H"]
    lines = ch04.parameter_count_table(D, H).splitlines()
    assert lines[0] == "D = 7, H = 5" and len(lines) == 3 + 4
    gru = [ln for ln in lines if ln.startswith("GRU, reset before")][0].split()
    assert gru[-3:] == [str(3 * H * (H + D) + 3 * H), "-", "0.75"]  # three quarters
    assert [ln for ln in lines if ln.startswith("LSTM")][0].split()[-1] == "1.00"
    with pytest.raises(ValueError, match="hidden_size"):
        ch04.parameter_counts(3, 0)


def _torch():
    if os.environ.get("CI"):
        import torch
        return torch
    return pytest.importorskip("torch", reason="PyTorch not installed")


@pytest.mark.torch
def test_pytorch_counts_are_the_modules_counts():
    torch = _torch()
    D, H = 7, 5
    rows = _count_rows(D, H)
    n = lambda m: sum(p.numel() for p in m.parameters())
    assert rows[("rnn", None)].pytorch == n(torch.nn.RNN(D, H))
    assert rows[("gru", True)].pytorch == n(torch.nn.GRU(D, H))
    assert rows[("lstm", None)].pytorch == n(torch.nn.LSTM(D, H))


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 1])
def test_gru_torch_parity(seed):
    _torch()
    report = ch04.gru_torch_parity(seed=seed)
    assert report.passed, str(report)
    assert set(report.differences) == {"output h", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                       "bias_hh_l0", "input X"}
    assert all(0 <= v <= 1e-12 for v in report.differences.values())
    assert str(report).splitlines()[-1] == "PyTorch parity: the output and all 5 gradient arrays agree to 1e-12"


@pytest.mark.torch
def test_torch_parity_catches_a_wrong_sign(monkeypatch):
    _torch()
    from lstmlib import torch_interop
    # the parity check is not vacuous: flip the z rows' sign in the gradient mapping and it fails
    orig = torch_interop.gru_grads_to_torch

    def wrong_layout(g):
        out = orig(g)
        H = g.hidden_size
        out["weight_hh_l0"][H:2 * H] *= -1
        return out

    monkeypatch.setattr(torch_interop, "gru_grads_to_torch", wrong_layout)
    report = ch04.gru_torch_parity()
    assert not report.passed and report.differences["weight_hh_l0"] > 1e-3
    assert "DISAGREE" in str(report)


def test_gru_torch_parity_without_torch(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    report = ch04.gru_torch_parity()
    assert report.skipped and not report.passed
    assert str(report) == "PyTorch parity: skipped (torch is not installed)"


# ---- the picture of the held gates -------------------------------------------------------------------------------
def test_gate_hold_picture_draws_the_run_it_is_given():
    lab = ch04.GateLab(steps=15)
    fig = plots.plot_gate_hold(lab, 0.4, 0.6)
    assert outside_pyplot(fig) and len(fig.axes) == 3
    run = lab.run(0.4, 0.6)
    ax_h, ax_j, ax_x = fig.axes
    for u in range(4):  # h_0 at t = 0, then h_1 .. h_T
        np.testing.assert_allclose(ax_h.lines[u].get_ydata(), np.concatenate([lab.h0[:, u], run.hs[:, 0, u]]))
        np.testing.assert_array_equal(ax_h.lines[u].get_xdata(), np.arange(16))
    np.testing.assert_allclose(ax_j.lines[0].get_ydata(), run.influence)
    np.testing.assert_allclose(ax_j.lines[1].get_ydata(), 0.6 ** np.arange(1, 16))
    assert ax_j.get_yscale() == "log"
    assert ax_h.get_title() == "z = 0.40, r = 0.60"
    assert ax_j.get_title() == f"what is left of h_0:  ‖∂h_T/∂h_0‖ = {run.influence[-1]:.2g}"
    # the input has its own axis, under the states and over the same time range
    np.testing.assert_allclose(bar_heights(ax_x.collections[0]), lab.X[:, 0, 0])
    np.testing.assert_allclose(bar_centres(ax_x.collections[0]), np.arange(1, 16))
    assert ax_x.get_xlim() == ax_h.get_xlim() and ax_x.get_position().y1 < ax_h.get_position().y0
    assert ax_h.get_ylim() == (-1.1, 1.1) and not ax_h.collections  # nothing squeezed in with the states
    lo, hi = ax_x.get_ylim()
    assert lo < lab.X.min() and hi > lab.X.max()
    assert [t.get_text() for t in ax_j.get_legend().get_texts()] == ["‖∂h_t/∂h_0‖", "(1 − z)^t, the direct path alone"]
    pic = plots.GateHoldPicture(Figure(), units=4, steps=15, h0=lab.h0)
    pic.update(lab.run(0.9, 0.1), lab.X[:, 0, 0])
    np.testing.assert_allclose(bar_heights(pic.inputs), lab.X[:, 0, 0])
    lo, hi = pic.ax_j.get_ylim()
    assert lo <= min(pic.influence.get_ydata().min(), pic.leak.get_ydata().min()) and hi >= 10


def test_gate_hold_picture_draws_zero_influence_without_warning():
    lab = ch04.GateLab(steps=15)
    assert np.all(lab.run(1.0, 0.0).influence == 0)
    png(plots.plot_gate_hold(lab, 1.0, 0.0))  # nothing of h_0 left: still drawn on the log axis


# ---- what the chapter's text says about the numbers it prints ---------------------------------------------------
def test_chapter04_claims():
    # the worked example of section 1, number by number
    x, q, h_prev = exercises.gru_hand_example()
    h, step = ll.gru_step_forward(x, q, h_prev)
    z, r = sigmoid(0.5 * 0.5 + 1 * 1), sigmoid(-1 * 0.5 + 0.5 * 1)
    cand = np.tanh(2 * (r * 0.5) + 1 * 1)
    assert step.z[0, 0] == pytest.approx(z) and step.r[0, 0] == pytest.approx(0.5)
    assert step.h_tilde[0, 0] == pytest.approx(cand) and h[0, 0] == pytest.approx((1 - z) * 0.5 + z * cand)
    # "same weights, different function, except when r = 1"
    gap = ch04.compare_gru_conventions(steps=20, seed=0)
    assert gap.learned_reset > 0.05 and gap.open_reset < 1e-12
    # "a GRU is three quarters of an LSTM" at D = 32, H = 128
    rows = _count_rows(32, 128)
    assert rows[("gru", False)].lstmlib / rows[("lstm", None)].lstmlib == 0.75
    # section 7's list, on the explorer's GRU
    lab = ch04.GateLab(steps=40, seed=0)
    t = np.arange(1, 41)
    leaky, reading = lab.run(0.2, 0.0), lab.run(0.2, 0.5)
    np.testing.assert_allclose(leaky.influence, 0.8 ** t, rtol=1e-12)  # "decays exactly like (1 - z)^t"
    assert reading.influence[-1] > 10 * 0.8 ** 40  # "r > 0: h_0 survives longer than (1 - z)^t"
    strong = lab.run(0.2, 1.0)
    assert strong.influence.max() > 1  # "with a large r its influence can even grow"
    # "z = 1, r = 1: a plain tanh RNN"
    rnn = lab.run(1.0, 1.0)
    p = ll.RNNParams(np.hstack([lab.params.W_ch, lab.params.W_cx]), lab.params.b_c.copy())
    hs, _ = ll.rnn_forward(lab.X, p, lab.h0)
    np.testing.assert_allclose(rnn.hs, hs, rtol=1e-12, atol=1e-14)
    # "z = 0: the GRU ignores every input, the pulse included"
    np.testing.assert_array_equal(lab.run(0.0, 0.7).hs, np.broadcast_to(lab.h0, (40, 1, 4)))
    # section 1: "keeps 1 - 0.7773 of its old value and moves most of the way towards 0.9051"
    assert abs(h[0, 0] - cand) < abs(h[0, 0] - 0.5)
    # section 3: the d2l column of the table, by computation
    parity = ch04.d2l_parity()
    assert parity.mapped < 1e-12 and parity.unnegated > 0.5
    # section 9: "with near-zero weights the measurement is the prediction; with the usual weights more
    # arrives; from b_z = 0 to -3 the share goes from 2.64e-11 to 9.92e-02; at -3 close to 9.25e-02"
    table = ch04.update_bias_table(biases=(1.0, 0.0, -1.0, -3.0), steps=50)
    rows = {r.update_bias: r for r in table.rows}
    assert all(r.measured_default > r.predicted for r in table.rows)
    assert f"{rows[0.0].measured_default:.2e}" == "2.64e-11" and f"{rows[-3.0].measured_default:.2e}" == "9.92e-02"
    assert f"{rows[-3.0].predicted:.2e}" == "9.25e-02" and f"{rows[-3.0].keep:.4f}" == "0.9526"
    assert rows[-3.0].measured_default < 1.1 * rows[-3.0].predicted  # "close to the prediction"
    assert rows[0.0].measured_default > 1e3 * rows[0.0].predicted  # but not at b_z = 0
    # "every path but the direct one carries z_t": with z held at 0 the direct path is exact
    assert np.allclose(lab.run(0.0, 0.5).influence, 1.0)


# ---- self-checks -------------------------------------------------------------------------------------------------
def test_gru_parameter_count():
    D, H = 10, 20
    right(exercises.check_gru_parameter_count(3 * H * (H + D) + 6 * H))
    right(exercises.check_gru_parameter_count(3 * H * (H + D) + 3 * H, convention="article"))
    wrong(exercises.check_gru_parameter_count(3 * H * (H + D) + 3 * H), "article")
    wrong(exercises.check_gru_parameter_count(3 * H * (H + D) + 6 * H, convention="article"), "PyTorch")
    wrong(exercises.check_gru_parameter_count(4 * H * (H + D) + 4 * H), "LSTM")
    wrong(exercises.check_gru_parameter_count(3 * H * (H + D)), "biases")
    wrong(exercises.check_gru_parameter_count(12), "count W_gh")
    # 1920.5 is not a count: said so, not mistaken for PyTorch's 1920 (issue 18)
    wrong(exercises.check_gru_parameter_count(1920.5), "whole number")
    right(exercises.check_gru_parameter_count(1920, convention="PyTorch"))  # the notebook's spelling
    wrong(exercises.check_gru_parameter_count(1, convention="keras"), "convention", "'keras'")


def test_torch_update_gate():
    right(exercises.check_torch_update_gate(0.7))
    right(exercises.check_torch_update_gate(0.9, z_article=0.1))
    wrong(exercises.check_torch_update_gate(0.3), "OLD")
    wrong(exercises.check_torch_update_gate(0.1), "compare")


def test_gru_hand_example_and_its_gradient():
    x, q, h_prev = exercises.gru_hand_example()
    assert x.shape == h_prev.shape == (1, 1) and not q.reset_after
    assert {n: float(getattr(q, n)[0, 0] if n.startswith("W") else getattr(q, n)[0]) for n in q.names} == \
        {n: v for n, v in exercises.GRU_HAND_EXAMPLE.items() if n not in ("x", "h_prev")}
    want = exercises.gru_hand_example_grad()
    # the value by hand, from the derived formulas (article convention, one unit)
    e = exercises.GRU_HAND_EXAMPLE
    h, xv = e["h_prev"], e["x"]
    z = 1 / (1 + np.exp(-(e["W_zh"] * h + e["W_zx"] * xv)))
    r = 1 / (1 + np.exp(-(e["W_rh"] * h + e["W_rx"] * xv)))
    n = np.tanh(e["W_ch"] * r * h + e["W_cx"] * xv)
    dn = z * (1 - n ** 2)
    by_hand = ((1 - z) + (n - h) * z * (1 - z) * e["W_zh"] + dn * e["W_ch"] * r
               + dn * e["W_ch"] * h * r * (1 - r) * e["W_rh"])
    assert want == pytest.approx(by_hand, rel=1e-12)
    # and by finite differences of one step
    up = ll.gru_step_forward(x, q, h_prev + EPS)[0][0, 0]
    down = ll.gru_step_forward(x, q, h_prev - EPS)[0][0, 0]
    assert want == pytest.approx((up - down) / (2 * EPS), rel=1e-8)
    other = dict(e, W_ch=-1.0)
    assert exercises.gru_hand_example_grad(other) != pytest.approx(want)  # the values are really used


def test_gru_step_gradient():
    want = exercises.gru_hand_example_grad()
    right(exercises.check_gru_step_gradient(round(want, 4)))
    z = float(sigmoid(np.float64(0.5 * 0.5 + 1.0 * 1.0)))
    wrong(exercises.check_gru_step_gradient(1 - z), "direct path")
    wrong(exercises.check_gru_step_gradient(want + 0.1), "four paths")


# ---- the GRU cell as a diagram ---------------------------------------------------------------------------------
def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("backward", [False, True])
def test_gru_cell_diagram(backward):
    from matplotlib.colors import to_hex
    from matplotlib.patches import Circle, FancyBboxPatch
    fig = plots.ch04.plot_gru_cell(backward=backward)
    assert outside_pyplot(fig) and len(fig.axes) == 1
    ax = fig.axes[0]
    texts = _texts(fig)
    for label in ("(G1) $z_t$", "(G2) $r_t$", r"(G3) $\tilde h_t$", "(G4)", r"$h_{t-1}$", "$x_t$"):
        assert label in texts, label
    # the three boxes in their colours: update gate, reset gate, candidate
    boxes = [to_hex(p.get_facecolor()) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    for colour in (plots.ch04.C_UPDATE, plots.ch04.C_RESET, plots.ch04.C_CANDIDATE):
        assert colour in boxes
    # five operations: 1 - z, the keep product, the reset product, the write product, the sum
    ops = sorted(t for t in texts if t in (r"$\times$", "+", "$1-$"))
    assert ops == ["$1-$", r"$\times$", r"$\times$", r"$\times$", "+"]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 5
    red = [a for a in ax.texts if a.get_color() == plots.ch04._C_BOUND]
    assert len(red) == (2 if backward else 0)
    if backward:
        assert any("(the direct path)" in a.get_text() for a in red)


# ---- the third convention: d2l ----------------------------------------------------------------------------------
def test_d2l_equations_one_unit_by_hand():
    # d2l writes Z = sigmoid(X W_xz + H W_hz + b_z), ..., H = Z * H + (1 - Z) * H~: one unit, by hand
    d = ch04.D2LGRU(*(np.array(v).reshape(s) for v, s in (
        (0.5, (1, 1)), (-1.0, (1, 1)), (0.2, (1,)), (1.0, (1, 1)), (0.5, (1, 1)), (0.0, (1,)),
        (2.0, (1, 1)), (1.5, (1, 1)), (-0.1, (1,)))))
    x, h = 0.7, 0.4
    Z = 1 / (1 + np.exp(-(x * 0.5 + h * -1.0 + 0.2)))
    R = 1 / (1 + np.exp(-(x * 1.0 + h * 0.5)))
    cand = np.tanh(x * 2.0 + (R * h) * 1.5 - 0.1)
    got = ch04.d2l_gru_forward(np.full((1, 1, 1), x), d, np.full((1, 1), h))
    assert got[0, 0, 0] == pytest.approx(Z * h + (1 - Z) * cand, rel=1e-14)
    # and lstmlib on the converted parameters computes the same step
    ours, _ = ll.gru_forward(np.full((1, 1, 1), x), ch04.gru_from_d2l(d), np.full((1, 1), h))
    assert ours[0, 0, 0] == pytest.approx(got[0, 0, 0], rel=1e-14)


def test_gru_from_d2l_transposes_and_negates_the_update_gate():
    d = ch04.D2LGRU.init(3, 5, 0)
    q = ch04.gru_from_d2l(d)
    assert not q.reset_after and (q.input_size, q.hidden_size) == (3, 5)
    np.testing.assert_array_equal(q.W_zx, -d.W_xz.T)
    np.testing.assert_array_equal(q.W_zh, -d.W_hz.T)
    np.testing.assert_array_equal(q.b_z, -d.b_z)
    np.testing.assert_array_equal(q.W_rh, d.W_hr.T)
    np.testing.assert_array_equal(q.W_cx, d.W_xh.T)
    np.testing.assert_array_equal(q.b_c, d.b_h)
    np.testing.assert_array_equal(ch04.gru_from_d2l(d, negate_update=False).W_zh, d.W_hz.T)


def test_d2l_parity():
    for seed in (0, 1, 2):
        report = ch04.d2l_parity(seed=seed)
        assert report.mapped < 1e-12 and report.unnegated > 0.1
    lines = str(ch04.d2l_parity()).splitlines()
    assert lines[1].endswith("max |h difference| < 1e-12")
    assert lines[2].endswith(f"= {ch04.d2l_parity().unnegated:.3f}")
    with pytest.raises(ValueError, match="X"):
        ch04.d2l_gru_forward(np.zeros((2, 1, 4)), ch04.D2LGRU.init(3, 5, 0))


# ---- the update gate's bias -------------------------------------------------------------------------------------
def test_update_bias_prediction():
    got = ch04.update_bias_prediction(np.array([0.0, -1.0, -3.0]), 50)
    np.testing.assert_allclose(got, (1 - sigmoid(np.array([0.0, -1.0, -3.0]))) ** 49, rtol=1e-12)
    # the GRU's b_z = -b_f keeps what the LSTM's forget gate keeps
    assert ch04.update_bias_prediction(-1.0, 50) == pytest.approx(sigmoid(1.0) ** 49, rel=1e-12)
    assert ch04.update_bias_prediction(40.0, 50) == 0.0  # an underflow, without a warning
    assert isinstance(ch04.update_bias_prediction(0.0, 3), float)
    with pytest.raises(ValueError, match="update_bias"):
        ch04.update_bias_prediction(np.inf, 3)
    with pytest.raises(ValueError, match="steps"):
        ch04.update_bias_prediction(0.0, 0)


def test_first_step_share_against_finite_differences():
    # ||dE/dh_1|| / ||dE/dh_T|| for E = sum(h_T): dE/dh_1 by moving h_1 and running steps 2..T again
    rng = np.random.default_rng(4)
    q = ch04.update_bias_gru(2, 3, rng, scale=2.0, update_bias=-0.5)
    X = rng.standard_normal((6, 1, 2))
    hs, _ = ll.gru_forward(X, q)
    num = np.zeros(3)
    for j in range(3):
        ends = []
        for eps in (EPS, -EPS):
            h1 = hs[0].copy()
            h1[0, j] += eps
            ends.append(ll.gru_forward(X[1:], q, h1)[0][-1].sum())
        num[j] = (ends[0] - ends[1]) / (2 * EPS)
    assert ch04.first_step_share(X, q) == pytest.approx(np.linalg.norm(num) / np.sqrt(3), rel=1e-6)


def test_update_bias_gru():
    q = ch04.update_bias_gru(3, 4, 0, scale=0.5, update_bias=-2.0)
    assert not q.reset_after and q.b_z.tolist() == [-2.0] * 4 and not q.b_r.any() and not q.b_c.any()
    assert np.abs(q.weights).max() <= 0.5 / 2 and np.abs(q.weights).max() > 0.1


def test_update_bias_table():
    table = ch04.update_bias_table(biases=(1.0, 0.0, -1.0, -3.0), steps=50)
    for row in table.rows:
        assert row.predicted == ch04.update_bias_prediction(row.update_bias, 50)
        assert row.measured_small == pytest.approx(row.predicted, rel=0.05)  # near-zero weights: the prediction
        assert row.measured_default > row.predicted  # the usual weights: more arrives
        assert row.keep == pytest.approx(1 - sigmoid(row.update_bias))
    # the measurement is first_step_share of the documented GRU
    gen = np.random.default_rng(0)
    q = ch04.update_bias_gru(4, 16, gen, update_bias=-3.0)
    assert table.rows[3].measured_default == pytest.approx(
        ch04.first_step_share(gen.standard_normal((50, 1, 4)), q), rel=1e-12)
    lines = str(table).splitlines()
    assert lines[0] == "||dE/dh_1|| / ||dE/dh_T|| of a GRU for T = 50" and len(lines) == 3 + 4
    r = table.rows[1]
    assert lines[4].split() == ["0", "0.5000", f"{r.predicted:.2e}", f"{r.measured_small:.2e}",
                                f"{r.measured_default:.2e}"]


def test_update_bias_picture():
    table = ch04.update_bias_table(biases=(0.0, -2.0), steps=10)
    fig = plots.ch04.plot_update_bias_decay(table)
    ax = fig.axes[0]
    curve, small, usual = ax.lines[:3]
    np.testing.assert_allclose(curve.get_ydata(), ch04.update_bias_prediction(curve.get_xdata(), 10))
    np.testing.assert_allclose(small.get_ydata(), [r.measured_small for r in table.rows])
    np.testing.assert_allclose(usual.get_ydata(), [r.measured_default for r in table.rows])
    assert ax.get_yscale() == "log"


# ---- equal width or equal parameter count -----------------------------------------------------------------------
def test_matching_hidden_sizes():
    D, K = 2, 1
    for model in ("rnn", "gru", "lstm"):
        for target in (500, 1233, 4480):
            H = ch04.matching_hidden_size(model, D, target, K)
            here = abs(ch04.model_parameter_count(model, D, H, K) - target)
            assert all(here <= abs(ch04.model_parameter_count(model, D, h, K) - target)
                       for h in range(1, 200) if h != H)  # no hidden size comes closer
    assert ch04.model_parameter_count("gru", 2, 16, 1) == 3 * 16 * 18 + 3 * 16 + 16 + 1
    assert ch04.model_parameter_count("lstm", 2, 32) == 4480
    with pytest.raises(ValueError, match="model"):
        ch04.model_parameter_count("Transformer", 2, 3)
    with pytest.raises(ValueError, match="output_size"):
        ch04.model_parameter_count("gru", 2, 3, -1)


def test_equal_size_table_is_chapter06s_comparison():
    # the prose: "chapter 06 gives the LSTM 16 units and sizes the RNN and the GRU to about the LSTM's
    # number of parameters, output layer included" -- the same numbers as chapter 06's own code
    from lstmlib.course import ch06
    sizes = ch06.matched_sizes("adding", 16)
    lines = ch04.equal_size_table(input_size=2, hidden_size=16, output_size=1).splitlines()
    rows = {ln.split()[0]: [int(v) for v in ln.split()[1:]] for ln in lines[3:]}
    for model in ("RNN", "GRU", "LSTM"):
        kind = model.lower()
        at16, H, there = rows[model]
        assert H == sizes[kind]
        assert there == ch06.parameter_count(kind, "adding", H)
        assert at16 == ch06.parameter_count(kind, "adding", 16)
    assert rows["GRU"][0] == 929 and rows["LSTM"][0] == 1233 and rows["RNN"][0] == 321
    assert (rows["GRU"][1], rows["RNN"][1]) == (19, 33)
    assert 1.3 < 1233 / 929 < 1.37  # "a third more parameters than the GRU"


def test_update_gate_bias_exercise():
    right(exercises.ch04.check_update_gate_bias(-1.0))
    right(exercises.ch04.check_update_gate_bias(1.0, convention="pytorch"))
    right(exercises.ch04.check_update_gate_bias(-2.5, forget_bias=2.5))
    wrong(exercises.ch04.check_update_gate_bias(1.0), "PyTorch's convention")
    wrong(exercises.ch04.check_update_gate_bias(-1.0, convention="pytorch"), "article's convention")
    wrong(exercises.ch04.check_update_gate_bias(0.3), "1 - sigmoid(b_z)")
    wrong(exercises.ch04.check_update_gate_bias("minus one"), "number")
    right(exercises.ch04.check_update_gate_bias(1.0, convention="PyTorch"))  # any case
    wrong(exercises.ch04.check_update_gate_bias(1.0, convention="keras"), "convention", "'keras'")
    # the answer is right because the two keep the same share per step, measured through each
    # model's own step backward with every weight zero (ch05.direct_path_factor)
    from lstmlib.course import ch05
    lstm, gru = ll.LSTMParams.init(2, 3, 0, forget_bias=1.0), ll.GRUParams.init(2, 3, 0)
    gru.bias[...] = 0.0
    gru.b_z[...] = -1.0
    assert ch05.direct_path_factor(gru) == pytest.approx(ch05.direct_path_factor(lstm), rel=1e-12)


def test_gate_hold_explorer_redraws_while_dragged_and_shows_the_update_rule():
    from lstmlib.course import widgets
    ex = widgets.gate_hold_explorer(steps=20)
    assert ex.controls["z"].continuous_update and ex.controls["r"].continuous_update
    assert ex.values() == {"z": 0.5, "r": 0.5}
    assert "h_t = (1 − z)·h_(t−1) + z·h̃_t" in ex.children[0].value  # the rule, in the explorer's heading
    before = ex.image.value
    ex.controls["z"].value = 0.25
    assert ex.fig.axes[0].get_title() == "z = 0.25, r = 0.50" and ex.image.value != before
    assert len(ex.timings) == 2  # the first drawing and the one redraw


# ---- every picture of the chapter, as a reader would look at it ---------------------------------------------
PICTURES = {
    "the GRU cell": lambda: plots.ch04.plot_gru_cell(),
    "the GRU cell with the error signals": lambda: plots.ch04.plot_gru_cell(backward=True),
    "gates held, z = 0.2, r = 0.5": lambda: plots.plot_gate_hold(ch04.GateLab(steps=40), 0.2, 0.5),
    "gates held, nothing of h_0 left": lambda: plots.plot_gate_hold(ch04.GateLab(steps=15), 1.0, 0.0),
    "update-gate bias": lambda: plots.ch04.plot_update_bias_decay(ch04.update_bias_table(steps=50)),
}


@pytest.mark.parametrize("name", list(PICTURES))
def test_every_picture_of_chapter04_is_sound(name):
    check_picture(PICTURES, name)


def test_the_gru_backward_diagram_ends_both_red_paths_at_h_prev():
    # issue 15: the lower "through the gates" path floated; both red paths now end in an arrow
    # that points at the h_(t-1) wire, left of where it branches down to the gates
    from matplotlib.text import Annotation
    ax = plots.ch04.plot_gru_cell(backward=True).axes[0]
    red = [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
           and a.arrow_patch.get_edgecolor()[:3] == (0.8392156862745098, 0.15294117647058825, 0.1568627450980392)]
    top = 6.6  # the state's wire
    assert len(red) == 2
    for a in red:
        assert a.xy[0] < 1.3 and abs(a.xy[1] - top) < 0.1  # the head touches h_(t-1), before its branch
