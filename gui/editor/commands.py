"""Undo commands of the editor. Each command stores the spec before and after the edit, so undo and
redo restore *exactly* the earlier spec (ids, order, params, layout), whatever the edit was.

Snapshots are cheap (a 300-layer spec is a few kB of plain data) and make every edit trivially
reversible; the scene diffs old and new specs, so no item is rebuilt that did not change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from engine.net import NetworkSpec

if TYPE_CHECKING:
    from gui.editor.document import Document

MOVE_COMMAND_ID = 1001  # QUndoCommand.id() for merging consecutive moves of the same nodes


class SpecEdit(QUndoCommand):
    """Replace the document's spec by `after`; undo puts `before` back."""

    def __init__(self, doc: Document, before: NetworkSpec, after: NetworkSpec, text: str,
                 layout_only: bool = False) -> None:
        super().__init__(text)
        self._doc = doc
        self.before = before
        self.after = after
        self.layout_only = layout_only  # a move: positions changed, analysis did not

    def redo(self) -> None:
        self._doc._apply(self.after, self.layout_only)

    def undo(self) -> None:
        self._doc._apply(self.before, self.layout_only)


class MoveNodes(SpecEdit):
    """A move; consecutive moves of the same set of nodes merge into one undo step."""

    def __init__(self, doc: Document, before: NetworkSpec, after: NetworkSpec, ids: frozenset[str]) -> None:
        n = len(ids)
        super().__init__(doc, before, after, f"Move {next(iter(ids)) if n == 1 else f'{n} layers'}",
                         layout_only=True)
        self.ids = ids

    def id(self) -> int:
        return MOVE_COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveNodes) or other.ids != self.ids:
            return False
        self.after = other.after
        return True
