"""Findings for int8 and fp8 on a GPU: a real quantized run gets its ratio, accuracy change and what it
quantized; one where no int8/fp8 GEMM ran is never called a speed-up, and says why."""
from __future__ import annotations

from engine.results.findings import findings
from engine.results.result import QuantizationReport
from tests.engine.fake_runs import make_run


def _gpu(run_id: str, precision: str, tp: float, accuracy: float, compile: str | None = "default"):
    r = make_run(run_id, device="cuda", precision=precision, batch=16384, mode="infer", throughput_sps=tp,
                 accuracy=accuracy, network="mlp", compile=compile)
    r.config.weights = "w1"  # the same trained weights: accuracies compare
    return r


def _report(precision: str, simulated: bool, layers=("fc1", "fc2")) -> QuantizationReport:
    return QuantizationReport(method="dynamic", precision=precision, layers=list(layers), skipped=["fc5"],
                              skipped_why={"fc5": "Linear 256->10: needs multiples of 16"}, kept_precision="bf16",
                              kernels="torchao", compiled=True, simulated=simulated,
                              simulated_why="no fp8 GEMM ran (torchao fell back)" if simulated else None)


def test_fp8_vs_bf16_on_a_gpu_states_ratio_accuracy_and_the_quantized_layers():
    bf16, fp8 = _gpu("a", "bf16", 1000.0, 0.980), _gpu("b", "fp8", 1300.0, 0.979)
    fp8.quantization = _report("fp8", simulated=False)
    [f] = [f for f in findings([bf16, fp8]) if f.kind == "lever"]
    assert f.text.startswith("fp8 vs bf16 on mlp, NVIDIA H200, infer at batch 16384: 1.30× the throughput")
    assert "accuracy -0.1 points" in f.text and "fp8 on fc1, fc2 (left bf16: fc5)" in f.text
    assert f.numbers["throughput_ratio"] == 1.3


def test_int8_eager_on_a_gpu_says_its_layers_pay_mostly_when_compiled():
    bf16, int8 = _gpu("a", "bf16", 1000.0, 0.98, compile=None), _gpu("b", "int8", 500.0, 0.98, compile=None)
    int8.quantization = _report("int8", simulated=False).model_copy(update={"compiled": False})
    [f] = [f for f in findings([bf16, int8]) if f.kind == "lever"]
    assert "2.00× less throughput" in f.text and "pay mostly when compiled" in f.text


def test_a_gpu_run_where_no_fp8_kernel_ran_is_never_a_speed_up_and_says_why():
    bf16, fp8 = _gpu("a", "bf16", 1000.0, 0.98), _gpu("b", "fp8", 3000.0, 0.98)
    fp8.quantization = _report("fp8", simulated=True, layers=())
    [f] = [f for f in findings([bf16, fp8]) if f.kind == "lever"]
    assert "simulated fp8 (no fp8 GEMM ran (torchao fell back))" in f.text and "×" not in f.text
    assert f.numbers == {"simulated": 1.0}
