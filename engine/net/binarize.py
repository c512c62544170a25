"""Binarizing a float network, the run option `binarize`: a pure spec edit. Torch-free.

    binarized(spec) -> (NetworkSpec, [layer ids binarized])

Every Conv2d becomes a BinConv2d and every Linear a BinLinear (engine/net/binary.py: XNOR-Net), except
the first weight layer (the one reading the image) and the last (the one giving the class scores):
XNOR-Net keeps those two in full precision, since binarizing them costs the most accuracy for the
least arithmetic. Parameters carry over (a Conv2d's own `algo` is dropped: a binarized layer has its
one way of computing), and so do the state dict keys, so trained float weights load into the result.
Layer ids and the network's name stay, so its runs compare with the float net's as one lever.
"""
from __future__ import annotations

from engine.net.analysis import analyze
from engine.net.layers import BINARY_TYPES
from engine.net.spec import NetworkSpec

TWIN = {"Conv2d": "BinConv2d", "Linear": "BinLinear"}


def binarized(spec: NetworkSpec) -> tuple[NetworkSpec, list[str]]:
    """The spec with its inner Conv2d and Linear layers binarized, and their ids. A spec whose weight
    layers are binarized already comes back unchanged (with those ids)."""
    analysis = analyze(spec)
    order = [lid for lid, info in analysis.layers.items() if info.feeds_output]
    weighted = [lid for lid in order if spec.layer(lid).type in (*TWIN, *BINARY_TYPES)]
    inner = set(weighted[1:-1])
    layers, ids = [], []
    for layer in spec.layers:
        if layer.id in inner and layer.type in TWIN:
            params = {k: v for k, v in layer.params.items() if k != "algo"}
            layer = layer.model_copy(update={"type": TWIN[layer.type], "params": params})
        if layer.type in BINARY_TYPES:
            ids.append(layer.id)
        layers.append(layer)
    return spec.model_copy(update={"layers": layers}), ids
