"""RunConfig: everything that defines one run."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Precision = Literal["fp32", "tf32", "fp16", "bf16", "int8"]
Mode = Literal["train", "infer"]
PRECISIONS: tuple[str, ...] = ("fp32", "tf32", "fp16", "bf16", "int8")


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    device: str = "cpu"  # cpu | cuda | cuda:N
    precision: Precision = "fp32"
    batch: int = Field(default=64, ge=1)
    mode: Mode = "train"
    steps: int | None = Field(default=None, ge=1)  # timed steps; exclusive with seconds
    seconds: float | None = Field(default=None, gt=0)
    warmup: int = Field(default=10, ge=0)
    dataset: str = "synthetic"  # synthetic | digits | mnist:PATH | cifar10:PATH | folder:PATH
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float = Field(default=0.01, gt=0)
    channels_last: bool = False
    compile: str | None = None  # torch.compile mode: default | reduce-overhead | max-autotune
    cudnn_benchmark: bool = True
    threads: int | None = Field(default=None, ge=1)
    seed: int = 0
    sample_hz: float = Field(default=10.0, ge=0)  # telemetry sampling rate; 0 turns the sampler off
    idle_baseline_s: float = Field(default=1.0, ge=0)
    eval_every_s: float = Field(default=2.0, gt=0)  # how often training reports held-out accuracy

    @model_validator(mode="after")
    def _length(self) -> RunConfig:
        if self.steps is not None and self.seconds is not None:
            raise ValueError("give either steps or seconds, not both")
        if self.steps is None and self.seconds is None:
            self.steps = 100
        if not (self.device == "cpu" or self.device == "cuda" or
                (self.device.startswith("cuda:") and self.device[5:].isdigit())):
            raise ValueError(f"device {self.device!r} is not cpu, cuda or cuda:N")
        return self
