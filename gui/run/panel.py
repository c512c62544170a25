"""The Run tab: options and the memory estimate on the left; progress, the summary card and the live
charts on the right. Layout and wiring only; the work is in controller, options, charts, summary_card.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.format import MISSING
from engine.net import run_algo_problem
from engine.results import NetworkSummary, RunResult
from engine.run import MemoryEstimate, RunStarted, StepMetrics, estimate_html, estimate_memory, oom_suggestion
from gui import plain_text
from gui.profile.launcher import ProfileLauncher
from gui.run.chart_specs import ChartContext
from gui.run.charts import ChartGrid
from gui.run.controller import RunController
from gui.run.devices import InventoryLoader
from gui.run.live_data import LiveRun
from gui.run.options import RunOptions
from gui.run.parallel_summary import devices_text
from gui.run.remembered import save_run_options
from gui.run.summary_card import SummaryCard

STYLE = """
QWidget#RunSide { background: #FFFFFF; }
QWidget#RunLeft { background: #FFFFFF; border-right: 1px solid #E2E8F0; }
QScrollArea#RunSideScroll { border: none; background: #FFFFFF; }
QScrollArea#RunPageScroll, QWidget#RunPage { background: transparent; }
QLabel#PanelTitle { font-size: 13pt; font-weight: 600; color: #0F172A; }
QLabel#Section { color: #64748B; font-size: 8pt; font-weight: 700; padding-top: 8px; }
QLabel#Estimate { color: #0F172A; background: #F8FAFC; border: 1px solid #E2E8F0; border-radius: 8px; padding: 8px; }
QLabel#Estimate[bad="true"] { background: #FEF2F2; border: 1px solid #FECACA; color: #991B1B; }
QLabel#Why { color: #B91C1C; }
QPushButton#Start { background: #2563EB; color: white; border: none; border-radius: 8px; padding: 8px 18px;
                    font-weight: 600; }
QPushButton#Start:disabled { background: #CBD5E1; color: #F8FAFC; }
QPushButton#Stop { background: #FFFFFF; color: #B91C1C; border: 1px solid #FECACA; border-radius: 8px;
                   padding: 8px 18px; font-weight: 600; }
QPushButton#Stop:disabled { color: #CBD5E1; border: 1px solid #E2E8F0; }
QLabel#Status { font-size: 11pt; font-weight: 600; color: #0F172A; }
QLabel#Clock { color: #475569; }
QProgressBar { border: none; background: #E2E8F0; border-radius: 4px; height: 8px; }
QProgressBar::chunk { background: #2563EB; border-radius: 4px; }
QFrame#ChartBar { background: transparent; }
"""
PHASES = {"idle-baseline": "Measuring idle power…", "warmup": "Warming up (not timed)…", "timed": "Running",
          "done": "Finishing…"}


def _label(text: str, name: str) -> QLabel:
    label = plain_text.plain(QLabel(text))  # names and messages shown here are the user's: never HTML
    label.setObjectName(name)
    return label


class RunPanel(QWidget):
    run_finished = Signal(object)  # RunResult (the history refreshes on it)
    explain_requested = Signal(object)  # RunResult: "Explain this run…" after a finished run

    def __init__(self, doc, db_path: str | None = None, controller: RunController | None = None,
                 load_inventory: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setStyleSheet(STYLE)
        self.controller = controller or RunController(db_path=db_path)
        self.controller.setParent(self)
        self.estimate: MemoryEstimate | None = None
        self._total_steps: int | None = None
        self._total_seconds: float | None = None
        self._progress_at = 0.0
        self._bound_run = False  # the charts show a run (live or finished), not the preview
        self._preview: tuple | None = None  # (device, mode, devices) the preview grid was made for

        self.options = RunOptions()
        self.estimate_label = _label("", "Estimate")
        self.estimate_label.setTextFormat(Qt.RichText)  # estimate_html: the app's own markup and numbers
        self.estimate_label.setWordWrap(True)
        self.why = _label("", "Why")
        self.why.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("Stop")
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button, 1)
        # Profile: a separate run under the profiler, with these settings (gui/profile/launcher.py).
        self.profiler = ProfileLauncher(doc, self.options.config, db_path=db_path)
        buttons.addWidget(self.profiler.button, 1)
        side = QWidget()
        side.setObjectName("RunSide")
        col = QVBoxLayout(side)
        col.setContentsMargins(14, 12, 14, 12)
        col.addWidget(_label("Run", "PanelTitle"))
        self.network_label = _label("", "CardMeta")
        self.network_label.setWordWrap(True)
        col.addWidget(self.network_label)
        col.addWidget(_label("SETTINGS", "Section"))
        col.addWidget(self.options)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("RunSideScroll")
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        # The estimate, Start/Stop and the reason Start is disabled stay in view below the settings,
        # which scroll on a short screen.
        foot = QWidget()
        foot.setObjectName("RunSide")
        fcol = QVBoxLayout(foot)
        fcol.setContentsMargins(14, 6, 14, 12)
        fcol.addWidget(_label("MEMORY ESTIMATE", "Section"))
        fcol.addWidget(self.estimate_label)
        fcol.addSpacing(4)
        fcol.addLayout(buttons)
        fcol.addWidget(self.why)
        fcol.addWidget(self.profiler)
        left = QWidget()
        left.setObjectName("RunLeft")
        left.setMinimumWidth(350)
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.setSpacing(0)
        lcol.addWidget(scroll, 1)
        lcol.addWidget(foot)

        self.status = _label("Ready", "Status")
        self.clock = _label("", "Clock")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.pause = QToolButton()
        self.pause.setText("Pause charts")
        self.pause.setCheckable(True)
        self.reset = QToolButton()
        self.reset.setText("Reset zoom")
        hint = _label("drag to pan · wheel to zoom · hover for values", "Clock")
        self.explain_button = QPushButton("Explain this run…")
        self.explain_button.setToolTip("Runs the levers that address what bounds this run, one at a time against "
                                       "it, and shows each one's effect (a waterfall)")
        self.explain_button.hide()  # until a run finished ok
        self._last_result: RunResult | None = None
        self.explain_button.clicked.connect(lambda: self.explain_requested.emit(self._last_result))
        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addStretch(1)
        top.addWidget(self.clock)
        top.addWidget(self.explain_button)
        bar = QHBoxLayout()
        bar.addWidget(hint)
        bar.addStretch(1)
        bar.addWidget(self.pause)
        bar.addWidget(self.reset)
        self.card = SummaryCard()
        self.card.hide()
        self.charts = ChartGrid()
        # The card and the charts scroll together: after a run the card pushes the charts down instead
        # of squeezing them (each row of charts keeps its minimum height).
        page = QWidget()
        page.setObjectName("RunPage")
        pcol = QVBoxLayout(page)
        pcol.setContentsMargins(0, 0, 0, 0)
        pcol.addWidget(self.card)
        pcol.addLayout(bar)
        pcol.addWidget(self.charts, 1)
        self.page_scroll = QScrollArea()
        self.page_scroll.setObjectName("RunPageScroll")
        self.page_scroll.setWidget(page)
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QScrollArea.NoFrame)
        self.page_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(12, 10, 12, 8)
        rcol.addLayout(top)
        rcol.addWidget(self.progress)
        rcol.addWidget(self.page_scroll, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        split.setCollapsible(1, False)
        split.setSizes([370, 1070])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.controller.stop)
        self.pause.toggled.connect(self.charts.set_paused)
        self.reset.clicked.connect(self.charts.reset_zoom)
        self.card.use_batch.connect(self.options.set_batch)
        self.options.changed.connect(self.refresh)
        doc.spec_changed.connect(self.refresh)
        c = self.controller
        c.state_changed.connect(self._state)
        c.started.connect(self._started)
        c.phase_changed.connect(lambda phase: self.status.setText(PHASES.get(phase, phase)))
        c.progress.connect(self._progress)
        c.finished.connect(self._finished)
        c.failed_to_start.connect(self._failed_to_start)
        self.profiler.active_changed.connect(self.refresh)
        self.inventory = InventoryLoader(self)
        self.inventory.loaded.connect(self.options.set_inventory)
        self._load_inventory = load_inventory  # on first show: the app starts fast, editor tests spawn nothing
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 -- Qt's name
        super().showEvent(event)
        if self._load_inventory:
            self._load_inventory = False
            self.inventory.start()

    # --- before a run -------------------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the run cannot start now, or None."""
        if self.controller.is_active:
            return "A run is in progress."
        if self.profiler.active:
            return "A profile is in progress."
        analysis = self.doc.analysis
        if not analysis.ok:
            n = len(analysis.problems)
            more = f" (and {n - 1} more)" if n > 1 else ""
            return f"Fix the network first: {analysis.problems[0]}{more}"
        if not analysis.layers:
            return "The network is empty: add layers in the editor."
        if (msg := self.options.dataset_problem()) is not None:
            return msg
        try:
            config = self.options.config()
        except ValueError as exc:
            return f"Settings: {exc}"
        # A pruning pattern with no kernel here (2:4 on the CPU), an algorithm that cannot compute a layer
        # (Winograd on a 5x5 kernel): said here, not by a run that starts and then refuses.
        if config.prune and (why := self.options.reasons.get(f"prune:{config.prune}")):
            return f"Pruning: {why}"
        return run_algo_problem(self.doc.current, config.conv_algo, config.precision)

    def refresh(self, *_args) -> None:
        spec = self.doc.current  # read only: no copy on every edit (editor's 50 ms budget)
        if self.options.input_shape != list(spec.input.shape):
            self.options.set_input_shape(list(spec.input.shape))  # re-enters refresh once, via changed
        analysis = self.doc.analysis
        name = plain_text.name(spec.name)
        self.network_label.setText(f"{name} · {analysis.total_params:,} parameters · "
                                   f"{analysis.total_flops / 1e6:,.1f} MFLOPs/sample" if analysis.ok else name)
        self._update_estimate()
        self._preview_charts()
        why = self.problem()
        self.start_button.setEnabled(why is None)
        self.profiler.set_blocked(why)
        self.start_button.setToolTip(plain_text.tooltip(why or "Start the run in a separate worker process"))
        self.why.setText("" if self.controller.is_active else plain_text.message(why or ""))

    def _preview_charts(self) -> None:
        """Before the first run the grid shows the charts the chosen device and mode can fill."""
        if self._bound_run:
            return
        devices = tuple(self.options.value("devices") or ()) if "devices" in self.options.controls else ()
        preview = (self.options.current_device().key, str(self.options.value("mode") or "train"), devices)
        if preview != self._preview:
            self._preview = preview
            self.charts.set_context(ChartContext.for_device(preview[0], preview[1], devices=devices))

    def _update_estimate(self) -> None:
        analysis = self.doc.analysis
        if not analysis.ok or not analysis.layers:
            self.estimate = None
            self.estimate_label.setText("No estimate: the network has errors." if not analysis.ok else MISSING)
            self._set_bad(False)
            return
        try:
            config = self.options.config()
        except ValueError:  # the reason shows under Start; no estimate for settings that cannot run
            self.estimate = None
            self.estimate_label.setText("—")
            self._set_bad(False)
            return
        self.estimate = e = estimate_memory(analysis, list(self.doc.current.input.shape), config,
                                            self.options.current_device().mem_bytes, spec=self.doc.current)
        self.estimate_label.setText(estimate_html(e, config.batch, config.precision))
        self._set_bad(e.fits is False)

    def _set_bad(self, bad: bool) -> None:
        self.estimate_label.setProperty("bad", "true" if bad else "false")
        self.estimate_label.style().unpolish(self.estimate_label)
        self.estimate_label.style().polish(self.estimate_label)

    # --- a run --------------------------------------------------------------------------------
    def start(self) -> bool:
        why = self.problem()
        if why is not None:
            self.why.setText(plain_text.message(why))
            return False
        config = self.options.config()
        save_run_options(self.options)  # the next launch starts from these settings
        spec = self.doc.spec
        analysis = self.doc.analysis
        network = NetworkSummary(name=spec.name, params=analysis.total_params, flops_per_sample=analysis.total_flops)
        self.card.hide()
        self.explain_button.hide()
        self._total_steps, self._total_seconds = config.steps, config.seconds
        self.controller.start(spec.to_json(), config, network)
        self._bound_run = True
        self.charts.bind(self.controller.live, ChartContext.from_config(config))
        self.doc.set_read_only(True)
        self.progress.setValue(0)
        self.status.setText("Starting the worker process…")
        self.clock.setText("")
        self.refresh()
        return True

    def _state(self, state: str) -> None:
        active = state != "idle"
        self.stop_button.setEnabled(state in ("starting", "running"))
        self.options.set_enabled_for_run(not active)
        if state == "stopping":
            self.status.setText("Stopping…")
        self.refresh()

    def _started(self, event: RunStarted) -> None:
        ctx = self.charts.context
        ctx.availability = event.availability
        self._total_steps, self._total_seconds = event.total_steps, event.total_seconds
        self.charts.set_context(ctx)
        self.status.setText(plain_text.name(f"{event.network_name} on {event.device_name}", 2 * plain_text.NAME_CHARS_MAX))

    def _progress(self, m: StepMetrics) -> None:
        now = time.monotonic()
        if m.t_s < 0 or now - self._progress_at < 0.25:  # 4 Hz is plenty for a clock; repaints cost
            return
        self._progress_at = now
        if self._total_steps:
            frac = m.step / self._total_steps
        elif self._total_seconds:
            frac = m.t_s / self._total_seconds
        else:
            frac = 0.0
        self.progress.setValue(int(1000 * min(1.0, max(0.0, frac))))
        remaining = f" · {m.remaining_s:.0f} s left" if m.remaining_s is not None else ""
        self.clock.setText(f"step {m.step:,} · {m.throughput_sps:,.0f} samples/s · {m.elapsed_s:.1f} s elapsed{remaining}")
        ctx = self.charts.context
        ctx.elapsed_s = m.t_s
        if self.controller.state == "running" and self.controller.phase in ("timed", ""):
            self.status.setText("Running")

    def _finished(self, result: RunResult) -> None:
        self.doc.set_read_only(False)
        ctx = self.charts.context
        ctx.finished = True
        ctx.notes = dict(result.unavailable)
        self.charts.stop_updates()
        suggested, note = self._oom_suggestion(result)
        self.card.show_result(result, suggested, note)
        self.card.show()
        words = {"ok": "Finished", "cancelled": "Stopped (kept as cancelled)", "oom": "Out of memory",
                 "failed": "Failed"}
        self.status.setText(plain_text.name(words.get(result.status, result.status)))
        if result.status == "ok":
            self.progress.setValue(1000)
        timed = f" in {result.measured_s:.1f} s timed" if result.measured_s else ""
        self.clock.setText(f"{result.steps:,} steps · {result.samples:,} samples{timed}")
        self._last_result = result
        self.explain_button.setVisible(result.status == "ok")
        self.refresh()
        self.run_finished.emit(result)

    def show_stored(self, result: RunResult) -> None:
        """Show a stored run as if it had just finished here: its charts (one trace per GPU of a
        several-GPU job) and its summary card (screenshots, a result opened from a file)."""
        self._bound_run = True
        self.charts.bind(LiveRun.from_series(result.series), ChartContext.from_result(result), live_updates=False)
        self.status.setText(plain_text.name(f"{result.network.name} on "
                                            f"{devices_text(result) or result.hardware.device_name or result.config.device}",
                                            2 * plain_text.NAME_CHARS_MAX))
        self._finished(result)

    def _oom_suggestion(self, result: RunResult) -> tuple[int | None, str]:
        if result.status != "oom" or self.estimate is None:
            return None, ""
        return oom_suggestion(self.estimate, result.config.batch)

    def _failed_to_start(self, message: str) -> None:
        self.doc.set_read_only(False)
        self.charts.stop_updates()
        self.status.setText("Could not start")
        self.why.setText(plain_text.message(message))
        self.refresh()
        self.why.setText(plain_text.message(message))

    def shutdown(self) -> None:
        """Stop a running worker (and the inventory process) before the window closes."""
        self.inventory.stop()
        self.profiler.shutdown()
        if self.controller.is_active:
            self.controller.shutdown()
            self.doc.set_read_only(False)

    def confirm_close(self) -> bool:
        if not (self.controller.is_active or self.profiler.active):
            return True
        answer = QMessageBox.question(self, "A run is in progress", "Stop the run and close?")
        return answer == QMessageBox.Yes

