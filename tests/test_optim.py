"""lstmlib.optim: clipping, SGD and Adam against their docstrings' formulas (expectations computed
here, independently, in float64), learning-rate schedules, and optimizers refusing arrays other
than the ones they started with. (Adam against ``torch.optim.Adam``: test_torch_parity.py.)"""
import numpy as np
import pytest

from lstmlib import optim


# ---- clipping -------------------------------------------------------------------------------------
def test_clip_grad_norm_rescales_all_arrays_together():
    g = [np.array([3.0, 0.0]), np.array([[4.0]])]
    before = optim.clip_grad_norm(g, 1.0)
    assert before == pytest.approx(5.0)
    assert optim.global_norm(g) == pytest.approx(1.0)
    np.testing.assert_allclose(g[0], [0.6, 0.0])
    np.testing.assert_allclose(g[1], [[0.8]])
    small = [np.array([0.1, 0.2])]
    assert optim.clip_grad_norm(small, 1.0) == pytest.approx(np.sqrt(0.05))
    np.testing.assert_array_equal(small[0], [0.1, 0.2])  # below theta: untouched
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="^max_norm"):
            optim.clip_grad_norm(small, bad)


def test_global_norm_sums_float32_in_float64():
    g = [np.full(10**6, 1e-3, np.float32)]
    assert optim.global_norm(g) == pytest.approx(1.0, rel=1e-6)  # a float32 sum would drift


# ---- SGD ------------------------------------------------------------------------------------------
def test_sgd_formula():
    p, g = [np.array([1.0, 2.0])], [np.array([0.5, -1.0])]
    optim.SGD(0.1).step(p, g)
    np.testing.assert_allclose(p[0], [0.95, 2.1], rtol=1e-15)
    p = [np.array([1.0])]
    opt = optim.SGD(0.1, momentum=0.9)
    opt.step(p, [np.array([1.0])])  # v = 1
    opt.step(p, [np.array([1.0])])  # v = 0.9 * 1 + 1 = 1.9
    np.testing.assert_allclose(p[0], [1.0 - 0.1 * 1.0 - 0.1 * 1.9], rtol=1e-15)


# ---- Adam -----------------------------------------------------------------------------------------
def _adam_by_the_docstring(p0, grads, lr, beta1, beta2, eps):
    """The formula of Adam's docstring, step by step in float64: the reference."""
    w, m, v = np.array(p0, np.float64), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        w = w - (lr(t) if callable(lr) else lr) * m_hat / (np.sqrt(v_hat) + eps)
    return w


def test_adam_first_step_with_a_tiny_gradient_follows_the_docstring():
    """Regression (issue 14): Adam folded both bias corrections into its step size, which moves eps
    from ``sqrt(v_hat) + eps`` to ``sqrt(v) + eps``: not the formula its docstring gives (nor
    PyTorch's). On a first step m_hat = g and v_hat = g^2, so the docstring's step is
    ``-lr g / (|g| + eps)``: with g = 1e-9, lr = 1e-3, eps = 1e-8, that is -1e-3 / 11 = -9.09e-5;
    the folded form moved -3.2e-6."""
    p = [np.zeros(1)]
    optim.Adam(1e-3).step(p, [np.full(1, 1e-9)])
    assert p[0][0] == pytest.approx(-1e-3 / 11, rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e-9])
def test_adam_follows_its_docstring_over_many_steps(scale):
    """Gradients of order 1 (where eps hardly matters) down to 1e-9 (where it dominates): the
    expected weights come from the docstring's formula, written out above."""
    rng = np.random.default_rng(int(-np.log10(scale)))
    p0 = rng.standard_normal(6)
    grads = [scale * rng.standard_normal(6) for _ in range(30)]
    p = [p0.copy()]
    opt = optim.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-8)
    for g in grads:
        opt.step(p, [g])
    want = _adam_by_the_docstring(p0, grads, 0.01, 0.8, 0.99, 1e-8)
    np.testing.assert_allclose(p[0], want, rtol=1e-12, atol=1e-15)
    assert opt.t == 30
    # the check can fail: eps placed under the correction (the old code) misses it at small scales
    if scale < 1e-3:
        folded = p0.copy()
        m = v = np.zeros(6)
        for t, g in enumerate(grads, 1):
            m, v = 0.8 * m + 0.2 * g, 0.99 * v + 0.01 * g * g
            folded -= 0.01 * np.sqrt(1 - 0.99 ** t) / (1 - 0.8 ** t) * m / (np.sqrt(v) + 1e-8)
        assert np.abs(folded - want).max() > 1e-4


def test_adam_first_step_moves_every_entry_by_lr_against_its_gradient():
    p = [np.zeros(3)]
    optim.Adam(0.05).step(p, [np.array([2.0, -0.1, 300.0])])
    np.testing.assert_allclose(p[0], [-0.05, 0.05, -0.05], rtol=1e-6)


def test_adam_keeps_its_state_in_the_arrays_dtype():
    p = [np.zeros(3, np.float32)]
    optim.Adam(0.1).step(p, [np.ones(3, np.float32)])
    assert p[0].dtype == np.float32
    np.testing.assert_allclose(p[0], -0.1, rtol=1e-6)


# ---- one optimizer, one set of arrays -----------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: optim.Adam(0.1), lambda: optim.SGD(0.1, momentum=0.9),
                                  lambda: optim.SGD(0.1)], ids=["Adam", "SGD-momentum", "SGD"])
def test_an_optimizer_refuses_arrays_other_than_the_ones_it_started_with(make):
    """Regression (issue 14): Adam matched its running means to arrays by position and ``zip``
    truncated: reused with three arrays after two, it never updated the third."""
    a, b, c = np.zeros(2), np.zeros(2), np.zeros(2)
    opt = make()
    opt.step([a, b], [np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match=r"^params: expected the 2 arrays .* this optimizer started with"):
        opt.step([a, b, c], [np.ones(2)] * 3)
    with pytest.raises(ValueError, match="^params: expected the 2 arrays"):
        opt.step([a], [np.ones(2)])
    with pytest.raises(ValueError, match="^params: expected the 2 arrays"):
        opt.step([a, np.zeros(3)], [np.ones(2), np.ones(3)])
    # another model's arrays of the same shapes: its state would be the first model's
    with pytest.raises(ValueError, match="^params: expected the 2 arrays"):
        opt.step([np.zeros(2), np.zeros(2)], [np.ones(2), np.ones(2)])
    assert opt.t == 1  # nothing refused was counted as a step ...
    opt.step([a, b], [np.ones(2), np.ones(2)])  # ... and the arrays it started with still go
    assert opt.t == 2 and np.all(c == 0)


def test_an_optimizer_accepts_fresh_views_of_the_same_arrays():
    """A parameter object's names are new view objects at every access: the same memory is the
    same array."""
    w = np.zeros((4, 3))
    opt = optim.Adam(0.1)
    opt.step([w[:, :2], w[:, 2:]], [np.ones((4, 2)), np.ones((4, 1))])
    opt.step([w[:, :2], w[:, 2:]], [np.ones((4, 2)), np.ones((4, 1))])
    with pytest.raises(ValueError, match="^params"):
        opt.step([w[:, 1:], w[:, :1]], [np.ones((4, 2)), np.ones((4, 1))])  # other memory, same shapes


# ---- schedules ------------------------------------------------------------------------------------
def test_linear_decay_values():
    lr = optim.linear_decay(2e-3, 2e-4, 10)
    assert lr(1) == 2e-3 and lr(10) == pytest.approx(2e-4, rel=1e-15) and lr(50) == pytest.approx(2e-4, rel=1e-15)
    assert lr(4) == pytest.approx(2e-3 + (2e-4 - 2e-3) * 3 / 9, rel=1e-15)
    with pytest.raises(ValueError, match="^start"):
        optim.linear_decay(0.0, 1e-3, 10)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_with_a_schedule_uses_lr_t_at_step_t(momentum):
    schedule = optim.linear_decay(0.1, 0.01, 5)
    p, opt = [np.zeros(1)], optim.SGD(schedule, momentum=momentum)
    want, v = 0.0, 0.0
    for t in range(1, 8):
        opt.step(p, [np.ones(1)])
        v = momentum * v + 1.0
        want -= schedule(t) * v
        assert p[0][0] == pytest.approx(want, rel=1e-14)
    assert opt.lr is schedule  # the schedule stays the optimizer's, unchanged


def test_adam_with_a_schedule_follows_the_docstring():
    rng = np.random.default_rng(5)
    p0, grads = rng.standard_normal(4), [rng.standard_normal(4) for _ in range(25)]
    schedule = optim.linear_decay(1e-2, 1e-3, 20)
    p, opt = [p0.copy()], optim.Adam(schedule)
    for g in grads:
        opt.step(p, [g])
    np.testing.assert_allclose(p[0], _adam_by_the_docstring(p0, grads, schedule, 0.9, 0.999, 1e-8), rtol=1e-12)
    assert opt.lr_at(1) == 1e-2 and opt.lr_at(25) == pytest.approx(1e-3)
    assert repr(opt) == "Adam(lr=schedule, beta1=0.9, beta2=0.999, eps=1e-08)"


def test_optimizer_arguments_and_reprs():
    assert repr(optim.Adam(0.05)) == "Adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(optim.SGD(0.1, momentum=0.5)) == "SGD(lr=0.1, momentum=0.5)"
    for make, name in ((lambda: optim.SGD(0.0), "lr"), (lambda: optim.SGD(0.1, momentum=1.0), "momentum"),
                       (lambda: optim.Adam(beta1=-0.1), "beta1"), (lambda: optim.Adam(beta2=1.0), "beta2"),
                       (lambda: optim.Adam(eps=0.0), "eps"), (lambda: optim.Adam(lr="fast"), "lr")):
        with pytest.raises(ValueError, match=f"^{name}:"):
            make()
    p = [np.zeros(1)]
    with pytest.raises(ValueError, match="^grads: expected 1 arrays like params, got 0"):
        optim.SGD(0.1).step(p, [])
    with pytest.raises(ValueError, match=r"^grads\[0\]: expected shape \(1,\), got \(2,\)"):
        optim.SGD(0.1).step(p, [np.zeros(2)])
