"""`python main.py validate NET [--json] [--batch N]`: per layer the output shape, parameters, forward
FLOPs and activation bytes, with totals (incl. a training step); or every error, each naming its
layer, and exit 2. Torch-free."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.cli import EXIT_BAD_INPUT, EXIT_OK, BadInput
from engine.cli.netload import resolve
from engine.format import byte_size, count
from engine.net.analysis import Analysis, Problem, analyze
from engine.net.shapes import fmt
from engine.net.spec import NetworkSpec


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("validate", help="check a network; per-layer shapes, params, FLOPs, memory",
                              description="Check a network and show, per layer, its output shape, parameters, "
                                          "forward FLOPs (2 per multiply-add) and activation bytes, with totals "
                                          "for the net and a training step. A broken network lists every error, "
                                          "each naming its layer, and exits with code 2.")
    p.add_argument("net", metavar="NET", help="a preset name (lenet, mlp, resnet9, ...) or a spec file")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.add_argument("--batch", type=int, default=1, metavar="N",
                   help="also give the totals for one step of N samples (default 1)")
    p.set_defaults(command="validate")


def main(args: argparse.Namespace) -> int:
    if args.batch < 1:
        raise BadInput(f"--batch must be 1 or more, got {args.batch}")
    spec = resolve(args.net)
    analysis = analyze(spec)
    if args.json:
        print(json.dumps(to_dict(spec, analysis, args.batch), indent=2))
    elif analysis.ok:
        print(render(spec, analysis, args.batch))
    else:
        sys.stderr.write(f"{args.net}: {len(analysis.problems)} error(s)\n")
        for problem in analysis.problems:
            sys.stderr.write(f"error: {problem}\n")
    return EXIT_OK if analysis.ok else EXIT_BAD_INPUT


def _problem(p: Problem) -> dict[str, Any]:
    return {"layer_id": p.layer_id, "field": p.field, "message": p.message}


def to_dict(spec: NetworkSpec, a: Analysis, batch: int = 1) -> dict[str, Any]:
    return {
        "name": spec.name, "ok": a.ok, "input_shape": list(spec.input.shape), "output": a.output_id,
        "output_shape": list(a.output_shape) if a.output_shape else None, "num_classes": spec.num_classes,
        "layers": [{"id": i.layer_id, "type": i.type,
                    "output_shape": list(i.output_shape) if i.output_shape else None, "params": i.params,
                    "flops": i.flops, "activation_bytes": i.activation_bytes, "feeds_output": i.feeds_output}
                   for i in a.layers.values()],
        "totals": {"params": a.total_params, "param_bytes_fp32": 4 * a.total_params,
                   "flops_per_sample": a.total_flops, "binary_flops_per_sample": a.binary_flops,
                   "train_flops_per_sample": a.train_flops,
                   "activation_bytes_per_sample": a.activation_bytes, "batch": batch,
                   "flops_per_step_infer": a.total_flops * batch, "flops_per_step_train": a.train_flops * batch},
        "problems": [_problem(p) for p in a.problems],
        "warnings": [_problem(p) for p in a.warnings],
    }


def render(spec: NetworkSpec, a: Analysis, batch: int = 1) -> str:
    rows = [("id", "type", "output shape", "params", "FLOPs", "activations")]
    rows.append(("input", "Input", fmt(tuple(spec.input.shape)), "", "", ""))
    for i in a.layers.values():
        mark = "" if i.feeds_output else " *"
        rows.append((i.layer_id + mark, i.type, fmt(i.output_shape) if i.output_shape else "?",
                     f"{i.params:,}", count(i.flops), byte_size(i.activation_bytes)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    right = {3, 4, 5}
    lines = [f"{spec.name}: {len(a.layers)} layers, input {fmt(tuple(spec.input.shape))} -> output "
             f"{fmt(a.output_shape) if a.output_shape else '?'} ('{a.output_id}')", ""]
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "per sample (FLOPs: 2 per multiply-add; activations: fp32 outputs of every layer):",
              f"  parameters        {a.total_params:,} ({byte_size(4 * a.total_params)} in fp32)",
              f"  forward FLOPs     {count(a.total_flops)}" + (
                  f" ({count(a.binary_flops)} of them binary ops of binarized layers, run as float arithmetic: "
                  f"speed simulated)" if a.binary_flops else ""),
              f"  training FLOPs    {count(a.train_flops)} (forward + backward, ~3x forward)",
              f"  activations       {byte_size(a.activation_bytes)}"]
    if batch > 1:
        lines += [f"per step of batch {batch}:",
                  f"  inference FLOPs   {count(a.total_flops * batch)}",
                  f"  training FLOPs    {count(a.train_flops * batch)}",
                  f"  activations       {byte_size(a.activation_bytes * batch)}"]
    for w in a.warnings:
        lines.append(f"warning: {w}")
    if a.warnings:
        lines.append("(* = does not feed the output; not built, not in the totals)")
    return "\n".join(lines)
