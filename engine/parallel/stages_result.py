"""Every stage's own RunResult -> a pipeline job's one RunResult. Torch-free.

Built on the data-parallel combination (engine.parallel.combine: energy and power summed over the
devices, memory and step times the worst rank's, one `devices` line per rank), with what differs in
a pipeline: every sample passes through every stage, so the job's samples are the last stage's (not
the sum), and so are its loss and its step series (it computes the loss); the network is the whole
net, not rank 0's stage; `parallel` lists the stages with their layers, parameters, FLOPs share
and busy share, and bubble_share is the mean idle share of the stages over the timed window.
"""
from __future__ import annotations

from typing import Any

from engine.parallel.combine import combine
from engine.results.result import ConvAlgos, NetworkSummary, PipelineStageFacts, RunResult, energy_per_sample
from engine.run.config import RunConfig

# Kept in step with engine.parallel.pipeline (which imports torch): how bubble_share is measured.
BUBBLE_METHOD = ("each stage's forward and backward of every micro-batch and its optimizer step timed around "
                 "the calls (CUDA events on a GPU, the host clock on a CPU); idle = the rest of the timed window "
                 "(pipeline fill and drain, waiting on a neighbour's transfers or on a slower stage); "
                 "bubble_share = mean idle share over the stages")


def ideal_bubble(stages: int, microbatches: int) -> float:
    """The GPipe bubble with equal stages and free transfers: (S - 1) / (M + S - 1)."""
    return (stages - 1) / (microbatches + stages - 1)


def combine_pipeline(outcomes: list[dict[str, Any]], config: RunConfig, run_id: str, created_at: str, backend: str,
                     network: NetworkSummary) -> RunResult:
    outcomes = sorted(outcomes, key=lambda o: o["rank"])
    results = [RunResult.model_validate_json(o["result_json"]) for o in outcomes]
    last = results[-1]
    world = len(results)
    job = combine(outcomes, config, run_id, created_at, 1, backend, "")
    job.quality.pop()  # combine's closing line describes data parallelism
    job.network = network
    job.samples = last.samples
    job.throughput_sps = job.samples / job.measured_s if job.measured_s and job.samples else None
    source_total = job.energy_j.gpu if job.energy_per_sample_j.source == "gpu" else job.energy_j.cpu
    job.energy_per_sample_j.total = energy_per_sample(source_total, job.samples)
    job.energy_per_sample_j.dynamic = energy_per_sample(
        job.energy_j.gpu_dynamic if job.energy_per_sample_j.source == "gpu" else None, job.samples)
    job.loss, job.heldout_loss, job.accuracy = last.loss, None, None
    job.series.steps = last.series.steps.model_copy(deep=True)
    job.steps = last.steps
    layers = [layer for r in results if r.conv_algos is not None for layer in r.conv_algos.layers]
    job.conv_algos = ConvAlgos(layers=layers) if layers else None

    total_flops = sum(o.get("stage_flops") or 0 for o in outcomes) or None
    stages = [PipelineStageFacts(stage=o["stage"], rank=o["rank"], device=o["device"], layers=o["layers"],
                                 params=o.get("stage_params"), busy_share=o.get("busy_share"),
                                 flops_share=(o.get("stage_flops") or 0) / total_flops if total_flops else None)
              for o in outcomes]
    busy = [s.busy_share for s in stages]
    microbatches = outcomes[0]["microbatches"]
    p = job.parallel
    assert p is not None
    p.kind = "pipeline"
    p.global_batch = p.per_device_batch = config.batch
    p.communication_method = None
    p.stages, p.microbatches, p.schedule = stages, microbatches, outcomes[0]["schedule"]
    p.ideal_bubble_share = ideal_bubble(world, microbatches)
    if all(b is not None for b in busy):
        p.bubble_share = sum(1.0 - b for b in busy) / len(busy)  # type: ignore[operator]
        p.bubble_method = BUBBLE_METHOD
    else:
        job.unavailable["parallel.bubble_share"] = "a stage's busy time was not measured"
    job.communication_share = None
    job.unavailable["communication_share"] = ("pipeline: the time a stage waits on its neighbour's transfers is in "
                                              "parallel.bubble_share (its idle share), not timed on its own")
    job.unavailable.pop("accuracy", None)
    job.unavailable["accuracy"] = "pipeline: each process holds one stage of the net, so held-out accuracy is not measured"
    train = config.mode == "train"
    job.quality.append(
        f"{world} processes, pipeline ({p.schedule}, {microbatches} micro-batches of {config.batch // microbatches}): "
        f"throughput and energy are the whole job's; step times the slowest stage's; "
        f"{'the loss and the step series' if train else 'the step series'} the last stage's; with equal stages and "
        f"free transfers the bubble would be (S-1)/(M+S-1) = {p.ideal_bubble_share:.0%} of the step")
    layer_types = {layer.get("type") for layer in (network.spec or {}).get("layers", [])}
    if train and "BatchNorm2d" in layer_types and microbatches > 1:
        job.quality.append(
            f"BatchNorm normalises each micro-batch of {config.batch // microbatches} samples, not the batch of "
            f"{config.batch}, and updates its running statistics once per micro-batch: the training differs from "
            f"the 1-device run's (the loss and accuracy are not comparable one to one)")
    return job
