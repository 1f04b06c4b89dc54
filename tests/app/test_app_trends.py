"""Trends across a patient's visits: each visit's medians with intervals, and changes judged by the SDD."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gaitvision.app import results
from gaitvision.report.text import SDD


def _summary(fppa_left, ci=None, cadence=160.0):
    left = {"median": fppa_left, "iqr": 1.0, "n": 10, "confidence": "high"}
    if ci:
        left["ci95"] = ci
    return {"view": "rear", "cadence_spm": cadence, "metrics": {
        "knee_fppa_peak_deg": {"unit": "deg", "view": "frontal", "left": left,
                               "right": {"median": 5.0, "iqr": 1.0, "n": 10, "confidence": "high"}}},
        "not_measurable": {}, "warnings": []}


def test_changes_beyond_the_smallest_detectable_change_are_marked(monkeypatch):
    sdd = SDD["knee_fppa_peak_deg"].value
    docs = {1: _summary(14.0, [12.0, 16.0]), 2: _summary(14.0 - sdd - 1.0, [2.0, 6.0]), 3: _summary(14.0 - sdd - 0.5)}
    visits = [SimpleNamespace(id=i, date=dt.date(2026, 1, i)) for i in (3, 1, 2)]  # any order: by date
    patient = SimpleNamespace(id=7, name="P", external_id="", notes="", created_at=dt.datetime(2026, 1, 1),
                              visits=visits)
    monkeypatch.setattr(results, "visit_document", lambda s, c, v: {"combined": None, "summary": docs[v.id]})
    monkeypatch.setattr(results, "patient_dict", lambda p: {"id": p.id})
    t = results.patient_trends(None, None, patient)
    assert [v["id"] for v in t["visits"]] == [1, 2, 3]
    fppa = t["metrics"]["knee_fppa_peak_deg"]
    assert [p["median"] for p in fppa["left"]] == [14.0, 14.0 - sdd - 1.0, 14.0 - sdd - 0.5]
    assert [p["ci95"] for p in fppa["left"]] == [[12.0, 16.0], [2.0, 6.0], None]
    left = [c for c in fppa["changes"] if c["side"] == "left"]
    assert [(c["from_visit"], c["to_visit"], c["verdict"]) for c in left] == [
        (1, 2, "real change"), (2, 3, "within measurement error")]
    right = [c for c in fppa["changes"] if c["side"] == "right"]
    assert all(c["verdict"] == "within measurement error" for c in right)
    assert [p["median"] for p in t["metrics"]["cadence_spm"]["both"]] == [160.0] * 3
    assert fppa["label"] and fppa["unit"] == "deg"


def test_a_visit_with_a_side_and_a_rear_clip_shows_one_combined_result(monkeypatch):
    from tests.app.test_combine import REAR, SIDE

    def clip(i, view):
        job = SimpleNamespace(id=i, clip_id=i, clip=SimpleNamespace(visit_id=1), state="done", stage="done",
                              progress=1.0, error="", attempts=1, interrupted=0)
        return SimpleNamespace(id=i, visit_id=1, view_hint="auto", view=view, original_name=f"{view}.mp4",
                               size_bytes=1, codec="h264", pix_fmt="yuv420p", playable_name="clip.mp4", jobs=[job])

    docs = {1: {**SIDE, "steps": [{"step": 1}], "columns": ["step"]}, 2: {**REAR, "steps": [], "columns": ["step"]}}
    monkeypatch.setattr(results, "clip_result", lambda s, c, clip: (None, None, docs[clip.id]))
    visit = SimpleNamespace(id=1, patient_id=7, date=dt.date(2026, 1, 2), speed="", shoes="", notes="",
                            clips=[clip(2, "rear"), clip(1, "side-left")],
                            patient=SimpleNamespace(id=7, name="P", external_id="", notes="",
                                                    created_at=dt.datetime(2026, 1, 1)))
    doc = results.visit_document(None, None, visit)
    assert doc["summary"]["view"] == "side-left" and doc["steps"] == [{"step": 1}]  # the side clip is the main one
    assert [c["slot"] for c in doc["clips"]] == ["rear", "side"]
    assert doc["combined"]["metrics"]["knee_fppa_peak_deg"]["from"] == "rear"
    assert doc["combined"]["metrics"]["knee_flexion_ic_deg"]["from"] == "side"
    assert any("knee" in f["headline"].lower() for f in doc["findings"])  # findings read the combined metrics
    assert doc["labels"]["knee_fppa_peak_deg"]["label"]
