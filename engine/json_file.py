"""Reading a user's JSON file (a spec, a run result) with one clear message per failure, naming the
file: the caller passes the error type its own callers catch. Torch-free."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def parse_json(text: str, source: str, error: type[Exception]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def read_json(path: str | Path, error: type[Exception], kind: str) -> Any:
    """The parsed JSON of `path`; `error` (e.g. SpecFormatError) for a missing, unreadable or
    malformed file. `kind` names what the file should be ("spec file", "result file")."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not a {kind}") from None
    except PermissionError:
        raise error(f"{p}: permission denied") from None
    except UnicodeDecodeError:
        raise error(f"{p}: not a text file (not UTF-8)") from None
    except OSError as exc:
        raise error(f"{p}: cannot be read ({exc.strerror})") from None
    return parse_json(text, str(p), error)
