"""The run loop on the CPU with hand-made nets: events, result keys, timing, stop, failures."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn as nn

from engine.errors import BadRunInput, Unsupported
from engine.results.result import RunResult
from engine.run.events import PhaseChanged, RunFinished, RunStarted, StepMetrics, TelemetryBatch
from engine.run.loop import REPORT_EVERY_S, run_model
from tests.engine.tiny_nets import NETWORK, TinyCNN, fast_config

SHAPE = (1, 8, 8)
DESIGN_KEYS = ("run_id", "status", "error", "network", "config", "hardware", "throughput_sps", "step_time_s",
               "energy_j", "energy_per_sample_j", "power_w", "memory_bytes", "loss", "accuracy", "measured_s",
               "quality", "series", "unavailable")


def _run(config, net=TinyCNN, shape=SHAPE, num_classes=10, should_stop=lambda: False):
    events = []
    result = run_model(net, NETWORK, shape, num_classes, config, events.append, should_stop)
    return result, events


def test_train_run_reports_every_key_and_sane_figures():
    result, events = _run(fast_config(steps=30))
    assert result.status == "ok" and result.error is None
    data = json.loads(result.model_dump_json())
    for key in DESIGN_KEYS:
        assert key in data, key
    assert result.steps == 30 and result.samples == 30 * 32
    assert result.throughput_sps == pytest.approx(result.samples / result.measured_s)
    st = result.step_time_s
    assert 0 < st.p50 <= st.p90 <= st.p99
    assert result.loss is not None and result.loss > 0
    assert result.accuracy is None and "synthetic" in result.unavailable["accuracy"]
    assert "--" not in result.unavailable["accuracy"]  # the window shows it too: no CLI flags
    assert result.hardware.device_name and result.hardware.torch == torch.__version__
    assert result.unavailable["energy_j.gpu"] == "the run used the CPU"
    assert result.config.batch == 32 and result.network.name == "tiny"
    # events: started first, finished last, phases in order
    assert isinstance(events[0], RunStarted) and events[0].run_id == result.run_id
    assert isinstance(events[-1], RunFinished) and RunResult.model_validate_json(events[-1].result_json) == result
    phases = [e.phase for e in events if isinstance(e, PhaseChanged)]
    assert phases == ["warmup", "timed", "done"]
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert steps and steps[-1].step == 30 and steps[-1].samples == 960
    assert result.series.steps.t_s and len(result.series.steps.t_s) == len(steps)
    assert result.series.steps.samples[-1] == 960


def test_seconds_limit_and_step_metrics_rate():
    result, events = _run(fast_config(steps=None, seconds=0.6))
    assert result.status == "ok"
    assert 0.6 <= result.measured_s < 1.5
    n_metrics = sum(isinstance(e, StepMetrics) for e in events)
    assert n_metrics <= result.measured_s / REPORT_EVERY_S + 3  # never more than ~20 Hz


def test_digits_training_reaches_real_accuracy():
    cfg = fast_config(dataset="digits", steps=None, seconds=2.5, batch=64, optimizer="adam", lr=0.01,
                      eval_every_s=0.5)
    result, events = _run(cfg)
    assert result.status == "ok"
    assert result.accuracy is not None and result.accuracy > 0.6  # chance is 0.1
    assert "accuracy" not in result.unavailable
    assert any("held-out evaluation" in q for q in result.quality)
    # evaluation pauses are excluded from the timed figures
    live_acc = [e.accuracy for e in events if isinstance(e, StepMetrics) and e.accuracy is not None]
    assert live_acc, "accuracy is reported live during training"


def test_infer_mode_has_no_loss_and_no_grad():
    seen = []

    class Probe(TinyCNN):
        def forward(self, x):
            seen.append(torch.is_grad_enabled())
            return super().forward(x)

    result, _ = _run(fast_config(mode="infer", steps=5), net=Probe)
    assert result.status == "ok" and result.loss is None and "infer" in result.unavailable["loss"]
    assert seen and not any(seen)


def test_bf16_and_softmax_net_train_on_cpu():
    result, _ = _run(fast_config(precision="bf16", steps=5), net=lambda: TinyCNN(softmax=True))
    assert result.status == "ok" and result.loss is not None and result.loss == result.loss  # finite, not NaN
    assert any("bf16" in q for q in result.quality)


def test_fp16_train_uses_grad_scaler_on_cpu():
    result, _ = _run(fast_config(precision="fp16", steps=3))
    assert result.status == "ok"


def test_int8_is_static_quantization_of_convolutions_and_linear_layers_for_cpu_inference():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torchao's and torch's chatter stays inside the engine
        result, _ = _run(fast_config(precision="int8", mode="infer", steps=5))
    q = result.quantization
    assert result.status == "ok" and q.method == "static-ptq"
    assert q.layers == ["body.0", "body.4", "body.6"] and q.skipped == []  # the conv and both Linear layers
    assert q.simulated and "reference" in q.kernels  # no compile: fp32 kernels between quantize steps
    assert q.calibration_samples == 512 and q.calibration_data == "synthetic"


def test_cancel_ends_with_cancelled_result():
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 7  # 2 warm-up polls, then 5 timed steps

    result, events = _run(fast_config(steps=1000), should_stop=stop)
    assert result.status == "cancelled" and result.steps == 6
    assert isinstance(events[-1], RunFinished) and events[-1].status == "cancelled"
    assert result.throughput_sps is not None  # the part that ran is still measured


def test_out_of_memory_becomes_status_oom_and_process_survives():
    class Greedy(TinyCNN):
        calls = 0

        def forward(self, x):
            Greedy.calls += 1
            if Greedy.calls > 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.10 GiB. GPU 0 ...")
            return super().forward(x)

    result, events = _run(fast_config(), net=Greedy)
    assert result.status == "oom"
    assert result.error.startswith("out of memory at batch 32: tried to allocate 2.10 GiB")
    assert result.throughput_sps is None and "throughput_sps" in result.unavailable
    assert isinstance(events[-1], RunFinished)
    assert _run(fast_config(steps=2))[0].status == "ok"  # the next run is fine


def test_other_failure_becomes_status_failed():
    class Broken(TinyCNN):
        def forward(self, x):
            raise RuntimeError("device-side assert triggered")

    result, events = _run(fast_config(), net=Broken)
    assert result.status == "failed" and "device-side assert" in result.error
    assert isinstance(events[-1], RunFinished)


@pytest.mark.parametrize("overrides, words, error", [
    (dict(precision="int8"), "int8 runs only for inference", Unsupported),
    (dict(device="cuda:0"), "cuda", Unsupported),
    (dict(dataset="mnist:/no/such/folder"), "/no/such/folder", BadRunInput),
    (dict(dataset="imagenet"), "unknown kind", BadRunInput),
])
def test_bad_input_raises_before_anything_runs(overrides, words, error):
    if overrides.get("device") == "cuda:0" and torch.cuda.is_available():
        overrides = dict(device=f"cuda:{torch.cuda.device_count()}")
    events = []
    with pytest.raises(error, match=words):
        run_model(TinyCNN, NETWORK, SHAPE, 10, fast_config(**overrides), events.append)
    assert events == []


def test_training_needs_a_vector_output():
    conv_only = lambda: nn.Conv2d(1, 4, 3)  # noqa: E731
    with pytest.raises(BadRunInput, match="vector of class scores"):
        run_model(conv_only, NETWORK, SHAPE, None, fast_config())
    result = run_model(conv_only, NETWORK, SHAPE, None, fast_config(mode="infer", steps=2))
    assert result.status == "ok"


def test_backend_flags_restored_and_threads_applied():
    before = (torch.backends.cudnn.allow_tf32, torch.get_num_threads())
    seen = []

    class Probe(TinyCNN):
        def forward(self, x):
            seen.append((torch.backends.cudnn.allow_tf32, torch.get_num_threads()))
            return super().forward(x)

    _run(fast_config(steps=2, threads=1), net=Probe)
    assert seen[0] == (False, 1)  # fp32 is strict
    assert (torch.backends.cudnn.allow_tf32, torch.get_num_threads()) == before


def test_telemetry_batches_arrive_on_the_run_clock():
    result, events = _run(fast_config(steps=None, seconds=1.2, sample_hz=20))
    batches = [e for e in events if isinstance(e, TelemetryBatch)]
    assert batches, "TelemetryBatch about every 0.5 s"
    host_t = [h.t_s for b in batches for h in b.host]
    assert host_t == sorted(host_t)
    assert min(host_t) < 0.2 and max(host_t) > 0.5  # warm-up samples are negative or near 0
    assert result.series.host.t_s and result.memory_bytes.host_peak_rss


# -- through run(spec, ...) with the shipped presets ------------------------------------------------
def test_presets_run_through_the_spec_path():
    from engine.net.presets import resolve_net
    from engine.run.loop import run
    r = run(resolve_net("lenet"), fast_config(steps=5, batch=8))
    assert r.status == "ok" and r.network.params == 61706 and r.network.spec["name"] == "lenet"
    # seminar-cnn ends with Softmax: trained on its logits, measured with the Softmax in infer mode
    for mode in ("train", "infer"):
        r = run(resolve_net("seminar-cnn"), fast_config(steps=3, batch=8, mode=mode))
        assert r.status == "ok", r.error
        if mode == "train":
            assert 0 < r.loss < 10


def test_bad_spec_names_the_layer():
    from engine.net.presets import resolve_net
    from engine.run.loop import run
    spec = resolve_net("lenet")
    spec.layers[0].params["kernel_size"] = 0
    with pytest.raises(BadRunInput, match=f"'{spec.layers[0].id}'"):
        run(spec, fast_config())
