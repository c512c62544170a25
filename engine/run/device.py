"""The run's device: checking it exists, describing the hardware for the result, and turning an
out-of-memory error into a sentence a user can act on (imports torch)."""
from __future__ import annotations

import os
import platform
import re
import sys
from functools import lru_cache
from typing import Any

import torch

from engine.errors import BadRunInput, Unsupported

GIB = 1024 ** 3


def resolve_device(name: str) -> torch.device:
    """'cpu' | 'cuda' | 'cuda:N' -> torch.device, BadRunInput for a bad name, Unsupported when it is not here."""
    if name == "cpu":
        return torch.device("cpu")
    if not name.startswith("cuda"):
        raise BadRunInput(f"device {name!r}: use cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        why = (f"this torch build ({torch.__version__}) has no CUDA support" if torch.version.cuda is None
               else "no CUDA GPU is visible (driver missing, or CUDA_VISIBLE_DEVICES hides them)")
        raise Unsupported(f"device {name}: {why}; run on the CPU instead")
    index = 0 if name == "cuda" else int(name.split(":", 1)[1])
    count = torch.cuda.device_count()
    if index >= count:
        raise Unsupported(f"device {name}: there {'is' if count == 1 else 'are'} only {count} GPU(s) "
                          f"(cuda:0..cuda:{count - 1})")
    return torch.device("cuda", index)


@lru_cache(maxsize=1)
def _inventory_summary() -> dict[str, Any]:
    """hw.inventory's machine facts (driver, GPUs, host memory); never fails the run."""
    try:
        from hw.inventory import hardware_summary
        return dict(hardware_summary())
    except Exception as exc:  # noqa: BLE001 - the inventory is a nice-to-have in the result
        return {"inventory_unavailable": f"{type(exc).__name__}: {exc}"}


def hardware_info(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = _inventory_summary()
    info.update({
        "device": str(device), "cpu_model": info.get("cpu_model") or platform.processor() or "unknown CPU", "cpu_count": os.cpu_count(),
        "cpu_threads": torch.get_num_threads(), "host": platform.node(), "os": platform.platform(),
        "python": sys.version.split()[0], "torch": torch.__version__, "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "driver": info.get("nvidia_driver"),
    })
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(device_name=props.name, gpu_memory_bytes=props.total_memory,
                    compute_capability=f"{props.major}.{props.minor}", sm_count=props.multi_processor_count)
    else:
        info.update(device_name=info["cpu_model"])
    return info


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("out of memory" in text.lower() or "can't allocate memory" in text
                                              or "DefaultCPUAllocator" in text)


def oom_message(exc: BaseException, device: torch.device, batch: int) -> str:
    """'out of memory at batch 8192: tried to allocate 2.10 GiB; 79.1 GiB of 79.6 GiB in use'."""
    text = str(exc)
    m = re.search(r"[Tt]ried to allocate ([\d.]+ [KMGT]?i?B)", text) or \
        re.search(r"allocate (\d+) bytes", text)
    tried = ""
    if m:
        amount = m.group(1)
        tried = f"tried to allocate {_bytes(int(amount)) if amount.isdigit() else amount}"
    in_use = ""
    if device.type == "cuda":
        try:
            free, total = torch.cuda.mem_get_info(device)
            in_use = f"{(total - free) / GIB:.1f} GiB of {total / GIB:.1f} GiB in use"
        except Exception:  # noqa: BLE001 - a broken context must not hide the OOM itself
            in_use = ""
    detail = "; ".join(p for p in (tried, in_use) if p) or (text.splitlines() or [type(exc).__name__])[0][:200]
    return f"out of memory at batch {batch}: {detail}"


def _bytes(n: int) -> str:
    return f"{n / GIB:.2f} GiB" if n >= GIB else f"{n / 1024 ** 2:.1f} MiB"


def free_device_memory(device: torch.device) -> None:
    """After an OOM: give cached blocks back so the process (the GUI's next run) starts clean."""
    import gc
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
