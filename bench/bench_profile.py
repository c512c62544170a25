"""Profile runs on a GPU: the attribution checked where the answer is known.

    python3 bench/bench_profile.py --out DIR [--device cuda] [--quick]

resnet9 bf16 channels-last b512 training (its convolutions should come out compute-bound, its
BatchNorm layers memory-bound) and LeNet fp32 b256 training (launch-bound). Writes
DIR/profile_resnet9.json and DIR/profile_lenet.json (the profile JSON, as `profile --json` writes
it), DIR/roofline_resnet9.png, and prints each table with PASS/FAIL lines for the expectations.
--quick: a CPU smoke test of this script (tiny batches).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cli.profile_output import print_profile  # noqa: E402
from engine.net.presets import load_preset  # noqa: E402
from engine.profile.runner import profile_run  # noqa: E402
from engine.results.report.roofline import write_roofline_png  # noqa: E402
from engine.run.config import RunConfig  # noqa: E402


def check(name: str, ok: bool, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    cases = [
        ("resnet9", dict(precision="bf16" if not quick else "fp32", channels_last=True, batch=8 if quick else 512,
                         steps=3 if quick else 20)),
        ("lenet", dict(precision="fp32", batch=16 if quick else 256, steps=3 if quick else 50)),
    ]
    ok = True
    for net, opts in cases:
        config = RunConfig(device=args.device, mode="train", warmup=2 if quick else 20, idle_baseline_s=0,
                           **opts)
        result, profile = profile_run(load_preset(net), config)
        if profile is None:
            ok = check(net, False, f"run {result.status}: {result.error}") and ok
            continue
        (out / f"profile_{net}.json").write_text(profile.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print_profile(profile, [], sys.stdout)
        if net == "resnet9":
            write_roofline_png(profile, out / "roofline_resnet9.png")
            convs = [x for x in profile.layers if x.type == "Conv2d"]
            bns = [x for x in profile.layers if x.type == "BatchNorm2d"]
            ok = check("resnet9 convs compute-bound", sum(x.bound == "compute" for x in convs) >= len(convs) - 1,
                       ", ".join(f"{x.id} {x.bound}" for x in convs)) and ok
            ok = check("resnet9 BatchNorm memory-bound", all(x.bound == "memory" for x in bns),
                       ", ".join(f"{x.id} {x.bound}" for x in bns)) and ok
            bn_s, conv_s = sum(x.time_s for x in bns), sum(x.time_s for x in convs)
            print(f"BatchNorm share of conv+BN time: {100 * bn_s / max(bn_s + conv_s, 1e-12):.0f} %")
        else:
            ok = check("lenet launch-bound", profile.verdict == "launch-bound", profile.verdict_reason) and ok
        total = profile.layer_time_s() + profile.other_time_s()
        print(f"{net}: attributed + other = {total * 1e3:.3f} ms; profiled step {profile.step_time_s * 1e3:.3f} ms; "
              f"unprofiled {1e3 * (profile.unprofiled_step_time_s or 0):.3f} ms; overhead {profile.profiler_overhead:.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
