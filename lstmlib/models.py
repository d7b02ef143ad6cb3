"""The registry of models: the one place that knows which functions and facts belong to which model.

Code that must work for the RNN, the LSTM and the GRU alike (gradient checks, stacks, training,
sampling, saving, the course's comparisons) asks ``model_of(p)`` or ``MODELS[name]`` instead of
testing types or names::

    m = MODELS["lstm"]
    p = m.init(D, H, rng, forget_bias=1.0)            # options and their defaults: m.options
    hs, cache = m.forward(X, p, state)                # fast; reference=True: the readable loops
    g = m.backward(dhs, cache, dstate)
    state, step = m.step_forward(x, p, state)          # one step (generation, one character at a time)
    m.title, m.gates, m.has_cell, m.parameter_count(D, H)
    m.keep(cache), m.keep_name                        # what the memory keeps per step: f, 1 - z

A model's init options and their defaults are read off its parameter class's ``init``, so there is
one table of defaults: the one in the signatures.
"""
from __future__ import annotations

import dataclasses
import inspect
from typing import Callable

import numpy as np

from . import _validate, fused, fused_variants, gru, lstm, rnn, variants
from .params import Params

__all__ = ["Model", "MODELS", "MORE_MODELS", "model_of", "get_model"]


@dataclasses.dataclass(frozen=True)
class Model:
    """One recurrent model: its name and title, parameter and gradient classes, whether its state
    has a cell state (the LSTM's ``(h, c)``) and its functions: one step forward and backward, the
    readable sequence loops and the fast ones.

    ``keep(cache) -> (T, B, H)``: what the memory keeps of itself at each step along its direct
    path, read off a sequence cache (readable or fast), named by ``keep_name``: the LSTM's forget
    gate f (``c_t = f_t c_{t-1} + i_t c~_t``), the GRU's ``1 - z`` (``h_t = (1 - z_t) h_{t-1} +
    z_t h~_t``). ``None`` for the RNN, whose state has no such path."""

    name: str
    title: str
    params: type
    grads: type
    has_cell: bool
    step_forward: Callable
    step_backward: Callable
    reference_forward: Callable
    reference_backward: Callable
    fast_forward: Callable
    fast_backward: Callable
    fast_cache: type
    keep: Callable | None = None
    keep_name: str = ""
    fast_stepper: Callable | None = None

    @property
    def gates(self) -> int:
        """How many row blocks of ``H`` the fused weights hold (4, 3, 1)."""
        return len(self.params.gates)

    @property
    def options(self) -> dict:
        """The model's own init options and their defaults, e.g. ``{"forget_bias": 0.0}``."""
        sig = inspect.signature(self.params.init)
        return {n: q.default for n, q in sig.parameters.items()
                if q.kind is q.KEYWORD_ONLY and n not in ("dtype", "scale")}

    def check_options(self, options: dict) -> dict:
        """``options`` if each is one of this model's, else a ValueError naming it."""
        allowed = self.options
        for name in options:
            if name not in allowed:
                mine = ", ".join(allowed) or "none"
                raise ValueError(f"{name}: not an option of the {self.title} (its options: {mine})")
        return dict(options)

    def init(self, input_size: int, hidden_size: int, rng, *, dtype=np.float64,
             scale: float | None = None, **options) -> Params:
        """Fresh parameters: ``params.init(input_size, hidden_size, rng, ...)``; an option this
        model does not have (``forget_bias`` for the GRU) is refused."""
        return self.params.init(input_size, hidden_size, rng, dtype=dtype, scale=scale,
                                **self.check_options(options))

    def parameter_count(self, input_size: int, hidden_size: int, **options) -> int:
        """How many numbers a layer of these sizes learns (by formula, nothing allocated)."""
        return self.params.parameter_count(input_size, hidden_size, **self.check_options(options))

    def check_state(self, state, batch: int, hidden_size: int, dtype, name: str = "state"):
        """``state`` in this model's form (zeros for ``None``), checked; see ``lstmlib.state``."""
        return _validate.state(state, name, cell=self.has_cell, batch=batch, size=hidden_size, dtype=dtype)

    def state_arrays(self, state) -> tuple[np.ndarray, ...]:
        """The arrays of a state: ``(h,)`` or ``(h, c)``."""
        return tuple(state) if self.has_cell else (state,)

    def forward(self, X: np.ndarray, p, state=None, *, reference: bool = False,
                workspace: fused.Workspace | None = None):
        """``(hs, cache)`` of the sequence forward from ``state`` (``None``: zeros): the fast
        function, or with ``reference=True`` the readable loop (which takes no workspace)."""
        if reference:
            if workspace is not None:
                raise ValueError("workspace: expected None with reference=True (the readable loops "
                                 "allocate their own arrays), got a Workspace")
            return self.reference_forward(X, p, state)
        return self.fast_forward(X, p, state, workspace=workspace)

    def stepper(self, p) -> Callable:
        """``step(x (B, D), state) -> state``: one step forward without a cache, for generation
        (one character at a time): the fast step kernel the sequence loop runs, prepared once for
        the weights ``p`` has now, or the readable ``step_forward`` for a model without one."""
        if self.fast_stepper is not None:
            return self.fast_stepper(p)
        _validate.params(p, self.params)

        def step(x, state=None):
            return self.step_forward(x, p, state)[0]
        return step

    def backward(self, dhs: np.ndarray, cache, dstate=None, *, state_grads: bool = False,
                 workspace: fused.Workspace | None = None):
        """The gradients of the sequence backward that matches ``cache`` (fast or readable);
        ``dstate``: the gradient arriving at the final state (``None``: zeros)."""
        if isinstance(cache, self.fast_cache):
            return self.fast_backward(dhs, cache, dstate, state_grads=state_grads, workspace=workspace)
        if workspace is not None:
            raise ValueError("workspace: expected None for a readable cache (reference=True), got a Workspace")
        return self.reference_backward(dhs, cache, dstate, state_grads=state_grads)


MODELS: dict[str, Model] = {
    "rnn": Model("rnn", "RNN", rnn.RNNParams, rnn.RNNGrads, False, rnn.rnn_step_forward,
                 rnn.rnn_step_backward, rnn.rnn_forward, rnn.rnn_backward, fused.rnn_forward,
                 fused.rnn_backward, fused.FusedRNNCache, fast_stepper=fused.rnn_stepper),
    "lstm": Model("lstm", "LSTM", lstm.LSTMParams, lstm.LSTMGrads, True, lstm.lstm_step_forward,
                  lstm.lstm_step_backward, lstm.lstm_forward, lstm.lstm_backward, fused.lstm_forward,
                  fused.lstm_backward, fused.FusedLSTMCache, lambda cache: np.array(cache.f), "f",
                  fused.lstm_stepper),
    "gru": Model("gru", "GRU", gru.GRUParams, gru.GRUGrads, False, gru.gru_step_forward,
                 gru.gru_step_backward, gru.gru_forward, gru.gru_backward, fused.gru_forward,
                 fused.gru_backward, fused.FusedGRUCache, lambda cache: 1.0 - np.asarray(cache.z), "1 - z",
                 fused.gru_stepper),
}
"""``"rnn"``, ``"lstm"``, ``"gru"`` -> ``Model``, in the order the course always draws them."""

MORE_MODELS: dict[str, Model] = {
    "lstm_variant": Model("lstm_variant", "LSTM variant", variants.VariantLSTMParams, variants.VariantLSTMGrads,
                          True, variants.variant_step_forward, variants.variant_step_backward,
                          variants.variant_forward, variants.variant_backward, fused_variants.variant_forward,
                          fused_variants.variant_backward, fused_variants.FusedVariantCache),
}
"""Models beyond the three the course compares side by side: chapter 08's LSTM variants (one model
whose options ``variant`` and ``peepholes`` switch Greff et al.'s changes on). ``get_model`` and
``model_of`` find them as they find those of ``MODELS`` (so stacks, ``network``, ``train``,
``saving`` and ``check_gradients`` work with them); loops over ``MODELS`` do not meet them."""


def get_model(name: str, argument: str = "model") -> Model:
    """``MODELS[name]``, with a ValueError naming ``argument`` and listing the names when ``name``
    is not one."""
    if not isinstance(name, str) or name not in {**MODELS, **MORE_MODELS}:
        raise ValueError(f"{argument}: expected one of {tuple(MODELS) + tuple(MORE_MODELS)}, got {name!r}")
    return {**MODELS, **MORE_MODELS}[name]


def model_of(p, argument: str = "p") -> Model:
    """The ``Model`` whose parameters (or gradients) ``p`` is."""
    for m in (*MODELS.values(), *MORE_MODELS.values()):
        if isinstance(p, (m.params, m.grads)):
            return m
    raise ValueError(f"{argument}: expected RNNParams, LSTMParams, GRUParams or VariantLSTMParams, "
                     f"got {type(p).__name__}")
