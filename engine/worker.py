"""Entry point of the run worker process (spawned by the GUI). Torch-free at import time: the
GUI pickles a reference to `run_worker`, so this module must import without torch.

CONTRACT (TODO engine-run helper):
    run_worker(spec_json: str, config_json: str, events: multiprocessing.Queue, stop: multiprocessing.Event,
               db_path: str | None) -> None
puts every engine.events event on `events` (TelemetryBatch included), stores the result in the
run history at db_path (default location when None), and ends with a RunFinished event.
"""
from __future__ import annotations
