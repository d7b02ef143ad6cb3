"""Chapter 07's printed tables line up on screen in every language: the header, the rule and every
row measured in display columns (a Chinese character counts two), in English, in Chinese (the
catalog, with a stand-in for a message it does not have yet) and in a stand-in language whose every
word is wider than its English column; and every word those tables show a reader comes from the
catalog (in the stand-in language no English word is left but names: modules, models, options)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from lstmlib.course import ch07, i18n
from lstmlib.course.tables import width

CJK = re.compile(r"[\u4e00-\u9fff]")


def _wide(message: str) -> str:
    """Every letter outside the placeholders becomes a CJK character: each header about twice as wide
    on screen as in English, wider than the column the English was laid out in."""
    return re.sub(r"(\{[^{}]*\})|[A-Za-z]", lambda m: m.group(1) or "宽", message)


class _Chinese(dict):
    """The Chinese catalog; a message it does not have yet (a new one) comes out wide, not English."""

    def get(self, message, default=None):
        return super().get(message) or _wide(message)


class _Wide(dict):
    def get(self, message, default=None):
        return _wide(message)


@pytest.fixture(params=["en", "zh", "wide"])
def language(request, monkeypatch):
    if request.param != "en":
        catalog = _Chinese(i18n.catalog("zh")) if request.param == "zh" else _Wide()
        monkeypatch.setitem(i18n._catalogs, "zh", catalog)
        i18n.set_language("zh")
    try:
        yield request.param
    finally:
        i18n.set_language("en")


# ---- the inputs: the shipped results, and a small made-up cell search ----------------------------
@pytest.fixture(scope="module")
def inputs():
    corpus = ch07.load_corpus()
    comparison = ch07.load_sweep("comparison")
    lstm = ch07.best_runs(comparison)["lstm128"]
    # T=8 runs stand-in: the LSTM's own runs renamed (the diagnosis sweep may still be adding them)
    t8 = [dict(r, spec=dict(r["spec"], name=r["spec"]["name"] + "_T8")) for r in lstm]
    gru = ch07.best_runs(comparison)["gru148"]
    closers = ch07.closer_table({"T=64": [r["measured"]["closers"] for r in lstm],
                                 "T=8": [r["measured"]["closers"] for r in gru]}, corpus)
    rng = np.random.default_rng(0)
    L, H, F = 2, 300, len(ch07.FEATURES)
    files = []
    for _ in range(4):
        m = ch07.Moments(L, H, F)
        f = rng.standard_normal((60, F))
        m.add([rng.standard_normal((60, H)) + f[:, :1] for _ in range(L)], f)
        files.append(m)
    pooled = ch07.Moments.total(files)
    search = ch07.CellSearch(ch07.FEATURES, pooled.corr(), pooled.corr(), rng.uniform(0, 1, (F, L)),
                             tuple(files), (240, 240), "made up")
    gates = ("f", "i", "o")
    saturation = ch07.Saturation(gates, {g: rng.uniform(0, 1, (L, 256)) for g in gates},
                                 {g: rng.uniform(0, 1, (L, 256)) for g in gates}, 0.1, 0.9, 1000)
    return {"corpus": corpus, "models": ch07.load_models(), "comparison": comparison, "t8": t8,
            "diagnosis": ch07.load_sweep("diagnosis"), "flagship": ch07.load_sweep("flagship"),
            "closers": closers, "search": search, "saturation": saturation}


TABLES = {  # name: (make(inputs), lines above the header, lines after the rows)
    "corpus": (lambda d: ch07.corpus_table(d["corpus"]), 0, 1),
    "learning rates": (lambda d: ch07.lr_table(d["comparison"]), 1, 0),
    "comparison": (lambda d: ch07.comparison_table(d["comparison"]), 0, 1),
    "per file": (lambda d: ch07.per_file_table(d["comparison"], "lstm128", "rnn250"), 0, 1),
    "flagship": (lambda d: ch07.flagship_table(d["flagship"]), 1, 1),
    "diagnosis": (lambda d: ch07.diagnosis_table(d["diagnosis"], d["comparison"]), 0, 1),
    "sweep cost": (lambda d: ch07.sweep_cost_table({"comparison": d["comparison"],
                                                    "flagship": d["flagship"]}), 0, 0),
    "closing brackets": (lambda d: d["closers"].table("bracket", "T=64", "T=8"), 1, 0),
    "closing quotes": (lambda d: d["closers"].table("quote", "T=64", "T=8"), 1, 0),
    "bits per character": (lambda d: ch07.bpc_table(d["models"]), 0, 1),
    "settings": (lambda d: ch07.settings_table(d["models"]), 0, 0),
    "training cost": (lambda d: ch07.training_cost_table(d["models"]), 0, 0),
    "cell search": (lambda d: d["search"].table(), 0, 1),
    "partial correlations": (lambda d: d["search"].partial_table(), 0, 0),
    "saturation": (lambda d: d["saturation"].table(), 0, 0),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_a_table_lines_up_on_screen(name, inputs, language):
    make, above, after = TABLES[name]
    lines = make(inputs).splitlines()
    head, rule, rows = lines[above], lines[above + 1], lines[above + 2:len(lines) - after]
    assert rows and set(rule) == {"-"}, "\n".join(lines)
    # nothing sticks out past the rule, and the rule is no longer than the widest line
    assert width(rule) == max(width(line) for line in [head, *rows]), "\n".join(lines)
    assert (CJK.search(head) is None) == (language == "en"), head


def _english_words(text: str) -> set:
    names = set(ch07.TRAIN_FILES + ch07.VALID_FILES) | {"LSTM", "GRU", "RNN", "lstm", "lstm2", "gru", "rnn",
                                                        "lstm_T8", "forget_bias", "reset_after", "activation",
                                                        "tanh", "True", "False", "ASCII"}
    return {w for w in re.findall(r"(?<![\w.])[A-Za-z_]\w*", text) if len(w) > 2 and w not in names}


def test_every_word_of_the_tables_comes_from_the_catalog(inputs, monkeypatch):
    monkeypatch.setitem(i18n._catalogs, "zh", _Wide())
    i18n.set_language("zh")
    try:
        texts = {name: make(inputs) for name, (make, _, _) in TABLES.items()}
        texts["truncation scores"] = ch07.truncation_scores(inputs["comparison"], inputs["t8"])
        texts["carried state"] = ch07.carried_state_check()
        texts["features"] = ch07.feature_table("x = 1\n")
        label = ch07.flagship_label(inputs["flagship"][0])
    finally:
        i18n.set_language("en")
    left = {name: _english_words(text) for name, text in texts.items()}
    assert not any(left.values()), {k: v for k, v in left.items() if v}
    assert "dropout" in label  # a figure's label stays English (figures have no Chinese font)


def test_the_feature_values_start_in_one_column(language):
    for text in ('x = f(a, "b(")  # c\n', "def g(y):\n    return [y, (1, 2)]\n"):
        lines = ch07.feature_table(text).splitlines()
        assert len(lines) == 1 + len(ch07.FEATURES)
        # the values are as long as the text, so the lines are as wide when the values start in one column
        assert len({width(line) for line in lines}) == 1, "\n".join(lines)


def test_the_carried_state_verdicts_stand_in_one_column(language):
    lines = ch07.carried_state_check(kind="gru", layers=1, T=6, split=2).splitlines()
    assert lines[1].endswith("True") and lines[2].endswith("True")
    assert width(lines[1]) == width(lines[2]), "\n".join(lines)


def test_the_corpus_table_wraps_its_modules_under_their_column(inputs, language):
    lines = ch07.corpus_table(inputs["corpus"]).splitlines()
    first = lines[2]
    at = width(first[:first.index("argparse")])
    more = [line for line in lines[3:] if line.startswith(" ")]
    assert more and all(len(line) - len(line.lstrip()) == at for line in more), "\n".join(lines)
    if language == "en":
        assert max(width(line) for line in lines[:-1]) <= 100, "\n".join(lines)
    training = [first[first.index("argparse"):]]
    for line in lines[3:]:
        if not line.startswith(" "):
            break
        training.append(line.strip())
    assert " ".join(training) == ", ".join(ch07.TRAIN_FILES)


def test_the_english_layouts_are_the_ones_the_chapter_quotes(inputs):
    assert inputs["saturation"].table().splitlines()[0] == (
        "layer  gate     mean left  mean right  units mostly left  units mostly right   (of 256)")
    assert inputs["search"].table().splitlines()[0] == (
        "feature                     best cell r (train) r (valid)     90% interval hindsight "
        "probe L1 probe L2")
    lines = ch07.carried_state_check().splitlines()
    assert lines[1] == "  outputs: chunks with carried state = whole sequence (to 1e-12):        True"
    assert lines[2] == "  gradients: dstate0 passed back = full BPTT (to 1e-12, relative):       True"
    closers = inputs["closers"].table("bracket", "T=64", "T=8").splitlines()
    assert closers[1] == (" distance  closers    T=64 p     T=8 p  difference  90% interval over files "
                          "seeds T=64 ahead")
    row = r" {6}1-8 +\d+( +[-+]?\d\.\d{3}){3} +\[[-+]\d\.\d{3}, [-+]\d\.\d{3}\] +\d of 5"
    assert re.fullmatch(row, closers[3]), closers[3]
    flagship = ch07.flagship_table(inputs["flagship"]).splitlines()
    assert all(re.search(r" {3,}\d+\.\d% of \d+$", row) for row in flagship[3:-1]), flagship
    assert ch07.flagship_label({"spec": {"layers": 2, "hidden": 256, "lr": 0.004, "dropout": 0.25}}) == (
        "2x256, lr 0.004, dropout 0.25")
    assert ch07.truncation_scores(inputs["comparison"], inputs["t8"]).startswith(
        "validation bits per character, mean [min, max] over 5 seeds: T=64 ")
