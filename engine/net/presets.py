"""Preset networks shipped under engine/assets/presets/ (one spec JSON per preset), and `resolve_net`, which
turns a command line's NET (a preset name or a spec path) into a NetworkSpec. Torch-free."""
from __future__ import annotations

from pathlib import Path

from engine.net.spec import NetworkSpec, SpecFormatError, load_spec
from engine.paths import ASSETS

PRESET_DIR = ASSETS / "presets"


def preset_names() -> list[str]:
    """Names of the shipped presets, sorted (e.g. lenet, mlp, resnet9, ...)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def preset_path(name: str) -> Path:
    return PRESET_DIR / f"{name}.json"


def load_preset(name: str) -> NetworkSpec:
    """The preset's spec; raises SpecFormatError naming the known presets if there is none by that name."""
    if name not in preset_names():
        raise SpecFormatError(f"no preset named {name!r} (presets: {', '.join(preset_names())})")
    return load_spec(preset_path(name))


def resolve_net(arg: str) -> NetworkSpec:
    """A preset name or a path to a spec file -> NetworkSpec.

    A preset name wins over a file of the same name in the working folder only when the argument has
    no path separator and no .json suffix, so `./lenet.json` always means the file."""
    looks_like_path = "/" in arg or "\\" in arg or arg.endswith(".json")
    if not looks_like_path and arg in preset_names():
        return load_preset(arg)
    path = Path(arg)
    if path.exists() or looks_like_path:
        return load_spec(path)
    raise SpecFormatError(f"no preset or spec file named {arg!r} (presets: {', '.join(preset_names())})")
