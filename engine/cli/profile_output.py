"""What `profile` prints: the per-layer table, the time that belongs to no layer, the sum against
the unprofiled step, and the verdict. Torch-free."""
from __future__ import annotations

from typing import Any, TextIO

from engine import format as f
from engine.profile.table import render_table, sum_line
from engine.shown_text import one_line


def print_profile(profile: Any, notes: list[str], out: TextIO) -> None:
    peaks = profile.peaks
    roofs = (f"roofs: {f.si(peaks.flops_per_s, 'FLOP/s')} ({peaks.precision}), {f.si(peaks.bytes_per_s, 'B/s')}, "
             f"launch {f.seconds(peaks.launch_s)}; ridge {f.number(peaks.ridge_flop_per_byte)} FLOP/B")
    print(f"\nprofile of run {profile.run_id}: {one_line(profile.net, 80)} on {one_line(profile.device_name or profile.device, 80)}, "
          f"{profile.profiled_steps} profiled steps (a separate run under torch.profiler, "
          f"{f.ratio(profile.profiler_overhead)} the unprofiled step)", file=out)
    print(render_table(profile), file=out)
    print(sum_line(profile), file=out)
    print(roofs, file=out)
    print(f"verdict: {profile.verdict}: {profile.verdict_reason}", file=out)
    for note in [*profile.notes, *notes]:
        print(f"  {note}", file=out)
