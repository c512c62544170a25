"""Convolution algorithms: their names, what each can compute, and the im2col buffer. Torch-free.

The run option `conv_algo` picks one algorithm for every Conv2d; a Conv2d node's own `algo`
parameter overrides it for that layer ("run": follow the run option). The torch code is in
`engine.net.conv_algos`; this module holds the rules the validator, the run option, the inspector
and the run loop share, so they cannot disagree about where an algorithm applies.
"""
from __future__ import annotations

from typing import Any, Literal, get_args

ConvAlgo = Literal["library", "direct", "im2col", "fft", "winograd"]
CONV_ALGOS: tuple[str, ...] = get_args(ConvAlgo)
FOLLOW_RUN = "run"  # a node's `algo` that follows the run option
NODE_CHOICES: tuple[str, ...] = (FOLLOW_RUN, *CONV_ALGOS)

# One line each: what it does, when it pays (tooltips, CLI help, docs).
ALGO_DOCS: dict[str, str] = {
    "library": "torch's conv2d (cuDNN on NVIDIA GPUs, oneDNN on CPUs): the tuned default, usually fastest",
    "direct": "a loop over the kernel's positions, one small matrix product each: for teaching, slow",
    "im2col": "unfold the input into columns, then one matrix product: fast GEMM, large extra buffer",
    "fft": "multiply in the frequency domain (torch.fft): pays only for large kernels (7x7 and up)",
    "winograd": "Winograd F(2x2,3x3), 2.25x fewer multiplies: 3x3 kernels, stride 1, dilation 1, groups 1 only",
}
NODE_DOC = ("how this layer's convolution is computed; run: the run's choice (Conv algorithm). library is tuned, "
            "usually fastest; im2col is one GEMM with a large buffer; fft pays for large kernels; winograd for 3x3 "
            "stride 1; direct is for teaching, slow")


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def algo_problem(algo: str, values: dict[str, Any]) -> str | None:
    """Why `algo` cannot compute a Conv2d with these parameters, or None if it can."""
    if algo != "winograd":
        return None
    kernel, stride, dilation = _pair(values["kernel_size"]), _pair(values["stride"]), _pair(values["dilation"])
    why = []
    if kernel != (3, 3):
        why.append(f"a {kernel[0]}x{kernel[1]} kernel")
    if stride != (1, 1):
        why.append(f"stride {stride[0]}x{stride[1]}")
    if dilation != (1, 1):
        why.append(f"dilation {dilation[0]}x{dilation[1]}")
    if values["groups"] != 1:
        why.append(f"groups {values['groups']}")
    if not why:
        return None
    return ("Winograd F(2x2,3x3) computes 3x3 kernels with stride 1, dilation 1 and groups 1 only; "
            f"this layer has {', '.join(why)}")


def chosen_algo(node_algo: str | None, run_algo: str) -> tuple[str, str]:
    """(algorithm, where the choice came from: "layer" or "run")."""
    if node_algo and node_algo != FOLLOW_RUN:
        return node_algo, "layer"
    return run_algo, "run"


def im2col_buffer_bytes(values: dict[str, Any], in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                        batch: int, elem_bytes: int) -> int:
    """Bytes of the unfolded input im2col builds: batch x (C x kh x kw) x (out h x out w)."""
    kh, kw = _pair(values["kernel_size"])
    return batch * in_shape[0] * kh * kw * out_shape[1] * out_shape[2] * elem_bytes



def workspace_bytes(algo: str, values: dict[str, Any], in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                    elem_bytes: int, training: bool) -> tuple[int, int]:
    """The extra memory an algorithm builds for one Conv2d, beyond its output (an estimate, what
    engine.net.conv_algos allocates): (bytes per sample, bytes independent of the batch).

    im2col    the unfolded input, C x kh x kw x out h x out w in the compute dtype (kept for the backward)
    direct    training keeps each kernel position's input window for the backward: as large as im2col's
              buffer; inferring holds one window and the fp32 accumulator
    fft       the padded input's and the output's spectra (complex64, computed in fp32) per sample, and the
              kernel's spectrum (complex64, per output and input channel) once, twice with its copy
    winograd  the 4x4 tiles of the input (fp32 and the compute dtype) and of the product (fp32) per
              sample, the transformed kernel (fp32, 16 values per kernel) once
    library   none counted (the library's workspace is its own)"""
    kh, kw = _pair(values["kernel_size"])
    pad = _pair(values.get("padding", 0))
    c, h, w = in_shape[0], in_shape[1], in_shape[2]
    o, oh, ow = out_shape[0], out_shape[1], out_shape[2]
    groups = int(values.get("groups", 1))
    cols = c * kh * kw * oh * ow * elem_bytes
    if algo == "im2col":
        return cols, 0
    if algo == "direct":
        return (cols, 0) if training else (c * oh * ow * elem_bytes + 2 * o * oh * ow * 4, 0)
    if algo == "fft":
        hp, wp = h + 2 * pad[0], w + 2 * pad[1]
        freqs = hp * (wp // 2 + 1)
        return (c + o) * freqs * 8, 2 * o * (c // groups) * freqs * 8
    if algo == "winograd":
        tiles = 16 * ((oh + 1) // 2) * ((ow + 1) // 2)
        return tiles * (c * (4 + elem_bytes) + o * 4), o * c * 16 * 4
    return 0, 0


# How close each algorithm's output and gradients must be to the library's (tested per algorithm and
# precision): the largest difference divided by the largest magnitude of the library's result.
# fp32 rounding differs by summation order only; bf16 keeps 8 significant bits (2**-8 = 0.4 %), and
# Winograd rounds its transformed tiles to bf16 before the products, which the output transform
# then adds up: its bf16 bound is wider (its known numerical cost, Lavin & Gray 2016).
AGREEMENT_TOLERANCE: dict[str, float] = {"fp32": 1e-4, "bf16": 2e-2}
AGREEMENT_TOLERANCE_WINOGRAD: dict[str, float] = {"fp32": 1e-4, "bf16": 5e-2}


def agreement_tolerance(algo: str, precision: str) -> float:
    """The largest relative difference from the library allowed for `algo` at `precision`."""
    table = AGREEMENT_TOLERANCE_WINOGRAD if algo == "winograd" else AGREEMENT_TOLERANCE
    return table[precision]


def run_algo_problem(spec: Any, run_algo: str, precision: str = "fp32") -> str | None:
    """The run loop's refusal of the run option `conv_algo` (engine.run.conv_algo), said before a run
    starts (the run panel disables Start with it): the first Conv2d that follows the run's choice and
    that algorithm cannot compute, naming the layer. A layer's own `algo` is the validator's."""
    from engine.net.layers import LAYER_TYPES, check_params  # layers reads this module's names

    if run_algo == "library":
        return None
    for layer in spec.layers:
        if layer.type != "Conv2d":
            continue
        values, _ = check_params(LAYER_TYPES["Conv2d"], layer.params)
        algo, chosen_by = chosen_algo(values.get("algo"), run_algo)
        if chosen_by != "run":
            continue
        if precision == "int8":
            return (f"layer {layer.id!r} (conv_algo {algo}): int8 quantizes torch's own convolution; {algo} "
                    f"computes in floating point (choose the library algorithm, or another precision)")
        if (why := algo_problem(algo, values)) is not None:
            return f"layer {layer.id!r} (conv_algo {algo}): {why}"
    return None
