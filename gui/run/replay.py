"""A stand-in worker that replays scripted events (tests, the live-chart benchmark, demo screenshots).

`replay_worker` has the worker's signature once a script is bound with functools.partial, so a
run job (engine.jobs.RunJob's `target`) runs it exactly as it runs engine.run.worker.run_worker. No torch, no Qt.
`make_script` writes a plausible run: a GPU run (every telemetry source available), a CPU run, or
(`gpus=2`) a scripted data-parallel job over two GPUs, each with its own telemetry: a test fixture,
never a measurement.
"""
from __future__ import annotations

import math
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.results import DeviceFigures, NetworkSummary, ParallelFacts, RunResult
from engine.run import PhaseChanged, RunFinished, RunStarted, StepMetrics, TelemetryBatch
from hw.samples import Availability, GpuSample, HostSample


@dataclass
class Script:
    events: list[tuple[float, object]]  # (seconds after the previous event, event)
    then: str = "finish"  # finish | hang (ignore stop) | crash (os._exit) | raise
    exit_code: int = 7
    error: str = "scripted failure"
    honor_stop: bool = True
    result: RunResult | None = None  # what RunFinished carries (status rewritten on cancel)
    extra: dict = field(default_factory=dict)


def replay_worker(script: Script, spec_json: str, config_json: str, events, stop, db_path) -> None:
    for delay_s, event in script.events:
        if delay_s > 0:
            stop.wait(delay_s) if script.honor_stop else time.sleep(delay_s)
        if script.honor_stop and stop.is_set():
            _finish(script, events, db_path, cancelled=True)
            return
        events.put(event)
    if script.then == "hang":
        while True:
            time.sleep(0.5)
    if script.then == "crash":
        events.flush()  # the job context: what was sent reaches the parent before the hard exit
        os._exit(script.exit_code)
    if script.then == "raise":
        raise RuntimeError(script.error)
    _finish(script, events, db_path, cancelled=False)


def _finish(script: Script, events, db_path, cancelled: bool) -> None:
    if script.result is None:
        return
    result = script.result.model_copy(deep=True)
    if cancelled:
        result.status, result.error = "cancelled", "stopped by the user"
    if db_path is not None:
        from engine.results import RunStore
        RunStore(db_path).add(result)
    events.put(RunFinished(run_id=result.run_id, status=result.status, result_json=result.model_dump_json()))


def make_script(kind: str = "gpu", seconds: float = 10.0, step_hz: float = 100.0, telemetry_hz: float = 10.0,
                batch: int = 256, mode: str = "train", speed: float = 1.0, oom_at_s: float | None = None,
                warmup_s: float = 1.0, seed: int = 0, network: str = "lenet", gpus: int = 1) -> Script:
    """A run of `seconds` timed seconds; `speed` > 1 replays faster than real time. gpus > 1 (GPU runs):
    a scripted data-parallel job, one rank per GPU (a fixed number of steps, as such jobs are run)."""
    rng = random.Random(seed)
    gpu = kind == "gpu"
    n_gpus = gpus if gpu else 1
    run_id = uuid.uuid4().hex[:12]
    device_name = "NVIDIA H100 80GB HBM3" if gpu else "CPU (2 cores)"
    config = {"device": "cuda:0" if gpu else "cpu", "precision": "bf16" if gpu else "fp32", "batch": batch,
              "mode": mode, "seconds": seconds, "steps": None, "dataset": "digits"}
    if n_gpus > 1:
        config.update(devices=[f"cuda:{i}" for i in range(n_gpus)], seconds=None,
                      steps=max(1, round(seconds * step_hz)))
    avail = tuple(a for i in range(n_gpus) for a in (Availability(f"gpu{i}.power_instant", True),
                                                      Availability(f"gpu{i}.energy_counter", True))) if gpu else (
        Availability("gpu", False, "no GPU in this run (CPU)"),
        Availability("rapl.package", False, "RAPL needs root (/sys/class/powercap is not readable)"))
    out: list[tuple[float, object]] = []
    out.append((0.0, RunStarted(run_id=run_id, network_name=network, device_name=device_name,
                                config_json="{}", total_steps=None, total_seconds=seconds, availability=avail)))
    out.append((0.0, PhaseChanged(t_s=-warmup_s, phase="warmup")))
    t, step, samples, energy, temp = -warmup_s, 0, 0, 3.6e6, 41.0
    next_tel = t
    samples_gpu: list[GpuSample] = []
    hosts: list[HostSample] = []
    dt = 1.0 / step_hz
    peak_tp = 24_000.0 if gpu else 2_400.0
    timed_started = False
    while t < seconds:
        t += dt
        if t >= 0 and not timed_started:
            timed_started = True
            out.append((0.0, PhaseChanged(t_s=0.0, phase="timed")))
        if t >= 0:
            tp = peak_tp * (0.93 + 0.07 * math.tanh(t)) * (1 + rng.gauss(0, 0.03))
            step += max(1, round(tp * dt / batch))
            samples = step * batch
            p50 = batch / peak_tp * (1 + rng.gauss(0, 0.02))
            loss = 2.3 * math.exp(-t / (seconds / 3)) + 0.05 + abs(rng.gauss(0, 0.03)) if mode == "train" else None
            acc = min(0.99, 1 - loss / 2.4) if mode == "train" and int(t * 10) % 20 == 0 else None
            out.append((dt / speed, StepMetrics(
                t_s=t, step=step, samples=samples, throughput_sps=tp, step_time_p50_s=p50,
                step_time_p99_s=p50 * (1.35 + abs(rng.gauss(0, 0.1))), loss=loss, accuracy=acc,
                gpu_mem_allocated_bytes=int(1.1e9 + 2e6 * rng.random()) if gpu else None,
                gpu_mem_reserved_bytes=int(1.6e9) if gpu else None,
                elapsed_s=t, remaining_s=max(0.0, seconds - t))))
        else:
            out.append((dt / speed, None))  # warm-up: time passes, nothing is reported
        if oom_at_s is not None and t >= oom_at_s:
            break
        while next_tel <= t:
            load = 1.0 if t >= 0 else 0.7
            power = (60 + 240 * load) * (1 + rng.gauss(0, 0.06))
            energy += power / telemetry_hz
            temp += (0.25 * load) * (1 - (temp - 41) / 30)
            for i in range(n_gpus if gpu else 0):  # each later GPU a little cooler and less busy
                k = 1 - 0.08 * i
                samples_gpu.append(GpuSample(
                    t_s=next_tel, index=i, power_instant_w=power * k, power_avg_w=(60 + 240 * load) * k,
                    energy_j=energy * k, mem_used_bytes=int(2.3e9 - 1e8 * i), util_gpu_pct=97 * load * k,
                    util_mem_pct=40.0, sm_clock_hz=1.98e9 - 2e7 * rng.random(), mem_clock_hz=2.6e9,
                    temperature_c=temp - 3 * i))
            hosts.append(HostSample(t_s=next_tel, cpu_util_pct=(50 if gpu else 96) + 3 * rng.random(),
                                    process_rss_bytes=int(1.25e9 + 1e6 * max(t, 0)), system_mem_used_bytes=int(6e9),
                                    system_mem_total_bytes=int(16e9)))
            next_tel += 1.0 / telemetry_hz
            if len(hosts) >= max(1, int(telemetry_hz / 2)):
                out.append((0.0, TelemetryBatch(gpu=tuple(samples_gpu), host=tuple(hosts))))
                samples_gpu, hosts = [], []
    paced: list[tuple[float, object]] = []
    pending = 0.0
    for delay, event in out:  # fold the delays of silent ticks into the next event
        pending += delay
        if event is not None:
            paced.append((pending, event))
            pending = 0.0
    out = paced
    measured = max(t, 1e-9)
    status = "oom" if oom_at_s is not None else "ok"
    result = RunResult(
        run_id=run_id, created_at=datetime.now(UTC).isoformat(timespec="seconds"), status=status,
        error=(f"CUDA out of memory at batch {batch}: tried to allocate 2.00 GiB (GPU 0 has 79.1 GiB total)"
               if status == "oom" else None),
        network=NetworkSummary(name=network, params=61_706, flops_per_sample=846_000), config=config,
        hardware={"device_name": device_name}, throughput_sps=samples / measured if status == "ok" else None,
        step_time_s={"p50": batch / peak_tp, "p90": 1.2 * batch / peak_tp, "p99": 1.4 * batch / peak_tp},
        energy_j={"gpu": 300 * measured if gpu else None, "gpu_dynamic": 240 * measured if gpu else None,
                  "gpu_method": "counter" if gpu else None},
        energy_per_sample_j={"total": 300 * measured / max(samples, 1) if gpu else None,
                             "dynamic": 240 * measured / max(samples, 1) if gpu else None},
        power_w={"gpu_mean": 300.0, "gpu_max": 352.0, "gpu_idle": 60.0} if gpu else {},
        memory_bytes={"gpu_peak_allocated": int(1.1e9), "gpu_peak_reserved": int(1.6e9),
                      "host_peak_rss": int(1.26e9)} if gpu else {"host_peak_rss": int(1.26e9)},
        loss=0.06 if mode == "train" else None, accuracy=0.97 if mode == "train" else None,
        steps=step, samples=samples, measured_s=measured,
        quality=[] if seconds >= 10 else ["timed window under 10 s: the energy counter moves every ~100 ms"],
        unavailable={} if gpu else {"gpu": "no GPU in this run (CPU)", "energy_j.cpu": "RAPL needs root"},
    )
    result.series = _series(out)
    if n_gpus > 1:
        _as_job(result, n_gpus, device_name, measured)
    return Script(events=out, result=result)


def _as_job(result: RunResult, n: int, device_name: str, measured_s: float) -> None:
    """The scripted run as a data-parallel job over n GPUs: its ranks, layout and scaling figures."""
    per_rank = (result.throughput_sps or 0.0) / n
    result.devices = [DeviceFigures(
        rank=i, device=f"cuda:{i}", device_name=device_name, throughput_sps=per_rank,
        step_time_p50_s=result.step_time_s.p50, power_w=300.0 * (1 - 0.08 * i),
        energy_j=300.0 * (1 - 0.08 * i) * measured_s, energy_method="counter", memory_peak_bytes=int(1.6e9),
        communication_share=0.12 + 0.03 * i, samples=result.samples // n, measured_s=measured_s) for i in range(n)]
    result.parallel = ParallelFacts(world_size=n, backend="nccl", per_device_batch=result.config.batch,
                                    global_batch=result.config.batch * n, baseline_throughput_sps=per_rank / 0.81,
                                    baseline_source="history", communication_method="scripted")
    result.scaling_efficiency = 0.81
    result.communication_share = 0.135


def _series(events: list[tuple[float, object]]) -> dict:
    from gui.run.live_data import LiveRun  # numpy only
    live = LiveRun(capacity=max(16, len(events)))
    for _, e in events:
        if isinstance(e, StepMetrics):
            live.add_step(e)
        elif isinstance(e, TelemetryBatch):
            live.add_telemetry(e)
    return live.to_series()
