"""lstmlib.train and lstmlib.experiments: losses and their gradients against finite differences,
clipping, the optimizers against their formulas, the training loop, and the experiments' verdicts."""
import dataclasses
import warnings

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import experiments as E
from lstmlib import tasks, train
from lstmlib.gradcheck import numerical_gradient, relative_error


# ---- losses -------------------------------------------------------------------------------------
def test_mse_value_and_gradient(rng):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss, grad = train.mse(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    num = numerical_gradient(lambda: train.mse(pred, target)[0], pred)
    assert relative_error(grad, num) < 1e-8
    with pytest.raises(ValueError, match="target"):
        train.mse(pred, target[:4])


def test_log_softmax_is_stable_and_normalised():
    logits = np.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lp = train.log_softmax(logits)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    np.testing.assert_allclose(lp[1], np.log(1 / 3))
    assert lp[0, 0] == 0.0


@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)])
def test_cross_entropy_value_and_gradient(rng, shape):
    logits = rng.standard_normal(shape) * 3
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    loss, grad = train.softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    want = -np.mean(np.log(np.take_along_axis(p, labels[..., None], -1)))
    assert loss == pytest.approx(want)
    num = numerical_gradient(lambda: train.softmax_cross_entropy(logits, labels)[0], logits)
    assert relative_error(grad, num) < 1e-8


def test_cross_entropy_bad_labels():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match="labels"):
        train.softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        train.softmax_cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="labels"):
        train.softmax_cross_entropy(logits, np.array([0.0, 1.0, 2.0]))


# ---- the model's gradients: every array, every kind, both heads, both losses ---------------------
CASES = [("rnn", False, "mse"), ("lstm", False, "mse"), ("gru", False, "mse"), ("gru", True, "xent"),
         ("lstm", True, "xent"), ("rnn", True, "mse"), ("lstm", False, "xent")]


@pytest.mark.parametrize("kind, every_step, loss", CASES)
def test_loss_and_grads_against_finite_differences(kind, every_step, loss):
    rng = np.random.default_rng(7)
    T, B, D, H, K = 4, 3, 2, 3, 3
    model = train.make_model(kind, D, H, K, rng, dtype=np.float64, every_step=every_step,
                             reset_after=(kind == "gru" and every_step), forget_bias=0.5)
    model.head.bias[...] = rng.standard_normal(K)
    X = rng.standard_normal((T, B, D))
    shape = (T, B) if every_step else (B,)
    y = rng.integers(0, K, size=shape) if loss == "xent" else rng.standard_normal(shape + (K,))
    value, grads, pred = train.loss_and_grads(model, X, y, loss)
    assert pred.shape == shape + (K,)
    assert len(grads) == len(model.arrays())
    for a, g in zip(model.arrays(), grads):
        assert a.shape == g.shape
        num = numerical_gradient(lambda: train.loss_and_grads(model, X, y, loss)[0], a)
        assert relative_error(g, num) < 1e-7
    assert value == pytest.approx(train.evaluate(model, X, y, loss)[0])


def test_predict_shapes_and_dtype():
    m = train.make_model("lstm", 2, 5, 3, 0)
    X = np.zeros((6, 4, 2), np.float32)
    assert train.predict(m, X).shape == (4, 3) and train.predict(m, X).dtype == np.float32
    m2 = dataclasses.replace(m, every_step=True)
    assert train.predict(m2, X).shape == (6, 4, 3)


def test_make_model_and_model_properties():
    m = train.make_model("gru", 2, 4, 1, 0, reset_after=True)
    assert m.kind == "gru" and m.cell.reset_after and m.dtype == np.float32
    assert m.num_parameters == m.cell.num_parameters + 4 + 1
    assert train.make_model("lstm", 2, 4, 1, 0, forget_bias=2.0).cell.b_f.tolist() == [2.0] * 4
    assert "lstm" in repr(train.make_model("lstm", 2, 4, 1, 0))
    c = m.copy()
    c.head.weights[...] += 1
    assert not np.array_equal(c.head.weights, m.head.weights)
    with pytest.raises(ValueError, match="kind"):
        train.make_model("transformer", 2, 4, 1, 0)
    with pytest.raises(ValueError, match="model"):
        train.predict("not a model", np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="loss"):
        train.loss_and_grads(m, np.zeros((2, 1, 2), np.float32), np.zeros((1, 1), np.float32), "hinge")


# ---- clipping and optimizers -----------------------------------------------------------------------
def test_clip_grad_norm():
    g = [np.array([3.0, 0.0]), np.array([[4.0]])]
    before = train.clip_grad_norm(g, 1.0)
    assert before == pytest.approx(5.0)
    assert train.global_norm(g) == pytest.approx(1.0)
    np.testing.assert_allclose(g[0], [0.6, 0.0])
    np.testing.assert_allclose(g[1], [[0.8]])
    small = [np.array([0.1, 0.2])]
    assert train.clip_grad_norm(small, 1.0) == pytest.approx(np.sqrt(0.05))
    np.testing.assert_array_equal(small[0], [0.1, 0.2])  # below theta: untouched
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="max_norm"):
            train.clip_grad_norm(small, bad)


def test_sgd_formula():
    p, g = [np.array([1.0, 2.0])], [np.array([0.5, -1.0])]
    train.SGD(0.1).step(p, g)
    np.testing.assert_allclose(p[0], [0.95, 2.1])
    p = [np.array([1.0])]
    opt = train.SGD(0.1, momentum=0.9)
    opt.step(p, [np.array([1.0])])  # v = 1
    opt.step(p, [np.array([1.0])])  # v = 1.9
    np.testing.assert_allclose(p[0], [1.0 - 0.1 - 0.19])
    with pytest.raises(ValueError, match="lr"):
        train.SGD(0.0)
    with pytest.raises(ValueError, match="momentum"):
        train.SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="grads"):
        train.SGD(0.1).step(p, [])


def test_adam_against_its_formula(rng):
    p0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(3)]
    p = [p0.copy()]
    opt = train.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-8)
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
    train.Adam(0.05).step(p, [np.array([2.0, -0.1, 300.0])])
    np.testing.assert_allclose(p[0], [-0.05, 0.05, -0.05], rtol=1e-4)
    with pytest.raises(ValueError, match="beta2"):
        train.Adam(beta2=1.0)


# ---- the training loop ---------------------------------------------------------------------------
def _fit(kind="lstm", steps=150, seed=0, **kw):
    task = tasks.adding_task(8)
    model = train.make_model(kind, 2, 8, 1, seed)
    held = task.sample(200, np.random.default_rng(99))
    h = train.fit(model, task.sample, steps=steps, batch_size=16, optimizer=train.Adam(0.02),
                  rng=seed + 1, eval_data=held, eval_every=50, progress=False, **kw)
    return model, h


def test_fit_learns_and_records():
    model, h = _fit(steps=400)
    assert h.steps == 400 and h.loss.shape == h.grad_norm.shape == h.wall_time.shape == (400,)
    assert np.all(np.diff(h.wall_time) >= 0) and h.seconds >= h.wall_time[-1]
    assert h.eval_step.tolist() == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert h.final_eval_loss < 0.1 * tasks.ADDING_BASELINE_MSE  # learned the task at T = 8
    assert h.eval_accuracy is None and h.diverged_at is None
    assert h.seconds_at(None) is None and h.seconds_at(0) == 0.0
    assert h.seconds_at(100) == h.wall_time[99]
    assert model.cell.weights.dtype == np.float32
    assert "400 steps" in repr(h)


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
    h = train.fit(model, task.sample, steps=1, batch_size=8, optimizer=train.SGD(0.1), rng=0,
                  clip=0.5, progress=False)
    assert h.grad_norm[0] > 0.5  # a large gradient was clipped ...
    moved = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.arrays(), before)))
    assert moved == pytest.approx(0.1 * 0.5, rel=1e-4)  # ... so the step is exactly lr * theta


def test_fit_stops_when_told_and_on_divergence():
    _, h = _fit(steps=300, stop_when=lambda loss, acc: loss < 0.05)
    assert h.steps < 300 and h.eval_loss[-1] < 0.05 and h.steps_to(0.05) == h.steps
    task = tasks.adding_task(30)
    model = train.make_model("rnn", 2, 16, 1, 0, scale=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning may escape
        h = train.fit(model, task.sample, steps=200, batch_size=16, optimizer=train.SGD(1.0),
                      rng=0, progress=False, eval_data=task.sample(50, np.random.default_rng(1)))
    assert h.diverged_at is not None and h.steps == h.diverged_at < 200
    assert not np.isfinite(h.loss[-1]) or not np.isfinite(h.grad_norm[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train.evaluate(model, *task.sample(8, np.random.default_rng(2)))[0] > 1e20  # no warning


def test_fit_classification_accuracy():
    task = tasks.temporal_order_task(12)
    model = train.make_model("gru", 8, 12, 4, 0)
    held = task.sample(200, np.random.default_rng(5))
    h = train.fit(model, task.sample, steps=100, batch_size=32, optimizer=train.Adam(0.02), rng=1,
                  loss="xent", eval_data=held, eval_every=25, progress=False)
    assert h.eval_accuracy is not None and h.eval_accuracy.shape == h.eval_loss.shape
    assert h.steps_to_accuracy(0.0) == 0
    with pytest.raises(ValueError, match="threshold"):
        _fit(steps=2)[1].steps_to_accuracy(0.5)


def test_progress_line_outside_a_notebook(capsys):
    task = tasks.adding_task(5)
    train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, steps=3, batch_size=2,
              optimizer=train.SGD(0.01), rng=0, progress=True, label="demo")
    out = capsys.readouterr().out
    assert out.startswith("demo: 3 steps in") and out.count("\n") == 1
    train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, steps=3, batch_size=2,
              optimizer=train.SGD(0.01), rng=0, progress=None)
    assert capsys.readouterr().out == ""


def test_progress_bar_in_a_notebook(monkeypatch):
    shown = []
    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    import IPython.display
    monkeypatch.setattr(IPython.display, "display", lambda w: shown.append((w, repr(w))))
    task = tasks.adding_task(5)
    train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, steps=7, batch_size=2,
              optimizer=train.SGD(0.01), rng=0, label="RNN demo")
    (widget, text), = shown
    # what a notebook saves is the text at display time: the same on every run
    assert "IntProgress(value=0" in text and "RNN demo" in text and "max=7" in text
    bar, label = widget.children
    assert bar.value == 7 and bar.bar_style == "success" and "7 steps" in label.value
    # a diverging run ends the bar red, saying so
    shown.clear()
    train.fit(train.make_model("rnn", 2, 16, 1, 0, scale=1.0), tasks.adding_task(30).sample,
              steps=200, batch_size=16, optimizer=train.SGD(1.0), rng=0)
    (widget, _), = shown
    bar, label = widget.children
    assert bar.bar_style == "danger" and "diverged at step" in label.value and bar.value < 200


@pytest.mark.parametrize("kw, name", [
    (dict(steps=0), "steps"), (dict(batch_size=0), "batch_size"), (dict(optimizer="adam"), "optimizer"),
    (dict(clip=0.0), "clip"), (dict(loss="l1"), "loss"), (dict(rng="x"), "rng"), (dict(threads=0), "threads"),
])
def test_fit_bad_input(kw, name):
    task = tasks.adding_task(5)
    args = dict(steps=2, batch_size=2, optimizer=train.SGD(0.1), rng=0, progress=False)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, **args)


# ---- experiments: runs, caching, and verdicts that can go either way -----------------------------
def test_run_spec_validation_and_labels():
    s = E.RunSpec("lstm", "adding", 20, 10, forget_bias=3.0, clip=1.0)
    assert s.label == "LSTM T=20 b_f=3 clip=1 seed 0"
    assert s.reached(0.005, None) and not s.reached(0.02, None)
    t = E.RunSpec("gru", "temporal-order", 20, 10)
    assert t.reached(1.0, 0.995) and not t.reached(0.01, 0.98)
    for kw, name in ((dict(kind="cnn"), "kind"), (dict(task="copy"), "task"), (dict(optimizer="rmsprop"), "optimizer"),
                     (dict(steps=0), "steps")):
        args = dict(kind="rnn", task="adding", T=10, steps=5)
        args.update(kw)
        with pytest.raises(ValueError, match=name):
            E.RunSpec(**args)
    with pytest.raises(ValueError, match="spec"):
        E.run("spec")


def test_run_is_reproducible_and_cached():
    spec = E.RunSpec("gru", "adding", 10, 30, eval_every=10)
    a = E.run(spec, progress=False)
    assert E.run(spec) is a  # the same spec is not trained twice
    b = E.run(spec, progress=False, reuse=False)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    assert a.history.eval_step.tolist() == [0, 10, 20, 30]
    assert a.num_parameters == a.model.num_parameters
    X, y = E.held_out_set(spec)
    X2, _ = E.held_out_set(dataclasses.replace(spec, kind="rnn", seed=4))
    np.testing.assert_array_equal(X, X2)  # every model of an experiment sees the same held-out set
    m0 = E.initial_model(spec)
    assert not np.array_equal(m0.cell.weights, a.model.cell.weights)


def _fake(kind, task="adding", losses=(0.2, 0.1), accs=None, diverged=None, seed=0, **kw):
    spec = E.RunSpec(kind, task, 10, 100, seed=seed, **kw)
    steps = np.array([0, 100][:len(losses)])
    h = train.History(spec.label, np.ones(100), np.ones(100), np.arange(100.0), steps,
                      np.array(losses, float), None if accs is None else np.array(accs, float), 1.0,
                      diverged)
    return E.RunResult(spec, h, E.initial_model(spec))


def test_adding_verdict_logic(monkeypatch):
    def fake_runs(results):
        monkeypatch.setattr(E, "_runs", lambda specs, progress: tuple(results))
        return E.adding_experiment(10, steps=100)

    good = fake_runs([_fake("rnn", losses=(0.17, 0.16)), _fake("lstm", losses=(0.17, 0.005)),
                      _fake("gru", losses=(0.17, 0.004))])
    assert [c.reproduced for c in good.claims] == [True, True]
    text = str(good)
    assert "Hochreiter & Schmidhuber 1997" in text and "Verdict:   reproduced" in text
    bad = fake_runs([_fake("rnn", losses=(0.17, 0.005)), _fake("lstm", losses=(0.17, 0.02)),
                     _fake("gru", losses=(0.17, 0.004))])
    assert [c.reproduced for c in bad.claims] == [False, False]
    assert "NOT reproduced" in str(bad)


def test_forget_bias_verdict_logic(monkeypatch):
    def exp(solved0, solved1):
        rs = [_fake("lstm", "temporal-order", (1.4, 0.1), (0.3, 0.999 if s else 0.5), seed=i, forget_bias=b)
              for b, solved in ((0.0, solved0), (1.0, solved1)) for i, s in enumerate(solved)]
        monkeypatch.setattr(E, "_runs", lambda specs, progress: tuple(rs))
        return E.forget_bias_experiment(10, steps=100, biases=(0.0, 1.0), seeds=(0, 1))

    assert exp([False, False], [True, False]).claims[0].reproduced
    assert not exp([True, False], [False, False]).claims[0].reproduced
    assert not exp([False, False], [False, False]).claims[0].reproduced
    with pytest.raises(ValueError, match="biases"):
        E.forget_bias_experiment(10, steps=10, biases=(1.0, 3.0))


def test_clipping_verdict_logic(monkeypatch):
    def exp(div_exploding, div_clipped, first_norm=1e4):
        rs = []
        for group, div in (("default", [None]), ("exploding", [div_exploding]), ("clipped", [div_clipped])):
            kw = {"default": {}, "exploding": dict(scale=0.7), "clipped": dict(scale=0.7, clip=1.0)}[group]
            r = _fake("rnn", diverged=div[0], optimizer="sgd", stop_early=False, **kw)
            r.history.grad_norm[0] = 1.0 if group == "default" else first_norm
            rs.append(r)
        monkeypatch.setattr(E, "_runs", lambda specs, progress: tuple(rs))
        return E.clipping_experiment(10, steps=100, seeds=(0,))

    assert exp(50, None).claims[0].reproduced
    assert not exp(None, None).claims[0].reproduced
    assert not exp(50, 60).claims[0].reproduced
    assert not exp(50, None, first_norm=10.0).claims[0].reproduced
    assert "diverged at step 50" in exp(50, None).table()


def test_small_real_experiment_table():
    ex = E.temporal_order_experiment(10, steps=20, eval_every=10, hidden_size=4)
    text = str(ex)
    assert text.startswith("Temporal order, T = 10")
    assert "accuracy" in text and "Verdict:" in text and len(ex.results) == 3
    assert ex.by_label("GRU T=10 seed 0").spec.kind == "gru"
    with pytest.raises(KeyError):
        ex.by_label("nope")
    assert "total" in E.timing_table(ex)


def test_chapter06_settings():
    for full in (False, True):
        s = E.chapter06_settings(full)
        assert set(s) == {"adding_short", "adding_long", "temporal_order", "forget_bias", "clipping"}
    assert E.chapter06_settings(True)["adding_long"]["steps"] > E.chapter06_settings(False)["adding_long"]["steps"]


def test_gradient_flow_before_after_small():
    ba = E.gradient_flow_before_after(8, steps=20, batch=4)
    assert set(ba.before) == set(ba.after) == {"rnn", "lstm", "gru"}
    assert ba.before["lstm"].dh.shape == (8, 4, 32)
    assert "held-out MSE" in ba.table()
    assert not np.allclose(ba.before["gru"].dh, ba.after["gru"].dh)
