"""The sweep dialog: define a grid, see how many runs and roughly how long, run it with live progress
and ETA, cancel it. The sweep runs as a job (engine.jobs.SweepJob, a child process that starts one
run job per configuration), so the GUI never loads torch; its typed progress events drive the view.
When it ends, `sweep_finished(folder, run_ids)` hands the runs to Compare."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
)

from engine.format import duration
from engine.jobs import JobFailed, SweepJob
from engine.sweep import SweepProgress, SweepState, absolute_paths, plan
from gui import plain_text
from gui.job_runner import JobRunner
from gui.sweep_form import SweepForm

# A cancelled sweep stops its current run, which stores itself as cancelled (up to ~10 s); the
# sweep's process is terminated only if that hangs.
TERMINATE_AFTER_S = 20.0
OPEN_HEIGHT_PX = 620


class SweepDialog(QDialog):
    sweep_finished = Signal(str, list)  # sweep folder, run ids of the runs it holds

    def __init__(self, network: str, db_path: str | None = None, sweeps_dir: str | Path | None = None,
                 parent=None, display_name: str | None = None, run_target: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sweep")
        self.setMinimumWidth(640)
        self.network, self.db_path = network, db_path
        self.display_name = display_name or network
        self.sweeps_dir = Path(sweeps_dir) if sweeps_dir else None
        self.folder: Path | None = None
        self.run_target = run_target  # stands in for the run worker in each run job (tests, demos)
        self.job = JobRunner(self, terminate_after_s=TERMINATE_AFTER_S)
        self.job.event.connect(self.handle_progress)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.last_progress: SweepProgress | None = None
        self._build()
        self.status.setTextFormat(Qt.PlainText)  # messages carry user-given names
        self._update_plan()
        # Open tall enough to show most axes, yet within a 1280x720 screen with its title bar and task bar.
        self.resize(self.sizeHint().width(), OPEN_HEIGHT_PX)

    # ---- form -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = SweepForm(self.network, self.display_name)
        # The axes scroll (over twenty rows would not fit a 720-pixel screen); never sideways: the
        # area is as wide as the form.
        self.form_box = QScrollArea()
        self.form_box.setWidget(self.form)
        self.form_box.setWidgetResizable(True)
        self.form_box.setFrameShape(QScrollArea.NoFrame)
        self.form_box.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.form_box.setMinimumWidth(self.form.sizeHint().width()
                                      + self.style().pixelMetric(QStyle.PM_ScrollBarExtent) + 4)
        self.plan_label = QLabel()
        self.plan_label.setTextFormat(Qt.RichText)  # composed here; every message in it is escaped
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
        layout.addWidget(self.form_box, 3)
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

    @property
    def running(self) -> bool:
        return self.job.busy

    def _update_plan(self, *_args) -> None:
        if self.running:
            return
        try:
            p = plan(self.form.grid())
        except ValueError as exc:
            self.plan_label.setText(f"<span style='color:#B91C1C'>{plain_text.escape_message(exc)}</span>")
            self.start_button.setEnabled(False)
            return
        self.plan_label.setText(f"<b>{p.runs} run{'s' if p.runs != 1 else ''}</b>, roughly "
                                f"<b>{duration(p.total_s)}</b> — one at a time, each in a fresh worker, "
                                f"{self.form.cooldown.value():g} s cool-down between runs.")
        self.start_button.setEnabled(True)

    # ---- running --------------------------------------------------------------------------
    def _new_folder(self) -> Path:
        if self.sweeps_dir is None:
            from engine.paths import data_dir
            self.sweeps_dir = data_dir() / "sweeps"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return self.sweeps_dir / f"{stamp}-{Path(self.network).stem}"

    def start(self) -> None:
        try:
            state = SweepState.new(absolute_paths(self.form.grid()), self.db_path)
        except ValueError as exc:
            self.status.setText(plain_text.message(exc))
            return
        self.folder = self._new_folder()
        self.last_progress = None
        self.status.setStyleSheet("")
        self.log.clear()
        self.form_box.setEnabled(False)
        self.start_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.log.show()
        self.progress.setRange(0, 0)
        self.status.setText("Starting the sweep…")
        self.job.start(SweepJob(state, str(self.folder), spec_json=None, run_target=self.run_target))

    def handle_progress(self, p: SweepProgress) -> None:
        """One typed progress event of the sweep job."""
        if not isinstance(p, SweepProgress):
            return
        self.last_progress = p
        self.progress.setRange(0, max(1, p.total))
        self.progress.setValue(p.done)
        self.progress.setFormat(f"{p.done} / {p.total} runs")
        eta = f" · about {duration(p.eta_s)} left" if p.eta_s is not None else ""
        if p.event in ("run_started", "tick"):
            self.status.setText(f"Running {(p.index or 0) + 1} of {p.total}: {plain_text.name(p.label)}{eta}")
        elif p.event == "cooldown":
            self.status.setText(f"Cooling down between runs{eta}")
        elif p.event == "run_finished":
            tp = f" — {p.throughput_sps:,.0f} samples/s" if p.throughput_sps else ""
            why = f" — {p.reason}" if p.reason and p.status != "ok" else ""
            self.log.addItem(plain_text.message(f"{p.status or '?':>9}  {plain_text.name(p.label)}{tp}{why}"))
            self.log.scrollToBottom()
        elif p.event == "run_skipped":
            self.log.addItem(plain_text.message(f"  skipped  {plain_text.name(p.label)} — {p.reason}"))
        elif p.event in ("done", "cancelled"):
            self.status.setText("Sweep cancelled; the finished runs are kept." if p.event == "cancelled"
                                else "Sweep done.")

    def cancel(self) -> None:
        if not self.running:
            return
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling: stopping the current run…")
        self.job.cancel()  # the sweep stops its run (kept as cancelled) and saves its state

    def _finished(self, state: SweepState) -> None:
        run_ids = state.run_ids() if isinstance(state, SweepState) else []
        if run_ids:
            self.status.setText(self.status.text() + f" {len(run_ids)} runs go to the Compare tab.")
            self.sweep_finished.emit(str(self.folder), run_ids)
        self._ended(bool(run_ids))

    def _failed(self, failure: JobFailed) -> None:
        self.status.setText(plain_text.message(failure.message if failure.refused
                                               else f"The sweep failed: {failure.message}"))
        self.status.setStyleSheet("color: #B91C1C")
        self._ended(False)

    def _ended(self, had_runs: bool) -> None:
        self.cancel_button.hide()
        self.form_box.setEnabled(True)  # change the grid and go again (a new sweep folder)
        self.start_button.show()
        self.start_button.setText("Start another sweep" if had_runs else "Start sweep")
        self._update_plan()

    def closeEvent(self, event) -> None:
        if self.running:
            self.status.setText("Cancelling: stopping the current run…")
            self.job.stop_now(timeout_s=TERMINATE_AFTER_S)
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
    from gui.run.devices import InventoryLoader
    loader = InventoryLoader(dialog)
    loader.loaded.connect(lambda inv: dialog.set_devices([(d.key, d.label) for d in inv.devices]))
    dialog.finished.connect(loader.stop)  # closed before the inventory is in: end its job now
    loader.start()
    dialog.show()
    return dialog
