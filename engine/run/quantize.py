"""int8 static post-training quantization for CPU inference (precision int8), through PyTorch 2
export quantization (pt2e) as torchao maintains it:

    torch.export -> prepare_pt2e(X86InductorQuantizer) -> calibrate on the run's data -> convert_pt2e

Convolutions and Linear layers get int8 weights (per channel) and uint8 activations whose ranges
were measured on real batches of the run's data set. Then, with Compile on, Inductor lowers the
graph to oneDNN's int8 kernels (weights prepacked: inductor's `freezing`): real int8 arithmetic.
With Compile off the converted graph runs as it stands: fp32 kernels between quantize and
dequantize steps, the numerics of int8 without its speed, so the result says `simulated`.

    model, forward, report = quantize_static_int8(model, data, config, input_shape)
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch

from engine.errors import Unsupported
from engine.results.result import QuantizationReport

CALIBRATION_SAMPLES = 512  # enough batches for stable activation ranges; a second or two on a small net
INDUCTOR_KERNELS = "oneDNN int8 (torch.compile, Inductor)"
REFERENCE_KERNELS = "reference: fp32 kernels between quantize/dequantize steps"
# Says how to get the real kernels (it said "compile off: fp32 kernels between quantize steps", the kernels line's words).
SIMULATED_WHY = "compile off; with --compile (Compile in the app) oneDNN's int8 kernels run"
QUIET_LOGGERS = ("torchao", "torch.utils._pytree")  # the second: "<enum 'KernelPreference'> ... register_constant()"


@contextlib.contextmanager
def quiet_torchao() -> Iterator[None]:
    """torchao reports the optional kernel libraries it cannot load, and the quantizers warn about
    layers they leave alone (the report lists them), and torch logs a deprecation when torchao's
    import registers its enums as pytree constants: none of it is the user's concern."""
    logs = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)


def pt2e_api() -> tuple[Any, Any, Any]:
    """(prepare_pt2e, convert_pt2e, quantizer module) from torchao; Unsupported naming what is missing."""
    try:
        with quiet_torchao():
            import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as xiq
            from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as exc:
        raise Unsupported(f"precision int8: static quantization needs torchao (pip install torchao; "
                          f"the 'quant' extra): {exc}") from None
    return prepare_pt2e, convert_pt2e, xiq


def quantize_static_int8(model: torch.nn.Module, data: Any, config: Any,
                         input_shape: tuple[int, ...]) -> tuple[torch.nn.Module, Callable[..., Any], QuantizationReport]:
    """The quantized model (eager: the reference kernels), the forward the run times (compiled when
    config.compile is set), and what was quantized."""
    prepare_pt2e, convert_pt2e, xiq = pt2e_api()
    model = model.eval()
    ids = {attr: lid for lid, attr in getattr(model, "module_names", {}).items()}
    example = data.next_batch(max(2, min(config.batch, CALIBRATION_SAMPLES)))[0]  # 1 would fix the batch size
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    with quiet_torchao():
        try:
            exported = torch.export.export(model, (example,), dynamic_shapes=({0: batch},)).module()
        except Exception as exc:  # noqa: BLE001 - a net export cannot trace is refused, with torch's reason
            raise Unsupported(f"precision int8: the network cannot be exported for quantization: "
                              f"{str(exc).splitlines()[0][:300]}") from None
        _mark_layer_sources(exported)
        quantizer = xiq.X86InductorQuantizer()
        quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
        prepared = prepare_pt2e(exported, quantizer)
        seen = 0
        with torch.no_grad():
            while seen < CALIBRATION_SAMPLES:
                x = data.next_batch(min(config.batch, CALIBRATION_SAMPLES - seen))[0]
                prepared(x)
                seen += len(x)
        quantized = convert_pt2e(prepared)
    from torchao.quantization.pt2e import allow_exported_model_train_eval
    allow_exported_model_train_eval(quantized)  # the loop and evaluation call .eval()/.train()
    layers, skipped = _quantized_layers(quantized, ids)
    if not layers and skipped:
        import torchao
        raise Unsupported(f"precision int8: torchao {torchao.__version__}'s X86 quantizer left every layer in "
                          f"floating point ({', '.join(skipped)}) on torch {torch.__version__}")
    if not layers:
        raise Unsupported("precision int8: this network has no convolution or Linear layer to quantize")
    if config.compile:
        forward = _compile_int8(quantized, config.compile, data.next_batch(config.batch)[0])
    else:
        forward = quantized
    report = QuantizationReport(
        method="static-ptq", layers=layers, skipped=skipped,
        kernels=INDUCTOR_KERNELS if config.compile else REFERENCE_KERNELS, compiled=bool(config.compile),
        simulated=not config.compile,
        simulated_why=None if config.compile else SIMULATED_WHY,
        calibration_samples=seen, calibration_data=config.dataset)
    return quantized, forward, report


_LAYER_TYPES = {"aten.conv2d.default": torch.nn.Conv2d, "aten.linear.default": torch.nn.Linear}


def _mark_layer_sources(graph_module: torch.fx.GraphModule) -> None:
    """The X86 quantizer finds convolutions and Linear layers by each node's `source_fn_stack`, which
    non-strict torch.export leaves empty; torch 2.13 then falls back on the module stack, torch 2.11
    does not and quantizes nothing. Filled here from the module stack, the same way."""
    for node in graph_module.graph.nodes:
        layer_type = _LAYER_TYPES.get(str(node.target)) if node.op == "call_function" else None
        stack = node.meta.get("nn_module_stack")
        if layer_type is None or node.meta.get("source_fn_stack") or not stack:
            continue
        fqn, owner = list(stack.values())[-1]
        owner_name = owner if isinstance(owner, str) else f"{owner.__module__}.{owner.__qualname__}"
        if owner_name == f"{layer_type.__module__}.{layer_type.__qualname__}":
            node.meta["source_fn_stack"] = [(fqn, layer_type)]


def _quantized_layers(graph_module: torch.fx.GraphModule, ids: dict[str, str]) -> tuple[list[str], list[str]]:
    """Layer ids of the convolutions and Linear layers whose weight comes dequantized from int8,
    and of those left in floating point."""
    weighted = {"aten.conv2d.default", "aten.linear.default", "aten.convolution.default"}

    def dequantized(a: Any) -> bool:
        # by name: the dequantize ops live in quantized_decomposed or torchao's namespace, by version
        return getattr(a, "op", None) == "call_function" and "dequantize" in str(a.target)

    done, left = [], []
    for node in graph_module.graph.nodes:
        if node.op != "call_function" or str(node.target) not in weighted:
            continue
        stack = node.meta.get("nn_module_stack") or {}
        path = list(stack.values())[-1][0] if stack else node.name
        lid = ids.get(path, path)
        w, x = node.args[1], node.args[0]
        int8 = dequantized(w) and dequantized(x)
        (done if int8 else left).append(lid)
    return done, left


def _compile_int8(model: torch.nn.Module, mode: str, example: torch.Tensor) -> Callable[..., Any]:
    """torch.compile with Inductor's freezing, which folds the int8 weights into prepacked oneDNN
    ones. Compiled here, on the run's batch: freezing must be on while Inductor compiles, and passed
    as a compile option it fails (torch 2.13: qconv_prepack under fake tensors), so it is set for the
    first call alone."""
    import torch._inductor.config as inductor_config
    forward = torch.compile(model, mode=mode)
    with inductor_config.patch(freezing=True), torch.inference_mode(), quiet_torchao():
        forward(example)
    return forward
