"""The CUDA graph lever on a CUDA GPU (skipped without one): a graphed training run learns as the eager
one does and ends at the same loss, Adam (capturable) and real data with held-out accuracy work,
inference replays, compile default can be captured, and a step that syncs with the host is refused
naming the error. Run on the GPU machine: `pytest -q -m gpu tests/engine/test_cuda_graph_gpu.py`."""
from __future__ import annotations

import pytest
import torch

from engine.errors import Unsupported
from engine.run.config import RunConfig
from engine.run.loop import run, run_model
from tests.engine.tiny_nets import NETWORK, TinyCNN

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _preset(name):
    from engine.net.presets import resolve_net
    return resolve_net(name)


def _cfg(**kw) -> RunConfig:
    base = dict(device="cuda", batch=256, steps=60, warmup=3, sample_hz=0, idle_baseline_s=0)
    base.update(kw)
    return RunConfig(**base)


def test_graphed_training_learns_like_eager_and_ends_at_the_same_loss():
    # both make 5 updates before timing: the graph's 3 eager warm-up steps and its 2 first replays
    eager = run(_preset("lenet"), _cfg(batch=64, steps=200, warmup=5))
    graphed = run(_preset("lenet"), _cfg(batch=64, steps=200, warmup=3, cuda_graph=True))
    assert eager.status == graphed.status == "ok", (eager.error, graphed.error)
    assert graphed.config.cuda_graph and graphed.steps == 200
    # random labels on one batch: both memorise it, from ln(10) = 2.3 down, update for update alike
    assert graphed.loss < 0.5 and eager.loss < 0.5
    assert graphed.loss == pytest.approx(eager.loss, abs=0.05)
    assert graphed.step_time_s.p50 < eager.step_time_s.p50  # LeNet is launch-bound: the graph is faster


def test_adam_and_real_data_with_held_out_accuracy():
    r = run(_preset("lenet"), _cfg(dataset="digits", batch=64, steps=None, seconds=3, optimizer="adam", lr=0.003,
                                   eval_every_s=1, cuda_graph=True))
    assert r.status == "ok", r.error
    assert r.accuracy > 0.8 and r.loss is not None and r.loss < 1.0


def test_inference_replays():
    r = run(_preset("resnet9"), _cfg(mode="infer", precision="bf16", channels_last=True, batch=128, steps=30,
                                     cuda_graph=True))
    assert r.status == "ok", r.error
    assert r.throughput_sps > 0 and r.loss is None


def test_compile_default_is_captured_too():
    torch._dynamo.reset()
    r = run_model(TinyCNN, NETWORK, (1, 8, 8), 10, _cfg(compile="default", cuda_graph=True, batch=64, steps=20))
    torch._dynamo.reset()
    assert r.status == "ok", r.error
    assert r.compile is not None and r.compile.in_window == 0 and r.loss is not None


class _Syncs(TinyCNN):
    def forward(self, x):
        if x.sum() > 0:  # a host sync: cannot be recorded
            x = x * 1.0
        return super().forward(x)


def test_a_step_that_syncs_with_the_host_is_refused_naming_the_error():
    with pytest.raises(Unsupported, match="CUDA graph: this step cannot be captured"):
        run_model(_Syncs, NETWORK, (1, 8, 8), 10, _cfg(cuda_graph=True, batch=64, steps=5))
    # the device is still usable after the failed capture
    assert run(_preset("lenet"), _cfg(steps=5)).status == "ok"
