"""Human-readable numbers for the editor: counts, FLOPs, bytes and shapes."""
from __future__ import annotations

from collections.abc import Sequence


def count(n: int | float) -> str:
    """61706 -> '61.7 k'; keeps three significant digits."""
    n = float(n)
    for scale, suffix in ((1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= scale:
            v = n / scale
            return f"{v:.3g}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return f"{n:.0f}"


def flops(n: int | float) -> str:
    return f"{count(n)}FLOPs" if abs(n) >= 1e3 else f"{n:.0f} FLOPs"


def bytes_(n: int | float) -> str:
    """Binary units, as memory is sold: 1536 -> '1.5 KiB'."""
    n = float(n)
    for scale, suffix in ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if abs(n) >= scale:
            v = n / scale
            return f"{v:.3g} {suffix}" if v < 100 else f"{v:.0f} {suffix}"
    return f"{n:.0f} B"


def shape(s: Sequence[int] | None) -> str:
    return "?" if s is None else "×".join(str(d) for d in s)
