"""The editor's document: it owns the NetworkSpec; views mirror it. Every edit is one of the engine's
pure edits (engine.net.edits) pushed as an undo command (gui.editor.commands) that swaps in the new
spec; `spec_changed` tells the views afterwards.

CONTRACT (docs/ARCHITECTURE.md "The GUI"): `spec` (a copy each time), `analysis`, `path`, `dirty`,
`read_only` + `set_read_only`, signals `spec_changed`, `path_changed`, `read_only_changed`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.net import (
    INPUT_ID,
    Analysis,
    EditRefused,
    InputSpec,
    LayerSpec,
    NetworkSpec,
    Problem,
    analyze,
    auto_layout,
    copy_spec,
    edits,
    needs_layout,
)
from gui.editor.commands import MoveNodes, SpecEdit

Pos = tuple[float, float]


def empty_spec() -> NetworkSpec:
    # No num_classes: the validator would mark every half-built network's last layer for not
    # ending in [10]; the inspector sets it when wanted.
    return NetworkSpec(name="untitled", input=InputSpec(shape=[1, 28, 28]), layout={INPUT_ID: (0.0, 0.0)})


def safe_analyze(spec: NetworkSpec) -> Analysis:
    """The engine's analysis, never raising: a bug there must not take the editor down."""
    try:
        return analyze(spec)
    except Exception as exc:  # noqa: BLE001 - shown to the user as a network problem instead of a crash
        return Analysis(problems=[Problem(None, f"analysis failed: {type(exc).__name__}: {exc}")])


class Document(QObject):
    spec_changed = Signal()
    path_changed = Signal(object)  # Path | None
    read_only_changed = Signal(bool)
    dirty_changed = Signal(bool)
    message = Signal(str)  # why an edit was refused, for the status bar
    loaded = Signal()  # a whole new spec (open, new, preset): views reset zoom and selection

    def __init__(self, spec: NetworkSpec | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._spec = empty_spec()
        self._analysis = safe_analyze(self._spec)
        self._path: Path | None = None
        self._read_only = False
        if spec is not None:
            self.load(spec)

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    # ---- reading -------------------------------------------------------------------------------
    @property
    def spec(self) -> NetworkSpec:
        return copy_spec(self._spec)

    @property
    def current(self) -> NetworkSpec:
        """The live spec, for views that only read it (never mutate it: use the edit methods)."""
        return self._spec

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def read_only(self) -> bool:
        return self._read_only

    def set_read_only(self, value: bool) -> None:
        if value != self._read_only:
            self._read_only = value
            self.read_only_changed.emit(value)

    def position(self, node_id: str) -> Pos:
        return tuple(self._spec.layout.get(node_id, (0.0, 0.0)))  # type: ignore[return-value]

    # ---- whole-document operations ---------------------------------------------------------------
    def load(self, spec: NetworkSpec, path: Path | None = None) -> None:
        """Replace the document (open, new, preset); not undoable, clears the history."""
        spec = copy_spec(spec)
        if needs_layout(spec):
            spec.layout = auto_layout(spec)
        self.undo_stack.clear()
        self._apply(spec, layout_only=False)
        self.undo_stack.setClean()
        self.set_path(path)
        self.loaded.emit()

    def set_path(self, path: Path | None) -> None:
        self._path = Path(path) if path is not None else None
        self.path_changed.emit(self._path)

    def mark_saved(self, path: Path) -> None:
        self.undo_stack.setClean()
        self.set_path(path)

    def _apply(self, spec: NetworkSpec, layout_only: bool) -> None:
        """Called by undo commands only."""
        self._spec = spec
        if not layout_only:
            self._analysis = safe_analyze(spec)
        self.spec_changed.emit()

    def _push(self, after: NetworkSpec, text: str) -> bool:
        if self._read_only:
            self.message.emit("The network is read-only while it runs.")
            return False
        if after == self._spec:
            return False
        self.undo_stack.push(SpecEdit(self, self._spec, after, text))
        return True

    def _edit(self, text: str, edit: Callable[..., NetworkSpec], *args: Any, **kwargs: Any) -> bool:
        """Apply one of the engine's edits as an undo step; a refused edit says why on `message`."""
        try:
            after = edit(self._spec, *args, **kwargs)
        except EditRefused as exc:
            self.message.emit(str(exc))
            return False
        return self._push(after, text)

    # ---- edits (engine.net.edits does the work; each one is an undo step) ----------------------------
    def new_id(self, type_name: str, taken: Iterable[str] = ()) -> str:
        return edits.new_layer_id(self._spec, type_name, taken)

    def add_layer(self, type_name: str, pos: Pos, inputs: list[str] | None = None) -> str | None:
        layer_id = self.new_id(type_name)
        ok = self._edit(f"Add {type_name}", edits.add_layer, layer_id, type_name, pos, inputs or [])
        return layer_id if ok else None

    def insert_layer(self, type_name: str, src: str, dst: str, slot: int, pos: Pos) -> str | None:
        """Drop onto the wire src -> dst (input `slot` of dst): src -> new -> dst, making room."""
        layer_id = self.new_id(type_name)
        ok = self._edit(f"Insert {type_name}", edits.insert_layer, layer_id, type_name, (src, dst, slot), pos)
        return layer_id if ok else None

    def remove(self, ids: Iterable[str], wires: Iterable[tuple[str, str, int]] = ()) -> bool:
        """Delete layers and wires (a deleted one-input layer is bridged)."""
        ids, wires = {i for i in ids if i != INPUT_ID}, set(wires)
        n = len(ids) + len(wires)
        return self._edit(f"Delete {n} item{'s' if n != 1 else ''}", edits.remove, ids, wires)

    def connect(self, src: str, dst: str) -> bool:
        return self._edit(f"Connect {src} → {dst}", edits.connect, src, dst)

    def set_param(self, layer_id: str, name: str, value: object) -> bool:
        """Set a parameter; None removes it (the layer uses its default)."""
        return self._edit(f"Set {name.replace('_', ' ')} of {layer_id}", edits.set_param, layer_id, name, value)

    def id_problem(self, old: str, new: str) -> str | None:
        """Why `new` cannot replace the id `old`, or None."""
        return edits.id_problem(self._spec, old, new)

    def rename(self, old: str, new: str) -> str | None:
        """Rename a layer, updating every reference; returns why it was refused, or None."""
        reason = self.id_problem(old, new)
        if reason or new == old:
            return reason
        try:
            after = edits.rename(self._spec, old, new)
        except EditRefused as exc:
            return str(exc)
        self._push(after, f"Rename {old} → {new}")
        return None

    def move(self, positions: dict[str, Pos]) -> bool:
        after = edits.move(self._spec, positions)
        if after == self._spec or self._read_only:
            return False
        self.undo_stack.push(MoveNodes(self, self._spec, after, frozenset(positions)))
        return True

    def tidy(self) -> bool:
        return self._edit("Tidy layout", edits.tidy)

    def set_network(self, name: str | None = None, input_shape: list[int] | None = None,
                    num_classes: int | None | bool = False, output: str | None | bool = False) -> bool:
        """Network-level fields; `False` means leave unchanged (None is a valid value for some)."""
        changes: dict[str, Any] = {}
        if num_classes is not False:
            changes["num_classes"] = num_classes
        if output is not False:
            changes["output"] = output
        return self._edit("Edit network", edits.set_network, name=name, input_shape=input_shape, **changes)

    def paste(self, layers: list[LayerSpec], layout: dict[str, Pos], offset: Pos) -> list[str]:
        """Add copies of `layers` with fresh ids; wires among them are kept, wires from outside
        are kept when their source still exists here."""
        after, ids = edits.paste(self._spec, layers, layout, offset)
        return ids if self._push(after, f"Paste {len(layers)} layers") else []
