"""The network spec document: structure only, torch-free.

Parsing checks the *structure* (format, version, field types, ids). Semantic checks (unknown layer
types or parameters, bad values, cycles, shapes) live in `engine.net.analysis`, so that a spec with
errors still loads and its problems can be shown on the canvas.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from engine.errors import BadInput
from engine.files import write_text_atomic
from engine.json_file import parse_json, read_json
from engine.shown_text import one_line

SPEC_FORMAT = "tradeoff-lab/network"
SPEC_VERSION = 1
ID_PATTERN = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z: "$" would let a trailing newline through
MAX_ID_LEN = 64
INPUT_ID = "input"


def _encodable(text: str) -> str:
    """A lone surrogate (from a JSON escape or a mis-decoded file name) could never be saved, stored
    or printed: refused here so it cannot get as far as a run."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate (\\ud800-\\udfff), which is not a character") from None
    return text


def _encodable_values(value: Any) -> Any:
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list | tuple):
            todo.extend(item)
    return value


Text = Annotated[StrictStr, AfterValidator(_encodable)]


class SpecFormatError(BadInput):
    """The file is not a readable network spec at all (not JSON, wrong format or version, wrong field types).

    The message names the file and the problem; it is meant to be shown to the user as is."""


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shape: list[StrictInt] = Field(min_length=1, max_length=3)  # [C, H, W] or [features]


class LayerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Text
    type: Text
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[Text] = Field(default_factory=list)

    _params_text = field_validator("params")(_encodable_values)


class NetworkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Text = SPEC_FORMAT
    version: StrictInt = SPEC_VERSION
    name: Text = "untitled"
    input: InputSpec
    num_classes: StrictInt | None = None
    layers: list[LayerSpec] = Field(default_factory=list)
    output: Text | None = None
    layout: dict[Text, tuple[float, float]] = Field(default_factory=dict)

    def layer(self, layer_id: str) -> LayerSpec | None:
        return next((layer for layer in self.layers if layer.id == layer_id), None)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def _describe(err: dict[str, Any], data: Any) -> str:
    loc = list(err.get("loc", ()))
    where = ".".join(one_line(p, 40) for p in loc)
    # Name the layer by its id when the error is inside layers[i].
    if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
        try:
            layer_id = data["layers"][loc[1]].get("id", f"#{loc[1]}")
        except (KeyError, IndexError, TypeError, AttributeError):
            layer_id = f"#{loc[1]}"
        rest = ".".join(str(p) for p in loc[2:]) or "layer"
        where = f"layer '{one_line(layer_id, MAX_ID_LEN + 16)}' field '{rest}'"
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
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
    if type(version) is not int or version != SPEC_VERSION:  # type(): True == 1 but is no version
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
