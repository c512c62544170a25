"""Validation, shape and cost inference for a NetworkSpec. Torch-free.

CONTRACT (used by the GUI editor, the CLI and the run loop):

    analyze(spec: NetworkSpec) -> Analysis

never raises for a bad spec: every problem is a `Problem` naming the layer (and field), all found
at once. `Analysis.ok` is True when there are no errors. TODO(engine-core helper): implement.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.spec import NetworkSpec


@dataclass(frozen=True)
class Problem:
    layer_id: str | None  # None for whole-spec problems (e.g. no output)
    message: str  # names the problem, e.g. "Add: inputs have shapes [6, 28, 28] and [16, 10, 10]"
    field: str | None = None  # the parameter at fault, e.g. "kernel_size"

    def __str__(self) -> str:
        where = f"layer '{self.layer_id}'" if self.layer_id else "network"
        if self.field:
            where += f" ({self.field})"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LayerInfo:
    layer_id: str
    type: str
    output_shape: tuple[int, ...] | None  # per sample, without the batch dimension; None if unknown
    params: int = 0
    flops: int = 0  # forward FLOPs per sample, 2 per multiply-add
    activation_bytes: int = 0  # fp32 bytes of this layer's output per sample


@dataclass
class Analysis:
    layers: dict[str, LayerInfo] = field(default_factory=dict)  # in topological order where possible
    problems: list[Problem] = field(default_factory=list)
    total_params: int = 0
    total_flops: int = 0  # forward, per sample
    train_flops: int = 0  # forward + backward (~3x forward), per sample
    activation_bytes: int = 0  # per sample, fp32, sum over layers
    output_shape: tuple[int, ...] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_for(self, layer_id: str) -> list[Problem]:
        return [p for p in self.problems if p.layer_id == layer_id]


def analyze(spec: NetworkSpec) -> Analysis:
    raise NotImplementedError
