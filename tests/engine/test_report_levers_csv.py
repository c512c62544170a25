"""The report's CSV names each run's levers (conv algorithm, pruning, runtime, binarization, what int8
quantized and whether its speed is simulated): before, rows of a lever sweep could not be told apart."""
from __future__ import annotations

import csv

from engine.results.report.tabular import write_csv
from engine.results.result import ConvAlgos, ConvLayer, PruneReport, QuantizationReport, Runtime
from tests.engine.fake_runs import make_run


def test_csv_rows_of_a_lever_sweep_say_which_lever_each_ran(tmp_path):
    base, im2col, pruned, int8, ort = (make_run(f"r{i}", device="cpu") for i in range(5))
    im2col.config = im2col.config.model_copy(update={"conv_algo": "im2col"})
    im2col.conv_algos = ConvAlgos(layers=[ConvLayer(layer="conv1", algo="im2col", chosen_by="run",
                                                    im2col_buffer_bytes=1000),
                                          ConvLayer(layer="conv2", algo="im2col", chosen_by="run",
                                                    im2col_buffer_bytes=24)])
    pruned.config = pruned.config.model_copy(update={"prune": "unstructured:0.5"})
    pruned.prune = PruneReport(kind="unstructured", amount=0.5, layers=["conv1"], params_before=10, params_after=10,
                               zero_weights_share=0.5)
    int8.config = int8.config.model_copy(update={"precision": "int8", "mode": "infer"})
    int8.quantization = QuantizationReport(method="static-ptq", layers=["conv1", "fc1"], kernels="reference",
                                           simulated=True)
    ort.config = ort.config.model_copy(update={"backend": "onnxruntime", "mode": "infer"})
    ort.runtime = Runtime(backend="onnxruntime", provider="CPUExecutionProvider", version="1.32.0")
    write_csv([base, im2col, pruned, int8, ort], tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        rows = {r["run_id"]: r for r in csv.DictReader(fh)}
    assert rows["r0"]["conv_algo"] == "library" and rows["r0"]["prune"] == "" and rows["r0"]["backend"] == "torch"
    assert rows["r1"]["conv_algo"] == "im2col" and rows["r1"]["im2col_buffer_bytes"] == "1024"
    assert rows["r2"]["prune"] == "unstructured:0.5" and rows["r2"]["prune_zero_weights_fraction"] == "0.5"
    assert rows["r3"]["quantized_layers"] == "conv1 fc1" and rows["r3"]["quantization_simulated"] == "True"
    assert rows["r4"]["backend"] == "onnxruntime" and rows["r4"]["runtime_provider"] == "CPUExecutionProvider"
    assert rows["r0"]["binarize"] == "False"
