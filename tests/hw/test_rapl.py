"""RAPL against a fake powercap tree in tmp_path: discovery, wrap-around, unreadable files."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import hw.rapl as rapl
from hw.rapl import RaplReader, discover
from hw.sampler import Sampler


def _zone(folder: Path, name: str, energy_uj: int, max_uj: int = 1_000_000_000) -> Path:
    folder.mkdir(parents=True)
    (folder / "name").write_text(name + "\n")
    (folder / "energy_uj").write_text(f"{energy_uj}\n")
    (folder / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return folder


def _tree(root: Path, max_uj: int = 1_000_000_000) -> dict[str, Path]:
    pkg0 = _zone(root / "intel-rapl:0", "package-0", 5_000_000, max_uj)
    dram0 = _zone(pkg0 / "intel-rapl:0:0", "dram", 1_000_000, max_uj)
    _zone(pkg0 / "intel-rapl:0:1", "core", 3_000_000, max_uj)
    pkg1 = _zone(root / "intel-rapl:1", "package-1", 7_000_000, max_uj)
    (root / "intel-rapl:0:0").symlink_to(dram0)  # sysfs lists nested zones flat too
    (root / "intel-rapl").mkdir()  # the control type folder: no energy
    return {"pkg0": pkg0, "dram0": dram0, "pkg1": pkg1}


def _set(zone: Path, energy_uj: int) -> None:
    tmp = zone / "energy_uj.tmp"  # replaced whole, as the sampler thread may be reading it
    tmp.write_text(f"{energy_uj}\n")
    os.replace(tmp, zone / "energy_uj")


def test_discovers_packages_and_dram_once(tmp_path):
    _tree(tmp_path)
    domains, reason = discover(tmp_path)
    assert reason is None
    assert sorted(d.name for d in domains) == ["core", "dram", "package-0", "package-1"]
    assert {d.kind for d in domains} == {"package", "dram", "other"}
    assert all(d.readable for d in domains)


def test_energy_sums_sockets_and_survives_wraparound(tmp_path):
    z = _tree(tmp_path, max_uj=10_000_000)
    reader = RaplReader(tmp_path)
    assert all(a.available for a in reader.availability())
    _set(z["pkg0"], 6_000_000)  # +1 J
    _set(z["pkg1"], 7_500_000)  # +0.5 J
    _set(z["dram0"], 1_200_000)  # +0.2 J
    assert reader.read() == pytest.approx((1.5, 0.2))
    _set(z["pkg0"], 500_000)  # wrapped: 6 J -> 10 J (max) -> 0.5 J = +4.5 J
    package_j, dram_j = reader.read()
    assert package_j == pytest.approx(6.0) and dram_j == pytest.approx(0.2)


def test_no_powercap_folder_says_so(tmp_path):
    reader = RaplReader(tmp_path / "absent")
    assert reader.read() == (None, None)
    reasons = {a.source: a.reason for a in reader.availability()}
    assert "no RAPL on this machine" in reasons["rapl.package"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no RAPL zones" in discover(empty)[1]


def test_unreadable_energy_needs_root(tmp_path, monkeypatch):
    z = _tree(tmp_path)
    real = rapl._read_int
    denied = str(z["pkg1"] / "energy_uj")

    def read_int(path):
        if str(path) == denied:  # as Linux >= 5.10 does for non-root users
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(rapl, "_read_int", read_int)
    reader = RaplReader(tmp_path)
    avail = {a.source: a for a in reader.availability()}
    assert not avail["rapl.package"].available  # one socket unreadable: no partial package sum
    assert avail["rapl.package"].reason.startswith("needs root")
    assert avail["rapl.dram"].available
    package_j, dram_j = reader.read()
    assert package_j is None and dram_j == 0.0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_for_real(tmp_path):
    z = _tree(tmp_path)
    (z["pkg0"] / "energy_uj").chmod(0)
    assert RaplReader(tmp_path).availability()[0].reason.startswith("needs root")


def test_sampler_reports_cpu_energy_of_the_window(tmp_path):
    z = _tree(tmp_path)
    s = Sampler(gpu_indices=(), hz=50.0, rapl_root=str(tmp_path))
    s.start()
    time.sleep(0.05)
    s.mark_window_start()
    time.sleep(0.05)
    _set(z["pkg0"], 9_000_000)  # +4 J during the window
    _set(z["dram0"], 2_000_000)  # +1 J
    time.sleep(0.1)
    s.mark_window_end()
    _, host = s.drain()
    summary = s.stop()
    assert summary.cpu_energy_j == pytest.approx(4.0)
    assert summary.cpu_dram_energy_j == pytest.approx(1.0)
    assert host[-1].rapl_package_energy_j == pytest.approx(4.0)
    assert "cpu_energy" not in summary.unavailable


def test_a_garbled_read_is_skipped_not_fatal(tmp_path):
    z = _tree(tmp_path)
    reader = RaplReader(tmp_path)
    (z["pkg0"] / "energy_uj").write_text("")  # caught half-written
    assert reader.read()[0] == pytest.approx(0.0)
    _set(z["pkg0"], 6_000_000)
    assert reader.read()[0] == pytest.approx(1.0)
