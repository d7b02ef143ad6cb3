"""Synthetic sequence tasks from a seed (no downloads): the adding problem, temporal order, ..."""
from __future__ import annotations
