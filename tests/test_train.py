"""lstmlib.losses and lstmlib.train: the losses and their gradients against finite differences, and
the training loop: that it learns (seeded, to stated thresholds), that it is train_step and nothing
else, what it records, what it reports to, and what it leaves alone. (The network it trains:
test_network.py; the optimizers: test_optim.py.)"""
import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from lstmlib import fused, losses, network, optim, tasks, train
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


# ---- the loop learns ------------------------------------------------------------------------------
def _run(kind, task, *, steps, lr, batch_size, seed, eval_every=50, **kw):
    """``kind`` (H = 8, or 12 for temporal order; float32, the LSTM with forget bias 1) trained
    on ``task`` with Adam, scored on 500 held-out sequences of seed 99."""
    options = {"forget_bias": 1.0} if kind == "lstm" else {}
    H = 12 if task.loss == "xent" else 8
    model = network.make_model(kind, task.input_size, H, task.output_size, seed, dtype=np.float32, **options)
    held = task.sample(500, 99)
    h = train.fit(train.task_batches(task.sample, batch_size, seed + 1), model, optim.Adam(lr), steps=steps,
                  loss=task.loss, evaluate=train.held_out(*held, task.loss), eval_every=eval_every, **kw)
    return model, h


@pytest.mark.parametrize("seed", range(3))
def test_an_lstm_learns_the_adding_problem(seed):
    """Adding problem, T = 8: the constant predictor scores MSE 1/6; an LSTM of 8 units (Adam
    0.02, batches of 16) gets below 0.02 within 500 steps, from above 0.5 at step 0, for each of
    seeds 0-2 (they cross at steps 200-300 on the machines measured; seeds 3 and 4 at 250 and 350)."""
    _, h = _run("lstm", tasks.adding_task(8), steps=500, lr=0.02, batch_size=16, seed=seed)
    assert h.eval_loss[0] > 0.5
    assert h.steps_to(0.02) is not None and h.final_eval_loss < 0.02
    assert h.diverged_at is None


@pytest.mark.parametrize("seed", range(3))
def test_a_gru_learns_temporal_order(seed):
    """Temporal order, T = 12, four classes: a GRU of 12 units goes from chance (accuracy <= 0.3 at
    step 0) to at least 99% held-out accuracy within 100 steps, for each of seeds 0-2."""
    _, h = _run("gru", tasks.temporal_order_task(12), steps=100, lr=0.02, batch_size=32, seed=seed, eval_every=25)
    assert h.eval_accuracy is not None and h.eval_accuracy.shape == h.eval_loss.shape
    assert h.eval_accuracy[0] <= 0.3
    step = h.steps_to_accuracy(0.99)
    assert step is not None and 0 < step <= 100
    assert h.eval_loss[-1] < 0.2 * h.eval_loss[0]


def test_fit_records_what_it_did():
    model, h = _run("lstm", tasks.adding_task(8), steps=120, lr=0.02, batch_size=16, seed=0)
    assert h.steps == 120 and h.loss.shape == h.grad_norm.shape == h.wall_time.shape == (120,)
    assert np.all(np.diff(h.wall_time) >= 0) and h.seconds >= h.wall_time[-1]
    assert h.eval_step.tolist() == [0, 50, 100, 120]  # step 0, every 50, and the last
    assert h.eval_accuracy is None and h.diverged_at is None
    assert h.seconds_at(None) is None and h.seconds_at(0) == 0.0 and h.seconds_at(100) == h.wall_time[99]
    assert h.final_eval_loss == h.eval_loss[-1]
    assert h.final_eval_loss == network.evaluate(*tasks.adding_task(8).sample(500, 99), model).loss
    assert "120 steps" in repr(h)


@pytest.mark.parametrize("kind, kw", [("rnn", {}), ("lstm", dict(forget_bias=1.0)),
                                      ("gru", dict(reset_after=True))])
def test_fit_equals_a_hand_written_loop_bit_for_bit(kind, kw):
    """fit is train_step on the next batch (loss_and_grads, clipping, the optimizer's step) and
    nothing else: its workspace and its bookkeeping change no bit of the result."""
    task = tasks.adding_task(8)
    m_fit = network.make_model(kind, 2, 6, 1, 3, dtype=np.float32, **kw)
    m_hand = m_fit.copy()
    h = train.fit(train.task_batches(task.sample, 8, 4), m_fit, optim.Adam(0.01), steps=25, clip=0.5)
    gen, opt, params = np.random.default_rng(4), optim.Adam(0.01), m_hand.arrays()
    with threadpool_limits(1):  # what fit does (threads=1): BLAS sums in one order
        for step in range(25):
            X, y = task.sample(8, gen)
            value, grads, _ = network.loss_and_grads(X, y, m_hand)
            g = grads.arrays()
            norm = optim.clip_grad_norm(g, 0.5)
            assert (value, norm) == (h.loss[step], h.grad_norm[step])
            opt.step(params, g)
    for a, b in zip(m_fit.arrays(), m_hand.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert h.grad_norm.max() > 0.5  # clipping did happen on the way


def test_fit_leaves_the_callers_optimizer_settings_alone_and_follows_its_schedule():
    """Regression (issue 14): the character model's training loop wrote ``lr`` on the caller's
    optimizer (a decayed rate left behind for the next run). Schedules now live in the optimizer:
    ``fit`` only calls ``step``, and step t runs at ``lr(t)``."""
    task = tasks.adding_task(6)
    schedule = optim.linear_decay(0.1, 0.01, 10)
    opt = optim.SGD(schedule)
    m_fit = network.make_model("gru", 2, 4, 1, 0)
    m_hand = m_fit.copy()
    train.fit(train.task_batches(task.sample, 4, 1), m_fit, opt, steps=12)
    assert opt.lr is schedule and opt.t == 12 and opt.lr_at(12) == pytest.approx(0.01)
    gen = np.random.default_rng(1)
    with threadpool_limits(1):
        for t in range(1, 13):
            _, grads, _ = network.loss_and_grads(*task.sample(4, gen), m_hand)
            for a, g in zip(m_hand.arrays(), grads.arrays()):
                a -= schedule(t) * g  # plain SGD at the schedule's rate of step t
    for a, b in zip(m_fit.arrays(), m_hand.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    constant = optim.Adam(0.01)
    train.fit(train.task_batches(task.sample, 4, 1), network.make_model("gru", 2, 4, 1, 0), constant, steps=3)
    assert constant.lr == 0.01 and constant.t == 3


def test_fit_lends_one_workspace_to_every_step(monkeypatch):
    seen = []
    real = train.loss_and_grads

    def spy(*args, **kw):
        seen.append(kw.get("workspace"))
        return real(*args, **kw)

    monkeypatch.setattr(train, "loss_and_grads", spy)
    _run("lstm", tasks.adding_task(8), steps=5, lr=0.01, batch_size=4, seed=0)
    assert len(seen) == 5
    assert isinstance(seen[0], fused.Workspace) and all(w is seen[0] for w in seen)
    assert seen[0].nbytes > 0 and seen[0].part(0).generation == 5  # one forward pass per step in it


def test_fit_evaluates_on_as_many_blas_threads_as_it_trains():
    """The old character-model loop evaluated outside its thread limit."""
    seen = []

    def evaluate(model):
        seen.append(max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))
        return network.Score(1.0, None)

    train.fit(train.task_batches(tasks.adding_task(5).sample, 2, 0), network.make_model("rnn", 2, 3, 1, 0),
              optim.SGD(0.1), steps=3, evaluate=evaluate, eval_every=1, threads=1)
    assert seen == [1, 1, 1, 1]


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
        "from lstmlib import network, optim, tasks, train\n"
        "for threads in (None, 1):\n"
        "    loaded.clear(); looked_up.clear()\n"
        "    train.fit(train.task_batches(tasks.adding_task(5).sample, 2, 0),\n"
        "              network.make_model('lstm', 2, 3, 1, 0),\n"
        "              optim.SGD(0.1), steps=3, threads=threads)\n"
        "    print(loaded, looked_up)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    without_threads, with_threads = out.splitlines()
    assert without_threads == "[] []"
    assert "mallopt" not in with_threads and "libc" not in with_threads


def test_fit_is_a_pure_function_of_its_seeds():
    m1, h1 = _run("lstm", tasks.adding_task(8), steps=40, lr=0.02, batch_size=8, seed=0)
    m2, h2 = _run("lstm", tasks.adding_task(8), steps=40, lr=0.02, batch_size=8, seed=0)
    np.testing.assert_array_equal(h1.loss, h2.loss)
    for a, b in zip(m1.arrays(), m2.arrays()):
        np.testing.assert_array_equal(a, b)
    _, h3 = _run("lstm", tasks.adding_task(8), steps=40, lr=0.02, batch_size=8, seed=5)
    assert not np.array_equal(h1.loss, h3.loss)


def test_fit_clipping_bounds_every_update():
    task = tasks.adding_task(20)
    model = network.make_model("rnn", 2, 16, 1, 0, scale=1.0)
    before = [a.copy() for a in model.arrays()]
    h = train.fit(train.task_batches(task.sample, 8, 0), model, optim.SGD(0.1), steps=1, clip=0.5)
    assert h.grad_norm[0] > 0.5  # a large gradient was clipped ...
    moved = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.arrays(), before)))
    assert moved == pytest.approx(0.1 * 0.5, rel=1e-6)  # ... so the step is exactly lr * theta


def _diverging_fit(**kw):
    task = tasks.adding_task(30)
    model = network.make_model("rnn", 2, 16, 1, 0, scale=1.0, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning may escape
        h = train.fit(train.task_batches(task.sample, 16, 0), model, optim.SGD(1.0), steps=200,
                      evaluate=train.held_out(*task.sample(50, 1)), **kw)
    return model, task, h


def test_fit_stops_when_told_and_on_divergence():
    _, h = _run("lstm", tasks.adding_task(8), steps=400, lr=0.02, batch_size=16, seed=0,
                stop_when=lambda loss, acc: loss < 0.05)
    assert h.steps < 400 and h.eval_loss[-1] < 0.05 <= h.eval_loss[-2] and h.steps_to(0.05) == h.steps
    model, task, h = _diverging_fit()
    assert h.diverged_at is not None and h.steps == h.diverged_at < 200
    assert not np.isfinite(h.loss[-1]) or not np.isfinite(h.grad_norm[-1])
    assert all(np.all(np.isfinite(a)) for a in model.arrays())  # the overflowing step was not applied
    assert "diverged at step" in h.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert network.evaluate(*task.sample(8, 2), model).loss > 1e20  # no warning


# ---- one step ---------------------------------------------------------------------------------------
def test_train_step_is_gradients_clipping_and_one_update():
    task = tasks.adding_task(8)
    model = network.make_model("lstm", 2, 5, 1, 0)
    hand = model.copy()
    X, y = task.sample(6, 1)
    value, norm, final = train.train_step(train.Batch(X, y), model, optim.SGD(0.1), clip=0.01)
    want_value, grads, want_final = network.loss_and_grads(X, y, hand)
    want_norm = optim.clip_grad_norm(grads.arrays(), 0.01)
    optim.SGD(0.1).step(hand.arrays(), grads.arrays())
    assert (value, norm) == (want_value, want_norm) and norm > 0.01  # the norm before clipping
    np.testing.assert_array_equal(final[0].c, want_final[0].c)  # the final state, for the next batch
    for a, b in zip(model.arrays(), hand.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_step_carries_the_state_only_when_the_batch_says_so():
    model = network.make_model("gru", 2, 4, 1, 0)
    X, y = tasks.adding_task(6).sample(3, 0)
    state = [np.full((3, 4), 0.5)]
    results = {}
    for carry in (False, True):
        m = model.copy()
        results[carry] = train.train_step(train.Batch(X, y, carry), m, optim.SGD(0.1), state)
    assert results[False][0] == network.loss_and_grads(X, y, model)[0]  # from zeros
    assert results[True][0] == network.loss_and_grads(X, y, model, state)[0]  # from the state given
    assert results[True][0] != results[False][0]


def test_train_step_with_dropout_draws_its_masks_from_rng():
    model = network.make_model("lstm", 2, 5, 1, 0, dropout=0.5)
    X, y = tasks.adding_task(6).sample(4, 0)
    values = [train.train_step(train.Batch(X, y), model.copy(), optim.SGD(0.1), rng=seed)[0]
              for seed in (1, 1, 2)]
    assert values[0] == values[1] != values[2]
    masks = network.dropout_masks(model, 6, 4, 1)
    assert values[0] == network.loss_and_grads(X, y, model, masks=masks)[0]


def test_train_step_leaves_the_weights_alone_when_the_loss_or_gradient_overflows():
    task = tasks.adding_task(20)
    model = network.make_model("rnn", 2, 8, 1, 0, dtype=np.float32)
    model.head.weights[...] = 1e38  # the prediction overflows float32
    X, y = task.sample(4, 0)
    before = [a.copy() for a in model.arrays()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, norm, state = train.train_step(train.Batch(X, y), model, optim.SGD(0.1))
    assert value == np.inf and np.isnan(norm) and state is None
    for a, b in zip(model.arrays(), before):
        np.testing.assert_array_equal(a, b)


def test_fit_calls_after_step_after_every_update_and_not_after_a_diverged_step():
    seen = []
    model, h = _run("lstm", tasks.adding_task(8), steps=12, lr=0.02, batch_size=4, seed=0,
                    after_step=lambda step, m: seen.append((step, float(m.head.bias[0]))))
    assert [s for s, _ in seen] == list(range(1, 13))
    assert seen[-1][1] == float(model.head.bias[0])  # it sees the model after the update
    calls = []
    _, _, h = _diverging_fit(after_step=lambda step, m: calls.append(step))
    assert calls == list(range(1, h.diverged_at))


def test_fit_and_train_step_are_short_enough_to_read_in_a_notebook():
    """Chapter 06 shows train_step and fit with source(): the loop must stay a loop, with its checks
    and bookkeeping kept in helpers."""
    for fn, most in ((train.train_step, 30), (train.fit, 45)):
        assert len(inspect.getsource(fn).splitlines()) <= most, fn.__name__


# ---- progress reports and the history ---------------------------------------------------------------
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
    _, h = _run("lstm", tasks.adding_task(8), steps=7, lr=0.01, batch_size=4, seed=0, progress=rec, label="demo")
    assert rec.calls[0] == ("start", 7, "demo")
    assert [c[1] for c in rec.calls[1:-1]] == list(range(1, 8))
    assert [c[2] for c in rec.calls[1:-1]] == h.loss.tolist()
    assert rec.calls[-1] == ("close", h) and len(rec.calls) == 9
    # a divergence closes the report too, once, with the history
    rec = Recorder()
    _, _, h = _diverging_fit(progress=rec)
    assert rec.calls[0] == ("start", 200, "")
    assert [c[0] for c in rec.calls].count("close") == 1 and rec.calls[-1] == ("close", h)
    assert len(rec.calls) == 2 + h.diverged_at - 1  # the diverged step is not reported as done


def test_print_progress_prints_the_history_summary_once(capsys):
    _, h = _run("lstm", tasks.adding_task(8), steps=3, lr=0.01, batch_size=4, seed=0,
                progress=train.PrintProgress(), label="demo")
    out = capsys.readouterr().out
    assert out == h.summary() + "\n"
    assert out.startswith("demo: 3 steps in ") and ", held-out loss " in out
    _run("lstm", tasks.adding_task(8), steps=3, lr=0.01, batch_size=4, seed=0)
    assert capsys.readouterr().out == ""  # no progress object, no output


def _history(**kw):
    args = dict(label="LSTM T=8", loss=np.ones(4), grad_norm=np.ones(4), wall_time=np.arange(1.0, 5.0),
                eval_step=np.array([0, 4]), eval_loss=np.array([0.5, 0.01234567]), eval_accuracy=None,
                seconds=2.25)
    args.update(kw)
    return train.History(**args)


def test_history_summary_is_english_unless_a_translation_is_passed():
    assert _history().summary() == "LSTM T=8: 4 steps in 2.2 s, held-out loss 0.01235"
    assert _history().summary(seconds=False) == "LSTM T=8: 4 steps, held-out loss 0.01235"
    assert _history(label="").summary(seconds=False) == "training: 4 steps, held-out loss 0.01235"
    no_eval = _history(eval_step=np.array([], int), eval_loss=np.array([]), loss=np.array([1, 1, 1, 0.25]))
    assert no_eval.summary(seconds=False) == "LSTM T=8: 4 steps, loss 0.25"
    assert _history(diverged_at=3).summary(seconds=False) == "LSTM T=8: 4 steps, diverged at step 3"
    assert repr(_history()) == "History(LSTM T=8: 4 steps in 2.2 s, held-out loss 0.01235)"
    assert _history().steps_to(0.1) == 4 and _history().steps_to(0.001) is None
    # every piece of text goes through tr when one is given
    seen = []

    def tr(message, **fields):
        seen.append(message)
        return "<" + message.format(**fields) + ">"

    assert _history(label="").summary(tr=tr) == "<<training>: 4 steps in 2.2 s, <held-out loss 0.01235>>"
    assert _history(diverged_at=3).summary(seconds=False, tr=tr) == "<LSTM T=8: 4 steps, <diverged at step 3>>"
    assert set(seen) == {"training", "{label}: {steps} steps in {seconds:.1f} s, {result}",
                         "held-out loss {loss:.4g}", "diverged at step {step}", "{label}: {steps} steps, {result}"}
