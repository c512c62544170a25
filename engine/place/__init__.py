"""Place: project a measured run onto hardware the user does not own, from a catalogue of cited specs.

Entry points (torch-free):
    load_catalogue() -> Catalogue         the shipped catalogue plus the user's own entries, validated
    project(result, catalogue, Assumptions(...), target_ids) -> Projection
    cross_check(source_result, measured_result, catalogue) -> dict    projection error against a measurement
    PLACES                                edge, laptop, desktop, workstation, datacentre, cloud
Errors: BadCatalogue (a catalogue file or entry that cannot be used; names the file and entry).
"""
from __future__ import annotations

from engine.place.catalogue import PLACES, BadCatalogue, Catalogue, Target, load_catalogue, user_catalogue_dir
from engine.place.projection import Assumptions, Projection, TargetProjection, cross_check, project, source_summary

__all__ = ["PLACES", "Assumptions", "BadCatalogue", "Catalogue", "Projection", "Target", "TargetProjection",
           "cross_check", "load_catalogue", "project", "source_summary", "user_catalogue_dir"]
