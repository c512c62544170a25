"""What a run job does in its process (engine.jobs.RunJob calls it). Torch-free at import time: the
GUI builds run jobs, so this module must import without torch.

    run_worker(spec_json: str, config: RunConfig | str, events, stop, db_path: str | None) -> RunFinished

puts every engine.run.events event on `events` (anything with `put`: the job's context, a queue;
TelemetryBatch included) and ends with RunFinished, after storing the result in the run history at
db_path (default location when None), so a GUI that refreshes its history on RunFinished finds the
run there; returns that RunFinished. Bad input (a spec that does not validate, a missing data set
file, an absent device) raises engine.errors.BadRunInput before RunStarted: nothing ran, nothing is
stored (the job reports it as a refusal). A stop requested before the run began raises
engine.errors.Cancelled: nothing ran, nothing is stored.
"""
from __future__ import annotations

import threading
from typing import Any


def run_worker(spec_json: str, config: Any, events: Any, stop: Any, db_path: str | None) -> Any:
    from engine.errors import BadRunInput, Cancelled
    from engine.net.spec import SpecFormatError, spec_from_json
    from engine.run.config import RunConfig
    from engine.run.events import RunFinished

    if stop.is_set():  # stopped before it began (a sweep cancelled while this process started)
        raise Cancelled("cancelled before the run started; nothing ran")
    from engine.run.loop import run  # imports torch: seconds on a busy machine

    try:
        spec = spec_from_json(spec_json, "network")
    except SpecFormatError as exc:
        raise BadRunInput(str(exc)) from None
    if not isinstance(config, RunConfig):
        try:
            config = RunConfig.model_validate_json(config)
        except ValueError as exc:
            raise BadRunInput(f"run settings: {exc}") from None
    finished: list[Any] = []

    def emit(event: Any) -> None:
        if isinstance(event, RunFinished):
            event = _store(event, db_path)
            finished.append(event)
        events.put(event)

    stopped = _StopFlag(stop)
    try:
        if config.is_parallel:  # several processes: the baseline is looked up in this run history
            from engine.parallel import run_job
            run_job(spec, config, on_event=emit, should_stop=stopped.is_set, db_path=db_path)
        else:
            run(spec, config, on_event=emit, should_stop=stopped.is_set)
    finally:
        stopped.close()
    return finished[-1] if finished else None


def _store(event: Any, db_path: str | None) -> Any:
    """Store the finished run; if that fails, say so in the result the GUI receives."""
    from engine.results.result import RunResult
    from engine.results.store import RunStore
    from engine.run.events import RunFinished

    result = RunResult.model_validate_json(event.result_json)
    try:
        RunStore(db_path).add(result)
    except Exception as exc:  # noqa: BLE001 - the run happened; say why it is not in the history
        result.quality.append(f"not kept in the run history: {exc}")
        return RunFinished(run_id=event.run_id, status=event.status, result_json=result.model_dump_json())
    return event


class _StopFlag:
    """A plain bool mirrored from the multiprocessing Event by a thread, so the run loop's per-step
    poll costs an attribute read instead of a semaphore call."""

    def __init__(self, event: Any) -> None:
        self._event = event
        self._set = False
        self._closing = False
        self._thread = threading.Thread(target=self._watch, name="stop-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._closing:
            if self._event.wait(1.0):  # returns at once when set; the timeout only checks _closing
                self._set = True
                return

    def is_set(self) -> bool:
        return self._set

    def close(self) -> None:
        self._closing = True
