"""ONNX Runtime as the run's backend (`--backend onnxruntime`): inference on the exported model.

    check_backend(config, device)              Refused (exit 2) for what ONNX Runtime cannot run here
    model = OrtModel.create(torch_model, input_shape, device, config)   export + session, before timing

The torch model (weights already loaded) is exported to ONNX in memory once, before the run starts,
and an `InferenceSession` is made on the execution provider that fits the run's device: the CPU
provider on the CPU (intra-op threads from `config.threads`), TensorRT's then CUDA's on a GPU, where
the installed onnxruntime has them. `OrtModel` is a parameter-free `nn.Module` whose forward takes
the batch as a torch tensor on the run's device and returns a torch tensor there, so the run
loop's step, timing and held-out evaluation are the same as PyTorch's. On a GPU the input and
output are bound in place (IO binding on torch's memory and stream), so no copy to the host is timed.
"""
from __future__ import annotations

import io
import os
import time
import warnings
from typing import Any

import numpy as np
import torch

from engine.errors import BadRunInput, Unsupported
from engine.run.config import RunConfig
from engine.run.options import Target, unavailable

OPSET = 17
GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")  # in order of preference
CPU_PROVIDER = "CPUExecutionProvider"
STRICT_FP32_ENV = "NVIDIA_TF32_OVERRIDE"  # read by cuBLAS and cuDNN when they load: "0" forbids TF32


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise Unsupported("backend onnxruntime: the onnxruntime package is not installed "
                          "(pip install onnxruntime; onnxruntime-gpu for a GPU)") from None
    return onnxruntime


def check_backend(config: RunConfig, device: torch.device) -> list[str]:
    """Refuse (Unsupported, exit 2) what ONNX Runtime cannot run: training, another precision, compile,
    channels-last, another conv algorithm, CUDA graphs, no execution provider for the device. Returns the providers to ask for, best first."""
    why = unavailable(config.model_dump(), Target(device=device.type))
    if config.mode != "infer":
        raise Unsupported(f"backend onnxruntime: {why['backend:onnxruntime']}")
    for key in ("precision", "compile", "channels_last", "conv_algo", "cuda_graph"):
        value = getattr(config, key, None)
        changed = key in RunConfig.model_fields and value != RunConfig.model_fields[key].default
        reason = why.get(f"{key}:{value}") or (why.get(key) if changed else None)
        if reason:
            raise Unsupported(f"backend onnxruntime: {key} {value}: {reason}")
    ort = _onnxruntime()
    available = ort.get_available_providers()
    if device.type == "cpu":
        return [CPU_PROVIDER]
    gpu = [p for p in GPU_PROVIDERS if p in available]
    if not gpu:
        raise Unsupported(f"backend onnxruntime on {device}: this onnxruntime {ort.__version__} has no GPU "
                          f"execution provider (it has {', '.join(available)}); install onnxruntime-gpu")
    return gpu


def ort_tf32_note(precision: str) -> str | None:
    """What an fp32 run of ORT's CUDA provider really computes in, when the process could not make it
    strict: use_tf32=0 covers its cuBLAS products, but cuDNN's default math runs fp32 convolutions in
    TF32 on Ampere and newer unless NVIDIA_TF32_OVERRIDE=0 was set before the CUDA libraries loaded
    (on an H200, resnet9 b512: 3.2x PyTorch's strict fp32 with it, 0.8x without)."""
    if precision != "fp32" or os.environ.get(STRICT_FP32_ENV) == "0":
        return None
    return (f"ONNX Runtime's convolutions may compute in TF32 (cuDNN's default math on Ampere and newer), not "
            f"strict fp32 like PyTorch's: compare at tf32, or start the run with {STRICT_FP32_ENV}=0")


def export_bytes(model: torch.nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """The model as an ONNX file in memory (batch dimension dynamic), exported from a CPU copy in eval
    mode; BadRunInput with the exporter's first line when ONNX cannot express it."""
    import copy
    cpu_model = copy.deepcopy(model).cpu().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        try:
            torch.onnx.export(cpu_model, (torch.zeros(1, *input_shape),), buf, dynamo=False, opset_version=OPSET,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        except Exception as exc:  # noqa: BLE001 - the exporter raises many kinds; the user needs one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BadRunInput(f"backend onnxruntime: ONNX export failed: {first[:300]}") from exc
    return buf.getvalue()


class OrtModel(torch.nn.Module):
    """An InferenceSession behind a module's forward (torch tensor in, torch tensor out, same device)."""

    def __init__(self, session: Any, device: torch.device, out_shape: tuple[int, ...], export_s: float,
                 onnx_bytes: int) -> None:
        super().__init__()
        self.session, self.device = session, device
        self.provider = session.get_providers()[0]
        self.export_s, self.onnx_bytes = export_s, onnx_bytes
        self.version = _onnxruntime().__version__
        self.training = False
        self.ends_with_softmax = False  # set by create() from the torch model
        self._gpu = device.type == "cuda"
        if self._gpu:
            self._binding = session.io_binding()
            self._out: torch.Tensor | None = None
            self._out_shape = out_shape

    @classmethod
    def create(cls, model: torch.nn.Module, input_shape: tuple[int, ...], device: torch.device,
               config: RunConfig) -> OrtModel:
        providers = check_backend(config, device)
        ort = _onnxruntime()
        t0 = time.perf_counter()
        onnx = export_bytes(model, input_shape)
        with torch.inference_mode():
            out_shape = tuple(model.eval()(torch.zeros(1, *input_shape, device=_device_of(model))).shape[1:])
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # errors only: its warnings about unused initializers are not the user's
        if config.threads:
            opts.intra_op_num_threads = config.threads
        options: list[dict[str, str]] = []
        for p in providers:
            o = {}
            if p in GPU_PROVIDERS:
                o["device_id"] = str(device.index or 0)
                if p == "CUDAExecutionProvider":  # run on torch's stream: the input is ready when ORT reads it
                    o["user_compute_stream"] = str(torch.cuda.current_stream(device).cuda_stream)
                    # ORT's CUDA provider uses TF32 unless told not to; PyTorch's fp32 does not: the same
                    # precision on both sides, or the comparison measures TF32 against fp32
                    o["use_tf32"] = "1" if config.precision == "tf32" else "0"
            options.append(o)
        if device.type == "cuda" and hasattr(ort, "preload_dlls"):
            # onnxruntime-gpu finds the CUDA and cuDNN libraries of the pip nvidia-* packages (those
            # torch's CUDA build installed) only once they are preloaded
            ort.preload_dlls()
        try:
            session = ort.InferenceSession(onnx, sess_options=opts, providers=providers, provider_options=options)
        except Exception as exc:  # noqa: BLE001 - ORT's errors are one kind per cause; the user needs one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Unsupported(f"backend onnxruntime: the session could not be made: {first[:300]}") from exc
        ran = session.get_providers()
        if device.type == "cuda" and not any(p in GPU_PROVIDERS for p in ran):
            # ORT falls back to its CPU provider when a GPU provider's libraries fail to load: a GPU run
            # measured on the CPU would be a wrong answer, not a slow one
            raise Unsupported(f"backend onnxruntime on {device}: the GPU providers ({', '.join(providers)}) did "
                              f"not load (their CUDA or cuDNN libraries are missing or of another CUDA version); "
                              f"the session has only {', '.join(ran)}")
        made = cls(session, device, out_shape, time.perf_counter() - t0, len(onnx))
        made.ends_with_softmax = bool(getattr(model, "ends_with_softmax", False))
        return made

    def train(self, mode: bool = True) -> OrtModel:  # an inference session has no training mode
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._gpu:
            return torch.from_numpy(self.session.run(None, {"input": x.contiguous().numpy()})[0])
        x = x.contiguous()
        n = x.shape[0]
        if self._out is None or self._out.shape[0] != n:
            self._out = torch.empty((n, *self._out_shape), dtype=torch.float32, device=self.device)
        b, idx = self._binding, self.device.index or 0
        b.bind_input("input", "cuda", idx, np.float32, tuple(x.shape), x.data_ptr())
        b.bind_output("output", "cuda", idx, np.float32, tuple(self._out.shape), self._out.data_ptr())
        self.session.run_with_iobinding(b)
        return self._out


def _device_of(model: torch.nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")
