"""The lever advisor: from a profile's verdict (what bounds the run) to the levers that address that
bound, each one RunConfig change with a one-line why and the seminar's kind of speed-up. Torch-free.

    advice = advise("launch-bound", config, Target(device="cuda", compute_capability=(9, 0)))
    advice.levers    in the order to try them; each: key, changes {field: value}, why, tag
    advice.skipped   the levers of that bound this run cannot take, each with the reason

A lever is proposed only where it is a run option of this version (RunConfig.model_fields: options
other parts of the app add later are picked up when they exist) and where the option rules
(engine.run.options.unavailable) allow it for this device and mode; every other lever of the bound is
listed as skipped, with the reason, so the user sees what was not tried and why.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import ValidationError

from engine.errors import BadInput
from engine.run import options as o
from engine.run.config import REDUCE_OVERHEAD, RunConfig

Bound = Literal["launch", "memory", "compute", "host"]
Tag = Literal["constant-factor", "algorithmic", "library", "hardware"]
BOUNDS: tuple[str, ...] = get_args(Bound)
TAGS: dict[str, str] = {
    "constant-factor": "the same work with less overhead or better memory use",
    "algorithmic": "less work: another algorithm computes the same result",
    "library": "another library or compiler does the work with its own kernels",
    "hardware": "units of the chip the run did not use (tensor cores, integer units, more cores)",
}
BOUND_WORDS = {"launch": "launch-bound", "memory": "memory-bound", "compute": "compute-bound", "host": "data/host-bound"}
# What a verdict may be called (the profile's words, the contract's, a user's shorthand).
_ALIASES = {"launch": "launch", "launch-bound": "launch", "overhead": "launch", "launch/overhead": "launch",
            "memory": "memory", "memory-bound": "memory", "bandwidth": "memory",
            "compute": "compute", "compute-bound": "compute",
            "host": "host", "host-bound": "host", "data": "host", "data-bound": "host", "data/host-bound": "host",
            "host/data-bound": "host", "input": "host"}
BATCH_FACTOR = 4


class BadVerdict(BadInput):
    """A verdict the advisor does not know; the message lists the known ones."""


def parse_verdict(text: str) -> Bound:
    """'launch-bound', 'memory', 'data/host-bound', ... -> the bound; BadVerdict otherwise."""
    key = str(text).strip().lower().replace("_", "-").replace(" ", "-")
    if key not in _ALIASES:
        raise BadVerdict(f"verdict {str(text)[:60]!r} is not one of: " + ", ".join(BOUND_WORDS.values()))
    return _ALIASES[key]  # type: ignore[return-value]


@dataclass(frozen=True)
class Lever:
    """One change to the baseline's run options that addresses the bound."""
    key: str  # short and stable, e.g. "cuda-graph"
    changes: Mapping[str, Any]  # RunConfig field -> value
    why: str  # one line: why it addresses this bound
    tag: Tag

    def label(self, baseline: Any = None) -> str:
        """'batch 64 → 256', 'channels-last on', 'precision bf16'."""
        parts = []
        for name, value in self.changes.items():
            shown = _shown(name, value)
            if baseline is not None and name in ("batch", "threads"):
                parts.append(f"{name} {_shown(name, getattr(baseline, name, None))} → {shown}")
            else:
                parts.append(f"{name.replace('_', '-')} {shown}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "changes": dict(self.changes), "why": self.why, "tag": self.tag}


@dataclass(frozen=True)
class Skipped:
    key: str
    why: str  # why this run cannot take it, for the user


@dataclass(frozen=True)
class Advice:
    bound: Bound
    levers: tuple[Lever, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    @property
    def bound_words(self) -> str:
        return BOUND_WORDS[self.bound]


def _shown(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "auto" if name == "threads" else "off"
    return str(value)


@dataclass(frozen=True)
class _Candidate:
    key: str
    field: str
    value: Callable[[RunConfig, Mapping[str, Any]], Any]  # (baseline, context) -> the lever's value, or None: n/a
    tag: Tag
    why: str
    gpu_only: str = ""  # why it is not proposed on a CPU ("" = also on a CPU)
    cpu_only: str = ""


def _const(v: Any) -> Callable[[RunConfig, Mapping[str, Any]], Any]:
    return lambda _c, _ctx: v


def _larger_batch(c: RunConfig, _ctx: Mapping[str, Any]) -> Any:
    high = o.option_fields(RunConfig)["batch"].bounds.high or c.batch
    return min(int(c.batch * BATCH_FACTOR), int(high))


def _all_threads(c: RunConfig, ctx: Mapping[str, Any]) -> Any:
    cores = ctx.get("cpu_threads")
    return cores if cores and (c.threads is None or c.threads < cores) else None


_GPU_PRECISION = ("lower precision pays on GPU tensor cores; on a CPU without matrix units it is usually "
                  "slower than fp32")
CANDIDATES: dict[str, _Candidate] = {c.key: c for c in (
    _Candidate("batch", "batch", _larger_batch, "constant-factor",
               f"{BATCH_FACTOR}× the samples share each step's fixed costs (kernel launches, Python, the optimizer loop)"),
    _Candidate("cuda-graph", "cuda_graph", _const(True), "constant-factor",
               "the whole step is captured once and replayed: no per-kernel launch cost",
               gpu_only="CUDA graphs replay GPU kernels; this run is on the CPU"),
    _Candidate(f"compile-{REDUCE_OVERHEAD}", "compile", _const(REDUCE_OVERHEAD), "library",
               "torch.compile fuses kernels and replays them as CUDA graphs: fewer launches"),
    _Candidate("channels-last", "channels_last", _const(True), "constant-factor",
               "height × width × channels order: convolutions read memory contiguously, no layout copies"),
    _Candidate("bf16", "precision", _const("bf16"), "hardware",
               "half the bytes per value to move, and tensor cores do the arithmetic", gpu_only=_GPU_PRECISION),
    _Candidate("fp16", "precision", _const("fp16"), "hardware",
               "half the bytes per value to move, and tensor cores do the arithmetic", gpu_only=_GPU_PRECISION),
    _Candidate("compile", "compile", _const("default"), "library",
               "torch.compile fuses element-wise layers (BatchNorm, ReLU) into their neighbours: fewer trips to memory"),
    _Candidate("tf32", "precision", _const("tf32"), "hardware",
               "fp32 matrix maths on tensor cores (10-bit mantissa), several times the fp32 peak"),
    _Candidate("prune-structured", "prune", _const("structured:0.25"), "algorithmic",
               "a quarter of each convolution's channels dropped: a smaller network, fewer FLOPs (accuracy changes)"),
    _Candidate("winograd", "conv_algo", _const("winograd"), "algorithmic",
               "Winograd convolution: fewer multiplications for 3×3 kernels"),
    _Candidate("threads", "threads", _all_threads, "hardware", "every core of the CPU works on each step",
               cpu_only="CPU threads do not speed up work on the GPU"),
    _Candidate("int8", "precision", _const("int8"), "hardware",
               "8-bit integer Linear layers: a quarter of the bytes, integer vector units"),
    _Candidate("onnxruntime", "backend", _const("onnxruntime"), "library",
               "ONNX Runtime runs the network with its own fused CPU kernels and graph optimizations"),
    _Candidate("data-on-device", "data_on_device", _const(True), "constant-factor",
               "the data set is copied to the device once: no host reads or copies per step"),
    _Candidate("synthetic-data", "dataset", lambda c, _x: None if c.dataset == "synthetic" else "synthetic",
               "constant-factor", "random tensors made on the device show what the data pipeline costs "
               "(accuracy is then not measured)"),
    _Candidate("workers", "workers", _const(4), "constant-factor",
               "data loading in 4 worker processes, overlapped with the step"),
)}

# The levers of each bound, in the order to try them (the cheapest to apply and most likely to pay first).
ORDER: dict[str, tuple[str, ...]] = {
    "launch": ("batch", "cuda-graph", f"compile-{REDUCE_OVERHEAD}", "onnxruntime"),
    "memory": ("channels-last", "bf16", "fp16", "compile"),
    "compute": ("tf32", "bf16", "fp16", "winograd", "prune-structured", "threads", "int8", "onnxruntime"),
    "host": ("data-on-device", "synthetic-data", "workers", "batch"),
}


def _fields(schema: type[RunConfig]) -> Mapping[str, Any]:
    return schema.model_fields


def advise(verdict: str, config: RunConfig, target: o.Target | None = None, *,
           cpu_threads: int | None = None, schema: type[RunConfig] | None = None) -> Advice:
    """The levers for the verdict's bound that this run can take, in order, and those it cannot
    (with why). `target` defaults to the config's device; `cpu_threads` is the cores a threads lever
    may give (None: no threads lever)."""
    bound = parse_verdict(verdict)
    schema = schema or type(config)
    target = target or o.Target(device=config.device)
    ctx = {"cpu_threads": cpu_threads}
    levers: list[Lever] = []
    skipped: list[Skipped] = []
    for key in ORDER[bound]:
        cand = CANDIDATES[key]
        why_not = _why_not(cand, config, target, ctx, schema)
        if why_not:
            skipped.append(Skipped(key, why_not))
        else:
            levers.append(Lever(key, {cand.field: cand.value(config, ctx)}, cand.why, cand.tag))
    return Advice(bound, tuple(levers), tuple(skipped))


def _why_not(cand: _Candidate, config: RunConfig, target: o.Target, ctx: Mapping[str, Any],
             schema: type[RunConfig]) -> str | None:
    if cand.field not in _fields(schema):
        return f"this version has no {cand.field.replace('_', '-')} run option"
    value = cand.value(config, ctx)
    if value is None:
        return _not_applicable(cand, config)
    if getattr(config, cand.field) == value:
        return f"the baseline already runs with {cand.field.replace('_', '-')} {_shown(cand.field, value)}"
    changed = {**config.model_dump(), cand.field: value}
    f = o.option_fields(schema)[cand.field]
    for key, why in o.unavailable(changed, target).items():
        name, _, choice = key.partition(":")
        if name == cand.field and (not choice or f.format(value) == choice):
            return why
    if cand.gpu_only and not target.gpu:
        return cand.gpu_only
    if cand.cpu_only and target.gpu:
        return cand.cpu_only
    try:
        schema(**changed)
    except ValidationError as exc:
        return exc.errors()[0]["msg"].removeprefix("Value error, ")
    return None


def _not_applicable(cand: _Candidate, config: RunConfig) -> str:
    if cand.key == "threads":
        return "the run already uses every core (threads auto or all)"
    if cand.key == "synthetic-data":
        return "the baseline already uses synthetic data"
    return "does not apply to this run"


def refusal(config: RunConfig, target: o.Target) -> str | None:
    """Why the option rules refuse this configuration on this target (one of its chosen values), or None."""
    values = config.model_dump()
    fields = o.option_fields(type(config))
    for key, why in o.unavailable(values, target).items():
        name, _, choice = key.partition(":")
        if name in fields and choice and fields[name].format(values[name]) == choice:
            return why
    return None


def apply(config: RunConfig, *levers: Lever) -> RunConfig:
    """The baseline with the levers' changes (later levers win on a shared field)."""
    changes: dict[str, Any] = {}
    for lever in levers:
        changes.update(lever.changes)
    return type(config)(**{**config.model_dump(), **changes})
