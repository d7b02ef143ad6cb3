"""Saving and loading models: one ``.npz`` per model, with everything needed to rebuild it.

``save(path, model, metadata)`` writes a ``SequenceModel`` (its layers with their kinds and options:
the RNN's activation, the GRU's convention; the embedding, the head, ``every_step``, ``dropout``)
or a single layer's parameters (``LSTMParams``...), and any metadata: JSON-able values (a
vocabulary's characters, a training recipe) and numpy arrays (a training curve).
``load(path) -> (model, metadata)`` gives them back, exactly (same dtype, same bits).

The file says what it is: ``lstmlib_format`` (the layout's version) and a JSON ``config``. A file
without them, or from a newer layout, is refused with a ValueError that says so.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from .models import get_model, model_of
from .network import Linear, SequenceModel
from .params import Params

__all__ = ["FORMAT", "save", "load"]

FORMAT = 1
"""The layout this module writes; ``load`` reads it and every earlier one it knows."""


def _layer_config(p: Params) -> dict:
    """A layer's kind, sizes and the options it carries (the RNN's activation, the GRU's
    convention; the LSTM's forget bias is a value of ``b_f``, saved with the weights)."""
    m = model_of(p)
    options = {name: getattr(p, name) for name in m.options if hasattr(p, name)}
    return {"model": m.name, "input_size": p.input_size, "hidden_size": p.hidden_size, "options": options}


def save(path, model, metadata: dict | None = None) -> None:
    """Write ``model`` (a ``SequenceModel`` or one layer's parameters) and ``metadata`` (a dict of
    JSON-able values and numpy arrays) to the ``.npz`` file ``path`` (compressed)."""
    metadata = dict(metadata or {})
    arrays = {}
    if isinstance(model, SequenceModel):
        layers = model.layers
        config = {"type": "SequenceModel", "layers": [_layer_config(p) for p in layers],
                  "every_step": bool(model.every_step), "dropout": float(model.dropout),
                  "embedding": model.embedding is not None}
        if model.embedding is not None:
            arrays["embedding"] = model.embedding
        arrays["head/weights"], arrays["head/bias"] = model.head.weights, model.head.bias
    elif isinstance(model, Params):
        layers = (model,)
        config = {"type": "Params", "layers": [_layer_config(model)]}
    else:
        raise ValueError(f"model: expected a SequenceModel or a model's parameters, got {type(model).__name__}")
    for k, p in enumerate(layers):
        for field in p.storage_fields:
            if getattr(p, field) is not None:
                arrays[f"layer{k}/{field}"] = getattr(p, field)
    plain = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or "/" in key:
            raise ValueError(f"metadata: expected string keys without '/', got {key!r}")
        if isinstance(value, np.ndarray):
            arrays[f"meta/{key}"] = value
        else:
            plain[key] = value
    try:
        meta_json = json.dumps(plain)
    except TypeError as err:
        raise ValueError(f"metadata: expected JSON-able values or numpy arrays, got {err}") from None
    with open(path, "wb") as file:  # exactly ``path`` (savez would append .npz to a path without it)
        np.savez_compressed(file, lstmlib_format=np.array(FORMAT), config=np.array(json.dumps(config)),
                            metadata=np.array(meta_json), **arrays)


def load(path):
    """``(model, metadata)`` from a file ``save`` wrote."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"path: expected an .npz file written by lstmlib.saving.save, got a missing file {path}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"path: {path.name} is not an lstmlib model file (numpy cannot read it as an .npz "
                         f"archive: {err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"path: {path.name} is not an lstmlib model file (it holds one array, not an "
                         ".npz archive)")
    with archive as z:
        data = {k: z[k] for k in z.files}
    if "lstmlib_format" not in data or "config" not in data:
        raise ValueError(f"path: {path.name} is not an lstmlib model file (it has no 'lstmlib_format' "
                         f"entry; its entries begin {sorted(data)[:4]}); files of lstmlib 0.2's chapter 07 "
                         "(charlm_models.npz) used a layout of their own: retrain with scripts/train_charlm.py")
    version = int(data["lstmlib_format"])
    if version > FORMAT:
        raise ValueError(f"path: {path.name} has layout {version}, written by a newer lstmlib; this one "
                         f"reads layouts up to {FORMAT}")
    config = json.loads(str(data["config"]))
    layers = []
    for k, lc in enumerate(config["layers"]):
        m = get_model(lc["model"], f"config layers[{k}].model")
        fields = {f: data[f"layer{k}/{f}"] for f in m.params.storage_fields if f"layer{k}/{f}" in data}
        own = {f.name for f in dataclasses.fields(m.params)}  # options stored as fields (activation)
        fields.update({n: v for n, v in lc["options"].items() if n in own})
        p = m.params(**fields)
        for n, v in lc["options"].items():  # options read off the storage (reset_after) must agree
            if getattr(p, n) != v:
                raise ValueError(f"path: layer {k} says {n}={v!r} but its arrays give {getattr(p, n)!r}")
        layers.append(p)
    metadata = json.loads(str(data["metadata"]))
    metadata.update({k[5:]: v for k, v in data.items() if k.startswith("meta/")})
    if config["type"] == "Params":
        return layers[0], metadata
    model = SequenceModel(tuple(layers), Linear(data["head/weights"], data["head/bias"]),
                          data["embedding"] if config["embedding"] else None, config["every_step"],
                          config["dropout"])
    return model, metadata

