"""The CUDA graph lever (RunConfig.cuda_graph): the whole step, forward, loss, backward and optimizer
update (or the inference forward), captured once after warm-up and replayed every timed step, the way
PyTorch's CUDA graphs notes do it: eager warm-up steps on a side stream, capture, replay.

A replay launches the whole step with one call, so a launch-bound step (a small net or batch, whose
GPU waits for the host to queue hundreds of small kernels) runs at the GPU's pace.

- Each step's batch is copied into the graph's static input buffers, which are the first batch's own
  tensors; synthetic data hands out that same batch every step, so nothing is copied.
- Shapes are static: real data sets hand out full batches only (an epoch's short tail is never
  trained on), and held-out evaluation runs the eager model.
- The step returns the graph's static loss tensor: the loss reader and the final loss work unchanged.
- Where a step cannot be captured (the CPU, fp16's loss scaling, compile modes that make CUDA graphs
  of their own, an operation that syncs with the host) the run is refused with the reason
  (Unsupported, exit 2): never a silent fall-back to eager.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from engine.errors import Unsupported
from engine.run.options import Target, unavailable
from engine.run.steps import loss_on_output
from engine.shown_text import one_line

WARMUP_STEPS_MIN = 3  # eager steps before capture: optimizer state, cuDNN autotune and compilation happen there
REPLAYS_BEFORE_TIMING = 2  # the first replays upload the graph to the device


def refusal(config: Any, device: torch.device) -> str | None:
    """Why this run's step cannot be a CUDA graph, in the run options' words (the GUI shows the same
    reasons), or None."""
    reasons = unavailable(config.model_dump(), Target(device=str(device)))
    for key in ("cuda_graph", f"compile:{config.compile}", f"precision:{config.precision}"):
        if key in reasons:
            return reasons[key]
    return None


def check(config: Any, device: torch.device) -> None:
    """Refuse before the run starts where the configuration rules a CUDA graph out."""
    why = refusal(config, device)
    if why:
        raise Unsupported(f"CUDA graph: {why}")


def train_body(forward: Callable[[torch.Tensor], torch.Tensor], opt: torch.optim.Optimizer, plan: Any,
               device_type: str, probabilities: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The training step on given tensors (what is captured): no grad scaler, which check() rules out."""
    autocast, zero_grad, opt_step = plan.autocast(device_type), opt.zero_grad, opt.step

    def body(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with autocast():
            loss = loss_on_output(forward(x), y, probabilities)
        zero_grad(set_to_none=True)  # in the capture: backward allocates the grads in the graph's pool
        loss.backward()
        opt_step()
        return loss
    return body


def infer_body(forward: Callable[[torch.Tensor], torch.Tensor], plan: Any,
               device_type: str) -> Callable[[torch.Tensor, torch.Tensor], None]:
    autocast = plan.autocast(device_type)

    def body(x: torch.Tensor, _y: torch.Tensor) -> None:
        with autocast():
            forward(x)
    return body


class GraphedStep:
    """One step as a CUDA graph: `eager` (warm-up, inside `warming()`), then `capture()` gives the
    timed step, which loads the batch into the static buffers and replays."""

    def __init__(self, body: Callable[[torch.Tensor, torch.Tensor], Any],
                 next_batch: Callable[[int], tuple[torch.Tensor, torch.Tensor]], batch: int,
                 device: torch.device) -> None:
        self._body, self._get, self._batch, self._device = body, next_batch, batch, device
        self.x, self.y = next_batch(batch)  # the static buffers: the graph reads its input here
        self.graph: torch.cuda.CUDAGraph | None = None

    def _load(self) -> None:
        x, y = self._get(self._batch)
        if x is not self.x:
            self.x.copy_(x, non_blocking=True)
            self.y.copy_(y, non_blocking=True)

    def eager(self) -> Any:
        self._load()
        return self._body(self.x, self.y)

    @contextlib.contextmanager
    def warming(self) -> Iterator[None]:
        """Warm-up on a side stream, as capture wants (no stray work of the default stream in it)."""
        side, main = torch.cuda.Stream(self._device), torch.cuda.current_stream(self._device)
        side.wait_stream(main)
        try:
            with torch.cuda.stream(side):
                yield
        finally:
            main.wait_stream(side)

    def capture(self) -> Callable[[], Any]:
        """Capture the step and return the timed step. A step that cannot be captured is refused
        (Unsupported) naming the error."""
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                out = self._body(self.x, self.y)
        except Exception as exc:  # noqa: BLE001 - any capture failure is a refusal, named
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise Unsupported(f"CUDA graph: this step cannot be captured ({type(exc).__name__}: "
                              f"{one_line(first, 160)}); run it without the CUDA graph") from None
        self.graph = graph
        for _ in range(REPLAYS_BEFORE_TIMING):
            graph.replay()
        load, replay = self._load, graph.replay

        def step() -> Any:
            load()
            replay()
            return out
        return step
