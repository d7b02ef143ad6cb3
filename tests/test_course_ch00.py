"""Chapter 00, start here: the notation table read off live arrays, the glossary, ``source``, the
activation picture, and the chapter's self-checks (and the ``Verdict`` every chapter's checks return)."""
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from test_course_support import assert_clean_texts, assert_legend_lists_the_labels, outside_pyplot, png, right, wrong

import lstmlib as ll
from lstmlib.activations import ACTIVATIONS, DERIVATIVE_BOUND
from lstmlib.course import ch00, ch01, exercises, plots, widgets


# ---- the notation table ----------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [(3, 5, 2, 4), (1, 2, 3, 1), (4, 4, 1, 6)])
def test_notation_shapes_are_the_real_shapes(sizes):
    D, H, B, T = sizes
    rows = ch00.notation_rows(D, H, B, T)
    letters = {"D": D, "H": H, "B": B, "T": T}
    for r in rows:
        dims = [s for s in r.dims.strip("()").replace(" ", "").split(",") if s]
        want = tuple(eval(s, {}, letters) for s in dims)  # "H+D" -> the number
        assert r.shape == want, r


def _real_objects():
    """The objects the table's code column names, built the way a reader would build them."""
    rng = np.random.default_rng(0)
    p = ll.LSTMParams.init(3, 4, rng)
    X = rng.standard_normal((5, 2, 3))
    hs, cache = ll.lstm_forward(X, p)
    g = ll.lstm_backward(np.ones_like(hs), cache, state_grads=True)
    r = ll.RNNParams.init(3, 4, rng)
    return {"p": p, "cache": cache, "g": g, "r": r, "flow": ch01.rnn_gradient_flow(X, r)}


def test_notation_code_column_names_attributes_that_exist():
    # the table says where each quantity lives; a renamed attribute must break this test, not the reader
    objs = _real_objects()
    named = 0
    for row in ch00.notation_rows():
        for obj, attr in re.findall(r"\b(p|cache|g|r)\.(\w+)", row.code):
            assert hasattr(objs[obj], attr), (row.symbol, row.code)
            named += 1
        for fn in re.findall(r"\b(\w+)\(", row.code):
            assert hasattr(ll, fn) or hasattr(ch01, fn), (row.symbol, fn)
        if "rnn_gradient_flow(...)." in row.code:
            assert hasattr(objs["flow"], row.code.split(").")[1].split("[")[0])
    assert named >= 20  # the regex really found the names


def test_notation_markdown_is_the_rows_as_a_table():
    rows = ch00.notation_rows(3, 4, 2, 5)
    md = ch00.notation_markdown(3, 4, 2, 5)
    lines = md.splitlines()
    assert len(lines) == len(rows) + 2
    assert "D=3, H=4, B=2, T=5" in lines[0]
    for row, line in zip(rows, lines[2:]):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells == [f"${row.symbol}$", row.meaning, f"`{row.code}`", row.dims, str(row.shape)]
    assert "遗忘门" in md


@pytest.mark.parametrize("bad", [dict(input_size=0), dict(hidden_size=-1), dict(batch=1.5), dict(steps=0)])
def test_notation_rejects_sizes_that_are_not_positive_whole_numbers(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ch00.notation_rows(**bad)


# ---- glossary and source ------------------------------------------------------------------------------
def test_glossary_has_the_articles_terms():
    zh = " ".join(z for _, z, _, _ in ch00.GLOSSARY)
    for term in ("遗忘门", "输入门", "输出门", "单元状态", "长短时记忆网络", "循环神经网络", "梯度消失", "梯度爆炸",
                 "误差项", "沿时间反向传播", "时刻"):
        assert term in zh, term
    lines = ch00.glossary_markdown().splitlines()
    assert len(lines) == len(ch00.GLOSSARY) + 2
    en, article, other, meaning = ch00.GLOSSARY[0]
    assert lines[2] == f"| {en} | {article} | {other or '—'} | {meaning} |"
    assert "the article's term" in lines[0] and "also met elsewhere" in lines[0]


@pytest.mark.parametrize("english, synonyms", [
    ("hidden state", ("隐状态", "隐藏状态")),
    ("cell state c_t", ("细胞状态", "记忆元")),
    ("candidate cell state", ("候选记忆元",)),
    ("backpropagation through time", ("通过时间反向传播",)),
    ("loss", ("损失函数",)),
    ("long short-term memory", ("长短期记忆网络",)),
    ("time step", ("时间步",)),
])
def test_glossary_lists_the_synonyms_met_elsewhere_apart_from_the_articles_term(english, synonyms):
    # a reader of d2l-zh or of a blog meets other words for the same things: they are listed, and
    # kept out of the article's column (the article's own term is what the chapters use)
    (row,) = [r for r in ch00.GLOSSARY if r[0].startswith(english)]
    _, article, other, _ = row
    for word in synonyms:
        assert word in other, (english, word)
        assert word not in article, (english, word)
    assert article and article not in other


def test_glossary_rows_are_whole():
    for row in ch00.GLOSSARY:
        assert len(row) == 4 and all(isinstance(x, str) for x in row)
        assert row[0] and row[1] and row[3], row
        assert "|" not in "".join(row), row  # would break the markdown table


def test_source_view_shows_the_tested_code():
    v = ch00.source(ll.lstm_step_forward)
    assert v._repr_markdown_() == "```python\n" + inspect.getsource(ll.lstm_step_forward).rstrip("\n") + "\n```"
    assert repr(v).startswith("def lstm_step_forward(x: np.ndarray, p: LSTMParams")
    assert "(4) cell state" in repr(v)
    assert ch00.source(ll.LSTMParams).name == "LSTMParams"
    with pytest.raises(ValueError, match="obj"):
        ch00.source(3)


# ---- the activation picture -----------------------------------------------------------------------------
@pytest.mark.parametrize("name, a", [("tanh", 1.0), ("sigmoid", -2.5), ("relu", 0.7)])
def test_activation_picture_draws_the_function_its_derivative_and_beta(name, a):
    fig = plots.plot_activations(name, a)
    assert outside_pyplot(fig)
    ax_f, ax_d = fig.axes
    fn, _ = ACTIVATIONS[name]
    grid = plots.ActivationPicture.GRID
    curve, dot = ax_f.lines[:2]
    np.testing.assert_allclose(curve.get_xdata(), grid)
    np.testing.assert_allclose(curve.get_ydata(), fn(grid), rtol=1e-15)
    assert dot.get_xdata()[0] == a and dot.get_ydata()[0] == pytest.approx(float(fn(np.array(a))))
    # the derivative curve against finite differences of the function (away from relu's kink)
    dcurve, ddot, beta = ax_d.lines[:3]
    h = 1e-6
    numeric = (fn(grid + h) - fn(grid - h)) / (2 * h)
    away = np.abs(grid) > 1e-3
    np.testing.assert_allclose(dcurve.get_ydata()[away], numeric[away], atol=1e-8)
    assert ddot.get_ydata()[0] == pytest.approx((float(fn(np.array(a + h))) - float(fn(np.array(a - h)))) / (2 * h),
                                                abs=1e-8)
    assert list(beta.get_ydata()) == [DERIVATIVE_BOUND[name]] * 2
    assert max(dcurve.get_ydata()) <= DERIVATIVE_BOUND[name] + 1e-15
    # beta_f is named in the legend with a real subscript (mathtext), not as "β_f" in plain text
    assert beta.get_label() == rf"$\beta_f$ = {DERIVATIVE_BOUND[name]:g} = max f′"
    assert_legend_lists_the_labels(ax_d)
    assert [t.get_text() for t in ax_d.get_legend().get_texts()] == ["f′(a)", "chosen a", beta.get_label()]
    assert not ax_d.texts
    # the legend sits above every curve: nothing drawn reaches into it
    fig.canvas.draw()
    box = ax_d.get_legend().get_window_extent()
    top_of_data = ax_d.transData.transform((0, max(DERIVATIVE_BOUND[name], max(dcurve.get_ydata()))))[1]
    assert box.y0 > top_of_data
    assert ax_f.get_title() == f"{name}(a):  {name}({a:.2f}) = {float(fn(np.array(a))):.3f}"
    assert ax_d.get_title().startswith(f"{name}'(a):  {name}'({a:.2f}) = ")
    assert_clean_texts(fig)
    png(fig)


def test_activation_picture_update_replaces_everything_it_drew():
    pic = plots.ActivationPicture(Figure())
    pic.update("tanh", 2.0)
    pic.update("sigmoid", -1.0)  # nothing of tanh may stay behind
    np.testing.assert_allclose(pic.curve.get_ydata(), ll.activations.sigmoid(pic.GRID))
    assert pic.beta.get_ydata()[0] == 0.25
    assert pic.legend.get_texts()[2].get_text() == pic.beta.get_label() == r"$\beta_f$ = 0.25 = max f′"
    assert pic.ax_f.get_title().startswith("sigmoid(a)")
    lo, hi = pic.ax_f.get_ylim()
    assert lo <= -1.0 and hi >= 1.0  # the y range always shows -1..1, so curves compare by eye


def test_activation_explorer_follows_the_slider_while_it_moves():
    # a redraw is cheap (one function on a grid), so the weighted input redraws while dragged
    ex = widgets.activation_explorer()
    assert ex.controls["a"].continuous_update
    assert ex.values() == {"name": "tanh", "a": 1.0}  # what chapter 00's prose says it opens at


# ---- the notebook's map: chapters in order, each with its picture and a link that works -----------------
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _markdown(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_the_map_is_one_row_per_chapter_in_order_with_thumbnail_and_link():
    (table,) = [m for m in _markdown("00_start_here.ipynb") if m.startswith("## 1. The map")]
    rows = [line for line in table.splitlines() if line.startswith("| <img")]
    chapters = sorted(p.name for p in NOTEBOOKS.glob("0[0-9]_*.ipynb"))
    assert len(rows) == len(chapters) == 8
    for n, (row, notebook) in enumerate(zip(rows, chapters)):
        img = re.search(r'<img src="(figures/ch(\d\d)\.png)" width="(\d+)"', row)
        assert img and int(img.group(2)) == n, row
        assert (NOTEBOOKS / img.group(1)).exists(), img.group(1)
        assert int(img.group(3)) <= 240  # a thumbnail, not a full-size figure
        assert f"**{n:02d} · " in row or f"**[{n:02d} · " in row, row
        if n > 0:  # every chapter after this one is a link to its notebook
            assert f"]({notebook})" in row, (row, notebook)
        assert row.count("|") == 4  # picture, chapter, question: one line each


def test_chapter00_links_the_source_article_and_its_references():
    text = "\n".join(_markdown("00_start_here.ipynb"))
    for url in ("https://zybuluo.com/hanbingtao/note/581764",
                "https://colah.github.io/posts/2015-08-Understanding-LSTMs/",
                "http://cs224d.stanford.edu/",
                "http://arunmallya.github.io/writeups/nn/lstm/index.html"):
        assert f"]({url})" in text, url
    assert "零基础入门深度学习(6) - 长短时记忆网络(LSTM)" in text


# ---- self-checks ----------------------------------------------------------------------------------------
def test_verdict_reads_as_one_line_and_is_truthy_when_right():
    assert repr(exercises.Verdict(True, "x")) == "Right: x" and bool(exercises.Verdict(True, "x"))
    assert repr(exercises.Verdict(False, "y")) == "Not yet: y" and not exercises.Verdict(False, "y")


def _checks_of(module):
    return [getattr(module, n) for n in sorted(vars(module)) if n.startswith("check_")]


CHAPTER_CHECKS = {n: _checks_of(getattr(exercises, n)) for n in ("ch00", "ch01", "ch02", "ch03", "ch04", "ch05", "ch06")}


def test_every_self_check_is_exported_from_the_exercises_package():
    for chapter, checks in CHAPTER_CHECKS.items():
        assert checks, chapter
        for c in checks:
            assert getattr(exercises, c.__name__) is c, c.__name__


@pytest.mark.parametrize("check", [c for cs in CHAPTER_CHECKS.values() for c in cs], ids=lambda c: c.__name__)
def test_the_placeholder_a_notebook_ships_with_is_not_yet_right(check):
    # every answer a reader must give is "..." in the notebook; every such answer is rejected politely
    required = [p for p in inspect.signature(check).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    for placeholder in (..., None):
        wrong(check(*[placeholder] * len(required)), "replace the ...")


def test_parameter_count():
    right(exercises.check_parameter_count(lambda D, H: 4 * H * (H + D + 1)))
    right(exercises.check_parameter_count(lambda D, H: 4 * H * H + 4 * H * D + 4 * H))
    wrong(exercises.check_parameter_count(lambda D, H: 4 * H * (H + D)), "biases")
    wrong(exercises.check_parameter_count(lambda D, H: H * (H + D + 1)), "four")
    wrong(exercises.check_parameter_count(lambda D, H: 3 * H * (H + D + 1)), "four weighted inputs, not three")
    wrong(exercises.check_parameter_count(lambda D, H: 4 * H * (D + 1)), "recurrent")
    wrong(exercises.check_parameter_count(lambda D, H: 7), "for D=3, H=4")
    wrong(exercises.check_parameter_count(128), "function of D and H")

    def broken(D, H):
        raise NotImplementedError

    wrong(exercises.check_parameter_count(broken), "NotImplementedError")
    wrong(exercises.check_parameter_count(lambda D, H: 1 / 0), "ZeroDivisionError")
    # right at D=3, H=4 only is not right: the check tries several sizes
    wrong(exercises.check_parameter_count(lambda D, H: 128 if (D, H) == (3, 4) else 0), "for D=1, H=1")


def test_joined_shape():
    right(exercises.check_joined_shape((4, 7)))
    right(exercises.check_joined_shape([4, 7]))
    right(exercises.check_joined_shape(np.array([5, 7]), input_size=2, hidden_size=5))
    wrong(exercises.check_joined_shape((7, 4)), "swapped")
    wrong(exercises.check_joined_shape((4, 4)), "one half")
    wrong(exercises.check_joined_shape((4, 3)), "one half")
    wrong(exercises.check_joined_shape((4, 8)), "H+D")
    wrong(exercises.check_joined_shape("4x7"), "shape")
