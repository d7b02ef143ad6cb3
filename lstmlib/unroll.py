"""Unrolling in time, for any recurrent model: what turns one step into a whole sequence.

Forward, a sequence is the model's step forward applied at every step, the state it returns at
step t going into step t+1. Backward, backpropagation through time (BPTT) is the model's step
backward applied from the last step to the first: the error reaching ``h_t`` is the loss's own
gradient at step t plus what step t+1 sends back, and because every step uses the same weights,
their gradient is the sum of the steps' shares. Nothing here knows which model it runs: the RNN,
the LSTM (whose state is ``(h, c)``) and the GRU all unroll the same way.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["forward", "backward", "sequence_grads"]


def forward(step_forward: Callable, X: np.ndarray, p, state: tuple) -> tuple[np.ndarray, tuple]:
    """Run ``step_forward(x_t, p, *state)`` for t = 1..T over ``X (T, B, D)`` from ``state``
    (``(h0,)`` or ``(h0, c0)``). Returns ``hs (T, B, H)``, read-only, and the steps' caches."""
    hs, steps = [], []
    for x in X:
        h, *rest, step = step_forward(x, p, *state)  # (h, cache) or (h, c, cache)
        state = (h, *rest)  # what step t+1 starts from
        hs.append(h)
        steps.append(step)
    hs = np.stack(hs)
    hs.flags.writeable = False  # the caches hold these states
    return hs, tuple(steps)


def backward(step_backward: Callable, dhs: np.ndarray, steps: tuple, dstate: tuple) -> list:
    """BPTT: ``step_backward(dh_t, *carried, cache_t)`` for t = T..1. ``dhs (T, B, H)``: the loss's
    gradient at every output; ``dstate``: the gradients arriving at the final state from later on
    (``(dhT,)`` or ``(dhT, dcT)``). Returns every step's gradients (``Grads``), step 1 first."""
    shares = []
    for t in reversed(range(len(steps))):
        dh, *carried = dstate  # what step t+1 sent back to h_t (and, for the LSTM, to c_t)
        g = step_backward(dhs[t] + dh, *carried, steps[t])  # + the loss's own gradient at t
        shares.append(g)
        dstate = tuple(g.dstate0.values())  # what step t sends back to step t-1
    return shares[::-1]


def sequence_grads(grads_class, shares: list, state_grads: bool):
    """One ``Grads`` for the whole sequence from the steps' ``shares`` (step 1 first): each
    parameter's gradient is the sum of every step's share (the weights are shared by all steps),
    ``dX`` stacks the steps' ``dX``, the initial states' gradients are what step 1 sent back, and
    with ``state_grads`` the per-step totals (``dh``, and the LSTM's ``dc``) are stacked too."""
    totals = [sum(parts) for parts in zip(*(g.arrays() for g in shares))]
    first = shares[0].dstate0
    extra = {f"d{name}0": value for name, value in first.items()}
    if state_grads:
        extra.update({f"d{name}": np.stack([getattr(g, "d" + name) for g in shares]) for name in first})
    return grads_class(*totals, dX=np.stack([g.dX for g in shares]), **extra)


class SequenceCache:
    """What every sequence cache offers, readable or fused: ``h (T, B, H)``, the final states
    (``hT``, and ``cT`` for the LSTM) and ``final_state``, the dict to start the next chunk from.
    A cache class sets ``states`` and stores ``X``, ``params`` and ``hs``."""

    states: tuple = ("h",)

    h = property(lambda self: self.hs, doc="output h_t, (T, B, H)")
    hT = property(lambda self: self.hs[-1], doc="final state h_T, (B, H)")

    @property
    def final_state(self) -> dict:
        """``{"h": h_T}`` (and ``"c": c_T`` for the LSTM): the state to start the next chunk from."""
        return {name: getattr(self, name + "T") for name in self.states}

    def __repr__(self) -> str:
        T, B = self.X.shape[:2]
        return f"{type(self).__name__}(T={T}, B={B}, {self.params!r})"
