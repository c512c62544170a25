"""The profile run: where one configuration's step time goes, layer by layer. Imports torch.

    result, profile = profile_run(spec, config, on_event, should_stop)

Two parts, both on the configuration given: first an ordinary, unprofiled run (engine.run's own
loop, stored like any run) whose median step time is the figure to explain; then a few steps of
the same model under torch.profiler, whose time is attributed to the spec's layers (forward and
backward apart), the loss, the optimizer, data loading and idle time (engine.profile.attribute)
and judged against the device's peaks (engine.profile.judge). The profiler slows the step, so the
profile's own step time is kept apart from the run's and their ratio reported.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

from engine.errors import BadRunInput, Unsupported
from engine.net.spec import NetworkSpec
from engine.profile.attribute import OUTLIER, Attribution, attribute
from engine.profile.instrument import DATA_RANGE, STEP_RANGE, WINDOW_RANGE, instrument
from engine.profile.judge import idle_of, layer_profiles, other_time, verdict
from engine.profile.kineto_quiet import quiet_kineto
from engine.profile.result import Peaks, ProfileResult
from engine.results.result import RunResult
from engine.results.series import utc_now_iso
from engine.run.config import RunConfig
from engine.run.events import PhaseChanged
from engine.shown_text import one_line

PROFILED_STEPS = (3, 20)  # at least, at most: the run's --steps within these (10 for a timed run)
PEAK_PRECISION = {"fp32": "fp32", "tf32": "tf32", "bf16": "bf16", "fp16": "fp16"}


def _ignore(_event: Any) -> None:
    pass


def _never() -> bool:
    return False


def check_profilable(config: RunConfig) -> None:
    """Refuse what cannot be attributed to layers, before anything runs."""
    if config.compile:
        raise Unsupported("profile: a compiled model fuses layers into shared kernels, so time cannot be "
                          "attributed to them; profile without --compile")
    if config.precision in ("int8", "fp8"):
        raise Unsupported(f"profile: {config.precision} runs a quantized network whose layers are replaced, so time "
                          f"cannot be attributed to the spec's layers; profile at fp32, tf32, bf16 or fp16")
    if getattr(config, "prune", None) is not None:
        raise Unsupported("profile: a pruned network is not the spec's any more (structured pruning removes "
                          "channels); profile without --prune")
    if getattr(config, "cuda_graph", False):
        raise Unsupported("profile: a CUDA graph replays the step as one launch, so time cannot be attributed "
                          "to layers; profile without --cuda-graph")


def profiled_steps(config: RunConfig) -> int:
    low, high = PROFILED_STEPS
    return min(max(config.steps or 10, low), high)


def profile_run(spec: NetworkSpec, config: RunConfig, on_event: Callable[[Any], None] = _ignore,
                should_stop: Callable[[], bool] = _never, peaks: Peaks | None = None,
                store_result: Callable[[RunResult], None] | None = None) -> tuple[RunResult, ProfileResult | None]:
    """The unprofiled run's result and the profile (None when the run did not end ok or was stopped).
    `store_result` is called with the unprofiled run's result as soon as it exists. Peaks default
    to the device's cached ones (measured once if missing)."""
    from engine.net.analysis import analyze
    from engine.run import run

    check_profilable(config)
    if getattr(config, "binarize", False):  # profile the binarized net the run measures
        from engine.run.loop import binarized_for_run
        spec = binarized_for_run(spec, config)
    analysis = analyze(spec)
    result = run(spec, config, on_event, should_stop)
    if store_result is not None:
        store_result(result)
    if result.status != "ok" or should_stop():
        return result, None
    on_event(PhaseChanged(t_s=0.0, phase="profile"))
    steps = profiled_steps(config)
    times, device_name = measure(spec, config, steps)
    if should_stop():
        return result, None
    if peaks is None:
        from engine.profile.peaks_cache import peaks_for
        precision = PEAK_PRECISION[config.precision]
        if precision == "tf32" and not config.device.startswith("cuda"):
            precision = "fp32"  # a GPU tensor-core mode: the CPU runs fp32
        peaks = peaks_for(config.device, precision, config.threads)
    on_gpu = config.device.startswith("cuda")
    train = config.mode == "train"
    types = {layer.id: layer.type for layer in spec.layers}
    unprofiled = result.step_time_s.p50
    idle = idle_of(times, unprofiled)
    step = max(unprofiled or times.wall_s, times.attributed_s + idle)  # what the shares are of
    layers = layer_profiles(analysis, types, times, peaks, config.batch, config.precision, train, step, idle)
    other = other_time(times, idle)
    name, reason = verdict(layers, other, step, on_gpu)
    notes = []
    if times.device_s and times.busy_s < 0.9 * times.device_s:
        notes.append(f"{100 * (1 - times.busy_s / times.device_s):.0f} % of the kernel time could not be tied to the "
                     f"operator that launched it; it counts as busy, under no layer")
    if times.dropped_steps:
        notes.append(f"{times.dropped_steps} of {steps} profiled steps took over {OUTLIER}x the median step "
                     f"(the machine was busy) and were left out")
    profile = ProfileResult(
        run_id=result.run_id, net=spec.name, device=result.hardware.device or config.device,
        device_name=device_name or result.hardware.device_name, created_utc=utc_now_iso(), config=config,
        profiled_steps=steps, layers=layers, other=other, step_time_s=times.wall_s,
        unprofiled_step_time_s=unprofiled, profiled_idle_s=times.idle_s,
        profiler_overhead=times.wall_s / unprofiled if unprofiled else None,
        peaks=peaks, verdict=name, verdict_reason=reason, notes=notes)
    return result, profile


class _Data:
    """The run's data set, its batches fetched inside the data range."""

    def __init__(self, data: Any) -> None:
        self._data = data
        self.has_heldout = data.has_heldout

    def next_batch(self, batch: int) -> Any:
        with torch.profiler.record_function(DATA_RANGE):
            return self._data.next_batch(batch)


def measure(spec: NetworkSpec, config: RunConfig, steps: int) -> tuple[Attribution, str | None]:
    """Build the run's model with its layers marked, warm it up, and profile `steps` steps."""
    from torch.profiler import ProfilerActivity, profile

    from engine.net.analysis import analyze
    from engine.net.build import build_model
    from engine.run.conv_algo import switch_conv_algos
    from engine.run.datasets import load_for_run
    from engine.run.device import resolve_device
    from engine.run.precision import backend_flags, plan_precision
    from engine.run.steps import make_infer_step, make_optimizer, make_train_step

    device = resolve_device(config.device)
    on_gpu = device.type == "cuda"
    plan = plan_precision(config.precision, device, config.mode)
    analysis = analyze(spec)
    out = analysis.output_shape
    num_classes = out[0] if out and len(out) == 1 else None
    train = config.mode == "train"
    last = spec.layer(analysis.output_id) if analysis.output_id else None
    probabilities = last is not None and last.type == "Softmax" and not train
    input_shape = tuple(spec.input.shape)
    with backend_flags(config.precision, config.cudnn_benchmark, config.threads):
        torch.manual_seed(config.seed)
        try:
            model = instrument(build_model(spec, logits=train))
        except ValueError as exc:
            raise BadRunInput(f"network {one_line(spec.name, 80)!r}: {exc}") from None
        # the convolution algorithms the run measured (its module swapped under the layer's range)
        switch_conv_algos(model, spec, getattr(config, "conv_algo", "library"), config.batch, config.precision)
        fmt = torch.channels_last if config.channels_last and len(input_shape) == 3 else torch.contiguous_format
        model = model.to(device).to(memory_format=fmt)
        data = _Data(load_for_run(config, input_shape, num_classes, device))
        forward = model.forward
        if train:
            model.train()
            opt = make_optimizer(config.optimizer, model, config.lr)
            step = make_train_step(forward, model, data, config.batch, opt, plan, device.type,  # type: ignore[arg-type]
                                   probabilities)
        else:
            model.eval()
            step = make_infer_step(forward, data, config.batch, plan, device.type)  # type: ignore[arg-type]
        sync = (lambda: torch.cuda.synchronize(device)) if on_gpu else (lambda: None)
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
        grad_mode = torch.inference_mode() if not train else contextlib.nullcontext()
        with grad_mode:
            for _ in range(max(config.warmup, 2)):
                step()
            sync()
            with warnings.catch_warnings():  # "Profiler clears events at the end of each cycle": one cycle here
                warnings.filterwarnings("ignore", message="Profiler clears events")
                prof = _profile_window(profile, activities, step, sync, steps)
        name = torch.cuda.get_device_name(device) if on_gpu else None
    return attribute(list(prof.events()), on_gpu, steps, prof.window_s), name


def _profile_window(profile: Any, activities: list[Any], step: Callable[[], Any], sync: Callable[[], None],
                    steps: int) -> Any:
    """One warm step, then `steps` steps inside the window range; returns the profiler, with the
    window's wall time as `window_s`."""
    with quiet_kineto(), profile(activities=activities) as prof:
        step()  # the profiler's own first-step costs: left out (before the window)
        sync()
        t0 = time.perf_counter()
        with torch.profiler.record_function(WINDOW_RANGE):
            for _ in range(steps):
                with torch.profiler.record_function(STEP_RANGE):
                    step()
            sync()
        prof.window_s = time.perf_counter() - t0
    return prof

