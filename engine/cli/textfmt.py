"""Numbers for people: SI-ish formatting shared by `run` and `history`. Torch-free."""
from __future__ import annotations

MIB, GIB = 1024 ** 2, 1024 ** 3


def num(v: float | None, digits: int = 0, unit: str = "") -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{(' ' + unit) if unit else ''}"


def seconds(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.2f} ms"
    if v < 120:
        return f"{v:.1f} s"
    return f"{int(v // 60)} min {v % 60:02.0f} s"


def mem(v: int | None) -> str:
    if v is None:
        return "–"
    return f"{v / GIB:.2f} GiB" if v >= GIB else f"{v / MIB:.1f} MiB"


def energy(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 1e-3:
        return f"{v * 1e6:.1f} µJ"
    if v < 1:
        return f"{v * 1e3:.2f} mJ"
    return f"{v:,.1f} J"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.1f} %"
