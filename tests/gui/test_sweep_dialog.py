"""The sweep dialog: grid from the form, plan, the sweep run as a job (stand-in run workers: no
torch), live typed progress, cancel, refusal, hand-over of the runs."""
from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QTextDocumentFragment

import gui.sweep_dialog as sd
from engine.sweep import SweepProgress
from tests.engine.test_sweep_runner import finishing_worker, stoppable_worker


def _dialog(qtbot, tmp_path, network="lenet", run_target=finishing_worker):
    d = sd.SweepDialog(network, db_path=str(tmp_path / "h.sqlite"), sweeps_dir=tmp_path / "sweeps",
                       run_target=run_target)
    qtbot.addWidget(d)
    d.show()
    return d


@pytest.fixture
def dialog(qtbot, tmp_path):
    return _dialog(qtbot, tmp_path)


def test_plan_shows_run_count_and_duration(dialog):
    assert "3 runs" in dialog.plan_label.text() and "roughly" in dialog.plan_label.text()
    dialog.form.checks["precision"][3].setChecked(True)  # bf16
    dialog.form.checks["mode"][1].setChecked(True)  # infer
    assert "12 runs" in dialog.plan_label.text()


def test_pruning_is_a_typed_axis_of_several_values(dialog):
    # It offered one check box, "off": no pruning could be swept from the app.
    prune = dialog.form.lists["prune"]
    assert prune.text() == "off" and "prune" not in dialog.form.checks
    prune.setText("off,unstructured:0.5,structured:0.5")
    assert dialog.form.axis_values("prune") == [None, "unstructured:0.5", "structured:0.5"]
    assert "9 runs" in dialog.plan_label.text()


@pytest.mark.parametrize("change, words", [
    (lambda d: d.form.lists["prune"].setText("off,foo"), "prune 'foo': unknown kind 'foo'"),
    (lambda d: d.form.lists["batch"].setText("32,abc"), "Batch size: 'abc' is not a whole number"),
    (lambda d: d.form.lists["batch"].setText("32,0"), "Batch size: must be >= 1"),
    (lambda d: d.form.lists["batch"].setText(""), "Batch size: choose at least one"),
    (lambda d: d.form.checks["precision"][0].setChecked(False), "Precision: choose at least one"),
    (lambda d: d.form.checks["device"][0].setChecked(False), "Device: choose at least one"),
])
def test_bad_grid_disables_start_and_says_why(dialog, change, words):
    change(dialog)
    shown = QTextDocumentFragment.fromHtml(dialog.plan_label.text()).toPlainText()  # the label is escaped HTML
    assert words in shown
    assert not dialog.start_button.isEnabled()


def test_runs_the_sweep_as_a_job_with_live_progress_and_hands_over_the_runs(dialog, qtbot):
    dialog.form.lists["batch"].setText("32,256")
    with qtbot.waitSignal(dialog.sweep_finished, timeout=90_000) as blocker:
        dialog.start()
    folder, run_ids = blocker.args
    assert folder == str(dialog.folder) and len(run_ids) == 2
    assert dialog.progress.value() == 2 and dialog.progress.maximum() == 2
    assert dialog.log.count() == 2 and "123 samples/s" in dialog.log.item(0).text()
    assert "Sweep done" in dialog.status.text()
    state = json.loads((dialog.folder / "sweep.json").read_text())
    assert [e["run_id"] for e in state["entries"]] == run_ids
    assert [e["config"]["batch"] for e in state["entries"]] == [32, 256]  # the grid went in typed
    assert not dialog.running and dialog.start_button.isVisible()


def test_cancel_stops_the_sweep_and_its_current_run(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, run_target=stoppable_worker)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_progress is not None and dialog.last_progress.event == "run_started",
                    timeout=60_000)
    assert "Running 1 of 3" in dialog.status.text()
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert "cancelled" in dialog.status.text()
    assert not dialog.cancel_button.isVisible()
    entry = json.loads((dialog.folder / "sweep.json").read_text())["entries"][0]
    assert entry["status"] == "cancelled" and entry["run_id"]  # the run stopped and was kept as cancelled


def test_progress_events_update_eta(dialog):
    dialog.handle_progress(SweepProgress(event="tick", total=6, done=2, index=2, label="cpu bf16 train b32",
                                         eta_s=75.0))
    assert dialog.progress.value() == 2 and dialog.progress.maximum() == 6
    assert "Running 3 of 6: cpu bf16 train b32" in dialog.status.text() and "1 min 15 s" in dialog.status.text()


def test_a_refused_sweep_shows_the_message(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, network="lenet9")
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert "lenet9" in dialog.status.text() and "no preset or spec file" in dialog.status.text()
    assert not dialog.cancel_button.isVisible()
    assert dialog.start_button.isVisible() and dialog.form_box.isEnabled()  # fix the grid, try again


def test_a_second_sweep_on_a_busy_folder_is_refused_with_the_reason(qtbot, tmp_path, monkeypatch):
    from engine.sweep import sweep_lock
    dialog = _dialog(qtbot, tmp_path)
    busy = tmp_path / "sweeps" / "busy"
    monkeypatch.setattr(dialog, "_new_folder", lambda: busy)
    with sweep_lock(busy):
        dialog.start()
        qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert "another sweep is running in this folder" in dialog.status.text()


# A 1280x720 screen (and 1920x1080 at 150 %) less a title bar: the dialog was 799 px tall.
SCREEN_HEIGHT_PX = 680


def test_fits_a_720_pixel_screen_idle_and_running(dialog):
    assert dialog.sizeHint().height() <= SCREEN_HEIGHT_PX and dialog.height() <= SCREEN_HEIGHT_PX
    assert dialog.sizeHint().width() <= 1280
    dialog.progress.show()  # what a running sweep adds below the form
    dialog.log.show()
    dialog.status.setText("Running 1 of 3: cpu fp32 train b32")
    assert dialog.sizeHint().height() <= SCREEN_HEIGHT_PX and dialog.minimumSizeHint().height() <= SCREEN_HEIGHT_PX


def test_every_axis_stays_reachable_in_the_scroll_area(dialog):
    viewport = dialog.form_box.viewport()
    dialog.form_box.ensureWidgetVisible(dialog.form.cooldown)  # the last row, below the fold
    top = dialog.form.cooldown.mapTo(viewport, dialog.form.cooldown.rect().topLeft()).y()
    assert dialog.form_box.verticalScrollBar().value() > 0 and 0 <= top < viewport.height()


@pytest.mark.parametrize("devices", [None, [("cpu", "CPU"), ("cuda:0", "GPU 0: NVIDIA H200"),
                                             ("cuda:1", "GPU 1: NVIDIA H200")]])
def test_check_box_labels_show_in_full(dialog, qtbot, devices):
    # "library (cuDNN / oneDNN)" and "direct loop (slow, for teaching)" were cut to "library (cu", "direct loop".
    if devices:
        dialog.set_devices(devices)
        qtbot.wait(10)
    viewport_px = dialog.form_box.viewport().width()
    algos = dialog.form.checks["conv_algo"]
    assert [cb.text() for cb in algos][:2] == ["library (cuDNN / oneDNN)", "direct loop (slow, for teaching)"]
    for name, boxes in dialog.form.checks.items():
        for cb in boxes:
            assert cb.sizeHint().width() <= cb.width(), (name, cb.text())
            assert cb.mapTo(dialog.form_box.viewport(), cb.rect().topRight()).x() <= viewport_px, (name, cb.text())
