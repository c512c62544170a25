"""The comparison view: table with ratios to a baseline, Pareto plots, recommendation, findings, export."""
from gui.compare.view import CompareView

__all__ = ["CompareView"]
