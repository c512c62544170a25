"""Run settings are remembered between launches; a damaged settings file falls back to defaults."""
from __future__ import annotations

from gui.editor.settings import settings
from gui.run.options import RunOptions
from gui.run.remembered import restore_run_options, save_run_options


def test_the_settings_of_the_last_run_come_back_in_a_new_panel(qtbot):
    first = RunOptions()
    qtbot.addWidget(first)
    first.precision.setCurrentText("bf16")
    first.batch.setValue(512)
    first.mode.setCurrentIndex(first.mode.findData("infer"))
    first.length_kind.setCurrentIndex(1)
    first.seconds.setValue(12.5)
    first.dataset.setCurrentIndex(first.dataset.findData("synthetic"))
    first.channels_last.setChecked(True)
    first.cudnn.setChecked(False)
    save_run_options(first)

    again = RunOptions()
    qtbot.addWidget(again)
    assert again.batch.value() == 64  # a new panel starts from the defaults...
    restore_run_options(again)  # ...and the app restores what was used last
    assert again.precision.currentText() == "bf16"
    assert again.batch.value() == 512
    assert again.mode.currentData() == "infer"
    assert again.length_kind.currentData() == "seconds" and again.seconds.value() == 12.5
    assert again.dataset.currentData() == "synthetic"
    assert again.channels_last.isChecked() and not again.cudnn.isChecked()


def test_a_damaged_settings_file_keeps_the_defaults(qtbot):
    s = settings()
    s.setValue("run/batch", "lots")
    s.setValue("run/precision", "fp7")
    s.sync()
    options = RunOptions()
    qtbot.addWidget(options)
    restore_run_options(options)
    assert options.batch.value() == 64
    assert options.precision.currentText() == "fp32"
