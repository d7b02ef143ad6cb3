"""lstmlib.losses, lstmlib.optim and lstmlib.train: losses and their gradients against finite
differences, clipping, the optimizers against their formulas, the model's gradients, and the
training loop (what it records, what it reports to, what it leaves alone)."""
import dataclasses
import subprocess
import sys
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import lstmlib as ll
from lstmlib import fused, losses, optim, tasks, train
from lstmlib.gradcheck import numerical_gradient, relative_error


# ---- losses -------------------------------------------------------------------------------------
def test_mse_value_and_gradient(rng):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss, grad = losses.mse(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    num = numerical_gradient(lambda: losses.mse(pred, target)[0], pred)
    assert relative_error(grad, num) < 1e-8
    with pytest.raises(ValueError, match="target: expected shape"):
        losses.mse(pred, target[:4])


def test_log_softmax_is_stable_and_normalised():
    logits = np.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lp = losses.log_softmax(logits)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    np.testing.assert_allclose(lp[1], np.log(1 / 3))
    assert lp[0, 0] == 0.0


@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)])
def test_cross_entropy_value_and_gradient(rng, shape):
    logits = rng.standard_normal(shape) * 3
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    loss, grad = losses.softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    want = -np.mean(np.log(np.take_along_axis(p, labels[..., None], -1)))
    assert loss == pytest.approx(want)
    num = numerical_gradient(lambda: losses.softmax_cross_entropy(logits, labels)[0], logits)
    assert relative_error(grad, num) < 1e-8
    assert losses.LOSSES == {"mse": losses.mse, "xent": losses.softmax_cross_entropy}


def test_cross_entropy_bad_labels():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels: expected shape \(3,\)"):
        losses.softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"labels: expected class indices in \[0, 4\)"):
        losses.softmax_cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="labels: expected integer class indices"):
        losses.softmax_cross_entropy(logits, np.array([0.0, 1.0, 2.0]))


# ---- the model's gradients: every array, every kind, both heads, both losses ---------------------
CASES = [("rnn", False, "mse", {}), ("lstm", False, "mse", {}), ("gru", False, "mse", {}),
         ("gru", True, "xent", dict(reset_after=True)), ("lstm", True, "xent", {}),
         ("rnn", True, "mse", dict(activation="sigmoid")), ("lstm", False, "xent", {}),
         ("gru", False, "xent", dict(reset_after=True))]


@pytest.mark.parametrize("kind, every_step, loss, kw", CASES)
def test_loss_and_grads_against_finite_differences(kind, every_step, loss, kw):
    rng = np.random.default_rng(7)
    T, B, D, H, K = 4, 3, 2, 3, 3
    model = train.make_model(kind, D, H, K, rng, dtype=np.float64, every_step=every_step,
                             forget_bias=0.5, **kw)
    model.head.bias[...] = rng.standard_normal(K)
    X = rng.standard_normal((T, B, D))
    shape = (T, B) if every_step else (B,)
    y = rng.integers(0, K, size=shape) if loss == "xent" else rng.standard_normal(shape + (K,))
    value, grads, pred = train.loss_and_grads(model, X, y, loss)
    assert pred.shape == shape + (K,)
    assert len(grads) == len(model.arrays())
    for a, g in zip(model.arrays(), grads):
        assert a.shape == g.shape
        num = numerical_gradient(lambda: train.loss_and_grads(model, X, y, loss)[0], a, stencil="five-point")
        assert relative_error(g, num) < 1e-8
    assert value == pytest.approx(train.evaluate(model, X, y, loss)[0])
    # with a workspace: bit for bit the same
    ws = fused.Workspace()
    for _ in range(2):
        v_w, g_w, _ = train.loss_and_grads(model, X, y, loss, workspace=ws)
        assert v_w == value
        for a, b in zip(g_w, grads):
            np.testing.assert_array_equal(a, b)


def test_predict_shapes_and_dtype():
    m = train.make_model("lstm", 2, 5, 3, 0)
    X = np.zeros((6, 4, 2), np.float32)
    assert train.predict(m, X).shape == (4, 3) and train.predict(m, X).dtype == np.float32
    m2 = dataclasses.replace(m, every_step=True)
    assert train.predict(m2, X).shape == (6, 4, 3)
    hs, _ = ll.lstm_forward(X, m.cell)
    np.testing.assert_allclose(train.predict(m, X), hs[-1] @ m.head.weights.T + m.head.bias, rtol=1e-6)


def test_make_model_and_model_properties():
    m = train.make_model("gru", 2, 4, 1, 0, reset_after=True)
    assert m.kind == "gru" and m.cell.reset_after and m.dtype == np.float32
    assert m.num_parameters == m.cell.num_parameters + 4 + 1
    assert train.make_model("lstm", 2, 4, 1, 0, forget_bias=2.0).cell.b_f.tolist() == [2.0] * 4
    assert train.make_model("rnn", 2, 4, 1, 0, activation="relu").cell.activation == "relu"
    assert repr(train.make_model("lstm", 2, 4, 1, 0)).startswith("SequenceModel(lstm, input_size=2")
    c = m.copy()
    c.head.weights[...] += 1
    c.cell.weights[...] += 1
    assert not np.array_equal(c.head.weights, m.head.weights)
    assert not np.array_equal(c.cell.weights, m.cell.weights)
    a, b = train.make_model("lstm", 2, 4, 1, 3), train.make_model("lstm", 2, 4, 1, 3)
    for x, y in zip(a.arrays(), b.arrays()):
        np.testing.assert_array_equal(x, y)  # a pure function of its seed
    with pytest.raises(ValueError, match=r"kind: expected one of \('rnn', 'lstm', 'gru'\)"):
        train.make_model("transformer", 2, 4, 1, 0)
    with pytest.raises(ValueError, match="model: expected a SequenceModel"):
        train.predict("not a model", np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="loss"):
        train.loss_and_grads(m, np.zeros((2, 1, 2), np.float32), np.zeros((1, 1), np.float32), "hinge")
    with pytest.raises(ValueError, match="^p: expected RNNParams, LSTMParams or GRUParams"):
        train.SequenceModel("cell", m.head)


# ---- clipping and optimizers -----------------------------------------------------------------------
def test_clip_grad_norm():
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
        with pytest.raises(ValueError, match="max_norm"):
            optim.clip_grad_norm(small, bad)


def test_sgd_formula():
    p, g = [np.array([1.0, 2.0])], [np.array([0.5, -1.0])]
    optim.SGD(0.1).step(p, g)
    np.testing.assert_allclose(p[0], [0.95, 2.1])
    p = [np.array([1.0])]
    opt = optim.SGD(0.1, momentum=0.9)
    opt.step(p, [np.array([1.0])])  # v = 1
    opt.step(p, [np.array([1.0])])  # v = 1.9
    np.testing.assert_allclose(p[0], [1.0 - 0.1 - 0.19])
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(0.0)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="grads: expected 1 arrays like params, got 0"):
        optim.SGD(0.1).step(p, [])
    with pytest.raises(ValueError, match=r"grads\[0\]: expected shape \(1,\), got \(2,\)"):
        optim.SGD(0.1).step(p, [np.zeros(2)])


def test_adam_against_its_formula(rng):
    p0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(3)]
    p = [p0.copy()]
    opt = optim.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-8)
    for g in grads:
        opt.step(p, [g])
    # the textbook form, written out
    m = v = np.zeros(4)
    q = p0.copy()
    for t, g in enumerate(grads, 1):
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        q = q - 0.01 * (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
    # (the implementation folds the bias corrections into the step size, Kingma & Ba's
    # "efficient version", which moves eps by a factor of order 1: invisible at this scale)
    np.testing.assert_allclose(p[0], q, rtol=1e-7)
    # the first step moves every entry by lr in the direction against the gradient
    p = [np.zeros(3)]
    optim.Adam(0.05).step(p, [np.array([2.0, -0.1, 300.0])])
    np.testing.assert_allclose(p[0], [-0.05, 0.05, -0.05], rtol=1e-4)
    with pytest.raises(ValueError, match="beta2"):
        optim.Adam(beta2=1.0)


# ---- the training loop ---------------------------------------------------------------------------
def _fit(kind="lstm", steps=150, seed=0, **kw):
    task = tasks.adding_task(8)
    model = train.make_model(kind, 2, 8, 1, seed)
    held = task.sample(200, np.random.default_rng(99))
    h = train.fit(model, task.sample, steps=steps, batch_size=16, optimizer=optim.Adam(0.02),
                  rng=seed + 1, eval_data=held, eval_every=50, **kw)
    return model, h


def test_fit_learns_and_records():
    model, h = _fit(steps=400)
    assert h.steps == 400 and h.loss.shape == h.grad_norm.shape == h.wall_time.shape == (400,)
    assert np.all(np.diff(h.wall_time) >= 0) and h.seconds >= h.wall_time[-1]
    assert h.eval_step.tolist() == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert h.final_eval_loss < 0.1 * tasks.ADDING_BASELINE_MSE  # learned the task at T = 8
    assert h.eval_loss[0] > 0.5 * tasks.ADDING_BASELINE_MSE  # ... which it had not at step 0
    assert h.eval_accuracy is None and h.diverged_at is None
    assert h.seconds_at(None) is None and h.seconds_at(0) == 0.0
    assert h.seconds_at(100) == h.wall_time[99]
    assert model.cell.weights.dtype == np.float32
    assert "400 steps" in repr(h)


@pytest.mark.parametrize("kind, kw", [("rnn", {}), ("lstm", {}), ("gru", dict(reset_after=True))])
def test_fit_equals_a_hand_written_loop_bit_for_bit(kind, kw):
    """fit is loss_and_grads, clipping and the optimizer's step, on batches drawn from its rng, and
    nothing else: its workspace and its bookkeeping change no bit of the result."""
    task = tasks.adding_task(8)
    m_fit = train.make_model(kind, 2, 6, 1, 3, **kw)
    m_hand = m_fit.copy()
    h = train.fit(m_fit, task.sample, steps=25, batch_size=8, optimizer=optim.Adam(0.01), rng=4,
                  clip=0.5)
    gen, opt, params = np.random.default_rng(4), optim.Adam(0.01), m_hand.arrays()
    with threadpool_limits(1):  # what fit does (threads=1): BLAS sums in one order
        for step in range(25):
            X, y = task.sample(8, gen)
            value, grads, _ = train.loss_and_grads(m_hand, X, y, "mse")
            norm = optim.clip_grad_norm(grads, 0.5)
            assert (value, norm) == (h.loss[step], h.grad_norm[step])
            opt.step(params, grads)
    for a, b in zip(m_fit.arrays(), m_hand.arrays()):
        np.testing.assert_array_equal(a, b)
    assert h.grad_norm.max() > 0.5  # clipping did happen on the way


def test_fit_lends_one_workspace_to_every_step(monkeypatch):
    seen = []
    real = train.loss_and_grads

    def spy(*args, **kw):
        seen.append(kw.get("workspace"))
        return real(*args, **kw)

    monkeypatch.setattr(train, "loss_and_grads", spy)
    _fit(steps=5)
    assert len(seen) == 5
    assert isinstance(seen[0], fused.Workspace) and all(w is seen[0] for w in seen)
    assert seen[0].nbytes > 0 and seen[0].generation == 5  # one forward pass per step in it


def test_fit_does_not_touch_the_c_library_allocator():
    """Regression: fit used to call glibc's mallopt through ctypes (process-wide, once). A fresh
    interpreter, since the old code did it once per process; ctypes' library loading and symbol
    lookup are recorded. With ``threads=None`` fit must load no C library at all; with the default
    ``threads=1`` only threadpoolctl's BLAS queries may appear, never mallopt."""
    code = (
        "import ctypes\n"
        "loaded, looked_up = [], []\n"
        "init, getattr_ = ctypes.CDLL.__init__, ctypes.CDLL.__getattr__\n"
        "def spy_init(self, name, *a, **k):\n"
        "    loaded.append(str(name)); init(self, name, *a, **k)\n"
        "def spy_getattr(self, name):\n"
        "    looked_up.append(name); return getattr_(self, name)\n"
        "ctypes.CDLL.__init__, ctypes.CDLL.__getattr__ = spy_init, spy_getattr\n"
        "from lstmlib import optim, tasks, train\n"
        "for threads in (None, 1):\n"
        "    loaded.clear(); looked_up.clear()\n"
        "    train.fit(train.make_model('lstm', 2, 3, 1, 0), tasks.adding_task(5).sample, steps=3,\n"
        "              batch_size=2, optimizer=optim.SGD(0.1), rng=0, threads=threads)\n"
        "    print(loaded, looked_up)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    without_threads, with_threads = out.splitlines()
    assert without_threads == "[] []"
    assert "mallopt" not in with_threads and "libc" not in with_threads


def test_fit_is_deterministic():
    m1, h1 = _fit(steps=60)
    m2, h2 = _fit(steps=60)
    np.testing.assert_array_equal(h1.loss, h2.loss)
    np.testing.assert_array_equal(m1.cell.weights, m2.cell.weights)
    _, h3 = _fit(steps=60, seed=5)
    assert not np.array_equal(h1.loss, h3.loss)


def test_fit_clipping_bounds_every_update():
    task = tasks.adding_task(20)
    model = train.make_model("rnn", 2, 16, 1, 0, scale=1.0)
    before = [a.copy() for a in model.arrays()]
    h = train.fit(model, task.sample, steps=1, batch_size=8, optimizer=optim.SGD(0.1), rng=0, clip=0.5)
    assert h.grad_norm[0] > 0.5  # a large gradient was clipped ...
    moved = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.arrays(), before)))
    assert moved == pytest.approx(0.1 * 0.5, rel=1e-4)  # ... so the step is exactly lr * theta


def _diverging_fit(**kw):
    task = tasks.adding_task(30)
    model = train.make_model("rnn", 2, 16, 1, 0, scale=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning may escape
        h = train.fit(model, task.sample, steps=200, batch_size=16, optimizer=optim.SGD(1.0),
                      rng=0, eval_data=task.sample(50, np.random.default_rng(1)), **kw)
    return model, task, h


def test_fit_stops_when_told_and_on_divergence():
    _, h = _fit(steps=300, stop_when=lambda loss, acc: loss < 0.05)
    assert h.steps < 300 and h.eval_loss[-1] < 0.05 and h.steps_to(0.05) == h.steps
    model, task, h = _diverging_fit()
    assert h.diverged_at is not None and h.steps == h.diverged_at < 200
    assert not np.isfinite(h.loss[-1]) or not np.isfinite(h.grad_norm[-1])
    assert np.all(np.isfinite(model.cell.weights))  # the overflowing step was not applied
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train.evaluate(model, *task.sample(8, np.random.default_rng(2)))[0] > 1e20  # no warning


def test_fit_classification_accuracy():
    task = tasks.temporal_order_task(12)
    model = train.make_model("gru", 8, 12, 4, 0)
    held = task.sample(200, np.random.default_rng(5))
    h = train.fit(model, task.sample, steps=100, batch_size=32, optimizer=optim.Adam(0.02), rng=1,
                  loss="xent", eval_data=held, eval_every=25)
    assert h.eval_accuracy is not None and h.eval_accuracy.shape == h.eval_loss.shape
    assert h.steps_to_accuracy(0.0) == 0
    _, acc = train.evaluate(model, *held, loss="xent")
    assert acc == h.eval_accuracy[-1]
    with pytest.raises(ValueError, match="threshold"):
        _fit(steps=2)[1].steps_to_accuracy(0.5)


# ---- progress reports -----------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.calls = []

    def start(self, total, label):
        self.calls.append(("start", total, label))

    def update(self, step, loss):
        self.calls.append(("update", step, loss))

    def close(self, history):
        self.calls.append(("close", history))


def test_fit_reports_start_every_step_and_close():
    rec = Recorder()
    _, h = _fit(steps=7, progress=rec, label="demo")
    assert rec.calls[0] == ("start", 7, "demo")
    assert [c[1] for c in rec.calls[1:-1]] == list(range(1, 8))
    assert [c[2] for c in rec.calls[1:-1]] == h.loss.tolist()
    assert rec.calls[-1] == ("close", h) and len(rec.calls) == 9
    # an early stop and a divergence close the report too, once, with the history
    rec = Recorder()
    _, _, h = _diverging_fit(progress=rec)
    assert rec.calls[0] == ("start", 200, "")
    assert [c[0] for c in rec.calls].count("close") == 1 and rec.calls[-1] == ("close", h)
    assert len(rec.calls) == 2 + h.diverged_at - 1  # the diverged step is not reported as done


@pytest.mark.parametrize("progress", [True, False, "bar", object()])
def test_fit_refuses_a_progress_without_the_three_methods(progress):
    class Partial:
        def start(self, total, label):
            pass

    for bad in (progress, Partial()):
        with pytest.raises(ValueError, match="^progress: expected None or an object with start, update and close"):
            _fit(steps=2, progress=bad)


def test_print_progress_prints_the_history_summary_once(capsys):
    _, h = _fit(steps=3, progress=train.PrintProgress(), label="demo")
    out = capsys.readouterr().out
    assert out == h.summary() + "\n"
    assert out.startswith("demo: 3 steps in ") and ", held-out loss " in out
    _fit(steps=3)
    assert capsys.readouterr().out == ""  # no progress object, no output


def _history(**kw):
    args = dict(label="LSTM T=8", loss=np.ones(4), grad_norm=np.ones(4), wall_time=np.arange(1.0, 5.0),
                eval_step=np.array([0, 4]), eval_loss=np.array([0.5, 0.01234567]), eval_accuracy=None,
                seconds=2.25)
    args.update(kw)
    return train.History(**args)


def test_history_summary_text():
    assert _history().summary() == "LSTM T=8: 4 steps in 2.2 s, held-out loss 0.01235"
    assert _history().summary(seconds=False) == "LSTM T=8: 4 steps, held-out loss 0.01235"
    assert _history(label="").summary(seconds=False) == "training: 4 steps, held-out loss 0.01235"
    no_eval = _history(eval_step=np.array([], int), eval_loss=np.array([]), loss=np.array([1, 1, 1, 0.25]))
    assert no_eval.summary(seconds=False) == "LSTM T=8: 4 steps, loss 0.25"
    assert _history(diverged_at=3).summary(seconds=False) == "LSTM T=8: 4 steps, diverged at step 3"
    assert repr(_history()) == "History(LSTM T=8: 4 steps in 2.2 s, held-out loss 0.01235)"
    assert _history().steps_to(0.1) == 4 and _history().steps_to(0.001) is None


@pytest.mark.parametrize("kw, name", [
    (dict(steps=0), "steps"), (dict(batch_size=0), "batch_size"), (dict(optimizer="adam"), "optimizer"),
    (dict(clip=0.0), "clip"), (dict(loss="l1"), "loss"), (dict(rng="x"), "rng"), (dict(threads=0), "threads"),
    (dict(eval_every=0), "eval_every"),
])
def test_fit_bad_input(kw, name):
    task = tasks.adding_task(5)
    args = dict(steps=2, batch_size=2, optimizer=optim.SGD(0.1), rng=0)
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{name}"):
        train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, **args)


# ---- one step, and the loop as the chapter shows it -------------------------------------------------
def test_train_step_is_gradients_clipping_and_one_update():
    task = tasks.adding_task(8)
    model = train.make_model("lstm", 2, 5, 1, 0)
    hand = model.copy()
    X, y = task.sample(6, np.random.default_rng(1))
    value, norm = train.train_step(model, X, y, optim.SGD(0.1), clip=0.01)
    want_value, grads, _ = train.loss_and_grads(hand, X, y)
    want_norm = optim.clip_grad_norm(grads, 0.01)
    optim.SGD(0.1).step(hand.arrays(), grads)
    assert (value, norm) == (want_value, want_norm) and norm > 0.01  # the norm before clipping
    for a, b in zip(model.arrays(), hand.arrays()):
        np.testing.assert_array_equal(a, b)
    # classification, no clipping, Adam
    task = tasks.temporal_order_task(10)
    model = train.make_model("gru", 8, 4, 4, 0)
    X, y = task.sample(6, np.random.default_rng(1))
    before = [a.copy() for a in model.arrays()]
    value, norm = train.train_step(model, X, y, optim.Adam(0.01), loss="xent")
    assert value == pytest.approx(train.loss_and_grads(train.make_model("gru", 8, 4, 4, 0), X, y, "xent")[0])
    assert all(not np.array_equal(a, b) for a, b in zip(model.arrays(), before))


def test_train_step_leaves_the_weights_alone_when_the_loss_or_gradient_overflows():
    task = tasks.adding_task(20)
    model = train.make_model("rnn", 2, 8, 1, 0)
    model.head.weights[...] = 1e38  # the prediction overflows float32
    X, y = task.sample(4, np.random.default_rng(0))
    before = [a.copy() for a in model.arrays()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, norm = train.train_step(model, X, y, optim.SGD(0.1))
    assert value == np.inf and np.isnan(norm)
    for a, b in zip(model.arrays(), before):
        np.testing.assert_array_equal(a, b)


def test_fit_calls_after_step_after_every_update_and_not_after_a_diverged_step():
    seen = []
    model, h = _fit(steps=12, after_step=lambda step, m: seen.append((step, float(m.head.bias[0]))))
    assert [s for s, _ in seen] == list(range(1, 13))
    assert seen[-1][1] == float(model.head.bias[0])  # it sees the model after the update
    calls = []
    _, _, h = _diverging_fit(after_step=lambda step, m: calls.append(step))
    assert calls == list(range(1, h.diverged_at))


def test_fit_is_short_enough_to_read_in_a_notebook():
    """Chapter 06 shows train_step and fit with source(): the loop must stay a loop, with its checks
    and bookkeeping kept in helpers."""
    import inspect
    for fn, most in ((train.train_step, 25), (train.fit, 40)):
        assert len(inspect.getsource(fn).splitlines()) <= most, fn.__name__


def test_optimizer_reprs_show_their_settings():
    assert repr(optim.Adam(0.05)) == "Adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(optim.SGD(0.1, momentum=0.5)) == "SGD(lr=0.1, momentum=0.5)"
