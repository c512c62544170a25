"""The editor's document and its undo commands, without a view."""
from __future__ import annotations

from engine.net import NODE_H, NODE_W, auto_layout, needs_layout
from engine.net.spec import INPUT_ID, NetworkSpec
from gui.editor.document import Document


def _chain(doc: Document, *types: str) -> list[str]:
    ids, prev = [], INPUT_ID
    for i, t in enumerate(types):
        new = doc.add_layer(t, (0, 130 * (i + 1)))
        assert doc.connect(prev, new)
        ids.append(new)
        prev = new
    return ids


def test_every_edit_undoes_to_the_exact_earlier_spec(doc):
    snapshots: list[NetworkSpec] = [doc.spec]
    conv, relu, pool = _chain(doc, "Conv2d", "ReLU", "MaxPool2d")
    snapshots.append(doc.spec)
    assert doc.set_param(conv, "out_channels", 8)
    snapshots.append(doc.spec)
    assert doc.move({conv: (50.0, 60.0)})
    snapshots.append(doc.spec)
    assert doc.rename(relu, "act") is None
    snapshots.append(doc.spec)
    assert doc.remove(["act"])
    snapshots.append(doc.spec)
    assert doc.current.layer(pool).inputs == [conv]  # the deleted ReLU was bridged
    final = doc.spec
    # Undo back to the start, checking each earlier spec, then redo to the end.
    stack = doc.undo_stack
    seen = [doc.spec]
    while stack.canUndo():
        stack.undo()
        seen.append(doc.spec)
    for snap in reversed(snapshots[:-1]):
        assert snap in seen
    assert doc.spec == snapshots[0]
    while stack.canRedo():
        stack.redo()
    assert doc.spec == final
    assert doc.spec.model_dump() == final.model_dump()


def test_output_follows_the_end_of_the_chain(doc):
    conv, relu = _chain(doc, "Conv2d", "ReLU")
    assert doc.current.output == relu
    doc.remove([relu])
    assert doc.current.output == conv


def test_connect_refuses_cycles_and_self_loops(doc):
    a, b = _chain(doc, "Conv2d", "ReLU")
    messages = []
    doc.message.connect(messages.append)
    assert not doc.connect(b, a)
    assert not doc.connect(a, a)
    assert any("cycle" in m for m in messages)


def test_one_input_layer_replaces_its_wire_add_appends(doc):
    a, b = _chain(doc, "Conv2d", "ReLU")
    c = doc.add_layer("Conv2d", (300, 100))
    doc.connect(INPUT_ID, c)
    doc.connect(c, b)
    assert doc.current.layer(b).inputs == [c]
    add = doc.add_layer("Add", (0, 500))
    doc.connect(a, add)
    doc.connect(c, add)
    assert doc.current.layer(add).inputs == [a, c]


def test_insert_on_wire(doc):
    conv, pool = _chain(doc, "Conv2d", "MaxPool2d")
    relu = doc.insert_layer("ReLU", conv, pool, 0, (0, 200))
    assert doc.current.layer(relu).inputs == [conv]
    assert doc.current.layer(pool).inputs == [relu]
    doc.undo_stack.undo()
    assert doc.current.layer(pool).inputs == [conv]
    assert doc.current.layer(relu) is None


def test_rename_refuses_bad_or_taken_ids(doc):
    conv, relu = _chain(doc, "Conv2d", "ReLU")
    assert "already used" in doc.rename(conv, relu)
    assert doc.rename(conv, "9lives") is not None
    assert doc.rename(conv, INPUT_ID) is not None
    assert doc.rename(conv, "stem") is None
    assert doc.current.layer(relu).inputs == ["stem"]


def test_moves_of_the_same_nodes_merge_into_one_undo_step(doc):
    (conv,) = _chain(doc, "Conv2d")
    before = doc.spec
    for x in range(5):
        doc.move({conv: (float(x), 0.0)})
    doc.undo_stack.undo()
    assert doc.spec == before


def test_read_only_refuses_edits(doc):
    doc.set_read_only(True)
    assert doc.add_layer("Conv2d", (0, 0)) is None
    assert not doc.undo_stack.canUndo()


def test_dirty_tracks_the_undo_stack(doc):
    assert not doc.dirty
    (conv,) = _chain(doc, "Conv2d")
    assert doc.dirty
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert not doc.dirty


def test_paste_gives_fresh_ids_and_keeps_inner_wires(doc):
    conv, relu = _chain(doc, "Conv2d", "ReLU")
    spec = doc.current
    new = doc.paste([spec.layer(conv), spec.layer(relu)], dict(spec.layout), (30.0, 30.0))
    assert len(new) == 2 and not set(new) & {conv, relu}
    assert doc.current.layer(new[1]).inputs == [new[0]]
    assert doc.current.layer(new[0]).inputs == [INPUT_ID]  # wire from outside kept: its source exists


def test_auto_layout_places_every_node_without_overlap():
    from engine.net.spec import InputSpec, LayerSpec
    layers, prev = [], INPUT_ID
    for i in range(300):
        t = "Add" if i % 10 == 9 else "Conv2d"
        inputs = [prev, layers[-3].id] if t == "Add" else [prev]
        layers.append(LayerSpec(id=f"l{i}", type=t, inputs=inputs))
        prev = f"l{i}"
    spec = NetworkSpec(input=InputSpec(shape=[3, 32, 32]), layers=layers)
    assert needs_layout(spec)
    layout = auto_layout(spec)
    assert set(layout) == {INPUT_ID} | {f"l{i}" for i in range(300)}
    boxes = sorted(layout.values())
    seen = set()
    for x, y in boxes:
        cell = (round(x / NODE_W), round(y / NODE_H))
        assert cell not in seen
        seen.add(cell)
    xs = [x for x, _ in boxes]
    ys = [y for _, y in boxes]
    assert (max(xs) - min(xs)) > (max(ys) - min(ys)) * 0.8  # wrapped into columns, about screen-shaped
