"""The engine's pure spec edits, without Qt: each returns a new spec, leaves its argument as it
was, refuses nonsense with a message, and keeps cards from overlapping."""
from __future__ import annotations

import pytest

from engine.net import INPUT_ID, EditRefused, InputSpec, NetworkSpec, analyze, auto_layout, edits, load_preset


def _empty() -> NetworkSpec:
    return NetworkSpec(name="t", input=InputSpec(shape=[1, 28, 28]), layout={INPUT_ID: (0.0, 0.0)})


def _chain(*types: str) -> tuple[NetworkSpec, list[str]]:
    spec, prev, ids = _empty(), INPUT_ID, []
    for i, t in enumerate(types):
        new = edits.new_layer_id(spec, t)
        spec = edits.add_layer(spec, new, t, (0.0, 130.0 * (i + 1)), [prev])
        ids.append(new)
        prev = new
    return spec, ids


def _no_overlaps(spec: NetworkSpec) -> bool:
    return all(not edits.overlapping(spec, node) for node in spec.layout)


def test_edits_return_a_new_spec_and_leave_the_old_one_alone():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    before = spec.model_dump()
    for after in (edits.set_param(spec, conv, "out_channels", 8), edits.rename(spec, relu, "act"),
                  edits.remove(spec, [relu]), edits.move(spec, {conv: (5, 5)}),
                  edits.set_network(spec, name="other"), edits.connect(spec, INPUT_ID, relu)):
        assert after is not spec and after != spec
    assert spec.model_dump() == before
    moved = edits.move(spec, {conv: (5, 5)})
    assert edits.tidy(moved).layout == spec.layout and moved.layout[conv] == (5, 5)


def test_new_layers_get_readable_ids_and_start_valid():
    spec, (conv, relu, fc) = _chain("Conv2d", "ReLU", "Linear")
    assert (conv, relu, fc) == ("conv1", "relu1", "fc1")
    assert edits.new_layer_id(spec, "Conv2d") == "conv2"
    assert spec.layer(conv).params == {"out_channels": 16, "kernel_size": 3}
    assert spec.output == fc  # the output follows the end of the chain


def test_remove_bridges_a_one_input_layer_and_moves_the_output_back():
    spec, (conv, relu, pool) = _chain("Conv2d", "ReLU", "MaxPool2d")
    after = edits.remove(spec, [relu])
    assert after.layer(pool).inputs == [conv] and relu not in after.layout
    assert edits.remove(after, [pool]).output == conv
    assert edits.remove(spec, [INPUT_ID]) == spec  # the input node stays


def test_connect_refuses_self_loops_and_cycles_with_a_reason():
    spec, (a, b) = _chain("Conv2d", "ReLU")
    with pytest.raises(EditRefused, match="itself"):
        edits.connect(spec, a, a)
    with pytest.raises(EditRefused, match="cycle"):
        edits.connect(spec, b, a)
    with pytest.raises(EditRefused, match="no layer 'ghost'"):
        edits.connect(spec, a, "ghost")


def test_connect_replaces_a_one_input_wire_and_adds_to_add():
    spec, (a, b, c) = _chain("Conv2d", "ReLU", "ReLU")
    assert edits.connect(spec, a, c).layer(c).inputs == [a]
    spec = edits.add_layer(spec, "sum", "Add", (400.0, 600.0), [b])
    assert edits.connect(spec, c, "sum").layer("sum").inputs == [b, c]


def test_rename_updates_wires_output_and_layout_and_refuses_taken_or_bad_ids():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    after = edits.rename(spec, relu, "act")
    assert after.output == "act" and "act" in after.layout and relu not in after.layout
    after = edits.rename(spec, conv, "c")
    assert after.layer(relu).inputs == ["c"]
    with pytest.raises(EditRefused, match="already used"):
        edits.rename(spec, conv, relu)
    with pytest.raises(EditRefused, match="letter"):
        edits.rename(spec, conv, "1bad")


def test_set_param_none_removes_the_parameter():
    spec, (conv,) = _chain("Conv2d")
    assert "kernel_size" not in edits.set_param(spec, conv, "kernel_size", None).layer(conv).params
    with pytest.raises(EditRefused):
        edits.set_param(spec, "ghost", "p", 1)


def test_set_network_and_output():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    assert edits.set_output(spec, conv).output == conv
    assert edits.set_network(spec, num_classes=None).num_classes is None
    assert edits.set_network(spec, input_shape=[3, 32, 32]).input.shape == [3, 32, 32]
    with pytest.raises(EditRefused, match="ghost"):
        edits.set_output(spec, "ghost")


def test_insert_on_a_wire_rewires_and_keeps_cards_apart():
    spec = load_preset("lenet")
    spec.layout = auto_layout(spec)
    first = spec.layers[0]
    dst = next(layer for layer in spec.layers if first.id in layer.inputs)
    # Dropped right on the wire's middle, half over both neighbours.
    (sx, sy), (dx, dy) = spec.layout[first.id], spec.layout[dst.id]
    after = edits.insert_layer(spec, "bn1", "BatchNorm2d", (first.id, dst.id, 0), (sx + 15, (sy + dy) / 2))
    assert after.layer("bn1").inputs == [first.id] and after.layer(dst.id).inputs == ["bn1"]
    assert _no_overlaps(after)
    # The new card sits between its neighbours, in their column.
    assert after.layout[first.id][1] < after.layout["bn1"][1] < after.layout[dst.id][1]
    assert after.layout["bn1"][0] == after.layout[dst.id][0]
    assert analyze(after).ok
    # Only the column it went into makes room: the other columns of the wrapped layout stay put.
    others = [k for k, (x, _) in spec.layout.items() if abs(x - dx) > 300]
    assert others and all(after.layout[k] == spec.layout[k] for k in others)


def test_insert_on_a_wire_that_is_gone_is_refused():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    with pytest.raises(EditRefused, match="no wire"):
        edits.insert_layer(spec, "x", "ReLU", (INPUT_ID, relu, 0), (0.0, 0.0))


def test_adding_on_top_of_a_card_makes_room():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    after = edits.add_layer(spec, "drop1", "Dropout", spec.layout[conv], [])
    assert _no_overlaps(after)


def test_paste_gives_fresh_ids_and_keeps_inner_wires():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    layers = [spec.layer(conv), spec.layer(relu)]
    after, ids = edits.paste(spec, layers, spec.layout, (300.0, 0.0))
    assert ids == ["conv2", "relu2"]
    assert after.layer("relu2").inputs == ["conv2"] and after.layer("conv2").inputs == [INPUT_ID]


def test_make_room_is_a_no_op_when_nothing_overlaps():
    spec, (conv, relu) = _chain("Conv2d", "ReLU")
    assert edits.make_room(spec, relu) == spec
