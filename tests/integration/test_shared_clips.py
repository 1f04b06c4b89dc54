"""End to end on the shared clips: real decoding, real MediaPipe inference.

Tolerances come from the issue's acceptance bar and metrics.md: cadence
within 1 % (its accuracy goal), knee FPPA within 3 deg of the rendered
truth, strike angle within 4 deg, initial contacts within 1 frame (median).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import av
import numpy as np
import pytest
from conftest import shared_clip, shared_truth

pytestmark = pytest.mark.video

REAL = "real/treadmill_side_male_30fps.mp4"
REAL_ROT = "real/treadmill_side_male_30fps_rot90.mp4"
CADENCE_TRUTH = 168.9


def decoded_frames(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        shapes = {(f.width, f.height) for f in c.decode(s)}
        n = s.frames
    return n, shapes


def video_later(result, tmp_path, *options):
    """``gaitvision video`` on a copy of the session's analysis folder (no annotated.mp4 by default): its path.

    The copy keeps the session's folder as the other tests see it; the clip is found from summary.json.
    """
    folder = tmp_path / result.out_dir.name
    shutil.copytree(result.out_dir, folder)
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "video", str(folder), "--quiet", *options],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"video: {folder / 'annotated.mp4'}"
    return folder / "annotated.mp4"


def steps_of(result, side):
    return [r for r in result.measurement.table.rows if r["side"] == side and not r["excluded_reason"]]


def test_real_side_clip(analyzed):
    res = analyzed(REAL)
    s = res.summary
    assert s["view"] == "side-left" and s["runner_facing"] == "left"
    assert s["cadence_spm"] == pytest.approx(CADENCE_TRUTH, rel=0.01)
    assert s["steps_used"]["left"] >= 15 and s["steps_used"]["right"] >= 15
    assert s["steps_detected"]["left"] >= s["steps_used"]["left"]
    assert s["metrics"]["foot_strike_pattern"]["left"]["pattern"] == "rearfoot"
    assert s["input"]["frames"] == 360 and (s["input"]["width"], s["input"]["height"]) == (720, 1280)
    assert any("30 fps" in w for w in s["warnings"])


def test_real_side_clip_outputs(analyzed, tmp_path):
    res = analyzed(REAL)
    out = res.out_dir
    assert not (out / "annotated.mp4").exists()  # only with --video, or later with `gaitvision video`
    # summary.json is valid JSON with the contract's keys
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == "gaitvision.summary/1"
    for key in ("input", "view", "runner_facing", "steps_detected", "cadence_spm", "metrics",
                "not_measurable", "warnings"):
        assert key in summary
    assert summary["not_measurable"]["knee_fppa_peak_deg"] == "needs a rear or front view"
    # steps.csv: one row per step, contract columns first, frame numbers match the video
    with open(out / "steps.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:9] == ["step", "side", "ic_time_s", "ic_frame", "to_time_s", "to_frame",
                                 "contact_time_s", "step_time_s", "confidence"]
    assert list(rows[0])[-1] == "excluded_reason"
    assert len(rows) == summary["steps_detected"]["left"] + summary["steps_detected"]["right"]
    # the annotated video, written later from the cache (no pose model): H.264 yuv420p, same frame count
    # and orientation as the input, faststart
    video = video_later(res, tmp_path)
    with av.open(str(video)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"
        dur = float(st.duration * st.time_base)
    n, shapes = decoded_frames(video)
    assert n == 360 and shapes == {(720, 1280)}
    assert dur == pytest.approx(12.0, abs=0.05)
    data = video.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    # the input was not touched, and no temporary files are left behind
    assert not [p.name for p in out.iterdir() if "partial" in p.name]


def test_rotated_clip_analysed_upright(analyzed, tmp_path):
    orig = analyzed(REAL).summary
    rot = analyzed(REAL_ROT)
    s = rot.summary
    assert s["input"]["rotation_deg"] == 90
    assert (s["input"]["width"], s["input"]["height"]) == (720, 1280)
    assert s["view"] == orig["view"] == "side-left"
    assert s["cadence_spm"] == pytest.approx(CADENCE_TRUTH, rel=0.01)
    assert s["cadence_spm"] == pytest.approx(orig["cadence_spm"], rel=0.005)
    n, shapes = decoded_frames(video_later(rot, tmp_path))
    assert n == 360 and shapes == {(720, 1280)}


def test_rerun_reuses_cached_track(analyzed, tmp_path):
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.pipeline import analyze_video

    first = analyzed(REAL)
    again = analyze_video(shared_clip(REAL), first.out_dir,
                          AnalysisConfig(render=RenderConfig(video=False)))
    assert again.track_from_cache and again.pose_seconds == 0.0
    assert again.summary["cadence_spm"] == first.summary["cadence_spm"]


@pytest.mark.parametrize("name, view", [
    ("synthetic/side_rfs_60fps.mp4", "side-left"),
    ("synthetic/rear_valgus_60fps.mp4", "rear"),
    ("synthetic/rear_neutral_30fps.mp4", "rear"),
])
def test_synthetic_view_and_cadence(analyzed, name, view):
    s = analyzed(name).summary
    truth = shared_truth(name.replace(".mp4", ".truth.json"))
    assert s["view"] == view
    assert s["cadence_spm"] == pytest.approx(truth["summary"]["cadence_spm"], rel=0.01)


def test_rear_valgus_fppa(analyzed):
    name = "synthetic/rear_valgus_60fps.mp4"
    s = analyzed(name).summary
    truth = shared_truth(name.replace(".mp4", ".truth.json"))["summary"]
    f = s["metrics"]["knee_fppa_peak_deg"]
    assert f["left"]["median"] == pytest.approx(truth["L"]["fppa_peak_deg_2d"], abs=3.0)
    assert f["right"]["median"] == pytest.approx(truth["R"]["fppa_peak_deg_2d"], abs=3.0)
    assert f["left"]["median"] > f["right"]["median"]


@pytest.mark.parametrize("name", ["synthetic/rear_valgus_60fps.mp4", "synthetic/rear_neutral_30fps.mp4"])
def test_pelvic_drop_from_the_image_end_to_end(analyzed, name):
    """Issue 8 through the product path: the waistband line, not MediaPipe's hips, within 1.5 deg."""
    s = analyzed(name).summary
    truth = shared_truth(name.replace(".mp4", ".truth.json"))["summary"]
    d = s["metrics"]["pelvic_drop_peak_deg"]
    assert d["source"] == "waistband"
    for side, S in (("left", "L"), ("right", "R")):
        assert d[side]["median"] == pytest.approx(truth[S]["pelvic_drop_peak_deg_2d"], abs=1.5)
    assert (analyzed(name).out_dir / "pelvis.npz").exists()


@pytest.mark.parametrize("name", ["synthetic/rear_valgus_60fps.mp4", "synthetic/rear_neutral_30fps.mp4"])
def test_rear_events_within_one_frame(analyzed, name):
    """From behind: contacts inferred from the pelvis's ballistic flight, toe-offs from the toe.

    Compared as frames with the truth's first / last frame of belt contact.
    """
    res = analyzed(name)
    truth = shared_truth(name.replace(".mp4", ".truth.json"))
    for side, S in (("left", "L"), ("right", "R")):
        for key, tkey in (("ic_frame", "ic_frame_mesh"), ("to_frame", "to_frame_mesh")):
            true_f = np.array(truth["events"][S][tkey])
            err = [int(np.min(np.abs(true_f - r[key]))) for r in steps_of(res, side) if r[key] is not None]
            assert len(err) >= 8 and np.median(err) <= 1, (side, key, err)


def test_rear_neutral_fppa(analyzed):
    name = "synthetic/rear_neutral_30fps.mp4"
    s = analyzed(name).summary
    truth = shared_truth(name.replace(".mp4", ".truth.json"))["summary"]
    f = s["metrics"]["knee_fppa_peak_deg"]
    for side, S in (("left", "L"), ("right", "R")):
        assert f[side]["median"] == pytest.approx(truth[S]["fppa_peak_deg_2d"], abs=3.0)


def _event_errors_frames(res, truth, side, key):
    """|event time - nearest exact truth time| in frames, for the included steps."""
    S = "L" if side == "left" else "R"
    fps = truth["video"]["fps"]
    true_t = np.array(truth["events"][S][key])
    found = [r[key] for r in steps_of(res, side) if r[key] is not None]
    return np.array([np.min(np.abs(true_t - f)) * fps for f in found])


def test_side_rfs_accuracy_against_truth(analyzed):
    """Issue 3's accuracy bars on the rendered side-view runner (near foot = left)."""
    name = "synthetic/side_rfs_60fps.mp4"
    res = analyzed(name)
    truth = shared_truth(name.replace(".mp4", ".truth.json"))
    s, ts = res.summary["metrics"], truth["summary"]
    frame = 1 / truth["video"]["fps"]
    assert s["foot_strike_angle_deg"]["left"]["median"] == pytest.approx(ts["L"]["foot_strike_angle_deg_2d"], abs=3.0)
    for side, S in (("left", "L"), ("right", "R")):
        assert s["knee_flexion_ic_deg"][side]["median"] == pytest.approx(ts[S]["knee_flexion_ic_deg_2d"], abs=5.0)
    assert s["contact_time_s"]["left"]["median"] == pytest.approx(ts["L"]["contact_time_s"], abs=frame)
    for key in ("ic_time_s", "to_time_s"):
        err = _event_errors_frames(res, truth, "left", key)
        assert len(err) >= 9 and np.median(err) <= 1.0, (key, err)
    # the far foot's contacts are found too (its toe-off is the weak point)
    assert np.median(_event_errors_frames(res, truth, "right", "ic_time_s")) <= 1.0
    # the far foot's contact time is never a firm value: low, or not measurable when its interval is too wide
    assert s["contact_time_s"]["right"]["confidence"] in ("low", "none")
    # overstride measures: the truth's 2D values at the contact frame
    left_steps = [st for st in truth["steps"] if st["side"] == "L"]
    ratio = np.median([st["sagittal_2d"]["overstride_leg_ratio"]["at_frame"] for st in left_steps])
    assert s["heel_to_hip_ic_pct_leg"]["left"]["median"] == pytest.approx(100 * ratio, abs=5.0)
    shank = np.median([st["sagittal_2d"]["shank_angle_ic_deg"]["at_frame"] for st in left_steps])
    assert s["shank_angle_ic_deg"]["left"]["median"] == pytest.approx(shank, abs=5.0)
    peak = np.median([st["sagittal_2d"]["knee_flexion_peak_deg"] for st in truth["steps"] if st["side"] == "L"])
    assert s["knee_flexion_peak_stance_deg"]["left"]["median"] == pytest.approx(peak, abs=8.0)


def test_real_clip_contact_time_and_duty_factor_bands(analyzed):
    """Physiological bands for this runner (groundtruth JSON): duty factor 25-48 %.

    Every near-foot (left) step is in the band; the far (right) foot, partly
    hidden by the console and flagged low confidence, in the median.
    """
    res = analyzed(REAL)
    df = {side: [r["duty_factor"] for r in steps_of(res, side) if r["duty_factor"] is not None]
          for side in ("left", "right")}
    assert len(df["left"]) >= 14 and all(0.25 <= d <= 0.48 for d in df["left"]), df["left"]
    assert len(df["right"]) >= 14 and 0.25 <= np.median(df["right"]) <= 0.48
    ct = [r["contact_time_s"] for r in steps_of(res, "left") if r["contact_time_s"] is not None]
    assert 0.18 <= np.median(ct) <= 0.32


def test_real_clip_every_contact_time_in_band(analyzed):
    """Issue 3: every reported contact time, both feet, in 0.18-0.32 s.

    One far-foot step (frames 135-138, toe-off 4 frames early where the near
    foot swings past) is excluded as an outlier of that foot, not reported.
    """
    res = analyzed(REAL)
    excluded = [r for r in res.measurement.table.rows if r["excluded_reason"]]
    assert len(excluded) <= 2, [(r["step"], r["excluded_reason"]) for r in excluded]
    ct = [r["contact_time_s"] for side in ("left", "right") for r in steps_of(res, side)
          if r["contact_time_s"] is not None]
    assert all(0.18 <= c <= 0.32 for c in ct), sorted(ct)
