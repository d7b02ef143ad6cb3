"""How gradients flow back in time: what chapters 01 and 04 measure and plot.

(Chapters 01-03 section first, chapters 04-06 section after it.)
"""
from __future__ import annotations

import numpy as np

# === chapters 00-03 section: end ===

# === chapters 04-06 section: end ===
