"""The command line on bad input: exit code 1, one clear line, no traceback."""

import subprocess
import sys

import numpy as np
import pytest

from gaitvision.io.video import VideoWriter


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gaitvision", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gaitvision: error:")
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0]


def test_missing_file(tmp_path):
    proc = run_cli("analyze", tmp_path / "missing.mp4", "--out", tmp_path / "out", cwd=tmp_path)
    assert_one_line_error(proc, "missing.mp4", "no such file")
    assert not (tmp_path / "out").exists()


def test_text_file_named_mp4(tmp_path):
    clip = tmp_path / "notes.mp4"
    clip.write_text("patient notes, not a video\n" * 20)
    before = clip.read_bytes()
    proc = run_cli("analyze", clip, "--out", tmp_path / "out", cwd=tmp_path)
    assert_one_line_error(proc, "notes.mp4")
    assert clip.read_bytes() == before


@pytest.mark.video
@pytest.mark.real_pose_pass  # the model on a room with nobody in it
def test_video_with_no_person(tmp_path):
    clip = tmp_path / "empty_room.mp4"
    rng = np.random.default_rng(0)
    with VideoWriter(clip, width=320, height=240) as vw:
        for i in range(60):
            img = np.full((240, 320, 3), 90, np.uint8)
            img[100:140, (i * 4) % 280 : (i * 4) % 280 + 40] = rng.integers(0, 255, 3)
            vw.write(img, i / 30)
    proc = run_cli("analyze", clip, "--out", tmp_path / "out", cwd=tmp_path)
    assert_one_line_error(proc, "No person")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_help_documents_analyze(tmp_path):
    proc = run_cli("analyze", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for flag in ("--out", "--view", "--no-cache", "--overwrite", "--verbose"):
        assert flag in proc.stdout


def test_usage_error_exit_code_2(tmp_path):
    proc = run_cli("analyze", "x.mp4", "--view", "sideways", cwd=tmp_path)
    assert proc.returncode == 2


@pytest.mark.video
def test_slow_motion_output_keeps_frames_and_stretches_time(tmp_path, pose_tracks):
    import av
    from conftest import shared_clip

    clip = shared_clip("synthetic/side_rfs_60fps.mp4")
    out = tmp_path / "out"
    pose_tracks.seed(clip, out)  # the session's one pose pass of this clip (it is about the output video)
    proc = run_cli("analyze", clip, "--out", out, "--slow-motion", "4", "--video", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with av.open(str(out / "annotated.mp4")) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        dur = float(s.duration * s.time_base)
    assert n == 480 and dur == pytest.approx(4 * 8.0, rel=0.01)
