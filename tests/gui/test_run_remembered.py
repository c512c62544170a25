"""Run settings are remembered between launches; a damaged settings file falls back to defaults."""
from __future__ import annotations

from gui.editor.settings import settings
from gui.run.options import RunOptions
from gui.run.remembered import restore_run_options, save_run_options


def test_the_settings_of_the_last_run_come_back_in_a_new_panel(qtbot):
    first = RunOptions()
    qtbot.addWidget(first)
    chosen = dict(precision="bf16", batch=512, mode="train", seconds=12.5, dataset="digits", channels_last=True,
                  cudnn_benchmark=False, optimizer="adam", lr=0.0005, seed=42, eval_every_s=4.0, threads=2,
                  compile="default", warmup=3)
    for name, value in chosen.items():
        first.set_value(name, value)
    save_run_options(first)

    again = RunOptions()
    qtbot.addWidget(again)
    assert again.value("batch") == 64  # a new panel starts from the defaults...
    restore_run_options(again)  # ...and the app restores what was used last
    assert {n: again.value(n) for n in chosen} == chosen
    assert again.value("steps") is None  # the length was in seconds


def test_every_option_the_panel_shows_is_remembered(qtbot):
    options = RunOptions()
    qtbot.addWidget(options)
    save_run_options(options)
    s = settings()
    s.beginGroup("run")
    assert set(s.childKeys()) == set(options.controls) - {"device"}
    s.endGroup()


def test_a_damaged_settings_file_keeps_the_defaults(qtbot):
    s = settings()
    s.setValue("run/batch", "lots")
    s.setValue("run/precision", "fp7")
    s.setValue("run/lr", "-1")
    s.setValue("run/compile", "{not json")
    s.sync()
    options = RunOptions()
    qtbot.addWidget(options)
    restore_run_options(options)
    assert options.value("batch") == 64 and options.value("precision") == "fp32"
    assert options.value("lr") == 0.01 and options.value("compile") is None
