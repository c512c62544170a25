"""Data sets: synthetic, embedded digits, MNIST/CIFAR-10 in torchvision's layout, image folders,
and the clear errors for missing, corrupt or unusable data."""
from __future__ import annotations

import gzip
import os
import pickle

import numpy as np
import pytest
import torch

from engine.errors import BadRunInput
from engine.run.datasets import load_dataset, parse_dataset

CPU = torch.device("cpu")


# -- fake files in torchvision's layout -----------------------------------------------------------
def _idx(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def make_mnist(root, n_train=50, n_test=20, gz=True):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
             "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
             "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    for name, arr in files.items():
        data = _idx(arr)
        if gz:
            (raw / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)
    return raw


def make_cifar(root, n=10):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, n)]}
        (folder / name).write_bytes(pickle.dumps(batch))
    return folder


def make_folder(root, classes=("cat", "dog"), per_class=5, size=(12, 10)):
    from PIL import Image
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            arr = np.full((*size, 3), 40 * c + i, dtype=np.uint8)
            Image.fromarray(arr).save(root / name / f"{i}.png")
    return root


def _empty(root):
    (root / "empty").mkdir()
    return root / "empty"


# -- naming ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("imagenet", "unknown kind"), ("mnist", "needs a path"), ("digits:/x", "takes no path"),
    ("cifar10:/definitely/missing", "does not exist")])
def test_parse_errors(name, words):
    with pytest.raises(BadRunInput, match=words):
        parse_dataset(name)


def test_synthetic_is_one_batch_on_the_device_any_shape():
    data = load_dataset("synthetic", (3, 16, 16), 7, CPU, seed=1, channels_last=True)
    x, y = data.next_batch(4)
    assert x.shape == (4, 3, 16, 16) and x.is_contiguous(memory_format=torch.channels_last)
    assert y.dtype == torch.int64 and int(y.max()) < 7
    assert data.next_batch(4)[0] is x  # no copy per step
    assert not data.has_heldout
    assert load_dataset("synthetic", (100,), 3, CPU).next_batch(2)[0].shape == (2, 100)


# -- digits ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8), (784,), (64,)])
def test_digits_resized_to_the_net(shape):
    data = load_dataset("digits", shape, 10, CPU)
    assert data.train_size + data.heldout_size == 1797 and 350 <= data.heldout_size <= 370
    x, y = data.next_batch(64)
    assert x.shape == (64, *shape) and x.dtype == torch.float32
    assert abs(float(x.mean())) < 0.5 and y.min() >= 0 and y.max() <= 9
    held = list(data.heldout(100))
    assert sum(len(b[1]) for b in held) == data.heldout_size


def test_digits_epochs_and_oversized_batch():
    data = load_dataset("digits", (1, 8, 8), 10, CPU)
    seen = torch.cat([data.next_batch(100)[1] for _ in range(30)])  # crosses epoch boundaries
    assert len(seen) == 3000
    assert data.next_batch(5000)[0].shape[0] == 5000  # larger than the data: sampled with replacement


@pytest.mark.parametrize("shape, classes, words", [
    ((4, 28, 28), 10, "4 channels"), ((1, 28, 28), 5, "5 outputs but digits has 10 classes"),
    ((28, 28), 10, "neither"), ((99, ), 10, "not C\\*H\\*H"), ((1, 28, 28), None, "not a vector")])
def test_digits_shapes_the_net_cannot_take(shape, classes, words):
    with pytest.raises(BadRunInput, match=words):
        load_dataset("digits", shape, classes, CPU)


# -- MNIST -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx_files(tmp_path, gz):
    make_mnist(tmp_path, gz=gz)
    data = load_dataset(f"mnist:{tmp_path}", (1, 28, 28), 10, CPU)
    assert (data.train_size, data.heldout_size) == (50, 20)
    assert data.next_batch(8)[0].shape == (8, 1, 28, 28)
    # the raw folder itself works too
    assert load_dataset(f"mnist:{tmp_path / 'MNIST' / 'raw'}", (3, 32, 32), 10, CPU).next_batch(2)[0].shape == \
        (2, 3, 32, 32)


def test_mnist_corrupt_and_missing_files_are_named(tmp_path):
    raw = make_mnist(tmp_path, gz=False)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x14abc")  # says 20, holds 3
    with pytest.raises(BadRunInput, match="t10k-labels-idx1-ubyte.*truncated"):
        load_dataset(f"mnist:{tmp_path}", (1, 28, 28), 10, CPU)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    with pytest.raises(BadRunInput, match="bad header"):
        load_dataset(f"mnist:{tmp_path}", (1, 28, 28), 10, CPU)
    os.remove(raw / "t10k-labels-idx1-ubyte")
    with pytest.raises(BadRunInput, match="t10k-labels-idx1-ubyte: missing"):
        load_dataset(f"mnist:{tmp_path}", (1, 28, 28), 10, CPU)
    with pytest.raises(BadRunInput, match="torchvision's layout"):
        load_dataset(f"mnist:{_empty(tmp_path)}", (1, 28, 28), 10, CPU)


def test_mnist_bad_gzip_is_named(tmp_path):
    raw = make_mnist(tmp_path)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(BadRunInput, match="train-images-idx3-ubyte.gz: cannot be read"):
        load_dataset(f"mnist:{tmp_path}", (1, 28, 28), 10, CPU)


# -- CIFAR-10 --------------------------------------------------------------------------------------
def test_cifar10_batches(tmp_path):
    make_cifar(tmp_path)
    data = load_dataset(f"cifar10:{tmp_path}", (3, 32, 32), 10, CPU)
    assert (data.train_size, data.heldout_size) == (50, 10)
    assert load_dataset(f"cifar10:{tmp_path}", (1, 28, 28), 10, CPU).next_batch(3)[0].shape == (3, 1, 28, 28)


def test_cifar10_corrupt_and_hostile_pickles(tmp_path):
    folder = make_cifar(tmp_path)
    (folder / "data_batch_3").write_bytes(b"\x80\x04garbage")
    with pytest.raises(BadRunInput, match="data_batch_3: not a CIFAR-10 python batch"):
        load_dataset(f"cifar10:{tmp_path}", (3, 32, 32), 10, CPU)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /dev/null",))
    (folder / "data_batch_3").write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(BadRunInput, match="refusing to load"):
        load_dataset(f"cifar10:{tmp_path}", (3, 32, 32), 10, CPU)
    (folder / "data_batch_3").unlink()
    with pytest.raises(BadRunInput, match="data_batch_3: missing"):
        load_dataset(f"cifar10:{tmp_path}", (3, 32, 32), 10, CPU)


# -- image folders ---------------------------------------------------------------------------------
def test_image_folder(tmp_path):
    make_folder(tmp_path / "pets")
    data = load_dataset(f"folder:{tmp_path / 'pets'}", (3, 16, 16), 2, CPU)
    assert data.num_classes == 2 and data.train_size + data.heldout_size == 10
    assert data.next_batch(4)[0].shape == (4, 3, 16, 16)
    grey = load_dataset(f"folder:{tmp_path / 'pets'}", (256,), 2, CPU)
    assert grey.next_batch(2)[0].shape == (2, 256)


def test_image_folder_with_train_and_val(tmp_path):
    make_folder(tmp_path / "ds" / "train", per_class=4)
    make_folder(tmp_path / "ds" / "val", per_class=2)
    data = load_dataset(f"folder:{tmp_path / 'ds'}", (1, 8, 8), 2, CPU)
    assert (data.train_size, data.heldout_size) == (8, 4)


def test_image_folder_problems_are_named(tmp_path):
    root = make_folder(tmp_path / "pets")
    (root / "dog" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(BadRunInput, match="broken.png: not a readable image"):
        load_dataset(f"folder:{root}", (3, 16, 16), 2, CPU)
    with pytest.raises(BadRunInput, match="2 outputs but .* has 3 classes|at least 2"):
        make_folder(tmp_path / "three", classes=("a", "b", "c"))
        load_dataset(f"folder:{tmp_path / 'three'}", (3, 16, 16), 2, CPU)
    make_folder(tmp_path / "one", classes=("only",))
    with pytest.raises(BadRunInput, match="at least 2 class subfolders"):
        load_dataset(f"folder:{tmp_path / 'one'}", (3, 16, 16), 2, CPU)
    with pytest.raises(BadRunInput, match="4 channels"):
        load_dataset(f"folder:{tmp_path / 'three'}", (4, 16, 16), 3, CPU)
