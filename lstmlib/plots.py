"""The matplotlib figures the notebooks show. Each function draws into given or new axes and
returns the figure; the numbers it draws come from tested functions elsewhere in lstmlib."""
from __future__ import annotations

# === chapters 00-03 section: end ===

# === chapters 04-06 section: end ===
