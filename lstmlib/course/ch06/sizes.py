"""Chapter 06: model sizes with matched parameter counts (the comparison of Chung et al. 2014)."""
from __future__ import annotations

from ... import _validate
from ...models import MODELS, get_model
from ..i18n import N_, tr
from ..tables import fixed_columns
from .runs import TASKS

_ANY_T = 50  # a task's input and output sizes do not depend on its length
_TASK_LABELS = {"adding": N_("adding"), "temporal-order": N_("temporal-order")}  # the table's short names


def _task_sizes(task: str) -> tuple[int, int]:
    if task not in TASKS:
        raise ValueError(f"task: expected one of {tuple(TASKS)}, got {task!r}")
    t = TASKS[task](_ANY_T)
    return t.input_size, t.output_size


def parameter_count(kind: str, task: str, hidden_size: int) -> int:
    """Trainable numbers of one ``kind`` layer of ``hidden_size`` units with its linear head, on
    ``task``: the registry's count for the layer (``G H (H + D) + G H`` with ``G`` = 1, 4, 3 blocks
    for the RNN, LSTM, GRU) plus ``K H + K`` for the head."""
    model = get_model(kind, "kind")
    D, K = _task_sizes(task)
    H = _validate.positive_int(hidden_size, "hidden_size")
    return model.parameter_count(D, H) + K * H + K


def matched_sizes(task: str, lstm_hidden: int = 16, *, reference: str = "lstm") -> dict[str, int]:
    """``{kind: H}`` for every model of the registry, in its order: the ``reference`` model gets
    ``lstm_hidden`` units and every other model the number that brings its parameter count (head
    included) closest to the reference's on ``task``."""
    want = parameter_count(reference, task, lstm_hidden)
    return {kind: lstm_hidden if kind == reference else
            min(range(1, 8 * lstm_hidden), key=lambda H, k=kind: abs(parameter_count(k, task, H) - want))
            for kind in MODELS}


def sizes_table(lstm_hidden: int = 16) -> str:
    """Hidden size H and parameter count of each model on each task, matched to the LSTM."""
    rows = [(tr(_TASK_LABELS[task]), MODELS[kind].title, H, parameter_count(kind, task, H))
            for task in TASKS for kind, H in matched_sizes(task, lstm_hidden).items()]
    return fixed_columns([("<", 16), ("<", 7), (">", 4), (">", 12)],
                         [(tr("task"), tr("model"), "H", tr("parameters"))], rows)
