"""analyze(): shapes, costs and every kind of error, all at once, each naming its layer."""
from __future__ import annotations

import time

import pytest

from engine.net.analysis import analyze
from engine.net.layers import GROUPS, LAYER_TYPES, check_value
from engine.net.spec import spec_from_dict


def net(layers, shape=(1, 28, 28), **extra):
    return spec_from_dict({"input": {"shape": list(shape)}, "layers": layers, **extra})


def L(lid, type_, inputs, **params):  # noqa: N802 - reads like a layer in the tests
    return {"id": lid, "type": type_, "params": params, "inputs": inputs if isinstance(inputs, list) else [inputs]}


def errors(spec):
    return [(p.layer_id, p.field, p.message) for p in analyze(spec).problems]


def test_catalogue_has_every_issue_type_with_group_doc_and_schema():
    expected = {"Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ReLU", "LeakyReLU",
                "GELU", "Sigmoid", "Tanh", "BatchNorm2d", "Dropout", "Flatten", "Linear", "Softmax", "Add", "Concat",
                "BinConv2d", "BinLinear"}
    assert set(LAYER_TYPES) == expected
    for t in LAYER_TYPES.values():
        assert t.group in GROUPS and t.doc and "\n" not in t.doc
        for p in t.params:
            assert p.type in {"int", "int_or_pair", "float", "bool", "choice"}
            assert check_value(p, p.default) is None, (t.name, p.name)
    conv = LAYER_TYPES["Conv2d"]
    assert [p.name for p in conv.params] == ["out_channels", "kernel_size", "stride", "padding", "dilation",
                                             "groups", "bias", "algo"]
    assert conv.param("out_channels").required and conv.param("padding").min == 0


def test_lenet_shapes_params_flops_and_activation_bytes():
    spec = net([L("c1", "Conv2d", "input", out_channels=6, kernel_size=5, padding=2), L("r1", "ReLU", "c1"),
                L("p1", "MaxPool2d", "r1", kernel_size=2), L("f", "Flatten", "p1"),
                L("fc", "Linear", "f", out_features=10)], num_classes=10)
    a = analyze(spec)
    assert a.ok, a.problems
    c1 = a.layers["c1"]
    assert c1.output_shape == (6, 28, 28) and c1.params == 6 * 25 + 6
    assert c1.flops == 2 * 6 * 28 * 28 * 25 and c1.activation_bytes == 4 * 6 * 28 * 28
    assert a.layers["p1"].output_shape == (6, 14, 14)
    assert a.layers["f"].output_shape == (1176,)
    assert a.layers["fc"].params == 1176 * 10 + 10 and a.layers["fc"].flops == 2 * 1176 * 10
    assert a.output_shape == (10,) and a.output_id == "fc"
    assert a.total_params == sum(i.params for i in a.layers.values())
    assert a.total_flops == sum(i.flops for i in a.layers.values())
    assert a.train_flops == 3 * a.total_flops
    assert a.activation_bytes == sum(i.activation_bytes for i in a.layers.values())
    assert list(a.layers) == ["c1", "r1", "p1", "f", "fc"]


def test_conv_variants_depthwise_dilation_stride_pairs():
    a = analyze(net([L("dw", "Conv2d", "input", out_channels=8, kernel_size=3, groups=8, padding=1, bias=False),
                     L("d", "Conv2d", "dw", out_channels=4, kernel_size=[3, 1], dilation=2, stride=[2, 1])],
                    shape=(8, 16, 16)))
    assert a.ok, a.problems
    assert a.layers["dw"].params == 8 * 9 and a.layers["dw"].output_shape == (8, 16, 16)
    assert a.layers["d"].output_shape == (4, 6, 16)  # (16 - 2*2 - 1)//2 + 1 = 6


def test_pooling_ceil_mode_and_adaptive():
    a = analyze(net([L("p", "MaxPool2d", "input", kernel_size=2, ceil_mode=True),
                     L("a", "AvgPool2d", "p", kernel_size=3, stride=1, padding=1),
                     L("g", "AdaptiveAvgPool2d", "a", output_size=[2, 3])], shape=(3, 7, 7)))
    assert a.ok, a.problems
    assert a.layers["p"].output_shape == (3, 4, 4)
    assert a.layers["a"].output_shape == (3, 4, 4)
    assert a.layers["g"].output_shape == (3, 2, 3)


def test_residual_add_and_concat():
    a = analyze(net([L("c", "Conv2d", "input", out_channels=4, kernel_size=3, padding=1),
                     L("s", "Add", ["c", "input"]), L("k", "Concat", ["s", "c", "input"])], shape=(4, 8, 8)))
    assert a.ok, a.problems
    assert a.layers["s"].output_shape == (4, 8, 8)
    assert a.layers["k"].output_shape == (12, 8, 8)


def test_output_defaults_to_last_layer_and_explicit_output_and_dangling_warning():
    layers = [L("a", "ReLU", "input"), L("b", "Sigmoid", "a"), L("c", "Tanh", "a")]
    a = analyze(net(layers))
    assert a.output_id == "c" and a.ok
    assert [w.layer_id for w in a.warnings] == ["b"] and not a.layers["b"].feeds_output
    a = analyze(net(layers, output="b"))
    assert a.output_id == "b" and [w.layer_id for w in a.warnings] == ["c"]


@pytest.mark.parametrize("layer, field, words", [
    (L("x", "Conv3d", "input"), "type", "unknown layer type 'Conv3d'"),
    (L("x", "Conv2d", "input", out_channels=4, kernal_size=3), "kernal_size", "unknown parameter 'kernal_size'"),
    (L("x", "Conv2d", "input", out_channels=4, kernel_size=0), "kernel_size", "at least 1"),
    (L("x", "Conv2d", "input", out_channels=4, padding=-1), "padding", "at least 0"),
    (L("x", "Conv2d", "input", out_channels=4, groups=3), "groups", "does not divide"),
    (L("x", "Conv2d", "input", kernel_size=3), "out_channels", "required"),
    (L("x", "Conv2d", "input", out_channels=4.5), "out_channels", "integer"),
    (L("x", "Conv2d", "input", out_channels=True), "out_channels", "integer"),
    (L("x", "Conv2d", "input", out_channels=4, bias="yes"), "bias", "true or false"),
    (L("x", "Conv2d", "input", out_channels=4, kernel_size=29), "kernel_size", "smaller than 1x1"),
    (L("x", "MaxPool2d", "input", kernel_size=64), "kernel_size", "smaller than 1x1"),
    (L("x", "MaxPool2d", "input", kernel_size=2, padding=2), "padding", "more than half"),
    (L("x", "Dropout", "input", p=1.5), "p", "at most 1"),
    (L("x", "GELU", "input", approximate="fast"), "approximate", "one of"),
    (L("x", "Linear", "input", out_features=10), "inputs", "insert a Flatten"),
    (L("x", "BatchNorm2d", ["input", "input"]), "inputs", "takes 1 input, got 2"),
    (L("x", "Add", ["input"]), "inputs", "at least 2 inputs"),
    (L("x", "ReLU", []), "inputs", "has no inputs"),
    (L("x", "ReLU", "nowhere"), "inputs", "input 'nowhere' does not exist"),
])
def test_each_bad_layer_is_named_with_field_and_problem(layer, field, words):
    probs = errors(net([layer]))
    assert any(lid == "x" and f == field and words in msg for lid, f, msg in probs), probs


def test_add_and_concat_shape_mismatch():
    spec = net([L("c", "Conv2d", "input", out_channels=6, kernel_size=5), L("a", "Add", ["c", "input"]),
                L("k", "Concat", ["c", "input"])])
    probs = errors(spec)
    assert any(lid == "a" and "[6, 24, 24] and [1, 28, 28]" in m for lid, _, m in probs), probs
    assert any(lid == "k" and "height and width must match" in m for lid, _, m in probs), probs


def test_ids_duplicate_invalid_reserved():
    probs = errors(net([L("a", "ReLU", "input"), L("a", "ReLU", "input"), L("9x", "ReLU", "input"),
                        L("input", "ReLU", "input"), L("x" * 65, "ReLU", "input")]))
    msgs = {(lid, m.split(" ")[0]) for lid, _, m in probs}
    assert ("a", "duplicate") in msgs and ("9x", "invalid") in msgs and ("input", "the") in msgs
    assert ("x" * 65, "invalid") in msgs


def test_cycle_is_named_and_downstream_is_quiet():
    probs = errors(net([L("a", "ReLU", ["c"]), L("b", "ReLU", "a"), L("c", "ReLU", "b"), L("d", "ReLU", "c")]))
    cyc = [m for _, _, m in probs if "cycle" in m]
    assert len(cyc) == 1 and all(n in cyc[0] for n in "abc"), probs
    assert any("not connected to the input" in m for _, _, m in probs)
    assert not any(lid == "d" and "cycle" in m for lid, _, m in probs)


def test_self_loop_and_bad_output():
    assert any("cycle: a -> a" in m for _, _, m in errors(net([L("a", "Add", ["a", "input"])])))
    probs = errors(net([L("a", "ReLU", "input")], output="zz"))
    assert probs == [(None, "output", "output 'zz' is not a layer of this network")]
    assert errors(spec_from_dict({"input": {"shape": [3]}, "layers": []})) == [(None, None,
                                                                                "the network has no layers")]


def test_all_errors_at_once_and_no_cascade():
    spec = net([L("c1", "Conv2d", "input", out_channels=4, kernel_size=0), L("r", "ReLU", "c1"),
                L("fc", "Linear", "r", out_features=10), L("bad", "Nope", "input"),
                L("p", "MaxPool2d", "input", kernel_size=2, padding=-3)])
    lids = [lid for lid, _, _ in errors(spec)]
    assert {"c1", "bad", "p"} <= set(lids)
    assert "fc" not in lids and "r" not in lids  # downstream of an error: unknown shape, not a new error


def test_num_classes_must_match_output_and_huge_net_is_refused():
    spec = net([L("f", "Flatten", "input"), L("fc", "Linear", "f", out_features=7)], num_classes=10)
    assert errors(spec) == [("fc", "num_classes", "the output has shape [7] but num_classes is 10; expected [10]")]
    huge = net([L("f", "Flatten", "input"), L("big", "Linear", "f", out_features=20_000_000)])
    assert any(lid == "big" and "more than any machine" in m for lid, _, m in errors(huge))


def test_bad_input_shape():
    probs = errors(net([L("a", "ReLU", "input")], shape=(0, 28, 28)))
    assert probs and probs[0][0] == "input" and probs[0][1] == "shape"


def test_problem_str_names_layer_and_field():
    p = analyze(net([L("c", "Conv2d", "input", out_channels=4, kernel_size=0)])).problems[0]
    assert str(p).startswith("layer 'c' (kernel_size): kernel_size must be at least 1")


def test_300_layer_spec_analyses_in_well_under_50_ms():
    layers, prev = [], "input"
    for i in range(100):
        layers += [L(f"c{i}", "Conv2d", prev, out_channels=16, kernel_size=3, padding=1),
                   L(f"b{i}", "BatchNorm2d", f"c{i}"), L(f"a{i}", "Add", [f"b{i}", prev])]
        prev = f"a{i}"
    spec = net(layers, shape=(16, 32, 32))
    analyze(spec)
    t0 = time.perf_counter()
    for _ in range(5):
        a = analyze(spec)
    assert a.ok and len(a.layers) == 300
    assert (time.perf_counter() - t0) / 5 < 0.05


def test_catalogue_analysis_presets_and_code_export_never_load_torch():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, engine.net.layers, engine.net.shapes, engine.net.analysis, engine.net.presets, engine.net.pynames, "
            "engine.net.export_code, engine.cli.validate; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_absurd_numbers_are_errors_not_crashes():
    huge = 10**400  # JSON allows integers of any size
    assert errors(net([L("a", "ReLU", "input")], shape=(huge,)))[0][:2] == ("input", "shape")
    probs = errors(net([L("f", "Flatten", "input"), L("a", "Linear", "f", out_features=huge)]))
    assert probs == [("a", "out_features", "out_features is too large (at most 2147483647)")]
    assert any("cannot" in m or "could" in m for _, _, m in errors(net(
        [L("a", "Conv2d", "input", out_channels=2**31 - 1)], shape=(2**31 - 1, 2**31 - 1, 2**31 - 1))))
    assert errors(net([L("a", "LeakyReLU", "input", negative_slope=float("inf"))]))[0][1] == "negative_slope"
