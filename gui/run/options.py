"""The run options form: device, precision, batch, mode, length, data set and levers -> RunConfig.

Options the chosen device cannot do are disabled with the reason in their tooltip (`option_reasons`
decides, without Qt, so it is tested alone).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.run import RunConfig
from gui.run.devices import Device, Inventory, cpu_only

PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8")
COMPILE_MODES = (("off", None), ("default", "default"), ("reduce-overhead", "reduce-overhead"),
                 ("max-autotune", "max-autotune"))
DATASETS = (("synthetic", "Synthetic (random tensors)"), ("digits", "Digits (embedded, 1,797 images)"),
            ("mnist", "MNIST (local folder)"), ("cifar10", "CIFAR-10 (local folder)"),
            ("folder", "Image folder (one sub-folder per class)"))


def option_reasons(device: Device, input_shape: list[int] | None, no_gpu_reason: str | None = None) -> dict[str, str]:
    """option key -> why it is disabled on this device ("precision:tf32", "cudnn", ...)."""
    out: dict[str, str] = {}
    out["precision:int8"] = "int8 comes with the quantization levers (roadmap 6); not supported yet"
    if device.key == "cpu":
        out["precision:tf32"] = "tf32 is a GPU tensor-core mode (Ampere or newer); on the CPU it would be plain fp32"
        out["cudnn"] = "cuDNN autotune tunes NVIDIA GPU convolutions; this run is on the CPU"
        out["compile:reduce-overhead"] = "reduce-overhead uses CUDA graphs: GPU only"
    else:
        cc = device.compute_capability
        if cc is not None and cc < (8, 0):
            why = f"needs compute capability 8.0+ (Ampere or newer); this GPU is {cc[0]}.{cc[1]}"
            out["precision:tf32"] = f"tf32 {why}"
            out["precision:bf16"] = f"bf16 {why}"
    if input_shape is not None and len(input_shape) != 3:
        out["channels_last"] = f"channels-last needs an image input [C, H, W]; this net's input is {list(input_shape)}"
    return out


def _set_item(combo: QComboBox, index: int, reason: str | None) -> None:
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        item = model.item(index)
        item.setEnabled(reason is None)
        item.setToolTip(reason or "")


class RunOptions(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inventory: Inventory = cpu_only(reason="looking for GPUs…")
        self.input_shape: list[int] | None = None
        self.reasons: dict[str, str] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.device = QComboBox()
        self.user_picked_device = False  # until the user picks, the first GPU is the default
        self.device.activated.connect(lambda _i: setattr(self, "user_picked_device", True))
        self.precision = QComboBox()
        self.precision.addItems(PRECISIONS)
        self.batch = QSpinBox()
        self.batch.setRange(1, 1 << 20)
        self.batch.setValue(64)
        self.batch.setAccelerated(True)
        self.mode = QComboBox()
        self.mode.addItem("Train", "train")
        self.mode.addItem("Infer", "infer")
        self.length_kind = QComboBox()
        self.length_kind.addItem("steps", "steps")
        self.length_kind.addItem("seconds", "seconds")
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(300)
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.5, 86_400)
        self.seconds.setValue(30)
        self.seconds.setSuffix(" s")
        self.length_stack = QStackedWidget()
        self.length_stack.addWidget(self.steps)
        self.length_stack.addWidget(self.seconds)
        length = QHBoxLayout()
        length.setContentsMargins(0, 0, 0, 0)
        length.addWidget(self.length_stack, 1)
        length.addWidget(self.length_kind)
        self.warmup = QSpinBox()
        self.warmup.setRange(0, 100_000)
        self.warmup.setValue(10)
        self.warmup.setSuffix(" steps")
        self.dataset = QComboBox()
        for key, label in DATASETS:
            self.dataset.addItem(label, key)
        self.dataset.setCurrentIndex(1)
        self.data_path = QLineEdit()
        self.data_path.setPlaceholderText("folder with the data set")
        self.browse = QToolButton()
        self.browse.setText("Browse…")
        self.browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.setContentsMargins(0, 0, 0, 0)
        path_row.addWidget(self.data_path, 1)
        path_row.addWidget(self.browse)
        self.path_widget = QWidget()
        self.path_widget.setLayout(path_row)
        self.channels_last = QCheckBox("channels-last memory format")
        self.compile = QComboBox()
        for label, _ in COMPILE_MODES:
            self.compile.addItem(label)
        self.cudnn = QCheckBox("cuDNN autotune")
        self.cudnn.setChecked(True)
        self.threads = QSpinBox()
        self.threads.setRange(0, 1024)
        self.threads.setSpecialValueText("auto")
        self.threads.setToolTip("CPU threads for torch (intra-op); auto lets torch choose")
        for combo in (self.device, self.dataset):  # long labels elide instead of widening the panel
            combo.setMinimumContentsLength(12)
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.view().setMinimumWidth(360)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.precision)
        form.addRow("Batch", self.batch)
        form.addRow("Mode", self.mode)
        form.addRow("Length", length)
        form.addRow("Warm-up", self.warmup)
        form.addRow("Data", self.dataset)
        form.addRow("", self.path_widget)
        form.addRow("Levers", self.channels_last)
        form.addRow("", self.cudnn)
        form.addRow("torch.compile", self.compile)
        form.addRow("CPU threads", self.threads)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)
        self.device_note = QLabel()
        self.device_note.setObjectName("Muted")
        self.device_note.setWordWrap(True)
        outer.addWidget(self.device_note)
        for w in (self.device, self.precision, self.mode, self.length_kind, self.dataset, self.compile):
            w.currentIndexChanged.connect(self._on_change)
        for w in (self.batch, self.steps, self.warmup, self.threads):
            w.valueChanged.connect(self._on_change)
        self.seconds.valueChanged.connect(self._on_change)
        self.data_path.textChanged.connect(self._on_change)
        for w in (self.channels_last, self.cudnn):
            w.toggled.connect(self._on_change)
        self.set_inventory(self.inventory)

    # --- inputs -------------------------------------------------------------------------------
    def set_inventory(self, inv: Inventory) -> None:
        self.inventory = inv
        current = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        for d in inv.devices:
            self.device.addItem(d.label, d.key)
        if inv.no_gpu_reason:
            self.device.addItem(f"GPU · none ({inv.no_gpu_reason})", None)
            _set_item(self.device, self.device.count() - 1, f"No GPU: {inv.no_gpu_reason}")
        # first GPU by default, else keep the user's choice
        keys = [d.key for d in inv.devices]
        first = keys[1] if len(keys) > 1 else "cpu"
        pick = current if self.user_picked_device and current in keys else first
        self.device.setCurrentIndex(keys.index(pick))
        self.device.blockSignals(False)
        self.threads.setMaximum(max(1, inv.cpu.cores or 1024))
        self._on_change()

    def set_input_shape(self, shape: list[int] | None) -> None:
        self.input_shape = shape
        self._on_change()

    def current_device(self) -> Device:
        return self.inventory.device(self.device.currentData() or "cpu") or self.inventory.cpu

    def set_batch(self, batch: int) -> None:
        self.batch.setValue(batch)

    # --- outputs ------------------------------------------------------------------------------
    def dataset_string(self) -> str:
        kind = self.dataset.currentData()
        if kind in ("synthetic", "digits"):
            return kind
        path = self.data_path.text().strip()
        return f"{kind}:{path}"

    def dataset_problem(self) -> str | None:
        kind = self.dataset.currentData()
        if kind in ("synthetic", "digits"):
            return None
        path = self.data_path.text().strip()
        if not path:
            return f"Data: choose the {self.dataset.currentText().split(' (')[0]} folder (Browse…)"
        if not Path(path).expanduser().exists():
            return f"Data: {path} does not exist"
        return None

    def config(self) -> RunConfig:
        """The RunConfig the form describes; raises ValueError with a message naming the field."""
        by_steps = self.length_kind.currentData() == "steps"
        compile_mode = COMPILE_MODES[self.compile.currentIndex()][1]
        return RunConfig(device=self.current_device().key, precision=self.precision.currentText(),
                         batch=self.batch.value(), mode=self.mode.currentData(),
                         steps=self.steps.value() if by_steps else None,
                         seconds=None if by_steps else self.seconds.value(), warmup=self.warmup.value(),
                         dataset=self.dataset_string(), channels_last=self.channels_last.isChecked(),
                         compile=compile_mode, cudnn_benchmark=self.cudnn.isChecked(),
                         threads=self.threads.value() or None)

    # --- capability rules ---------------------------------------------------------------------
    def _on_change(self, *_args) -> None:
        device = self.current_device()
        self.reasons = option_reasons(device, self.input_shape, self.inventory.no_gpu_reason)
        for i, name in enumerate(PRECISIONS):
            _set_item(self.precision, i, self.reasons.get(f"precision:{name}"))
        if f"precision:{self.precision.currentText()}" in self.reasons:
            self.precision.setCurrentIndex(0)
        for i, (_label, mode) in enumerate(COMPILE_MODES):
            _set_item(self.compile, i, self.reasons.get(f"compile:{mode}"))
        if f"compile:{COMPILE_MODES[self.compile.currentIndex()][1]}" in self.reasons:
            self.compile.setCurrentIndex(0)
        for key, box, tip in (("cudnn", self.cudnn, "cuDNN picks the fastest convolution algorithm per shape "
                                                     "(during warm-up)"),
                              ("channels_last", self.channels_last, "NHWC layout: faster convolutions on tensor "
                                                                    "cores")):
            reason = self.reasons.get(key)
            box.setEnabled(reason is None)
            box.setToolTip(reason or tip)
            if reason:
                box.setChecked(False if key == "channels_last" else box.isChecked())
        self.length_stack.setCurrentIndex(0 if self.length_kind.currentData() == "steps" else 1)
        self.path_widget.setVisible(self.dataset.currentData() not in ("synthetic", "digits"))
        note = []
        if self.inventory.error:
            note.append(f"The GPU list could not be gathered: {self.inventory.error}")
        elif device.key == "cpu" and self.inventory.no_gpu_reason:
            note.append(f"No GPU: {self.inventory.no_gpu_reason}.")
        self.device_note.setText(" ".join(note))
        self.device_note.setVisible(bool(note))
        self.changed.emit()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data set folder", self.data_path.text() or str(Path.home()))
        if path:
            self.data_path.setText(path)

    def set_enabled_for_run(self, enabled: bool) -> None:
        for w in self.findChildren(QWidget):
            if isinstance(w, (QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit, QCheckBox, QToolButton, QPushButton)):
                w.setEnabled(enabled)
        if enabled:
            self._on_change()
