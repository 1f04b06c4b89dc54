"""The report page, findings and session comparison on hand-made summaries (no video)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from gaitvision.report.compare import REAL, UNJUDGED, WITHIN, compare_summaries, write_comparison
from gaitvision.report.data import AnalysisFolder, load_folder, metric_columns, parse_steps_csv
from gaitvision.report.html import render_report
from gaitvision.report.text import cadence_target, findings, metric_info

EVIL = '<script>alert(1)</script>'


def _side(median, conf="high", n=12, iqr=1.0):
    return {"median": median, "iqr": iqr, "n": n, "confidence": conf}


def rear_summary(**over):
    s = {
        "schema": "gaitvision.summary/1",
        "gaitvision_version": "0.1.0",
        "input": {"path": "/clips/rear.mp4", "capture_fps": 60.0, "duration_s": 8.0, "frames": 480,
                  "width": 720, "height": 1280},
        "view": "rear",
        "cadence_spm": 170.0,
        "steps_detected": {"left": 10, "right": 10},
        "steps_used": {"left": 10, "right": 10},
        "metrics": {
            "knee_fppa_peak_deg": {"unit": "deg", "left": _side(14.0), "right": _side(5.0),
                                   "asymmetry_pct": 64.0,
                                   "reference": {"text": "No running norm.", "source": "Munro 2012"}},
            "pelvic_drop_peak_deg": {"unit": "deg", "left": _side(1.0, "low"), "right": _side(2.0, "low"),
                                     "reference": {"text": "t", "source": "Bramah 2018"}},
            "mystery_new_metric_pct_hip": {"unit": "pct_hip", "left": _side(3.0), "right": _side(4.0),
                                           "reference": {"text": "new", "source": "someone 2030"}},
        },
        "not_measurable": {"foot_strike_angle_deg": "needs a side view"},
        "warnings": ["Pelvic drop is rough."],
    }
    s.update(over)
    return s


STEPS = (
    "step,side,ic_time_s,ic_frame,to_time_s,to_frame,contact_time_s,step_time_s,confidence,"
    "knee_fppa_peak_deg,pelvic_drop_peak_deg,knee_fppa_peak_frame,excluded_reason\n"
    "1,left,0.3,19,0.48,29,,0.35,high,12.0322,0.53,23,\n"
    "2,right,0.65,39,0.85,51,,0.38,low,5.1403,1.66,44,\n"
    "3,left,1.05,63,1.2,73,,,high,,,,landmarks missing\n"
)


def test_parse_steps_csv_types_and_metric_columns():
    cols, rows = parse_steps_csv(STEPS)
    assert rows[0]["step"] == 1 and rows[0]["ic_frame"] == 19 and rows[0]["knee_fppa_peak_deg"] == 12.0322
    assert rows[0]["contact_time_s"] is None and rows[0]["excluded_reason"] == ""
    assert rows[2]["excluded_reason"] == "landmarks missing"
    # data-driven: value columns, never frames or bookkeeping
    assert metric_columns(cols, rows) == ["step_time_s", "knee_fppa_peak_deg", "pelvic_drop_peak_deg"]


def test_metric_info_falls_back_for_unknown_keys():
    info = metric_info("mystery_new_metric_pct_hip")
    assert info.name == "Mystery new metric" and info.unit == "pct_hip"
    assert metric_info("knee_fppa_peak_deg").name.startswith("Knee collapse")


def test_findings_worst_first_and_sourced():
    fs = findings(rear_summary())
    assert [f.key for f in fs] == ["knee_fppa_peak_deg"]  # pelvic drop 1-2 deg raises nothing
    f = fs[0]
    assert f.side == "left" and "14°" in f.headline and "right side: 5°" in f.headline
    assert f.source == "Munro 2012"
    assert any("178–187 steps/min" in h for h in f.helps)  # +5-10% of 170
    # worst first across metrics; at most three
    s = rear_summary()
    s["metrics"]["pelvic_drop_peak_deg"]["left"] = _side(9.0)
    s["metrics"]["step_width_pct_hip"] = {"left": _side(-10.0), "right": _side(5.0)}
    s["metrics"]["knee_fppa_peak_deg"]["left"] = _side(9.0)
    fs = findings(s)
    assert [f.key for f in fs] == ["pelvic_drop_peak_deg", "step_width_pct_hip", "knee_fppa_peak_deg"]
    assert all(a.score >= b.score for a, b in zip(fs, fs[1:], strict=False))
    assert len(findings(s, limit=2)) == 2


def test_findings_come_only_from_firm_sides():
    s = rear_summary()
    s["metrics"]["knee_fppa_peak_deg"]["left"] = _side(12.0)
    s["metrics"]["knee_fppa_peak_deg"]["right"] = _side(20.0, "low")
    (f,) = findings(s)
    assert f.side == "left" and not f.low_confidence
    # a low-confidence value is never a finding, however large; it stays in the table
    s["metrics"]["knee_fppa_peak_deg"]["left"] = _side(3.0)
    assert findings(s) == []


def test_a_finding_needs_its_whole_interval_to_support_it():
    # the side sample's case: a far-foot "knee nearly straight" (low confidence) is
    # no finding at all; a firm knee value whose interval reaches above the
    # threshold (15.9 deg) is none either
    s = rear_summary()
    s["metrics"]["knee_fppa_peak_deg"]["left"] = _side(10.0)  # firm, mild
    s["metrics"]["knee_flexion_ic_deg"] = {"left": _side(12.0), "right": _side(2.0, "low"),
                                           "reference": {"text": "t", "source": "Bramah 2018"}}
    s["metrics"]["knee_flexion_ic_deg"]["left"]["ci95"] = [9.0, 17.0]
    s["metrics"]["trunk_lean_deg"] = {"left": _side(0.0), "right": _side(0.0),
                                      "reference": {"text": "t", "source": "Teng & Powers 2014"}}
    fs = findings(s)
    assert [f.key for f in fs] == ["knee_fppa_peak_deg", "trunk_lean_deg"] or \
        [f.key for f in fs] == ["trunk_lean_deg", "knee_fppa_peak_deg"]
    assert not any(f.low_confidence for f in fs)
    # narrowed below the threshold, the knee is a finding, quoted at the interval's centre
    s["metrics"]["knee_flexion_ic_deg"]["left"]["ci95"] = [9.0, 15.0]
    (knee,) = [f for f in findings(s) if f.key == "knee_flexion_ic_deg"]
    assert knee.side == "left" and "about 12°" in knee.headline
    # FPPA 10 deg with an interval down to 7 deg: not surely above the 8.4 deg comparison
    s["metrics"]["knee_fppa_peak_deg"]["left"]["ci95"] = [7.0, 13.0]
    assert "knee_fppa_peak_deg" not in [f.key for f in findings(s)]


def test_no_folklore():
    text = json.dumps([f.__dict__ for f in findings(rear_summary())])
    assert "180" not in text.replace("178–187", "")
    assert cadence_target(168.9) == "177–186 steps/min"
    assert cadence_target(None) is None


def _folder(tmp_path, summary, steps=STEPS):
    (tmp_path / "steps.csv").write_text(steps)
    return load_folder(tmp_path, summary=summary)


def test_report_escapes_every_input_string(tmp_path):
    s = rear_summary()
    s["input"]["path"] = f"/clips/{EVIL}.mp4"
    s["warnings"] = [f"warn {EVIL}"]
    s["not_measurable"] = {f"key_{EVIL}": f"because {EVIL}"}
    s["metrics"][f"evil_{EVIL}_deg"] = {"left": _side(1.0), "reference": {"text": EVIL, "source": EVIL}}
    steps = STEPS.replace("landmarks missing", EVIL.replace(",", ""))
    page = render_report(_folder(tmp_path, s, steps), session={"patient_name": EVIL, "note": "a & b"})
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 7
    assert "a &amp; b" in page


def test_report_is_self_contained_and_data_driven(tmp_path):
    page = render_report(_folder(tmp_path, rear_summary()), video_file="annotated.mp4")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "Content-Security-Policy" in page and "script-src 'none'" in html.unescape(page)
    assert 'src="annotated.mp4"' in page and "<script" not in page  # the annotated video: no overlay to draw
    # every metric of the summary is in the table, the unknown one under its fallback name
    assert "Mystery new metric" in page and "3.0% of hip width" in page
    # not measurable, with the reason; low confidence visibly marked
    assert "needs a side view" in page
    assert "≈ 1.0°" in page and "low confidence" in page
    # the full step table, excluded step with its reason
    assert 'class="excluded"' in page and "landmarks missing" in page
    # print stylesheet for an A4 handout
    assert "@page { size: A4" in page and "@media print" in page


def test_no_finding_says_whether_values_were_measurable(tmp_path):
    """No finding because the intervals are too wide reads differently from no finding because all is well."""
    calm = rear_summary(metrics={"knee_fppa_peak_deg": {"unit": "deg", "left": _side(3.0), "right": _side(4.0),
                                                        "reference": {"text": "t", "source": "Munro 2012"}}})
    wide = rear_summary(metrics={k: {"unit": "deg", "left": _side(3.0, "none"), "right": _side(4.0, "none"),
                                     "reference": {"text": "t", "source": "s"}}
                                 for k in ("knee_fppa_peak_deg", "pelvic_drop_peak_deg")})
    (tmp_path / "calm").mkdir()
    (tmp_path / "wide").mkdir()
    calm_page = html.unescape(render_report(_folder(tmp_path / "calm", calm), video_file=None))
    wide_page = html.unescape(render_report(_folder(tmp_path / "wide", wide), video_file=None))
    assert not findings(calm) and not findings(wide)
    assert "Nothing in what this view can measure stands out" in calm_page and "No finding: most" not in calm_page
    assert "No finding: most values could not be measured precisely enough" in wide_page
    assert "stands out" not in wide_page


def test_report_without_video(tmp_path):
    page = render_report(_folder(tmp_path, rear_summary()), video_file=None)
    assert "<video" not in page and "No video is shown" in page and "<script" not in page


def _overlay():
    return {"frame_size": [720, 1280], "n_frames": 3, "t": [0.0, 0.016667, 0.033333], "view": "rear",
            "landmarks": {"left_knee": {"x": [100.5, None, 101.0], "y": [600.0, None, 601.2]}},
            "steps": [{"step": 1, "side": "left", "ic_frame": 0, "to_frame": 2, "frame": 1, "excluded": False,
                       "values": {"knee_fppa_peak_deg": 12.0322}, "geometry": {"knee": [100.5, 600.0]},
                       "note": EVIL}]}


def test_report_with_the_overlay_runs_only_its_own_script(tmp_path):
    """The clip by relative path, the overlay's data inline and inert, one script allowed by its hash."""
    import base64
    import hashlib

    from gaitvision.report.overlay import OVERLAY_SCRIPT

    page = render_report(_folder(tmp_path, rear_summary()), video_file="../clips/rear%20clip.mp4", overlay=_overlay())
    assert 'src="../clips/rear%20clip.mp4" data-overlay="overlay-data"' in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="overlay-data"', ""]
    # the data: JSON, with no character that could end its element
    data_text = scripts[0][1]
    assert "<" not in data_text and ">" not in data_text and "&" not in data_text
    assert json.loads(data_text) == _overlay()
    # the drawing script is the shared file, and the policy lets only it run
    code = scripts[1][1]
    assert code == OVERLAY_SCRIPT.read_text(encoding="utf-8") and "GVOverlay" in code
    assert "</script" not in code.lower() and "<!--" not in code
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy and "'unsafe-inline'" not in policy.split("script-src")[1]
    assert "default-src 'none'" in policy and "connect-src" not in policy  # nothing may be fetched by script
    # sized to the frame's aspect, at most 80 % of the window's height
    assert "max-width: calc(80vh * 0.56250)" in page


def test_both_pages_share_one_skeleton(tmp_path):
    from gaitvision.report.html import render_visit_page

    report = render_report(_folder(tmp_path, rear_summary()))
    visit = render_visit_page({"cadence_spm": 170.0, "metrics": {}, "checks": [], "warnings": []},
                              [("rear", "rear/report.html")])
    head = report[: report.index("<title>")]
    assert visit.startswith(head) and "script-src 'none'" in html.unescape(head)
    assert report.endswith("</main></body></html>\n") and visit.endswith("</main></body></html>\n")


def test_compare_flags_only_changes_beyond_the_sdd():
    a, b = rear_summary(), rear_summary(cadence_spm=180.0)
    b["metrics"] = json.loads(json.dumps(b["metrics"]))
    b["metrics"]["knee_fppa_peak_deg"]["left"]["median"] = 4.0  # -10 deg > SDD 8.93
    b["metrics"]["knee_fppa_peak_deg"]["right"]["median"] = 1.0  # -4 deg < SDD
    b["metrics"]["pelvic_drop_peak_deg"]["left"]["median"] = 4.0  # +3.0 > 2.8
    rows = {(r["metric"], r["side"]): r for r in compare_summaries(a, b)}
    assert rows[("knee_fppa_peak_deg", "left")]["verdict"] == REAL
    assert rows[("knee_fppa_peak_deg", "left")]["change"] == pytest.approx(-10.0)
    assert rows[("knee_fppa_peak_deg", "right")]["verdict"] == WITHIN
    assert rows[("pelvic_drop_peak_deg", "left")]["verdict"] == REAL
    assert rows[("pelvic_drop_peak_deg", "left")]["low_confidence"] is True
    assert rows[("mystery_new_metric_pct_hip", "left")]["verdict"] == UNJUDGED
    assert rows[("cadence_spm", "both")]["change_pct"] == pytest.approx(5.9)


def test_compare_with_intervals_needs_the_change_interval_to_exclude_zero():
    a, b = rear_summary(), rear_summary()
    a["metrics"] = json.loads(json.dumps(a["metrics"]))
    b["metrics"] = json.loads(json.dumps(b["metrics"]))
    fa, fb = a["metrics"]["knee_fppa_peak_deg"], b["metrics"]["knee_fppa_peak_deg"]
    # left: -10 deg, beyond the SDD (8.93) and beyond the intervals (+-2 each -> +-2.8)
    fa["left"]["median"], fb["left"]["median"] = 14.0, 4.0
    fa["left"]["ci95"], fb["left"]["ci95"] = [12.0, 16.0], [2.0, 6.0]
    # right: -10 deg, beyond the SDD but not beyond these wide intervals (+-8 each -> +-11.3)
    fa["right"]["median"], fb["right"]["median"] = 15.0, 5.0
    fa["right"]["ci95"], fb["right"]["ci95"] = [7.0, 23.0], [-3.0, 13.0]
    rows = {(r["metric"], r["side"]): r for r in compare_summaries(a, b)}
    left, right = rows[("knee_fppa_peak_deg", "left")], rows[("knee_fppa_peak_deg", "right")]
    assert left["verdict"] == REAL
    assert left["change_ci95"] == pytest.approx([-12.828, -7.172], abs=1e-3)
    assert right["verdict"] == WITHIN
    lo, hi = right["change_ci95"]
    assert lo < 0 < hi


def test_write_comparison(tmp_path):
    for name, s in (("a", rear_summary()), ("b", rear_summary(cadence_spm=175.0))):
        d = tmp_path / name
        d.mkdir()
        (d / "summary.json").write_text(json.dumps(s))
        (d / "steps.csv").write_text(STEPS)
    page = write_comparison(tmp_path / "a", tmp_path / "b", tmp_path / "cmp")
    text = page.read_text()
    doc = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert doc["rows"][0]["metric"] == "cadence_spm"
    assert "within measurement error" in text and "Munro" in text
    assert "<script" not in text.lower()


def test_load_folder_errors(tmp_path):
    from gaitvision.errors import OutputError

    with pytest.raises(OutputError, match="no summary.json"):
        load_folder(tmp_path)
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(OutputError, match="cannot be read as JSON"):
        load_folder(tmp_path)


def test_folder_clip_name_is_basename():
    f = AnalysisFolder(Path("."), {"input": {"path": "/a/b/c.mp4"}}, [], [])
    assert f.clip_name == "c.mp4"
