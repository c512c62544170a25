"""NET on the command line -> a validated NetworkSpec, or BadInput naming the file or the layer.
Shared by the commands that take a network. Torch-free."""
from __future__ import annotations

from engine.errors import BadInput
from engine.net.presets import resolve_net
from engine.net.spec import NetworkSpec

PROBLEMS_SHOWN = 10


def resolve(name: str) -> NetworkSpec:
    """A preset name or a spec path; SpecFormatError (a BadInput) names the file and the problem."""
    return resolve_net(name)


def problems_line(problems: list, shown: int = PROBLEMS_SHOWN) -> str:
    """The first few problems on one line, the rest counted (a 10,000-layer spec can have 10,000)."""
    line = "; ".join(str(p) for p in problems[:shown])
    return line + (f"; and {len(problems) - shown:,} more problems" if len(problems) > shown else "")


def load_network(name: str) -> NetworkSpec:
    """resolve() and check: every problem of the spec, each naming its layer, on one line."""
    from engine.net.analysis import analyze
    spec = resolve(name)
    analysis = analyze(spec)
    if not analysis.ok:
        raise BadInput(f"{name}: {problems_line(analysis.problems)}")
    return spec
