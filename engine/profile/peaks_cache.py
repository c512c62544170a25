"""Device peaks, measured once and kept: one entry per device, driver, torch version and (on the
CPU) thread count, in the app's cache folder (engine.paths.cache_dir). Imports torch.

    peaks_for("cuda:0", "bf16") -> Peaks          the roofs a profile is judged against
    cached_peaks(device, threads, refresh) -> (DevicePeaks, key, measured now?)

A cache file that cannot be read is measured over, never fatal; one that cannot be written leaves
the peaks measured for this process only.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import fields
from pathlib import Path

import torch

from engine.files import FileWriteError, write_text_atomic
from engine.profile.peaks import DevicePeaks, measure_peaks
from engine.profile.result import Peaks
from engine.run.device import resolve_device

CACHE_FILE = "peaks.json"
GPU_PRECISIONS = ("fp32", "tf32", "fp16", "bf16")
CPU_PRECISIONS = ("fp32", "bf16", "fp16")


def cache_path() -> Path:
    from engine.paths import cache_dir
    return cache_dir() / CACHE_FILE


def peaks_key(device: str, threads: int | None = None) -> str:
    """What a measurement holds for: the device model, its driver, torch and (CPU) threads."""
    dev = resolve_device(device)
    if dev.type == "cuda":
        driver = ""
        with contextlib.suppress(Exception):
            from engine.run.device import hardware_info
            driver = str(hardware_info(dev).get("nvidia_driver") or "")
        return f"{torch.cuda.get_device_name(dev)}|driver {driver}|cuda {torch.version.cuda}|torch {torch.__version__}"
    from engine.run.device import hardware_info
    model = hardware_info(dev).get("device_name") or "cpu"
    return f"{model}|threads {threads or torch.get_num_threads()}|torch {torch.__version__}"


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _peaks_from(entry: object) -> DevicePeaks | None:
    if not isinstance(entry, dict):
        return None
    names = {f.name for f in fields(DevicePeaks)}
    try:
        return DevicePeaks(**{k: v for k, v in entry.items() if k in names})
    except TypeError:
        return None


def cached_peaks(device: str, threads: int | None = None, refresh: bool = False,
                 precisions: tuple[str, ...] | None = None) -> tuple[DevicePeaks, str, bool]:
    """(peaks, cache key, measured now). Measures the precisions the cached entry lacks (all of them
    with `refresh`), on `threads` CPU threads when given."""
    dev = resolve_device(device)
    wanted = precisions or (GPU_PRECISIONS if dev.type == "cuda" else CPU_PRECISIONS)
    key = peaks_key(device, threads)
    path = cache_path()
    cache = _read(path)
    found = None if refresh else _peaks_from(cache.get(key))
    missing = tuple(p for p in wanted if found is None or (p not in found.matmul_flops_per_s
                                                             and p not in found.unavailable))
    if found is not None and not missing:
        return found, key, False
    saved = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        fresh = measure_peaks(str(dev), missing)
    finally:
        torch.set_num_threads(saved)
    if dev.type == "cpu":
        fresh.device_name = key.split("|")[0]  # the CPU model, not just "cpu"
    if found is not None:  # keep what was measured before for the other precisions
        fresh.matmul_flops_per_s = {**found.matmul_flops_per_s, **fresh.matmul_flops_per_s}
        fresh.matmul_sizes = {**found.matmul_sizes, **fresh.matmul_sizes}
        fresh.unavailable = {**found.unavailable, **fresh.unavailable}
    cache[key] = fresh.to_json_dict()
    with contextlib.suppress(FileWriteError, OSError):  # kept for this process only
        write_text_atomic(path, json.dumps(cache, indent=2))
    return fresh, key, True


def peaks_for(device: str, precision: str, threads: int | None = None) -> Peaks:
    """The roofs for a profile at this precision (measured once per device and cached)."""
    peaks, _, _ = cached_peaks(device, threads, precisions=(precision,))
    return Peaks(precision=precision, flops_per_s=peaks.matmul_flops_per_s.get(precision),
                 bytes_per_s=peaks.copy_bytes_per_s, launch_s=peaks.launch_s)
