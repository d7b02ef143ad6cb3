"""Chapter 07's explorers: a trained cell coloured over text you choose, and samples you steer."""
from __future__ import annotations

import ipywidgets as W

from .. import ch07
from ..i18n import tr
from ..plots import ch07 as plots07
from ..plots._style import blank_figure
from .explorer import _WIDE, Explorer, _slider


def model_titles(models: dict) -> dict:
    """name -> how the dropdown names each model, in the course's language (``ch07.model_title``:
    the spec's title, from the registry's model title and the spec's sizes)."""
    return {n: ch07.model_title(n, m, translated=True) for n, m in models.items()}


def passage_titles() -> dict:
    """The names of ``ch07.PASSAGES`` in the course's language (the dropdown's labels)."""
    return {n: tr(n) for n in ch07.PASSAGES}


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


def cell_explorer(*, model=None, search=None, corpus=None, passage: str = "random: choice and shuffle") -> Explorer:
    """Chapter 07's cell explorer: a passage (pick one of the validation passages or type Python
    in the box), coloured by the value of one cell of the 2-layer LSTM; below, that value, the
    cell's gates, and the ground truth of a feature (grey). Choosing a feature jumps to its best
    cell (``ch07.cell_search``); the layer and cell controls then let you compare any other cell
    with it. ``search``: a ``CellSearch`` of ``model`` (computed on a part of the corpus when not
    given); ``corpus``: the shipped ``ch07.Corpus`` (read when not given); ``passage``: one of
    ``ch07.PASSAGES``."""
    if passage not in ch07.PASSAGES:
        raise ValueError(f"passage: expected one of {sorted(ch07.PASSAGES)}, got {passage!r}")
    corpus = ch07.load_corpus() if corpus is None else corpus
    if model is None:
        model = ch07.load_model("lstm2").model
    if search is None:
        search, _ = ch07.cell_search(model, corpus, windows=8, length=1000, label="explorer")
    lab = ch07.CellLab(model, search, corpus)
    H = model.hidden_sizes[0]
    first = "prose"
    layer0, unit0 = search.best[first]
    fig = blank_figure(10, 5.6, layout=None)
    pic = plots07.CellPicture(fig, gates=ch07.gate_letters(model.layers[0]))
    names = passage_titles()
    picker = W.Dropdown(options=[(names[n], n) for n in ch07.PASSAGES], value=passage,
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


def sample_explorer(*, models=None, prime: str = "def parse_header(line):\n    ", seed: int = 0) -> Explorer:
    """Chapter 07's sampling explorer: a shipped model writes 320 characters after the primer you
    type, at the temperature and with the seed you choose. Each drawn character's cell is coloured
    by the probability the tempered distribution gave it: the higher the temperature, the more
    unlikely characters get drawn. Characters of the primer outside the vocabulary are read as
    '?', and the picture says which. ``models``: name -> model (default: every shipped one)."""
    if models is None:
        models = {n: s.model for n, s in ch07.load_models().items()}
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models: expected a dict of at least one name -> model, got {models!r}")
    seed = ch07.check_seed(seed)
    if seed > 40:
        raise ValueError(f"seed: expected a whole number from 0 to 40 (the slider's range), got {seed}")
    names = list(models)
    fig = blank_figure(10, 4.0, layout=None)
    pic = plots07.SamplePicture(fig)
    titles = model_titles(models)
    controls = {
        "name": W.Dropdown(options=[(titles[n], n) for n in names], value=names[0], description=tr("model"),
                           style=_WIDE, layout=W.Layout(width="360px")),
        "temperature": _slider(0.7, 0.1, 2.0, 0.05, tr("temperature"), width="300px"),
        "seed": W.IntSlider(value=seed, min=0, max=40, step=1, description=tr("seed"), style=_WIDE,
                            continuous_update=False, layout=W.Layout(width="240px")),
        "prime": W.Textarea(value=prime, description=tr("primer"), style=_WIDE, continuous_update=False, rows=3,
                            layout=W.Layout(width="760px")),
    }

    def update(fig, name, temperature, seed, prime):
        # 320 characters: four lines of the picture fewer than 400, which keeps a redraw under 100 ms
        pic.update(ch07.sample_view(models, name, prime, temperature, seed, length=320))

    rows = [[controls["name"], controls["temperature"], controls["seed"]], [controls["prime"]]]
    return Explorer(controls, fig, update, layout_rows=rows,
                    title=tr("Sampling: the model writes Python after your primer"))
