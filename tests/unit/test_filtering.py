import numpy as np
import pytest

from gaitvision.clean import filtering
from gaitvision.errors import ConfigError, InvalidTrackError
from gaitvision.landmarks import LANDMARK_NAMES, N_LANDMARKS, index
from gaitvision.track import LandmarkTrack


def one_point_track(x: np.ndarray, t: np.ndarray, conf: float = 0.9) -> LandmarkTrack:
    xy = np.full((t.size, N_LANDMARKS, 2), np.nan)
    xy[:, 0, 0] = x
    xy[:, 0, 1] = 2 * x
    c = np.zeros((t.size, N_LANDMARKS))
    c[:, 0] = conf
    return LandmarkTrack(xy=xy, confidence=c, time_s=t, frame_size_wh=(100, 100),
                         landmark_names=LANDMARK_NAMES)


def test_track_rejects_non_increasing_time():
    with pytest.raises(InvalidTrackError, match="strictly increasing"):
        one_point_track(np.zeros(3), np.array([0.0, 0.1, 0.1]))


def test_mask_low_confidence():
    tr = one_point_track(np.arange(5.0), np.arange(5) / 30)
    c = tr.confidence.copy()
    c[2, 0] = 0.1
    out = filtering.mask_low_confidence(tr.replace(confidence=c), threshold=0.3)
    assert np.isnan(out.xy[2, 0]).all() and np.isfinite(out.xy[[0, 1, 3, 4], 0]).all()


def test_interpolate_short_gap_only_and_mark_it():
    t = np.arange(60) / 60.0
    x = np.arange(60.0)
    x[10:13] = np.nan  # 3 frames = 0.05 s: filled
    x[30:45] = np.nan  # 15 frames = 0.25 s: left alone
    out = filtering.interpolate_gaps(one_point_track(x, t), max_gap_s=0.1)
    np.testing.assert_allclose(out.xy[10:13, 0, 0], [10, 11, 12])
    assert out.interpolated[10:13, 0].all() and not out.interpolated[:10, 0].any()
    assert np.isnan(out.xy[30:45, 0, 0]).all()


def test_lowpass_keeps_slow_removes_fast_and_handles_variable_frame_rate():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(1 / 70, 1 / 50, 600))  # ~60 fps with jittered timestamps
    t -= t[0]
    slow = 50 * np.sin(2 * np.pi * 1.4 * t)
    fast = 5 * np.sin(2 * np.pi * 25 * t)
    out = filtering.lowpass_signal(slow + fast, t, cutoff_hz=8)
    inner = slice(60, -60)
    assert np.max(np.abs(out[inner] - slow[inner])) < 1.0  # 25 Hz gone, 1.4 Hz kept, no lag


def test_lowpass_rejects_bad_cutoff():
    with pytest.raises(ConfigError):
        filtering.lowpass_signal(np.zeros(10), np.arange(10.0), cutoff_hz=0)


def test_reject_outliers_removes_a_jump():
    t = np.arange(120) / 60.0
    x = 100 * np.sin(2 * np.pi * 1.4 * t) + 300
    x[50:52] += 150  # a two-frame jump onto the other leg
    out = filtering.reject_outliers(one_point_track(x, t), landmarks=("nose",), min_threshold_px=10)
    assert np.isnan(out.xy[50:52, 0]).all()
    assert np.isfinite(out.xy[:50, 0]).all() and np.isfinite(out.xy[53:, 0]).all()


def test_fix_leg_swaps_restores_labels():
    t = np.arange(90) / 60.0
    xy = np.full((t.size, N_LANDMARKS, 2), np.nan)
    for part in ("knee", "ankle", "heel", "foot_index"):
        xy[:, index(f"left_{part}")] = np.stack([200 + 100 * np.sin(2 * np.pi * t), np.full_like(t, 900)], 1)
        xy[:, index(f"right_{part}")] = np.stack([200 - 100 * np.sin(2 * np.pi * t), np.full_like(t, 920)], 1)
    truth = xy.copy()
    swapped = xy.copy()
    for part in ("knee", "ankle", "heel", "foot_index"):
        li, ri = index(f"left_{part}"), index(f"right_{part}")
        swapped[20:26, [li, ri]] = xy[20:26, [ri, li]]
    tr = LandmarkTrack(xy=swapped, confidence=np.ones((t.size, N_LANDMARKS)), time_s=t,
                       frame_size_wh=(400, 1000), landmark_names=LANDMARK_NAMES)
    fixed, n = filtering.fix_leg_swaps(tr)
    assert n == 6
    np.testing.assert_allclose(fixed.xy[:, index("left_ankle")], truth[:, index("left_ankle")])
