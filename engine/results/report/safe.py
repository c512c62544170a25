"""What a report may show of stored results: they can come from anywhere (an imported file, a damaged
history), so before any writer sees them, numbers no figure can hold become "not available", text
is cut to a readable length and made one printable line, and chart text cannot start mathtext.
Torch-free.

    shown = [displayable(r) for r in sane]   # for the HTML, PDF and charts
    sane = [finite(r) for r in results]      # for the CSV and JSON (full text)
"""
from __future__ import annotations

import math
from typing import Any

from engine.results.result import RunResult
from engine.shown_text import one_line

TEXT_CHARS = 160  # a name, id or message in a report; a 1 MB run id broke the PDF layout
LONG_TEXT_CHARS = 600  # an error or a quality warning
CHART_CHARS = 40  # a label beside a bar or a dot
CSV_CELL_CHARS = 32_000  # spreadsheets refuse longer cells (Excel: 32,767)
MAX_ABS_INT = 2**63 - 1  # no count, size or byte figure is larger; 10**400 broke float conversions
_REQUIRED_INTS = {"params", "flops_per_sample", "steps", "samples"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _walk(value: Any, key: str, fix_text: Any, notes: list[str]) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) <= MAX_ABS_INT:
            return value
        notes.append(key)
        return 0 if key in _REQUIRED_INTS else None
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        notes.append(key)
        return None
    if isinstance(value, str):
        return fix_text(key, value)
    if isinstance(value, dict):
        return {fix_text("", str(k)): _walk(v, str(k), fix_text, notes) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, key, fix_text, notes) for v in value]
    return value


def _rebuild(r: RunResult, fix_text: Any) -> RunResult:
    notes: list[str] = []
    data = _walk(r.model_dump(mode="python"), "", fix_text, notes)
    try:
        out = RunResult.model_validate(data)
    except ValueError:  # a field the walk could not mend: keep the original rather than lose the run
        return r
    if notes:
        shown = ", ".join(sorted(set(notes))[:5])
        out.quality.append(f"figures out of any sensible range were left out as not available ({shown})")
    return out


def finite(r: RunResult) -> RunResult:
    """`r` with numbers no figure can hold (10**400, inf, NaN) replaced by None (0 for counts)."""
    return _rebuild(r, lambda _key, text: text)


def displayable(r: RunResult) -> RunResult:
    """finite(r) with every text one printable line of readable length (the spec and series too)."""
    def fix(key: str, text: str) -> str:
        return one_line(text, LONG_TEXT_CHARS if key in ("error", "quality") else TEXT_CHARS)
    return _rebuild(r, fix)


def chart_text(text: object) -> str:
    """Text for a matplotlib label: every `$` escaped so nothing is parsed as mathtext
    (`$\\foo$ net` raised ParseFatalException)."""
    return one_line(text, CHART_CHARS).replace("$", r"\$")


def csv_cell(value: object) -> object:
    """A CSV value a spreadsheet shows as text: one starting like a formula (= + - @, tab, CR) gets
    a leading apostrophe, so `=HYPERLINK(...)` is never run; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")[:CSV_CELL_CHARS]
    return "'" + text if text.startswith(_FORMULA_START) else text
