"""Export of the shown comparison as report files, off the GUI thread (charts take a few seconds)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal

from engine.results import RunResult

SUFFIXES = (".html", ".pdf", ".csv", ".json")


def report_paths(chosen: str | Path) -> dict[str, Path]:
    """'~/x/report.html' (or any suffix, or none) -> the four files beside each other with one stem."""
    p = Path(chosen)
    stem = p.with_suffix("") if p.suffix.lower() in SUFFIXES else p
    return {s[1:]: stem.with_suffix(s) for s in SUFFIXES}


class ExportThread(QThread):
    done = Signal(list)  # written paths as str
    failed = Signal(str)

    def __init__(self, results: list[RunResult], chosen: str | Path, baseline_id: str | None,
                 skipped=(), title: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.results, self.paths = list(results), report_paths(chosen)
        self.baseline_id, self.skipped, self.title = baseline_id, list(skipped), title

    def run(self) -> None:
        from engine.results import make_report
        try:
            written = make_report(self.results, baseline_id=self.baseline_id, skipped=self.skipped,
                                  title=self.title, **self.paths)
        except (OSError, ValueError) as exc:
            self.failed.emit(f"The report could not be written: {exc}")
            return
        self.done.emit([str(p) for p in written])
