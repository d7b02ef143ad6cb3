"""Stacked recurrent layers: each layer reads the outputs of the one below.

Forward, layer 1 reads ``X`` and every layer above reads the ``hs`` of the layer below. Backward,
each layer's ``dX`` is the error the layer below receives at its outputs: the article's equation 14
("the error passed to the layer below") made real. Layers may be different models::

    layers = [LSTMParams.init(D, H, rng), LSTMParams.init(H, H, rng)]
    hs, cache = stack_forward(X, layers)            # hs: the top layer's outputs (T, B, H)
    grads = stack_backward(dhs, cache)              # one Grads per layer; grads[0].dX is dE/dX
    cache.final_states                              # [{"h": ..., "c": ...}, ...] for the next chunk
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from .fused import Workspace
from .models import model_of

__all__ = ["StackCache", "stack_forward", "stack_backward"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class StackCache:
    """Each layer's cache, bottom first."""

    layers: tuple

    @property
    def final_states(self) -> list[dict]:
        """Each layer's final state, bottom first: what the next chunk starts from."""
        return [c.final_state for c in self.layers]

    def __repr__(self) -> str:
        return f"StackCache({len(self.layers)} layers: {', '.join(type(c).__name__ for c in self.layers)})"


def _per_layer(values, n: int, name: str) -> list:
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name}: expected one entry per layer ({n}), got {len(values)}")
    return values


def stack_forward(X: np.ndarray, layers: Sequence, states: Sequence[dict | None] | None = None, *,
                  reference: bool = False, workspace: Workspace | None = None):
    """Run the layers bottom to top. ``X (T, B, D)``; ``layers``: parameter objects, the first with
    input size D and each next one with input size = the hidden size below; ``states``: one
    ``{"h": ..., "c": ...}`` (or ``None``) per layer. Returns ``(hs, StackCache)``, ``hs`` the top
    layer's outputs ``(T, B, H_top)``."""
    layers = list(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, got none")
    states = _per_layer(states, len(layers), "states")
    caches, x = [], X
    for k, (p, state) in enumerate(zip(layers, states)):
        part = None if workspace is None else workspace.part(k)
        x, cache = model_of(p).forward(x, p, state, reference=reference, workspace=part)
        caches.append(cache)
    return x, StackCache(tuple(caches))


def stack_backward(dhs: np.ndarray, cache: StackCache, dstates: Sequence[dict | None] | None = None, *,
                   workspace: Workspace | None = None) -> list:
    """Backpropagate through the layers top to bottom. ``dhs (T, B, H_top)``: ``dE/dh_t`` of the
    top layer's outputs; ``dstates``: gradients on each layer's final states (or ``None``).
    Returns each layer's gradients, bottom first; ``[0].dX`` is ``dE/dX``."""
    if not isinstance(cache, StackCache):
        raise ValueError(f"cache: expected the StackCache returned by stack_forward, got {type(cache).__name__}")
    dstates = _per_layer(dstates, len(cache.layers), "dstates")
    grads = []
    for k in reversed(range(len(cache.layers))):
        c = cache.layers[k]
        part = None if workspace is None else workspace.part(k)
        g = model_of(c.params).backward(dhs, c, dstates[k], workspace=part)
        grads.append(g)
        dhs = g.dX  # the error this layer passes to the outputs of the layer below
    return grads[::-1]
