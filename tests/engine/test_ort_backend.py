"""ONNX Runtime as the run's backend: same outputs and accuracy as PyTorch, what the result records,
and each refusal with its reason."""
from __future__ import annotations

import sys

import pytest
import torch

from engine.errors import Unsupported
from engine.net import build_model, load_preset
from engine.results.result import RunResult
from engine.run.config import RunConfig
from engine.run.loop import run
from engine.run.options import Target, unavailable

ort = pytest.importorskip("onnxruntime")


def _config(**kw) -> RunConfig:
    base = dict(device="cpu", mode="infer", backend="onnxruntime", batch=16, steps=3, warmup=1, sample_hz=0,
                idle_baseline_s=0, threads=1)
    return RunConfig(**(base | kw))


def test_onnxruntime_outputs_agree_with_torch():
    from engine.run.ort_backend import OrtModel
    spec = load_preset("lenet")
    torch.manual_seed(0)
    model = build_model(spec).eval()
    x = torch.randn(8, *spec.input.shape)
    ort_model = OrtModel.create(model, tuple(spec.input.shape), torch.device("cpu"), _config())
    with torch.inference_mode():
        want, got = model(x), ort_model(x)
    assert got.shape == want.shape and got.dtype == torch.float32
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-4), (got - want).abs().max()
    assert ort_model.provider == "CPUExecutionProvider" and ort_model.onnx_bytes > 4 * 61706


def test_an_onnxruntime_run_records_its_provider_and_evaluates_through_the_session():
    spec = load_preset("lenet")
    ort_run = run(spec, _config(dataset="digits"))
    torch_run = run(spec, _config(dataset="digits", backend="torch"))
    assert ort_run.status == "ok" and ort_run.steps == 3 and ort_run.throughput_sps > 0
    assert ort_run.config.backend == "onnxruntime"
    rt = ort_run.runtime
    assert rt is not None and rt.backend == "onnxruntime" and rt.provider == "CPUExecutionProvider"
    assert rt.version == ort.__version__ and rt.export_s > 0 and rt.model_bytes > 0
    # the same seed gives the same random weights: held-out accuracy through ORT equals PyTorch's
    assert ort_run.accuracy is not None and ort_run.accuracy == pytest.approx(torch_run.accuracy, abs=1e-9)
    assert torch_run.runtime is None
    assert RunResult.model_validate_json(ort_run.model_dump_json()).runtime == rt


def test_a_stored_result_without_backend_or_runtime_loads_as_pytorch():
    r = run(load_preset("mlp"), _config(backend="torch", steps=1, warmup=0))
    data = r.model_dump(mode="json")
    del data["runtime"], data["config"]["backend"]
    old = RunResult.model_validate(data)
    assert old.config.backend == "torch" and old.runtime is None


@pytest.mark.parametrize("kw, words", [
    ({"mode": "train"}, "inference only"),
    ({"precision": "fp16"}, "fp32 model"),
    ({"compile": "default"}, "torch.compile is PyTorch's"),
    ({"channels_last": True}, "own memory layout"),
    ({"conv_algo": "im2col"}, "its own convolution kernels"),
])
def test_what_onnxruntime_cannot_run_is_refused_with_the_reason(kw, words):
    with pytest.raises(Unsupported, match=words) as e:
        run(load_preset("lenet"), _config(**kw))
    assert e.value.exit_code == 2 and "backend onnxruntime" in str(e.value)


def test_a_gpu_run_on_a_cpu_only_onnxruntime_says_install_onnxruntime_gpu(monkeypatch):
    from engine.run.ort_backend import check_backend
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(Unsupported, match="install onnxruntime-gpu"):
        check_backend(_config(device="cuda"), torch.device("cuda"))


def test_a_gpu_session_that_fell_back_to_the_cpu_provider_is_refused_not_measured(monkeypatch):
    """onnxruntime-gpu whose CUDA libraries do not load makes a CPU session without raising: the run
    must say so instead of timing the CPU as the GPU."""
    from engine.run.ort_backend import OrtModel
    preloaded = []

    class FellBack:
        def __init__(self, *a, **kw):
            pass

        def get_providers(self):
            return ["CPUExecutionProvider"]

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(ort, "InferenceSession", FellBack)
    monkeypatch.setattr(ort, "preload_dlls", lambda *a, **kw: preloaded.append(True), raising=False)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: type("S", (), {"cuda_stream": 0})())
    model = build_model(load_preset("lenet"))
    with pytest.raises(Unsupported, match="GPU providers .*did not load") as e:
        OrtModel.create(model, (1, 28, 28), torch.device("cuda"), _config(device="cuda"))
    assert preloaded and "CPUExecutionProvider" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("precision, use_tf32", [("fp32", "0"), ("tf32", "1")])
def test_the_cuda_provider_computes_in_the_runs_precision(monkeypatch, precision, use_tf32):
    """ORT's CUDA provider defaults to TF32: an fp32 run must switch it off, or ORT's TF32 is timed
    against PyTorch's fp32."""
    made = {}

    class Session:
        def __init__(self, onnx, sess_options=None, providers=None, provider_options=None):
            made.update(providers=providers, options=provider_options)

        def get_providers(self):
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]

        def io_binding(self):
            return None

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(ort, "InferenceSession", Session)
    monkeypatch.setattr(ort, "preload_dlls", lambda *a, **kw: None, raising=False)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: type("S", (), {"cuda_stream": 0})())
    from engine.run.ort_backend import OrtModel
    OrtModel.create(build_model(load_preset("lenet")), (1, 28, 28), torch.device("cuda"),
                    _config(device="cuda", precision=precision))
    assert made["providers"] == ["CUDAExecutionProvider"] and made["options"][0]["use_tf32"] == use_tf32


def test_tensorrt_is_preferred_when_present(monkeypatch):
    from engine.run.ort_backend import check_backend
    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "TensorrtExecutionProvider", "CPUExecutionProvider"])
    assert check_backend(_config(device="cuda"), torch.device("cuda")) == ["TensorrtExecutionProvider",
                                                                            "CUDAExecutionProvider"]


def test_without_onnxruntime_installed_the_run_is_refused_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(Unsupported, match="pip install onnxruntime") as e:
        run(load_preset("lenet"), _config())
    assert "\n" not in str(e.value)


def test_the_gui_rules_offer_onnxruntime_for_inference_only():
    train = unavailable({"mode": "train", "backend": "torch"}, Target())
    assert "inference only" in train["backend:onnxruntime"]
    assert train["backend:onnxruntime"].endswith("choose Infer")  # what to do about it, as int8's refusal says
    infer = unavailable({"mode": "infer", "backend": "onnxruntime"}, Target())
    assert "backend:onnxruntime" not in infer and "precision:fp32" not in infer
    assert {"precision:bf16", "precision:int8", "compile", "channels_last"} <= set(infer)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_onnxruntime_on_the_gpu_binds_torch_memory_and_agrees():
    if not {"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(ort.get_available_providers()):
        pytest.skip("this onnxruntime has no GPU execution provider (onnxruntime-gpu)")
    from engine.run.ort_backend import OrtModel
    spec = load_preset("lenet")
    model = build_model(spec).eval().cuda()
    x = torch.randn(8, *spec.input.shape, device="cuda")
    m = OrtModel.create(model, tuple(spec.input.shape), torch.device("cuda"), _config(device="cuda"))
    with torch.inference_mode():
        want, got = model(x), m(x)
    assert got.is_cuda and torch.allclose(got, want, atol=1e-3, rtol=1e-3)


def test_the_runtime_is_named_in_words_for_the_summary_history_and_reports():
    from engine.results.levers import lever_rows
    r = run(load_preset("mlp"), _config(steps=1, warmup=0))
    (row,) = [t for label, t in lever_rows(r) if label == "runtime"]
    assert f"ONNX Runtime {ort.__version__} on CPUExecutionProvider" in row and "before timing" in row


def test_an_fp32_gpu_run_says_orts_convolutions_may_be_tf32_unless_the_process_forbade_it(monkeypatch):
    """Measured on an H200: ORT's 'fp32' resnet9 ran 3.2x PyTorch's strict fp32 because cuDNN's default
    math used TF32; with NVIDIA_TF32_OVERRIDE=0 from the start it ran 0.8x."""
    from engine.run.ort_backend import ort_tf32_note
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE", raising=False)
    note = ort_tf32_note("fp32")
    assert "TF32" in note and "NVIDIA_TF32_OVERRIDE=0" in note
    assert ort_tf32_note("tf32") is None
    monkeypatch.setenv("NVIDIA_TF32_OVERRIDE", "0")
    assert ort_tf32_note("fp32") is None


def test_the_cli_forbids_tf32_before_torch_loads_for_an_fp32_onnxruntime_gpu_run(monkeypatch):
    from engine.cli.run import strict_fp32_for_onnxruntime
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE", raising=False)
    assert not strict_fp32_for_onnxruntime(_config(device="cuda"))  # torch already loaded here: too late
    monkeypatch.delitem(sys.modules, "torch")
    assert not strict_fp32_for_onnxruntime(_config(device="cuda", precision="tf32"))
    assert not strict_fp32_for_onnxruntime(_config(device="cpu"))
    assert strict_fp32_for_onnxruntime(_config(device="cuda"))
    import os
    assert os.environ["NVIDIA_TF32_OVERRIDE"] == "0"
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE")
