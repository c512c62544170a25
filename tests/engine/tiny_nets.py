"""Hand-made nets and a fast config for run-loop tests (independent of engine.net.build)."""
from __future__ import annotations

import torch.nn as nn

from engine.results.result import NetworkSummary
from engine.run.config import RunConfig


class TinyCNN(nn.Module):
    """1x8x8 -> 10 classes; a few thousand parameters, a millisecond a step on a CPU."""

    def __init__(self, in_ch: int = 1, side: int = 8, softmax: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(in_ch, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(8 * (side // 2) ** 2, 32), nn.ReLU(), nn.Linear(32, 10))
        self.softmax = nn.Softmax(dim=1) if softmax else None
        self.ends_with_softmax = softmax

    def forward(self, x):
        out = self.body(x)
        return self.softmax(out) if self.softmax is not None else out


NETWORK = NetworkSummary(name="tiny", params=0, flops_per_sample=0)


def fast_config(**overrides) -> RunConfig:
    base = dict(batch=32, steps=20, warmup=2, sample_hz=0, idle_baseline_s=0)
    base.update(overrides)
    return RunConfig(**base)
