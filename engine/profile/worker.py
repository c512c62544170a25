"""What a profile job does in its process (engine.jobs.ProfileJob calls it). Torch-free at import
time: the GUI builds profile jobs.

    profile_worker(spec_json, config, ctx, stop, db_path) -> ProfileResult

Like a run job (engine.run.worker): every engine.run.events event of the unprofiled run goes to
`ctx.put`, the run is stored in the history before its RunFinished goes out; then JobProgress
says the profile is being taken, and the profile is stored with the run and returned. Bad input
or a configuration that cannot be profiled (compiled, CUDA graph) is refused before anything
runs; a run that fails, runs out of memory or is stopped raises the matching RunFailed (the run
itself is kept).
"""
from __future__ import annotations

from typing import Any


def profile_worker(spec_json: str, config: Any, ctx: Any, stop: Any, db_path: str | None) -> Any:
    from engine.errors import BadRunInput, Cancelled, failure_for
    from engine.net.spec import SpecFormatError, spec_from_json
    from engine.run.config import RunConfig
    from engine.run.events import PhaseChanged, RunFinished
    from engine.run.worker import _StopFlag, _store

    if stop.is_set():
        raise Cancelled("cancelled before the profile started; nothing ran")
    try:
        spec = spec_from_json(spec_json, "network")
    except SpecFormatError as exc:
        raise BadRunInput(str(exc)) from None
    if not isinstance(config, RunConfig):
        try:
            config = RunConfig.model_validate_json(config)
        except ValueError as exc:
            raise BadRunInput(f"run settings: {exc}") from None
    from engine.profile.runner import check_profilable, profile_run, profiled_steps
    check_profilable(config)

    def emit(event: Any) -> None:
        if isinstance(event, RunFinished):
            event = _store(event, db_path)
        elif isinstance(event, PhaseChanged) and event.phase == "profile":
            ctx.progress(None, f"profiling {profiled_steps(config)} steps under torch.profiler")
        ctx.put(event)

    stopped = _StopFlag(stop)
    try:
        ctx.progress(None, "unprofiled run: the step time to explain")
        result, profile = profile_run(spec, config, on_event=emit, should_stop=stopped.is_set)
    finally:
        stopped.close()
    if profile is None:
        status = "cancelled" if result.status == "ok" else result.status
        raise failure_for(status, f"no profile: the run {status}" + (f" ({result.error})" if result.error else ""))
    from engine.results.store import RunStore
    try:
        RunStore(db_path).add_profile(profile)
    except Exception as exc:  # noqa: BLE001 - the profile exists; say why it is not in the history
        profile.notes.append(f"not kept in the run history: {exc}")
    return profile
