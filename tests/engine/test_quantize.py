"""int8 static post-training quantization and pruning on LeNet trained on digits: what the done-when
asks (conv layers quantized, accuracy within a point of fp32, a smaller pruned network, zeros
reported) and the refusals. One short training serves every test here."""
from __future__ import annotations

import builtins

import pytest
import torch

from engine.cli import main as cli_main
from engine.errors import Unsupported
from engine.net.presets import load_preset
from engine.results.result import RunResult
from engine.results.store import RunStore
from engine.run.config import RunConfig
from engine.run.loop import run, run_model
from tests.engine.tiny_nets import NETWORK, fast_config

INFER = ["--device", "cpu", "--dataset", "digits", "--mode", "infer", "--steps", "3", "--warmup", "1",
         "--sample-hz", "0", "--batch", "64"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """LeNet trained for a few seconds on digits (Adam), its weights kept: (data folder, run id, accuracy)."""
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("lab")
    mp.setenv("TRADEOFF_LAB_DATA", str(folder))
    config = RunConfig(dataset="digits", steps=60, optimizer="adam", lr=0.005, warmup=0, sample_hz=0,
                       eval_every_s=3600, keep_weights=True)
    result = run(load_preset("lenet"), config)
    RunStore(folder / "runs.sqlite").add(result)
    assert result.status == "ok" and result.weights_file and result.accuracy > 0.85
    yield folder, result.run_id
    mp.undo()


def _cli(folder, monkeypatch, capsys, *args) -> tuple[int, RunResult | None, str]:
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(folder))
    code = cli_main(["run", "lenet", *INFER, *args])
    out = capsys.readouterr().out
    last = RunStore(folder / "runs.sqlite").last(1)
    return code, (last[0] if last else None), out


def test_int8_static_ptq_quantizes_the_convolutions_and_keeps_accuracy_within_a_point(trained, monkeypatch, capsys):
    folder, run_id = trained
    code, fp32, _ = _cli(folder, monkeypatch, capsys, "--weights", run_id)
    assert code == 0 and fp32.quantization is None
    code, int8, out = _cli(folder, monkeypatch, capsys, "--weights", run_id, "--precision", "int8")
    assert code == 0 and int8.config.precision == "int8"
    q = int8.quantization
    assert {"conv1", "conv2"} <= set(q.layers) and q.method == "static-ptq" and q.calibration_data == "digits"
    assert "int8         static-ptq: conv1, conv2, fc1, fc2, fc3" in out and "SIMULATED" in out
    assert "with --compile" in q.simulated_why  # how to get the real int8 kernels
    assert abs(int8.accuracy - fp32.accuracy) <= 0.01, (int8.accuracy, fp32.accuracy)


@pytest.mark.slow
def test_int8_with_compile_runs_onednn_int8_kernels_at_the_same_accuracy(trained, monkeypatch, capsys):
    folder, run_id = trained
    code, int8, out = _cli(folder, monkeypatch, capsys, "--weights", run_id, "--precision", "int8",
                           "--compile", "default")
    assert code == 0 and int8.status == "ok", int8.error
    assert not int8.quantization.simulated and "oneDNN int8" in int8.quantization.kernels
    assert "SIMULATED" not in out and int8.accuracy > 0.85


def test_structured_and_unstructured_pruning_of_trained_lenet(trained, monkeypatch, capsys):
    folder, run_id = trained
    code, small, out = _cli(folder, monkeypatch, capsys, "--weights", run_id, "--prune", "structured:0.5")
    p = small.prune
    assert code == 0 and p.params_before == 61_706 and p.params_after == small.network.params < 40_000
    assert [lay["params"].get("out_channels") for lay in small.network.spec["layers"][:4:3]] == [3, 8]
    assert "params 61,706 -> " in out and p.from_weights == run_id
    code, sparse, out = _cli(folder, monkeypatch, capsys, "--weights", run_id, "--prune", "unstructured:0.5")
    assert code == 0 and sparse.prune.zero_weights_share >= 0.5 and sparse.network.params == 61_706
    assert "expect no speed-up" in out and sparse.accuracy is not None
    code, tuned, out = _cli(folder, monkeypatch, capsys, "--weights", run_id, "--prune", "unstructured:0.5",
                            "--prune-finetune-steps", "20", "--optimizer", "adam", "--lr", "0.001")
    assert code == 0 and tuned.prune.finetune_steps == 20 and "then 20 fine-tuning steps" in out
    assert tuned.prune.zero_weights_share >= 0.5  # the pruned weights stayed zero through the fine-tuning


def test_prune_finetune_steps_needs_pruning_and_labelled_data():
    with pytest.raises(ValueError, match="it needs prune"):
        RunConfig(prune_finetune_steps=5, dataset="digits")
    with pytest.raises(ValueError, match="not synthetic data"):
        RunConfig(prune_finetune_steps=5, prune="structured:0.5")


def test_int8_refuses_a_network_without_convolution_or_linear_layer():
    pool_only = lambda: torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.Flatten())  # noqa: E731
    with pytest.raises(Unsupported, match="no convolution or Linear layer"):
        run_model(pool_only, NETWORK, (1, 8, 8), None, fast_config(precision="int8", mode="infer", steps=1))


def test_int8_without_torchao_is_refused_with_one_line(monkeypatch):
    real_import = builtins.__import__

    def no_torchao(name, *args, **kwargs):
        if name.startswith("torchao"):
            raise ImportError("No module named 'torchao'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_torchao)
    from engine.run.quantize import pt2e_api
    with pytest.raises(Unsupported, match="needs torchao"):
        pt2e_api()
