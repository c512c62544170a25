"""The run panel: options, worker control, live charts, summary and failure cards.

This package's __init__ stays import-free: the spawned worker process imports `gui.run.child`, and
must not pay for Qt or pyqtgraph.
"""
