"""``gaitvision analyze SIDE REAR``: one visit from two views, on the command line.

The two bundled samples (a side clip and a rear clip of rendered runners)
are analysed each into its own folder and combined: ``visit.json`` takes the
sagittal metrics from the side clip and the frontal ones from the rear clip,
cross-checks the cadence by the two clips' intervals, and ``visit.html``
shows one report with links to both clips' own reports. The pose passes are
the session's cached ones (seeded ``track.npz``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.video

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def test_side_and_rear_clips_make_one_visit(pose_tracks, tmp_path):
    side, rear = SAMPLES / "side_left_60fps.mp4", SAMPLES / "rear_valgus_60fps.mp4"
    out = tmp_path / "visit"
    pose_tracks.seed(side, out / side.stem)
    pose_tracks.seed(rear, out / rear.stem)
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "analyze", str(side), str(rear), "--out", str(out),
                           "--no-video", "--no-report", "--quiet"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    visit = json.loads((out / "visit.json").read_text())
    assert visit["views"] == {"side": "side-left", "rear": "rear"}
    metrics = visit["metrics"]
    assert metrics["knee_fppa_peak_deg"]["from"] == "rear"
    assert metrics["foot_strike_angle_deg"]["from"] == "side"
    (cad,) = [c for c in visit["checks"] if c["name"].startswith("cadence")]
    assert cad["basis"] == "intervals"  # both clips' cadence intervals were compared
    assert cad["agree"] is True  # the same rendered rhythm (164 steps/min) in both clips
    for name in (side.stem, rear.stem):
        assert json.loads((out / name / "summary.json").read_text())["metrics"]
    page = (out / "visit.html").read_text()
    assert "one visit, two views" in page and f"{rear.stem}/report.html" in page
    assert "one visit:" in proc.stdout
    # the side clip is still measured and reported on its own
    assert json.loads((out / side.stem / "summary.json").read_text())["view"] == "side-left"


def test_two_side_clips_are_analysed_but_not_combined(pose_tracks, tmp_path):
    side = SAMPLES / "side_left_60fps.mp4"
    out = tmp_path / "two"
    pose_tracks.seed(side, out / side.stem)
    pose_tracks.seed(side, out / f"{side.stem}_2")
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "analyze", str(side), str(side), "--out", str(out),
                           "--no-video", "--no-report", "--quiet"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "No combined result" in proc.stdout
    assert (out / side.stem / "summary.json").exists() and (out / f"{side.stem}_2" / "summary.json").exists()
    assert not (out / "visit.json").exists()
