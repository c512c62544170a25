"""The committed H200 profile example still loads with today's ProfileResult and says what its README says."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.profile import read_profile_file

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "gpu-resnet9-profile"


def test_resnet9_example_convs_compute_bound_batchnorm_memory_bound():
    profile = read_profile_file(EXAMPLE / "profile_resnet9.json")
    assert (profile.net, profile.device_name, profile.config.precision, profile.config.batch) == \
        ("resnet9", "NVIDIA H200", "bf16", 512)
    assert profile.config.channels_last and profile.config.mode == "train"
    bounds = {layer.id: layer.bound for layer in profile.layers if layer.type == "Conv2d"}
    assert bounds.pop("conv1") == "memory"
    assert set(bounds.values()) == {"compute"} and len(bounds) == 7
    bns = [layer for layer in profile.layers if layer.type == "BatchNorm2d"]
    assert len(bns) == 8 and all(layer.bound == "memory" for layer in bns)
    conv_s = sum(layer.time_s for layer in profile.layers if layer.type == "Conv2d")
    bn_s = sum(layer.time_s for layer in bns)
    assert bn_s / (conv_s + bn_s) == pytest.approx(0.45, abs=0.005)
    assert profile.profiler_overhead == pytest.approx(1.75, abs=0.005)


def test_lenet_example_is_launch_bound():
    profile = read_profile_file(EXAMPLE / "profile_lenet.json")
    assert profile.net == "lenet" and profile.verdict == "launch-bound"
