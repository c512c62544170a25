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


def _est(net: str, **kw):
    spec = load_preset(net)
    return estimate_memory(analyze(spec), list(spec.input.shape), RunConfig(batch=8, **kw), None, spec=spec)


def test_im2col_buffers_enter_the_estimate_as_the_run_records_them():
    """The estimate once left out im2col's unfolded inputs: lenet's two are 8 x (C kh kw) x (out h w) x 4 bytes."""
    library, im2col = _est("lenet"), _est("lenet", conv_algo="im2col")
    buffers = 8 * 1 * 25 * 28 * 28 * 4 + 8 * 6 * 25 * 10 * 10 * 4  # what test_conv_algo_run's run records
    assert library.conv_workspace_bytes == 0
    assert im2col.conv_workspace_bytes == buffers  # training keeps both for the backward pass
    assert im2col.total_bytes - library.total_bytes == buffers
    assert "im2col x2; conv1 the largest" in estimate_html(im2col, 8, "fp32")
    infer = _est("lenet", conv_algo="im2col", mode="infer")
    assert infer.conv_workspace_bytes == 8 * 1 * 25 * 28 * 28 * 4  # one layer's buffer alive at a time
    assert _est("lenet", conv_algo="im2col", precision="bf16").conv_workspace_bytes == buffers // 2


def test_fft_spectra_and_a_layers_own_algo_enter_the_estimate():
    fft = _est("resnet9", conv_algo="fft")
    assert fft.conv_workspace_fixed_bytes > 0  # the kernels' spectra do not grow with the batch
    assert fft.conv_workspace_bytes > fft.conv_workspace_fixed_bytes
    assert fft.largest_batch() is None  # unknown capacity
    spec = load_preset("lenet").model_dump(mode="json")
    spec["layers"][0]["params"]["algo"] = "im2col"  # conv1 alone: its own algo wins over the run's library
    from engine.net.spec import NetworkSpec
    one = NetworkSpec.model_validate(spec)
    e = estimate_memory(analyze(one), [1, 28, 28], RunConfig(batch=8), None, spec=one)
    assert e.conv_workspace_bytes == 8 * 1 * 25 * 28 * 28 * 4 and "im2col x1" in e.conv_workspace_note


def test_the_largest_batch_that_fits_counts_the_convolution_buffers():
    spec = load_preset("resnet9")
    a = analyze(spec)
    cap = 8 * 2**30
    plain = estimate_memory(a, [3, 32, 32], RunConfig(device="cuda", batch=8), cap, spec=spec)
    fft = estimate_memory(a, [3, 32, 32], RunConfig(device="cuda", batch=8, conv_algo="fft"), cap, spec=spec)
    best = fft.largest_batch()
    assert best < plain.largest_batch()
    at_best = estimate_memory(a, [3, 32, 32], RunConfig(device="cuda", batch=best, conv_algo="fft"), cap, spec=spec)
    over = estimate_memory(a, [3, 32, 32], RunConfig(device="cuda", batch=best + 1, conv_algo="fft"), cap, spec=spec)
    assert at_best.fits and not over.fits
