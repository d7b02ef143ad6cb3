"""The ipywidgets explorers. Each is a function returning a widget; its compute lives in a
separate, tested function and its drawing in ``plots``, so both can be tested and timed."""
from __future__ import annotations

# === chapters 00-03 section: end ===

# === chapters 04-06 section: end ===
