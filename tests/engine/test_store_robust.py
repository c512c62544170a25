"""The run history under damage: a read-only folder or full disk still lists, a deleted database is
recreated when a run is stored, a damaged row is named and skipped, imports never silently replace a
stored run, and text UTF-8 cannot encode is stored escaped instead of losing the run."""
from __future__ import annotations

import json
import os
import sqlite3

import pytest

from engine.cli import main as cli_main
from engine.errors import BadResultFile, BadStoreFile
from engine.results import store as store_module
from engine.results.store import RunStore
from tests.engine.test_store import make_result

WHEN = "2026-11-26T08:00:00+00:00"


def make_disk_read_only(monkeypatch) -> None:
    """Every read-write open of a database fails as on a read-only mount (chmod does not stop root)."""
    real = sqlite3.connect

    def connect(target, *args, **kwargs):
        if kwargs.get("uri"):
            return real(target, *args, **kwargs)
        return real(f"file:{os.path.abspath(target)}?mode=ro", *args, uri=True, **kwargs)
    monkeypatch.setattr(store_module.sqlite3, "connect", connect)


def test_read_only_history_can_still_be_listed(tmp_path, capsys, monkeypatch):
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(make_result("a", WHEN))
    with sqlite3.connect(db) as conn:  # no WAL left behind, as after a clean exit
        conn.execute("PRAGMA journal_mode=DELETE")
    make_disk_read_only(monkeypatch)
    store = RunStore(db)
    assert store.read_only and [r.run_id for r in store.list()] == ["a"] and store.get("a").run_id == "a"
    with pytest.raises(BadStoreFile):
        store.add(make_result("b", WHEN))
    assert cli_main(["history", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "a" in captured.out and "can only be read" in captured.err and "Traceback" not in captured.err


def test_a_history_that_cannot_be_created_is_still_refused(tmp_path, monkeypatch):
    make_disk_read_only(monkeypatch)
    with pytest.raises(BadStoreFile):
        RunStore(tmp_path / "new.sqlite")


def test_database_deleted_during_a_run_is_recreated_on_store(tmp_path):
    db = tmp_path / "data" / "runs.sqlite"
    store = RunStore(db)
    for leftover in db.parent.iterdir():
        leftover.unlink()
    db.parent.rmdir()
    store.add(make_result("a", WHEN))
    assert [r.run_id for r in RunStore(db).list()] == ["a"]


def _corrupt(db, run_id: str, text: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET result_json = ? WHERE run_id = ?", (text, run_id))


@pytest.mark.parametrize("text", ["{not json", json.dumps({"run_id": "b"}), "[]", ""])
def test_a_damaged_row_is_named_and_skipped(tmp_path, text):
    store = RunStore(tmp_path / "runs.sqlite")
    store.add(make_result("a", WHEN))
    store.add(make_result("b", "2026-11-26T09:00:00+00:00"))
    _corrupt(store.path, "b", text)
    skipped: list[str] = []
    assert [r.run_id for r in store.last(5, skipped)] == ["a"]
    assert len(skipped) == 1 and "run b" in skipped[0] and "damaged" in skipped[0]
    with pytest.raises(BadStoreFile, match="run b: its stored result is damaged"):
        store.get("b")


def test_history_lists_rows_with_odd_column_types(tmp_path, capsys):
    store = RunStore(tmp_path / "runs.sqlite")
    store.add(make_result("a", WHEN))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET throughput_sps = 'fast', created_at = 5 WHERE run_id = 'a'")
    assert cli_main(["history", "--db", str(store.path)]) == 0
    assert "damaged row" in capsys.readouterr().out


def test_lone_surrogates_in_a_result_are_stored_escaped_not_lost(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    r = make_result("a", WHEN, network="net\udc80")
    r.error = "file \ud800 missing"
    store.add(r)
    back = store.get("a")
    assert back.network.name == "net\\udc80" and back.error == "file \\ud800 missing"
    assert any("lone surrogate" in q for q in back.quality)


@pytest.mark.parametrize("change, words", [
    (lambda d: d["config"].update(batch=[1, 2]), "config.batch: Input should be a valid integer"),
    (lambda d: d["config"].update(batch=10**25), "config.batch: Input should be less than or equal to"),
    (lambda d: d["config"].update(batch=10**30 * 10), "config.batch: the integer"),  # 32 digits: the reader
    (lambda d: d.update(version="1"), "result version '1' is not a whole number"),
    (lambda d: d.update(version=True), "result version True is not a whole number"),
    (lambda d: d["config"].update(device=["cuda"]), "config.device: Input should be a valid string"),
])
def test_import_refuses_odd_fields_naming_the_result_file(tmp_path, change, words):
    data = make_result("a", WHEN).model_dump(mode="json")
    change(data)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(BadResultFile) as info:
        store.import_json(path)
    assert str(info.value).startswith(str(path)) and words in str(info.value)
    assert "history" not in str(info.value) and len(store) == 0


def test_import_never_silently_replaces_a_stored_run(tmp_path, capsys):
    db = tmp_path / "runs.sqlite"
    store = RunStore(db)
    store.add(make_result("a", WHEN, throughput=100.0))
    same, other = tmp_path / "same.json", tmp_path / "other.json"
    same.write_text(make_result("a", WHEN, throughput=100.0).model_dump_json())
    other.write_text(make_result("a", WHEN, throughput=999.0).model_dump_json())
    assert cli_main(["history", "--db", str(db), "--import", str(same)]) == 0
    assert "already in the history (unchanged)" in capsys.readouterr().err
    assert cli_main(["history", "--db", str(db), "--import", str(other)]) == 2
    err = capsys.readouterr().err
    assert str(other) in err and "already in the run history" in err and "not replaced" in err
    assert store.get("a").throughput_sps == 100.0


@pytest.mark.parametrize("argv, words", [
    (["history", "--limit", str(2**63)], "--limit"),
    (["history", "--limit", "-1"], "--limit"),
])
def test_history_numbers_out_of_range_exit_2(tmp_path, capsys, argv, words):
    assert cli_main([*argv, "--db", str(tmp_path / "h.sqlite")]) == 2
    assert words in capsys.readouterr().err
