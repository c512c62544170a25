"""Inventory (faked NVML, fake RAPL) and `main.py hw` (text, --json, --watch, Ctrl+C)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import hw as hw_cli
from engine.format import MISSING
from hw.inventory import cpu_info, gpu_inventory, hardware_summary, inventory
from tests.hw.fake_nvml import NOT_SUPPORTED, FakeGpu, FakeNvml

ROOT = Path(__file__).resolve().parents[2]
# runs the hw command alone, so the test does not depend on the other sub-commands importing
RUNNER = ("import argparse, sys\nfrom engine.cli import hw\np = argparse.ArgumentParser()\n"
          "hw.add_parser(p.add_subparsers(dest='command'))\nsys.exit(hw.main(p.parse_args(sys.argv[1:])))")


def test_cpu_info_is_real():
    cpu = cpu_info()
    assert cpu.logical_cores >= 1 and cpu.mem_total_bytes > 0 and cpu.arch


def test_gpu_inventory_with_a_fake_h200():
    fake = FakeNvml([FakeGpu(), FakeGpu(name="NVIDIA A100", fails={"nvmlDeviceGetTotalEnergyConsumption": NOT_SUPPORTED},
                                        instant_field_code=NOT_SUPPORTED)])
    inv = gpu_inventory(fake)
    assert inv.driver_version == "580.159.04" and inv.reason is None
    h200, a100 = inv.gpus
    assert h200.name == "NVIDIA H200" and h200.compute_capability == "9.0" and h200.power_limit_w == 700.0
    assert h200.mem_total_bytes == 141 * 1024**3 and h200.energy_counter and h200.power_instant
    assert a100.energy_counter is False and a100.energy_counter_reason == "not supported by this GPU"
    assert a100.power_instant is False
    assert fake.initialised == 0  # shut down again


def test_cheap_gpu_inventory_skips_probes():
    g = FakeGpu()
    inv = gpu_inventory(FakeNvml([g]), probe=False)
    assert inv.gpus[0].energy_counter is None
    assert "nvmlDeviceGetTotalEnergyConsumption" not in g.calls
    summary = hardware_summary(gpu=inv)
    assert summary["nvidia_driver"] == "580.159.04" and summary["gpus"][0]["name"] == "NVIDIA H200"
    assert summary["cpu_model"] == cpu_info().model


def test_no_gpu_no_rapl_text_says_why(tmp_path):
    inv = inventory(FakeNvml(init_error=12), rapl_root=str(tmp_path / "none"))
    text = hw_cli.render(inv)
    assert "CPU" in text and inv.cpu.arch in text
    assert "no NVIDIA driver (NVML library not found), so GPU power and energy are unavailable" in text
    assert "RAPL     none: no RAPL on this machine" in text
    assert "gpu.energy" in text and "host.process_rss" in text
    json.dumps(inv.to_dict())


@pytest.mark.parametrize("model, line", [
    ("AMD EPYC", "CPU TDP  none: unknown CPU model: 'AMD EPYC' has no model number"),
    ("AMD EPYC 9654 96-Core Processor", "CPU TDP  360 W (CodeCarbon 3.3.2 CPU power table: AMD EPYC 9654): runs "
                                        "estimate CPU energy from it"),
])
def test_without_rapl_the_text_says_where_cpu_energy_comes_from(tmp_path, monkeypatch, model, line):
    """No RAPL: the TDP runs estimate CPU energy from, or why there is none and the fix (--cpu-tdp-w)."""
    monkeypatch.delenv("TRADEOFF_LAB_CPU_TDP_W", raising=False)
    inv = inventory(FakeNvml(init_error=12), rapl_root=str(tmp_path / "none"))
    text = hw_cli.render(dataclasses.replace(inv, cpu=dataclasses.replace(inv.cpu, model=model)))
    found = [x for x in text.splitlines() if x.startswith("CPU TDP")]
    assert len(found) == 1 and found[0].startswith(line)
    assert ("--cpu-tdp-w" in found[0]) == (model == "AMD EPYC")


def test_gpu_text_and_json(tmp_path):
    inv = inventory(FakeNvml([FakeGpu(fails={"nvmlDeviceGetTotalEnergyConsumption": NOT_SUPPORTED})]),
                    rapl_root=str(tmp_path / "none"))
    text = hw_cli.render(inv)
    assert "GPU 0    NVIDIA H200, 141.0 GiB, compute capability 9.0, power limit 700 W, driver 580.159.04" in text
    assert "energy counter: no (not supported by this GPU)" in text and "instant power: yes" in text
    data = json.loads(json.dumps(inv.to_dict()))
    assert data["gpu"]["gpus"][0]["energy_counter"] is False
    assert {"source": "gpu0.energy_counter", "available": False, "reason": "not supported by this GPU"} in \
        data["availability"]


def test_watch_line_formats_readings():
    from hw.samples import GpuSample, HostSample
    g = GpuSample(1.0, 0, power_instant_w=312.4, power_avg_w=300.0, energy_j=12345.0, mem_used_bytes=2 * 1024**3,
                  util_gpu_pct=98, sm_clock_hz=1.98e9, mem_clock_hz=2.6e9, temperature_c=65, throttle_power=True)
    h = HostSample(1.0, cpu_util_pct=20.0, system_mem_used_bytes=1024**3, system_mem_total_bytes=4 * 1024**3)
    line = hw_cli.watch_line(1.0, [g], h)
    assert "gpu0 312 W (1 s avg 300 W) energy 12.3 kJ mem 2.0 GiB util 98% sm 1,980 MHz" in line
    assert "65 °C POWER-CAP" in line and "cpu 20% mem 1.0/4.0 GiB" in line
    assert MISSING in hw_cli.watch_line(1.0, [GpuSample(1.0, 0)], None)
    assert "energy 2.35 kJ since start" in hw_cli.watch_line(1.0, [g], h, {0: 10000.0})


def _cli(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, "hw", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, **kw)


def test_hw_command_text_and_json_exit_0():
    text = _cli()
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("CPU ") and "Telemetry sources" in text.stdout and "rapl.package" in text.stdout
    data = json.loads(_cli("--json").stdout)
    assert data["cpu"]["logical_cores"] >= 1 and "availability" in data


def test_watch_prints_lines_and_stops_on_count():
    out = _cli("--watch", "--count", "2")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if " s | " in line or line.strip().endswith(" s")]
    assert len(lines) == 2 and "cpu " in lines[-1]
    jl = _cli("--watch", "--json", "--count", "1")
    assert json.loads(jl.stdout.splitlines()[-1])["host"]["system_mem_total_bytes"] > 0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started_with_sigint", ["default", "ignored"])
def test_watch_ends_cleanly_on_ctrl_c(started_with_sigint):
    # "ignored": a parent that ignores SIGINT passes that on to the programs it starts
    preexec = _ignore_sigint if started_with_sigint == "ignored" else None
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "hw", "--watch"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    seen = []
    deadline = time.monotonic() + 60  # a loaded machine can take seconds to print the first reading
    while time.monotonic() < deadline:  # Ctrl+C once a reading is printed, not after a fixed sleep
        line = proc.stdout.readline()
        seen.append(line)
        if " s | cpu" in line or " s | gpu" in line or not line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert any(" s | cpu" in s or " s | gpu" in s for s in seen), "".join(seen) + out


def test_bad_count_is_bad_input():
    parser = argparse.ArgumentParser()
    hw_cli.add_parser(parser.add_subparsers(dest="command"))
    from engine.cli import BadInput
    try:
        hw_cli.main(parser.parse_args(["hw", "--watch", "--count", "0"]))
    except BadInput as exc:
        assert "--count" in str(exc)
    else:
        raise AssertionError("expected BadInput")
