"""A faked NVML: a module-like object handed to hw's wrapper (`Sampler(nvml_module=FakeNvml(...))`).

Each FakeGpu draws a constant power (changeable), and its energy counter integrates that power on
the real clock, so window energies can be checked against power x time. Any NVML function can be
made to fail with an NVML error code, and a GPU can be "lost" at a chosen moment.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

NOT_SUPPORTED, NO_PERMISSION, GPU_IS_LOST, LIBRARY_NOT_FOUND = 3, 4, 15, 12


class FakeNVMLError(Exception):
    def __init__(self, value: int):
        super().__init__(f"fake NVML error {value}")
        self.value = value


@dataclass
class FakeGpu:
    name: str = "NVIDIA H200"
    mem_total: int = 141 * 1024**3
    mem_used: int = 2 * 1024**3
    power_w: float = 300.0
    temperature_c: float = 40.0
    temp_rise_c_per_s: float = 0.0
    throttle_bits: int = 0
    limit_w: float = 700.0
    fails: dict[str, int] = field(default_factory=dict)  # NVML function name -> error code
    instant_field_code: int = 0  # per-field nvmlReturn of NVML_FI_DEV_POWER_INSTANT
    lost_after_s: float | None = None  # from the fake's creation
    energy_read_s: float = 0.0  # cost of one counter read (the real one is ~4 ms)
    uuid: str = ""
    # filled in by FakeNvml
    _t0: float = 0.0
    _energy_mj: float = 1e6
    _last: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)
    energy_threads: list[str] = field(default_factory=list)

    def advance(self) -> None:
        now = time.perf_counter()
        self._energy_mj += self.power_w * (now - self._last) * 1000.0
        self._last = now

    def set_power(self, watts: float) -> None:
        self.advance()
        self.power_w = watts


class FakeNvml:
    """Stands in for the pynvml module."""
    NVMLError = FakeNVMLError

    def __init__(self, gpus: list[FakeGpu] | None = None, init_error: int | None = None,
                 driver: str = "580.159.04"):
        self.gpus = gpus if gpus is not None else [FakeGpu()]
        self.init_error = init_error
        self.driver = driver
        self.initialised = 0
        self.lock = threading.Lock()
        now = time.perf_counter()
        for i, g in enumerate(self.gpus):
            g._t0 = g._last = now
            g.uuid = g.uuid or f"GPU-fake-{i}"

    # library
    def nvmlInit(self):
        if self.init_error is not None:
            raise FakeNVMLError(self.init_error)
        self.initialised += 1

    def nvmlShutdown(self):
        self.initialised -= 1

    def nvmlSystemGetDriverVersion(self):
        return self.driver.encode()

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, i):
        if not 0 <= i < len(self.gpus):
            raise FakeNVMLError(2)
        return self.gpus[i]

    def nvmlDeviceGetHandleByUUID(self, uuid):
        for g in self.gpus:
            if g.uuid == uuid:
                return g
        raise FakeNVMLError(6)

    # device
    def _check(self, g: FakeGpu, name: str) -> None:
        with self.lock:
            g.calls[name] = g.calls.get(name, 0) + 1
        if g.lost_after_s is not None and time.perf_counter() - g._t0 >= g.lost_after_s:
            raise FakeNVMLError(GPU_IS_LOST)
        if name in g.fails:
            raise FakeNVMLError(g.fails[name])

    def nvmlDeviceGetName(self, g):
        self._check(g, "nvmlDeviceGetName")
        return g.name

    def nvmlDeviceGetUUID(self, g):
        self._check(g, "nvmlDeviceGetUUID")
        return g.uuid

    def nvmlDeviceGetCudaComputeCapability(self, g):
        self._check(g, "nvmlDeviceGetCudaComputeCapability")
        return (9, 0)

    def nvmlDeviceGetEnforcedPowerLimit(self, g):
        self._check(g, "nvmlDeviceGetEnforcedPowerLimit")
        return int(g.limit_w * 1000)

    def nvmlDeviceGetFieldValues(self, g, ids):
        self._check(g, "nvmlDeviceGetFieldValues")
        assert ids == [186]
        return [SimpleNamespace(fieldId=186, nvmlReturn=g.instant_field_code, valueType=1,
                                value=SimpleNamespace(uiVal=int(g.power_w * 1000)))]

    def nvmlDeviceGetPowerUsage(self, g):
        self._check(g, "nvmlDeviceGetPowerUsage")
        return int(g.power_w * 1000)

    def nvmlDeviceGetTotalEnergyConsumption(self, g):
        self._check(g, "nvmlDeviceGetTotalEnergyConsumption")
        g.energy_threads.append(threading.current_thread().name)
        if g.energy_read_s:
            time.sleep(g.energy_read_s)
        g.advance()
        return int(g._energy_mj)

    def nvmlDeviceGetMemoryInfo(self, g):
        self._check(g, "nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(used=g.mem_used, total=g.mem_total, free=g.mem_total - g.mem_used)

    def nvmlDeviceGetUtilizationRates(self, g):
        self._check(g, "nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=97, memory=45)

    def nvmlDeviceGetClockInfo(self, g, kind):
        self._check(g, "nvmlDeviceGetClockInfo")
        return {1: 1980, 2: 3201}[kind]

    def nvmlDeviceGetTemperature(self, g, sensor):
        self._check(g, "nvmlDeviceGetTemperature")
        return int(g.temperature_c + g.temp_rise_c_per_s * (time.perf_counter() - g._t0))

    def nvmlDeviceGetCurrentClocksEventReasons(self, g):
        self._check(g, "nvmlDeviceGetCurrentClocksEventReasons")
        return g.throttle_bits
