"""The run loop (docs/ARCHITECTURE.md "A run"): one run of a network on a device, shared by the CLI and
the GUI's worker.

    result = run(spec, config, on_event=print, should_stop=lambda: False)

Bad input raises BadRunInput before anything runs. Everything after RunStarted ends in a RunResult
(never an exception): an out-of-memory error becomes status "oom", a stop request "cancelled", any
other failure "failed"; RunFinished is always the last event. The one exception: a step that turns
out not to be capturable as a CUDA graph (config.cuda_graph) raises Unsupported after warm-up:
nothing was measured, so nothing is kept and RunFinished is not sent.

The timed loop is kept as lean as a hand-written one: the step is a prepared closure, per step the
loop only records a timing mark, counts, polls should_stop and reads the host clock; everything
else (step-time resolution, loss read-back, telemetry, events, evaluation) happens at most every
REPORT_EVERY_S.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import torch

from engine.errors import BadInput, BadRunInput, Refused, Unsupported
from engine.net.spec import NetworkSpec
from engine.results.fill import fill_result
from engine.results.result import SIMULATED_BINARY, CompileFacts, Hardware, NetworkSummary, RunResult, Runtime
from engine.results.series import SeriesRecorder, new_run_id, quantile, utc_now_iso
from engine.results.windows import WINDOW_S, is_stable
from engine.run import cuda_graph
from engine.run.accuracy_target import AccuracyTarget
from engine.run.compile_watch import CompileWatch
from engine.run.config import RunConfig
from engine.run.conv_algo import probe_library_kernels, switch_conv_algos
from engine.run.datasets import load_for_run
from engine.run.device import free_device_memory, hardware_info, is_oom, oom_message, resolve_device
from engine.run.events import PhaseChanged, RunFinished, RunStarted, StepMetrics
from engine.run.precision import backend_flags, plan_precision
from engine.run.step_timer import make_step_timer
from engine.run.steps import (
    LossReader,
    direct_forward,
    evaluate,
    gc_frozen,
    make_infer_step,
    make_optimizer,
    make_train_step,
)
from engine.run.telemetry import Telemetry
from engine.shown_text import one_line

REPORT_EVERY_S = 0.1  # StepMetrics at most 10 Hz: plenty for a chart, and off the hot path
TELEMETRY_EVERY_S = 0.5
RECENT_STEPS = 256  # live p50/p99 over this many recent steps


def _ignore(_event: Any) -> None:
    pass


def _never() -> bool:
    return False


def run(spec: NetworkSpec, config: RunConfig, on_event: Callable[[Any], None] = _ignore,
        should_stop: Callable[[], bool] = _never, parallel: Any = None) -> RunResult:
    """parallel: inside one process of a several-device job, its hooks (engine.parallel.rank); a
    several-device config without them is handed to engine.parallel, which starts those processes."""
    if getattr(config, "parallel", None) == "pipeline" and config.precision in ("int8", "fp8"):
        from engine.run.options import PIPELINE_QUANT
        raise Unsupported(f"precision {config.precision}: {PIPELINE_QUANT}")
    if config.is_parallel and parallel is None:
        from engine.parallel import run_job
        return run_job(spec, config, on_event, should_stop)
    from engine.net.analysis import analyze
    from engine.net.build import build_model

    analysis = analyze(spec)
    if not analysis.ok:
        raise BadRunInput(f"network {one_line(spec.name, 80)!r}: " + "; ".join(str(p) for p in analysis.problems[:10]))
    if config.binarize:  # the net's inner weight layers binarized: its runs pair with the float net's
        spec = binarized_for_run(spec, config)
        analysis = analyze(spec)
    out = analysis.output_shape
    network = NetworkSummary(name=spec.name, params=analysis.total_params, flops_per_sample=analysis.total_flops,
                             binary_flops_per_sample=analysis.binary_flops or None,
                             spec=spec.model_dump(mode="json", exclude_none=True))

    # Training wants logits for cross-entropy: a final Softmax is left out of the built model then.
    logits = config.mode == "train"
    out_layer = spec.layer(analysis.output_id) if analysis.output_id else None
    probabilities = out_layer is not None and out_layer.type == "Softmax" and not logits

    def make_model() -> torch.nn.Module:
        try:
            return build_model(spec, logits=logits)
        except ValueError as exc:
            raise BadRunInput(f"network {one_line(spec.name, 80)!r}: {exc}") from None
    return run_model(make_model, network, tuple(spec.input.shape), out[0] if out and len(out) == 1 else None,
                     config, on_event, should_stop, probabilities=probabilities, parallel=parallel)


def binarized_for_run(spec: NetworkSpec, config: RunConfig) -> NetworkSpec:
    """The spec the binarize option runs; BadRunInput when nothing can be binarized or int8 is asked."""
    from engine.net.binarize import binarized
    from engine.run.options import BINARIZE_NOT_INT8
    if config.precision in ("int8", "fp8"):
        raise BadRunInput(f"binarize: {BINARIZE_NOT_INT8.replace('int8', config.precision)}")
    spec, ids = binarized(spec)
    if not ids:
        raise BadRunInput(f"binarize: network {one_line(spec.name, 80)!r} has no Conv2d or Linear layer between its "
                          f"first and last weight layer (XNOR-Net keeps those two float)")
    return spec


def run_model(make_model: Callable[[], torch.nn.Module], network: NetworkSummary, input_shape: tuple[int, ...],
              num_classes: int | None, config: RunConfig, on_event: Callable[[Any], None] = _ignore,
              should_stop: Callable[[], bool] = _never, probabilities: bool | None = None,
              parallel: Any = None) -> RunResult:
    """The run loop for a model factory (run() with a spec calls this; tests pass hand-made nets).
    probabilities: the model outputs softmax probabilities, not logits (None: its `ends_with_softmax`)."""
    device = resolve_device(config.device)
    plan = plan_precision(config.precision, device, config.mode)
    if plan.quantize_gpu:  # torchao that does not import is refused before anything runs
        from engine.run.gpu_quant import torchao_config
        torchao_config(plan.quantize_gpu)
    if config.cuda_graph:
        cuda_graph.check(config, device)
    if config.mode == "train" and num_classes is None:
        raise BadRunInput(f"network {network.name!r}: training needs a vector of class scores as output "
                          f"(end the net with Flatten and Linear)")
    if config.backend == "onnxruntime":  # refused before anything is built: training, no provider, ...
        from engine.run.ort_backend import check_backend
        check_backend(config, device)
    run_ = _Run(config, device, plan, network, input_shape, num_classes)
    run_.probabilities = probabilities
    run_.parallel = parallel
    if network.binary_flops_per_sample:
        run_.m["notes"].append(SIMULATED_BINARY)
    with backend_flags(config.precision, config.cudnn_benchmark, config.threads):
        torch.manual_seed(config.seed)
        # Model (built on the CPU) and data are handed over in a list that execute() empties, so no
        # frame here keeps device memory alive when an OOM must free it.
        parts: list[Any] = []
        try:
            model = make_model()
            if config.weights is not None:  # bad weights are bad input: refused before anything runs
                run_.weights_used = str(_load_weights(model, config.weights))
            if config.prune is not None:  # prunes the weights the run starts from; may shrink the network
                from engine.run.prune import prune_model
                model, run_.network, run_.prune = prune_model(model, run_.network, config, device)
            if run_.network.spec is not None and hasattr(model, "module_names"):  # built from a spec
                # after pruning (which may rebuild smaller convolutions), before int8 quantization
                run_.conv_algos, run_.conv_inputs = switch_conv_algos(
                    model, NetworkSpec.model_validate(run_.network.spec), config.conv_algo, config.batch,
                    config.precision)
            if config.backend == "onnxruntime":  # exported once with its weights, outside the timed window
                model = run_.onnxruntime(model, input_shape)
            # a pipeline stage loads only the part of each batch it uses (inputs, labels, or neither)
            inputs, targets = getattr(parallel, "data_parts", (True, True))
            data = load_for_run(config, input_shape, num_classes, device, inputs, targets)
            if parallel is not None:  # this rank's shard, or its own random batch
                data = parallel.prepare_data(data)
            if config.until_accuracy is not None and not data.has_heldout:
                raise BadRunInput(f"until_accuracy: data set {config.dataset!r} has no held-out images to "
                                  f"check accuracy on")
            if config.prune_finetune_steps and run_.prune is not None:
                from engine.run.prune import finetune
                if num_classes is None:
                    raise BadRunInput("prune_finetune_steps: fine-tuning needs a vector of class scores as output")
                model = finetune(model, data, config, run_.prune, device,
                                 bool(probabilities if probabilities is not None
                                      else getattr(model, "ends_with_softmax", False)))
            if plan.quantize_int8:  # calibrated on the run's data; compiled to int8 kernels with Compile on
                from engine.run.quantize import quantize_static_int8
                model, run_.int8_forward, run_.quantization = quantize_static_int8(model, data, config, input_shape)
            parts += [model, data]
            del model, data
        except Refused:  # a data set file that is not there, a device that cannot: nothing ran
            raise
        except (Exception, MemoryError) as exc:  # noqa: BLE001 - a net too big to build is an oom result
            parts.clear()
            return run_.execute(parts, on_event, should_stop, failed_to_build=exc)
        return run_.execute(parts, on_event, should_stop)


def _load_weights(model: torch.nn.Module, ref: str) -> Any:
    """Resolve and load a stored run's weights or a file; BadRunInput naming the layers that do not fit."""
    from engine.run.weights import load_weights, resolve_weights
    try:
        path = resolve_weights(ref)
        load_weights(model, path)
    except BadInput as exc:
        raise BadRunInput(str(exc)) from None
    return path


def _short_error(exc: BaseException, limit: int = 2000) -> str:
    """The error for the result: type and message, cut (a torch.compile failure can be pages long)."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[:limit] + " [...]"


class _Run:
    def __init__(self, config: RunConfig, device: torch.device, plan: Any, network: NetworkSummary,
                 input_shape: tuple[int, ...], num_classes: int | None) -> None:
        self.config, self.device, self.plan, self.network = config, device, plan, network
        self.input_shape, self.num_classes = input_shape, num_classes
        self.cuda = device.type == "cuda"
        self.run_id = new_run_id()
        self.created_at = utc_now_iso()
        self.series = SeriesRecorder()
        self.weights_used: str | None = None
        self.weights_file: str | None = None
        self.prune: Any = None  # PruneReport, with config.prune
        self.quantization: Any = None  # QuantizationReport, with precision int8
        self.int8_forward: Any = None  # the quantized model's forward (compiled with config.compile)
        self.conv_algos: Any = None  # ConvAlgos: how each Conv2d of a spec-built model is computed
        self.conv_inputs: dict[str, tuple[int, ...]] = {}  # each Conv2d's input shape, for the probe
        self.runtime: Runtime | None = None
        self.target = AccuracyTarget(config.until_accuracy)
        self.parallel: Any = None  # a data-parallel rank's hooks (engine.parallel.rank.RankHooks)
        self.m: dict[str, Any] = {"steps": 0, "measured_s": None, "loss": None, "accuracy": None,
                                  "heldout_loss": None, "eval_s": 0.0, "evals": 0, "step_times_s": (),
                                  "gpu_peak_allocated": None, "gpu_peak_reserved": None, "notes": list(plan.notes),
                                  # windows: (timed s, run-clock s, CPU s net of pauses) a few times a second,
                                  # the evaluation pauses on the run clock, the live windows' throughputs
                                  "checkpoints": [], "pauses": [], "cpu_s": None, "stability": None}

    def onnxruntime(self, model: torch.nn.Module, input_shape: tuple[int, ...]) -> torch.nn.Module:
        from engine.run.ort_backend import OrtModel, ort_tf32_note
        ort = OrtModel.create(model, input_shape, self.device, self.config)
        self.runtime = Runtime(backend="onnxruntime", provider=ort.provider, version=ort.version,
                               export_s=ort.export_s, model_bytes=ort.onnx_bytes)
        if self.cuda:
            self.m["notes"].append("memory figures count PyTorch's allocations only: ONNX Runtime's own "
                                   "GPU memory is not in them")
            note = ort_tf32_note(self.config.precision)
            if note:
                self.m["notes"].append(note)
        return ort

    # -- the whole run ---------------------------------------------------------------------------
    def execute(self, parts: list[Any], on_event: Callable[[Any], None], should_stop: Callable[[], bool],
                failed_to_build: BaseException | None = None) -> RunResult:
        """Everything after RunStarted; `failed_to_build`: building the model or data failed (e.g.
        out of memory), so the run ends at once with that status and is kept."""
        cfg = self.config
        hardware = hardware_info(self.device)
        self.telemetry = Telemetry([self.device.index or 0] if self.cuda else [], cfg.sample_hz, self.series,
                                   run_pid=getattr(self.parallel, "job_pid", None))
        on_event(RunStarted(run_id=self.run_id, network_name=self.network.name, device_name=hardware["device_name"],
                            config_json=cfg.model_dump_json(), total_steps=cfg.steps, total_seconds=cfg.seconds,
                            availability=self.telemetry.availability))
        self.emit, self.should_stop = on_event, should_stop
        status, error, refused = "ok", None, None
        self.telemetry.start()
        try:
            if failed_to_build is not None:
                raise failed_to_build
            data = parts.pop()
            status = self._body(parts.pop(), data)
        except KeyboardInterrupt:  # a second Ctrl+C in the CLI: stop now, but still write the result
            status = "cancelled"
        except Refused as exc:  # found once running (a step a CUDA graph cannot capture): nothing measured
            status, refused = "failed", exc
        except (Exception, MemoryError) as exc:  # noqa: BLE001 - a run failure is a result, never a crash
            status = "oom" if is_oom(exc) or isinstance(exc, MemoryError) else "failed"
            error = oom_message(exc, self.device, cfg.batch) if status == "oom" else _short_error(exc)
        finally:
            parts.clear()
            data = None  # drop every reference to device memory before freeing it
            for name in ("step", "model", "data", "timer", "loss_reader"):
                self.__dict__.pop(name, None)
        if status in ("oom", "failed"):
            with contextlib.suppress(Exception):
                free_device_memory(self.device)
        if status == "cancelled":
            error = "cancelled by the user"
        self.telemetry.mark_window_end()
        summary = self.telemetry.stop()
        self._drain_telemetry(final=True)
        on_event(PhaseChanged(t_s=self._now(), phase="done"))
        if refused is not None:
            raise refused
        result = RunResult(run_id=self.run_id, created_at=self.created_at, status=status, error=error,
                           network=self.network, config=cfg, hardware=Hardware.of(hardware))
        self.m["contention"] = self.telemetry.contention
        fill_result(result, self.m, summary, self.telemetry.reason, self.series, data_kind=cfg.dataset,
                    device=self.device)
        result.weights_used, result.weights_file = self.weights_used, self.weights_file
        result.prune, result.quantization = self.prune, self.quantization
        if self.m.get("compile") is not None:
            result.compile = CompileFacts(**self.m["compile"])
        result.conv_algos = self.conv_algos
        result.runtime = self.runtime
        self.target.fill(result)
        on_event(RunFinished(run_id=self.run_id, status=status, result_json=result.model_dump_json()))
        return result

    def _body(self, model: torch.nn.Module, data: Any) -> str:
        cfg, dev = self.config, self.device
        self.t_window: float | None = None
        fmt = torch.channels_last if cfg.channels_last and len(self.input_shape) == 3 else torch.contiguous_format
        if cfg.channels_last and len(self.input_shape) != 3:
            self.m["notes"].append("channels-last applies to image input [C, H, W] only: ignored here")
        model = model.to(dev).to(memory_format=fmt)
        if self.plan.quantize_gpu:  # int8 / fp8 on a GPU: torchao's Linear layers, the rest in bf16
            from engine.run.gpu_quant import quantize_linear
            model, self.quantization = quantize_linear(model, self.plan.quantize_gpu, bool(cfg.compile))
        if self.prune is not None and self.prune.sparse_kernels:  # 2:4: sparse weights made on the GPU
            from engine.run.prune import to_semi_structured
            to_semi_structured(model, self.plan.autocast_dtype, self.prune)
        if self.conv_algos is not None and self.cuda:  # name the kernels cuDNN picks: a short untimed probe
            probe_library_kernels(model, self.conv_algos, self.conv_inputs, cfg.batch, self.plan.autocast(dev.type),
                                  dev, cfg.mode == "train", fmt)
        if self.probabilities is None:
            self.probabilities = bool(getattr(model, "ends_with_softmax", False))
        if self.int8_forward is not None:  # int8: quantized (and compiled) in run_model
            forward = self.int8_forward
        else:
            wrapped = self.parallel.wrap(model) if self.parallel is not None else model  # DDP in a data-parallel rank
            forward = torch.compile(wrapped, mode=cfg.compile) if cfg.compile else direct_forward(wrapped)
        self.model, self.data = model, data
        graphed = None
        if cfg.mode == "train":
            model.train()
            opt = make_optimizer(cfg.optimizer, model, cfg.lr, capturable=cfg.cuda_graph)
            if cfg.cuda_graph:
                body = cuda_graph.train_body(forward, opt, self.plan, dev.type, self.probabilities)
                graphed = cuda_graph.GraphedStep(body, data.next_batch, cfg.batch, dev)
            else:
                self.step = make_train_step(forward, model, data, cfg.batch, opt, self.plan, dev.type,
                                            self.probabilities)
        else:
            model.eval()
            if cfg.cuda_graph:
                body = cuda_graph.infer_body(forward, self.plan, dev.type)
                graphed = cuda_graph.GraphedStep(body, data.next_batch, cfg.batch, dev)
            else:
                self.step = make_infer_step(forward, data, cfg.batch, self.plan, dev.type)
        if graphed is not None:
            self.step = graphed.eager
        stage_step = getattr(self.parallel, "make_step", None)
        if stage_step is not None:  # a pipeline stage: its schedule runs each step with the other stages
            self.step = stage_step(model, data, opt if cfg.mode == "train" else None, self.plan)
        if self.cuda and cfg.idle_baseline_s > 0 and cfg.sample_hz > 0:
            self.emit(PhaseChanged(t_s=0.0, phase="idle-baseline"))
            torch.cuda.synchronize(dev)
            self.telemetry.measure_idle(cfg.idle_baseline_s)
        grad_mode = torch.inference_mode() if cfg.mode == "infer" else contextlib.nullcontext()
        watch = CompileWatch() if cfg.compile else contextlib.nullcontext()
        with grad_mode, gc_frozen(), watch:
            self.emit(PhaseChanged(t_s=0.0, phase="warmup"))
            warmup = self._warmup_steps()
            last_drain = time.perf_counter()
            with graphed.warming() if graphed is not None else contextlib.nullcontext():
                for _ in range(warmup):
                    self.step()
                    if self.should_stop():
                        return "cancelled"
                    if time.perf_counter() - last_drain >= TELEMETRY_EVERY_S:
                        self._drain_telemetry()
                        last_drain = time.perf_counter()
                if self.plan.quantize_gpu and self.quantization is not None:  # which kernels ran: untimed
                    from engine.run.gpu_quant import probe_kernels
                    probe_kernels(self.step, dev, self.quantization,
                                  eager=make_infer_step(model, data, cfg.batch, self.plan, dev.type) if cfg.compile else None)
            if graphed is not None:
                self.step = graphed.capture()
            if isinstance(watch, CompileWatch):
                watch.mark_window()
            status = self._timed(data)
        if isinstance(watch, CompileWatch):
            self._compile_facts(watch.facts())
        if status == "ok" or status == "cancelled":
            self._final_eval(data)
        if status == "ok" and cfg.keep_weights and cfg.mode == "train":
            self._keep_weights(model)
        return status

    def _warmup_steps(self) -> int:
        """The configured warm-up, raised where compilation or a CUDA graph capture must happen before
        timing: compile needs two steps (the first compiles forward and backward, the second shows
        nothing recompiles), a CUDA graph its eager steps before capture."""
        cfg = self.config
        need, why = 0, ""
        if cfg.cuda_graph:
            need, why = cuda_graph.WARMUP_STEPS_MIN, "a CUDA graph is captured after eager warm-up steps"
        elif cfg.compile:
            need, why = 2, "compilation must happen before timing"
        if cfg.warmup < need:
            self.m["notes"].append(f"warm-up raised from {cfg.warmup} to {need} steps: {why}")
            return need
        if cfg.warmup == 0:
            self.m["notes"].append("no warm-up: first-step costs (allocation, autotune) are timed")
        return cfg.warmup

    def _compile_facts(self, facts: dict[str, Any]) -> None:
        self.m["compile"] = facts
        if facts["in_window"]:
            self.m["notes"].append(f"torch.compile compiled {facts['in_window']} time(s) during the timed window "
                                   f"({facts['recompiles']} recompile(s) in all): that compile time is measured")
        if facts["graph_breaks"]:
            self.m["notes"].append(f"torch.compile split the network at {facts['graph_breaks']} graph break(s): "
                                   f"the parts between them run as separate compiled graphs")

    def _keep_weights(self, model: torch.nn.Module) -> None:
        from engine.run.weights import save_weights
        try:
            self.weights_file = str(save_weights(model, self.run_id))
        except OSError as exc:  # the run itself is fine: say why its weights were not kept
            self.m["notes"].append(f"trained weights not kept: {exc}")

    # -- the timed window ------------------------------------------------------------------------
    def _timed(self, data: Any) -> str:
        cfg, dev = self.config, self.device
        sync = (lambda: torch.cuda.synchronize(dev)) if self.cuda else (lambda: None)
        sync()
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(dev)
        timer = make_step_timer(dev)
        self.timer, self.loss_reader = timer, LossReader(dev)
        self.telemetry.mark_window_start()
        if self.parallel is not None:
            self.parallel.window_start()
        self.emit(PhaseChanged(t_s=0.0, phase="timed"))
        self._drain_telemetry()
        step, mark, stop, clock = self.step, timer.mark, self.should_stop, time.perf_counter
        stability = bool(cfg.stable_windows)
        n_target = float("inf") if stability else (cfg.steps or float("inf"))
        timer.start()
        t0 = self.t_window = clock()
        self.cpu0, self.pause_cpu_s = time.process_time(), 0.0
        self.m["checkpoints"].append((0.0, 0.0, 0.0))
        self.live_windows: list[float] = []
        self.window_mark = (0.0, 0)  # timed seconds and steps where the current live window began
        length_s = cfg.stable_max_s if stability else cfg.seconds
        self.t_end = t0 + length_s if length_s else float("inf")
        self.n_last, self.t_last, self.next_telemetry = 0, t0, t0 + TELEMETRY_EVERY_S
        self.mem: tuple[int, int] | None = None
        self.next_eval = t0 + cfg.eval_every_s if cfg.mode == "train" and data.has_heldout else float("inf")
        next_check = min(t0 + REPORT_EVERY_S, self.t_end)
        n, loss, status = 0, None, "ok"
        while True:
            loss = step()
            mark()
            n += 1
            if stop():
                status = "cancelled"
                break
            if n >= n_target:
                break
            t = clock()
            if t >= next_check:
                if t >= self.t_end:
                    break
                self._report(n, loss, t)
                if self.target.reached_at is not None:
                    break
                next_check = min(clock() + REPORT_EVERY_S, self.t_end)
        timer.resolve(block=True)  # synchronises: every step has finished
        t_stop = clock()
        if self.parallel is not None:
            self.parallel.window_end()
        self.m["steps"] = n
        self.m["measured_s"] = t_stop - t0 - self.m["eval_s"]
        self.m["cpu_s"] = time.process_time() - self.cpu0 - self.pause_cpu_s
        self.m["checkpoints"].append((self.m["measured_s"], t_stop - t0, self.m["cpu_s"]))
        if stability and self.m["stability"] is None:
            self.m["stability"] = "capped" if status == "ok" else None
        self.m["loss"] = self.loss_reader.final(loss) if cfg.mode == "train" else None
        self.m["step_times_s"] = timer.times_s
        if self.cuda:
            self.m["gpu_peak_allocated"] = torch.cuda.max_memory_allocated(dev)
            self.m["gpu_peak_reserved"] = torch.cuda.max_memory_reserved(dev)
        self.telemetry.mark_window_end()
        self._report(n, None, t_stop, force=True)
        return status

    def _report(self, n: int, loss: Any, t: float, force: bool = False) -> None:
        cfg = self.config
        self.timer.resolve()
        recent = sorted(self.timer.times_s[-RECENT_STEPS:])
        dt = t - self.t_last
        tput = (n - self.n_last) * cfg.batch / dt if dt > 0 and n > self.n_last else None
        if force and tput is None and n and t > self.t_window:  # the closing report: the whole window
            tput = n * cfg.batch / max(t - self.t_window - self.m["eval_s"], 1e-9)
        loss_value = self.loss_reader.snapshot(loss) if cfg.mode == "train" else None
        elapsed = t - self.t_window - self.m["eval_s"]
        if cfg.steps:
            remaining = (cfg.steps - n) * elapsed / n if n else None
        else:
            remaining = max(0.0, cfg.seconds - elapsed)
        if self.cuda and (force or t >= self.next_telemetry or self.mem is None):
            # memory_allocated() builds the allocator's whole stats dict: read it at 2 Hz, not 10
            self.mem = (torch.cuda.memory_allocated(self.device), torch.cuda.memory_reserved(self.device))
        alloc, reserved = self.mem or (None, None)
        if tput is not None or force:
            metrics = StepMetrics(t_s=t - self.t_window, step=n, samples=n * cfg.batch, throughput_sps=tput or 0.0,
                                  step_time_p50_s=quantile(recent, 0.5), step_time_p99_s=quantile(recent, 0.99),
                                  loss=loss_value, accuracy=self.m["accuracy"], gpu_mem_allocated_bytes=alloc,
                                  gpu_mem_reserved_bytes=reserved, elapsed_s=elapsed, remaining_s=remaining)
            self.series.add_step(metrics)
            self.emit(metrics)
        self.n_last, self.t_last = n, t
        self.m["checkpoints"].append((elapsed, t - self.t_window, time.process_time() - self.cpu0 - self.pause_cpu_s))
        if cfg.stable_windows and not force:
            self._stability_check(n, elapsed, t)
        if t >= self.next_telemetry:
            self._drain_telemetry()
            self.next_telemetry = t + TELEMETRY_EVERY_S
        if t >= self.next_eval and not force:
            self._eval_pause()

    def _stability_check(self, n: int, elapsed: float, t: float) -> None:
        """Stability mode: close a live window every WINDOW_S of timed time; once the last K agree
        within P %, end the run at the next check."""
        t_mark, n_mark = self.window_mark
        if elapsed - t_mark < WINDOW_S or n <= n_mark:
            return
        self.live_windows.append((n - n_mark) * self.config.batch / (elapsed - t_mark))
        self.window_mark = (elapsed, n)
        if is_stable(self.live_windows, self.config.stable_windows, self.config.stable_pct):
            self.m["stability"] = "stable"
            self.t_end = t

    def _eval_pause(self) -> None:
        """Held-out loss and accuracy mid-run, outside the timing: sync, evaluate, and resume the
        clocks as if the pause had not happened. The pause's CPU time is kept out of the run's, and
        its span is recorded so its energy can be taken out of the energy window."""
        t_pause = time.perf_counter()
        cpu_pause = time.process_time()
        self.timer.resolve(block=True)
        t_work = time.perf_counter() - self.t_window - self.m["eval_s"]  # timed so far, earlier pauses left out
        self._evaluate()
        self.target.check(self.m["accuracy"], t_work, self.n_last)
        if self.cuda:
            torch.cuda.synchronize(self.device)
        paused = time.perf_counter() - t_pause
        self.pause_cpu_s += time.process_time() - cpu_pause
        self.m["pauses"].append((t_pause - self.t_window, t_pause - self.t_window + paused))
        timed_s = t_pause - self.t_window - self.m["eval_s"]
        self.m["checkpoints"].append((timed_s, t_pause - self.t_window + paused,
                                      time.process_time() - self.cpu0 - self.pause_cpu_s))
        self.m["eval_s"] += paused
        self.t_end += paused
        self.timer.restart()
        self.t_last = time.perf_counter()
        self.next_eval = self.t_last + self.config.eval_every_s

    def _evaluate(self) -> None:
        cfg = self.config
        loss, acc = evaluate(self.model, self.data, cfg.batch, self.plan, self.device.type, self.probabilities)
        self.m["evals"] += 1
        if acc is not None:
            self.m["accuracy"], self.m["heldout_loss"] = acc, loss

    def _final_eval(self, data: Any) -> None:
        if data.has_heldout and self.t_window is not None:
            with torch.inference_mode():
                self._evaluate()

    # -- telemetry -------------------------------------------------------------------------------
    def _now(self) -> float:
        return time.perf_counter() - self.t_window if getattr(self, "t_window", None) else 0.0

    def _drain_telemetry(self, final: bool = False) -> None:
        batch = self.telemetry.drain(final)
        if batch is not None:
            self.emit(batch)
