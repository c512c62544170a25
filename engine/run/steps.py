"""The step itself: one training or inference step as a closure with everything bound, as lean as a
hand-written loop (reference/reference_loop.py): no host sync, no .item(), no per-step allocation
beyond what the network needs. Plus held-out evaluation and reading the loss without a sync.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F

from engine.run.datasets import DataSet
from engine.run.precision import PrecisionPlan


def direct_forward(model: torch.nn.Module) -> Callable[..., Any]:
    """model.forward itself when the model has no hooks: the same computation without
    nn.Module.__call__ and torch.fx's error-reporting wrapper around it, a few µs less per step,
    which a launch-bound net (LeNet on a GPU, ~1.5 ms a step) feels. With hooks, the model."""
    from torch.nn.modules import module as mod
    hooks = (model._forward_hooks, model._forward_pre_hooks, model._backward_hooks,
             getattr(model, "_backward_pre_hooks", None), getattr(mod, "_global_forward_hooks", None),
             getattr(mod, "_global_forward_pre_hooks", None), getattr(mod, "_global_backward_hooks", None),
             getattr(mod, "_global_backward_pre_hooks", None))
    return model if any(hooks) else model.forward


@contextlib.contextmanager
def gc_frozen() -> Iterator[None]:
    """Move everything alive now (torch, the app, the model) out of the garbage collector's reach,
    so a full collection during the timed window scans only what the loop itself creates."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def make_optimizer(name: str, model: torch.nn.Module, lr: float, capturable: bool = False) -> torch.optim.Optimizer:
    """capturable: the update can be recorded in a CUDA graph (Adam keeps its step count on the device;
    SGD has no step count and needs nothing)."""
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, capturable=capturable)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def loss_on_output(out: torch.Tensor, y: torch.Tensor, probabilities: bool) -> torch.Tensor:
    """Cross-entropy. A net ending in Softmax outputs probabilities: take their log (in fp32, floored
    so a zero probability gives a large finite loss rather than inf)."""
    if probabilities:
        return F.nll_loss(torch.log(out.float().clamp_min(1e-30)), y)
    return F.cross_entropy(out, y)


def make_train_step(forward: Callable[[torch.Tensor], torch.Tensor], model: torch.nn.Module, data: DataSet,
                    batch: int, opt: torch.optim.Optimizer, plan: PrecisionPlan, device_type: str,
                    probabilities: bool) -> Callable[[], torch.Tensor]:
    autocast = plan.autocast(device_type)
    get = data.next_batch
    zero_grad = opt.zero_grad
    if plan.grad_scaler:
        scaler = torch.amp.GradScaler(device_type)

        def step() -> torch.Tensor:
            x, y = get(batch)
            with autocast():
                loss = loss_on_output(forward(x), y, probabilities)
            zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            return loss
        return step

    opt_step = opt.step
    if probabilities:
        def step() -> torch.Tensor:
            x, y = get(batch)
            with autocast():
                loss = loss_on_output(forward(x), y, True)
            zero_grad(set_to_none=True)
            loss.backward()
            opt_step()
            return loss
        return step

    cross_entropy = F.cross_entropy

    def step() -> torch.Tensor:  # the common case, written out: one call less per step
        x, y = get(batch)
        with autocast():
            loss = cross_entropy(forward(x), y)
        zero_grad(set_to_none=True)
        loss.backward()
        opt_step()
        return loss
    return step


def make_infer_step(forward: Callable[[torch.Tensor], torch.Tensor], data: DataSet, batch: int,
                    plan: PrecisionPlan, device_type: str) -> Callable[[], Any]:
    """Call it inside torch.inference_mode() (entered once around the loop, not per step)."""
    autocast = plan.autocast(device_type)
    get = data.next_batch

    def step() -> None:
        x, _ = get(batch)
        with autocast():
            forward(x)
    return step


def evaluate(model: torch.nn.Module, data: DataSet, batch: int, plan: PrecisionPlan, device_type: str,
             probabilities: bool) -> tuple[float | None, float | None]:
    """(held-out loss, accuracy) with the eager model in eval mode; restores train/eval state."""
    if not data.has_heldout:
        return None, None
    was_training = model.training
    model.eval()
    correct = total = 0
    loss_sum: torch.Tensor | float = 0.0
    try:
        with torch.inference_mode(), plan.autocast(device_type)():
            for x, y in data.heldout(batch):
                out = model(x)
                if out.dim() != 2:
                    return None, None
                loss_sum = loss_sum + loss_on_output(out, y, probabilities).float() * len(y)
                correct += (out.argmax(1) == y).sum()
                total += len(y)
    finally:
        model.train(was_training)
    if not total:
        return None, None
    return float(loss_sum) / total, float(correct) / total


class LossReader:
    """The latest training loss without stalling the device: on CUDA the loss is copied into pinned
    host memory behind an event and read once the event has passed (one report later); on the CPU
    the step has already finished, so reading is free."""

    def __init__(self, device: torch.device) -> None:
        self._cuda = device.type == "cuda"
        self.value: float | None = None
        if self._cuda:
            self._buf = torch.empty(1, dtype=torch.float32, pin_memory=True)
            self._event = torch.cuda.Event()
            self._pending = False

    def snapshot(self, loss: torch.Tensor | None) -> float | None:
        """Offer the newest loss tensor; returns the latest value known on the host."""
        if loss is None:
            return self.value
        if not self._cuda:
            self.value = float(loss.detach())
            return self.value
        if self._pending and self._event.query():
            self.value = float(self._buf[0])
            self._pending = False
        if not self._pending:
            self._buf.copy_(loss.detach().reshape(1), non_blocking=True)
            self._event.record()
            self._pending = True
        return self.value

    def final(self, loss: torch.Tensor | None) -> float | None:
        """The last step's loss (the caller has synchronised)."""
        if loss is not None:
            self.value = float(loss.detach())
        return self.value
