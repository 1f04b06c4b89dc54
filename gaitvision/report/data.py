"""Read a finished analysis folder (``summary.json``, ``steps.csv``) for the report.

The report, the stills and the session comparison read the same public
files that scripts read (outputs.md), so they never depend on how the
numbers were computed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaitvision.io.outputs import parse_steps_csv, read_steps, read_summary

__all__ = [
    "AnalysisFolder",
    "load_folder",
    "metric_columns",
    "parse_steps_csv",
]

#: steps.csv columns that are bookkeeping, not metric values.
_BOOKKEEPING = {
    "step", "side", "ic_time_s", "ic_frame", "to_time_s", "to_frame", "confidence",
    "excluded_reason", "midstance_frame", "framing_note",
}


def metric_columns(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """The steps.csv columns that hold numeric per-step values, in file order.

    Data-driven: every column that is not bookkeeping (step, times, frames,
    confidence, reason, a value's ``*_ci95_lo``/``*_ci95_hi`` interval) and
    holds at least one number. ``step_time_s`` and ``contact_time_s`` count
    as values.
    """
    out = []
    for c in columns:
        if c in _BOOKKEEPING or c.endswith(("_frame", "_ci95_lo", "_ci95_hi")):
            continue
        vals = [r.get(c) for r in rows]
        if any(isinstance(v, float) for v in vals) and all(
            v is None or isinstance(v, float) for v in vals
        ):
            out.append(c)
    return out


@dataclass(frozen=True)
class AnalysisFolder:
    """The public outputs of one analysis, as the report reads them."""

    path: Path
    summary: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]

    @property
    def view(self) -> str:
        """``side-left``, ``side-right``, ``rear`` or ``front``."""
        return str(self.summary.get("view", ""))

    @property
    def side_view(self) -> bool:
        """True for a side (sagittal) clip."""
        return self.view.startswith("side")

    @property
    def clip_name(self) -> str:
        """File name of the analysed clip (untrusted text: escape it)."""
        p = str(self.summary.get("input", {}).get("path", ""))
        return os.path.basename(p) or p


def load_folder(
    out_dir: str | os.PathLike[str], *, summary: dict[str, Any] | None = None
) -> AnalysisFolder:
    """Read an analysis folder.

    Parameters
    ----------
    out_dir
        Folder written by ``gaitvision analyze``.
    summary
        The summary dict, when it is not (yet) on disk: the pipeline
        builds the report before it writes ``summary.json``.

    Raises
    ------
    OutputError
        If ``summary.json`` or ``steps.csv`` is missing or unreadable.
    """
    p = Path(out_dir)
    if summary is None:
        summary = read_summary(p)
    cols, rows = read_steps(p)
    return AnalysisFolder(p, summary, cols, rows)
