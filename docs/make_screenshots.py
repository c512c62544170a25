"""Screenshots of every tab of the main window, offscreen, at the two smallest screens it must fit:
1280x720, and 1920x1080 at 150 % scaling (a 1280x720 logical window drawn at QT_SCALE_FACTOR=1.5).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py [--out docs/screenshots]

Writes TAB-1280x720.png and TAB-1920x1080-150pct.png for: editor, run-before (no run yet),
run-after-cpu and run-after-gpu (a replayed stored result shown as a finished run), history (a
history of replayed runs, one opened), compare, and place (a stored GPU run projected onto the
catalogue), profile (the Profile tab: a stored profile of resnet9, its roofline and verdict) and
editor-profile (the same profile over the editor's canvas) and explain (the Explain dialog's
waterfall of a memory-bound GPU run). No torch, no worker: the runs are
scripted (gui.run.replay) and the profile is read from PROFILE (a real one replaces the file), so
the pictures are the same on any machine.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCREENS = (("1280x720", "1"), ("1920x1080-150pct", "1.5"))
LOGICAL_SIZE = (1280, 720)
PROFILE = ROOT / "docs" / "examples" / "gpu-resnet9-profile" / "profile_resnet9.json"  # measured on an H200


def shoot(out: Path, suffix: str) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="tradeoff-shots-"))
    app = QApplication([sys.argv[0]])
    from engine.results import RunStore
    from gui.app import create_window
    from gui.resources import theme
    from gui.run.chart_specs import ChartContext
    from gui.run.live_data import LiveRun
    from gui.run.replay import make_script

    theme.apply(app)
    store = RunStore()
    runs = []
    for i, (kind, batch, mode) in enumerate((("gpu", 256, "train"), ("cpu", 64, "train"), ("gpu", 512, "train"),
                                              ("gpu", 128, "infer"), ("cpu", 32, "infer"), ("gpu", 1024, "train"))):
        script = make_script(kind=kind, seconds=12.0, batch=batch, mode=mode, seed=i)
        result = script.result
        result.created_at = f"2026-11-2{i}T10:0{i}:00+00:00"
        if kind == "gpu" and batch != 256:
            result.config.precision = "fp16" if batch == 512 else "fp32"
        if result.memory_bytes.gpu_peak_allocated is not None:  # memory grows with the batch, as it does
            result.memory_bytes.gpu_peak_allocated = int(2e8 + 9e5 * batch)
        result.memory_bytes.host_peak_rss = int(1.1e9 + 2e6 * batch)
        if result.accuracy is not None:
            result.accuracy = 0.975 - 0.004 * (batch // 256)
        store.add(result)
        runs.append((script, result))
    window = create_window()
    window.actions_.files.confirm_discard = lambda: True
    window.resize(*LOGICAL_SIZE)
    window.show()
    written: list[Path] = []

    def spin(seconds: float = 0.3) -> None:
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            app.processEvents()
            time.sleep(0.01)

    def grab(name: str) -> None:
        spin()
        path = out / f"{name}-{suffix}.png"
        window.grab().save(str(path))
        written.append(path)

    window.editor.canvas.fit() if hasattr(window.editor, "canvas") and hasattr(window.editor.canvas, "fit") else None
    grab("editor")
    panel = window.run_panel
    panel._load_inventory = False  # no child process: the device list is this machine's CPU
    window.show_tab("run")
    grab("run-before")
    for name, (script, result) in (("run-after-cpu", runs[1]), ("run-after-gpu", runs[0])):
        started = script.events[0][1]
        panel._bound_run = True
        panel.charts.bind(LiveRun.from_series(result.series), ChartContext.from_config(
            result.config, availability=started.availability), live_updates=False)
        panel.status.setText(f"{started.network_name} on {started.device_name}")
        panel._finished(result)
        grab(name)
    explain = _explain_dialog(runs[0][1])
    spin(0.5)
    path = out / f"explain-{suffix}.png"
    explain.grab().save(str(path))
    written.append(path)
    explain.close()
    from engine.net import load_preset
    from engine.profile import read_profile_file
    profile = read_profile_file(PROFILE)
    profile.run_id = runs[0][1].run_id  # stored with a run of the history: History marks it
    store.add_profile(profile)
    window.show_tab("history")
    history = window.history
    history.select_ids([runs[0][1].run_id])
    history.open_selected()
    grab("history")
    window.history.select_ids([r.run_id for _, r in runs if r.config.mode == "train"])
    history.compare_selected()
    grab("compare")
    window.show_tab("place")
    window.place.select_run(runs[0][1].run_id)
    grab("place")
    window.doc.load(load_preset(profile.net))
    window.profile_actions.show_profile(profile, window.doc.current)
    window.profile_view.select_layer(max(profile.layers, key=lambda layer: layer.share).id)
    grab("profile")
    window.tabs.setCurrentWidget(window.editor)
    spin()
    window.editor.canvas.zoom_fit()
    grab("editor-profile")
    window.close()
    return written


def _explain_dialog(base):
    """The Explain dialog showing the waterfall of a scripted memory-bound GPU run: each lever's run is
    the baseline's result with its throughput (and windows) scaled, as a lever would move them."""
    import json

    from engine.profile.advisor import advise
    from engine.profile.explain import ExplainResult
    from engine.profile.waterfall import StepInput, baseline_figures, waterfall
    from engine.run import Target
    from gui.explain.dialog import ExplainDialog
    effects = {"channels-last": (1.14, 1.0), "bf16": (1.92, 0.55), "fp16": (1.87, 0.55), "compile": (1.31, 0.9)}
    base = base.model_copy(deep=True)
    base.config = base.config.model_copy(update={"precision": "fp32"})
    if len(base.windows.throughput_sps) < 2:  # measuring windows give each ratio its interval
        base.windows.throughput_sps = [base.throughput_sps * (1 + 0.03 * ((i * 7) % 5 - 2)) for i in range(10)]
    advice = advise("memory", base.config, Target(device="cuda", compute_capability=(9, 0), input_shape=(1, 28, 28)))

    def moved(key: str, changes: dict, speed: float, mem: float):
        r = base.model_copy(deep=True)
        r.run_id = f"{base.run_id[:8]}-{key}"
        r.config = r.config.model_copy(update=changes)
        r.throughput_sps *= speed
        r.windows.throughput_sps = [x * speed for x in r.windows.throughput_sps]
        r.energy_per_sample_j.total /= speed * 0.95
        r.windows.energy_per_sample_j = [x / (speed * 0.95) for x in r.windows.energy_per_sample_j]
        r.memory_bytes.gpu_peak_allocated = int(r.memory_bytes.gpu_peak_allocated * mem)
        return r
    steps = [StepInput(lv.key, lv.label(base.config), lv.tag, lv.why, [moved(lv.key, dict(lv.changes), *effects[lv.key])],
                       dict(lv.changes)) for lv in advice.levers]
    steps.append(StepInput("all-that-helped", "all that helped: channels-last on, precision bf16",
                           "constant-factor + hardware", "together: channels-last, bf16",
                           [moved("combined", {"channels_last": True, "precision": "bf16"}, 2.21, 0.55)]))
    result = ExplainResult(base.network.name, base.config.device, "memory", advice.bound_words, "profile",
                           baseline_figures([base]), waterfall([base], steps), list(advice.skipped), "", 1)
    dialog = ExplainDialog("lenet", json.dumps(base.network.spec or {"input": {"shape": [1, 28, 28]}}), base.config,
                           display_name=f"{base.network.name} (run {base.run_id})")
    dialog.verdict.setCurrentIndex(dialog.verdict.findData("memory"))
    dialog.show_result(result)
    dialog.status.setText(f"Done: {len(result.run_ids)} runs in the history (one sweep).")
    dialog.resize(1180, 700)
    dialog.show()
    return dialog


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child for one screen: its suffix
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.one:
        for path in shoot(out, args.one):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        return 0
    for suffix, scale in SCREENS:  # the scale factor is read when Qt starts: one process per screen
        with tempfile.TemporaryDirectory() as data:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale, TRADEOFF_LAB_DATA=data,
                       XDG_CONFIG_HOME=data)
            proc = subprocess.run([sys.executable, __file__, "--out", str(out), "--one", suffix], env=env)
            if proc.returncode != 0:
                return proc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
