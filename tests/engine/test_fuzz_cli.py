"""Fuzz the command line with a seeded generator: mutated specs, odd arguments and mutated result
files. Whatever comes in, every command exits 0, 2 or 3, prints no traceback, and every run that
started (exit 0 or 3) is in the history afterwards. In-process through engine.cli.main for speed; a
few real subprocesses check the same through main.py."""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main as cli_main
from engine.net.presets import load_preset
from engine.results.store import RunStore
from tests.engine.fake_runs import make_run
from tests.hostile_strings import SHORT

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261129
ALLOWED = {0, 2, 3}
STRINGS = [*SHORT.values(), "x" * 5000, "", "input", "relu", "Conv2d", "lenet"]
ODD_VALUES = [None, True, False, 0, -1, 1.5, 10**25, -(10**25), 1e308, "1", "", [], {}, [1, "a"], {"a": {}},
              2**63, 0.0, -0.0, *STRINGS[:12]]


def _call(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's refusal of an argument: exit 2 with one line
        code = exc.code
    err = capsys.readouterr().err
    assert code in ALLOWED, (argv[:6], code, err[-2000:])
    assert "Traceback" not in err, (argv[:6], err[-2000:])
    return code, err


# -- specs ------------------------------------------------------------------------------------------
def _mutate_value(rng: random.Random, value):
    choice = rng.random()
    if choice < 0.45:
        return rng.choice(ODD_VALUES)
    if choice < 0.75:
        return rng.choice(STRINGS)
    if isinstance(value, list) and value:
        items = list(value)
        rng.shuffle(items)
        return items + items[: rng.randint(0, 2)]
    return [value] if rng.random() < 0.5 else {"v": value}


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _mutate_doc(rng: random.Random, doc):
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = rng.random()
        if op < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.25 and isinstance(parent, list):
            parent.insert(rng.randint(0, len(parent)), copy.deepcopy(parent[key]))
        elif op < 0.3 and isinstance(parent, dict):
            parent[rng.choice(STRINGS[:20])] = parent[key]
        else:
            parent[key] = _mutate_value(rng, parent[key])
    return doc


def _mutate_text(rng: random.Random, text: str) -> str:
    op = rng.random()
    if op < 0.3:
        return text[: rng.randint(0, len(text))]
    if op < 0.5:
        i = rng.randint(0, len(text))
        return text[:i] + rng.choice(['"', "{", "]", ",", "\\u", "\\ud800", "1e999", "NaN", "\x00", "[" * 3000]) + text[i:]
    if op < 0.65:
        return text.replace('"name"', '"name": "dup", "name"', 1)
    if op < 0.75:
        return "[" * rng.choice([100, 1200]) + text
    return text.replace("1", "9" * rng.choice([25, 5000]), 1)


def _spec_cases(n: int) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    bases = [load_preset(name).model_dump(mode="json", exclude_none=True) for name in ("lenet", "mlp")]
    cases = []
    for i in range(n):
        base = rng.choice(bases)
        if i % 4 == 3:
            cases.append((f"text{i}", _mutate_text(rng, json.dumps(_mutate_doc(rng, base)))))
        else:
            cases.append((f"doc{i}", json.dumps(_mutate_doc(rng, base))))
    return cases


@pytest.mark.parametrize("chunk", range(4))
def test_fuzzed_specs_validate_and_export(tmp_path, capsys, chunk):
    cases = _spec_cases(160)[chunk::4]
    for name, text in cases:
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code, err = _call(["validate", str(path)], capsys)
        if code == 2:
            assert err.strip(), name
        code, _ = _call(["export", str(path), "--pytorch", str(tmp_path / "net.py")], capsys)
        assert code in (0, 2)


# -- command-line arguments -------------------------------------------------------------------------
NUMBERS = ["0", "-1", "1", "3", "9223372036854775808", "-9223372036854775809", "1e400", "inf", "-inf", "nan",
           "0.5", "1" * 50, "", "x", "\udc80", "2**63"]
VALID = {"--precision": ["fp32", "int8"], "--mode": ["infer", "train"], "--dataset": ["synthetic", "digits"],
         "--device": ["cpu"], "--optimizer": ["adam", "sgd"], "--seconds": ["0.2"], "--lr": ["0.5"],
         "--compile": ["nope"], "--status": ["ok", "oom"], "--limit": ["0", "3"], "--last": ["1", "5"]}
FLAGS = {
    # (--sample-hz is left at 0: a sampler process per run would make the test slow, not stronger)
    "run": ["--batch", "--steps", "--seconds", "--warmup", "--lr", "--threads", "--seed", "--idle-seconds",
            "--eval-every", "--precision", "--mode", "--dataset", "--device", "--compile", "--optimizer"],
    "history": ["--limit", "--network", "--device", "--status", "--precision"],
    "report": ["--last", "--baseline", "--title"],
    "validate": ["--batch"],
}


def _arg_cases(n: int) -> list[list[str]]:
    rng = random.Random(SEED + 1)
    cases = []
    for _ in range(n):
        command = rng.choice(list(FLAGS))
        argv = [command]
        if command in ("run", "validate"):
            argv.append(rng.choice(["mlp", "mlp", "mlp", "nope", "\udc80", "x" * 300, "/dev/zero", "../"]))
        for flag in rng.sample(FLAGS[command], rng.randint(1, min(3, len(FLAGS[command])))):
            draw = rng.random()
            value = rng.choice(VALID.get(flag, ["1", "2"])) if draw < 0.4 else \
                rng.choice(NUMBERS if draw < 0.85 else STRINGS[:25])
            argv += [flag, value]
        cases.append(argv)
    return cases


def test_fuzzed_arguments(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    store = RunStore(db)
    store.add(make_run("seed-run", device="cpu"))
    for argv in _arg_cases(120):
        before = len(store)
        extra = ["--db", str(db)] if argv[0] in ("run", "history", "report") else []
        if argv[0] == "run":
            extra += ["--steps", "1"] if "--steps" not in argv and "--seconds" not in argv else []
            extra += ["--batch", "2"] if "--batch" not in argv else []
            extra += ["--warmup", "0", "--sample-hz", "0", "--device", "cpu"]
        if argv[0] == "report":
            extra += ["--csv", str(tmp_path / "r.csv")]
        code, err = _call([*argv, *extra], capsys)
        if argv[0] == "run" and code in (0, 3) and "before the run started" not in err:
            assert len(store) == before + 1, (argv, err)  # a run that started is in the history


def test_a_few_real_runs_are_all_kept(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    rng = random.Random(SEED + 2)
    started = 0
    for _ in range(3):
        argv = ["run", "mlp", "--device", "cpu", "--steps", str(rng.randint(1, 3)), "--warmup", "0",
                "--batch", str(rng.choice([1, 2, 4])), "--sample-hz", "0", "--db", str(db),
                "--mode", rng.choice(["train", "infer"])]
        code, _ = _call(argv, capsys)
        started += code in (0, 3)
    assert started == 3 and len(RunStore(db)) == 3


# -- result files -----------------------------------------------------------------------------------
def _result_cases(n: int) -> list[str]:
    rng = random.Random(SEED + 3)
    base = make_run("base", device="cpu").model_dump(mode="json")
    cases = []
    for i in range(n):
        doc = _mutate_doc(rng, base)
        if isinstance(doc, dict):
            doc["run_id"] = f"fuzz{i}" if rng.random() < 0.8 else doc.get("run_id")
        text = json.dumps(doc)
        cases.append(_mutate_text(rng, text) if i % 3 == 2 else text)
    return cases


def test_fuzzed_result_files_import_and_report(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    for i, text in enumerate(_result_cases(90)):
        path = tmp_path / f"r{i}.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code, _ = _call(["history", "--db", str(db), "--import", str(path), "--limit", "1"], capsys)
        if code == 0:
            run_id = json.loads(text)["run_id"]
            assert RunStore(db).get(run_id) is not None
    n = len(RunStore(db))
    assert n >= 5  # the mutations leave some results valid: the report below has work to do
    _call(["history", "--db", str(db), "--limit", "0"], capsys)
    out = tmp_path / "rep"
    code, _ = _call(["report", "--last", str(n), "--db", str(db), "--csv", f"{out}.csv", "--json", f"{out}.json",
                     "--html", f"{out}.html", "--pdf", f"{out}.pdf"], capsys)
    assert code == 0


# -- through main.py --------------------------------------------------------------------------------
def test_real_processes(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(_spec_cases(8)[3][1], encoding="utf-8", errors="surrogatepass")
    result = tmp_path / "r.json"
    result.write_text(_result_cases(3)[2], encoding="utf-8", errors="surrogatepass")
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path))
    for argv in (["validate", str(spec)], ["history", "--db", str(tmp_path / "h.sqlite"), "--import", str(result)],
                 ["run", "mlp", "--device", "cpu", "--batch", "9223372036854775808", "--no-store"]):
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode in ALLOWED and "Traceback" not in p.stderr, (argv, p.returncode, p.stderr[-2000:])
