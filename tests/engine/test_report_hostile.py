"""Reports from hostile stored data: names that are mathtext, formulas, HTML, escape codes or 1 MB
long, numbers no float can hold, damaged rows and pages. Every format is written (or the run is named
and skipped), quickly, with nothing active in it and no traceback."""
from __future__ import annotations

import csv
import json
import sqlite3
import time

import pytest

from engine.cli import main as cli_main
from engine.results.report import make_report
from engine.results.report.safe import chart_text, csv_cell
from engine.results.store import RunStore
from tests.engine.fake_runs import make_run
from tests.hostile_strings import HOSTILE, MEGABYTE

WHEN = "2026-11-26T08:0{}:00+00:00"


def hostile_runs():
    """Each run carries several hostile strings at once, so a few runs cover the corpus."""
    names = list(HOSTILE.values())
    runs = []
    for i in range(0, len(names), 8):
        chunk = names[i:i + 8]
        r = make_run(f"r{i}", device="cpu", network=chunk[0], batch=32 + i, created_at=WHEN.format(i % 10),
                     error=chunk[1 % len(chunk)], status="failed" if i % 16 else "ok",
                     quality=chunk[2:4])
        r.config.dataset = chunk[-1]
        r.hardware.device_name = chunk[len(chunk) // 2]
        runs.append(r)
    runs.append(make_run("x" * MEGABYTE, device="cpu", network="$\\foo$ net", created_at=WHEN.format(9)))
    runs.append(make_run("formula", device="cpu", network=HOSTILE["formula_hyperlink"], created_at=WHEN.format(9),
                         error=HOSTILE["formula_minus"], status="failed"))
    return runs


def test_every_format_from_hostile_runs(tmp_path):
    runs = hostile_runs()
    start = time.monotonic()
    paths = make_report(runs, html=tmp_path / "r.html", pdf=tmp_path / "r.pdf", csv=tmp_path / "r.csv",
                        json=tmp_path / "r.json", title="=HYPERLINK(\"x\") $\\foo$ " + "t" * MEGABYTE)
    assert time.monotonic() - start < 120 and len(paths) == 4
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<img src=" not in html and "<script>" not in html and "\x1b" not in html
    assert len(html) < 5 * MEGABYTE  # names are cut for display, not copied whole
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value[:40]
    formula = next(row for row in rows if row["run_id"] == "formula")
    assert formula["network"].startswith("'=HYPERLINK") and formula["error"].startswith("'-2+3")
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {r["run_id"] for r in doc["runs"]} >= {"r0", "x" * MEGABYTE}  # the JSON keeps full text


def test_numbers_no_float_can_hold_are_not_available(tmp_path):
    r = make_run("big", device="cpu", created_at=WHEN.format(0))
    r.memory_bytes.host_peak_rss = 10**400
    r.hardware.host_mem_bytes = 10**400
    r.throughput_sps = float("inf")
    ok = make_run("ok", device="cpu", created_at=WHEN.format(1))
    make_report([r, ok], html=tmp_path / "r.html", pdf=tmp_path / "r.pdf", csv=tmp_path / "r.csv",
                json=tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    big = next(x for x in doc["runs"] if x["run_id"] == "big")
    assert big["memory_bytes"]["host_peak_rss"] is None and big["throughput_sps"] is None
    assert any("out of any sensible range" in q for q in big["quality"])


def test_chart_text_and_csv_cells():
    assert chart_text("$\\foo$ net") == "\\$\\foo\\$ net"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-x") == "'-x" and csv_cell("\t=1") == "'\t=1"
    assert csv_cell(-3) == -3 and csv_cell("lenet") == "lenet"


@pytest.fixture
def db(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    for i in range(4):
        store.add(make_run(f"run{i}", device="cpu", created_at=WHEN.format(i)))
    return store


def test_report_skips_a_damaged_row_naming_it(db, tmp_path, capsys):
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE runs SET result_json = '{broken' WHERE run_id = 'run1'")
    assert cli_main(["report", "--last", "4", "--csv", str(tmp_path / "r.csv"), "--db", str(db.path)]) == 0
    err = capsys.readouterr().err
    assert "skipped run run1" in err and "damaged" in err and "Traceback" not in err
    assert cli_main(["report", "run1", "--csv", str(tmp_path / "r.csv"), "--db", str(db.path)]) == 2
    assert "run run1: its stored result is damaged" in capsys.readouterr().err


def test_report_on_a_damaged_database_page_exits_2(db, tmp_path, capsys):
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    raw = bytearray(db.path.read_bytes())
    raw[4096:8192] = b"\xde\xad" * 2048  # the second page: the runs table
    db.path.write_bytes(bytes(raw))
    code = cli_main(["report", "--last", "3", "--csv", str(tmp_path / "r.csv"), "--db", str(db.path)])
    err = capsys.readouterr().err
    assert code == 2 and str(db.path) in err and "Traceback" not in err


@pytest.mark.parametrize("argv, words", [
    (["--last", "0"], "--last: give a number of runs from 1"),
    (["--last", str(2**63)], "--last: give a number of runs from 1"),
    (["--last", "-5"], "--last"),
])
def test_report_last_out_of_range(db, tmp_path, capsys, argv, words):
    assert cli_main(["report", *argv, "--csv", str(tmp_path / "r.csv"), "--db", str(db.path)]) == 2
    assert words in capsys.readouterr().err
