"""Chapter 07's computations (work in progress: migrating to the new model layer)."""
from .corpus import (CORPUS_DIR, DATA_DIR, FEATURE_TITLES, FEATURES, MODELS_DIR, TRAIN_FILES, VALID_BATCH,
                     VALID_FILES, Corpus, char_features, corpus_table, feature_titles, load_corpus)
from .models import (COMPARISON, GATED, MODEL_SPECS, ModelSpec, ShippedModel, bpc_table, load_model, load_models,
                     matched_hidden_size, model_path, parameter_count, save_model, settings_table, shipped_models)
from .training import (history_dict, live_summary, live_training, measure, optimizer_for,
                       per_file_bits, run_record, train_spec)
from .closers import (CLOSERS, DISTANCE_BINS, FINE_BINS, CloserTable, closer_table, closers, closer_sites,
                      model_closer_counts, bootstrap_files, merge_bins)
from .comparison import (best_learning_rates, best_runs, comparison_table, compute_seconds, config_name,
                         config_title, configs, difference_interval, flattening_summary, load_sweep, lr_table,
                         ranking_counts, runs_by)
from .quality import SampleQuality, line_ok, lines_ok, primers, quality_line, sample_quality
from .cells import (GATE_TITLES, CellSearch, Moments, Saturation, Trace, cell_search, gate_letters, layer_values, partial_r, saturation, trace)
