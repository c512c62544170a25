"""Export the network as PyTorch code or ONNX. The GUI process never imports torch, so the export
runs in a child process (`python main.py export SPEC --onnx OUT`) on a temporary copy of the spec;
the window stays responsive and reports the outcome when the child ends. PyTorch code comes from
the torch-free code generator, in this process."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

from engine.net import export_code_module as export_code
from engine.net import spec_from_json
from engine.paths import ROOT
from gui.editor.file_io import SaveError, atomic_write_text

FORMATS = {"onnx": ("--onnx", "ONNX model (*.onnx)", ".onnx"), "pytorch": ("--pytorch", "Python code (*.py)", ".py")}


def _code_in_process(spec_json: str) -> str:
    """PyTorch code is generated in this process: engine.net.export_code is torch-free (the layering
    test imports every gui module, this one included, and checks torch stays out)."""
    return export_code.spec_to_code(spec_from_json(spec_json))


class Exporter(QObject):
    finished = Signal(bool, str)  # ok, message for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: QProcess | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
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
        self._tmp = tempfile.TemporaryDirectory(prefix="tradeoff-export-")
        spec_path = Path(self._tmp.name) / "spec.json"
        spec_path.write_text(spec_json, encoding="utf-8")
        self.process = QProcess(self)
        self.process.setWorkingDirectory(str(ROOT))
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.finished.connect(self._done)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.process.start(sys.executable, [str(ROOT / "main.py"), "export", str(spec_path), FORMATS[fmt][0],
                                            str(self._out)])
        return True

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.FailedToStart:
            self._finish(False, f"Could not start the export process ({sys.executable}).")

    def _done(self, code: int, status: QProcess.ExitStatus) -> None:
        output = bytes(self.process.readAll().data()).decode("utf-8", "replace").strip() if self.process else ""
        if code == 0 and status == QProcess.NormalExit and self._out is not None and self._out.exists():
            self._finish(True, f"Exported ONNX to {self._out}")
        else:
            last = output.splitlines()[-1] if output else f"exit code {code}"
            self._finish(False, f"Export failed: {last}")

    def _finish(self, ok: bool, message: str) -> None:
        if self.process is not None:
            self.process.deleteLater()
            self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.finished.emit(ok, message)

    def wait(self, ms: int = 60000) -> None:
        """For tests and closing the app: block until the child ends."""
        if self.process is not None:
            self.process.waitForFinished(ms)
