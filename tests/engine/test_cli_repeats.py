"""`main.py run --repeats N`: each repeat in its own process and stored, then one combined summary
and result file whose intervals are over the runs."""
from __future__ import annotations

import json

from engine.results.store import RunStore
from tests.engine.test_cli_run import FAST, main_py


def test_repeats_run_in_fresh_processes_are_each_stored_and_combined(tmp_path):
    db = tmp_path / "runs.sqlite"
    out = tmp_path / "combined.json"
    p = main_py("run", "mlp", *FAST, "--steps", "4", "--repeats", "2", "--db", str(db), "--json", str(out),
                env_data=tmp_path, timeout=400)
    assert p.returncode == 0, p.stderr
    assert "repeat 1 of 2 (fresh process)" in p.stdout and "repeat 2 of 2" in p.stdout
    assert "combined over 2 of 2 repeats" in p.stdout
    combined = json.loads(out.read_text())
    assert combined["intervals"]["throughput_sps"]["over"] == "runs"
    assert combined["intervals"]["throughput_sps"]["windows"] == 2
    ids = combined["repeat_runs"]
    assert len(ids) == 2 and len(set(ids)) == 2
    store = RunStore(str(db))
    assert len(store) == 2  # the repeats; the combined result is a summary of them, not a run
    for i, run_id in enumerate(ids, 1):
        r = store.get(run_id)
        assert r.repeat is not None and r.repeat.index == i and r.repeat.of == 2
        assert r.config.repeats == 2


def test_a_bad_repeat_of_value_is_one_clear_message(tmp_path):
    p = main_py("run", "mlp", *FAST, "--steps", "2", "--repeat-of", "nonsense", "--no-store", env_data=tmp_path)
    assert p.returncode == 2 and "--repeat-of" in p.stderr and "Traceback" not in p.stderr
