"""The report's Place section: the baseline run projected onto the catalogue, the fastest target of
each place that can run it, and what the projection assumes. Every figure is projected, not measured.
Torch-free; computed from stored results and the catalogue only."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.format import si, usd
from engine.results.result import RunResult

if TYPE_CHECKING:
    from engine.place import TargetProjection


@dataclass(frozen=True)
class PlaceRow:
    place: str
    target: str
    precision: str
    throughput: str
    energy_per_sample: str
    usd_per_million: str
    gco2_per_million: str
    note: str


@dataclass
class PlaceSection:
    run_label: str
    source_note: str
    rows: list[PlaceRow] = field(default_factory=list)
    cannot_run: list[tuple[str, str]] = field(default_factory=list)  # (target, why)
    assumptions: list[str] = field(default_factory=list)


def place_section(results: Sequence[RunResult], run_id: str | None, label: str) -> PlaceSection | None:
    """The section for run `run_id` (the report's baseline), or None when it has no measurement."""
    from engine.place import BadCatalogue, load_catalogue, project, source_summary
    run = next((r for r in results if r.run_id == run_id and r.status == "ok" and r.throughput_sps), None)
    if run is None:
        return None
    try:
        catalogue = load_catalogue()
    except BadCatalogue as exc:
        return PlaceSection(label, f"The hardware catalogue cannot be used: {exc}")
    projection = project(run, catalogue)
    src = projection.source
    section = PlaceSection(label, f"Projected from {label}, measured on {src.get('device')}: {source_summary(src)}.")
    best: dict[str, TargetProjection] = {}
    for t in projection.targets:
        if t.throughput_sps is None:
            section.cannot_run.append((t.name, t.reason or "unknown"))
        elif t.place not in best or t.throughput_sps > best[t.place].throughput_sps:
            best[t.place] = t
    for place in ("edge", "laptop", "desktop", "workstation", "datacentre", "cloud"):
        t = best.get(place)
        if t is None:
            continue
        section.rows.append(PlaceRow(place, t.name, t.precision, si(t.throughput_sps, "samples/s"),
                                     si(t.energy_per_sample_j, "J"), usd(t.usd_per_million_samples),
                                     si(t.gco2_per_million_samples, "g"), t.usd_basis or ""))
    a = projection.assumptions
    section.assumptions = [
        f"Model: {a['model']}.",
        f"Electricity {a['usd_per_kwh']:g} $/kWh (an assumption), grid '{a['region']}' {a['grid_gco2_per_kwh']:g} "
        f"gCO₂/kWh, PUE {a['pue']}; owned hardware over {a['lifetime_years']:g} years at {a['duty_share']:.0%} duty; "
        f"cloud prices as dated in the catalogue (checked {a['catalogue_checked']}).",
        projection.not_covered + ".",
    ]
    return section
