"""PySide6 + pyqtgraph desktop app. Never imports torch, pynvml or psutil (see tests/test_layering.py)."""
