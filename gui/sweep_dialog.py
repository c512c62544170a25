"""The sweep dialog: define a grid, see how many runs and roughly how long, run it with live progress
and ETA, cancel it. The sweep runs in a child process (`main.py sweep … --progress-jsonl`), so the
GUI never loads torch; when it ends, `sweep_finished(folder, run_ids)` hands the runs to Compare."""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.sweep import BadSweep, Grid, format_duration, plan

MAIN_PY = Path(__file__).resolve().parents[1] / "main.py"
PRECISION_CHOICES = ("fp32", "tf32", "fp16", "bf16")
COMPILE_CHOICES = (("none", None), ("default", "default"), ("reduce-overhead", "reduce-overhead"))
KILL_AFTER_MS = 20_000  # the sweep stops its current run on SIGTERM; kill only if it hangs


def _checks(options, checked) -> tuple[QWidget, list[QCheckBox]]:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    boxes = []
    for label, value in options:
        cb = QCheckBox(label)
        cb.setProperty("value", value)
        cb.setChecked(value in checked)
        row.addWidget(cb)
        boxes.append(cb)
    row.addStretch(1)
    return box, boxes


class SweepDialog(QDialog):
    sweep_finished = Signal(str, list)  # sweep folder, run ids of the runs it holds

    def __init__(self, network: str, db_path: str | None = None, sweeps_dir: str | Path | None = None,
                 parent=None, display_name: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sweep")
        self.setMinimumWidth(640)
        self.network, self.db_path = network, db_path
        self.display_name = display_name or network
        self.sweeps_dir = Path(sweeps_dir) if sweeps_dir else None
        self.folder: Path | None = None
        self.process: QProcess | None = None
        self._buffer = b""
        self._stderr = b""
        self.last_progress: dict | None = None
        self._build()
        self._update_plan()

    # ---- form -----------------------------------------------------------------------------
    def _build(self) -> None:
        form = QFormLayout()
        net = QLabel(self.display_name)
        net.setToolTip(self.network)
        net.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow("Network", net)
        self.devices_box, self.device_checks = _checks([("CPU", "cpu")], {"cpu"})
        form.addRow("Devices", self.devices_box)
        box, self.precision_checks = _checks([(p, p) for p in PRECISION_CHOICES], {"fp32"})
        form.addRow("Precisions", box)
        self.batches = QLineEdit("32,256,1024")
        self.batches.setPlaceholderText("comma list, e.g. 32,256,1024")
        form.addRow("Batch sizes", self.batches)
        box, self.mode_checks = _checks([("train", "train"), ("infer", "infer")], {"train"})
        form.addRow("Modes", box)
        box, self.cl_checks = _checks([("contiguous", False), ("channels-last", True)], {False})
        form.addRow("Memory format", box)
        box, self.compile_checks = _checks(COMPILE_CHOICES, {None})
        form.addRow("torch.compile", box)
        length = QWidget()
        lrow = QHBoxLayout(length)
        lrow.setContentsMargins(0, 0, 0, 0)
        self.length_value = QDoubleSpinBox(decimals=0, minimum=1, maximum=100_000, value=5)
        self.length_unit = QComboBox()
        self.length_unit.addItems(["seconds", "steps"])
        lrow.addWidget(self.length_value)
        lrow.addWidget(self.length_unit)
        lrow.addStretch(1)
        form.addRow("Length per run", length)
        self.cooldown = QDoubleSpinBox(decimals=0, minimum=0, maximum=600, value=5, suffix=" s")
        self.cooldown.setToolTip("Rest between runs, so the heat of one run does not bias the next")
        self.cooldown.setMaximumWidth(120)
        self.length_value.setMaximumWidth(120)
        form.addRow("Cool-down", self.cooldown)

        self.plan_label = QLabel()
        self.plan_label.setObjectName("Stats")
        self.plan_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.log = QListWidget()
        self.log.setMinimumHeight(140)
        self.log.hide()
        self.start_button = QPushButton("Start sweep")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel sweep")
        self.cancel_button.hide()
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        self.form_box = QWidget()
        self.form_box.setLayout(form)
        layout.addWidget(self.form_box)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.log, 1)
        layout.addLayout(buttons)

        for cb in self._all_checks():
            cb.toggled.connect(self._update_plan)
        self.batches.textChanged.connect(self._update_plan)
        for w in (self.length_value, self.cooldown):
            w.valueChanged.connect(self._update_plan)
        self.length_unit.currentIndexChanged.connect(self._update_plan)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

    def _all_checks(self) -> list[QCheckBox]:
        return self.device_checks + self.precision_checks + self.mode_checks + self.cl_checks + self.compile_checks

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Offer these (key, label) devices, e.g. from gui.run.devices' inventory; CPU stays checked."""
        row = self.devices_box.layout()
        for cb in self.device_checks:
            row.removeWidget(cb)
            cb.deleteLater()
        self.device_checks = []
        for i, (key, label) in enumerate(devices):
            cb = QCheckBox(label)
            cb.setProperty("value", key)
            cb.setChecked(key == "cpu")
            cb.toggled.connect(self._update_plan)
            row.insertWidget(i, cb)
            self.device_checks.append(cb)
        self._update_plan()

    @staticmethod
    def _chosen(boxes: list[QCheckBox]) -> list:
        return [cb.property("value") for cb in boxes if cb.isChecked()]

    def grid(self) -> Grid:
        """The grid the form describes; raises ValueError with a message for the user."""
        try:
            batches = [int(b) for b in self.batches.text().replace(" ", "").split(",") if b]
        except ValueError:
            raise ValueError("Batch sizes: give whole numbers separated by commas, e.g. 32,256,1024") from None
        names = {"devices": "Devices", "precisions": "Precisions", "batches": "Batch sizes", "modes": "Modes",
                 "channels_last": "Memory format", "compile_modes": "torch.compile"}
        length = self.length_value.value()
        by_seconds = self.length_unit.currentText() == "seconds"
        try:
            grid = Grid(network=self.network, devices=self._chosen(self.device_checks),
                        precisions=self._chosen(self.precision_checks), batches=batches,
                        modes=self._chosen(self.mode_checks), channels_last=self._chosen(self.cl_checks),
                        compile_modes=self._chosen(self.compile_checks), seconds=length if by_seconds else None,
                        steps=None if by_seconds else int(length), cooldown_s=self.cooldown.value())
            grid.configs()
        except ValidationError as exc:
            err = exc.errors()[0]
            field = names.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "Grid"
            msg = "choose at least one" if err["type"] == "too_short" else err["msg"]
            raise ValueError(f"{field}: {msg}") from None
        except BadSweep as exc:
            raise ValueError(str(exc)) from None
        return grid

    def _update_plan(self, *_args) -> None:
        if self.process is not None:
            return
        try:
            p = plan(self.grid())
        except ValueError as exc:
            self.plan_label.setText(f"<span style='color:#B91C1C'>{exc}</span>")
            self.start_button.setEnabled(False)
            return
        self.plan_label.setText(f"<b>{p.runs} run{'s' if p.runs != 1 else ''}</b>, roughly "
                                f"<b>{format_duration(p.total_s)}</b> — one at a time, each in a fresh worker, "
                                f"{self.cooldown.value():g} s cool-down between runs.")
        self.start_button.setEnabled(True)

    # ---- running --------------------------------------------------------------------------
    def command(self, folder: Path) -> list[str]:
        g = self.grid()
        args = [str(MAIN_PY), "sweep", g.network, "--devices", ",".join(g.devices),
                "--precisions", ",".join(g.precisions), "--batches", ",".join(map(str, g.batches)),
                "--modes", ",".join(g.modes), "--channels-last-options", ",".join("on" if c else "off" for c in g.channels_last),
                "--compile-options", ",".join(c or "none" for c in g.compile_modes),
                "--cooldown", f"{g.cooldown_s:g}", "--out", str(folder), "--progress-jsonl"]
        args += ["--seconds", f"{g.seconds:g}"] if g.seconds else ["--steps", str(g.steps)]
        if self.db_path:
            args += ["--db", str(self.db_path)]
        return args

    def _new_folder(self) -> Path:
        if self.sweeps_dir is None:
            from engine.paths import data_dir
            self.sweeps_dir = data_dir() / "sweeps"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return self.sweeps_dir / f"{stamp}-{Path(self.network).stem}"

    def start(self) -> None:
        try:
            self.folder = self._new_folder()
            args = self.command(self.folder)
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.process = QProcess(self)
        self.process.setWorkingDirectory(str(MAIN_PY.parent))
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.form_box.setEnabled(False)
        self.start_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.log.show()
        self.progress.setRange(0, 0)
        self.status.setText("Starting the sweep…")
        self.process.start(sys.executable, args)

    def _read_stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self.handle_line(line.decode("utf-8", "replace"))

    def _read_stderr(self) -> None:
        self._stderr += bytes(self.process.readAllStandardError())

    def handle_line(self, line: str) -> None:
        """One progress JSON line from `main.py sweep --progress-jsonl`."""
        try:
            p = json.loads(line)
        except json.JSONDecodeError:
            return
        self.last_progress = p
        total, done = p.get("total", 0), p.get("done", 0)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total} runs")
        eta = f" · about {format_duration(p['eta_s'])} left" if p.get("eta_s") is not None else ""
        event = p.get("event")
        if event in ("run_started", "tick"):
            self.status.setText(f"Running {p.get('index', 0) + 1} of {total}: {p.get('label')}{eta}")
        elif event == "cooldown":
            self.status.setText(f"Cooling down between runs{eta}")
        elif event == "run_finished":
            tp = f" — {p['throughput_sps']:,.0f} samples/s" if p.get("throughput_sps") else ""
            why = f" — {p['reason']}" if p.get("reason") and p.get("status") != "ok" else ""
            self.log.addItem(f"{p.get('status', '?'):>9}  {p.get('label')}{tp}{why}")
            self.log.scrollToBottom()
        elif event == "run_skipped":
            self.log.addItem(f"  skipped  {p.get('label')} — {p.get('reason')}")
        elif event in ("done", "cancelled"):
            self.status.setText("Sweep cancelled; the finished runs are kept." if event == "cancelled"
                                else "Sweep done.")

    def cancel(self) -> None:
        if self.process is None or self.process.state() == QProcess.NotRunning:
            return
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling: stopping the current run…")
        self.process.terminate()  # SIGTERM: the sweep stops its run cleanly and saves its state
        QTimer.singleShot(KILL_AFTER_MS, self._kill_if_running)

    def _kill_if_running(self) -> None:
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            self.process.kill()

    def _finished(self, code: int, _status) -> None:
        self._read_stdout()
        self.cancel_button.hide()
        self.close_button.setText("Close")
        err = self._stderr.decode("utf-8", "replace").strip()
        if code == 2 and err:
            self.status.setText(f"<span style='color:#B91C1C'>{err.splitlines()[-1]}</span>")
        run_ids = self._run_ids()
        if run_ids:
            self.status.setText(self.status.text() + f" {len(run_ids)} runs go to the Compare tab.")
            self.sweep_finished.emit(str(self.folder), run_ids)
        self.process = None

    def _run_ids(self) -> list[str]:
        from engine.sweep import load_state
        if self.folder is None:
            return []
        try:
            return load_state(self.folder).run_ids()
        except BadSweep:
            return []

    def closeEvent(self, event) -> None:
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            self.cancel()
            self.process.waitForFinished(KILL_AFTER_MS)
        super().closeEvent(event)


def network_argument(doc) -> str:
    """What `main.py sweep` gets as NET for the editor's document: its file when saved and unchanged,
    else a snapshot of the current spec in the data folder (the sweep runs exactly what is on screen)."""
    if doc.path is not None and not doc.dirty:
        return str(doc.path)
    from engine.paths import data_dir
    spec = doc.spec
    folder = data_dir() / "sweeps" / "specs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{spec.name or 'network'}-{stamp}.json"
    path.write_text(spec.to_json(), encoding="utf-8")
    return str(path)


def open_sweep_dialog(parent, doc, compare_view, show_compare=lambda: None, db_path=None) -> SweepDialog:
    """The Sweep menu's action: a dialog on the document's network whose results land in compare_view."""
    saved = doc.path is not None and not doc.dirty
    name = f"{doc.spec.name} ({doc.path.name})" if saved else f"{doc.spec.name} (as shown in the editor)"
    dialog = SweepDialog(network_argument(doc), db_path=db_path, parent=parent, display_name=name)
    dialog.setAttribute(Qt.WA_DeleteOnClose)

    def finished(folder: str, _run_ids: list) -> None:
        compare_view.show_sweep(folder)
        show_compare()
    dialog.sweep_finished.connect(finished)
    try:
        from gui.run.devices import InventoryLoader
        loader = InventoryLoader(dialog)
        loader.loaded.connect(lambda inv: dialog.set_devices([(d.key, d.label) for d in inv.devices]))
        loader.start()
    except ImportError:  # the run panel's inventory is optional here: CPU alone still sweeps
        pass
    dialog.show()
    return dialog
