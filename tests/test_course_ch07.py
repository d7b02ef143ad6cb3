"""Chapter 07: the corpus and its split, the tokenize features, the shipped weights (their documented
validation bits per character), the training script, the measurements the chapter reports, its
explorers and its self-checks."""
import hashlib
import importlib.util
import io
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_course_explorers import _values  # one sweep of control values for every explorer

from lstmlib import charlm
from lstmlib.course import ch07
from lstmlib.course.exercises import ch07 as ex07
from lstmlib.course.plots import ch07 as plots07
from lstmlib.course.widgets import ch07 as widgets07

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus():
    return ch07.load_corpus()


@pytest.fixture(scope="module")
def shipped():
    return ch07.load_models()


# ----------------------------------------------------------------------------------------------
# The corpus and the split
# ----------------------------------------------------------------------------------------------
def test_the_corpus_is_shipped_with_its_license_and_readme():
    names = sorted(p.name for p in ch07.CORPUS_DIR.iterdir())
    assert names == sorted([f"{n}.py.txt" for n in ch07.TRAIN_FILES + ch07.VALID_FILES]
                           + ["LICENSE.txt", "README.md"])
    license_text = (ch07.CORPUS_DIR / "LICENSE.txt").read_text()
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in license_text
    readme = (ch07.CORPUS_DIR / "README.md").read_text()
    assert "3.11.7" in readme and "LICENSE.txt" in readme and "train_charlm.py" in readme
    size = sum(p.stat().st_size for p in ch07.CORPUS_DIR.iterdir())
    assert size < 2 * 2**20


def test_the_split_is_fixed_disjoint_and_by_file(corpus):
    assert set(ch07.TRAIN_FILES).isdisjoint(ch07.VALID_FILES)
    assert len(ch07.TRAIN_FILES) == 22 and len(ch07.VALID_FILES) == 8
    assert len(corpus.train_text) == 1_510_967 and len(corpus.valid_text) == 177_369
    # the exact text of each part: a changed file or a changed split fails here
    assert hashlib.sha256(corpus.train_text.encode()).hexdigest()[:16] == TRAIN_SHA
    assert hashlib.sha256(corpus.valid_text.encode()).hexdigest()[:16] == VALID_SHA
    assert corpus.valid_text.startswith(corpus.files["calendar"])
    starts = corpus.valid_starts
    assert corpus.valid_text[starts["random"]:].startswith(corpus.files["random"])
    for text in corpus.files.values():
        assert text.endswith("\n") and set(text) <= set(charlm.ASCII.chars)
        compile(text, "<corpus>", "exec")  # every file is Python 3.11
    assert charlm.ASCII.decode(corpus.valid_ids) == corpus.valid_text
    table = ch07.corpus_table(corpus)
    assert "1,510,967" in table and "177,369" in table and "96 characters" in table


TRAIN_SHA = "cc62a91433726cc4"
VALID_SHA = "56d5708d0c78c914"


# ----------------------------------------------------------------------------------------------
# Ground truth from tokenize, against hand-written snippets
# ----------------------------------------------------------------------------------------------
def _f(text):
    return {k: [None if np.isnan(v) else int(v) for v in a] for k, a in ch07.char_features(text).items()}


def test_string_feature_starts_at_the_quote_and_ends_before_the_closing_quote():
    text = 'x = f"ab" + rb\'\'\'c\nd\'\'\' + "#"\n'
    f = _f(text)["string"]
    on = "".join(ch for ch, v in zip(text, f) if v)
    assert on == '"ab' + "'''c\nd" + '"#'  # prefixes f, rb outside; closing quotes outside
    assert f[text.index("f")] == 0 and f[text.index("r")] == 0
    assert _f(text)["comment"] == [0] * len(text)  # a '#' inside a string is not a comment


def test_comment_and_bracket_depth():
    text = "a = [1, (2,\n     {3: ')'})]  # (]\nb = 1\n"
    f = _f(text)
    assert "".join(ch for ch, v in zip(text, f["comment"]) if v) == "# (]"
    depth = dict(zip(range(len(text)), f["brackets"]))
    assert depth[text.index("[")] == 1 and depth[text.index("(")] == 2 and depth[text.index("{")] == 3
    assert depth[text.index("'")] == 3  # the ')' inside the string does not close anything
    assert depth[text.index("}")] == 2 and depth[text.index("]")] == 0
    assert f["brackets"][text.index("\n")] == 2  # a line break inside brackets
    assert max(f["brackets"][text.index("#"):]) == 0


def test_indentation_level_and_column():
    text = "def f():\n    if x:\n        y = 1\n# note\n    return y\nz = 2\n"
    f = _f(text)
    lines = text.splitlines(keepends=True)
    starts = np.cumsum([0] + [len(s) for s in lines])
    level = [f["indent"][s] for s in starts[:-1]]
    assert level == [0, 1, 2, 2, 1, 0]  # the comment line keeps the block it sits in
    assert all(f["indent"][k] == level[i] for i in range(len(lines)) for k in range(starts[i], starts[i + 1]))
    assert f["column"][:9] == [1, 2, 3, 4, 5, 6, 7, 8, 0]  # 0 right after the newline


def test_invalid_python_gives_nan_where_tokenize_gives_up():
    f = _f("x = (1,\n")  # unfinished at the end: every token up to there is known
    assert f["brackets"] == [0, 0, 0, 0, 1, 1, 1, 1]
    text = "a = 1\nb = '''open\n"  # an unterminated string: unknown from its line on
    f = ch07.char_features(text)
    assert f["string"][0] == 0 and np.isnan(f["string"][text.index("b"):]).all()
    text = "if x:\n    a = 1\n  b = 2\nc = 3\n"  # a dedent to no known level
    f = ch07.char_features(text)
    assert not np.isnan(f["indent"][:text.index("  b")]).any() and np.isnan(f["indent"][text.index("  b"):]).all()
    assert not np.isnan(f["column"]).any()
    with pytest.raises(ValueError, match="text"):
        ch07.char_features(b"x = 1")


def test_feature_table_and_the_validation_features(corpus):
    table = ch07.feature_table('x = f(a, "b(")  # c\n')
    assert table.splitlines()[1] == "inside a string     00000000011100000000"
    assert table.splitlines()[3] == "bracket depth       00000111111110000000"
    feats = corpus.valid_features
    assert all(v.shape == (len(corpus.valid_text),) and not np.isnan(v).any() for v in feats.values())
    assert 0.1 < feats["string"].mean() < 0.5 and feats["brackets"].max() >= 3


def test_closers_pairs_each_closer_with_its_opener():
    text = "f(a[1], {'k': \"v\"})\ns = '''x'''\n"
    c = ch07.closers(text)
    o, q = c["bracket"]
    assert [text[i] + text[j] for i, j in zip(o, q)] == ["[]", "{}", "()"]
    o, q = c["quote"]
    assert [(text[i], text[j], j - i) for i, j in zip(o, q)] == [("'", "'", 2), ('"', '"', 2)]  # not '''


# ----------------------------------------------------------------------------------------------
# Models: parameter counts and the shipped weights
# ----------------------------------------------------------------------------------------------
def test_parameter_counts_by_formula_and_matched_sizes():
    for name, spec in ch07.MODEL_SPECS.items():
        assert spec.init().num_parameters == ch07.parameter_count(spec.kind, spec.hidden, layers=spec.layers)
    target = ch07.parameter_count("lstm", 128)
    assert ch07.matched_hidden_size("gru", target) == ch07.MODEL_SPECS["gru"].hidden
    assert ch07.matched_hidden_size("rnn", target) == ch07.MODEL_SPECS["rnn"].hidden
    for kind in ch07.COMPARISON:
        count = ch07.parameter_count(kind, ch07.MODEL_SPECS[kind].hidden)
        assert abs(count - target) / target < 0.001


def test_the_shipped_weights_file(shipped):
    assert ch07.WEIGHTS_PATH.stat().st_size <= 5 * 2**20
    assert list(shipped) == list(ch07.MODEL_SPECS)
    for name, s in shipped.items():
        assert s.spec == ch07.MODEL_SPECS[name]
        assert all(a.dtype == np.float32 for a in s.model.arrays())
        assert s.model.num_parameters == s.meta["parameters"] == s.spec.init().num_parameters
        assert not s.meta["tiny"] and s.meta["valid_characters"] == 177_369
        h = s.history
        assert h["eval_step"][0] == 0 and h["eval_step"][-1] == s.spec.steps
        assert h["eval_bpc"][-1] == pytest.approx(s.valid_bpc, abs=1e-12)
        assert h["eval_bpc"][0] > 6.4  # untrained: about log2(96) = 6.58
        assert len(h["train_bpc"]) == s.spec.steps // 50


@pytest.mark.parametrize("name", list(ch07.MODEL_SPECS))
def test_loaded_weights_reproduce_the_documented_validation_bits_per_character(name, shipped, corpus):
    s = shipped[name]
    assert charlm.evaluate(s.model, corpus.valid_ids, batch_size=ch07.VALID_BATCH) == pytest.approx(
        s.valid_bpc, abs=0.01)
    assert s.valid_bpc == pytest.approx(DOCUMENTED_BPC[name], abs=0.0005)


DOCUMENTED_BPC = {"lstm2": 2.0087, "lstm": 2.2771, "gru": 2.1258, "rnn": 2.2067, "lstm_T8": 2.2566}
"""The validation bits per character the training script recorded (and the chapter quotes)."""


def _load_script():
    spec = importlib.util.spec_from_file_location("train_charlm", REPO / "scripts" / "train_charlm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_training_script_on_tiny_settings_lowers_the_loss_and_repeats_itself(tmp_path):
    script = _load_script()
    runs = []
    for k in range(2):
        out = tmp_path / f"tiny{k}.npz"
        assert script.main(["--tiny", "--out", str(out), "--quiet", "--only", "lstm2,gru"]) == 0
        runs.append(ch07.load_models(out))
    for name, s in runs[0].items():
        assert s.meta["tiny"]
        h = s.history
        assert h["eval_bpc"][-1] < h["eval_bpc"][0] - 1.0, name  # the validation loss falls
        assert s.meta["last_train_bpc"] < s.meta["first_train_bpc"] - 1.0, name
        again = runs[1][name]  # same seed, same machine: the same numbers, bit for bit
        assert np.array_equal(h["eval_bpc"], again.history["eval_bpc"])
        assert all(np.array_equal(a, b) for a, b in zip(s.model.arrays(), again.model.arrays()))
    with pytest.raises(SystemExit):
        script.main(["--only", "transformer", "--out", str(tmp_path / "x.npz")])


# ----------------------------------------------------------------------------------------------
# What the chapter measures
# ----------------------------------------------------------------------------------------------
def test_carried_state_check_reports_what_the_prose_says():
    text = ch07.carried_state_check()
    assert text.count("True") == 2 and "False" not in text
    trunc = float(text.rsplit(" ", 1)[1])
    assert trunc > 0.1


def test_live_training_lowers_the_validation_loss(corpus):
    hist = ch07.live_training(corpus, steps=60)
    assert hist.eval_loss[0] > 6 and hist.eval_loss[-1] < hist.eval_loss[0] - 2
    assert "before training above 6: True" in ch07.live_summary(hist, below=4.5)


def test_cell_search_statistics_are_correlations(shipped, corpus):
    model = shipped["lstm"].model
    search, sat = ch07.cell_search(model, corpus, windows=4, length=600, warmup=50)
    L, H = 1, 128
    assert search.r_select.shape == search.r_report.shape == (len(ch07.FEATURES), L, H)
    assert np.nanmax(np.abs(search.r_report)) <= 1 + 1e-9 and search.probe.shape == (len(ch07.FEATURES), L)
    assert search.characters[0] + search.characters[1] == 4 * 550
    # the streaming correlation equals a direct one on the same characters
    starts, win = ch07._spread(corpus.valid_ids, 4, 600)
    layer, unit = search.best["brackets"]
    vals, feats = [], []
    for b in range(2):
        tr = ch07.trace(model, corpus.valid_text[starts[b]:starts[b] + 600])
        vals.append(tr.layers[layer]["cell"][50:, unit])
        feats.append(corpus.valid_features["brackets"][starts[b] + 50:starts[b] + 600])
    r = np.corrcoef(np.concatenate(vals), np.concatenate(feats))[0, 1]
    k = ch07.FEATURES.index("brackets")
    assert search.r_select[k, layer, unit] == pytest.approx(r, abs=1e-4)
    for g in sat.gates:
        assert np.all(sat.left[g] >= 0) and np.all(sat.left[g] + sat.right[g] <= 1 + 1e-12)
    with pytest.raises(ValueError, match="windows"):
        ch07.cell_search(model, corpus, windows=1)
    with pytest.raises(ValueError, match="model: expected an LSTM"):
        ch07.saturation(shipped["gru"].model, corpus)


def test_closer_table_counts_every_closer_once(shipped, corpus):
    t = ch07.closer_table({"lstm": shipped["lstm"].model}, corpus)
    found = sum(ch07.closers(corpus.files[n])["bracket"][0].size for n in ch07.VALID_FILES)
    assert 0.99 * found < t.count["bracket"].sum() <= found  # all but those at a stream's edge
    assert np.all((t.p["lstm", "bracket"] >= 0) & (t.p["lstm", "bracket"] <= t.share["lstm", "bracket"] + 1e-12))
    assert "closing brackets" in t.table("bracket")
    with pytest.raises(ValueError, match="kind"):
        t.table("brace")


# ----------------------------------------------------------------------------------------------
# Pictures and explorers
# ----------------------------------------------------------------------------------------------
def test_grid_positions_wrap_lines_and_newlines():
    rows, cols = plots07.grid_positions("ab\ncdefg\n", 4)
    assert list(zip(rows, cols)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1)]


def _png(ex):
    return Image.open(io.BytesIO(ex.image.value))


@pytest.mark.parametrize("make", ["cell_explorer", "sample_explorer"])
def test_every_control_changes_the_picture(make, shipped):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = getattr(widgets07, make)()
        assert "run the notebook's cells" in repr(ex)
        assert _png(ex).size == tuple(round(v * ex.dpi) for v in ex.fig.get_size_inches())
        extra = [ex.picker] if make == "cell_explorer" else []
        for control in list(ex.controls.values()) + extra:
            start = control.value
            for v in _values(control):
                if v == control.value:
                    continue
                before = ex.image.value
                control.value = v
                assert ex.image.value != before, f"{control.description} = {v!r} did not change the picture"
            control.value = start


def test_choosing_a_feature_jumps_to_its_best_cell_in_one_redraw(shipped):
    ex = widgets07.cell_explorer()
    search = ex.lab.search
    n = len(ex.timings)
    ex.controls["feature"].value = "brackets"
    assert len(ex.timings) == n + 1
    assert (ex.controls["layer"].value, ex.controls["unit"].value) == search.best["brackets"]
    ex.picker.value = "textwrap: indent"
    assert ex.controls["text"].value == ch07.passage(ch07.load_corpus(), "textwrap: indent")


# ----------------------------------------------------------------------------------------------
# The exercises' self-checks
# ----------------------------------------------------------------------------------------------
def test_exercise_checks():
    assert ex07.check_bits_per_char(1.2 / math.log(2), nats=1.2)
    assert not ex07.check_bits_per_char(1.2 * math.log(2), nats=1.2)
    assert "ln 2" in ex07.check_bits_per_char(0.83, nats=1.2).message
    assert not ex07.check_bits_per_char(..., nats=1.2)
    assert ex07.check_perplexity(4, bits=2.0) and not ex07.check_perplexity(math.e ** 2, bits=2.0)
    assert ex07.check_connected_fraction(45 / 64, distance=20, chunk=64)
    assert not ex07.check_connected_fraction(44 / 64, distance=20, chunk=64)
    assert not ex07.check_connected_fraction(1.0, distance=20, chunk=64)
    assert ex07.check_connected_fraction(0, distance=80, chunk=64)
    assert ex07.check_parameter_count(97_888, kind="gru", hidden=148)
    assert "b_ch" in ex07.check_parameter_count(97_888 - 148, kind="gru", hidden=148).message
    assert ex07.check_parameter_count(ch07.parameter_count("lstm", 128), kind="lstm", hidden=128)


def test_connected_fraction_is_what_truncation_actually_does():
    """Count it: every (opener, prediction) pair at distance d, chunks of T with fixed boundaries."""
    for d, T in [(20, 64), (1, 8), (8, 8), (9, 8)]:
        o = np.arange(10 * T)
        same = (o // T) == ((o + d - 1) // T)
        assert same.mean() == pytest.approx(max(0, T - d + 1) / T)


# ----------------------------------------------------------------------------------------------
# The facts the chapter's prose states, at the chapter's settings (as in the notebook)
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analysis(shipped, corpus):
    lstm2 = shipped["lstm2"].model.astype(np.float64)
    trained, sat = ch07.cell_search(lstm2, corpus, label="trained")
    untrained, _ = ch07.cell_search(shipped["lstm2"].spec.init().astype(np.float64), corpus, label="untrained")
    closers = ch07.closer_table({"T=64": shipped["lstm"].model, "T=8": shipped["lstm_T8"].model}, corpus)
    return trained, untrained, sat, closers


def test_bits_per_character_ranking_as_the_chapter_reports(shipped):
    bpc = {n: s.valid_bpc for n, s in shipped.items()}
    assert bpc["gru"] < bpc["rnn"] < bpc["lstm"]  # the papers' order is not reproduced at this budget
    assert bpc["lstm2"] < min(bpc[n] for n in ("rnn", "lstm", "gru", "lstm_T8"))
    assert bpc["lstm_T8"] < bpc["lstm"]  # the short truncation length is no worse overall
    for n, s in shipped.items():  # a large gap between the last training chunks and validation
        assert s.meta["last_train_bpc"] < s.valid_bpc - 0.3
        assert np.all(np.diff(s.history["eval_bpc"][-4:]) < 0.01)  # still falling (or flat) at the end


def test_short_truncation_loses_distant_closers(analysis):
    *_, t = analysis
    near, far = slice(0, 2), slice(3, 5)  # distances 1-4 and 9-32
    assert np.all(t.p["T=8", "bracket"][near] >= t.p["T=64", "bracket"][near])
    assert np.all(t.p["T=8", "bracket"][far] < t.p["T=64", "bracket"][far] - 0.03)
    assert np.all(t.share["T=8", "bracket"][far] < t.share["T=64", "bracket"][far])
    assert np.all(t.share["T=8", "bracket"][far] < t.common["bracket"][far])  # below the frequencies
    assert np.all(np.abs(t.share["T=64", "bracket"][far] - t.common["bracket"][far]) < 0.02)  # at their level
    assert np.all(t.share["T=64", "bracket"][:1] > t.common["bracket"][:1] + 0.3)  # short range: known
    assert np.all(t.p["T=8", "quote"][near] > t.p["T=64", "quote"][near])
    assert np.all(t.p["T=8", "quote"][3:6] < t.p["T=64", "quote"][3:6])  # 9 to 64 characters
    assert t.p["T=8", "bracket"][4] > 0.1  # weakened, not helpless
    assert max(float(np.nanmax(v)) for v in t.p.values()) < 0.35  # a closer is never a safe bet


def test_interpretable_cells_as_the_chapter_reports(analysis):
    trained, untrained, sat, _ = analysis
    best = trained.best
    assert best["string"] == best["comment"] == (0, 163)
    assert best["brackets"] == (0, 68) and best["indent"] == (0, 121) and best["column"] == (1, 37)
    want = {"string": 0.52, "comment": 0.42, "brackets": 0.67, "indent": 0.80, "column": 0.69}
    for f, r in want.items():
        assert trained.best_r(f) == pytest.approx(r, abs=0.005)
        assert abs(trained.best_r(f)) > abs(untrained.best_r(f)) + 0.15
    assert np.nanmax(np.abs(trained.r_report)) < 0.9  # no near-perfect tracker
    k = ch07.FEATURES.index("indent")
    assert trained.probe[k, 0] - abs(trained.best_r("indent")) < 0.05  # one cell carries most of it
    assert untrained.probe[ch07.FEATURES.index("column")].max() > 0.7  # probes flatter random networks
    assert np.nanmax(np.abs(untrained.r_report[ch07.FEATURES.index("brackets")])) < 0.25


def test_gate_saturation_as_the_chapter_reports(analysis):
    *_, sat, _ = analysis
    left, right = sat.left, sat.right
    assert right["f"][1].mean() > 0.75 and np.sum(right["f"][1] > 0.5) > 192 / 2
    assert right["f"][1].mean() > right["f"][0].mean() + 0.2
    assert right["i"][0].mean() > right["i"][1].mean() + 0.1  # layer 1 writes more, not less
    for k in (0, 1):  # the output gates are the ones most often shut
        assert left["o"][k].mean() > max(left["i"][k].mean(), left["f"][k].mean())
    assert np.sum(left["f"][1] > 0.5) < 20
    assert "0.794" in sat.table()


def test_the_explorers_default_hints_hold(shipped, analysis):
    trained, *_ = analysis
    corpus = ch07.load_corpus()
    lab = ch07.CellLab(shipped["lstm2"].model, trained, corpus)
    text = ch07.passage(corpus, "random: choice and shuffle")
    view = lab.view(text, "string", *trained.best["string"])
    prose = (view.feature > 0) | (ch07.text_features(corpus, text)["comment"] > 0)
    assert view.cell[prose].mean() > view.cell[~prose].mean() + 0.5  # red over docstrings and comments
    cold = ch07.sample_view({"lstm2": shipped["lstm2"].model}, "lstm2", "def parse_header(line):\n    ", 0.7, 0)
    hot = ch07.sample_view({"lstm2": shipped["lstm2"].model}, "lstm2", "def parse_header(line):\n    ", 1.5, 0)
    assert np.mean(hot.probs < 0.1) > 2 * np.mean(cold.probs < 0.1)
