"""CPU energy from RAPL (Linux powercap sysfs), package and DRAM, wrap-around safe.

Each zone's `energy_uj` counts up to `max_energy_range_uj` and wraps to 0. Read often enough that it
wraps at most once between reads (the sampler reads at several Hz; at 1 kW a 2^32 uJ range lasts
over an hour, the usual 2^38 uJ range days), a smaller reading means one wrap. Since Linux 5.10
`energy_uj` is readable only by root: then the figure is unavailable ("needs root"), never guessed.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from hw.samples import Availability

RAPL_ROOT = "/sys/class/powercap"
_ZONE = re.compile(r"^[a-z-]*rapl:\d+(:\d+)?$")  # intel-rapl:0, intel-rapl:0:2 (also used on AMD)


@dataclass(frozen=True)
class RaplDomain:
    name: str  # as the kernel names it: package-0, dram, core, uncore, psys
    kind: str  # package | dram | other
    path: str
    readable: bool
    reason: str | None = None
    max_range_uj: int | None = None


def _read_int(path: Path) -> int:
    return int(path.read_text().strip())


def _walk(folder: Path, depth: int) -> list[Path]:
    """Folders under `folder`, `depth` levels deep (sysfs links loop; a bounded walk cannot)."""
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []
    found = list(children)
    if depth > 1:
        for child in children:
            found += _walk(child, depth - 1)
    return found


def discover(root: str | os.PathLike = RAPL_ROOT) -> tuple[tuple[RaplDomain, ...], str | None]:
    """All RAPL zones under `root`, with whether each is readable; or the reason there are none."""
    base = Path(root)
    if not base.is_dir():
        return (), f"no RAPL on this machine ({base} is absent)"
    seen: set[str] = set()
    domains: list[RaplDomain] = []
    for entry in _walk(base, depth=3):
        if not _ZONE.match(entry.name):
            continue
        real = os.path.realpath(entry)  # sysfs lists each zone twice (flat link and nested folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            name = (entry / "name").read_text().strip()
        except OSError:
            name = entry.name
        kind = "package" if name.startswith("package") else "dram" if name == "dram" else "other"
        try:
            _read_int(entry / "energy_uj")
            max_range = _read_int(entry / "max_energy_range_uj")
            domains.append(RaplDomain(name, kind, str(entry), True, None, max_range))
        except PermissionError:
            domains.append(RaplDomain(name, kind, str(entry), False,
                                      f"needs root ({entry / 'energy_uj'} is readable only by root)"))
        except (OSError, ValueError) as exc:
            domains.append(RaplDomain(name, kind, str(entry), False, f"unreadable ({exc})"))
    if not domains:
        return (), f"no RAPL on this machine (no RAPL zones under {base})"
    return tuple(domains), None


class RaplReader:
    """Cumulative package and DRAM energy (J) since construction, summed over sockets."""

    def __init__(self, root: str | os.PathLike = RAPL_ROOT):
        self.domains, self.reason = discover(root)
        self._last: dict[str, int] = {}
        self._total_uj: dict[str, int] = {}
        self.reasons: dict[str, str] = {}  # kind -> why it is unavailable
        for kind in ("package", "dram"):
            zones = [d for d in self.domains if d.kind == kind]
            bad = [d for d in zones if not d.readable]
            if not zones:
                self.reasons[kind] = self.reason or f"this CPU exposes no RAPL {kind} zone"
            elif bad:  # a partial sum would be wrong: all sockets or nothing
                self.reasons[kind] = bad[0].reason or "unreadable"
        self._zones = [d for d in self.domains if d.kind in ("package", "dram") and d.kind not in self.reasons]
        self.read()  # prime the counters

    def availability(self) -> tuple[Availability, ...]:
        return tuple(Availability(f"rapl.{kind}", kind not in self.reasons, self.reasons.get(kind))
                     for kind in ("package", "dram"))

    def read(self) -> tuple[float | None, float | None]:
        """(package_j, dram_j) since construction; None where unavailable."""
        for zone in list(self._zones):
            try:
                raw = _read_int(Path(zone.path) / "energy_uj")
            except ValueError:  # a garbled read: skip it, the next one catches up
                continue
            except OSError as exc:
                self.reasons[zone.kind] = f"reading {zone.path} failed ({exc})"
                self._zones = [z for z in self._zones if z.kind != zone.kind]
                continue
            last = self._last.get(zone.path)
            if last is not None:
                delta = raw - last
                if delta < 0:  # wrapped once
                    delta += zone.max_range_uj or 0
                self._total_uj[zone.path] = self._total_uj.get(zone.path, 0) + delta
            self._last[zone.path] = raw
        out = []
        for kind in ("package", "dram"):
            if kind in self.reasons:
                out.append(None)
            else:
                out.append(sum(self._total_uj.get(z.path, 0) for z in self._zones if z.kind == kind) / 1e6)
        return out[0], out[1]
