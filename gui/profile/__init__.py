"""The GUI of profiling: the Run tab's Profile button (launcher), a profile over a canvas (marks,
overlay, legend), the Profile tab (view: roofline, summary) and the window's Profile menu (actions).
Importing this package loads nothing heavy; the profile model loads with the first profile."""
from __future__ import annotations

SHORTCUT = "Ctrl+Shift+R"
TOOLTIP = ("A separate, slower run under the profiler that shows where the step time goes; its throughput "
           f"is not a benchmark ({SHORTCUT})")
