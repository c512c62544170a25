"""The one reader of a user's JSON files (a spec, a run result, an import): one clear message per
failure, naming the file and the problem; the caller passes the error type its own callers catch.
Torch-free.

Refused, each with its own message: a missing, unreadable, non-regular (FIFO, device) or oversized
file; text that is not UTF-8 or not JSON; nesting deeper than MAX_DEPTH; a key given twice in one
object; an integer of more than MAX_INT_DIGITS digits, a number that is not finite (NaN, 1e400);
a string holding a lone surrogate (it could never be stored or printed). Everything a caller gets
back is plain JSON data a model can validate.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024  # far above any spec or result (a 10,000-layer spec is ~1 MB)
MAX_DEPTH = 64  # real documents nest a handful of levels
MAX_INT_DIGITS = 30  # > 10**30 is no size, count or seed this app has
_SHOW = 40  # characters of an offending value or key shown in a message


class _Bad:
    """A parsed value the reader refuses; found afterwards by a walk that knows its place."""

    def __init__(self, why: str) -> None:
        self.why = why


class _Refused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _short(text: str) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOW else text[:_SHOW] + "…"


def _int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Bad(f"the integer {text[:12]}… ({digits} digits) is too large")
    return int(text)


def _float(text: str) -> Any:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Bad(f"the number {_short(text)} is too large")
    return value


def _constant(text: str) -> Any:
    return _Bad(f"{text} is not a number JSON allows")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"the key {_short(key)!r} appears twice in one object")
        out[key] = value
    return out


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _where(path: list[Any]) -> str:
    return ".".join(_short(str(p)) for p in path) or "the document"


def _check(data: Any) -> str | None:
    """The first refused value, with its place; None when the document is fine. Iterative: the
    depth is bounded here, so nothing later recurses without limit."""
    todo: list[tuple[Any, list[Any]]] = [(data, [])]
    while todo:
        value, path = todo.pop()
        if len(path) > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep (at {_where(path[:4])}…)"
        if isinstance(value, _Bad):
            return f"{_where(path)}: {value.why}"
        if isinstance(value, str):
            if _lone_surrogate(value):
                return f"{_where(path)}: the text holds a lone surrogate (\\ud800-\\udfff), which is not a character"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _lone_surrogate(key):
                    return f"{_where(path)}: a key holds a lone surrogate (\\ud800-\\udfff), which is not a character"
                todo.append((item, [*path, key]))
        elif isinstance(value, list):
            todo.extend((item, [*path, i]) for i, item in enumerate(value))
    return None


def parse_json(text: str, source: str, error: type[Exception]) -> Any:
    """Parsed JSON of `text` (from `source`, named in messages), or `error` saying what is wrong."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                          parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except _Refused as exc:
        raise error(f"{source}: {exc.why}") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply (more than {MAX_DEPTH} levels)") from None
    problem = _check(data)
    if problem is not None:
        raise error(f"{source}: {problem}")
    return data


def read_text(path: str | Path, error: type[Exception], kind: str, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most max_bytes; `error` naming the file otherwise."""
    p = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the checks below run on what was opened
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not a {kind}") from None
    except PermissionError:
        raise error(f"{p}: permission denied") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise error(f"{p}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{p}: is a folder, not a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{p}: is not a regular file (a pipe or a device), not a {kind}")
        if info.st_size > max_bytes:
            raise error(f"{p}: {info.st_size:,} bytes is too large for a {kind} (at most {max_bytes:,})")
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{p}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:  # grew since stat
        raise error(f"{p}: too large for a {kind} (at most {max_bytes:,} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{p}: not a text file (not UTF-8)") from None


def read_json(path: str | Path, error: type[Exception], kind: str, max_bytes: int = MAX_BYTES) -> Any:
    """The parsed JSON of `path`; `error` (e.g. SpecFormatError) for a missing, unreadable, odd or
    malformed file. `kind` names what the file should be ("spec file", "result file")."""
    return parse_json(read_text(path, error, kind, max_bytes), str(path), error)
