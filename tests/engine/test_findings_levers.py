"""Findings for pruning and int8: an unstructured prune says why no speed-up is expected, a
structured one states the smaller network, and a simulated int8 run is never a speed-up."""
from __future__ import annotations

from engine.results.findings import findings
from engine.results.result import PruneReport, QuantizationReport
from tests.engine.fake_runs import make_run


def _pruned(run_id: str, prune: str, tp: float, zeros: float | None = None, after: int = 61_706):
    r = make_run(run_id, device="cpu", mode="infer", throughput_sps=tp, accuracy=0.97)
    r.config.prune, r.config.weights = prune, "w1"
    kind = prune.split(":")[0]
    r.prune = PruneReport(kind=kind, amount=0.5, layers=["conv1"], params_before=61_706, params_after=after,
                          zero_weights_share=zeros)
    return r


def _base(run_id: str, tp: float, **kw):
    r = make_run(run_id, device="cpu", mode="infer", throughput_sps=tp, accuracy=0.98, **kw)
    r.config.weights = "w1"
    return r


def test_unstructured_pruning_finding_says_the_zeros_alone_buy_no_speed():
    runs = [_base("a", 1000.0), _pruned("b", "unstructured:0.5", 1002.0, zeros=0.5)]
    [f] = [f for f in findings(runs) if f.kind == "lever"]
    assert f.text.startswith("prune unstructured:0.5 vs unpruned on lenet, AMD EPYC 7B13, infer")
    assert "50 % of the pruned layers' weights are zero" in f.text and "no speed-up is expected" in f.text
    assert "accuracy -1.0 points" in f.text


def test_structured_pruning_finding_states_the_smaller_network_and_its_speed():
    runs = [_base("a", 1000.0), _pruned("b", "structured:0.5", 1600.0, after=35_820)]
    [f] = [f for f in findings(runs) if f.kind == "lever"]
    assert "1.60× the throughput" in f.text and "61,706 -> 35,820 parameters" in f.text


def test_simulated_int8_is_never_reported_as_a_speed_up():
    fp32 = _base("a", 1000.0)
    int8 = _base("b", 3000.0, precision="int8")
    int8.quantization = QuantizationReport(method="static-ptq", layers=["conv1"], kernels="reference", simulated=True)
    [f] = [f for f in findings([fp32, int8]) if f.kind == "lever"]
    assert "simulated int8" in f.text and "×" not in f.text and f.numbers == {"simulated": 1.0}
    int8.quantization = QuantizationReport(method="static-ptq", layers=["conv1"], kernels="oneDNN", simulated=False)
    [f] = [f for f in findings([fp32, int8]) if f.kind == "lever"]
    assert "3.00× the throughput" in f.text


def test_simulated_int8_pairs_are_left_out_of_a_comparison_that_has_real_ones():
    runs = []
    for compile_mode, tp in ((None, 1000.0), ("default", 2000.0)):
        fp32 = _base(f"f{compile_mode}", tp, compile=compile_mode)
        int8 = _base(f"i{compile_mode}", tp * 1.5, precision="int8", compile=compile_mode)
        int8.quantization = QuantizationReport(method="static-ptq", layers=["conv1"], kernels="k",
                                               simulated=compile_mode is None)
        runs += [fp32, int8]
    text = {f.text.split(" vs ")[0]: f for f in findings(runs) if f.kind == "lever"}
    assert "1.50× the throughput" in text["int8"].text and "simulated int8 runs (no compile) left out" in text["int8"].text
    assert "2.00× the throughput" in text["compile:default"].text  # fp32 pair alone: int8 eager is simulated


def test_a_simulated_int8_run_is_labelled_simulated_in_tables_and_charts():
    # The compare table showed "int8 ... 1,085 1.50×" in green beside fp32, nothing saying it was simulated.
    from engine.results.compare import short_labels
    fp32, sim, real = _base("a", 1000.0), _base("b", 1500.0, precision="int8"), _base("c", 1500.0, precision="int8",
                                                                                      compile="default")
    sim.quantization = QuantizationReport(method="static-ptq", layers=["conv1"], kernels="reference", simulated=True)
    real.quantization = QuantizationReport(method="static-ptq", layers=["conv1"], kernels="oneDNN", simulated=False)
    labels = short_labels([fp32, sim, real])
    assert labels["b"].endswith(" (simulated int8)") and "simulated" not in labels["c"] + labels["a"]
