"""The Run tab's Profile button: a separate, slower run of the editor's network under the profiler,
with the Run tab's options, as a ProfileJob (engine.jobs) in a child process. It shows the job's
progress, can be cancelled, and says in one line why a profile failed or was refused. When it ends
`finished(profile, network)` carries the ProfileResult and the spec that was profiled."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine.jobs import JobFailed, JobProgress
from engine.net import NetworkSpec
from engine.profile import ProfileResult
from engine.run import RunConfig, RunStarted, StepMetrics
from gui import plain_text
from gui.job_runner import JobRunner
from gui.profile import TOOLTIP

STYLE = """
QPushButton#Profile { background: #FFFFFF; color: #1D4ED8; border: 1px solid #BFDBFE; border-radius: 8px;
                      padding: 8px 14px; font-weight: 600; }
QPushButton#Profile:disabled { color: #CBD5E1; border: 1px solid #E2E8F0; }
QLabel#ProfileStatus { color: #475569; }
QLabel#ProfileError { color: #B91C1C; }
"""
JobFactory = Callable[[str, RunConfig, "str | None"], Any]


def profile_job(spec_json: str, config: RunConfig, db_path: str | None) -> Any:
    from engine.jobs import ProfileJob
    return ProfileJob(spec_json=spec_json, config=config, db_path=db_path)


def failure_line(failure: JobFailed) -> str:
    """One line for a person: a refusal names what is wrong; a crash says so with its exit code."""
    if failure.kind == "cancelled":
        return "Profile stopped: nothing was stored."
    if failure.refused:
        return f"Cannot profile: {failure.message}"
    if failure.error_type == "ProcessExit":
        return f"The profile crashed (exit code {failure.exit_code}): nothing was stored."
    return f"The profile failed: {failure.message}"


class ProfileLauncher(QWidget):
    """The Profile and Cancel buttons (for the Run panel's button row) and the status lines below."""
    finished = Signal(object, object)  # ProfileResult, NetworkSpec (what was profiled)
    active_changed = Signal(bool)

    def __init__(self, doc, config: Callable[[], RunConfig], db_path: str | None = None,
                 job_factory: JobFactory = profile_job, runner: JobRunner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.doc, self._config, self.db_path, self.job_factory = doc, config, db_path, job_factory
        self.runner = runner or JobRunner(self, terminate_after_s=3.0, kill_after_s=1.0)
        self.runner.setParent(self)
        self.network: NetworkSpec | None = None
        self.profile: ProfileResult | None = None
        self.button = QPushButton("Profile")
        self.button.setObjectName("Profile")
        self.button.setStyleSheet(STYLE)
        self.button.setToolTip(TOOLTIP)
        self.cancel_button = QPushButton("Cancel profile")
        self.cancel_button.setToolTip("Stop the profile run (nothing is stored)")
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress.hide()
        self.status = plain_text.plain(QLabel())
        self.status.setObjectName("ProfileStatus")
        self.status.setWordWrap(True)
        self.error = plain_text.plain(QLabel())
        self.error.setObjectName("ProfileError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        for w in (self.status, self.error):
            w.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(3)
        col.addLayout(row)
        col.addWidget(self.status)
        col.addWidget(self.error)
        self.button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.runner.progress.connect(self._progress)
        self.runner.event.connect(self._run_event)
        self._run: RunStarted | None = None
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)

    @property
    def active(self) -> bool:
        return self.runner.busy

    def set_blocked(self, why: str | None) -> None:
        """Why a profile cannot start now (the Run tab's reason: a run in progress, a broken network)."""
        if not self.active:
            self.button.setEnabled(why is None)
            self.button.setToolTip(TOOLTIP if why is None else plain_text.tooltip(f"Cannot profile: {why}"))

    def start(self) -> bool:
        if self.active or not self.button.isEnabled():
            return False
        try:
            config = self._config()
        except ValueError as exc:
            self._show_error(f"Cannot profile: settings: {exc}")
            return False
        self.network, self._run = self.doc.spec, None
        self.error.hide()
        try:
            self.runner.start(self.job_factory(self.network.to_json(), config, self.db_path))
        except Exception as exc:  # noqa: BLE001 -- the child could not even start: say so, keep the app
            self._show_error(f"Cannot profile: {exc}")
            return False
        self.doc.set_read_only(True)  # the profile must be of the network the canvas shows
        self._set_active(True, "Starting the profile run (a separate, slower run under the profiler)…")
        self.progress.setValue(0)
        return True

    def cancel(self) -> None:
        if self.active:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Stopping the profile…")

    def shutdown(self) -> None:
        """Stop a profile before the window closes (blocking, briefly)."""
        if self.active:
            self.runner.stop_now()
            self._set_active(False, "")

    def _progress(self, msg: JobProgress) -> None:
        if msg.fraction is None:
            self.progress.setRange(0, 0)  # busy: the job cannot tell how far it is
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(1.0, max(0.0, msg.fraction))))
        self.status.setText(plain_text.message(f"Profiling: {msg.message}"))

    def _run_event(self, event: object) -> None:
        """The unprofiled run that comes first (it gives the step time to explain): its steps move the bar."""
        if isinstance(event, RunStarted):
            self._run = event
            self.status.setText(plain_text.message(
                f"Unprofiled run on {event.device_name}: the step time the profile explains…"))
        elif isinstance(event, StepMetrics) and self._run is not None and event.t_s >= 0:
            total_steps, total_s = self._run.total_steps, self._run.total_seconds
            fraction = event.step / total_steps if total_steps else event.t_s / total_s if total_s else None
            if fraction is not None:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(1000 * min(1.0, max(0.0, fraction))))

    def _finished(self, result: object) -> None:
        self._set_active(False, "")
        profile = ProfileResult.model_validate_json(result) if isinstance(result, str | bytes) else result
        if not isinstance(profile, ProfileResult):
            self._show_error(f"The profile failed: it returned {type(result).__name__}, not a profile")
            return
        self.profile = profile
        self.status.setText(plain_text.message(f"Profiled: {profile.verdict} (stored with run {profile.run_id})"))
        self.status.show()
        self.finished.emit(profile, self.network)

    def _failed(self, failure: JobFailed) -> None:
        self._set_active(False, "")
        self._show_error(failure_line(failure))

    def _show_error(self, text: str) -> None:
        self.error.setText(plain_text.message(text))
        self.error.show()
        self.status.hide()

    def _set_active(self, on: bool, status: str) -> None:
        self.cancel_button.setVisible(on)
        self.cancel_button.setEnabled(on)
        self.progress.setVisible(on)
        self.progress.setRange(0, 1000)
        self.status.setText(status)
        self.status.setVisible(bool(status))
        self.button.setEnabled(not on)
        if not on:
            self.doc.set_read_only(False)
        self.active_changed.emit(on)
