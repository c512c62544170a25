"""The memory estimate before a run (engine.run, torch-free): training state, precision, the batch that
fits, the next batch after an out-of-memory run."""
from __future__ import annotations

from engine.net.analysis import analyze
from engine.net.presets import load_preset
from engine.run import RunConfig, estimate_html, estimate_memory, oom_suggestion
from engine.run.config import PRECISIONS
from engine.run.memory_estimate import ELEMENT_BYTES, estimate

GPU_80 = 80 * 2**30


def test_training_state_and_precision_change_the_estimate():
    a = analyze(load_preset("lenet"))

    def est(**kw):
        return estimate_memory(a, [1, 28, 28], RunConfig(device="cuda", **kw), GPU_80)
    train, infer = est(mode="train"), est(mode="infer")
    assert train.gradients_bytes == train.weights_bytes == 4 * a.total_params and infer.gradients_bytes == 0
    assert train.activations_bytes > infer.activations_bytes
    assert est(precision="bf16").activations_bytes == train.activations_bytes // 2
    assert est(optimizer="adam").optimizer_bytes == 2 * train.optimizer_bytes  # Adam keeps two moments
    cpu = estimate_memory(a, [1, 28, 28], RunConfig(device="cpu"), None)
    assert cpu.place == "host memory" and cpu.fits is None


def test_every_precision_has_an_element_size():
    assert set(ELEMENT_BYTES) == set(PRECISIONS)


def test_the_largest_batch_that_fits_fits_and_one_more_does_not():
    big = estimate(10**6, 10**6, [10**6], 784, batch=100_000, precision="fp32", mode="train", capacity_bytes=2**31)
    assert big.fits is False and "Will not fit" in estimate_html(big, 100_000, "fp32")
    best = big.largest_batch()
    fits = estimate(10**6, 10**6, [10**6], 784, batch=best, precision="fp32", mode="train", capacity_bytes=2**31)
    over = estimate(10**6, 10**6, [10**6], 784, batch=best + 1, precision="fp32", mode="train", capacity_bytes=2**31)
    assert fits.fits and not over.fits


def test_after_an_oom_the_next_batch_comes_from_the_estimate_or_halves_when_it_was_optimistic():
    tight = estimate(10**6, 10**6, [10**6], 784, batch=4096, precision="fp32", mode="train", capacity_bytes=2**31)
    best, note = oom_suggestion(tight, 4096)
    assert best == tight.largest_batch() and best < 4096 and "Estimate for batch 4096" in note
    roomy = estimate(10**3, 10**3, [10**3], 784, batch=256, precision="fp32", mode="train", capacity_bytes=2**34)
    assert oom_suggestion(roomy, 256)[0] == 128
    unknown = estimate(10**3, 10**3, [10**3], 784, batch=256, precision="fp32", mode="train", capacity_bytes=None)
    assert oom_suggestion(unknown, 256)[0] is None


def test_every_optimizer_has_its_state_size():
    from engine.run import option_fields
    from engine.run.memory_estimate import OPTIMIZER_STATE_PER_PARAM
    assert set(OPTIMIZER_STATE_PER_PARAM) == set(option_fields(RunConfig)["optimizer"].choices)
