"""The registry of models: the one place that knows which functions belong to which model.

Code that must work for the RNN, the LSTM and the GRU alike (gradient checks, training, stacking,
the course's comparisons) asks ``model_of(p)`` or ``MODELS[name]`` instead of testing types::

    m = model_of(p)                                   # the Model that p belongs to
    hs, cache = m.forward(X, p, state)                # state: {"h": h0, "c": c0} or None
    g = m.backward(dhs, cache, dstate)                # dstate: gradients on the final states
    cache.final_state, g.dstate0                      # {"h": ..., "c": ...} for the next chunk

``forward`` and ``backward`` are the fast ``fused`` functions; ``reference=True`` runs the
readable loops of ``rnn``, ``lstm``, ``gru`` instead (the tests hold the two equal).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from . import fused, gru, lstm, rnn

__all__ = ["Model", "MODELS", "model_of", "get_model"]


@dataclasses.dataclass(frozen=True)
class Model:
    """One recurrent model: its name, parameter and gradient classes, the names of its states
    (``("h", "c")`` for the LSTM, ``("h",)`` otherwise) and its functions."""

    name: str
    title: str
    params: type
    grads: type
    states: tuple[str, ...]
    step_forward: Callable
    step_backward: Callable
    reference_forward: Callable
    reference_backward: Callable
    fast_forward: Callable
    fast_backward: Callable

    def init(self, input_size: int, hidden_size: int, rng, **kw):
        """``params.init(input_size, hidden_size, rng, **kw)``."""
        return self.params.init(input_size, hidden_size, rng, **kw)

    def _state_kwargs(self, state, prefix: str, suffix: str) -> dict:
        state = dict(state or {})
        unknown = set(state) - set(self.states)
        if unknown:
            raise ValueError(f"state: expected keys among {self.states} for the {self.title}, "
                             f"got {sorted(unknown)}")
        return {prefix + name + suffix: value for name, value in state.items()}

    def forward(self, X: np.ndarray, p, state: dict | None = None, *, reference: bool = False,
                workspace: fused.Workspace | None = None):
        """``(hs, cache)`` of the sequence forward from ``state`` (``{"h": (B, H), ...}``, missing
        states are zeros). ``workspace`` goes to the fused function."""
        kw = self._state_kwargs(state, "", "0")
        if reference:
            return self.reference_forward(X, p, **kw)
        return self.fast_forward(X, p, **kw, workspace=workspace)

    def backward(self, dhs: np.ndarray, cache, dstate: dict | None = None, *,
                 workspace: fused.Workspace | None = None, state_grads: bool = False):
        """The gradients of the sequence backward; ``dstate`` holds gradients on the final states
        (``{"h": dE/dh_T, "c": dE/dc_T}``). Runs the function that matches ``cache``."""
        kw = self._state_kwargs(dstate, "d", "T")
        if isinstance(cache, tuple(_FUSED_CACHES.values())):
            return self.fast_backward(dhs, cache, **kw, workspace=workspace, state_grads=state_grads)
        return self.reference_backward(dhs, cache, **kw, state_grads=state_grads)


_FUSED_CACHES = {"rnn": fused.FusedRNNCache, "lstm": fused.FusedLSTMCache, "gru": fused.FusedGRUCache}

MODELS: dict[str, Model] = {
    "rnn": Model("rnn", "RNN", rnn.RNNParams, rnn.RNNGrads, ("h",), rnn.rnn_step_forward,
                 rnn.rnn_step_backward, rnn.rnn_forward, rnn.rnn_backward, fused.rnn_forward,
                 fused.rnn_backward),
    "lstm": Model("lstm", "LSTM", lstm.LSTMParams, lstm.LSTMGrads, ("h", "c"), lstm.lstm_step_forward,
                  lstm.lstm_step_backward, lstm.lstm_forward, lstm.lstm_backward, fused.lstm_forward,
                  fused.lstm_backward),
    "gru": Model("gru", "GRU", gru.GRUParams, gru.GRUGrads, ("h",), gru.gru_step_forward,
                 gru.gru_step_backward, gru.gru_forward, gru.gru_backward, fused.gru_forward,
                 fused.gru_backward),
}
"""``"rnn"``, ``"lstm"``, ``"gru"`` -> ``Model``, in the order the course always draws them."""


def get_model(name: str, argument: str = "model") -> Model:
    """``MODELS[name]``, with a ValueError naming ``argument`` and listing the names when ``name``
    is not one."""
    if name not in MODELS:
        raise ValueError(f"{argument}: expected one of {tuple(MODELS)}, got {name!r}")
    return MODELS[name]


def model_of(p) -> Model:
    """The ``Model`` whose parameters (or gradients) ``p`` is."""
    for m in MODELS.values():
        if isinstance(p, (m.params, m.grads)):
            return m
    raise ValueError(f"p: expected RNNParams, LSTMParams or GRUParams, got {type(p).__name__}")
