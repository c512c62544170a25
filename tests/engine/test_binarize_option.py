"""The binarize run option: the inner Conv2d and Linear layers of a float net become XNOR-Net layers
(first and last stay float), trained float weights load, the run says its speed is simulated, what
cannot be binarized is refused in one line, and findings compare it with the float net by accuracy,
never by its simulated speed."""
from __future__ import annotations

import pytest
import torch

from engine.cli.run_output import summary_lines
from engine.errors import BadRunInput
from engine.net.binarize import binarized
from engine.net.build import build_model
from engine.net.presets import load_preset
from engine.net.spec import NetworkSpec
from engine.results.findings import findings
from engine.results.result import SIMULATED_BINARY
from engine.run.config import RunConfig
from engine.run.loop import run
from engine.run.options import Target, unavailable
from tests.engine.fake_runs import make_run

FAST = dict(batch=8, steps=1, warmup=0, sample_hz=0, idle_baseline_s=0)


def test_the_inner_weight_layers_are_binarized_and_float_weights_load():
    data = load_preset("lenet").model_dump(mode="json", exclude_none=True)
    data["layers"][3]["params"]["algo"] = "im2col"  # conv2's own algorithm: a binarized layer has none
    spec = NetworkSpec.model_validate(data)
    out, ids = binarized(spec)
    assert ids == ["conv2", "fc1", "fc2"]
    assert {layer.id: layer.type for layer in out.layers if layer.type.endswith(("Conv2d", "Linear"))} == {
        "conv1": "Conv2d", "conv2": "BinConv2d", "fc1": "BinLinear", "fc2": "BinLinear", "fc3": "Linear"}
    assert "algo" not in out.layer("conv2").params and out.name == spec.name
    assert spec.layer("conv2").type == "Conv2d"  # the argument is left alone
    assert binarized(out) == (out, ids)  # a binarized net stays as it is
    float_model, bin_model = build_model(spec), build_model(out)
    bin_model.load_state_dict(float_model.state_dict())  # same keys and shapes: trained weights carry over
    x = torch.randn(2, 1, 28, 28)
    assert not torch.allclose(float_model(x), bin_model(x))


def test_a_binarized_run_records_its_binary_arithmetic_and_says_its_speed_is_simulated():
    result = run(load_preset("lenet"), RunConfig(binarize=True, **FAST))
    assert result.status == "ok" and result.config.binarize
    assert result.network.name == "lenet" and result.network.binary_flops_per_sample > 0
    assert {layer["type"] for layer in result.network.spec["layers"]} >= {"BinConv2d", "BinLinear"}
    assert SIMULATED_BINARY in result.quality
    assert "binarized" in summary_lines(result)[0]


def test_what_cannot_be_binarized_is_refused_in_one_line():
    two_layers = NetworkSpec.model_validate({"name": "two", "input": {"shape": [4]}, "layers": [
        {"id": "fc1", "type": "Linear", "params": {"out_features": 8}, "inputs": ["input"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 3}, "inputs": ["fc1"]}]})
    with pytest.raises(BadRunInput, match="binarize: network 'two' has no Conv2d or Linear layer between its first"):
        run(two_layers, RunConfig(binarize=True, **FAST))
    with pytest.raises(BadRunInput, match="binarize: int8 quantizes float layers"):
        run(load_preset("lenet"), RunConfig(binarize=True, precision="int8", mode="infer", **FAST))
    assert "+1/-1 signs already" in unavailable({"mode": "infer", "binarize": True}, Target())["precision:int8"]
    assert "precision:int8" not in unavailable({"mode": "infer"}, Target())


def test_the_finding_states_the_accuracy_change_and_never_a_simulated_speed_up():
    def one(run_id, binarize, tp, acc):
        r = make_run(run_id, device="cpu", mode="infer", throughput_sps=tp, accuracy=acc)
        r.config.binarize, r.config.weights = binarize, "w1"  # the same trained weights: accuracies compare
        if binarize:
            r.network.binary_flops_per_sample = r.network.flops_per_sample // 2
        return r
    runs = [one("a", False, 1000.0, 0.98), one("b", True, 3000.0, 0.61)]
    [f] = [f for f in findings(runs) if f.kind == "lever"]
    assert f.text.startswith("binarized vs float on lenet, AMD EPYC 7B13, infer")
    assert "simulated binarization" in f.text and "×" not in f.text and "accuracy -37.0 points" in f.text
    assert "50% of its arithmetic is binary operations" in f.text and f.numbers == {"simulated": 1.0}
    from engine.results.compare import short_labels
    assert short_labels(runs) == {"a": "float", "b": "binarized (simulated binarization)"}  # tables and charts too
