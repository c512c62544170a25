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
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import BadInput
from engine.files import write_text_atomic
from engine.run import options as o
from engine.run.config import DEFAULT_STEPS, RunConfig

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


# The grid fields sweeps were first saved with: old name -> RunConfig field (axes), so old sweep
# folders still resume.
_LEGACY_AXES = {"devices": "device", "precisions": "precision", "batches": "batch", "modes": "mode",
                "channels_last": "channels_last", "compile_modes": "compile"}
_LEGACY_FIXED = ("seconds", "steps", "warmup", "dataset")


class Grid(BaseModel):
    """Every combination of the axes' values (RunConfig fields marked as sweep axes), each run with
    the fixed values (length, warm-up, data set, ...). Axes not given run their default values."""
    model_config = ConfigDict(extra="forbid")
    config_class: ClassVar[type[RunConfig]] = RunConfig
    network: str  # preset name or spec path, as given to `main.py run`
    axes: dict[str, list[Any]] = Field(default_factory=dict)  # RunConfig field -> values to run
    fixed: dict[str, Any] = Field(default_factory=dict)  # RunConfig field -> its value in every run
    cooldown_s: float = Field(default=5.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Grid(devices=[...], batches=[...], seconds=5) and old sweep.json files: the first grid's names."""
        if not isinstance(data, dict) or not (set(data) & (set(_LEGACY_AXES) | set(_LEGACY_FIXED))):
            return data
        data = dict(data)
        axes, fixed = dict(data.get("axes") or {}), dict(data.get("fixed") or {})
        for old, name in _LEGACY_AXES.items():
            if old in data:
                axes[name] = data.pop(old)
        for name in _LEGACY_FIXED:
            if name in data:
                value = data.pop(name)
                if value is not None:
                    fixed[name] = value
        return {**data, "axes": axes, "fixed": fixed}

    @model_validator(mode="after")
    def _check(self) -> Grid:
        known = o.option_fields(self.config_class)
        axes: dict[str, list[Any]] = {}
        for name, values in self.axes.items():
            if name not in known or not known[name].option.axis:
                raise ValueError(f"{name!r} is not a sweep axis (axes: {', '.join(axis_names(self.config_class))})")
            if not values:
                raise ValueError(f"{name}: choose at least one value")
            checked = list({known[name].format(c): c for c in (known[name].check(v) for v in values)}.values())
            axes[name] = sorted(checked) if name == "batch" else checked
        self.axes = {n: axes[n] for n in known if n in axes}  # declaration order: the run order
        for name in self.fixed:
            if name not in known or not known[name].on("sweep"):
                raise ValueError(f"{name!r} is not a run option a sweep can set")
            if name in self.axes:
                raise ValueError(f"{name} is given both as an axis and as a fixed value")
        if self.fixed.get("seconds") is not None and self.fixed.get("steps") is not None:
            raise ValueError("give either seconds or steps per run, not both")
        return self

    def values(self, name: str) -> list[Any]:
        """The values the axis runs (its default ones when not given)."""
        if name in self.axes:
            return self.axes[name]
        return list(o.option_fields(self.config_class)[name].axis_default)

    # The first grid's names, for readers that still spell them.
    devices = property(lambda self: self.values("device"))
    precisions = property(lambda self: self.values("precision"))
    batches = property(lambda self: self.values("batch"))
    modes = property(lambda self: self.values("mode"))
    seconds = property(lambda self: self.fixed.get("seconds"))
    repeats = property(lambda self: int(self.fixed.get("repeats") or 1))
    steps = property(lambda self: self.fixed.get("steps") if self.seconds is not None
                     else self.fixed.get("steps", DEFAULT_STEPS))

    def to_argv(self) -> list[str]:
        """The `sweep` arguments that give this grid (network, axes, fixed values, cool-down)."""
        fields = o.option_fields(self.config_class)
        argv = [self.network]
        for name, values in self.axes.items():
            argv += [fields[name].axis_flag, ",".join(fields[name].format(v) for v in values)]
        for name, value in self.fixed.items():
            f = fields[name]
            if isinstance(value, bool):
                argv.append(f.flag if value else "--no-" + f.flag[2:])
            elif value is not None:
                argv += [f.flag, str(value) if isinstance(value, float) else f.format(value)]
        return argv + ["--cooldown", str(self.cooldown_s)]

    def configs(self) -> list[RunConfig]:
        """Every configuration, batch innermost and ascending; raises BadSweep for an invalid one."""
        names = [n for n in axis_names(self.config_class) if n != "batch"]
        out = []
        for combo in itertools.product(*(self.values(n) for n in names)):
            for batch in self.values("batch"):
                try:
                    out.append(self.config_class(**self.fixed, **dict(zip(names, combo, strict=True)), batch=batch))
                except ValidationError as exc:
                    msg = exc.errors()[0]
                    where = ".".join(map(str, msg["loc"])) or "device"
                    raise BadSweep(f"grid field {where}: {msg['msg'].removeprefix('Value error, ')}") from None
        return out


def axis_names(schema: type[RunConfig] = RunConfig) -> list[str]:
    """The RunConfig fields a sweep can vary, in declaration order."""
    return [n for n, f in o.option_fields(schema, "sweep").items() if f.option.axis]


def grid_class(schema: type[RunConfig]) -> type[Grid]:
    """The Grid for a RunConfig class (RunConfig itself: Grid)."""
    if schema is RunConfig:
        return Grid
    if schema not in _GRIDS:
        _GRIDS[schema] = type(f"Grid_{schema.__name__}", (Grid,), {"config_class": schema, "__module__": __name__})
    return _GRIDS[schema]


_GRIDS: dict[type, type[Grid]] = {}


def oom_key(config: RunConfig | dict) -> tuple:
    c = config if isinstance(config, dict) else config.model_dump()
    return (c["device"], c["precision"], c["mode"])


def describe(config: RunConfig | dict, schema: type[RunConfig] = RunConfig) -> str:
    """Short label of a configuration, e.g. 'cpu bf16 train b256 +channels-last +compile:default': the
    device, precision, mode and batch, then each other axis whose value is not its default."""
    c = config if isinstance(config, dict) else config.model_dump()
    label = f"{c['device']} {c['precision']} {c['mode']} b{c['batch']}"
    known = o.option_fields(schema)
    for name in axis_names(schema):
        f = known[name]
        if name in ("device", "precision", "mode", "batch") or name not in c or c[name] == f.default:
            continue
        value = c[name]
        word = f.flag.lstrip("-")
        label += f" +{f.option.choices.get(value, word)}" if isinstance(value, bool) else f" +{word}:{f.format(value)}"
    return label


def redundant_reason(config: RunConfig, grid: Grid) -> str | None:
    """Why a configuration is skipped, not run: its device or mode cannot take one of its options
    (engine.run.options' rules; int8 training, say), or the option does nothing there, so the run
    would only repeat another of the grid (cuDNN autotune on the CPU, tf32 on the CPU beside fp32)."""
    values = config.model_dump()
    for key, why in o.unavailable(values, o.Target(device=config.device)).items():
        name, _, choice = key.partition(":")
        if name not in values:
            continue
        if choice:
            if o.option_fields(grid.config_class)[name].format(values[name]) != choice:
                continue
            if key == "precision:tf32" and "fp32" not in grid.precisions:
                continue  # the only run of its kind: it runs, as fp32, with a note saying so
            return why
        first = grid.values(name)[0]
        if name in grid.axes and values[name] != first:
            f = o.option_fields(grid.config_class)[name]
            return f"{why}: the same run as with {f.label.lower()} {f.choice_label(first)}"
    return None


def network_of(grid: Grid) -> Any:
    """The grid's network spec, for the refusals that depend on its layers; None when it cannot be read
    here: then each run refuses it itself, naming the file."""
    from engine.net.presets import resolve_net
    try:
        return resolve_net(grid.network)
    except BadInput:
        return None


def skip_reason(config: RunConfig, grid: Grid, spec: Any) -> str | None:
    """Why a configuration is not run: redundant or ruled out by its options (redundant_reason), or an
    algorithm that cannot compute one of the network's layers (Winograd on a 5x5 kernel: the run's
    own refusal, naming the layer)."""
    if (why := redundant_reason(config, grid)) is not None:
        return why
    if spec is not None:
        from engine.net.conv_rules import run_algo_problem
        return run_algo_problem(spec, config.conv_algo, config.precision)
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
    length = config.seconds if config.seconds is not None else (config.steps or DEFAULT_STEPS) * STEP_GUESS_S
    est = START_OVERHEAD_S + config.idle_baseline_s + WARMUP_GUESS_S + length
    if config.compile:
        est += COMPILE_GUESS_S
    return est


def plan(grid: Grid) -> Plan:
    """The runs that will actually run (redundant ones are left out) and their rough durations."""
    spec = network_of(grid)
    configs = [c for c in grid.configs() if not skip_reason(c, grid, spec)] * grid.repeats
    return Plan(len(configs), tuple(estimate_run_s(c) for c in configs), grid.cooldown_s)


class SweepEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    config: dict
    status: EntryStatus = "pending"
    run_id: str | None = None
    reason: str | None = None  # why it failed or was skipped
    wall_s: float | None = None
    repeat: int | None = None  # 1-based, when the grid repeats each configuration

    @property
    def label(self) -> str:
        return describe(self.config) + (f" · repeat {self.repeat}" if self.repeat else "")


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
        entries: list[SweepEntry] = []
        configs = grid.configs()
        spec = network_of(grid)
        # Repeats take turns (A B A B, not A A B B): a drift of the machine spreads over every configuration.
        for r in range(1, grid.repeats + 1):
            for c in configs:
                why = skip_reason(c, grid, spec)
                entries.append(SweepEntry(index=len(entries), config=c.model_dump(mode="json"),
                                          status="skipped" if why else "pending", reason=why,
                                          repeat=r if grid.repeats > 1 else None))
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
