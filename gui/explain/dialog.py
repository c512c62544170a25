"""Explain this run: pick what bounds the run (or let a profile run find it), see the levers the
advisor proposes for that bound (and those this device or mode cannot take, with why), run the
baseline and each lever alone as a job (engine.jobs.ExplainJob: a child process that starts one run
job per configuration) with progress and cancel, then see the waterfall. The runs land in the run
history as one sweep; `explain_finished(result)` lets the History tab refresh."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import engine.profile as profile
from engine.errors import TradeoffError
from engine.jobs import ExplainJob, JobFailed
from engine.run import RunConfig, Target
from engine.sweep import SweepProgress
from gui import plain_text
from gui.explain.waterfall_view import WaterfallView
from gui.job_runner import JobRunner

TERMINATE_AFTER_S = 20.0  # a cancelled explain stops its current run (kept as cancelled) first
FROM_PROFILE = "profile"
VERDICT_TIPS = {
    "launch": "Launch-bound: the device waits for the host to start each small kernel (small batches, small layers)",
    "memory": "Memory-bound: layers move more bytes than they compute on (BatchNorm, activations, pooling)",
    "compute": "Compute-bound: the arithmetic units are the limit (large convolutions and matrix products)",
    "host": "Data/host-bound: the step waits for data (reading, decoding, copying to the device)",
}


def has_profiler() -> bool:
    """Whether this version can find the bound with a profile run (looked up, not imported: it needs torch)."""
    import importlib.util
    return importlib.util.find_spec("engine.profile.runner") is not None


def describe_config(c: RunConfig) -> str:
    return f"{c.device} {c.precision} {c.mode} batch {c.batch}" + (" channels-last" if c.channels_last else "") + \
        (f" compile {c.compile}" if c.compile else "") + f" · {c.dataset}"


class ExplainDialog(QDialog):
    explain_finished = Signal(object)  # ExplainResult

    def __init__(self, network: str, spec_json: str, baseline: RunConfig, db_path: str | None = None,
                 sweeps_dir: str | Path | None = None, parent: QWidget | None = None, display_name: str | None = None,
                 cooldown_s: float = 5.0, run_target: Callable[..., Any] | None = None,
                 verdict_source: Callable[..., Any] | None = None, profile_verdict: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Explain this run")
        self.setMinimumWidth(760)
        self.network, self.spec_json, self.baseline = network, spec_json, baseline
        self.db_path, self.cooldown_s = db_path, cooldown_s
        self.sweeps_dir = Path(sweeps_dir) if sweeps_dir else None
        self.run_target, self.verdict_source = run_target, verdict_source  # tests and demos stand in here
        self.folder: Path | None = None
        self.result = None
        self.input_shape = tuple(json.loads(spec_json).get("input", {}).get("shape") or ()) or None
        self.job = JobRunner(self, terminate_after_s=TERMINATE_AFTER_S)
        self.job.event.connect(self.handle_event)
        self.job.progress.connect(lambda p: p.message and self.status.setText(plain_text.message(p.message)))
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self._build(display_name or network)
        self._update_levers()
        self._use_profile(profile_verdict)

    # ---- form -----------------------------------------------------------------------------
    def _build(self, name: str) -> None:
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.addRow("Network", plain_text.plain(QLabel(plain_text.name(name))))
        form.addRow("Baseline", plain_text.plain(QLabel(plain_text.name(describe_config(self.baseline), 300))))
        self.verdict = QComboBox()
        if has_profiler():
            self.verdict.addItem("Find it with a profile run", FROM_PROFILE)
        for bound, words in profile.BOUND_WORDS.items():
            self.verdict.addItem(words, bound)
            self.verdict.setItemData(self.verdict.count() - 1, VERDICT_TIPS[bound], Qt.ToolTipRole)
        self.verdict.setToolTip("What limits the run's speed; the levers proposed are those that address it")
        form.addRow("What bounds it", self.verdict)
        self.levers = QListWidget()
        self.levers.setMinimumHeight(130)
        self.levers.setToolTip("Each lever runs alone against the baseline; untick one to leave it out")
        form.addRow("Levers", self.levers)
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 10)
        self.repeats.setValue(max(1, min(10, self.baseline.repeats)))
        self.repeats.setToolTip("Runs of each configuration, taking turns; more than one gives a 95 % interval")
        form.addRow("Repeats", self.repeats)
        self.combine = QCheckBox("Then run every lever that helped, together")
        self.combine.setChecked(True)
        self.combine.setToolTip("One more run with all the levers that raised the throughput, to see how they add up")
        form.addRow("", self.combine)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = plain_text.plain(QLabel())
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.log = QListWidget()
        self.log.setMaximumHeight(110)
        self.log.hide()
        self.waterfall = WaterfallView()
        self.waterfall.hide()
        self.start_button = QPushButton("Explain")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Runs the baseline, then each lever alone, each in a fresh worker process")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.cancel_button, self.close_button, self.start_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.log)
        layout.addWidget(self.waterfall, 1)
        layout.addLayout(buttons)
        self.verdict.currentIndexChanged.connect(self._update_levers)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

    def _use_profile(self, verdict: str | None) -> None:
        """A run profiled before: its verdict is chosen, and said to come from that profile."""
        if not verdict:
            return
        try:
            bound = profile.parse_verdict(verdict)
        except TradeoffError:
            return
        self.verdict.setCurrentIndex(self.verdict.findData(bound))
        self.status.setText(f"The run's stored profile calls it {profile.BOUND_WORDS[bound]}.")

    @property
    def running(self) -> bool:
        return self.job.busy

    def _advice(self):
        target = Target(device=self.baseline.device, input_shape=self.input_shape)
        return profile.advise(self.verdict.currentData(), self.baseline, target)

    def _update_levers(self, *_args) -> None:
        self.levers.clear()
        if self.verdict.currentData() == FROM_PROFILE:
            item = QListWidgetItem("The levers are chosen once the profile run has found the bound")
            item.setFlags(Qt.NoItemFlags)
            self.levers.addItem(item)
            self.start_button.setEnabled(True)
            return
        advice = self._advice()
        for lever in advice.levers:
            item = QListWidgetItem(plain_text.name(f"{lever.label(self.baseline)}  ·  {lever.tag}", 200))
            item.setData(Qt.UserRole, lever.key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked)
            item.setToolTip(plain_text.tooltip(f"{lever.why}\n{lever.tag}: {profile.TAGS[lever.tag]}"))
            self.levers.addItem(item)
        for s in advice.skipped:
            item = QListWidgetItem(plain_text.name(f"{s.key}: not here — {s.why}", 300))
            item.setFlags(Qt.NoItemFlags)  # shown, greyed: what was not tried, and why
            item.setToolTip(plain_text.tooltip(s.why))
            self.levers.addItem(item)
        self.start_button.setEnabled(bool(advice.levers))
        self.status.setText("" if advice.levers else "No lever for this bound can run on this device and mode.")

    def chosen_levers(self) -> tuple[str, ...] | None:
        if self.verdict.currentData() == FROM_PROFILE:
            return None
        items = [self.levers.item(i) for i in range(self.levers.count())]
        return tuple(i.data(Qt.UserRole) for i in items if i.data(Qt.UserRole) and i.checkState() == Qt.Checked)

    # ---- running --------------------------------------------------------------------------
    def _new_folder(self) -> Path:
        if self.sweeps_dir is None:
            from engine.paths import data_dir
            self.sweeps_dir = data_dir() / "sweeps"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return self.sweeps_dir / f"{stamp}-explain-{Path(self.network).stem}"

    def start(self) -> bool:
        if self.form_box.isHidden():  # "New explain…" after a waterfall: back to the form first
            self.form_box.show()
            self.waterfall.hide()
            self.start_button.setText("Explain")
            return False
        levers = self.chosen_levers()
        if levers is not None and not levers:
            self.status.setText("Tick at least one lever.")
            return False
        verdict = self.verdict.currentData()
        self.folder = self._new_folder()
        baseline = self.baseline.model_copy(update={"repeats": self.repeats.value()})
        job = ExplainJob(self.network, self.spec_json, baseline, str(self.folder),
                         verdict=None if verdict == FROM_PROFILE else verdict, levers=levers,
                         combine=self.combine.isChecked(), cooldown_s=self.cooldown_s, db_path=self.db_path,
                         verdict_source=self.verdict_source, run_target=self.run_target)
        self.result = None
        self.log.clear()
        self.log.show()
        self.waterfall.hide()
        self.form_box.setEnabled(False)
        self.start_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.progress.setRange(0, 0)
        self.status.setStyleSheet("")
        self.status.setText("Starting…")
        self.job.start(job)
        return True

    def handle_event(self, payload: Any) -> None:
        """The job's typed events: its plan, then the sweep's progress."""
        if isinstance(payload, profile.ExplainPlan):
            n = 1 + len(payload.advice.levers)
            self.log.addItem(plain_text.message(f"{payload.advice.bound_words}: the baseline and "
                                                f"{', '.join(lv.key for lv in payload.advice.levers)}"))
            self.progress.setRange(0, n * payload.repeats)
            return
        if not isinstance(payload, SweepProgress):
            return
        self.progress.setRange(0, max(1, payload.total))
        self.progress.setValue(payload.done)
        self.progress.setFormat(f"{payload.done} / {payload.total} runs")
        if payload.event in ("run_started", "tick"):
            self.status.setText(f"Running {(payload.index or 0) + 1} of {payload.total}: {plain_text.name(payload.label)}")
        elif payload.event == "cooldown":
            self.status.setText("Cooling down between runs")
        elif payload.event == "run_finished":
            tp = f" — {payload.throughput_sps:,.0f} samples/s" if payload.throughput_sps else ""
            why = f" — {payload.reason}" if payload.reason and payload.status != "ok" else ""
            self.log.addItem(plain_text.message(f"{payload.status or '?':>9}  {plain_text.name(payload.label)}{tp}{why}"))
            self.log.scrollToBottom()

    def cancel(self) -> None:
        if not self.running:
            return
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling: stopping the current run (it is kept as cancelled)…")
        self.job.cancel()

    def show_result(self, result) -> None:
        self.result = result
        self.waterfall.show_result(result)
        self.waterfall.show()
        self.log.hide()
        self.form_box.hide()  # the waterfall takes the room; "New explain…" brings the form back
        self.start_button.setText("New explain…")
        self.resize(max(self.width(), 980), max(self.height(), 760))

    def _finished(self, result) -> None:
        if isinstance(result, profile.ExplainResult):
            self.show_result(result)
            self.status.setText("Explain cancelled: the finished runs are shown and kept." if result.cancelled
                                else f"Done: {len(result.run_ids)} runs in the history (one sweep).")
            self.explain_finished.emit(result)
        self._ended()

    def _failed(self, failure: JobFailed) -> None:
        self.status.setText(plain_text.message(failure.message if failure.refused
                                               else f"The explain failed: {failure.message}"))
        self.status.setStyleSheet("color: #B91C1C")
        self._ended()

    def _ended(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.form_box.setEnabled(True)
        self.start_button.show()
        self.start_button.setText("New explain…" if self.form_box.isHidden() else "Explain")

    def closeEvent(self, event) -> None:
        if self.running:
            self.status.setText("Cancelling: stopping the current run…")
            self.job.stop_now(timeout_s=TERMINATE_AFTER_S)
        super().closeEvent(event)


def spec_snapshot(spec: dict, name: str) -> str:
    """The run's spec saved in the data folder, so the explain sweep names a file it can run again."""
    from engine.paths import data_dir
    folder = data_dir() / "sweeps" / "specs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{plain_text.file_name(name)}-{stamp}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return str(path)


def stored_verdict(run_id: str, db_path: str | None = None) -> str | None:
    """The verdict of the profile stored with this run, if it has one (a history without profiles,
    or a damaged one: None, and the user chooses)."""
    from engine.results import RunStore
    try:
        found = RunStore(db_path).get_profile(run_id)
    except (TradeoffError, ValueError, OSError):
        return None
    return str(found.verdict) if found is not None else None


def open_explain_dialog(parent: QWidget, result, db_path: str | None = None,
                        on_finished: Callable[[Any], None] = lambda r: None) -> ExplainDialog | None:
    """The Run tab's and History's "Explain this run…": a dialog on a finished run's network and
    configuration (the baseline runs again, beside the levers, so all are measured alike)."""
    spec = result.network.spec
    if not spec:
        plain_text.warning(parent, "Explain this run", "This run does not carry its network, so it cannot be run again.")
        return None
    try:
        network = spec_snapshot(spec, result.network.name)
    except (OSError, TradeoffError) as exc:
        plain_text.warning(parent, "Explain this run", f"Cannot save the network to run it again: {exc}")
        return None
    baseline = result.config.model_copy(update={"repeats": 1})
    dialog = ExplainDialog(network, json.dumps(spec), baseline, db_path=db_path, parent=parent,
                           display_name=f"{result.network.name} (run {result.run_id})",
                           profile_verdict=stored_verdict(result.run_id, db_path))
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.explain_finished.connect(on_finished)
    dialog.show()
    return dialog
