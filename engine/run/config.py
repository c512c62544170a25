"""RunConfig: everything that defines one run, and the only place a run option is declared.

Each field has its type (a `Literal` lists its choices once), its default, its bounds and units
(`Field`), and one `Option` saying how it is offered: the `run` and `sweep` flags, the GUI run
panel's control, the sweep axes and the remembered settings are derived from these declarations
(engine.run.options). Adding a lever is one field here plus its implementation in the run loop.
Field names are stable: stored results keep their config under these names.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from engine.net.conv_rules import ALGO_DOCS, ConvAlgo
from engine.run.options import Option

Precision = Literal["fp32", "tf32", "fp16", "bf16", "int8", "fp8"]
Mode = Literal["train", "infer"]
Optimizer = Literal["sgd", "adam"]
CompileMode = Literal["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"]
Parallel = Literal["data", "pipeline"]
PipelineSchedule = Literal["gpipe", "1f1b"]
DdpCompress = Literal["bf16", "fp16"]
Backend = Literal["torch", "onnxruntime"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
COMPILE_MODES: tuple[str, ...] = get_args(CompileMode)
REDUCE_OVERHEAD = COMPILE_MODES[1]  # the mode that exists for its CUDA graphs: a lever of its own (advisor, rules)
DEFAULT_STEPS = 100  # when neither steps nor seconds is given
DATASET_KINDS = {"synthetic": "Synthetic (random tensors)", "digits": "Digits (built in, 1,797 images)",
                 "mnist": "MNIST (local folder)", "cifar10": "CIFAR-10 (local folder)",
                 "folder": "Image folder (one sub-folder per class)"}
PATHLESS_DATASETS = ("synthetic", "digits")  # the others are read from a folder: kind:PATH
PRUNE_KINDS = ("unstructured", "structured", "2:4")
PRUNE_FORMAT = "unstructured:AMOUNT, structured:AMOUNT (AMOUNT a share between 0 and 1, e.g. 0.5) or 2:4"


def parse_prune(text: str) -> tuple[str, float]:
    """'unstructured:0.5' -> ('unstructured', 0.5); '2:4' -> ('2:4', 0.5). ValueError in plain words."""
    t = text.strip()
    if t == "2:4":
        return "2:4", 0.5
    kind, _, amount = t.partition(":")
    if kind.isdigit() and amount.isdigit():  # another N:M pattern ('2:8' read as the kind '2')
        raise ValueError(f"prune {t!r}: the only N:M semi-structured pattern is 2:4 (what sparse GPU kernels take)")
    if kind not in ("unstructured", "structured"):
        raise ValueError(f"prune {t!r}: unknown kind {kind!r}; expected {PRUNE_FORMAT}")
    if not amount:
        raise ValueError(f"prune {t!r}: give the share to prune after the kind, e.g. {kind}:0.5")
    try:
        share = float(amount)
    except ValueError:
        raise ValueError(f"prune {t!r}: amount {amount!r} is not a number; expected {PRUNE_FORMAT}") from None
    if not 0 < share < 1:
        raise ValueError(f"prune {t!r}: amount must be between 0 and 1 (exclusive), e.g. {kind}:0.5")
    return kind, share
_FORMAT = "the format version of a stored configuration, not a choice"


def _device_list(value: Any) -> Any:
    """'cuda:0,cuda:1' (also '+' or spaces between, or a list) -> ['cuda:0', 'cuda:1']; '' -> None."""
    if isinstance(value, str):
        items = [t for t in re.split(r"[,+\s\[\]'\"]+", value) if t]
        return items or None
    return value




class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[int, Option("Format version", exempt={"cli": _FORMAT, "gui": _FORMAT, "sweep": _FORMAT})] = 1
    device: Annotated[str, Option(
        "Device", "Where the network runs", control="device", axis=True, axis_flag="--devices",
        axis_default=("cpu",), help="cpu, cuda or cuda:N (default: the first GPU, else cpu)")] = Field(
        default="cpu", description="cpu, cuda (the first GPU) or cuda:N")
    precision: Annotated[Precision, Option(
        "Precision", "Number format of the computation: fp32 is exact single precision; tf32, fp16 and bf16 "
        "trade accuracy for speed on GPUs; int8 quantizes a trained network for inference (CPU: convolutions and "
        "Linear layers, calibrated on the data set; GPU: large Linear layers, the rest bf16); fp8 quantizes large "
        "Linear layers on Ada/Hopper GPUs. Both pay only on large layers, mostly with Compile on",
        axis=True, axis_flag="--precisions")] = Field(default="fp32", description="number format of the run")
    # Upper bounds (le): past them a number is a typo, not a setting (a batch of 2**63 crashed in C++,
    # inf seconds never ended); the CLI refuses them naming the flag.
    batch: Annotated[int, Option(
        "Batch size", "Samples per step: larger batches use the hardware better and need more memory",
        axis=True, axis_flag="--batches", axis_default=(32, 256, 1024), gui_max=1 << 20)] = Field(
        default=64, ge=1, le=1 << 20, description="samples per step")
    mode: Annotated[Mode, Option(
        "Mode", "Train (forward, backward and update) or infer (forward only)", axis=True, axis_flag="--modes",
        choices={"train": "Train", "infer": "Infer"})] = Field(default="train", description="train or infer")
    steps: Annotated[int | None, Option(
        "Length", "How long the timed part of the run lasts, in steps or in seconds", control="length",
        exclusive="length", gui_max=10_000_000)] = Field(
        default=None, ge=1, le=10_000_000, description=f"timed steps (default {DEFAULT_STEPS}); exclusive with seconds")
    seconds: Annotated[float | None, Option(
        "Length", "How long the timed part of the run lasts, in steps or in seconds", control="length", exclusive="length",
        suffix=" s", decimals=1, gui_max=86_400)] = Field(
        default=None, gt=0, le=86_400, description="timed seconds; exclusive with steps")
    warmup: Annotated[int, Option(
        "Warm-up", "Steps run before timing starts, so start-up costs and autotuning are not measured",
        suffix=" steps", gui_max=100_000)] = Field(default=10, ge=0, le=100_000, description="untimed warm-up steps")
    dataset: Annotated[str, Option(
        "Data", "What the network is fed: random tensors measure speed alone; real images also show accuracy",
        control="dataset", choices=DATASET_KINDS)] = Field(
        default="synthetic", description="synthetic | digits | mnist:PATH | cifar10:PATH | folder:PATH")
    optimizer: Annotated[Optimizer, Option(
        "Optimizer", "How training updates the weights", axis=True, axis_flag="--optimizers",
        choices={"sgd": "SGD with momentum", "adam": "Adam"})] = Field(
        default="sgd", description="training optimizer: sgd (momentum 0.9) or adam")
    lr: Annotated[float, Option(
        "Learning rate", "Size of each training update", decimals=5, gui_max=10.0)] = Field(
        default=0.01, gt=0, le=10.0, description="learning rate")
    eval_every_s: Annotated[float, Option(
        "Accuracy check every", "How often training pauses to measure accuracy on held-out images "
        "(the pause is not timed)", flag="--eval-every", suffix=" s", decimals=1, gui_max=3600)] = Field(
        default=2.0, gt=0, le=3600, description="seconds between held-out evaluations when training on real data")
    seed: Annotated[int, Option(
        "Random seed", "Starting point of the random weights and data order; the same seed repeats a run",
        gui_max=2**31 - 1)] = Field(default=0, ge=0, le=2**63 - 1, description="random seed")
    channels_last: Annotated[bool, Option(
        "Channels-last memory format", "Stores images as height x width x channels: faster convolutions "
        "on GPU tensor cores", axis=True, choices={False: "contiguous", True: "channels-last"})] = Field(
        default=False, description="NHWC memory format for the model and its input")
    compile: Annotated[CompileMode | None, Option(
        "Compile", "Compiles the network into fused kernels before timing (torch.compile); the first "
        "run takes extra time to compile", metavar="MODE", none_label="off",
        axis=True, axis_default=(None,))] = Field(default=None, description="torch.compile mode")
    cuda_graph: Annotated[bool, Option(
        "CUDA graph", "Records the whole step (forward, backward, update) once and replays it: no per-kernel "
        "launch cost; pays on GPUs when steps are short (small nets or batches, launch-bound)", axis=True,
        choices={False: "eager", True: "CUDA graph"},
        help="capture the whole training or inference step once as a CUDA graph and replay it (GPU; pays when "
             "steps are launch-bound: small nets or batches)")] = Field(
        default=False, description="capture the step as a CUDA graph and replay it (GPU)")
    cudnn_benchmark: Annotated[bool, Option(
        "cuDNN autotune", "Lets cuDNN try its convolution algorithms during warm-up and keep the fastest",
        axis=True, choices={False: "autotune off", True: "autotune on"})] = Field(
        default=True, description="cuDNN autotune (GPU)")
    conv_algo: Annotated[ConvAlgo, Option(
        "Conv algorithm", "How every convolution is computed: the library (cuDNN, oneDNN) is tuned and usually "
        "fastest; im2col, FFT (pays for large kernels), Winograd (3x3 only) and direct (slow) show what it does "
        "for you", axis=True, axis_flag="--conv-algos",
        choices={"library": "library (cuDNN / oneDNN)", "direct": "direct loop (slow, for teaching)",
                 "im2col": "im2col + GEMM", "fft": "FFT", "winograd": "Winograd F(2x2,3x3)"},
        help="convolution algorithm for every Conv2d (a layer's own algo wins): "
             + "; ".join(f"{k}: {v}" for k, v in ALGO_DOCS.items()))] = Field(
        default="library", description="convolution algorithm for every Conv2d; a layer's algo parameter wins")
    backend: Annotated[Backend, Option(
        "Runtime", "What executes the network: PyTorch, or ONNX Runtime on the exported model (inference "
        "only; its own graph optimizations; pays where its fused kernels beat PyTorch's, often on the CPU)",
        axis=True, axis_flag="--backends", choices={"torch": "PyTorch", "onnxruntime": "ONNX Runtime"},
        help="torch, or onnxruntime (inference only: the model is exported to ONNX before timing)")] = Field(
        default="torch", description="the runtime that executes the network: torch or onnxruntime")
    binarize: Annotated[bool, Option(
        "Binarize", "Turns the inner convolutions and Linear layers into XNOR-Net binarized ones (signs of "
        "inputs and weights, one scale per channel; the first and last layers stay float): 32x smaller weights, "
        "some accuracy lost; its speed here is simulated (float arithmetic on +1/-1): it pays only with "
        "bit-packed kernels", axis=True, choices={False: "float", True: "binarized"},
        help="binarize the inner Conv2d and Linear layers (XNOR-Net; first and last stay float): accuracy is "
             "measured, speed is simulated")] = Field(
        default=False, description="binarize the inner Conv2d and Linear layers (XNOR-Net)")
    threads: Annotated[int | None, Option(
        "CPU threads", "Threads the CPU work may use; auto lets the framework choose", none_label="auto",
        axis=True, gui_max=1024)] = Field(
        default=None, ge=1, le=1024, description="CPU threads for torch, or auto")
    weights: Annotated[str | None, Option(
        "Weights", "Start from trained weights: those a stored training run kept, or a .safetensors file "
        "(none: random weights from the seed)", control="weights", metavar="RUN_ID|FILE",
        help="start from the weights a stored training run kept (its run id) or a .safetensors file")] = Field(
        default=None, min_length=1, description="weights to start from: a stored run's id or a .safetensors file")
    keep_weights: Annotated[bool, Option(
        "Keep the trained weights", "Saves the trained weights with the run, so inference runs can use them",
        help="save the trained weights with the run (training only)")] = Field(
        default=False, description="a training run saves its trained weights with the run")
    until_accuracy: Annotated[float | None, Option(
        "Stop at accuracy", "Training stops when the held-out accuracy reaches this share: gives the time "
        "and energy to reach it (the length is the cap)", metavar="SHARE", none_label="off", decimals=3,
        gui_max=1.0, help="stop training when held-out accuracy reaches this share, e.g. 0.95 (the length is "
        "the cap; needs training on a data set with held-out images)")] = Field(
        default=None, gt=0, le=1, description="target held-out accuracy (0..1) that ends a training run")
    prune: Annotated[str | None, Option(
        "Pruning", "Removes weights before the run, from the weights it starts from: unstructured:0.5 zeroes the "
        "smallest half (dense kernels still multiply the zeros: rarely faster); structured:0.25 drops a quarter "
        "of each convolution's channels (a smaller network: faster); 2:4 keeps 2 of every 4 Linear weights for "
        "sparse GPU kernels (Ampere or newer, fp16/bf16 inference)", metavar="KIND:AMOUNT", none_label="off",
        axis=True, axis_flag="--prunes", axis_default=(None,), help=f"prune the weights before the run: {PRUNE_FORMAT}")] = Field(
        default=None, description="pruning: unstructured:AMOUNT, structured:AMOUNT or 2:4")
    prune_finetune_steps: Annotated[int, Option(
        "Fine-tune after pruning", "Training steps on the run's data set right after pruning, before the run "
        "(untimed), so the remaining weights make up for the removed ones", suffix=" steps", gui_max=100_000)] = Field(
        default=0, ge=0, le=100_000, description="training steps after pruning, before the run (0: none)")
    sample_hz: Annotated[float, Option(
        "Telemetry rate", exempt={"gui": "a measuring detail: the app keeps the default rate"})] = Field(
        default=10.0, ge=0, le=1000, description="telemetry samples per second; 0 turns the sampler off")
    idle_baseline_s: Annotated[float, Option(
        "Idle power baseline", flag="--idle-seconds",
        exempt={"gui": "a measuring detail: the app keeps the default baseline"})] = Field(
        default=1.0, ge=0, le=600, description="seconds of GPU idle power measured before the run")
    stable_windows: Annotated[int | None, Option(
        "Stop when stable", "Keep measuring until the last N one-second windows agree (within the tolerance "
        "below), or the time cap is hit; the run length is then ignored", none_label="off", gui_max=100)] = Field(
        default=None, ge=2, le=100, description="stability mode: stop once the last N windows agree; off by default")
    stable_pct: Annotated[float, Option(
        "Stability tolerance", "How close the last windows' throughputs must be to call the run stable",
        suffix=" %", decimals=1, gui_max=100)] = Field(
        default=5.0, gt=0, le=100, description="stability mode: the windows agree within this many percent")
    stable_max_s: Annotated[float, Option(
        "Stability time cap", "Stability mode ends here even if the windows never agree (the result says so)",
        suffix=" s", decimals=0, gui_max=86_400)] = Field(
        default=60.0, gt=0, le=86_400, description="stability mode: the longest timed window, in seconds")
    repeats: Annotated[int, Option(
        "Repeats", "Runs each configuration this many times, each in a fresh process, taking turns with the "
        "other configurations; the results give a median and a 95 % interval over the runs",
        exempt={"gui": "the run panel runs once; the sweep dialog and `run --repeats` repeat"}, gui_max=100)] = Field(
        default=1, ge=1, le=100, description="runs of each configuration, combined into an interval")
    cpu_tdp_w: Annotated[float | None, Option(
        "CPU TDP", "The CPU's rated power, for estimating CPU energy where no energy counter can be read "
        "(default: looked up by CPU model)", none_label="auto", suffix=" W", decimals=0, gui_max=2000)] = Field(
        default=None, gt=0, le=2000, description="CPU TDP in watts for the CPU energy estimate (default: by CPU model)")

    # Several devices (engine.parallel). `devices` is the `run` flag --devices; the sweep's --devices is
    # the single-device axis above, so a sweep fixes or sweeps device lists with --device-sets (items
    # joined by +).
    devices: Annotated[list[str] | None, BeforeValidator(_device_list), Option(
        "Devices (several)", "Several devices, one process each: data parallel runs the batch below on each, "
        "a pipeline one stage of the net on each: cuda:0,cuda:1 for two GPUs, or cpu with Processes for CPU "
        "processes; empty: one device",
        flag="--devices", metavar="DEV,DEV,...", axis=True, axis_flag="--device-sets", axis_default=(None,),
        control="devices",
        help="several devices, one process each (data parallel, or one stage each with --parallel pipeline): "
             "cuda:0,cuda:1 (NCCL), or cpu with --processes N (gloo); sweep: --device-sets cuda:0+cuda:1,cuda:0")] = Field(
        default=None, description="devices of a data-parallel or pipeline run, one process per device")
    processes: Annotated[int | None, Option(
        "Processes (CPU)", "Several CPU processes on this machine (needs Devices: cpu): data parallel gives each "
        "the batch below and averages gradients over gloo; a pipeline gives each one stage", none_label="off",
        axis=True, gui_max=256,
        help="processes of a CPU data-parallel or pipeline run (with --devices cpu)")] = Field(
        default=None, ge=1, le=256, description="processes of a CPU data-parallel or pipeline run (with --devices cpu)")
    parallel: Annotated[Parallel | None, Option(
        "Parallelism", "How several devices share the work: data parallel copies the net to every device and "
        "splits the batch; pipeline splits the net into consecutive stages, one per device, and streams "
        "micro-batches through them (pays only when the net is too big for one device or its layers are heavy "
        "next to the transfers between stages)", none_label="auto",
        choices={"data": "Data parallel", "pipeline": "Pipeline (stages)"},
        help="data: the net copied to every device, the batch split (pays for most nets); pipeline: the net "
             "split into stages, one per device, micro-batches streamed through (pays only for nets too big "
             "for one device)")] = Field(
        default=None, description="data (default with several devices) or pipeline (the net split into stages)")
    microbatches: Annotated[int | None, Option(
        "Micro-batches", "Pipeline: each step's batch is cut into this many micro-batches that follow each other "
        "through the stages; more of them shrink the idle bubble at the start and end of the step, but each one "
        "is smaller (must divide the batch)", none_label="auto", axis=True, gui_max=4096,
        help="pipeline: micro-batches per step; more shrink the idle bubble (S-1)/(M+S-1) but each is smaller "
             "(must divide the batch; auto: up to 4 per stage)")] = Field(
        default=None, ge=1, le=4096, description="pipeline micro-batches per step; None: auto")
    pipeline_split: Annotated[str | None, Option(
        "Pipeline cut", "Pipeline: the layer each stage after the first starts with (comma-separated); a cut "
        "must have exactly one tensor crossing it, so residual nets are cut between blocks (empty: the cut that "
        "balances the stages' FLOPs)", metavar="LAYER[,LAYER...]", none_label="balanced",
        help="pipeline: the first layer of each stage after the first, e.g. conv5 (default: the cut that "
             "balances forward FLOPs)")] = Field(
        default=None, min_length=1, description="pipeline cut: first layer id of each later stage, comma-separated")
    pipeline_schedule: Annotated[PipelineSchedule, Option(
        "Pipeline schedule", "Pipeline: GPipe runs every micro-batch forward, then every one backward (simple, "
        "keeps all activations); 1F1B alternates one forward and one backward once the pipe is full (same "
        "bubble, less activation memory; needs as many micro-batches as stages)", axis=True,
        axis_flag="--pipeline-schedules", choices={"gpipe": "GPipe", "1f1b": "1F1B"},
        help="pipeline schedule: gpipe (every forward, then every backward) or 1f1b (alternating: less "
             "activation memory; needs micro-batches >= stages)")] = Field(
        default="gpipe", description="pipeline schedule: gpipe or 1f1b")
    nnodes: Annotated[int, Option(
        "Machines", exempt={"gui": "several machines are started from a shell on each (run prints the commands)",
                            "sweep": "a sweep runs on one machine"},
        help="machines in a data-parallel job; start `run ... --node-rank K --rdzv-endpoint HOST:PORT` on each "
             "(without --node-rank, run prints those commands)")] = Field(
        default=1, ge=1, le=1024, description="machines (nodes) of a data-parallel job")
    bucket_cap_mb: Annotated[float, Option(
        "DDP bucket size", "Gradients are all-reduced in buckets of this size while the backward pass goes on: "
        "larger buckets mean fewer, more efficient transfers, smaller ones start overlapping sooner",
        suffix=" MB", decimals=1, axis=True, gui_max=1024)] = Field(
        default=25.0, gt=0, le=1024, description="DDP gradient bucket size in MB")
    gradient_as_bucket_view: Annotated[bool, Option(
        "Gradients as bucket views", "Gradients live inside DDP's communication buckets: saves a copy and "
        "the memory of one gradient set", axis=True, choices={False: "gradient copies", True: "bucket views"})] = Field(
        default=False, description="DDP gradient_as_bucket_view")
    static_graph: Annotated[bool, Option(
        "Static graph", "Tells DDP the net is the same every step, so it can plan the buckets once and skip "
        "per-step checks", axis=True, choices={False: "dynamic graph", True: "static graph"})] = Field(
        default=False, description="DDP static_graph")
    ddp_compress: Annotated[DdpCompress | None, Option(
        "Gradient compression", "All-reduce the gradients in 16 bits (half the traffic; the update stays in "
        "full precision): pays when communication, not compute, limits the step", none_label="off",
        flag="--ddp-compress", axis=True, axis_default=(None,))] = Field(
        default=None, description="DDP gradient compression hook: bf16 or fp16")

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not (value in ("cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit())):
            raise ValueError(f"device {value!r} is not cpu, cuda or cuda:N")
        return value

    @field_validator("prune")
    @classmethod
    def _prune(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind, amount = parse_prune(value)
        return "2:4" if kind == "2:4" else f"{kind}:{amount:g}"

    @field_validator("devices")
    @classmethod
    def _devices(cls, value: list[str] | None) -> list[str] | None:
        for d in value or ():
            if not (d in ("cpu", "cuda") or (d.startswith("cuda:") and d[5:].isdigit())):
                raise ValueError(f"device {d!r} is not cpu, cuda or cuda:N")
        return ["cuda:0" if d == "cuda" else d for d in value] if value else None

    @property
    def is_parallel(self) -> bool:
        """Several processes: a data-parallel (or pipeline) job, run by engine.parallel."""
        return bool(self.devices or self.processes or self.parallel or self.nnodes > 1)

    @model_validator(mode="after")
    def _length(self) -> RunConfig:
        if self.steps is not None and self.seconds is not None:
            raise ValueError("give either steps or seconds, not both")
        if self.steps is None and self.seconds is None:
            self.steps = DEFAULT_STEPS
        if self.devices:  # the first of several devices is the run's device (hardware, GPU or not)
            self.device = self.devices[0]
        if self.is_parallel:
            self._parallel_rules()
        if self.prune_finetune_steps:
            if self.prune is None:
                raise ValueError("prune_finetune_steps fine-tunes a pruned network: it needs prune")
            if self.dataset.partition(":")[0] == "synthetic":
                raise ValueError("prune_finetune_steps trains on labelled images (digits, mnist:PATH, ...), not "
                                 "synthetic data")
        if self.until_accuracy is not None:
            if self.mode != "train":
                raise ValueError("until_accuracy stops a training run: it needs mode train")
            if self.dataset.partition(":")[0] == "synthetic":
                raise ValueError("until_accuracy needs a data set with held-out images (digits, mnist:PATH, ...), "
                                 "not synthetic data")
        return self

    def _parallel_rules(self) -> None:
        """What a data-parallel job needs, each refusal one line (device existence and one GPU listed
        twice are checked where the job starts: engine.parallel.plan)."""
        devices = self.devices or []
        gpus = [d for d in devices if d != "cpu"]
        if not devices:
            raise ValueError("several devices are needed: give cuda:0,cuda:1 for GPUs, or cpu with processes "
                             "(--devices cpu --processes 2)")
        if gpus and len(gpus) != len(devices):
            raise ValueError(f"devices {','.join(devices)} mix the CPU and GPUs: give GPUs only, or cpu with "
                             f"processes for CPU data parallelism")
        if not gpus and len(devices) > 1:
            raise ValueError("list cpu once and give the number of CPU processes with processes (--processes N)")
        if gpus and self.processes is not None and self.processes != len(gpus):
            raise ValueError("processes counts CPU processes; on GPUs one process runs per listed GPU "
                             "(leave processes out)")
        local = len(gpus) if gpus else (self.processes or 1)
        if local * self.nnodes < 2 and self.parallel == "pipeline":
            raise ValueError("a pipeline needs 2 or more stages, one process each: list 2 or more GPUs, or give cpu "
                             "with processes 2 or more")
        if local * self.nnodes < 2:
            raise ValueError("data parallelism needs 2 or more processes in all: list 2 or more GPUs, or give "
                             "cpu with processes 2 or more")
        if self.parallel == "pipeline":
            self._pipeline_rules(local)
            return
        if self.cuda_graph and self.mode == "train":
            raise ValueError("a CUDA graph cannot hold DDP's gradient all-reduce here: leave cuda_graph off for a "
                             "data-parallel training run")
        if self.mode == "train" and (self.seconds is not None or self.stable_windows or self.until_accuracy):
            raise ValueError("a data-parallel training run is measured over a fixed number of steps (every "
                             "process must stop at the same step): give steps, not seconds, stability or a "
                             "target accuracy")

    def _pipeline_rules(self, stages: int) -> None:
        """What a pipeline job needs, each refusal one line (the cut itself is checked against the
        network where the job starts: engine.parallel.split)."""
        if self.nnodes > 1:
            raise ValueError("a pipeline runs on one machine here (one process per stage): leave nnodes at 1, or "
                             "use data parallelism across machines")
        knobs = [f"{name} {value}" for name, value in
                 (("bucket_cap_mb", self.bucket_cap_mb), ("gradient_as_bucket_view", self.gradient_as_bucket_view),
                  ("static_graph", self.static_graph), ("ddp_compress", self.ddp_compress))
                 if value != type(self).model_fields[name].get_default()]
        if knobs:
            raise ValueError(f"{', '.join(knobs)}: DDP's knobs tune data parallelism's gradient all-reduce; a "
                             f"pipeline has none (leave them at their defaults)")
        if self.microbatches is not None and self.batch % self.microbatches:
            raise ValueError(f"microbatches {self.microbatches} does not divide batch {self.batch}: every "
                             f"micro-batch must be the same size (e.g. microbatches "
                             f"{_divisor_near(self.batch, self.microbatches)})")
        if self.pipeline_schedule == "1f1b" and self.pipeline_microbatches(stages) < stages:
            raise ValueError(f"the 1F1B schedule needs at least as many micro-batches as stages ({stages}); give "
                             f"microbatches {stages} or more, or the gpipe schedule")
        if self.seconds is not None or self.stable_windows or self.until_accuracy:
            raise ValueError("a pipeline run is measured over a fixed number of steps (every stage must stop at "
                             "the same step): give steps, not seconds, stability or a target accuracy")
        unsupported = [(self.cuda_graph, "cuda_graph"), (self.compile is not None, "compile"),
                       (self.precision == "int8", "precision int8"), (self.backend != "torch", "backend onnxruntime"),
                       (self.prune is not None, "prune"), (self.weights is not None, "weights"),
                       (self.keep_weights, "keep_weights"),
                       (self.precision == "fp16" and self.mode == "train", "fp16 training (its loss scaler)")]
        names = [name for on, name in unsupported if on]
        if names:
            fp16 = ", or use bf16 instead of fp16" if self.precision == "fp16" and self.mode == "train" else ""
            raise ValueError(f"{', '.join(names)}: not available in a pipeline run (each process holds only its "
                             f"stage of the net); run without{fp16}")

    def pipeline_microbatches(self, stages: int) -> int:
        """The micro-batches of a pipeline step: the given number, else up to 4 per stage, a divisor of the batch."""
        if self.microbatches is not None:
            return self.microbatches
        return _divisor_near(self.batch, 4 * stages)


def _divisor_near(batch: int, wanted: int) -> int:
    """The largest divisor of batch that is at most wanted (at least 1)."""
    return next(d for d in range(min(batch, max(1, wanted)), 0, -1) if batch % d == 0)
