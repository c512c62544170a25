"""What this machine has, and which telemetry works here (with the plain reason where it does not).

`inventory()` is what `python main.py hw` shows; `gpu_inventory()` is the cheap part the GUI worker
and a run result's hardware section need. Neither raises: a missing driver is a reason, not an error.
"""
from __future__ import annotations

import dataclasses
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hw.host import HostReader
from hw.nvml import Nvml, NvmlGpu
from hw.rapl import RAPL_ROOT, RaplDomain, RaplReader
from hw.samples import Availability


@dataclass(frozen=True)
class CpuInfo:
    model: str | None
    arch: str
    physical_cores: int | None
    logical_cores: int | None
    usable_cores: int | None  # this process's affinity (a container may get fewer than the machine)
    mem_total_bytes: int | None


@dataclass(frozen=True)
class GpuInfo:
    index: int  # NVML index (PCI order)
    name: str | None
    uuid: str | None
    mem_total_bytes: int | None
    compute_capability: str | None  # "9.0"
    power_limit_w: float | None  # enforced board power limit
    energy_counter: bool | None  # None: not probed
    energy_counter_reason: str | None = None
    power_instant: bool | None = None
    power_instant_reason: str | None = None
    sources: tuple[Availability, ...] = ()


@dataclass(frozen=True)
class GpuInventory:
    gpus: tuple[GpuInfo, ...]
    driver_version: str | None
    reason: str | None  # why there is no GPU telemetry at all (no driver, ...), else None


@dataclass(frozen=True)
class Inventory:
    cpu: CpuInfo
    gpu: GpuInventory
    rapl_domains: tuple[RaplDomain, ...]
    rapl_reason: str | None
    availability: tuple[Availability, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (for `hw --json`)."""
        return dataclasses.asdict(self)

    def hardware_summary(self) -> dict[str, Any]:
        return hardware_summary(self.cpu, self.gpu)


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Model", "Hardware", "cpu model"):  # x86, then ARM / others
        for line in text.splitlines():
            if line.split(":")[0].strip() == key and ":" in line:
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def cpu_info() -> CpuInfo:
    physical = mem = None
    try:
        import psutil
        physical = psutil.cpu_count(logical=False)
        mem = int(psutil.virtual_memory().total)
    except (ImportError, OSError):  # psutil missing or /proc unreadable: those two facts stay None
        physical = mem = None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    return CpuInfo(_cpu_model(), platform.machine(), physical, os.cpu_count(), usable, mem)


def gpu_inventory(nvml_module: Any = None, probe: bool = True) -> GpuInventory:
    """Every NVIDIA GPU NVML sees. probe=False skips the telemetry probes (the energy counter read
    alone costs ~4 ms a GPU) when only names and the driver are wanted."""
    nvml = Nvml(nvml_module)
    if not nvml.open():
        return GpuInventory((), None, nvml.reason)
    try:
        driver = nvml.driver_version()
        count, why = nvml.device_count()
        if why is not None:
            return GpuInventory((), driver, f"cannot count GPUs: {why}")
        gpus = []
        for i in range(count):
            g = NvmlGpu(nvml, i, env={})  # NVML's own index, whatever CUDA_VISIBLE_DEVICES says
            _, total = g.memory()
            facts = dict(index=i, name=g.name(), uuid=g.uuid(), mem_total_bytes=total,
                         compute_capability=g.compute_capability(), power_limit_w=g.power_limit_w())
            if probe:
                found = g.probe()
                gpus.append(GpuInfo(**facts, energy_counter=found["energy_counter"] is None,
                                    energy_counter_reason=found["energy_counter"],
                                    power_instant=found["power_instant"] is None,
                                    power_instant_reason=found["power_instant"],
                                    sources=tuple(Availability(f"gpu{i}.{k}", v is None, v) for k, v in found.items())))
            else:
                gpus.append(GpuInfo(**facts, energy_counter=None))
        return GpuInventory(tuple(gpus), driver, None if gpus else "NVML found no NVIDIA GPU")
    finally:
        nvml.close()


def hardware_summary(cpu: CpuInfo | None = None, gpu: GpuInventory | None = None) -> dict[str, Any]:
    """The run result's `hardware` section (torch/CUDA versions are the run loop's to add)."""
    cpu = cpu or cpu_info()
    gpu = gpu or gpu_inventory(probe=False)
    return {"cpu_model": cpu.model, "cpu_cores": cpu.logical_cores, "host_mem_bytes": cpu.mem_total_bytes,
            "host": platform.node(), "nvidia_driver": gpu.driver_version, "gpu_unavailable": gpu.reason,
            "gpus": [{"index": g.index, "name": g.name, "mem_total_bytes": g.mem_total_bytes,
                      "compute_capability": g.compute_capability, "power_limit_w": g.power_limit_w}
                     for g in gpu.gpus]}


def inventory(nvml_module: Any = None, rapl_root: str = RAPL_ROOT) -> Inventory:
    cpu = cpu_info()
    gpu = gpu_inventory(nvml_module)
    rapl = RaplReader(rapl_root)
    avail: list[Availability] = []
    if gpu.reason is not None:
        avail += [Availability("gpu.power", False, gpu.reason), Availability("gpu.energy", False, gpu.reason)]
    for g in gpu.gpus:
        avail += list(g.sources)
    avail += list(HostReader().availability()) + list(rapl.availability())
    return Inventory(cpu, gpu, rapl.domains, rapl.reason, tuple(avail))
