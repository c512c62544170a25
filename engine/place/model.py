"""The projection model: pure functions from a network's per-layer work and a device's figures to a
step time, a power, an energy and a memory need. Torch-free, Qt-free; every formula unit-tested.

Roofline with a launch term, per layer:
    time_l = max(flops_l / (efficiency * peak_flops_per_s), bytes_l / (efficiency * peak_bytes_per_s))
    step_s = sum_l time_l + kernels * launch_s
One efficiency (the achieved fraction of the roofs) is fitted from the user's measured step, then
carried to the target. Power = idle + busy_share * (TDP - idle).
"""
from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_ELEMENT = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1}
TRAIN_FLOPS_FACTOR = 3  # backward: gradients of inputs and of weights, ~2x the forward
TRAIN_BYTES_FACTOR = 3  # forward read/write, then the backward reads them again and writes gradients
# Kernels launched per layer and step: forward; training adds input-gradient, weight-gradient and
# the optimizer's update of each parameter tensor.
KERNELS_PER_LAYER_INFER = 1
KERNELS_PER_LAYER_TRAIN = 4
OPTIMIZER_STATE_COPIES = {"sgd": 1, "adam": 2}  # momentum; Adam's two moments


@dataclass(frozen=True)
class LayerWork:
    """One layer's work per sample, forward, as the analysis counts it."""
    layer_id: str
    type: str
    flops: float  # forward FLOPs per sample
    activation_elements: float  # input + output elements per sample
    params: int


@dataclass(frozen=True)
class Workload:
    """What one step of a run does: the layers, the batch, train or infer, at which precision."""
    layers: tuple[LayerWork, ...]
    batch: int
    mode: str  # train | infer
    precision: str
    optimizer: str = "sgd"
    activation_bytes_fp32: float = 0.0  # per sample, all layers' outputs (kept for the backward)
    peak_layer_bytes_fp32: float = 0.0  # per sample, the largest layer's input + output

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def training(self) -> bool:
        return self.mode == "train"

    def layer_flops(self, layer: LayerWork) -> float:
        return layer.flops * self.batch * (TRAIN_FLOPS_FACTOR if self.training else 1)

    def layer_bytes(self, layer: LayerWork) -> float:
        bpe = BYTES_PER_ELEMENT[self.precision]
        moved = (layer.activation_elements * self.batch + layer.params) * bpe
        return moved * (TRAIN_BYTES_FACTOR if self.training else 1)

    @property
    def kernels(self) -> int:
        per_layer = KERNELS_PER_LAYER_TRAIN if self.training else KERNELS_PER_LAYER_INFER
        return per_layer * len(self.layers)

    def with_precision(self, precision: str) -> Workload:
        return Workload(self.layers, self.batch, self.mode, precision, self.optimizer,
                        self.activation_bytes_fp32, self.peak_layer_bytes_fp32)

    def with_batch(self, batch: int) -> Workload:
        return Workload(self.layers, batch, self.mode, self.precision, self.optimizer,
                        self.activation_bytes_fp32, self.peak_layer_bytes_fp32)


@dataclass(frozen=True)
class Roofs:
    """A device's effective figures for one precision."""
    flops_per_s: float
    bytes_per_s: float
    launch_s: float  # per kernel (host dispatch + launch)


@dataclass(frozen=True)
class StepEstimate:
    step_s: float
    compute_s: float  # layers whose compute roof is the slower one
    memory_s: float  # layers whose memory roof is the slower one
    launch_s: float

    @property
    def bound(self) -> str:
        parts = {"compute": self.compute_s, "memory": self.memory_s, "launch": self.launch_s}
        return max(parts, key=parts.__getitem__)

    @property
    def busy_share(self) -> float:
        """Share of the step the device's units are busy (not waiting for the host)."""
        return (self.compute_s + self.memory_s) / self.step_s if self.step_s > 0 else 0.0


def estimate_step(work: Workload, roofs: Roofs, efficiency: float = 1.0) -> StepEstimate:
    compute_s = memory_s = 0.0
    for layer in work.layers:
        t_compute = work.layer_flops(layer) / (efficiency * roofs.flops_per_s)
        t_memory = work.layer_bytes(layer) / (efficiency * roofs.bytes_per_s)
        if t_compute >= t_memory:
            compute_s += t_compute
        else:
            memory_s += t_memory
    launch_s = work.kernels * roofs.launch_s
    return StepEstimate(compute_s + memory_s + launch_s, compute_s, memory_s, launch_s)


@dataclass(frozen=True)
class Calibration:
    efficiency: float  # achieved fraction of the roofs
    launch_s: float  # per kernel, possibly lowered to fit the measurement
    note: str


def fit_efficiency(work: Workload, roofs: Roofs, measured_step_s: float) -> Calibration:
    """The efficiency that makes the model's step equal the measured one (bisection: the step time
    falls as efficiency rises). A step shorter than the launch term alone lowers the launch cost."""
    launch_total = work.kernels * roofs.launch_s
    if measured_step_s <= launch_total:
        launch_s = 0.5 * measured_step_s / max(work.kernels, 1)
        roofs = Roofs(roofs.flops_per_s, roofs.bytes_per_s, launch_s)
        note = (f"the measured step ({measured_step_s * 1e6:.0f} us) is shorter than the assumed launch "
                f"cost: launch lowered to {launch_s * 1e6:.2f} us per kernel")
    else:
        note = "fitted to the measured step"
    if estimate_step(work, roofs, 1.0).step_s >= measured_step_s:
        return Calibration(1.0, roofs.launch_s, note + "; the device ran at its roofs (efficiency capped at 1)")
    low, high = 1e-6, 1.0
    for _ in range(100):
        mid = (low * high) ** 0.5
        if estimate_step(work, roofs, mid).step_s > measured_step_s:
            low = mid
        else:
            high = mid
    return Calibration(high, roofs.launch_s, note)


def power_w(idle_w: float, tdp_w: float, busy_share: float) -> float:
    """Board power: idle plus the busy share of the dynamic range."""
    share = min(max(busy_share, 0.0), 1.0)
    return idle_w + share * max(tdp_w - idle_w, 0.0)


def energy_per_sample_j(power: float, step_s: float, batch: int) -> float:
    return power * step_s / batch


def memory_need_bytes(work: Workload) -> tuple[float, float]:
    """(fixed bytes, bytes per sample) a step needs. Training keeps every activation for the backward
    and holds weights, gradients and optimizer state (fp32 master weights, as autocast does)."""
    if work.training:
        copies = 2 + OPTIMIZER_STATE_COPIES.get(work.optimizer, 1)  # weights, gradients, state
        fixed = work.params * 4 * copies
        per_sample = work.activation_bytes_fp32 * BYTES_PER_ELEMENT[work.precision] / 4
    else:
        fixed = work.params * BYTES_PER_ELEMENT[work.precision]
        per_sample = work.peak_layer_bytes_fp32 * BYTES_PER_ELEMENT[work.precision] / 4
    return fixed, per_sample


def largest_batch(work: Workload, mem_bytes: float, usable_share: float = 0.9) -> int:
    """The largest batch whose step fits in `usable_share` of the memory (0: not even one sample)."""
    fixed, per_sample = memory_need_bytes(work)
    room = mem_bytes * usable_share - fixed
    if room < per_sample or per_sample <= 0:
        return 0 if room < per_sample else 1 << 30
    return int(room // per_sample)


def usd_per_million_cloud(usd_per_h: float, throughput_sps: float) -> float:
    return usd_per_h / 3600.0 / throughput_sps * 1e6


def usd_per_million_owned(price_usd: float, lifetime_years: float, duty_share: float, throughput_sps: float,
                          energy_per_sample: float, pue: float, usd_per_kwh: float) -> float:
    """Purchase amortised over the hours it runs in its lifetime, plus the electricity."""
    running_s = lifetime_years * 365.25 * 24 * 3600 * duty_share
    hardware = price_usd / running_s / throughput_sps * 1e6
    electricity = kwh_per_million(energy_per_sample, pue) * usd_per_kwh
    return hardware + electricity


def kwh_per_million(energy_per_sample: float, pue: float) -> float:
    return energy_per_sample * 1e6 * pue / 3.6e6


def gco2_per_million(energy_per_sample: float, pue: float, grid_gco2_per_kwh: float) -> float:
    return kwh_per_million(energy_per_sample, pue) * grid_gco2_per_kwh
