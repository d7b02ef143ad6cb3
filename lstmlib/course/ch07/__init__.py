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
from .cells import (
    _GATE_NAMES,
    _GATES,
    CellSearch,
    Saturation,
    Trace,
    _check_model_arg,
    _gate_names,
    _Moments,
    _one_thread,
    _probe,
    _search_pass,
    _spread,
    _walk,
    cell_search,
    saturation,
    trace,
)
from .checks import (
    best_cell_views,
    carried_state_check,
    evaluation_check,
    feature_table,
    live_summary,
    live_training,
    training_cost_table,
)
from .closers import CLOSERS, DISTANCE_BINS, CloserTable, _bin_labels, closer_table, closers
from .corpus import (
    CORPUS_DIR,
    DATA_DIR,
    FEATURE_TITLES,
    FEATURES,
    TRAIN_FILES,
    VALID_BATCH,
    VALID_FILES,
    WEIGHTS_PATH,
    Corpus,
    _line_offsets,
    char_features,
    corpus_table,
    feature_titles,
    load_corpus,
)
from .lab import (
    PASSAGES,
    CellLab,
    CellView,
    SampleView,
    _corr,
    passage,
    sample_table,
    sample_view,
    text_features,
)
from .models import (
    COMPARISON,
    MODEL_SPECS,
    ModelSpec,
    ShippedModel,
    _model_arrays,
    bpc_table,
    history_dict,
    load_models,
    matched_hidden_size,
    parameter_count,
    save_models,
    settings_table,
    shipped_models,
)

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
