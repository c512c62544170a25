"""Sweeps: a grid of run configurations, its plan, and the state file that makes it resumable.

Torch-free (the GUI's sweep dialog imports it to show the run count and rough duration). Running
the grid lives in `engine.sweep.runner`; this module only says *what* runs, in which order, and
remembers what happened so an interrupted sweep resumes where it stopped.

Order: batch sizes ascend innermost, so that once a batch runs out of memory the larger ones of
the same device, precision and mode are skipped instead of run (train and infer are kept apart:
inference needs far less memory, so a training OOM says little about it).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import BadInput
from engine.files import write_text_atomic
from engine.run.config import PRECISIONS, RunConfig

SWEEP_FORMAT = "tradeoff-lab/sweep"
STATE_FILE = "sweep.json"
EntryStatus = Literal["pending", "ok", "oom", "failed", "cancelled", "skipped"]
FINISHED = ("ok", "oom", "failed", "skipped")  # what a resume keeps; "cancelled" and "pending" run again

# Rough per-run costs for the plan (seconds). Measured on the 2-core development CPU: starting a
# worker and importing torch ~3 s; warm-up of a small net ~1 s; torch.compile ~40 s the first time.
START_OVERHEAD_S = 4.0
WARMUP_GUESS_S = 1.5
STEP_GUESS_S = 0.05
COMPILE_GUESS_S = 40.0


class BadSweep(BadInput):
    """The grid or the sweep folder is unusable; the message names the field or file."""


class Grid(BaseModel):
    """devices x precisions x modes x channels-last x compile x batches, with a length per run."""
    model_config = ConfigDict(extra="forbid")
    network: str  # preset name or spec path, as given to `main.py run`
    devices: list[str] = Field(min_length=1)
    precisions: list[str] = Field(min_length=1)
    batches: list[int] = Field(min_length=1)
    modes: list[Literal["train", "infer"]] = Field(default_factory=lambda: ["train"], min_length=1)
    channels_last: list[bool] = Field(default_factory=lambda: [False], min_length=1)
    compile_modes: list[str | None] = Field(default_factory=lambda: [None], min_length=1)
    seconds: float | None = Field(default=None, gt=0)
    steps: int | None = Field(default=None, ge=1)
    warmup: int = Field(default=10, ge=0)
    dataset: str = "synthetic"
    cooldown_s: float = Field(default=5.0, ge=0)

    @field_validator("precisions")
    @classmethod
    def _known_precisions(cls, values: list[str]) -> list[str]:
        bad = [p for p in values if p not in PRECISIONS]
        if bad:
            raise ValueError(f"unknown precision {bad[0]!r} (choose from {', '.join(PRECISIONS)})")
        return values

    @field_validator("batches")
    @classmethod
    def _positive_batches(cls, values: list[int]) -> list[int]:
        if any(b < 1 for b in values):
            raise ValueError("batch sizes must be >= 1")
        return sorted(set(values))

    @model_validator(mode="after")
    def _length(self) -> Grid:
        if self.seconds is not None and self.steps is not None:
            raise ValueError("give either seconds or steps per run, not both")
        if self.seconds is None and self.steps is None:
            self.steps = 100
        return self

    def configs(self) -> list[RunConfig]:
        """Every configuration, batch innermost and ascending; raises BadSweep for an invalid one."""
        out = []
        for device, precision, mode, cl, comp in itertools.product(
                self.devices, self.precisions, self.modes, self.channels_last, self.compile_modes):
            for batch in self.batches:
                try:
                    out.append(RunConfig(device=device, precision=precision, batch=batch, mode=mode,
                                         channels_last=cl, compile=comp, seconds=self.seconds,
                                         steps=self.steps, warmup=self.warmup, dataset=self.dataset))
                except ValidationError as exc:
                    msg = exc.errors()[0]
                    raise BadSweep(f"grid field {'.'.join(map(str, msg['loc'])) or 'device'}: {msg['msg']}") from None
        return out


def oom_key(config: RunConfig | dict) -> tuple:
    c = config if isinstance(config, dict) else config.model_dump()
    return (c["device"], c["precision"], c["mode"])


def describe(config: RunConfig | dict) -> str:
    """Short label of a configuration, e.g. 'cpu bf16 train b256 +CL +compile:default'."""
    c = config if isinstance(config, dict) else config.model_dump()
    label = f"{c['device']} {c['precision']} {c['mode']} b{c['batch']}"
    if c.get("channels_last"):
        label += " +CL"
    if c.get("compile"):
        label += f" +compile:{c['compile']}"
    return label


def redundant_reason(config: RunConfig, grid: Grid) -> str | None:
    """Why a configuration would only repeat another run of the grid (it is skipped, not run)."""
    if config.precision == "tf32" and config.device == "cpu" and "fp32" in grid.precisions:
        return "tf32 is a GPU tensor-core mode; on the CPU it is plain fp32, measured by the fp32 run"
    return None


@dataclass(frozen=True)
class Plan:
    runs: int
    run_estimates_s: tuple[float, ...]
    cooldown_s: float

    @property
    def total_s(self) -> float:
        return sum(self.run_estimates_s) + self.cooldown_s * max(0, self.runs - 1)


def estimate_run_s(config: RunConfig) -> float:
    length = config.seconds if config.seconds is not None else (config.steps or 100) * STEP_GUESS_S
    est = START_OVERHEAD_S + config.idle_baseline_s + WARMUP_GUESS_S + length
    if config.compile:
        est += COMPILE_GUESS_S
    return est


def plan(grid: Grid) -> Plan:
    """The runs that will actually run (redundant ones are left out) and their rough durations."""
    configs = [c for c in grid.configs() if not redundant_reason(c, grid)]
    return Plan(len(configs), tuple(estimate_run_s(c) for c in configs), grid.cooldown_s)


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


class SweepEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    config: dict
    status: EntryStatus = "pending"
    run_id: str | None = None
    reason: str | None = None  # why it failed or was skipped
    wall_s: float | None = None

    @property
    def label(self) -> str:
        return describe(self.config)


class SweepState(BaseModel):
    """The sweep folder's sweep.json: the grid and the fate of every configuration."""
    model_config = ConfigDict(extra="forbid")
    format: str = SWEEP_FORMAT
    version: int = 1
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    grid: Grid
    db_path: str | None = None
    entries: list[SweepEntry]

    @classmethod
    def new(cls, grid: Grid, db_path: str | None = None) -> SweepState:
        entries = []
        for i, c in enumerate(grid.configs()):
            why = redundant_reason(c, grid)
            entries.append(SweepEntry(index=i, config=c.model_dump(mode="json"), status="skipped" if why else "pending",
                                      reason=why))
        return cls(grid=grid, db_path=db_path, entries=entries)

    def pending(self) -> list[SweepEntry]:
        return [e for e in self.entries if e.status not in FINISHED]

    def run_ids(self) -> list[str]:
        return [e.run_id for e in self.entries if e.run_id]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.status] = out.get(e.status, 0) + 1
        return out

    def save(self, folder: Path) -> None:
        """Atomic write: a sweep killed mid-save still has its previous state file."""
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / STATE_FILE, self.model_dump_json(indent=2))


def load_state(folder: str | Path) -> SweepState:
    path = Path(folder) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadSweep(f"{path}: no sweep state here (is {folder} a sweep folder?)") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadSweep(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != SWEEP_FORMAT:
        raise BadSweep(f"{path}: not a Tradeoff Lab sweep state (format {SWEEP_FORMAT!r} expected)")
    try:
        return SweepState.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadSweep(f"{path}: field {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
