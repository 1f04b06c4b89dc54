"""Stills decode only their frames: seeking reads give exactly the frames a full decode gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitvision.errors import VideoReadError
from gaitvision.io.video import VideoWriter, iter_frames, read_frames_at

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "videos"


def _write(path: Path, n: int, fps: float = 60.0, size=(96, 64)) -> np.ndarray:
    w, h = size
    times = np.arange(n) / fps
    with VideoWriter(path, width=w, height=h) as vw:
        for i, t in enumerate(times):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, : (i * 7) % w] = 200  # every frame differs
            img[: (i % h), :, 1] = 90
            vw.write(img, float(t))
    return times


def _all_frames(path: Path) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    frames = list(iter_frames(path))
    return np.array([f.time_s for f in frames]), {f.index: f.image for f in frames}


def test_seeking_reads_equal_a_full_decode(tmp_path):
    p = tmp_path / "clip.mp4"
    _write(p, 900)  # 15 s: several keyframes apart
    times, full = _all_frames(p)
    wanted = [0, 1, 2, 299, 300, 301, 650, 899, 120]
    got = read_frames_at(p, wanted, times)
    assert sorted(got) == sorted(set(wanted))
    for i in wanted:
        np.testing.assert_array_equal(got[i], full[i], err_msg=f"frame {i}")


def test_out_of_range_frames_are_ignored_and_a_missing_time_is_an_error(tmp_path):
    p = tmp_path / "clip.mp4"
    _write(p, 60)
    times, _ = _all_frames(p)
    assert read_frames_at(p, [-1, 60, 1000], times) == {}
    bad = times.copy()
    bad[30] += 0.5 / 60  # half a frame off: no frame is shown at that time
    with pytest.raises(VideoReadError, match="could not be decoded"):
        read_frames_at(p, [30], bad)


def test_seeking_in_a_rotated_phone_clip():
    clip = SHARED / "real" / "treadmill_side_male_30fps_rot90.mp4"
    if not clip.exists():
        pytest.skip(f"needs {clip.name} from ../shared/videos, not present at {SHARED}")
    times, full = _all_frames(clip)
    wanted = [5, len(times) // 2, len(times) - 3]
    got = read_frames_at(clip, wanted, times)
    for i in wanted:
        assert got[i].shape == full[i].shape
        np.testing.assert_array_equal(got[i], full[i], err_msg=f"frame {i}")
