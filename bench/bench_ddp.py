#!/usr/bin/env python3
"""Data parallelism on two GPUs: the app against a hand-written DDP loop, and the app's pipeline, in one call.

    python3 bench/bench_ddp.py --out $OUT/ddp [--steps 600] [--net resnet9] [--batch 512]

1. The hand-written loop (bench/bench_ddp_reference.py, started by torch.distributed.run) on 1 GPU,
   then on 2 GPUs with each DDP knob set below.
2. The app: its 1-GPU run (`main.py run --device cuda:0`), then a sweep over the same knob sets on
   cuda:0+cuda:1 (`main.py sweep --device-sets cuda:0+cuda:1 ...`); each 2-GPU run divides by the
   app's own 1-GPU run from the history (scaling_efficiency).
3. The app's pipeline on the same net and batch (the net split into 2 stages, one per GPU:
   `main.py run --devices cuda:0,cuda:1 --parallel pipeline`), GPipe and 1F1B, against the same
   1-GPU run: throughput, efficiency, measured idle (bubble) share beside the ideal (S-1)/(M+S-1).
4. A table (efficiency of each side, per knob set; the pipeline rows) in OUT/ddp.md and OUT/ddp.json,
   and the app's report of its runs (OUT/ddp_report.html / .json) for docs/examples/.

Needs two GPUs; with fewer it says so and stops. resnet9 bf16 channels-last, batch per GPU 512.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOBS = {  # name -> (reference flags, app sweep values)
    "default": ([], {"bucket": 25, "view": "off", "static": "off", "compress": "off"}),
    "bucket100+view+static": (["--bucket-cap-mb", "100", "--grad-as-bucket-view", "--static-graph"],
                              {"bucket": 100, "view": "on", "static": "on", "compress": "off"}),
    "bucket100+view+static+bf16": (["--bucket-cap-mb", "100", "--grad-as-bucket-view", "--static-graph",
                                    "--compress", "bf16"],
                                   {"bucket": 100, "view": "on", "static": "on", "compress": "bf16"}),
    "bucket25+view+static+bf16": (["--bucket-cap-mb", "25", "--grad-as-bucket-view", "--static-graph",
                                   "--compress", "bf16"],
                                  {"bucket": 25, "view": "on", "static": "on", "compress": "bf16"}),
}
PIPELINES = (("gpipe", 8), ("1f1b", 8), ("gpipe", 32))  # (schedule, micro-batches) on 2 GPUs


def sh(cmd: list[str], log: Path) -> str:
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    log.open("a").write(f"$ {' '.join(cmd)}\n{p.stdout}\n{p.stderr}\n")
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-2000:], flush=True)
    return p.stdout


def reference(nproc: int, flags: list[str], a: argparse.Namespace, log: Path) -> dict | None:
    out = sh([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
              "bench/bench_ddp_reference.py", "--net", a.net, "--precision", "bf16", "--channels-last",
              "--batch", str(a.batch), "--steps", str(a.steps), *flags], log)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--net", default="resnet9")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--steps", type=int, default=600)
    a = p.parse_args()
    import torch
    if torch.cuda.device_count() < 2:
        print(f"bench_ddp: needs 2 GPUs, this machine has {torch.cuda.device_count()}: nothing measured")
        return 0
    a.out.mkdir(parents=True, exist_ok=True)
    log = a.out / "ddp_log.txt"
    data = a.out / "data"
    os.environ["TRADEOFF_LAB_DATA"] = str(data)

    ref1 = reference(1, [], a, log)
    refs = {name: reference(2, flags, a, log) for name, (flags, _app) in KNOBS.items()}

    common = ["--precision", "bf16", "--channels-last", "--batch", str(a.batch), "--steps", str(a.steps)]
    sh([sys.executable, "main.py", "run", a.net, "--device", "cuda:0", *common, "--json", str(a.out / "app_1gpu.json")],
       log)
    for name, (_flags, k) in KNOBS.items():  # one sweep per knob set: exactly these combinations
        sh([sys.executable, "main.py", "sweep", a.net, "--devices", "cuda:0", "--device-sets", "cuda:0+cuda:1",
            "--precisions", "bf16", "--channels-last-options", "on", "--batches", str(a.batch), "--steps", str(a.steps),
            "--bucket-cap-mb-options", str(k["bucket"]), "--gradient-as-bucket-view-options", k["view"],
            "--static-graph-options", k["static"], "--ddp-compress-options", k["compress"], "--cooldown", "0",
            "--out", str(a.out / f"sweep_{name}")], log)

    for schedule, micro in PIPELINES:  # the net split into 2 stages, same batch, same 1-GPU run to divide by
        if a.batch % micro == 0:
            sh([sys.executable, "main.py", "run", a.net, "--devices", "cuda:0,cuda:1", "--parallel", "pipeline",
                "--pipeline-schedule", schedule, "--microbatches", str(micro), "--precision", "bf16",
                "--channels-last", "--batch", str(a.batch), "--steps", str(max(50, a.steps // 2)),
                "--json", str(a.out / f"app_pipeline_{schedule}_m{micro}.json")], log)

    sys.path.insert(0, str(ROOT))
    from engine.results.store import RunStore
    store = RunStore(data / "runs.sqlite")
    runs = [store.get(r.run_id) for r in store.list()]
    jobs = [r for r in runs if r and r.parallel is not None and r.parallel.kind == "data"]
    pipes = [r for r in runs if r and r.parallel is not None and r.parallel.kind == "pipeline"]
    rows = []
    ref_base = ref1["samples_per_s"] if ref1 else None
    for name, (_flags, k) in KNOBS.items():
        ref = refs.get(name)
        app = next((r for r in jobs if r.config.bucket_cap_mb == k["bucket"]
                    and r.config.gradient_as_bucket_view == (k["view"] == "on")
                    and r.config.static_graph == (k["static"] == "on")
                    and (r.config.ddp_compress or "off") == k["compress"]), None)
        rows.append({
            "knobs": name,
            "reference_2gpu_sps": ref["samples_per_s"] if ref else None,
            "reference_efficiency": ref["samples_per_s"] / (2 * ref_base) if ref and ref_base else None,
            "app_2gpu_sps": app.throughput_sps if app else None,
            "app_efficiency": app.scaling_efficiency if app else None,
            "app_1gpu_sps": app.parallel.baseline_throughput_sps if app else None,
            "app_communication_share": app.communication_share if app else None,
            "app_status": app.status if app else "missing", "app_run_id": app.run_id if app else None})
    pipe_rows = []
    for schedule, micro in PIPELINES:
        r = next((r for r in pipes if r.config.pipeline_schedule == schedule and r.parallel.microbatches == micro),
                 None)
        pipe_rows.append({
            "schedule": schedule, "microbatches": micro, "app_2gpu_sps": r.throughput_sps if r else None,
            "app_efficiency": r.scaling_efficiency if r else None,
            "app_1gpu_sps": r.parallel.baseline_throughput_sps if r else None,
            "bubble_share": r.parallel.bubble_share if r else None,
            "ideal_bubble_share": r.parallel.ideal_bubble_share if r else None,
            "stages": [{"layers": f"{s.layers[0]}..{s.layers[-1]}", "flops_share": s.flops_share,
                        "busy_share": s.busy_share} for s in r.parallel.stages] if r else [],
            "app_status": r.status if r else "missing", "error": r.error if r else None,
            "app_run_id": r.run_id if r else None})
    summary = {"net": a.net, "batch_per_gpu": a.batch, "steps": a.steps, "reference_1gpu_sps": ref_base,
               "device": ref1.get("device") if ref1 else None, "torch": torch.__version__, "rows": rows,
               "pipeline_rows": pipe_rows}
    (a.out / "ddp.json").write_text(json.dumps(summary, indent=2) + "\n")

    def pct(x: float | None) -> str:
        return f"{x:.1%}" if x is not None else "–"

    def sps(x: float | None) -> str:
        return f"{x:,.0f}" if x is not None else "–"
    md = [f"# Data parallel, {a.net} bf16 channels-last, batch {a.batch}/GPU, {a.steps} steps, 2 GPUs "
          f"({summary['device']}, torch {torch.__version__})", "",
          f"1 GPU: reference {sps(ref_base)} samples/s, app {sps(rows[0]['app_1gpu_sps'])} samples/s", "",
          "| DDP knobs | reference 2 GPUs | reference efficiency | app 2 GPUs | app efficiency | app all-reduce share |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['knobs']} | {sps(r['reference_2gpu_sps'])} | {pct(r['reference_efficiency'])} | "
                  f"{sps(r['app_2gpu_sps'])} | {pct(r['app_efficiency'])} | {pct(r['app_communication_share'])} |")
    md += ["", f"Pipeline: the net split into 2 stages (one per GPU), batch {a.batch} in micro-batches, against "
           f"the same 1-GPU run; bubble = measured idle share of the stages, ideal = (S-1)/(M+S-1)", "",
           "| schedule | micro-batches | app 2 GPUs | efficiency | bubble (measured) | bubble (ideal) | stages "
           "(FLOPs share, busy) | status |", "|---|---|---|---|---|---|---|---|"]
    for r in pipe_rows:
        stages = "; ".join(f"{s['layers']} ({pct(s['flops_share'])}, busy {pct(s['busy_share'])})" for s in r["stages"])
        md.append(f"| {r['schedule']} | {r['microbatches']} | {sps(r['app_2gpu_sps'])} | {pct(r['app_efficiency'])} | "
                  f"{pct(r['bubble_share'])} | {pct(r['ideal_bubble_share'])} | {stages or '–'} | "
                  f"{r['app_status']}{': ' + r['error'][:200] if r['error'] else ''} |")
    (a.out / "ddp.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    sh([sys.executable, "main.py", "report", "--last", str(len(runs)), "--html", str(a.out / "ddp_report.html"),
        "--json", str(a.out / "ddp_report.json")], log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
