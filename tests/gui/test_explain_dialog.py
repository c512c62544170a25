"""Explain this run in the GUI: the levers proposed for the chosen bound (and those this device cannot
take, greyed with why), the explain job with progress, its waterfall (bars and table with tags and
tooltips), cancel, and the Run tab's and History's entry points. The job is real; its run worker
is a fake that runs nothing."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt

from engine.run import RunConfig
from engine.run.events import RunFinished, RunStarted
from tests.engine.fake_runs import LENET_SPEC, make_run

SPEC_JSON = json.dumps(LENET_SPEC)


def fast_worker(spec_json, config, events, stop, db_path):
    """A fake run: channels-last doubles the throughput, compile halves it."""
    tps = 1000.0 * (2.0 if config.channels_last else 1.0) * (0.5 if config.compile else 1.0)
    result = make_run("", device="cpu", throughput_sps=tps, energy_per_sample_j=None)
    result.run_id = f"fake-{config.channels_last:d}{bool(config.compile):d}-{id(events) % 10_000}"
    result.config = config
    events.put(RunStarted(result.run_id, "lenet", "cpu", config.model_dump_json(), 10, None))
    event = RunFinished(result.run_id, result.status, result.model_dump_json())
    events.put(event)
    return event


def waiting_worker(spec_json, config, events, stop, db_path):
    """A run that lasts until it is stopped, then ends as cancelled."""
    result = make_run("", device="cpu", status="cancelled", error="stopped by the user")
    result.run_id, result.config = "fake-cancelled", config
    events.put(RunStarted(result.run_id, "lenet", "cpu", config.model_dump_json(), 10, None))
    stop.wait(60)
    event = RunFinished(result.run_id, result.status, result.model_dump_json())
    events.put(event)
    return event


def _dialog(qtbot, tmp_path, worker=fast_worker, device="cpu"):
    from gui.explain.dialog import ExplainDialog
    dlg = ExplainDialog("lenet", SPEC_JSON, RunConfig(device=device, batch=64, steps=5), sweeps_dir=tmp_path,
                        cooldown_s=0, run_target=worker)
    qtbot.addWidget(dlg)
    return dlg


def _choose(dlg, bound):
    dlg.verdict.setCurrentIndex(dlg.verdict.findData(bound))


def _items(dlg):
    return [dlg.levers.item(i) for i in range(dlg.levers.count())]


def test_the_levers_of_the_bound_are_listed_and_those_the_cpu_cannot_take_greyed_with_why(qtbot, tmp_path):
    dlg = _dialog(qtbot, tmp_path)
    _choose(dlg, "launch")
    items = _items(dlg)
    assert items[0].text().startswith("batch 64 → 256") and items[0].flags() & Qt.ItemIsUserCheckable
    greyed = [i for i in items if not i.flags() & Qt.ItemIsEnabled]
    assert any("reduce-overhead uses CUDA graphs: GPU only" in i.text() for i in greyed)
    assert "constant-factor" in items[0].toolTip() and "fixed costs" in items[0].toolTip()
    _choose(dlg, "memory")
    assert dlg.chosen_levers() == ("channels-last", "compile")
    items[0] = _items(dlg)[1]
    items[0].setCheckState(Qt.Unchecked)
    assert dlg.chosen_levers() == ("channels-last",)


def test_explain_runs_as_a_job_and_shows_the_waterfall_with_tags(qtbot, tmp_path):
    dlg = _dialog(qtbot, tmp_path)
    _choose(dlg, "memory")
    finished = []
    dlg.explain_finished.connect(finished.append)
    assert dlg.start()
    assert not dlg.form_box.isEnabled() and dlg.cancel_button.isVisibleTo(dlg)
    qtbot.waitUntil(lambda: bool(finished), timeout=90_000)
    result = finished[0]
    assert [(s.key, round(s.throughput.value, 3)) for s in result.steps] == [("channels-last", 2.0), ("compile", 0.5)]
    table = dlg.waterfall.table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert rows[0][:3] == ["channels-last on", "constant-factor", "2.00×"]
    assert rows[1][:3] == ["compile default", "library", "0.50×"]
    assert "fewer trips to memory" in table.item(1, 0).toolTip()
    assert "bf16: lower precision pays on GPU" in dlg.waterfall.skipped.text().replace("Not tried: bf16 — ", "bf16: ")
    assert "Done: 3 runs" in dlg.status.text() and dlg.form_box.isHidden()  # the waterfall takes the room
    assert (dlg.folder / "explain.json").is_file()
    assert dlg.start_button.text() == "New explain…" and not dlg.start()  # back to the form, nothing started
    assert not dlg.form_box.isHidden() and dlg.waterfall.isHidden() and not dlg.running


def test_cancel_stops_the_current_run_and_ends_the_explain(qtbot, tmp_path):
    dlg = _dialog(qtbot, tmp_path, worker=waiting_worker)
    _choose(dlg, "memory")
    dlg.start()
    qtbot.waitUntil(lambda: "Running 1 of" in dlg.status.text(), timeout=60_000)
    dlg.cancel()
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert "cancelled" in dlg.status.text() and dlg.start_button.isVisibleTo(dlg)


def test_run_tab_offers_explain_after_a_finished_run_and_history_for_one_selected_run(qtbot, tmp_path):
    from gui.history.panel import HistoryPanel
    from gui.run.panel import RunPanel
    from gui.run.replay import make_script
    from tests.gui.static_document import StaticDocument
    panel = RunPanel(StaticDocument(), load_inventory=False)
    qtbot.addWidget(panel)
    assert panel.explain_button.isHidden()
    result = make_script(kind="cpu", seconds=1.0).result
    asked = []
    panel.explain_requested.connect(asked.append)
    panel._finished(result)
    assert not panel.explain_button.isHidden()
    panel.explain_button.click()
    assert asked == [result]
    from engine.results import RunStore
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(result)
    history = HistoryPanel(db)
    qtbot.addWidget(history)
    assert not history.explain_button.isEnabled()
    history.select_ids([result.run_id])
    wanted = []
    history.explain_requested.connect(wanted.append)
    history.explain_button.click()
    assert [r.run_id for r in wanted] == [result.run_id]


def test_the_waterfall_draws_each_steps_interval_and_a_failed_lever_without_figures(qtbot):
    from engine.profile import ExplainResult
    from engine.profile.waterfall import StepInput, waterfall
    from gui.explain.waterfall_view import WaterfallView
    base = [make_run(f"b{i}", throughput_sps=1000.0 + 10 * i) for i in range(3)]
    fast = [make_run(f"f{i}", throughput_sps=1500.0 + 30 * i) for i in range(3)]
    oom = [make_run("o", status="oom", error="CUDA out of memory")]
    steps = waterfall(base, [StepInput("bf16", "precision bf16", "hardware", "tensor cores", fast),
                             StepInput("batch", "batch 64 → 256", "constant-factor", "fixed costs shared", oom)])
    result = ExplainResult("lenet", "cuda", "memory", "memory-bound", "given",
                           {"run_ids": ["b0", "b1", "b2"], "throughput_sps": 1010.0, "energy_per_sample_j": None,
                            "peak_mem_bytes": None, "accuracy": None}, steps, [], "", repeats=3)
    view = WaterfallView()
    qtbot.addWidget(view)
    view.show_result(result)
    assert view.whiskers == 1  # the bf16 step's 95 % interval over its three runs; the failed one has no bar
    assert view.table.item(0, 2).text().startswith("1.51× (") and view.table.item(1, 2).text() == "–"
    assert view.table.item(1, 6).text() == "oom: CUDA out of memory"


def test_a_run_profiled_before_starts_from_its_profiles_verdict(qtbot, tmp_path):
    from gui.explain.dialog import ExplainDialog, stored_verdict
    dlg = ExplainDialog("lenet", SPEC_JSON, RunConfig(device="cpu"), sweeps_dir=tmp_path, profile_verdict="memory-bound")
    qtbot.addWidget(dlg)
    assert dlg.verdict.currentData() == "memory" and "stored profile calls it memory-bound" in dlg.status.text()
    assert dlg.chosen_levers() == ("channels-last", "compile")
    assert stored_verdict("no-such-run", str(tmp_path / "runs.sqlite")) is None  # no profile: the user chooses
