"""A sweep with repeats: configurations take turns (A B A B), each repeat runs as a plain run, and its
result is marked with its group, index and count."""
from __future__ import annotations

import json

from engine.sweep.grid import Grid, SweepState, plan
from engine.sweep.runner import RunOutcome, SweepRun


def _grid(repeats=2):
    return Grid(network="lenet", axes={"device": ["cpu"], "batch": [8, 16]},
                fixed={"steps": 2, "repeats": repeats}, cooldown_s=0)


def test_repeats_interleave_the_grid_and_count_in_the_plan():
    state = SweepState.new(_grid(3))
    assert [(e.config["batch"], e.repeat) for e in state.entries] == [
        (8, 1), (16, 1), (8, 2), (16, 2), (8, 3), (16, 3)]
    assert "repeat 2" in state.entries[2].label
    assert plan(_grid(3)).runs == 6
    assert [e.repeat for e in SweepState.new(_grid(1)).entries] == [None, None]


def test_each_repeat_runs_once_and_its_result_says_which_repeat_it_is(tmp_path):
    seen = []

    def runner(config, result_path, cancel):
        seen.append((config.batch, config.repeats))
        run_id = f"r{len(seen)}"
        result_path.parent.mkdir(parents=True, exist_ok=True)
        result_path.write_text(json.dumps({"run_id": run_id, "status": "ok", "config": config.model_dump(mode="json")}))
        return RunOutcome("ok", run_id)
    state = SweepState.new(_grid(2))
    SweepRun(state, tmp_path, runner=runner, sleep=lambda s: None).run()
    assert seen == [(8, 1), (16, 1), (8, 1), (16, 1)]  # a repeat never repeats itself
    marks = [json.loads((tmp_path / "runs" / f"{i:03d}.json").read_text()) for i in range(4)]
    groups = [m["repeat"]["group"] for m in marks]
    assert groups[0] == groups[2] and groups[1] == groups[3] and groups[0] != groups[1]
    assert [m["repeat"]["index"] for m in marks] == [1, 1, 2, 2]
    assert all(m["repeat"]["of"] == 2 and m["config"]["repeats"] == 2 for m in marks)
