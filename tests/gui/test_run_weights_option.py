"""The run panel's weights choice: stored runs that kept their weights, or a file; and the training-only
options (keep weights, stop at accuracy) are disabled with a reason for inference."""
from __future__ import annotations

import pytest

from gui.run.options import RunOptions


@pytest.fixture
def kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "20261129-010203-abcdef.safetensors").write_bytes(b"x")
    return "20261129-010203-abcdef"


def test_weights_from_a_stored_run_or_a_file(qtbot, kept, tmp_path):
    panel = RunOptions()
    qtbot.addWidget(panel)
    control = panel.controls["weights"]
    labels = [control.source.itemText(i) for i in range(control.source.count())]
    assert labels == ["random (from the seed)", f"from run {kept}", "a weights file…"]
    assert panel.config().weights is None
    control.source.setCurrentIndex(1)
    assert panel.config().weights == kept
    control.source.setCurrentIndex(2)
    assert not control.path_row.isHidden()
    control.path.setText(str(tmp_path / "w.safetensors"))
    assert panel.config().weights == str(tmp_path / "w.safetensors")
    panel.set_value("weights", kept)  # remembered settings put the run back
    assert control.source.currentIndex() == 1 and control.path_row.isHidden()


def test_a_run_kept_after_the_panel_was_built_appears(qtbot, kept, tmp_path):
    panel = RunOptions()
    qtbot.addWidget(panel)
    (tmp_path / "weights" / "later-run.safetensors").write_bytes(b"x")
    panel.controls["weights"].refresh()
    assert panel.controls["weights"].source.findData("later-run") > 0


def test_training_only_options_are_disabled_for_inference(qtbot, kept):
    panel = RunOptions()
    qtbot.addWidget(panel)
    panel.set_value("dataset", "digits")
    panel.set_value("keep_weights", True)
    panel.set_value("until_accuracy", 0.9)
    assert panel.config().until_accuracy == pytest.approx(0.9) and panel.config().keep_weights
    panel.set_value("mode", "infer")
    assert not panel.controls["keep_weights"].isEnabled()
    assert "only when training" in panel.controls["until_accuracy"].toolTip()
    cfg = panel.config()  # a disabled option keeps its default: the config stays valid
    assert cfg.until_accuracy is None and cfg.keep_weights is False
