"""Losses, optimizers, gradient-norm clipping and a training loop with a progress bar."""
from __future__ import annotations
