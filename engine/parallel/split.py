"""Where a network can be cut into pipeline stages, and the cut that balances them. Torch-free.

    plan = plan_stages(spec, n_stages, pinned=None)   -> StagePlan per stage, in order
    pinned_cuts(config.pipeline_split) -> [layer id, ...] | None
    valid_cuts(spec) -> [layer id, ...]               the layers a stage may start with

A stage is a run of consecutive layers (in the order the shape inference walks them, the live
layers only). A cut before layer L is valid when exactly one tensor crosses it: the output of the
layer just before L, and nothing from further back (a residual connection around the cut would make
two cross). Residual nets are therefore cut between their blocks. Among the valid cuts, the one
that makes the largest stage's forward FLOPs (from engine.net's shape inference) smallest is chosen,
unless the user pins the cuts (`pipeline_split`: the first layer of each stage after the first).
Each stage becomes its own small spec (`StagePlan.spec`), whose input is the tensor that crosses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from engine.errors import BadRunInput
from engine.net.analysis import Analysis, analyze
from engine.net.spec import INPUT_ID, InputSpec, LayerSpec, NetworkSpec
from engine.shown_text import one_line


@dataclass(frozen=True)
class StagePlan:
    index: int
    layers: tuple[str, ...]  # spec layer ids, in order
    flops: int  # forward FLOPs per sample
    params: int
    spec: NetworkSpec  # the stage alone: its input is the tensor that crosses into it


def _live(analysis: Analysis) -> list[str]:
    return [lid for lid, info in analysis.layers.items() if info.feeds_output]


def _crossing(spec: NetworkSpec, order: list[str], k: int) -> list[str]:
    """The tensors made before position k (or the input) that a layer from k on reads."""
    before = {INPUT_ID, *order[:k]}
    out: list[str] = []
    for lid in order[k:]:
        for src in spec.layer(lid).inputs:  # type: ignore[union-attr]
            if src in before and src not in out:
                out.append(src)
    return out


def _cut_ok(spec: NetworkSpec, order: list[str], k: int, output_id: str | None) -> bool:
    if not 0 < k < len(order):
        return False
    tail = order[k:]
    if len(tail) == 1 and tail[0] == output_id and spec.layer(tail[0]).type == "Softmax":  # type: ignore[union-attr]
        return False  # training drops a final Softmax: that stage would be empty
    return _crossing(spec, order, k) == [order[k - 1]]


def pinned_cuts(text: str | None) -> list[str] | None:
    """The user's cut ('conv5' or 'conv3,conv6': config.pipeline_split) as layer ids; None: balanced."""
    ids = [t.strip() for t in (text or "").split(",") if t.strip()]
    return ids or None


def valid_cuts(spec: NetworkSpec) -> list[str]:
    """The layers a later stage may start with, in order."""
    analysis = analyze(spec)
    order = _live(analysis)
    return [order[k] for k in range(1, len(order)) if _cut_ok(spec, order, k, analysis.output_id)]


def _stage_spec(spec: NetworkSpec, analysis: Analysis, layers: list[str], feeder: str, index: int,
                last: bool) -> NetworkSpec:
    """feeder: the layer whose output crosses into this stage (INPUT_ID for the first)."""
    shape = list(spec.input.shape) if feeder == INPUT_ID else list(analysis.layers[feeder].output_shape or ())
    stage_layers = []
    for lid in layers:
        layer = spec.layer(lid)
        assert layer is not None
        stage_layers.append(LayerSpec(id=layer.id, type=layer.type, params=dict(layer.params),
                                      inputs=[INPUT_ID if s == feeder else s for s in layer.inputs]))
    return NetworkSpec(name=f"{spec.name} stage {index + 1}", input=InputSpec(shape=shape),
                       num_classes=spec.num_classes if last else None, layers=stage_layers, output=layers[-1])


def _balanced(flops: list[int], cuts: list[int], n_stages: int) -> list[int]:
    """The n_stages - 1 cut positions (from `cuts`) that minimise the largest stage's FLOPs."""
    prefix = [0]
    for f in flops:
        prefix.append(prefix[-1] + f)

    @cache
    def best(start: int, left: int) -> tuple[int, tuple[int, ...]]:
        """(largest stage, cuts) for the layers from `start` in `left` stages."""
        if left == 1:
            return prefix[-1] - prefix[start], ()
        found: tuple[int, tuple[int, ...]] | None = None
        for c in cuts:
            if c <= start:
                continue
            rest, more = best(c, left - 1)
            if rest < 0:
                continue
            worst = max(prefix[c] - prefix[start], rest)
            if found is None or worst < found[0]:
                found = (worst, (c, *more))
        return found if found is not None else (-1, ())

    worst, chosen = best(0, n_stages)
    assert worst >= 0
    return list(chosen)


def plan_stages(spec: NetworkSpec, n_stages: int, pinned: list[str] | None = None) -> list[StagePlan]:
    """The stages of a pipeline over n_stages processes; BadRunInput naming the layer or the count
    when the net cannot be cut so (the spec has passed analysis)."""
    analysis = analyze(spec)
    order = _live(analysis)
    name = one_line(spec.name, 60)
    cut_at = [k for k in range(1, len(order)) if _cut_ok(spec, order, k, analysis.output_id)]
    valid_text = ", ".join(order[k] for k in cut_at[:12]) + (" ..." if len(cut_at) > 12 else "")
    if pinned:
        if len(pinned) != n_stages - 1:
            raise BadRunInput(f"--pipeline-split {','.join(pinned)}: {n_stages} stages need {n_stages - 1} cut(s) "
                              f"(the first layer of each stage after the first), not {len(pinned)}")
        positions = []
        for lid in pinned:
            if lid not in order:
                raise BadRunInput(f"--pipeline-split {one_line(lid, 60)}: network {name!r} has no layer "
                                  f"{one_line(lid, 60)!r} that feeds its output")
            k = order.index(lid)
            if k not in cut_at:
                crossing = _crossing(spec, order, k) if k else []
                why = (f"{len(crossing)} tensors would cross into that stage ({', '.join(crossing)})"
                       if len(crossing) > 1 else "a stage needs a layer before it")
                raise BadRunInput(f"--pipeline-split {lid}: not a valid cut: {why}; cut where exactly one tensor "
                                  f"crosses (valid: {valid_text or 'none'})")
            positions.append(k)
        if positions != sorted(set(positions)):
            raise BadRunInput(f"--pipeline-split {','.join(pinned)}: give the cuts in the network's order, each once")
    else:
        if len(cut_at) < n_stages - 1:
            raise BadRunInput(f"pipeline over {n_stages} stages: network {name!r} has only {len(cut_at)} place(s) "
                              f"where exactly one tensor crosses ({valid_text or 'none'}); use at most "
                              f"{len(cut_at) + 1} stages")
        flops = [analysis.layers[lid].flops for lid in order]
        positions = _balanced(flops, cut_at, n_stages)
    bounds = [0, *positions, len(order)]
    stages = []
    for i in range(n_stages):
        layers = order[bounds[i]:bounds[i + 1]]
        stages.append(StagePlan(
            index=i, layers=tuple(layers), flops=sum(analysis.layers[lid].flops for lid in layers),
            params=sum(analysis.layers[lid].params for lid in layers),
            spec=_stage_spec(spec, analysis, layers, order[bounds[i] - 1] if i else INPUT_ID, i,
                             last=i == n_stages - 1)))
    return stages
