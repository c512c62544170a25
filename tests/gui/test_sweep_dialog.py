"""The sweep dialog: grid from the form, plan, the command it runs, live progress, cancel, hand-over."""
from __future__ import annotations

import json
import textwrap

import pytest

import gui.sweep_dialog as sd

ROOT = sd.MAIN_PY.parent

FAKE_SWEEP = textwrap.dedent(f"""
    import json, signal, sys, time
    sys.path.insert(0, {str(ROOT)!r})
    from engine.sweep.grid import Grid, SweepState
    args = sys.argv[1:]
    out = args[args.index("--out") + 1]
    state = SweepState.new(Grid(network="lenet", devices=["cpu"], precisions=["fp32"], batches=[32, 256]))
    slow = "--steps" in args
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    def emit(**kw):
        print(json.dumps({{"total": 2, "done": 0, "eta_s": 3.0, **kw}}), flush=True)
    emit(event="planned")
    for i, e in enumerate(state.entries):
        emit(event="run_started", index=i, label=e.label)
        t0 = time.time()
        while slow and not stop and time.time() - t0 < 20:
            time.sleep(0.05)
        if stop:
            state.save(__import__("pathlib").Path(out))
            emit(event="cancelled", done=i)
            sys.exit(3)
        e.status, e.run_id = "ok", f"run{{i}}"
        emit(event="run_finished", index=i, label=e.label, status="ok", run_id=e.run_id, throughput_sps=1234.0,
             done=i + 1)
    state.save(__import__("pathlib").Path(out))
    emit(event="done", done=2, eta_s=0)
""")


@pytest.fixture
def dialog(qtbot, tmp_path, monkeypatch):
    script = tmp_path / "fake_main.py"
    script.write_text(FAKE_SWEEP)
    monkeypatch.setattr(sd, "MAIN_PY", script)
    d = sd.SweepDialog("lenet", db_path=str(tmp_path / "h.sqlite"), sweeps_dir=tmp_path / "sweeps")
    qtbot.addWidget(d)
    d.show()
    return d


def test_plan_shows_run_count_and_duration(dialog):
    assert "3 runs" in dialog.plan_label.text() and "roughly" in dialog.plan_label.text()
    dialog.form.checks["precision"][3].setChecked(True)  # bf16
    dialog.form.checks["mode"][1].setChecked(True)  # infer
    assert "12 runs" in dialog.plan_label.text()


@pytest.mark.parametrize("change, words", [
    (lambda d: d.form.lists["batch"].setText("32,abc"), "Batch size: 'abc' is not a whole number"),
    (lambda d: d.form.lists["batch"].setText("32,0"), "Batch size: must be >= 1"),
    (lambda d: d.form.lists["batch"].setText(""), "Batch size: choose at least one"),
    (lambda d: d.form.checks["precision"][0].setChecked(False), "Precision: choose at least one"),
    (lambda d: d.form.checks["device"][0].setChecked(False), "Device: choose at least one"),
])
def test_bad_grid_disables_start_and_says_why(dialog, change, words):
    change(dialog)
    assert words in dialog.plan_label.text()
    assert not dialog.start_button.isEnabled()


def test_command_carries_the_whole_grid(dialog, tmp_path):
    dialog.set_devices([("cpu", "CPU"), ("cuda:0", "GPU 0")])
    dialog.form.checks["device"][1].setChecked(True)
    dialog.form.checks["channels_last"][1].setChecked(True)
    dialog.form.checks["compile"][1].setChecked(True)
    dialog.form.checks["optimizer"][1].setChecked(True)
    dialog.form.length_unit.setCurrentText("steps")
    dialog.form.length_value.setValue(50)
    cmd = " ".join(dialog.command(tmp_path / "s"))
    for part in ("sweep lenet", "--devices cpu,cuda:0", "--precisions fp32", "--batches 32,256,1024",
                 "--channels-last-options off,on", "--compile-options off,default", "--optimizers sgd,adam",
                 "--steps 50",
                 "--cooldown 5", "--progress-jsonl", f"--db {tmp_path / 'h.sqlite'}"):
        assert part in cmd, part


def test_runs_the_sweep_with_live_progress_and_hands_over_the_runs(dialog, qtbot):
    dialog.form.lists["batch"].setText("32,256")
    with qtbot.waitSignal(dialog.sweep_finished, timeout=30000) as blocker:
        dialog.start()
    folder, run_ids = blocker.args
    assert run_ids == ["run0", "run1"]
    assert dialog.progress.value() == 2 and dialog.progress.maximum() == 2
    assert dialog.log.count() == 2 and "1,234 samples/s" in dialog.log.item(0).text()
    assert "Sweep done" in dialog.status.text()
    assert json.loads((dialog.folder / "sweep.json").read_text())["entries"][0]["run_id"] == "run0"


def test_cancel_stops_the_sweep(dialog, qtbot):
    dialog.form.length_unit.setCurrentText("steps")  # the fake sweep runs slowly with --steps
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.last_progress) and dialog.last_progress["event"] == "run_started",
                    timeout=20000)
    assert "Running 1 of 2" in dialog.status.text(), dialog.last_progress
    dialog.cancel()
    qtbot.waitUntil(lambda: bool(dialog.process is None), timeout=20000)
    assert "cancelled" in dialog.status.text()
    assert not dialog.cancel_button.isVisible()


def test_progress_lines_update_eta(dialog):
    dialog.handle_line(json.dumps({"event": "tick", "total": 6, "done": 2, "index": 2, "label": "cpu bf16 train b32",
                                   "eta_s": 75.0}))
    assert dialog.progress.value() == 2 and dialog.progress.maximum() == 6
    assert "Running 3 of 6: cpu bf16 train b32" in dialog.status.text() and "1 min 15 s" in dialog.status.text()
    dialog.handle_line("not json")  # ignored, no crash




def test_a_refused_sweep_shows_the_message(dialog, qtbot, tmp_path):
    (sd.MAIN_PY).write_text("import sys; sys.stderr.write('error: lenet9: no such preset or spec file\\n'); sys.exit(2)")
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.process is None), timeout=20000)
    assert "no such preset or spec file" in dialog.status.text()
    assert not dialog.cancel_button.isVisible()
    assert dialog.start_button.isVisible() and dialog.form_box.isEnabled()  # fix the grid, try again
