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

BYTES_PER_ELEMENT = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp8": 1}
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
    """A device's figures for one precision."""
    flops_per_s: float
    bytes_per_s: float
    launch_s: float  # per kernel (host dispatch + launch)
    overlapped: bool = False  # a GPU runs kernels while the host launches the next ones


@dataclass(frozen=True)
class Efficiency:
    """The achieved fraction of each roof."""
    compute: float = 1.0
    memory: float = 1.0


# Layers bound by memory reach about 30 % of the datasheet bandwidth in a training step: chosen on
# resnet9 train on an H200 (fp32, tf32, bf16), where a large copy reached 87 % of it; the rest is passes
# the per-layer count does not see (autocast copies, normalisation statistics). Out of sample it holds
# for resnet9 inference, not for small networks (bench/RESULTS.md, "Place"). Used because one measured
# run cannot tell compute and memory efficiency apart.
MEMORY_EFFICIENCY = 0.3
# A fitted compute efficiency below this is not a slow device but a step waiting for the host
# (Python, dispatch, launches): the launch cost is fitted instead.
MIN_COMPUTE_EFFICIENCY = 0.05


@dataclass(frozen=True)
class StepEstimate:
    step_s: float
    compute_s: float  # device time of the layers whose compute roof is the slower one
    memory_s: float  # device time of the layers whose memory roof is the slower one
    launch_s: float  # host time launching the kernels
    overlapped: bool = False

    @property
    def device_s(self) -> float:
        return self.compute_s + self.memory_s

    @property
    def bound(self) -> str:
        if self.overlapped and self.launch_s >= self.device_s:
            return "launch"
        parts = {"compute": self.compute_s, "memory": self.memory_s,
                 "launch": 0.0 if self.overlapped else self.launch_s}
        return max(parts, key=parts.__getitem__)

    @property
    def busy_share(self) -> float:
        """Share of the step the device's units are busy (not waiting for the host)."""
        return min(self.device_s / self.step_s, 1.0) if self.step_s > 0 else 0.0


def estimate_step(work: Workload, roofs: Roofs, efficiency: Efficiency = Efficiency()) -> StepEstimate:
    """Per layer the slower roof; the host's launches add to it on a CPU and overlap it on a GPU."""
    compute_s = memory_s = 0.0
    for layer in work.layers:
        t_compute = work.layer_flops(layer) / (efficiency.compute * roofs.flops_per_s)
        t_memory = work.layer_bytes(layer) / (efficiency.memory * roofs.bytes_per_s)
        if t_compute >= t_memory:
            compute_s += t_compute
        else:
            memory_s += t_memory
    launch_s = work.kernels * roofs.launch_s
    device_s = compute_s + memory_s
    step_s = max(device_s, launch_s) if roofs.overlapped else device_s + launch_s
    return StepEstimate(step_s, compute_s, memory_s, launch_s, roofs.overlapped)


@dataclass(frozen=True)
class Calibration:
    efficiency: Efficiency  # achieved fraction of the roofs
    launch_s: float  # per kernel, possibly lowered to fit the measurement
    note: str


def _bisect(step_at, measured_step_s: float) -> float:
    """The smallest efficiency in (0, 1] whose modelled step is no longer than the measured one
    (the step time falls as efficiency rises)."""
    low, high = 1e-6, 1.0
    for _ in range(100):
        mid = (low * high) ** 0.5
        if step_at(mid) > measured_step_s:
            low = mid
        else:
            high = mid
    return high


def fit_efficiency(work: Workload, roofs: Roofs, measured_step_s: float,
                   memory_efficiency: float = MEMORY_EFFICIENCY, fallback_compute: float = 0.4) -> Calibration:
    """Efficiencies that make the model's step equal the measured one: the compute efficiency with
    the memory efficiency assumed; when even full compute is too slow, the memory efficiency too.
    A step shorter than the launches alone lowers the launch cost; a step so long that the device
    would have to crawl is host-bound: the launch cost is fitted, with `fallback_compute`."""
    launch_total = work.kernels * roofs.launch_s
    note = "fitted to the measured step"
    if measured_step_s <= launch_total:
        launch_s = 0.5 * measured_step_s / max(work.kernels, 1)
        roofs = Roofs(roofs.flops_per_s, roofs.bytes_per_s, launch_s, roofs.overlapped)
        note = (f"the measured step ({measured_step_s * 1e6:.0f} us) is shorter than the assumed launch "
                f"cost: launch lowered to {launch_s * 1e6:.2f} us per kernel")
    full = Efficiency(1.0, 1.0)
    if estimate_step(work, roofs, full).step_s >= measured_step_s:
        return Calibration(full, roofs.launch_s, note + "; the device ran at its roofs (efficiency capped at 1)")
    if estimate_step(work, roofs, Efficiency(1.0, memory_efficiency)).step_s > measured_step_s:
        memory = _bisect(lambda e: estimate_step(work, roofs, Efficiency(1.0, e)).step_s, measured_step_s)
        return Calibration(Efficiency(1.0, memory), roofs.launch_s, note + "; memory efficiency fitted too")
    compute = _bisect(lambda e: estimate_step(work, roofs, Efficiency(e, memory_efficiency)).step_s, measured_step_s)
    if compute >= MIN_COMPUTE_EFFICIENCY:
        return Calibration(Efficiency(compute, memory_efficiency), roofs.launch_s, note)
    efficiency = Efficiency(fallback_compute, memory_efficiency)
    device_s = estimate_step(work, Roofs(roofs.flops_per_s, roofs.bytes_per_s, 0.0), efficiency).step_s
    host_s = measured_step_s if roofs.overlapped else measured_step_s - device_s
    launch_s = max(host_s, 0.0) / max(work.kernels, 1)
    return Calibration(efficiency, launch_s, f"host-bound: the device's work explains under "
                       f"{device_s / measured_step_s:.0%} of the step, so the host overhead is fitted "
                       f"({launch_s * 1e6:.1f} us per kernel)")


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


def largest_batch(work: Workload, mem_bytes: float, usable_share: float = 0.9) -> int | None:
    """The largest batch whose step fits in `usable_share` of the memory (0: not even one sample;
    None: the activation memory per sample is unknown)."""
    fixed, per_sample = memory_need_bytes(work)
    room = mem_bytes * usable_share - fixed
    if per_sample <= 0:
        return None if room >= 0 else 0
    return max(int(room // per_sample), 0)


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
