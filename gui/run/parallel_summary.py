"""What the summary card adds for a job over several devices: the devices, per-device and global
batch, scaling efficiency (or why it is not known), the all-reduce share, a pipeline's stages and
bubble, and one compact line per rank. The words are built from a RunResult alone (testable without
a window); `ParallelSection` lays them out.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from engine.format import MISSING, byte_size, energy, fixed, pct, power
from engine.results import RunResult
from gui.plain_text import escape, escape_message

STYLE = """
QFrame#Parallel { background: #F8FAFC; border: 1px solid #E2E8F0; border-radius: 8px; }
QLabel#ParallelHead { color: #0F172A; }
QLabel#Ranks { color: #334155; }
"""


def devices_text(result: RunResult) -> str:
    """"2× NVIDIA H200", "2 CPU processes", "4× NVIDIA H200 on 2 machines"; "" for a one-device run."""
    p = result.parallel
    if p is None:
        return ""
    n = len(result.devices) or p.world_size
    machines = f" on {p.nodes} machines" if p.nodes > 1 else ""
    if not result.on_gpu:
        return f"{n} CPU processes{machines}"
    names = {d.device_name for d in result.devices if d.device_name} or {result.hardware.device_name or "GPU"}
    name = names.pop() if len(names) == 1 else "GPUs"
    return f"{n}× {name}{machines}"


def _why(result: RunResult, key: str) -> str:
    return result.unavailable.get(key) or "not measured"


def facts(result: RunResult) -> list[tuple[str, str, str]]:
    """(label, value, tooltip) of the job's parallel figures, in the card's order."""
    p = result.parallel
    if p is None:
        return []
    kind = "pipeline" if p.kind == "pipeline" else "data parallel"
    out = [("devices", f"{devices_text(result)} · {kind}",
            f"{p.world_size} processes over {p.backend or 'torch.distributed'}")]
    out.append(("batch", f"{p.per_device_batch:,} per device · {p.global_batch:,} in all",
                "samples per device per step, and the samples of one optimizer step (the global batch)"))
    if result.scaling_efficiency is not None:
        base = p.baseline_throughput_sps
        src = {"history": "from the run history", "measured": "measured for this job"}.get(p.baseline_source or "", "")
        tip = (f"job throughput ÷ ({p.world_size} × the 1-device run's {fixed(base, 0)} samples/s"
               f"{', run ' + p.baseline_run_id if p.baseline_run_id else ''}{', ' + src if src else ''})")
        out.append(("scaling efficiency", pct(result.scaling_efficiency, 0), tip))
    else:
        out.append(("scaling efficiency", f"unknown: {_why(result, 'scaling_efficiency')}",
                    "needs the throughput of a 1-device run of the same per-device configuration"))
    if result.communication_share is not None:
        out.append(("all-reduce share", pct(result.communication_share, 0),
                    f"share of the timed window with a gradient all-reduce running, mean over ranks"
                    f"{' (' + p.communication_method + ')' if p.communication_method else ''}"))
    else:
        out.append(("all-reduce share", f"unknown: {_why(result, 'communication_share')}", ""))
    if p.kind == "pipeline":
        stages = " | ".join(f"{s.device}: {len(s.layers)} layer{'' if len(s.layers) == 1 else 's'}" for s in p.stages) or MISSING
        out.append(("stages", f"{len(p.stages)} · {stages}",
                    "the network's consecutive layers each stage holds, and where it ran"))
        out.append(("micro-batches", f"{p.microbatches or MISSING} · {p.schedule or 'schedule ' + MISSING}",
                    "micro-batches of one step, and the schedule that ran them"))
        bubble = pct(p.bubble_share, 0) if p.bubble_share is not None else f"unknown: {_why(result, 'bubble_share')}"
        out.append(("bubble (idle) share", bubble,
                    "mean over stages of the share of the timed window a stage sat idle waiting for its neighbour"))
    if p.failed_rank is not None:
        out.append(("failed rank", str(p.failed_rank), result.error or ""))
    return out


def _unbroken(text: str) -> str:
    """A label Qt will not break at a line end: no-break spaces and hyphens."""
    return text.replace(" ", "&nbsp;").replace("-", "\u2011")


RANK_HEADER = ("rank", "device", "samples/s", "power", "energy", "peak memory", "all-reduce")


def rank_rows(result: RunResult) -> list[tuple[str, ...]]:
    """One row per rank: its device, throughput, power, energy, peak memory and all-reduce share."""
    rows = []
    for d in result.devices:
        where = d.device + (f" (node {d.node})" if (result.parallel and result.parallel.nodes > 1) else "")
        status = "" if d.status == "ok" else f" · {d.status}"
        rows.append((f"{d.rank}{status}", where, fixed(d.throughput_sps, 0), power(d.power_w), energy(d.energy_j),
                     byte_size(d.memory_peak_bytes), pct(d.communication_share, 0)))
    return rows


class ParallelSection(QFrame):
    """The card's several-device block: the facts on two lines, the ranks as a small table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Parallel")
        self.setStyleSheet(STYLE)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 6, 10, 6)
        col.setSpacing(2)
        self.head = QLabel()
        self.head.setObjectName("ParallelHead")
        self.head.setTextFormat(Qt.RichText)  # the app's markup around escaped values
        self.head.setWordWrap(True)
        self.ranks = QLabel()
        self.ranks.setObjectName("Ranks")
        self.ranks.setTextFormat(Qt.RichText)
        col.addWidget(self.head)
        col.addWidget(self.ranks)
        self.hide()

    def show_result(self, result: RunResult) -> None:
        items = facts(result)
        self.setVisible(bool(items))
        if not items:
            return
        self.head.setText(" &nbsp;·&nbsp; ".join(  # a label never parts from its value at a line end
            f"<span style='color:#64748B'>{_unbroken(escape(label))}</span>&nbsp;<b>{escape_message(value)}</b>"
            for label, value, _tip in items))
        self.head.setToolTip("<br>".join(f"<b>{escape(label)}</b>: {escape_message(tip)}"
                                         for label, _v, tip in items if tip))
        rows = rank_rows(result)
        # columns no rank has a figure for (power and energy of CPU processes) are left out
        keep = [i for i in range(len(RANK_HEADER)) if i < 2 or any(row[i] != MISSING for row in rows)]
        cells = "".join(f"<th align='left' style='padding-right:14px;color:#64748B;font-weight:600'>{RANK_HEADER[i]}</th>"
                        for i in keep)
        body = "".join("<tr>" + "".join(f"<td style='padding-right:14px'>{escape(row[i])}</td>" for i in keep) + "</tr>"
                       for row in rows)
        self.ranks.setText(f"<table cellspacing='0'><tr>{cells}</tr>{body}</table>" if rows else "")
        self.ranks.setVisible(bool(rows))
