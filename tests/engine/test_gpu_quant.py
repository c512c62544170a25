"""int8 and fp8 on a GPU through torchao (engine.run.gpu_quant): the refusals, each one line (fp8 on
the CPU or an older GPU, training, no torchao); what is quantized and what stays bf16 with the reason;
the kernel probe that decides `simulated`; and, on a GPU, mlp and lenet run with int8 and fp8 with
outputs within a stated tolerance of bf16."""
from __future__ import annotations

import builtins
import copy

import pytest
import torch

import engine.run.options as rules
from engine.cli import main as cli_main
from engine.errors import Unsupported
from engine.net.build import build_model
from engine.net.presets import load_preset
from engine.run.config import RunConfig
from engine.run.precision import plan_precision

# Relative L2 error of the logits against the same network in bf16, on random weights and inputs:
# int8 rounds to 1/127 of each row's largest value, fp8 (e4m3) keeps 3 mantissa bits. Measured by
# simulating both on the CPU: 0.6 % (int8) and 2.4 % (fp8) for mlp; four to three times that allowed.
TOLERANCE = {"int8": 0.03, "fp8": 0.08}
CUDA = torch.cuda.is_available()
FP8_GPU = CUDA and torch.cuda.get_device_capability() >= (8, 9)


def _cli_error(capsys, *args) -> tuple[int, str]:
    code = cli_main(["run", "mlp", *args, "--steps", "1", "--warmup", "0", "--sample-hz", "0", "--no-store"])
    return code, capsys.readouterr().err


def test_fp8_on_the_cpu_is_refused_with_one_line(capsys):
    code, err = _cli_error(capsys, "--device", "cpu", "--mode", "infer", "--precision", "fp8")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "fp8 needs an NVIDIA GPU with fp8 tensor cores (compute capability 8.9" in err


def test_training_at_int8_or_fp8_on_a_gpu_and_fp8_on_an_older_gpu_are_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_a: (9, 0))
    for precision in ("int8", "fp8"):
        with pytest.raises(Unsupported, match=f"^precision {precision}: {precision} runs only for inference"):
            plan_precision(precision, torch.device("cuda"), "train")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_a: (8, 0))
    with pytest.raises(Unsupported, match=r"compute capability 8\.9 or newer .*this GPU is 8\.0$"):
        plan_precision("fp8", torch.device("cuda"), "infer")
    plan = plan_precision("int8", torch.device("cuda"), "infer")  # an A100 runs int8, the rest in bf16
    assert plan.quantize_gpu == "int8" and plan.autocast_dtype == torch.bfloat16 and not plan.quantize_int8


def test_without_torchao_int8_and_fp8_are_refused_naming_the_extra(monkeypatch, capsys):
    monkeypatch.setattr(rules, "torchao_installed", lambda: False)
    code, err = _cli_error(capsys, "--device", "cpu", "--mode", "infer", "--precision", "int8")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'tradeoff-lab[quant]'" in err
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_a: (9, 0))
    with pytest.raises(Unsupported, match=r"fp8 quantization needs torchao.*tradeoff-lab\[quant\]"):
        plan_precision("fp8", torch.device("cuda"), "infer")
    real_import = builtins.__import__

    def no_torchao(name, *args, **kwargs):  # found on disk but does not import (e.g. built for another torch)
        if name.startswith("torchao"):
            raise ImportError("No module named 'torchao'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_torchao)
    from engine.run.gpu_quant import torchao_config
    with pytest.raises(Unsupported, match=r"^precision fp8: torchao does not import .*tradeoff-lab\[quant\]"):
        torchao_config("fp8")


def test_the_layers_each_kernel_cannot_take_stay_bf16_with_the_reason():
    from engine.run.gpu_quant import plan_layers
    lenet = build_model(load_preset("lenet"))
    assert plan_layers(lenet, "int8")[0] == ["fc1"]  # 400->120; fc2 (120->84) and fc3 (84->10) do not fit
    take, why = plan_layers(lenet, "fp8")
    assert take == [] and "multiple of 16" in why["fc1"] and "mslk" in why["conv1"]
    assert plan_layers(build_model(load_preset("mlp")), "fp8")[0] == ["fc1", "fc2", "fc3", "fc4"]


def _quantized(net: str, precision: str, device: str, batch: int = 64):
    """(bf16 reference model, quantized model, input, report)."""
    from engine.run.gpu_quant import quantize_linear
    torch.manual_seed(0)
    model = build_model(load_preset(net)).eval().to(device)
    ref = copy.deepcopy(model).to(torch.bfloat16)
    quantized, report = quantize_linear(model, precision, compiled=False)
    x = torch.randn(batch, *load_preset(net).input.shape, device=device)
    return ref, quantized, x, report


def _relative_error(ref, quantized, x) -> float:
    with torch.inference_mode():
        a, b = ref(x.to(torch.bfloat16)).float(), quantized(x).float()
    return float((b - a).norm() / a.norm())


def test_int8_linear_layers_run_int_mm_and_agree_with_bf16_on_the_cpu(capfd):
    """The GPU path's quantization and probe, exercised on the CPU (torchao's int8 Linear runs there too)."""
    from engine.run.gpu_quant import probe_kernels
    ref, quantized, x, report = _quantized("mlp", "int8", "cpu")
    assert report.layers == ["fc1", "fc2", "fc3", "fc4"] and report.skipped == ["fc5"]
    assert "multiple of 8" in report.skipped_why["fc5"] and report.kept_precision == "bf16" and report.simulated
    assert _relative_error(ref, quantized, x) < TOLERANCE["int8"]
    with torch.inference_mode():
        probe_kernels(lambda: quantized(x), torch.device("cpu"), report)
    assert not report.simulated and report.simulated_why is None
    with torch.inference_mode():  # a step in which no int8 GEMM runs (torchao fell back, say)
        probe_kernels(lambda: ref(x.to(torch.bfloat16)), torch.device("cpu"), report)
    assert report.simulated and "no int8 GEMM ran" in report.simulated_why
    assert "profiler_start" not in capfd.readouterr().err  # kineto's status lines kept off stderr


def test_the_run_loop_records_what_the_gpu_path_quantized(monkeypatch):
    """The loop's GPU-quantization steps (quantize after moving to the device, probe after the warm-up,
    the report in the result, the CLI rows) on the CPU, with the plan a GPU would get."""
    import engine.run.loop as loop
    from engine.results.levers import lever_rows
    from engine.run.precision import PrecisionPlan
    monkeypatch.setattr(loop, "plan_precision", lambda p, *_a: PrecisionPlan(p, torch.bfloat16, False, [],
                                                                             quantize_gpu=p))
    config = RunConfig(device="cpu", precision="int8", mode="infer", batch=32, steps=2, warmup=1, sample_hz=0)
    result = loop.run(load_preset("lenet"), config)
    q = result.quantization
    assert result.status == "ok", result.error
    assert (q.precision, q.method, q.layers, q.compiled, q.simulated) == ("int8", "dynamic", ["fc1"], False, False)
    rows = dict((text.split(" ")[0], text) for _label, text in lever_rows(result))
    assert "conv1," in rows and "torchao has no int8 convolution kernel" in rows["conv1,"]


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("net, precision, layers", [
    ("mlp", "int8", ["fc1", "fc2", "fc3", "fc4"]), ("lenet", "int8", ["fc1"]),
    ("mlp", "fp8", ["fc1", "fc2", "fc3", "fc4"]), ("lenet", "fp8", []),
])
def test_gpu_runs_quantize_the_linear_layers_with_real_kernels(net, precision, layers):
    if precision == "fp8" and not FP8_GPU:
        pytest.skip("fp8 needs compute capability 8.9 or newer")
    from engine.run.loop import run
    config = RunConfig(device="cuda", precision=precision, mode="infer", batch=256, steps=5, warmup=2,
                       sample_hz=0, idle_baseline_s=0)
    result = run(load_preset(net), config)
    q = result.quantization
    assert result.status == "ok", result.error
    assert q.layers == layers and q.kept_precision == "bf16"
    if layers:
        assert not q.simulated, q.simulated_why
        assert q.kernel_names, "the profiler saw no GEMM kernel"
    else:  # lenet at fp8: no Linear layer fits the kernel, so nothing ran at fp8
        assert q.simulated and "no layer was quantized" in q.simulated_why


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("net, precision", [("mlp", "int8"), ("lenet", "int8"), ("mlp", "fp8")])
def test_gpu_outputs_agree_with_bf16_within_the_tolerance(net, precision):
    if precision == "fp8" and not FP8_GPU:
        pytest.skip("fp8 needs compute capability 8.9 or newer")
    ref, quantized, x, _report = _quantized(net, precision, "cuda", batch=256)
    assert _relative_error(ref, quantized, x) < TOLERANCE[precision]


def test_the_precision_axis_takes_int8_and_fp8_and_skips_what_a_device_cannot_run():
    from engine.cli import sweep as sweep_cli
    from engine.sweep.grid import SweepState
    from tests.engine.test_run_options import _parser
    args = _parser(sweep_cli).parse_args(["sweep", "mlp", "--devices", "cpu,cuda", "--precisions", "bf16,int8,fp8",
                                          "--modes", "infer", "--batches", "16384"])
    state = SweepState.new(sweep_cli._grid_from_args(args))
    ran = [e.label for e in state.entries if e.status == "pending"]
    assert ran == ["cpu bf16 infer b16384", "cpu int8 infer b16384", "cuda bf16 infer b16384",
                   "cuda int8 infer b16384", "cuda fp8 infer b16384"]
    [skipped] = [e for e in state.entries if e.status == "skipped"]
    assert skipped.label == "cpu fp8 infer b16384" and "compute capability 8.9" in skipped.reason


def test_a_pipeline_at_int8_or_fp8_is_refused_before_any_process_starts():
    from engine.run.loop import run
    config = RunConfig(devices="cpu", processes=2, parallel="pipeline", precision="fp8", mode="infer")
    with pytest.raises(Unsupported, match="^precision fp8: a pipeline splits PyTorch's own layers"):
        run(load_preset("mlp"), config)
    assert "precision:int8" in rules.unavailable({"mode": "infer", "parallel": "pipeline"}, rules.Target("cuda:0", (9, 0)))


def test_fp8_with_binarized_layers_is_refused_like_int8():
    from engine.errors import BadRunInput
    from engine.run.loop import run
    with pytest.raises(BadRunInput, match="^binarize: fp8 quantizes float layers"):
        run(load_preset("lenet"), RunConfig(binarize=True, precision="fp8", mode="infer", steps=1, sample_hz=0))
    hopper = rules.Target("cuda:0", (9, 0))
    assert "+1/-1 signs already" in rules.unavailable({"mode": "infer", "binarize": True}, hopper)["precision:fp8"]
