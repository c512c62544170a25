"""Parse what the user typed into a parameter editor, by the parameter's kind. Qt-free.

Returns (value, None) or (None, reason). Values are refused with a reason, never clamped: the
inspector shows the reason under the field and leaves the spec unchanged.
"""
from __future__ import annotations

import math
import re
from typing import Any

from engine.net import check_value
from gui.editor.catalogue import Param

_SPLIT = re.compile(r"[\s,×*]+|(?<=\d)[xX](?=\d)")  # "3, 32, 32", "3 32 32", "3x32x32"


def _bounds(p: Param, v: float) -> str | None:
    if p.minimum is not None and v < p.minimum:
        return f"must be at least {p.minimum:g}" if isinstance(p.minimum, (int, float)) else "too small"
    if p.maximum is not None and v > p.maximum:
        return f"must be at most {p.maximum:g}" if isinstance(p.maximum, (int, float)) else "too large"
    return None


def _int(text: str, p: Param) -> tuple[Any, str | None]:
    try:
        v = int(text)
    except ValueError:
        return None, f"'{text}' is not a whole number"
    err = _bounds(p, v)
    return (None, err) if err else (v, None)


def parse(p: Param, text: str) -> tuple[Any, str | None]:
    """Empty text means 'use the default' (the value None removes the parameter from the spec).
    A parsed value also passes the engine's own check (engine.net.layers.check_value), so the editor
    refuses exactly what the validator would flag."""
    value, reason = _parse(p, text)
    if reason is None and value is not None and p.spec is not None:
        problem = check_value(p.spec, value)
        if problem:
            return None, problem
    return value, reason


def _parse(p: Param, text: str) -> tuple[Any, str | None]:
    text = text.strip()
    if text == "":
        if p.required:
            return None, f"{p.name} is required"
        return None, None
    kind = p.kind
    if p.nullable and text.lower() in ("none", "null"):
        return None, None
    if kind == "int":
        return _int(text, p)
    if kind == "int_or_pair":
        parts = [t for t in _SPLIT.split(text.strip("()[] ")) if t]
        if len(parts) not in (1, 2):
            return None, "give one number (3) or two (3, 5)"
        values = []
        for part in parts:
            v, err = _int(part, p)
            if err:
                return None, err
            values.append(v)
        return (values[0] if len(values) == 1 else values), None
    if kind == "float":
        try:
            v = float(text)
        except ValueError:
            return None, f"'{text}' is not a number"
        if not math.isfinite(v):
            return None, "must be a finite number"
        err = _bounds(p, v)
        return (None, err) if err else (v, None)
    if kind == "bool":
        low = text.lower()
        if low in ("true", "1", "yes", "on"):
            return True, None
        if low in ("false", "0", "no", "off"):
            return False, None
        return None, "true or false"
    if kind == "choice":
        for c in p.choices:
            if str(c) == text:
                return c, None
        return None, "one of " + ", ".join(str(c) for c in p.choices)
    return text, None


def to_text(value: Any) -> str:
    """The editor's text for a value from the spec."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_shape(text: str) -> tuple[list[int] | None, str | None]:
    """The input shape: 'C, H, W' or 'features'; every dimension a positive whole number."""
    parts = [t for t in _SPLIT.split(text.strip().strip("()[]")) if t]
    if not 1 <= len(parts) <= 3:
        return None, "give C, H, W (e.g. 1, 28, 28) or a feature count"
    dims = []
    for part in parts:
        try:
            d = int(part)
        except ValueError:
            return None, f"'{part}' is not a whole number"
        if d < 1:
            return None, "every dimension must be at least 1"
        dims.append(d)
    return dims, None
