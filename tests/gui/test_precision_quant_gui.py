"""The precision control offers int8 and fp8 exactly where the engine runs them (the option rules),
and says why where it does not: fp8 on a Hopper GPU for inference, not on the CPU, not without torchao."""
from __future__ import annotations

import functools

from gui.run.controller import RunController
from gui.run.devices import inventory_from_dict
from gui.run.replay import make_script, replay_worker
from tests.gui.static_document import StaticDocument
from tests.gui.test_run_panel import NO_GPU_JSON

HOPPER_JSON = {
    "cpu": {"model": "Xeon", "logical_cores": 16, "mem_total_bytes": 64 * 2**30},
    "gpu": {"gpus": [{"index": 0, "name": "NVIDIA H200", "uuid": "GPU-1", "mem_total_bytes": 141 * 2**30,
                      "compute_capability": "9.0", "power_limit_w": 700.0, "energy_counter": True},
                     {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "uuid": "GPU-2", "mem_total_bytes": 80 * 2**30,
                      "compute_capability": "8.0", "power_limit_w": 400.0, "energy_counter": True}],
            "driver_version": "580.1", "reason": None},
}


def _options(qtbot, tmp_path, inventory):
    from gui.run.panel import RunPanel
    ctl = RunController(db_path=str(tmp_path / "runs.sqlite"),
                        target=functools.partial(replay_worker, make_script(kind="gpu", seconds=1.0, speed=4.0)))
    panel = RunPanel(StaticDocument(), controller=ctl, load_inventory=False)
    qtbot.addWidget(panel)
    panel.options.set_inventory(inventory_from_dict(inventory))
    return panel.options


def _item(o, value):
    precision = o.controls["precision"]
    return precision.model().item(precision.findData(value))


def test_a_hopper_gpu_offers_int8_and_fp8_for_inference(qtbot, tmp_path):
    o = _options(qtbot, tmp_path, HOPPER_JSON)
    assert o.current_device().key == "cuda:0"
    assert not _item(o, "fp8").isEnabled() and "only for inference" in _item(o, "fp8").toolTip()  # training
    o.set_value("mode", "infer")
    assert _item(o, "int8").isEnabled() and _item(o, "fp8").isEnabled()
    o.set_value("precision", "fp8")
    assert o.config().precision == "fp8" and o.config().device == "cuda:0"
    o.device.setCurrentIndex(o.device.findData("cuda:1"))  # an A100 (8.0): int8 yes, fp8 no, and the form falls back
    assert _item(o, "int8").isEnabled()
    assert not _item(o, "fp8").isEnabled() and "compute capability 8.9" in _item(o, "fp8").toolTip()
    assert "this GPU is 8.0" in _item(o, "fp8").toolTip() and o.value("precision") != "fp8"


def test_cpu_only_disables_fp8_with_the_reason_and_keeps_int8(qtbot, tmp_path):
    o = _options(qtbot, tmp_path, NO_GPU_JSON)
    o.set_value("mode", "infer")
    assert o.current_device().key == "cpu"
    assert _item(o, "int8").isEnabled()
    fp8 = _item(o, "fp8")
    assert not fp8.isEnabled() and "NVIDIA GPU with fp8 tensor cores" in fp8.toolTip()


def test_without_torchao_int8_and_fp8_are_disabled_naming_what_to_install(qtbot, tmp_path, monkeypatch):
    import engine.run.options as rules
    monkeypatch.setattr(rules, "torchao_installed", lambda: False)
    o = _options(qtbot, tmp_path, HOPPER_JSON)
    o.set_value("mode", "infer")
    for value in ("int8", "fp8"):
        assert not _item(o, value).isEnabled() and "tradeoff-lab[quant]" in _item(o, value).toolTip()
