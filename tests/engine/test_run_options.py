"""RunConfig as the one declaration of a run option: the rules of what a device or mode allows, the
`run` and `sweep` flags derived from it (bounds, choices, round trips), grids and stored configs."""
from __future__ import annotations

import argparse
import json

import pytest

from engine.cli import _Parser
from engine.cli import run as run_cli
from engine.cli import sweep as sweep_cli
from engine.cli.config_flags import config_argv
from engine.run import RunConfig, Target, option_fields, unavailable
from engine.run.options import DDP_KNOBS, PIPELINE_KNOBS
from engine.sweep.grid import Grid, SweepState, describe, plan


def _parser(module, schema=RunConfig) -> argparse.ArgumentParser:
    p = _Parser(prog="main.py")
    module.add_parser(p.add_subparsers(dest="command", parser_class=_Parser), schema=schema)
    return p


def test_rules_say_what_a_device_or_mode_rules_out_and_why():
    cpu, volta, hopper = Target("cpu"), Target("cuda:1", (7, 0)), Target("cuda:0", (9, 0))
    train, infer = {"mode": "train", "dataset": "digits"}, {"mode": "infer"}
    assert "GPU tensor-core mode" in unavailable(train, cpu)["precision:tf32"]
    assert "cuDNN" in unavailable(train, cpu)["cudnn_benchmark"]
    assert "compute capability 8.0" in unavailable(train, volta)["precision:bf16"]
    assert "this GPU is 7.0" in unavailable(train, volta)["precision:tf32"]
    assert set(unavailable(train, hopper)) - set(DDP_KNOBS) - set(PIPELINE_KNOBS) == {
        "precision:int8", "precision:fp8", "backend:onnxruntime", "prune_finetune_steps", "parallel:data",
        "parallel:pipeline"}
    assert "pipeline runs" in unavailable(train, hopper)["microbatches"]  # no pipeline: micro-batches do nothing
    pipe = {**train, "devices": ["cuda:0", "cuda:1"], "parallel": "pipeline"}
    assert not set(PIPELINE_KNOBS) & set(unavailable(pipe, hopper))
    assert "a pipeline has none" in unavailable(pipe, hopper)["static_graph"]
    assert "data-parallel runs" in unavailable(train, hopper)["bucket_cap_mb"]  # one device: DDP knobs do nothing
    assert not set(DDP_KNOBS) & set(unavailable({**train, "devices": ["cuda:0", "cuda:1"]}, hopper))
    assert unavailable(train, hopper)["prune_finetune_steps"] == "used only with pruning"
    assert "synthetic" in unavailable({"prune": "2:4"}, hopper)["prune_finetune_steps"]
    tune = {"mode": "infer", "dataset": "digits", "prune": "structured:0.5", "prune_finetune_steps": 10}
    assert not {"prune_finetune_steps", "optimizer", "lr"} & set(unavailable(tune, cpu))  # fine-tuning trains
    assert not {"precision:int8", "precision:fp8"} & set(unavailable(infer, hopper))  # torchao's int8 / fp8 Linear
    assert "only for inference" in unavailable(train, cpu)["precision:int8"]
    assert "precision:int8" not in unavailable(infer, cpu)  # static quantization on the CPU
    assert "compute capability 8.9" in unavailable(infer, Target("cuda:0", (8, 0)))["precision:fp8"]
    assert "image input" in unavailable(train, Target("cuda:0", (9, 0), (784,)))["channels_last"]
    assert {"optimizer", "lr", "eval_every_s"} <= set(unavailable(infer, hopper))
    assert "held-out" in unavailable({"mode": "train", "dataset": "synthetic"}, hopper)["eval_every_s"]


def test_choices_are_declared_once_in_the_schema():
    fields = option_fields(RunConfig)
    assert fields["precision"].choices == ("fp32", "tf32", "fp16", "bf16", "int8", "fp8")
    assert fields["compile"].choices == ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
    assert fields["optimizer"].choices == ("sgd", "adam")
    with pytest.raises(ValueError, match="compile"):
        RunConfig(compile="turbo")


def _bad_value(f) -> str:
    b = f.bounds
    return f"{b.low:g}" if b.low_open else f"{b.low - 1:g}"


BOUNDED = [f for f in option_fields(RunConfig, "cli").values() if f.bounds.low is not None]


@pytest.mark.parametrize("f", BOUNDED, ids=lambda f: f.name)
def test_an_out_of_range_value_exits_2_naming_the_flag(f, capsys):
    """Bounds come from the Field constraints: every bounded option is checked, with no list here."""
    with pytest.raises(SystemExit) as exit_:
        _parser(run_cli).parse_args(["run", "lenet", f.flag, _bad_value(f)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {f.flag}: must be" in err and len(err.strip().splitlines()) == 1


def test_a_bad_sweep_list_exits_2_naming_the_flag(capsys):
    for argv, words in ((["--batches", "32,0"], "--batches: must be >= 1"),
                        (["--precisions", "fp32,fp64"], "--precisions: 'fp64' is not one of"),
                        (["--channels-last-options", "maybe"], "'maybe' is not on or off")):
        with pytest.raises(SystemExit):
            _parser(sweep_cli).parse_args(["sweep", "lenet", *argv])
        assert words in capsys.readouterr().err


def test_config_flags_round_trip_every_option():
    """A sweep starts `run` with config_argv(config): every option must survive the trip."""
    config = RunConfig(device="cuda:1", precision="bf16", batch=512, mode="infer", seconds=7.25, warmup=3,
                       dataset="digits", optimizer="adam", lr=0.000123456789, eval_every_s=0.5, seed=9,
                       channels_last=True, compile="max-autotune", cudnn_benchmark=False, threads=3, sample_hz=0, conv_algo="fft",
                       idle_baseline_s=0, weights="20261129-010203-abcdef", stable_windows=4, stable_pct=2.5,
                       stable_max_s=30.0, repeats=3, cpu_tdp_w=95.0, prune="structured:0.25",
                       backend="onnxruntime", prune_finetune_steps=3)
    training = RunConfig(dataset="digits", keep_weights=True, until_accuracy=0.95, cuda_graph=True,
                         binarize=True)  # training-only, the CUDA graph, binarize
    ddp = RunConfig(devices="cuda:0,cuda:1", processes=None, parallel="data", nnodes=2, bucket_cap_mb=50.5,
                    gradient_as_bucket_view=True, static_graph=True, ddp_compress="bf16")
    cpu_ddp = RunConfig(devices="cpu", processes=3)
    pipe = RunConfig(devices="cpu", processes=2, parallel="pipeline", batch=32, microbatches=8,
                     pipeline_split="conv2", pipeline_schedule="1f1b")
    assert all(getattr(config, n) != f.default or getattr(training, n) != f.default or getattr(ddp, n) != f.default
               or getattr(cpu_ddp, n) != f.default or getattr(pipe, n) != f.default
               for n, f in option_fields(RunConfig, "cli").items() if n not in ("steps",))  # covers every option
    for c in (config, training, ddp, cpu_ddp, pipe):
        args = _parser(run_cli).parse_args(["run", "lenet", *config_argv(c)])
        assert run_cli._config(args) == c


def test_sweep_cli_builds_the_grid_of_every_axis_and_the_grid_round_trips():
    args = _parser(sweep_cli).parse_args(["sweep", "lenet", "--devices", "cpu", "--optimizers", "sgd,adam",
                                          "--threads-options", "auto,2", "--batches", "64,8", "--seed", "3",
                                          "--steps", "20", "--cooldown", "0"])
    grid = sweep_cli._grid_from_args(args)
    assert grid.axes["batch"] == [8, 64] and grid.fixed == {"seed": 3, "steps": 20}
    configs = grid.configs()
    assert len(configs) == 2 * 2 * 2 and {c.threads for c in configs} == {None, 2}
    assert all(c.seed == 3 and c.steps == 20 for c in configs)
    again = sweep_cli._grid_from_args(_parser(sweep_cli).parse_args(["sweep", *grid.to_argv()]))
    assert again == grid


def test_options_that_do_nothing_on_a_device_or_mode_are_skipped_not_run_twice():
    g = Grid(network="lenet", axes={"device": ["cpu"], "mode": ["train", "infer"], "optimizer": ["sgd", "adam"],
                                    "cudnn_benchmark": [True, False], "precision": ["fp32", "int8"], "batch": [8]})
    state = SweepState.new(g)
    ran = [e.label for e in state.entries if e.status == "pending"]
    assert ran == ["cpu fp32 train b8", "cpu fp32 train b8 +optimizer:adam", "cpu fp32 infer b8", "cpu int8 infer b8"]
    reasons = {e.label: e.reason for e in state.entries if e.status == "skipped"}
    assert "only when training" in reasons["cpu fp32 infer b8 +optimizer:adam"]
    assert "only for inference" in reasons["cpu int8 train b8"]
    assert "CPU" in reasons["cpu fp32 train b8 +autotune off"]
    assert plan(g).runs == 4


def test_a_sweep_folder_of_the_first_format_still_resumes(tmp_path):
    old = {"format": "tradeoff-lab/sweep", "version": 1, "created_at": "2026-11-20T10:00:00+00:00",
           "grid": {"network": "lenet", "devices": ["cpu"], "precisions": ["fp32"], "batches": [32, 256],
                    "modes": ["train"], "channels_last": [False], "compile_modes": [None], "seconds": None,
                    "steps": 50, "warmup": 10, "dataset": "synthetic", "cooldown_s": 5.0},
           "db_path": None,
           "entries": [{"index": 0, "config": RunConfig(batch=32, steps=50).model_dump(mode="json"), "status": "ok"},
                       {"index": 1, "config": RunConfig(batch=256, steps=50).model_dump(mode="json")}]}
    (tmp_path / "sweep.json").write_text(json.dumps(old))
    from engine.sweep import load_state
    state = load_state(tmp_path)
    assert state.grid.batches == [32, 256] and state.grid.steps == 50 and state.grid.devices == ["cpu"]
    assert [describe(e.config) for e in state.pending()] == ["cpu fp32 train b256"]


def test_stored_configs_with_todays_field_names_still_load():
    """A config stored by the first version (its field order, every field) reads back unchanged."""
    stored = {"version": 1, "device": "cpu", "precision": "fp32", "batch": 64, "mode": "train", "steps": 100,
              "seconds": None, "warmup": 10, "dataset": "synthetic", "optimizer": "sgd", "lr": 0.01,
              "channels_last": False, "compile": None, "cudnn_benchmark": True, "threads": None, "seed": 0,
              "sample_hz": 10.0, "idle_baseline_s": 1.0, "eval_every_s": 2.0}
    config = RunConfig.model_validate(stored)
    dump = config.model_dump()
    assert {k: dump[k] for k in stored} == stored
    assert all(dump[k] == RunConfig.model_fields[k].default for k in dump.keys() - stored.keys())  # new: defaults


def test_every_rule_names_a_real_option_and_choice():
    """A misspelt key in the rules would disable nothing; every key must name a field (and a choice)."""
    fields = option_fields(RunConfig)
    for target in (Target("cpu", None, (1, 28, 28)), Target("cpu", None, (784,)), Target("cuda:0", (7, 0)),
                   Target("cuda:0", (9, 0))):
        for values in ({"mode": "train", "dataset": "synthetic"}, {"mode": "infer"}):
            for key in unavailable(values, target):
                name, _, choice = key.partition(":")
                assert name in fields, key
                if choice:
                    f = fields[name]
                    assert choice in [f.format(v) for v in (*f.choices, *([None] if f.nullable else []))], key
