"""Where the app keeps its data. TRADEOFF_LAB_DATA overrides the platform's user data folder
(tests and screenshots point it at a temporary folder)."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

# Package data (presets, digits, report template) ships inside the engine package (pyproject's
# package-data), so an installed copy finds it as a source checkout does. Readers need a real folder
# (np.load, jinja's loader, a glob of the presets), which every unzipped install is.
ASSETS = Path(resources.files("engine").joinpath("assets"))
# The folder holding the engine, gui and hw packages: a source checkout's root (where README.md is),
# or site-packages in an installed copy, which has no README.
ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    override = os.environ.get("TRADEOFF_LAB_DATA")
    path = Path(override) if override else Path(user_data_dir("tradeoff-lab", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "runs.sqlite"


def cache_dir() -> Path:
    """Measurements worth keeping but cheap to redo (device peaks). TRADEOFF_LAB_CACHE overrides it;
    with only TRADEOFF_LAB_DATA set it lies inside that folder, so a test never touches the user's."""
    override = os.environ.get("TRADEOFF_LAB_CACHE")
    if override:
        path = Path(override)
    elif os.environ.get("TRADEOFF_LAB_DATA"):
        path = data_dir() / "cache"
    else:
        path = Path(user_cache_dir("tradeoff-lab", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
