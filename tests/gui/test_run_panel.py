"""The run panel: what can be chosen on which device (and why not), the memory estimate, the Run
button's reasons, read-only editing during a run, and the summary / OOM cards."""
from __future__ import annotations

import functools

import pytest

from engine.net.analysis import Problem
from gui.run.controller import RunController
from gui.run.devices import Device, inventory_from_dict
from gui.run.memory_estimate import estimate, from_analysis
from gui.run.options import option_reasons
from gui.run.replay import make_script, replay_worker
from tests.gui.static_document import StaticDocument, lenet_analysis

HW_JSON = {  # the shape of `main.py hw --json` (hw.inventory.Inventory.to_dict())
    "cpu": {"model": "AMD EPYC 9454", "arch": "x86_64", "physical_cores": 8, "logical_cores": 16,
            "usable_cores": 16, "mem_total_bytes": 128 * 2**30},
    "gpu": {"gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-1", "mem_total_bytes": 80 * 2**30,
                      "compute_capability": "9.0", "power_limit_w": 700.0, "energy_counter": True},
                     {"index": 1, "name": "Tesla V100-SXM2-16GB", "uuid": "GPU-2", "mem_total_bytes": 16 * 2**30,
                      "compute_capability": "7.0", "power_limit_w": 300.0, "energy_counter": True}],
            "driver_version": "560.35", "reason": None},
    "rapl_domains": [], "rapl_reason": "no /sys/class/powercap",
    "availability": [{"source": "gpu0.power_instant", "available": True, "reason": None}],
}
NO_GPU_JSON = {"cpu": {"model": "Xeon", "logical_cores": 2, "mem_total_bytes": 8 * 2**30},
               "gpu": {"gpus": [], "driver_version": None, "reason": "NVML is not installed (no NVIDIA driver)"}}


def _panel(qtbot, tmp_path, script=None, doc=None, inventory=HW_JSON):
    from gui.run.panel import RunPanel
    script = script or make_script(kind="gpu", seconds=1.0, speed=4.0)
    ctl = RunController(db_path=str(tmp_path / "runs.sqlite"), target=functools.partial(replay_worker, script))
    panel = RunPanel(doc or StaticDocument(), controller=ctl, load_inventory=False)
    qtbot.addWidget(panel)
    panel.options.set_inventory(inventory_from_dict(inventory))
    return panel


def test_inventory_lists_cpu_and_each_gpu_by_name_and_memory():
    inv = inventory_from_dict(HW_JSON)
    assert [d.key for d in inv.devices] == ["cpu", "cuda:0", "cuda:1"]
    assert inv.devices[1].label == "GPU 0 · NVIDIA H100 80GB HBM3 (80 GiB)"
    assert inv.devices[2].compute_capability == (7, 0)
    bad = inventory_from_dict({"cpu": "not an object"})
    assert [d.key for d in bad.devices] == ["cpu"] and "could not be read" in bad.error


def test_options_the_device_cannot_do_are_refused_with_the_reason():
    cpu = Device("cpu", "CPU", 2**33)
    volta = Device("cuda:1", "V100", 16 * 2**30, (7, 0))
    hopper = Device("cuda:0", "H100", 80 * 2**30, (9, 0))
    assert "GPU tensor-core mode" in option_reasons(cpu, [1, 28, 28])["precision:tf32"]
    assert "cuDNN" in option_reasons(cpu, [1, 28, 28])["cudnn"]
    assert "compute capability 8.0+" in option_reasons(volta, [1, 28, 28])["precision:bf16"]
    assert "this GPU is 7.0" in option_reasons(volta, [1, 28, 28])["precision:tf32"]
    assert set(option_reasons(hopper, [1, 28, 28])) == {"precision:int8"}
    assert "image input" in option_reasons(hopper, [784])["channels_last"]


def test_the_form_disables_items_with_tooltips_and_defaults_to_the_first_gpu(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)
    o = panel.options
    assert o.current_device().key == "cuda:0"
    o.device.setCurrentIndex(2)  # the V100
    model = o.precision.model()
    tf32 = model.item(1)
    assert not tf32.isEnabled() and "compute capability 8.0+" in tf32.toolTip()
    o.precision.setCurrentIndex(3)  # bf16 is not allowed: falls back to fp32
    assert o.precision.currentText() == "fp32"
    o.device.setCurrentIndex(0)
    assert not o.cudnn.isEnabled() and "CPU" in o.cudnn.toolTip()
    panel.options.set_inventory(inventory_from_dict(NO_GPU_JSON))
    gpu_item = o.device.model().item(o.device.count() - 1)
    assert not gpu_item.isEnabled() and "NVML is not installed" in gpu_item.toolTip()
    assert "NVML is not installed" in o.device_note.text()


def test_memory_estimate_counts_training_state_and_suggests_the_largest_batch_that_fits():
    a = lenet_analysis()
    train = from_analysis(a, [1, 28, 28], 64, "fp32", "train", "sgd", on_gpu=True, capacity_bytes=80 * 2**30)
    infer = from_analysis(a, [1, 28, 28], 64, "fp32", "infer", "sgd", on_gpu=True, capacity_bytes=80 * 2**30)
    assert train.gradients_bytes == train.weights_bytes == 4 * a.total_params and infer.gradients_bytes == 0
    assert train.activations_bytes > infer.activations_bytes
    half = from_analysis(a, [1, 28, 28], 64, "bf16", "train", "sgd", on_gpu=True, capacity_bytes=80 * 2**30)
    assert half.activations_bytes == train.activations_bytes // 2
    big = estimate(10**6, 10**6, [10**6], 784, batch=100_000, precision="fp32", mode="train", capacity_bytes=2**31)
    assert big.fits is False
    best = big.largest_batch()
    fits = estimate(10**6, 10**6, [10**6], 784, batch=best, precision="fp32", mode="train", capacity_bytes=2**31)
    over = estimate(10**6, 10**6, [10**6], 784, batch=best + 1, precision="fp32", mode="train", capacity_bytes=2**31)
    assert fits.fits and not over.fits


def test_the_estimate_warns_when_the_run_will_not_fit(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)
    panel.options.batch.setValue(1 << 20)
    assert "Will not fit" in panel.estimate_label.text() and "Largest batch that fits" in panel.estimate_label.text()
    panel.options.batch.setValue(64)
    assert "Will not fit" not in panel.estimate_label.text()


def test_run_button_says_why_it_cannot_start(qtbot, tmp_path):
    doc = StaticDocument()
    panel = _panel(qtbot, tmp_path, doc=doc)
    assert panel.start_button.isEnabled()
    doc.set_problems([Problem("conv2", "kernel 5 is larger than the input 4x4", "kernel_size")])
    assert not panel.start_button.isEnabled()
    assert "layer 'conv2' (kernel_size): kernel 5 is larger" in panel.start_button.toolTip()
    assert panel.start() is False
    doc.set_problems([])
    panel.options.dataset.setCurrentIndex(2)  # MNIST needs a folder
    assert "choose the MNIST folder" in panel.start_button.toolTip()
    panel.options.data_path.setText(str(tmp_path / "missing"))
    assert "does not exist" in panel.start_button.toolTip()
    panel.options.data_path.setText(str(tmp_path))
    assert panel.start_button.isEnabled()
    assert panel.options.config().dataset == f"mnist:{tmp_path}"


def test_a_run_locks_the_editor_streams_progress_and_ends_with_the_summary_card(qtbot, tmp_path):
    doc = StaticDocument()
    panel = _panel(qtbot, tmp_path, doc=doc)
    finished = []
    panel.run_finished.connect(finished.append)
    assert panel.start()
    assert doc.read_only and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: panel.controller.state == "running", timeout=20_000)
    assert panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: bool(finished), timeout=20_000)
    assert not doc.read_only and panel.start_button.isEnabled()
    assert panel.progress.value() == 1000 and panel.status.text() == "Finished"
    assert panel.card.isVisible() is False or panel.card.isVisibleTo(panel)
    assert panel.card.values["throughput (samples/s)"].text().endswith("/s")
    assert panel.card.values["J/sample (GPU total)"].text().endswith("mJ")


def test_an_oom_card_names_the_batch_and_offers_the_batch_that_fits(qtbot, tmp_path):
    script = make_script(kind="gpu", seconds=2.0, speed=4.0, oom_at_s=0.2, batch=8192)
    panel = _panel(qtbot, tmp_path, script=script)
    done = []
    panel.run_finished.connect(done.append)
    panel.options.batch.setValue(8192)
    panel.start()
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    card = panel.card
    assert "Out of memory" in card.banner.text() and "8192" in card.banner.text()
    assert card.suggested_batch and card.fix.isVisibleTo(card)
    card.fix.click()
    assert panel.options.batch.value() == card.suggested_batch


def test_stop_from_the_panel_keeps_the_run_as_cancelled(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path, script=make_script(kind="cpu", seconds=30.0))
    done = []
    panel.run_finished.connect(done.append)
    panel.start()
    qtbot.waitUntil(lambda: panel.controller.live.last_step is not None, timeout=20_000)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert done[0].status == "cancelled"
    assert "Stopped" in panel.card.banner.text() and "Stopped" in panel.status.text()


@pytest.mark.parametrize("status", ["ok", "cancelled", "failed"])
def test_summary_card_shows_unavailable_numbers_as_dashes_with_reasons(qtbot, status):
    from gui.run.summary_card import SummaryCard
    result = make_script(kind="cpu", seconds=1.0).result
    result.status = status
    result.error = "the run crashed (exit code 9)" if status == "failed" else None
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(result)
    assert card.values["GPU power avg / peak"].text() == "— / —"
    assert "RAPL" in card.unavailable.text()
    if status == "failed":
        assert "exit code 9" in card.banner.text()


def test_after_an_oom_the_next_batch_comes_from_the_estimate_or_halves_when_it_was_optimistic():
    from gui.run.memory_estimate import oom_suggestion
    tight = estimate(10**6, 10**6, [10**6], 784, batch=4096, precision="fp32", mode="train", capacity_bytes=2**31)
    best, note = oom_suggestion(tight, 4096)
    assert best == tight.largest_batch() and best < 4096 and "Estimate for batch 4096" in note
    roomy = estimate(10**3, 10**3, [10**3], 784, batch=256, precision="fp32", mode="train", capacity_bytes=2**34)
    assert oom_suggestion(roomy, 256)[0] == 128
    unknown = estimate(10**3, 10**3, [10**3], 784, batch=256, precision="fp32", mode="train", capacity_bytes=None)
    assert oom_suggestion(unknown, 256)[0] is None
