#!/usr/bin/env python3
"""Engine vs the hand-written reference loop, back to back on the same device.

For each configuration, N repeats alternate the order (reference then engine, engine then reference)
so drift (clocks, temperature, a neighbour on a shared CPU) hits both sides alike. Each side runs in
its own fresh process: the reference as `reference/reference_loop.py`, the engine through the run
loop API (`engine.run.loop.run`, telemetry sampler on, as a user's run has it). Throughput is samples
over the timed window on both sides; the ratio is median(engine) / median(reference).

    python bench/bench_engine_vs_reference.py --device cuda --repeats 3 --out bench/gpu.json
    python bench/bench_engine_vs_reference.py --device cpu --configs lenet-fp32-b256-train --out /tmp/cpu.json

Needs torch, pydantic and platformdirs (engine/), nothing of the GUI. `--models reference` runs the
reference's own nn.Modules in the engine loop, which separates the loop's cost from the model builder's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# reference/ is git-ignored (a copy of the peer reference loop): look in both places; --reference overrides.
REFERENCE = next((p for p in (ROOT / "reference" / "reference_loop.py",
                              ROOT.parent / "shared" / "reference" / "reference_loop.py",
                              ROOT / "shared" / "reference" / "reference_loop.py") if p.is_file()),
                 ROOT / "reference" / "reference_loop.py")

# name -> settings, and the ratio the issue requires on GPU / CPU
CONFIGS = {
    "resnet9-bf16-cl-b512-train": dict(net="resnet9", precision="bf16", channels_last=True, batch=512, mode="train"),
    "resnet9-bf16-cl-b512-infer": dict(net="resnet9", precision="bf16", channels_last=True, batch=512, mode="infer"),
    "lenet-fp32-b256-train": dict(net="lenet", precision="fp32", channels_last=False, batch=256, mode="train"),
}
GPU_CONFIGS = tuple(CONFIGS)
CPU_CONFIGS = ("lenet-fp32-b256-train",)
REQUIRED = {"cuda": 0.98, "cpu": 0.95}


def _reference_cmd(cfg: dict, device: str, seconds: float, warmup: int, ref: Path) -> list[str]:
    cmd = [sys.executable, str(ref), "--net", cfg["net"], "--device", device, "--precision", cfg["precision"],
           "--batch", str(cfg["batch"]), "--mode", cfg["mode"], "--seconds", str(seconds), "--warmup", str(warmup)]
    cmd += ["--compile", cfg["compile"]] if cfg.get("compile") else []
    return cmd + (["--channels-last"] if cfg["channels_last"] else [])


def _engine_cmd(cfg: dict, device: str, seconds: float, warmup: int, models: str, sample_hz: float,
                ref: Path) -> list[str]:
    child = dict(cfg, device=device, seconds=seconds, warmup=warmup, models=models, sample_hz=sample_hz,
                 reference=str(ref))
    return [sys.executable, str(Path(__file__).resolve()), "--engine-child", json.dumps(child)]


def _last_json_line(out: str) -> dict:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


def _run(cmd: list[str], env: dict | None = None) -> dict:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {proc.returncode}: {proc.stderr.strip()[-1500:]}")
    return _last_json_line(proc.stdout)


def _load_reference(path: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location("reference_loop", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    return ref


def reference_in_process(ref, cmd: list[str]) -> dict:
    """reference_loop.main() in this process, with the command line it would get as a script."""
    import contextlib
    import io
    out, argv = io.StringIO(), sys.argv
    sys.argv = [cmd[1], *cmd[2:]]
    try:
        with contextlib.redirect_stdout(out):
            ref.main()
    finally:
        sys.argv = argv
    return _last_json_line(out.getvalue())


def engine_child(child: dict, quiet: bool = False) -> dict:
    """One engine run in this process; prints one JSON line like the reference does."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from engine.run.config import RunConfig
    from engine.run.loop import run, run_model

    config = RunConfig(device=child["device"], precision=child["precision"], batch=child["batch"],
                       mode=child["mode"], seconds=child["seconds"], warmup=child["warmup"],
                       channels_last=child["channels_last"], sample_hz=child["sample_hz"], idle_baseline_s=0.0,
                       dataset="synthetic", compile=child.get("compile"), cuda_graph=child.get("cuda_graph", False))
    if child["models"] == "reference":
        from engine.results.result import NetworkSummary
        make, shape = _load_reference(child["reference"]).NETS[child["net"]]
        result = run_model(make, NetworkSummary(name=child["net"], params=0, flops_per_sample=0), shape, 10, config)
    else:
        from engine.net.presets import resolve_net
        result = run(resolve_net(child["net"]), config)
    if result.status != "ok":
        raise SystemExit(f"engine run {result.status}: {result.error}")
    line = {"throughput_sps": result.throughput_sps, "steps": result.steps, "seconds": result.measured_s,
            "step_ms_p50": result.step_time_s.p50 * 1e3, "device_name": result.hardware.device_name,
            "gpu_peak_allocated_bytes": result.memory_bytes.gpu_peak_allocated,
            "energy_per_sample_j": result.energy_per_sample_j.total,
            "compile": result.compile.model_dump() if result.compile else None}
    if not quiet:
        print(json.dumps(line), flush=True)
    return line


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available)")
    p.add_argument("--configs", default=None, help=f"comma list of {', '.join(CONFIGS)} "
                                                   "(default: all on a GPU, the lenet one on a CPU)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5.0, help="timed seconds per run (both sides)")
    p.add_argument("--warmup", type=int, default=20, help="warm-up steps (both sides; the reference's default)")
    p.add_argument("--models", choices=("preset", "reference"), default="preset",
                   help="engine side: presets built by engine.net.build, or the reference's nn.Modules")
    p.add_argument("--sample-hz", type=float, default=10.0, help="engine telemetry rate (0: off)")
    p.add_argument("--cpu-threads", type=int, default=None, metavar="N",
                   help="OMP/MKL threads for both sides (default: torch's own choice, as a user gets)")
    p.add_argument("--in-process", action="store_true",
                   help="run both sides in this one process (reference_loop.main() and engine.run.loop.run), "
                        "alternating: no start-up per run, so many short repeats fit; for noisy shared CPUs")
    p.add_argument("--out", help="write the results as JSON here")
    p.add_argument("--reference", type=Path, default=None, help=f"reference_loop.py (default {REFERENCE})")
    p.add_argument("--engine-child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.engine_child:
        engine_child(json.loads(a.engine_child))
        return 0

    ref = (a.reference or REFERENCE).resolve()
    if not ref.is_file():
        p.error(f"{ref}: no reference loop there (give --reference PATH)")
    import torch
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    kind = "cuda" if device.startswith("cuda") else "cpu"
    names = a.configs.split(",") if a.configs else list(GPU_CONFIGS if kind == "cuda" else CPU_CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        p.error(f"unknown config(s) {unknown}; known: {', '.join(CONFIGS)}")
    device_name = torch.cuda.get_device_name(torch.device(device)) if kind == "cuda" else _cpu_model()
    print(f"device {device} ({device_name}), torch {torch.__version__}, {a.repeats} alternating repeats of "
          f"{a.seconds:g} s, engine models: {a.models}{', in one process' if a.in_process else ''}", flush=True)
    ref_module = _load_reference(str(ref)) if a.in_process else None
    if a.in_process and a.cpu_threads:
        torch.set_num_threads(a.cpu_threads)
    env = None
    if a.cpu_threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(a.cpu_threads), MKL_NUM_THREADS=str(a.cpu_threads))
    rows = []
    for name in names:
        cfg = CONFIGS[name]
        ref_sps, eng_sps, pairs = [], [], []
        for rep in range(a.repeats):
            order = ("ref", "eng") if rep % 2 == 0 else ("eng", "ref")
            got = {}
            for side in order:
                cmd = _reference_cmd(cfg, device, a.seconds, a.warmup, ref) if side == "ref" else \
                    _engine_cmd(cfg, device, a.seconds, a.warmup, a.models, a.sample_hz, ref)
                if not a.in_process:
                    got[side] = _run(cmd, env)["throughput_sps"]
                elif side == "ref":
                    got[side] = reference_in_process(ref_module, cmd)["throughput_sps"]
                else:
                    got[side] = engine_child(json.loads(cmd[-1]), quiet=True)["throughput_sps"]
            ref_sps.append(got["ref"])
            eng_sps.append(got["eng"])
            pairs.append(got["eng"] / got["ref"])
            print(f"  {name} #{rep + 1}: reference {got['ref']:,.0f}  engine {got['eng']:,.0f} samples/s  "
                  f"({pairs[-1]:.3f}x)", flush=True)
        ratio = statistics.median(eng_sps) / statistics.median(ref_sps)
        rows.append(dict(config=name, **cfg, reference_sps=ref_sps, engine_sps=eng_sps, pair_ratios=pairs,
                         ratio=ratio, ratio_best_quarter=_best_quarter(eng_sps) / _best_quarter(ref_sps),
                         required=REQUIRED[kind], passed=ratio >= REQUIRED[kind]))
    print()
    print(f"{'config':<30} {'reference/s':>12} {'engine/s':>12} {'ratio':>7} {'best¼':>7} {'need':>5}")
    for r in rows:
        print(f"{r['config']:<30} {statistics.median(r['reference_sps']):>12,.0f} "
              f"{statistics.median(r['engine_sps']):>12,.0f} {r['ratio']:>7.3f} {r['ratio_best_quarter']:>7.3f} "
              f"{r['required']:>5.2f}  {'PASS' if r['passed'] else 'FAIL'}")
    print("ratio: of the medians (the verdict); best¼: of the means of each side's fastest quarter of runs, "
          "the runs least disturbed by other load")
    if a.out:
        doc = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "device": device, "device_name": device_name,
               "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
               "host_cpu": _cpu_model(), "repeats": a.repeats, "seconds": a.seconds, "warmup": a.warmup,
               "models": a.models, "sample_hz": a.sample_hz, "reference": str(ref.relative_to(ROOT)) if ref.is_relative_to(ROOT) else ref.name,
               "cpu_threads": a.cpu_threads, "in_process": a.in_process, "command": " ".join(sys.argv), "results": rows}
        Path(a.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"written to {a.out}")
    return 0 if all(r["passed"] for r in rows) else 1


def _best_quarter(values: list[float]) -> float:
    best = sorted(values)[-max(1, len(values) // 4):]
    return sum(best) / len(best)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
