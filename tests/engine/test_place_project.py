"""Catalogue validation, the projection of a stored run, and `main.py project` (no torch, no runs)."""
from __future__ import annotations

import json

import pytest

from engine.cli import main as cli_main
from engine.place import PLACES, Assumptions, BadCatalogue, cross_check, load_catalogue, project
from engine.place.catalogue import CATALOGUE_PATH, parse_catalogue
from engine.results.store import RunStore
from tests.engine.fake_runs import make_run


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(user_dir=None)


def _shipped() -> dict:
    return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


def test_shipped_catalogue_covers_every_place_and_every_number_has_a_known_source(catalogue):
    assert {t.place for t in catalogue.targets} == set(PLACES)
    for t in catalogue.resolved():
        for fact in t.facts():
            assert fact.source in catalogue.sources, t.id
    ids = {t.id for t in catalogue.targets}
    assert {"h200", "h100-sxm", "h100-pcie", "a100-40gb", "l40s", "l4", "t4", "b200", "rtx-4090", "rtx-3060",
            "rtx-4060-laptop", "raspberry-pi-5", "coral-edge-tpu", "hailo-8", "apple-m3-max"} <= ids


def test_an_entry_without_a_source_is_refused_naming_it():
    data = _shipped()
    data["targets"][0]["tdp_w"]["source"] = "nowhere"
    with pytest.raises(BadCatalogue, match="jetson-orin-nano.*'nowhere'"):
        parse_catalogue(data, "test.json")
    data = _shipped()
    del data["targets"][0]["tdp_w"]["source"]
    with pytest.raises(BadCatalogue, match="test.json: target 'jetson-orin-nano': tdp_w.source"):
        parse_catalogue(data, "test.json")


def test_a_sparse_figure_in_a_dense_field_is_refused():
    data = _shipped()
    h200 = next(t for t in data["targets"] if t["id"] == "h200")
    h200["peak_tflops"]["bf16"] = {"value": 1979, "source": "s21", "basis": "sparse"}
    with pytest.raises(BadCatalogue, match="h200.*2:4-sparse.*dense rate"):
        parse_catalogue(data, "test.json")


def test_a_price_without_a_date_is_refused():
    data = _shipped()
    cloud = next(t for t in data["targets"] if t["id"] == "aws-p5-h100")
    del cloud["cloud_usd_per_h"]["date"]
    with pytest.raises(BadCatalogue, match="aws-p5-h100.*cloud_usd_per_h.date"):
        parse_catalogue(data, "test.json")


def test_user_entries_extend_the_catalogue_and_a_bad_one_names_its_file(tmp_path):
    mine = {"sources": {"me": {"title": "my own measurement", "url": "file://lab-notes"}},
            "targets": [{"id": "my-box", "name": "My box", "place": "desktop", "kind": "cpu",
                         "match": ["EPYC 7B13"],
                         "peak_tflops": {"fp32": {"value": 0.2, "source": "me", "how": "measured"}},
                         "mem_bw_gbs": {"value": 20, "source": "me", "how": "measured"},
                         "tdp_w": {"value": 120, "source": "me"}}]}
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    cat = load_catalogue(user_dir=tmp_path)
    assert cat.target("my-box").peak_flops_per_s("fp32") == pytest.approx(2e11)
    assert cat.find_device("AMD EPYC 7B13").id == "my-box"
    mine["targets"][0]["place"] = "moon"
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    with pytest.raises(BadCatalogue, match="mine.json: target 'my-box': place"):
        load_catalogue(user_dir=tmp_path)


def test_projecting_onto_the_measured_device_gives_back_the_measurement(catalogue):
    run = make_run("r1", device="cuda", precision="bf16", batch=512, throughput_sps=80000.0)
    p = project(run, catalogue, target_ids=["h200"])
    assert p.source["calibrated"] and p.source["catalogue_id"] == "h200"
    row = p.targets[0]
    assert row.throughput_sps == pytest.approx(80000.0, rel=1e-4)
    assert row.method == "projected" and row.fits


def _resnet9_run(run_id: str, precision: str, throughput_sps: float):
    from engine.net import load_preset
    run = make_run(run_id, device="cuda", precision=precision, batch=512, throughput_sps=throughput_sps)
    run.network.spec = load_preset("resnet9").model_dump(mode="json", exclude_none=True)
    return run


def test_a_faster_card_projects_faster_and_a_target_that_cannot_run_says_why(catalogue):
    rows = {t.id: t for t in project(_resnet9_run("r1", "bf16", 80000.0), catalogue).targets}
    assert rows["b200"].throughput_sps > rows["h200"].throughput_sps > rows["rtx-3060"].throughput_sps
    assert rows["coral-edge-tpu"].throughput_sps is None and "int8 only" in rows["coral-edge-tpu"].reason
    assert rows["t4"].throughput_sps is None and "cannot run bf16" in rows["t4"].reason
    assert rows["aws-p5-h100"].usd_per_million_samples == pytest.approx(
        12.29 / 3600 / rows["aws-p5-h100"].throughput_sps * 1e6)


def test_a_host_bound_run_is_fitted_as_such_and_a_faster_card_does_not_help(catalogue):
    run = make_run("r1", device="cuda", precision="bf16", batch=512, throughput_sps=80000.0)  # lenet: tiny work
    p = project(run, catalogue, target_ids=["h200", "b200"])
    assert p.source["note"].startswith("host-bound")
    rows = {t.id: t for t in p.targets}
    assert rows["b200"].throughput_sps == pytest.approx(rows["h200"].throughput_sps)
    assert rows["b200"].bound == "launch"


def test_a_network_that_does_not_fit_says_so_with_the_largest_batch(catalogue):
    run = make_run("r1", device="cuda", precision="fp32", batch=256, throughput_sps=50000.0)
    row = project(run, catalogue, Assumptions(batch=10_000_000), ["jetson-orin-nano"]).targets[0]
    assert row.fits is False and row.throughput_sps is None
    assert "does not fit" in row.reason and row.max_batch and f"largest batch that fits: {row.max_batch}" in row.reason


def test_an_uncalibrated_cpu_source_says_so(catalogue):
    run = make_run("c1", device="cpu", precision="fp32", batch=64, throughput_sps=2000.0)
    p = project(run, catalogue, target_ids=["raspberry-pi-5", "h200"])
    assert not p.source["calibrated"] and "not in the catalogue" in p.source["note"]
    assert all("assumed" in " ".join(t.notes) for t in p.targets)


def test_cross_check_reports_the_error_against_a_measured_run(catalogue):
    fp32, bf16 = _resnet9_run("g1", "fp32", 16538.0), _resnet9_run("g2", "bf16", 84474.0)
    check = cross_check(fp32, bf16, catalogue)
    assert check["target"] == "h200" and check["measured_sps"] == 84474.0
    assert check["error"] == pytest.approx(check["projected_sps"] / 84474.0 - 1)
    assert abs(check["error"]) < 0.25  # measured on an H200 (bench/RESULTS.md, "Place")


def test_cli_project_prints_every_place_and_writes_the_contract(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(make_run("cpu-lenet", device="cpu", precision="fp32", batch=64, throughput_sps=3000.0))
    out_json = tmp_path / "p.json"
    assert cli_main(["project", "cpu-lenet", "--db", str(db), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "PROJECTED" in text and "quantum" in text
    data = json.loads(out_json.read_text())
    assert data["run_id"] == "cpu-lenet" and "assumptions" in data
    keys = {"name", "place", "throughput_sps", "step_time_s", "power_w", "energy_per_sample_j",
            "usd_per_million_samples", "gco2_per_million_samples", "fits", "reason"}
    assert all(keys <= set(t) for t in data["targets"])
    with_figures = [t for t in data["targets"] if t["throughput_sps"]]
    assert {t["place"] for t in with_figures} == set(PLACES)
    assert all(t["energy_per_sample_j"] and t["gco2_per_million_samples"] for t in with_figures)
    assert any(t["usd_per_million_samples"] for t in with_figures if t["place"] == "cloud")
    assert all(t["reason"] for t in data["targets"] if not t["throughput_sps"])


@pytest.mark.parametrize("argv, message", [
    (["project", "nope"], "not in the run history"),
    (["project", "cpu-lenet", "--targets", "h999"], "no target 'h999'"),
    (["project", "cpu-lenet", "--places", "moon"], "'moon' is not one of"),
    (["project", "cpu-lenet", "--region", "atlantis"], "known regions are"),
    (["project", "cpu-lenet", "--usd-per-kwh", "-1"], "--usd-per-kwh"),
    (["project"], "name the run to project"),
])
def test_cli_project_bad_input_exits_2_naming_the_problem(tmp_path, capsys, argv, message):
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(make_run("cpu-lenet", device="cpu", batch=64, throughput_sps=3000.0))
    assert cli_main([*argv, "--db", str(db)]) == 2
    assert message in capsys.readouterr().err


def test_reports_carry_a_place_section(tmp_path):
    from engine.results.report import make_report
    run = _resnet9_run("g1", "bf16", 84474.0)
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    make_report([run], html=html, json=js)
    place = json.loads(js.read_text())["place"]
    assert "measured on NVIDIA H200" in place["source_note"]
    assert {row["place"] for row in place["rows"]} == set(PLACES)
    assert any("int8 only" in why for _, why in place["cannot_run"])
    text = html.read_text()
    assert "Place (projected, not measured)" in text and "quantum computers" in text

def test_cpu_targets_take_their_tdp_from_the_table_cpu_energy_estimates_use(catalogue):
    from hw.cpu_power import lookup_tdp
    for t in catalogue.resolved():
        if t.kind == "cpu" and lookup_tdp(t.name):
            assert t.tdp_w.value == lookup_tdp(t.name)[1] and t.tdp_w.source == "cpu-tdp-table"
    assert catalogue.target("raspberry-pi-5").tdp_w.source == "s12"  # not in the table: its own cited figure
