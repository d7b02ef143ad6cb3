"""Chapter 07: the models the chapter ships: how each was trained (``ModelSpec``), their parameter
counts (from the registry), and the files that hold them (one ``lstmlib.saving`` file per model,
``data/charlm/<name>.npz``, with its spec, training curves and vocabulary as metadata)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ... import _validate, charlm, saving
from ...charlm import ASCII, Vocabulary
from ...models import get_model
from ...network import SequenceModel
from ..i18n import N_, tr
from ..tables import fixed_columns
from .corpus import MODELS_DIR


# ----------------------------------------------------------------------------------------------
# How a model was trained
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """How one model is trained (``ch07.train_spec``): ``layers`` layers of ``kind`` with
    ``hidden`` units on an ``embedding``-wide embedding, with the layers' init ``options`` given
    explicitly (pairs such as ``("forget_bias", 1.0)``); ``steps`` steps of truncated BPTT over
    ``chunk`` characters in ``batch`` streams; Adam from ``lr`` decayed linearly to ``final_lr``,
    gradient norm clipped at ``clip``; ``dropout`` on the non-recurrent connections (Zaremba et
    al. 2014); initial weights from ``U(-k, k)``, ``k = init_scale / sqrt(hidden)``, drawn from
    ``seed``, dropout masks from ``[seed, 1]``; validation every
    ``eval_every`` steps; ``threads``: BLAS threads while training."""

    name: str
    kind: str
    layers: int
    hidden: int
    chunk: int
    batch: int
    steps: int
    options: tuple = ()
    embedding: int = 32
    lr: float = 2e-3
    final_lr: float = 2e-4
    clip: float = 5.0
    dropout: float = 0.0
    init_scale: float = 1.0
    seed: int = 0
    eval_every: int = 250
    threads: int = 1

    def __post_init__(self):
        get_model(self.kind, "kind")
        object.__setattr__(self, "options", tuple((str(k), v) for k, v in dict(self.options).items()))

    def init(self, vocab_size: int = len(ASCII)) -> SequenceModel:
        """The untrained model (float32, the spec's options, weights drawn from ``seed``)."""
        scale = None if self.init_scale == 1.0 else self.init_scale / np.sqrt(self.hidden)
        return charlm.init_model(self.kind, vocab_size, self.hidden, self.seed, layers=self.layers,
                                 embedding_size=self.embedding, dropout=self.dropout, dtype=np.float32,
                                 scale=scale, **dict(self.options))

    @property
    def title(self) -> str:
        """E.g. ``"LSTM 2x256, T=64, dropout 0.25"``, in English (figures show it)."""
        return self.title_in(lambda message, **fields: message.format(**fields))

    def title_in(self, translate=tr) -> str:
        """``title`` in the course's language (``translate``: ``i18n.tr``), for dropdowns and text."""
        shape = f"{self.layers}x{self.hidden}" if self.layers > 1 else f"{self.hidden}"
        drop = translate(N_(", dropout {p:g}"), p=self.dropout) if self.dropout else ""
        model = get_model(self.kind).title
        return translate(N_("{model} {shape}, T={T}"), model=model, shape=shape, T=self.chunk) + drop

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["options"] = [list(p) for p in self.options]
        return d

    @classmethod
    def from_json(cls, d: dict) -> ModelSpec:
        d = dict(d)
        d["options"] = tuple(tuple(p) for p in d.get("options", ()))
        return cls(**d)


GATED = {"lstm": (("forget_bias", 1.0),), "gru": (("reset_after", True),), "rnn": (("activation", "tanh"),)}
"""The layer options every chapter-07 model is trained with, written out: the LSTM with forget-gate
bias 1 (Gers et al. 2000; Jozefowicz et al. 2015), the GRU in cuDNN's and PyTorch's convention, the
RNN with tanh. (Not the library's defaults, which are the article's: ``forget_bias=0``,
``reset_after=False``.)"""

# The recipe of the comparison (scripts/sweep_charlm.py found the learning rates) and of the
# flagship (scripts/train_charlm.py): see ``MODEL_SPECS``.
MODEL_SPECS = {
    "lstm2": ModelSpec("lstm2", "lstm", 2, 256, chunk=64, batch=32, steps=6000, options=GATED["lstm"],
                       lr=4e-3, final_lr=4e-4, dropout=0.25, eval_every=600),
    "lstm": ModelSpec("lstm", "lstm", 1, 128, chunk=64, batch=32, steps=4000, options=GATED["lstm"],
                      lr=1e-2, final_lr=1e-3, eval_every=400),
    "gru": ModelSpec("gru", "gru", 1, 148, chunk=64, batch=32, steps=4000, options=GATED["gru"],
                     lr=5e-3, final_lr=5e-4, eval_every=400),
    "rnn": ModelSpec("rnn", "rnn", 1, 250, chunk=64, batch=32, steps=4000, options=GATED["rnn"],
                     lr=2.5e-3, final_lr=2.5e-4, eval_every=400),
    "lstm_T8": ModelSpec("lstm_T8", "lstm", 1, 128, chunk=8, batch=256, steps=4000, options=GATED["lstm"],
                         lr=1e-2, final_lr=1e-3, eval_every=400),
}
"""The shipped models: the 2-layer LSTM the chapter opens up (``lstm2``, with dropout, the best of
the flagship sweep); an RNN, an LSTM and a GRU of one layer at matched parameter counts
(``matched_hidden_size``), each at the learning rate its sweep chose; and the same LSTM trained with
truncation length 8 instead of 64 (with 8 times the streams, so every step reads as many
characters). Each is the seed-0 run of a sweep with exactly its spec."""

COMPARISON = ("rnn", "lstm", "gru")


# ----------------------------------------------------------------------------------------------
# Parameter counts, from the registry
# ----------------------------------------------------------------------------------------------
def parameter_count(kind: str, hidden: int, *, layers: int = 1, vocab: int = len(ASCII), embedding: int = 32,
                    **options) -> int:
    """The number of parameters of ``charlm.init_model(kind, vocab, hidden, ..., **options)``, by
    formula: the embedding ``V D_e``, each layer's ``MODELS[kind].parameter_count`` (``G H (H + D)
    + G H``, the GRU with ``reset_after=True`` one more ``H``), the head ``V H + V``."""
    model = get_model(kind, "kind")
    H = _validate.positive_int(hidden, "hidden")
    L = _validate.positive_int(layers, "layers")
    V = _validate.positive_int(vocab, "vocab")
    D = _validate.positive_int(embedding, "embedding")
    total = V * D
    for _ in range(L):
        total += model.parameter_count(D, H, **options)
        D = H
    return total + V * H + V


def matched_hidden_size(kind: str, target: int, *, vocab: int = len(ASCII), embedding: int = 32, **options) -> int:
    """The hidden size whose one-layer ``kind`` model has the parameter count closest to ``target``."""
    target = _validate.positive_int(target, "target")
    sizes = np.arange(1, 2049)
    counts = np.array([parameter_count(kind, int(h), vocab=vocab, embedding=embedding, **options) for h in sizes])
    return int(sizes[np.argmin(np.abs(counts - target))])


# ----------------------------------------------------------------------------------------------
# One file per model
# ----------------------------------------------------------------------------------------------
HISTORY_KEYS = ("eval_step", "eval_bpc", "train_step", "train_bpc")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ShippedModel:
    """A trained model with its ``spec``, its ``vocab``, its training ``history`` (``eval_step``,
    ``eval_bpc``: bits per character on the validation text; ``train_step``, ``train_bpc``: the
    training chunks' bits per character averaged over windows of steps) and ``meta`` (wall and
    CPU time, the final validation bits per character, the machine...)."""

    name: str
    model: SequenceModel
    spec: ModelSpec
    vocab: Vocabulary
    history: dict
    meta: dict

    @property
    def valid_bpc(self) -> float:
        """The validation bits per character at the end of training, as the training script
        recorded it."""
        return float(self.meta["valid_bpc"])

    def __repr__(self) -> str:
        return f"ShippedModel({self.name}: {self.model.describe()}, validation {self.valid_bpc:.3f} bits/char)"


def model_path(name: str, directory=None) -> Path:
    """``data/charlm/<name>.npz`` (or in ``directory``)."""
    return (MODELS_DIR if directory is None else Path(directory)) / f"{name}.npz"


def save_model(path, shipped: ShippedModel) -> None:
    """Write one model (float32) with its spec, vocabulary, history and meta (``lstmlib.saving``)."""
    metadata = {"name": shipped.name, "spec": shipped.spec.to_json(), "vocab": shipped.vocab.chars,
                "replacement": shipped.vocab.replacement, "meta": shipped.meta}
    for k in HISTORY_KEYS:
        metadata[k] = np.asarray(shipped.history[k])
    saving.save(path, shipped.model.astype(np.float32), metadata)


def load_model(name: str, directory=None) -> ShippedModel:
    """One shipped model, ``ShippedModel`` (float32), from ``data/charlm/<name>.npz`` (or from
    ``directory``). A missing name is refused, listing the names there are."""
    path = model_path(name, directory)
    if not isinstance(name, str) or not path.exists():
        there = sorted(p.stem for p in path.parent.glob("*.npz")) if path.parent.exists() else []
        raise ValueError(f"name: expected one of {there} (files in {path.parent.name}/), got {name!r}")
    model, meta = saving.load(path)
    spec = ModelSpec.from_json(meta["spec"])
    vocab = Vocabulary(str(meta["vocab"]), meta.get("replacement"))
    history = {k: np.asarray(meta[k]) for k in HISTORY_KEYS}
    return ShippedModel(str(meta["name"]), model, spec, vocab, history, dict(meta["meta"]))


def load_models(names: Sequence[str] | None = None, directory=None) -> dict:
    """The shipped models, name -> ``ShippedModel``, in the order of ``MODEL_SPECS`` (``names``:
    some of them). Each call reads the files again (about 30 ms), so each caller has its own."""
    names = list(MODEL_SPECS) if names is None else list(names)
    return {n: load_model(n, directory) for n in names}


shipped_models = load_models


def bpc_table(models: dict, names: Sequence[str] | None = None) -> str:
    """One row per shipped model: its shape, parameter count, truncation length, training steps,
    characters read, dropout, and bits per character on the whole training text and on the
    validation text after training."""
    names = list(models) if names is None else list(names)
    header = [(tr("model"), tr("recurrent layers"), tr("parameters"), "T", "B", tr("steps"), tr("chars read"),
               tr("dropout"), tr("train bits/char"), tr("valid bits/char"))]
    rows = []
    for n in names:
        s = models[n]
        sp = s.spec
        shape = f"{get_model(sp.kind).title} " + (f"{sp.layers}x{sp.hidden}" if sp.layers > 1 else f"{sp.hidden}")
        rows.append((n, shape, f"{s.model.num_parameters:,}", sp.chunk, sp.batch, sp.steps,
                     f"{sp.steps * sp.chunk * sp.batch:,}", f"{sp.dropout:g}", f"{s.meta['train_bpc']:.3f}",
                     f"{s.valid_bpc:.3f}"))
    layout = [("<", 12), " ", ("<", 16), " ", (">", 10), " ", (">", 4), " ", (">", 4), " ", (">", 6), " ",
              (">", 11), " ", (">", 7), " ", (">", 15), " ", (">", 15)]
    note = tr("both columns measured after training, without dropout: train on all {t:,} training "
              "characters, valid on all {v:,} validation characters", t=s.meta["train_characters"],
              v=s.meta["valid_characters"])
    return fixed_columns(layout, header, rows) + "\n" + note


def settings_table(models: dict) -> str:
    """The training recipe of each shipped model (``ModelSpec``)."""
    header = [(tr("model"), tr("embedding"), tr("lr"), tr("final lr"), tr("clip"), tr("layer options"),
               tr("seed"))]
    rows = []
    for n, s in models.items():
        sp = s.spec
        opts = ", ".join(f"{k}={v}" for k, v in sp.options) or "-"
        rows.append((n, sp.embedding, f"{sp.lr:.0e}", f"{sp.final_lr:.0e}", f"{sp.clip:g}", opts, sp.seed))
    layout = [("<", 12), " ", (">", 9), " ", (">", 8), " ", (">", 9), " ", (">", 5), " ", ("<", 22), " ",
              (">", 5)]
    return fixed_columns(layout, header, rows)
