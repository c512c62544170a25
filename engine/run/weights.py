"""Trained weights kept with their run (safetensors, in the data folder), so an inference run can be
measured with real weights and precisions compared at equal training. Imports torch.

    path = save_weights(model, run_id)               # data_dir()/weights/<run_id>.safetensors
    path = resolve_weights("20261129-…" | "w.safetensors")
    load_weights(model, path)                        # BadInput naming the layer whose weights do not fit

State-dict keys are the spec's layer ids (`conv1.weight`), so weights fit any model built from a spec
with the same layers and shapes.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from engine.errors import BadInput
from engine.paths import data_dir

SUFFIX = ".safetensors"


def weights_dir() -> Path:
    path = data_dir() / "weights"
    path.mkdir(parents=True, exist_ok=True)
    return path


def weights_path(run_id: str) -> Path:
    return weights_dir() / f"{run_id}{SUFFIX}"


def save_weights(model: torch.nn.Module, run_id: str) -> Path:
    """Write the model's parameters and buffers, atomically (a crash leaves no half file)."""
    from safetensors.torch import save_file
    path = weights_path(run_id)
    tmp = path.with_suffix(".tmp")
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(tmp), metadata={"run_id": run_id})
    os.replace(tmp, path)
    return path


def resolve_weights(ref: str) -> Path:
    """A stored run's weights (by run id) or a .safetensors file."""
    by_run = weights_dir() / f"{ref}{SUFFIX}"
    if by_run.is_file():
        return by_run
    path = Path(ref)
    if path.suffix == SUFFIX and path.is_file():
        return path
    if path.suffix == SUFFIX:
        raise BadInput(f"weights {ref}: no such file")
    raise BadInput(f"weights {ref!r}: no weights stored for that run (a training run keeps its weights "
                   f"with --keep-weights), and it is not a {SUFFIX} file")


def _layer(key: str) -> str:
    return key.rsplit(".", 1)[0]


def load_weights(model: torch.nn.Module, path: Path) -> None:
    """Load into `model`; refuse, naming the layers, when the file's tensors do not fit the network."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise BadInput(f"weights {path}: not a readable safetensors file ({exc})") from None
    own = model.state_dict()
    missing = sorted({_layer(k) for k in own if k not in tensors})
    extra = sorted({_layer(k) for k in tensors if k not in own})
    wrong = sorted(f"{k} is {list(tensors[k].shape)}, the network needs {list(own[k].shape)}"
                   for k in own if k in tensors and tensors[k].shape != own[k].shape)
    problems = ([f"no weights for layer(s) {', '.join(missing[:5])}"] if missing else []) + \
               ([f"weights for layer(s) not in this network: {', '.join(extra[:5])}"] if extra else []) + wrong[:3]
    if problems:
        raise BadInput(f"weights {path.name} do not fit this network: " + "; ".join(problems))
    model.load_state_dict(tensors)
