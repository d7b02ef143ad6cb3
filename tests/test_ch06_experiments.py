"""lstmlib.course.ch06: runs as pure functions of their specs (with snapshots and records), the
caller-held RunCache, matched sizes, the statistics and the findings they word (each able to go
every way), the sweeps (the script end to end on a tiny setting, the shipped file re-checked on
one seed), the explosion watch, the after-training measurements, and odd arguments answered with
one ValueError naming them."""
import dataclasses
import re

import numpy as np
import pytest

from lstmlib import losses, network, optim, tasks, train
from lstmlib.train import blas_kernel
from lstmlib.activations import sigmoid
from lstmlib.course import ch05
from lstmlib.course import ch06 as E
from lstmlib.course import i18n
from lstmlib.course import progress as P
from lstmlib.course.tables import width
from lstmlib.models import MODELS, model_of

TINY = E.Settings.tiny()


@pytest.fixture(scope="module")
def tiny():
    """The tiny sweeps, run here (seconds): every plan of ``Settings.tiny()``."""
    records = [E.run_job(job)[1] for job in E.jobs(TINY)]
    return E.Sweeps(TINY, tuple(records), {})


# ---- one run -------------------------------------------------------------------------------------
def test_run_spec_labels_groups_and_options():
    s = E.RunSpec("lstm", "adding", 20, 10, forget_bias=3.0, clip=1.0)
    assert s.label == "LSTM T=20 b_f=3 clip=1 seed 0" and s.group == "LSTM b_f=3" and s.options == {"forget_bias": 3.0}
    g = E.RunSpec("gru", "adding", 20, 10, lr=3e-3)
    assert g.forget_bias is None and g.group == "GRU" and g.label == "GRU T=20 lr=0.003 seed 0" and g.options == {}
    assert g == E.RunSpec("gru", "adding", 20, 10, lr=3e-3, forget_bias=0.0)  # no forget gate: one run
    assert s.reached(0.005, None) and not s.reached(0.02, None)
    t = E.RunSpec("gru", "temporal-order", 20, 10)
    assert t.reached(1.0, 0.995) and not t.reached(0.01, 0.98)


ODD_CALLS = [  # (call, the argument the error must name)
    (lambda: E.RunSpec("cnn", "adding", 10, 5), "kind"),
    (lambda: E.RunSpec("rnn", "copy", 10, 5), "task"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, optimizer="rmsprop"), "optimizer"),
    (lambda: E.RunSpec("rnn", "adding", 10, 0), "steps"),
    (lambda: E.RunSpec("rnn", "adding", 0, 5), "T"),
    (lambda: E.RunSpec("rnn", "temporal-order", 5, 5), "T"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, lr=0), "lr"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, lr=float("nan")), "lr"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, clip=-1.0), "clip"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, scale=0), "scale"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, momentum=1.0), "momentum"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, seed=-1), "seed"),
    (lambda: E.RunSpec("rnn", "adding", 10, 5, seed=1.5), "seed"),
    (lambda: E.RunSpec("lstm", "adding", 10, 5, forget_bias=None), "forget_bias"),
    (lambda: E.RunSpec("lstm", "adding", 10, 5, forget_bias=float("inf")), "forget_bias"),
    (lambda: E.run("spec"), "spec"),
    (lambda: E.run(E.RunSpec("rnn", "adding", 10, 5), runs={}), "runs"),
    (lambda: E.loss_gradient_check(eps=0), "eps"),
    (lambda: E.loss_gradient_check(eps=-1e-6), "eps"),
    (lambda: E.loss_gradient_check(eps=1.0), "eps"),
    (lambda: E.loss_gradient_check(seed=-1), "seed"),
    (lambda: E.first_steps_table(grad=[[1.0]]), "grad"),
    (lambda: E.first_steps_table(grad="abc"), "grad"),
    (lambda: E.first_steps_table(grad=[]), "grad"),
    (lambda: E.first_steps_table(lr=0), "lr"),
    (lambda: E.adding_example(T=0), "T"),
    (lambda: E.adding_example(seed=-2), "seed"),
    (lambda: E.temporal_order_example(T=5), "T"),
    (lambda: E.baseline_table(n=0), "n"),
    (lambda: E.parameter_count("cnn", "adding", 4), "kind"),
    (lambda: E.parameter_count("rnn", "copy", 4), "task"),
    (lambda: E.parameter_count("rnn", "adding", 0), "hidden_size"),
    (lambda: E.matched_sizes("adding", 0), "hidden_size"),
    (lambda: E.Median.of([]), "values"),
    (lambda: E.Median.of([1.0, float("nan")]), "values"),
    (lambda: E.more_often_p(3, 2, 0, 2), "k1"),
    (lambda: E.more_often_p(-1, 2, 0, 2), "k1"),
    (lambda: E.sign_test_p(1.5, 2), "wins"),
    (lambda: E.race([1, 2], [1]), "steps_b"),
    (lambda: E.Finding("x", "y", "z", "reproduced", 5), "outcome"),
    (lambda: E.load_sweeps("no/such/file.npz"), "path"),
    (lambda: E.Sweeps(TINY, (), {}).select(colour="red"), "colour"),
    (lambda: E.gradient_flow_before_after([]), "specs"),
    (lambda: E.gradient_flow_before_after(E.live_specs(TINY), batch=0), "batch"),
    (lambda: E.reach_over_training([]), "records"),
    (lambda: E.gate_hold("x"), "ba"),
    (lambda: E.gate_traces("x"), "ba"),
    (lambda: E.keep_gate(E.initial_model(E.RunSpec("rnn", "adding", 10, 5)), np.zeros((10, 1, 2))), "model"),
    (lambda: E.watch_explosion(E.RunSpec("rnn", "adding", 10, 5)), "spec"),
    (lambda: E.watch_explosion(E.RunSpec("rnn", "adding", 10, 5, optimizer="sgd", clip=1.0), steps=6), "steps"),
    (lambda: E.watch_explosion(E.RunSpec("rnn", "adding", 10, 5, optimizer="sgd", clip=1.0), steps=5, batch=0),
     "batch"),
]


@pytest.mark.parametrize("call, name", ODD_CALLS, ids=[f"{k}-{n}" for k, (_, n) in enumerate(ODD_CALLS)])
def test_odd_arguments_get_one_sentence_naming_them(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: ") as err:
        call()
    assert "\n" not in str(err.value) and ("expected" in str(err.value) or "not a field" in str(err.value))


def _count_fits(monkeypatch):
    calls = []
    real = train.fit

    def counting(*a, **kw):
        calls.append(kw["label"])
        return real(*a, **kw)

    monkeypatch.setattr(train, "fit", counting)  # the run looks it up on lstmlib.train
    return calls


def test_run_is_reproducible_and_only_a_run_cache_skips_training(monkeypatch):
    fits = _count_fits(monkeypatch)
    spec = E.RunSpec("gru", "adding", 10, 30, eval_every=10)
    a, b = E.run(spec), E.run(spec)  # runs=None: trains again, and gets the same numbers
    assert len(fits) == 2 and a.model is not b.model
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    np.testing.assert_array_equal(a.model.cell.weights, b.model.cell.weights)
    assert a.history.eval_step.tolist() == [0, 10, 20, 30] and a.model.dtype == np.float32
    runs = E.RunCache()
    c, d = E.run(spec, runs=runs), E.run(spec, runs=runs)
    assert len(fits) == 3 and len(runs) == 1  # the second call was served from the cache
    np.testing.assert_array_equal(c.model.cell.weights, d.model.cell.weights)
    X, _ = E.held_out_set(spec)
    np.testing.assert_array_equal(X, E.held_out_set(dataclasses.replace(spec, kind="rnn", seed=4))[0])
    c.model.cell.weights[...] = 0  # the caller's own copy: the cache keeps its own
    assert np.any(runs.get(spec).model.cell.weights != 0)


def test_a_run_is_train_fit_with_the_spec_s_settings():
    """The run trains exactly what the chapter's loop shows: make_model (float32, b_f explicit),
    task_batches from seed [seed, 1], Adam, held-out scores every eval_every steps."""
    spec = E.RunSpec("lstm", "temporal-order", 10, 20, hidden_size=4, forget_bias=1.0, eval_every=10,
                     stop_early=False, seed=3)
    r = E.run(spec, progress=False)
    task = spec.make_task()
    model = network.make_model("lstm", 8, 4, 4, np.random.default_rng([3, 0]), dtype=np.float32, forget_bias=1.0)
    np.testing.assert_array_equal(model.cell.b_f, np.float32(1.0) + 0 * model.cell.b_f)
    X, y = E.held_out_set(spec)
    h = train.fit(train.task_batches(task.sample, 32, np.random.default_rng([3, 1])), model, optim.Adam(1e-2),
                  steps=20, loss="xent", evaluate=train.held_out(X, y, "xent"), eval_every=10)
    np.testing.assert_array_equal(h.loss, r.history.loss)
    np.testing.assert_array_equal(model.cell.weights, r.model.cell.weights)
    rec = r.record
    assert (rec.steps, rec.num_parameters, rec.diverged) == (20, model.num_parameters, False)
    np.testing.assert_array_equal(rec.eval_accuracy, h.eval_accuracy)
    assert rec.final_accuracy == h.eval_accuracy[-1] and rec.final_loss == h.eval_loss[-1]
    assert rec.solved_at == h.steps_to_accuracy(0.99)


def test_snapshots_are_the_model_at_every_evaluation_and_read_only():
    spec = E.RunSpec("lstm", "adding", 8, 30, hidden_size=4, eval_every=10, stop_early=False)
    r = E.run(spec, progress=False)
    assert [s for s, _ in r.checkpoints] == [0, 10, 20, 30]
    np.testing.assert_array_equal(r.checkpoints[0][1].cell.weights, E.initial_model(spec).cell.weights)
    np.testing.assert_array_equal(r.checkpoints[-1][1].cell.weights, r.model.cell.weights)
    shorter = E.run(dataclasses.replace(spec, steps=20), progress=False)  # the same run, stopped at 20
    np.testing.assert_array_equal(r.checkpoints[2][1].cell.weights, shorter.model.cell.weights)
    with pytest.raises(ValueError, match="read-only"):
        r.checkpoints[1][1].cell.weights[0, 0] = 1.0


def test_records_count_the_target_met_and_an_overflow():
    spec = E.RunSpec("rnn", "adding", 10, 100, eval_every=10)
    rec = E.RunRecord(spec, 40, None, 9, np.array([0, 10, 20, 30, 40]), np.array([0.2, 0.1, 0.02, 0.009, 0.005]))
    assert rec.solved_at == 30 and rec.final_loss == 0.005 and rec.final_accuracy is None
    dead = dataclasses.replace(rec, diverged_at=35, eval_loss=np.array([0.2, 0.1, 0.02, 0.03, 0.04]))
    assert dead.diverged and dead.final_loss == np.inf and not dead.solved


# ---- sizes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", list(E.TASKS))
def test_parameter_count_and_matched_sizes(task):
    t = E.TASKS[task](20)
    for kind in MODELS:
        for H in (3, 16, 19):
            model = network.make_model(kind, t.input_size, H, t.output_size, 0)
            assert E.parameter_count(kind, task, H) == model.num_parameters
    sizes = E.matched_sizes(task, 16)
    assert sizes["lstm"] == 16 and list(sizes) == list(MODELS)
    want = E.parameter_count("lstm", task, 16)
    for kind in ("rnn", "gru"):
        gap = abs(E.parameter_count(kind, task, sizes[kind]) - want)
        assert gap <= min(abs(E.parameter_count(kind, task, sizes[kind] + d) - want) for d in (-1, 1))
        assert gap < 0.1 * want  # "matched": within ten per cent
    assert E.matched_sizes("adding") == {"rnn": 33, "lstm": 16, "gru": 19}
    assert any(line.split() == ["adding", "GRU", "19", "1274"] for line in E.sizes_table().splitlines())


# ---- statistics ----------------------------------------------------------------------------------
def test_fisher_and_sign_test_against_hand_counts():
    # 3 of 3 against 0 of 3: of the C(6, 3) = 20 ways to place the 3 successes, one puts all in group 1
    assert E.more_often_p(3, 3, 0, 3) == pytest.approx(1 / 20)
    assert E.more_often_p(0, 3, 3, 3) == 1.0 and E.more_often_p(2, 4, 2, 4) == pytest.approx(53 / 70)
    assert E.more_often_p(20, 20, 0, 20) == pytest.approx(1 / 137846528820)  # 1 / C(40, 20)
    # the sign test: 9 wins against 1 is as uneven as 1 against 9: 2 (1 + 10) / 2^10
    assert E.sign_test_p(9, 1) == pytest.approx(22 / 1024) == E.sign_test_p(1, 9)
    assert E.sign_test_p(5, 5) == 1.0 and E.sign_test_p(0, 0) == 1.0 and E.sign_test_p(5, 0) == pytest.approx(1 / 16)
    r = E.race([100, 200, np.inf, np.inf, 50], [200, 100, 300, np.inf, 50])
    assert (r.a, r.b, r.ties, r.n) == (1, 2, 2, 5)  # a run that never met the target loses; both never: a tie


def test_bootstrap_median_is_seeded_and_knows_never():
    m = E.Median.of([100, 200, 300, 400, 500])
    assert m.value == 300 and m.low <= 300 <= m.high and m == E.Median.of([500, 400, 300, 200, 100])
    assert {m.low, m.high} <= {100, 150, 200, 250, 300, 350, 400, 450, 500}  # medians of resamples
    assert m.text() == f"300 [{m.low:.0f}, {m.high:.0f}]"
    some = E.Median.of([100, 200, 300, np.inf, np.inf])  # 3 of 5 met it: a finite median, an open top
    assert some.value == 300 and some.high == np.inf and some.text().endswith(", never]")
    assert E.Median.of([np.inf] * 5).text(never="never (> 30)") == "never (> 30)"
    assert E.Median.of([7.0]).text() == "7 [7, 7]"


@pytest.mark.parametrize("p_for, p_against, want", [(0.01, 0.99, "consistent"), (0.3, 0.7, "indistinguishable"),
                                                    (0.99, 0.01, "contrary"), (0.05, 0.95, "indistinguishable")])
def test_outcome_follows_the_p_values(p_for, p_against, want):
    assert E.outcome(p_for, p_against) == want
    f = E.Finding("A & B 2000", "X helps.", "measured", want, 7)
    assert f.verdict == {"consistent": "consistent with the claim", "contrary": "contrary to the claim",
                         "indistinguishable": "not distinguishable at 7 seeds"}[want]
    assert f.lines()[0] == "A & B 2000: X helps." and f.lines()[-1].endswith(f.verdict)


# ---- findings from records, each able to go every way -------------------------------------------------
def _rec(kind, task, seed, solved_at, budget=100, forget_bias=1.0, lr=1e-2, accuracy=None):
    spec = E.RunSpec(kind, task, 10, budget, seed=seed, forget_bias=forget_bias, lr=lr, eval_every=10,
                     hidden_size=4)
    if solved_at is None:
        steps, loss, acc = np.arange(0, budget + 1, 10), np.full(budget // 10 + 1, 0.17), 0.3
    else:
        steps, loss, acc = np.arange(0, solved_at + 1, 10), np.full(solved_at // 10 + 1, 0.17), 0.3
        loss[-1] = 0.005
    classify = task == "temporal-order"
    accs = None if not classify else np.where(loss < 0.01, 1.0, acc)
    return E.RunRecord(spec, int(steps[-1]), None, 99, steps, loss, accs)


def _sweeps(adding, order=None, lr_other=None, n=8):
    """Fake sweeps from ``{group: list of steps to the target (None: never)}`` per task."""
    kinds = {"RNN": ("rnn", None), "LSTM b_f=0": ("lstm", 0.0), "LSTM b_f=1": ("lstm", 1.0),
             "LSTM b_f=3": ("lstm", 3.0), "GRU": ("gru", None)}
    records = []
    for task, table, lr in (("adding", adding, 1e-2), ("temporal-order", order or adding, 1e-2),
                            ("adding", lr_other or {}, 3e-2), ("temporal-order", lr_other or {}, 3e-2)):
        for g, steps in table.items():
            kind, bias = kinds[g]
            records += [_rec(kind, task, s, at, forget_bias=bias, lr=lr) for s, at in enumerate(steps)]
    settings = dataclasses.replace(TINY, seeds=tuple(range(n)), other_lrs=(3e-2,), adding_steps=100, order_steps=100)
    return E.Sweeps(settings, tuple(records), {})


NEVER8 = [None] * 8


def _models(rnn=NEVER8, zero=NEVER8, one=(50,) * 8, three=(50,) * 8, gru=(30,) * 8):
    return {"RNN": list(rnn), "LSTM b_f=0": list(zero), "LSTM b_f=1": list(one), "LSTM b_f=3": list(three),
            "GRU": list(gru)}


def test_model_comparison_findings_follow_the_counts():
    c = E.model_comparison(_sweeps(_models(three=(20,) * 8)), "adding")
    assert [f.outcome for f in c.findings] == ["consistent"] * 4
    assert "8 of 8 seeds, the RNN on 0 of 8" in c.findings[0].measured and "p = 7.8e-05" in c.findings[0].measured
    row = next(ln for ln in c.table.splitlines() if ln.startswith("RNN"))
    assert row.split()[3:6] == ["0", "of", "8"] and "never (> 100)" in row
    assert str(c).count("verdict:") == 4 and "seeds 0-7" in c.title
    # the RNN learning as often as the LSTM: nothing to tell them apart
    ev = E.model_comparison(_sweeps(_models(rnn=(60,) * 8, zero=(50,) * 8)), "adding")
    assert [f.outcome for f in ev.findings[:3]] == ["indistinguishable"] * 3 and "8 seeds" in ev.findings[0].verdict
    # b_f = 0 learns as often as b_f = 1 but later on every seed: the sign test decides
    assert E.model_comparison(_sweeps(_models(zero=(90,) * 8)), "adding").findings[2].outcome == "consistent"
    backwards = _sweeps(_models(zero=(20,) * 8, one=(50,) * 4 + (None,) * 4))
    assert E.model_comparison(backwards, "adding").findings[2].outcome == "contrary"
    assert E.model_comparison(_sweeps(_models(three=NEVER8)), "adding").findings[3].outcome == "contrary"
    rnn_wins = _sweeps(_models(rnn=(20,) * 8, one=NEVER8, three=NEVER8, gru=NEVER8))
    assert [f.outcome for f in E.model_comparison(rnn_wins, "adding").findings[:2]] == ["contrary"] * 2
    with pytest.raises(ValueError, match="^task"):
        E.model_comparison(_sweeps({"RNN": NEVER8, "GRU": [30] * 8}), "adding")


def test_outcome_when_two_tests_disagree():
    assert E.outcome(0.01, 0.01) == "indistinguishable"


def test_gru_vs_lstm_findings_follow_the_races():
    split = _sweeps({"RNN": NEVER8, "LSTM b_f=0": NEVER8, "LSTM b_f=1": [50] * 8, "GRU": [30] * 8},
                    order={"RNN": NEVER8, "LSTM b_f=0": NEVER8, "LSTM b_f=1": [30] * 8, "GRU": [50] * 8},
                    lr_other={"LSTM b_f=1": [40] * 8, "GRU": [40] * 8})
    c = E.gru_vs_lstm(split)
    assert [f.outcome for f in c.findings] == ["consistent", "contrary"]  # depends on the task; gap on adding
    assert "LSTM first on 0, GRU on 8, tied on 0" in c.findings[0].measured
    assert "distinguishably faster on: the adding problem" in c.findings[1].measured
    assert len(c.table.splitlines()) == 3 + 4  # two tasks x two learning rates
    gru_everywhere = _sweeps({"RNN": NEVER8, "LSTM b_f=0": NEVER8, "LSTM b_f=1": [50] * 8, "GRU": [30] * 8},
                             lr_other={"LSTM b_f=1": [40] * 8, "GRU": [40] * 8})
    assert [f.outcome for f in E.gru_vs_lstm(gru_everywhere).findings] == ["contrary", "contrary"]
    even = _sweeps({"RNN": NEVER8, "LSTM b_f=0": NEVER8, "LSTM b_f=1": [30] * 8, "GRU": [30] * 8},
                   lr_other={"LSTM b_f=1": [40] * 8, "GRU": [40] * 8})
    assert [f.outcome for f in E.gru_vs_lstm(even).findings] == ["indistinguishable", "consistent"]


def test_clipping_findings_and_stability():
    base = tasks.ADDING_BASELINE_MSE

    def rec(seed, final, diverged=None, first=2.0, **kw):
        spec = E.RunSpec("rnn", "adding", 10, 50, optimizer="sgd", lr=0.05, seed=seed, stop_early=False, **kw)
        return E.RunRecord(spec, 50 if diverged is None else diverged, diverged, 9, np.array([0, 50]),
                           np.array([1.0, final]), loss=np.ones(50), grad_norm=np.full(50, first))

    def sweeps(large, clipped, first=200.0):
        rs = [rec(s, 0.17) for s in range(6)]
        rs += [rec(s, f, d, first, scale=0.5) for s, (f, d) in enumerate(large)]
        rs += [rec(s, f, d, first, scale=0.5, clip=1.0) for s, (f, d) in enumerate(clipped)]
        return E.Sweeps(dataclasses.replace(TINY, clip_seeds=tuple(range(6))), tuple(rs), {})

    exploded = sweeps([(0.1, 30)] * 5 + [(1e9, None)], [(0.17, None)] * 6)
    c = E.clipping_comparison(exploded)
    assert c.findings[0].outcome == "consistent" and "100 times the default one" in c.findings[0].measured
    row = next(ln for ln in c.table.splitlines() if ln.startswith("large weights "))
    assert row.split()[-6:-3] == ["0", "1", "5"] and row.rstrip().endswith("1e+09 [1e+09, 1e+09]")
    tame = sweeps([(0.17, None)] * 6, [(0.17, None)] * 6)
    assert E.clipping_comparison(tame).findings[0].outcome == "indistinguishable"
    worse = sweeps([(0.17, None)] * 6, [(0.1, 20)] * 6)
    assert E.clipping_comparison(worse).findings[0].outcome == "contrary"
    assert E.stability(rec(0, 1.9 * base)) == "stable" and E.stability(rec(0, 2.1 * base)) == "failed"
    assert E.stability(rec(0, 0.1, 30)) == "overflowed" and E.stability(rec(0, 2.1 * base), factor=3.0) == "stable"


# ---- the sweeps ------------------------------------------------------------------------------------
def test_plans_cover_every_model_seed_and_setting():
    s = E.Settings()
    by = {p.name: p for p in E.plans(s)}
    adding = by["adding"].specs
    assert len(adding) == len(s.seeds) * (len(MODELS) - 1 + len(s.forget_biases)) and by["adding"].reach
    assert {(x.kind, x.hidden_size) for x in adding} == {(k, H) for k, H in E.matched_sizes("adding").items()}
    assert {x.forget_bias for x in adding if x.kind == "lstm"} == set(s.forget_biases)
    assert {x.lr for x in by["learning-rate"].specs} == set(s.other_lrs)
    assert {x.kind for x in by["learning-rate"].specs} == {"lstm", "gru"}
    clip = by["clipping"].specs
    assert by["clipping"].per_step and {(x.scale, x.clip) for x in clip} == {(None, None), (0.5, None), (0.5, 1.0)}
    assert len({x for p in E.plans(s) for x in p.specs}) == sum(len(p.specs) for p in E.plans(s))  # no run twice
    live = E.live_specs(s)
    assert [x.kind for x in live] == list(MODELS) and set(live) <= set(adding) and {x.seed for x in live} == {0}


def _assert_same_record(a, b):
    """The same run: the same spec and steps, and the same numbers to float32's precision (the file
    stores float32)."""
    assert a.spec == b.spec and (a.steps, a.diverged_at, a.num_parameters) == (b.steps, b.diverged_at, b.num_parameters)
    np.testing.assert_array_equal(a.eval_step, b.eval_step)
    for name in ("eval_loss", "eval_accuracy", "loss", "grad_norm", "reach", "hold"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=1e-5, err_msg=name)


def _assert_same_outcome(a, b):
    """The same run on other matrix-product kernels: float32 sums rounded differently grow over a
    run (up to a few per cent of a late loss, measured between OpenBLAS's Haswell and SkylakeX
    kernels), so what must agree is what the chapter reads off the file: the spec, whether and
    about when the run met its target, its first evaluation (before any update, so the same to
    float32's rounding) and its last loss to 10 per cent. (Plain SGD at lr 0.5 on an RNN amplifies a
    rounding difference from its second step: only the first evaluation and the outcome hold there.)"""
    assert a.spec == b.spec and a.num_parameters == b.num_parameters
    assert a.solved == b.solved and (a.diverged_at is None) == (b.diverged_at is None)
    if a.solved:
        assert abs(a.solved_at - b.solved_at) <= a.spec.eval_every, (a.solved_at, b.solved_at)
    np.testing.assert_allclose(a.eval_loss[0], b.eval_loss[0], rtol=1e-5, err_msg="first evaluation")
    if a.spec.optimizer != "sgd":
        np.testing.assert_allclose(a.eval_loss[-1], b.eval_loss[-1], rtol=0.1, atol=0.01, err_msg="last evaluation")


def _same_kernels(shipped) -> bool:
    """Whether the file was trained on the matrix-product kernels this test runs on."""
    return shipped.meta.get("blas") == blas_kernel()


def test_the_script_runs_the_tiny_sweeps_end_to_end(tmp_path, tiny):
    import runpy
    script = runpy.run_path(str(E.DATA.parents[3] / "scripts" / "ch06_sweeps.py"))
    out = tmp_path / "t.npz"
    assert script["main"](["--tiny", "--workers", "1", "--out", str(out)]) == 0
    back = E.load_sweeps(out)
    assert back.settings == TINY and back.meta["workers"] == 1 and len(back.records) == len(E.jobs(TINY))
    for a, b in zip(back.records, tiny.records):  # the same runs, number for number (run here, and by the script)
        _assert_same_record(a, b)
    assert "trained by scripts/ch06_sweeps.py" in str(back)


def test_the_shipped_file_holds_every_planned_run_once():
    shipped = E.load_sweeps()
    assert shipped.settings == E.Settings()
    planned = [x for p in E.plans() for x in p.specs]
    assert [r.spec for r in shipped.records] == planned
    assert shipped.meta["workers"] == 2 and shipped.meta["cpu_minutes"] > 0
    assert all(r.reach is not None for r in shipped.select(task="adding", lr=shipped.settings.lr))
    assert all(r.grad_norm is not None for r in shipped.select(optimizer="sgd"))
    assert E.DATA.stat().st_size < 600_000  # small enough to ship


SLICE = [  # seed 0 of each sweep, the short runs: trained again, they give the file's numbers
    dict(task="adding", kind="gru", seed=0, lr=1e-2),
    dict(task="temporal-order", kind="lstm", forget_bias=1.0, seed=0, lr=1e-2),
    dict(task="temporal-order", kind="gru", seed=0, lr=3e-2),
    dict(task="adding", kind="rnn", optimizer="sgd", seed=0, scale=0.5, clip=1.0),
]


@pytest.mark.parametrize("fields", SLICE, ids=lambda f: "-".join(str(v) for v in f.values()))
def test_the_shipped_file_is_what_the_runs_give(fields):
    shipped = E.load_sweeps()
    (want,) = shipped.select(**fields)
    plan = next(p for p in E.plans() if want.spec in p.specs)
    got = E.record(want.spec, per_step=plan.per_step, reach=plan.reach)
    (_assert_same_record if _same_kernels(shipped) else _assert_same_outcome)(got, want)


def test_the_shipped_explosion_starts_as_the_runs_give():
    """An exploding run is chaotic: another processor's rounding can move where it overflows (the
    README tells of one). Its first steps are not chaotic yet, and must match the file."""
    shipped = E.load_sweeps()
    (want,) = shipped.select(optimizer="sgd", seed=0, scale=0.5, clip=None)
    steps = 20 if _same_kernels(shipped) else 1  # other kernels: the second step already differs
    got = E.run(dataclasses.replace(want.spec, steps=steps), progress=False).record
    np.testing.assert_allclose(got.loss, want.loss[:steps], rtol=1e-5)
    np.testing.assert_allclose(got.grad_norm, want.grad_norm[:steps], rtol=1e-5)


# ---- the explosion, watched ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def watch():
    spec = E.RunSpec("rnn", "adding", 20, 40, hidden_size=8, batch_size=8, optimizer="sgd", lr=0.5, scale=1.0,
                     clip=1.0, stop_early=False)
    return E.watch_explosion(spec, steps=40, batch=16)


def test_watch_explosion_measures_the_runs_of_the_clipping_experiment(watch):
    assert watch.overflow["unclipped"] is not None and watch.overflow["clipped"] is None
    for name, clip in (("unclipped", None), ("clipped", 1.0)):  # the same seeds: the same losses, step by step
        r = E.run(dataclasses.replace(watch.spec, clip=clip), progress=False)
        np.testing.assert_array_equal(watch.loss[name], r.history.loss)
    m = E.initial_model(watch.spec)  # step 0 is the initial model: its numbers recomputed by hand
    X = E.held_out_set(watch.spec)[0][:, :16]
    hs, _ = model_of(m.cell).forward(X, m.cell)
    assert watch.weight_norm["clipped"][0] == pytest.approx(np.linalg.norm(m.cell.W.astype(float), 2))
    assert watch.saturated["clipped"][0] == pytest.approx(np.mean(np.abs(hs) > 0.99))
    F = np.concatenate([hs[-1].astype(float), np.ones((16, 1))], axis=1)
    assert watch.head_curvature["clipped"][0] == pytest.approx(0.5 * np.linalg.eigvalsh(2 / 16 * F.T @ F).max())
    assert np.isnan(watch.weight_norm["unclipped"][watch.overflow["unclipped"]:]).all()


def test_watch_explosion_text(watch):
    summary = watch.summary().splitlines()
    assert summary[2].split() == ["unclipped", "yes", "yes", "yes", "yes"]
    assert summary[3].split()[:3] == ["clipped", "no", "no"] and summary[3].split()[-1] == "no"
    table = watch.table(at=(0, 5))
    assert table.startswith("seed 0;") and "overflowed" not in table.splitlines()[3]
    assert f"overflowed (at step {watch.overflow['unclipped']})" in watch.at(39)


# ---- after training -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    specs = [dataclasses.replace(x, steps=300, eval_every=50) for x in E.live_specs(dataclasses.replace(TINY, T=12,
                                                                                                         lstm_hidden=6))]
    return E.gradient_flow_before_after(specs, batch=8, runs=E.RunCache(), progress=False)


def test_gradient_flow_before_after_measures_the_models_it_trained(trained):
    for kind, result in trained.results.items():
        X = E.held_out_set(result.spec)[0][:, :8]
        np.testing.assert_array_equal(trained.before[kind].dh, ch05.model_gradient_flow(X, E.initial_model(result.spec)).dh)
        np.testing.assert_array_equal(trained.after[kind].dh, ch05.model_gradient_flow(X, result.model).dh)
        assert E.reach(X, result.model) == trained.after[kind].relative("dh")[0]
    assert trained.table().splitlines()[0] == "adding problem, T = 12, seed 0; y = the model's prediction"
    summary = trained.summary(threshold=1e-30).splitlines()
    assert all(ln.split()[-2:] == ["above", "0%"] for ln in summary[2:])
    records = [E.record(r.spec) for r in trained.results.values()]
    filed = E.Sweeps(TINY, tuple(records), {})
    rows = trained.agreement(filed).splitlines()[3:]
    yes = lambda b: "yes" if b else "no"  # noqa: E731  (the same runs, so the same answers)
    assert [r.split() for r in rows] == [[MODELS[k].title, yes(r.record.solved), yes(r.record.solved)]
                                         for k, r in trained.results.items()]
    with pytest.raises(ValueError, match="^specs"):
        E.Sweeps(TINY, (), {}).of([records[0].spec])


def test_reach_over_training_follows_the_snapshots(trained):
    records = [E.record(r.spec, reach=True) for r in trained.results.values()]
    rt = E.reach_over_training(records)
    X = E.held_out_set(records[0].spec)[0][:, :E.sweeps.REACH_BATCH]  # what the records measure on
    for name, r in trained.results.items():
        assert rt.steps[name].tolist() == [s for s, _ in r.checkpoints]
        assert rt.reach[name][0] == E.reach(X, E.initial_model(r.spec))
        assert rt.reach[name][-1] == E.reach(X, r.model)
    assert set(rt.best_hold) == {k for k, m in MODELS.items() if m.keep is not None}
    assert rt.best_hold["gru"][-1] == E.hold(trained.results["gru"].model, X).max()
    for name in trained.results:  # just before learning: the last snapshot whose MSE is above 0.9 x 1/6
        at_base = np.flatnonzero(rt.loss[name] > 0.9 * tasks.ADDING_BASELINE_MSE)
        assert rt.takeoff_reach(name) == rt.reach[name][at_base[-1]]
    assert all(ln.split()[1:3] == ["above", "1e-30"] for ln in rt.summary(above=1e-30).splitlines()[2:])


def test_reach_across_seeds_counts_what_the_records_hold(tiny):
    shipped = E.reach_across_seeds(E.load_sweeps())
    rows = {ln[:12].strip(): ln[12:].split() for ln in shipped.table().splitlines()[4:]}
    for g, rs in shipped.groups.items():
        learned = [r for r in rs if r.solved]
        on_plateau = []
        for r in rs:  # the last evaluation with the held-out MSE above 0.9 x 1/6, counted by hand
            k = max(i for i, v in enumerate(r.eval_loss[:len(r.reach)]) if v > 0.9 / 6)
            on_plateau.append(r.reach[k])
        want = [str(len(learned)), "of", "20"]
        if learned:
            want += [str(sum(r.reach[-1] > 0.01 for r in learned)), "of", str(len(learned))]
            want += [str(sum(r.hold[-1] > 0.1 for r in learned)), "of", str(len(learned))] if rs[0].hold is not None \
                else ["-"]
        else:
            want += ["-", "-"]
        want += [str(sum(v > 1e-3 for v in on_plateau)), "of", "20", f"{np.median(on_plateau):.1e}"]
        assert rows[g][:len(want)] == want, g
    # the tiny sweeps learn nothing: no counts "of those that learned", and the reach on the plateau is the end
    tiny_rows = [ln.split() for ln in E.reach_across_seeds(tiny).table().splitlines()[4:]]
    assert all(r[-8:-6] == ["-", "-"] for r in tiny_rows)


def test_hold_is_the_product_of_the_keep_gate_after_the_first_marked_step():
    spec = E.RunSpec("gru", "adding", 10, 5, hidden_size=3)
    model = E.initial_model(spec)
    X = E.held_out_set(spec)[0][:, :4].astype(np.float64)
    p = model.cell.astype(np.float64)
    _, cache = model_of(p).forward(X, p)
    keep = 1 - np.array(cache.z)
    np.testing.assert_allclose(E.keep_gate(model, X), keep)
    first = np.argmax(X[:, :, 1] == 1, axis=0)
    logs = [[np.sum(np.log(keep[first[b] + 1:, b, j])) for j in range(3)] for b in range(4)]
    np.testing.assert_allclose(E.hold(model, X), np.exp(np.median(logs, axis=0)), rtol=1e-10)
    lstm = E.initial_model(dataclasses.replace(spec, kind="lstm", forget_bias=3.0))
    assert np.all(E.keep_gate(lstm, X) > 0.9)  # sigmoid(3) = 0.95 at near-zero input
    assert E.sigmoid_gates("lstm") == ("f", "i", "o") and E.sigmoid_gates("gru") == ("z", "r")


def test_gate_hold_before_and_after(trained):
    gh = E.gate_hold(trained)
    unmarked = trained.X[:, :, 1] != 1
    assert list(gh.keep_before) == ["lstm", "gru"]
    for name in gh.keep_before:
        np.testing.assert_allclose(gh.keep_after[name], E.keep_gate(trained.results[name].model, trained.X)[unmarked].mean(0))
    assert abs(gh.keep_before["lstm"].mean() - float(sigmoid(np.float64(1.0)))) < 0.1  # b_f = 1
    assert "LSTM   f" in gh.table() and "GRU    1 - z" in gh.table() and gh.table().startswith("the models of seed 0 on 8")
    words = gh.summary(keep=0.0, hold=0.0).splitlines()[3:]
    assert [ln.split() for ln in words] == [["LSTM"] + ["some"] * 4, ["GRU"] + ["some"] * 4]


def test_gate_traces(trained):
    tr = E.gate_traces(trained, sequence=2)
    x = trained.X[:, 2]
    assert tr.marked == tuple(int(t) + 1 for t in np.flatnonzero(x[:, 1] == 1))
    assert tr.target == pytest.approx(float(x[np.array(tr.marked) - 1, 0].sum()))
    for name, gates in (("lstm", "fio"), ("gru", "zr")):
        H = trained.results[name].spec.hidden_size
        assert list(tr.gates[name]) == list(gates)
        assert all(g.shape == (H, 12) and np.all((g > 0) & (g < 1)) for g in tr.gates[name].values())
        assert np.all(np.diff(E.hold(trained.results[name].model, trained.X)[tr.order[name]]) <= 0)
        m = trained.results[name].model
        assert tr.predictions[name] == pytest.approx(float(network.predict(trained.X[:, 2:3], m)[0, 0]), rel=1e-5)
    assert tr.table().splitlines()[0].startswith(f"the models of seed 0; a sequence with marked steps {tr.marked[0]} "
                                                 f"and {tr.marked[1]}")
    with pytest.raises(ValueError, match="^sequence"):
        E.gate_traces(trained, sequence=8)


# ---- the loop's pieces and the tasks shown ---------------------------------------------------------------
def test_loss_gradient_check_finds_the_formulas_right_and_would_find_them_wrong(monkeypatch):
    rows = E.loss_gradient_check().splitlines()[2:]
    assert [r.split()[0] for r in rows] == ["mse", "softmax"] and all(float(r.split()[-1]) < 1e-6 for r in rows)
    real = losses.softmax_cross_entropy
    monkeypatch.setattr(losses, "softmax_cross_entropy", lambda z, y: (real(z, y)[0], 2 * real(z, y)[1]))
    assert float(E.loss_gradient_check().splitlines()[3].split()[-1]) > 0.1


def test_first_steps_table():
    rows = {ln.split()[0]: [float(v) for v in ln.split()[2:]] for ln in E.first_steps_table(lr=0.05).splitlines()
            if ln.startswith(("SGD", "Adam"))}
    np.testing.assert_allclose(rows["SGD"], [-0.1, 0.005, -15.0])
    np.testing.assert_allclose(rows["Adam"], [-0.05, 0.05, -0.05], rtol=1e-3)


def test_the_tasks_shown():
    text = E.adding_example(T=10, seed=3).splitlines()
    X, y = tasks.adding_problem(10, 1, 3, dtype=np.float64)
    marked = [k for k, ln in enumerate(text[1:11]) if ln.endswith("<-- marked")]
    assert marked == np.flatnonzero(X[:, 0, 1] == 1).tolist() and text[-1].endswith(f"= {y[0, 0]:.3f}")
    seq, cls = E.temporal_order_example(T=20, seed=4).splitlines()
    X, y = tasks.temporal_order(20, 1, 4)
    assert seq.split()[-1] == "".join(tasks.TEMPORAL_ORDER_SYMBOLS[k] for k in X[:, 0].argmax(1))
    assert cls.split()[1] == tasks.TEMPORAL_ORDER_CLASSES[int(y[0])]
    rows = E.baseline_table(T=20, n=2000).splitlines()[2:]
    assert [float(r.split()[-2]) for r in rows] == pytest.approx([1 / 6, tasks.original_adding_baseline(20), np.log(4)],
                                                                 abs=5e-5)
    assert all(abs(float(r.split()[-1]) - float(r.split()[-2])) < 0.02 for r in rows)  # measured near the formula


def test_progress_bar_follows_a_run_and_keeps_the_final_line():
    bar = P.ProgressBar(display=False)
    r = E.run(E.RunSpec("rnn", "adding", 5, 7, hidden_size=3, eval_every=5, stop_early=False), progress=False)
    bar.start(7, r.spec.label)
    bar.close(r.history)
    assert bar.bar.value == 7 and bar.bar.bar_style == "success" and repr(bar).startswith("RNN T=5 seed 0: 7 steps")


# ---- the layout in a language whose words are twice as wide ---------------------------------------------
class _WideCatalog(dict):
    """Every message with each Latin letter outside its placeholders drawn as a CJK character: what a
    translation does to a table's widths, at its worst."""

    def get(self, message, default=None):
        return re.sub(r"\{[^}]*\}|[A-Za-z]", lambda m: m.group(0) if m.group(0)[0] == "{" else "宽", message)


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda code: _WideCatalog())
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def _lined_up(text: str, skip: int = 0) -> None:
    """The table after ``skip`` title lines: the rule and the rows of one display width (every
    table here ends in a right-aligned column), the header lines no wider (a centred header cell
    leaves no trailing spaces)."""
    lines = text.splitlines()[skip:]
    k = next(i for i, ln in enumerate(lines) if set(ln) == {"-"})
    assert k in (1, 2) and len({width(ln) for ln in lines[k:]}) == 1, "\n" + "\n".join(lines)
    assert all(width(ln) <= width(lines[k]) for ln in lines[:k]), "\n" + "\n".join(lines)


def test_the_tables_line_up_when_the_words_are_wide(wide, trained):
    _lined_up(E.baseline_table(T=20, n=200))
    _lined_up(E.loss_gradient_check())
    _lined_up(E.first_steps_table(), skip=3)
    _lined_up(E.sizes_table())
    _lined_up(trained.table(), skip=1)
    _lined_up(E.reach_over_training([E.record(r.spec, reach=True) for r in trained.results.values()]).table())
    _lined_up(E.gate_hold(trained).table(), skip=1)
    _lined_up(E.gate_traces(trained).table(), skip=2)
    assert "宽宽宽宽 0" in trained.results["lstm"].spec.label  # "seed 0" is translated too


def test_the_comparisons_line_up_and_wrap_by_display_width(wide):
    shipped = E.load_sweeps()
    for c in (E.model_comparison(shipped, "adding"), E.gru_vs_lstm(shipped), E.clipping_comparison(shipped)):
        table = c.table.splitlines()
        rule = next(ln for ln in table if set(ln) == {"-"})
        assert width(rule) == max(width(ln) for ln in table)
        for f in c.findings:
            assert all(width(ln) <= 100 for ln in f.lines())
