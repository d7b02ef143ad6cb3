"""Reusable temporary buffers for the backward passes.

A backward pass writes every step's error terms into one large array, sums it into the weight
gradients, and drops it. At the benchmark's largest size that array is hundreds of MB; allocated
afresh on every call, its pages are faulted in and zeroed by the kernel each time, and the same
backward pass took between 1.0 and 1.5 s from one call to the next (float32, B=128, T=200, H=512).
Keeping the last buffer of each kind per thread removes that cost and that variance.

Only temporaries that never leave the function that asked for them live here, so no caller can
observe a reused buffer; one buffer per name and thread stays allocated between calls.
"""
from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def scratch(name: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reused across calls with the same
    ``name`` in this thread. The caller must not return it or keep it."""
    buffers = _local.__dict__.setdefault("buffers", {})
    a = buffers.get(name)
    if a is None or a.shape != tuple(shape) or a.dtype != dtype:
        buffers.pop(name, None)  # free the old one before allocating its successor
        a = buffers[name] = np.empty(shape, dtype=dtype)
    return a
