"""Chapter 01, the plain RNN's vanishing gradients: the error terms, the article's bound, the
per-step weight-gradient contributions, the spectral helpers, the pictures that draw them, the
claims the chapter's text makes about its printed numbers, and the chapter's self-checks."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.colors import to_rgb
from test_course_support import (
    assert_clean_texts,
    assert_legend_lists_the_labels,
    bar_centres,
    bar_heights,
    outside_pyplot,
    png,
    raw_tex,
    right,
    wrong,
)

import lstmlib as ll
from lstmlib import fused
from lstmlib.activations import ACTIVATIONS
from lstmlib.course import ch01, exercises, plots, widgets


def _rnn(D, H, rng, activation="tanh"):
    return ll.RNNParams.init(D, H, rng, activation=activation)


def _loss_with_net_offset(X, p, h0, dh_last, k, offset):
    """E = sum(dh_last * h_T) for the RNN ``p`` whose weighted input at step k (0-based) gets
    ``offset`` added: a forward pass written out here, independent of the library's, so that
    finite differences of it give dE/dnet_k."""
    f, _ = ACTIVATIONS[p.activation]
    h = h0
    for t in range(X.shape[0]):
        net = X[t] @ p.U.T + h @ p.W.T + p.b
        if t == k:
            net = net + offset
        h = f(net)
    return float(np.sum(dh_last * h))


# ---- the error terms, against finite differences ------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deltas_equal_finite_differences_of_the_weighted_input(activation):
    rng = np.random.default_rng(7)
    T, B, D, H = 5, 2, 3, 4
    p = _rnn(D, H, rng, activation)
    p.W[...] *= 2.0  # not trivially small
    X = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dh_last = rng.standard_normal((B, H))
    flow = ch01.rnn_gradient_flow(X, p, h0, dh_last)
    assert flow.activation == activation  # read from the parameters, no keyword needed
    eps = 1e-6
    for k in range(T):
        numeric = np.zeros((B, H))
        for idx in np.ndindex(B, H):
            e = np.zeros((B, H))
            e[idx] = eps
            up = _loss_with_net_offset(X, p, h0, dh_last, k, e)
            down = _loss_with_net_offset(X, p, h0, dh_last, k, -e)
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(flow.deltas[k], numeric, rtol=1e-6, atol=1e-9)
        assert flow.delta_norms[k] == pytest.approx(np.linalg.norm(numeric), rel=1e-6, abs=1e-9)


def test_deltas_are_the_backward_passes_state_gradients_times_the_slope():
    # delta_k = dE/dh_k * f'(net_k), with dE/dh_k what rnn_backward records at step k
    rng = np.random.default_rng(4)
    p = _rnn(2, 3, rng, "sigmoid")
    X, h0 = rng.standard_normal((6, 2, 2)), rng.standard_normal((2, 3))
    dhs = np.zeros((6, 2, 3))
    dhs[-1] = rng.standard_normal((2, 3))
    flow = ch01.rnn_gradient_flow(X, p, h0, dhs[-1])
    hs, cache = fused.rnn_forward(X, p, h0)
    g = fused.rnn_backward(dhs, cache, state_grads=True)  # the fast pass: an independent implementation
    np.testing.assert_allclose(flow.deltas, g.dh * hs * (1 - hs), rtol=1e-12, atol=1e-15)
    # one step before the first: what reaches h_0 is delta_1 through W
    np.testing.assert_allclose(g.dh0, flow.deltas[0] @ p.W, rtol=1e-12, atol=1e-15)


@given(T=st.integers(1, 40), B=st.integers(1, 3), D=st.integers(1, 4), H=st.integers(1, 8),
       scale=st.floats(0.05, 6.0), x_scale=st.floats(0.0, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid", "relu"]), seed=st.integers(0, 2**31 - 1))
def test_the_articles_bound_holds_at_every_step(T, B, D, H, scale, x_scale, activation, seed):
    rng = np.random.default_rng(seed)
    p = _rnn(D, H, rng, activation)
    p.W[...] = rng.standard_normal((H, H)) * scale / np.sqrt(H)
    X = x_scale * rng.standard_normal((T, B, D))
    flow = ch01.rnn_gradient_flow(X, p, rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    assert flow.beta_W == pytest.approx(np.linalg.svd(p.W, compute_uv=False)[0])
    assert flow.beta_f == {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}[activation]
    assert flow.bound[-1] == pytest.approx(flow.delta_norms[-1])
    distance = np.arange(T - 1, -1, -1)
    np.testing.assert_allclose(flow.bound, flow.delta_norms[-1] * (flow.beta_f * flow.beta_W) ** distance,
                               rtol=1e-12)
    for k in range(T):  # k is 0-based here: t - k steps back is T - 1 - k
        assert flow.delta_norms[k] <= flow.bound[k] * (1 + 1e-12) + 1e-300, k
    assert flow.bound_holds()


def test_the_bound_is_not_vacuous():
    # with beta_f understated the bound is violated, and bound_holds says so
    exp = ch01.radius_experiment(max_steps=30)
    flow = exp.flow(1.0, "tanh", 30)
    too_small = flow.delta_norms[-1] * (0.5 * flow.beta_W) ** np.arange(29, -1, -1)
    assert np.any(flow.delta_norms > too_small)
    assert not dataclasses.replace(flow, bound=too_small).bound_holds()


# ---- per-step contributions --------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_contributions_sum_to_the_sequence_gradient_and_have_the_articles_form(activation):
    rng = np.random.default_rng(3)
    T, B, D, H = 7, 3, 2, 5
    p = _rnn(D, H, rng, activation)
    X, h0, dh_last = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    flow = ch01.rnn_gradient_flow(X, p, h0, dh_last)
    dhs = np.zeros((T, B, H))
    dhs[-1] = dh_last
    for forward, backward in ((ll.rnn_forward, ll.rnn_backward), (fused.rnn_forward, fused.rnn_backward)):
        hs, cache = forward(X, p, h0)
        g = backward(dhs, cache)
        np.testing.assert_allclose(flow.contributions.sum(axis=0), g.W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(flow.grad_W, g.W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(flow.deltas.sum(axis=(0, 1)), g.b, rtol=1e-12, atol=1e-14)
    h_prev = np.concatenate([h0[None], hs[:-1]])
    for k in range(T):  # grad_{W_k} E = sum over the batch of delta_k h_{k-1}^T
        np.testing.assert_allclose(flow.contributions[k], flow.deltas[k].T @ h_prev[k], rtol=1e-12)
    np.testing.assert_allclose(flow.contribution_norms, [np.linalg.norm(c) for c in flow.contributions])


def test_step_one_contributes_nothing_from_a_zero_state():
    # h_0 = 0: the first step's share delta_1 h_0^T is exactly zero, not small
    rng = np.random.default_rng(5)
    p = _rnn(2, 3, rng)
    flow = ch01.rnn_gradient_flow(rng.standard_normal((4, 1, 2)), p)
    assert not flow.contributions[0].any() and flow.contributions[1:].any()


def test_default_loss_is_the_sum_of_the_last_state():
    rng = np.random.default_rng(0)
    p = _rnn(2, 3, rng)
    X = rng.standard_normal((4, 1, 2))
    a = ch01.rnn_gradient_flow(X, p)
    b = ch01.rnn_gradient_flow(X, p, dh_last=np.ones((1, 3)))
    np.testing.assert_array_equal(a.deltas, b.deltas)
    assert a.steps == 4
    assert a.gain == pytest.approx(a.delta_norms[0] / a.delta_norms[-1])


def test_early_share_and_the_decay_table():
    exp = ch01.radius_experiment(max_steps=30)
    flow = exp.flow(0.5, "tanh", 30)
    assert flow.early_share(30) == 0.0
    assert flow.early_share(3) == pytest.approx(
        np.linalg.norm(flow.contributions[:-3].sum(0)) / np.linalg.norm(flow.grad_W))
    assert flow.early_share(10) < 1e-3  # at rho = 0.5, steps more than 10 back add almost nothing
    assert exp.flow(3.0, "tanh", 30).early_share(10) > 0.5  # exploding: early steps dominate
    with pytest.raises(ValueError, match="n"):
        flow.early_share(0)
    lines = ch01.decay_table(exp, radii=(0.5, 3.0), steps=30, early=10).splitlines()
    assert lines[0].startswith("T = 30:")
    rows = lines[3:]
    assert [r.split()[:2] for r in rows] == [["tanh", "0.50"], ["tanh", "3.00"], ["sigmoid", "0.50"],
                                             ["sigmoid", "3.00"]]
    for row, (act, rho) in zip(rows, [("tanh", 0.5), ("tanh", 3.0), ("sigmoid", 0.5), ("sigmoid", 3.0)]):
        f = exp.flow(rho, act, 30)
        factor = f.beta_f * f.beta_W
        assert row.split()[2:] == [f"{factor:.3g}", f"{factor ** 29:.2g}", f"{f.gain:.2g}", f"{f.early_share(10):.2g}"]


def test_step_norms_are_one_norm_per_time_step():
    a = np.arange(12.0).reshape(3, 2, 2)
    np.testing.assert_allclose(ch01.step_norms(a), [np.linalg.norm(a[t]) for t in range(3)])
    np.testing.assert_allclose(ch01.step_norms(np.array([[3.0, 4.0]])), [5.0])  # B = 1: the Euclidean norm


# ---- spectral helpers ------------------------------------------------------------------------------------
def test_spectral_helpers():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    assert ch01.spectral_norm(A) == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])
    assert ch01.spectral_radius(A) == pytest.approx(np.abs(np.linalg.eigvals(A)).max())
    assert ch01.spectral_radius(A) < ch01.spectral_norm(A)  # a random matrix is not normal
    for target in (0.0, 0.5, 1.0, 2.5):
        assert ch01.spectral_radius(ch01.rescale_matrix(A, spectral_radius=target)) == pytest.approx(target, abs=1e-12)
        assert ch01.spectral_norm(ch01.rescale_matrix(A, spectral_norm=target)) == pytest.approx(target, abs=1e-12)
    B = ch01.rescale_matrix(A, spectral_norm=2.0)
    np.testing.assert_allclose(B / np.linalg.norm(B), A / np.linalg.norm(A))  # same direction
    assert ch01.rescale_matrix(A.astype(np.float32), spectral_norm=1.0).dtype == np.float32
    assert ch01.rescale_matrix(np.eye(3, dtype=int), spectral_norm=2.0).dtype == np.float64
    Q = ch01.orthogonal_matrix(5, rng)
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-12)
    assert ch01.spectral_radius(Q) == pytest.approx(1.0) and ch01.spectral_norm(Q) == pytest.approx(1.0)
    r = ch01.rnn_with_radius(3, 5, 1.7, rng)
    assert ch01.spectral_radius(r.W) == pytest.approx(1.7) and ch01.spectral_norm(r.W) == pytest.approx(1.7)


@pytest.mark.parametrize("call, match", [
    (lambda A: ch01.rescale_matrix(A), "exactly one"),
    (lambda A: ch01.rescale_matrix(A, spectral_radius=1.0, spectral_norm=1.0), "exactly one"),
    (lambda A: ch01.rescale_matrix(A, spectral_norm=-1.0), "spectral_norm"),
    (lambda A: ch01.rescale_matrix(np.zeros((3, 3)), spectral_radius=1.0), "W"),
    (lambda A: ch01.spectral_norm(np.ones((2, 3))), "square"),
    (lambda A: ch01.spectral_radius(np.full((2, 2), np.nan)), "finite"),
    (lambda A: ch01.spectral_norm(np.array([["a"]])), "numeric"),
    (lambda A: ch01.rnn_with_radius(2, 3, -1.0, 0), "radius"),
    (lambda A: ch01.orthogonal_matrix(0, 0), "size"),
])
def test_helpers_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.eye(3))


def test_flow_rejects_bad_input():
    rng = np.random.default_rng(0)
    p = _rnn(2, 3, rng)
    X = rng.standard_normal((4, 1, 2))
    with pytest.raises(ValueError, match="dh_last"):
        ch01.rnn_gradient_flow(X, p, dh_last=np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        ch01.rnn_gradient_flow(X[:, :, :1], p)
    with pytest.raises(ValueError, match="h0"):
        ch01.rnn_gradient_flow(X, p, np.zeros((1, 4)))
    exp = ch01.radius_experiment(max_steps=10)
    with pytest.raises(ValueError, match="activation"):
        exp.flow(1.0, "softsign")
    with pytest.raises(ValueError, match="steps"):
        exp.flow(1.0, "tanh", 11)
    with pytest.raises(ValueError, match="radius"):
        exp.flow(-0.5)


def test_radius_experiment_varies_only_the_radius():
    exp = ch01.radius_experiment(max_steps=20, seed=3)
    assert ch01.spectral_radius(exp.params.W) == pytest.approx(1.0)
    assert exp.X.shape == (20, 1, 4) and exp.max_steps == 20
    a, b = exp.flow(0.5, "tanh", 20), exp.flow(2.0, "tanh", 20)
    assert a.beta_W == pytest.approx(0.5) and b.beta_W == pytest.approx(2.0)
    assert exp.params.activation == "tanh" and ch01.spectral_norm(exp.params.W) == pytest.approx(1.0)  # untouched
    # a shorter sequence is a prefix of the same inputs
    short = exp.flow(0.8, "sigmoid", 7)
    p = exp.params.copy()
    p.W[...] *= 0.8
    ref = ch01.rnn_gradient_flow(exp.X[:7], ll.RNNParams(p.weights, p.bias, "sigmoid"))
    np.testing.assert_array_equal(short.deltas, ref.deltas)
    assert short.activation == "sigmoid" and short.beta_f == 0.25
    # the message of chapter 01, measured: small radius vanishes, large explodes
    assert exp.flow(0.5, "tanh", 20).gain < 1e-4
    assert exp.flow(3.0, "tanh", 20).gain > 10
    assert exp.flow(3.0, "sigmoid", 20).gain < 1e-3  # beta_f = 1/4 drags sigmoid down


# ---- pictures ------------------------------------------------------------------------------------------------
def test_rnn_flow_picture_draws_exactly_the_flow_it_is_given():
    exp = ch01.radius_experiment(max_steps=40)
    fig = plots.plot_rnn_flow(exp.flow(1.2, "tanh", 25))
    assert outside_pyplot(fig) and len(fig.axes) == 2
    pic = plots.RNNFlowPicture(Figure(), max_steps=40)
    for rho, act, T in ((1.2, "tanh", 25), (0.5, "sigmoid", 40), (3.0, "tanh", 3)):  # redraws replace all
        flow = exp.flow(rho, act, T)
        pic.update(flow)
        k = np.arange(1, T + 1)
        np.testing.assert_array_equal(pic.measured.get_xdata(), k)
        np.testing.assert_array_equal(pic.measured.get_ydata(), flow.delta_norms)
        np.testing.assert_array_equal(pic.bound.get_ydata(), flow.bound)
        np.testing.assert_allclose(bar_heights(pic.bars), flow.contribution_norms)
        np.testing.assert_allclose(bar_centres(pic.bars), k)
        assert pic.sum_bar.get_height() == pytest.approx(np.linalg.norm(flow.grad_W))
        assert pic.sum_bar.get_x() + pic.sum_bar.get_width() / 2 == pytest.approx(T + 1.5)
        lo, hi = pic.ax_n.get_ylim()
        assert lo <= flow.delta_norms.min() and hi >= max(flow.delta_norms.max(), flow.bound.max())
        assert pic.ax_c.get_ylim()[1] >= max(flow.contribution_norms.max(), np.linalg.norm(flow.grad_W))
        assert pic.ax_n.get_title() == f"β_f = {flow.beta_f:g},  β_W = {flow.beta_W:.2f}"
    assert pic.ax_n.get_yscale() == "log" and pic.ax_c.get_yscale() == "linear"
    pic.update(flow, title="my title")
    assert pic.ax_n.get_title() == "my title"
    for ax in fig.axes:
        assert_legend_lists_the_labels(ax)
    assert fig.axes[0].get_legend().get_texts()[0].get_text().startswith("measured")
    assert_clean_texts(fig)
    png(fig)
    with pytest.raises(ValueError, match="steps"):
        pic.update(ch01.radius_experiment(max_steps=50).flow(1.0, "tanh", 50))


def test_rnn_flow_picture_renders_an_exploding_flow():
    # rho = 5 over the explorer's longest sequence: a bound near 1e69 on a log axis, no warning
    png(plots.plot_rnn_flow(ch01.radius_experiment(max_steps=100).flow(5.0, "tanh", 100)))


def test_error_norms_by_radius_draws_one_normalised_curve_per_radius():
    exp = ch01.radius_experiment(max_steps=30)
    radii = (0.5, 1.0, 3.0)
    fig = plots.plot_error_norms_by_radius(exp, radii=radii, activation="sigmoid", steps=30)
    assert outside_pyplot(fig) and len(fig.axes) == 1
    ax = fig.axes[0]
    curves = [ln for ln in ax.lines if ln.get_label().startswith("$")]
    assert len(curves) == len(radii)
    for ln, rho in zip(curves, radii):
        flow = exp.flow(rho, "sigmoid", 30)
        np.testing.assert_allclose(ln.get_ydata(), flow.delta_norms / flow.delta_norms[-1])
        assert ln.get_ydata()[-1] == 1.0 and ln.get_label() == rf"$\rho$ = {rho:g}"
    # the dotted guide at 1 is in the legend too
    (guide,) = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert list(guide.get_ydata()) == [1.0, 1.0] and not guide.get_label().startswith("_")
    assert ax.get_yscale() == "log" and "sigmoid" in ax.get_title() and "T = 30" in ax.get_xlabel()
    assert "rho" not in raw_tex(ax.get_title()) and r"\rho" in ax.get_title()  # ρ, not "rho"
    assert_legend_lists_the_labels(ax)
    assert_clean_texts(fig)
    png(fig)
    _assert_integer_time_ticks(ax)
    _assert_legend_outside(fig, ax)


def _relative_luminance(colour) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_radius_colours_are_dark_distinct_and_say_vanish_or_explode():
    radii = (0.5, 0.9, 1.0, 1.5, 3.0)
    colours = plots.ch01.radius_colours(radii)
    assert len(set(colours)) == len(radii)
    for c in colours:
        assert _relative_luminance(c) < 0.62, c  # readable on white (viridis' yellow was about 0.9)
    r, g, b = zip(*(to_rgb(c) for c in colours))
    assert b[0] > r[0] and b[1] > r[1]  # below 1: blue
    assert r[3] > b[3] and r[4] > b[4]  # above 1: red
    assert r[2] == g[2] == b[2]  # exactly 1: grey-black
    # every pair differs visibly
    for i in range(len(colours)):
        for j in range(i + 1, len(colours)):
            assert np.abs(np.subtract(to_rgb(colours[i]), to_rgb(colours[j]))).sum() > 0.25, (i, j)


def _assert_integer_time_ticks(ax) -> None:
    locs = [v for v in ax.get_xticks() if ax.get_xlim()[0] <= v <= ax.get_xlim()[1]]
    assert locs and all(float(v).is_integer() for v in locs), locs


def _assert_legend_outside(fig, ax) -> None:
    """The legend does not overlap the axes' data area."""
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    area = ax.get_window_extent()
    overlap_x = min(legend.x1, area.x1) - max(legend.x0, area.x0)
    overlap_y = min(legend.y1, area.y1) - max(legend.y0, area.y0)
    assert overlap_x <= 0 or overlap_y <= 0, (legend, area)


def test_rnn_flow_picture_has_whole_time_steps_and_keeps_its_legend_off_the_data():
    exp = ch01.radius_experiment(max_steps=40)
    for rho, T in ((0.9, 30), (3.0, 40), (1.0, 2)):  # exploding curves sit where a legend inside would be
        fig = plots.plot_rnn_flow(exp.flow(rho, "tanh", T))
        ax_n, ax_c = fig.axes
        _assert_legend_outside(fig, ax_n)
        for ax in (ax_n, ax_c):
            _assert_integer_time_ticks(ax)
        # no time-step number under the sum's bar, which is not a time step
        labels = [t.get_text() for t in ax_c.get_xticklabels() if t.get_text()]
        assert all(1 <= int(x) <= T for x in labels), labels
        assert not ax_c.yaxis.get_offset_text().get_text()  # no "1e11" above the axes, into the title
        png(fig)


# ---- the unrolled RNN ----------------------------------------------------------------------------------------
def test_unrolled_rnn_names_every_quantity_of_the_forward_and_the_backward_pass():
    fig = plots.ch01.plot_unrolled_rnn()
    assert outside_pyplot(fig)
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    joined = " ".join(texts)
    for k, braced in (("1", "{1}"), ("2", "{2}"), ("{T-1}", "{T-1}"), ("T", "{T}")):
        assert rf"$\mathrm{{net}}_{k}$" in texts, k  # the weighted input of the step
        assert rf"$h_{k}$" in texts, k  # its state
        assert rf"$x_{braced}$" in texts, k  # its input
        assert rf"$\delta_{braced}$" in texts, k  # its error term, on the way back
        assert rf"$\partial E/\partial h_{braced}$" in texts, k
    assert "loss $E$" in texts and r"$h_0$" in texts
    # each step back: one slope and one W^T, on the backward path; the recursion spelled out below
    assert texts.count(r"$\odot f'$") == 4 and texts.count("$W^T$") == 3
    assert r"\delta_{k-1} = \mathrm{diag}[f'(\mathrm{net}_{k-1})]\,W^T\delta_k" in joined
    assert r"\delta_T = f'(\mathrm{net}_T)\odot\partial E/\partial h_T" in joined
    # forward solid, forward left out dotted, backward dashed: every line style in the legend
    styles = {a.arrow_patch.get_linestyle() for a in ax.texts if getattr(a, "arrow_patch", None)}
    assert len(styles) == 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["forward pass", "forward, steps 3..T-2 left out", "backward (BPTT): the error"]
    backward = [a for a in ax.texts if getattr(a, "arrow_patch", None) and a.arrow_patch.get_edgecolor()[0] > 0.7]
    assert len(backward) == 10  # E -> h_T -> net_T -> ... -> h_0: one arrow per link of the chain
    png(fig)


# ---- the product of the article's formula ------------------------------------------------------------------
@given(T=st.integers(2, 9), B=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(2, 5),
       activation=st.sampled_from(["tanh", "sigmoid"]), seed=st.integers(0, 2**31 - 1))
def test_the_chain_rules_product_is_delta_and_the_articles_is_not(T, B, D, H, activation, seed):
    rng = np.random.default_rng(seed)
    p = _rnn(D, H, rng, activation)
    p.W[...] = rng.standard_normal((H, H)) / np.sqrt(H)
    X = rng.standard_normal((T, B, D))
    check = ch01.product_order_check(X, p, rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    assert check.steps == T and check.correct.shape == (T - 1,)
    assert np.all(check.correct < 1e-10)  # W D_(t-1) ... W D_k is delta_k
    assert np.all(check.state_form < 1e-10)  # D_t W ... D_(k+1) W carries dE/dh_t to dE/dh_k
    # the article's order is wrong already one step back, unless the matrices happen to commute
    assert check.descending[-1] == pytest.approx(check.ascending[-1])  # one factor: both readings agree
    assert check.descending[-1] > 1e-6


def test_product_order_check_by_hand_for_two_steps():
    # T = 2: delta_1 = delta_2 W D_1, the article's D_1 W differs; written out with explicit matrices
    rng = np.random.default_rng(5)
    p = _rnn(2, 3, rng)
    X = rng.standard_normal((2, 1, 2))
    hs, _ = ll.rnn_forward(X, p)
    D1, D2 = np.diag(1 - hs[0, 0] ** 2), np.diag(1 - hs[1, 0] ** 2)
    delta2 = np.ones(3) @ D2
    delta1 = ch01.rnn_gradient_flow(X, p).deltas[0, 0]
    np.testing.assert_allclose(delta2 @ p.W @ D1, delta1, rtol=1e-12)
    article = delta2 @ D1 @ p.W
    check = ch01.product_order_check(X, p)
    assert check.descending[0] == pytest.approx(np.linalg.norm(article - delta1) / np.linalg.norm(delta1))


def test_product_order_check_table_and_bad_input():
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(input_size=2, hidden_size=3, rng=rng)
    X = rng.standard_normal((4, 1, 2))
    check = ch01.product_order_check(X, r)
    lines = check.table().splitlines()
    assert lines[0].startswith("t = T = 4")
    rows = lines[4:7]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    for k, row in enumerate(rows, start=1):
        assert row.split()[1:3] == ["<", "1e-12"]
        assert row.split()[3:] == [f"{check.descending[k - 1]:.2g}", f"{check.ascending[k - 1]:.2g}"]
    assert lines[-1].endswith("< 1e-12")
    with pytest.raises(ValueError, match="X"):
        ch01.product_order_check(X[:1], r)


# ---- how far back the gradient reaches: the article's figure tested -----------------------------------------
@pytest.fixture(scope="module")
def study():
    return ch01.early_steps_study(radii=(0.5, 0.9, 1.0), activations=("tanh", "sigmoid"), steps=50,
                                  seeds=range(20))


def test_early_steps_study_holds_the_flows_early_shares(study):
    assert study.settings == (("tanh", 0.5), ("tanh", 0.9), ("tanh", 1.0), ("sigmoid", 0.5), ("sigmoid", 0.9),
                              ("sigmoid", 1.0))
    assert study.shares.shape == (6, 20, 49)
    for j, s in ((1, 0), (4, 7)):
        act, rho = study.settings[j]
        flow = ch01.radius_experiment(seed=s, max_steps=50).flow(rho, act, 50)
        for n in (1, 3, 10, 49):
            assert study.share(n)[j, s] == flow.early_share(n)
    np.testing.assert_array_equal(study.median_share(3), np.median(study.share(3), axis=1))
    with pytest.raises(ValueError, match="n"):
        study.share(50)
    with pytest.raises(ValueError, match="steps"):
        ch01.early_steps_study(steps=1)
    with pytest.raises(ValueError, match="seeds"):
        ch01.early_steps_study(seeds=())


def test_horizon_is_where_the_share_stays_below_the_threshold():
    shares = np.array([[[0.9, 0.5, 0.005, 0.02, 0.001, 0.0005],  # dips below, comes back: horizon 5
                        [0.009, 0.001, 0.0, 0.0, 0.0, 0.0],  # below from n = 1 on
                        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]]])  # never below: T
    s = ch01.EarlyStepsStudy((("tanh", 1.0),), (0, 1, 2), 7, shares)
    assert s.horizon(0.01).tolist() == [[5, 1, 7]]


def test_chapter01_what_the_article_figure_gets_right_and_where_it_overstates(study):
    # the prose of section 4, checked on the numbers it quotes
    near, hor = study.median_share(3), np.median(study.horizon(0.01), axis=1)
    sigmoid = slice(3, 6)
    # sigmoid: from t-3 back about 1% (at most 1/64 rho^3 per the slope bound), horizon 3 or 4
    assert np.all(near[sigmoid] < 0.016) and set(hor[sigmoid]) <= {3, 4}
    for j, rho in zip(range(3, 6), (0.5, 0.9, 1.0)):
        assert np.all(study.share(3)[j] <= (rho / 4) ** 3 * 1.5)
    # tanh: far more, rising with rho; the horizon is well beyond three steps
    assert near[1] > 0.3 and near[2] > 0.4 and near[0] < near[1] < near[2]
    assert hor[0] > 3 and hor[1] > 10 and hor[2] > hor[1]
    # the shape holds everywhere: the horizon is reached long before 50 steps
    assert np.all(hor < 30)
    assert np.all(np.diff(np.median(study.shares, axis=1), axis=1)[:, :20] <= 1e-12)  # shares fall with n
    # and chapter 01's own RNN at rho = 0.9, T = 30 (section 4's first numbers)
    flow = ch01.radius_experiment().flow(0.9, "tanh", 30)
    assert f"{flow.early_share(3):.2g}" == "0.31" and f"{flow.early_share(10):.2g}" == "0.061"


def test_early_share_picture_draws_the_medians_with_its_guides(study):
    fig = plots.ch01.plot_early_share(study, back=3, threshold=0.01)
    (ax,) = fig.axes
    curves = [ln for ln in ax.lines if "ρ" in ln.get_label() or r"\rho" in ln.get_label()]
    assert len(curves) == 6
    for j, ln in enumerate(curves):
        np.testing.assert_allclose(ln.get_ydata(), np.maximum(np.median(study.shares[j], axis=0), 1e-300))
        assert ln.get_linestyle() == ("-" if study.settings[j][0] == "tanh" else "-.")
    assert any(ln.get_linestyle() == "--" and list(ln.get_xdata()) == [3, 3] for ln in ax.lines)
    assert any(ln.get_linestyle() == ":" and list(ln.get_ydata()) == [0.01, 0.01] for ln in ax.lines)
    assert_legend_lists_the_labels(ax)
    assert len(ax.get_legend().get_texts()) == 8  # six curves and both guides
    _assert_integer_time_ticks(ax)
    _assert_legend_outside(fig, ax)
    assert_clean_texts(fig)
    png(fig)


# ---- what the chapter's text says about the numbers it prints ------------------------------------------
def test_chapter01_claims():
    exp = ch01.radius_experiment()
    flow = exp.flow(0.9, "tanh", 30)
    assert flow.bound_holds()  # "the bound holds everywhere"
    assert flow.gain < 0.9 ** 29 / 10  # "... and it is loose: the norms fall faster than 0.9^(t-k)"
    assert flow.early_share(10) < flow.early_share(3) < 1  # the early steps add the least
    assert exp.flow(1.0, "tanh", 50).gain < 1e-3  # "rho = 1 is not the edge for tanh"
    assert exp.flow(3.0, "tanh", 50).gain > 1  # it does explode ...
    assert exp.flow(3.0, "tanh", 50).gain < 1e-6 * 3.0 ** 49  # ... far below the bound: saturation
    assert exp.flow(3.0, "sigmoid", 50).gain < 1e-6  # "sigmoid almost always vanishes"
    # the decay table: every row whose factor is below 1 measures below what the bound allows
    for act in ("tanh", "sigmoid"):
        for rho in (0.5, 0.9, 1.0, 1.5, 2.0, 3.0):
            f = exp.flow(rho, act, 50)
            factor = f.beta_f * f.beta_W
            if factor < 1:
                assert f.gain <= factor ** 49, (act, rho)
            if act == "sigmoid":
                assert f.gain < 1, rho
    # section 2: only the chain rule's order gives delta_k; both readings of the article's miss it
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(input_size=2, hidden_size=3, rng=rng)
    check = ch01.product_order_check(rng.standard_normal((4, 1, 2)), r)
    assert np.all(check.correct < 1e-12) and np.all(check.state_form < 1e-12)
    assert f"{check.descending[2]:.2g}" == f"{check.ascending[2]:.2g}" == "0.27"
    assert f"{check.descending[0]:.2g}" == "0.94" and f"{check.ascending[0]:.2g}" == "0.51"


def test_chapter01_explorer_hints_hold_at_its_default_settings():
    # the explorer opens at tanh, rho = 0.9, T = 30; each hint of section 6 at those settings
    ex = widgets.rnn_gradient_explorer()
    assert ex.values() == {"radius": 0.9, "activation": "tanh", "steps": 30}
    exp = ch01.radius_experiment()
    T = 30
    slope = {rho: exp.flow(rho, "tanh", T) for rho in (0.5, 1.0, 1.5, 3.0)}
    # "steep to shallow to nearly level (within a factor of 10 at 1.5) to growing backwards"
    gains = [slope[rho].gain for rho in (0.5, 1.0, 1.5, 3.0)]
    assert gains == sorted(gains) and gains[0] < 1e-6 and gains[1] < 1e-2 and gains[3] > 100
    f15 = slope[1.5].delta_norms
    assert f15.max() / f15.min() < 10
    # "at rho = 3 the bars of the early steps are the tall ones"
    c = slope[3.0].contribution_norms
    assert np.argmax(c) < T // 3 and c[: T // 2].sum() > c[T // 2:].sum()
    # "sigmoid at rho = 3: beta_f beta_W = 0.75, below 1, and the error vanishes"
    sig = exp.flow(3.0, "sigmoid", T)
    assert f"{sig.beta_f * sig.beta_W:.3g}" == "0.75" and sig.gain < 1e-3
    # "at rho = 0.9, lengthen T: the bars stay at the last steps, the gap at step 1 widens"
    gaps = []
    for steps in (30, 60, 100):
        f = exp.flow(0.9, "tanh", steps)
        c = f.contribution_norms
        assert np.argmax(c) >= steps - 3
        assert np.all(c[: steps - 20] < 0.01 * c.max())
        gaps.append(f.bound[0] / f.delta_norms[0])
    assert gaps == sorted(gaps) and gaps[-1] > 1e4 * gaps[0]
    # "at rho = 5 with tanh: the bound's slope against the measured one: saturation"
    f5 = exp.flow(5.0, "tanh", T)
    assert f5.bound[0] / f5.bound[-1] > 1e10 * f5.gain > 1e10


def test_chapter01_tables_write_rho_as_the_greek_letter():
    exp = ch01.radius_experiment(max_steps=10)
    assert " ρ " in ch01.decay_table(exp, radii=(0.5,), steps=10).splitlines()[1]
    s = ch01.early_steps_study(radii=(0.5,), activations=("tanh",), steps=12, seeds=range(2))
    assert " ρ " in s.table().splitlines()[1]


def test_chapter01_small_example_checks_against_rnn_backward():
    # the notebook's section 2: one RNN, T = 4, and sum_k delta_k h_{k-1}^T against rnn_backward
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(input_size=2, hidden_size=3, rng=rng)
    X = rng.standard_normal((4, 1, 2))
    flow = ch01.rnn_gradient_flow(X, r)
    hs, cache = ll.rnn_forward(X, r)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    g = ll.rnn_backward(dhs, cache)
    np.testing.assert_allclose(flow.contributions.sum(axis=0), g.W, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(flow.deltas.sum(axis=(0, 1)), g.b, rtol=1e-12, atol=1e-15)
    assert flow.bound_holds() and np.all(np.diff(flow.delta_norms) > 0)  # shrinking backwards in time


# ---- self-checks ---------------------------------------------------------------------------------------------
def test_bound_factor():
    right(exercises.check_bound_factor(0.75 ** 20))
    right(exercises.check_bound_factor(0.0031712))
    wrong(exercises.check_bound_factor(3.0 ** 20), "beta_f")
    wrong(exercises.check_bound_factor(0.75), "one step")
    wrong(exercises.check_bound_factor(0.75 ** 19), "off by one")
    wrong(exercises.check_bound_factor(0.75 ** 21), "off by one")
    wrong(exercises.check_bound_factor(0.25 ** 20), "beta_W")
    wrong(exercises.check_bound_factor(0.5), "diag")
    wrong(exercises.check_bound_factor("a lot"), "number")
    wrong(exercises.check_bound_factor(float("inf")), "finite")
    assert "may explode" in right(exercises.check_bound_factor(2.0 ** 5, steps=5, activation="tanh",
                                                               spectral_norm=2.0))


def _solution_error_norms(X, p):
    hs, _ = ll.rnn_forward(X, p)
    T = X.shape[0]
    d = np.ones_like(hs[-1]) * (1 - hs[-1] ** 2)
    out = [np.linalg.norm(d)]
    for k in range(T - 2, -1, -1):
        d = (d @ p.W) * (1 - hs[k] ** 2)
        out.append(np.linalg.norm(d))
    return np.array(out[::-1])


def test_error_norms():
    right(exercises.check_error_norms(_solution_error_norms))
    right(exercises.check_error_norms(lambda X, p: ch01.rnn_gradient_flow(X, p).delta_norms))
    wrong(exercises.check_error_norms(lambda X, p: _solution_error_norms(X, p)[::-1]), "reverse")

    def dE_dh(X, p):
        flow = ch01.rnn_gradient_flow(X, p)
        g = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, p.hidden_size))])
        return np.linalg.norm(g.reshape(len(g), -1), axis=1)

    wrong(exercises.check_error_norms(dE_dh), "dE/dh_k")

    def transposed(X, p):
        hs, _ = ll.rnn_forward(X, p)
        d = 1 - hs[-1] ** 2
        out = [np.linalg.norm(d)]
        for k in range(X.shape[0] - 2, -1, -1):
            d = (d @ p.W.T) * (1 - hs[k] ** 2)
            out.append(np.linalg.norm(d))
        return np.array(out[::-1])

    wrong(exercises.check_error_norms(transposed), "transposed")
    wrong(exercises.check_error_norms(lambda X, p: np.ones(X.shape[0])), "first difference")
    wrong(exercises.check_error_norms(lambda X, p: np.ones(2)), "norms")
    wrong(exercises.check_error_norms(lambda p, X: _solution_error_norms(X, p)), "raised")  # the old order


def test_critical_radius():
    exp = ch01.radius_experiment()
    grid = np.round(np.arange(0.1, 5.0 + 1e-9, 0.05), 10)
    want = next(r for r in grid if exp.flow(float(r), "tanh", 50).gain >= 1)
    assert 1.0 < want < 2.0  # tanh needs W to stretch by more than 1
    right(exercises.check_critical_radius(want))
    right(exercises.check_critical_radius(want + 0.02))
    wrong(exercises.check_critical_radius(1.0), "still vanishes")
    wrong(exercises.check_critical_radius(want - 0.05), "still vanishes")
    wrong(exercises.check_critical_radius(want + 0.5), "smaller radius")
