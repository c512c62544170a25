"""Each layer of a built model runs inside a profiler range named by its id, also a stateless layer
(a function call in the generated forward) and an Add of three inputs (a chain of torch.add calls)."""
from __future__ import annotations

import torch

from engine.net.build import build_model
from engine.net.spec import spec_from_dict
from engine.profile.instrument import LAYER_PREFIX, instrument

SPEC = {"format": "tradeoff-lab/network", "version": 1, "name": "three-way", "input": {"shape": [2, 4, 4]},
        "layers": [
            {"id": "a", "type": "ReLU", "inputs": ["input"]},
            {"id": "b", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 1}, "inputs": ["input"]},
            {"id": "sum", "type": "Add", "inputs": ["a", "b", "input"]},
            {"id": "flat", "type": "Flatten", "inputs": ["sum"]}]}


def test_every_layer_runs_inside_its_range_and_the_output_is_unchanged():
    torch.manual_seed(0)
    plain = build_model(spec_from_dict(SPEC))
    marked = instrument(build_model(spec_from_dict(SPEC)))
    marked.load_state_dict(plain.state_dict())
    x = torch.randn(3, 2, 4, 4)
    assert torch.equal(marked(x), plain(x))
    lines = marked.code.splitlines()
    adds = [i for i, line in enumerate(lines) if "torch.add(" in line]
    enter = next(i for i, line in enumerate(lines) if f"'{LAYER_PREFIX}sum'" in line)
    leave = next(i for i, line in enumerate(lines) if i > enter and "_record_function_exit" in line)
    assert len(adds) == 2 and enter < adds[0] and adds[-1] < leave  # both adds inside the one range
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        marked(x)
    names = {e.name for e in prof.events()}
    assert {f"{LAYER_PREFIX}{lid}" for lid in ("a", "b", "sum", "flat")} <= names
