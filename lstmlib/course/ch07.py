"""Chapter 07's computations: a character model on real text, and a look inside it.

- the corpus: a fixed snapshot of 30 pure-Python modules of CPython 3.11.7's standard library
  (``data/python_stdlib``, PSF license beside it), split by file into training and validation text;
- ground truth for every character from Python's own ``tokenize``: inside a string, inside a
  comment, bracket depth, indentation level, column (``char_features``);
- the shipped models (``data/charlm_models.npz``, trained by ``scripts/train_charlm.py``) and the
  settings that trained them (``MODEL_SPECS``);
- what the chapter measures with them: bits per character, how well a model predicts a closing
  bracket or quote as a function of the distance to its opener (``closer_table``), which cell
  tracks which feature (``cell_search``), how often the gates saturate (``saturation``).

The model mathematics is ``lstmlib.charlm`` (and below it ``stack``, ``fused``); nothing here
re-implements it.
"""
from __future__ import annotations

import dataclasses
import functools
import io
import json
import tokenize
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import _validate, charlm
from ..charlm import ASCII, CharModel, Vocabulary
from ..losses import log_softmax
from ..fused import Workspace
from ..models import get_model, model_of
from ..train import History, Linear
from .i18n import tr

__all__ = [
    "DATA_DIR", "CORPUS_DIR", "WEIGHTS_PATH", "TRAIN_FILES", "VALID_FILES", "Corpus", "load_corpus",
    "corpus_table", "FEATURES", "FEATURE_TITLES", "feature_titles", "char_features", "ModelSpec", "MODEL_SPECS",
    "COMPARISON", "matched_hidden_size", "parameter_count", "ShippedModel", "load_models",
    "save_models", "VALID_BATCH", "bpc_table", "closers", "CloserTable", "closer_table",
    "CellSearch", "cell_search", "Saturation", "saturation", "trace", "Trace", "sample_table",
    "shipped_models", "history_dict", "CLOSERS", "DISTANCE_BINS", "PASSAGES", "passage", "text_features",
    "CellView", "CellLab", "SampleView", "sample_view", "best_cell_views", "feature_table",
    "carried_state_check", "live_training", "live_summary", "evaluation_check", "training_cost_table",
    "settings_table",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_DIR = DATA_DIR / "python_stdlib"
WEIGHTS_PATH = DATA_DIR / "charlm_models.npz"

TRAIN_FILES = (
    "argparse", "ast", "configparser", "dataclasses", "datetime", "difflib", "dis", "enum",
    "inspect", "optparse", "os", "pathlib", "pickle", "pydoc", "shutil", "string", "subprocess",
    "tarfile", "threading", "tokenize", "traceback", "typing",
)
"""The modules the models train on (22 files)."""

VALID_FILES = ("calendar", "contextlib", "csv", "gettext", "pprint", "queue", "random", "textwrap")
"""The held-out modules (8 files, other authors and subjects): validation bits per character and
every measurement of the chapter are on these, never seen in training."""

VALID_BATCH = 32
"""Validation text is scored as this many streams (``charlm.evaluate``), each from a zero state."""


# ----------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Corpus:
    """The text of every file (``files``: module name -> text, in the order of ``TRAIN_FILES`` then
    ``VALID_FILES``), the ``vocab`` (``charlm.ASCII``) and the split. ``train_text`` and
    ``valid_text`` are the files of each part joined in that order (every file ends with a
    newline); ``*_ids`` their character ids; ``valid_starts`` the offset of each validation file."""

    files: dict
    vocab: Vocabulary
    train_names: tuple
    valid_names: tuple

    @functools.cached_property
    def train_text(self) -> str:
        return "".join(self.files[n] for n in self.train_names)

    @functools.cached_property
    def valid_text(self) -> str:
        return "".join(self.files[n] for n in self.valid_names)

    @functools.cached_property
    def train_ids(self) -> np.ndarray:
        return self.vocab.encode(self.train_text)

    @functools.cached_property
    def valid_ids(self) -> np.ndarray:
        return self.vocab.encode(self.valid_text)

    @property
    def valid_starts(self) -> dict:
        """Module name -> offset of its first character in ``valid_text``."""
        out, k = {}, 0
        for n in self.valid_names:
            out[n] = k
            k += len(self.files[n])
        return out

    @functools.cached_property
    def valid_features(self) -> dict:
        """``char_features`` of every validation file, joined: name -> ``(len(valid_text),)``."""
        parts = [char_features(self.files[n]) for n in self.valid_names]
        return {f: np.concatenate([p[f] for p in parts]) for f in FEATURES}

    def __repr__(self) -> str:
        return (f"Corpus({len(self.train_names)} training files, {len(self.train_text):,} characters; "
                f"{len(self.valid_names)} validation files, {len(self.valid_text):,} characters)")


@functools.lru_cache(maxsize=None)
def load_corpus() -> Corpus:
    """The shipped corpus (read once; the files are ``data/python_stdlib/<module>.py.txt``)."""
    files = {}
    for name in TRAIN_FILES + VALID_FILES:
        files[name] = (CORPUS_DIR / f"{name}.py.txt").read_text(encoding="ascii")
    return Corpus(files, ASCII, TRAIN_FILES, VALID_FILES)


def corpus_table(corpus: Corpus) -> str:
    """The split: how many files and characters each part has, and which files."""
    rows = []
    for part, names in ((tr("training"), corpus.train_names), (tr("validation"), corpus.valid_names)):
        n = sum(len(corpus.files[k]) for k in names)
        lines = sum(corpus.files[k].count("\n") for k in names)
        rows.append(f"{part:<11} {len(names):>5} {n:>12,} {lines:>8,}   " + ", ".join(names))
    head = f"{tr('part'):<11} {tr('files'):>5} {tr('characters'):>12} {tr('lines'):>8}   {tr('modules')}"
    total = sum(len(t) for t in corpus.files.values())
    return "\n".join([head, "-" * 100] + rows + [f"{tr('total'):<11} {len(corpus.files):>5} {total:>12,}",
                                                 tr("vocabulary: {n} characters (newline and the 95 printable "
                                                    "ASCII characters)", n=len(corpus.vocab))])


# ----------------------------------------------------------------------------------------------
# Ground truth from tokenize
# ----------------------------------------------------------------------------------------------
FEATURES = ("string", "comment", "brackets", "indent", "column")
FEATURE_TITLES = {
    "string": "inside a string",
    "comment": "inside a comment",
    "brackets": "bracket depth",
    "indent": "indentation level",
    "column": "column in the line",
}
"""Each feature describes the state *after* reading a character, as a model reading the text has
it: ``string`` is 1 from a string literal's opening quote up to the character before its closing
quote (prefix letters such as ``f`` are outside; in 3.11 an f-string is one literal); ``comment`` is
1 from ``#`` to the end of the line (the newline outside); ``brackets``: how many ``(``, ``[``, ``{``
are open (in code, not in strings or comments); ``indent``: how many indented blocks enclose the
current line (tokenize's INDENT minus DEDENT, counted from the start of the line on which they
occur); ``column``: how many characters of the current line have been read (0 after a newline)."""


def feature_titles() -> dict:
    """``FEATURE_TITLES`` in the course's language, for tables and controls (``FEATURE_TITLES``
    itself stays English: the figures use it)."""
    return {"string": tr("inside a string"), "comment": tr("inside a comment"), "brackets": tr("bracket depth"),
            "indent": tr("indentation level"), "column": tr("column in the line")}


def _line_offsets(text: str) -> list[int]:
    offsets, k = [0], 0
    for line in text.splitlines(keepends=True):
        k += len(line)
        offsets.append(k)
    return offsets


def char_features(text: str) -> dict:
    """The ground truth of ``FEATURES`` for every character of ``text`` (Python source), from
    ``tokenize``: name -> float array ``(len(text),)``. Where ``tokenize`` stops on an error
    (text that is not valid Python), the features of the rest of the text are NaN."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    n = len(text)
    starts = _line_offsets(text)

    def at(pos):
        row, col = pos
        return starts[row - 1] + col if row - 1 < len(starts) else n

    in_string = np.zeros(n)
    in_comment = np.zeros(n)
    bracket_delta = np.zeros(n + 1)
    indent_delta = np.zeros(n + 1)
    known = n
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            a, b = at(tok.start), at(tok.end)
            if tok.type == tokenize.STRING:
                s = tok.string
                body = s.lstrip("rRbBuUfF")
                quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
                in_string[a + len(s) - len(body):b - len(quote)] = 1.0
            elif tok.type == tokenize.COMMENT:
                in_comment[a:b] = 1.0
            elif tok.type == tokenize.OP and tok.string in "([{":
                bracket_delta[a] += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                bracket_delta[a] -= 1
            elif tok.type == tokenize.INDENT:
                indent_delta[starts[tok.start[0] - 1]] += 1
            elif tok.type == tokenize.DEDENT:
                indent_delta[starts[tok.start[0] - 1]] -= 1
    except tokenize.TokenError as err:
        # an unterminated triple-quoted string: unknown from the line it starts on (an
        # unfinished bracket at the end of the text loses nothing: every token came out)
        row = err.args[1][0] if len(err.args) > 1 and isinstance(err.args[1], tuple) else len(starts)
        known = min(n, starts[min(max(row, 1), len(starts)) - 1])
    except SyntaxError as err:  # IndentationError: a dedent to no enclosing level
        known = min(n, starts[min(max(err.lineno or 1, 1), len(starts)) - 1])
    brackets = np.cumsum(bracket_delta)[:n]
    indent = np.cumsum(indent_delta)[:n]
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if n else np.zeros(0, np.uint32)
    newline = chars == ord("\n")
    # column after reading char t: characters since the last newline, the newline itself -> 0
    idx = np.arange(n)
    last_nl = np.maximum.accumulate(np.where(newline, idx, -1)) if n else idx
    column = (idx - last_nl).astype(float)
    out = {"string": in_string, "comment": in_comment, "brackets": brackets, "indent": indent,
           "column": column}
    if known < n:
        for f in ("string", "comment", "brackets", "indent"):
            out[f][known:] = np.nan
    return out


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


@functools.lru_cache(maxsize=None)
def shipped_models() -> dict:
    """``load_models()`` once per session (the explorers and the chapter share it)."""
    return load_models()


# ----------------------------------------------------------------------------------------------
# Inside a model: what every layer does at every character
# ----------------------------------------------------------------------------------------------
_GATES = {"lstm": ("i", "f", "o"), "gru": ("z", "r"), "rnn": ()}


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Trace:
    """One text read by a model from a zero state. ``text``; per layer (bottom first) a dict of
    ``(T, H)`` arrays: ``"cell"`` (LSTM: ``tanh(c_t)``, the value the output gate reads; GRU and
    RNN: ``h_t``), ``"h"``, and the gates (LSTM ``"i"``, ``"f"``, ``"o"``; GRU ``"z"``, ``"r"``);
    ``logp (T,)``: ``log p`` (nats) of the character that follows each one (NaN after the last)."""

    text: str
    layers: tuple
    logp: np.ndarray


def _one_thread():
    """BLAS held to one thread: at these sizes a second thread costs more than it brings, and on
    a machine whose other core is busy it can make a product many times slower."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(1)


def trace(model: CharModel, text: str, vocab: Vocabulary = ASCII) -> Trace:
    """Read ``text`` (characters outside ``vocab`` replaced) with ``model`` from a zero state and
    keep every layer's cell values and gates at every character (``Trace``)."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    ids = vocab.encode(text, errors="replace")
    with _one_thread():
        logits, cache = charlm.forward(ids[:, None], model)
    layers = []
    for c in cache.stack.layers:
        kind = model_of(c.params).name
        d = {"h": np.asarray(c.h[:, 0, :])}
        d["cell"] = np.tanh(c.c[:, 0, :]) if kind == "lstm" else d["h"]
        for g in _GATES[kind]:
            d[g] = np.asarray(getattr(c, g)[:, 0, :])
        layers.append(d)
    logp = np.full(len(ids), np.nan)
    if len(ids) > 1:
        lp = log_softmax(logits[:-1, 0].astype(np.float64))
        logp[:-1] = lp[np.arange(len(ids) - 1), ids[1:]]
    return Trace(text, tuple(layers), logp)


def _spread(ids: np.ndarray, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` windows of ``length`` characters spread evenly over ``ids``: ``(starts (B,),
    windows (B, length))``."""
    N = ids.size
    if batch * length > N:
        raise ValueError(f"length: expected batch x length <= {N} characters, got {batch} x {length}")
    starts = np.arange(batch) * (N // batch)
    return starts, np.stack([ids[s:s + length] for s in starts])


def _walk(model: CharModel, windows: np.ndarray, chunk: int = 250):
    """Read ``windows (B, L)`` (one stream each) chunk by chunk, carrying the state; yields
    ``(t0, caches of the layers)`` for every chunk."""
    state, ws = None, Workspace()
    for t0 in range(0, windows.shape[1], chunk):
        x = windows[:, t0:t0 + chunk].T
        with _one_thread():
            _, cache = charlm.forward(x, model, state, workspace=ws)
        state = cache.final_states
        yield t0, cache.stack.layers


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CellSearch:
    """For every feature and every cell (layer k, unit j) the correlation ``r`` between the cell's
    value (``Trace``'s ``"cell"``) and the feature, on two halves of the validation text: ``r_select``
    ``(F, L, H)`` on the first half (the first validation files), where each feature's best cell is
    chosen (largest ``|r|``), and ``r_report`` on the second half (other files), where it is
    reported. ``probe`` ``(F, L)``: the correlation on the second half of a linear read-out of
    every cell of a layer (least squares fitted on the first half). ``characters``: how many were
    counted in each half."""

    features: tuple
    r_select: np.ndarray
    r_report: np.ndarray
    probe: np.ndarray
    characters: tuple
    label: str = ""

    @property
    def best(self) -> dict:
        """feature -> ``(layer, unit)`` of its best cell, chosen on the first half."""
        out = {}
        for k, f in enumerate(self.features):
            flat = np.nan_to_num(np.abs(self.r_select[k]), nan=-1.0)
            out[f] = tuple(int(v) for v in np.unravel_index(int(np.argmax(flat)), flat.shape))
        return out

    def best_r(self, feature: str) -> float:
        """The held-out correlation (second half) of ``feature``'s best cell."""
        k = self.features.index(feature)
        layer, unit = self.best[feature]
        return float(self.r_report[k, layer, unit])

    def table(self) -> str:
        """Per feature: the best cell, its correlation on the half where it was chosen and on the
        held-out half, the best held-out |r| of any single cell, and each layer's linear probe."""
        L = self.r_select.shape[1]
        probe_cols = " ".join(f"{tr('probe L{k}', k=k + 1):>8}" for k in range(L))
        head = (f"{tr('feature'):<20} {tr('best cell'):>10} {tr('r (chosen)'):>10} {tr('r (held out)'):>12} "
                f"{tr('best |r| held out'):>17} {probe_cols}")
        titles = feature_titles()
        rows = [head, "-" * len(head)]
        for k, f in enumerate(self.features):
            layer, unit = self.best[f]
            top = np.nanmax(np.abs(self.r_report[k]))  # any cell, chosen with hindsight
            probes = " ".join(f"{self.probe[k, j]:>8.2f}" for j in range(L))
            rows.append(f"{titles[f]:<20} {f'L{layer + 1}:{unit}':>10} "
                        f"{self.r_select[k, layer, unit]:>+10.2f} {self.r_report[k, layer, unit]:>+12.2f} "
                        f"{top:>17.2f} {probes}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"CellSearch({self.label}: {len(self.features)} features, {self.characters} characters)"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Saturation:
    """Per layer and gate, per unit: the fraction of characters at which the gate is
    left-saturated (below ``low``) and right-saturated (above ``high``): ``left[g]``, ``right[g]``
    ``(L, H)``, after Karpathy, Johnson & Fei-Fei (2015), figure 3."""

    gates: tuple
    left: dict
    right: dict
    low: float
    high: float
    characters: int

    def table(self, *, mostly: float = 0.5) -> str:
        """Per layer and gate: the mean fractions of time left- and right-saturated, and how many
        units are saturated more than ``mostly`` of the time on either side."""
        L, H = self.left[self.gates[0]].shape
        head = (f"{tr('layer'):<6} {tr('gate'):<7} {tr('mean left'):>10} {tr('mean right'):>11} "
                f"{tr('units mostly left'):>18} {tr('units mostly right'):>19}   " + tr("(of {H})", H=H))
        names = _gate_names()
        rows = [head, "-" * len(head)]
        for k in range(L):
            for g in self.gates:
                lf, rt = self.left[g][k], self.right[g][k]
                rows.append(f"{k + 1:<6} {names[g]:<7} {lf.mean():>10.3f} {rt.mean():>11.3f} "
                            f"{int(np.sum(lf > mostly)):>18} {int(np.sum(rt > mostly)):>19}")
        return "\n".join(rows)


_GATE_NAMES = {"i": "input", "f": "forget", "o": "output", "z": "update", "r": "reset"}


def _gate_names() -> dict:
    """``_GATE_NAMES`` in the course's language (for the saturation table)."""
    return {"i": tr("input"), "f": tr("forget"), "o": tr("output"), "z": tr("update"), "r": tr("reset")}


class _Moments:
    """Running sums for correlations of per-character cell values with features."""

    def __init__(self, L, H, F):
        self.n = 0
        self.sx = np.zeros((L, H)); self.sxx = np.zeros((L, H))
        self.sf = np.zeros(F); self.sff = np.zeros(F)
        self.sxf = np.zeros((F, L, H))
        self.xtx = np.zeros((L, H + 1, H + 1)); self.xtf = np.zeros((L, H + 1, F))

    def add(self, cells: list, feats: np.ndarray):
        # cells: per layer (N, H); feats (N, F)
        self.n += feats.shape[0]
        self.sf += feats.sum(0); self.sff += (feats ** 2).sum(0)
        for k, x in enumerate(cells):
            sx = x.sum(0)
            self.sx[k] += sx; self.sxx[k] += np.einsum("ij,ij->j", x, x)
            xf = feats.T @ x  # (F, H)
            self.sxf[:, k, :] += xf
            # [x 1]^T [x 1] and [x 1]^T f, without building [x 1]
            self.xtx[k][:-1, :-1] += x.T @ x
            self.xtx[k][:-1, -1] += sx; self.xtx[k][-1, :-1] += sx; self.xtx[k][-1, -1] += x.shape[0]
            self.xtf[k][:-1] += xf.T
            self.xtf[k][-1] += feats.sum(0)

    def corr(self) -> np.ndarray:
        n = self.n
        mx, mf = self.sx / n, self.sf / n
        vx = self.sxx / n - mx ** 2
        vf = self.sff / n - mf ** 2
        # a value that never changes (a cell stuck at tanh(c) = +-1) has no correlation: NaN,
        # not the ratio of two rounding errors
        vx = np.where(vx > 1e-9 * np.maximum(self.sxx / n, 1e-30), vx, np.nan)
        vf = np.where(vf > 1e-12, vf, np.nan)
        cov = self.sxf / n - mf[:, None, None] * mx[None]
        return np.clip(cov / np.sqrt(vx[None] * vf[:, None, None]), -1.0, 1.0)


def _probe(fit: _Moments, test: _Moments, ridge: float = 1e-3) -> np.ndarray:
    """Held-out correlation ``(F, L)`` of per-layer least-squares read-outs fitted on ``fit``."""
    L, H1, _ = fit.xtx.shape
    F = fit.sf.size
    out = np.zeros((F, L))
    n = test.n
    for k in range(L):
        A = fit.xtx[k] + ridge * fit.n * np.eye(H1)
        w = np.linalg.solve(A, fit.xtf[k])  # (H+1, F)
        # on the test half, from its sums: mean, variance of y_hat = x1 w, covariance with f
        Sx1 = test.xtx[k][-1] / n  # means of x1 (its last entry is the constant 1)
        m_hat = Sx1 @ w
        v_hat = np.einsum("if,ij,jf->f", w, test.xtx[k] / n, w) - m_hat ** 2
        mf = test.sf / n
        cov = np.einsum("if,if->f", w, test.xtf[k] / n) - m_hat * mf
        vf = test.sff / n - mf ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k] = cov / np.sqrt(np.maximum(v_hat, 0) * np.maximum(vf, 0))
    return out


def cell_search(model: CharModel, corpus: Corpus, *, windows: int = 32, length: int = 2000,
                warmup: int = 100, label: str = "", low: float = 0.1, high: float = 0.9):
    """Read ``windows`` stretches of ``length`` characters spread evenly over the validation text
    (each from a zero state; the first ``warmup`` characters of each are not counted), and measure
    every cell against every feature of ``FEATURES`` (``CellSearch``: the first half of the
    stretches chooses, the second half reports) and, for an LSTM, the gates' saturation
    (``Saturation``, ``None`` otherwise). Returns ``(CellSearch, Saturation | None)``."""
    _check_model_arg(model)
    windows = _validate.positive_int(windows, "windows")
    length = _validate.positive_int(length, "length")
    if windows < 2:
        raise ValueError(f"windows: expected at least 2 (one half chooses, the other reports), got {windows}")
    if not 0 <= warmup < length:
        raise ValueError(f"warmup: expected 0 <= warmup < length = {length}, got {warmup}")
    starts, win = _spread(corpus.valid_ids, windows, length)
    feats = np.stack([corpus.valid_features[f] for f in FEATURES], axis=1)  # (N, F)
    L, H = len(model.layers), max(model.hidden_sizes)
    if len(set(model.hidden_sizes)) != 1:
        raise ValueError(f"model: expected layers of one hidden size, got {model.hidden_sizes}")
    halves = (_Moments(L, H, len(FEATURES)), _Moments(L, H, len(FEATURES)))
    kinds = [model_of(p).name for p in model.layers]
    lstm = all(k == "lstm" for k in kinds)
    gates = _GATES["lstm"] if lstm else ()
    left = {g: np.zeros((L, H)) for g in gates}
    right = {g: np.zeros((L, H)) for g in gates}
    with _one_thread():
        halves, left, right, counted = _search_pass(model, win, starts, feats, windows, warmup, kinds, lstm,
                                                    gates, halves, left, right, low, high)
    search = CellSearch(FEATURES, halves[0].corr(), halves[1].corr(), _probe(*halves),
                        (halves[0].n, halves[1].n), label)
    sat = None
    if lstm:
        sat = Saturation(gates, {g: v / counted for g, v in left.items()},
                         {g: v / counted for g, v in right.items()}, low, high, counted)
    return search, sat


def _search_pass(model, win, starts, feats, windows, warmup, kinds, lstm, gates, halves, left, right, low, high):
    """``cell_search``'s one pass over the windows: the running sums of both halves and the
    saturation counts."""
    H = max(model.hidden_sizes)
    half_of = np.arange(windows) >= windows // 2
    counted = 0
    for t0, caches in _walk(model, win):
        T = caches[0].hs.shape[0]
        keep = np.arange(t0, t0 + T) >= warmup  # (T,)
        if not keep.any():
            continue
        pos = starts[None, :] + np.arange(t0, t0 + T)[:, None]  # (T, B) positions in valid_text
        cells = []
        for c, kind in zip(caches, kinds):
            v = np.tanh(c.c) if kind == "lstm" else c.h
            cells.append(np.asarray(v[keep], dtype=np.float64))  # (T', B, H)
        f_all = feats[pos[keep]]  # (T', B, F)
        for half in (0, 1):
            sel = half_of == bool(half)
            halves[half].add([x[:, sel].reshape(-1, H) for x in cells], f_all[:, sel].reshape(-1, len(FEATURES)))
        if lstm:
            counted += int(keep.sum()) * windows
            for k, c in enumerate(caches):
                for g in gates:
                    a = getattr(c, g)[keep]
                    left[g][k] += (a < low).sum(axis=(0, 1))
                    right[g][k] += (a > high).sum(axis=(0, 1))
    return halves, left, right, counted


def _check_model_arg(model) -> None:
    if not isinstance(model, CharModel):
        raise ValueError(f"model: expected a charlm.CharModel, got {type(model).__name__}")


def saturation(model: CharModel, corpus: Corpus, **kw) -> Saturation:
    """The gates' saturation alone (``cell_search``'s second result); ``model`` must be an LSTM."""
    if any(model_of(p).name != "lstm" for p in getattr(model, "layers", ())):
        raise ValueError("model: expected an LSTM (saturation is measured on the input, forget and output gates)")
    return cell_search(model, corpus, **kw)[1]


# ----------------------------------------------------------------------------------------------
# Closing brackets and quotes: how far back can a model look?
# ----------------------------------------------------------------------------------------------
CLOSERS = {"bracket": ")]}", "quote": "'\""}


def closers(text: str) -> dict:
    """Every closing bracket and every closing quote of a one-line string literal (not a triple
    quote) in ``text`` (Python source), with its opener, from ``tokenize``: kind -> ``(opener
    positions (K,), closer positions (K,))`` as int arrays. The distance is ``closer - opener``."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    starts = _line_offsets(text)

    def at(pos):
        return starts[pos[0] - 1] + pos[1]

    out = {"bracket": ([], []), "quote": ([], [])}
    stack = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            stack.append(at(tok.start))
        elif tok.type == tokenize.OP and tok.string in ")]}":
            if stack:
                out["bracket"][0].append(stack.pop())
                out["bracket"][1].append(at(tok.start))
        elif tok.type == tokenize.STRING:
            body = tok.string.lstrip("rRbBuUfF")
            if body[:3] in ('"""', "'''") or tok.start[0] != tok.end[0]:
                continue
            a, b = at(tok.start), at(tok.end)
            out["quote"][0].append(a + len(tok.string) - len(body))
            out["quote"][1].append(b - 1)
    return {k: (np.array(o, dtype=np.int64), np.array(c, dtype=np.int64)) for k, (o, c) in out.items()}


DISTANCE_BINS = (1, 3, 5, 9, 17, 33, 65)
"""Left edges of the distance bins: 1-2, 3-4, 5-8, 9-16, 17-32, 33-64, 65 and more."""


def _bin_labels(edges) -> list[str]:
    labels = []
    for a, b in zip(edges, list(edges[1:]) + [None]):
        labels.append(f"{a}+" if b is None else (f"{a}" if b == a + 1 else f"{a}-{b - 1}"))
    return labels


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CloserTable:
    """For each model and each kind of closer (``"bracket"``, ``"quote"``), per distance bin
    (``edges``): ``count``, ``p`` the mean probability the model gave the right closing character
    where it comes, and ``share``: that probability divided by the probability of all closers of
    that kind (which bracket or which quote, given that one closes here); ``common``: the mean
    ``share`` of a model that knows only how often each closer of the kind comes at that distance
    (it gives each the share of its frequency: the sum of the squared frequencies). ``models``:
    names."""

    models: tuple
    edges: tuple
    count: dict  # kind -> (bins,)
    p: dict  # (model, kind) -> (bins,)
    share: dict  # (model, kind) -> (bins,)
    common: dict  # kind -> (bins,): the share a model knowing only the closers' frequencies would give

    @property
    def labels(self) -> list[str]:
        return _bin_labels(self.edges)

    def table(self, kind: str) -> str:
        """Rows: distance bins; columns: count, then ``p`` and ``share`` of each model."""
        if kind not in CLOSERS:
            raise ValueError(f"kind: expected one of {tuple(CLOSERS)}, got {kind!r}")
        which = tr("which")
        cols = "".join(f" {m + ' p':>9} {m + ' ' + which:>11}" for m in self.models)
        head = f"{tr('distance'):>9} {tr('count'):>6} {tr('freq only'):>9}{cols}"
        closing = tr("closing brackets") if kind == "bracket" else tr("closing quotes")
        rows = [tr("{closing}: p = probability of the right closer; which = its share among {closers}; freq only "
                   "= that share from the closers' frequencies alone", closing=closing,
                   closers=" ".join(CLOSERS[kind])),
                head, "-" * len(head)]
        for b, lab in enumerate(self.labels):
            vals = "".join(f" {self.p[m, kind][b]:>9.2f} {self.share[m, kind][b]:>11.2f}" for m in self.models)
            rows.append(f"{lab:>9} {self.count[kind][b]:>6} {self.common[kind][b]:>9.2f}{vals}")
        return "\n".join(rows)


def closer_table(models: dict, corpus: Corpus, *, edges=DISTANCE_BINS, batch_size: int = VALID_BATCH) -> CloserTable:
    """Run each model (name -> ``CharModel``) over the validation text (``batch_size`` streams,
    as ``charlm.evaluate``) and measure, for every closing bracket and quote of ``closers`` that it
    predicts, the probability it gave the right closer, by distance to the opener."""
    if not models:
        raise ValueError("models: expected at least one model, got none")
    edges = tuple(int(e) for e in edges)
    if list(edges) != sorted(set(edges)) or edges[0] < 1:
        raise ValueError(f"edges: expected increasing whole numbers >= 1, got {edges}")
    text, ids, vocab = corpus.valid_text, corpus.valid_ids, corpus.vocab
    found = {}
    for name, start in corpus.valid_starts.items():  # per file: tokenize needs whole files
        for kind, (o, c) in closers(corpus.files[name]).items():
            found.setdefault(kind, []).append((o + start, c + start))
    found = {k: (np.concatenate([a for a, _ in v]), np.concatenate([b for _, b in v])) for k, v in found.items()}
    keep_chars = {k: vocab.encode(s) for k, s in CLOSERS.items()}
    keep = np.concatenate(list(keep_chars.values()))
    count, p, share, common = {}, {}, {}, {}
    for kind, (o, c) in found.items():
        b = np.searchsorted(edges, c - o, side="right") - 1
        which = np.searchsorted(np.sort(keep_chars[kind]), ids[c])  # 0.. for the kind's closers
        table = np.zeros((len(edges), len(CLOSERS[kind])))
        np.add.at(table, (b, which), 1)
        with np.errstate(invalid="ignore"):
            freq = table / table.sum(axis=1, keepdims=True)
        common[kind] = np.sum(freq ** 2, axis=1)
    for name, model in models.items():
        pos, logp, kept = charlm.next_char_log_probs(model, ids, batch_size=batch_size, keep=keep)
        full_logp = np.full(len(text), np.nan)
        full_logp[pos] = logp
        full_kept = np.full((len(text), keep.size), np.nan)
        full_kept[pos] = kept
        col = 0
        for kind in CLOSERS:
            o, c = found[kind]
            k = len(CLOSERS[kind])
            at = c - 1  # the closer is predicted after reading the character before it
            ok = ~np.isnan(full_logp[at])
            d = (c - o)[ok]
            pr = np.exp(full_logp[at[ok]])
            tot = full_kept[at[ok], col:col + k].sum(axis=1)
            b = np.searchsorted(edges, d, side="right") - 1
            count[kind] = np.bincount(b, minlength=len(edges))
            with np.errstate(invalid="ignore"):
                p[name, kind] = np.bincount(b, weights=pr, minlength=len(edges)) / count[kind]
                share[name, kind] = np.bincount(b, weights=pr / tot, minlength=len(edges)) / count[kind]
            col += k
    return CloserTable(tuple(models), edges, count, p, share, common)


# ----------------------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------------------
def sample_table(model: CharModel, prime: str, *, temperatures=(0.5, 1.0, 1.5), length: int = 240,
                 seed: int = 0, vocab: Vocabulary = ASCII) -> str:
    """``length`` characters sampled after ``prime`` at each temperature (same seed), one block each."""
    blocks = []
    for tau in temperatures:
        text = charlm.sample_text(model, vocab, prime, length, temperature=tau, rng=seed)
        blocks.append(tr("--- temperature {tau:g} ---", tau=tau) + f"\n{prime}{text}")
    return "\n".join(blocks)


# ----------------------------------------------------------------------------------------------
# The explorers' computations
# ----------------------------------------------------------------------------------------------
PASSAGES = {
    "random: choice and shuffle": ("random", "    def choice(self, seq):"),
    "textwrap: dedent": ("textwrap", "def dedent(text):"),
    "textwrap: indent": ("textwrap", "def indent(text, prefix, predicate=None):"),
    "csv: Sniffer._guess_quote_and_delimiter": ("csv", "    def _guess_quote_and_delimiter("),
    "calendar: weekday and friends": ("calendar", "def weekday(year, month, day):"),
    "pprint: PrettyPrinter.__init__": ("pprint", "    def __init__(self, indent=1, width=80, depth=None, stream=None, *,"),
}
"""Validation passages the cell explorer offers: name -> (module, the line it starts with)."""


def passage(corpus: Corpus, name: str, max_chars: int = 500) -> str:
    """The passage ``name`` of ``PASSAGES``: from its first line, whole lines of the validation
    file up to ``max_chars`` characters, as they stand in the file."""
    if name not in PASSAGES:
        raise ValueError(f"name: expected one of {sorted(PASSAGES)}, got {name!r}")
    module, first = PASSAGES[name]
    text = corpus.files[module]
    start = text.index("\n" + first) + 1
    out, n = [], 0
    for line in text[start:].splitlines(keepends=True):
        if n + len(line) > max_chars:
            break
        out.append(line)
        n += len(line)
    return "".join(out)


def text_features(corpus: Corpus, text: str) -> dict:
    """``char_features`` of ``text``, except when ``text`` is a stretch of the validation text:
    then its slice of ``corpus.valid_features`` (a passage cut out of a file may end inside a
    string or a bracket, where ``tokenize`` alone would give up)."""
    k = corpus.valid_text.find(text) if text else -1
    if k >= 0:
        return {f: v[k:k + len(text)] for f, v in corpus.valid_features.items()}
    return char_features(text)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CellView:
    """What the cell explorer draws: the ``text``, the chosen cell's value ``cell (n,)`` and gates
    (name -> ``(n,)``), the ground-truth ``feature (n,)`` (NaN where tokenize gave up),
    ``feature_scaled`` (the same in [0, 1] for the picture), ``r_here`` (the cell's correlation
    with the feature in this text; NaN if undefined) and the ``title``."""

    text: str
    layer: int
    unit: int
    cell: np.ndarray
    gates: dict
    feature: np.ndarray
    feature_scaled: np.ndarray
    feature_label: str
    r_here: float
    title: str


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


class CellLab:
    """The cell explorer's computation: a model, the ``CellSearch`` that names each feature's best
    cell, and the last text read (``trace`` runs again only when the text changes)."""

    def __init__(self, model: CharModel, search: CellSearch, corpus: Corpus | None = None):
        _check_model_arg(model)
        self.model, self.search = model, search
        self.corpus = load_corpus() if corpus is None else corpus
        self.vocab = self.corpus.vocab
        self._text, self._trace, self._features = None, None, None

    def _read(self, text: str):
        if text != self._text:
            self._trace = trace(self.model, text, self.vocab)
            self._features = text_features(self.corpus, text)
            self._text = text
        return self._trace, self._features

    def view(self, text: str, feature: str, layer: int, unit: int) -> CellView:
        """The picture's data for ``text``, the ground truth ``feature`` and cell ``unit`` of
        ``layer`` (0-based)."""
        if feature not in FEATURES:
            raise ValueError(f"feature: expected one of {FEATURES}, got {feature!r}")
        if not isinstance(text, str) or not text.strip():
            text = " "
        read, feats = self._read(text)
        if not 0 <= layer < len(read.layers):
            raise ValueError(f"layer: expected 0 to {len(read.layers) - 1}, got {layer}")
        H = read.layers[layer]["cell"].shape[1]
        if not 0 <= unit < H:
            raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
        d = read.layers[layer]
        cell = d["cell"][:, unit]
        gates = {g: d[g][:, unit] for g in _GATES[model_of(self.model.layers[layer]).name]}
        f = feats[feature]
        top = np.nanmax(f) if np.any(~np.isnan(f)) else 0.0
        scaled = f / top if top > 1 else f
        r = _corr(cell, f)
        bl, bu = self.search.best[feature]
        k = self.search.features.index(feature)
        best = (f"the best cell for '{FEATURE_TITLES[feature]}' (held-out r = {self.search.r_report[k, bl, bu]:+.2f})"
                if (bl, bu) == (layer, unit) else
                f"best for '{FEATURE_TITLES[feature]}': L{bl + 1}:{bu}, held-out r = {self.search.r_report[k, bl, bu]:+.2f}")
        here = "n/a" if np.isnan(r) else f"{r:+.2f}"
        title = f"layer {layer + 1}, cell {unit}: {best};  r in this text {here}"
        label = f"{FEATURE_TITLES[feature]}" + (f" (0 to {top:g})" if top > 1 else "")
        return CellView(text, layer, unit, cell, gates, f, scaled, label, r, title)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SampleView:
    """What the sampling explorer draws: the ``prime``, the sampled ``text``, the probability of
    each drawn character ``probs (len(text),)``, the ``title``."""

    prime: str
    text: str
    probs: np.ndarray
    title: str


def sample_view(models: dict, name: str, prime: str, temperature: float, seed: int, *,
                length: int = 400, vocab: Vocabulary = ASCII) -> SampleView:
    """``length`` characters of model ``name`` (of ``models``: name -> ``CharModel``) after
    ``prime`` at ``temperature`` with ``seed``."""
    if name not in models:
        raise ValueError(f"name: expected one of {sorted(models)}, got {name!r}")
    if not isinstance(prime, str) or not prime:
        prime = "\n"
    ids, probs = charlm.sample(models[name], vocab.encode(prime, errors="replace"), length,
                               temperature=temperature, rng=seed)
    text = vocab.decode(ids)
    low = float(np.mean(probs < 0.1))
    who = MODEL_SPECS[name].title if name in MODEL_SPECS else name
    title = (f"{who}, temperature {temperature:.2f}, seed {seed}: {len(text)} characters, "
             f"{100 * low:.0f}% of them drawn with probability below 0.1")
    return SampleView(prime, text, probs, title)


# ----------------------------------------------------------------------------------------------
# Small tables and checks the chapter prints
# ----------------------------------------------------------------------------------------------
def feature_table(text: str) -> str:
    """``text`` (a line or two of Python) with the ground truth of every feature under each
    character: 1/0 for the binary ones, the count for the others (``*`` for 10 or more, ``?``
    where tokenize gave up)."""
    feats = char_features(text)
    shown = "".join("\u21b5" if ch == "\n" else ch for ch in text)

    def cell(v):
        if np.isnan(v):
            return "?"
        return "*" if v >= 10 else str(int(v))

    rows = [f"{tr('text'):<19} {shown}"]
    titles = feature_titles()
    for f in FEATURES:
        rows.append(f"{titles[f]:<19} " + "".join(cell(v) for v in feats[f]))
    return "\n".join(rows)


def carried_state_check(*, kind: str = "lstm", layers: int = 2, T: int = 12, split: int = 5, seed: int = 0) -> str:
    """Truncated BPTT's two facts, measured on a small random model in float64: (1) reading a
    sequence in two chunks, the second from the first's final states, gives exactly the logits of
    reading it whole; (2) giving the first chunk's backward the gradient the second chunk sends
    to its initial states (``dstates0``) gives exactly the gradients of full BPTT, and leaving it
    out (truncation) does not."""
    rng = np.random.default_rng(seed)
    m = charlm.init_model(kind, len(ASCII), 8, seed, num_layers=layers, embedding_size=4, dtype=np.float64)
    ids = rng.integers(0, len(ASCII), (T, 3))
    targets = rng.integers(0, len(ASCII), (T, 3))
    from ..losses import softmax_cross_entropy
    whole, cache = charlm.forward(ids, m)
    _, d = softmax_cross_entropy(whole, targets)
    g = charlm.backward(d, cache)
    first, c1 = charlm.forward(ids[:split], m)
    second, c2 = charlm.forward(ids[split:], m, c1.final_states)
    g2 = charlm.backward(d[split:], c2)
    g1 = charlm.backward(d[:split], c1, dstates=g2.dstates0)
    g1t = charlm.backward(d[:split], c1)

    def worst(a_list, b_list):
        return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)) for a, b in zip(a_list, b_list))

    full = worst([a + b for a, b in zip(g1.arrays(), g2.arrays())], g.arrays())
    trunc = worst([a + b for a, b in zip(g1t.arrays(), g2.arrays())], g.arrays())
    logits = float(np.max(np.abs(np.concatenate([first, second]) - whole)))
    return "\n".join([
        tr("{layers}-layer {model}, {T} steps read as chunks of {a} and {b}:", layers=layers,
           model=get_model(kind).title, T=T, a=split, b=T - split),
        "  " + tr("logits: chunks with carried state = whole sequence (to 1e-12):         {ok}", ok=logits < 1e-12),
        "  " + tr("gradients: dstates0 passed back = full BPTT (to 1e-12, relative):     {ok}", ok=full < 1e-12),
        "  " + tr("gradients: nothing passed back (truncated BPTT), largest relative difference {diff:.2f}",
                  diff=trunc)])


def live_training(corpus: Corpus, *, steps: int = 500, hidden: int = 96, chunk: int = 32, batch: int = 16,
                  seed: int = 0, progress=None) -> History:
    """A small one-layer LSTM trained for ``steps`` steps on the training text from its start,
    scored on the first 20 000 validation characters (a few seconds: the chapter's live run)."""
    model = charlm.init_model("lstm", len(corpus.vocab), hidden, seed)
    return charlm.train(model, corpus.train_ids, steps=steps, batch_size=batch, chunk=chunk, lr=1e-2,
                        final_lr=2e-3, eval_ids=corpus.valid_ids[:20_000], eval_every=max(1, steps // 3),
                        eval_batch_size=16, progress=progress,
                        label=tr("LSTM {hidden}, live (bits/char)", hidden=hidden))


def live_summary(hist: History, *, below: float = 3.5) -> str:
    """What a live run showed, coarse enough to hold on any machine."""
    start, end = float(hist.eval_loss[0]), float(hist.eval_loss[-1])
    return tr("validation bits per character before training above 6: {before}; after {steps} steps below "
              "{below:g}: {after}", before=start > 6, steps=hist.steps, below=below, after=end < below)


def evaluation_check(shipped: ShippedModel, corpus: Corpus) -> str:
    """The recorded validation bits per character of a shipped model beside a fresh evaluation."""
    now = charlm.evaluate(shipped.model, corpus.valid_ids, batch_size=VALID_BATCH)
    return tr("{name}: recorded by the training script {recorded:.3f}, evaluated now {now:.3f} bits per "
              "character ({n:,} validation characters)", name=shipped.name, recorded=shipped.valid_bpc, now=now,
              n=len(corpus.valid_ids))


def training_cost_table(models: dict) -> str:
    """How each shipped model was trained and how long it took (as the training script recorded
    it): steps, characters read, wall time, ms per step, the machine."""
    head = f"{tr('model'):<8} {tr('steps'):>6} {tr('characters'):>12} {tr('wall time (s)'):>14} {tr('ms/step'):>8}"
    rows = [head, "-" * len(head)]
    total = 0.0
    for n, s in models.items():
        sp, m = s.spec, s.meta
        rows.append(f"{n:<8} {sp.steps:>6} {sp.steps * sp.chunk * sp.batch:>12,} {m['wall_seconds']:>14.0f} "
                    f"{m['median_step_ms']:>8.1f}")
        total += m["wall_seconds"]
    rows.append(f"{tr('total'):<8} {'':>6} {'':>12} {total:>14.0f}")
    return "\n".join(rows)


def best_cell_views(lab: CellLab, text: str) -> list:
    """One ``CellView`` per feature: ``text`` coloured by that feature's best cell, titled with
    the cell and its held-out correlation (for ``plots.ch07.plot_best_cells``)."""
    views = []
    for k, f in enumerate(lab.search.features):
        layer, unit = lab.search.best[f]
        v = lab.view(text, f, layer, unit)
        title = (f"{FEATURE_TITLES[f]}: layer {layer + 1}, cell {unit}   (held-out r = "
                 f"{lab.search.r_report[k, layer, unit]:+.2f}; in this passage {v.r_here:+.2f})")
        views.append(dataclasses.replace(v, title=title))
    return views
