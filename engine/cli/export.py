"""`python main.py export NET --pytorch F.py --onnx F.onnx`: readable PyTorch code and/or an ONNX
model for a network (a preset name or a spec file). Torch is imported only for --onnx."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli import EXIT_OK, BadInput
from engine.cli.netload import load_network
from engine.shown_text import one_line


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("export", help="export a network as PyTorch code or ONNX",
                              description="Write a network as readable PyTorch code (a self-contained nn.Module "
                                          "class) and/or as an ONNX model with a dynamic batch dimension.")
    p.add_argument("net", metavar="NET", help="a preset name (lenet, mlp, resnet9, ...) or a spec file")
    p.add_argument("--pytorch", metavar="F.py", help="write readable PyTorch code for the net to this file")
    p.add_argument("--onnx", metavar="F.onnx", help="write the net as an ONNX model to this file")
    p.set_defaults(command="export")


def _writable(path: str, flag: str) -> Path:
    p = Path(path)
    if p.is_dir():
        raise BadInput(f"{flag} {p}: is a folder; give a file name")
    if not p.parent.exists():
        raise BadInput(f"{flag} {p}: folder {p.parent} does not exist")
    return p


def main(args: argparse.Namespace) -> int:
    if not args.pytorch and not args.onnx:
        raise BadInput("export: give --pytorch F.py and/or --onnx F.onnx")
    targets = [(_writable(f, flag), kind) for f, flag, kind in
               ((args.pytorch, "--pytorch", "code"), (args.onnx, "--onnx", "onnx")) if f]
    spec = load_network(args.net)  # BadInput naming every problem of a broken spec
    for path, kind in targets:
        if kind == "code":
            from engine.net.export_code import export_code
            path.write_text(export_code(spec), encoding="utf-8")
        else:
            from engine.net.export_onnx import export_onnx
            export_onnx(spec, path)  # OnnxUnavailable / OnnxExportError: engine.errors types
        sys.stdout.write(f"wrote {path} ({'PyTorch code' if kind == 'code' else 'ONNX'} for '{one_line(spec.name, 80)}')\n")
    return EXIT_OK
