"""`main.py project RUN_ID [--targets ID,...|all] [--places P,...] [--json F]`: project a stored,
measured run onto hardware from the catalogue (edge to cloud): samples/s, J/sample, $ and gCO2 per
million samples, memory fit. Every figure is projected, with its assumptions; `--check RUN_ID`
projects onto the device another stored run measured and prints the error."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli import EXIT_OK, BadInput


def add_parser(sub) -> None:
    p = sub.add_parser("project", help="project a measured run onto hardware you do not own (estimated)",
                       description=__doc__)
    p.add_argument("run_id", nargs="?", metavar="RUN_ID", help="a stored run (from `main.py history`), or 'last'")
    p.add_argument("--targets", default="all", metavar="ID,...",
                   help="catalogue ids (see --list), or 'all' (default)")
    p.add_argument("--places", metavar="P,...", help="only these places: edge, laptop, desktop, workstation, "
                   "datacentre, cloud")
    p.add_argument("--list", action="store_true", help="list the catalogue's targets and exit")
    p.add_argument("--precision", choices=("fp32", "tf32", "fp16", "bf16", "int8"),
                   help="project at this precision (default: the run's)")
    p.add_argument("--batch", type=int, metavar="N", help="project at this batch (default: the run's)")
    p.add_argument("--region", help="grid carbon intensity by region (default: world)")
    p.add_argument("--usd-per-kwh", type=float, metavar="$", help="electricity price (default 0.15, an assumption)")
    p.add_argument("--lifetime-years", type=float, metavar="Y", help="owned hardware's lifetime (default 4)")
    p.add_argument("--duty", type=float, metavar="SHARE", help="share of its lifetime it runs (default 0.5)")
    p.add_argument("--pue", type=float, help="facility overhead for every target (default: by place)")
    p.add_argument("--power-mode", metavar="NAME", help="a Jetson power mode (e.g. 15W; default the highest)")
    p.add_argument("--check", metavar="RUN_ID", help="also project onto the device this stored run measured, "
                   "and print the projection's error against it")
    p.add_argument("--json", metavar="F", help="write the projection as JSON")
    p.add_argument("--db", help="run history database (default: the app's)")


def _assumptions(args: argparse.Namespace, catalogue):
    from pydantic import ValidationError

    from engine.place import Assumptions
    given = {"usd_per_kwh": args.usd_per_kwh, "region": args.region, "lifetime_years": args.lifetime_years,
             "duty_share": args.duty, "pue": args.pue, "precision": args.precision, "batch": args.batch,
             "power_mode": args.power_mode}
    if args.region and args.region not in catalogue.grid_gco2_per_kwh:
        raise BadInput(f"--region {args.region!r}: known regions are {', '.join(sorted(catalogue.grid_gco2_per_kwh))}")
    try:
        return Assumptions(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = "--" + str(err["loc"][0]).replace("_share", "").replace("_", "-")
        raise BadInput(f"{flag}: {err['msg']}") from None


def _run(store, run_id: str):
    if run_id == "last":
        last = store.last(1)
        if not last:
            raise BadInput(f"the run history {store.path} has no runs yet")
        return last[0]
    result = store.get(run_id)
    if result is None:
        raise BadInput(f"run {run_id!r} is not in the run history {store.path}")
    return result


def _target_ids(args: argparse.Namespace, catalogue) -> list[str] | None:
    from engine.place import PLACES
    ids = None if args.targets == "all" else [t.strip() for t in args.targets.split(",") if t.strip()]
    known = {t.id for t in catalogue.targets}
    for tid in ids or []:
        if tid not in known:
            raise BadInput(f"--targets: no target {tid!r} in the catalogue (see `main.py project --list`)")
    if args.places:
        places = [p.strip() for p in args.places.split(",")]
        for place in places:
            if place not in PLACES:
                raise BadInput(f"--places: {place!r} is not one of {', '.join(PLACES)}")
        ids = [t.id for t in catalogue.targets if t.place in places and (ids is None or t.id in ids)]
    return ids


def _print_table(projection) -> None:
    from engine.format import MISSING, energy, fixed, number, seconds
    print(f"Projection of run {projection.run_id} ({projection.network}) - every figure is PROJECTED, not measured")
    from engine.place import source_summary
    print(f"source: {projection.source.get('device')}: {source_summary(projection.source)}")
    head = f"{'target':34s} {'place':11s} {'prec':5s} {'samples/s':>11s} {'step':>9s} {'W':>6s} {'J/sample':>10s} " \
           f"{'$/M':>9s} {'gCO2/M':>9s}  bound / why not"
    print(head)
    print("-" * len(head))
    for t in projection.targets:
        if t.throughput_sps is None:
            print(f"{t.name[:34]:34s} {t.place:11s} {t.precision:5s} {MISSING:>11s} {'':>9s} {'':>6s} {'':>10s} {'':>9s} "
                  f"{'':>9s}  {t.reason}")
            continue
        usd, co2, watts = number(t.usd_per_million_samples), number(t.gco2_per_million_samples), fixed(t.power_w)
        print(f"{t.name[:34]:34s} {t.place:11s} {t.precision:5s} {fixed(t.throughput_sps):>11s} "
              f"{seconds(t.step_time_s):>9s} {watts:>6s} {energy(t.energy_per_sample_j):>10s} {usd:>9s} {co2:>9s}  "
              f"{t.bound}")
    print(f"\n{projection.not_covered}.")
    a = projection.assumptions
    print(f"Assumptions: electricity {a['usd_per_kwh']:g} $/kWh (yours to set), grid {a['region']} "
          f"{a['grid_gco2_per_kwh']:g} gCO2/kWh, PUE {a['pue']}, owned hardware {a['lifetime_years']:g} years at "
          f"{a['duty_share']:.0%} duty; {a['model']}. Full list: --json.")


def main(args: argparse.Namespace) -> int:
    from engine.place import cross_check, load_catalogue, project
    from engine.results.store import RunStore
    catalogue = load_catalogue()  # a bad catalogue file is BadInput: exit 2 naming the file and entry
    if args.list:
        for t in catalogue.targets:
            print(f"{t.id:26s} {t.place:11s} {t.name}")
        return EXIT_OK
    if not args.run_id:
        raise BadInput("name the run to project: RUN_ID (from `main.py history`) or 'last'")
    assumptions = _assumptions(args, catalogue)
    target_ids = _target_ids(args, catalogue)
    store = RunStore(args.db)
    result = _run(store, args.run_id)
    projection = project(result, catalogue, assumptions, target_ids)
    _print_table(projection)
    out = projection.to_json_dict()
    if args.check:
        check = cross_check(result, _run(store, args.check), catalogue, assumptions)
        out["check"] = check
        if check["error"] is None:
            print(f"\ncheck against run {args.check}: not possible ({check.get('reason')})")
        else:
            print(f"\ncheck against run {args.check} on {check['target']}: projected {check['projected_sps']:,.0f} "
                  f"samples/s, measured {check['measured_sps']:,.0f}: error {check['error']:+.0%}")
    if args.json:
        path = Path(args.json)
        if not path.resolve().parent.is_dir():
            raise BadInput(f"--json {args.json}: the folder {path.resolve().parent} does not exist")
        path.write_text(json.dumps(out, indent=1, allow_nan=False), encoding="utf-8")
        print(f"wrote {path}")
    return EXIT_OK
