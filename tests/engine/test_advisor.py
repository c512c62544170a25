"""The lever advisor: per verdict, the levers in order with their kind of speed-up; levers the device,
mode or version cannot take are skipped with the reason; options other parts add later are picked up
from the schema when they exist."""
from __future__ import annotations

from typing import Annotated, Literal

import pytest

from engine.errors import BadInput
from engine.profile.advisor import BadVerdict, advise, apply, parse_verdict
from engine.profile.explain_setup import choose_levers
from engine.run.config import RunConfig
from engine.run.options import Option, Target, unavailable

GPU = Target(device="cuda", compute_capability=(9, 0), input_shape=(3, 32, 32))
CPU = Target(device="cpu", input_shape=(3, 32, 32))


class LaterConfig(RunConfig):
    """RunConfig with the options other parts of the app are adding (CUDA graph, conv algorithm, backend)."""
    cuda_graph: Annotated[bool, Option("CUDA graph", "capture the step once, replay it")] = False
    conv_algo: Annotated[Literal["library", "direct", "im2col", "fft", "winograd"], Option("Conv algorithm")] = "library"
    backend: Annotated[Literal["torch", "onnxruntime"], Option("Backend")] = "torch"


def _levers(advice):
    return [(lv.key, dict(lv.changes), lv.tag) for lv in advice.levers]


def test_each_verdict_proposes_its_levers_in_order_with_their_kind_on_a_gpu():
    base = LaterConfig(device="cuda", batch=64)
    assert _levers(advise("launch-bound", base, GPU))[:3] == [
        ("batch", {"batch": 256}, "constant-factor"), ("cuda-graph", {"cuda_graph": True}, "constant-factor"),
        ("compile-reduce-overhead", {"compile": "reduce-overhead"}, "library")]
    assert _levers(advise("memory-bound", base, GPU)) == [
        ("channels-last", {"channels_last": True}, "constant-factor"), ("bf16", {"precision": "bf16"}, "hardware"),
        ("fp16", {"precision": "fp16"}, "hardware"), ("compile", {"compile": "default"}, "library")]
    compute = advise("compute-bound", base, GPU, cpu_threads=8)
    assert _levers(compute)[:5] == [
        ("tf32", {"precision": "tf32"}, "hardware"), ("bf16", {"precision": "bf16"}, "hardware"),
        ("fp16", {"precision": "fp16"}, "hardware"), ("winograd", {"conv_algo": "winograd"}, "algorithmic"),
        ("prune-structured", {"prune": "structured:0.25"}, "algorithmic")]
    assert dict((s.key, s.why) for s in compute.skipped)["threads"] == "CPU threads do not speed up work on the GPU"
    host = advise("data/host-bound", base.model_copy(update={"dataset": "digits"}), GPU)
    assert [lv.key for lv in host.levers] == ["synthetic-data", "batch"]
    assert {s.key: s.why for s in host.skipped} == {"data-on-device": "this version has no data-on-device run option",
                                                    "workers": "this version has no workers run option"}
    assert all(lv.why for a in (compute, host) for lv in a.levers)


def test_a_gpu_only_lever_is_skipped_on_the_cpu_with_the_reason():
    advice = advise("launch", LaterConfig(device="cpu"), CPU)
    assert [lv.key for lv in advice.levers][0] == "batch"
    why = {s.key: s.why for s in advice.skipped}
    assert why["cuda-graph"] == unavailable({}, CPU)["cuda_graph"]  # the option rules' words
    assert why["compile-reduce-overhead"] == unavailable({}, CPU)["compile:reduce-overhead"]  # the option rules' words
    memory = advise("memory", LaterConfig(device="cpu"), CPU)
    assert [lv.key for lv in memory.levers] == ["channels-last", "compile"]
    assert "GPU tensor cores" in {s.key: s.why for s in memory.skipped}["bf16"]


def test_the_option_rules_refuse_what_this_device_and_mode_cannot_do():
    old_gpu = Target(device="cuda", compute_capability=(7, 0), input_shape=(3, 32, 32))
    advice = advise("compute", RunConfig(device="cuda"), old_gpu)
    why = {s.key: s.why for s in advice.skipped}
    assert why["tf32"].startswith("TF32 needs compute capability 8.0") and why["bf16"].startswith("bf16 needs")
    assert [lv.key for lv in advice.levers][0] == "fp16"
    train_cpu = {s.key: s.why for s in advise("compute", RunConfig(device="cpu"), CPU, cpu_threads=4).skipped}
    assert train_cpu["int8"] == unavailable({"mode": "train"}, CPU)["precision:int8"]  # the option rules' words
    infer_cpu = advise("compute", RunConfig(device="cpu", mode="infer", threads=1), CPU, cpu_threads=4)
    keys = {lv.key: dict(lv.changes) for lv in infer_cpu.levers}
    assert keys["threads"] == {"threads": 4} and keys["int8"] == {"precision": "int8"}
    flat = advise("memory", RunConfig(device="cuda"), Target(device="cuda", compute_capability=(9, 0), input_shape=(64,)))
    assert "channels-last needs an image input" in {s.key: s.why for s in flat.skipped}["channels-last"]


def test_an_option_this_version_lacks_is_skipped_and_one_already_on_is_not_proposed_again():
    advice = advise("host", RunConfig(device="cuda", dataset="digits"), GPU)
    assert {s.key: s.why for s in advice.skipped}["workers"] == "this version has no workers run option"
    on = advise("memory", RunConfig(device="cuda", channels_last=True), GPU)
    assert {s.key: s.why for s in on.skipped}["channels-last"] == "the baseline already runs with channels-last on"
    assert "channels-last" not in [lv.key for lv in on.levers]


def test_the_batch_lever_stays_within_the_options_bounds_and_apply_changes_only_its_field():
    big = RunConfig(device="cuda", batch=1 << 19)
    lever = advise("launch", big, GPU).levers[0]
    assert dict(lever.changes) == {"batch": 1 << 20}
    assert lever.label(big) == f"batch {1 << 19} → {1 << 20}"
    changed = apply(big, lever)
    assert changed.batch == 1 << 20 and changed.model_dump() == {**big.model_dump(), "batch": 1 << 20}


def test_verdicts_are_read_in_the_profiles_and_users_words_and_unknown_ones_refused():
    assert [parse_verdict(v) for v in ("launch-bound", "Memory-Bound", "compute", "data/host-bound", "host_bound")] == \
        ["launch", "memory", "compute", "host", "host"]
    with pytest.raises(BadVerdict, match="'slow' is not one of: launch-bound, memory-bound, compute-bound"):
        parse_verdict("slow")


def test_chosen_levers_keep_the_order_and_a_lever_of_another_bound_is_refused_naming_the_choices():
    advice = advise("memory", RunConfig(device="cuda"), GPU)
    assert [lv.key for lv in choose_levers(advice, ["compile", "channels-last"]).levers] == ["channels-last", "compile"]
    with pytest.raises(BadInput, match="'batch' is not a lever for a memory-bound run; its levers: channels-last"):
        choose_levers(advice, ["batch"])
    with pytest.raises(BadInput, match=r"'warp' is not a lever .* \(no such lever\)"):
        choose_levers(advice, ["warp"])
    cpu = advise("memory", RunConfig(device="cpu"), CPU)
    with pytest.raises(BadInput, match="none of bf16 can run here .bf16: lower precision pays on GPU"):
        choose_levers(cpu, ["bf16"])
