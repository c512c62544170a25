"""What pruning and quantization buy on a GPU: 2:4 semi-structured sparse Linear layers (dense vs
2:4, fp16 and bf16, a large batch) on the mlp preset and on one large Linear, and torchao's fp8 and
int8 Linear layers where they run. Every figure is the median over repeats of CUDA-event-timed
forwards with a 95 % interval of the ratio; a variant that cannot run says why in one line.

    python3 bench/bench_prunequant.py --out OUT_DIR [--batch 16384] [--repeats 7]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from engine.net.build import build_model  # noqa: E402
from engine.net.presets import load_preset  # noqa: E402
from engine.results.stats import ratio_interval  # noqa: E402


def timed_sps(fn, x: torch.Tensor, repeats: int, iters: int) -> list[float]:
    """Samples per second of fn(x), one value per repeat (CUDA events around `iters` calls)."""
    with torch.inference_mode():
        for _ in range(3):
            fn(x)
        torch.cuda.synchronize()
        out = []
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(iters):
                fn(x)
            end.record()
            end.synchronize()
            out.append(iters * x.shape[0] / (start.elapsed_time(end) / 1e3))
    return out


def median(xs: list[float]) -> float:
    s = sorted(xs)
    return s[len(s) // 2]


def ratio_text(a: list[float], b: list[float]) -> tuple[str, dict]:
    try:
        r = ratio_interval(a, b)
    except ImportError:  # no scipy on this machine: the ratio of the medians and the spread of the repeats
        lo, hi = min(a) / max(b), max(a) / min(b)
        value = median(a) / median(b)
        return f"{value:.2f}x (repeats span {lo:.2f}-{hi:.2f}x)", {"ratio": value, "low": lo, "high": hi}
    if r is None:
        return "no ratio", {}
    return f"{r.value:.2f}x ({r.low:.2f}-{r.high:.2f}x){'' if r.conclusive else ', not conclusive'}", \
        {"ratio": r.value, "low": r.low, "high": r.high}


class Bench:
    def __init__(self, out: Path, repeats: int, iters: int) -> None:
        self.out, self.repeats, self.iters = out, repeats, iters
        self.lines: list[str] = []
        self.rows: list[dict] = []

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)

    def compare(self, label: str, base_name: str, base, variants: dict, x: torch.Tensor, note: str = "") -> None:
        """base and each variant: a callable; a variant given as a string is the reason it could not run."""
        base_sps = timed_sps(base, x, self.repeats, self.iters)
        self.say(f"- {label}: {base_name} {median(base_sps):,.0f} samples/s (median of {self.repeats}){note}")
        for name, fn in variants.items():
            if isinstance(fn, str):
                self.say(f"  - {name}: not run: {fn}")
                self.rows.append({"case": label, "variant": name, "skipped": fn})
                continue
            try:
                sps = timed_sps(fn, x, self.repeats, self.iters)
            except Exception as exc:  # noqa: BLE001 - one line per variant that fails, the rest still run
                why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                self.say(f"  - {name}: failed: {why}")
                self.rows.append({"case": label, "variant": name, "failed": why})
                continue
            text, nums = ratio_text(sps, base_sps)
            self.say(f"  - {name}: {median(sps):,.0f} samples/s = {text} {base_name}")
            self.rows.append({"case": label, "variant": name, "sps": sps, "base_sps": base_sps, **nums})

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "prunequant.md").write_text("\n".join(self.lines) + "\n")
        (self.out / "prunequant.json").write_text(json.dumps(self.rows, indent=1))


def semi_structured(model: nn.Module, dtype: torch.dtype, network_spec) -> tuple[nn.Module, nn.Module, list[str]]:
    """The engine's 2:4 path: prune_model (2:4 magnitude masks) then to_semi_structured; also the
    masked model kept dense, to check that the sparse kernels compute the same."""
    import copy

    from engine.results.result import NetworkSummary
    from engine.run.config import RunConfig
    from engine.run.prune import prune_model, to_semi_structured
    cfg = RunConfig(device="cuda", mode="infer", precision="bf16" if dtype == torch.bfloat16 else "fp16", prune="2:4")
    net = NetworkSummary(name="mlp", params=0, flops_per_sample=0, spec=network_spec)
    model, _, report = prune_model(model, net, cfg, torch.device("cuda"))
    model = model.cuda().to(dtype)  # as the run loop does: on the device first, then the sparse weights
    masked = copy.deepcopy(model)
    to_semi_structured(model, dtype, report)
    return model, masked, report.layers


def torchao_linear(model: nn.Module, kind: str) -> nn.Module:
    """torchao's quantized Linear layers (weights and activations), on layers whose shapes the kernels take."""
    from torchao.quantization import (
        Float8DynamicActivationFloat8WeightConfig,
        Int8DynamicActivationInt8WeightConfig,
        PerRow,
        quantize_,
    )
    config = {"fp8": lambda: Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()),
              "int8": Int8DynamicActivationInt8WeightConfig}[kind]()

    def fits(m: nn.Module, _fqn: str) -> bool:
        return isinstance(m, nn.Linear) and m.in_features % 16 == 0 and m.out_features % 16 == 0
    quantize_(model, config, filter_fn=fits)
    return model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--batch", type=int, default=16384)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    b = Bench(args.out, args.repeats, args.iters)
    if not torch.cuda.is_available():
        b.say("no CUDA GPU here: nothing to measure")
        b.write()
        return 0
    cc = torch.cuda.get_device_capability()
    b.say(f"## prunequant on {torch.cuda.get_device_name()} (cc {cc[0]}.{cc[1]}), torch {torch.__version__}, "
          f"batch {args.batch}")
    try:
        logging.getLogger("torchao").setLevel(logging.ERROR)
        import torchao
        ao = f"torchao {torchao.__version__}"
    except Exception as exc:  # noqa: BLE001 - a torchao that does not import against this torch: say so
        ao = None
        b.say(f"torchao does not import here ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}): fp8 and "
              f"torchao int8 are not measured")
    if ao:
        b.say(f"{ao} imports")
    warnings.simplefilter("ignore")
    spec = load_preset("mlp")
    spec_dict = spec.model_dump(mode="json", exclude_none=True)
    t0 = time.time()
    for dtype in (torch.bfloat16, torch.float16):
        name = str(dtype).removeprefix("torch.")
        x = torch.randn(args.batch, 1, 28, 28, device="cuda", dtype=dtype)
        dense = build_model(spec).cuda().to(dtype).eval()
        variants: dict = {}
        try:
            sparse, masked, layers = semi_structured(build_model(spec).eval(), dtype, spec_dict)
            with torch.inference_mode():
                diff = (sparse(x[:256]).float() - masked(x[:256]).float()).abs().max().item()
            b.say(f"  2:4 {name}: sparse kernels vs the same masked weights dense: max |diff| {diff:.3g}")
            variants[f"2:4 sparse ({', '.join(layers)})"] = sparse
        except Exception as exc:  # noqa: BLE001
            variants["2:4 sparse"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if ao:
            for kind in ("fp8", "int8"):
                if kind == "fp8" and cc < (8, 9):
                    variants["torchao fp8"] = f"fp8 needs compute capability 8.9 or newer; this GPU is {cc[0]}.{cc[1]}"
                    continue
                try:
                    variants[f"torchao {kind} (dynamic activations)"] = torchao_linear(
                        build_model(spec).cuda().to(dtype).eval(), kind)
                except Exception as exc:  # noqa: BLE001
                    variants[f"torchao {kind}"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        b.compare(f"mlp preset, {name}", f"dense {name}", dense, variants, x)
    for dtype in (torch.bfloat16, torch.float16):  # the reference case: one large Linear
        name = str(dtype).removeprefix("torch.")
        n = 8192
        x = torch.randn(n, n, device="cuda", dtype=dtype)
        lin = nn.Linear(n, n, bias=False).cuda().to(dtype).eval()
        variants = {}
        try:
            from torch.sparse import to_sparse_semi_structured

            from engine.run.prune import _two_of_four_mask
            sp = nn.Linear(n, n, bias=False).cuda().to(dtype).eval()
            with torch.no_grad():
                sp.weight.copy_(lin.weight * _two_of_four_mask(lin.weight))
            sp.weight = nn.Parameter(to_sparse_semi_structured(sp.weight.detach()), requires_grad=False)
            variants["2:4 sparse"] = sp
        except Exception as exc:  # noqa: BLE001
            variants["2:4 sparse"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if ao and cc >= (8, 9):
            try:
                big = nn.Sequential(nn.Linear(n, n, bias=False)).cuda().to(dtype).eval()
                variants["torchao fp8"] = torchao_linear(big, "fp8")
            except Exception as exc:  # noqa: BLE001
                variants["torchao fp8"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        b.compare(f"Linear {n}x{n}, batch {n}, {name}", f"dense {name}", lin, variants, x)
    b.say(f"({time.time() - t0:.0f} s)")
    b.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
