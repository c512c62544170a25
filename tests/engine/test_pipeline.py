"""Pipeline parallelism (engine.parallel, --parallel pipeline): where a net may be cut and the cut
that balances its stages, the refusals (one line each), and real jobs on the CPU over gloo (2
processes): a residual net's training, split between its blocks, lands as one run that matches the
1-device run of the same seed (one job shared by the tests that read it), and a stage that dies
mid-inference ends the job, named. A stage's step alone (its gradient, its busy time) runs in this
process as a one-stage pipeline."""
from __future__ import annotations

import contextlib
import io
import math
import time

import pytest

from engine.errors import BadRunInput
from engine.net.analysis import analyze
from engine.net.presets import load_preset
from engine.net.spec import NetworkSpec
from engine.parallel.split import pinned_cuts, plan_stages, valid_cuts
from engine.results.store import RunStore
from engine.run.config import RunConfig
from tests.rank_processes import assert_no_rank_left

FAST = dict(batch=16, steps=12, warmup=2, sample_hz=0, idle_baseline_s=0)


def residual_spec() -> NetworkSpec:
    """resnet9 in miniature: a stem, one residual block (the Add reads the block's input), a head."""
    def conv(lid, src, ch):
        return {"id": lid, "type": "Conv2d", "params": {"out_channels": ch, "kernel_size": 3, "padding": 1},
                "inputs": [src]}
    return NetworkSpec.model_validate({
        "name": "tiny-res", "input": {"shape": [3, 8, 8]}, "num_classes": 10, "layers": [
            conv("stem", "input", 8), {"id": "stem_relu", "type": "ReLU", "inputs": ["stem"]},
            conv("b_conv1", "stem_relu", 8), {"id": "b_relu1", "type": "ReLU", "inputs": ["b_conv1"]},
            conv("b_conv2", "b_relu1", 8), {"id": "b_add", "type": "Add", "inputs": ["stem_relu", "b_conv2"]},
            conv("head_conv", "b_add", 16), {"id": "head_relu", "type": "ReLU", "inputs": ["head_conv"]},
            {"id": "gpool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}, "inputs": ["head_relu"]},
            {"id": "flat", "type": "Flatten", "inputs": ["gpool"]},
            {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}],
        "output": "fc"})


# -- where a net is cut --------------------------------------------------------------------------

def test_a_residual_net_is_cut_only_between_its_blocks():
    spec = residual_spec()
    cuts = valid_cuts(spec)
    assert "b_conv1" in cuts and "head_conv" in cuts  # before and after the block: one tensor crosses
    assert not {"b_relu1", "b_conv2", "b_add"} & set(cuts)  # inside it the skip connection crosses too
    with pytest.raises(BadRunInput, match=r"--pipeline-split b_conv2: not a valid cut: 2 tensors would cross .*"
                                          r"b_relu1, stem_relu"):
        plan_stages(spec, 2, ["b_conv2"])
    with pytest.raises(BadRunInput, match="has no layer 'nope'"):
        plan_stages(spec, 2, ["nope"])
    with pytest.raises(BadRunInput, match="2 stages need 1 cut"):
        plan_stages(spec, 2, ["b_conv1", "head_conv"])
    resnet9 = load_preset("resnet9")
    assert {"conv3", "conv5", "conv7"} <= set(valid_cuts(resnet9)) and "conv4" not in valid_cuts(resnet9)


def test_the_balanced_cut_covers_every_layer_once_and_each_stage_is_a_net():
    spec = load_preset("resnet9")
    whole = analyze(spec)
    for n in (2, 3, 4):
        stages = plan_stages(spec, n)
        layers = [lid for s in stages for lid in s.layers]
        assert layers == [lid for lid, info in whole.layers.items() if info.feeds_output]
        assert sum(s.flops for s in stages) == whole.total_flops and sum(s.params for s in stages) == whole.total_params
        for s in stages:
            assert analyze(s.spec).ok and analyze(s.spec).total_flops == s.flops
    two = plan_stages(spec, 2)
    assert two[1].layers[0] == "conv5"  # the cut whose larger stage has the fewest FLOPs
    for cut in valid_cuts(spec):  # no other valid cut makes the larger stage smaller
        assert max(s.flops for s in plan_stages(spec, 2, [cut])) >= max(s.flops for s in two)
    assert pinned_cuts(" conv3 , conv6") == ["conv3", "conv6"] and pinned_cuts("") is None


@pytest.mark.parametrize("name", ["tiny-res", "seminar-cnn"])  # a residual block; a final Softmax
def test_the_stages_chained_compute_what_the_whole_net_computes(name):
    """Each stage starts from the whole net's weights for the seed: chained, the stages' outputs equal
    the 1-device model's (inference, and the logits training uses)."""
    import torch

    from engine.net.build import build_model
    from engine.parallel.pipeline import stage_model
    spec = residual_spec() if name == "tiny-res" else load_preset(name)
    x = torch.randn(2, *spec.input.shape)
    for n, logits in ((2, False), (3, True)):
        torch.manual_seed(7)
        whole = build_model(spec, logits=logits).eval()
        y = x
        for stage in plan_stages(spec, n):
            torch.manual_seed(7)  # every rank builds from the run's seed
            y = stage_model(spec, stage.spec, logits).eval()(y)
        assert torch.equal(y, whole(x)), (name, n, logits)


def test_more_stages_than_valid_cuts_are_refused_naming_the_net():
    with pytest.raises(BadRunInput, match="network 'lenet' has only 11 place"):
        plan_stages(load_preset("lenet"), 13)


# -- refusals, one line each ----------------------------------------------------------------------

def _refusal(**values) -> str:
    with pytest.raises(ValueError) as info:
        RunConfig(**values)
    text = str(info.value)
    return text


def test_pipeline_configurations_that_cannot_run_are_refused_in_one_line():
    pipe = dict(devices="cpu", processes=2, parallel="pipeline")
    assert "2 or more stages" in _refusal(devices="cpu", processes=1, parallel="pipeline")
    assert "microbatches 5 does not divide batch 16" in _refusal(**pipe, batch=16, microbatches=5)
    assert "one machine" in _refusal(**pipe, nnodes=2)
    assert "bucket_cap_mb 50" in _refusal(**pipe, bucket_cap_mb=50)
    assert "ddp_compress bf16" in _refusal(**pipe, ddp_compress="bf16")
    assert "1F1B schedule needs at least as many micro-batches" in _refusal(
        **pipe, batch=16, microbatches=1, pipeline_schedule="1f1b")
    assert "fixed number of steps" in _refusal(**pipe, seconds=2, mode="infer")
    assert "compile" in _refusal(**pipe, compile="default")
    assert "run without, or use bf16 instead of fp16" in _refusal(**pipe, precision="fp16")
    int8 = _refusal(**pipe, precision="int8", mode="infer")
    assert "precision int8: not available in a pipeline run" in int8 and "fp16" not in int8
    ok = RunConfig(**pipe, batch=24)
    assert ok.pipeline_microbatches(2) == 8 and RunConfig(**pipe, batch=6).pipeline_microbatches(2) == 6


def test_the_option_rules_offer_a_pipeline_only_over_several_devices_and_its_inference_trains_nothing():
    from engine.run.options import DDP_KNOBS, Target, unavailable
    cpu = Target("cpu")
    one = unavailable({"mode": "train"}, cpu)
    assert "needs several devices" in one["parallel:pipeline"] and "Devices" in one["parallel:pipeline"]
    assert "parallel:data" in one
    several = unavailable({"mode": "train", "devices": ["cpu"], "processes": 2, "parallel": "pipeline"}, cpu)
    assert not {"parallel:data", "parallel:pipeline", "optimizer", "lr"} & set(several)
    infer = unavailable({"mode": "infer", "devices": ["cpu"], "processes": 2, "parallel": "pipeline"}, cpu)
    assert {name: infer[name] for name in ("optimizer", "lr", "keep_weights")} == dict.fromkeys(
        ("optimizer", "lr", "keep_weights"), "used only when training")
    assert all("a pipeline has none" in infer[name] for name in DDP_KNOBS)


def test_cli_refuses_a_bad_cut_and_a_bad_micro_batch_count_with_exit_2(tmp_path, capsys, monkeypatch):
    from engine.cli import main as cli_main
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    base = ["run", "resnet9", "--devices", "cpu", "--processes", "2", "--parallel", "pipeline", "--batch", "16"]
    assert cli_main([*base, "--pipeline-split", "conv4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "conv4: not a valid cut" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert cli_main([*base, "--microbatches", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "microbatches 3 does not divide batch 16" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs.sqlite").exists() or len(RunStore(tmp_path / "runs.sqlite")) == 0


def test_cli_refuses_pipeline_flags_without_a_pipeline(tmp_path, capsys, monkeypatch):
    from engine.cli import main as cli_main
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    assert cli_main(["run", "lenet", "--steps", "2", "--microbatches", "4", "--pipeline-schedule", "1f1b"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--microbatches, --pipeline-schedule: used only by a pipeline job" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs.sqlite").exists() or len(RunStore(tmp_path / "runs.sqlite")) == 0


@pytest.fixture
def one_process_group():
    import torch.distributed as dist
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_a_stage_step_applies_the_batch_mean_gradient_and_its_optimizer_step_is_busy_time(one_process_group):
    """One stage in this process, 4 micro-batches: the gradient its optimizer applies is the whole
    batch's mean (as on one device), and the optimizer step counts as the stage's busy time, not idle."""
    import copy

    import torch

    from engine.parallel.pipeline import StageHooks, stage_model
    from engine.parallel.split import StagePlan
    from engine.run.precision import plan_precision
    spec, cpu = load_preset("lenet"), torch.device("cpu")
    whole = analyze(spec)
    config = RunConfig(devices="cpu", processes=2, parallel="pipeline", batch=16, microbatches=4)
    hooks = StageHooks(config, cpu, StagePlan(0, tuple(whole.layers), whole.total_flops, whole.total_params, spec),
                       1, "gloo")
    torch.manual_seed(0)
    model = stage_model(spec, spec, logits=True)
    reference = copy.deepcopy(model)
    x, y = torch.randn(16, *spec.input.shape), torch.randint(0, 10, (16,))
    data = type("Data", (), {"next_batch": staticmethod(lambda _batch: (x, y))})()
    applied: dict[str, torch.Tensor] = {}

    def slow_step() -> None:  # an optimizer step that takes most of the step's time
        applied.update({k: p.grad.clone() for k, p in model.named_parameters()})
        time.sleep(0.3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.step = slow_step
    step = hooks.make_step(model, data, opt, plan_precision("fp32", cpu, "train"))
    step()  # the first step infers the shapes that cross: warm-up
    hooks.window_start()
    loss = step()
    hooks.window_end()
    expected = torch.nn.functional.cross_entropy(reference(x), y)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    for name, p in reference.named_parameters():
        assert torch.allclose(applied[name], p.grad, rtol=1e-4, atol=1e-6), name
    assert hooks.busy_share() > 0.8


def test_a_stop_during_the_baseline_stops_the_baseline_run(tmp_path):
    """Ctrl+C after the job's steps, while its 1-device baseline runs: that run stops too (it ran to
    its end before), and the job says why it has no scaling efficiency."""
    from engine.parallel.launch import _baseline
    from engine.parallel.plan import Layout
    from engine.results.result import ParallelFacts
    from tests.engine.fake_runs import make_run
    config = RunConfig(devices="cpu", processes=2, parallel="pipeline", batch=4, steps=400, warmup=1, sample_hz=0,
                       idle_baseline_s=0)
    job = make_run("job", device="cpu", batch=4)
    job.config = config
    job.parallel = ParallelFacts(kind="pipeline", world_size=2, per_device_batch=4, global_batch=4)
    t0 = time.monotonic()
    _baseline(job, load_preset("lenet"), config, Layout(("cpu", "cpu"), 1, "gloo"), str(tmp_path / "h.sqlite"),
              True, lambda _event: None, lambda: True)
    assert job.scaling_efficiency is None
    assert job.unavailable["scaling_efficiency"] == "the 1-device baseline run was stopped before its end"
    assert time.monotonic() - t0 < 60  # not its 400 steps


# -- combining the stages, the finding ------------------------------------------------------------

def test_stages_combine_into_one_job_whose_finding_says_when_pipelining_does_not_pay():
    from engine.parallel.combine import apply_baseline
    from engine.parallel.stages_result import combine_pipeline
    from engine.results.findings import findings
    from engine.results.result import NetworkSummary, RunResult
    from tests.engine.fake_runs import make_run
    config = RunConfig(devices="cuda:0,cuda:1", parallel="pipeline", batch=256, microbatches=8, steps=100)
    outcomes = []
    for rank, (busy, flops, loss) in enumerate(((0.5, 300, None), (0.4, 700, 1.5))):
        r = make_run(f"s{rank}", throughput_sps=600.0)
        r.samples, r.measured_s, r.loss = 25_600, 40.0 + rank, loss
        r.energy_j.gpu, r.energy_per_sample_j.source = 1000.0, "gpu"
        outcomes.append({"rank": rank, "device": f"cuda:{rank}", "result_json": r.model_dump_json(), "stage": rank,
                         "layers": [f"l{rank}a", f"l{rank}b"], "stage_params": 10, "stage_flops": flops,
                         "busy_share": busy, "microbatches": 8, "schedule": "GPipe"})
    whole = NetworkSummary(name="lenet", params=20, flops_per_sample=1000)
    job = combine_pipeline(outcomes, config, "job", "2026-11-29T02:00:00+00:00", "nccl", whole)
    assert job.samples == 25_600 and job.throughput_sps == pytest.approx(25_600 / 41.0)  # not summed over stages
    assert job.energy_per_sample_j.total == pytest.approx(2000.0 / 25_600) and job.loss == 1.5
    assert job.network == whole and job.parallel.global_batch == 256 and job.communication_share is None
    assert [s.flops_share for s in job.parallel.stages] == [pytest.approx(0.3), pytest.approx(0.7)]
    assert job.parallel.bubble_share == pytest.approx(0.55) and job.parallel.ideal_bubble_share == pytest.approx(1 / 9)
    base = make_run("one-gpu", throughput_sps=1000.0)
    apply_baseline(job, base, "history")
    assert job.scaling_efficiency == pytest.approx(job.throughput_sps / 2000.0)
    again = RunResult.model_validate_json(job.model_dump_json())
    assert again.parallel == job.parallel
    (found,) = [f for f in findings([base, job]) if f.kind == "parallel"]
    assert found.text.startswith("2× H200 as a 2-stage pipeline: 0.62× throughput, 31% efficiency")
    assert "idle 55% of the step" in found.text and "ideal bubble with 8 micro-batches is 11%" in found.text
    assert "pipelining does not pay here" in found.text and "the same batch 256" in found.text
    assert found.numbers["bubble_share"] == pytest.approx(0.55)
    assert not any("BatchNorm" in q for q in job.quality)  # lenet has none
    from engine.cli.run_parallel import summary_lines
    job.parallel.stages[1].layers = ["fc"]
    lines = summary_lines(job)
    assert "pipeline, 2 stages over nccl · batch 256 in 8 micro-batches · GPipe schedule" in lines[0]
    assert lines[2].split() == "stage 1 rank 0 on cuda:0: l0a .. l0b (2 layers, 30.0 % of the FLOPs) · busy 50.0 %".split()
    assert lines[3].split() == "stage 2 rank 1 on cuda:1: fc (1 layer, 70.0 % of the FLOPs) · busy 40.0 %".split()
    resnet9 = load_preset("resnet9")
    with_bn = NetworkSummary(name="resnet9", params=20, flops_per_sample=1000,
                             spec=resnet9.model_dump(mode="json", exclude_none=True))
    job = combine_pipeline(outcomes, config, "job", "2026-11-29T02:00:00+00:00", "nccl", with_bn)
    assert any(q.startswith("BatchNorm normalises each micro-batch of 32 samples, not the batch of 256")
               for q in job.quality)


# -- real jobs on the CPU: one training job shared by the tests that read it ---------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-stage training job through the CLI (the residual net, channels-last, cut between its blocks),
    with the 1-device run of the same seed already in its history; and that run."""
    from engine.cli import main as cli_main
    from engine.parallel.baseline import baseline_config
    from engine.run.loop import run
    tmp = tmp_path_factory.mktemp("pipeline-job")
    db, spec_file = tmp / "h.sqlite", tmp / "tiny-res.json"
    spec = residual_spec()
    spec_file.write_text(spec.model_dump_json(exclude_none=True))
    job = RunConfig(devices="cpu", processes=2, parallel="pipeline", microbatches=4, threads=1, channels_last=True,
                    **FAST)
    one = run(spec, baseline_config(job, 1))  # same seed, weights and data on one device
    assert one.status == "ok", one.error
    RunStore(db).add(one)  # in the history: the job divides by it
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("TRADEOFF_LAB_DATA", str(tmp))
        mp.setenv("OMP_NUM_THREADS", "1")
        code = cli_main(["run", str(spec_file), "--devices", "cpu", "--processes", "2", "--parallel", "pipeline",
                         "--microbatches", "4", "--threads", "1", "--channels-last", "--batch", "16", "--steps", "12",
                         "--warmup", "2", "--sample-hz", "0", "--idle-seconds", "0", "--db", str(db)])
    rows = RunStore(db).list()
    job_id = next((row.run_id for row in rows if row.run_id != one.run_id), None)
    return {"code": code, "out": out.getvalue(), "rows": rows, "one": one,
            "job": RunStore(db).get(job_id) if job_id else None}


@pytest.mark.slow
def test_a_pipeline_training_job_lands_as_one_run_with_its_stages(trained):
    assert trained["code"] == 0
    out = trained["out"]
    assert "stage 2" in out and "bubble" in out and "pipeline, 2 stages over gloo" in out
    assert len(trained["rows"]) == 2  # the baseline and the job: one run for both stages
    r, one = trained["job"], trained["one"]
    assert r.status == "ok" and r.parallel.kind == "pipeline" and r.parallel.world_size == 2
    assert [d.rank for d in r.devices] == [0, 1] and all(d.throughput_sps for d in r.devices)
    stages = r.parallel.stages
    assert [lid for s in stages for lid in s.layers] == [layer.id for layer in residual_spec().layers]
    assert stages[1].layers[0] in valid_cuts(residual_spec())  # between the blocks, never inside one
    assert sum(s.flops_share for s in stages) == pytest.approx(1.0)
    assert all(0 < s.busy_share <= 1 for s in stages)
    assert 0 <= r.parallel.bubble_share < 1 and r.parallel.ideal_bubble_share == pytest.approx(1 / 5)
    assert r.parallel.bubble_share == pytest.approx(1 - sum(s.busy_share for s in stages) / 2)
    assert r.parallel.microbatches == 4 and r.parallel.schedule == "GPipe" and r.parallel.global_batch == 16
    assert r.samples == 12 * 16 and r.network.name == "tiny-res" and r.network.params == one.network.params
    assert r.throughput_sps == pytest.approx(r.samples / max(d.measured_s for d in r.devices))
    assert r.parallel.baseline_run_id == one.run_id
    assert r.scaling_efficiency == pytest.approx(r.throughput_sps / (2 * one.throughput_sps))


@pytest.mark.slow
def test_a_pipeline_trains_as_one_device_does(trained):
    """Same seed, weights and batches; GPipe's gradient is the batch's mean: after 14 SGD steps (momentum)
    the loss is the 1-device run's up to float rounding (a gradient M times too large would not be)."""
    r, one = trained["job"], trained["one"]
    assert math.isfinite(r.loss) and r.loss < math.log(10)
    assert r.loss == pytest.approx(one.loss, rel=1e-3)


@pytest.mark.slow
def test_the_finding_of_a_pipeline_job_names_its_stages_and_bubble(trained):
    from engine.results.findings import findings
    (found,) = [f for f in findings([trained["one"], trained["job"]]) if f.kind == "parallel"]
    assert "2-stage pipeline" in found.text and "idle" in found.text and "ideal bubble" in found.text


@pytest.mark.slow
def test_a_stage_that_dies_ends_the_pipeline_failed_naming_it_with_no_process_left(tmp_path, monkeypatch):
    """Inference (the forward-only schedule) of the residual net; rank 1 exits at its 6th step."""
    from engine.parallel import run_job
    monkeypatch.setenv("TRADEOFF_LAB_DDP_FAIL_RANK", "1:6")
    config = RunConfig(devices="cpu", processes=2, parallel="pipeline", mode="infer", threads=1,
                       **{**FAST, "steps": 10_000})
    t0 = time.monotonic()
    r = run_job(residual_spec(), config, baseline=False, db_path=str(tmp_path / "h.sqlite"))
    assert r.status == "failed" and r.parallel.failed_rank == 1 and r.parallel.kind == "pipeline"
    assert r.parallel.microbatches == 8 and r.parallel.schedule == "forward only" and r.parallel.global_batch == 16
    assert r.error.startswith("rank 1") and "exited with code 13" in r.error
    assert time.monotonic() - t0 < 200  # ended by the launcher, not by a transfer's timeout

    assert_no_rank_left()


@pytest.mark.parametrize("dataset", ["digits", "synthetic"])
def test_each_stage_loads_only_its_part_of_the_batch_and_the_same_samples_as_one_device(dataset):
    """Three stages: the first draws the images, the last the labels, the middle one nothing (not even
    onto its device); what the first and last draw equals one device's batches, step after step
    (past the end of an epoch, where the order is shuffled again)."""
    import torch

    from engine.parallel.pipeline import StageHooks
    from engine.parallel.split import StagePlan
    from engine.run.datasets import load_for_run
    spec, cpu = load_preset("lenet"), torch.device("cpu")
    config = RunConfig(devices="cpu", processes=3, parallel="pipeline", batch=500, microbatches=4, dataset=dataset)
    shape, steps = tuple(spec.input.shape), 5  # digits has 1,437 training images: 5 x 500 crosses an epoch
    whole = load_for_run(config, shape, 10, cpu)
    stages = []
    for index in range(3):
        hooks = StageHooks(config, cpu, StagePlan(index, (), 0, 0, spec), 3, "gloo")
        stages.append(hooks.prepare_data(load_for_run(config, shape, 10, cpu, *hooks.data_parts)))
    assert [StageHooks(config, cpu, StagePlan(i, (), 0, 0, spec), 3, "gloo").data_parts for i in range(3)] == [
        (True, False), (False, False), (False, True)]
    first, middle, last = stages
    for _ in range(steps):
        x, y = whole.next_batch(config.batch)
        fx, fy = first.next_batch(config.batch)
        mx, my = middle.next_batch(config.batch)
        lx, ly = last.next_batch(config.batch)
        assert fy is None and mx is None and my is None and lx is None
        assert torch.equal(fx, x) and torch.equal(ly, y)
    assert middle.draws == 0 and first.draws == last.draws == whole.draws > 0
    if dataset == "digits":  # the images stay off the devices of the stages that do not feed them
        assert middle._train_x is None and middle._train_y is None and last._train_x is None
        assert first._train_y is None and not any(s.has_heldout for s in stages)
    inference = RunConfig(devices="cpu", processes=2, parallel="pipeline", batch=16, mode="infer")
    assert StageHooks(inference, cpu, StagePlan(1, (), 0, 0, spec), 2, "gloo").data_parts == (False, False)


def test_the_run_loop_loads_only_the_parts_its_stage_asks_for():
    """The loop hands a stage's `data_parts` to the data set it loads: a last stage's data set holds
    the labels only, and every step it draws gets labels and no images."""
    import torch

    from engine.net.build import build_model
    from engine.results.result import NetworkSummary
    from engine.run.loop import run_model
    spec = load_preset("lenet")
    seen: dict = {"draws": []}

    class LastStage:  # the loop's `parallel` hooks of a last pipeline stage, its step a stand-in
        data_parts = (False, True)
        job_pid = None

        def prepare_data(self, data):
            seen["data"] = data
            return data

        def wrap(self, model):
            return model

        def make_step(self, model, data, opt, plan):
            def step():
                x, y = data.next_batch(8)
                seen["draws"].append((x, y))
                return torch.zeros(())
            return step

        def window_start(self):
            pass

        def window_end(self):
            pass

    config = RunConfig(dataset="digits", batch=8, steps=3, warmup=1, sample_hz=0, idle_baseline_s=0)
    network = NetworkSummary(name="lenet", params=0, flops_per_sample=0)
    r = run_model(lambda: build_model(spec, logits=True), network, tuple(spec.input.shape), 10, config,
                  lambda _e: None, lambda: False, parallel=LastStage())
    assert r.status == "ok", r.error
    assert seen["data"]._train_x is None and seen["data"]._train_y is not None
    assert len(seen["draws"]) >= 3 and all(x is None and y.shape == (8,) for x, y in seen["draws"])
