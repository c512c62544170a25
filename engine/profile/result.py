"""ProfileResult: where one run's step time goes, layer by layer. Torch-free.

A profile is a separate run under torch.profiler (which slows the step), stored beside the normal,
unprofiled run it belongs to (same `run_id`). Its keys are a contract: `contract()` gives the
exchange JSON (per layer: id, type, forward_s, backward_s, time_s, share, flops, bytes, bound; the
time that belongs to no layer; the profiled and unprofiled step times; the verdict); the full model
adds what the GUI and the report draw (achieved rates, intensity, the roofs used, the reason).
All times are seconds per step. Layer, loss, optimizer and data times are measured under the
profiler (GPU kernels run as fast under it; CPU operators nearly so); the profiler's own host work
slows the step around them, so `idle_s` is what the *unprofiled* step leaves over once they are
counted, and shares are of that step. The profiled run's own idle time is kept as `profiled_idle_s`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import BadResultFile
from engine.json_file import read_json
from engine.run.config import RunConfig

PROFILE_VERSION = 1
Bound = Literal["compute", "memory", "launch"]
Verdict = Literal["compute-bound", "memory-bound", "launch-bound", "data/host-bound"]
BOUNDS: tuple[str, ...] = ("compute", "memory", "launch")
VERDICTS: tuple[str, ...] = ("compute-bound", "memory-bound", "launch-bound", "data/host-bound")
CONTRACT_KEYS = ("layers", "other", "step_time_s", "unprofiled_step_time_s", "verdict")
CONTRACT_LAYER_KEYS = ("id", "type", "forward_s", "backward_s", "time_s", "share", "flops", "bytes", "bound")
CONTRACT_OTHER_KEYS = ("optimizer_s", "loss_s", "data_s", "idle_s")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LayerProfile(_Part):
    id: str  # the spec's layer id
    type: str  # the spec's layer type
    forward_s: float = Field(ge=0)
    backward_s: float = Field(ge=0)  # 0 in inference
    time_s: float = Field(ge=0)  # forward + backward
    share: float = Field(ge=0)  # of the unprofiled step (or of the attributed time where that is longer)
    flops: int = Field(ge=0)  # counted by the analysis, per step (the batch; forward + backward in training)
    bytes: int = Field(ge=0)  # moved per step: parameters + activations in and out, at the precision's size
    bound: Bound
    kernels: int = Field(0, ge=0)  # device kernels (CPU: operators) per step
    achieved_flops_per_s: float | None = None
    achieved_bytes_per_s: float | None = None
    intensity_flop_per_byte: float | None = None


class OtherTime(_Part):
    """Time per step that belongs to no layer."""
    optimizer_s: float = Field(0.0, ge=0)
    loss_s: float = Field(0.0, ge=0)
    data_s: float = Field(0.0, ge=0)  # loading the batch and copying it to the device
    # The unprofiled step's time that no layer, loss, optimizer or data accounts for. GPU: the device
    # waiting between kernels (launch and host overhead); CPU: Python and dispatch between operators.
    idle_s: float = Field(0.0, ge=0)


class Peaks(_Part):
    """The roofs the bounds were judged against."""
    precision: str
    flops_per_s: float | None = None  # matrix multiply at the run's precision
    bytes_per_s: float | None = None  # device memory bandwidth (read + write)
    launch_s: float | None = None  # one tiny kernel (CPU: one tiny operator)

    @property
    def ridge_flop_per_byte(self) -> float | None:
        """Where the roofs meet: above it a layer can be compute-bound, below it memory-bound."""
        if not self.flops_per_s or not self.bytes_per_s:
            return None
        return self.flops_per_s / self.bytes_per_s


class ProfileResult(_Part):
    version: Literal[1] = PROFILE_VERSION
    run_id: str  # the unprofiled run it belongs to
    net: str
    device: str
    device_name: str | None = None
    created_utc: str  # ISO 8601
    config: RunConfig
    profiled_steps: int = Field(0, ge=0)
    layers: list[LayerProfile] = Field(default_factory=list)
    other: OtherTime = Field(default_factory=OtherTime)
    step_time_s: float = Field(ge=0)  # the profiled step, wall clock (slower than the unprofiled run)
    unprofiled_step_time_s: float | None = None  # median of the unprofiled run's steps
    profiled_idle_s: float | None = None  # idle time within the profiled step (inflated by the profiler)
    profiler_overhead: float | None = None  # profiled / unprofiled step time
    peaks: Peaks
    verdict: Verdict
    verdict_reason: str  # one sentence with the numbers behind the verdict
    notes: list[str] = Field(default_factory=list)  # caveats (a layer that could not be timed, ...)

    def layer_time_s(self) -> float:
        return sum(layer.time_s for layer in self.layers)

    def other_time_s(self) -> float:
        o = self.other
        return o.optimizer_s + o.loss_s + o.data_s + o.idle_s

    def shares_of_s(self) -> float:
        """The step the shares are of: the unprofiled step, or the attributed time where that is longer."""
        return max(self.unprofiled_step_time_s or self.step_time_s, self.layer_time_s() + self.other_time_s())

    def largest(self) -> LayerProfile | None:
        """The layer with the largest share of the step."""
        return max(self.layers, key=lambda layer: layer.time_s, default=None)

    def contract(self) -> dict:
        """The exchange JSON, exactly its keys."""
        data = self.model_dump(mode="json")
        return {"layers": [{k: layer[k] for k in CONTRACT_LAYER_KEYS} for layer in data["layers"]],
                "other": {k: data["other"][k] for k in CONTRACT_OTHER_KEYS},
                "step_time_s": data["step_time_s"], "unprofiled_step_time_s": data["unprofiled_step_time_s"],
                "verdict": data["verdict"]}


def profile_from_dict(data: object, source: str) -> ProfileResult:
    """A parsed profile -> ProfileResult, or BadResultFile naming `source` and the first problem."""
    if not isinstance(data, dict):
        raise BadResultFile(f"{source}: expected a JSON object (a profile), got {type(data).__name__}")
    version = data.get("version", PROFILE_VERSION)
    if isinstance(version, int) and version > PROFILE_VERSION:
        raise BadResultFile(f"{source}: profile version {version} is newer than this app reads ({PROFILE_VERSION}); "
                            f"update Tradeoff Lab")
    try:
        return ProfileResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "profile"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise BadResultFile(f"{source}: not a profile: {where}: {first.get('msg')}{more}") from None


def read_profile_file(path: str | Path) -> ProfileResult:
    """A profile JSON written by `profile --json`; BadResultFile names the file and the problem."""
    p = Path(path)
    return profile_from_dict(read_json(p, BadResultFile, "profile file"), str(p))
