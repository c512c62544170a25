"""`main.py report` and `main.py sweep` argument handling: run selection, clear errors (exit 2), outputs."""
from __future__ import annotations

import argparse
import csv
import json

import pytest

from engine.cli import BadInput
from engine.cli import report as report_cli
from engine.cli import sweep as sweep_cli
from engine.results.store import RunStore
from engine.sweep.grid import Grid, SweepState
from tests.engine.fake_runs import make_run


def parse(module, argv):
    parser = argparse.ArgumentParser()
    module.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.fixture
def db(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    for i, b in enumerate((32, 256, 1024)):
        store.add(make_run(f"run{i}", device="cpu", batch=b, throughput_sps=1000.0 * (i + 1), energy_per_sample_j=None,
                           created_at=f"2026-11-26T08:0{i}:00+00:00"))
    return tmp_path / "runs.sqlite"


def test_report_last_n_writes_csv_in_run_order(db, tmp_path, capsys):
    args = parse(report_cli, ["report", "--last", "2", "--csv", str(tmp_path / "r.csv"), "--db", str(db)])
    assert report_cli.main(args) == 0
    with (tmp_path / "r.csv").open() as fh:
        assert [r["run_id"] for r in csv.DictReader(fh)] == ["run1", "run2"]  # oldest first
    assert "wrote" in capsys.readouterr().out


def test_report_by_run_ids_with_baseline(db, tmp_path):
    args = parse(report_cli, ["report", "run2", "run0", "--json", str(tmp_path / "r.json"), "--baseline", "run0",
                              "--db", str(db)])
    assert report_cli.main(args) == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [r["run_id"] for r in doc["runs"]] == ["run2", "run0"] and doc["baseline_run_id"] == "run0"


@pytest.mark.parametrize("argv, words", [
    (["report", "--last", "2"], "name at least one output"),
    (["report", "--csv", "X"], "exactly one of"),
    (["report", "nope", "--csv", "X"], "run 'nope' is not in the run history"),
    (["report", "run0", "--csv", "X", "--baseline", "run9"], "--baseline 'run9' is not one of the runs"),
    (["report", "run0", "--csv", "/no/such/folder/r.csv"], "does not exist"),
    (["report", "--last", "0", "--csv", "X"], "--last"),
])
def test_report_bad_input_is_one_clear_message(db, argv, words):
    with pytest.raises(BadInput, match=words):
        report_cli.main(parse(report_cli, argv + ["--db", str(db)]))


def test_report_on_empty_history(tmp_path):
    with pytest.raises(BadInput, match="has no runs yet"):
        report_cli.main(parse(report_cli, ["report", "--last", "3", "--csv", "x", "--db", str(tmp_path / "e.sqlite")]))


def test_report_from_a_sweep_folder_names_skipped_runs(db, tmp_path):
    state = SweepState.new(Grid(network="lenet", devices=["cpu"], precisions=["fp32"], batches=[32, 256, 1024, 4096]))
    for e, rid in zip(state.entries, ("run0", "run1", None, None), strict=True):
        e.status, e.run_id = ("ok", rid) if rid else ("pending", None)
    state.entries[3].status, state.entries[3].reason = "skipped", "batch 1024 ran out of memory"
    state.save(tmp_path / "sw")
    args = parse(report_cli, ["report", "--sweep", str(tmp_path / "sw"), "--json", str(tmp_path / "r.json"),
                              "--db", str(db)])
    assert report_cli.main(args) == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [r["run_id"] for r in doc["runs"]] == ["run0", "run1"]
    assert doc["skipped"][0]["reason"] == "batch 1024 ran out of memory"


def test_sweep_dry_run_prints_the_plan(tmp_path, capsys):
    args = parse(sweep_cli, ["sweep", "lenet", "--devices", "cpu", "--precisions", "fp32,bf16", "--batches",
                             "32,256,1024", "--seconds", "5", "--out", str(tmp_path / "s"), "--dry-run"])
    assert sweep_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "6 of 6 runs to do" in out and "roughly" in out
    assert not (tmp_path / "s").exists()


def test_sweep_plan_names_the_configurations_it_will_not_run(tmp_path, capsys):
    # It said "6 of 6 runs to do", then counted "[1/8]": the two skipped were never named.
    args = parse(sweep_cli, ["sweep", "lenet", "--devices", "cpu", "--batches", "32", "--modes", "infer",
                             "--precisions", "fp32,int8", "--backends", "torch,onnxruntime", "--prunes",
                             "off,structured:0.5", "--out", str(tmp_path / "s"), "--dry-run"])
    assert sweep_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "6 of 6 runs to do" in out and "2 of 8 configurations skipped, not run:" in out
    assert "cpu int8 infer b32 +backend:onnxruntime" in out and "ONNX Runtime runs the exported fp32 model" in out


def test_sweep_skips_two_of_four_pruning_on_the_cpu_with_the_reason(tmp_path, capsys):
    args = parse(sweep_cli, ["sweep", "lenet", "--devices", "cpu", "--batches", "32", "--modes", "infer",
                             "--prunes", "off,2:4", "--out", str(tmp_path / "s"), "--dry-run"])
    assert sweep_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "1 of 1 runs to do" in out and "cpu fp32 infer b32 +prune:2:4: prune 2:4: semi-structured" in out


def test_sweep_help_says_devices_and_batches_are_required(capsys):
    with pytest.raises(SystemExit):
        parse(sweep_cli, ["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "comma list: cpu, cuda or cuda:N (required" in text and "samples per step (required" in text
    assert "(default 32,256,1024)" not in text  # it named defaults the command then refused to assume


@pytest.mark.parametrize("argv, words", [
    (["sweep", "--devices", "cpu", "--batches", "32"], "give a network"),
    (["sweep", "lenet", "--batches", "32"], "give --devices and --batches"),
    (["sweep", "lenet", "--devices", "cpu", "--batches", "32,x"], "--batches"),
    (["sweep", "lenet", "--devices", "cpu", "--batches", "32", "--precisions", "fp64"], "'fp64' is not one of"),
    (["sweep", "lenet", "--devices", "tpu", "--batches", "32"], "tpu"),
    (["sweep", "lenet", "--devices", "cpu", "--batches", "32", "--channels-last-options", "maybe"], "not on or off"),
    (["sweep", "lenet", "--devices", "cpu", "--batches", "32", "--compile-options", "fast"], "'fast'"),
    (["sweep", "--resume", "/no/such/sweep"], "no sweep state here"),
])
def test_sweep_bad_input_is_one_clear_message(argv, words, capsys):
    try:  # a value the flag cannot take stops at parsing (exit 2), the rest in the command (BadInput -> 2)
        sweep_cli.main(parse(sweep_cli, argv + ["--dry-run"]))
    except BadInput as exc:
        message = str(exc)
    except SystemExit as exc:
        assert exc.code == 2
        message = capsys.readouterr().err
    else:
        pytest.fail(f"{argv} was accepted")
    assert words in message


def test_sweep_progress_jsonl_prints_only_json_lines_and_resume_finishes(tmp_path, capsys, monkeypatch):
    import engine.sweep.runner as sr
    calls = []

    def fake_runner_factory(spec_json, db_path, target=None):
        def runner(config, result_path, cancel):
            calls.append(config.batch)
            result_path.write_text(json.dumps({"run_id": f"b{config.batch}", "status": "ok"}))
            return sr.RunOutcome("ok", f"b{config.batch}", None, 100.0)
        return runner
    monkeypatch.setattr(sr, "make_job_runner", fake_runner_factory)
    args = parse(sweep_cli, ["sweep", "lenet", "--devices", "cpu", "--batches", "8,16", "--steps", "5",
                             "--cooldown", "0", "--out", str(tmp_path / "s"), "--progress-jsonl"])
    assert sweep_cli.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    events = [json.loads(line)["event"] for line in lines]  # every line is JSON
    assert events[0] == "planned" and events[-1] == "done" and events.count("run_finished") == 2
    assert calls == [8, 16]
    # resuming a finished sweep runs nothing again
    assert sweep_cli.main(parse(sweep_cli, ["sweep", "--resume", str(tmp_path / "s")])) == 0
    assert calls == [8, 16] and "0 of 2 runs to do" in capsys.readouterr().out


def test_report_json_does_not_overwrite_a_run_result(db, tmp_path):
    # README flow: `run --json r.json`, later `report --json r.json`; the run's file must survive.
    run_file = tmp_path / "r.json"
    run_file.write_text(make_run("gpu-run").model_dump_json())
    before = run_file.read_text()
    for flag in ("--json", "--csv"):
        with pytest.raises(BadInput, match=rf"{flag} .*r\.json: holds a run result \(run gpu-run\).*--force"):
            report_cli.main(parse(report_cli, ["report", "--last", "2", flag, str(run_file), "--db", str(db)]))
    assert run_file.read_text() == before
    other = tmp_path / "notes.json"
    other.write_text('{"mine": true}')
    with pytest.raises(BadInput, match="not a report JSON"):
        report_cli.main(parse(report_cli, ["report", "--last", "2", "--json", str(other), "--db", str(db)]))
    assert report_cli.main(parse(report_cli, ["report", "--last", "2", "--json", str(run_file), "--force",
                                              "--db", str(db)])) == 0
    assert json.loads(run_file.read_text())["format"] == "tradeoff-lab/report"


def test_a_report_json_is_rewritten_by_the_next_report(db, tmp_path):
    out = tmp_path / "report.json"
    for n in (2, 3):
        assert report_cli.main(parse(report_cli, ["report", "--last", str(n), "--json", str(out), "--db", str(db)])) == 0
        assert len(json.loads(out.read_text())["runs"]) == n
