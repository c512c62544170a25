"""RunResult: the stored outcome of one run. Its keys are a contract (the CLI, the GUI, reports and
files made on other machines read them): every field is typed, and unknown keys are refused. A file
or history row of an older version is upgraded by engine.results.migrate before it is validated
here; RESULT_VERSION is the version this app writes."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.results.series import Series
from engine.run.config import RunConfig

RESULT_VERSION = 2
Status = Literal["ok", "oom", "failed", "cancelled"]
EnergyMethod = Literal["counter", "integrated-instant-power", "integrated-average-power"]
CpuEnergyMethod = Literal["rapl", "estimated"]


SIMULATED_BINARY = ("simulated binarization: the binarized layers ran as float arithmetic on +1/-1 values "
                    "(no bit-packed kernel), so this speed is not a binarization speed-up")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StepTimes(_Part):
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None


class NetworkSummary(_Part):
    name: str
    params: int
    flops_per_sample: int
    # Of flops_per_sample, the binary operations of binarized layers (BinConv2d, BinLinear): they ran as
    # float arithmetic on +1/-1 values, so the run's speed is simulated binarization, not its speed-up.
    binary_flops_per_sample: int | None = None
    # The whole spec as it was run, so a report can draw its layer table. Kept as written (free-form):
    # a spec valid then must still open after the spec rules tighten.
    spec: dict[str, Any] | None = None


class Energy(_Part):
    gpu: float | None = None  # J over the timed window (total)
    cpu: float | None = None  # J: RAPL package where readable, else estimated from the TDP
    gpu_dynamic: float | None = None  # J above the idle baseline
    gpu_method: EnergyMethod | None = None  # "counter" is measured; the integrated ones are estimates
    cpu_method: CpuEnergyMethod | None = None
    cpu_tdp_source: str | None = None  # where the estimate's TDP came from (table entry, or the user)
    window_note: str | None = None  # how evaluation pauses were kept out of the energy window


class EnergyPerSample(_Part):
    total: float | None = None
    dynamic: float | None = None
    method: EnergyMethod | CpuEnergyMethod | None = None  # the method of the energy it was divided from
    source: Literal["gpu", "cpu"] | None = None


class IntervalFigure(_Part):
    """A median with its 95 % bootstrap interval over `windows` values: the run's measuring windows,
    or (over "runs") the repeats of one configuration."""
    median: float
    low: float
    high: float
    windows: int
    over: Literal["windows", "runs"] = "windows"


class Intervals(_Part):
    throughput_sps: IntervalFigure | None = None
    step_time_s: IntervalFigure | None = None  # of the per-window step-time p50
    energy_per_sample_j: IntervalFigure | None = None


class WindowFigures(_Part):
    """The figures of each measuring window (1 s each, or equal step counts for a short run)."""
    by: Literal["time", "steps"] | None = None
    throughput_sps: list[float] = Field(default_factory=list)
    step_time_p50_s: list[float] = Field(default_factory=list)
    energy_per_sample_j: list[float] = Field(default_factory=list)
    energy_method: str | None = None  # "gpu-power-samples" | "rapl" | "estimated"


class Contention(_Part):
    """What else used the machine during the timed window (hw.contention's report)."""
    window_s: float
    cores: int | None = None
    other_cpu_cores: float | None = None
    busiest: list[tuple[str, float]] = Field(default_factory=list)
    steal_share: float | None = None
    load_1m: float | None = None
    mem_available_share: float | None = None
    gpu_other_processes: int | None = None
    disturbed: bool = False
    unavailable: dict[str, str] = Field(default_factory=dict)


class Repeat(_Part):
    """This run as one of the repeats of a configuration."""
    group: str  # shared by the repeats of one `run --repeats N` or sweep configuration
    index: int  # 1-based
    of: int


class Power(_Part):
    gpu_mean: float | None = None
    gpu_max: float | None = None
    gpu_idle: float | None = None


class Memory(_Part):
    gpu_peak_allocated: int | None = None
    gpu_peak_reserved: int | None = None
    host_peak_rss: int | None = None


class Temperature(_Part):
    start: float | None = None  # °C when the timed window began
    max: float | None = None


class GpuFacts(_Part):
    index: int
    name: str | None = None
    mem_total_bytes: int | None = None
    compute_capability: str | None = None
    power_limit_w: float | None = None


class Hardware(_Part):
    """The machine a run ran on (hw.inventory's facts plus what the run loop adds from torch)."""
    device: str | None = None  # the torch device, e.g. "cuda:0"
    device_name: str | None = None  # GPU name, or the CPU model for a CPU run
    cpu_model: str | None = None
    cpu_cores: int | None = None  # logical cores (inventory)
    cpu_count: int | None = None  # os.cpu_count()
    cpu_threads: int | None = None  # torch's intra-op threads
    host_mem_bytes: int | None = None
    host: str | None = None
    os: str | None = None
    python: str | None = None
    torch: str | None = None
    cuda: str | None = None
    cudnn: int | None = None
    driver: str | None = None
    nvidia_driver: str | None = None
    gpu_unavailable: str | None = None  # why no GPU was seen, where none was
    gpus: list[GpuFacts] = Field(default_factory=list)
    gpu_memory_bytes: int | None = None  # the run's GPU
    compute_capability: str | None = None
    sm_count: int | None = None
    inventory_unavailable: str | None = None  # why hw.inventory could not be read

    @classmethod
    def of(cls, facts: dict[str, Any]) -> Hardware:
        """From the run loop's facts. A fact without a field here is left out rather than failing a
        finished run (a test keeps the two in step)."""
        return cls.model_validate({k: v for k, v in facts.items() if k in cls.model_fields})


class PruneReport(_Part):
    """What pruning (config.prune) did to the network before the run."""
    kind: Literal["unstructured", "structured", "2:4"]
    amount: float  # share of each layer's weights (unstructured), of each conv's channels (structured); 2:4: 0.5
    layers: list[str] = Field(default_factory=list)  # the layers pruned
    skipped: dict[str, str] = Field(default_factory=dict)  # layer id -> why it was left alone
    params_before: int
    params_after: int  # parameters the network keeps (structured pruning removes them; masks do not)
    zero_weights_share: float | None = None  # zeros among the pruned layers' weights after pruning
    sparse_kernels: bool = False  # the run multiplied with sparse kernels (2:4); else dense kernels saw the zeros
    from_weights: str | None = None  # the trained weights pruned (None: random weights, accuracy meaningless)
    finetune_steps: int = 0  # training steps on the run's data after pruning (pruned weights kept at zero)


class QuantizationReport(_Part):
    """What precision int8 or fp8 quantized, and which kernels then ran."""
    method: Literal["static-ptq", "dynamic"]  # static: calibrated activation ranges; dynamic: per batch
    precision: Literal["int8", "fp8"] = "int8"  # the number format of the quantized layers
    layers: list[str] = Field(default_factory=list)  # layers whose weights and inputs are int8 / fp8
    skipped: list[str] = Field(default_factory=list)  # layers with weights left in floating point
    skipped_why: dict[str, str] = Field(default_factory=dict)  # skipped layer -> why it stayed (where known)
    kept_precision: str = "fp32"  # the number format the skipped layers ran in (bf16 on a GPU)
    kernels: str  # what computed the quantized layers
    kernel_names: list[str] = Field(default_factory=list)  # GPU: the low-precision GEMM kernels the profiler saw
    compiled: bool | None = None  # whether torch.compile ran the quantized network (None: not recorded)
    simulated: bool  # True: no low-precision kernel ran (numerics of int8/fp8 at best, never its speed)
    simulated_why: str | None = None  # why it is simulated, in words
    calibration_samples: int = 0
    calibration_data: str | None = None  # the data set the activation ranges were measured on


class CompileFacts(_Part):
    """What torch.compile did in a compiled run (config.compile), all outside the timed window unless
    `in_window` says otherwise."""
    graphs: int = 0  # graphs compiled (more than one per net: graph breaks or recompiles)
    graph_breaks: int = 0
    recompiles: int = 0  # compilations of a frame already compiled (a guard failed: shape, mode, ...)
    compile_s: float = 0.0  # seconds spent compiling (Triton autotuning included)
    in_window: int = 0  # compilations during the timed window: their time is in the measurement


class ConvLayer(_Part):
    """How one Conv2d was computed (engine.net.conv_algos)."""
    layer: str  # the spec's layer id
    algo: str  # the algorithm that ran: library | direct | im2col | fft | winograd
    chosen_by: Literal["run", "layer"]  # the run option, or the layer's own `algo`
    im2col_buffer_bytes: int | None = None  # im2col only: the unfolded input of one forward, whole batch
    # library only, where probed: what the library ran for this layer (on a GPU the CUDA kernels
    # cuDNN picked, from the profiler; on a CPU the aten operators)
    library_kernels: list[str] = Field(default_factory=list)


class ConvAlgos(_Part):
    layers: list[ConvLayer] = Field(default_factory=list)
    kernels_unavailable: str | None = None  # why library layers have no kernel names


class DeviceFigures(_Part):
    """One process (rank) of a several-device job, with what it measured on its own device."""
    rank: int
    device: str  # cpu, cuda:N on its machine
    node: int = 0  # the machine it ran on (node rank)
    host: str | None = None
    device_name: str | None = None
    status: Status = "ok"
    error: str | None = None
    throughput_sps: float | None = None  # this rank's samples per second
    step_time_p50_s: float | None = None
    power_w: float | None = None  # mean GPU power over the timed window
    energy_j: float | None = None  # its GPU's energy (CPU energy on a CPU rank)
    energy_method: str | None = None
    memory_peak_bytes: int | None = None  # GPU peak reserved, or the process's peak RSS on the CPU
    communication_share: float | None = None  # share of its timed window with a gradient all-reduce running
    samples: int = 0
    measured_s: float | None = None


class PipelineStageFacts(_Part):
    """One stage of a pipeline job: the consecutive spec layers it holds and where it ran."""
    stage: int
    rank: int
    device: str
    layers: list[str]  # spec layer ids, in order
    params: int | None = None
    flops_share: float | None = None  # its share of the network's forward FLOPs
    busy_share: float | None = None  # share of the timed window it computed (forward, backward, optimizer step); the rest it waited


class ParallelFacts(_Part):
    """How a several-device job was laid out and what its scaling was measured against."""
    kind: Literal["data", "pipeline"] = "data"
    world_size: int  # processes in all
    nodes: int = 1
    backend: str | None = None  # nccl | gloo
    per_device_batch: int
    global_batch: int  # per-device batch x world size: the samples of one optimizer step
    failed_rank: int | None = None
    baseline_run_id: str | None = None  # the 1-device run the scaling efficiency divides by
    baseline_throughput_sps: float | None = None
    baseline_source: Literal["history", "measured"] | None = None
    communication_method: str | None = None  # how communication_share was measured
    # Pipeline jobs (kind "pipeline"): the stages in order, the micro-batches of one step, the schedule
    # that ran them and the share of the timed window a stage sat idle waiting for its neighbour.
    stages: list[PipelineStageFacts] = Field(default_factory=list)
    microbatches: int | None = None
    schedule: str | None = None  # e.g. GPipe, 1F1B
    bubble_share: float | None = None  # mean over stages of the idle share of the timed window
    bubble_method: str | None = None  # how bubble_share was measured
    ideal_bubble_share: float | None = None  # GPipe's (S-1)/(M+S-1): equal stages, free transfers


class Runtime(_Part):
    """What executed the network when it was not PyTorch itself (config.backend onnxruntime)."""
    backend: Literal["onnxruntime"]
    provider: str  # the execution provider that ran, e.g. CPUExecutionProvider, CUDAExecutionProvider
    version: str  # the runtime's version
    export_s: float | None = None  # exporting the model and making the session, before the timed window
    model_bytes: int | None = None  # the exported model's size


class RunResult(_Part):
    version: Literal[2] = RESULT_VERSION
    run_id: str
    created_at: str  # ISO 8601 UTC
    status: Status
    error: str | None = None
    network: NetworkSummary
    config: RunConfig
    hardware: Hardware = Field(default_factory=Hardware)
    throughput_sps: float | None = None
    step_time_s: StepTimes = Field(default_factory=StepTimes)
    energy_j: Energy = Field(default_factory=Energy)
    energy_per_sample_j: EnergyPerSample = Field(default_factory=EnergyPerSample)
    power_w: Power = Field(default_factory=Power)
    memory_bytes: Memory = Field(default_factory=Memory)
    gpu_temperature_c: Temperature | None = None  # GPU runs with telemetry only
    loss: float | None = None  # training loss at the end of the window
    heldout_loss: float | None = None  # loss on the held-out split, where the data set has one
    accuracy: float | None = None
    # Training to a target accuracy (config.until_accuracy): timed seconds (evaluation pauses left
    # out), steps and energy until the first held-out evaluation that reached it.
    time_to_accuracy_s: float | None = None
    steps_to_accuracy: int | None = None
    energy_to_accuracy_j: float | None = None
    energy_to_accuracy_method: str | None = None  # the method of the energy it comes from
    weights_used: str | None = None  # the weights file the run started from (config.weights resolved)
    weights_file: str | None = None  # the trained weights this run kept (config.keep_weights)
    prune: PruneReport | None = None  # config.prune: what was pruned (network is the network as run)
    quantization: QuantizationReport | None = None  # precision int8 / fp8: what was quantized, which kernels ran
    compile: CompileFacts | None = None  # compiled runs: graphs, graph breaks, recompiles, compile time
    runtime: Runtime | None = None  # None: PyTorch ran the network (config.backend torch)
    steps: int = 0
    samples: int = 0
    measured_s: float | None = None
    quality: list[str] = Field(default_factory=list)
    unavailable: dict[str, str] = Field(default_factory=dict)  # result key (dotted) -> why it has no value
    series: Series = Field(default_factory=Series)
    # Trust: per-window figures and intervals, what else used the machine, stability mode's outcome.
    intervals: Intervals = Field(default_factory=Intervals)
    windows: WindowFigures = Field(default_factory=WindowFigures)
    contention: Contention | None = None
    disturbed: bool = False  # the machine was shared during the timed window (see quality)
    stability: Literal["stable", "capped"] | None = None  # stability mode: agreed, or hit the time cap
    repeat: Repeat | None = None
    # Several devices (engine.parallel): one entry per rank; throughput_sps, energy and samples above
    # are the whole job's. scaling_efficiency = job throughput / (N x the 1-device throughput of the
    # same per-device configuration); communication_share = mean over ranks of the share of the timed
    # window during which a gradient all-reduce was in flight.
    devices: list[DeviceFigures] = Field(default_factory=list)
    parallel: ParallelFacts | None = None
    scaling_efficiency: float | None = None
    communication_share: float | None = None
    repeat_runs: list[str] = Field(default_factory=list)  # a combined result: the runs behind it
    conv_algos: ConvAlgos | None = None  # how each Conv2d was computed (config.conv_algo, a layer's algo)
    # Keys an older file had that this version has no field for, kept as they were ("config.x",
    # "hardware.y", ...): free-form by nature, written only by the migration.
    legacy: dict[str, Any] = Field(default_factory=dict)

    @property
    def on_gpu(self) -> bool:
        return self.config.device.startswith("cuda")


def energy_per_sample(energy_j: float | None, samples: float | None) -> float | None:
    """Energy per sample: the one definition (the result's figure, the live and the stored curves).
    None unless both are known and some samples were processed."""
    if energy_j is None or not samples or samples <= 0:
        return None
    return energy_j / samples
