"""The run history: SQLite in WAL mode, newest first, filters, import of result files, bad files."""
from __future__ import annotations

import json
import sqlite3

import pytest

from engine.errors import BadResultFile, BadStoreFile
from engine.results.result import NetworkSummary, RunResult
from engine.results.store import SCHEMA_VERSION, RunStore


def make_result(run_id: str, created_at: str, network: str = "lenet", device: str = "cpu",
                precision: str = "fp32", status: str = "ok", throughput: float | None = 1000.0) -> RunResult:
    r = RunResult(run_id=run_id, created_at=created_at, status=status, network=NetworkSummary(
        name=network, params=61706, flops_per_sample=845000),
        config={"device": device, "precision": precision, "batch": 64, "mode": "train"},
        hardware={"device_name": "Test CPU"}, throughput_sps=throughput, accuracy=0.9)
    r.energy_per_sample_j.total = 0.001
    r.series = {"steps": {"t_s": [0.0, 1.0], "throughput_sps": [1.0, 2.0]}}
    return r


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.sqlite")


def test_add_get_round_trip_and_wal(store):
    r = make_result("a", "2026-11-26T08:00:00+00:00")
    store.add(r)
    assert store.get("a") == r
    assert store.get("missing") is None
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_list_newest_first_with_filters_and_limit(store):
    store.add(make_result("old", "2026-11-25T08:00:00+00:00"))
    store.add(make_result("new", "2026-11-26T09:00:00+00:00", device="cuda:0", precision="bf16"))
    store.add(make_result("mid", "2026-11-26T08:00:00+00:00", network="mlp", status="oom", throughput=None))
    rows = store.list()
    assert [r.run_id for r in rows] == ["new", "mid", "old"]
    row = rows[0]
    assert (row.network, row.device, row.device_name, row.precision, row.batch, row.mode, row.status) == \
        ("lenet", "cuda:0", "Test CPU", "bf16", 64, "train", "ok")
    assert row.throughput_sps == 1000.0 and row.energy_per_sample_j == 0.001 and row.accuracy == 0.9
    assert [r.run_id for r in store.list(network="lenet")] == ["new", "old"]
    assert [r.run_id for r in store.list(device="cuda:0")] == ["new"]
    assert [r.run_id for r in store.list(precision="fp32", status="oom")] == ["mid"]
    assert [r.run_id for r in store.list(limit=2)] == ["new", "mid"]
    assert [r.run_id for r in store.last(2)] == ["new", "mid"]
    assert len(store) == 3


def test_add_replaces_by_run_id_and_delete(store):
    store.add(make_result("a", "2026-11-26T08:00:00+00:00", status="cancelled"))
    store.add(make_result("a", "2026-11-26T08:00:00+00:00", status="ok"))
    assert len(store) == 1 and store.get("a").status == "ok"
    store.add(make_result("b", "2026-11-26T08:01:00+00:00"))
    assert store.delete(["a", "nope"]) == 1
    assert store.delete([]) == 0
    assert [r.run_id for r in store.list()] == ["b"]


def test_import_json_made_elsewhere(store, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(make_result("gpu-run", "2026-11-26T08:00:00+00:00").model_dump_json())
    assert [r.run_id for r in store.import_json(path)] == ["gpu-run"]
    assert store.get("gpu-run") is not None


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (json.dumps({"run_id": "x"}), "not a run result"),
    (json.dumps({"version": 7, "run_id": "x"}), "newer than this app reads"),
])
def test_import_json_bad_files_name_the_file(store, tmp_path, content, words):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BadResultFile, match=words) as info:
        store.import_json(path)
    assert str(path) in str(info.value)


def test_not_a_database_and_newer_schema_are_refused(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BadStoreFile, match="junk.sqlite"):
        RunStore(junk)
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(BadStoreFile, match="newer"):
        RunStore(newer)
    with pytest.raises(BadStoreFile, match="folder"):
        RunStore(tmp_path)


def test_default_path_follows_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path / "data"))
    store = RunStore()
    assert store.path == tmp_path / "data" / "runs.sqlite" and store.path.exists()
