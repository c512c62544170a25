"""The network spec document: structure only, torch-free.

Parsing checks the *structure* (format, version, field types, ids). Semantic checks (unknown layer
types or parameters, bad values, cycles, shapes) live in `engine.net.analysis`, so that a spec with
errors still loads and its problems can be shown on the canvas.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import BadInput
from engine.files import write_text_atomic
from engine.json_file import parse_json, read_json

SPEC_FORMAT = "tradeoff-lab/network"
SPEC_VERSION = 1
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_ID_LEN = 64
INPUT_ID = "input"


class SpecFormatError(BadInput):
    """The file is not a readable network spec at all (not JSON, wrong format or version, wrong field types).

    The message names the file and the problem; it is meant to be shown to the user as is."""


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shape: list[int] = Field(min_length=1, max_length=3)  # [C, H, W] or [features]


class LayerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[str] = Field(default_factory=list)


class NetworkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = SPEC_FORMAT
    version: int = SPEC_VERSION
    name: str = "untitled"
    input: InputSpec
    num_classes: int | None = None
    layers: list[LayerSpec] = Field(default_factory=list)
    output: str | None = None
    layout: dict[str, tuple[float, float]] = Field(default_factory=dict)

    def layer(self, layer_id: str) -> LayerSpec | None:
        return next((layer for layer in self.layers if layer.id == layer_id), None)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def _describe(err: dict[str, Any], data: Any) -> str:
    loc = list(err.get("loc", ()))
    where = ".".join(str(p) for p in loc)
    # Name the layer by its id when the error is inside layers[i].
    if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
        try:
            layer_id = data["layers"][loc[1]].get("id", f"#{loc[1]}")
        except (KeyError, IndexError, TypeError, AttributeError):
            layer_id = f"#{loc[1]}"
        rest = ".".join(str(p) for p in loc[2:]) or "layer"
        where = f"layer '{layer_id}' field '{rest}'"
    msg = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    return f"{where}: {msg}"


def spec_from_dict(data: Any, source: str = "spec") -> NetworkSpec:
    """Build a NetworkSpec from parsed JSON; raises SpecFormatError naming every structural problem."""
    if not isinstance(data, dict):
        raise SpecFormatError(f"{source}: expected a JSON object, got {type(data).__name__}")
    fmt = data.get("format", SPEC_FORMAT)
    if fmt != SPEC_FORMAT:
        raise SpecFormatError(f"{source}: format is {fmt!r}, expected {SPEC_FORMAT!r}")
    version = data.get("version", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise SpecFormatError(f"{source}: spec version {version!r} is not supported (this app reads version {SPEC_VERSION})")
    try:
        return NetworkSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e, data) for e in exc.errors())
        raise SpecFormatError(f"{source}: {problems}") from None


def spec_from_json(text: str, source: str = "spec") -> NetworkSpec:
    return spec_from_dict(parse_json(text, source, SpecFormatError), source)


def load_spec(path: str | Path) -> NetworkSpec:
    """Read a spec file; raises SpecFormatError with the file name for any unreadable or malformed file."""
    return spec_from_dict(read_json(path, SpecFormatError, "spec file"), str(path))


def save_spec(spec: NetworkSpec, path: str | Path) -> None:
    """Write a spec file atomically; raises FileWriteError naming the file and the reason."""
    write_text_atomic(path, spec.to_json())
