"""Numbers and names for people: the one place the CLI, the reports and the GUI format a value.

Every function takes None for "not measured" and returns MISSING for it, so a missing value looks
the same everywhere. Units follow the value's name: seconds, joules, watts, bytes (binary prefixes,
as memory is sold), samples/s; counts and FLOPs take decimal prefixes. `plain()` makes a
user-derived string safe to print (no terminal escape codes, no unencodable surrogates).
Torch-free and Qt-free.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["MISSING", "byte_size", "clock", "count", "duration", "energy", "fixed", "flops", "number", "pct", "plain",
           "power", "ratio", "seconds", "shape", "si", "throughput", "usd"]

MISSING = "–"  # one glyph for "no value" in every table, card and report

_SI_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))
_BINARY = ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def number(v: float | None, digits: int = 3) -> str:
    """`digits` significant digits, thousands separated: 23,712 / 45.2 / 0.0312."""
    if _missing(v):
        return MISSING
    if v == 0:
        return "0"
    av = abs(v)
    if av >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(av)))
    return f"{v:.{decimals}f}"


def fixed(v: float | None, decimals: int = 0, unit: str = "", scale: float = 1.0) -> str:
    """v / scale with a fixed number of decimals and thousands separators: fixed(312.4, 0, 'W') -> '312 W'."""
    if _missing(v):
        return MISSING
    return f"{v / scale:,.{decimals}f}{(' ' + unit) if unit else ''}"


def si(v: float | None, unit: str = "", digits: int = 3) -> str:
    """Decimal prefix, `digits` significant digits: si(0.0123, 'J') -> '12.3 mJ'."""
    if _missing(v):
        return MISSING
    if v == 0:
        return f"0 {unit}".rstrip()
    for scale, prefix in _SI_PREFIXES:
        if abs(v) >= scale:
            return f"{v / scale:.{digits}g} {prefix}{unit}".rstrip()
    return f"{v / 1e-9:.{digits}g} n{unit}"


def count(n: float | None) -> str:
    """61706 -> '61.7 k': three significant digits, decimal prefixes, no unit."""
    if _missing(n):
        return MISSING
    for scale, prefix in _SI_PREFIXES[:4]:
        if abs(n) >= scale:
            scaled = n / scale
            return f"{scaled:.3g} {prefix}" if abs(scaled) < 100 else f"{scaled:.0f} {prefix}"
    return f"{n:.0f}"


def flops(n: float | None) -> str:
    """Floating-point operations (2 per multiply-add): 1.2e6 -> '1.2 MFLOPs'."""
    if _missing(n):
        return MISSING
    return f"{count(n)}FLOPs" if abs(n) >= 1e3 else f"{n:.0f} FLOPs"


def byte_size(n: float | None) -> str:
    """Binary prefixes, three significant digits: 1536 -> '1.5 KiB', 123456789 -> '118 MiB'."""
    if _missing(n):
        return MISSING
    for scale, unit in _BINARY:
        if abs(n) >= scale:
            scaled = n / scale
            return f"{scaled:.3g} {unit}" if abs(scaled) < 100 else f"{scaled:,.0f} {unit}"
    return f"{n:.0f} B"


def seconds(s: float | None) -> str:
    """A measured time: '42 µs', '3.14 ms', '12.5 s', '3 min 05 s'."""
    if _missing(s):
        return MISSING
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    if s < 120:
        return f"{s:.1f} s"
    return f"{int(s // 60)} min {s % 60:02.0f} s"


def duration(s: float | None) -> str:
    """A wall-clock span, whole seconds: '45 s', '1 min 15 s', '1 h 02 min'."""
    if _missing(s):
        return MISSING
    total = max(0, round(s))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {sec:02d} s" if m else f"{sec} s")


def clock(s: float | None) -> str:
    """Elapsed or remaining time as a clock: '12.3 s' under a minute, then 'm:ss'."""
    if _missing(s):
        return MISSING
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)}:{int(s % 60):02d}"


def energy(j: float | None) -> str:
    """Joules, prefixed below 1 J: '812.0 µJ', '3.21 mJ', '1,234.5 J'."""
    if _missing(j):
        return MISSING
    if abs(j) < 1e-3:
        return f"{j * 1e6:.1f} µJ"
    if abs(j) < 1:
        return f"{j * 1e3:.2f} mJ"
    return f"{j:,.1f} J"


def power(w: float | None) -> str:
    """Watts, whole: '312 W'."""
    return fixed(w, 0, "W")


def throughput(sps: float | None) -> str:
    """Samples per second, three significant digits: '23,712 samples/s'."""
    return MISSING if _missing(sps) else f"{number(sps)} samples/s"


def pct(fraction: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.973 -> '97.3 %'."""
    return MISSING if _missing(fraction) else f"{fraction * 100:.{decimals}f} %"


def ratio(r: float | None) -> str:
    """A ratio to a baseline: '0.52×', '12.3×', '1,024×'."""
    if _missing(r):
        return MISSING
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×" if r < 100 else f"{r:,.0f}×"


def usd(v: float | None) -> str:
    """US dollars: '$1,234.56', and three significant digits below one dollar: '$0.0123'."""
    if _missing(v):
        return MISSING
    return f"${v:,.2f}" if abs(v) >= 1 else f"${v:.3g}"


def shape(dims: Sequence[int] | None) -> str:
    """A tensor shape: [1, 28, 28] -> '1×28×28'."""
    return MISSING if dims is None else "×".join(str(d) for d in dims)


# C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escape codes), the bidi
# marks, embeddings, overrides and isolates that reorder what a reader sees ("net<RLO>gnp.exe" reads
# "netexe.png"), and lone surrogates (unencodable: printing one raises).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\n\t\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str, one_line: bool = False) -> str:
    """`text` with every control character shown as its escape ('\\x1b'), so a name from a file can
    neither drive the terminal, reorder a line, nor break the output encoding. one_line: tabs and line
    breaks too, for a name inside a line."""
    text = _UNSAFE.sub(_escape, text)
    return _LINE_BREAKS.sub(_escape, text) if one_line else text
