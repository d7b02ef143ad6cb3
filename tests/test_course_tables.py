"""Tables laid out by display width: a CJK character takes two columns, and the layout must
follow (header, rule and rows of one width on screen)."""
import re
import textwrap

import pytest

from lstmlib.course import i18n
from lstmlib.course.tables import Span, fixed_columns, pad, rule_for, table, width, wrap


def test_width_counts_wide_characters_twice():
    assert width("abc") == 3
    assert width("单元状态") == 8
    assert width("LSTM 单元") == 9


@pytest.mark.parametrize("align,want", [("<", "单元  "), (">", "  单元"), ("^", " 单元 ")])
def test_pad_by_display_width(align, want):
    assert pad("单元", 6, align) == want
    assert width(pad("单元", 6, align)) == 6


def test_pad_refuses_an_unknown_alignment():
    with pytest.raises(ValueError, match="align: expected"):
        pad("x", 3, "=")


def test_a_chinese_table_lines_up():
    text = table([("模型", "<"), ("每字符比特数", ">")], [("LSTM", "2.01"), ("GRU", "2.130")],
                 notes=["注：验证集"])
    lines = text.splitlines()
    head, rule, rows = lines[0], lines[1], lines[2:4]
    assert set(rule) == {"-"} and width(rule) == width(head)
    # the right-aligned numbers end in the same column as their header
    assert all(width(r) == width(head) for r in rows)
    assert lines[-1] == "注：验证集"


def test_rows_must_match_the_columns():
    with pytest.raises(ValueError, match=r"rows\[0\]: expected 2 cells"):
        table([("a", "<"), ("b", ">")], [("only one",)])


def test_rule_for_matches_a_wide_header():
    assert rule_for("参数量 H") == "-" * 8


# ---- fixed_columns: an English fixed-width layout that grows for wide cells --------------------------
LAYOUT = [("<", 10), (">", 8), "   ", ("<", 0)]


def test_fixed_columns_keeps_an_english_layout_as_the_format_string_gave_it():
    rows = [("LSTM", "1233", "20 of 20"), ("GRU", "1274", "never")]
    got = fixed_columns(LAYOUT, [("model", "params", "met")], rows).splitlines()
    want = [f"{a:<10}{b:>8}   {c}" for a, b, c in [("model", "params", "met")] + rows]
    assert got[0] == want[0] and got[2:] == want[1:] and got[1] == "-" * len(want[1])


def test_fixed_columns_grows_a_column_for_a_wide_cell_and_keeps_the_columns_in_line():
    rows = [("LSTM b_f=1 很长", "1233", "20/20"), ("GRU", "1274", "从未")]
    text = fixed_columns(LAYOUT, [("模型", "参数量", "达到目标")], rows)
    head, rule, *rows = text.splitlines()
    numbers_end = {width(ln[:ln.index(n) + len(n)])
                   for ln, n in zip([head] + rows, ["参数量", "1233", "1274"])}
    assert len(numbers_end) == 1  # the right-aligned column ends in one place on screen
    starts = {width(ln[:ln.index(t)]) for ln, t in zip([head] + rows, ["达到目标", "20/20", "从未"])}
    assert len(starts) == 1 and width(rule) == max(width(ln) for ln in [head] + rows)
    assert "很长 " in rows[0]  # at least one space before the next column


def test_a_span_covers_its_columns_and_grows_them_evenly():
    header = [("", Span("保持量最大的单元", 2, "^")), ("", "之前", "之后")]
    text = fixed_columns([("<", 6), (">", 6), (">", 6)], header, [("LSTM", "0.5", "0.25")])
    top, sub, rule, row = text.splitlines()
    assert width(row) == width(rule) == width(sub) and width(top) <= width(row)
    assert width(top[:top.index("保")]) >= 6  # centred over its two columns, not the first


def test_fixed_columns_refuses_a_bad_layout_or_row():
    with pytest.raises(ValueError, match=r"layout\[0\]: expected"):
        fixed_columns([("=", 3)], [], [])
    with pytest.raises(ValueError, match=r"rows\[0\]: expected cells covering 3 columns"):
        fixed_columns(LAYOUT, [], [("a", "b")])


# ---- wrap: by display width, Chinese breaks, numbers kept whole --------------------------------------
VERDICT = ("LSTM（b_f = 1）在 2/2 个种子（中位数：第 275 步）上达到目标；"
           "RNN 在 0/2 个种子上达到，1200 步后留出集上的最终 MSE 为 0.165, 0.167（基线 1/6 = 0.167）。")


@pytest.mark.parametrize("columns", range(32, 100, 3))
def test_wrap_keeps_numbers_with_their_units_and_neighbours(columns):
    lines = wrap(VERDICT, columns, initial_indent="  实测：  ", subsequent_indent=" " * 10)
    assert all(width(ln) <= columns for ln in lines)
    kept = "".join(ln.strip().replace("实测：", "").strip() for ln in lines)
    assert kept.replace(" ", "") == VERDICT.replace(" ", "")  # nothing lost, nothing added
    text = "\n".join(lines)
    for whole in ("第 275 步", "0.165, 0.167", "b_f = 1", "1/6 = 0.167", "1200 步"):
        assert whole in text
    assert not any(ln.lstrip()[0] in "，。；：）" for ln in lines[1:])  # no line starts with closing punctuation


def test_wrap_breaks_english_at_spaces_like_textwrap():
    text = "the quick brown fox jumps over the lazy dog " * 3
    assert wrap(text, 30) == textwrap.wrap(text, 30)
    assert wrap("seed by seed, b_f = 1 first on 16", 18) == ["seed by seed,", "b_f = 1 first on", "16"]
    with pytest.raises(ValueError, match="columns: expected"):
        wrap("x", 0)
# ---- every table the chapters print, in both languages ------------------------------------------
import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("**/[0-9][0-9]_*.ipynb"))
RULE = re.compile(r"^\s*[-=─]{8,}\s*$")
COLUMNS = re.compile(r"\S {2,}\S")  # two cells side by side: a table row, not a sentence


def _printed_tables(path: Path):
    """``(cell, header, rule, rows)`` of each plain-text table in a notebook's saved outputs: a rule
    line of dashes under a header line, and the rows after it up to a blank line."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) or "".join(out.get("data", {}).get("text/plain", ""))
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if i and RULE.match(line) and lines[i - 1].strip() and not RULE.match(lines[i - 1]):
                    rows = []
                    for row in lines[i + 1:]:
                        if not COLUMNS.search(row) or RULE.match(row):
                            break  # the rows end at a blank line, a note or another rule
                        rows.append(row)
                    yield k, lines[i - 1], line, rows


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(p.parents[1])) for p in NOTEBOOKS])
def test_every_printed_table_lines_up_on_screen(path):
    """Nothing sticks out past the rule: neither the header above it nor a row below it, as a reader
    sees them in a monospaced output, Chinese characters counted as two columns."""
    bad = []
    for k, head, rule, rows in _printed_tables(path):
        w = width(rule.rstrip())
        if width(head.rstrip()) > w:
            bad.append(f"cell {k}: header {width(head.rstrip())} columns over a rule of {w}: {head.strip()[:50]!r}")
        bad += [f"cell {k}: row of {width(r.rstrip())} columns over a rule of {w}: {r.strip()[:50]!r}"
                for r in rows if width(r.rstrip()) > w]
    assert not bad, "\n".join(bad[:20])


def test_minimum_widths_and_a_gap_per_pair_of_columns():
    text = table([("a", "<"), ("bb", ">"), ("c", ">")], [("x", "1", "2")], gap=[1, 0], widths=[3, 4, 4])
    assert text.splitlines() == ["a     bb   c", "-" * 12, "x      1   2"]
    with pytest.raises(ValueError, match="widths: expected 3"):
        table([("a", "<"), ("b", "<"), ("c", "<")], [], widths=[1, 2])
    with pytest.raises(ValueError, match="gap: expected"):
        table([("a", "<"), ("b", "<")], [], gap=[1, 1])


# ---- the tables chapters 01, 02 and 04 print, in a language whose words are twice as wide ----------
def _wide(message: str) -> str:
    """A stand-in translation: every letter outside the placeholders becomes a CJK character, so that
    each header is about twice as wide on screen as in English and wider than its English column."""
    return re.sub(r"(\{[^{}]*\})|[A-Za-z]", lambda m: m.group(1) or "宽", message)


class _WideCatalog(dict):
    def get(self, message, default=None):
        return _wide(message)


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setitem(i18n._catalogs, "zh", _WideCatalog())
    i18n.set_language("zh")
    try:
        yield
    finally:
        i18n.set_language("en")


def _ruled_table(text: str, n_rows: int):
    """``(the line above the rule, the rule, the n_rows rows below it)`` of the table in ``text``."""
    lines = text.splitlines()
    k = next(k for k, line in enumerate(lines) if line and set(line) == {"-"})
    return lines[k - 1], lines[k], lines[k + 1:k + 1 + n_rows]


def _tables():
    import numpy as np
    import lstmlib as ll
    from lstmlib.course import ch01, ch02, ch04
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(2, 3, rng)
    X = rng.standard_normal((4, 1, 2))
    exp = ch01.radius_experiment(max_steps=20)
    p8 = ll.LSTMParams.init(3, 8, np.random.default_rng(2), forget_bias=1.0)
    X8 = np.random.default_rng(3).standard_normal((12, 1, 3))
    q = ll.GRUParams.init(2, 3, np.random.default_rng(0))
    return {  # name: (text, number of rows)
        "scalar chains": (ch01.scalar_chain_table(ws=(0.5,), activations=("tanh",), backs=(1, 5)), 2),
        "product order": (ch01.product_order_check(X, r).table(), 3),
        "decay": (ch01.decay_table(exp, radii=(0.5, 1.5), steps=20), 4),
        "early steps": (ch01.early_steps_study(radii=(0.9,), activations=("tanh",), steps=12,
                                               seeds=range(2)).table(), 1),
        "memory": (str(ch02.forget_bias_memory(X8, p8, forget_biases=(1.0, 3.0))), 2),
        "parameter counts": (ch04.parameter_count_table(input_size=32, hidden_size=128), 4),
        "equal size": (ch04.equal_size_table(input_size=2, hidden_size=16, output_size=1), 3),
        "update bias": (str(ch04.update_bias_table(biases=(0.0, -3.0), steps=10)), 2),
        "gradient check": (i18n.show(ll.check_gradients(np.ones((2, 1, 2)), q, 0)), 11),
    }


def test_every_table_of_chapters_01_02_04_lines_up_when_its_words_are_wide(wide):
    for name, (text, n_rows) in _tables().items():
        head, rule, rows = _ruled_table(text, n_rows)
        # the rule spans the header and every row, and the widest of them reaches its end
        assert len(rows) == n_rows and "宽" in text, (name, text)
        assert width(rule) == max(width(line) for line in [head, *rows]), (name, text)


def test_the_unruled_blocks_of_chapters_02_and_04_line_up_when_their_words_are_wide(wide):
    import numpy as np
    from lstmlib.course import ch02, ch04
    half = ch02.half_life_table(forget=(0.5, 1.0)).splitlines()
    assert width(half[0]) == width(half[1])  # the values, right-aligned, end in the same columns
    table_lines = ch02.parameter_table(ch02.worked_example()[1]).splitlines()
    starts = {width(line[:line.index("[")]) for line in table_lines[1:]}
    assert starts == {width(table_lines[0][:table_lines[0].index("W_gh")])}
    for text in (str(ch04.compare_gru_conventions(steps=3)), str(ch04.d2l_parity(steps=3))):
        lines = [line for line in text.splitlines() if "|" in line]
        ends = {width(line[:line.index("|")]) for line in lines}  # "max |h difference|" starts in one column
        assert len(lines) == 2 and len(ends) == 1, text
    parity = ch04.TorchParity({"output h": 1e-14, "weight_ih_l0": 2e-13}, 1e-12)
    widths = {width(line) for line in str(parity).splitlines()[:3]}
    assert len(widths) == 1, str(parity)
    assert np.isfinite(ch02.half_life(0.5))
