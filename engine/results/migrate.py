"""Upgrading a stored run result to the layout this app writes (RESULT_VERSION). Result files and
history rows of older versions still open: `upgrade` turns their JSON object into the current one
before it is validated, and keeps any key the current layout has no place for under `legacy`
("config.old_flag", "hardware.gpu_clock", ...), so nothing a file held is silently dropped.

Version 1 (until the result was fully typed) allowed extra keys at the top (`heldout_loss`,
`gpu_temperature_c` were written that way) and had untyped `config`, `hardware` and `series`.
"""
from __future__ import annotations

from typing import Any

from engine.errors import BadResultFile
from engine.results.result import RESULT_VERSION, Hardware, RunResult
from engine.results.series import GpuSeries, HostSeries, StepSeries, gpu_index_of
from engine.run.config import RunConfig

OLDEST_VERSION = 1


def upgrade(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A result object of any version this app reads -> the current layout (a new dict; `data` is
    left as it was). BadResultFile (naming `source`) for a version that is not a whole number, or
    one newer than this app."""
    version = data.get("version", OLDEST_VERSION)
    if type(version) is not int:  # bool and "1" are not versions
        raise BadResultFile(f"{source}: result version {version!r} is not a whole number")
    if version > RESULT_VERSION:
        raise BadResultFile(f"{source}: result version {version} is newer than this app reads ({RESULT_VERSION}); "
                            f"update Tradeoff Lab")
    if version < OLDEST_VERSION:
        raise BadResultFile(f"{source}: result version {version} is not one this app reads "
                            f"({OLDEST_VERSION}..{RESULT_VERSION})")
    if version == 1:
        data = _v1_to_v2(data)
    return data


def _v1_to_v2(old: dict[str, Any]) -> dict[str, Any]:
    data = dict(old)
    legacy: dict[str, Any] = {}
    for key in [k for k in data if k not in RunResult.model_fields]:
        legacy[key] = data.pop(key)
    for key, model in (("config", RunConfig), ("hardware", Hardware)):
        section = data.get(key)
        if isinstance(section, dict):
            data[key] = _split(section, model.model_fields, f"{key}.", legacy)
    series = data.get("series")
    if isinstance(series, dict):
        data["series"] = _series(series, legacy)
    data["version"] = 2
    data["legacy"] = legacy
    return data


def _split(section: dict[str, Any], fields: Any, prefix: str, legacy: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for key, value in section.items():
        if key in fields:
            kept[key] = value
        else:
            legacy[prefix + str(key)] = value
    return kept


def _series(series: dict[str, Any], legacy: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for group, columns in series.items():
        model = {"steps": StepSeries, "host": HostSeries}.get(group) or \
            (GpuSeries if isinstance(group, str) and gpu_index_of(group) is not None else None)
        if model is None or not isinstance(columns, dict):
            legacy[f"series.{group}"] = columns
            continue
        out[group] = _split(columns, model.model_fields, f"series.{group}.", legacy)
    return out
