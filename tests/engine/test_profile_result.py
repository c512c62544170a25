"""The stored profile: its contract keys, validation, and its place in the run history (old files too)."""
from __future__ import annotations

import json
import sqlite3

import pytest

from engine.cli import main as cli_main
from engine.errors import BadResultFile, BadStoreFile
from engine.profile import (
    CONTRACT_KEYS,
    CONTRACT_LAYER_KEYS,
    CONTRACT_OTHER_KEYS,
    LayerProfile,
    Peaks,
    ProfileResult,
    read_profile_file,
    sum_line,
)
from engine.results.store import RunStore
from tests.engine.test_store import make_result

CONTRACT = {"layers", "other", "step_time_s", "unprofiled_step_time_s", "verdict"}
LAYER = {"id", "type", "forward_s", "backward_s", "time_s", "share", "flops", "bytes", "bound"}
OTHER = {"optimizer_s", "loss_s", "data_s", "idle_s"}


def make_profile(run_id: str = "a") -> ProfileResult:
    layers = [LayerProfile(id="conv1", type="Conv2d", forward_s=0.002, backward_s=0.004, time_s=0.006, share=0.6,
                           flops=10**9, bytes=10**6, bound="compute", achieved_flops_per_s=1.6e11,
                           achieved_bytes_per_s=1.6e8, intensity_flop_per_byte=1000.0),
              LayerProfile(id="relu1", type="ReLU", forward_s=0.001, backward_s=0.001, time_s=0.002, share=0.2,
                           flops=10**4, bytes=10**6, bound="memory")]
    return ProfileResult(run_id=run_id, net="lenet", device="cpu", device_name="Test CPU",
                         created_utc="2026-11-29T05:00:00+00:00", config={"device": "cpu", "batch": 16},
                         profiled_steps=5, layers=layers,
                         other={"optimizer_s": 0.001, "loss_s": 0.0005, "data_s": 0.0003, "idle_s": 0.0002},
                         step_time_s=0.01, unprofiled_step_time_s=0.008, profiler_overhead=1.25,
                         peaks=Peaks(precision="fp32", flops_per_s=1e11, bytes_per_s=1e10, launch_s=5e-6),
                         verdict="compute-bound", verdict_reason="conv1 takes 60 % of the step at 16 % of the roof")


def test_contract_has_exactly_the_keys():
    contract = make_profile().contract()
    assert set(contract) == CONTRACT == set(CONTRACT_KEYS)
    assert all(set(layer) == LAYER for layer in contract["layers"]) and LAYER == set(CONTRACT_LAYER_KEYS)
    assert set(contract["other"]) == OTHER == set(CONTRACT_OTHER_KEYS)
    assert contract["layers"][0]["id"] == "conv1" and contract["verdict"] == "compute-bound"
    json.dumps(contract)  # plain JSON


def test_sums_largest_and_ridge():
    p = make_profile()
    assert p.layer_time_s() == pytest.approx(0.008) and p.other_time_s() == pytest.approx(0.002)
    assert p.largest().id == "conv1"
    assert p.peaks.ridge_flop_per_byte == pytest.approx(10.0)
    assert Peaks(precision="fp32").ridge_flop_per_byte is None


def test_sum_line_states_the_measured_part_and_that_idle_is_the_remainder():
    p = make_profile()  # measured 9.8 ms (layers 8 + loss, optimizer, data 1.8) against an 8 ms unprofiled step
    line = sum_line(p)
    assert "measured 9.800 ms" in line and "unprofiled step 8.000 ms" in line
    assert "idle 0.200 ms is the rest of that step (host time between operators)" in line
    assert "exceeds the unprofiled step 1.22×" in line
    fits = p.model_copy(update={"unprofiled_step_time_s": 0.02})
    assert "49.0 % of the unprofiled step" in sum_line(fits) and "exceeds" not in sum_line(fits)


@pytest.mark.parametrize("change, words", [
    ({"verdict": "slow"}, "verdict"),
    ({"layers": [{"id": "x", "type": "ReLU", "forward_s": 0, "backward_s": 0, "time_s": 0, "share": 0,
                  "flops": 0, "bytes": 0, "bound": "cpu"}]}, "layers.0.bound"),
    ({"surprise": 1}, "surprise"),
    ({"version": 9}, "newer than this app reads"),
])
def test_a_bad_profile_file_names_the_problem(tmp_path, change, words):
    data = make_profile().model_dump(mode="json") | change
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadResultFile) as info:
        read_profile_file(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_profile_file_round_trip(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(make_profile().model_dump_json())
    assert read_profile_file(path) == make_profile()


def test_store_keeps_a_profile_with_its_run_and_history_shows_it(tmp_path, capsys):
    store = RunStore(tmp_path / "runs.sqlite")
    store.add(make_result("a", "2026-11-26T08:00:00+00:00"))
    store.add(make_result("b", "2026-11-26T09:00:00+00:00"))
    assert store.get_profile("a") is None
    store.add_profile(make_profile("a"))
    assert store.get_profile("a") == make_profile("a")
    assert {r.run_id: r.has_profile for r in store.list()} == {"a": True, "b": False}
    assert store.profiled(["a", "b", "c"]) == {"a"}
    assert cli_main(["history", "--db", str(store.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "profile" in lines[0]
    assert [line.split()[0] for line in lines if line.rstrip().endswith("yes")] == ["a"]
    assert cli_main(["history", "--db", str(store.path), "--json"]) == 0
    assert {r["run_id"]: r["has_profile"] for r in json.loads(capsys.readouterr().out)} == {"a": True, "b": False}
    assert store.delete(["a"]) == 1 and store.get_profile("a") is None


def test_an_old_history_without_the_profiles_table_still_works(tmp_path):
    path = tmp_path / "old.sqlite"
    store = RunStore(path)
    store.add(make_result("a", "2026-11-26T08:00:00+00:00"))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE profiles")  # as written before profiles existed
    old = RunStore.__new__(RunStore)  # opened read-only: no write recreates the table
    old.path, old.read_only = path, "read-only for the test"
    assert old.get_profile("a") is None and old.profiled(["a"]) == set()
    assert [(r.run_id, r.has_profile) for r in old.list()] == [("a", False)]
    assert old.delete(["nope"]) == 0
    reopened = RunStore(path)  # opened for writing: the table is added, the runs stay
    reopened.add_profile(make_profile("a"))
    assert reopened.get("a") is not None and reopened.get_profile("a").run_id == "a"


def test_a_damaged_stored_profile_is_named(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    store.add_profile(make_profile("a"))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE profiles SET profile_json = '{\"run_id\": 3}'")
    with pytest.raises(BadStoreFile) as info:
        store.get_profile("a")
    assert "profile of run a" in str(info.value)
