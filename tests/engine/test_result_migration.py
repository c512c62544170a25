"""The typed result: version 1 files and history rows still open (upgraded on reading, nothing
dropped), unknown keys of the current version are refused, the series keeps its JSON layout, and
History imports the app's own report JSON (every run in it)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import BadResultFile
from engine.results import RESULT_VERSION, Hardware, RunStore, Series, energy_per_sample, read_result_file
from engine.results.store import read_results_file
from engine.run.config import RunConfig

ROOT = Path(__file__).resolve().parents[2]
V1_FILE = Path(__file__).parent / "data" / "result_v1_h200.json"  # a real `run --json` of version 1 (trimmed series)
REPORT_JSON = ROOT / "docs" / "examples" / "cpu-lenet" / "report.json"


def test_a_real_version_1_result_file_opens_typed():
    raw = json.loads(V1_FILE.read_text())
    assert raw["version"] == 1 and "gpu_temperature_c" in raw  # an extra key version 1 allowed
    r = read_result_file(V1_FILE)
    assert r.version == RESULT_VERSION == 2
    assert isinstance(r.config, RunConfig) and r.config.batch == 512 and r.config.precision == "bf16"
    assert r.config.channels_last and r.config.seconds == 20.0
    assert isinstance(r.hardware, Hardware) and r.hardware.device_name == raw["hardware"]["device_name"]
    assert r.hardware.gpus and r.hardware.gpus[0].name
    assert r.gpu_temperature_c is not None and r.gpu_temperature_c.max == raw["gpu_temperature_c"]["max"]
    assert r.on_gpu and r.series.gpus[0].power_instant_w == raw["series"]["gpu0"]["power_instant_w"]
    assert r.series.steps.t_s == raw["series"]["steps"]["t_s"]
    assert r.legacy == {}  # every key of that file has a typed place now
    again = json.loads(r.model_dump_json())
    assert list(again["series"]) == ["steps", "gpu0", "host"]  # the series layout is unchanged
    assert read_result_file_text(r.model_dump_json()) == r


def read_result_file_text(text: str):
    from engine.results.store import decode_result
    return decode_result(text, "test")


def test_version_1_keys_without_a_place_are_kept_under_legacy():
    raw = json.loads(V1_FILE.read_text())
    raw["note"] = "made by hand"
    raw["config"]["old_lever"] = True
    raw["hardware"]["gpu_clock_mhz"] = 1980
    raw["series"]["steps"]["custom"] = [1, 2]
    raw["series"]["disk"] = {"t_s": [0.0]}
    r = read_result_file_text(json.dumps(raw))
    assert r.legacy == {"note": "made by hand", "config.old_lever": True, "hardware.gpu_clock_mhz": 1980,
                        "series.steps.custom": [1, 2], "series.disk": {"t_s": [0.0]}}
    assert read_result_file_text(r.model_dump_json()).legacy == r.legacy  # and they survive a save


def test_unknown_keys_in_the_current_version_are_refused_by_name(tmp_path):
    data = json.loads(read_result_file(V1_FILE).model_dump_json())
    data["hardware"]["gpu_clock_mhz"] = 1980
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadResultFile, match=r"r\.json: not a run result: hardware\.gpu_clock_mhz"):
        read_result_file(path)


@pytest.mark.parametrize("version, words", [("1", "not a whole number"), (True, "not a whole number"),
                                            (0, "not one this app reads"), (3, "newer than this app reads")])
def test_versions_that_are_not_readable_say_so(tmp_path, version, words):
    data = json.loads(V1_FILE.read_text())
    data["version"] = version
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadResultFile, match=words):
        read_result_file(path)


def test_a_history_with_version_1_rows_still_opens(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    raw = V1_FILE.read_text()
    run_id = json.loads(raw)["run_id"]
    with sqlite3.connect(store.path) as conn:  # a row as the previous release wrote it
        conn.execute("INSERT INTO runs (run_id, created_at, network, status, result_json) VALUES (?, ?, ?, ?, ?)",
                     (run_id, "2026-11-26T10:00:00+00:00", "resnet9", "ok", raw))
    r = store.get(run_id)
    assert r is not None and r.version == 2 and r.config.batch == 512
    assert [x.run_id for x in store.last(5)] == [run_id]


def test_series_groups_are_typed_and_keep_their_json_names():
    s = Series.model_validate({"steps": {"t_s": [0.0, 1.0], "samples": [16, 32]},
                               "gpu1": {"t_s": [0.5], "power_instant_w": [250.0], "throttle_power": [False]},
                               "host": {"t_s": [0.5], "cpu_util_pct": [50.0]}})
    assert s.gpus[1].power_instant_w == [250.0] and s.group("gpu1") is s.gpus[1] and s.group("gpu7") is None
    assert list(s.model_dump()) == ["steps", "gpu1", "host"] and not s.is_empty() and Series().is_empty()
    with pytest.raises(ValueError, match="watts"):
        Series.model_validate({"steps": {"t_s": [0.0], "watts": [1.0]}})


def test_energy_per_sample_has_one_definition():
    assert energy_per_sample(2.0, 4) == 0.5
    assert energy_per_sample(None, 4) is None and energy_per_sample(2.0, 0) is None


def test_the_run_loops_hardware_facts_all_have_a_field():
    torch = pytest.importorskip("torch")
    from engine.run.device import hardware_info
    facts = hardware_info(torch.device("cpu"))
    assert set(facts) <= set(Hardware.model_fields), set(facts) - set(Hardware.model_fields)


def test_history_imports_every_run_of_a_report_json(tmp_path):
    runs = json.loads(REPORT_JSON.read_text())["runs"]
    assert len(runs) > 1
    store = RunStore(tmp_path / "runs.sqlite")
    added = store.import_json(REPORT_JSON)
    assert [r.run_id for r in added] == [r["run_id"] for r in runs] and len(store) == len(runs)
    assert [r.run_id for r in read_results_file(REPORT_JSON)] == [r["run_id"] for r in runs]


def test_history_import_of_a_report_json_says_how_many(tmp_path):
    n = len(json.loads(REPORT_JSON.read_text())["runs"])
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "history", "--db", str(tmp_path / "h.sqlite"),
                        "--import", str(REPORT_JSON)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"imported {n} runs from {REPORT_JSON}" in p.stderr


def test_a_report_json_with_one_bad_run_adds_none(tmp_path):
    doc = json.loads(REPORT_JSON.read_text())
    doc["runs"][1]["config"]["batch"] = "many"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc))
    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(BadResultFile, match=r"runs\[1\]: not a run result: config\.batch"):
        store.import_json(path)
    assert len(store) == 0
