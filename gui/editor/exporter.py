"""Export the network as PyTorch code or ONNX. The GUI process never imports torch, so the ONNX
export runs as a job (engine.jobs.OnnxExportJob, a child process); the window stays responsive and
reports the outcome when the job ends. PyTorch code comes from the torch-free code generator, in
this process."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.jobs import JobFailed, OnnxExportJob
from engine.net import export_code_module as export_code
from engine.net import spec_from_json
from gui.editor.file_io import SaveError, atomic_write_text
from gui.job_runner import JobRunner

FORMATS = {"onnx": ("onnx", "ONNX model (*.onnx)", ".onnx"), "pytorch": ("pytorch", "Python code (*.py)", ".py")}


def _code_in_process(spec_json: str) -> str:
    """PyTorch code is generated in this process: engine.net.export_code is torch-free (the layering
    test imports every gui module, this one included, and checks torch stays out)."""
    return export_code.spec_to_code(spec_from_json(spec_json))


class Exporter(QObject):
    finished = Signal(bool, str)  # ok, message for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: JobRunner | None = None  # the running ONNX export job
        self._out: Path | None = None

    @property
    def busy(self) -> bool:
        return self.process is not None

    def start(self, fmt: str, spec_json: str, out: Path) -> bool:
        """Begin an export; False if one is already running."""
        if self.busy:
            return False
        self._out = Path(out)
        if fmt == "pytorch":
            try:
                atomic_write_text(self._out, _code_in_process(spec_json))
            except (ValueError, SaveError) as exc:  # a spec the generator refuses, or an unwritable path
                self.finished.emit(False, f"PyTorch export failed: {exc}")
                return True
            self.finished.emit(True, f"Exported PyTorch code to {self._out}")
            return True
        self.process = JobRunner(self)
        self.process.finished.connect(lambda path: self._finish(True, f"Exported ONNX to {path}"))
        self.process.failed.connect(self._failed)
        self.process.start(OnnxExportJob(spec_json, str(self._out)))
        return True

    def _failed(self, failure: JobFailed) -> None:
        self._finish(False, f"Export failed: {failure.message}")

    def _finish(self, ok: bool, message: str) -> None:
        if self.process is not None:
            self.process.deleteLater()
            self.process = None
        self.finished.emit(ok, message)

    def wait(self, ms: int = 60000) -> None:
        """For tests and closing the app: block until the export ends (it is not cancelled)."""
        if self.process is not None:
            self.process.wait(ms / 1000)
