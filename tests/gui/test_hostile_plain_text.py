"""gui/plain_text on the hostile corpus: bounded length, nothing invisible, HTML only where escaped,
file names that stay in their folder."""
from __future__ import annotations

import unicodedata

import pytest
from PySide6 import QtGui

from gui import plain_text
from tests.hostile_strings import HOSTILE

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _acts_on_display(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") or c in BIDI for c in text)


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_hostile_string_comes_out_bounded_visible_and_inert(qapp, text):
    shown = plain_text.name(text)
    assert len(shown) <= 6 * plain_text.NAME_CHARS_MAX  # each escaped character takes at most 6
    assert not _acts_on_display(shown)  # no control, bidi or surrogate left (zero-width joiners may stay)
    assert len(plain_text.message(text)) <= 6 * plain_text.MESSAGE_CHARS_MAX
    assert "<" not in plain_text.escape(text) and "<" not in plain_text.escape_message(text).replace("<br>", "")
    tip = plain_text.tooltip(text)
    assert not tip or tip.startswith("<p>")  # ours: Qt renders it as HTML with the text escaped inside
    stem = plain_text.file_name(text, ".json")
    assert "/" not in stem and "\\" not in stem and not stem.startswith(".") and not _acts_on_display(stem)
    assert len(stem) <= plain_text.FILE_STEM_CHARS_MAX + len(".json")


def test_a_long_name_keeps_its_start_and_end():
    shown = plain_text.name("start-" + "x" * 10_000 + "-end")
    assert shown.startswith("start-") and shown.endswith("-end") and plain_text.ELLIPSIS in shown
    assert len(shown) == plain_text.NAME_CHARS_MAX


def test_ordinary_text_is_unchanged(qapp):
    for text in ("lenet", "resnet9 · cuda:0 bf16", "Grüße, 数据, e\u0301", "a & b < c"):
        assert plain_text.name(text) == text == plain_text.message(text)
    assert plain_text.escape("a & b < c") == "a &amp; b &lt; c"
    assert QtGui.QTextDocumentFragment.fromHtml(plain_text.tooltip("a & b <b>c</b>")).toPlainText() == \
        "a & b <b>c</b>"


def test_controls_and_bidi_overrides_are_shown_as_escapes():
    assert plain_text.name("net\u202egnp.exe") == "net\\u202egnp.exe"
    assert plain_text.name("a\x00b\x1b[31m") == "a\\x00b\\x1b[31m"
    assert plain_text.name("one\ntwo") == "one\\x0atwo"
    assert plain_text.message("one\ntwo") == "one\ntwo"
    assert plain_text.name("net\ud800") == "net\\ud800"
