"""The device list for the run panel, gathered by a child process (`main.py hw --json`) so the GUI
process never loads pynvml or psutil; and what each device can do (with the reason when it cannot).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

from hw.samples import Availability

MAIN_PY = Path(__file__).resolve().parents[2] / "main.py"


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


def _gib(n: int | None) -> str:
    return f"{n / 2**30:.0f} GiB" if n else "? GiB"


def _cc(text: str | None) -> tuple[int, int] | None:
    try:
        major, minor = str(text).split(".")[:2]
        return int(major), int(minor)
    except (ValueError, AttributeError):
        return None


def parse_inventory(text: str) -> Inventory:
    """Read `main.py hw --json` output; anything unreadable becomes a CPU-only list with the reason."""
    try:
        data = json.loads(text)
        cpu = data.get("cpu") or {}
        gpu = data.get("gpu") or {}
    except (json.JSONDecodeError, AttributeError) as exc:
        return cpu_only(f"the hardware inventory could not be read ({exc})")
    cores = cpu.get("usable_cores") or cpu.get("logical_cores")
    model = cpu.get("model") or "unknown model"
    devices = [Device("cpu", f"CPU · {model} ({cores or '?'} cores, {_gib(cpu.get('mem_total_bytes'))})",
                      cpu.get("mem_total_bytes"), cores=cores)]
    for g in gpu.get("gpus") or []:
        devices.append(Device(f"cuda:{g.get('index', 0)}",
                              f"GPU {g.get('index', 0)} · {g.get('name') or 'unknown GPU'} ({_gib(g.get('mem_total_bytes'))})",
                              g.get("mem_total_bytes"), _cc(g.get("compute_capability"))))
    avail = tuple(Availability(a.get("source", "?"), bool(a.get("available")), a.get("reason"))
                  for a in data.get("availability") or [] if isinstance(a, dict))
    reason = None if len(devices) > 1 else (gpu.get("reason") or "no GPU found")
    return Inventory(devices, reason, avail, raw=data)


def cpu_only(error: str | None = None, reason: str = "no GPU found") -> Inventory:
    return Inventory([Device("cpu", "CPU", None)], reason if error is None else "the inventory failed", error=error)


class InventoryLoader(QObject):
    """Runs the inventory in a child process; emits `loaded(Inventory)` once (never blocks the GUI)."""
    loaded = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.inventory: Inventory | None = None
        self._proc = QProcess(self)
        self._proc.finished.connect(self._done)
        self._proc.errorOccurred.connect(self._failed)

    def start(self) -> None:
        self._proc.start(sys.executable, [str(MAIN_PY), "hw", "--json"])

    def stop(self) -> None:
        if self._proc.state() != QProcess.ProcessState.NotRunning:
            self._proc.kill()
            self._proc.waitForFinished(1000)

    def _done(self, code: int, _status) -> None:
        out = bytes(self._proc.readAllStandardOutput()).decode("utf-8", "replace")
        if code != 0:
            err = bytes(self._proc.readAllStandardError()).decode("utf-8", "replace").strip().splitlines()
            self._emit(cpu_only(f"`main.py hw` exited with {code}: {err[-1] if err else 'no message'}"))
        else:
            self._emit(parse_inventory(out))

    def _failed(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._emit(cpu_only(f"cannot start {sys.executable}"))

    def _emit(self, inv: Inventory) -> None:
        if self.inventory is None:
            self.inventory = inv
            self.loaded.emit(inv)
