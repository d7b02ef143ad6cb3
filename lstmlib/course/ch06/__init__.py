"""Chapter 06's computations: seeded training runs that test what the papers claim, over many
seeds, and measurements of what training did to the models.

A ``RunSpec`` says everything about one training run (model, task, sizes, optimizer, seeds), so a
run is a pure function of its spec: ``run(spec)`` trains it with ``train.fit`` and returns a
``RunResult`` (the trained model, snapshots at every evaluation, and a ``RunRecord`` of its
numbers). Every model of one task is scored on the same held-out sequences.

The comparisons draw on many seeds, too many to train while the chapter runs: the sweeps
(``sweeps.plans``) are trained by ``scripts/ch06_sweeps.py`` into a small file the course ships,
which ``load_sweeps`` reads. ``model_comparison``, ``gru_vs_lstm`` and ``clipping_comparison``
turn the records into one table each and ``Finding``s worded by what the seeds can tell
(``stats``: medians with bootstrap intervals, Fisher's test, the sign test). The chapter trains one
configuration live (``sweeps.live_specs``: the adding problem's models from one seed) and looks
inside it (``after_training``); ``watch_explosion`` retrains one clipping run step by step.

Modules: ``runs`` (one run), ``sizes`` (matched parameter counts), ``examples`` (the tasks
shown), ``loop`` (the loop's pieces checked), ``stats``, ``findings``, ``sweeps``,
``comparisons``, ``clipping``, ``after_training``.
"""
from .after_training import (
    BeforeAfter, GateHold, GateTraces, ReachAcrossSeeds, ReachOverTraining, gate_hold, gate_traces,
    gradient_flow_before_after, hold, keep_gate, reach, reach_across_seeds, reach_over_training,
    sigmoid_gates, snapshot_reach,
)
from .clipping import (
    GROUPS as CLIP_GROUPS, STABLE_FACTOR, ExplosionWatch, clip_group, clipping_comparison, clipping_records,
    stability, watch_explosion,
)
from .comparisons import TASK_NAMES, gru_vs_lstm, model_comparison, steps_to_target
from .examples import adding_example, baseline_table, temporal_order_example
from .findings import OUTCOMES, Comparison, Finding, outcome
from .loop import EPS_RANGE, first_steps_table, loss_gradient_check
from .runs import (
    TASK_TARGETS, TASKS, RunCache, RunRecord, RunResult, RunSpec, held_out_set, initial_model, run, seed_number,
)
from .sizes import matched_sizes, parameter_count, sizes_table
from .stats import ALPHA, LEVEL, Median, Race, more_often_p, race, sign_test_p
from .sweeps import DATA, Plan, Settings, Sweeps, jobs, live_specs, load_sweeps, plans, record, run_job, save

__all__ = [
    "RunSpec", "RunResult", "RunRecord", "RunCache", "run", "initial_model", "held_out_set", "TASKS",
    "TASK_TARGETS", "seed_number", "parameter_count", "matched_sizes", "sizes_table", "adding_example",
    "temporal_order_example", "baseline_table", "loss_gradient_check", "first_steps_table", "EPS_RANGE",
    "ALPHA", "LEVEL", "Median", "Race", "race", "more_often_p", "sign_test_p", "Finding", "Comparison",
    "OUTCOMES", "outcome", "Settings", "Plan", "plans", "record", "save", "load_sweeps", "Sweeps", "DATA",
    "live_specs", "jobs", "run_job", "model_comparison", "gru_vs_lstm", "steps_to_target", "TASK_NAMES", "STABLE_FACTOR",
    "CLIP_GROUPS", "clip_group", "stability", "clipping_records", "clipping_comparison", "ExplosionWatch",
    "watch_explosion", "BeforeAfter", "gradient_flow_before_after", "ReachOverTraining", "reach_over_training",
    "ReachAcrossSeeds", "reach_across_seeds", "GateHold", "gate_hold", "GateTraces", "gate_traces", "reach",
    "keep_gate", "hold", "snapshot_reach", "sigmoid_gates",
]
