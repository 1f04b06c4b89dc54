"""Slow motion without capture-rate metadata, through the real CLI (issue #10 item 5 acceptance).

Re-timed copies are made by rewriting the container's timestamps (PyAV
remux, no re-encode: the frames are the original's, only their times are
multiplied), into ``tmp_path``; inputs are never touched:

- the bundled side sample (60 fps) played 2x and 4x slower (30 and 15 fps);
- a rendered 240 fps runner played at 30 and 24 fps (8x and 10x).

Each is refused, or warned, with the ``--capture-fps`` advice; no cadence
is reported without it. With ``--capture-fps`` the cadence is within 1 % of
the truth. Pose passes: one real pass per source (the 2x and 8x copies);
the 4x and 10x copies have the very same frames, so their ``track.npz`` is
the first copy's landmarks on the copy's own timestamps (read from the
file), stamped with the copy's fingerprint as the product writes it.

The 240 fps runner is rendered with the synth extra (``gaitvision synth
OUT --fps 240 --duration 3 --size 540x960 --seed 2001``), else skipped.

Normal-speed clips (every shared clip, real and rendered, and both bundled
samples) must not be flagged: ``summary.json`` ``playback`` says real time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import SHARED_VIDEOS, shared_clip
from fixtures.synth_extra import skip_without_synth

from gaitvision.io.tracks import file_fingerprint, load_track, save_track
from gaitvision.io.video import iter_frames, probe_video
from gaitvision.pose.blazepose import MODEL_NAME, model_version

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "side_left_60fps.mp4"
#: seed of the rendered 240 fps runner (distinct from the calibration grid's)
RUN240_SEED = 2001

pytestmark = pytest.mark.video


def retime(src: Path, dst: Path, slow: float) -> Path:
    """``src`` with every timestamp multiplied by ``slow`` (plays ``slow`` times slower); remux only."""
    k = Fraction(slow).limit_denominator(1000)
    with av.open(str(src)) as inp, av.open(str(dst), mode="w", format="mp4") as out:
        ist = inp.streams.video[0]
        ost = out.add_stream_from_template(ist)
        for pkt in inp.demux(ist):
            if pkt.pts is None and pkt.dts is None:
                continue  # the demuxer's flush packet
            if pkt.pts is not None:
                pkt.pts = int(pkt.pts * k)
            if pkt.dts is not None:
                pkt.dts = int(pkt.dts * k)
            if pkt.duration:
                pkt.duration = int(pkt.duration * k)
            pkt.stream = ost
            out.mux(pkt)
    return dst


def run_cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gaitvision", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=1800, env=env)


def analyze(clip: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict | None]:
    threads = os.environ.get("GAITVISION_TEST_POSE_THREADS")
    proc = run_cli("analyze", clip, "--out", out, "--quiet", "--no-video", "--no-report", "--overwrite",
                   *(("--threads", threads) if threads else ()), *extra, cwd=out.parent)
    summary = out / "summary.json"
    return proc, json.loads(summary.read_text()) if proc.returncode == 0 and summary.exists() else None


def seed_retimed(first_out: Path, clip: Path, out: Path) -> None:
    """``out/track.npz`` for ``clip``: ``first_out``'s landmarks (same frames) on ``clip``'s timestamps."""
    track, info = load_track(first_out / "track.npz")
    times = np.array([f.time_s for f in iter_frames(clip)])
    assert times.size == track.n_frames  # the same frames, only re-timed
    out.mkdir(parents=True, exist_ok=True)
    save_track(out / "track.npz", track.replace(time_s=times), source_fingerprint=file_fingerprint(clip),
               model_name=MODEL_NAME, model_version=model_version(), pose_options=info.get("pose_options", ""))


def assert_refused_or_warned(proc, summary, capture_fps: float) -> str:
    """Refused with the advice (exit 1), or analysed with no cadence and the advice; the advice text."""
    advice = f"--capture-fps {capture_fps:g}"
    if summary is None:
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("gaitvision: error:") and "Traceback" not in proc.stderr
        assert advice in lines[0], lines[0]
        return lines[0]
    assert summary["cadence_spm"] is None, summary["cadence_spm"]
    for key in ("contact_time_s", "flight_time_s", "step_time_s"):
        assert key not in summary["metrics"]
    assert summary["playback"]["plausible_real_time"] is False
    hits = [w for w in summary["warnings"] if advice in w]
    assert hits, summary["warnings"]
    return hits[0]


def check_copy(clip: Path, out: Path, *, slow: float, capture_fps: float, truth_cadence: float) -> None:
    assert probe_video(clip).capture_fps is None  # no metadata gives the capture rate away
    proc, summary = analyze(clip, out)
    message = assert_refused_or_warned(proc, summary, capture_fps)
    factor = re.search(r"about (\d+)x slower", message)
    assert factor and int(factor.group(1)) == pytest.approx(slow, rel=0.2), message
    assert (out / "track.npz").exists()
    # the advice followed: real time, the cadence within 1 % (the track is reused from the cache)
    proc, summary = analyze(clip, out, "--capture-fps", f"{capture_fps:g}")
    assert proc.returncode == 0, proc.stderr
    assert summary["input"]["slow_motion_factor"] == pytest.approx(slow, rel=0.01)
    assert summary["cadence_spm"] == pytest.approx(truth_cadence, rel=0.01)
    assert summary["playback"]["plausible_real_time"] is True


def test_sample_played_2x_and_4x_slower(tmp_path):
    truth = json.loads(SAMPLE.with_suffix(".truth.json").read_text())["summary"]["cadence_spm"]
    x2 = retime(SAMPLE, tmp_path / "side_x2.mp4", 2)
    x4 = retime(SAMPLE, tmp_path / "side_x4.mp4", 4)
    assert probe_video(x2).fps_mean == pytest.approx(30, rel=0.02)
    check_copy(x2, tmp_path / "out_x2", slow=2, capture_fps=60, truth_cadence=truth)
    seed_retimed(tmp_path / "out_x2", x4, tmp_path / "out_x4")
    check_copy(x4, tmp_path / "out_x4", slow=4, capture_fps=60, truth_cadence=truth)


@pytest.fixture(scope="session")
def run240(tmp_path_factory) -> Path:
    """A 6 s runner rendered at 240 fps (the synth extra; skip when it is not installed).

    6 s, not 3: a 3 s clip gives 4 contacts per foot, and one leg-label swap
    at 240 fps (issue 11) then leaves fewer than the 3 usable steps a side
    needs, which is a short-clip failure, not the slow-motion handling this
    tests (the protocol asks for >= 10 s).

    ``GAITVISION_TEST_RUN240`` may name an already rendered clip (with its
    ``.truth.json``) of the same command, to save the render (2-15 min).
    """
    given = os.environ.get("GAITVISION_TEST_RUN240")
    if given and Path(given).exists() and Path(given).with_suffix(".truth.json").exists():
        return Path(given)
    skip_without_synth("rendering the 240 fps runner")
    out = tmp_path_factory.mktemp("run240") / "run240.mp4"
    proc = run_cli("synth", out, "--fps", "240", "--duration", "6", "--size", "540x960",
                   "--seed", str(RUN240_SEED), "--quiet", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    return out


def test_240_fps_capture_played_at_30_and_24_fps(run240, tmp_path):
    truth = json.loads(run240.with_suffix(".truth.json").read_text())["summary"]["cadence_spm"]
    x8 = retime(run240, tmp_path / "run240_at30.mp4", 8)
    x10 = retime(run240, tmp_path / "run240_at24.mp4", 10)
    assert probe_video(x8).fps_mean == pytest.approx(30, rel=0.02)  # frames over duration (last frame included)
    assert probe_video(x10).fps_mean == pytest.approx(24, rel=0.02)
    check_copy(x8, tmp_path / "out_x8", slow=8, capture_fps=240, truth_cadence=truth)
    seed_retimed(tmp_path / "out_x8", x10, tmp_path / "out_x10")
    check_copy(x10, tmp_path / "out_x10", slow=10, capture_fps=240, truth_cadence=truth)


NORMAL_SHARED = ["real/treadmill_side_male_30fps.mp4", "real/treadmill_side_male_30fps_rot90.mp4",
                 "synthetic/side_rfs_60fps.mp4", "synthetic/rear_valgus_60fps.mp4",
                 "synthetic/rear_neutral_30fps.mp4"]


def assert_real_time(clip: Path, out: Path, pose_tracks) -> None:
    """``clip`` analysed by the CLI (on the session's pose pass of it) is not flagged as slow motion."""
    pose_tracks.seed(clip, out)
    proc, s = analyze(clip, out)
    assert proc.returncode == 0, proc.stderr
    assert s["playback"]["plausible_real_time"] is True, s["playback"]
    assert s["playback"]["slow_factor_estimate"] == pytest.approx(1.0, abs=0.25)
    assert s["cadence_spm"] is not None
    assert not any("real-time running" in w for w in s["warnings"])


@pytest.mark.parametrize("relpath", NORMAL_SHARED)
def test_normal_speed_shared_clips_are_not_flagged(relpath, tmp_path, pose_tracks):
    assert_real_time(shared_clip(relpath), tmp_path / "out", pose_tracks)


def test_every_shared_clip_is_covered():
    """A clip added to ../shared/videos is added to the false-positive check too."""
    if not SHARED_VIDEOS.exists():
        pytest.skip(f"../shared/videos is not present at {SHARED_VIDEOS}")
    clips = sorted(str(p.relative_to(SHARED_VIDEOS)) for p in SHARED_VIDEOS.rglob("*.mp4"))
    assert clips == sorted(NORMAL_SHARED)


@pytest.mark.parametrize("name", ["side_left_60fps.mp4", "rear_valgus_60fps.mp4"])
def test_bundled_samples_are_not_flagged(name, tmp_path, pose_tracks):
    assert_real_time(ROOT / "sample_videos" / name, tmp_path / "out", pose_tracks)
