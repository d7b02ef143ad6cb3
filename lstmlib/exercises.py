"""Self-checks for the exercises that end each chapter: each function takes the reader's answer
and returns a ``Verdict`` that says right or wrong, and why."""
from __future__ import annotations

# === chapters 00-03 section: end ===

# === chapters 04-06 section: end ===
