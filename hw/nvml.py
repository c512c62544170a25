"""NVML, wrapped once: every reading is a value or None, every failure becomes a plain reason.

Nothing here raises past hw/. The pynvml module is injected (`Nvml(module=fake)`) so tests run a
faked NVML without touching the real one; by default it is imported lazily, so importing this file
loads nothing. Units are converted here, once: mW -> W, mJ -> J, MHz -> Hz.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hw.samples import GpuSample

# NVML's ABI constants (stable across driver versions), so a faked module needs only functions.
_FI_DEV_POWER_INSTANT = 186
_CLOCK_SM, _CLOCK_MEM = 1, 2
_TEMPERATURE_GPU = 0
_REASON_POWER = 0x4 | 0x80  # SW power cap, HW power-brake slowdown
# SW/HW thermal slowdown; "HW slowdown" (0x8) is engaged for over-temperature or an external power
# brake: counted as thermal, its commoner cause on data-centre boards.
_REASON_THERMAL = 0x20 | 0x40 | 0x8

ERR_NOT_SUPPORTED, ERR_NO_PERMISSION, ERR_FUNCTION_NOT_FOUND = 3, 4, 13
_LOST_CODES = {15, 28}  # GPU_IS_LOST, GPU_NOT_FOUND
# Failures that will not change during a run: stop asking (each call costs time on the sampler thread).
_PERMANENT_CODES = {ERR_NOT_SUPPORTED, ERR_NO_PERMISSION, ERR_FUNCTION_NOT_FOUND}
_REASONS = {
    1: "NVML is not initialised",
    3: "not supported by this GPU",
    4: "permission denied by the NVIDIA driver",
    9: "no NVIDIA driver (the driver is not loaded)",
    12: "no NVIDIA driver (NVML library not found)",
    13: "not available in this NVIDIA driver version",
    15: "GPU lost (fell off the bus)",
    17: "the operating system refused the NVML call",
    18: "NVIDIA driver and NVML library versions differ (reload the driver or reboot)",
    28: "GPU not found",
}


@dataclass(frozen=True)
class Failure:
    code: int | None
    reason: str

    @property
    def lost(self) -> bool:
        return self.code in _LOST_CODES

    @property
    def permanent(self) -> bool:
        return self.code in _PERMANENT_CODES


def failure_of(exc: BaseException) -> Failure:
    """The single place where an NVML exception becomes words."""
    code = getattr(exc, "value", None)
    code = code if isinstance(code, int) else None
    if code in _REASONS:
        return Failure(code, _REASONS[code])
    if code is not None:
        return Failure(code, f"NVML error {code}: {exc}")
    return Failure(None, f"NVML call failed: {type(exc).__name__}: {exc}")


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class Nvml:
    """The NVML library: open() once, then call(). `reason` says why it could not be opened."""

    def __init__(self, module: Any = None):
        self._module = module
        self.ok = False
        self.reason: str | None = None

    def open(self) -> bool:
        if self.ok:
            return True
        if self._module is None:
            try:
                import pynvml  # lazily: the GUI process must never load it
            except ImportError:
                self.reason = "nvidia-ml-py (pynvml) is not installed"
                return False
            self._module = pynvml
        _, fail = self.call("nvmlInit")
        if fail is not None:
            self.reason = fail.reason
            return False
        self.ok = True
        return True

    def close(self) -> None:
        if self.ok:
            self.ok = False
            self.call("nvmlShutdown")

    def call(self, name: str, *args: Any) -> tuple[Any, Failure | None]:
        fn = getattr(self._module, name, None)
        if fn is None:
            return None, Failure(ERR_FUNCTION_NOT_FOUND, f"{name} is not in this nvidia-ml-py version")
        try:
            return fn(*args), None
        except Exception as exc:  # noqa: BLE001 - every NVML failure is mapped here, once
            return None, failure_of(exc)

    def driver_version(self) -> str | None:
        value, fail = self.call("nvmlSystemGetDriverVersion")
        return None if fail else _text(value)

    def device_count(self) -> tuple[int, str | None]:
        value, fail = self.call("nvmlDeviceGetCount")
        return (0, fail.reason) if fail else (int(value), None)


def nvml_target(cuda_index: int, env: dict[str, str] | None = None) -> int | str | None:
    """The NVML index (or UUID) of CUDA device `cuda_index`, honouring CUDA_VISIBLE_DEVICES.

    CUDA may order devices "fastest first" where NVML uses PCI order; on the single-model machines
    this lab targets they agree (set CUDA_DEVICE_ORDER=PCI_BUS_ID to be sure)."""
    visible = (os.environ if env is None else env).get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return cuda_index
    entries = [e.strip() for e in visible.split(",") if e.strip()]
    if cuda_index >= len(entries):
        return None
    entry = entries[cuda_index]
    return int(entry) if entry.isdigit() else entry


def _field_number(fv: Any) -> float | None:
    value = fv.value
    kind = getattr(fv, "valueType", 1)
    attr = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}.get(kind, "uiVal")
    return float(getattr(value, attr))


class NvmlGpu:
    """One GPU. Getters return a value or None; the first failure of each source is kept in `reasons`.
    Once the GPU is lost (`lost` set), every getter returns None without calling NVML."""

    def __init__(self, nvml: Nvml, index: int, env: dict[str, str] | None = None):
        self.nvml = nvml
        self.index = index  # as the run names it (CUDA index)
        self.reasons: dict[str, str] = {}
        self.lost: str | None = None
        self._dead: set[str] = set()
        self.handle = None
        target = nvml_target(index, env)
        if not nvml.ok:
            self.lost = nvml.reason or "NVML unavailable"
        elif target is None:
            self.lost = f"cuda:{index} is not visible (CUDA_VISIBLE_DEVICES)"
        else:
            fn = "nvmlDeviceGetHandleByIndex" if isinstance(target, int) else "nvmlDeviceGetHandleByUUID"
            self.handle, fail = nvml.call(fn, target)
            if fail is not None:
                self.lost = f"cuda:{index}: {fail.reason}"

    def _get(self, source: str, name: str, *args: Any) -> Any:
        if self.lost is not None or source in self._dead:
            return None
        value, fail = self.nvml.call(name, self.handle, *args)
        if fail is not None:
            self._failed(source, fail)
        return value

    def _failed(self, source: str, fail: Failure) -> None:
        self.reasons.setdefault(source, fail.reason)
        if fail.lost:
            self.lost = fail.reason
        elif fail.permanent:
            self._dead.add(source)

    # Readings, in SI units ------------------------------------------------------------------
    def power_instant_w(self) -> float | None:
        values = self._get("power_instant", "nvmlDeviceGetFieldValues", [_FI_DEV_POWER_INSTANT])
        if values is None:
            return None
        fv = values[0]
        code = int(getattr(fv, "nvmlReturn", 0))
        if code != 0:  # the call succeeded but this field did not
            self._failed("power_instant", Failure(code, _REASONS.get(code, f"NVML error {code}")))
            return None
        return _field_number(fv) / 1000.0

    def power_avg_w(self) -> float | None:
        mw = self._get("power_avg", "nvmlDeviceGetPowerUsage")
        return None if mw is None else mw / 1000.0

    def energy_j(self) -> float | None:
        mj = self._get("energy_counter", "nvmlDeviceGetTotalEnergyConsumption")
        return None if mj is None else mj / 1000.0

    def memory(self) -> tuple[int | None, int | None]:
        info = self._get("memory", "nvmlDeviceGetMemoryInfo")
        return (None, None) if info is None else (int(info.used), int(info.total))

    def utilization(self) -> tuple[float | None, float | None]:
        u = self._get("utilization", "nvmlDeviceGetUtilizationRates")
        return (None, None) if u is None else (float(u.gpu), float(u.memory))

    def clocks_hz(self) -> tuple[float | None, float | None]:
        sm = self._get("clocks", "nvmlDeviceGetClockInfo", _CLOCK_SM)
        mem = self._get("clocks", "nvmlDeviceGetClockInfo", _CLOCK_MEM)
        return (None if sm is None else sm * 1e6, None if mem is None else mem * 1e6)

    def temperature_c(self) -> float | None:
        t = self._get("temperature", "nvmlDeviceGetTemperature", _TEMPERATURE_GPU)
        return None if t is None else float(t)

    def throttle(self) -> tuple[bool | None, bool | None]:
        name = "nvmlDeviceGetCurrentClocksEventReasons"
        if getattr(self.nvml._module, name, None) is None:  # drivers/bindings before the rename
            name = "nvmlDeviceGetCurrentClocksThrottleReasons"
        bits = self._get("throttle", name)
        return (None, None) if bits is None else (bool(bits & _REASON_POWER), bool(bits & _REASON_THERMAL))

    def sample(self, t_s: float, with_energy: bool) -> GpuSample | None:
        """All readings at once; None once the GPU is lost."""
        if self.lost is not None:
            return None
        p_inst = self.power_instant_w()
        p_avg = self.power_avg_w()
        energy = self.energy_j() if with_energy else None
        used, _ = self.memory()
        util_gpu, util_mem = self.utilization()
        sm, mem = self.clocks_hz()
        temp = self.temperature_c()
        thr_power, thr_thermal = self.throttle()
        if self.lost is not None:
            return None
        return GpuSample(t_s=t_s, index=self.index, power_instant_w=p_inst, power_avg_w=p_avg,
                         energy_j=energy, mem_used_bytes=used, util_gpu_pct=util_gpu, util_mem_pct=util_mem,
                         sm_clock_hz=sm, mem_clock_hz=mem, temperature_c=temp,
                         throttle_power=thr_power, throttle_thermal=thr_thermal)

    # Static facts (inventory) ------------------------------------------------------------------
    def name(self) -> str | None:
        value = self._get("name", "nvmlDeviceGetName")
        return None if value is None else _text(value)

    def uuid(self) -> str | None:
        value = self._get("uuid", "nvmlDeviceGetUUID")
        return None if value is None else _text(value)

    def compute_capability(self) -> str | None:
        cc = self._get("compute_capability", "nvmlDeviceGetCudaComputeCapability")
        return None if cc is None else f"{cc[0]}.{cc[1]}"

    def power_limit_w(self) -> float | None:
        mw = self._get("power_limit", "nvmlDeviceGetEnforcedPowerLimit")
        return None if mw is None else mw / 1000.0

    def probe(self) -> dict[str, str | None]:
        """Try each telemetry source once: source -> None (works) or the reason it does not."""
        checks = {
            "power_instant": self.power_instant_w, "power_avg": self.power_avg_w, "energy_counter": self.energy_j,
            "memory": lambda: self.memory()[0], "utilization": lambda: self.utilization()[0],
            "clocks": lambda: self.clocks_hz()[0], "temperature": self.temperature_c,
            "throttle": lambda: self.throttle()[0],
        }
        result: dict[str, str | None] = {}
        for source, read in checks.items():
            ok = read() is not None
            result[source] = None if ok else (self.lost or self.reasons.get(source, "no reading"))
        return result
