"""Attribution of profiler events to layers, forward and backward, and to loss, optimizer, data and
idle; then bounds and the verdict. On hand-made events shaped like torch.profiler's (no torch)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.profile.attribute import attribute
from engine.profile.judge import bound_of, idle_of, other_time, verdict
from engine.profile.result import LayerProfile, OtherTime, Peaks


@dataclass
class Span:
    start: float
    end: float


@dataclass
class Kernel:
    duration: float


@dataclass
class Ev:
    name: str
    start: float
    end: float
    parent: Ev | None = None
    seq: int = -1
    self_us: float = 0.0
    kernels: list[Kernel] = field(default_factory=list)
    device: str = "DeviceType.CPU"
    thread: int = 1

    @property
    def time_range(self) -> Span:
        return Span(self.start, self.end)

    @property
    def cpu_parent(self) -> Ev | None:
        return self.parent

    @property
    def sequence_nr(self) -> int:
        return self.seq

    @property
    def self_cpu_time_total(self) -> float:
        return self.self_us

    @property
    def device_type(self) -> str:
        return self.device


def step_events(t0: float, seq0: int) -> list[Any]:
    """One training step: data, conv1 and relu1 forward, the loss, backward (relu1, conv1 and the
    weight's AccumulateGrad, the loss's own node), the optimizer. Kernels of 10 µs each."""
    ev = []

    def add(name, start, end, parent=None, seq=-1, self_us=0.0, kernels=0, thread=1):
        e = Ev(name, t0 + start, t0 + end, parent, seq, self_us, [Kernel(10.0)] * kernels, thread=thread)
        ev.append(e)
        return e
    data = add("tl:data", 0, 5)
    add("aten::index", 1, 4, data, self_us=3, kernels=1)
    conv = add("tl:layer:conv1", 5, 30, self_us=1)
    add("aten::conv2d", 6, 29, conv, seq=seq0, self_us=20, kernels=2)
    relu = add("tl:layer:relu1", 30, 40)
    add("aten::relu", 31, 39, relu, seq=seq0 + 1, self_us=8, kernels=1)
    add("aten::cross_entropy_loss", 41, 50, seq=seq0 + 2, self_us=9, kernels=1)
    add("aten::ones_like", 51, 52, self_us=1, kernels=1)
    loss_b = add("autograd::engine::evaluate_function: NllLossBackward0", 53, 56, seq=seq0 + 2, thread=2)
    add("aten::nll_loss_backward", 54, 55, loss_b, self_us=1, kernels=1, thread=2)
    relu_b = add("autograd::engine::evaluate_function: ReluBackward0", 56, 62, seq=seq0 + 1, thread=2)
    add("aten::threshold_backward", 57, 61, relu_b, self_us=4, kernels=1, thread=2)
    conv_b = add("autograd::engine::evaluate_function: ConvolutionBackward0", 62, 90, seq=seq0, thread=2)
    add("aten::convolution_backward", 63, 89, conv_b, self_us=26, kernels=3, thread=2)
    acc = add("autograd::engine::evaluate_function: torch::autograd::AccumulateGrad", 90, 92, thread=2)
    add("aten::add_", 90.5, 91.5, acc, self_us=1, kernels=1, thread=2)
    opt = add("Optimizer.step#SGD.step", 93, 99, self_us=1)
    add("aten::_foreach_add_", 94, 98, opt, self_us=4, kernels=1)
    return ev


def window(steps: int = 2, device_spans: list[tuple[float, float]] = ()) -> list[Any]:
    events = [Ev("tl:window", 0, 100 * steps)]
    for i in range(steps):
        events += step_events(100 * i, 10 * i)
    events += [Ev("some_kernel", s, t, device="DeviceType.CUDA") for s, t in device_spans]
    return events


def test_gpu_kernels_are_charged_to_layers_forward_and_backward_and_to_the_rest():
    spans = [(10, 30), (20, 40), (50, 60)]  # 40 µs covered over two steps: 20 µs a step
    a = attribute(window(2, spans), on_gpu=True, steps=2, wall_s=200e-6)
    assert a.wall_s == pytest.approx(100e-6)
    assert a.forward_s == pytest.approx({"conv1": 20e-6, "relu1": 10e-6})
    # the weight's AccumulateGrad goes with the backward just before it (conv1)
    assert a.backward_s == pytest.approx({"relu1": 10e-6, "conv1": 40e-6})
    assert a.kernels == {"conv1": 6, "relu1": 2}
    assert a.loss_s == pytest.approx(30e-6)  # the loss forward, the gradient seed, its backward node
    assert (a.optimizer_s, a.data_s) == pytest.approx((10e-6, 10e-6))
    assert a.attributed_s == pytest.approx(130e-6)
    assert a.busy_s == pytest.approx(20e-6) and a.device_s == pytest.approx(25e-6)  # union vs sum of spans
    assert a.idle_s == pytest.approx(80e-6)


def test_cpu_operator_self_time_is_charged_and_the_rest_of_the_wall_is_idle():
    a = attribute(window(1), on_gpu=False, steps=1, wall_s=120e-6)
    assert a.forward_s == pytest.approx({"conv1": 21e-6, "relu1": 8e-6})  # the range's own µs with its layer
    assert a.backward_s == pytest.approx({"relu1": 4e-6, "conv1": 27e-6})
    assert a.loss_s == pytest.approx(11e-6) and a.optimizer_s == pytest.approx(5e-6) and a.data_s == pytest.approx(3e-6)
    assert a.busy_s == pytest.approx(79e-6) and a.idle_s == pytest.approx(41e-6)
    assert a.kernels["conv1"] == 3  # top-level operators: forward, backward, its weight's accumulation


def test_events_before_the_window_are_left_out_and_a_missing_window_is_named():
    events = window(1) + step_events(-100, 99)  # a warm step before the window
    assert attribute(events, on_gpu=False, steps=1).forward_s["conv1"] == pytest.approx(21e-6)
    with pytest.raises(ValueError, match="tl:window"):
        attribute(step_events(0, 0), on_gpu=False, steps=1)


PEAKS = Peaks(precision="fp32", flops_per_s=1e12, bytes_per_s=1e11, launch_s=5e-6)  # ridge 10 FLOP/B


@pytest.mark.parametrize("time_s, kernels, intensity, starving, bound", [
    (1e-3, 4, 50.0, False, "compute"),
    (1e-3, 4, 2.0, False, "memory"),
    (10e-6, 4, 50.0, False, "compute"),  # short, but the device is kept busy: launched ahead of time
    (10e-6, 4, 50.0, True, "launch"),  # 4 launches take 20 µs > its 10 µs of work, and the device waits
    (1e-3, 4, 50.0, True, "compute"),
    (0.0, 0, None, True, "memory"),  # a view (Flatten): no kernels, no FLOPs
])
def test_bound_of(time_s, kernels, intensity, starving, bound):
    assert bound_of(time_s, kernels, intensity, PEAKS, starving) == bound


def _layer(lid: str, time_s: float, bound: str) -> LayerProfile:
    return LayerProfile(id=lid, type="Conv2d", forward_s=time_s, backward_s=0, time_s=time_s, share=time_s / 0.01,
                        flops=1, bytes=1, bound=bound)


def test_the_verdict_is_the_largest_part_with_its_numbers():
    layers = [_layer("conv1", 4e-3, "compute"), _layer("bn1", 2e-3, "memory")]
    name, reason = verdict(layers, OtherTime(idle_s=1e-3, data_s=1e-3), 0.008, on_gpu=True)
    assert name == "compute-bound"
    assert "50 %" in reason and "conv1" in reason and "8.00 ms" in reason and "idle gaps between kernels" in reason
    name, reason = verdict(layers, OtherTime(idle_s=9e-3), 0.016, on_gpu=True)
    assert name == "launch-bound" and "idle 56 %" in reason
    assert verdict(layers, OtherTime(data_s=7e-3), 0.013, on_gpu=False)[0] == "data/host-bound"
    assert verdict([_layer("bn1", 5e-3, "memory")], OtherTime(optimizer_s=1e-3), 0.006, False)[0] == "memory-bound"


def test_idle_is_what_the_unprofiled_step_leaves_over():
    a = attribute(window(1, [(10, 30)]), on_gpu=True, steps=1, wall_s=100e-6)
    assert idle_of(a, 50e-6) == pytest.approx(30e-6)  # 50 µs step, 20 µs of kernels
    assert idle_of(a, 10e-6) == 0.0
    assert idle_of(a, None) == pytest.approx(a.idle_s)
    assert other_time(a, 1e-6).idle_s == 1e-6


def test_a_step_slowed_by_another_process_is_left_out():
    events = [Ev("tl:window", 0, 400)]
    for i in range(3):
        events.append(Ev("tl:step", 100 * i, 100 * i + 100))
        events += step_events(100 * i, 10 * i)
    slow = step_events(300, 30)
    for e in slow:
        e.self_us *= 3  # the machine was busy: every operator took three times as long
    events += [Ev("tl:step", 300, 400)] + slow
    a = attribute(events, on_gpu=False, steps=4, wall_s=400e-6)
    assert a.dropped_steps == 1
    assert a.forward_s["conv1"] == pytest.approx(21e-6) and a.wall_s == pytest.approx(100e-6)
