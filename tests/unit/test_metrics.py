"""Metric functions on hand-built tracks with exact answers."""

import numpy as np
import pytest

from gaitvision.landmarks import LANDMARK_NAMES, N_LANDMARKS, index
from gaitvision.measure.metrics.foot import classify_strike, foot_angle_raw_deg
from gaitvision.measure.metrics.knee import knee_flexion_deg, knee_fppa_deg
from gaitvision.measure.metrics.pelvis import pelvic_drop_deg, pelvis_line_deg
from gaitvision.measure.metrics.temporal import stride_period_fit_s
from gaitvision.track import LandmarkTrack


def track_from(points: dict[str, tuple[float, float]]) -> LandmarkTrack:
    xy = np.full((1, N_LANDMARKS, 2), np.nan)
    for name, p in points.items():
        xy[0, index(name)] = p
    return LandmarkTrack(xy=xy, confidence=np.ones((1, N_LANDMARKS)), time_s=np.zeros(1),
                         frame_size_wh=(720, 1280), landmark_names=LANDMARK_NAMES)


def rear_leg(valgus_deg: float, *, view: str = "rear") -> dict[str, tuple[float, float]]:
    """Rear view: left hip at image left; the left knee pushed toward the midline."""
    s = 1.0 if view == "rear" else -1.0  # front view mirrors the image
    half = 200.0
    h = half * np.tan(np.radians(valgus_deg) / 2)
    return {
        "left_hip": (300 - s * 40, 600), "right_hip": (300 + s * 40, 600),
        "left_knee": (300 - s * 40 + s * h, 800), "left_ankle": (300 - s * 40, 1000),
        "right_knee": (300 + s * 40, 800), "right_ankle": (300 + s * 40, 1000),
    }


@pytest.mark.parametrize("valgus", [0.0, 5.0, 12.0, -7.0])
@pytest.mark.parametrize("view", ["rear", "front"])
def test_fppa_exact_and_signed(valgus, view):
    tr = track_from(rear_leg(valgus, view=view))
    assert knee_fppa_deg(tr, side="left")[0] == pytest.approx(valgus, abs=1e-9)
    assert knee_fppa_deg(tr, side="right")[0] == pytest.approx(0.0, abs=1e-9)


def test_fppa_knee_on_lateral_side_is_varus_and_mirroring_keeps_value():
    pts = rear_leg(10.0)
    tr = track_from(pts)
    # mirror the image and swap the anatomical labels: the same leg, the same value
    mirrored = {}
    for name, (x, y) in pts.items():
        other = name.replace("left", "R").replace("right", "left").replace("R", "right")
        mirrored[other] = (720 - x, y)
    assert knee_fppa_deg(track_from(mirrored), side="right")[0] == pytest.approx(10.0)
    # the knee on the other (lateral) side of the hip-ankle line flips the sign
    hx = pts["left_hip"][0]
    lateral = dict(pts, left_knee=(2 * hx - pts["left_knee"][0], 800))
    assert knee_fppa_deg(track_from(lateral), side="left")[0] == pytest.approx(-10.0)
    assert knee_fppa_deg(tr, side="left")[0] == pytest.approx(10.0)


def test_fppa_translation_and_scale_invariant():
    pts = rear_leg(8.0)
    moved = {k: (2.5 * x + 33, 2.5 * y - 70) for k, (x, y) in pts.items()}
    assert knee_fppa_deg(track_from(moved), side="left")[0] == pytest.approx(8.0)


def test_hip_widening_moves_hip_outward():
    pts = rear_leg(0.0)
    # widening the hips by 10% of 80 px moves the left hip 8 px to the image left,
    # so the knee (on the old hip-ankle line) is now medial: valgus > 0
    v = knee_fppa_deg(track_from(pts), side="left", hip_widening=0.1)[0]
    expected = 180 - np.degrees(
        np.arccos(np.dot([-8, -200], [0, 200]) / (np.hypot(8, 200) * 200))
    )
    assert v == pytest.approx(expected, abs=1e-9) and v > 0


@pytest.mark.parametrize("flex", [0.0, 20.0, 45.0, 90.0])
def test_knee_flexion_exact(flex):
    th = np.radians(flex)
    knee = np.array([300.0, 800.0])
    shank = np.array([np.sin(th), np.cos(th)]) * 200  # rotated backwards from straight down
    tr = track_from({"left_hip": (300, 600), "left_knee": tuple(knee), "left_ankle": tuple(knee + shank)})
    assert knee_flexion_deg(tr, side="left")[0] == pytest.approx(flex, abs=1e-9)


@pytest.mark.parametrize("angle", [-10.0, 0.0, 15.0])
@pytest.mark.parametrize("facing", [-1, 1])
def test_foot_angle_sign_follows_facing(angle, facing):
    heel = np.array([400.0, 1000.0])
    toe = heel + 60 * np.array([facing * np.cos(np.radians(angle)), -np.sin(np.radians(angle))])
    tr = track_from({"left_heel": tuple(heel), "left_foot_index": tuple(toe)})
    assert foot_angle_raw_deg(tr, side="left", direction=facing)[0] == pytest.approx(angle)


def test_classify_strike_thresholds_mo_2021():
    got = classify_strike([12.0, 7.5, 7.4, 0.0, -0.8, -0.9, np.nan])
    assert list(got) == ["rearfoot", "rearfoot", "midfoot", "midfoot", "midfoot", "forefoot", ""]


@pytest.mark.parametrize("view", ["rear", "front"])
def test_pelvic_drop_sign(view):
    s = 1.0 if view == "rear" else -1.0
    d = 80 * np.tan(np.radians(5.0))
    # right hip 5 deg lower than the left
    tr = track_from({"left_hip": (300 - s * 40, 600), "right_hip": (300 + s * 40, 600 + d)})
    assert pelvis_line_deg(tr)[0] == pytest.approx(5.0)
    # standing on the left leg, the right (swing) side is lower: positive drop
    assert pelvic_drop_deg(tr, stance_side="left", level_deg=0.0)[0] == pytest.approx(5.0)
    assert pelvic_drop_deg(tr, stance_side="right", level_deg=0.0)[0] == pytest.approx(-5.0)
    assert pelvic_drop_deg(tr, stance_side="left", level_deg=2.0)[0] == pytest.approx(3.0)


def test_stride_period_fit_counts_a_missed_contact():
    ic = 0.1 + 0.72 * np.array([0, 1, 2, 4, 5, 6])  # the contact at stride 3 was missed
    assert stride_period_fit_s(ic, approx_period_s=0.7) == pytest.approx(0.72)
    assert np.isnan(stride_period_fit_s([0.1]))
