"""The PT's report: stills, plots, one self-contained HTML page, session comparison.

Everything here reads the public outputs of an analysis (``summary.json``,
``steps.csv``, ``track.npz``; outputs.md) so a report can be rebuilt from
an output folder at any time without running the pose model.
"""

from __future__ import annotations

from gaitvision.report.build import ReportFiles, rebuild_report, write_report
from gaitvision.report.compare import write_comparison

__all__ = ["ReportFiles", "rebuild_report", "write_comparison", "write_report"]
