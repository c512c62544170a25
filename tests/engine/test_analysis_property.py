"""Property: for random valid specs (DAGs of every layer type), analyze()'s shapes, parameter counts
and Conv2d/Linear FLOPs equal those of the built torch model (FLOPs via FlopCounterMode, within 1%)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.net.analysis import analyze
from engine.net.spec import spec_from_dict
from tests.engine.test_build import compare_with_torch

SMALL = st.integers(1, 3)


def _image_layer(draw, kind: str, in_channels: int) -> dict:
    if kind == "Conv2d":
        groups = draw(st.sampled_from([1, 1, in_channels]))  # plain or depthwise(-multiplier)
        return {"out_channels": groups * draw(st.integers(1, 3)), "kernel_size": draw(st.one_of(SMALL, st.lists(SMALL, min_size=2, max_size=2))),
                "stride": draw(st.sampled_from([1, 1, 2, [1, 2]])), "padding": draw(st.sampled_from([0, 1, [1, 0]])),
                "dilation": draw(st.sampled_from([1, 1, 2])), "groups": groups,
                "bias": draw(st.booleans())}
    if kind in ("MaxPool2d", "AvgPool2d"):
        params = {"kernel_size": draw(st.sampled_from([1, 2, 3, [2, 1]])), "stride": draw(st.sampled_from([None, 1, 2])),
                  "padding": draw(st.sampled_from([0, 1])), "ceil_mode": draw(st.booleans())}
        if kind == "MaxPool2d":
            params["dilation"] = draw(st.sampled_from([1, 2]))
        else:
            params["count_include_pad"] = draw(st.booleans())
        return params
    if kind.startswith("Adaptive"):
        return {"output_size": draw(st.sampled_from([1, 2, [1, 3]]))}
    if kind == "BatchNorm2d":
        return {"affine": draw(st.booleans())}
    return {}


IMAGE_KINDS = ["Conv2d"] * 6 + ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm2d"]
ANY_KINDS = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Dropout", "Softmax", "Flatten"]


@st.composite
def valid_specs(draw):
    image = draw(st.sampled_from([True, True, True, False]))
    shape = [draw(st.integers(1, 4)), draw(st.integers(2, 10)), draw(st.integers(2, 10))] if image \
        else [draw(st.integers(1, 12))]
    layers: list[dict] = []
    for i in range(draw(st.integers(1, 10))):
        a = analyze(spec_from_dict({"input": {"shape": shape}, "layers": layers})) if layers else None
        shapes = {"input": tuple(shape), **{lid: info.output_shape for lid, info in (a.layers.items() if a else [])}}
        src = draw(st.sampled_from(sorted(shapes)[-3:] if draw(st.booleans()) else [layers[-1]["id"]] if layers
                                   else ["input"]))
        rank3 = len(shapes[src]) == 3
        kind = draw(st.sampled_from((IMAGE_KINDS if rank3 else ["Linear", "Linear"]) + ANY_KINDS + ["Add", "Concat"]))
        if kind in ("Add", "Concat"):
            same = [k for k, s in shapes.items() if (s == shapes[src] if kind == "Add" else
                                                     len(s) == len(shapes[src]) and s[1:] == shapes[src][1:])]
            inputs = [src, draw(st.sampled_from(sorted(same)))]
            params = {}
        else:
            inputs = [src]
            params = {"out_features": draw(st.integers(1, 8)), "bias": draw(st.booleans())} if kind == "Linear" \
                else _image_layer(draw, kind, shapes[src][0])
        candidate = [*layers, {"id": f"l{i}", "type": kind, "params": params, "inputs": inputs}]
        if analyze(spec_from_dict({"input": {"shape": shape}, "layers": candidate})).ok:
            layers = candidate  # drop a layer whose random parameters do not fit (e.g. kernel > input)
    if not layers:
        layers = [{"id": "l0", "type": "Flatten", "inputs": ["input"]}]
    return spec_from_dict({"input": {"shape": shape}, "layers": layers})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs())
def test_random_valid_specs_agree_with_torch(spec):
    compare_with_torch(spec, batch=2)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 40) | st.integers() | st.floats() |
                           st.sampled_from(["none", "tanh", "", "x"]),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=2), max_leaves=4)
IDS = st.sampled_from(["a", "b", "c", "input", "9x", "", "a b", "class"])
ANY_LAYER = st.fixed_dictionaries({
    "id": IDS, "type": st.sampled_from([*IMAGE_KINDS, *ANY_KINDS, "Linear", "Add", "Concat", "Nope"]),
    "params": st.dictionaries(st.sampled_from(["out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                                               "bias", "out_features", "p", "output_size", "ceil_mode", "affine",
                                               "approximate", "eps", "bogus"]), JSON_VALUES, max_size=4),
    "inputs": st.lists(IDS, max_size=3)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-1, 9) | st.integers(), min_size=1, max_size=3), st.lists(ANY_LAYER, max_size=6),
       st.one_of(st.none(), IDS), st.one_of(st.none(), st.integers(-1, 12)))
def test_analyze_never_raises_and_every_problem_is_explained(shape, layers, output, num_classes):
    spec = spec_from_dict({"input": {"shape": shape}, "layers": layers, "output": output, "num_classes": num_classes})
    a = analyze(spec)
    for p in a.problems:
        assert p.message and str(p)
    if a.ok:  # whatever analyze accepts, torch builds, with the same shapes
        assert a.output_shape is not None and all(d >= 1 for d in a.output_shape)
        compare_with_torch(spec)
