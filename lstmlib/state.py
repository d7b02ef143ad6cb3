"""What a recurrent model carries from one step to the next, in one form for every model.

The state is PyTorch's: the array ``h (B, H)`` for the RNN and the GRU, the pair ``(h, c)`` for the
LSTM, as an ``LSTMState`` (a named tuple: ``h, c = state`` and ``state.h`` both work). A stack of
layers carries a list of these, one per layer, bottom first. ``None`` stands for zeros.

The same form goes in and comes out everywhere, so a chunk's final state feeds the next call
directly::

    hs, cache = lstm_forward(X1, p)                     # from zeros
    hs, cache = lstm_forward(X2, p, cache.final_state)  # carried on
    g = lstm_backward(dhs, cache, dstate)                # dstate: dE/d(final state), same form
    g.dstate0                                            # dE/d(initial state), same form

A state handed out is always a fresh copy: nothing a caller holds changes when a later call
reuses its buffers.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["LSTMState", "SequenceCache"]


class LSTMState(NamedTuple):
    """The LSTM's state: the output ``h (B, H)`` and the cell state ``c (B, H)``."""

    h: np.ndarray
    c: np.ndarray


class SequenceCache:
    """What every sequence cache offers, readable or fast: ``h (T, B, H)``, ``hT (B, H)`` and
    ``final_state``, the state to start the next chunk from (a copy). A cache class sets
    ``has_cell`` (the LSTM) and stores ``X``, ``params`` and ``hs``."""

    has_cell = False

    h = property(lambda self: self.hs, doc="output h_t, (T, B, H), read-only")
    hT = property(lambda self: self.hs[-1], doc="final output h_T, (B, H), read-only")

    @property
    def final_state(self):
        """``h_T``, or ``LSTMState(h_T, c_T)`` for the LSTM: fresh copies. A fast cache whose
        workspace a later forward pass has overwritten is refused (its arrays are that pass's)."""
        stamp = getattr(self, "stamp", None)  # (workspace, generation) of a fused cache built in one
        if stamp is not None and stamp[0].generation != stamp[1]:
            raise ValueError("cache: expected the cache of the latest forward pass with its workspace, got "
                             "one whose arrays a later forward pass has overwritten (take final_state before "
                             "it)")
        h = self.hs[-1].copy()
        return LSTMState(h, np.array(self.cT)) if self.has_cell else h

    def __repr__(self) -> str:
        T, B = self.X.shape[:2]
        return f"{type(self).__name__}(T={T}, B={B}, {self.params!r})"
