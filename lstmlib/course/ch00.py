"""Chapter 00, start here: the course's notation, its Chinese-English glossary, and ``source``.

``notation_rows`` builds the table "article symbol -> code name -> shape" by running the library
on a small problem and reading each shape off the real object, so the table cannot drift from
the code. ``GLOSSARY`` pairs each key term with the Chinese term the course uses and the synonyms
a reader meets elsewhere.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import numpy as np

from .. import _validate
from ..lstm import LSTMParams, lstm_backward, lstm_forward
from ..rnn import RNNParams, rnn_forward
from .ch01 import rnn_gradient_flow
from .i18n import N_, language, set_language, tr

__all__ = ["NotationRow", "notation_rows", "notation_markdown", "GLOSSARY", "glossary", "glossary_markdown",
           "parameter_views", "Chapter", "CHAPTERS", "chapter_map", "IGNORE_TAG", "UncheckedCell", "unchecked_cells", "unchecked_table", "source"]


@dataclasses.dataclass(frozen=True)
class NotationRow:
    chapter: str  # where the symbol is introduced, "01" .. "03"
    symbol: str  # LaTeX, the article's notation
    meaning: str  # English, with the article's Chinese term where it has one
    code: str  # where the quantity lives in lstmlib
    shape: tuple  # its shape, read off the real object
    dims: str  # the same shape in letters, e.g. "(H, D)"


# (chapter, symbol, meaning, code, getter of the object from the namespace built below, dims in letters)
def _spec() -> tuple:
    """The rows, in the order the chapters introduce them, meanings in the current language (``tr``)."""
    return (
        ("01", "x_t", tr("input at step t"), "X[t-1]", lambda n: n["X"][0], "(B, D)"),
        ("01", "h_t", tr("output, hidden state (输出值)"), "hs[t-1]", lambda n: n["hs"][0], "(B, H)"),
        ("01", "U", tr("plain RNN: input weights"), "r.U", lambda n: n["r"].U, "(H, D)"),
        ("01", "W", tr("plain RNN: recurrent weights (权重矩阵)"), "r.W", lambda n: n["r"].W, "(H, H)"),
        ("01", r"\mathrm{net}_t", tr("plain RNN: weighted input (加权输入), U x_t + W h_{t-1} + b"),
         "x @ r.U.T + h @ r.W.T + r.b", lambda n: n["net"], "(B, H)"),
        ("01", r"\delta_k = \partial E/\partial \mathrm{net}_k",
         tr("plain RNN: error term (误差项) of the weighted input at step k"),
         "rnn_gradient_flow(...).deltas[k-1]", lambda n: n["flow"].deltas[0], "(B, H)"),
        ("02", "c_t", tr("cell state (单元状态)"), "cache.c[t-1]", lambda n: n["cache"].c[0], "(B, H)"),
        ("02", "(h_t, c_t)", tr("the LSTM's state: what one step hands the next"),
         "cache.final_state (t = T), an LSTMState", lambda n: n["cache"].final_state, "2 × (B, H)"),
        ("02", "f_t", tr("forget gate (遗忘门)"), "cache.f[t-1]", lambda n: n["cache"].f[0], "(B, H)"),
        ("02", "i_t", tr("input gate (输入门)"), "cache.i[t-1]", lambda n: n["cache"].i[0], "(B, H)"),
        ("02", r"\tilde c_t", tr("candidate cell state (当前输入的单元状态)"), "cache.c_tilde[t-1]",
         lambda n: n["cache"].c_tilde[0], "(B, H)"),
        ("02", "o_t", tr("output gate (输出门)"), "cache.o[t-1]", lambda n: n["cache"].o[0], "(B, H)"),
        ("02", "W_{fh}", tr("forget gate's weights on h_{t-1}"), "p.W_fh", lambda n: n["p"].W_fh, "(H, H)"),
        ("02", "W_{fx}", tr("forget gate's weights on x_t"), "p.W_fx", lambda n: n["p"].W_fx, "(H, D)"),
        ("02", "b_f", tr("forget gate's bias (偏置项)"), "p.b_f", lambda n: n["p"].b_f, "(H,)"),
        ("02", "W_f = [W_{fh}, W_{fx}]", tr("the article's joined matrix, acting on [h_{t-1}, x_t]"),
         "np.hstack([p.W_fh, p.W_fx])", lambda n: np.hstack([n["p"].W_fh, n["p"].W_fx]), "(H, H+D)"),
        ("02", "W_{ih}, W_{ch}, W_{oh}", tr("the other gates' weights on h_{t-1}"), "p.W_ih, p.W_ch, p.W_oh",
         lambda n: n["p"].W_ih, "(H, H)"),
        ("02", "W_{ix}, W_{cx}, W_{ox}", tr("the other gates' weights on x_t"), "p.W_ix, p.W_cx, p.W_ox",
         lambda n: n["p"].W_ix, "(H, D)"),
        ("02", "b_i, b_c, b_o", tr("the other gates' biases"), "p.b_i, p.b_c, p.b_o", lambda n: n["p"].b_i, "(H,)"),
        ("02", r"\mathrm{net}_{f,t}", tr("weighted input of the forget gate"), "h @ p.W_fh.T + x @ p.W_fx.T + p.b_f",
         lambda n: n["net_f"], "(B, H)"),
        ("03", r"\partial E_t/\partial h_t", tr("the loss's own gradient at step t (what BPTT starts from)"),
         "dhs[t-1]", lambda n: n["dhs"][0], "(B, H)"),
        ("03", r"\delta h_t = \partial E/\partial h_t", tr("error of the output h_t, all paths (the article's "
                                                            "LSTM section writes delta_t)"),
         "lstm_backward(..., state_grads=True).dh[t-1]", lambda n: n["g"].dh[0], "(B, H)"),
        ("03", r"\delta c_t = \partial E/\partial c_t", tr("error of the cell state c_t, all paths"),
         "lstm_backward(..., state_grads=True).dc[t-1]", lambda n: n["g"].dc[0], "(B, H)"),
        ("03", r"\delta_{f,t} = \partial E/\partial \mathrm{net}_{f,t}",
         tr("error term (误差项) of a gate's weighted input"), "d_f inside lstm_step_backward",
         lambda n: n["delta_f"], "(B, H)"),
        ("03", r"\partial E/\partial W_{fh}", tr("gradient of a weight matrix"), "g.W_fh", lambda n: n["g"].W_fh,
         "(H, H)"),
        ("03", r"\partial E/\partial x_t", tr("error passed to the layer below"), "g.dX[t-1]",
         lambda n: n["g"].dX[0], "(B, D)"),
    )


def notation_rows(input_size: int = 3, hidden_size: int = 4, batch: int = 2, steps: int = 5) -> list[NotationRow]:
    """The notation table for ``D = input_size``, ``H = hidden_size``, ``B = batch``, ``T = steps``.

    Runs ``lstm_forward``/``lstm_backward`` (and chapter 01's ``rnn_gradient_flow``) once and reads every shape off
    the resulting arrays. Time steps t = 1..T sit at index ``t - 1``.
    """
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    B = _validate.positive_int(batch, "batch")
    T = _validate.positive_int(steps, "steps")
    rng = np.random.default_rng(0)
    p = LSTMParams.init(D, H, rng)
    X = rng.standard_normal((T, B, D))
    hs, cache = lstm_forward(X, p)
    dhs = np.ones_like(hs)
    g = lstm_backward(dhs, cache, state_grads=True)
    k = cache.steps[0]
    net_f = k.h_prev @ p.W_fh.T + k.x @ p.W_fx.T + p.b_f
    delta_f = g.dc[0] * k.c_prev * k.f * (1 - k.f)  # dE/dc_1 * c_0 * sigmoid'
    r = RNNParams.init(D, H, rng)
    rnn_hs, _ = rnn_forward(X, r)
    net = X[0] @ r.U.T + np.zeros((B, H)) @ r.W.T + r.b
    flow = rnn_gradient_flow(X, r)
    ns = dict(p=p, X=X, hs=rnn_hs, cache=cache, dhs=dhs, g=g, net_f=net_f, delta_f=delta_f,
              r=r, net=net, flow=flow, H=H)
    return [NotationRow(chapter, sym, meaning, code, tuple(np.shape(get(ns))), dims)
            for chapter, sym, meaning, code, get, dims in _spec()]


def notation_markdown(input_size: int = 3, hidden_size: int = 4, batch: int = 2, steps: int = 5) -> str:
    """``notation_rows`` as a markdown table (symbols in LaTeX, shapes in letters and numbers)."""
    rows = notation_rows(input_size, hidden_size, batch, steps)
    out = [tr("| chapter | article | meaning | in lstmlib | shape | here (D={D}, H={H}, B={B}, T={T}) |",
              D=input_size, H=hidden_size, B=batch, T=steps),
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.chapter} | ${r.symbol}$ | {r.meaning} | `{r.code}` | {r.dims} | {r.shape} |")
    return "\n".join(out)


def parameter_views(p: LSTMParams) -> str:
    """How ``p`` stores its weights, as text: the object, the shapes of the one weight array and
    the one bias array, whether ``p.W_fh`` is a view into the weights (it is: writing into it
    changes the model), and every named parameter with its shape, one gate per line in the
    article's order."""
    _validate.params(p, LSTMParams)
    lines = [str(p),
             tr("all weights: {weights}   all biases: {biases}", weights=p.weights.shape,
                biases=p.bias.shape),
             tr("W_fh is a view into p.weights: {shared}", shared=bool(np.shares_memory(p.W_fh, p.weights))),
             tr("the {n} parameters, in the article's order:", n=len(p.names))]
    row = ""
    for name, a in p.named().items():
        row += f"  {name:<5} {str(a.shape):<7}"
        if name.startswith("b"):  # a gate's bias closes its line
            lines.append(row.rstrip())
            row = ""
    return "\n".join(lines)


def glossary() -> tuple[tuple[str, str, str, str], ...]:
    """``GLOSSARY`` in the current language (``tr``): the English terms and the course's Chinese
    terms as they are, the synonyms' notes and the meanings translated."""
    return (
        # d2l-zh is the Chinese edition of Dive into Deep Learning, 《动手学深度学习》.
        ("recurrent neural network (RNN)", "循环神经网络", "",
         tr("a network that reads a sequence one step at a time, carrying a state")),
        ("long short-term memory network (LSTM)", "长短时记忆网络", tr("长短期记忆网络 (d2l-zh)"),
         tr("an RNN with a second state and three gates")),
        ("gated recurrent unit (GRU)", "门控循环单元", "", tr("a lighter gated RNN with two gates")),
        ("time step t", "时刻", tr("时间步 (d2l-zh)"), tr("the position in the sequence; t = 1, ..., T")),
        ("hidden state, output h_t", "输出值 h_t", tr("隐状态 (d2l-zh), 隐藏状态"), tr("what a step passes up and to the next step")),
        ("cell state c_t", "单元状态", tr("记忆元 (d2l-zh, the memory cell), 细胞状态"),
         tr("the LSTM's long-term memory, updated by + and *")),
        ("candidate cell state c~_t (the GRU's h~_t)", "候选状态",
         tr("当前输入的单元状态 (the article's description), 候选记忆元 (d2l-zh), 候选隐状态 (d2l-zh, the GRU's)"),
         tr("what the current input proposes to write")),
        ("gate", "门", "", tr("a vector of numbers in (0, 1) that multiplies another vector element by element")),
        ("forget gate f_t", "遗忘门", "", tr("how much of c_{t-1} survives into c_t")),
        ("input gate i_t", "输入门", "", tr("how much of c~_t is written into c_t")),
        ("output gate o_t", "输出门", "", tr("how much of tanh(c_t) becomes h_t")),
        ("update gate, reset gate (GRU)", "更新门、重置门", "", tr("the GRU's two gates")),
        ("weighted input net", "加权输入", "", tr("W h + U x + b, what an activation function is applied to")),
        ("activation function", "激活函数", "", tr("sigmoid, tanh, ... applied element by element")),
        ("saturation", "饱和", "",
         tr("an activation far from 0, where sigmoid or tanh is flat: its slope is near 0, so it passes almost "
            "no gradient back")),
        ("weight matrix", "权重矩阵", "", tr("W, U, W_fh, ...: what training changes")),
        ("bias", "偏置项", tr("偏置 (d2l-zh)"), tr("b_f, b_i, ...: the constant part of a weighted input")),
        ("element-wise product", "按元素乘", tr("按元素乘法, Hadamard 积 (d2l-zh)"),
         tr("the article's circle operator, * in numpy")),
        ("diagonal matrix", "对角矩阵", "", tr("diag[f'(net)] in the RNN's error recursion")),
        ("spectral norm, spectral radius", "谱范数、谱半径", "",
         tr("the largest singular value of W, how far it can stretch a vector; the largest size of an "
            "eigenvalue, how fast W^n grows")),
        ("loss (function) E", "损失", tr("误差函数 (the article), 损失函数 (d2l-zh)"),
         tr("the number training makes small")),
        ("error term delta", "误差项", "", tr("the derivative of the loss E with respect to a weighted input: "
                                             "delta_k in chapter 01, delta_{f,t}, ... in chapter 03 (the errors "
                                             "of the states are written delta h_t, delta c_t)")),
        ("backpropagation through time (BPTT)", "沿时间反向传播", tr("通过时间反向传播 (d2l-zh)"),
         tr("the chain rule applied backwards over the unrolled steps")),
        ("truncated BPTT", "截断的沿时间反向传播", tr("截断 BPTT, 截断的时间反向传播"),
         tr("BPTT over one chunk of a long sequence at a time: the state is carried into the next chunk, the "
            "gradient stops at the chunk's start")),
        ("vanishing gradient", "梯度消失", "", tr("error terms shrinking exponentially with the distance in time")),
        ("exploding gradient", "梯度爆炸", "", tr("error terms growing exponentially with the distance in time")),
        ("long-range dependency", "长距离的依赖", tr("长期依赖 (d2l-zh)"),
         tr("an output that depends on an input many steps earlier")),
        ("gradient check", "梯度检查", tr("梯度检验"), tr("comparing a backward pass with finite differences")),
        ("gradient clipping", "梯度裁剪", "",
         tr("scaling the gradient down to the norm theta whenever its norm exceeds theta (chapter 06)")),
        ("learning rate", "学习速率", tr("学习率 (d2l-zh)"), tr("the size of a step of gradient descent")),
        ("parameter count", "参数量", tr("参数个数, 参数数量"), tr("how many numbers a model learns")),
        ("fused weights", "融合", tr("合并"), tr("all gates' weights in one matrix, so that one matrix product "
                                                "computes every weighted input of a step")),
        ("convention (a way of writing the GRU)", "约定", tr("写法"),
         tr("the article's, PyTorch's or d2l's way of writing the same GRU (chapter 04)")),
        ("the layer above / below", "上面一层 / 下面一层",
         tr("上一层 (the article's name for the layer below, layer l-1)"),
         tr("in a stack of layers, the one that reads this layer's output / the one whose output this layer "
            "reads")),
        ("adding problem, temporal order problem", "加法问题、时序顺序问题", "",
         tr("the two long-range tasks of Hochreiter and Schmidhuber (1997) that chapter 06 trains on")),
        ("embedding", "嵌入", tr("嵌入向量"),
         tr("a learned vector per symbol (here per character), looked up by its number")),
        ("dropout", "暂退法", tr("丢弃法 (d2l-zh, first edition), dropout"),
         tr("zeroing random units while training (here between layers), so that the model cannot lean on any "
            "one")),
        ("bits per character", "每字符比特数", tr("BPC"),
         tr("the loss per character in bits (logarithm to base 2): how well a text model predicts; lower is "
            "better")),
        ("perplexity", "困惑度", "", tr("2 to the power of the bits per character: the number of equally likely "
                                        "characters the model's uncertainty amounts to")),
        ("peephole connection", "窥视孔连接", tr("猫眼连接"),
         tr("a gate that also reads the cell state, through a diagonal weight (chapter 08)")),
        ("notebook, notebook cell", "笔记本、单元格", tr("notebook, 代码单元"),
         tr("a Jupyter document and one of its boxes of code or text (单元 alone is the LSTM's cell)")),
    )


def _in_english(build):
    """What ``build()`` returns with ``tr`` in English, whatever language was chosen before."""
    chosen = language()
    set_language("en")
    try:
        return build()
    finally:
        set_language(chosen)


GLOSSARY: tuple[tuple[str, str, str, str], ...] = _in_english(glossary)
"""The course's key terms: (English, the Chinese term the course uses: the article's wherever the
course follows it, else d2l-zh's; other Chinese terms for the same thing that a reader meets
elsewhere, the article's among them where the course departs from it ("" when there are none
worth naming); one line of meaning). Always English; ``glossary()`` gives it in the current
language. ``locale/zh_terms.tsv`` holds the same choices for the test of the Chinese texts."""


def glossary_markdown() -> str:
    """``glossary()`` as a markdown table, in the current language: the course's Chinese term in
    its own column, the terms met elsewhere (synonyms, the course does not use them) in the next."""
    out = [tr("| English | 中文: the course's term | 中文: also met elsewhere (synonyms) | meaning |"),
           "|---|---|---|---|"]
    out += [f"| {en} | {zh} | {other or '—'} | {meaning} |" for en, zh, other, meaning in glossary()]
    return "\n".join(out)


# ---- the map of the course ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Chapter:
    number: str  # "00" .. "08"
    title: str  # English; ``chapter_map`` translates it
    notebook: str  # its file, beside this one
    question: str  # the question it answers
    builds_on: str  # what it needs besides chapter 00
    minutes: int  # a first careful pass: reading, running, exploring (exercises extra)


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("00", N_("Start here"), "00_start_here.ipynb",
            N_("How does the course work: explorers, code, notation, Chinese terms, tests?"),
            N_("Python and a little numpy"), 20),
    Chapter("01", N_("The plain RNN and its vanishing gradients"), "01_rnn_vanishing_gradients.ipynb",
            N_("Why can a plain RNN not learn that an output depends on an input 50 steps earlier?"),
            N_("the chain rule; a matrix times a vector"), 50),
    Chapter("02", N_("The LSTM cell: gates and the forward pass"), "02_lstm_gates_forward.ipynb",
            N_("What does the cell state add, and what do the three gates switch? (the article's equations 1-6)"),
            "01", 50),
    Chapter("03", N_("Backpropagation through time for the LSTM"), "03_lstm_bptt.ipynb",
            N_("How does the error flow back through an LSTM, and what does the article's derivation leave out?"),
            "01, 02", 60),
    Chapter("04", N_("The GRU"), "04_gru.ipynb",
            N_("How does the GRU manage with two gates, how is it trained, and how do its three conventions "
               "(the article's, PyTorch's, d2l's) differ?"), "02, 03", 50),
    Chapter("05", N_("Gradient flow: RNN, LSTM and GRU side by side"), "05_gradient_flow.ipynb",
            N_("How much of the gradient reaches each earlier step in each model, and why does the forget gate "
               "decide it?"), "01-04", 50),
    Chapter("06", N_("Training"), "06_training.ipynb",
            N_("Do the gated networks learn long-range tasks that the plain RNN cannot, as the papers claim?"),
            "05", 60),
    Chapter("07", N_("A character-level LSTM on real text"), "07_char_lstm.ipynb",
            N_("Can the LSTM you built learn real text (Python's own source), and what do its cells track once "
               "trained?"), "06", 60),
    Chapter("08", N_("LSTM variants: which parts matter?"), "08_lstm_variants.ipynb",
            N_("Which parts of the LSTM matter: what changes when a gate or an activation is removed, peepholes "
               "are added, or the input and forget gates are coupled?"), "03, 06", 60),
)
"""The chapters in reading order, with what each needs and a time for a first careful pass."""


def _figures(folder: Path) -> str:
    """Where the chapter pictures are, seen from the notebooks in ``folder``: ``figures`` beside
    the English chapters, ``../figures`` from the translated ones one folder down."""
    folder = folder.resolve()
    return "figures" if (folder / "figures").is_dir() or not (folder.parent / "figures").is_dir() else "../figures"


def chapter_map(folder=".", *, thumbnail_width: int = 220) -> str:
    """The map of the course as a markdown table: one row per chapter of ``CHAPTERS`` with its
    picture (``figures/chNN.png``), its title (a link to its notebook in ``folder``), its question,
    what it builds on and its time. A chapter whose notebook or picture is not there yet keeps its
    row: its title without a link, and "picture to come" in place of the picture."""
    folder = Path(folder)
    figures = _figures(folder)
    out = [tr("| picture | chapter | the question it answers | builds on | time |"), "|:-:|---|---|---|---|"]
    for c in CHAPTERS:
        image = Path(figures) / f"ch{c.number}.png"
        picture = (f'<img src="{image.as_posix()}" width="{thumbnail_width}" alt="chapter {c.number} picture">'
                   if (folder / image).exists() else tr("*(picture to come)*"))
        title = f"{c.number} · {tr(c.title)}"
        if c.number == "00":
            chapter = tr("**{title}** (this notebook)", title=title)
        elif (folder / c.notebook).exists():
            chapter = f"**[{title}]({c.notebook})**"
        else:
            chapter = tr("**{title}** (to come)", title=title)
        builds = tr(c.builds_on) if not c.builds_on[0].isdigit() else c.builds_on
        out.append(f"| {picture} | {chapter} | {tr(c.question)} | {builds} | "
                   + tr("{n} min", n=c.minutes) + " |")
    return "\n".join(out)


# ---- what the notebook test compares ----------------------------------------------------------------
IGNORE_TAG = "nbval-ignore-output"
"""The cell tag that tells the notebook test (``pytest --nbval``) to run a cell without comparing
what it printed."""


@dataclasses.dataclass(frozen=True)
class UncheckedCell:
    notebook: str  # file name, e.g. "06_training.ipynb"
    cell: int  # 0-based index in the notebook
    code: str  # the first line of the cell's code
    explorer: bool  # a live explorer (a widget), as opposed to output that depends on the machine


def unchecked_cells(folder=".") -> list[UncheckedCell]:
    """The code cells of the English chapters in ``folder`` (``NN_*.ipynb``) that carry the tag
    ``IGNORE_TAG``: run by the notebook test, their outputs not compared."""
    folder = Path(folder)
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ValueError(tr("folder: expected the course's notebooks folder (with 00_start_here.ipynb), got "
                            "{folder}", folder=str(folder)))
    out = []
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code" and IGNORE_TAG in cell.get("metadata", {}).get("tags", []):
                code = "".join(cell["source"]).strip()
                out.append(UncheckedCell(path.name, i, code.splitlines()[0] if code else "", "explorer(" in code))
    return out


def unchecked_table(folder=".") -> str:
    """``unchecked_cells(folder)`` as text, one line per cell (its notebook and the first line of
    its code, by which a reader finds it; no cell numbers, which change whenever a chapter gains a
    cell), grouped into the explorers and the rest (whose printed digits depend on the machine:
    training runs, round-off, PyTorch)."""
    cells = unchecked_cells(folder)
    lines = []
    for explorer, head in ((True, tr("live explorers (a widget, drawn anew on every run):")),
                           (False, tr("run, not compared (the last digits depend on the processor or on what "
                                      "is installed):"))):
        group = [c for c in cells if c.explorer == explorer]
        lines.append(tr("{head} {n}", head=head, n=len(group)))
        lines += [f"  {c.notebook:<34} {c.code[:66]}" for c in group]
    return "\n".join(lines)


class SourceView:
    """The source code of a library object, for a notebook: shown as a highlighted python block
    (``_repr_markdown_``), or as plain text elsewhere. Made by ``source``."""

    def __init__(self, obj):
        try:
            self.text = inspect.getsource(obj)
        except (TypeError, OSError) as err:
            raise ValueError(f"obj: expected a function or class defined in python source, got {obj!r}") from err
        self.name = getattr(obj, "__qualname__", repr(obj))

    def _repr_markdown_(self) -> str:
        return "```python\n" + self.text.rstrip("\n") + "\n```"

    def __repr__(self) -> str:
        return self.text.rstrip("\n")


def source(obj) -> SourceView:
    """Show the code of ``obj`` (a function or class of lstmlib) in a notebook, straight from the
    module that the tests run: the text a chapter explains can never drift from the tested code."""
    return SourceView(obj)
