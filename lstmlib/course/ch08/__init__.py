"""Chapter 08, LSTM variants: which parts of the LSTM matter (Greff et al. 2017; Jozefowicz,
Zaremba and Sutskever 2015; Gers, Schmidhuber and Cummins 2000; Gers and Schmidhuber 2000).

==============  =====================================================================================
``sweep``       the training sweep: configurations, tasks, one run from its spec, the results file
``parts``       the variants' parameter counts, every switch off = chapter 02's LSTM, gradient checks
``stream``      the cell state on a continual stream, the gradient's reach, the explorer's data
``verdicts``    each variant against V with intervals; the papers' claims point by point
==============  =====================================================================================
"""
from .parts import (VARIANT_LABELS, GradcheckRow, SwitchedOff, gradcheck_table, parameter_table, switched_off,
                    variant_options)
from .stream import (CellDrift, Reach, VariantLab, cell_drift, drift_table, lab_readings, reach, reach_table, stream_inputs,
                     variant_params)
from .sweep import (CONFIGS, RESULTS_PATH, SEEDS, TASK_SETTINGS, Config, Rerun, RunResult, RunSpec, SweepResults,
                    TaskSetting, cost_text, load_results, matched_hidden_size, model_parameter_count, rerun, run,
                    run_specs, save_results, settings_table)
from .verdicts import Claim, Comparison, claims, claims_table, compare, comparison_table, lr_table
