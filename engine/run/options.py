"""How each run option is offered, and which values a device, precision or mode allows. Qt-free,
torch-free.

Every RunConfig field carries one `Option` (through `Annotated`), so adding a lever is one field plus
its implementation: the `run` and `sweep` flags, the GUI run panel's control, the remembered settings
and the sweep axes are all derived from it. A surface a field is not offered on names why
(`Option.exempt`). `unavailable()` holds the rules: which values this device, precision or mode
cannot take, with the reason the GUI shows and the engine raises.

    option_fields(RunConfig) -> {name: OptionField}     every option, in declaration order
    unavailable(values, Target(...)) -> {key: reason}     key "field" or "field:value"
"""
from __future__ import annotations

import functools
import importlib.util
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types

SURFACES = ("cli", "gui", "sweep")
Control = Literal["choice", "int", "float", "bool", "text", "device", "devices", "length", "dataset", "weights"]


@dataclass(frozen=True, eq=False)
class Option:
    """How one RunConfig field is offered. Words in `label`, `tip` and `choices` are for the GUI:
    plain words, no field names, no flags."""
    label: str  # GUI label, e.g. "Batch size"
    tip: str = ""  # GUI tooltip: what it does and when it matters
    flag: str | None = None  # `run` flag; default --name-with-dashes
    help: str | None = None  # CLI help; default: the field's description
    metavar: str | None = None  # CLI: the argument's name in the help
    exclusive: str | None = None  # fields of one group are given one at a time (steps or seconds)
    control: Control | None = None  # GUI control; default from the field's type
    axis: bool = False  # a sweep axis (every value runs); otherwise one value for the whole sweep
    axis_flag: str | None = None  # `sweep` flag for the axis; default FLAG-options
    axis_default: tuple = ()  # the sweep's default values; default: the field's default alone
    choices: Mapping[Any, str] = field(default_factory=dict)  # value -> GUI label (others show as is)
    none_label: str = "none"  # how None is shown and typed ("off", "auto")
    decimals: int = 2  # GUI: digits after the point of a float
    suffix: str = ""  # GUI: unit after the number, e.g. " s"
    gui_max: float | None = None  # GUI upper bound where the field has none
    exempt: Mapping[str, str] = field(default_factory=dict)  # surface ("cli", "gui", "sweep") -> why not

    def on(self, surface: str) -> bool:
        return surface not in self.exempt


def option(info: Any) -> Option | None:
    """The Option of a pydantic FieldInfo, or None if it has none."""
    return next((m for m in info.metadata if isinstance(m, Option)), None)


@dataclass(frozen=True)
class OptionField:
    """One RunConfig field with its Option: what every surface needs to offer it."""
    name: str
    option: Option
    info: Any  # the pydantic FieldInfo

    def on(self, surface: str) -> bool:
        return self.option.on(surface)

    @property
    def label(self) -> str:
        return self.option.label

    @property
    def default(self) -> Any:
        return self.info.get_default(call_default_factory=True)

    @property
    def flag(self) -> str:
        return self.option.flag or "--" + self.name.replace("_", "-")

    @property
    def axis_flag(self) -> str:
        return self.option.axis_flag or self.flag + "-options"

    @property
    def axis_default(self) -> tuple:
        return self.option.axis_default or (self.default,)

    @property
    def value_type(self) -> tuple[type | None, tuple, bool]:
        """(base type, Literal choices or (), None allowed): int | None -> (int, (), True)."""
        ann = self.info.annotation
        nullable = False
        if typing.get_origin(ann) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            nullable = len(args) < len(typing.get_args(ann))
            ann = args[0] if len(args) == 1 else ann
        if typing.get_origin(ann) is Literal:
            choices = typing.get_args(ann)
            return type(choices[0]), choices, nullable
        return (ann if isinstance(ann, type) else None), (), nullable

    @property
    def base(self) -> type | None:
        return self.value_type[0]

    @property
    def choices(self) -> tuple:
        return self.value_type[1]

    @property
    def nullable(self) -> bool:
        return self.value_type[2]

    @property
    def control(self) -> Control:
        if self.option.control:
            return self.option.control
        base, choices, _ = self.value_type
        if choices:
            return "choice"
        return {bool: "bool", int: "int", float: "float"}.get(base, "text")

    @property
    def bounds(self) -> Bounds:
        """The numeric bounds, from the field's Field(ge=..., gt=..., le=..., lt=...) constraints."""
        b: dict[str, Any] = {}
        for m in self.info.metadata:
            if isinstance(m, annotated_types.Ge):
                b.update(low=m.ge, low_open=False)
            elif isinstance(m, annotated_types.Gt):
                b.update(low=m.gt, low_open=True)
            elif isinstance(m, annotated_types.Le):
                b.update(high=m.le, high_open=False)
            elif isinstance(m, annotated_types.Lt):
                b.update(high=m.lt, high_open=True)
        return Bounds(**b)

    def choice_label(self, value: Any) -> str:
        """A value in GUI words: its label in Option.choices, else the value as typed."""
        return self.option.choices.get(value, self.format(value))

    def parse(self, text: str) -> Any:
        """One value as typed by a user (a flag's argument, an item of a sweep list). Raises
        ValueError with a message that says what is wanted."""
        base, choices, nullable = self.value_type
        t = text.strip()
        if nullable and t.lower() in {"none", self.option.none_label.lower()}:
            return None
        if base is bool:
            if t.lower() not in ON_WORDS:
                raise ValueError(f"{t!r} is not on or off")
            return ON_WORDS[t.lower()]
        if choices:
            if t not in choices:
                extra = [self.option.none_label] if nullable else []
                raise ValueError(f"{t!r} is not one of {', '.join(map(str, (*choices, *extra)))}")
            return t
        if base in (int, float):
            try:
                x = base(t)
            except ValueError:
                raise ValueError(f"{t!r} is not {'a whole number' if base is int else 'a number'}") from None
            why = self.bounds.problem(x)
            if why:
                raise ValueError(f"{why} (got {t})")
            return x
        return t

    def check(self, value: Any) -> Any:
        """A value checked alone (type, choices, bounds); ValueError in plain words."""
        from typing import Annotated

        from pydantic import TypeAdapter, ValidationError
        _base, choices, nullable = self.value_type
        if choices and value not in choices and not (nullable and value is None):
            raise ValueError(f"unknown {self.name} {value!r} (choose from {', '.join(map(str, choices))})")
        try:
            return TypeAdapter(Annotated[(self.info.annotation, *self.info.metadata)]).validate_python(value)
        except ValidationError as exc:
            raise ValueError(f"{self.name} {value!r}: {exc.errors()[0]['msg'].lower()}") from None

    def format(self, value: Any) -> str:
        """A value as a user types it (the inverse of parse)."""
        if value is None:
            return self.option.none_label
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, list):  # a device list: cuda:0+cuda:1 (one item of a sweep's comma list)
            return "+".join(map(str, value))
        return f"{value:g}" if isinstance(value, float) else str(value)


def option_fields(schema: Any, surface: str | None = None) -> dict[str, OptionField]:
    """name -> OptionField of every field of a RunConfig class (offered on `surface`, if given), in
    declaration order. A field without an Option is a programming error, named here."""
    out = {}
    for name, info in schema.model_fields.items():
        opt = option(info)
        if opt is None:
            raise TypeError(f"{schema.__name__}.{name} has no Option: say how it is offered (engine.run.options)")
        if surface is None or opt.on(surface):
            out[name] = OptionField(name, opt, info)
    return out


@dataclass(frozen=True)
class Bounds:
    low: float | None = None
    low_open: bool = False  # gt rather than ge
    high: float | None = None
    high_open: bool = False

    def problem(self, x: float) -> str | None:
        """Why x is out of bounds, in words, or None."""
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return f"must be {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None and (x >= self.high if self.high_open else x > self.high):
            return f"must be {'<' if self.high_open else '<='} {self.high:g}"
        return None


DDP_KNOBS = ("bucket_cap_mb", "gradient_as_bucket_view", "static_graph", "ddp_compress")
PIPELINE_KNOBS = ("microbatches", "pipeline_split", "pipeline_schedule")
ON_WORDS = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


ONNX_RUNTIME_INFER_ONLY = "ONNX Runtime runs inference only (the exported model has no training graph): choose Infer"


# --- which values a device, precision or mode allows -----------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a run would run on, as far as the option rules care."""
    device: str = "cpu"  # cpu | cuda | cuda:N
    compute_capability: tuple[int, int] | None = None  # None: unknown (or the CPU)
    input_shape: tuple[int, ...] | None = None  # the network's input, without the batch

    @property
    def gpu(self) -> bool:
        return self.device != "cpu"


def cuda_graph_compile_modes() -> tuple[str, ...]:
    """The run schema's torch.compile modes that record CUDA graphs themselves: all but default and the
    -no-cudagraphs variants (torch's own naming). Read from RunConfig, which imports this module."""
    from engine.run.config import COMPILE_MODES
    return tuple(m for m in COMPILE_MODES if m != "default" and not m.endswith("no-cudagraphs"))


BINARIZE_NOT_INT8 = ("int8 quantizes float layers; binarized layers are +1/-1 signs already: choose fp32, bf16 or "
                     "fp16 with binarize")
PIPELINE_QUANT = "a pipeline splits PyTorch's own layers into stages; quantized int8/fp8 networks are not split: use bf16"
QUANT_EXTRA = "pip install 'tradeoff-lab[quant]' (torchao)"
FP8_CC = (8, 9)  # fp8 tensor cores: Ada and Hopper onwards


@functools.cache
def torchao_installed() -> bool:
    """Whether torchao can be found (not imported: that costs seconds and loads torch)."""
    return importlib.util.find_spec("torchao") is not None


def quantization_rules(mode: str, target: Target) -> dict[str, str]:
    """Where precision int8 and fp8 run: int8 on the CPU (static quantization, oneDNN) and on a GPU
    (torchao's int8 Linear layers, the rest in bf16); fp8 on GPUs of compute capability 8.9 or newer
    (torchao's fp8 Linear layers). Both quantize a trained network: inference only; both need torchao."""
    out: dict[str, str] = {}
    if mode != "infer":
        out["precision:int8"] = ("int8 runs only for inference (post-training quantization of a trained "
                                 "network): choose Infer")
        out["precision:fp8"] = ("fp8 runs only for inference (the Linear layers of a trained network quantized "
                                "to fp8): choose Infer, or train in bf16")
        return out
    if not torchao_installed():
        for name in ("int8", "fp8"):
            out[f"precision:{name}"] = f"{name} quantization needs torchao, which is not installed: {QUANT_EXTRA}"
        return out
    cc = target.compute_capability
    if not target.gpu:
        out["precision:fp8"] = ("fp8 needs an NVIDIA GPU with fp8 tensor cores (compute capability 8.9 or "
                                "newer: Ada, Hopper); the CPU has none: use int8 on the CPU")
    elif cc is not None and cc < FP8_CC:
        out["precision:fp8"] = (f"fp8 needs compute capability 8.9 or newer (Ada, Hopper: fp8 tensor cores); "
                                f"this GPU is {cc[0]}.{cc[1]}")
        if cc < (8, 0):
            out["precision:int8"] = (f"int8 on a GPU runs the layers it does not quantize in bf16, which needs "
                                     f"compute capability 8.0 or newer (Ampere); this GPU is {cc[0]}.{cc[1]}")
    return out


def semi_structured_problem(mode: str, precision: str, target: Target) -> str | None:
    """Why 2:4 pruning cannot run here (no sparse kernel takes it), or None; the run loop refuses with it."""
    if not target.gpu:
        return ("prune 2:4: semi-structured sparse kernels run only on NVIDIA GPUs of compute capability 8.0 or "
                "newer (Ampere); this run is on the CPU")
    cc = target.compute_capability
    if cc is not None and cc < (8, 0):
        return (f"prune 2:4: semi-structured sparse kernels need compute capability 8.0 or newer (Ampere); "
                f"this GPU is {cc[0]}.{cc[1]}")
    if mode != "infer":
        return "prune 2:4: runs for inference only here (the sparse weights are not trained)"
    if precision not in ("fp16", "bf16"):
        return (f"prune 2:4: needs precision fp16 or bf16 (the sparse tensor-core kernels are half precision); "
                f"this run is {precision}")
    return None


def unavailable(values: Mapping[str, Any], target: Target) -> dict[str, str]:
    """Option key -> why it cannot be chosen with these other values on this target. Keys are a field
    name (the whole option, e.g. "cudnn_benchmark") or "field:value" (one choice, e.g. "precision:int8").
    The run loop refuses the same int8 and CUDA graph choices with the same words."""
    out: dict[str, str] = {}
    mode = values.get("mode", "train")
    out.update(quantization_rules(mode, target))
    if not target.gpu:
        out["precision:tf32"] = "TF32 is a GPU tensor-core mode; on the CPU it would be plain fp32"
        out["cudnn_benchmark"] = "cuDNN autotune tunes NVIDIA GPU convolutions; this run is on the CPU"
        from engine.run.config import REDUCE_OVERHEAD  # config imports this module
        out[f"compile:{REDUCE_OVERHEAD}"] = f"{REDUCE_OVERHEAD} uses CUDA graphs: GPU only"
    elif target.compute_capability is not None and target.compute_capability < (8, 0):
        cc = target.compute_capability
        why = f"needs compute capability 8.0 or newer (Ampere); this GPU is {cc[0]}.{cc[1]}"
        out["precision:tf32"] = f"TF32 {why}"
        out["precision:bf16"] = f"bf16 {why}"
    if not target.gpu:
        out["cuda_graph"] = "CUDA graphs record and replay GPU work; this run is on the CPU"
    elif values.get("cuda_graph"):  # one way only: the graph rules these out, so the GUI falls back from them
        for compile_mode in cuda_graph_compile_modes():
            out[f"compile:{compile_mode}"] = (f"compile mode {compile_mode} records CUDA graphs itself; with the "
                                              f"whole step captured as a CUDA graph, use compile default or off")
        if mode == "train":
            out["precision:fp16"] = ("fp16 training checks its loss scale on the host every step, which a "
                                     "CUDA graph cannot record; use bf16 (no loss scale) with a CUDA graph")
    if target.input_shape is not None and len(target.input_shape) != 3:
        out["channels_last"] = (f"channels-last needs an image input (channels, height, width); this "
                                f"network's input is {list(target.input_shape)}")
    if values.get("prune") == "2:4" and (why := semi_structured_problem(mode, values.get("precision", "fp32"), target)):
        out["prune:2:4"] = why  # the run panel says it before Start; a sweep skips the configuration
    if values.get("prune") is None:
        out["prune_finetune_steps"] = "used only with pruning"
    elif str(values.get("dataset", "synthetic")).partition(":")[0] == "synthetic":
        out["prune_finetune_steps"] = "fine-tuning needs labelled images: synthetic data has none"
    if not (values.get("devices") or values.get("processes") or (values.get("nnodes") or 1) > 1):
        for name in DDP_KNOBS:
            out[name] = "used only by data-parallel runs (several devices or processes)"
        for choice in ("data", "pipeline"):  # one device: nothing to share the work between
            out[f"parallel:{choice}"] = ("needs several devices: list them under Devices (cuda:0,cuda:1), or "
                                         "give cpu there with 2 or more Processes")
    if values.get("parallel") == "pipeline":
        for name in DDP_KNOBS:
            out[name] = "tunes data parallelism's gradient all-reduce: a pipeline has none"
        for name in ("int8", "fp8"):
            out[f"precision:{name}"] = PIPELINE_QUANT
    else:
        for name in PIPELINE_KNOBS:
            out[name] = "used only by pipeline runs (Parallelism: pipeline)"
    if values.get("binarize"):
        out.setdefault("precision:int8", BINARIZE_NOT_INT8)
        out.setdefault("precision:fp8", BINARIZE_NOT_INT8.replace("int8", "fp8"))
    if mode != "infer":
        out["backend:onnxruntime"] = ONNX_RUNTIME_INFER_ONLY
    elif values.get("backend") == "onnxruntime":
        for choice in ("fp16", "bf16", "int8", "fp8"):
            out[f"precision:{choice}"] = ("ONNX Runtime runs the exported fp32 model: use fp32 with it (or tf32 "
                                          "on a GPU: its CUDA provider's TF32 switch)")
        out["compile"] = "torch.compile is PyTorch's; ONNX Runtime optimizes the exported graph itself"
        out["channels_last"] = "ONNX Runtime chooses its own memory layout for the exported model"
        out["conv_algo"] = "ONNX Runtime runs its own convolution kernels on the exported model"
        out["cuda_graph"] = "CUDA graphs capture PyTorch's step; ONNX Runtime runs its own session"
    if mode != "train":
        if values.get("parallel") != "pipeline":
            for name in DDP_KNOBS:
                out[name] = "data-parallel inference runs independent processes: no gradients to all-reduce"
        finetunes = bool(values.get("prune") and values.get("prune_finetune_steps"))  # it trains with them
        for name in ("eval_every_s", "keep_weights", "until_accuracy") + (() if finetunes else ("optimizer", "lr")):
            out[name] = "used only when training"
    elif str(values.get("dataset", "synthetic")).partition(":")[0] == "synthetic":
        out["eval_every_s"] = "synthetic data has no held-out images to check accuracy on"
        out["until_accuracy"] = "synthetic data has no held-out images to check accuracy on"
    return out
