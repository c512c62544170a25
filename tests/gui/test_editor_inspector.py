"""Live shapes and costs, typed editors that refuse bad values, problem badges, presets, palette."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFormLayout

from engine.net import preset_names
from engine.net.spec import INPUT_ID
from gui.editor import catalogue
from gui.editor.field_editor import FieldEditor


def _select(editor, layer_id):
    editor.scene.select_ids([layer_id])
    assert editor.inspector.pages.currentWidget() is editor.inspector.layer_page
    return editor.inspector


def _type(field: FieldEditor, text: str) -> bool:
    field.edit.setText(text)
    return field.commit()


def _shape(editor, layer_id) -> str:
    return editor.scene.nodes[layer_id].content.shape_line


def test_editing_a_parameter_updates_shapes_downstream(editor):
    doc = editor.doc
    assert _shape(editor, "conv1") == "6×28×28" and _shape(editor, "pool2") == "16×5×5"
    params_before = doc.analysis.layers["fc1"].params
    inspector = _select(editor, "conv1")
    assert _type(inspector._editors["padding"], "0")
    assert doc.current.layer("conv1").params["padding"] == 0
    assert _shape(editor, "conv1") == "6×24×24"
    assert _shape(editor, "pool1") == "6×12×12"
    assert _shape(editor, "pool2") == "16×4×4"
    assert doc.analysis.layers["fc1"].params < params_before  # Linear's input shrank: fewer weights
    assert "6×24×24" in inspector.layer_stats.text()
    assert f"{doc.analysis.total_params:,}" == editor.summary.params.value.text()


@pytest.mark.parametrize("field, text, reason", [
    ("kernel_size", "0", "at least 1"),
    ("kernel_size", "abc", "not a whole number"),
    ("kernel_size", "3, 3, 3", "one number"),
    ("padding", "-1", "at least 0"),
    ("out_channels", "2.5", "not a whole number"),
    ("out_channels", "", "required"),
])
def test_invalid_values_are_refused_with_the_reason_shown(editor, field, text, reason):
    doc = editor.doc
    before, depth = doc.spec, doc.undo_stack.count()
    inspector = _select(editor, "conv1")
    editor_field = inspector._editors[field]
    assert not _type(editor_field, text)
    assert reason in editor_field.error.text() and not editor_field.error.isHidden()
    assert editor_field.edit.property("invalid") is True
    assert doc.spec == before and doc.undo_stack.count() == depth


def test_a_pair_value_is_accepted(editor):
    inspector = _select(editor, "conv1")
    assert _type(inspector._editors["kernel_size"], "5, 3")
    assert editor.doc.current.layer("conv1").params["kernel_size"] == [5, 3]


def test_bool_parameter_uses_a_check_box(editor):
    inspector = _select(editor, "conv1")
    box = inspector._editors["bias"]
    params = editor.doc.analysis.layers["conv1"].params
    box.setChecked(False)
    assert editor.doc.current.layer("conv1").params["bias"] is False
    assert editor.doc.analysis.layers["conv1"].params == params - 6


def test_invalid_wiring_gets_a_badge_that_names_the_problem(editor):
    doc = editor.doc
    before = doc.spec
    assert editor.scene.connect_ids("pool2", "fc1")  # skip the Flatten: Linear gets a 4-D tensor
    problems = doc.analysis.problems_for("fc1")
    assert problems and "Flatten" in problems[0].message
    item = editor.scene.nodes["fc1"]
    assert item.content.problems and "Flatten" in item.toolTip()
    inspector = _select(editor, "fc1")
    assert not inspector.layer_problems.isHidden() and "Flatten" in inspector.layer_problems.text()
    assert "problem" in editor.summary.problems.text()
    doc.undo_stack.undo()
    assert doc.spec == before and doc.analysis.ok
    assert not editor.scene.nodes["fc1"].content.problems


def test_add_of_unequal_shapes_is_marked(editor):
    doc = editor.doc
    add = doc.add_layer("Add", (600, 0))
    doc.connect("conv1", add)
    doc.connect("conv2", add)
    assert editor.scene.nodes[add].content.problems
    editor.summary.problems.click()
    assert editor.scene.selected_ids()  # jumps to a layer with a problem


def test_rename_in_the_inspector(editor):
    inspector = _select(editor, "conv1")
    assert not _type(inspector.layer_id_edit, "relu1")
    assert "already used" in inspector.layer_id_edit.error.text()
    assert not _type(inspector.layer_id_edit, "2fast")
    assert _type(inspector.layer_id_edit, "stem")
    assert editor.doc.current.layer("relu1").inputs == ["stem"]
    assert editor.scene.selected_ids() == ["stem"]


def test_network_page_edits_the_input_shape(editor):
    editor.scene.clearSelection()
    inspector = editor.inspector
    assert inspector.pages.currentWidget() is inspector.network_page
    assert not _type(inspector.net_shape, "1, x, 28")
    assert _type(inspector.net_shape, "1, 32, 32")
    assert _shape(editor, "conv1") == "6×32×32"
    editor.scene.select_ids([INPUT_ID])
    assert inspector.pages.currentWidget() is inspector.network_page


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_opens_with_no_problems(window, name):
    assert window.actions_.files.open_preset(name)
    doc = window.doc
    assert doc.analysis.ok, [str(p) for p in doc.analysis.problems]
    assert not doc.dirty
    nodes = window.editor.scene.nodes
    assert set(nodes) == {INPUT_ID} | {layer.id for layer in doc.current.layers}
    assert all(item.content.shape_line != "?" for item in nodes.values())


def test_palette_groups_in_seminar_order_with_icons_and_tooltips(editor):
    tree = editor.palette.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups[:4] == ["Convolution", "Pooling", "Activation", "Normalisation"]
    assert groups.index("Affine") < groups.index("Structure") < groups.index("Output")
    assert set(editor.palette.items) == set(catalogue.kinds())
    for item in editor.palette.items.values():
        assert not item.icon(0).isNull()
        assert len(item.toolTip(0)) > 40
    editor.palette.filter.setText("pool")
    visible = [t for t, item in editor.palette.items.items() if not item.isHidden()]
    assert "MaxPool2d" in visible and "ReLU" not in visible


def test_double_click_in_the_palette_chains_under_the_selection(window):
    window.actions_.files.new()
    editor = window.editor
    editor.scene.select_ids([INPUT_ID])
    conv = editor.add_below_selection("Conv2d")
    relu = editor.add_below_selection("ReLU")
    assert editor.doc.current.layer(relu).inputs == [conv]
    editor.scene.select_ids([conv])
    bn = editor.add_below_selection("BatchNorm2d")  # inserted between conv and relu, one undo step
    assert editor.doc.current.layer(relu).inputs == [bn]
    editor.doc.undo_stack.undo()
    assert editor.doc.current.layer(relu).inputs == [conv]


def test_unknown_parameters_from_a_file_can_be_removed(window, tmp_path):
    import json
    spec = {"format": "tradeoff-lab/network", "version": 1, "input": {"shape": [1, 8, 8]},
            "layers": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "colour": "red"},
                        "inputs": ["input"]}], "output": "c"}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert window.actions_.files.open_path(path)
    editor = window.editor
    inspector = _select(editor, "c")
    assert "colour" in inspector.layer_problems.text()
    assert not inspector.drop_unknown.isHidden()
    inspector.drop_unknown.click()
    assert editor.doc.current.layer("c").params == {"out_channels": 2}
    assert editor.doc.analysis.ok and inspector.drop_unknown.isHidden()
    editor.doc.undo_stack.undo()
    assert "colour" in editor.doc.current.layer("c").params


def test_a_dangling_branch_is_a_warning_in_the_counter_and_on_its_node(window):
    window.actions_.files.open_preset("lenet")
    editor, doc = window.editor, window.doc
    side = doc.add_layer("ReLU", (900.0, 130.0), inputs=["conv1"])  # feeds nothing: ignored when the net runs
    assert doc.analysis.ok and doc.analysis.warnings
    text = editor.summary.problems.text()
    assert "No problems" not in text and "1 warning" in text
    assert editor.summary.problems.property("warn") is True
    node = editor.scene.nodes[side].content
    assert node.warnings and not node.problems and "does not feed the output" in node.warnings[0]
    assert not editor.scene.nodes["conv1"].content.warnings
    inspector = _select(editor, side)
    assert not inspector.layer_problems.isHidden() and "Warning" in inspector.layer_problems.text()
    editor.summary.problems.click()
    assert editor.scene.selected_ids() == [side]  # the counter jumps to the warned layer


def test_totals_of_the_valid_part_stay_while_the_net_has_problems(window):
    window.actions_.files.open_preset("lenet")
    editor, doc = window.editor, window.doc
    full = doc.analysis.total_params
    assert editor.summary.params.label.text() == "parameters"
    doc.set_param("fc3", "out_features", 0)  # the last layer is broken; the rest is fine
    assert not doc.analysis.ok
    shown = int(editor.summary.params.value.text().replace(",", ""))
    assert 0 < shown < full
    assert "partial" in editor.summary.params.label.text()
    assert "11 of 12 layers" in editor.summary.params.toolTip()
    doc.undo_stack.undo()
    assert editor.summary.params.value.text() == f"{full:,}" and editor.summary.params.label.text() == "parameters"
    broken = doc.spec
    broken.output = "nowhere"  # a hand-edited file: the engine counts nothing, the known layers still count
    doc.load(broken)
    assert doc.analysis.total_params == 0
    assert editor.summary.params.value.text() == f"{full:,}" and "partial" in editor.summary.params.label.text()


def test_parameter_labels_are_plain_words(editor):
    _select(editor, "conv1")
    form = editor.inspector.param_form
    labels = [form.itemAt(i, QFormLayout.LabelRole).widget().text() for i in range(form.rowCount())
              if form.itemAt(i, QFormLayout.LabelRole) is not None]
    assert "out channels" in labels and not any("_" in label for label in labels)


def test_a_narrow_summary_bar_drops_stats_instead_of_clipping_them(window):
    bar = window.editor.summary
    assert bar.minimumSizeHint().width() < 600  # the bar does not hold the window wide
    bar.resize(2000, bar.height())
    assert bar.weights.isVisibleTo(bar) and bar.act.isVisibleTo(bar)
    bar.resize(520, bar.height())
    assert not bar.weights.isVisibleTo(bar)
    assert bar.params.isVisibleTo(bar) and bar.flops.isVisibleTo(bar)
    shown = [s for s in (bar.params, bar.flops, bar.act, bar.weights) if s.isVisibleTo(bar)]
    assert sum(s.sizeHint().width() for s in shown) + bar.problems.sizeHint().width() <= 520
    bar.resize(2000, bar.height())
    assert bar.weights.isVisibleTo(bar)


def test_conv_algorithm_is_a_choice_and_one_that_cannot_apply_is_a_problem(editor):
    inspector = _select(editor, "conv1")
    combo = inspector._editors["algo"]
    assert [combo.itemData(i) for i in range(combo.count())] == ["run", "library", "direct", "im2col", "fft",
                                                                 "winograd"]
    assert "run's choice" in combo.toolTip() and "fft pays for large kernels" in combo.toolTip()  # what, when it pays
    def choose(algo):  # as a user picks it: the inspector commits on `activated`
        combo.setCurrentIndex(combo.findData(algo))
        combo.activated.emit(combo.currentIndex())

    choose("im2col")
    assert editor.doc.current.layer("conv1").params["algo"] == "im2col" and editor.doc.analysis.ok
    choose("winograd")  # lenet's 5x5 kernel: Winograd cannot
    problems = editor.doc.analysis.problems_for("conv1")
    assert problems and "5x5 kernel" in problems[0].message
