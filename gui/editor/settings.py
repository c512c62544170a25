"""What the app remembers between launches (QSettings): recent files, the last folder, window
geometry and splitter layout. Tests point QSettings at a temporary folder (tests/gui/conftest.py)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


def settings() -> QSettings:
    # INI everywhere (not the Windows registry): one readable file, and tests can redirect it.
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "tradeoff-lab", "tradeoff-lab")


def recent_files() -> list[Path]:
    raw = settings().value("recent_files", [])
    if isinstance(raw, str):  # QSettings returns a lone string for a one-element list
        raw = [raw]
    return [Path(p) for p in (raw or [])]


def add_recent(path: Path) -> list[Path]:
    path = Path(path).resolve()
    files = [path] + [p for p in recent_files() if p != path]
    files = files[:MAX_RECENT]
    s = settings()
    s.setValue("recent_files", [str(p) for p in files])
    s.setValue("last_dir", str(path.parent))
    return files


def clear_recent() -> None:
    settings().setValue("recent_files", [])


def last_dir() -> str:
    return str(settings().value("last_dir", "") or Path.home())


def save_bytes(key: str, value: QByteArray) -> None:
    settings().setValue(key, value)


def load_bytes(key: str) -> QByteArray | None:
    value = settings().value(key)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
