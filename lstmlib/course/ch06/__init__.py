"""Chapter 06's computations: small, seeded training runs that test what the papers claim, and
measurements of what training did to the models.

A ``RunSpec`` says everything about one training run (model, task, sizes, optimizer, seeds), so a
run is a pure function of its spec: ``run(spec)`` builds the task, the model and the optimizer from
it, trains with ``train.fit`` and returns a ``RunResult`` (with snapshots of the model taken at every
evaluation, for measuring what training changed). Every model of one task is scored on the same
held-out sequences (drawn from a seed that depends on the task and T alone). A ``RunCache`` held by
the caller lets a later experiment reuse a run an earlier one trained.

Each experiment runs a handful of specs and returns an ``Experiment``: the measurements as a table,
a coarse summary that does not depend on the last bits of float32 rounding (the same on every
CPU), and, for each paper's claim, the measured result and a verdict by a stated criterion.

After training: ``gradient_flow_before_after`` (how far back the gradient reaches, before and after
training), ``reach_over_training`` (the same along the way, from the snapshots), ``gate_hold``
(each unit's forget or update gate before and after) and ``gate_traces`` (the gates of a trained
model over one sequence). ``watch_explosion`` measures, step by step, what an exploding gradient
does to a plain RNN with and without clipping.
"""
from .after_training import (
    BeforeAfter,
    GateHold,
    GateTraces,
    ReachOverTraining,
    _first_marker,
    _hold,
    _keep_gate,
    _traces,
    gate_hold,
    gate_traces,
    gradient_flow_before_after,
    reach_over_training,
)
from .experiments import (
    _CLIP_GROUPS,
    Claim,
    Experiment,
    ExplosionWatch,
    _clip_group,
    _clip_group_names,
    _count,
    _fmt,
    _group_lines,
    _median_steps,
    _order_words,
    _races,
    _reached_text,
    _run_names,
    _runs,
    _seeds,
    _sooner,
    _task_name,
    _task_specs,
    _yes,
    adding_experiment,
    clipping_experiment,
    gru_vs_lstm,
    stability,
    temporal_order_experiment,
    watch_explosion,
)
from .loop import chapter06_settings, claims_summary, first_steps_table, loss_gradient_check, timing_table
from .runs import (
    _EVAL_SEED,
    _TASK_SIZES,
    STABLE_FACTOR,
    TASK_TARGETS,
    RunCache,
    RunResult,
    RunSpec,
    _frozen_copy,
    held_out_set,
    initial_model,
    matched_sizes,
    parameter_count,
    run,
    sizes_table,
)

__all__ = [
    "RunSpec", "RunResult", "RunCache", "run", "initial_model", "held_out_set", "Claim", "Experiment",
    "parameter_count", "matched_sizes", "sizes_table", "adding_experiment",
    "temporal_order_experiment", "gru_vs_lstm", "clipping_experiment", "stability",
    "STABLE_FACTOR", "ExplosionWatch", "watch_explosion", "TASK_TARGETS", "BeforeAfter",
    "gradient_flow_before_after", "ReachOverTraining", "reach_over_training", "GateHold", "gate_hold",
    "GateTraces", "gate_traces", "loss_gradient_check", "first_steps_table", "timing_table",
    "chapter06_settings", "claims_summary",
]
