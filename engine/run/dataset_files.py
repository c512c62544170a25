"""Readers for labelled image data on disk, torch-free: the embedded digits, MNIST's idx files and
CIFAR-10's python batches in torchvision's on-disk layout (without torchvision), and a folder with
one subfolder of images per class. Each returns `Images` (uint8 arrays at native resolution); every
problem is a BadRunInput naming the file and what is wrong with it.
"""
from __future__ import annotations

import gzip
import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import BadRunInput
from engine.paths import ASSETS

HELDOUT_FRACTION = 0.2
_SPLIT_SEED = 12345  # fixed, so every run of a data set holds out the same images and runs compare
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class Images:
    """uint8 images [N, C, H, W] with int64 labels, split into training and held-out parts."""
    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int
    max_value: float  # the value of full brightness (16 for digits, 255 otherwise)


def _split(name: str, x: np.ndarray, y: np.ndarray, num_classes: int, max_value: float) -> Images:
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(x))
    n_test = max(1, int(round(len(x) * HELDOUT_FRACTION)))
    test, train = order[:n_test], order[n_test:]
    return Images(name, x[train], y[train], x[test], y[test], num_classes, max_value)


def read_digits() -> Images:
    """The 1797 8x8 handwritten digits (scikit-learn's copy of the UCI set), bundled in assets/."""
    path = ASSETS / "digits.npz"
    try:
        with np.load(path) as data:
            x, y = data["images"], data["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise BadRunInput(f"{path}: the embedded digits data set cannot be read ({exc})") from None
    return _split("digits", x[:, None, :, :].astype(np.uint8), y.astype(np.int64), 10, 16.0)


# -- MNIST (idx files) ------------------------------------------------------------------------
_MNIST_FILES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
                "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}


def _find_mnist_dir(root: Path) -> Path:
    for cand in (root, root / "raw", root / "MNIST" / "raw", root / "MNIST"):
        if any((cand / (_MNIST_FILES["train_x"] + ext)).is_file() for ext in ("", ".gz")):
            return cand
    raise BadRunInput(f"mnist:{root}: no {_MNIST_FILES['train_x']}[.gz] there (looked in {root}, {root}/raw "
                      f"and {root}/MNIST/raw: torchvision's layout)")


def _read_idx(folder: Path, stem: str, ndim: int) -> np.ndarray:
    path = next((folder / (stem + ext) for ext in ("", ".gz") if (folder / (stem + ext)).is_file()), None)
    if path is None:
        raise BadRunInput(f"{folder / stem}: missing (MNIST needs {', '.join(_MNIST_FILES.values())})")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BadRunInput(f"{path}: cannot be read ({exc})") from None
    if len(raw) < 4 + 4 * ndim or raw[:3] != b"\x00\x00\x08" or raw[3] != ndim:
        raise BadRunInput(f"{path}: not an idx file of uint8 with {ndim} dimension(s) (bad header)")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(dims)):
        raise BadRunInput(f"{path}: truncated or corrupt (header says {dims}, holds {len(body)} bytes)")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()  # writable, for torch


def read_mnist(root: Path) -> Images:
    folder = _find_mnist_dir(root)
    parts = {k: _read_idx(folder, stem, 3 if k.endswith("_x") else 1) for k, stem in _MNIST_FILES.items()}
    for split in ("train", "test"):
        if len(parts[f"{split}_x"]) != len(parts[f"{split}_y"]):
            raise BadRunInput(f"{folder}: {split} images ({len(parts[f'{split}_x'])}) and labels "
                              f"({len(parts[f'{split}_y'])}) differ in count")
    labels = np.concatenate([parts["train_y"], parts["test_y"]])
    if labels.size and labels.max() > 9:
        raise BadRunInput(f"{folder}: labels go up to {labels.max()}; MNIST has classes 0..9")
    return Images("mnist", parts["train_x"][:, None], parts["train_y"].astype(np.int64), parts["test_x"][:, None],
                  parts["test_y"].astype(np.int64), 10, 255.0)


# -- CIFAR-10 (python pickles) -----------------------------------------------------------------
class _SafeUnpickler(pickle.Unpickler):
    """CIFAR batches hold only dicts, lists, bytes and numpy arrays: refuse anything else, so a
    file from elsewhere cannot run code when it is read."""
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle's signature
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise BadRunInput(f"{path}: missing (CIFAR-10 needs data_batch_1..5 and test_batch)")
    try:
        d = _SafeUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
        data = np.asarray(d[b"data"] if b"data" in d else d["data"], dtype=np.uint8)
        labels = np.asarray(d[b"labels"] if b"labels" in d else d["labels"], dtype=np.int64)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError, AttributeError,
            IndexError) as exc:
        raise BadRunInput(f"{path}: not a CIFAR-10 python batch ({exc or type(exc).__name__})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise BadRunInput(f"{path}: expected data [N, 3072] and N labels, got {list(data.shape)} and {len(labels)}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise BadRunInput(f"{path}: labels outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar10(root: Path) -> Images:
    folder = next((c for c in (root, root / "cifar-10-batches-py") if (c / "data_batch_1").exists()), None)
    if folder is None:
        raise BadRunInput(f"cifar10:{root}: no data_batch_1 there or in {root}/cifar-10-batches-py "
                          f"(torchvision's layout)")
    train = [_read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    test_x, test_y = _read_cifar_batch(folder / "test_batch")
    return Images("cifar10", np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train]),
                  test_x, test_y, 10, 255.0)


# -- a folder of class folders -----------------------------------------------------------------
def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _load_image(path: Path, channels: int, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB").resize((size[1], size[0]), Image.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise BadRunInput(f"{path}: not a readable image ({exc})") from None
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def _read_classes(root: Path, classes: list[str], channels: int, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for label, name in enumerate(classes):
        folder = root / name
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        xs += [_load_image(f, channels, size) for f in files]
        ys += [label] * len(files)
    if not xs:
        raise BadRunInput(f"folder:{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in its class folders")
    return np.stack(xs), np.asarray(ys, dtype=np.int64)


def read_folder(root: Path, channels: int, size: tuple[int, int], max_classes: int | None = None) -> Images:
    """root/<class>/*.png, or root/train/<class>/ with root/val|test/<class>/ as the held-out split.
    Images are converted to the net's channel count and size while they are read."""
    if not root.is_dir():
        raise BadRunInput(f"folder:{root}: no such folder")
    if channels not in (1, 3):
        raise BadRunInput(f"folder:{root}: the net takes {channels} channels; images give 1 (grey) or 3 (RGB)")
    held = next((root / n for n in ("val", "test") if (root / n).is_dir()), None)
    train_root = root / "train" if (root / "train").is_dir() and held is not None else root
    classes = [p.name for p in _class_dirs(train_root)]
    if len(classes) < 2:
        raise BadRunInput(f"folder:{train_root}: needs at least 2 class subfolders, found {len(classes)}")
    if max_classes is not None and len(classes) > max_classes:  # say so before reading every image
        raise BadRunInput(f"folder:{train_root}: the net has {max_classes} outputs but the folder has "
                          f"{len(classes)} classes ({', '.join(classes[:5])}{', ...' if len(classes) > 5 else ''})")
    x, y = _read_classes(train_root, classes, channels, size)
    if held is None:
        return _split(f"folder:{root.name}", x, y, len(classes), 255.0)
    tx, ty = _read_classes(held, classes, channels, size)
    return Images(f"folder:{root.name}", x, y, tx, ty, len(classes), 255.0)
