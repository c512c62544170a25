"""The projection formulas against hand-computed values (engine.place.model)."""
from __future__ import annotations

import pytest

from engine.place.model import (
    Efficiency,
    LayerWork,
    Roofs,
    Workload,
    energy_per_sample_j,
    estimate_step,
    fit_efficiency,
    gco2_per_million,
    kwh_per_million,
    largest_batch,
    memory_need_bytes,
    power_w,
    usd_per_million_cloud,
    usd_per_million_owned,
)

CONV = LayerWork("conv", "Conv2d", flops=1e9, activation_elements=1e5, params=1000)  # compute-heavy
BN = LayerWork("bn", "BatchNorm2d", flops=1e5, activation_elements=1e6, params=10)  # memory-heavy
ROOFS = Roofs(flops_per_s=1e12, bytes_per_s=1e11, launch_s=5e-6)


def work(mode="infer", precision="fp32", batch=10, layers=(CONV, BN)):
    return Workload(tuple(layers), batch, mode, precision, "sgd", activation_bytes_fp32=4e6, peak_layer_bytes_fp32=4.4e6)


def test_roofline_time_takes_the_slower_roof_per_layer():
    est = estimate_step(work(), ROOFS)
    # conv: 1e9*10 / 1e12 = 10 ms compute vs (1e5*10 + 1000)*4 / 1e11 = 40 us memory -> compute
    # bn: 1e5*10/1e12 = 1 us compute vs (1e6*10 + 10)*4 / 1e11 = 400.0004 us memory -> memory
    assert est.compute_s == pytest.approx(10e-3)
    assert est.memory_s == pytest.approx(400.0004e-6)
    assert est.launch_s == pytest.approx(2 * 5e-6)  # one kernel per layer in inference
    assert est.step_s == pytest.approx(10e-3 + 400.0004e-6 + 10e-6)
    assert est.bound == "compute"


def test_training_triples_work_and_launches_four_kernels_per_layer():
    infer, train = estimate_step(work(), ROOFS), estimate_step(work("train"), ROOFS)
    assert train.compute_s == pytest.approx(3 * infer.compute_s)
    assert train.memory_s == pytest.approx(3 * infer.memory_s)
    assert train.launch_s == pytest.approx(8 * 5e-6)


def test_lower_precision_halves_bytes_not_flops():
    fp32, bf16 = estimate_step(work(), ROOFS), estimate_step(work(precision="bf16"), ROOFS)
    assert bf16.memory_s == pytest.approx(fp32.memory_s / 2)
    assert bf16.compute_s == pytest.approx(fp32.compute_s)


def test_on_a_gpu_launches_overlap_device_work():
    gpu = Roofs(ROOFS.flops_per_s, ROOFS.bytes_per_s, ROOFS.launch_s, overlapped=True)
    est = estimate_step(work(), gpu)
    assert est.step_s == pytest.approx(est.compute_s + est.memory_s)  # 10 us of launches hide under 10.4 ms
    tiny = Workload((LayerWork("relu", "ReLU", 10.0, 10.0, 0),) * 100, 1, "infer", "fp32")
    est = estimate_step(tiny, gpu)
    assert est.step_s == pytest.approx(100 * 5e-6) and est.bound == "launch"


def test_efficiency_fit_reproduces_the_measured_step_with_the_assumed_memory_efficiency():
    w = work()
    measured = 2 * estimate_step(w, ROOFS, Efficiency(1.0, 0.5)).step_s
    fit = fit_efficiency(w, ROOFS, measured, memory_efficiency=0.5)
    assert fit.efficiency.memory == 0.5
    assert estimate_step(w, ROOFS, fit.efficiency).step_s == pytest.approx(measured, rel=1e-6)
    # compute dominates (10 ms of 10.8 ms), launches do not scale: a bit under half of full speed
    assert 0.45 < fit.efficiency.compute < 0.5


def test_memory_efficiency_is_fitted_when_full_compute_is_still_too_slow():
    w = work(layers=(BN,))  # memory-bound only
    measured = estimate_step(w, ROOFS, Efficiency(1.0, 0.6)).step_s
    fit = fit_efficiency(w, ROOFS, measured, memory_efficiency=0.3)
    assert fit.efficiency.compute == 1.0 and fit.efficiency.memory == pytest.approx(0.6, rel=1e-4)


def test_efficiency_is_capped_at_one_and_launch_lowered_for_a_tiny_step():
    w = work()
    capped = fit_efficiency(w, ROOFS, estimate_step(w, ROOFS).step_s / 2)
    assert capped.efficiency == Efficiency(1.0, 1.0) and "capped" in capped.note
    tiny = fit_efficiency(w, ROOFS, 4e-6)  # shorter than the 10 us of launches alone
    assert tiny.launch_s == pytest.approx(1e-6) and "launch lowered" in tiny.note


def test_power_energy_cost_and_co2():
    assert power_w(idle_w=50, tdp_w=350, busy_share=0.5) == pytest.approx(200)
    assert power_w(50, 350, 3.0) == pytest.approx(350)  # share clamped to 1
    assert energy_per_sample_j(200, step_s=0.01, batch=100) == pytest.approx(0.02)
    # 0.036 J x 1e6 samples = 36 kJ = 0.01 kWh, x PUE 1.5 = 0.015 kWh; at 400 g/kWh: 6 g
    assert kwh_per_million(0.036, pue=1.5) == pytest.approx(0.015)
    assert gco2_per_million(0.036, 1.5, 400) == pytest.approx(6.0)
    # 3.6 $/h at 1000 samples/s: 3.6M samples cost 3.6 $, so 1 $ per million
    assert usd_per_million_cloud(3.6, 1000) == pytest.approx(1.0)
    owned = usd_per_million_owned(price_usd=31557.6, lifetime_years=1, duty_share=1.0, throughput_sps=1000,
                                  energy_per_sample=3.6, pue=1.0, usd_per_kwh=0.1)
    # hardware: 31557.6 $ over 31,557,600 s = 0.001 $/s -> 1 $ per 1M samples; electricity: 3.6 MJ = 1 kWh -> 0.1 $
    assert owned == pytest.approx(1.1)


def test_memory_need_and_largest_batch():
    w = work("train")
    fixed, per_sample = memory_need_bytes(w)
    assert fixed == (1000 + 10) * 4 * 3  # weights, gradients, SGD momentum in fp32
    assert per_sample == 4e6
    assert largest_batch(w, mem_bytes=(fixed + 100 * per_sample) / 0.9) == 100
    assert largest_batch(w, mem_bytes=fixed) == 0
    infer = memory_need_bytes(work(precision="int8"))
    assert infer == (1010, 4.4e6 / 4)


def test_measured_peaks_on_the_cpu_are_positive_and_say_what_was_not_measured():
    from engine.profile import measure_peaks
    peaks = measure_peaks("cpu", ("fp32", "tf32"), matmul_n=64, copy_bytes=1 << 20)
    assert peaks.matmul_flops_per_s["fp32"] > 0 and peaks.copy_bytes_per_s > 0 and peaks.launch_s > 0
    assert "tf32" not in peaks.matmul_flops_per_s and "GPU" in peaks.unavailable["tf32"]


def test_a_step_far_longer_than_the_devices_work_is_fitted_as_host_overhead():
    w = work()
    gpu = Roofs(ROOFS.flops_per_s, ROOFS.bytes_per_s, ROOFS.launch_s, overlapped=True)
    fit = fit_efficiency(w, gpu, measured_step_s=1.0, fallback_compute=0.4)  # 10 ms of work in a 1 s step
    assert fit.efficiency.compute == 0.4 and fit.note.startswith("host-bound")
    assert fit.launch_s == pytest.approx(1.0 / w.kernels)
    fitted = Roofs(gpu.flops_per_s, gpu.bytes_per_s, fit.launch_s, overlapped=True)
    assert estimate_step(w, fitted, fit.efficiency).step_s == pytest.approx(1.0)


def test_unknown_activation_memory_gives_no_largest_batch():
    lump = Workload((LayerWork("network", "network", 1e6, 0.0, 100),), 8, "infer", "fp32")
    assert largest_batch(lump, mem_bytes=1e9) is None
    assert largest_batch(lump, mem_bytes=10) == 0  # not even the weights fit
