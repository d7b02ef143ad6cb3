"""Chapter 07's computations: a character model on real text, and a look inside it.

- ``corpus``: a fixed snapshot of 30 pure-Python modules of CPython 3.11.7's standard library
  (``data/python_stdlib``, PSF license beside it), split by file into training and validation text,
  and the ground truth ``tokenize`` gives every character (``char_features``);
- ``models``: how each shipped model was trained (``ModelSpec``, ``MODEL_SPECS``), parameter counts
  from the registry, one ``lstmlib.saving`` file per model (``data/charlm/<name>.npz``);
- ``training``: one function that trains a spec with ``train.fit`` (scripts, sweeps and the live
  run alike), and what is measured of a trained model (per file, for intervals);
- ``comparison``: the sweeps' results read back: learning rates, the comparison with its intervals;
- ``closers``: closing brackets and quotes by distance to their opener, per file;
- ``cells``: cells chosen on training files and measured on validation files, saturation;
- ``quality``: how much of a sample ``tokenize`` accepts;
- ``lab``, ``checks``: what the explorers compute, the chapter's small checks and tables.

The model mathematics is ``lstmlib.network`` and ``lstmlib.charlm``; nothing here re-implements it.
"""

from .cells import (GATE_TITLES, cell_search, CellSearch, gate_letters, layer_values, Moments, partial_r,
    saturation, Saturation, search_tables, Trace, trace)
from .checks import (best_cell_views, carried_state_check, evaluation_check, feature_table,
    training_cost_table)
from .closers import (CLOSERS, DISTANCE_BINS, FINE_BINS, bootstrap_files, closer_sites, closer_table,
    closers, CloserTable, merge_bins, model_closer_counts)
from .comparison import (MATCHED_HIDDEN, MATCHED_PARAMETERS, best_learning_rates, best_runs, comparison_table, compute_seconds, config_name,
    config_title, configs, difference_interval, flagship_label, flagship_table, flattening_summary,
    learning_rates, learning_rates_of, load_sweep, lr_table, per_file_table, ranking_counts, ranking_summary,
    runs_by)
from .corpus import (CORPUS_DIR, DATA_DIR, FEATURE_TITLES, FEATURES, MODELS_DIR, TRAIN_FILES, VALID_BATCH,
    VALID_FILES, char_features, Corpus, corpus_table, feature_titles, load_corpus)
from .diagnosis import (diagnosis_rows, diagnosis_table, sweep_cost_table, truncation_closers,
    truncation_groups, truncation_scores)
from .lab import (PASSAGES, THUMBNAIL_TEXT, CellLab, CellView, check_seed, model_title, outside_notice,
    passage, sample_table, sample_view, SampleView, text_features)
from .models import (COMPARISON, GATED, MODEL_SPECS, bpc_table, load_model, load_models, matched_hidden_size,
    model_path, ModelSpec, parameter_count, save_model, settings_table, shipped_models, ShippedModel)
from .quality import line_ok, lines_ok, primers, quality_line, sample_quality, SampleQuality
from .training import (history_dict, live_configuration, live_report, live_run, live_summary, machine, measure,
    optimizer_for, per_file_bits, run_record, shipped_from_record, train_spec)
