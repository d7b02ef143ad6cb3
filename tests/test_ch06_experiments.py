"""lstmlib.course.ch06: runs as pure functions of their specs, the caller-held RunCache, the
experiments' verdicts (which must be able to go either way), their text with diverged runs, and
the progress bar that fit reports to in a notebook."""
import dataclasses

import numpy as np
import pytest

from lstmlib import train
from lstmlib.course import ch06 as E
from lstmlib.course import progress as P
from lstmlib.optim import SGD


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
        with pytest.raises(ValueError, match=f"^{name}"):
            E.RunSpec(**args)
    with pytest.raises(ValueError, match="^spec: expected a RunSpec"):
        E.run("spec")
    with pytest.raises(ValueError, match="^runs: expected a RunCache or None, got dict"):
        E.run(s, runs={})


def _count_fits(monkeypatch):
    calls = []
    real = train.fit

    def counting(*a, **kw):
        calls.append(kw["label"])
        return real(*a, **kw)

    monkeypatch.setattr(E.train, "fit", counting)
    return calls


def test_run_is_reproducible_and_only_a_run_cache_skips_training(monkeypatch):
    fits = _count_fits(monkeypatch)
    spec = E.RunSpec("gru", "adding", 10, 30, eval_every=10)
    a = E.run(spec)
    b = E.run(spec)  # runs=None: trains again, and gets the same numbers
    assert len(fits) == 2 and a.model is not b.model
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    np.testing.assert_array_equal(a.model.cell.weights, b.model.cell.weights)
    assert a.history.eval_step.tolist() == [0, 10, 20, 30]
    assert a.num_parameters == a.model.num_parameters
    runs = E.RunCache()
    c = E.run(spec, runs=runs)
    d = E.run(spec, runs=runs)
    assert len(fits) == 3 and len(runs) == 1  # the second call was served from the cache
    np.testing.assert_array_equal(c.model.cell.weights, d.model.cell.weights)
    X, _ = E.held_out_set(spec)
    X2, _ = E.held_out_set(dataclasses.replace(spec, kind="rnn", seed=4))
    np.testing.assert_array_equal(X, X2)  # every model of an experiment sees the same held-out set
    m0 = E.initial_model(spec)
    assert not np.array_equal(m0.cell.weights, a.model.cell.weights)
    np.testing.assert_array_equal(m0.cell.weights, E.initial_model(spec).cell.weights)


def test_run_cache_hands_out_copies():
    """Regression: cached runs were shared objects, so changing one result's model changed what
    every later caller got."""
    spec = E.RunSpec("rnn", "adding", 10, 20, eval_every=10)
    runs = E.RunCache()
    assert runs.get(spec) is None
    first = E.run(spec, runs=runs)
    kept = first.model.cell.weights.copy()
    first.model.cell.weights[...] = 0  # the caller's own result: the cache holds a copy
    got = runs.get(spec)
    np.testing.assert_array_equal(got.model.cell.weights, kept)
    got.model.cell.weights[...] = 1
    got.model.head.weights[...] = 1
    again = E.run(spec, runs=runs)
    np.testing.assert_array_equal(again.model.cell.weights, kept)
    assert not np.any(again.model.head.weights == 1)
    assert again.spec == spec


def _fake(kind, task="adding", losses=(0.2, 0.1), accs=None, diverged=None, seed=0, **kw):
    spec = E.RunSpec(kind, task, 10, 100, seed=seed, **kw)
    steps = np.array([0, 100][:len(losses)])
    h = train.History(spec.label, np.ones(100), np.ones(100), np.arange(100.0), steps,
                      np.array(losses, float), None if accs is None else np.array(accs, float), 1.0,
                      diverged)
    return E.RunResult(spec, h, E.initial_model(spec))


def _serve(monkeypatch, results):
    """Make the experiments' runs return ``results`` in order, by spec kind and seed."""
    pool = list(results)

    def fake_run(spec, *, runs=None, progress=None):
        for r in pool:
            if r.spec.kind == spec.kind and r.spec.seed == spec.seed and r.spec.forget_bias == spec.forget_bias \
                    and r.spec.scale == spec.scale and r.spec.clip == spec.clip:
                pool.remove(r)
                return r
        raise AssertionError(f"no fake result for {spec.label}")

    monkeypatch.setattr(E, "run", fake_run)


def test_adding_verdict_logic(monkeypatch):
    def exp(results):
        _serve(monkeypatch, results)
        return E.adding_experiment(10, steps=100)

    good = exp([_fake("rnn", losses=(0.17, 0.16)), _fake("lstm", losses=(0.17, 0.005)),
                _fake("gru", losses=(0.17, 0.004))])
    assert [c.reproduced for c in good.claims] == [True, True]
    text = str(good)
    assert "Hochreiter & Schmidhuber 1997" in text and "Verdict:   reproduced" in text
    bad = exp([_fake("rnn", losses=(0.17, 0.005)), _fake("lstm", losses=(0.17, 0.02)),
               _fake("gru", losses=(0.17, 0.004))])
    assert [c.reproduced for c in bad.claims] == [False, False]
    assert "NOT reproduced" in str(bad)
    assert "NOT reproduced:" in bad.verdicts() and "reproduced:" in good.verdicts()


def test_temporal_order_text_with_a_diverged_rnn(monkeypatch):
    """Regression: the claim formatted the RNN's final accuracy with :.3f, which is None for a
    diverged run: building the experiment raised TypeError instead of saying so."""
    _serve(monkeypatch, [_fake("rnn", "temporal-order", (1.4, 1.4), (0.25, 0.25), diverged=40),
                         _fake("lstm", "temporal-order", (1.4, 0.05), (0.25, 0.999)),
                         _fake("gru", "temporal-order", (1.4, 0.04), (0.25, 1.0))])
    ex = E.temporal_order_experiment(10, steps=100)
    rnn = ex.by_label("RNN T=10 seed 0")
    assert rnn.diverged and rnn.final_accuracy is None and rnn.final_loss == np.inf
    measured = ex.claims[0].measured
    assert "cross-entropy diverged" in measured and "accuracy -." in measured
    row = next(line for line in ex.table().splitlines() if line.startswith("RNN"))
    assert "diverged at step 40" in row and row.split()[-5] == "-"  # the accuracy column
    assert "Temporal order, T = 10" in str(ex)


def test_forget_bias_verdict_logic(monkeypatch):
    def exp(solved0, solved1):
        rs = [_fake("lstm", "temporal-order", (1.4, 0.1), (0.3, 0.999 if s else 0.5), seed=i, forget_bias=b)
              for b, solved in ((0.0, solved0), (1.0, solved1)) for i, s in enumerate(solved)]
        _serve(monkeypatch, rs)
        return E.forget_bias_experiment(10, steps=100, biases=(0.0, 1.0), seeds=(0, 1))

    assert exp([False, False], [True, False]).claims[0].reproduced
    assert not exp([True, False], [False, False]).claims[0].reproduced
    assert not exp([False, False], [False, False]).claims[0].reproduced
    assert "b_f = 1: 1 of 2 seeds reached the target (median step 100)" in exp([False, False], [True, False]).claims[0].measured
    with pytest.raises(ValueError, match="biases"):
        E.forget_bias_experiment(10, steps=10, biases=(1.0, 3.0))


def test_clipping_verdict_logic(monkeypatch):
    def exp(div_exploding, div_clipped, first_norm=1e4):
        rs = []
        for group, div in (("default", None), ("exploding", div_exploding), ("clipped", div_clipped)):
            kw = {"default": {}, "exploding": dict(scale=0.7), "clipped": dict(scale=0.7, clip=1.0)}[group]
            r = _fake("rnn", diverged=div, optimizer="sgd", stop_early=False, **kw)
            r.history.grad_norm[0] = 1.0 if group == "default" else first_norm
            rs.append(r)
        _serve(monkeypatch, rs)
        return E.clipping_experiment(10, steps=100, seeds=(0,))

    assert exp(50, None).claims[0].reproduced
    assert not exp(None, None).claims[0].reproduced
    assert not exp(50, 60).claims[0].reproduced
    assert not exp(50, None, first_norm=10.0).claims[0].reproduced
    assert "diverged at step 50" in exp(50, None).table()


def test_small_real_experiment_table():
    runs = E.RunCache()
    ex = E.temporal_order_experiment(10, steps=20, eval_every=10, hidden_size=4, runs=runs)
    text = str(ex)
    assert text.startswith("Temporal order, T = 10")
    assert "accuracy" in text and "Verdict:" in text and len(ex.results) == 3 and len(runs) == 3
    assert ex.by_label("GRU T=10 seed 0").spec.kind == "gru"
    with pytest.raises(KeyError):
        ex.by_label("nope")
    again = E.temporal_order_experiment(10, steps=20, eval_every=10, hidden_size=4, runs=runs)
    assert str(again) == text  # served from the cache: the same table, digit for digit
    table = E.timing_table(ex, again)
    assert "total" in table and table.count("reused") == 3
    assert "Hochreiter" in E.claims_summary(ex)


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


# ---- the progress bar fit reports to in a notebook -----------------------------------------------
def test_progress_bar_follows_a_run_and_keeps_the_final_line():
    bar = P.ProgressBar(display=False)
    assert repr(bar) == "training has not started"
    task = E.RunSpec("rnn", "adding", 5, 7).make_task()
    h = train.fit(train.make_model("rnn", 2, 3, 1, 0), task.sample, steps=7, batch_size=2,
                  optimizer=SGD(0.01), rng=0,
                  progress=bar, label="RNN demo")
    assert bar.bar.value == 7 and bar.bar.max == 7 and bar.bar.bar_style == "success"
    assert repr(bar) == h.summary(seconds=False) and repr(bar).startswith("RNN demo: 7 steps")
    # a diverging run ends the bar red, saying so
    bar = P.ProgressBar(display=False)
    h = train.fit(train.make_model("rnn", 2, 16, 1, 0, scale=1.0), E.RunSpec("rnn", "adding", 30, 1).make_task().sample,
                  steps=200, batch_size=16, optimizer=SGD(1.0), rng=0, progress=bar)
    assert bar.bar.bar_style == "danger" and "diverged at step" in repr(bar) and bar.bar.value < 200


def test_reporter_outside_a_notebook():
    assert P.reporter(False) is None and P.reporter(None) is None
    assert isinstance(P.reporter(True), train.PrintProgress)
    assert not P.in_notebook()
