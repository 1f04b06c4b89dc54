"""The knee centre from the leg's outline (pure functions on masks and tracks)."""

import numpy as np
import pytest
from fixtures.synthetic import make_rear_track, with_knee_outline

from gaitvision.measurement import measure
from gaitvision.pose.knee_outline import has_knee_outline, knee_outline_x, use_knee_outline

H, W = 400, 300
HIP = np.array([150.0, 100.0])  # thigh length 100 px to the knee below


def _leg_mask(left: float, right: float, soft: float = 0.0) -> np.ndarray:
    """A vertical leg covering [left, right) in continuous pixel coordinates.

    Column i covers [i, i + 1); with ``soft`` > 0 the edges ramp linearly
    over that many pixels (as MediaPipe's upsampled mask does), centred on
    the true edge.
    """
    centres = np.arange(W) + 0.5
    if soft:
        m = np.clip(np.minimum(centres - left, right - centres) / soft + 0.5, 0, 1)
    else:
        m = ((centres > left) & (centres < right)).astype(float)
    return np.tile(m, (H, 1)).astype(np.float32)


@pytest.mark.parametrize("soft", [0.0, 3.0, 6.0])
def test_middle_of_the_outline_in_landmark_coordinates(soft):
    mask = _leg_mask(130.0, 160.0, soft)
    # MediaPipe's knee 6 px off the middle; the outline middle is 145.0
    x = knee_outline_x(mask, np.array([151.0, 200.0]), HIP)
    assert x == pytest.approx(145.0, abs=0.05)


def test_off_centre_sub_pixel_edges():
    mask = _leg_mask(130.3, 161.9, soft=4.0)
    assert knee_outline_x(mask, np.array([140.0, 200.0]), HIP) == pytest.approx(146.1, abs=0.05)


def test_knee_just_outside_the_mask_uses_the_nearest_leg():
    mask = _leg_mask(130.0, 160.0)
    # 3 px outside the leg (within 5 % of the 100 px thigh)
    assert knee_outline_x(mask, np.array([163.0, 200.0]), HIP) == pytest.approx(145.0, abs=0.05)
    # 30 px away: not this leg
    assert np.isnan(knee_outline_x(mask, np.array([190.0, 200.0]), HIP))


def test_touching_legs_are_not_measurable():
    # both legs as one 70 px run: wider than 45 % of the thigh length
    mask = _leg_mask(110.0, 180.0)
    assert np.isnan(knee_outline_x(mask, np.array([130.0, 200.0]), HIP))


def test_leg_cut_by_the_picture_edge_is_not_measurable():
    # the leg runs out of the picture on the left: only part of its width is seen
    mask = _leg_mask(-10.0, 20.0)
    assert np.isnan(knee_outline_x(mask, np.array([8.0, 200.0]), np.array([8.0, 100.0])))


def test_too_few_rows_agree():
    mask = _leg_mask(130.0, 160.0)
    mask[190:211] = 0  # the band of rows around the knee is empty
    assert np.isnan(knee_outline_x(mask, np.array([145.0, 200.0]), HIP))


def test_missing_points_are_not_measurable():
    mask = _leg_mask(130.0, 160.0)
    assert np.isnan(knee_outline_x(mask, np.array([np.nan, 200.0]), HIP))
    assert np.isnan(knee_outline_x(mask, np.array([145.0, 200.0]), np.array([145.0, 195.0])))


def test_use_knee_outline_moves_knees_sideways_only():
    tr = make_rear_track(view="rear")
    assert not has_knee_outline(tr)
    same, frac = use_knee_outline(tr)
    assert same is tr and frac == 0.0
    moved, frac = use_knee_outline(with_knee_outline(tr, 4.0, missing_every=4))
    assert frac == pytest.approx(0.75, abs=0.01)
    k0, k1 = tr.landmark("left_knee"), moved.landmark("left_knee")
    assert np.allclose(k1[1::4, 0] - k0[1::4, 0], 4.0) and np.array_equal(k1[::4], k0[::4])
    assert np.array_equal(k1[:, 1], k0[:, 1])


def test_measure_track_uses_the_outline_in_frontal_views_only():
    tr = make_rear_track(view="rear", valgus_deg={"left": 10.0, "right": 4.0})
    base = measure(tr, hip_widening=0.0).summary_dict()
    assert base["knee_centre"] == {"source": "pose model", "outline_fraction": None}
    # outline points exactly on the knees: the same FPPA
    same = measure(with_knee_outline(tr, 0.0), hip_widening=0.0).summary_dict()
    assert same["knee_centre"] == {"source": "leg outline", "outline_fraction": 1.0}
    for side in ("left", "right"):
        assert same["metrics"]["knee_fppa_peak_deg"][side]["median"] == pytest.approx(
            base["metrics"]["knee_fppa_peak_deg"][side]["median"], abs=1e-6)
    # outline 5 px to the image right: in a rear view that is medial for the
    # left knee (more valgus) and lateral for the right knee (less)
    shifted = measure(with_knee_outline(tr, 5.0), hip_widening=0.0).summary_dict()
    f0, f1 = base["metrics"]["knee_fppa_peak_deg"], shifted["metrics"]["knee_fppa_peak_deg"]
    assert f1["left"]["median"] > f0["left"]["median"] + 1.0
    assert f1["right"]["median"] < f0["right"]["median"] - 1.0
    assert not any("outline" in w for w in shifted["warnings"])
    # outline in a quarter of the frames only: used there, and a warning says so
    sparse = measure(with_knee_outline(tr, 0.0, missing_every=1), hip_widening=0.0).summary_dict()
    assert sparse["knee_centre"]["outline_fraction"] == 0.0
    assert any("outline in only 0 %" in w for w in sparse["warnings"])


def test_side_views_ignore_the_outline():
    from fixtures.synthetic import make_side_track

    tr, _ = make_side_track()
    a = measure(tr).summary_dict()
    b = measure(with_knee_outline(tr, 8.0)).summary_dict()
    assert "knee_centre" not in b
    assert a["metrics"]["knee_flexion_ic_deg"] == b["metrics"]["knee_flexion_ic_deg"]
