"""Chapter 07: the corpus and its split, the tokenize features, the shipped models (their files, their
documented validation bits per character), the training and sweep scripts (a slice of each sweep
re-run), the measurements the chapter reports (comparison, closers, cells, samples), its explorers,
its self-checks and its answers to odd input."""
import dataclasses
import hashlib
import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from lstmlib import charlm
from lstmlib.course import ch07
from lstmlib.course.exercises import ch07 as ex07
from lstmlib.course.plots import ch07 as plots07
from lstmlib.course.plots import text_grid
from lstmlib.course.widgets import ch07 as widgets07

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus():
    return ch07.load_corpus()


@pytest.fixture(scope="module")
def shipped():
    return ch07.load_models()


@pytest.fixture(scope="module")
def sweeps():
    return {stage: ch07.load_sweep(stage) for stage in ("comparison", "diagnosis", "flagship")}


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------------------------------------
# The corpus and the split
# ----------------------------------------------------------------------------------------------
def test_the_corpus_is_shipped_with_its_license_and_readme():
    names = sorted(p.name for p in ch07.CORPUS_DIR.iterdir())
    assert names == sorted([f"{n}.py.txt" for n in ch07.TRAIN_FILES + ch07.VALID_FILES] + ["LICENSE.txt", "README.md"])
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in (ch07.CORPUS_DIR / "LICENSE.txt").read_text()
    readme = (ch07.CORPUS_DIR / "README.md").read_text()
    assert "3.11.7" in readme and "LICENSE.txt" in readme and "train_charlm.py" in readme
    assert sum(p.stat().st_size for p in ch07.CORPUS_DIR.iterdir()) < 2 * 2**20


def test_the_split_is_fixed_disjoint_and_by_file(corpus):
    assert set(ch07.TRAIN_FILES).isdisjoint(ch07.VALID_FILES)
    assert len(corpus.train_text) == 1_510_967 and len(corpus.valid_text) == 177_369
    assert hashlib.sha256(corpus.train_text.encode()).hexdigest()[:16] == "cc62a91433726cc4"
    assert hashlib.sha256(corpus.valid_text.encode()).hexdigest()[:16] == "56d5708d0c78c914"
    starts = corpus.valid_starts
    assert corpus.valid_text[starts["random"]:].startswith(corpus.files["random"])
    index = corpus.file_index("train")
    assert index.size == len(corpus.train_text) and index[corpus.starts("train")["typing"]] == len(ch07.TRAIN_FILES) - 1
    for text in corpus.files.values():
        assert text.endswith("\n") and set(text) <= set(charlm.ASCII.chars)
    assert charlm.ASCII.decode(corpus.valid_ids) == corpus.valid_text
    assert "1,510,967" in ch07.corpus_table(corpus)


# ----------------------------------------------------------------------------------------------
# Ground truth from tokenize
# ----------------------------------------------------------------------------------------------
def _f(text):
    return {k: [None if np.isnan(v) else int(v) for v in a] for k, a in ch07.char_features(text).items()}


def test_string_comment_and_prose():
    text = 'x = f"ab" + rb\'\'\'c\nd\'\'\' + "#"  # note\n'
    f = _f(text)
    assert "".join(ch for ch, v in zip(text, f["string"]) if v) == '"ab' + "'''c\nd" + '"#'
    assert "".join(ch for ch, v in zip(text, f["comment"]) if v) == "# note"
    assert f["prose"] == [max(a, b) for a, b in zip(f["string"], f["comment"])]


def test_bracket_depth_and_round_parentheses():
    text = "a = [1, (2,\n     {3: ')'})]  # (]\nb = f(x[0])\n"
    f = _f(text)
    depth = dict(enumerate(f["brackets"]))
    assert depth[text.index("[")] == 1 and depth[text.index("(")] == 2 and depth[text.index("{")] == 3
    assert depth[text.index("'")] == 3  # the ')' inside the string closes nothing
    assert f["paren"][text.index("[")] == 0 and f["paren"][text.index("(")] == 1
    assert f["paren"][text.index("{")] == 1  # a brace inside parentheses: still inside them
    assert f["paren"][text.index("]  #")] == 0 and max(f["paren"][text.index("#"):text.index("b =")]) == 0
    k = text.index("f(x[0])")
    assert f["paren"][k + 1:k + 6] == [1] * 5 and f["paren"][k + 6] == 0  # the state after reading ")"


def test_indentation_level_and_column():
    text = "def f():\n    if x:\n        y = 1\n# note\n    return y\nz = 2\n"
    f = _f(text)
    starts = np.cumsum([0] + [len(s) for s in text.splitlines(keepends=True)])
    assert [f["indent"][s] for s in starts[:-1]] == [0, 1, 2, 2, 1, 0]
    assert f["column"][:9] == [1, 2, 3, 4, 5, 6, 7, 8, 0]


def test_invalid_python_gives_nan_where_tokenize_gives_up():
    text = "a = 1\nb = '''open\n"
    f = ch07.char_features(text)
    assert f["string"][0] == 0 and np.isnan(f["string"][text.index("b"):]).all()
    assert np.isnan(f["paren"][text.index("b"):]).all() and not np.isnan(f["column"]).any()
    with pytest.raises(ValueError, match="text"):
        ch07.char_features(b"x = 1")


def test_feature_table(corpus):
    rows = ch07.feature_table('x = f(a, "b(")  # c\n').splitlines()
    assert rows[1].endswith("00000000011100000000") and rows[5].endswith("00000111111110000000")
    assert all(not np.isnan(v).any() for v in corpus.valid_features.values())


def test_closers_pairs_each_closer_with_its_opener(corpus):
    text = "f(a[1], {'k': \"v\"})\ns = '''x'''\n"
    o, q = ch07.closers(text)["bracket"]
    assert [text[i] + text[j] for i, j in zip(o, q)] == ["[]", "{}", "()"]
    o, q = ch07.closers(text)["quote"]
    assert [(text[i], text[j], j - i) for i, j in zip(o, q)] == [("'", "'", 2), ('"', '"', 2)]
    sites = ch07.closer_sites(corpus)
    assert all(corpus.valid_text[c] == ch07.CLOSERS["bracket"][w]
               for c, w in zip(sites["bracket"].closer[:50], sites["bracket"].which[:50]))


def test_merge_bins_sums_columns():
    v = np.arange(7.0)
    assert ch07.merge_bins(v, ch07.FINE_BINS, ch07.DISTANCE_BINS).tolist() == [0 + 1 + 2, 3 + 4, 5 + 6]
    with pytest.raises(ValueError, match="coarse"):
        ch07.merge_bins(v, ch07.FINE_BINS, (1, 10))


# ----------------------------------------------------------------------------------------------
# Models: parameter counts, files, saving
# ----------------------------------------------------------------------------------------------
def test_parameter_counts_come_from_the_registry_and_match_the_models():
    for spec in ch07.MODEL_SPECS.values():
        assert spec.init().num_parameters == ch07.parameter_count(spec.kind, spec.hidden, layers=spec.layers,
                                                                  **dict(spec.options))
    target = ch07.parameter_count("lstm", 128)
    assert ch07.matched_hidden_size("gru", target, reset_after=True) == ch07.MODEL_SPECS["gru"].hidden
    assert ch07.matched_hidden_size("rnn", target) == ch07.MODEL_SPECS["rnn"].hidden


def test_the_shipped_files(shipped):
    total = sum(ch07.model_path(n).stat().st_size for n in ch07.MODEL_SPECS)
    assert total < 6 * 2**20
    assert list(shipped) == list(ch07.MODEL_SPECS)
    for name, s in shipped.items():
        assert s.spec == ch07.MODEL_SPECS[name] and s.vocab == charlm.ASCII
        assert all(a.dtype == np.float32 for a in s.model.arrays())
        assert s.model.dropout == s.spec.dropout
        h = s.history
        assert h["eval_step"][0] == 0 and h["eval_step"][-1] == s.spec.steps
        assert h["eval_bpc"][0] > 6.4 and h["eval_bpc"][-1] == pytest.approx(s.valid_bpc, abs=2e-5)


@pytest.mark.parametrize("name", list(ch07.MODEL_SPECS))
def test_loaded_weights_reproduce_the_recorded_validation_bits_per_character(name, shipped, corpus):
    s = shipped[name]
    assert charlm.bits_per_char(corpus.valid_ids, s.model) == pytest.approx(s.valid_bpc, abs=0.002)


@pytest.mark.parametrize("kind, options", [("rnn", {"activation": "relu"}), ("gru", {"reset_after": False}),
                                           ("gru", {"reset_after": True}), ("lstm", {"forget_bias": 1.0})])
def test_a_model_round_trips_through_its_file_with_its_options_and_vocabulary(tmp_path, kind, options, corpus):
    spec = ch07.ModelSpec("t", kind, 2, 6, chunk=4, batch=2, steps=3, options=tuple(options.items()), dropout=0.1)
    model = spec.init()
    vocab = charlm.Vocabulary.from_text("abc\n", replacement="?")
    history = {k: np.arange(3.0) for k in ch07.models.HISTORY_KEYS}
    ch07.save_model(tmp_path / "t.npz", ch07.ShippedModel("t", model, spec, vocab, history, {"valid_bpc": 1.0}))
    back = ch07.load_model("t", tmp_path)
    assert back.spec == spec and back.vocab == vocab and back.model.dropout == 0.1
    for p, q in zip(model.layers, back.model.layers):
        assert type(p) is type(q) and all(getattr(p, o) == getattr(q, o) for o in options if o != "forget_bias")
    ids = corpus.valid_ids[:20, None] % 5
    assert np.array_equal(charlm.next_char_log_probs(corpus.valid_ids[:64], model)[1],
                          charlm.next_char_log_probs(corpus.valid_ids[:64], back.model)[1])
    assert ids.shape == (20, 1)


def test_an_old_layout_file_is_refused_with_a_reason(tmp_path):
    np.savez(tmp_path / "old.npz", index=np.array("{}"), **{"lstm/embedding": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="not an lstmlib model file.*retrain with scripts/train_charlm.py"):
        ch07.load_model("old", tmp_path)
    with pytest.raises(ValueError, match="name: expected one of"):
        ch07.load_model("transformer")


def test_the_training_script_on_tiny_settings_lowers_the_loss_and_repeats_itself(tmp_path):
    script = _load_script("train_charlm")
    runs = []
    for k in range(2):
        out = tmp_path / f"tiny{k}"
        assert script.main(["--tiny", "--out", str(out), "--quiet", "--only", "lstm2,gru", "--workers", "1"]) == 0
        runs.append(ch07.load_models(["lstm2", "gru"], out))
    for name, s in runs[0].items():
        assert s.history["eval_bpc"][-1] < s.history["eval_bpc"][0] - 1.0, name
        again = runs[1][name]  # the same seed on the same machine: the same numbers, bit for bit
        assert np.array_equal(s.history["eval_bpc"], again.history["eval_bpc"])
        assert all(np.array_equal(a, b) for a, b in zip(s.model.arrays(), again.model.arrays()))
    with pytest.raises(SystemExit):
        script.main(["--only", "transformer", "--out", str(tmp_path)])


# ----------------------------------------------------------------------------------------------
# The sweeps: their files, and a slice of each re-run
# ----------------------------------------------------------------------------------------------
def test_a_slice_of_the_comparison_sweep_reruns_to_its_numbers(sweeps, corpus):
    """The cheapest configuration (RNN 128) at its chosen rate, seed 0, trained again for its first
    400 of 4000 steps. The untrained score (step 0) checks the initial weights and the evaluation to
    float32 rounding. The comparison sweep ran on the model layer before the fused passes' last
    change of summation order (one tanh over all gates, the bias inside the projection), so step
    400 is not bit for bit: float32 rounding grown over 400 steps moved it by 0.0055 on the machine
    that ran the sweep, as another BLAS kernel may. A change of recipe moves it by more (half the
    learning rate: +0.12; the seeds spread over 0.028), which 0.01 catches."""
    best = ch07.best_learning_rates(sweeps["comparison"])
    record = ch07.runs_by(sweeps["comparison"], "rnn128", best["rnn128"])[0]
    spec = ch07.ModelSpec.from_json(record["spec"])
    _, hist = ch07.train_spec(spec, corpus.train_ids, corpus.valid_ids, steps=record["eval_step"][1])
    bpc = np.asarray(hist.eval_loss) * charlm.BITS_PER_NAT
    assert bpc[0] == pytest.approx(record["eval_bpc"][0], abs=1e-4)
    assert bpc[-1] == pytest.approx(record["eval_bpc"][1], abs=1e-2)


def test_the_shipped_models_are_the_sweeps_seed_0_runs(shipped, sweeps):
    """The shipped one-layer models are runs of the sweeps (same spec but the name): the same
    recorded numbers."""
    runs = [r for stage in sweeps.values() for r in stage]
    for name in ("rnn", "lstm", "gru", "lstm_T8", "lstm2"):
        spec = ch07.MODEL_SPECS[name]
        same = [r for r in runs if dataclasses.replace(ch07.ModelSpec.from_json(r["spec"]), name=name) == spec]
        assert same, name
        assert shipped[name].valid_bpc == pytest.approx(same[0]["valid_bpc"], abs=1e-5), name


def test_the_sweeps_are_complete_and_within_their_budget(sweeps):
    comparison = sweeps["comparison"]
    best = ch07.best_learning_rates(comparison)
    for config, runs in ch07.best_runs(comparison).items():
        assert [r["spec"]["seed"] for r in runs] == [0, 1, 2, 3, 4], config
        assert len(ch07.learning_rates_of(comparison, config)) >= 3
        lrs = ch07.learning_rates_of(comparison, config)
        assert lrs[0] < best[config] < lrs[-1] or config.startswith("rnn128"), config  # chosen inside its grid
    for stage, records in sweeps.items():
        cpu, _ = ch07.compute_seconds(records)
        assert cpu / 2 < 3600, stage  # an hour on two workers


def test_per_file_bits_add_up_to_bits_per_character(corpus):
    spec = ch07.ModelSpec("t", "gru", 1, 8, chunk=8, batch=4, steps=2, options=ch07.GATED["gru"], embedding=4)
    model = spec.init()
    pos, logp = charlm.next_char_log_probs(corpus.valid_ids, model)
    d = ch07.per_file_bits(pos, logp, corpus, "valid")
    assert d["files"] == list(ch07.VALID_FILES)
    assert d["bits"].sum() / d["count"].sum() == pytest.approx(charlm.bits_per_char(corpus.valid_ids, model), rel=1e-9)


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------
def test_moments_give_the_correlations_numpy_gives():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    f = np.column_stack([x[:, 0] + rng.normal(size=500), rng.integers(0, 2, 500)])
    m = ch07.Moments(1, 3, 2)
    m.add([x[:200]], f[:200])
    m.add([x[200:]], f[200:])
    full = np.corrcoef(np.column_stack([f, x]).T)
    assert np.allclose(m.corr()[:, 0, :], full[:2, 2:]) and np.allclose(m.feature_corr(), full[:2, :2])


def test_partial_correlation_is_the_correlation_of_residuals():
    rng = np.random.default_rng(1)
    b = rng.normal(size=4000)
    a = b + rng.normal(size=4000)
    x = 2 * b + 0.3 * a + rng.normal(size=4000)

    def resid(u):
        return u - np.polyval(np.polyfit(b, u, 1), b)

    r = np.corrcoef
    want = r(resid(x), resid(a))[0, 1]
    assert ch07.partial_r(r(x, a)[0, 1], r(x, b)[0, 1], r(a, b)[0, 1]) == pytest.approx(want, abs=1e-9)


def test_difference_interval_contains_the_difference_and_shrinks_with_agreement():
    def run(bits):
        return {"measured": {"valid": {"bits": list(bits), "count": [100] * len(bits)}}}
    a = [run([210 + s, 220, 190, 200]) for s in range(3)]
    b = [run([200 + s, 210, 180, 190]) for s in range(3)]
    d, lo, hi = ch07.difference_interval(a, b)
    assert d == pytest.approx(0.1) and lo <= d <= hi and hi - lo < 0.05


# ----------------------------------------------------------------------------------------------
# Samples as Python
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, ok", [("x = f(a, [1, 2])", True), ("    return x", True), ("else:", True),
                                      ("x = (1,", False), ("x = 1)", False), ("f(a]", False),
                                      ("s = 'abc", False), ('"""Docstring', False), ("a $ b", False),
                                      ("", True)])
def test_line_ok(line, ok):
    assert ch07.line_ok(line) is ok


def test_sample_quality_counts_lines_and_has_the_real_files_as_yardstick(shipped, corpus):
    ok, n = ch07.lines_ok(corpus.valid_text)
    assert 0.85 < ok / n < 0.9
    q = ch07.sample_quality(shipped["rnn"].model, corpus, samples=2, length=200)
    assert q.lines > 0 and 0 <= q.share <= 1 and q.reference == ok / n
    assert ch07.sample_quality(shipped["rnn"].model, corpus, samples=2, length=200) == q  # seeded


# ----------------------------------------------------------------------------------------------
# Odd input: one sentence naming the argument, the range and the value
# ----------------------------------------------------------------------------------------------
ODD_CALLS = {
    "parameter count 0": (lambda c, s: ch07.parameter_count("gru", 0), "hidden: expected a whole number >= 1, got 0"),
    "parameter count -5": (lambda c, s: ch07.parameter_count("gru", -5), "hidden: expected a whole number >= 1, got -5"),
    "parameter count 2.5": (lambda c, s: ch07.parameter_count("gru", 2.5), "hidden: expected a whole number >= 1, got 2.5"),
    "sample table seed": (lambda c, s: ch07.sample_table(s["rnn"].model, "x", seed=-1),
                          "seed: expected a whole number >= 0, got -1"),
    "sample view seed": (lambda c, s: ch07.sample_view({"rnn": s["rnn"].model}, "rnn", "x", 1.0, -1),
                         "seed: expected a whole number >= 0, got -1"),
    "sample explorer seed": (lambda c, s: widgets07.sample_explorer(models={"rnn": s["rnn"].model}, seed=-1),
                             "seed: expected a whole number >= 0, got -1"),
    "sample explorer no models": (lambda c, s: widgets07.sample_explorer(models={}),
                                  "models: expected a dict of at least one name -> model, got {}"),
    "cell explorer passage": (lambda c, s: widgets07.cell_explorer(passage="nope"), "passage: expected one of"),
    "carried state T=1": (lambda c, s: ch07.carried_state_check(T=1),
                          "T: expected a whole number >= 2 (two chunks need two steps), got 1"),
    "carried state split": (lambda c, s: ch07.carried_state_check(T=4, split=4),
                            "split: expected a whole number from 1 to T - 1 = 3, got 4"),
    "sample table primer": (lambda c, s: ch07.sample_table(s["rnn"].model, "def caf\u00e9(x):\n\treturn"),
                            "prime: expected characters among the model's 96, got '\\t', '\u00e9'"),
    "sample quality seed": (lambda c, s: ch07.sample_quality(s["rnn"].model, c, seed=-1),
                            "seed: expected a whole number >= 0, got -1"),
}


@pytest.mark.parametrize("name", list(ODD_CALLS))
def test_odd_calls_are_answered_with_one_sentence(name, corpus, shipped):
    call, message = ODD_CALLS[name]
    with pytest.raises(ValueError) as err:
        call(corpus, shipped)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_characters_outside_the_vocabulary_are_named_where_they_are_replaced(shipped, corpus):
    text = ch07.sample_table(shipped["rnn"].model, "def caf\u00e9(x):\n\treturn", temperatures=(1.0,), length=20,
                             errors="replace")
    first = text.splitlines()[0]
    assert "'\\t'" in first and "'\u00e9'" in first and "'?'" in first
    assert "def caf?(x):\n?return" in text  # the primer as the model read it, not as typed
    view = ch07.sample_view({"rnn": shipped["rnn"].model}, "rnn", "x = '\u00e9'\n", 1.0, 0, length=10)
    assert "'\u00e9'" in view.notice and view.prime == "x = '?'\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing-glyph warning from matplotlib
        ex = widgets07.sample_explorer(models={"rnn": shipped["rnn"].model})
        ex.controls["prime"].value = "def caf\u00e9(x):\n\treturn"
        assert any("\u00e9" in t.get_text() for t in ex.fig.texts)


# ----------------------------------------------------------------------------------------------
# Pictures and explorers
# ----------------------------------------------------------------------------------------------
def test_grid_positions_wrap_lines_and_newlines():
    rows, cols = text_grid.grid_positions("ab\ncdefg\n", 4)
    assert list(zip(rows, cols)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1)]


def test_choosing_a_feature_jumps_to_its_best_cell_in_one_redraw():
    ex = widgets07.cell_explorer()
    search = ex.lab.search
    n = len(ex.timings)
    ex.controls["feature"].value = "brackets"
    assert len(ex.timings) == n + 1
    assert (ex.controls["layer"].value, ex.controls["unit"].value) == search.best["brackets"]
    ex.picker.value = "textwrap: indent"
    assert ex.controls["text"].value == ch07.passage(ch07.load_corpus(), "textwrap: indent")


def test_the_dropdown_names_the_models_from_the_registry_and_the_specs(shipped):
    titles = widgets07.model_titles({n: s.model for n, s in shipped.items()})
    assert titles["gru"] == "GRU 148, T=64" and titles["lstm_T8"] == "LSTM 128, T=8"


def test_the_thumbnail_is_legible_small():
    corpus = ch07.load_corpus()
    fig = plots07.plot_thumbnail(ch07.CellView("if x:\n    f(a)\n", 0, 0, np.linspace(-1, 1, 15), {},
                                               np.zeros(15), np.zeros(15), "", 0.0, "a cell"))
    w, h = fig.get_size_inches()
    assert 1.6 < w / h < 2.4  # wide, not a tall text figure
    assert corpus is not None


# ----------------------------------------------------------------------------------------------
# The exercises' self-checks
# ----------------------------------------------------------------------------------------------
def test_exercise_checks_state_their_precision_and_name_the_slip():
    assert ex07.check_bits_per_char(1.73, nats=1.2) and ex07.check_bits_per_char(1.2 / math.log(2), nats=1.2)
    assert "3 significant figures" in ex07.check_bits_per_char(1.7, nats=1.2).message
    assert "ln 2" in ex07.check_bits_per_char(0.83, nats=1.2).message
    assert not ex07.check_bits_per_char(..., nats=1.2)
    assert "as a number" in ex07.check_bits_per_char({"a": 1}).message
    assert ex07.check_perplexity(4, bits=2.0) and not ex07.check_perplexity(math.e ** 2, bits=2.0)
    assert ex07.check_connected_fraction(45 / 64) and ex07.check_connected_fraction(0.703)
    assert "3 significant figures" in ex07.check_connected_fraction(0.70).message
    assert "d steps, not d + 1" in ex07.check_connected_fraction(44 / 64).message
    assert ex07.check_connected_fraction(0, distance=80, chunk=64)
    assert ex07.check_char_parameter_count(97_888)
    assert "nn.GRU" in ex07.check_char_parameter_count(98_184).message
    assert "b_ch" in ex07.check_char_parameter_count(97_888 - 148).message
    assert "whole number" in ex07.check_char_parameter_count(97_888.5).message
    assert ex07.check_char_parameter_count(ch07.parameter_count("lstm", 128), kind="lstm", hidden=128)


def test_the_package_exports_both_parameter_checks_under_their_own_names():
    from lstmlib.course import exercises
    assert exercises.check_char_parameter_count is ex07.check_char_parameter_count
    assert exercises.check_parameter_count.__module__.endswith("ch00")


def test_connected_fraction_is_what_truncation_actually_does():
    for d, T in [(20, 64), (1, 8), (8, 8), (9, 8)]:
        o = np.arange(10 * T)
        assert ((o // T) == ((o + d - 1) // T)).mean() == pytest.approx(max(0, T - d + 1) / T)
