#!/usr/bin/env python3
"""The CUDA graph lever and compile parity, against the hand-written reference loop, in one call.

- lenet fp32 b256 train: engine eager, engine with --cuda-graph, and the reference loop; the lever
  must lift the engine >= 4x over its eager run.
- resnet9 bf16 channels-last b512 train: engine --compile default against the reference with the
  same setting; the engine must reach >= 0.98x.

Each repeat rotates the order of the sides so drift hits them alike; ratios are of the medians. By
default every run is a fresh process; `--in-process` runs them all in this one (no interpreter start
per run, so more repeats fit a call; dynamo's caches are reset before each run, so each side compiles
its own model, outside its timed window, as a fresh process would).

    python bench/bench_cuda_graph.py --repeats 3 --seconds 3 --out bench/results/cuda_graph_h200.json
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_engine_vs_reference as evr  # noqa: E402 - the sibling benchmark's runners

LENET = dict(net="lenet", precision="fp32", channels_last=False, batch=256, mode="train")
RESNET9 = dict(net="resnet9", precision="bf16", channels_last=True, batch=512, mode="train")
# group -> sides (label, "engine" | "reference", settings), and the check: (numerator, denominator, need)
GROUPS = {
    "lenet-fp32-b256-train": ([("engine eager", "engine", LENET),
                               ("engine cuda-graph", "engine", dict(LENET, cuda_graph=True)),
                               ("reference", "reference", LENET)],
                              ("engine cuda-graph", "engine eager", 4.0)),
    "resnet9-bf16-cl-b512-train-compile": ([("engine compile", "engine", dict(RESNET9, compile="default")),
                                            ("reference compile", "reference", dict(RESNET9, compile="default"))],
                                           ("engine compile", "reference compile", 0.98)),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--groups", default=",".join(GROUPS), help=f"comma list of {', '.join(GROUPS)}")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per run")
    p.add_argument("--warmup", type=int, default=20, help="warm-up steps (both sides)")
    p.add_argument("--sample-hz", type=float, default=10.0, help="engine telemetry rate (as a user's run has it)")
    p.add_argument("--reference", type=Path, default=evr.REFERENCE)
    p.add_argument("--in-process", action="store_true", help="all runs in this process (see above)")
    p.add_argument("--out", help="write the results as JSON here")
    a = p.parse_args()
    ref = a.reference.resolve()
    if not ref.is_file():
        p.error(f"{ref}: no reference loop there (give --reference PATH)")
    names = a.groups.split(",")
    if unknown := [n for n in names if n not in GROUPS]:
        p.error(f"unknown group(s) {unknown}; known: {', '.join(GROUPS)}")
    import torch
    device_name = torch.cuda.get_device_name(torch.device(a.device)) if a.device.startswith("cuda") else "cpu"
    print(f"device {a.device} ({device_name}), torch {torch.__version__}, {a.repeats} rotating repeats of "
          f"{a.seconds:g} s{', in one process' if a.in_process else ''}", flush=True)
    ref_module = evr._load_reference(str(ref)) if a.in_process else None

    def one(kind: str, cfg: dict) -> dict:
        if kind == "reference":
            cmd = evr._reference_cmd(cfg, a.device, a.seconds, a.warmup, ref)
        else:
            cmd = evr._engine_cmd(cfg, a.device, a.seconds, a.warmup, "preset", a.sample_hz, ref)
        if not a.in_process:
            return evr._run(cmd)
        torch._dynamo.reset()  # a fresh compile per run; without it, the 9th model of a class runs eager
        if kind == "reference":
            return evr.reference_in_process(ref_module, cmd)
        return evr.engine_child(json.loads(cmd[-1]), quiet=True)

    rows = []
    for name in names:
        sides, (num, den, need) = GROUPS[name]
        got: dict[str, list[float]] = {label: [] for label, _, _ in sides}
        extra: dict[str, list] = {label: [] for label, _, _ in sides}
        for rep in range(a.repeats):
            for label, kind, cfg in sides[rep % len(sides):] + sides[:rep % len(sides)]:
                line = one(kind, cfg)
                got[label].append(line["throughput_sps"])
                extra[label].append({k: line[k] for k in ("step_ms_p50", "step_ms", "compile")
                                     if isinstance(line.get(k), (int, float, dict))})  # the engine's compile facts
                print(f"  {name} #{rep + 1} {label:<18} {line['throughput_sps']:>12,.0f} samples/s", flush=True)
        medians = {label: statistics.median(v) for label, v in got.items()}
        ratio = medians[num] / medians[den]
        rows.append(dict(group=name, sides={label: dict(cfg, kind=kind) for label, kind, cfg in sides},
                         samples_per_s=got, medians=medians, details=extra,
                         check=f"{num} / {den}", ratio=ratio, required=need, passed=ratio >= need))
    print()
    for r in rows:
        print(r["group"])
        for label, m in r["medians"].items():
            print(f"  {label:<18} {m:>12,.0f} samples/s (median of {len(r['samples_per_s'][label])})")
        print(f"  {r['check']}: {r['ratio']:.3f}x (need {r['required']:g}x)  {'PASS' if r['passed'] else 'FAIL'}")
    if a.out:
        doc = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "device": a.device, "device_name": device_name,
               "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
               "host_cpu": evr._cpu_model(), "repeats": a.repeats, "seconds": a.seconds, "warmup": a.warmup,
               "sample_hz": a.sample_hz, "in_process": a.in_process, "command": " ".join(sys.argv), "results": rows}
        Path(a.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"written to {a.out}")
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
