"""One stage of a pipeline job: what a rank runs instead of a DDP replica (imports torch).

    result = run_stage(spec, config, hooks, on_event, should_stop)   the engine's run loop on this stage

Each rank builds the whole net from the seed (so the weights equal the 1-device run's), keeps its
stage's layers (engine.parallel.split), and hands the run loop a step that runs one schedule of
torch.distributed.pipelining (ScheduleGPipe or Schedule1F1B; forward only for inference) over the
batch cut into micro-batches: stage 0 feeds the batch, the last stage computes the loss against the
labels, every stage steps its own optimizer on its own weights. Tensors cross between stages by
point-to-point send/recv (NCCL on GPUs; gloo on the CPU). gloo cannot send GPU memory, so where
ranks on GPUs talk over gloo (several ranks sharing one GPU, a check of the GPU code path only) the
tensors that cross are staged through host memory.

Busy and idle: every call of the stage's forward and backward of one micro-batch, and its optimizer
step, is timed (CUDA events on a GPU, the host clock on the CPU); the stage's busy share is the union
of those spans over the timed window, the rest of the window it waited: for the pipe to fill and
drain (the bubble), for its neighbour's transfers, or for a slower stage.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from engine.parallel.comm import CommTimer


class _ContiguousGrad(torch.autograd.Function):
    """Identity forward; the gradient made contiguous on its way back."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: ARG004 - autograd's signature
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: ARG004
        return grad.contiguous()


class StageIO(nn.Module):
    """The stage's layers between the pipeline's transfers: what crosses is a contiguous tensor
    (the collectives need one), moved to and from host memory where the transport is the host's."""

    def __init__(self, inner: nn.Module, device: torch.device, transport: torch.device, last: bool,
                 channels_last: bool) -> None:
        super().__init__()
        self.inner, self.device, self.transport = inner, device, transport
        self.send_back = transport != device and not last  # the last stage's output stays for the loss
        self.channels_last = channels_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.requires_grad:  # the gradient sent back must be contiguous too (channels-last convs make it not)
            x = _ContiguousGrad.apply(x)
        if x.device != self.device:
            x = x.to(self.device)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        y = self.inner(x).contiguous()
        return y.to(self.transport) if self.send_back else y


class StageHooks:
    """What the run loop asks of a pipeline rank (engine.run.loop's `parallel`): the part of each batch
    this stage uses (`data_parts`), the step run by the pipeline schedule, the timed window's ends."""

    def __init__(self, config: Any, device: torch.device, stage: Any, n_stages: int, backend: str) -> None:
        self.config, self.device, self.plan, self.n_stages = config, device, stage, n_stages
        self.index = stage.index
        self.first, self.last = self.index == 0, self.index == n_stages - 1
        self.transport = device if backend == "nccl" or device.type == "cpu" else torch.device("cpu")
        self.microbatches = config.pipeline_microbatches(n_stages)
        self.timer = CommTimer(device)
        self.schedule_name = ("forward only" if config.mode != "train"
                              else {"gpipe": "GPipe", "1f1b": "1F1B"}[config.pipeline_schedule])
        self.job_pid = os.getppid()  # the launcher: its children (every local rank) are the job's own

    @property
    def data_parts(self) -> tuple[bool, bool]:
        """(inputs, labels) this stage loads: the first feeds the batch, the last scores it against the
        labels (in training); a middle stage only passes activations on, so it loads neither."""
        return self.first, self.last and self.config.mode == "train"

    def prepare_data(self, data: Any) -> Any:
        data.has_heldout = False  # a stage holds part of the net: no held-out accuracy to measure
        return data

    def wrap(self, model: nn.Module) -> nn.Module:
        return model

    def window_start(self) -> None:
        self.timer.window_start()

    def window_end(self) -> None:
        self.timer.window_end()

    def busy_share(self) -> float | None:
        return self.timer.share()

    def _timed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        timer = self.timer

        def stamp() -> Any:
            if timer.cuda:
                event = torch.cuda.Event(enable_timing=True)
                event.record()
                return event
            return time.perf_counter()

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not timer.active:
                return call(*args, **kwargs)
            start = stamp()
            out = call(*args, **kwargs)
            end = stamp()
            with timer._lock:
                timer.spans.append((start, end))
            return out
        return timed

    def make_step(self, model: nn.Module, data: Any, opt: torch.optim.Optimizer | None, plan: Any) -> Callable[[], Any]:
        from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe
        cfg = self.config
        train = opt is not None
        io = StageIO(model, self.device, self.transport, self.last, cfg.channels_last)
        stage = PipelineStage(io, self.index, self.n_stages, self.transport)
        for name in ("forward_one_chunk", "backward_one_chunk", "backward_weight_one_chunk"):
            if hasattr(stage, name):  # the compute of one micro-batch: its span is this stage's busy time
                setattr(stage, name, self._timed(getattr(stage, name)))
        kind = Schedule1F1B if train and cfg.pipeline_schedule == "1f1b" else ScheduleGPipe
        # Every stage gets the loss function in training (it tells the schedule to run backward); the
        # last computes it. The schedule divides the gradients by the micro-batches: the batch's mean.
        schedule = kind(stage, self.microbatches, loss_fn=_cross_entropy if train else None)
        autocast = plan.autocast(self.device.type)
        get, batch, first, last = data.next_batch, cfg.batch, self.first, self.last
        if not train:
            def infer_step() -> None:
                x, _ = get(batch) if first else (None, None)
                with autocast():
                    schedule.step(*((x,) if first else ()))
            return infer_step
        # The optimizer step is this stage's own compute too: timed as busy, not left in its idle share
        zero_grad, opt_step = opt.zero_grad, self._timed(opt.step)  # type: ignore[union-attr]

        def train_step() -> torch.Tensor | None:
            x, y = get(batch) if first or last else (None, None)
            zero_grad(set_to_none=True)
            losses: list[torch.Tensor] = []
            with autocast():  # the first stage feeds the batch, the last computes the loss against the labels
                schedule.step(*((x,) if first else ()), **({"target": y, "losses": losses} if last else {}))
            opt_step()
            return torch.stack([v.detach().float() for v in losses]).mean() if losses else None
        return train_step

    def outcome(self) -> dict[str, Any]:
        """This stage's facts for the job's result (rank 0 gathers them)."""
        return {"stage": self.index, "layers": list(self.plan.layers), "stage_params": self.plan.params,
                "stage_flops": self.plan.flops, "busy_share": self.busy_share(), "microbatches": self.microbatches,
                "schedule": self.schedule_name}


def _cross_entropy(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(out, target.to(out.device))


def stage_model(spec: Any, stage_spec: Any, logits: bool) -> nn.Module:
    """The stage's module with the whole net's weights for this seed (those the 1-device run starts
    from): built from the stage's own spec, its state taken from the whole net's by layer id."""
    from engine.net.build import build_model
    whole = build_model(spec, logits=logits).state_dict()
    with torch.random.fork_rng(devices=[]):
        part = build_model(stage_spec, logits=logits)
    own = part.state_dict()
    missing = [k for k, v in own.items() if k not in whole or whole[k].shape != v.shape]
    if missing:  # never train a stage from other weights than the 1-device run's
        raise RuntimeError(f"stage {stage_spec.name!r}: no weights of the whole net for {', '.join(missing[:5])}")
    part.load_state_dict({k: whole[k] for k in own})
    return part


def run_stage(spec: Any, config: Any, hooks: StageHooks, on_event: Callable[[Any], None],
              should_stop: Callable[[], bool]) -> Any:
    """The run loop on this rank's stage; its RunResult's network is the stage's own."""
    from engine.net.analysis import analyze
    from engine.results.result import NetworkSummary
    from engine.run.loop import run_model

    logits = config.mode == "train"
    stage_spec = hooks.plan.spec

    def make_model() -> nn.Module:
        return stage_model(spec, stage_spec, logits)

    full, sub = analyze(spec), analyze(stage_spec)
    network = NetworkSummary(name=stage_spec.name, params=sub.total_params, flops_per_sample=sub.total_flops,
                             spec=stage_spec.model_dump(mode="json", exclude_none=True))
    out = full.output_shape
    return run_model(make_model, network, tuple(spec.input.shape), out[0] if out and len(out) == 1 else None,
                     config, on_event, should_stop, parallel=hooks)
