"""The run settings a user last started with, remembered between launches (QSettings, group "run",
one key per RunConfig field the run panel shows, the value as JSON). The device is not remembered:
the app picks the first GPU, else the CPU."""
from __future__ import annotations

import json
from typing import Any

from gui.editor.settings import settings

NOT_REMEMBERED = ("device",)


def save_run_options(options: Any) -> None:
    s = settings()
    s.beginGroup("run")
    for name in options.controls:
        if name not in NOT_REMEMBERED:
            s.setValue(name, json.dumps(options.value(name)))
    s.endGroup()


def restore_run_options(options: Any) -> None:
    """Apply the stored values; one that no longer fits (an option gone, a bad value from a hand-edited
    file or an older version) is ignored, keeping the default."""
    s = settings()
    s.beginGroup("run")
    for name, f in options.fields.items():
        if name in NOT_REMEMBERED or not s.contains(name):
            continue
        raw = s.value(name)
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            value = raw  # an older version stored plain text ("bf16")
        try:
            options.set_value(name, f.check(value))
        except (TypeError, ValueError):
            continue
    s.endGroup()
