"""Where the app keeps its data. TRADEOFF_LAB_DATA overrides the platform's user data folder
(tests and screenshots point it at a temporary folder)."""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

# Package data (presets, digits, report template) ships inside the engine package, so an installed
# copy finds it as well as a source checkout does.
ASSETS = Path(__file__).resolve().parent / "assets"
# main.py beside the packages: present in a source checkout, absent in an installed copy.
ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    override = os.environ.get("TRADEOFF_LAB_DATA")
    path = Path(override) if override else Path(user_data_dir("tradeoff-lab", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "runs.sqlite"
