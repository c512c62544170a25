"""The device list for the run panel, gathered by an inventory job (a child process) so the GUI
process never loads pynvml or psutil; and what each device can do (with the reason when it cannot).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

import engine.format as fmt
from engine.jobs import InventoryJob, JobFailed
from gui.job_runner import JobRunner
from hw.samples import Availability


@dataclass(frozen=True)
class Device:
    key: str  # RunConfig.device: "cpu" | "cuda:N"
    label: str  # "CPU · Intel Xeon (16 cores, 64 GiB)" | "GPU 0 · NVIDIA H100 (80 GiB)"
    mem_bytes: int | None
    compute_capability: tuple[int, int] | None = None
    cores: int | None = None


@dataclass
class Inventory:
    devices: list[Device]
    no_gpu_reason: str | None  # why no GPU is listed (None when there is one)
    availability: tuple[Availability, ...] = ()
    error: str | None = None  # the inventory itself failed
    raw: dict = field(default_factory=dict)

    @property
    def cpu(self) -> Device:
        return self.devices[0]

    def device(self, key: str) -> Device | None:
        return next((d for d in self.devices if d.key == key), None)


def _cc(text: str | None) -> tuple[int, int] | None:
    try:
        major, minor = str(text).split(".")[:2]
        return int(major), int(minor)
    except (ValueError, AttributeError):
        return None


def inventory_from(hw_inventory: Any) -> Inventory:
    """The inventory job's typed result (hw.inventory.Inventory) as the run panel's device list."""
    return inventory_from_dict(dataclasses.asdict(hw_inventory))


def inventory_from_dict(data: dict) -> Inventory:
    """An inventory in its dict form (hw.inventory.Inventory.to_dict()); anything malformed becomes
    a CPU-only list with the reason."""
    cpu = data.get("cpu") or {} if isinstance(data, dict) else None
    gpu = data.get("gpu") or {} if isinstance(data, dict) else None
    if not isinstance(cpu, dict) or not isinstance(gpu, dict):
        return cpu_only("the hardware inventory could not be read (its cpu or gpu part is missing)")
    cores = cpu.get("usable_cores") or cpu.get("logical_cores")
    model = cpu.get("model") or "unknown model"
    devices = [Device("cpu", f"CPU · {model} ({cores or '?'} cores, {fmt.fixed(cpu.get('mem_total_bytes'), 0, 'GiB', 2**30)})",
                      cpu.get("mem_total_bytes"), cores=cores)]
    for g in gpu.get("gpus") or []:
        devices.append(Device(f"cuda:{g.get('index', 0)}",
                              f"GPU {g.get('index', 0)} · {g.get('name') or 'unknown GPU'} ({fmt.fixed(g.get('mem_total_bytes'), 0, 'GiB', 2**30)})",
                              g.get("mem_total_bytes"), _cc(g.get("compute_capability"))))
    avail = tuple(Availability(a.get("source", "?"), bool(a.get("available")), a.get("reason"))
                  for a in data.get("availability") or [] if isinstance(a, dict))
    reason = None if len(devices) > 1 else (gpu.get("reason") or "no GPU found")
    return Inventory(devices, reason, avail, raw=data)


LOOKING = "looking for GPUs…"  # the reason shown until the inventory job answers


def cpu_only(error: str | None = None, reason: str = "no GPU found") -> Inventory:
    return Inventory([Device("cpu", "CPU", None)], reason if error is None else "the inventory failed", error=error)


class InventoryLoader(QObject):
    """Runs the inventory job; emits `loaded(Inventory)` once (never blocks the GUI)."""
    loaded = Signal(object)

    def __init__(self, parent: QObject | None = None, job: Any = None) -> None:
        super().__init__(parent)
        self.inventory: Inventory | None = None
        self._what = job if job is not None else InventoryJob()  # a stand-in job in tests
        self._job = JobRunner(self, terminate_after_s=0.0, kill_after_s=1.0)
        self._job.finished.connect(lambda inv: self._emit(inventory_from(inv)))
        self._job.failed.connect(self._failed)

    def start(self) -> None:
        self._job.start(self._what)

    def stop(self) -> None:
        self._job.stop_now(timeout_s=0.5)

    def _failed(self, failure: JobFailed) -> None:
        self._emit(cpu_only(f"the hardware inventory failed: {failure.message}"))

    def _emit(self, inv: Inventory) -> None:
        if self.inventory is None:
            self.inventory = inv
            self.loaded.emit(inv)
