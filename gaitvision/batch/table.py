"""``batch.csv`` and ``batch.json``: one row per clip of a batch."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gaitvision import __version__
from gaitvision.batch.job import FAILED, OK, ClipOutcome
from gaitvision.io._atomic import write_text

__all__ = ["BATCH_SCHEMA", "columns", "row", "write_tables"]

BATCH_SCHEMA = "gaitvision.batch/1"
SIDES = ("left", "right")


def _metric_keys() -> tuple[str, ...]:
    from gaitvision.measure.registry import METRICS

    return tuple(m.key for m in METRICS)


def columns() -> list[str]:
    """``batch.csv``'s columns: the clip, its status and reason, view, cadence, then per metric and side
    the median and its 95 % interval (``*_ci95_lo``, ``*_ci95_hi``), and the foot-strike pattern."""
    cols = ["clip", "output", "status", "reason", "view", "cadence_spm"]
    for key in _metric_keys():
        for side in SIDES:
            cols += [f"{key}_{side}_median", f"{key}_{side}_ci95_lo", f"{key}_{side}_ci95_hi"]
    cols += [f"foot_strike_pattern_{side}" for side in SIDES]
    return cols


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _side_cells(key: str, entry: Mapping[str, Any], side: str) -> dict[str, Any]:
    cell = entry.get(side)
    if not isinstance(cell, Mapping):
        return {}
    out: dict[str, Any] = {f"{key}_{side}_median": _number(cell.get("median"))}
    ci = cell.get("ci95")
    if isinstance(ci, Sequence) and len(ci) == 2:
        out[f"{key}_{side}_ci95_lo"], out[f"{key}_{side}_ci95_hi"] = _number(ci[0]), _number(ci[1])
    return out


def row(outcome: ClipOutcome) -> dict[str, Any]:
    """The clip's ``batch.csv`` row (absent values: None, an empty cell)."""
    r: dict[str, Any] = {"clip": outcome.relative, "output": outcome.name, "status": outcome.status,
                         "reason": outcome.reason}
    s = outcome.summary
    if outcome.status != OK or s is None:
        return r
    r["view"] = s.get("view")
    r["cadence_spm"] = _number(s.get("cadence_spm"))
    metrics = s.get("metrics") or {}
    for key in _metric_keys():
        entry = metrics.get(key)
        if isinstance(entry, Mapping):
            for side in SIDES:
                r.update(_side_cells(key, entry, side))
    pattern = metrics.get("foot_strike_pattern")
    if isinstance(pattern, Mapping):
        for side in SIDES:
            cell = pattern.get(side)
            if isinstance(cell, Mapping) and cell.get("pattern"):
                r[f"foot_strike_pattern_{side}"] = cell["pattern"]
    return r


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns(), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def write_tables(out: Path, outcomes: Sequence[ClipOutcome], *, source: Path, engine: str, workers: int,
                 options: Mapping[str, Any], complete: bool, seconds: float) -> tuple[Path, Path]:
    """Write ``batch.csv`` and ``batch.json`` into ``out`` (atomically), clips in input order."""
    rows = [row(o) for o in outcomes]
    write_text(out / "batch.csv", _csv_text(rows))
    counts = {"clips": len(outcomes), "ok": sum(o.status == OK for o in outcomes),
              "failed": sum(o.status == FAILED for o in outcomes),
              "not_run": sum(o.status not in (OK, FAILED) for o in outcomes),
              "analysed_now": sum(o.analysed for o in outcomes)}
    doc = {
        "schema": BATCH_SCHEMA, "gaitvision_version": __version__, "input": str(source), "out": str(out),
        "engine": engine, "workers": workers, "options": dict(options), "complete": complete,
        "seconds": round(seconds, 3), "counts": counts,
        "clips": [{**r, "analysed_now": o.analysed, "pose_seconds": round(o.pose_seconds, 3),
                   "seconds": round(o.seconds, 3)} for r, o in zip(rows, outcomes, strict=True)],
    }
    write_text(out / "batch.json", json.dumps(doc, indent=2, allow_nan=False) + "\n")
    return out / "batch.csv", out / "batch.json"
