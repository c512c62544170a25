"""The editor's document: it owns the NetworkSpec; views mirror it. Every edit is an undo command
(gui.editor.commands) that swaps in a new spec; `spec_changed` tells the views afterwards.

CONTRACT (docs/dev/CONTRACTS.md): `spec` (a copy each time), `analysis`, `path`, `dirty`,
`read_only` + `set_read_only`, signals `spec_changed`, `path_changed`, `read_only_changed`.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.net import ID_PATTERN, INPUT_ID, MAX_ID_LEN, Analysis, InputSpec, LayerSpec, NetworkSpec, Problem, analyze
from gui.editor import catalogue
from gui.editor.commands import MoveNodes, SpecEdit
from gui.editor.graph import copy_spec, fix_output, reaches
from gui.editor.layout import auto_layout, needs_layout

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

    def _push(self, after: NetworkSpec, text: str, structural: bool = True) -> bool:
        if self._read_only:
            self.message.emit("The network is read-only while it runs.")
            return False
        if structural:
            fix_output(after)
        if after == self._spec:
            return False
        self.undo_stack.push(SpecEdit(self, self._spec, after, text))
        return True

    # ---- edits -----------------------------------------------------------------------------------
    def new_id(self, type_name: str, taken: Iterable[str] = ()) -> str:
        prefix = catalogue.id_prefix(type_name)
        used = {layer.id for layer in self._spec.layers} | {INPUT_ID} | set(taken)
        n = 1
        while f"{prefix}{n}" in used:
            n += 1
        return f"{prefix}{n}"

    def add_layer(self, type_name: str, pos: Pos, inputs: list[str] | None = None) -> str | None:
        after = self.spec
        layer_id = self.new_id(type_name)
        after.layers.append(LayerSpec(id=layer_id, type=type_name, params=catalogue.initial_params(type_name),
                                      inputs=list(inputs or [])))
        after.layout[layer_id] = (float(pos[0]), float(pos[1]))
        return layer_id if self._push(after, f"Add {type_name}") else None

    def insert_layer(self, type_name: str, src: str, dst: str, slot: int, pos: Pos) -> str | None:
        """Drop onto the wire src -> dst (input `slot` of dst): src -> new -> dst."""
        after = self.spec
        target = after.layer(dst)
        if target is None or slot >= len(target.inputs) or target.inputs[slot] != src:
            return None
        layer_id = self.new_id(type_name)
        after.layers.insert(after.layers.index(target), LayerSpec(id=layer_id, type=type_name, inputs=[src],
                                                                  params=catalogue.initial_params(type_name)))
        target.inputs[slot] = layer_id
        after.layout[layer_id] = (float(pos[0]), float(pos[1]))
        return layer_id if self._push(after, f"Insert {type_name}") else None

    def remove(self, ids: Iterable[str], wires: Iterable[tuple[str, str, int]] = ()) -> bool:
        """Delete layers and wires. A deleted layer with one input is bridged, so deleting the ReLU
        of conv -> relu -> pool leaves conv -> pool wired."""
        ids = {i for i in ids if i != INPUT_ID}
        after = self.spec
        drop_wires = set(wires)
        for layer in after.layers:
            kept = [src for slot, src in enumerate(layer.inputs) if (src, layer.id, slot) not in drop_wires]
            layer.inputs = kept
        bridge = {layer.id: layer.inputs[0] for layer in after.layers if layer.id in ids and len(layer.inputs) == 1}
        for layer in after.layers:
            new_inputs = []
            for src in layer.inputs:
                seen = set()
                while src in bridge and src not in seen:  # a chain of deleted layers
                    seen.add(src)
                    src = bridge[src]
                if src not in ids:
                    new_inputs.append(src)
            layer.inputs = new_inputs
        after.layers = [layer for layer in after.layers if layer.id not in ids]
        for layer_id in ids:
            after.layout.pop(layer_id, None)
        n = len(ids) + len(drop_wires)
        return self._push(after, f"Delete {n} item{'s' if n != 1 else ''}")

    def connect(self, src: str, dst: str) -> bool:
        if src == dst:
            self.message.emit("A layer cannot feed itself.")
            return False
        after = self.spec
        target = after.layer(dst)
        if target is None:
            return False
        if src in target.inputs and not catalogue.accepts_many(target.type):
            return False
        if reaches(self._spec, dst, src):
            self.message.emit(f"Connecting {src} → {dst} would make a cycle.")
            return False
        if catalogue.accepts_many(target.type):
            target.inputs.append(src)
        else:
            target.inputs = [src]  # a one-input layer: the new wire replaces the old one
        return self._push(after, f"Connect {src} → {dst}")

    def set_param(self, layer_id: str, name: str, value: object) -> bool:
        """Set a parameter; None removes it (the layer uses its default)."""
        after = self.spec
        layer = after.layer(layer_id)
        if layer is None:
            return False
        if value is None:
            layer.params.pop(name, None)
        else:
            layer.params[name] = value
        return self._push(after, f"Set {layer_id}.{name}")

    def id_problem(self, old: str, new: str) -> str | None:
        """Why `new` cannot replace the id `old`, or None."""
        if new == old:
            return None
        if not ID_PATTERN.match(new) or len(new) > MAX_ID_LEN:
            return "an id starts with a letter or _, then letters, digits or _ (at most 64)"
        if new == INPUT_ID or self._spec.layer(new) is not None:
            return f"'{new}' is already used"
        return None

    def rename(self, old: str, new: str) -> str | None:
        """Rename a layer, updating every reference; returns why it was refused, or None."""
        reason = self.id_problem(old, new)
        if reason or new == old:
            return reason
        after = self.spec
        for layer in after.layers:
            if layer.id == old:
                layer.id = new
            layer.inputs = [new if src == old else src for src in layer.inputs]
        if after.output == old:
            after.output = new
        after.layout = {new if k == old else k: v for k, v in after.layout.items()}
        self._push(after, f"Rename {old} → {new}")
        return None

    def move(self, positions: dict[str, Pos]) -> bool:
        after = self.spec
        for node_id, (x, y) in positions.items():
            after.layout[node_id] = (round(float(x), 1), round(float(y), 1))
        if after == self._spec or self._read_only:
            return False
        self.undo_stack.push(MoveNodes(self, self._spec, after, frozenset(positions)))
        return True

    def tidy(self) -> bool:
        after = self.spec
        after.layout = auto_layout(after)
        return self._push(after, "Tidy layout", structural=False)

    def set_network(self, name: str | None = None, input_shape: list[int] | None = None,
                    num_classes: int | None | bool = False, output: str | None | bool = False) -> bool:
        """Network-level fields; `False` means leave unchanged (None is a valid value for some)."""
        after = self.spec
        if name is not None:
            after.name = name
        if input_shape is not None:
            after.input = InputSpec(shape=list(input_shape))
        if num_classes is not False:
            after.num_classes = num_classes  # type: ignore[assignment]
        if output is not False:
            after.output = output  # type: ignore[assignment]
        return self._push(after, "Edit network", structural=False)

    def paste(self, layers: list[LayerSpec], layout: dict[str, Pos], offset: Pos) -> list[str]:
        """Add copies of `layers` with fresh ids; wires among them are kept, wires from outside
        are kept when their source still exists here."""
        after = self.spec
        existing = {layer.id for layer in after.layers} | {INPUT_ID}
        renamed: dict[str, str] = {}
        for layer in layers:
            renamed[layer.id] = self.new_id(layer.type, taken=renamed.values())
        for layer in layers:
            inputs = [renamed.get(src, src) for src in layer.inputs]
            inputs = [src for src in inputs if src in existing or src in renamed.values()]
            new_id = renamed[layer.id]
            after.layers.append(LayerSpec(id=new_id, type=layer.type, params=dict(layer.params), inputs=inputs))
            x, y = layout.get(layer.id, (0.0, 0.0))
            after.layout[new_id] = (x + offset[0], y + offset[1])
        return list(renamed.values()) if self._push(after, f"Paste {len(layers)} layers") else []
