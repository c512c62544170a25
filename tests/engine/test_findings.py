"""Findings: plain-language statements computed from the data, each with its numbers; none without data."""
from __future__ import annotations

import pytest

from engine.results.findings import findings
from tests.engine.fake_runs import make_run, sweep_runs


def texts(fs):
    return [f.text for f in fs]


def test_precision_finding_has_the_measured_ratios():
    fs = findings(sweep_runs())
    lever = [f for f in fs if f.kind == "lever"]
    assert len(lever) == 1
    f = lever[0]
    assert f.text.startswith("bf16 vs fp32")
    assert "2.00× the throughput" in f.text and "2.00× less energy per sample" in f.text
    assert f.numbers["throughput_ratio"] == pytest.approx(2.0)
    assert f.numbers["energy_per_sample_ratio"] == pytest.approx(0.5)
    assert f.numbers["pairs"] == 3 and len(f.run_ids) == 6


def test_channels_last_finding_and_slowdown_wording():
    runs = [make_run("a", throughput_sps=1000), make_run("b", channels_last=True, throughput_sps=500)]
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert "channels-last vs contiguous" in f.text and "2.00× less throughput" in f.text


def test_device_finding_compares_gpu_to_cpu_and_labels_estimates():
    runs = [make_run("c", device="cpu", throughput_sps=1000, energy_per_sample_j=0.05),
            make_run("g", device="cuda", throughput_sps=20000, energy_per_sample_j=0.001,
                     energy_method="integrated-instant-power")]
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert f.text.startswith("GPU vs CPU") and "20.00× the throughput" in f.text
    assert "50.00× less energy per sample (estimated)" in f.text


def test_no_energy_no_energy_statement():
    runs = [make_run("a", device="cpu", energy_per_sample_j=None), make_run("b", device="cpu", precision="bf16",
                                                                            energy_per_sample_j=None, throughput_sps=5000)]
    all_text = " ".join(texts(findings(runs)))
    assert "energy" not in all_text
    assert "0.50×" not in all_text and "bf16 vs fp32" in all_text


def test_unmatched_runs_give_no_lever_finding():
    # different precision AND different batch: no matched pair, so no precision claim
    runs = [make_run("a", batch=32), make_run("b", precision="bf16", batch=256)]
    assert not [f for f in findings(runs) if f.kind == "lever"]


def test_batch_saturation():
    tps = {32: 10000, 256: 20000, 1024: 20500, 4096: 20800}
    runs = [make_run(f"b{b}", batch=b, throughput_sps=t) for b, t in tps.items()]
    (f,) = [f for f in findings(runs) if f.kind == "batch"]
    assert "stops growing beyond batch 256" in f.text and f.numbers["batch"] == 256


def test_batch_still_growing_and_falling():
    growing = [make_run(f"b{b}", batch=b, throughput_sps=b * 10) for b in (32, 256, 1024)]
    assert "still grows" in texts(findings(growing))[1] or any("still grows" in t for t in texts(findings(growing)))
    falling = [make_run(f"b{b}", batch=b, throughput_sps=t) for b, t in ((32, 100), (256, 1000), (1024, 500))]
    t = texts(findings(falling))
    assert any("Throughput peaks at batch 256" in x and "0.50× that" in x for x in t)
    assert not any("stops growing" in x for x in t)  # one statement about the curve, not two


def test_oom_failed_and_skipped_are_named():
    runs = [make_run("ok", batch=256), make_run("o", batch=8192, status="oom", error="CUDA out of memory"),
            make_run("f", batch=512, status="failed", error="device lost")]
    skipped = [({"device": "cuda", "precision": "fp32", "mode": "train", "batch": 16384}, "batch 8192 ran out of memory")]
    t = texts(findings(runs, skipped))
    assert any("Batch 8192 ran out of memory" in x for x in t)
    assert any("failed: device lost" in x for x in t)
    assert any("b16384 was not run: batch 8192 ran out of memory" in x for x in t)


def test_no_runs_no_findings_and_single_run_no_comparisons():
    assert findings([]) == []
    assert findings([make_run("a")]) == []


def test_accuracy_spread():
    runs = [make_run("a", accuracy=0.98), make_run("b", precision="bf16", accuracy=0.90)]
    assert any("Accuracy ranges from 90.0%" in t for t in texts(findings(runs)))


# --- findings with statistics --------------------------------------------------------------------

def _repeat(run_id, **kw):
    return make_run(run_id, **kw)


def test_repeated_pairs_that_disagree_are_inconclusive():
    runs = []
    for i, (fast, slow) in enumerate(((120.0, 1000.0), (14500.0, 1000.0), (120.0, 1000.0), (14500.0, 1000.0))):
        runs.append(_repeat(f"b{i}", device="cpu", precision="bf16", throughput_sps=fast))
        runs.append(_repeat(f"f{i}", device="cpu", precision="fp32", throughput_sps=slow))
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert "inconclusive for throughput" in f.text and "×" not in f.text.split("inconclusive")[0].split(":")[-1]
    assert f.numbers["conclusive"] == 0.0 and len(f.run_ids) == 8


def test_a_busy_machine_is_named_in_an_inconclusive_finding():
    runs = [_repeat("a1", device="cpu", precision="bf16", throughput_sps=120.0, quality=["machine busy: x"]),
            _repeat("a2", device="cpu", precision="bf16", throughput_sps=14500.0),
            _repeat("b1", device="cpu", precision="fp32", throughput_sps=1000.0),
            _repeat("b2", device="cpu", precision="fp32", throughput_sps=1000.0)]
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert "inconclusive for throughput: 0.12–14.5×, machine busy" in f.text
    assert "the same energy per sample" in f.text


def test_agreeing_repeats_give_a_ratio_with_its_interval():
    runs = [_repeat(f"b{i}", device="cuda", precision="bf16", throughput_sps=v) for i, v in enumerate((200, 205, 198))]
    runs += [_repeat(f"f{i}", device="cuda", precision="fp32", throughput_sps=v) for i, v in enumerate((100, 101, 99))]
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert "× the throughput (" in f.text and f.numbers["conclusive"] == 1.0
    assert 1.9 < f.numbers["throughput_ratio_low"] <= f.numbers["throughput_ratio"] <= f.numbers["throughput_ratio_high"]


def test_cpu_and_gpu_pairs_make_two_findings_each_naming_its_own_device():
    runs = [make_run("cb", device="cpu", precision="bf16", throughput_sps=2000), make_run("cf", device="cpu"),
            make_run("gb", device="cuda", precision="bf16", throughput_sps=30000), make_run("gf", device="cuda")]
    levers = [f for f in findings(runs) if f.kind == "lever" and f.text.startswith("bf16")]
    assert len(levers) == 2
    on_cpu = next(f for f in levers if "AMD EPYC 7B13" in f.text)
    on_gpu = next(f for f in levers if "NVIDIA H200" in f.text)
    assert set(on_cpu.run_ids) == {"cb", "cf"} and set(on_gpu.run_ids) == {"gb", "gf"}


def test_a_dip_then_a_rise_does_not_say_stops_growing():
    runs = [make_run(f"r{b}", device="cpu", batch=b, throughput_sps=tp) for b, tp in ((64, 100), (256, 90), (1024, 200))]
    batch = [f for f in findings(runs) if f.kind == "batch"]
    assert batch and not any("stops growing" in f.text for f in batch)
    assert "not steadily: 90.0 samples/s at batch 256, less than at batch 64" in batch[0].text


def test_measured_and_estimated_energy_are_never_put_in_one_ratio():
    runs = [make_run("g1", device="cuda", energy_per_sample_j=0.002, energy_method="counter"),
            make_run("g2", device="cuda", precision="bf16", energy_per_sample_j=0.001, throughput_sps=20000,
                     energy_method="integrated-instant-power")]
    (f,) = [f for f in findings(runs) if f.kind == "lever"]
    assert "energy per sample not compared (measured on one side, estimated on the other)" in f.text


def _algo_run(run_id, algo, tp, mem_mib, layers=None):
    r = make_run(run_id, device="cpu", batch=8, throughput_sps=tp, energy_per_sample_j=None)
    r.config = r.config.model_copy(update={"conv_algo": algo})
    r.memory_bytes.host_peak_rss = mem_mib * 2**20
    if layers is not None:
        r.conv_algos = {"layers": layers}
    return r


def test_conv_algorithms_are_ranked_and_compared_with_the_library():
    im2col_layers = [{"layer": "conv1", "algo": "im2col", "chosen_by": "run", "im2col_buffer_bytes": 2**20},
                     {"layer": "conv2", "algo": "im2col", "chosen_by": "run", "im2col_buffer_bytes": 3 * 2**20}]
    runs = [_algo_run("lib", "library", 3100, 600), _algo_run("i2c", "im2col", 1000, 620, im2col_layers),
            _algo_run("fft", "fft", 500, 700), _algo_run("dir", "direct", 100, 605)]
    fs = findings(runs)
    (rank,) = [f for f in fs if f.kind == "rank"]
    assert rank.text.startswith("Conv algorithm ranked by throughput on lenet, AMD EPYC 7B13, train")
    assert "library 3,100 samples/s; im2col 3.1× slower (+20 MiB); fft 6.2× slower (+100 MiB); direct 31.0× slower" \
        in rank.text
    lever = {f.text.split(" vs ")[0]: f.text for f in fs if f.kind == "lever"}
    assert set(lever) == {"im2col", "fft", "direct"} and all(" vs library on lenet" in t for t in lever.values())
    assert "3.10× less throughput" in lever["im2col"] and "peak memory +20 MiB" in lever["im2col"]
    (conv,) = [f for f in fs if f.kind == "conv"]
    assert conv.text == ("im2col on lenet at batch 8 (fp32): the unfolded inputs take 4.0 MiB per forward pass "
                         "(conv2 the largest, 3.0 MiB).")


def test_rankings_within_another_levers_values_name_that_value():
    """Two rankings of pruning (float and binarized) once read as one contradicting the other: neither
    named the lever that set them apart."""
    runs = []
    for precision, speeds in (("fp32", (3000, 1000, 500)), ("bf16", (400, 900, 1200))):
        for algo, tp in zip(("library", "im2col", "fft"), speeds, strict=True):
            r = _algo_run(f"{precision}{algo}", algo, tp, 600)
            r.config = r.config.model_copy(update={"precision": precision})
            runs.append(r)
    ranks = sorted(f.text for f in findings(runs) if f.kind == "rank")
    assert len(ranks) == 2
    assert ranks[0].startswith("Conv algorithm ranked by throughput on lenet, AMD EPYC 7B13, train at batch 8, bf16: "
                               "fft 1,200 samples/s")
    assert ranks[1].startswith("Conv algorithm ranked by throughput on lenet, AMD EPYC 7B13, train at batch 8, fp32: "
                               "library 3,000 samples/s")


def test_two_values_are_not_ranked_and_other_levers_keep_apart():
    runs = [_algo_run("lib", "library", 3000, 600), _algo_run("i2c", "im2col", 1000, 600)]
    fs = findings(runs)
    assert not [f for f in fs if f.kind == "rank"]
    (lever,) = [f for f in fs if f.kind == "lever"]
    assert "peak memory" not in lever.text  # the same memory: nothing said


def test_library_kernels_found_on_a_gpu_are_named():
    layers = [{"layer": f"conv{i}", "algo": "library", "chosen_by": "run",
               "library_kernels": ["sm90_xmma_fprop_implicit_gemm_bf16" if i < 3 else "cudnn_winograd", "other"]}
              for i in range(1, 5)]
    small, big = make_run("a", batch=64), make_run("b", batch=256)
    small.conv_algos = {"layers": layers}
    big.conv_algos = {"layers": layers}
    (f,) = [f for f in findings([small, big]) if f.kind == "conv"]
    assert f.run_ids == ("b",)  # the largest batch speaks for the place
    assert "on NVIDIA H200 for lenet" in f.text
    assert "sm90_xmma_fprop_implicit_gemm_bf16 (conv1, conv2); cudnn_winograd (conv3, conv4)" in f.text


def test_repeats_of_one_batch_give_no_batch_finding_and_a_refusal_is_named_once():
    runs = [_repeat(f"r{i}", device="cpu", throughput_sps=tp) for i, tp in enumerate((40.0, 41.0, 39.0))]
    assert not [f for f in findings(runs) if f.kind in ("batch", "memory")]
    refused = {"device": "cpu", "precision": "fp32", "mode": "train", "batch": 64, "conv_algo": "winograd"}
    skipped = [(refused, "it failed before running (layer 'conv1': a 5x5 kernel)"),
               (refused, "cpu fp32 winograd was refused: layer 'conv1': a 5x5 kernel")]
    named = [f.text for f in findings(runs, skipped) if f.kind == "skipped"]
    assert named == ["cpu fp32 train b64 +conv-algo:winograd was not run: it failed before running "
                     "(layer 'conv1': a 5x5 kernel)."]
def test_configurations_ruled_out_for_one_reason_are_named_in_one_finding():
    def config(backend, prune):
        return {"device": "cpu", "precision": "int8", "mode": "infer", "batch": 64, "backend": backend, "prune": prune}
    why = "ONNX Runtime runs the exported fp32 model: use fp32 with it"
    skipped = [(config("onnxruntime", None), why), (config("onnxruntime", "structured:0.5"), why),
               (config("torch", "2:4"), "2:4 needs a GPU")]
    named = [f.text for f in findings([], skipped) if f.kind == "skipped"]
    assert named == [f"2 configurations were not run ({why}): cpu int8 infer b64 +backend:onnxruntime, "
                     f"cpu int8 infer b64 +backend:onnxruntime +prune:structured:0.5.",
                     "cpu int8 infer b64 +prune:2:4 was not run: 2:4 needs a GPU."]


def test_runtime_lever_finding_names_onnx_runtime_against_pytorch():
    torch_run = make_run("t", device="cpu", mode="infer", throughput_sps=1000.0)
    ort_run = make_run("o", device="cpu", mode="infer", throughput_sps=1500.0)
    ort_run.config = ort_run.config.model_copy(update={"backend": "onnxruntime"})
    (f,) = [f for f in findings([torch_run, ort_run]) if f.kind == "lever"]
    assert f.text.startswith("ONNX Runtime vs PyTorch on lenet, AMD EPYC 7B13, infer")
    assert f.numbers["throughput_ratio"] == pytest.approx(1.5)


def test_a_binarized_net_is_labelled_simulated_never_a_speed_up():
    float_run = make_run("f", device="cpu", mode="infer", throughput_sps=1000.0, network="lenet")
    binary_run = make_run("b", device="cpu", mode="infer", throughput_sps=3000.0, network="lenet-binary")
    binary_run.network.binary_flops_per_sample = 5_000_000
    found = findings([float_run, binary_run])
    (best,) = [f for f in found if f.kind == "best" and f.text.startswith("Fastest")]
    assert "lenet-binary" in best.text and "(simulated binarization)" in best.text
    (sim,) = [f for f in found if f.kind == "simulated"]
    assert "lenet-binary" in sim.text and "not a binarization speed-up" in sim.text and sim.run_ids == ("b",)


def test_profiled_runs_give_each_conv_layers_cost_per_algorithm():
    """The issue's style, 'im2col vs library on resnet9 conv3: 3.1× slower, +148 MiB': per layer where the
    profiles have the layer times."""
    from types import SimpleNamespace

    from engine.results.lever_rank import conv_layer_findings

    def layers(algo, buffers=(None, None)):
        return [{"layer": lid, "algo": algo, "chosen_by": "run", "im2col_buffer_bytes": b}
                for lid, b in zip(("conv1", "conv2"), buffers, strict=True)]

    def profile(conv1_s, conv2_s):
        return SimpleNamespace(layers=[SimpleNamespace(id="conv1", time_s=conv1_s), SimpleNamespace(id="conv2", time_s=conv2_s),
                                       SimpleNamespace(id="fc1", time_s=1.0)])
    runs = [_algo_run("lib", "library", 3000, 600, layers("library")),
            _algo_run("i2c", "im2col", 1000, 620, layers("im2col", (2**20, 148 * 2**20))),
            _algo_run("fft", "fft", 500, 700, layers("fft"))]
    profiles = {"lib": profile(1.0, 2.0), "i2c": profile(1.5, 6.2), "fft": profile(0.5, 9.0)}
    texts = sorted(f.text for f in conv_layer_findings(runs, profiles))
    assert texts == [
        "fft vs library per layer on lenet, AMD EPYC 7B13, train at batch 8 (profiled, forward + backward time of "
        "each layer): conv2 4.5× slower; conv1 2.0× faster.",
        "im2col vs library per layer on lenet, AMD EPYC 7B13, train at batch 8 (profiled, forward + backward time of "
        "each layer): conv2 3.1× slower, +148.0 MiB; conv1 1.5× slower, +1.0 MiB."]
    assert conv_layer_findings(runs, {"i2c": profiles["i2c"]}) == []  # no profiled library run to compare with


def test_best_lines_compare_configurations_not_repeats_of_one():
    """A sweep with repeats said 'Fastest: int8 at 18,423 samples/s, 70.2x the slowest (int8, 262 samples/s)':
    two repeats of one configuration. Each configuration is now its median repeat."""
    runs = [make_run(f"i{k}", device="cpu", mode="infer", throughput_sps=v) for k, v in enumerate((262.0, 900.0, 18423.0))]
    runs += [make_run(f"f{k}", device="cpu", mode="infer", throughput_sps=v) for k, v in enumerate((500.0, 600.0, 700.0))]
    for r in runs[:3]:
        r.config = r.config.model_copy(update={"precision": "int8"})
    (best,) = [f for f in findings(runs) if f.kind == "best" and f.text.startswith("Fastest")]
    assert best.run_ids == ("i1", "f1") and "int8 at 900 samples/s" in best.text and "1.5×" in best.text
    one_config = [make_run(f"r{k}", device="cpu", mode="infer", throughput_sps=v) for k, v in enumerate((1.0, 9.0))]
    assert not [f for f in findings(one_config) if f.kind == "best"]
