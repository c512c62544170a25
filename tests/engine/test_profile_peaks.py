"""Device peaks: measured once per device, driver, torch and threads, cached, shown by `hw --peaks`."""
from __future__ import annotations

import json

import pytest

import engine.profile.peaks_cache as cache
from engine.cli import main as cli_main
from engine.profile.peaks import measure_peaks


@pytest.fixture
def measured(monkeypatch, tmp_path):
    """Tiny real measurements, counted, cached in a temporary folder."""
    monkeypatch.setenv("TRADEOFF_LAB_CACHE", str(tmp_path / "cache"))
    calls: list[tuple[str, ...]] = []

    def tiny(device, precisions):
        calls.append(tuple(precisions))
        return measure_peaks(device, precisions, matmul_n=64, copy_bytes=1 << 20)
    monkeypatch.setattr(cache, "measure_peaks", tiny)
    return calls


def test_peaks_are_measured_once_then_read_from_the_cache(measured):
    first, key, fresh = cache.cached_peaks("cpu", threads=1)
    assert fresh and measured == [cache.CPU_PRECISIONS] and "threads 1" in key
    assert first.matmul_flops_per_s["fp32"] > 0 and first.copy_bytes_per_s > 0 and first.launch_s > 0
    again, _, fresh = cache.cached_peaks("cpu", threads=1)
    assert not fresh and again == first and len(measured) == 1
    _, _, fresh = cache.cached_peaks("cpu", threads=1, refresh=True)
    assert fresh and len(measured) == 2
    _, other_key, fresh = cache.cached_peaks("cpu", threads=2)  # other threads: its own entry
    assert fresh and other_key != key and len(measured) == 3
    assert set(json.loads(cache.cache_path().read_text())) == {key, other_key}


def test_a_profile_asks_only_for_its_precision_and_a_damaged_cache_is_measured_over(measured):
    cache.cache_path().write_text("{not json")
    peaks = cache.peaks_for("cpu", "fp32", threads=1)
    assert measured == [("fp32",)] and peaks.precision == "fp32" and peaks.flops_per_s > 0
    assert peaks.ridge_flop_per_byte == pytest.approx(peaks.flops_per_s / peaks.bytes_per_s)
    cache.peaks_for("cpu", "bf16", threads=1)  # adds bf16 to the entry, keeps fp32
    entry = next(iter(json.loads(cache.cache_path().read_text()).values()))
    assert set(entry["matmul_flops_per_s"]) == {"fp32", "bf16"} and measured[-1] == ("bf16",)


def test_hw_peaks_shows_a_table_and_json(measured, capsys):
    assert cli_main(["hw", "--peaks", "--device", "cpu", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "fp32" in out and "FLOP/s" in out and "memory bandwidth" in out and "kernel launch" in out
    assert "measured now" in out
    assert cli_main(["hw", "--peaks", "--device", "cpu", "--threads", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["measured_now"] is False and data["matmul_flops_per_s"]["fp32"] > 0 and len(measured) == 1


@pytest.mark.parametrize("argv, words", [
    (["hw", "--refresh"], "--refresh goes with --peaks"),
    (["hw", "--peaks", "--watch"], "give one of them"),
    (["hw", "--peaks", "--threads", "0"], "--threads"),
    (["hw", "--peaks", "--device", "tpu"], "--device 'tpu'"),
])
def test_hw_peaks_bad_flags_exit_2(argv, words, capsys):
    assert cli_main(argv) == 2
    assert words in capsys.readouterr().err
