"""Chapter 07: the models the chapter ships (specs, matched parameter counts, loading and saving
the weights with their training histories) and their tables."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ... import _validate, charlm
from ...charlm import ASCII, CharModel
from ...models import get_model
from ...train import History, Linear
from ..i18n import tr
from .corpus import WEIGHTS_PATH


# ----------------------------------------------------------------------------------------------
# The shipped models
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """How one shipped model was trained (``scripts/train_charlm.py``): a ``kind`` of ``layers``
    layers of ``hidden`` units on a ``embedding``-wide embedding; ``steps`` steps of truncated BPTT
    over ``chunk`` characters in ``batch`` streams; Adam from ``lr`` decayed linearly to
    ``final_lr``, gradient norm clipped at ``clip``; initial weights from ``seed``; ``threads``:
    BLAS threads while training."""

    name: str
    kind: str
    layers: int
    hidden: int
    chunk: int
    batch: int
    steps: int
    embedding: int = 32
    lr: float = 2e-3
    final_lr: float = 2e-4
    clip: float = 5.0
    seed: int = 0
    eval_every: int = 250
    threads: int = 1

    def init(self, vocab_size: int = len(ASCII)) -> CharModel:
        return charlm.init_model(self.kind, vocab_size, self.hidden, self.seed, num_layers=self.layers,
                                 embedding_size=self.embedding)

    @property
    def title(self) -> str:
        shape = f"{self.layers}x{self.hidden}" if self.layers > 1 else f"{self.hidden}"
        return f"{get_model(self.kind).title} {shape}, T={self.chunk}"


MODEL_SPECS = {
    "lstm2": ModelSpec("lstm2", "lstm", 2, 192, chunk=64, batch=32, steps=6000),
    "lstm": ModelSpec("lstm", "lstm", 1, 128, chunk=64, batch=32, steps=4000),
    "gru": ModelSpec("gru", "gru", 1, 148, chunk=64, batch=32, steps=4000),
    "rnn": ModelSpec("rnn", "rnn", 1, 250, chunk=64, batch=32, steps=4000),
    "lstm_T8": ModelSpec("lstm_T8", "lstm", 1, 128, chunk=8, batch=256, steps=4000),
}
"""The shipped models: the 2-layer LSTM the chapter opens up; an RNN, an LSTM and a GRU of one
layer at matched parameter counts (``matched_hidden_size``); and the same LSTM trained with
truncation length 8 instead of 64 (with 8 times the streams, so every step reads as many
characters)."""

COMPARISON = ("rnn", "lstm", "gru")


def parameter_count(kind: str, hidden: int, *, layers: int = 1, vocab: int = len(ASCII),
                    embedding: int = 32) -> int:
    """The number of parameters of ``charlm.init_model(kind, vocab, hidden, ...)``, by formula:
    embedding ``V D_e``; each layer ``G H (H + D) + G H`` (the GRU in PyTorch's convention adds
    ``H``); head ``V H + V``. ``G`` = 4 (LSTM), 3 (GRU), 1 (RNN)."""
    get_model(kind, "kind")
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    total, D = vocab * embedding, embedding
    for _ in range(_validate.positive_int(layers, "layers")):
        total += G * hidden * (hidden + D) + G * hidden + (hidden if kind == "gru" else 0)
        D = hidden
    return total + vocab * hidden + vocab


def matched_hidden_size(kind: str, target: int, *, vocab: int = len(ASCII), embedding: int = 32) -> int:
    """The hidden size whose one-layer ``kind`` model has the parameter count closest to ``target``."""
    target = _validate.positive_int(target, "target")
    sizes = np.arange(1, 2049)
    counts = np.array([parameter_count(kind, int(h), vocab=vocab, embedding=embedding) for h in sizes])
    return int(sizes[np.argmin(np.abs(counts - target))])


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ShippedModel:
    """A trained model with its ``spec``, its training ``history`` (``eval_step``, ``eval_bpc``
    on the validation text; ``train_step``, ``train_bpc``: the training chunks' bits per character
    averaged over windows of steps) and ``meta`` (wall time, validation bits per character, the
    machine's thread count...)."""

    name: str
    model: CharModel
    spec: ModelSpec
    history: dict
    meta: dict

    @property
    def valid_bpc(self) -> float:
        """The validation bits per character measured at the end of training (``VALID_BATCH``
        streams), as the training script recorded it."""
        return float(self.meta["valid_bpc"])

    def __repr__(self) -> str:
        return f"ShippedModel({self.name}: {self.model.describe()}, validation {self.valid_bpc:.3f} bits/char)"


def _model_arrays(prefix: str, model: CharModel) -> dict:
    out = {f"{prefix}/embedding": model.embedding}
    for k, p in enumerate(model.layers):
        for field in p.storage_fields:
            a = getattr(p, field)
            if a is not None:
                out[f"{prefix}/layer{k}/{field}"] = a
    out[f"{prefix}/head/weights"] = model.head.weights
    out[f"{prefix}/head/bias"] = model.head.bias
    return out


def save_models(path, entries: Sequence[tuple]) -> None:
    """Write ``(name, model, spec, history dict, meta dict)`` entries to one compressed ``.npz``
    (float32 weights; histories as arrays; specs and meta as JSON)."""
    arrays, index = {}, {}
    for name, model, spec, history, meta in entries:
        arrays.update(_model_arrays(name, model.astype(np.float32)))
        for key, v in history.items():
            arrays[f"{name}/history/{key}"] = np.asarray(v)
        index[name] = {"spec": dataclasses.asdict(spec), "meta": meta}
    arrays["index"] = np.array(json.dumps(index))
    np.savez_compressed(path, **arrays)


def load_models(path=None) -> dict:
    """The shipped models, name -> ``ShippedModel`` (float32), from ``data/charlm_models.npz``
    (or ``path``)."""
    path = WEIGHTS_PATH if path is None else Path(path)
    if not Path(path).exists():
        raise ValueError(f"path: expected the .npz written by scripts/train_charlm.py, got a missing file {path}")
    with np.load(path) as z:
        data = {k: z[k] for k in z.files}
    index = json.loads(str(data["index"]))
    out = {}
    for name, entry in index.items():
        spec = ModelSpec(**entry["spec"])
        m = get_model(spec.kind)
        layers = []
        for k in range(spec.layers):
            fields = {f: data[f"{name}/layer{k}/{f}"] for f in m.params.storage_fields
                      if f"{name}/layer{k}/{f}" in data}
            if spec.kind == "gru":
                fields.setdefault("hidden_bias", None)
            layers.append(m.params(**fields))
        model = CharModel(data[f"{name}/embedding"], tuple(layers),
                          Linear(data[f"{name}/head/weights"], data[f"{name}/head/bias"]))
        prefix = f"{name}/history/"
        history = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
        out[name] = ShippedModel(name, model, spec, history, entry["meta"])
    return out


def history_dict(hist: History, window: int = 50) -> dict:
    """What is kept of a training ``History``: the validation curve, and the training bits per
    character averaged over windows of ``window`` steps."""
    n = len(hist.loss) // window
    train = hist.loss[:n * window].reshape(n, window).mean(axis=1) if n else np.zeros(0)
    return {"eval_step": hist.eval_step, "eval_bpc": hist.eval_loss,
            "train_step": (np.arange(n) + 1) * window, "train_bpc": train}


def bpc_table(models: dict, names: Sequence[str] | None = None) -> str:
    """One row per shipped model: its shape, parameter count, truncation length, training steps,
    characters read in training, and validation bits per character."""
    names = list(models) if names is None else list(names)
    head = (f"{tr('model'):<8} {tr('recurrent layers'):<18} {tr('parameters'):>10} {'T':>4} {'B':>4} "
            f"{tr('steps'):>6} {tr('chars read'):>11} {tr('train bits/char'):>15} {tr('valid bits/char'):>15}")
    rows = [head, "-" * len(head)]
    for n in names:
        s = models[n]
        sp = s.spec
        shape = f"{get_model(sp.kind).title} " + (f"{sp.layers}x{sp.hidden}" if sp.layers > 1 else f"{sp.hidden}")
        rows.append(f"{n:<8} {shape:<18} {s.model.num_parameters:>10,} {sp.chunk:>4} {sp.batch:>4} "
                    f"{sp.steps:>6} {sp.steps * sp.chunk * sp.batch:>11,} {s.meta['last_train_bpc']:>15.2f} "
                    f"{s.valid_bpc:>15.3f}")
    rows.append(tr("train: the training chunks of the last 50 steps, as they were read; valid: all "
                   "{n:,} validation characters after training", n=s.meta['valid_characters']))
    return "\n".join(rows)


def settings_table(models: dict) -> str:
    """The training recipe of each shipped model (``ModelSpec``)."""
    head = (f"{tr('model'):<8} {tr('embedding'):>9} {'lr':>8} {tr('final lr'):>9} {tr('clip'):>5} "
            f"{tr('forget bias'):>11} {tr('seed'):>5} {tr('BLAS threads'):>12}")
    rows = [head, "-" * len(head)]
    for n, s in models.items():
        sp = s.spec
        fb = "1" if sp.kind == "lstm" else "-"
        rows.append(f"{n:<8} {sp.embedding:>9} {sp.lr:>8.0e} {sp.final_lr:>9.0e} {sp.clip:>5g} {fb:>11} "
                    f"{sp.seed:>5} {sp.threads:>12}")
    return "\n".join(rows)


def shipped_models() -> dict:
    """The shipped models, freshly loaded (``load_models()``, about 30 ms): each caller gets its own
    copy, so changing one model's weights cannot change what another caller sees."""
    return load_models()
