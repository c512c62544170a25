"""The card shown when a run ends (and when a past run is opened): the headline numbers, quality
warnings, and for a failed run what went wrong (out of memory: the batch that fits by the estimate).
Built from a RunResult alone, so the history shows exactly what the live run showed.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.format import MISSING, byte_size, fixed, pct, si
from engine.results import RunResult, lever_rows
from gui import plain_text
from gui.plain_text import escape, escape_message, name
from gui.run.parallel_summary import ParallelSection, devices_text

STYLE = """
QFrame#RunCard { background: #FFFFFF; border: 1px solid #E2E8F0; border-radius: 10px; }
QLabel#CardTitle { font-size: 11pt; font-weight: 600; color: #0F172A; }
QLabel#CardMeta { color: #64748B; }
QLabel#Tile { color: #0F172A; font-size: 12pt; font-weight: 600; }
QLabel#TileLabel { color: #64748B; font-size: 8pt; }
QLabel#Chip { border-radius: 9px; padding: 2px 10px; font-weight: 600; font-size: 8pt; }
QLabel#Banner { border-radius: 8px; padding: 8px 10px; }
QLabel#Notes { color: #92400E; }
QLabel#Unavailable { color: #64748B; }
QLabel#Levers { color: #0F172A; }
"""
CHIP = {"ok": ("#166534", "#DCFCE7", "finished"), "cancelled": ("#92400E", "#FEF3C7", "cancelled"),
        "oom": ("#991B1B", "#FEE2E2", "out of memory"), "failed": ("#991B1B", "#FEE2E2", "failed")}


def tiles(result: RunResult) -> list[tuple[str, str, str]]:
    """(value, label, tooltip) for each headline number; unavailable ones say why in the tooltip."""
    why = result.unavailable
    st, e, p, m = result.step_time_s, result.energy_per_sample_j, result.power_w, result.memory_bytes
    method = result.energy_j.gpu_method
    energy_note = "estimated from instant power" if method == "integrated-instant-power" else (
        "measured (NVML energy counter)" if method == "counter" else "")
    if e.source == "cpu" or (e.total is None and not result.on_gpu):  # a CPU run's: RAPL, TDP, or why not
        j_total = si(e.total, "J")
        j_label, j_tip = {
            "rapl": ("J/sample (CPU, RAPL)", "measured by RAPL (CPU package)"),
            "estimated": ("J/sample (CPU, estimated)", f"estimated from the CPU's TDP "
                          f"({result.energy_j.cpu_tdp_source}) and the run's CPU time, not measured"),
        }.get(e.method or "", ("J/sample (CPU)", why.get("energy_j.cpu") or why.get("energy_per_sample_j", "")))
    else:
        j_total, j_label = si(e.total, "J"), "J/sample (GPU total)"
        j_tip = energy_note or why.get("energy_j.gpu") or why.get("energy") or why.get("gpu") or ""
    tp = fixed(result.throughput_sps, 0, "/s")
    peak = " · ".join(x for x in (
        f"{byte_size(m.gpu_peak_allocated)} alloc" if m.gpu_peak_allocated is not None else "",
        f"{byte_size(m.gpu_peak_reserved)} reserved" if m.gpu_peak_reserved is not None else "") if x)
    acc = pct(result.accuracy)
    if result.loss is not None:
        acc += f"  (loss {result.loss:.3g})"
    return [
        (tp, "throughput (samples/s)", f"{result.samples:,} samples in {result.steps:,} timed steps"),
        (f"{si(st.p50, 's')} / {si(st.p99, 's')}", "step latency p50 / p99", "over the timed window"),
        (j_total, j_label, j_tip),
        (si(e.dynamic, "J"), "J/sample above idle", f"idle power {p.gpu_idle:.0f} W subtracted"
         if p.gpu_idle is not None else why.get("gpu", "needs the GPU's idle power")),
        (f"{si(p.gpu_mean, 'W')} / {si(p.gpu_max, 'W')}", "GPU power avg / peak", why.get("power_w.gpu", "")),
        (peak or MISSING, "peak GPU memory", why.get("memory_bytes.gpu", "no GPU in this run") if not peak else ""),
        (byte_size(m.host_peak_rss), "peak host RSS", "the run process"),
        # An inference run on a data set with held-out images measures it too (once, after the window).
        (acc, "held-out accuracy", "on held-out samples of the data set"
         + ("" if result.config.mode == "train" else ", once after the timed window")),
    ]


def levers_html(result: RunResult) -> str:
    """One line per lever that changed the run, its label in bold; continuation rows under it."""
    lines = [(f"<b>{escape(label)}</b> {escape_message(text)}" if label else f"&nbsp;&nbsp;&nbsp;{escape_message(text)}")
             for label, text in lever_rows(result)]
    return "<br>".join(lines)


def _friendly(key: str) -> str:
    k = key.lower()
    if "gpu" in k:
        return "GPU figures"
    if "rapl" in k or k.endswith(".cpu"):
        return "CPU energy"
    if k.startswith("energy_per_sample"):
        return "energy per sample"
    return key


def unavailable_groups(unavailable: dict[str, str]) -> dict[str, set[str]]:
    """reason -> the kinds of figure it hides: one short line per cause instead of one per field."""
    groups: dict[str, set[str]] = {}
    for key, reason in unavailable.items():
        groups.setdefault(reason, set()).add(_friendly(key))
    # A kind of figure given both a reason and a longer one that begins with it (RAPL's counters: "no
    # RAPL"; CPU energy: "no RAPL ...; not in the TDP table") is said once, with the longer reason.
    for reason, names in groups.items():
        names -= {n for longer, others in groups.items() if longer != reason and longer.startswith(reason)
                  for n in others}
    return {reason: names for reason, names in groups.items() if names}


BADGE_PREFIXES = ("machine busy", "CPU steal", "memory pressure", "GPU shared", "unstable", "tail latency",
                  "not stable")


def trust_badge(result: RunResult) -> tuple[str, list[str]]:
    """The card's warning badge: its word ("" for none) and the sentences it stands for."""
    sentences = [q for q in result.quality if q.startswith(BADGE_PREFIXES)]
    if result.disturbed:
        return "DISTURBED", sentences
    return ("UNSTABLE" if sentences else ""), sentences


class SummaryCard(QFrame):
    use_batch = Signal(int)  # the OOM card's "Use batch N"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunCard")
        self.setStyleSheet(STYLE)
        self.suggested_batch: int | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(14, 10, 14, 10)
        self._layout.setSpacing(6)
        head = QHBoxLayout()
        self.chip = plain_text.plain(QLabel())
        self.chip.setObjectName("Chip")
        self.title = plain_text.plain(QLabel())
        self.title.setObjectName("CardTitle")
        self.meta = plain_text.plain(QLabel())
        self.meta.setObjectName("CardMeta")
        # Wraps rather than widening the card past the page (a job's longer title and "batch N/device"
        # had pushed the card, and the chart bar below it, off the right edge).
        self.meta.setWordWrap(True)
        self.meta.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.badge = QLabel()  # DISTURBED / UNSTABLE, with the sentences behind it
        self.badge.setObjectName("WarnBadge")
        self.badge.setStyleSheet("color:#92400E; background:#FEF3C7; border:1px solid #F59E0B; "
                                 "border-radius:4px; padding:1px 6px; font-weight:600;")
        self.badge.hide()
        head.addWidget(self.chip, 0, Qt.AlignVCenter)
        head.addWidget(self.badge, 0, Qt.AlignVCenter)
        head.addWidget(self.title)
        head.addWidget(self.meta, 1)  # the free width, right-aligned
        self._layout.addLayout(head)
        self.banner = QLabel()
        self.banner.setObjectName("Banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.fix = QPushButton()
        self.fix.clicked.connect(lambda: self.suggested_batch and self.use_batch.emit(self.suggested_batch))
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.fix, 0, Qt.AlignVCenter)
        self._layout.addLayout(banner_row)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(0)
        self._layout.addLayout(self.grid)
        # What a lever did (pruned layers, quantized layers and kernels, convolution algorithms, the
        # runtime, binarization), in the words of the CLI summary and History: the numbers above are
        # read against it, and a simulated speed says so here.
        self.levers = QLabel()
        self.levers.setObjectName("Levers")
        self.levers.setWordWrap(True)
        self.levers.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._layout.addWidget(self.levers)
        self.parallel = ParallelSection()  # several devices: efficiency, all-reduce share, the ranks
        self._layout.addWidget(self.parallel)
        self.notes = QLabel()
        self.notes.setObjectName("Notes")
        self.notes.setWordWrap(True)
        self.unavailable = QLabel()
        self.unavailable.setObjectName("Unavailable")
        self.unavailable.setWordWrap(True)
        self._layout.addWidget(self.notes)
        self._layout.addWidget(self.unavailable)
        self.values: dict[str, QLabel] = {}

    def show_result(self, result: RunResult, suggested_batch: int | None = None, estimate_text: str = "") -> None:
        fg, bg, word = CHIP.get(result.status, CHIP["failed"])
        self.chip.setText(name(word))
        self.chip.setStyleSheet(f"color:{fg}; background:{bg};")
        c = result.config
        devices = devices_text(result)
        self.title.setText(f"{name(result.network.name)} · {name(devices or result.hardware.device_name or c.device)}")
        batch = f"{name(c.batch)}/device" if devices else name(c.batch)
        self.meta.setText(f"{name(c.precision)} · batch {batch} · {name(c.mode)} · "
                          f"{result.measured_s or 0:.1f} s timed · {name(result.created_at[:19].replace('T', ' '))} UTC")
        self._banner(result, suggested_batch, estimate_text)
        word, sentences = trust_badge(result)
        self.badge.setText(f"⚠ {word}" if word else "")
        self.badge.setToolTip("<br>".join(escape_message(q) for q in sentences))
        self.badge.setVisible(bool(word))
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().hide()  # gone now, not only when the event loop next deletes it
                item.widget().deleteLater()
        self.values = {}
        for i, (value, label, tip) in enumerate(tiles(result)):
            v, lab = plain_text.plain(QLabel(name(value))), plain_text.plain(QLabel(name(label)))
            v.setObjectName("Tile")
            lab.setObjectName("TileLabel")
            for w in (v, lab):
                w.setToolTip(plain_text.tooltip(tip))
            self.grid.addWidget(v, (i // 4) * 2, i % 4)
            self.grid.addWidget(lab, (i // 4) * 2 + 1, i % 4)
            self.values[label] = v
        self.levers.setText(levers_html(result))
        self.levers.setVisible(bool(self.levers.text()))
        self.parallel.show_result(result)
        quality = result.quality
        self.notes.setText("".join(f"⚠ {escape_message(q)}<br>" for q in quality))
        self.notes.setVisible(bool(quality))
        groups = unavailable_groups(result.unavailable)
        text = " · ".join(f"{escape(', '.join(sorted(names)))}: {escape_message(reason)}"
                          for reason, names in groups.items())
        self.unavailable.setText(f"<b>Unavailable</b> — {text}" if text else "")
        self.unavailable.setToolTip("<br>".join(f"{escape(k)}: {escape(v)}" for k, v in result.unavailable.items()))
        self.unavailable.setVisible(bool(text))

    def _banner(self, result: RunResult, suggested: int | None, estimate_text: str) -> None:
        self.suggested_batch = None
        self.fix.hide()
        text, style = "", ""
        batch = result.config.batch
        if result.status == "oom":
            device = escape(result.hardware.device_name or result.config.device)
            error = result.error or ""
            at_batch = "" if f"batch {batch}" in error else f" at batch {escape(batch)}"
            text = f"<b>Out of memory</b>{at_batch} on {device}: {escape_message(error)}"
            if estimate_text:
                text += f"<br>{escape_message(estimate_text)}"
            if suggested:
                text += f"<br>By the estimate, the largest batch that fits is <b>{suggested:,}</b>."
                self.suggested_batch = suggested
                self.fix.setText(f"Use batch {suggested:,}")
                self.fix.show()
            style = "background:#FEF2F2; color:#991B1B; border:1px solid #FECACA;"
        elif result.status == "failed":
            text = f"<b>The run failed.</b> {escape_message(result.error or '')}"
            style = "background:#FEF2F2; color:#991B1B; border:1px solid #FECACA;"
        elif result.status == "cancelled":
            text = (f"<b>Stopped</b> after {result.steps:,} timed steps: the numbers cover the part that ran. "
                    f"{escape_message(result.error or '')}")
            style = "background:#FFFBEB; color:#92400E; border:1px solid #FDE68A;"
        self.banner.setText(text)
        self.banner.setStyleSheet(style)
        self.banner.setVisible(bool(text))
