"""How far to trust a Place projection: measure resnet9 on the GPU (fp32, tf32, bf16 channels-last)
and on the host CPU, project each measured run onto the others' configurations, and report the
projection error; check the catalogue's entry for this GPU against measured peaks.

    python bench/bench_place_crosscheck.py --seconds 6 --out results.json [--md results.md]

The host CPU is not in the shipped catalogue; its peaks are measured here and written as a user
catalogue entry (how: measured), exactly as a user would add their own device.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = {  # name -> main.py run arguments
    "gpu-fp32": ["--device", "cuda", "--precision", "fp32", "--batch", "512"],
    "gpu-tf32": ["--device", "cuda", "--precision", "tf32", "--batch", "512"],
    "gpu-bf16-cl": ["--device", "cuda", "--precision", "bf16", "--channels-last", "--batch", "512"],
    "cpu-fp32": ["--device", "cpu", "--precision", "fp32", "--batch", "64"],
}
CPU_SECONDS = 4.0
CHECKS = [("gpu-fp32", "gpu-tf32"), ("gpu-fp32", "gpu-bf16-cl"), ("gpu-bf16-cl", "gpu-fp32"),
          ("gpu-fp32", "cpu-fp32"), ("cpu-fp32", "gpu-fp32"), ("cpu-fp32", "gpu-bf16-cl")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nets", default="resnet9", help="comma-separated presets")
    ap.add_argument("--modes", default="train", help="train, infer or train,infer")
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--md")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="place-bench-"))
    os.environ["TRADEOFF_LAB_DATA"] = str(data)
    from engine.place import cross_check, load_catalogue
    from engine.profile import measure_peaks
    from engine.results import RunStore

    gpu = measure_peaks("cuda:0", ("fp32", "tf32", "fp16", "bf16"))
    cpu = measure_peaks("cpu", ("fp32", "bf16"), matmul_n=2048)
    db = data / "runs.sqlite"
    groups = [(net, mode) for net in args.nets.split(",") for mode in args.modes.split(",")]
    ids: dict[tuple[str, str, str], str] = {}
    for net, mode in groups:
        for name, extra in RUNS.items():
            out = data / f"{net}-{mode}-{name}.json"
            seconds = CPU_SECONDS if name.startswith("cpu") else args.seconds
            cmd = [sys.executable, str(ROOT / "main.py"), "run", net, *extra, "--mode", mode,
                   "--seconds", str(seconds), "--warmup", "20", "--db", str(db), "--json", str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            print(net, mode, name, "exit", proc.returncode, proc.stderr.strip().splitlines()[-1:] if proc.returncode else "")
            if out.exists():
                ids[(net, mode, name)] = json.loads(out.read_text())["run_id"]
    store = RunStore(db)
    runs = {key: store.get(rid) for key, rid in ids.items()}
    cpu_run = next((r for (_, _, name), r in runs.items() if name == "cpu-fp32"), None)
    cpu_name = cpu_run.hardware.cpu_model if cpu_run else "cpu"
    user = {"sources": {"bench": {"title": "measured by bench/bench_place_crosscheck.py", "url": "bench/RESULTS.md"}},
            "targets": [{"id": "this-host-cpu", "name": f"this host's CPU ({cpu_name})", "place": "datacentre",
                         "kind": "cpu", "match": [cpu_name],
                         "peak_tflops": {p: {"value": v / 1e12, "source": "bench", "how": "measured"}
                                         for p, v in cpu.matmul_flops_per_s.items()},
                         "mem_bw_gbs": {"value": cpu.copy_bytes_per_s / 1e9, "source": "bench", "how": "measured"}}]}
    (data / "catalogue").mkdir(exist_ok=True)
    (data / "catalogue" / "host.json").write_text(json.dumps(user))
    catalogue = load_catalogue()
    checks = []
    for net, mode in groups:
        for src, dst in CHECKS:
            if (net, mode, src) in runs and (net, mode, dst) in runs:
                c = cross_check(runs[(net, mode, src)], runs[(net, mode, dst)], catalogue)
                checks.append({"net": net, "mode": mode, "from": src, "to": dst, **c})
                err = "n/a" if c["error"] is None else f"{c['error']:+.1%}"
                print(f"{net:10s} {mode:5s} {src:12s} -> {dst:12s} projected {c['projected_sps'] or 0:10.0f} "
                      f"measured {c['measured_sps'] or 0:10.0f} error {err} {c.get('reason') or ''}")
    h200 = catalogue.find_device(gpu.device_name)
    peak_check = {}
    if h200:
        for p, v in gpu.matmul_flops_per_s.items():
            cat = h200.peak_flops_per_s(p)
            peak_check[p] = {"measured_tflops": v / 1e12, "catalogue_tflops": cat / 1e12 if cat else None,
                             "measured_over_catalogue": v / cat if cat else None}
        peak_check["bandwidth"] = {"measured_gbs": gpu.copy_bytes_per_s / 1e9,
                                   "catalogue_gbs": h200.mem_bw_gbs.value if h200.mem_bw_gbs else None}
    result = {"nets": args.nets, "modes": args.modes, "seconds": args.seconds, "gpu_peaks": gpu.to_json_dict(),
              "cpu_peaks": cpu.to_json_dict(),
              "runs": {"/".join(k): {"run_id": r.run_id, "throughput_sps": r.throughput_sps} for k, r in runs.items()},
              "checks": checks, "catalogue_check": {"target": h200.id if h200 else None, **peak_check}}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(peak_check, indent=1))
    if args.md:
        lines = ["| net | mode | projected from | onto | projected samples/s | measured samples/s | error |",
                 "|---|---|---|---|---|---|---|"]
        for c in checks:
            err = "n/a" if c["error"] is None else f"{c['error']:+.0%}"
            lines.append(f"| {c['net']} | {c['mode']} | {c['from']} | {c['to']} | {c['projected_sps'] or 0:,.0f} | "
                         f"{c['measured_sps'] or 0:,.0f} | {err} |")
        Path(args.md).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
