"""Hostile names in the editor and the Run tab: a network name, a layer id and a layer type taken from
the hostile corpus are shown as literal text (never HTML, never a file read), elided when long, and
the window stays responsive."""
from __future__ import annotations

import time

import pytest

from engine.net import INPUT_ID, LayerSpec
from gui import plain_text
from gui.app import default_document
from tests.gui.rich_text_probe import ImageProbe, labels_longer_than, rich_text_leaks
from tests.hostile_strings import ENCODABLE, HOSTILE, LONG_KEYS

SHOWN_MAX = plain_text.MESSAGE_CHARS_MAX + 200  # a message holding a name, plus its own words


def _hostile_spec(text: str):
    """LeNet renamed `text`, with one more layer whose id and type are `text` too."""
    spec = default_document().current.model_copy(deep=True)
    spec.name = text
    spec.layers.append(LayerSpec(id=text, type=text, inputs=[spec.layers[-1].id]))
    return spec


def _visit_every_view(window, hostile_id: str) -> None:
    """Show what a user would look at: the network page, the hostile layer, several layers, each tab."""
    scene = window.editor.scene
    scene.clearSelection()
    scene.select_ids([hostile_id])
    scene.select_ids([hostile_id, INPUT_ID, window.doc.current.layers[0].id])
    scene.select_ids([hostile_id])
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        window.grab()  # lays out and paints every visible widget, as the screen would
    window.tabs.setCurrentIndex(0)


def test_an_img_tag_in_names_is_shown_as_text_and_never_loaded(window, tmp_path):
    probe = ImageProbe(tmp_path)
    window.doc.load(_hostile_spec(probe.markup))
    _visit_every_view(window, probe.markup)
    inspector = window.editor.inspector
    assert inspector.pages.currentWidget() is inspector.layer_page
    assert rich_text_leaks(window, probe.markup) == []
    assert probe.markup in inspector.layer_title.text()  # shown, literally
    assert probe.markup in window.run_panel.network_label.text()
    assert not probe.was_read()


def test_node_tooltip_shows_the_id_and_type_literally(window):
    text = HOSTILE["html_bold"]
    window.doc.load(_hostile_spec(text))
    tip = window.editor.scene.nodes[text].toolTip()
    assert "&lt;b&gt;bold&lt;/b&gt;" in tip and "<b>bold</b>" not in tip


@pytest.mark.parametrize("text", ENCODABLE.values(), ids=ENCODABLE.keys())  # a spec refuses lone surrogates
def test_every_hostile_name_is_shown_safely(window, text):
    started = time.monotonic()
    window.doc.load(_hostile_spec(text))
    _visit_every_view(window, text)
    window.editor.scene.select_ids(list(window.editor.scene.nodes))  # the multi-selection page too
    window.grab()
    took_s = time.monotonic() - started
    assert rich_text_leaks(window, text) == []
    assert labels_longer_than(window, SHOWN_MAX) == []
    assert len(window.windowTitle()) <= plain_text.NAME_CHARS_MAX + 50
    assert window.run_panel.network_label.text().startswith(plain_text.name(text)[:40])
    if text in (HOSTILE[k] for k in LONG_KEYS):
        assert took_s < 15, f"a 1 MB name took {took_s:.0f} s to show"  # was 31 s: nothing was elided


@pytest.mark.slow
def test_select_all_on_3000_layers_is_one_selection_change(window):
    """Select All used to select item by item: 6,001 selection signals, each refreshing the inspector (11 s)."""
    from engine.net import InputSpec, NetworkSpec
    layers = [LayerSpec(id=f"relu{i}", type="ReLU", inputs=[f"relu{i - 1}" if i else INPUT_ID]) for i in range(3000)]
    window.doc.load(NetworkSpec(name="deep", input=InputSpec(shape=[1, 8, 8]), layers=layers))
    scene, changes = window.editor.scene, []
    scene.selectionChanged.connect(lambda: changes.append(1))
    window.editor.select_all()
    assert len(changes) == 1
    assert len(scene.selected_ids()) == 3001 and len(scene.selected_wires()) == 3000  # every layer, the input, wires
    assert window.editor.inspector.pages.currentWidget() is window.editor.inspector.multi
    assert "3001 items selected" in window.editor.inspector.multi.text()


def test_leaving_the_name_field_keeps_a_name_too_long_for_it(window):
    """A line edit holds at most 32,767 characters: leaving it used to commit the 1 MB name cut short."""
    name = HOSTILE["megabyte_plain"]
    window.doc.load(_hostile_spec(name))
    window.editor.scene.clearSelection()  # the network page, with the name field
    field = window.editor.inspector.net_name
    assert len(field.edit.text()) < len(name)
    depth = window.doc.undo_stack.count()
    assert field.commit()
    assert window.doc.current.name == name and window.doc.undo_stack.count() == depth
