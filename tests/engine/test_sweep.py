"""Sweep grid, plan, state file, OOM skipping, failure handling, cancel and resume (fake runner, no torch)."""
from __future__ import annotations

import json
import threading

import pytest

from engine.sweep.grid import BadSweep, Grid, SweepState, describe, load_state, plan
from engine.sweep.runner import RunOutcome, SweepRun


def grid(**kw) -> Grid:
    base = dict(network="lenet", devices=["cpu"], precisions=["fp32", "bf16"], batches=[1024, 32, 256],
                seconds=5, cooldown_s=2.0)
    return Grid(**{**base, **kw})


class FakeRunner:
    """Records the configurations it ran; `fates` maps (precision, batch) -> status."""

    def __init__(self, fates=None, on_call=None):
        self.calls, self.fates, self.on_call = [], fates or {}, on_call

    def __call__(self, config, result_path, cancel):
        self.calls.append(config)
        if self.on_call:
            out = self.on_call(self, config, cancel)
            if out:
                return out
        status = self.fates.get((config.precision, config.batch), "ok")
        run_id = f"{config.precision}-{config.batch}"
        result_path.write_text(json.dumps({"run_id": run_id, "status": status}))
        return RunOutcome(status, run_id, "CUDA out of memory" if status == "oom" else
                          ("boom" if status == "failed" else None), 1000.0 if status == "ok" else None)


def run(state, folder, runner, events=None, sleeps=None):
    sweep = SweepRun(state, folder, runner=runner, on_progress=(events.append if events is not None else lambda p: None),
                     sleep=(sleeps.append if sleeps is not None else lambda s: None))
    return sweep, sweep.run()


def test_grid_orders_batches_innermost_and_ascending():
    configs = grid().configs()
    assert [(c.precision, c.batch) for c in configs] == [
        ("fp32", 32), ("fp32", 256), ("fp32", 1024), ("bf16", 32), ("bf16", 256), ("bf16", 1024)]
    assert all(c.seconds == 5 and c.device == "cpu" for c in configs)


def test_grid_levers_multiply_the_runs():
    g = grid(channels_last=[False, True], compile_modes=[None, "default"], modes=["train", "infer"])
    assert len(g.configs()) == 2 * 3 * 2 * 2 * 2
    assert describe(g.configs()[-1]).endswith("b1024 +channels-last +compile:default")


@pytest.mark.parametrize("kw, words", [
    (dict(precisions=["fp64"]), "unknown precision 'fp64'"),
    (dict(batches=[0, 32]), "batch 0: input should be greater than or equal to 1"),
    (dict(steps=10), "either seconds or steps"),
])
def test_grid_rejects_bad_input_with_a_clear_message(kw, words):
    with pytest.raises(ValueError, match=words):
        grid(**kw)


def test_grid_rejects_a_bad_device_naming_it():
    with pytest.raises(BadSweep, match="gpu7"):
        grid(devices=["gpu7"]).configs()


def test_plan_counts_runs_and_adds_cooldowns():
    p = plan(grid())
    assert p.runs == 6
    assert p.total_s == pytest.approx(sum(p.run_estimates_s) + 5 * 2.0)
    assert all(e > 5 for e in p.run_estimates_s)  # at least the timed window
    compiled = plan(grid(compile_modes=["default"]))
    assert compiled.total_s > p.total_s + 100  # compiling is slow and the plan says so


def test_runs_each_config_once_with_cooldowns_between(tmp_path):
    runner, events, sleeps = FakeRunner(), [], []
    _, state = run(SweepState.new(grid()), tmp_path, runner, events, sleeps)
    assert len(runner.calls) == 6
    assert sleeps == [2.0] * 5  # between runs, not before the first or after the last
    assert state.counts() == {"ok": 6}
    assert [e.event for e in events].count("run_finished") == 6
    assert events[-1].event == "done" and events[-1].done == 6 and events[-1].eta_s == 0
    assert load_state(tmp_path).counts() == {"ok": 6}  # saved


def test_oom_skips_larger_batches_of_same_device_precision_and_continues(tmp_path):
    runner = FakeRunner({("fp32", 256): "oom", ("bf16", 32): "failed"})
    events = []
    _, state = run(SweepState.new(grid()), tmp_path, runner, events)
    by = {(e.config["precision"], e.config["batch"]): e for e in state.entries}
    assert by["fp32", 256].status == "oom" and "out of memory" in by["fp32", 256].reason
    assert by["fp32", 1024].status == "skipped" and "batch 256 ran out of memory" in by["fp32", 1024].reason
    assert by["bf16", 32].status == "failed" and by["bf16", 32].reason == "boom"
    assert by["bf16", 256].status == "ok" and by["bf16", 1024].status == "ok"  # other precision unaffected
    assert [(c.precision, c.batch) for c in runner.calls] == [("fp32", 32), ("fp32", 256), ("bf16", 32),
                                                             ("bf16", 256), ("bf16", 1024)]
    assert any(e.event == "run_skipped" and e.label.endswith("b1024") for e in events)


def test_cancel_mid_run_keeps_finished_runs_and_resume_runs_only_the_rest(tmp_path):
    def cancel_on_third(runner, config, cancel):
        if len(runner.calls) == 3:
            sweep.cancel()
            return RunOutcome("cancelled", "x", "cancelled by the user")
        return None
    runner = FakeRunner(on_call=cancel_on_third)
    events = []
    sweep = SweepRun(SweepState.new(grid()), tmp_path, runner=runner, on_progress=events.append,
                     sleep=lambda s: None)
    state = sweep.run()
    assert sweep.cancelled and events[-1].event == "cancelled"
    assert state.counts() == {"ok": 2, "cancelled": 1, "pending": 3}  # the cancelled run counts as not done
    assert state.entries[2].run_id == "x"  # it is in the history as cancelled

    resumed = load_state(tmp_path)
    runner2 = FakeRunner()
    _, final = run(resumed, tmp_path, runner2)
    assert [(c.precision, c.batch) for c in runner2.calls] == [("fp32", 1024), ("bf16", 32), ("bf16", 256),
                                                              ("bf16", 1024)]
    assert final.counts() == {"ok": 6}
    assert final.run_ids()[:2] == ["fp32-32", "fp32-256"]  # the finished runs were kept, not redone


def test_cancel_during_cooldown_stops_before_the_next_run(tmp_path):
    runner = FakeRunner()
    sweep = SweepRun(SweepState.new(grid()), tmp_path, runner=runner)
    sweep._sleep = lambda s: sweep.cancel()
    sweep.run()
    assert len(runner.calls) == 1


def test_eta_uses_measured_run_times(tmp_path):
    events = []
    run(SweepState.new(grid(cooldown_s=0)), tmp_path, FakeRunner(), events)
    finished = [e for e in events if e.event == "run_finished"]
    assert finished[0].eta_s is not None and finished[-1].eta_s == 0
    assert all(a.eta_s >= b.eta_s for a, b in zip(finished, finished[1:], strict=False))


def test_load_state_names_the_file_for_bad_folders(tmp_path):
    with pytest.raises(BadSweep, match="no sweep state here"):
        load_state(tmp_path)
    (tmp_path / "sweep.json").write_text("{not json")
    with pytest.raises(BadSweep, match="sweep.json: cannot be read"):
        load_state(tmp_path)
    (tmp_path / "sweep.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(BadSweep, match="not a Tradeoff Lab sweep"):
        load_state(tmp_path)


def test_progress_events_are_json_lines(tmp_path):
    events = []
    run(SweepState.new(grid(batches=[32], precisions=["fp32"])), tmp_path, FakeRunner(), events)
    decoded = [json.loads(e.to_json()) for e in events]
    assert [d["event"] for d in decoded] == ["planned", "run_started", "run_finished", "done"]
    assert decoded[2]["throughput_sps"] == 1000.0 and decoded[2]["status"] == "ok"


def test_runner_runs_in_a_thread_safe_way_with_cancel_event(tmp_path):
    # The cancel event handed to the runner is the sweep's own: setting it from another thread is seen.
    seen = threading.Event()

    def wait_for_cancel(runner, config, cancel):
        threading.Timer(0.05, sweep.cancel).start()
        seen.set() if cancel.wait(2) else None
        return RunOutcome("cancelled")
    sweep = SweepRun(SweepState.new(grid()), tmp_path, runner=FakeRunner(on_call=wait_for_cancel),
                     sleep=lambda s: None)
    sweep.run()
    assert seen.is_set()


def test_tf32_on_the_cpu_is_skipped_as_a_repeat_of_fp32(tmp_path):
    g = grid(devices=["cpu", "cuda"], precisions=["fp32", "tf32"], batches=[32])
    assert plan(g).runs == 3  # cpu fp32, cuda fp32, cuda tf32
    state = SweepState.new(g)
    skipped = [e for e in state.entries if e.status == "skipped"]
    assert [e.label for e in skipped] == ["cpu tf32 train b32"] and "plain fp32" in skipped[0].reason
    runner = FakeRunner()
    run(state, tmp_path, runner)
    assert [(c.device, c.precision) for c in runner.calls] == [("cpu", "fp32"), ("cuda", "fp32"), ("cuda", "tf32")]
    assert plan(grid(precisions=["tf32"], batches=[32])).runs == 1  # without fp32 in the grid it runs


def test_a_refused_device_and_precision_is_not_tried_again(tmp_path):
    def refuse_cuda(runner, config, cancel):
        if config.device == "cuda":
            return RunOutcome("failed", None, "--device: no CUDA GPU here", bad_input=True)
        return None
    runner = FakeRunner(on_call=refuse_cuda)
    _, state = run(SweepState.new(grid(devices=["cuda", "cpu"], precisions=["fp32"])), tmp_path, runner)
    statuses = [(e.config["device"], e.config["batch"], e.status) for e in state.entries]
    assert statuses == [("cuda", 32, "failed"), ("cuda", 256, "skipped"), ("cuda", 1024, "skipped"),
                        ("cpu", 32, "ok"), ("cpu", 256, "ok"), ("cpu", 1024, "ok")]
    assert "was refused: --device: no CUDA GPU here" in state.entries[1].reason
    assert len(runner.calls) == 4


def test_a_refused_conv_algorithm_does_not_skip_the_other_algorithms(tmp_path):
    def refuse_fft(runner, config, cancel):  # a refusal only the run finds (its memory, say)
        if config.conv_algo == "fft":
            return RunOutcome("failed", None, "layer 'conv1' (conv_algo fft): refused", bad_input=True)
        return None
    runner = FakeRunner(on_call=refuse_fft)
    g = grid(precisions=["fp32"], batches=[32, 64], axes={"conv_algo": ["fft", "im2col"]})
    _, state = run(SweepState.new(g), tmp_path, runner)
    statuses = [(e.config["conv_algo"], e.config["batch"], e.status) for e in state.entries]
    assert statuses == [("fft", 32, "failed"), ("fft", 64, "skipped"), ("im2col", 32, "ok"),
                        ("im2col", 64, "ok")]


def test_an_algorithm_that_cannot_compute_a_layer_is_skipped_at_planning_naming_it(tmp_path):
    """Winograd on lenet's 5x5 kernels: skipped before any run, with the run's own refusal (it used to
    start a run that then failed)."""
    runner = FakeRunner()
    g = grid(precisions=["fp32"], batches=[32, 64], axes={"conv_algo": ["library", "winograd"]})
    state = SweepState.new(g)
    skipped = [e for e in state.entries if e.status == "skipped"]
    assert [e.config["conv_algo"] for e in skipped] == ["winograd", "winograd"]
    assert all(e.reason.startswith("layer 'conv1' (conv_algo winograd)") and "5x5" in e.reason for e in skipped)
    assert plan(g).runs == 2
    _, state = run(state, tmp_path, runner)
    assert {c.conv_algo for c in runner.calls} == {"library"}


def test_a_network_that_cannot_be_read_is_left_to_its_runs(tmp_path):
    g = grid(network=str(tmp_path / "missing.json"), precisions=["fp32"], batches=[32],
             axes={"conv_algo": ["winograd"]})
    assert [e.status for e in SweepState.new(g).entries] == ["pending"]


def test_a_refused_lever_value_skips_only_its_own_configuration(tmp_path):
    """Structured pruning of a binarized lenet was refused, and every later configuration on the CPU in
    fp32 (ONNX Runtime's among them) was skipped as 'cpu fp32 was refused'."""
    def refuse(runner, config, cancel):
        if config.binarize and config.prune == "structured:0.5":
            return RunOutcome("failed", None, "prune structured:0.5: no convolution can lose channels", bad_input=True)
        return None
    runner = FakeRunner(on_call=refuse)
    g = grid(precisions=["fp32"], batches=[32, 64], axes={"binarize": [False, True],
                                                          "prune": [None, "structured:0.5"], "backend": ["torch"]})
    _, state = run(SweepState.new(g), tmp_path, runner)
    statuses = [(e.config["binarize"], e.config["prune"], e.config["batch"], e.status) for e in state.entries]
    assert [s for s in statuses if s[3] != "ok"] == [(True, "structured:0.5", 32, "failed"),
                                                    (True, "structured:0.5", 64, "skipped")]
    skipped = next(e for e in state.entries if e.status == "skipped")
    assert skipped.reason.startswith("cpu fp32 train b32 +binarized +prune:structured:0.5 was refused: prune")
