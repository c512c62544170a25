"""Which stored runs kept their trained weights (torch-free, for the GUI's weights choice).

    kept_weight_runs() -> [(run_id, path)]    newest first
"""
from __future__ import annotations

from pathlib import Path

from engine.paths import data_dir

SUFFIX = ".safetensors"


def kept_weight_runs() -> list[tuple[str, Path]]:
    folder = data_dir() / "weights"
    if not folder.is_dir():
        return []
    files = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [(p.name[: -len(SUFFIX)], p) for p in files]
