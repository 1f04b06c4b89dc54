"""The runner's region (``roi``): with two people in the picture, the pose model sees only the chosen one.

The two-person clip of the hostile tests (the real side runner on the left
half, the rendered runner on the right; each half 360 px wide at half
resolution): with the region on either half, the analysis measures that
person throughout (every pose in that half, no switch to the other) at
that person's cadence; a crop of the whole frame gives the very same
landmarks as no crop.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_clip
from fixtures.clips import clip_frames, composite_side_by_side, write_clip

from gaitvision.config import AnalysisConfig, RenderConfig
from gaitvision.errors import ConfigError
from gaitvision.io.tracks import load_track
from gaitvision.io.video import iter_frames
from gaitvision.pipeline import analyze_video
from gaitvision.pose.blazepose import estimate_poses
from gaitvision.pose.roi import fit_roi, parse_roi

pytestmark = [pytest.mark.video, pytest.mark.real_pose_pass]

REAL = "real/treadmill_side_male_30fps.mp4"
SYN = "synthetic/side_rfs_60fps.mp4"
REAL_CADENCE = 168.9
SYN_CADENCE = 164.0


def _half(im: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(im, (im.shape[1] // 2, im.shape[0] // 2), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def two_people(tmp_path_factory):
    d = tmp_path_factory.mktemp("roi")
    both = composite_side_by_side(clip_frames(shared_clip(REAL), start_s=2.0, duration_s=8.0),
                                  clip_frames(shared_clip(SYN), duration_s=8.1, step=2))
    return write_clip(d / "two.mp4", both, transform=_half), d


@pytest.mark.parametrize(("roi", "expected", "half"), [((360, 0, 360, 640), SYN_CADENCE, "right"),
                                                       ((0, 0, 360, 640), REAL_CADENCE, "left")])
def test_the_region_keeps_the_pose_model_on_one_runner(two_people, roi, expected, half):
    clip, d = two_people
    cfg = AnalysisConfig(render=RenderConfig(video=False, report=False), roi=roi)
    r = analyze_video(clip, d / f"out_{half}", cfg)
    raw, info = load_track(r.out_dir / "track.npz")
    assert info["pose_options"] == "roi=" + ",".join(map(str, roi))
    assert raw.frame_size_wh == (720, 640)  # landmarks in full-frame pixels
    hips = raw.xy[:, 23, 0]
    hips = hips[np.isfinite(hips)]
    assert hips.size > 0.9 * raw.n_frames
    assert ((hips > 360) if half == "right" else (hips < 360)).all()
    assert r.summary["runner"]["switches_s"] == []
    assert r.summary["cadence_spm"] == pytest.approx(expected, rel=0.015)
    assert list(r.summary["config"]["roi"]) == list(roi)


def test_a_whole_frame_crop_changes_nothing(two_people):
    clip, _ = two_people
    a = estimate_poses(iter_frames(clip, end_s=1.5), threads=1)
    b = estimate_poses(iter_frames(clip, end_s=1.5, crop=(0, 0, 720, 640)), threads=1)
    np.testing.assert_array_equal(a.xy, b.xy)


def test_bad_regions_are_config_errors():
    assert parse_roi("10, 20, 300, 400") == (10, 20, 300, 400)
    for bad in ("1,2,3", "a,b,c,d", "0,0,10,400", "-5,0,300,300"):
        with pytest.raises(ConfigError, match="roi"):
            parse_roi(bad)
    assert fit_roi((600, 0, 400, 400), (720, 640)) == (600, 0, 120, 400)
    with pytest.raises(ConfigError, match="outside"):
        fit_roi((700, 0, 400, 400), (720, 640))
    with pytest.raises(ConfigError, match="roi"):
        AnalysisConfig(roi=(0, 0, 5, 5))
