"""The text lstmlib shows a reader, in Chinese: self-checks, explorers and printed tables come out
of lstmlib/course/locale/zh.po after ``set_language("zh")``, with the same numbers as in English;
every ``tr()`` message has a current translation with the same placeholders (format specs
included); English stays exactly what it was; figures stay English (the default fonts have no
Chinese glyphs); and the model layer stays light (``import lstmlib`` loads no plotting or widgets,
even when a gradient-check report is printed in Chinese)."""
from __future__ import annotations

import functools
import importlib.util
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lstmlib as ll
from lstmlib.course import ch00, ch01, ch03, ch05, ch06, ch07, exercises, i18n, widgets
from lstmlib.course.exercises import ch02 as checks02
from lstmlib.course.exercises import ch07 as checks07
from lstmlib.course.widgets import ch07 as widgets07

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translations)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh():
    i18n.set_language("zh")
    try:
        yield
    finally:
        i18n.set_language("en")


def _numbers(text: str) -> list[str]:
    # a minus sign belongs to the number unless it joins words ("step-1")
    return sorted(re.findall(r"(?:(?<![\w)\]])-)?\d+(?:\.\d+)?(?:e[+-]?\d+)?%?", text))


def _both(make) -> tuple[str, str]:
    """``str(make())`` in English, then in Chinese (the language set back to English after)."""
    en = str(make())
    i18n.set_language("zh")
    try:
        zh = str(make())
    finally:
        i18n.set_language("en")
    return en, zh


def _lstm_case():
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(3, 4, rng)
    X = rng.standard_normal((5, 2, 3))
    return X, p, (rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))  # the state (h0, c0)


# ---- the catalog ------------------------------------------------------------------------------------
def _fields(text: str) -> list:
    return sorted((name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name)


def test_every_message_has_a_current_translation_with_the_same_placeholders_and_formats():
    table = {e.msgid: e for e in i18n.read_po(translations.LIB_PO)}
    problems = []
    for msg, place in translations.library_messages():
        e = table.get(msg)
        if e is None or not e.msgstr.strip() or e.fuzzy:
            problems.append(f"{place}: {msg[:60]!r} has no current translation")
        elif _fields(e.msgstr) != _fields(msg):  # names, format specs and conversions alike
            problems.append(f"{place}: {_fields(msg)} became {_fields(e.msgstr)}")
    assert not problems, "\n".join(problems)
    assert len(table) >= 500  # the course layer's messages really were collected


def test_translations_keep_the_numbers_of_the_english():
    """No number dropped, none added: the prose tests of the Chinese chapters compare numbers."""
    def numbers(s):
        return sorted(re.findall(r"\d+(?:\.\d+)?", re.sub(r"\{[^{}]*\}", "", s)))
    bad = [(e.msgid, e.msgstr) for e in i18n.read_po(translations.LIB_PO) if numbers(e.msgid) != numbers(e.msgstr)]
    assert not bad, bad


def test_translations_are_chinese_where_the_english_has_words():
    chinese = re.compile(r"[\u4e00-\u9fff，。：；（）、]")  # a word, or at least the punctuation, is Chinese
    for e in i18n.read_po(translations.LIB_PO):
        words = re.sub(r"\{[^}]*\}", "", e.msgid)  # what the reader reads besides the filled-in fields
        if re.search(r"[A-Za-z]", words) and re.search(r"[a-z]{3,}|[:;,.]", words):
            assert chinese.search(e.msgstr), (e.msgid, e.msgstr)


def test_the_model_layer_stays_light_when_a_report_is_printed_in_chinese():
    code = ("import sys, numpy as np, lstmlib as ll\n"
            "from lstmlib.course.i18n import set_language, show\n"
            "set_language('zh')\n"
            "rng = np.random.default_rng(0)\n"
            "text = show(ll.check_gradients(rng.standard_normal((2, 1, 2)), ll.RNNParams.init(2, 3, rng), rng))\n"
            "assert '全部通过' in text, text\n"
            "assert not {'matplotlib', 'ipywidgets'} & set(sys.modules), sorted(sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_glossary_constant_stays_english_whatever_the_language_at_import():
    code = ("from lstmlib.course.i18n import set_language\n"
            "set_language('zh')\n"
            "from lstmlib.course import ch00\n"
            "assert ch00.GLOSSARY[0][3] == 'a network that reads a sequence one step at a time, carrying a state'\n"
            "assert ch00.glossary()[0][3] != ch00.GLOSSARY[0][3]\n"
            "from lstmlib.course.i18n import language\n"
            "assert language() == 'zh'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---- self-checks ------------------------------------------------------------------------------------
CHECKS = {
    "parameter count, right": lambda: exercises.check_parameter_count(lambda D, H: 4 * H * (H + D + 1)),
    "parameter count, no biases": lambda: exercises.check_parameter_count(lambda D, H: 4 * H * (H + D)),
    "unanswered": lambda: exercises.check_joined_shape(...),
    "not a number": lambda: exercises.check_bound_factor("q"),
    "bound factor, wrong": lambda: exercises.check_bound_factor(3.0 ** 20),
    "critical radius, wrong": lambda: exercises.check_critical_radius(0.5),
    "cell update, h wrong": lambda: checks02.check_cell_update(1.3, 0.5),
    "half-life bias, wrong": lambda: checks02.check_forget_bias_for_half_life(1.0),
    "no carry, wrong": lambda: exercises.check_no_carry_failures({"W_fh"}),
    "carry ratio, right": lambda: exercises.check_carry_ratio(0.95 ** 19),
    "update gate bias, other convention": lambda: exercises.check_update_gate_bias(1.0),
    "forget bias needed, right": lambda: exercises.check_forget_bias_needed(3.045),
    "clipped gradient, right": lambda: exercises.check_clipped_gradient([0.6, 0.8]),
    "hold, right": lambda: exercises.check_hold(0.98 ** 40),
    "bits per character, right": lambda: checks07.check_bits_per_char(1.2 / np.log(2), nats=1.2),
    "bits per character, multiplied": lambda: checks07.check_bits_per_char(1.2 * np.log(2), nats=1.2),
    "perplexity, nats": lambda: checks07.check_perplexity(np.e ** 2, bits=2.0),
    "connected fraction, right": lambda: checks07.check_connected_fraction(45 / 64, distance=20, chunk=64),
    "connected fraction, one too few": lambda: checks07.check_connected_fraction(44 / 64, distance=20, chunk=64),
    "GRU parameters, right": lambda: checks07.check_char_parameter_count(97_888, kind="gru", hidden=148),
    "GRU parameters, no b_ch": lambda: checks07.check_char_parameter_count(97_888 - 148, kind="gru", hidden=148),
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_self_check_in_chinese_says_the_same_with_the_same_numbers(name):
    en, zh = _both(CHECKS[name])
    assert en.startswith(("Right: ", "Not yet: "))
    assert zh.startswith("正确：" if en.startswith("Right") else "还不对："), zh
    assert CJK.search(zh[4:]), zh  # the explanation too, not only the verdict
    assert _numbers(zh) == _numbers(en), (en, zh)


def test_a_verdict_keeps_its_truth_value_in_chinese(zh):
    assert exercises.check_carry_ratio(0.95 ** 19) and not exercises.check_carry_ratio(0.5)


def test_a_function_that_raises_is_reported_in_chinese(zh):
    def broken(x, p, state):
        raise NotImplementedError
    assert str(checks02.check_lstm_step(broken)) == "还不对：你的函数仍然抛出 NotImplementedError：请补全它的函数体。"


# ---- printed tables and reports ----------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _ch07_search():
    """A small cell search of the shipped 2-layer LSTM (its tables are formatted in either language)."""
    model = ch07.shipped_models()["lstm2"].model.astype(np.float64)
    return ch07.cell_search(model, ch07.load_corpus(), windows=4, length=1500, warmup=100)


@functools.lru_cache(maxsize=None)
def _ch07_closers():
    models = ch07.load_models(["lstm", "lstm_T8"])
    return ch07.closer_table({"T=64": [models["lstm"].model], "T=8": [models["lstm_T8"].model]}, ch07.load_corpus())


@functools.lru_cache(maxsize=None)
def _ch07_live():
    spec = ch07.ModelSpec("live", "lstm", 1, 16, chunk=16, batch=4, steps=6, options=ch07.GATED["lstm"], eval_every=3)
    return ch07.live_run(spec, ch07.load_corpus(), steps=6)


TABLES = {
    "gradient check": lambda: i18n.show(ll.check_gradients(*_lstm_case()[:2], 0, state=_lstm_case()[2])),
    "decay table": lambda: ch01.decay_table(ch01.radius_experiment(), radii=(0.5, 1.0), steps=20),
    "errata table": lambda: ch03.errata_table(steps=(2,)),
    "errata failures": lambda: ch03.errata_table(steps=(2,)).failure_summary(),
    "article's check": lambda: ch03.article_check_table(),
    "forget-bias table": lambda: ch05.forget_bias_table(biases=(0.0, 1.0), steps=20),
    "sizes table": lambda: ch06.sizes_table(),
    "first steps": lambda: ch06.first_steps_table(),
    "adding example": lambda: ch06.adding_example(T=10, seed=0),
    "temporal-order example": lambda: ch06.temporal_order_example(T=20, seed=0),
    "baseline table": lambda: ch06.baseline_table(T=20, n=2000),
    "corpus table": lambda: ch07.corpus_table(ch07.load_corpus()),
    "feature table": lambda: ch07.feature_table('x = f(a, "b(")  # c\n'),
    "carried state": lambda: ch07.carried_state_check(),
    "settings table": lambda: ch07.settings_table(ch07.shipped_models()),
    "bits per character table": lambda: ch07.bpc_table(ch07.shipped_models()),
    "training cost": lambda: ch07.training_cost_table(ch07.shipped_models()),
    "cell search": lambda: _ch07_search()[0].table(),
    "saturation": lambda: _ch07_search()[1].table(),
    "closing brackets": lambda: _ch07_closers().table("bracket", "T=64", "T=8"),
    "closing quotes": lambda: _ch07_closers().table("quote", "T=64", "T=8"),
    "samples": lambda: ch07.sample_table(ch07.shipped_models()["lstm"].model, "def f(x):\n    ", temperatures=(0.5, 1.5),
                                         length=60),
    "live summary": lambda: ch07.live_summary(_ch07_live(), 6.0),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_a_printed_table_in_chinese_has_the_same_numbers(name):
    en, zh = _both(TABLES[name])
    assert not CJK.search(en)
    assert CJK.search(zh), zh
    assert _numbers(zh) == _numbers(en), (en, zh)
    assert len(zh.splitlines()) == len(en.splitlines())


def test_the_gradient_check_report_in_chinese(zh):
    report = ll.check_gradients(*_lstm_case()[:2], 0, state=_lstm_case()[2])
    assert not CJK.search(str(report))  # the model layer prints English; the course translates it
    lines = i18n.show(report).splitlines()
    assert lines[0].split()[:4] == ["数组", "形状", "相对误差", "有限差分误差"]
    assert all(line.endswith("通过") for line in lines[2:-1])
    assert lines[-1] == ("全部通过（通过标准：相对误差 <= 1e-07，或最大绝对误差 <= 1e-10，"
                         "或相对误差 <= 3 x 有限差分误差）")


def test_the_notation_table_and_glossary_in_chinese(zh):
    md = ch00.notation_markdown(3, 4, 2, 5)
    assert md.splitlines()[0] == "| 章 | 文章中的符号 | 含义 | 在 lstmlib 中 | 形状 | 此处（D=3, H=4, B=2, T=5） |"
    assert "| 02 | $c_t$ | 单元状态 | `cache.c[t-1]` | (B, H) | (2, 4) |" in md
    rows = ch00.glossary_markdown().splitlines()
    assert rows[0].startswith("| 英文 | 中文：本课程的术语")
    assert rows[2].startswith("| recurrent neural network (RNN) | 循环神经网络 | — | ")  # English terms kept
    assert len(rows) == len(ch00.GLOSSARY) + 2


def test_a_finding_and_its_verdict_in_chinese(zh):
    tr = i18n.tr
    f = ch06.Finding(tr("Hochreiter & Schmidhuber 1997"), tr("an LSTM learns {task} (T = {T}); a plain RNN does not.",
                                                            task=tr("the adding problem"), T=50),
                     "m", "indistinguishable", 20)
    assert f.lines()[0].startswith("Hochreiter 和 Schmidhuber（1997）：")  # the names kept, "&" and the year in Chinese
    assert CJK.search(f.lines()[0]) and CJK.search(f.verdict) and "20" in f.verdict


def test_the_training_line_and_the_progress_bar_in_chinese(zh):
    from lstmlib.course.progress import ProgressBar
    runs = ch06.RunCache()
    r = ch06.run(ch06.RunSpec(kind="rnn", task="adding", T=5, steps=10, hidden_size=3, eval_every=5), runs=runs,
                 progress=False)
    line = r.history.summary(seconds=False, tr=i18n.tr)
    assert line == f"RNN T=5 种子 0：10 步，留出集损失 {r.history.final_eval_loss:.4g}"  # the run's label too
    bar = ProgressBar(display=False)
    assert repr(bar) == "训练尚未开始"
    bar.start(10, r.spec.label)
    assert repr(bar) == "RNN T=5 种子 0：已开始，共 10 步"
    bar.close(r.history)
    assert repr(bar) == line


def test_chapter_07_and_tasks_tables_in_chinese(zh):
    assert ch07.feature_table("f(x)\n").splitlines()[1:] == [  # the values in one column, on screen
        "在字符串内        00000", "在注释内          00000", "在字符串或注释内  00000", "括号深度          01100",
        "在圆括号内        01100", "缩进层级          00000", "行内列号          12340"]
    assert ch07.corpus_table(ch07.load_corpus()).splitlines()[-1] == "词表：96 个字符（换行符和 95 个可打印的 ASCII 字符）"
    assert ch07.carried_state_check().splitlines()[0] == "2 层的 LSTM，12 步分成 5 步和 7 步两块读入："
    assert _ch07_search()[1].table().splitlines()[2].split()[:2] == ["1", "遗忘"]  # the gate's name, translated
    assert _ch07_closers().table("quote", "T=64", "T=8").startswith("闭合引号（' \"）：p = ")
    assert "--- 温度 0.5 ---" in TABLES["samples"]()
    live = _ch07_live()
    assert re.search(r"：6 步，留出集损失 [\d.]+$", live.summary(seconds=False, tr=i18n.tr))
    assert ch06.temporal_order_example(T=20, seed=0) == "序列：EcYbbaaaadcdXcdccccB\n类别：YX（索引 2）"
    rows = ch06.baseline_table(T=20, n=2000).splitlines()
    assert rows[0].split() == ["任务", "损失", "公式", "值", "实测"]
    assert [r.split()[0] for r in rows[2:]] == ["加法问题", "加法问题（原始形式）T=20", "时序顺序"]
    assert "<-- 带标记" in ch06.adding_example(T=10, seed=0)


def test_the_model_layer_stays_light_when_a_task_table_is_printed_in_chinese():
    code = ("import sys\n"
            "from lstmlib import tasks\n"
            "from lstmlib.course.i18n import set_language\n"
            "set_language('zh')\n"
            "assert not {'matplotlib', 'ipywidgets'} & set(sys.modules), sorted(sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---- explorers ------------------------------------------------------------------------------------------
def test_an_explorer_in_chinese_titles_and_labels_its_controls_and_keeps_their_values(zh):
    ex = widgets.gate_explorer()
    head, row1, _, _ = ex.children
    assert head.value == "<b>门探索器：把门当作开关</b>"
    assert [c.description for c in row1.children] == ["遗忘门 f", "输入门 i", "输出门 o"]
    assert ex.controls["pattern"].options == (("单个脉冲", "pulse"), ("恒定输入", "constant"), ("两个脉冲", "two pulses"))
    assert ex.values() == {"f": 0.9, "i": 1.0, "o": 0.8, "x": 2.0, "pattern": "pulse"}  # values stay English
    assert repr(ex).startswith("探索器：请先运行笔记本的单元格")


def test_figures_stay_english_in_chinese(zh):
    """A figure's text never comes from the catalog: no Chinese glyph is ever asked of the fonts."""
    for make in (widgets.rnn_gradient_explorer, widgets.errata_explorer, widgets.gate_explorer,
                 widgets.gate_hold_explorer, widgets.gradient_flow_explorer, widgets.activation_explorer):
        ex = make()
        texts = [t.get_text() for t in ex.fig.findobj(lambda a: hasattr(a, "get_text"))]
        assert texts and not any(CJK.search(t) for t in texts), (make.__name__, [t for t in texts if CJK.search(t)])
    ex = widgets.errata_explorer()
    ex.controls["state"].value = "random"  # the option's value is the English key the title is built from
    assert "random state" in ex.fig.axes[0].get_title()


def test_chapter_07_explorers_in_chinese_keep_their_values_and_english_figures(zh):
    ex = widgets07.sample_explorer()
    assert ex.children[0].value == "<b>采样：模型接着你的引子写 Python</b>"
    assert [ex.controls[k].description for k in ("name", "temperature", "seed", "prime")] == ["模型", "温度", "种子", "引子"]
    assert ex.controls["name"].options[-1] == ("LSTM 128，T=8", "lstm_T8")
    assert ex.values()["name"] == "lstm2"  # values stay the models' names
    cell = widgets07.cell_explorer(search=_ch07_search()[0])
    assert cell.children[0].value == "<b>训练好的 LSTM 内部：一个单元在一段文本上的取值（前 500 个字符）</b>"
    assert cell.controls["feature"].options[0] == ("在字符串内", "string")
    assert cell.controls["layer"].options == (("第 1 层", 0), ("第 2 层", 1))
    assert cell.picker.options[0] == ("random：choice 与 shuffle", "random: choice and shuffle")
    cell.picker.value = "textwrap: indent"  # the passages' names stay the keys
    assert cell.controls["text"].value.startswith("def indent(text, prefix")
    for e in (ex, cell):
        texts = [t.get_text() for t in e.fig.findobj(lambda a: hasattr(a, "get_text"))]
        assert texts and not any(CJK.search(t) for t in texts), [t for t in texts if CJK.search(t)]
    assert any("inside a string" in t.get_text() for t in cell.fig.findobj(lambda a: hasattr(a, "get_text")))


def test_no_figure_code_calls_tr():
    for path in (ROOT / "lstmlib" / "course" / "plots").glob("*.py"):
        assert not re.search(r"\btr\(", path.read_text(encoding="utf-8")), path.name


# ---- English unchanged -----------------------------------------------------------------------------------
def test_english_is_the_message_itself():
    for msg, _ in translations.library_messages():
        if not _fields(msg):
            assert i18n.tr(msg) == msg


def test_switching_to_chinese_and_back_gives_the_english_again():
    make = TABLES["article's check"]
    before = str(make())
    i18n.set_language("zh")
    try:
        assert str(make()) != before
    finally:
        i18n.set_language("en")
    assert str(make()) == before
    assert str(exercises.check_parameter_count(lambda D, H: 4 * H * (H + D + 1))).startswith("Right: 4H(H+D+1) numbers")
