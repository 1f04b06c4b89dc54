"""A visit's results as the pages and the API show them: per clip, combined, findings, trends, exports."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from gaitvision.app.db import Patient, Visit
from gaitvision.app.review import AnalysisCache
from gaitvision.app.settings import AppSettings
from gaitvision.app.store import BadInput, clip_dict, clip_result, correction_dict, patient_dict, slot_of, visit_dict
from gaitvision.combine import combine_views
from gaitvision.report.compare import compare_summaries
from gaitvision.report.text import findings, metric_info, no_finding_text

__all__ = ["TREND_METRICS", "patient_trends", "visit_csv", "visit_document", "visit_zip"]

#: The metrics a patient's trend page plots first (others follow when measured).
TREND_METRICS = ("cadence_spm", "foot_strike_angle_deg", "knee_flexion_ic_deg", "knee_flexion_peak_stance_deg",
                 "contact_time_s", "knee_fppa_peak_deg", "pelvic_drop_peak_deg", "hip_adduction_peak_deg")


def _label(key: str) -> dict[str, Any]:
    info = metric_info(key)
    return {"label": info.name, "unit": info.unit, "decimals": info.decimals, "plain": info.plain}


def _summary_part(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("steps", "columns")}


def visit_document(settings: AppSettings, cache: AnalysisCache, visit: Visit) -> dict[str, Any]:
    """``GET /api/visits/{id}``: the visit, each clip with its (corrected) result, the combined result.

    ``summary`` and ``steps`` at the top are the main clip's (the side clip
    when there is one), as in its ``summary.json`` and ``steps.csv``;
    ``combined`` joins a side and a rear clip (:func:`gaitvision.combine.combine_views`).
    """
    clips: list[dict[str, Any]] = []
    done: dict[str, dict[str, Any]] = {}
    for c in visit.clips:
        d = clip_dict(c)
        d["result"] = None
        if d["job"] and d["job"]["state"] == "done":
            try:
                _, _, doc = clip_result(settings, cache, c)
                d["result"] = doc
                done.setdefault(slot_of(c), doc)
            except BadInput as err:
                d["result_error"] = str(err)
        clips.append(d)
    main = done.get("side") or done.get("rear") or next(iter(done.values()), None)
    combined = None
    if "side" in done and "rear" in done:
        combined = combine_views(_summary_part(done["side"]), _summary_part(done["rear"]))
    shown = combined or (_summary_part(main) if main else None)
    found = [dataclasses.asdict(f) for f in findings(dict(shown), limit=5)] if shown else []
    keys = {k for d in done.values() for k in [*(d.get("metrics") or {}), *d.get("columns", [])]}
    return {"visit": visit_dict(visit), "patient": patient_dict(visit.patient), "clips": clips,
            "summary": _summary_part(main) if main else None, "steps": main["steps"] if main else [],
            "combined": combined, "findings": found, "no_finding": no_finding_text(shown) if shown else "",
            "labels": {k: _label(k) for k in sorted(keys)}}


def _visit_metrics(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The summary-like part of a visit used for trends: combined, else the main clip's."""
    shown: dict[str, Any] | None = doc["combined"] or doc["summary"]
    return shown


def _series(points: list[tuple[Visit, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keys = list(TREND_METRICS)
    for _, s in points:
        keys += [k for k in (s.get("metrics") or {}) if k not in keys and k != "foot_strike_pattern"]
    for key in keys:
        entry: dict[str, Any] = {**_label(key), "key": key, "left": [], "right": [], "both": []}
        for v, s in points:
            if key == "cadence_spm":
                if isinstance(s.get("cadence_spm"), (int, float)):
                    entry["both"].append({"visit_id": v.id, "date": v.date.isoformat(),
                                          "median": s["cadence_spm"], "ci95": s.get("cadence_ci95")})
                continue
            m = (s.get("metrics") or {}).get(key) or {}
            for side in ("left", "right"):
                sv = m.get(side) if isinstance(m, dict) else None
                if isinstance(sv, dict) and isinstance(sv.get("median"), (int, float)):
                    entry[side].append({"visit_id": v.id, "date": v.date.isoformat(), "median": sv["median"],
                                        "ci95": sv.get("ci95"), "confidence": sv.get("confidence")})
        if entry["left"] or entry["right"] or entry["both"]:
            out[key] = entry
    return out


def patient_trends(settings: AppSettings, cache: AnalysisCache, patient: Patient) -> dict[str, Any]:
    """Key metrics per visit with their intervals, and each change between successive visits.

    A change is marked ``real change`` when it exceeds the metric's smallest
    detectable change (:func:`gaitvision.report.compare.compare_summaries`).
    """
    points = []
    for v in sorted(patient.visits, key=lambda x: (x.date, x.id)):
        s = _visit_metrics(visit_document(settings, cache, v))
        if s:
            points.append((v, s))
    series = _series(points)
    for (va, sa), (vb, sb) in zip(points, points[1:], strict=False):
        for row in compare_summaries(sa, sb):
            entry = series.get(row["metric"])
            if entry is not None:
                entry.setdefault("changes", []).append({**row, "from_visit": va.id, "to_visit": vb.id})
    return {"patient": patient_dict(patient),
            "visits": [{"id": v.id, "date": v.date.isoformat()} for v, _ in points], "metrics": series}


def visit_csv(doc: dict[str, Any]) -> str:
    """Every clip's (corrected) steps as one CSV, a ``clip_view`` column first."""
    cols: list[str] = ["clip_view"]
    rows: list[dict[str, Any]] = []
    for c in doc["clips"]:
        if not c["result"]:
            continue
        cols += [k for k in c["result"]["columns"] if k not in cols]
        rows += [{"clip_view": c["result"].get("view", ""), **r} for r in c["result"]["steps"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(k) is None else (f"{r[k]:.4f}" if isinstance(r[k], float) else r[k]) for k in cols])
    return buf.getvalue()


def _corrections_csv(doc: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "clip_id", "type", "correction", "automatic_value", "new_value", "created_at", "undone"])
    for c in doc["clips"]:
        for r in (c["result"] or {}).get("corrections") or []:
            w.writerow([r["id"], r["clip_id"], r["type"], json.dumps(r["correction"]), json.dumps(r["automatic_value"]),
                        json.dumps(r["new_value"]), r["created_at"], r["undone"]])
    return buf.getvalue()


def visit_zip(settings: AppSettings, doc: dict[str, Any], visit: Visit, dest: Path) -> None:
    """The visit folder as a zip: each clip and its analysis, the corrected results, the corrections."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("visit.json", json.dumps(doc, indent=2))
        z.writestr("steps.csv", visit_csv(doc))
        z.writestr("corrections.csv", _corrections_csv(doc))
        for c in visit.clips:
            folder = settings.clips_dir / c.folder
            tag = f"clip{c.id}_{slot_of(c)}"
            for p in sorted(folder.rglob("*")):
                if p.is_file() and ".partial" not in p.name:
                    z.write(p, f"{tag}/{p.relative_to(folder)}")


def correction_rows(visit: Visit) -> list[dict[str, Any]]:
    """Every correction of the visit's clips, oldest first."""
    return sorted((correction_dict(r) for c in visit.clips for r in c.corrections), key=lambda r: r["id"])
