"""The run panel: what can be chosen on which device (and why not), the memory estimate, the Run
button's reasons, read-only editing during a run, and the summary / OOM cards."""
from __future__ import annotations

import functools

import pytest

from engine.format import MISSING
from engine.net.analysis import Problem
from gui.run.controller import RunController
from gui.run.devices import inventory_from_dict
from gui.run.replay import make_script, replay_worker
from tests.gui.static_document import StaticDocument

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


def test_the_form_disables_items_with_tooltips_and_defaults_to_the_first_gpu(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)
    o = panel.options
    precision, cudnn = o.controls["precision"], o.controls["cudnn_benchmark"]
    assert o.current_device().key == "cuda:0"
    o.device.setCurrentIndex(2)  # the V100
    tf32 = precision.model().item(precision.findData("tf32"))
    assert not tf32.isEnabled() and "compute capability 8.0" in tf32.toolTip()
    precision.setCurrentIndex(precision.findData("bf16"))  # bf16 is not allowed: falls back to fp32
    assert o.value("precision") == "fp32"
    o.device.setCurrentIndex(0)
    assert not cudnn.isEnabled() and "CPU" in cudnn.toolTip()
    panel.options.set_inventory(inventory_from_dict(NO_GPU_JSON))
    gpu_item = o.device.model().item(o.device.count() - 1)
    assert not gpu_item.isEnabled() and "NVML is not installed" in gpu_item.toolTip()
    assert "NVML is not installed" in o.device_note.text()


def test_int8_follows_the_engine_rule_inference_on_the_cpu_and_recent_gpus(qtbot, tmp_path):
    """The form once refused int8 everywhere while the engine ran it for CPU inference."""
    o = _panel(qtbot, tmp_path).options
    precision = o.controls["precision"]
    int8 = precision.model().item(precision.findData("int8"))
    o.device.setCurrentIndex(0)  # CPU, training
    assert not int8.isEnabled() and "only for inference" in int8.toolTip()
    o.set_value("mode", "infer")
    assert int8.isEnabled()
    o.set_value("precision", "int8")
    assert o.config().precision == "int8"
    o.device.setCurrentIndex(1)  # an H100: int8 runs there too (torchao's int8 Linear layers)
    assert int8.isEnabled() and o.value("precision") == "int8"
    o.device.setCurrentIndex(2)  # a V100: no bf16 for the layers int8 leaves, so the form falls back
    assert not int8.isEnabled() and "compute capability 8.0" in int8.toolTip() and o.value("precision") == "fp32"


def test_pruning_is_typed_empty_is_off_and_a_bad_value_is_named(qtbot, tmp_path):
    o = _panel(qtbot, tmp_path).options
    prune = o.controls["prune"]
    assert o.config().prune is None and prune.placeholderText().startswith("off")
    prune.setText("structured:0.50")
    assert o.config().prune == "structured:0.5"
    o.set_value("prune", None)
    assert prune.text() == "" and o.config().prune is None
    prune.setText("sparse")
    with pytest.raises(ValueError, match="Pruning: prune 'sparse': unknown kind"):
        o.config()


def test_training_options_are_offered_and_say_when_they_do_not_apply(qtbot, tmp_path):
    o = _panel(qtbot, tmp_path).options
    for name, value in (("optimizer", "adam"), ("lr", 0.001), ("seed", 7), ("eval_every_s", 5.0)):
        o.set_value(name, value)
    o.set_value("dataset", "digits")
    c = o.config()
    assert (c.optimizer, c.lr, c.seed, c.eval_every_s, c.dataset) == ("adam", 0.001, 7, 5.0, "digits")
    o.set_value("dataset", "synthetic")
    assert not o.controls["eval_every_s"].isEnabled() and "held-out" in o.controls["eval_every_s"].toolTip()
    o.set_value("mode", "infer")
    assert not o.controls["optimizer"].isEnabled() and "only when training" in o.controls["lr"].toolTip()
    assert o.config().optimizer == "sgd"  # an option the mode rules out keeps its default in the run


def test_gui_text_uses_plain_words_not_field_names_or_flags(qtbot, tmp_path):
    from PySide6.QtWidgets import QLabel
    o = _panel(qtbot, tmp_path).options
    names = set(o.fields) - {"device", "mode", "precision", "seed"}  # words that are also plain English
    texts = [w.text() for w in o.findChildren(QLabel)] + [w.toolTip() for w in o.findChildren(QLabel)]
    texts += [c.toolTip() for c in o.controls.values()]
    for text in texts:
        assert "--" not in text and not any(n in text.split() for n in names if "_" in n), text


def test_gui_and_cli_start_from_the_same_defaults(qtbot, tmp_path):
    from engine.run import RunConfig
    o = _panel(qtbot, tmp_path).options
    o.device.setCurrentIndex(0)
    assert o.config() == RunConfig(device="cpu")


def test_the_estimate_warns_when_the_run_will_not_fit(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)
    panel.options.set_value("batch", 1 << 20)
    assert "Will not fit" in panel.estimate_label.text() and "Largest batch that fits" in panel.estimate_label.text()
    panel.options.set_value("batch", 64)
    assert "Will not fit" not in panel.estimate_label.text()


def test_the_estimate_counts_the_im2col_buffers_of_the_chosen_algorithm(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)
    before = panel.estimate.total_bytes
    assert "convolution buffers" not in panel.estimate_label.text()
    panel.options.set_value("conv_algo", "im2col")
    assert "convolution buffers" in panel.estimate_label.text() and "im2col x2" in panel.estimate_label.text()
    assert panel.estimate.total_bytes - before == panel.estimate.conv_workspace_bytes > 0


def test_run_button_says_why_it_cannot_start(qtbot, tmp_path):
    doc = StaticDocument()
    panel = _panel(qtbot, tmp_path, doc=doc)
    assert panel.start_button.isEnabled()
    doc.set_problems([Problem("conv2", "kernel 5 is larger than the input 4x4", "kernel_size")])
    assert not panel.start_button.isEnabled()
    assert "layer 'conv2' (kernel_size): kernel 5 is larger" in panel.start_button.toolTip()
    assert panel.start() is False
    doc.set_problems([])
    data = panel.options.controls["dataset"]
    data.kind.setCurrentIndex(data.kind.findData("mnist"))  # MNIST needs a folder
    assert "choose the MNIST folder" in panel.start_button.toolTip()
    data.path.setText(str(tmp_path / "missing"))
    assert "does not exist" in panel.start_button.toolTip()
    data.path.setText(str(tmp_path))
    assert panel.start_button.isEnabled()
    assert panel.options.config().dataset == f"mnist:{tmp_path}"


def test_run_button_says_when_the_conv_algorithm_cannot_compute_a_layer(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path)  # lenet: 5x5 kernels
    panel.options.set_value("conv_algo", "winograd")
    assert not panel.start_button.isEnabled()
    assert "layer 'conv1' (conv_algo winograd): Winograd F(2x2,3x3) computes 3x3 kernels" in panel.why.text()
    panel.options.set_value("conv_algo", "fft")
    assert panel.start_button.isEnabled()


def test_run_button_says_two_of_four_pruning_has_no_kernel_on_the_cpu(qtbot, tmp_path):
    panel = _panel(qtbot, tmp_path, inventory=NO_GPU_JSON)
    panel.options.set_value("mode", "infer")
    panel.options.set_value("prune", "2:4")
    assert not panel.start_button.isEnabled()
    assert panel.why.text().startswith("Pruning: prune 2:4: semi-structured sparse kernels run only on NVIDIA GPUs")
    panel.options.set_value("prune", "structured:0.5")
    assert panel.start_button.isEnabled()


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
    panel.options.set_value("batch", 8192)
    panel.start()
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    card = panel.card
    assert "Out of memory" in card.banner.text() and "8192" in card.banner.text()
    assert card.suggested_batch and card.fix.isVisibleTo(card)
    card.fix.click()
    assert panel.options.value("batch") == card.suggested_batch


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
    assert card.values["GPU power avg / peak"].text() == f"{MISSING} / {MISSING}"
    assert "RAPL" in card.unavailable.text()
    if status == "failed":
        assert "exit code 9" in card.banner.text()


def test_summary_card_badge_says_disturbed_with_the_sentences(qtbot):
    from gui.run.summary_card import SummaryCard
    result = make_script(kind="cpu", seconds=1.0).result
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(result)
    assert card.badge.isHidden()
    result.disturbed = True
    result.quality.append("machine busy: other processes used 1.9 of 2 cores during the window (python 1.9)")
    card.show_result(result)
    assert not card.badge.isHidden() and "DISTURBED" in card.badge.text()
    assert "machine busy" in card.badge.toolTip()
    result.disturbed = False
    result.quality[-1] = "unstable: the throughput of the 10 windows disagree (95 % interval 40% of the median wide)"
    card.show_result(result)
    assert "UNSTABLE" in card.badge.text() and "unstable" in card.badge.toolTip()
