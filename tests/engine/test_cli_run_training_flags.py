"""Training options typed for a run that does not train are refused in one line (as --until-accuracy is),
not ignored: `--keep-weights` with `--mode infer` kept nothing and said nothing."""
from __future__ import annotations

import pytest

from engine.cli import main as cli_main
from engine.results import RunStore


@pytest.mark.parametrize("flags, words", [
    (["--keep-weights"], "--keep-weights: used only when training; this run is --mode infer"),
    (["--optimizer", "adam", "--lr", "0.1"], "--optimizer, --lr: used only when training"),
])
def test_training_flags_with_infer_are_refused_naming_them(tmp_path, capsys, monkeypatch, flags, words):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    assert cli_main(["run", "lenet", "--mode", "infer", "--steps", "2", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs.sqlite").exists() or len(RunStore(tmp_path / "runs.sqlite")) == 0


def test_a_default_value_or_a_fine_tune_is_not_refused(tmp_path, capsys, monkeypatch):
    """--no-keep-weights asks for what infer does anyway; pruning's fine-tune trains with the optimizer."""
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    assert cli_main(["run", "lenet", "--mode", "infer", "--steps", "2", "--warmup", "1", "--no-keep-weights",
                     "--no-store"]) == 0
    assert cli_main(["run", "lenet", "--mode", "infer", "--steps", "2", "--warmup", "1", "--dataset", "digits",
                     "--prune", "structured:0.5", "--prune-finetune-steps", "2", "--optimizer", "adam",
                     "--no-store"]) == 0


def test_the_summary_names_the_weights_a_run_started_from_and_kept():
    from engine.cli.run_output import summary_lines
    from tests.engine.fake_runs import make_run
    r = make_run("20261129-120000-aaaaaa", device="cpu", mode="infer")
    r.config.weights, r.weights_used = "20261129-110000-bbbbbb", "/data/weights/20261129-110000-bbbbbb.safetensors"
    lines = "\n".join(summary_lines(r))
    assert "weights      started from 20261129-110000-bbbbbb (/data/weights/20261129-110000-bbbbbb.safetensors)" in lines
    t = make_run("20261129-130000-cccccc", device="cpu")
    t.weights_file = "/data/weights/20261129-130000-cccccc.safetensors"
    lines = "\n".join(summary_lines(t))
    assert "kept         trained weights in /data/weights/20261129-130000-cccccc.safetensors" in lines
    assert "--weights 20261129-130000-cccccc" in lines and "started from" not in lines
