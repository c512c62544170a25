"""The exporter's names for the engine's atomic writer (engine.files); spec files are read and written
through engine.net (load_spec, save_spec)."""
from __future__ import annotations

from engine.errors import FileWriteError as SaveError
from engine.files import write_text_atomic as atomic_write_text

__all__ = ["SaveError", "atomic_write_text"]
