"""The run options' flags, generated from RunConfig (engine.run.options): `run` gets one flag per
option; `sweep` gets a comma-list flag per sweep axis and the single flag for the rest. Bounds and
choices come from the field declarations, so an out-of-range value exits 2 naming the flag.
"""
from __future__ import annotations

import argparse
from typing import Any

from engine.cli import BadInput
from engine.run.options import OptionField, option_fields


def _help(f: OptionField) -> str:
    text = f.option.help or f.info.description or f.label
    if f.choices and f.option.metavar:  # the choices are not in the metavar: say them
        text += ": " + ", ".join(map(str, (*f.choices, *([f.option.none_label] if f.nullable else []))))
    if "(default" not in text and (f.default is not None or f.option.none_label != "none"):
        text += f" (default {f.format(f.default)})"
    return text.replace("%", "%%")


def _metavar(f: OptionField) -> str:
    if f.option.metavar:
        return f.option.metavar
    if f.choices:
        return "{" + ",".join(map(str, (*f.choices, *([f.option.none_label] if f.nullable else [])))) + "}"
    return f.flag.lstrip("-").replace("-", "_").upper()


def _one(f: OptionField):
    def parse(text: str) -> Any:
        try:
            return f.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = f.name  # argparse names the type in some messages
    return parse


def _many(f: OptionField):
    def parse(text: str) -> list[Any]:
        items = [t for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError("give a comma-separated list")
        try:
            return list(dict.fromkeys(f.parse(t) for t in items))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = f.name
    return parse


def add_config_flags(p: argparse.ArgumentParser, schema: Any, *, axes: bool = False) -> None:
    """A flag per option offered on the command line. Flags not given are left out of the parsed
    namespace (the schema's defaults apply). axes=True (sweep): an axis takes a comma list."""
    groups: dict[str, Any] = {}
    for f in option_fields(schema, "cli").values():
        if axes and not f.on("sweep"):  # a `run` flag a sweep cannot set (several machines)
            continue
        target = p
        if f.option.exclusive:
            if f.option.exclusive not in groups:
                groups[f.option.exclusive] = p.add_mutually_exclusive_group()
            target = groups[f.option.exclusive]
        if axes and f.option.axis:
            values = ",".join(f.format(v) for v in f.axis_default)
            what = _help(f).split(" (default")[0]
            if f.choices and not f.option.metavar:
                what += " (" + ", ".join(map(str, (*f.choices, *([f.option.none_label] if f.nullable else [])))) + ")"
            target.add_argument(f.axis_flag, dest=f.name, type=_many(f), default=argparse.SUPPRESS, metavar="A,B,...",
                                help=f"comma list: {what} (default {values})")
        elif f.base is bool:
            target.add_argument(f.flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=_help(f))
        else:
            target.add_argument(f.flag, dest=f.name, type=_one(f), default=argparse.SUPPRESS, metavar=_metavar(f),
                                help=_help(f))


def given(args: argparse.Namespace, schema: Any) -> dict[str, Any]:
    """The options the user gave, by field name."""
    return {name: getattr(args, name) for name in option_fields(schema) if hasattr(args, name)}


def build_config(schema: Any, values: dict[str, Any]) -> Any:
    """schema(**values); a refusal names the flag the user typed (exit 2)."""
    from pydantic import ValidationError
    try:
        return schema(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        fields = option_fields(schema)
        name = str(err["loc"][0]) if err.get("loc") else ""
        where = fields[name].flag if name in fields else "run options"
        raise BadInput(f"{where}: {err.get('msg', 'invalid').removeprefix('Value error, ')}") from None


def config_argv(config: Any) -> list[str]:
    """The `run` flags that give this configuration (every option not at its default, and the device):
    the inverse of the parser, for a sweep that starts one `run` per configuration."""
    argv: list[str] = []
    for f in option_fields(type(config), "cli").values():
        value = getattr(config, f.name)
        if value == f.default and f.name != "device":
            continue
        if isinstance(value, bool):
            argv.append(f.flag if value else "--no-" + f.flag[2:])
        else:
            argv += [f.flag, str(value) if isinstance(value, float) else f.format(value)]  # floats unrounded
    return argv
