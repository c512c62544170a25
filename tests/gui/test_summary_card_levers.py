"""The summary card says what a lever did (the CLI summary's and History's words): int8's quantized
layers and whether its speed is simulated, pruning's parameters, the convolution algorithms, the
runtime, binarization. Before, the card showed the numbers alone, with nothing saying what ran."""
from __future__ import annotations

from engine.results.result import ConvAlgos, ConvLayer, PruneReport, QuantizationReport, Runtime
from gui.run.chart_specs import ChartContext, ChartSpec, never_fills
from gui.run.replay import make_script
from gui.run.summary_card import SummaryCard, levers_html


def _cpu_result(mode: str = "infer"):
    r = make_script(kind="cpu", seconds=2.0, batch=64, mode=mode).result
    r.config = r.config.model_copy(update={"dataset": "digits"})
    return r


def test_the_card_shows_int8_layers_and_that_its_speed_is_simulated(qtbot):
    r = _cpu_result()
    r.config = r.config.model_copy(update={"precision": "int8"})
    r.quantization = QuantizationReport(method="static-ptq", layers=["conv1", "conv2", "fc1"], kernels="reference",
                                        simulated=True, simulated_why="compile off", calibration_samples=512,
                                        calibration_data="digits")
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(r)
    text = card.levers.text()
    assert not card.levers.isHidden()
    assert "<b>int8</b> static-ptq: conv1, conv2, fc1" in text and "SIMULATED" in text and "512 samples" in text


def test_the_card_shows_pruning_conv_algorithms_and_the_runtime(qtbot):
    r = _cpu_result()
    r.prune = PruneReport(kind="structured", amount=0.5, layers=["conv1", "conv2"], params_before=61706,
                          params_after=35820)
    r.conv_algos = ConvAlgos(layers=[ConvLayer(layer="conv1", algo="im2col", chosen_by="run",
                                               im2col_buffer_bytes=627200)])
    r.runtime = Runtime(backend="onnxruntime", provider="CPUExecutionProvider", version="1.32.0", export_s=0.5)
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(r)
    text = card.levers.text()
    assert "61,706 -&gt; 35,820" in text and "layers conv1, conv2" in text
    assert "<b>convolution</b> im2col x1" in text and "CPUExecutionProvider" in text


def test_a_run_without_levers_shows_no_lever_line(qtbot):
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(_cpu_result("train"))
    assert levers_html(_cpu_result("train")) == "" and card.levers.isHidden()


def test_an_inference_run_s_accuracy_is_labelled_held_out_not_training_only(qtbot):
    r = _cpu_result()
    r.accuracy = 0.983
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(r)
    assert card.values["held-out accuracy"].text() == "98.3 %"
    assert "training only" not in " ".join(card.values)


def test_the_folded_training_charts_of_an_inference_run_do_not_deny_its_accuracy():
    r = _cpu_result()
    ctx = ChartContext.from_result(r)
    why = never_fills(ChartSpec(key="loss", title="Training loss", units="", curves=(), needs="train"), ctx, None)
    assert why and "measured when training" not in why and "at the end" in why
