"""Data sets for a run, on the run's device (imports torch).

    data = load_dataset("digits", input_shape=(1, 28, 28), num_classes=10, device=dev, seed=0)
    x, y = data.next_batch(256)           # float32 [256, 1, 28, 28] and int64 [256], on dev
    for x, y in data.heldout(1024): ...   # the held-out split, for accuracy (real data only)

`synthetic` is one random batch made on the device and handed out every step: no copy, no
indexing, so a speed run measures the network and nothing else. A pipeline stage loads only the part
of each batch it uses (`inputs=False` / `targets=False`: None in its place, nothing of it on the
device): the first stage the images, the last the labels, a middle one neither; the stages that draw
draw the same samples, in the same order, as one device does. Real data sets keep their uint8
images at native resolution on the device and convert each batch there (gather, scale,
standardise, adapt channels, resize to the net's input): cheap next to a training step, and
memory stays that of the uint8 images even when the net wants larger inputs.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from engine.errors import BadRunInput
from engine.run.config import DATASET_KINDS, PATHLESS_DATASETS

KINDS = tuple(DATASET_KINDS)


def parse_dataset(name: str) -> tuple[str, Path | None]:
    """'mnist:/data' -> ('mnist', Path('/data')); raises BadRunInput for an unknown kind or a missing path."""
    kind, _, path = name.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise BadRunInput(f"data set {name!r}: unknown kind {kind!r} (use synthetic, digits, mnist:PATH, "
                          f"cifar10:PATH or folder:PATH)")
    if kind in PATHLESS_DATASETS:
        if path:
            raise BadRunInput(f"data set {name!r}: {kind} takes no path")
        return kind, None
    if not path:
        raise BadRunInput(f"data set {name!r}: {kind} needs a path, e.g. {kind}:/data/{kind}")
    p = Path(path).expanduser()
    if not p.exists():
        raise BadRunInput(f"data set {name!r}: {p} does not exist")
    return kind, p


class DataSet:
    name: str
    num_classes: int
    has_heldout: bool = False
    train_size: int = 0
    heldout_size: int = 0

    def next_batch(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch's inputs and labels; None for a part this data set was loaded without."""
        raise NotImplementedError

    def heldout(self, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iter(())


class SyntheticData(DataSet):
    """One random batch, generated on the device; random labels, so no held-out accuracy."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, device: torch.device, seed: int,
                 channels_last: bool = False, inputs: bool = True, targets: bool = True) -> None:
        self.name, self.num_classes = "synthetic", num_classes
        self._shape, self._device, self._seed, self._channels_last = tuple(input_shape), device, seed, channels_last
        self._inputs, self._targets = inputs, targets
        self._batch: tuple[torch.Tensor | None, torch.Tensor | None] | None = None
        self._size = 0
        self.draws = 0  # batches made (once per batch size): what a test counts

    def next_batch(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not (self._inputs or self._targets):
            return None, None  # type: ignore[return-value] # a middle pipeline stage: nothing to make
        if self._batch is None or self._size != batch:
            self.draws += 1
            g = torch.Generator(device=self._device).manual_seed(self._seed)
            # The labels come from the generator after the inputs: a stage that keeps only the labels
            # makes the inputs once (not every step) and drops them, so both equal one device's.
            x = torch.randn(batch, *self._shape, device=self._device, generator=g)
            if self._channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, self.num_classes, (batch,), device=self._device, generator=g) if self._targets else None
            self._batch, self._size = (x if self._inputs else None, y), batch
            del x
        return self._batch  # type: ignore[return-value]

    def reseed(self, seed: int) -> None:
        """A different random batch (each process of a data-parallel run draws its own)."""
        self._seed, self._batch = seed, None


class ImageData(DataSet):
    """Labelled uint8 images on the device, converted to the net's input batch by batch."""

    def __init__(self, images, input_shape: tuple[int, ...], device: torch.device, seed: int,
                 channels_last: bool = False, inputs: bool = True, targets: bool = True) -> None:
        self.name, self.num_classes, self.has_heldout = images.name, images.num_classes, inputs and targets
        self._device, self._channels_last = device, channels_last
        self._inputs, self._targets = inputs, targets
        self._target = _target_chw(images.name, input_shape, images.train_x.shape[1:])
        self._flatten = len(input_shape) == 1
        # Only the parts this process uses go to the device (a pipeline stage's: module doc)
        self._train_x = torch.from_numpy(images.train_x).to(device) if inputs else None
        self._train_y = torch.from_numpy(images.train_y).to(device) if targets else None
        self._test_x = torch.from_numpy(images.test_x).to(device) if self.has_heldout else None
        self._test_y = torch.from_numpy(images.test_y).to(device) if self.has_heldout else None
        self.train_size, self.heldout_size = len(images.train_y), len(images.test_y) if self.has_heldout else 0
        self.draws = 0  # batches drawn: what a test counts
        # Standardise with the training split's statistics, on the [0, 1] scale.
        self._scale = 1.0 / images.max_value
        self._mean, self._std = 0.0, 1.0
        if inputs:
            scaled = images.train_x.astype("float32") / images.max_value
            self._mean, self._std = float(scaled.mean()), float(scaled.std()) or 1.0
        self._luma = torch.tensor([0.299, 0.587, 0.114], device=device).view(1, 3, 1, 1)  # RGB -> grey
        self._gen = torch.Generator(device=device).manual_seed(seed)
        self._perm: torch.Tensor | None = None
        self._pos = 0

    def _convert(self, xb: torch.Tensor) -> torch.Tensor:
        x = (xb.float() * self._scale - self._mean) / self._std
        c, h, w = self._target
        if x.shape[1] != c:  # grey -> RGB repeats; RGB -> grey takes the luminance
            x = x.expand(-1, c, -1, -1) if x.shape[1] == 1 else (x * self._luma).sum(1, keepdim=True)
        if x.shape[2:] != (h, w):
            down = h < x.shape[2] or w < x.shape[3]
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=down)
        if self._flatten:
            return x.reshape(x.shape[0], -1)
        if self._channels_last:
            return x.contiguous(memory_format=torch.channels_last)
        return x.contiguous()

    def next_batch(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not (self._inputs or self._targets):
            return None, None  # type: ignore[return-value] # a middle pipeline stage: nothing to draw
        self.draws += 1
        n = self.train_size
        if batch >= n:  # a batch larger than the data: sample with replacement
            idx = torch.randint(0, n, (batch,), device=self._device, generator=self._gen)
        else:
            if self._perm is None or self._pos + batch > n:
                self._perm, self._pos = torch.randperm(n, device=self._device, generator=self._gen), 0
            idx = self._perm[self._pos:self._pos + batch]
            self._pos += batch
        return (self._convert(self._train_x[idx]) if self._inputs else None,  # type: ignore[return-value]
                self._train_y[idx] if self._targets else None)

    def shard(self, indices: list[int], seed: int) -> None:
        """Keep only these training images (a data-parallel process's share, from a
        DistributedSampler), shuffled by their own generator; the held-out split stays whole."""
        idx = torch.as_tensor(indices, dtype=torch.long, device=self._device)
        self._train_x = self._train_x[idx] if self._train_x is not None else None
        self._train_y = self._train_y[idx] if self._train_y is not None else None
        self.train_size = len(idx)
        self._gen = torch.Generator(device=self._device).manual_seed(seed)
        self._perm, self._pos = None, 0

    def heldout(self, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in range(0, self.heldout_size, batch):
            yield self._convert(self._test_x[i:i + batch]), self._test_y[i:i + batch]


def _target_chw(name: str, input_shape: tuple[int, ...], native_chw: tuple[int, ...]) -> tuple[int, int, int]:
    """What each image becomes: the net's [C, H, W], or for a net taking [features] a square image
    whose C*H*W equals the features."""
    c0, h0, w0 = native_chw
    if len(input_shape) == 3:
        c, h, w = input_shape
        if c != c0 and not (c0 == 1 and c == 3) and not (c0 == 3 and c == 1):
            raise BadRunInput(f"data set {name}: the net's input has {c} channels; {name} images have {c0} "
                              f"(only 1 <-> 3 channels can be converted)")
        return c, h, w
    if len(input_shape) == 1:
        features = input_shape[0]
        for c in (c0, 1, 3):
            side = math.isqrt(features // c) if features % c == 0 else 0
            if side and c * side * side == features:
                return c, side, side
        raise BadRunInput(f"data set {name}: the net takes {features} features, which is not C*H*H for a square "
                          f"image (e.g. {c0 * h0 * w0} = {c0}x{h0}x{w0})")
    raise BadRunInput(f"data set {name}: the net's input shape {list(input_shape)} is neither [C, H, W] "
                      f"nor [features]; images need one of those")


def load_dataset(name: str, input_shape: tuple[int, ...], num_classes: int | None, device: torch.device,
                 seed: int = 0, channels_last: bool = False, inputs: bool = True, targets: bool = True) -> DataSet:
    """The data set named by a RunConfig.dataset string, ready on `device`. num_classes is the size of
    the net's output vector (None if the output is not a vector). inputs/targets False: that part of
    each batch is not loaded (None in its place)."""
    kind, path = parse_dataset(name)
    if kind == "synthetic":
        return SyntheticData(input_shape, num_classes or 10, device, seed, channels_last, inputs, targets)
    from engine.run import dataset_files as files
    if kind == "digits":
        images = files.read_digits()
    elif kind == "mnist":
        images = files.read_mnist(path)
    elif kind == "cifar10":
        images = files.read_cifar10(path)
    else:
        if len(input_shape) == 3:
            channels, size = input_shape[0], (input_shape[1], input_shape[2])
        else:
            channels, size = 1, _target_chw(name, input_shape, (1, 1, 1))[1:]
        images = files.read_folder(path, channels, size, num_classes)
    if num_classes is None:
        raise BadRunInput(f"data set {name}: the net's output is not a vector of class scores, so it cannot "
                          f"be trained or scored on labelled data (end with Flatten and Linear)")
    if num_classes < images.num_classes:
        raise BadRunInput(f"data set {name}: the net has {num_classes} outputs but {images.name} has "
                          f"{images.num_classes} classes")
    return ImageData(images, tuple(input_shape), device, seed, channels_last, inputs, targets)


def load_for_run(config: Any, input_shape: tuple[int, ...], num_classes: int | None,
                 device: torch.device, inputs: bool = True, targets: bool = True) -> DataSet:
    """The data set on the device; a data set that does not fit is bad input too (nothing ran yet)."""
    from engine.run.device import is_oom, oom_message
    try:
        return load_dataset(config.dataset, input_shape, num_classes, device, config.seed,
                            config.channels_last and len(input_shape) == 3, inputs, targets)
    except BadRunInput:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, name the data set
        if is_oom(exc):
            raise BadRunInput(f"data set {config.dataset}: does not fit on {device}: "
                              f"{oom_message(exc, device, config.batch)}") from None
        raise BadRunInput(f"data set {config.dataset}: cannot be loaded ({type(exc).__name__}: {exc})") from None
