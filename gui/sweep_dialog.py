"""The sweep dialog: define a grid, see how many runs and roughly how long, run it with live progress
and ETA, cancel it. The sweep runs in a child process (`main.py sweep … --progress-jsonl`), so the
GUI never loads torch; when it ends, `sweep_finished(folder, run_ids)` hands the runs to Compare."""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from engine.format import duration
from engine.sweep import BadSweep, plan
from gui.sweep_form import SweepForm

MAIN_PY = Path(__file__).resolve().parents[1] / "main.py"
KILL_AFTER_MS = 20_000  # the sweep stops its current run on SIGTERM; kill only if it hangs


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
        self.form = SweepForm(self.network, self.display_name)
        self.form_box = self.form
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
        layout.addWidget(self.form_box)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.log, 1)
        layout.addLayout(buttons)

        self.form.changed.connect(self._update_plan)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        self.form.set_devices(devices)

    def _update_plan(self, *_args) -> None:
        if self.process is not None:
            return
        try:
            p = plan(self.form.grid())
        except ValueError as exc:
            self.plan_label.setText(f"<span style='color:#B91C1C'>{exc}</span>")
            self.start_button.setEnabled(False)
            return
        self.plan_label.setText(f"<b>{p.runs} run{'s' if p.runs != 1 else ''}</b>, roughly "
                                f"<b>{duration(p.total_s)}</b> — one at a time, each in a fresh worker, "
                                f"{self.form.cooldown.value():g} s cool-down between runs.")
        self.start_button.setEnabled(True)

    # ---- running --------------------------------------------------------------------------
    def command(self, folder: Path) -> list[str]:
        g = self.form.grid()
        args = [str(MAIN_PY), "sweep", *g.to_argv(), "--out", str(folder), "--progress-jsonl"]
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
        self._buffer, self._stderr, self.last_progress = b"", b"", None
        self.log.clear()
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
        eta = f" · about {duration(p['eta_s'])} left" if p.get("eta_s") is not None else ""
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
        self.form_box.setEnabled(True)  # change the grid and go again (a new sweep folder)
        self.start_button.show()
        err = self._stderr.decode("utf-8", "replace").strip()
        if code == 2 and err:
            self.status.setText(f"<span style='color:#B91C1C'>{err.splitlines()[-1]}</span>")
        run_ids = self._run_ids()
        if run_ids:
            self.status.setText(self.status.text() + f" {len(run_ids)} runs go to the Compare tab.")
            self.sweep_finished.emit(str(self.folder), run_ids)
        self.process = None
        self._stderr = b""
        self.start_button.setText("Start another sweep" if run_ids else "Start sweep")
        self._update_plan()

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
        # Closed before the inventory is in: end the child now, not in ~QProcess ("destroyed while running").
        dialog.finished.connect(loader.stop)
        loader.start()
    except ImportError:  # the run panel's inventory is optional here: CPU alone still sweeps
        pass
    dialog.show()
    return dialog
