"""The quality line and the energy note count the same evaluation pauses: the summary said '19 pause(s)'
beside 'evaluation ran 20 times' (the evaluation after the run, outside the window, was counted too)."""
from __future__ import annotations

import re

from engine.net.presets import load_preset
from engine.run.config import RunConfig
from engine.run.loop import run


def test_quality_line_and_energy_note_count_the_same_pauses():
    config = RunConfig(device="cpu", mode="train", dataset="digits", batch=32, steps=40, warmup=2,
                       eval_every_s=0.05, cpu_tdp_w=50.0, idle_baseline_s=0.0)
    result = run(load_preset("lenet"), config)
    assert result.status == "ok", result.error
    line = next(q for q in result.quality if q.startswith("held-out evaluation paused the run"))
    in_quality = int(re.search(r"paused the run (\d+) time", line).group(1))
    in_note = int(re.search(r"without (\d+) held-out evaluation pause", result.energy_j.window_note).group(1))
    assert in_quality == in_note >= 1
