"""Write and read the public outputs: ``summary.json`` and ``steps.csv`` (outputs.md).

One module writes them and reads them back, so the report, the session
comparison and the clinic app load exactly what ``gaitvision analyze``
wrote. Missing values are JSON ``null`` and empty CSV cells, never NaN.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gaitvision.errors import OutputError
from gaitvision.io._atomic import write_json, write_text

__all__ = [
    "STEP_COLUMNS",
    "SUMMARY_SCHEMA",
    "parse_steps_csv",
    "read_steps",
    "read_summary",
    "steps_csv_text",
    "write_steps",
    "write_summary",
]

SUMMARY_SCHEMA = "gaitvision.summary/1"

#: The first columns of ``steps.csv``, in order (outputs.md).
STEP_COLUMNS = (
    "step", "side", "ic_time_s", "ic_frame", "to_time_s", "to_frame",
    "contact_time_s", "step_time_s", "confidence",
)


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def steps_csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """``steps.csv`` text: floats with 4 decimals, empty cells for missing values."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell_text(r.get(c)) for c in columns])
    return buf.getvalue()


def write_steps(path: str | os.PathLike[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write ``steps.csv`` atomically."""
    write_text(path, steps_csv_text(columns, rows))


def _cell(name: str, text: str) -> Any:
    if text == "":
        return None
    if name == "step" or name.endswith("_frame"):
        try:
            return int(text)
        except ValueError:
            return text
    try:
        v = float(text)
    except ValueError:
        return text
    return v if math.isfinite(v) else None


def parse_steps_csv(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Parse ``steps.csv`` text into its column names and typed rows.

    Empty cells become ``None``; ``step`` and ``*_frame`` columns become
    ``int``; other numbers ``float``; anything else stays a string;
    ``excluded_reason`` is always a string (empty for a used step).
    """
    reader = csv.DictReader(io.StringIO(text))
    cols = list(reader.fieldnames or [])
    rows = [{c: _cell(c, r.get(c) or "") for c in cols} for r in reader]
    for r in rows:
        r["excluded_reason"] = r.get("excluded_reason") or ""
    return cols, rows


def read_steps(out_dir: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Read ``steps.csv`` of an analysis folder.

    Raises
    ------
    OutputError
        If it is missing or unreadable.
    """
    p = Path(out_dir) / "steps.csv"
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise OutputError(f"{p}: cannot be read ({err.strerror or err}).") from err
    return parse_steps_csv(text)


def write_summary(path: str | os.PathLike[str], summary: Mapping[str, Any]) -> None:
    """Write ``summary.json`` atomically (NaN refused: missing values must be None)."""
    write_json(path, dict(summary))


def read_summary(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``summary.json`` of a finished analysis folder, checking its schema.

    Raises
    ------
    OutputError
        If it is missing, unreadable, or not a gaitvision summary.
    """
    p = Path(out_dir)
    f = p / "summary.json"
    try:
        summary = json.loads(f.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise OutputError(
            f"{p}: no summary.json; is this a finished gaitvision analysis folder? "
            "Run `gaitvision analyze CLIP --out DIR` first."
        ) from err
    except (OSError, ValueError) as err:
        raise OutputError(f"{f}: cannot be read as JSON ({err}).") from err
    if not isinstance(summary, dict) or "metrics" not in summary:
        raise OutputError(f"{f}: not a gaitvision summary (no 'metrics').")
    schema = summary.get("schema", SUMMARY_SCHEMA)
    if schema != SUMMARY_SCHEMA:
        raise OutputError(f"{f}: expected schema {SUMMARY_SCHEMA!r}, but got {schema!r}; it was written by "
                          "another version of gaitvision.")
    return summary
