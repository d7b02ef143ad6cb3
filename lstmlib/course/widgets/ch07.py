"""Chapter 07's explorers: a trained cell coloured over text you choose, and samples you steer."""
from __future__ import annotations

import ipywidgets as W

from .. import ch07
from ..i18n import tr
from ..plots import ch07 as plots07
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _slider

MODEL_TITLES = {"lstm2": "LSTM, 2 layers of 192", "lstm": "LSTM 128", "gru": "GRU 148", "rnn": "RNN 250",
                "lstm_T8": "LSTM 128, trained with T = 8"}


def model_titles() -> dict:
    """``MODEL_TITLES`` in the course's language (the dropdown's labels; its values stay the names)."""
    return {"lstm2": tr("LSTM, 2 layers of 192"), "lstm": "LSTM 128", "gru": "GRU 148", "rnn": "RNN 250",
            "lstm_T8": tr("LSTM 128, trained with T = 8")}


def passage_titles() -> dict:
    """The names of ``ch07.PASSAGES`` in the course's language (the dropdown's labels)."""
    return {"random: choice and shuffle": tr("random: choice and shuffle"),
            "textwrap: dedent": tr("textwrap: dedent"),
            "textwrap: indent": tr("textwrap: indent"),
            "csv: Sniffer._guess_quote_and_delimiter": tr("csv: Sniffer._guess_quote_and_delimiter"),
            "calendar: weekday and friends": tr("calendar: weekday and friends"),
            "pprint: PrettyPrinter.__init__": tr("pprint: PrettyPrinter.__init__")}


class CellExplorer(Explorer):
    """The cell explorer: an ``Explorer`` whose ``sync(change)`` may set other controls first
    (choosing a feature moves the layer and cell controls to its best cell), with one redraw for
    the whole change."""

    def __init__(self, *args, sync, **kw):
        self._sync, self._busy = sync, False
        super().__init__(*args, **kw)

    def _on_change(self, change) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._sync(change)
        finally:
            self._busy = False
        self.redraw()


def cell_explorer(*, model=None, search=None, corpus=None,
                  passage: str = "random: choice and shuffle") -> Explorer:
    """Chapter 07's cell explorer: a passage (pick one of the validation passages or type Python
    in the box), coloured by the value of one cell of the 2-layer LSTM; below, that value, the
    cell's input, forget and output gates, and the ground truth of a feature (grey). Choosing a
    feature jumps to its best cell (``ch07.cell_search``); the layer and cell controls then let
    you compare any other cell with it. ``search``: a ``CellSearch`` of ``model`` (computed on a
    part of the validation text when not given); ``corpus``: the shipped ``ch07.Corpus`` (read
    when not given)."""
    corpus = ch07.load_corpus() if corpus is None else corpus
    if model is None:
        model = ch07.shipped_models()["lstm2"].model
    if search is None:
        search, _ = ch07.cell_search(model, corpus, windows=8, length=1500, label="explorer")
    lab = ch07.CellLab(model, search, corpus)
    H = model.hidden_sizes[0]
    first = "string"
    layer0, unit0 = search.best[first]
    fig = blank_figure(10, 5.6, layout=None)
    pic = plots07.CellPicture(fig)
    names = passage_titles()
    picker = W.Dropdown(options=[(names.get(n, n), n) for n in ch07.PASSAGES], value=passage,
                        description=tr("passage"), style=_WIDE, layout=W.Layout(width="380px"))
    titles = ch07.feature_titles()
    controls = {
        "feature": W.Dropdown(options=[(titles[f], f) for f in ch07.FEATURES], value=first,
                              description=tr("feature (jumps to its best cell)"), style=_WIDE,
                              layout=W.Layout(width="380px")),
        "layer": W.Dropdown(options=[(tr("layer {k}", k=k + 1), k) for k in range(len(model.layers))], value=layer0,
                            description=tr("layer"), style=_WIDE, layout=W.Layout(width="140px")),
        "unit": W.IntSlider(value=unit0, min=0, max=H - 1, step=1, description=tr("cell"), style=_WIDE,
                            continuous_update=False, layout=W.Layout(width="420px")),
        "text": W.Textarea(value=ch07.passage(corpus, passage), description=tr("text"), style=_WIDE,
                           continuous_update=False, rows=5, layout=W.Layout(width="760px")),
    }

    def on_pick(change):
        controls["text"].value = ch07.passage(corpus, change["new"])

    picker.observe(on_pick, names="value")

    def sync(change):
        if change["owner"] is controls["feature"]:
            layer, unit = search.best[change["new"]]
            controls["layer"].value, controls["unit"].value = layer, unit

    def update(fig, feature, layer, unit, text):
        pic.update(lab.view(text[:500], feature, layer, unit))

    rows = [[picker, controls["feature"]], [controls["layer"], controls["unit"]], [controls["text"]]]
    ex = CellExplorer(controls, fig, update, layout_rows=rows, sync=sync,
                         title=tr("Inside the trained LSTM: one cell over a passage (first 500 characters)"))
    ex.lab, ex.picker = lab, picker
    return ex


def sample_explorer(*, models=None, prime: str = "def parse_header(line):\n    ") -> Explorer:
    """Chapter 07's sampling explorer: a shipped model writes 400 characters after the primer you
    type, at the temperature and with the seed you choose. Each drawn character's cell is coloured
    by the probability the tempered distribution gave it: the higher the temperature, the more
    unlikely characters get drawn."""
    if models is None:
        models = {n: s.model for n, s in ch07.shipped_models().items()}
    names = [n for n in MODEL_TITLES if n in models]
    fig = blank_figure(10, 4.0, layout=None)
    pic = plots07.SamplePicture(fig)
    titles = model_titles()
    controls = {
        "name": W.Dropdown(options=[(titles[n], n) for n in names], value=names[0], description=tr("model"),
                           style=_WIDE, layout=W.Layout(width="320px")),
        "temperature": _slider(0.7, 0.1, 2.0, 0.05, tr("temperature"), width="320px"),
        "seed": W.IntSlider(value=0, min=0, max=40, step=1, description=tr("seed"), style=_WIDE,
                            continuous_update=False, layout=W.Layout(width="260px")),
        "prime": W.Textarea(value=prime, description=tr("primer"), style=_WIDE, continuous_update=False, rows=3,
                            layout=W.Layout(width="760px")),
    }

    def update(fig, name, temperature, seed, prime):
        pic.update(ch07.sample_view(models, name, prime, temperature, seed))

    rows = [[controls["name"], controls["temperature"], controls["seed"]], [controls["prime"]]]
    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("Sampling: the model writes Python after your primer"))
