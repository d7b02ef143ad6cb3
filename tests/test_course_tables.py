"""Tables laid out by display width: a CJK character takes two columns, and the layout must
follow (header, rule and rows of one width on screen)."""
import pytest

from lstmlib.course.tables import pad, rule_for, table, width


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
