"""The inspector: typed editors for the selected layer (or the network when nothing or the input is
selected), its output shape and costs, and its problems spelled out."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import engine.format as fmt
from engine.net import BINARY_TYPES, INPUT_ID
from gui import plain_text
from gui.editor import catalogue, param_parse
from gui.editor.document import Document
from gui.editor.field_editor import FieldEditor, param_editor
from gui.editor.icons import layer_icon
from gui.editor.scene import EditorScene


def _section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("SectionTitle")
    return label


def _problems_label() -> QLabel:
    label = QLabel()
    label.setObjectName("Problems")
    label.setWordWrap(True)
    label.setTextFormat(Qt.RichText)
    label.hide()
    return label


def _show_problems(label: QLabel, problems: list[str], heading: str = "Problem") -> None:
    label.setVisible(bool(problems))
    label.setText(f"<b>{heading}</b><br>" + "<br>".join(plain_text.escape_message(p) for p in problems)
                  if problems else "")
    warn = heading != "Problem"  # amber, not red: the network still runs
    if label.property("warn") != warn:
        label.setProperty("warn", warn)
        label.style().unpolish(label)
        label.style().polish(label)


def _parse_classes(text: str):
    if not text.strip():
        return None, None
    try:
        v = int(text)
    except ValueError:
        return None, f"'{text}' is not a whole number"
    return (v, None) if v >= 1 else (None, "must be at least 1")


class Inspector(QScrollArea):
    def __init__(self, doc: Document, scene: EditorScene, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Inspector")
        self.doc, self.scene = doc, scene
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the content fits the width instead
        self.setFrameShape(QFrame.NoFrame)
        self.pages = QStackedWidget()
        self.setWidget(self.pages)
        self._build_network_page()
        self._build_layer_page()
        self.multi = QLabel(alignment=Qt.AlignTop | Qt.AlignLeft)
        self.multi.setObjectName("Multi")
        self.multi.setWordWrap(True)
        self.pages.addWidget(self.multi)
        self._layer_id: str | None = None
        self._form_type: str | None = None
        self._editors: dict[str, QWidget] = {}
        scene.selectionChanged.connect(self.refresh)
        doc.spec_changed.connect(self.refresh)
        self.refresh()

    # ---- pages -------------------------------------------------------------------------------------
    def _build_network_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(14, 12, 14, 12)
        title = QLabel("Network")
        title.setObjectName("InspectorTitle")
        v.addWidget(title)
        hint = QLabel("Nothing selected: these settings belong to the whole network.")
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        v.addWidget(hint)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignLeft)
        self.net_name = FieldEditor(lambda t: (t.strip(), None) if t.strip() else (None, "give the network a name"))
        self.net_name.committed.connect(lambda name: self.doc.set_network(name=name))
        self.net_shape = FieldEditor(param_parse.parse_shape, placeholder="C, H, W",
                                     tooltip="Shape of one input sample: channels, height, width")
        self.net_shape.committed.connect(lambda shape: self.doc.set_network(input_shape=shape))
        self.net_classes = FieldEditor(_parse_classes, placeholder="none")
        self.net_classes.committed.connect(lambda n: self.doc.set_network(num_classes=n))
        self.net_output = QComboBox()
        self.net_output.activated.connect(
            lambda i: self.doc.set_network(output=self.net_output.itemData(i) or None))
        form.addRow("Name", self.net_name)
        form.addRow("Input shape", self.net_shape)
        form.addRow("Classes", self.net_classes)
        form.addRow("Output layer", self.net_output)
        v.addLayout(form)
        self.net_problems = _problems_label()
        v.addWidget(self.net_problems)
        v.addStretch(1)
        self.pages.addWidget(page)
        self.network_page = page

    def _build_layer_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(14, 12, 14, 12)
        self.layer_title = plain_text.plain(QLabel())
        self.layer_title.setObjectName("InspectorTitle")
        self.layer_icon = QLabel()
        head = QFormLayout()
        head.addRow(self.layer_icon, self.layer_title)
        v.addLayout(head)
        self.layer_doc = plain_text.plain(QLabel())
        self.layer_doc.setObjectName("Muted")
        self.layer_doc.setWordWrap(True)
        v.addWidget(self.layer_doc)
        self.layer_problems = _problems_label()
        v.addWidget(self.layer_problems)
        self.drop_unknown = QPushButton()
        self.drop_unknown.setObjectName("FixButton")
        self.drop_unknown.clicked.connect(self._remove_unknown)
        self.drop_unknown.hide()
        v.addWidget(self.drop_unknown)
        id_form = QFormLayout()
        self.layer_id_edit = FieldEditor(self._parse_id, tooltip="The layer's id, used in the spec")
        self.layer_id_edit.committed.connect(self._rename)
        id_form.addRow("Id", self.layer_id_edit)
        v.addLayout(id_form)
        v.addWidget(_section("Parameters"))
        self.param_host = QWidget()
        self.param_form = QFormLayout(self.param_host)
        self.param_form.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.param_host)
        v.addWidget(_section("Output"))
        self.layer_stats = QLabel()
        self.layer_stats.setObjectName("Stats")
        self.layer_stats.setTextFormat(Qt.RichText)
        self.layer_stats.setWordWrap(True)  # never wider than the panel (no horizontal scrolling)
        v.addWidget(self.layer_stats)
        v.addStretch(1)
        self.pages.addWidget(page)
        self.layer_page = page

    # ---- refresh -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not shiboken6.isValid(self.scene):  # the window is being torn down
            return
        ids = self.scene.selected_ids()
        if len(ids) > 1:
            self._show_multi(ids)
        elif ids and ids[0] != INPUT_ID and self.doc.current.layer(ids[0]) is not None:
            self._show_layer(ids[0])
        else:
            self._show_network()

    def _show_network(self) -> None:
        spec, analysis = self.doc.current, self.doc.analysis
        self._layer_id = None
        self.net_name.set_text(spec.name)
        self.net_shape.set_text(param_parse.to_text(spec.input.shape))
        self.net_classes.set_text("" if spec.num_classes is None else str(spec.num_classes))
        self.net_output.blockSignals(True)
        self.net_output.clear()
        self.net_output.addItem("(none)", None)
        for layer in spec.layers:
            self.net_output.addItem(plain_text.name(layer.id), layer.id)
        self.net_output.setCurrentIndex(max(0, self.net_output.findData(spec.output)) if spec.output else 0)
        self.net_output.blockSignals(False)
        problems = [catalogue.problem_text(p) for p in analysis.problems if p.layer_id in (None, INPUT_ID)]
        n_layer = sum(1 for p in analysis.problems if p.layer_id not in (None, INPUT_ID))
        if n_layer:
            problems.append(f"{n_layer} problem{'s' if n_layer > 1 else ''} on layers: see the red badges.")
        _show_problems(self.net_problems, problems if spec.layers else [])  # empty: the canvas says what to do
        self.pages.setCurrentWidget(self.network_page)

    def _show_multi(self, ids: list[str]) -> None:
        infos = [self.doc.analysis.layers.get(i) for i in ids]
        params = sum(i.params for i in infos if i)
        flops = sum(i.flops for i in infos if i)
        self.multi.setText(f"<h3>{len(ids)} items selected</h3><p>{fmt.count(params)} parameters<br>"
                           f"{fmt.flops(flops)} per sample</p><p style='color:#64748B'>Delete removes them; "
                           "Copy and Paste duplicate them with their wires.</p>")
        self.multi.setContentsMargins(14, 12, 14, 12)
        self.pages.setCurrentWidget(self.multi)

    def _show_layer(self, layer_id: str) -> None:
        layer = self.doc.current.layer(layer_id)
        kind = catalogue.kind(layer.type)
        self._layer_id = layer_id
        self.layer_title.setText(plain_text.name(layer.type))
        self.layer_icon.setPixmap(layer_icon(layer.type, catalogue.group_of(layer.type), 28).pixmap(28, 28))
        self.layer_doc.setText(kind.doc if kind else f"'{plain_text.name(layer.type)}' is not a known layer type.")
        self.layer_id_edit.set_text(layer_id)
        if self._form_type != layer.type:
            self._build_form(kind)
        for name, editor in self._editors.items():
            value = layer.params.get(name)
            if isinstance(editor, FieldEditor):
                editor.set_text(param_parse.to_text(value))
            elif isinstance(editor, QCheckBox):
                editor.blockSignals(True)
                default = next((p.default for p in kind.params if p.name == name), False)
                editor.setChecked(bool(default if value is None else value))
                editor.blockSignals(False)
            elif isinstance(editor, QComboBox):
                editor.blockSignals(True)
                default = next((p.default for p in kind.params if p.name == name), None)
                editor.setCurrentIndex(max(0, editor.findData(default if value is None else value)))
                editor.blockSignals(False)
        analysis = self.doc.analysis
        problems = [catalogue.problem_text(p, with_layer=False) for p in analysis.problems_for(layer_id)]
        warnings = [p.message for p in analysis.warnings if p.layer_id == layer_id]
        if problems or not warnings:
            _show_problems(self.layer_problems, problems)
        else:  # e.g. a branch that does not feed the output: allowed, but it does nothing
            _show_problems(self.layer_problems, warnings, "Warning")
        unknown = self._unknown_params()
        self.drop_unknown.setVisible(bool(unknown) and kind is not None)
        self.drop_unknown.setText(plain_text.name(
            f"Remove unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"))
        info = self.doc.analysis.layers.get(layer_id)
        if info is None or info.output_shape is None:
            self.layer_stats.setText("<span style='color:#64748B'>Unknown until the problems above are fixed.</span>")
        else:
            self.layer_stats.setText(
                f"<table cellspacing=3><tr><td>Shape</td><td><b>{fmt.shape(info.output_shape)}</b></td></tr>"
                f"<tr><td>Parameters</td><td><b>{info.params:,}</b></td></tr>"
                f"<tr><td>Compute</td><td>{_compute_text(layer.type, info.flops)}</td></tr>"
                f"<tr><td>Activations</td><td><b>{fmt.byte_size(info.activation_bytes)}</b> / sample (fp32)</td>"
                "</tr></table>")
        self.pages.setCurrentWidget(self.layer_page)

    def _build_form(self, kind: catalogue.LayerKind | None) -> None:
        while self.param_form.rowCount():
            self.param_form.removeRow(0)
        self._editors = {}
        self._form_type = kind.type if kind else None
        if kind is None or not kind.params:
            self.param_form.addRow(QLabel("This layer has no parameters."))
            return
        for p in kind.params:
            editor = param_editor(p)
            name = p.name
            if isinstance(editor, FieldEditor):
                editor.committed.connect(lambda value, n=name: self._set(n, value))
            elif isinstance(editor, QCheckBox):
                editor.toggled.connect(lambda checked, n=name: self._set(n, checked))
            elif isinstance(editor, QComboBox):
                editor.activated.connect(lambda i, n=name, e=editor: self._set(n, e.itemData(i)))
            label = QLabel(catalogue.plain(name))
            label.setToolTip(f"{p.doc} ({name} in the spec file)")
            self.param_form.addRow(label, editor)
            self._editors[name] = editor

    def _set(self, name: str, value) -> None:
        if self._layer_id is not None:
            self.doc.set_param(self._layer_id, name, value)

    def _unknown_params(self) -> list[str]:
        """Parameters in the spec that the layer type does not have (a hand-edited or older file)."""
        layer = self.doc.current.layer(self._layer_id) if self._layer_id else None
        kind = catalogue.kind(layer.type) if layer else None
        return [n for n in layer.params if kind.param(n) is None] if kind else []

    def _remove_unknown(self) -> None:
        names, layer_id = self._unknown_params(), self._layer_id
        self.doc.undo_stack.beginMacro(f"Remove unknown parameters of {layer_id}")
        for name in names:
            self.doc.set_param(layer_id, name, None)
        self.doc.undo_stack.endMacro()

    def _parse_id(self, text: str):
        new = text.strip()
        reason = self.doc.id_problem(self._layer_id, new) if self._layer_id else None
        return (None, reason) if reason else (new, None)

    def _rename(self, new_id: str) -> None:
        if self._layer_id is not None and self.doc.rename(self._layer_id, new_id) is None:
            self.scene.select_ids([new_id])


def _compute_text(layer_type: str, flops: int) -> str:
    """A binarized layer's operations are binary (XNOR + popcount), not floating-point ones."""
    if layer_type in BINARY_TYPES:
        ops = f"{fmt.count(flops)} binary ops"  # "2.56 M binary ops"
        return f"<b>{ops}</b> / sample <span style='color:#64748B'>(XNOR + popcount; run as float here)</span>"
    return f"<b>{fmt.flops(flops)}</b> / sample"
