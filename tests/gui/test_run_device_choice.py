"""The run panel's choice of several devices: GPUs ticked from the inventory, or CPU processes; into
RunConfig.devices / processes, remembered between launches, disabled with its reason where it cannot be."""
from __future__ import annotations

import copy

import pytest
from PySide6.QtCore import Qt

from gui.run.device_choice import CPU, GPUS, ONE
from gui.run.devices import inventory_from_dict
from gui.run.options import RunOptions
from gui.run.remembered import restore_run_options, save_run_options


def _hw(n_gpus: int) -> dict:
    gpus = [{"index": i, "name": "NVIDIA H200", "mem_total_bytes": 141 * 2**30, "compute_capability": "9.0"}
            for i in range(n_gpus)]
    return {"cpu": {"model": "AMD EPYC", "logical_cores": 16, "mem_total_bytes": 64 * 2**30},
            "gpu": {"gpus": gpus, "reason": None if gpus else "NVML is not installed (no NVIDIA driver)"}}


def _options(qtbot, n_gpus: int | None) -> RunOptions:
    options = RunOptions()
    qtbot.addWidget(options)
    if n_gpus is not None:
        options.set_inventory(inventory_from_dict(copy.deepcopy(_hw(n_gpus))))
    return options


def _kind(options: RunOptions, kind: str) -> None:
    control = options.controls["devices"]
    control.kind.setCurrentIndex(control.kind.findData(kind))


def test_ticked_gpus_become_the_jobs_devices_and_the_device_choice_steps_aside(qtbot):
    options = _options(qtbot, 3)
    control = options.controls["devices"]
    assert options.controls["processes"] is control and not control.gpus.isVisibleTo(options)
    assert options.config().devices is None and "parallel:data" in options.reasons  # one device: no parallelism
    _kind(options, GPUS)
    assert control.gpus.count() == 3 and control.gpus.isVisibleTo(options)
    control.gpus.item(1).setCheckState(Qt.Unchecked)
    config = options.config()
    assert config.devices == ["cuda:0", "cuda:2"] and config.device == "cuda:0" and config.processes is None
    assert not options.device.isEnabled() and "Devices" in options.device.toolTip()
    assert "parallel:data" not in options.reasons and options.controls["bucket_cap_mb"].isEnabled()
    for i in (0, 2):
        control.gpus.item(i).setCheckState(Qt.Unchecked if i else Qt.Checked)
    with pytest.raises(ValueError, match="needs 2 or more processes"):  # one GPU ticked: the engine's words
        options.config()


def test_cpu_processes_give_devices_cpu_and_their_count(qtbot):
    options = _options(qtbot, 0)
    _kind(options, CPU)
    options.controls["devices"].count.setValue(3)
    config = options.config()
    assert config.devices == ["cpu"] and config.processes == 3 and config.device == "cpu"
    _kind(options, ONE)
    assert options.config().devices is None and options.config().processes is None


def test_several_gpus_is_disabled_with_the_reason_on_a_machine_with_fewer_than_two(qtbot):
    for n, words in ((0, "no GPU"), (1, "one GPU")):
        options = _options(qtbot, n)
        kind = options.controls["devices"].kind
        item = kind.model().item(kind.findData(GPUS))
        assert not item.isEnabled() and words in item.toolTip() and "two or more" in item.toolTip()
        assert kind.model().item(kind.findData(CPU)).isEnabled()


def test_the_chosen_gpus_and_processes_are_remembered_and_come_back_once_the_gpus_are_listed(qtbot):
    first = _options(qtbot, 3)
    _kind(first, GPUS)
    first.controls["devices"].gpus.item(0).setCheckState(Qt.Unchecked)
    save_run_options(first)
    again = _options(qtbot, None)  # a new launch: the inventory job has not answered yet
    restore_run_options(again)
    again.set_inventory(inventory_from_dict(_hw(3)))
    assert again.config().devices == ["cuda:1", "cuda:2"]
    elsewhere = _options(qtbot, None)  # ...on a machine with one GPU: back to one device
    restore_run_options(elsewhere)
    elsewhere.set_inventory(inventory_from_dict(_hw(1)))
    assert elsewhere.config().devices is None

    cpu = _options(qtbot, 0)
    _kind(cpu, CPU)
    cpu.controls["devices"].count.setValue(4)
    save_run_options(cpu)
    back = _options(qtbot, 0)
    restore_run_options(back)
    assert (back.config().devices, back.config().processes) == (["cpu"], 4)
