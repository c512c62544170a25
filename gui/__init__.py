"""PySide6 + pyqtgraph desktop app. Never imports torch, pynvml or psutil (see tests/test_layering.py)."""
import gui.run.pyside_fix  # noqa: F401 -- first: PySide6 6.12 on Python 3.11 crashes without it (see the module)
