"""Stacked recurrent layers: each layer reads the outputs of the one below.

Forward, layer 1 reads ``X`` and every layer above reads the ``hs`` of the layer below. Backward,
each layer's ``dX`` is the error the layer below receives at its outputs: the article's equation 14
("the error passed to the layer below") made real. Layers may be different models::

    layers = [LSTMParams.init(D, H, rng), GRUParams.init(H, H, rng)]
    hs, cache = stack_forward(X, layers)             # hs: the top layer's outputs (T, B, H)
    grads = stack_backward(dhs, cache)               # one Grads per layer; grads[0].dX is dE/dX
    hs, cache = stack_forward(X2, layers, cache.final_state)   # the next chunk: [(h, c), h]

A stack's state is a list with one state per layer, bottom first, each in its model's form
(``lstmlib.state``); ``None`` (for the list or for one layer) means zeros.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from .fused import Workspace
from .models import model_of
from .state import LSTMState

__all__ = ["StackCache", "stack_forward", "stack_backward"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class StackCache:
    """Each layer's cache, bottom first."""

    layers: tuple
    masks: tuple = ()

    @property
    def final_state(self) -> list:
        """Each layer's final state (copies), bottom first: what the next chunk starts from."""
        return [c.final_state for c in self.layers]

    def __repr__(self) -> str:
        return f"StackCache({len(self.layers)} layers: {', '.join(type(c).__name__ for c in self.layers)})"


def _per_layer(values, n: int, name: str) -> list:
    if values is None:
        return [None] * n
    if not isinstance(values, (list, tuple)) or isinstance(values, LSTMState):
        raise ValueError(f"{name}: expected a list with one state per layer ({n}), bottom first, "
                         f"got {type(values).__name__}" + (" (wrap one layer's state: [state])"
                                                          if isinstance(values, (np.ndarray, LSTMState)) else ""))
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name}: expected one entry per layer ({n}), got {len(values)}")
    return values


def stack_forward(X: np.ndarray, layers: Sequence, state: Sequence | None = None, *,
                  masks: Sequence | None = None, reference: bool = False,
                  workspace: Workspace | None = None):
    """Run the layers bottom to top. ``X (T, B, D)``; ``layers``: parameter objects, the first with
    input size D and each next one with input size = the hidden size below; ``state``: one state
    per layer (or ``None``); ``masks``: one array (or ``None``) per layer, multiplied into that
    layer's input, the shape of it (dropout on the connections between layers, never on the
    recurrent ones: Zaremba et al. 2014). Returns ``(hs, StackCache)``, ``hs`` the top layer's
    outputs ``(T, B, H_top)``; ``cache.final_state`` continues from where it ended."""
    layers = list(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, got none")
    states = _per_layer(state, len(layers), "state")
    masks = _per_layer(masks, len(layers), "masks")
    caches, x = [], X
    for k, (p, state, mask) in enumerate(zip(layers, states, masks)):
        if mask is not None:
            if np.shape(mask) != np.shape(x):  # a (B, D) mask would broadcast over time, silently
                raise ValueError(f"masks[{k}]: expected None or shape {np.shape(x)} like the layer's input, "
                                 f"got {np.shape(mask)}")
            x = x * mask  # the layer reads a thinned copy of what is below
        part = None if workspace is None else workspace.part(k)
        x, cache = model_of(p, f"layers[{k}]").forward(x, p, state, reference=reference, workspace=part)
        caches.append(cache)
    return x, StackCache(tuple(caches), tuple(masks))


def stack_backward(dhs: np.ndarray, cache: StackCache, dstate: Sequence | None = None, *,
                   workspace: Workspace | None = None) -> list:
    """Backpropagate through the layers top to bottom. ``dhs (T, B, H_top)``: ``dE/dh_t`` of the
    top layer's outputs; ``dstate``: the gradient arriving at each layer's final state (or
    ``None``). Returns each layer's gradients, bottom first; ``[0].dX`` is ``dE/dX`` and
    ``[k].dstate0`` the gradient of layer k's initial state."""
    if not isinstance(cache, StackCache):
        raise ValueError(f"cache: expected the StackCache returned by stack_forward, got {type(cache).__name__}")
    dstates = _per_layer(dstate, len(cache.layers), "dstate")
    grads = []
    for k in reversed(range(len(cache.layers))):
        c = cache.layers[k]
        part = None if workspace is None else workspace.part(k)
        g = model_of(c.params).backward(dhs, c, dstates[k], workspace=part)
        if cache.masks and cache.masks[k] is not None:  # back through the mask: dE/d(input) * mask
            g = dataclasses.replace(g, dX=g.dX * cache.masks[k])
        grads.append(g)
        dhs = g.dX  # the error this layer passes to the outputs of the layer below
    return grads[::-1]
