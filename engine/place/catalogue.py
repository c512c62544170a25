"""The hardware catalogue: targets a measured run can be projected onto, each figure with a source.

Torch-free. The shipped catalogue (engine/assets/place/catalogue.json) is validated on load, and a
user's own entries (`*.json` files in the data folder's `catalogue/` folder, same format, `targets`
and `sources` only) are added to it; a user entry with the id of a shipped one replaces it.
Every number is a `Fact` naming its source; peak figures must be dense (a 2:4-sparse datasheet rate
halved is "dense"). Unknown is `null`, never zero.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import BadInput
from engine.json_file import read_json
from engine.paths import ASSETS, data_dir
from hw.cpu_power import TABLE_SOURCE, lookup_tdp

Place = Literal["edge", "laptop", "desktop", "workstation", "datacentre", "cloud"]
PLACES: tuple[str, ...] = ("edge", "laptop", "desktop", "workstation", "datacentre", "cloud")
PrecisionName = Literal["fp32", "tf32", "fp16", "bf16", "int8"]
CATALOGUE_PATH = ASSETS / "place" / "catalogue.json"


class BadCatalogue(BadInput):
    """A catalogue file or entry that cannot be used (names the file and the entry)."""


class Fact(BaseModel):
    """One number with where it comes from."""
    model_config = ConfigDict(extra="forbid")
    value: float = Field(gt=0)
    source: str = Field(min_length=1)
    how: Literal["datasheet", "secondary", "computed", "measured"] = "secondary"
    basis: Literal["dense", "sparse"] = "dense"
    date: str | None = None
    note: str | None = None


class DatedFact(Fact):
    date: str = Field(min_length=4)  # prices change: a price without a date is refused


class PowerMode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    power_w: float = Field(gt=0)
    clock_scale: float | None = Field(default=None, gt=0, le=1)  # None: not published


class Target(BaseModel):
    """One place to run: its peaks per precision (FLOP/s dense), memory, power and prices."""
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")
    name: str = Field(min_length=1, max_length=120)
    place: Place
    kind: Literal["gpu", "cpu", "asic", "fpga"] = "gpu"
    like: str | None = None  # a cloud instance: the hardware of this other entry
    match: list[str] = Field(default_factory=list)  # device-name fragments that identify it in a run
    peak_tflops: dict[PrecisionName, Fact] = Field(default_factory=dict)
    mem_gb: Fact | None = None
    mem_bw_gbs: Fact | None = None
    tdp_w: Fact | None = None
    idle_w: Fact | None = None
    power_modes: list[PowerMode] = Field(default_factory=list)
    price_usd: DatedFact | None = None
    cloud_usd_per_h: DatedFact | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _dense_only(self) -> Target:
        for precision, fact in self.peak_tflops.items():
            if fact.basis != "dense":
                raise ValueError(f"peak_tflops.{precision} is a 2:4-sparse figure ({fact.value:g}); "
                                 f"give the dense rate (the sparse rate / 2)")
        return self

    # Derived, in SI units.
    def peak_flops_per_s(self, precision: str) -> float | None:
        fact = self.peak_tflops.get(precision)  # type: ignore[call-overload]
        return fact.value * 1e12 if fact else None

    @property
    def mem_bytes(self) -> float | None:
        return self.mem_gb.value * 1e9 if self.mem_gb else None

    @property
    def mem_bw_bytes_per_s(self) -> float | None:
        return self.mem_bw_gbs.value * 1e9 if self.mem_bw_gbs else None

    @property
    def precisions(self) -> tuple[str, ...]:
        return tuple(self.peak_tflops)

    def facts(self) -> list[Fact]:
        found = [f for f in (self.mem_gb, self.mem_bw_gbs, self.tdp_w, self.idle_w, self.price_usd,
                             self.cloud_usd_per_h) if f is not None]
        return found + list(self.peak_tflops.values())


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    url: str = Field(min_length=8)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["tradeoff-lab/catalogue"]
    version: Literal[1]
    checked: str | None = None
    about: str | None = None
    sources: dict[str, Source]
    grid_gco2_per_kwh: dict[str, DatedFact] = Field(default_factory=dict)
    pue: dict[str, DatedFact] = Field(default_factory=dict)
    targets: list[Target]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [t.id for t in self.targets]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"target ids used twice: {', '.join(dupes)}")
        by_id = {t.id: t for t in self.targets}
        for t in self.targets:
            for fact in t.facts():
                if fact.source not in self.sources:
                    raise ValueError(f"target {t.id}: source {fact.source!r} is not in 'sources'")
            if t.like is not None:
                base = by_id.get(t.like)
                if base is None or base.like is not None:
                    raise ValueError(f"target {t.id}: 'like' names {t.like!r}, which is not a hardware entry")
        for table in (self.grid_gco2_per_kwh, self.pue):
            for key, fact in table.items():
                if fact.source not in self.sources:
                    raise ValueError(f"{key}: source {fact.source!r} is not in 'sources'")
        return self

    def target(self, target_id: str) -> Target:
        """The entry with the hardware filled in from its `like` entry (cloud instances)."""
        by_id = {t.id: t for t in self.targets}
        if target_id not in by_id:
            raise BadCatalogue(f"no target {target_id!r} in the catalogue (try one of: "
                               f"{', '.join(sorted(by_id)[:8])}, ...)")
        t = by_id[target_id]
        if t.like is None:
            return t
        base = by_id[t.like]
        own = t.model_dump(exclude_unset=True, exclude={"like"})
        return Target.model_validate({**base.model_dump(exclude={"id", "name", "place", "match"}), **own})

    def resolved(self) -> list[Target]:
        return [self.target(t.id) for t in self.targets]

    def find_device(self, device_name: str | None) -> Target | None:
        """The hardware entry a run's device name matches (e.g. 'NVIDIA H200' -> h200), or None."""
        if not device_name:
            return None
        name = device_name.lower()
        for t in self.targets:
            if t.like is None and any(m.lower() in name for m in t.match):
                return t
        return None


CPU_TABLE_SOURCE_ID = "cpu-tdp-table"


def _cpu_tdps_from_the_shared_table(data: object) -> object:
    """CPU targets take their TDP from the same table that CPU energy estimates use (one table, not
    two); an entry the table does not know keeps its own cited figure."""
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        return data
    data = {**data, "sources": {**(data.get("sources") or {}),
                                CPU_TABLE_SOURCE_ID: {"title": TABLE_SOURCE, "url": "hw/data/CPU_TDP_SOURCE.md"}}}
    targets = []
    for t in data["targets"]:
        if isinstance(t, dict) and t.get("kind") == "cpu" and isinstance(t.get("name"), str):
            found = lookup_tdp(t["name"])
            if found:
                t = {**t, "tdp_w": {"value": found[1], "source": CPU_TABLE_SOURCE_ID, "how": "secondary",
                                    "note": f"table entry {found[0]}"}}
        targets.append(t)
    return {**data, "targets": targets}


def parse_catalogue(data: object, source: str) -> Catalogue:
    data = _cpu_tdps_from_the_shared_table(data)
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts = [source]
        if loc[:1] == ["targets"] and len(loc) > 1 and isinstance(data, dict):
            targets = data.get("targets")
            idx = loc[1]
            if isinstance(targets, list) and isinstance(idx, int) and idx < len(targets) and isinstance(targets[idx], dict):
                parts.append(f"target {targets[idx].get('id', idx)!r}")
                loc = loc[2:]
        if loc:
            parts.append(".".join(str(p) for p in loc))
        raise BadCatalogue(": ".join(parts + [msg])) from None


def user_catalogue_dir() -> Path:
    return data_dir() / "catalogue"


def load_catalogue(user_dir: Path | None = None) -> Catalogue:
    """The shipped catalogue plus the user's entries. Raises BadCatalogue naming the file and entry."""
    shipped = parse_catalogue(read_json(CATALOGUE_PATH, BadCatalogue, "catalogue file"), str(CATALOGUE_PATH.name))
    folder = user_dir if user_dir is not None else user_catalogue_dir()
    if not folder.is_dir():
        return shipped
    merged = shipped.model_dump()
    for path in sorted(folder.glob("*.json")):
        extra = read_json(path, BadCatalogue, "catalogue file")
        if not isinstance(extra, dict):
            raise BadCatalogue(f"{path}: a catalogue file holds an object with 'targets' and 'sources'")
        merged["sources"].update(extra.get("sources") or {})
        own = {t.get("id"): t for t in (extra.get("targets") or []) if isinstance(t, dict)}
        merged["targets"] = [t for t in merged["targets"] if t["id"] not in own] + list(own.values())
        parse_catalogue(merged, str(path))  # name the user's file when its entry is the bad one
    return parse_catalogue(merged, "catalogue")
