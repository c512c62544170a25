"""Profiling: device peaks measured by micro-benchmarks (the roofs of a roofline).

Entry points:
    measure_peaks(device, precisions) -> DevicePeaks     imports torch (loaded on first use)
Errors: none of its own; a precision the device cannot do is listed in `DevicePeaks.unavailable`.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"measure_peaks": "engine.profile.peaks", "DevicePeaks": "engine.profile.peaks"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.profile' has no attribute {name!r}")


__all__ = ["DevicePeaks", "measure_peaks"]
