"""What `hw --peaks` prints: the device's measured peaks as a table, from the cache or measured now."""
from __future__ import annotations

import json
import sys

from engine import format as f


def show_peaks(device: str | None, threads: int | None, refresh: bool, as_json: bool) -> int:
    from engine.errors import BadInput
    from engine.profile.peaks_cache import cache_path, cached_peaks
    if device is None:
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if not device.startswith("cuda") and device != "cpu":
        raise BadInput(f"--device {device!r}: use cpu, cuda or cuda:N")
    if threads is not None and device != "cpu":
        raise BadInput("--threads applies to the CPU only (--device cpu)")
    if not as_json:
        print(f"{'measuring' if refresh else 'reading'} the peaks of {device} (a first measurement takes a few seconds)",
              file=sys.stderr)
    peaks, key, measured = cached_peaks(device, threads, refresh)
    if as_json:
        print(json.dumps({"key": key, "measured_now": measured, "cache": str(cache_path()), **peaks.to_json_dict()},
                         indent=2))
        return 0
    print(render(peaks, key, measured, str(cache_path())))
    return 0


def render(peaks, key: str, measured: bool, cache: str) -> str:
    rows = [("precision", "matmul peak", "n")]
    for precision, flops in peaks.matmul_flops_per_s.items():
        rows.append((precision, f.si(flops, "FLOP/s"), str(peaks.matmul_sizes.get(precision, peaks.matmul_n))))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"Peaks of {peaks.device_name} ({peaks.device}): {key}"]
    for k, row in enumerate(rows):
        lines.append("  " + "  ".join((c.ljust(w) if i == 0 else c.rjust(w)) for i, (c, w) in enumerate(zip(row, widths,
                                                                                                        strict=True))))
        if k == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    for precision, why in peaks.unavailable.items():
        lines.append(f"  {precision}: not measured ({why})")
    lines.append(f"memory bandwidth (copy, read + write)  {f.si(peaks.copy_bytes_per_s, 'B/s')}")
    lines.append(f"kernel launch (tiny kernels back to back)  {f.seconds(peaks.launch_s)}")
    ridge = None
    if peaks.copy_bytes_per_s and peaks.matmul_flops_per_s.get("fp32"):
        ridge = peaks.matmul_flops_per_s["fp32"] / peaks.copy_bytes_per_s
    if ridge:
        lines.append(f"ridge point (fp32): {f.number(ridge)} FLOP/byte: layers of lower intensity are memory-bound")
    lines.append(("measured now, cached in " if measured else "from the cache (--refresh measures again): ") + cache)
    return "\n".join(lines)
