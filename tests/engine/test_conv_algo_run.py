"""The conv_algo run option and a Conv2d's own algo in whole runs on the CPU: lenet and resnet9
(batch 8) run with each algorithm and learn alike, the result records what ran and the im2col
buffers, an algorithm that cannot apply is refused naming the layer, old results still load."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from engine.cli.run_output import summary_lines
from engine.errors import BadRunInput
from engine.net import analyze, load_preset
from engine.net.build import build_model
from engine.net.conv_rules import CONV_ALGOS, agreement_tolerance, run_algo_problem
from engine.net.export_code import export_code
from engine.net.spec import NetworkSpec
from engine.results.result import RunResult
from engine.run.config import RunConfig
from engine.run.conv_algo import _kernel_names, probe_library_kernels, switch_conv_algos
from engine.run.loop import run
from engine.run.precision import plan_precision

FAST = dict(batch=8, steps=1, warmup=0, sample_hz=0, idle_baseline_s=0, seed=3)


def _with_algo(name: str, **algos: str) -> NetworkSpec:
    data = load_preset(name).model_dump(mode="json", exclude_none=True)
    for layer in data["layers"]:
        if layer["id"] in algos:
            layer["params"]["algo"] = algos[layer["id"]]
    return NetworkSpec.model_validate(data)


def test_lenet_trains_alike_with_every_algorithm_that_applies():
    losses = {}
    for algo in [a for a in CONV_ALGOS if a != "winograd"]:  # lenet's 5x5 kernels: Winograd refuses (below)
        result = run(load_preset("lenet"), RunConfig(conv_algo=algo, **FAST))
        assert result.status == "ok", result.error
        assert result.config.conv_algo == algo
        assert [(x.layer, x.algo, x.chosen_by) for x in result.conv_algos.layers] == \
            [("conv1", algo, "run"), ("conv2", algo, "run")]
        losses[algo] = result.loss
        if algo == "im2col":  # batch x (C kh kw) x (out h x out w) x 4 bytes
            assert [x.im2col_buffer_bytes for x in result.conv_algos.layers] == \
                [8 * 1 * 25 * 28 * 28 * 4, 8 * 6 * 25 * 10 * 10 * 4]
        else:
            assert all(x.im2col_buffer_bytes is None for x in result.conv_algos.layers)
    assert max(losses.values()) - min(losses.values()) < 1e-3, losses  # same weights, same data, same loss


def test_resnet9_runs_with_every_algorithm():
    outputs = {}
    spec = load_preset("resnet9")
    x = torch.randn(8, *spec.input.shape)
    for algo in CONV_ALGOS:
        torch.manual_seed(0)
        model = build_model(spec).eval()
        record, _ = switch_conv_algos(model, spec, algo, 8, "fp32")
        assert {x.algo for x in record.layers} == {algo} and len(record.layers) == 8
        with torch.inference_mode():
            outputs[algo] = model(x)
    ref = outputs["library"]
    for algo, out in outputs.items():  # the whole net within one layer's stated tolerance
        assert ((out - ref).abs().max() / ref.abs().max()).item() <= agreement_tolerance(algo, "fp32"), algo


def test_lenet_agrees_with_the_library_in_bf16_per_algorithm():
    """Per layer every algorithm is tested in fp32 and bf16 (test_conv_algos); here the whole net in bf16
    (resnet9 too took 40 s in bf16 on a 2-core CPU: its fp32 run above covers the whole-net path)."""
    spec = load_preset("lenet")
    x = torch.randn(8, *spec.input.shape)
    outputs = {}
    for algo in [a for a in CONV_ALGOS if a != "winograd"]:  # lenet's 5x5 kernels: Winograd refuses
        torch.manual_seed(0)
        model = build_model(spec).eval()
        switch_conv_algos(model, spec, algo, 8, "bf16")
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            outputs[algo] = model(x).float()
    ref = outputs.pop("library")
    for algo, out in outputs.items():
        assert ((out - ref).abs().max() / ref.abs().max()).item() <= agreement_tolerance(algo, "bf16"), algo


def test_an_algorithm_that_cannot_apply_is_refused_naming_the_layer():
    with pytest.raises(BadRunInput, match=r"layer 'conv1' \(conv_algo winograd\).*5x5 kernel"):
        run(load_preset("lenet"), RunConfig(conv_algo="winograd", **FAST))


def test_the_refusal_is_known_before_the_run_in_the_same_words():
    # The run panel disables Start with it (Winograd on lenet started a run that then refused).
    with pytest.raises(BadRunInput) as refused:
        run(load_preset("lenet"), RunConfig(conv_algo="winograd", **FAST))
    assert run_algo_problem(load_preset("lenet"), "winograd") == refused.value.user_message
    assert run_algo_problem(load_preset("resnet9"), "winograd") is None
    assert run_algo_problem(load_preset("lenet"), "fft") is None
    assert run_algo_problem(_with_algo("lenet", conv1="library", conv2="library"), "winograd") is None  # their own
    assert "int8 quantizes torch's own convolution" in run_algo_problem(load_preset("lenet"), "im2col", "int8")


def test_a_layers_algo_wins_over_the_run_option():
    result = run(_with_algo("lenet", conv2="direct"), RunConfig(conv_algo="im2col", **FAST))
    assert [(x.layer, x.algo, x.chosen_by) for x in result.conv_algos.layers] == \
        [("conv1", "im2col", "run"), ("conv2", "direct", "layer")]
    assert result.status == "ok"
    lines = summary_lines(result)
    assert "conv im2col" in lines[0]
    assert "  convolution  im2col x1, direct x1 (conv2 by the layer's own algo) · im2col buffers 612 KiB" in lines


def test_a_layers_algo_that_cannot_apply_is_a_spec_problem():
    analysis = analyze(_with_algo("lenet", conv1="winograd"))
    assert not analysis.ok
    problem = analysis.problems[0]
    assert problem.layer_id == "conv1" and "5x5 kernel" in str(problem) and "algo" in str(problem)
    assert analyze(_with_algo("resnet9", conv1="winograd")).ok


def test_exported_code_uses_the_library_and_says_so():
    code = export_code(_with_algo("lenet", conv2="fft"))
    assert "the spec computes it with fft: here torch's own conv2d" in code
    namespace: dict = {}
    exec(compile(code, "<export>", "exec"), namespace)  # still runs as plain PyTorch


def test_results_without_the_conv_fields_still_load():
    result = run(load_preset("lenet"), RunConfig(**FAST))
    data = json.loads(result.model_dump_json())
    del data["conv_algos"], data["config"]["conv_algo"]
    old = RunResult.model_validate(data)
    assert old.conv_algos is None and old.config.conv_algo == "library"


def test_probe_names_what_the_library_ran(capfd):
    spec = load_preset("lenet")
    model = build_model(spec)
    record, inputs = switch_conv_algos(model, spec, "library", 4, "fp32")
    plan = plan_precision("fp32", torch.device("cpu"), "train")
    probe_library_kernels(model, record, inputs, 4, plan.autocast("cpu"), torch.device("cpu"), True,
                          torch.contiguous_format)
    assert record.kernels_unavailable is None
    assert "profiler_start" not in capfd.readouterr().err  # kineto's status lines kept off stderr
    for entry in record.layers:  # the operators that did the work, not the dispatching wrappers
        assert entry.library_kernels and all("conv" in k for k in entry.library_kernels)
        assert "aten::conv2d" not in entry.library_kernels


def test_gpu_probe_names_only_convolution_kernels():
    """Kernel names as an H200 bf16 probe saw them: autocast's cast and ATen copies are not cuDNN's."""
    cuda_kernels = [
        "void at::native::vectorized_elementwise_kernel<8, at::native::bfloat16_copy_kernel_cuda("
        "at::TensorIteratorBase&)::{lambda(float)#1}, std::array<char*, 2ul> >(int)",
        "sm90_xmma_fprop_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_kernel__5x_cudnn",
        "void implicit_convolve_sgemm<__nv_bfloat16, __nv_bfloat16, 128, 5, 5, 3, 3, 3, 1>(int)",
        "void cutlass__5x_cudnn::Kernel<cutlass_tensorop_bf16_s16816fprop_optimized_bf16_64x128_nhwc_align8>()",
        "void at::native::unrolled_elementwise_kernel<at::native::direct_copy_kernel_cuda(...)>(int)",
        "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>>(int)",
        "void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float>>(int)",
        "Memcpy DtoD (Device -> Device)",
    ]
    cuda, cpu = torch.autograd.DeviceType.CUDA, torch.autograd.DeviceType.CPU
    events = [SimpleNamespace(name="aten::copy_", device_type=cpu, cpu_children=[])]
    events += [SimpleNamespace(name=n, device_type=cuda, cpu_children=[]) for n in cuda_kernels]
    names = _kernel_names(SimpleNamespace(events=lambda: events), cuda=True)
    assert names == cuda_kernels[1:4]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_run_names_the_kernels_cudnn_picked():
    result = run(load_preset("resnet9"), RunConfig(device="cuda", precision="bf16", **FAST))
    assert result.status == "ok" and result.conv_algos.kernels_unavailable is None
    assert all(x.library_kernels for x in result.conv_algos.layers)
    assert not any("elementwise" in k for x in result.conv_algos.layers for k in x.library_kernels)
