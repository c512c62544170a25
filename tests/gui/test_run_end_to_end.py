"""One real run: a tiny LeNet on the embedded digits, on the CPU, through the GUI's controller and a
spawned engine worker, offscreen; it must finish, be stored, and have streamed live data."""
from __future__ import annotations

import json

from engine.net.presets import load_preset
from engine.results.store import RunStore
from engine.run.config import RunConfig
from gui.run.controller import RunController


def test_a_tiny_cpu_run_finishes_through_the_controller_and_is_stored(qtbot, tmp_path):
    db = tmp_path / "runs.sqlite"
    ctl = RunController(db_path=str(db))
    done, refused = [], []
    ctl.finished.connect(done.append)
    ctl.failed_to_start.connect(refused.append)
    config = RunConfig(device="cpu", batch=16, steps=20, warmup=2, dataset="digits", idle_baseline_s=0.0,
                       threads=1)
    ctl.start(load_preset("lenet").to_json(), config)
    qtbot.waitUntil(lambda: bool(done or refused), timeout=120_000)
    assert not refused, refused
    result = done[0]
    assert result.status == "ok", result.error
    assert result.steps == 20 and result.throughput_sps > 0
    assert ctl.run_started is not None and ctl.run_started.run_id == result.run_id
    assert len(ctl.live.steps) > 0  # live StepMetrics arrived before the end
    stored = RunStore(db).get(result.run_id)
    assert stored is not None and stored.status == "ok"
    assert stored.series.steps.t_s


def test_the_device_list_is_gathered_by_a_child_process(qtbot):
    from gui.run.devices import InventoryLoader
    loader = InventoryLoader()
    with qtbot.waitSignal(loader.loaded, timeout=60_000) as got:
        loader.start()
    inv = got.args[0]
    assert inv.devices[0].key == "cpu"
    assert inv.error is not None or inv.devices[0].mem_bytes, json.dumps(inv.raw)[:200]


def test_stopping_a_real_run_ends_it_within_two_seconds_and_keeps_it_as_cancelled(qtbot, tmp_path):
    import time
    db = tmp_path / "runs.sqlite"
    ctl = RunController(db_path=str(db))
    done = []
    ctl.finished.connect(done.append)
    ctl.start(load_preset("lenet").to_json(),
              RunConfig(device="cpu", batch=16, seconds=120, warmup=1, dataset="digits", idle_baseline_s=0.0))
    qtbot.waitUntil(lambda: ctl.live.last_step is not None and ctl.live.last_step.t_s > 0, timeout=120_000)
    t0 = time.monotonic()
    ctl.stop()
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert time.monotonic() - t0 < 2.0
    assert done[0].status == "cancelled"
    assert RunStore(db).get(done[0].run_id).status == "cancelled"


def test_a_failed_inventory_job_leaves_the_cpu_with_the_reason(qtbot):
    from gui.run.devices import InventoryLoader
    from tests.engine.test_jobs import RaiseJob
    loader = InventoryLoader(job=RaiseJob("bug"))
    with qtbot.waitSignal(loader.loaded, timeout=60_000) as got:
        loader.start()
    inv = got.args[0]
    assert [d.key for d in inv.devices] == ["cpu"] and "a bug" in inv.error


def test_int8_chosen_in_the_run_panel_runs_quantized_on_the_cpu(qtbot, tmp_path):
    """The GUI once disabled int8 ("not supported yet"): chosen in the run panel for CPU inference it
    reaches the engine, and the stored run says which layers were quantized."""
    from gui.run.devices import inventory_from_dict
    from gui.run.panel import RunPanel
    from tests.gui.static_document import StaticDocument
    db = tmp_path / "runs.sqlite"
    panel = RunPanel(StaticDocument(), controller=RunController(db_path=str(db)), load_inventory=False)
    qtbot.addWidget(panel)
    panel.options.set_inventory(inventory_from_dict({"cpu": {"model": "Xeon", "logical_cores": 2},
                                                     "gpu": {"gpus": [], "reason": "no GPU"}}))
    o = panel.options
    o.set_value("mode", "infer")
    int8 = o.controls["precision"].model().item(o.controls["precision"].findData("int8"))
    assert int8.isEnabled()
    o.set_value("precision", "int8")
    o.set_value("batch", 16)
    o.set_value("steps", 3)
    o.set_value("warmup", 1)
    done = []
    panel.run_finished.connect(done.append)
    assert panel.start(), panel.why.text()
    qtbot.waitUntil(lambda: bool(done), timeout=180_000)
    result = done[0]
    assert result.status == "ok", result.error
    assert result.config.precision == "int8" and result.quantization is not None
    assert {"conv1", "conv2"} <= set(result.quantization.layers)
    assert RunStore(db).get(result.run_id).quantization.layers == result.quantization.layers
