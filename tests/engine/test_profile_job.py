"""The profile job: what the GUI runs in a child process. Events of the unprofiled run, progress while
profiling, the run and its profile stored, the profile returned; refusals before anything runs."""
from __future__ import annotations

import json
import threading

import pytest

from engine.errors import Cancelled, Unsupported
from engine.jobs import JobProgress, ProfileJob
from engine.profile import ProfileResult
from engine.results.store import RunStore
from engine.run.events import RunFinished, RunStarted
from tests.engine.tiny_nets import fast_config

TINY = json.dumps({"format": "tradeoff-lab/network", "version": 1, "name": "tiny", "input": {"shape": [1, 8, 8]},
                   "num_classes": 10, "layers": [
                       {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3},
                        "inputs": ["input"]},
                       {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
                       {"id": "flat", "type": "Flatten", "inputs": ["relu"]},
                       {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]})


class Ctx:
    """A job context that keeps what the job sends."""

    def __init__(self) -> None:
        self.events: list = []
        self.progress_lines: list[str] = []
        self.stop = threading.Event()

    def put(self, event) -> None:
        self.events.append(event)

    def progress(self, fraction, message: str) -> None:
        self.progress_lines.append(message)
        self.events.append(JobProgress(fraction, message))


@pytest.fixture
def tiny_peaks(monkeypatch, tmp_path):
    import engine.profile.peaks_cache as cache
    from engine.profile.peaks import measure_peaks
    monkeypatch.setenv("TRADEOFF_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "measure_peaks", lambda device, precisions: measure_peaks(
        device, precisions, matmul_n=64, copy_bytes=1 << 20))


def test_the_job_runs_stores_and_returns_the_profile(tmp_path, tiny_peaks):
    db = tmp_path / "runs.sqlite"
    ctx = Ctx()
    profile = ProfileJob(TINY, fast_config(device="cpu", batch=8, steps=3), str(db)).execute(ctx)
    assert isinstance(profile, ProfileResult) and [x.id for x in profile.layers] == ["conv", "relu", "flat", "fc"]
    kinds = [type(e).__name__ for e in ctx.events]
    assert kinds[0] == "JobProgress" and kinds[1] == "RunStarted" and "RunFinished" in kinds
    assert kinds.index("RunFinished") < max(i for i, k in enumerate(kinds) if k == "JobProgress")  # then profiling
    assert any("torch.profiler" in line for line in ctx.progress_lines)
    run_id = next(e for e in ctx.events if isinstance(e, RunStarted)).run_id
    assert profile.run_id == run_id
    finished = next(e for e in ctx.events if isinstance(e, RunFinished))
    assert finished.status == "ok"
    store = RunStore(db)
    assert store.get(run_id) is not None and store.get_profile(run_id) == profile


def test_the_job_passes_its_input_to_its_target():
    seen = []
    job = ProfileJob(TINY, fast_config(device="cpu"), "h.sqlite", target=lambda *a: seen.append(a) or "done")
    assert job.kind == "profile" and job.execute(Ctx()) == "done"
    assert seen[0][0] == TINY and seen[0][4] == "h.sqlite"


def test_what_cannot_be_profiled_is_refused_before_anything_runs(tmp_path):
    db = tmp_path / "runs.sqlite"
    with pytest.raises(Unsupported, match="compiled"):
        ProfileJob(TINY, fast_config(device="cpu", compile="default"), str(db)).execute(Ctx())
    ctx = Ctx()
    ctx.stop.set()
    with pytest.raises(Cancelled):
        ProfileJob(TINY, fast_config(device="cpu"), str(db)).execute(ctx)
    assert ctx.events == [] and not db.exists()
