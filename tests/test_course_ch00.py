"""Chapter 00, start here: the notation table read off live arrays, the glossary, ``source``, the
list of cells the notebook test does not compare, the activation picture, the chapter map, and the
chapter's self-checks (and the ``Verdict`` and the package names every chapter's checks share)."""
import inspect
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from test_course_support import assert_readable, outside_pyplot, right, wrong

import lstmlib as ll
from lstmlib.activations import ACTIVATIONS, DERIVATIVE_BOUND
from lstmlib.course import ch00, ch01, exercises, plots, widgets

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


# ---- the notation table ----------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [(3, 5, 2, 4), (1, 2, 3, 1), (4, 4, 1, 6)])
def test_notation_shapes_are_the_real_shapes(sizes):
    D, H, B, T = sizes
    letters = {"D": D, "H": H, "B": B, "T": T}
    for r in ch00.notation_rows(D, H, B, T):
        pairs, dims = (2, r.dims.split("×")[1]) if "×" in r.dims else (None, r.dims)  # "2 × (B, H)": a pair
        want = tuple(eval(s, {}, letters) for s in dims.strip(" ()").replace(" ", "").split(",") if s)
        assert r.shape == ((pairs,) + want if pairs else want), r


def test_notation_rows_come_in_the_order_the_chapters_introduce_them():
    chapters = [r.chapter for r in ch00.notation_rows()]
    assert chapters == sorted(chapters) and set(chapters) == {"01", "02", "03"}
    symbols = {r.symbol: r for r in ch00.notation_rows()}
    # one meaning of delta across the course: delta alone is the error of a weighted input
    assert r"\delta_k = \partial E/\partial \mathrm{net}_k" in symbols
    assert r"\delta h_t = \partial E/\partial h_t" in symbols and r"\delta c_t = \partial E/\partial c_t" in symbols
    assert not [s for s in symbols if re.search(r"\\delta_t\b", s)]  # never delta_t for dE/dh_t


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
            assert hasattr(ll, fn) or hasattr(ch01, fn) or hasattr(np, fn), (row.symbol, fn)
        if "rnn_gradient_flow(...)." in row.code:
            assert hasattr(objs["flow"], row.code.split(").")[1].split("[")[0])
    assert named >= 20  # the regex really found the names


def test_notation_markdown_is_the_rows_as_a_table():
    rows = ch00.notation_rows(3, 4, 2, 5)
    lines = ch00.notation_markdown(3, 4, 2, 5).splitlines()
    assert len(lines) == len(rows) + 2 and "D=3, H=4, B=2, T=5" in lines[0]
    for row, line in zip(rows, lines[2:]):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells == [row.chapter, f"${row.symbol}$", row.meaning, f"`{row.code}`", row.dims, str(row.shape)]


@pytest.mark.parametrize("bad", [dict(input_size=0), dict(hidden_size=-1), dict(batch=1.5), dict(steps=0)])
def test_notation_rejects_sizes_that_are_not_positive_whole_numbers(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ch00.notation_rows(**bad)


# ---- glossary and source ------------------------------------------------------------------------------
def test_glossary_has_the_articles_terms_in_whole_rows():
    zh = " ".join(z for _, z, _, _ in ch00.GLOSSARY)
    for term in ("遗忘门", "输入门", "输出门", "单元状态", "长短时记忆网络", "循环神经网络", "梯度消失", "梯度爆炸",
                 "误差项", "沿时间反向传播", "时刻"):
        assert term in zh, term
    for row in ch00.GLOSSARY:
        assert len(row) == 4 and row[0] and row[1] and row[3], row
        assert "|" not in "".join(row), row  # would break the markdown table
    lines = ch00.glossary_markdown().splitlines()
    assert len(lines) == len(ch00.GLOSSARY) + 2


@pytest.mark.parametrize("english, term, synonyms", [
    ("hidden state", "输出值", ("隐状态", "隐藏状态")),
    ("cell state c_t", "单元状态", ("细胞状态", "记忆元")),
    ("candidate cell state", "候选状态", ("当前输入的单元状态", "候选记忆元")),
    ("backpropagation through time", "沿时间反向传播", ("通过时间反向传播",)),
    ("truncated BPTT", "截断的沿时间反向传播", ("截断 BPTT",)),
    ("loss", "损失", ("误差函数", "损失函数")),
    ("learning rate", "学习速率", ("学习率",)),
    ("long short-term memory", "长短时记忆网络", ("长短期记忆网络",)),
    ("time step", "时刻", ("时间步",)),
    ("the layer above / below", "上面一层", ("上一层",)),
])
def test_glossary_lists_the_synonyms_met_elsewhere_apart_from_the_courses_term(english, term, synonyms):
    (row,) = [r for r in ch00.GLOSSARY if r[0].startswith(english)]
    _, course, other, _ = row
    assert term in course, (english, course)
    for word in synonyms:
        assert word in other and word not in course, (english, word)


def test_glossary_names_the_courses_terms_as_the_term_list_chooses_them():
    """The second column is the course's term: no variant that the term list (zh_terms.tsv) bans,
    and every term issue 17 found missing is there."""
    terms = Path(ch00.__file__).resolve().parent / "locale" / "zh_terms.tsv"
    banned = [re.compile(line.split("\t")[2]) for line in terms.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#") and line.split("\t")[2]]
    for row in ch00.GLOSSARY:
        assert not [b.pattern for b in banned if b.search(row[1])], row
    course = {row[1] for row in ch00.GLOSSARY}
    for term in ("梯度裁剪", "学习速率", "截断的沿时间反向传播", "困惑度", "嵌入", "饱和", "每字符比特数",
                 "更新门、重置门"):
        assert term in course, term


def test_source_view_shows_the_tested_code():
    v = ch00.source(ll.lstm_step_forward)
    assert v._repr_markdown_() == "```python\n" + inspect.getsource(ll.lstm_step_forward).rstrip("\n") + "\n```"
    assert repr(v).startswith("def lstm_step_forward(x: np.ndarray, p: LSTMParams")
    assert ch00.source(ll.LSTMParams).name == "LSTMParams"
    with pytest.raises(ValueError, match="obj"):
        ch00.source(3)


# ---- what the notebook test compares ---------------------------------------------------------------------
def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("text"))
    nbformat.write(nb, path)


def test_unchecked_cells_are_the_tagged_cells_of_the_chapters(tmp_path):
    _notebook(tmp_path / "00_a.ipynb", [("x = 1", []), ("widgets.thing_explorer()", [ch00.IGNORE_TAG])])
    _notebook(tmp_path / "03_b.ipynb", [("train()\nprint(2)", [ch00.IGNORE_TAG, "other"]), ("y = 2", ["other"])])
    _notebook(tmp_path / "notes.ipynb", [("z = 3", [ch00.IGNORE_TAG])])  # not a chapter
    cells = ch00.unchecked_cells(tmp_path)
    assert [(c.notebook, c.cell, c.code, c.explorer) for c in cells] == [
        ("00_a.ipynb", 2, "widgets.thing_explorer()", True), ("03_b.ipynb", 0, "train()", False)]
    lines = ch00.unchecked_table(tmp_path).splitlines()
    assert lines[0].endswith(" 1") and lines[2].endswith(" 1")
    assert lines[1].split() == ["00_a.ipynb", "widgets.thing_explorer()"] and lines[3].split() == ["03_b.ipynb", "train()"]
    with pytest.raises(ValueError, match="folder"):
        ch00.unchecked_cells(tmp_path / "nowhere")


def test_chapter00_says_which_outputs_are_not_compared_and_they_are_the_tagged_ones():
    cells = ch00.unchecked_cells(NOTEBOOKS)
    training = {c.notebook[:2] for c in cells if not c.explorer}
    assert {"06", "07"} <= training  # cell 0 names the training runs of chapters 06 and 07
    (intro,) = _markdown("00_start_here.ipynb")[:1]
    assert "training runs of chapters 06 and 07" in intro and "section 7" in intro
    assert all(c.explorer for c in cells if c.notebook[:2] in ("00", "01", "02"))  # mine compare everything else


# ---- the activation picture -----------------------------------------------------------------------------
@pytest.mark.parametrize("name, a", [("tanh", 1.0), ("sigmoid", -2.5), ("relu", 0.7)])
def test_activation_picture_draws_the_function_its_derivative_and_beta(name, a):
    fig = plots.plot_activations(name, a)
    assert outside_pyplot(fig)
    ax_f, ax_d = fig.axes
    fn, _ = ACTIVATIONS[name]
    grid = plots.ActivationPicture.GRID
    curve, dot = ax_f.lines[:2]
    np.testing.assert_allclose(curve.get_ydata(), fn(grid), rtol=1e-15)
    assert dot.get_xdata()[0] == a and dot.get_ydata()[0] == pytest.approx(float(fn(np.array(a))))
    # the derivative against finite differences of the function (away from relu's kink)
    dcurve, ddot, beta = ax_d.lines[:3]
    h = 1e-6
    numeric = (fn(grid + h) - fn(grid - h)) / (2 * h)
    away = np.abs(grid) > 1e-3
    np.testing.assert_allclose(dcurve.get_ydata()[away], numeric[away], atol=1e-8)
    # beta_f, the dashed line, is the largest slope: measured on a fine grid, not read from the table
    fine = np.linspace(-6, 6, 120001)
    assert beta.get_ydata()[0] == pytest.approx(np.max((fn(fine + h) - fn(fine - h)) / (2 * h)), abs=1e-6)
    assert f"= {beta.get_ydata()[0]:g} =" in ax_d.get_legend().get_texts()[2].get_text()
    assert_readable(fig)


def test_activation_picture_update_replaces_everything_it_drew():
    pic = plots.ActivationPicture(Figure())
    pic.update("tanh", 2.0)
    pic.update("sigmoid", -1.0)  # nothing of tanh may stay behind
    np.testing.assert_allclose(pic.curve.get_ydata(), ll.activations.sigmoid(pic.GRID))
    assert pic.beta.get_ydata()[0] == DERIVATIVE_BOUND["sigmoid"]
    assert "0.25" in pic.legend.get_texts()[2].get_text() and pic.ax_f.get_title().startswith("sigmoid(a)")


def test_activation_explorer_opens_where_the_prose_says_and_follows_the_slider():
    ex = widgets.activation_explorer()
    assert ex.values() == {"name": "tanh", "a": 1.0}
    assert ex.controls["a"].continuous_update  # a redraw is cheap: it follows the drag


# ---- the notebook's map: chapters in order, each with its picture and a link -------------------------------
def _markdown(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


MAP_TITLES = ["Start here", "The plain RNN and its vanishing gradients", "The LSTM cell: gates and the forward pass",
              "Backpropagation through time for the LSTM", "The GRU", "Gradient flow: RNN, LSTM and GRU side by side",
              "Training", "A character-level LSTM on real text", "LSTM variants: which parts matter?"]


def _map_rows(folder):
    return [[c.strip() for c in line.strip("|").split("|")] for line in ch00.chapter_map(folder).splitlines()[2:]]


def test_the_map_is_one_row_per_chapter_in_order_with_thumbnail_link_prerequisites_and_time():
    rows = _map_rows(NOTEBOOKS)
    assert len(rows) == len(MAP_TITLES) == 9  # 00 .. 08
    for n, (cells, title) in enumerate(zip(rows, MAP_TITLES)):
        assert len(cells) == 5, cells  # picture, chapter, question, builds on, time
        assert f"{n:02d} · {title}" in cells[1], cells
        img = re.search(r'<img src="(figures/ch(\d\d)\.png)" width="(\d+)"', cells[0])
        if (NOTEBOOKS / f"figures/ch{n:02d}.png").exists():
            assert img and int(img.group(2)) == n and int(img.group(3)) <= 240, cells
        else:
            assert "picture to come" in cells[0], cells
        link = re.search(r"\]\((\d\d_\w+\.ipynb)\)", cells[1])
        if n > 0 and (NOTEBOOKS / ch00.CHAPTERS[n].notebook).exists():
            assert link and link.group(1) == ch00.CHAPTERS[n].notebook, cells
        elif n > 0:
            assert link is None and "to come" in cells[1], cells
        assert re.fullmatch(r"\d+ min", cells[4]), cells[4]
        assert all(int(k) < n for k in re.findall(r"\b0\d\b", cells[3])), cells  # only earlier chapters
    # chapters 00-07 are all there today; 08 and its picture come from another part of the work
    assert all("to come" not in " ".join(cells) for cells in rows[:8])


def test_the_map_keeps_a_row_for_a_chapter_still_being_written(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "ch01.png").write_bytes(b"png")
    (tmp_path / "01_rnn_vanishing_gradients.ipynb").write_text("{}")
    rows = _map_rows(tmp_path)
    assert rows[1][0].startswith('<img src="figures/ch01.png"') and "](01_rnn_vanishing_gradients.ipynb)" in rows[1][1]
    assert "picture to come" in rows[2][0] and "(to come)" in rows[2][1] and "](" not in rows[2][1]
    zh = tmp_path / "zh"  # the translated chapters, one folder down, find the same pictures
    zh.mkdir()
    assert _map_rows(zh)[1][0].startswith('<img src="../figures/ch01.png"')


def test_chapter00_links_the_source_article_and_its_references():
    text = "\n".join(_markdown("00_start_here.ipynb"))
    for url in ("https://zybuluo.com/hanbingtao/note/581764",
                "https://colah.github.io/posts/2015-08-Understanding-LSTMs/",
                "http://cs224d.stanford.edu/",
                "http://arunmallya.github.io/writeups/nn/lstm/index.html"):
        assert f"]({url})" in text, url
    assert "零基础入门深度学习(6) - 长短时记忆网络(LSTM)" in text


def test_source_is_introduced_in_chapter00_before_chapter01_uses_it():
    nb = json.loads((NOTEBOOKS / "00_start_here.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "from lstmlib.course.ch00 import source" in code and re.search(r"^source\(", code, re.M)


# ---- self-checks ----------------------------------------------------------------------------------------
def test_verdict_reads_as_one_line_and_is_truthy_when_right():
    assert repr(exercises.Verdict(True, "x")) == "Right: x" and bool(exercises.Verdict(True, "x"))
    assert repr(exercises.Verdict(False, "y")) == "Not yet: y" and not exercises.Verdict(False, "y")


def _checks_of(module):
    return [getattr(module, n) for n in sorted(vars(module)) if n.startswith("check_") and callable(getattr(module, n))]


CHAPTER_MODULES = {n: getattr(exercises, n) for n in ("ch00", "ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07")}


def test_every_self_check_is_a_package_name_of_exactly_one_chapter():
    # exercises.check_parameter_count must be one chapter's check, never silently another chapter's
    owners = {}
    for chapter, module in CHAPTER_MODULES.items():
        for c in _checks_of(module):
            owners.setdefault(c.__name__, []).append(chapter)
    shared = {name: chs for name, chs in owners.items() if len(chs) > 1}
    assert not shared, f"self-check names defined by more than one chapter: {shared}"
    for chapter, module in CHAPTER_MODULES.items():
        for c in _checks_of(module):
            assert getattr(exercises, c.__name__) is c, (chapter, c.__name__)


@pytest.mark.parametrize("check", [c for m in CHAPTER_MODULES.values() for c in _checks_of(m)], ids=lambda c: c.__name__)
def test_the_placeholder_a_notebook_ships_with_is_not_yet_right(check):
    # every answer a reader must give is "..." in the notebook; every such answer is rejected politely
    required = [p for p in inspect.signature(check).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    for placeholder in (..., None):
        wrong(check(*[placeholder] * len(required)), "replace the ...")


def _count(D, H):
    """An LSTM layer's parameters counted here, block by block: 4 gates x (W_gh, W_gx, b_g)."""
    return sum(H * H + H * D + H for _gate in "fico")


def test_parameter_count():
    right(exercises.check_parameter_count(lambda D, H: 4 * H * (H + D + 1)))
    right(exercises.check_parameter_count(_count))
    right(exercises.check_parameter_count(lambda D, H: float(_count(D, H))))  # 128.0 is 128
    wrong(exercises.check_parameter_count(lambda D, H: 4 * H * (H + D)), "biases")
    wrong(exercises.check_parameter_count(lambda D, H: H * (H + D + 1)), "four")
    wrong(exercises.check_parameter_count(lambda D, H: 3 * H * (H + D + 1)), "four weighted inputs, not three")
    wrong(exercises.check_parameter_count(lambda H, D: 4 * H * (H + D + 1)), "swapped")
    wrong(exercises.check_parameter_count(lambda D, H: 4 * H * (D + 1)), "recurrent")
    wrong(exercises.check_parameter_count(lambda D, H: 7), "for D=3, H=4")
    wrong(exercises.check_parameter_count(128), "function of D and H")
    wrong(exercises.check_parameter_count(lambda D, H: 1 / 0), "ZeroDivisionError")
    # right at D=3, H=4 only is not right: the check tries several sizes
    wrong(exercises.check_parameter_count(lambda D, H: 128 if (D, H) == (3, 4) else 0), "for D=1, H=1")
    assert _count(3, 4) == ll.MODELS["lstm"].parameter_count(3, 4) == ll.LSTMParams.init(3, 4, 0).num_parameters


def test_joined_shape():
    right(exercises.check_joined_shape((4, 7)))
    right(exercises.check_joined_shape([4, 7]))
    right(exercises.check_joined_shape(np.zeros((4, 7)).shape))
    right(exercises.check_joined_shape(np.array([5, 7]), input_size=2, hidden_size=5))
    wrong(exercises.check_joined_shape((7, 4)), "swapped")
    wrong(exercises.check_joined_shape((4, 4)), "one half")
    wrong(exercises.check_joined_shape((4, 3)), "one half")
    wrong(exercises.check_joined_shape((4, 8)), "H+D")
    wrong(exercises.check_joined_shape("4x7"), "text")


def test_parameter_views_shows_the_fused_storage_and_the_articles_names():
    p = ll.LSTMParams.init(input_size=3, hidden_size=4, rng=np.random.default_rng(0))
    lines = ch00.parameter_views(p).splitlines()
    assert lines[:4] == [str(p), "all weights: (16, 7)   all biases: (16,)", "W_fh is a view into p.weights: True",
                         "the 12 parameters, in the article's order:"]
    assert lines[4:] == [f"  W_{g}h  (4, 4)   W_{g}x  (4, 3)   b_{g}   (4,)" for g in "fico"]
    with pytest.raises(ValueError, match="p"):
        ch00.parameter_views(ll.RNNParams.init(3, 4, np.random.default_rng(0)))
