"""The Profile button on the Run tab (progress, cancel, a failed or refused profile as one line,
Start and Profile exclusive), History's profile marker and Open profile, and the window showing a
profile in the Profile tab and on the editor's canvas."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Signal

from engine.jobs import JobFailed, JobProgress
from engine.net import Problem, load_preset
from engine.results import RunStore
from engine.run import RunStarted, StepMetrics
from gui.run.replay import make_script
from tests.gui.profile_fixture import RefusedProfileJob, make_profile
from tests.gui.static_document import StaticDocument


class FakeRunner(QObject):
    """JobRunner's face without a process: the test sends the job's messages."""
    progress = Signal(object)
    event = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.jobs, self.cancelled = [], 0
        self.busy = False

    def start(self, job) -> None:
        self.jobs.append(job)
        self.busy = True

    def cancel(self) -> None:
        self.cancelled += 1

    def stop_now(self) -> None:
        self.busy = False

    def end(self, signal, payload) -> None:
        self.busy = False
        signal.emit(payload)


def _launcher(qtbot, runner=None, job_factory=None):
    from engine.run import RunConfig
    from gui.profile.launcher import ProfileLauncher
    doc = StaticDocument()
    kwargs = {"job_factory": job_factory} if job_factory else {"job_factory": lambda *a: a}
    launcher = ProfileLauncher(doc, lambda: RunConfig(batch=32, steps=5), runner=runner, **kwargs)
    qtbot.addWidget(launcher)
    launcher.show()
    return launcher, doc


def test_profile_runs_the_editors_network_with_the_run_options_shows_progress_and_hands_back_the_profile(qtbot):
    runner = FakeRunner()
    launcher, doc = _launcher(qtbot, runner)
    assert "not a benchmark" in launcher.button.toolTip() and "Ctrl+Shift+R" in launcher.button.toolTip()
    assert launcher.start()
    spec_json, config, _db = runner.jobs[0]
    assert config.batch == 32 and '"lenet"' in spec_json
    assert doc.read_only and launcher.cancel_button.isVisible() and not launcher.button.isEnabled()
    runner.progress.emit(JobProgress(None, "unprofiled run: the step time to explain"))
    assert launcher.progress.maximum() == 0  # busy until the run's steps say how far it is
    runner.event.emit(RunStarted("r1", "lenet", "NVIDIA H200", "{}", total_steps=10, total_seconds=None))
    assert "Unprofiled run on NVIDIA H200" in launcher.status.text()
    runner.event.emit(StepMetrics(t_s=0.5, step=4, samples=128, throughput_sps=256.0, step_time_p50_s=0.1,
                                  step_time_p99_s=0.1))
    assert launcher.progress.maximum() == 1000 and launcher.progress.value() == 400
    runner.progress.emit(JobProgress(None, "profiling 20 steps under torch.profiler"))
    assert "Profiling: profiling 20 steps" in launcher.status.text()
    profile = make_profile(load_preset("lenet"), mode="train")
    with qtbot.waitSignal(launcher.finished) as blocker:
        runner.end(runner.finished, profile)
    assert blocker.args[0] is profile and blocker.args[1].name == "lenet"
    assert not doc.read_only and not launcher.cancel_button.isVisible() and launcher.button.isEnabled()
    assert profile.verdict in launcher.status.text() and not launcher.error.isVisible()


@pytest.mark.parametrize(("failure", "line"), [
    (JobFailed("BadInput", "data set 'digits' not found", kind="bad_input"), "Cannot profile: data set 'digits'"),
    (JobFailed("ProcessExit", "the job process ended", kind="failed", exit_code=-9),
     "The profile crashed (exit code -9)"),
    (JobFailed("OutOfMemory", "CUDA out of memory at batch 4096", kind="oom"),
     "The profile failed: CUDA out of memory at batch 4096"),
    (JobFailed("Cancelled", "stopped", kind="cancelled"), "Profile stopped"),
])
def test_a_failed_profile_says_why_in_one_line_and_frees_the_network(qtbot, failure, line):
    runner = FakeRunner()
    launcher, doc = _launcher(qtbot, runner)
    launcher.start()
    if failure.kind == "cancelled":
        launcher.cancel()
        assert runner.cancelled == 1 and "Stopping" in launcher.status.text()
    runner.end(runner.failed, failure)
    assert launcher.error.isVisible() and launcher.error.text().startswith(line)
    assert "\n" not in launcher.error.text() and not doc.read_only and launcher.button.isEnabled()


def test_a_refusal_in_the_child_process_reaches_the_error_line(qtbot):
    launcher, doc = _launcher(qtbot, runner=None, job_factory=lambda *_a: RefusedProfileJob())
    assert launcher.start()
    qtbot.waitUntil(lambda: not launcher.active, timeout=60_000)
    assert launcher.error.text() == f"Cannot profile: {RefusedProfileJob.message}"
    assert not doc.read_only


def test_run_panel_profile_button_sits_beside_start_and_the_two_exclude_each_other(qtbot, tmp_path):
    from gui.run.panel import RunPanel
    panel = RunPanel(StaticDocument(), db_path=str(tmp_path / "runs.sqlite"), load_inventory=False)
    qtbot.addWidget(panel)
    runner = FakeRunner()
    panel.profiler.runner = runner
    runner.progress.connect(panel.profiler._progress)
    runner.event.connect(panel.profiler._run_event)
    runner.finished.connect(panel.profiler._finished)
    runner.failed.connect(panel.profiler._failed)
    panel.profiler.job_factory = lambda *a: a
    assert panel.profiler.button.parentWidget() is panel.start_button.parentWidget()
    assert panel.profiler.button.isEnabled()
    panel.profiler.start()
    assert not panel.start_button.isEnabled() and "profile is in progress" in panel.start_button.toolTip()
    runner.end(runner.failed, JobFailed("BadInput", "no such data set", kind="bad_input"))
    assert panel.start_button.isEnabled()
    panel.doc.set_problems([Problem("conv1", "kernel_size 9 is larger than the 5x5 input")])
    assert not panel.profiler.button.isEnabled() and "Cannot profile" in panel.profiler.button.toolTip()


@pytest.fixture
def profiled_store(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    spec = load_preset("lenet")
    plain, profiled = (make_script(kind="gpu", seconds=1.0, seed=i).result for i in range(2))
    profiled.network.spec = spec.model_dump(mode="json")
    store.add(plain)
    store.add(profiled)
    store.add_profile(make_profile(spec, run_id=profiled.run_id))
    return store, plain.run_id, profiled.run_id


def test_history_marks_the_profiled_run_and_opens_its_profile_with_its_network(qtbot, profiled_store):
    from gui.history.model import PROFILE_MARK
    from gui.history.panel import HistoryPanel
    store, plain, profiled = profiled_store
    panel = HistoryPanel(db_path=store.path)
    qtbot.addWidget(panel)
    names = {row.run_id: panel.model.index(i, 1).data() for i, row in enumerate(panel.model.rows)}
    assert names[profiled].startswith(PROFILE_MARK) and not names[plain].startswith(PROFILE_MARK)
    panel.select_ids([plain])
    assert not panel.profile_button.isEnabled() and "Profile button" in panel.profile_button.toolTip()
    panel.select_ids([profiled])
    assert panel.profile_button.isEnabled()
    with qtbot.waitSignal(panel.profile_opened) as blocker:
        panel.profile_button.click()
    profile, network = blocker.args
    assert profile.run_id == profiled and network.name == "lenet" and len(network.layers) == len(profile.layers)
    assert not panel.open_profile(plain) and "has no profile" in panel.error.text()


def test_window_shows_a_profile_from_history_in_the_profile_tab_and_on_a_matching_editor(window, profiled_store):
    store, _plain, profiled = profiled_store
    window.history.db_path = store.path
    window.history.refresh()
    assert window.history.open_profile(profiled)
    view = window.profile_view
    assert window.tabs.currentWidget() is view and view.profile.run_id == profiled
    assert view.scene.nodes["conv1"].mark is not None  # the run's own network, coloured
    overlay = window.profile_actions.editor_overlay
    assert overlay.active and window.editor.scene.nodes["conv1"].mark is not None  # the editor holds lenet too
    window.profile_actions.clear_action.trigger()
    assert not overlay.active and view.profile is None
    window.doc.load(load_preset("mlp"))
    assert window.history.open_profile(profiled)
    assert not overlay.active  # another network in the editor: its canvas is left alone
    window.history.db_path = None


def test_a_profile_from_the_run_tab_opens_the_profile_tab_and_colours_the_editor(window):
    from PySide6.QtGui import QKeySequence

    from gui.editor.help_menu import shortcut_rows
    panel = window.run_panel
    panel._load_inventory = False
    profile = make_profile(window.doc.current)
    panel.profiler.finished.emit(profile, window.doc.spec)
    assert window.tabs.currentWidget() is window.profile_view and window.profile_view.profile is profile
    nodes = window.editor.scene.nodes
    assert all(nodes[layer.id].mark.share == layer.share for layer in profile.layers)
    action = window.profile_actions.profile_action
    assert action.shortcut() == QKeySequence("Ctrl+Shift+R") and "not a benchmark" in action.toolTip()
    assert ("Ctrl+Shift+R", "Profile the network") in shortcut_rows(window)
    window.profile_actions.clear_all()
    assert not any(n.mark for n in nodes.values())


def test_open_in_the_editor_loads_the_profiled_network_coloured(window, profiled_store):
    store, _plain, profiled = profiled_store
    window.doc.load(load_preset("mlp"))
    window.history.db_path = store.path
    window.history.refresh()
    assert window.history.open_profile(profiled)
    view = window.profile_view
    assert view.edit_button.isEnabled()
    view.edit_button.click()
    assert window.tabs.currentWidget() is window.editor and window.doc.current.name == "lenet"
    assert window.profile_actions.editor_overlay.active
    assert window.editor.scene.nodes["conv1"].mark is not None
    window.profile_actions.clear_all()
    window.history.db_path = None
