"""NET on the command line -> a validated NetworkSpec, or BadInput naming the file or the layer.
Shared by the commands that take a network. Torch-free."""
from __future__ import annotations

from pathlib import Path

from engine.cli import BadInput
from engine.net.spec import NetworkSpec, SpecFormatError, load_spec


def resolve(name: str) -> NetworkSpec:
    """A preset name or a spec path (engine.net.presets.resolve_net where it exists)."""
    try:
        from engine.net.presets import resolve_net
    except ImportError:
        resolve_net = None
    try:
        if resolve_net is not None:
            return resolve_net(name)
        if Path(name).suffix.lower() == ".json" or Path(name).exists():
            return load_spec(name)
    except (SpecFormatError, ValueError, KeyError, OSError) as exc:
        raise BadInput(str(exc).strip("'\"")) from None
    raise BadInput(f"{name}: no such preset or spec file")


def load_network(name: str) -> NetworkSpec:
    """resolve() and check: every problem of the spec, each naming its layer, on one line."""
    from engine.net.analysis import analyze
    spec = resolve(name)
    analysis = analyze(spec)
    if not analysis.ok:
        raise BadInput(f"{name}: " + "; ".join(str(p) for p in analysis.problems))
    return spec
