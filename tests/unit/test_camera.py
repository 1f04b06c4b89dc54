"""Camera yaw and roll from the runner (gaitvision.quality.camera) on exactly projected stick runners.

A 3D stick runner on the belt (world x forward, y the runner's left, z up;
the belt at z = 0) is projected through the synthetic renderer's own
pinhole camera (``gaitvision.synth.camera``, numpy only) turned by a known
yaw and roll, so the signs are checked against ``gaitvision synth
--yaw/--roll`` themselves. The runner has the proportions the estimators
assume (hip, shoulder and foot widths per leg length, the stance slide), so
what is tested is the geometry: the inversion of the projection, the signs
per view, and the perspective tilt a yawed side camera gives the belt. How
well the assumptions hold for MediaPipe's landmarks on rendered people is
the bench's job (numbers in the commit and the H4 report).
"""

import math

import numpy as np
import pytest

from gaitvision.landmarks import LANDMARK_NAMES, N_LANDMARKS, index
from gaitvision.quality.camera import (
    FOOT_PER_LEG,
    SIDE_PAIRS,
    STANCE_TRAVEL_PER_LEG,
    camera_warnings,
    estimate_camera,
)
from gaitvision.quality.playback import leg_length_px
from gaitvision.synth.camera import make_camera
from gaitvision.synth.spec import CameraSpec, SceneSpec
from gaitvision.track import LandmarkTrack

THIGH = SHANK = 0.44
LEG = THIGH + SHANK
#: the stick runner's left/right widths per leg length (face, shoulders, hips), about a person's
WIDTH_PER_LEG = {"eye_outer": 0.10, "ear": 0.17, "eye": 0.07, "shoulder": 0.40, "hip": 0.26}
FPS, DURATION, CADENCE, DUTY = 60.0, 6.0, 170.0, 0.35
ANKLE_UP, HEEL_BACK = 0.08, 0.05


def _knee(hip, ankle, forward):
    """Knee of a two-link leg (thigh = shank), bent forward in the sagittal plane."""
    mid = (hip + ankle) / 2
    d = ankle - hip
    n = np.linalg.norm(d, axis=1, keepdims=True)
    half = np.sqrt(np.clip(THIGH**2 - (n / 2) ** 2, 0, None))
    perp = np.stack([d[:, 2], np.zeros(len(d)), -d[:, 0]], axis=1) / n  # in the x-z plane, normal to d
    perp *= np.sign(perp[:, :1] * forward + 1e-12)
    return mid + half * perp


def stick_runner_3d(toe_out_deg=0.0, travel_per_leg=STANCE_TRAVEL_PER_LEG["rear"][0]):
    """World positions ``{name: (n, 3)}``, and the stance frames ``[(side, ic, to)]``."""
    t = np.arange(0, DURATION, 1 / FPS)
    stride = 120.0 / CADENCE
    travel = travel_per_leg * LEG
    foot_len = FOOT_PER_LEG[0] * LEG
    toe = math.radians(toe_out_deg)
    pelvis_z = 0.9 + 0.03 * np.cos(2 * np.pi * (2 * t / stride))
    pts, stances = {}, []
    for side, offset, y in (("left", 0.0, 1.0), ("right", 0.5, -1.0)):
        ph = np.mod(t / stride - offset, 1.0)
        stance = ph < DUTY
        u = np.where(stance, ph / DUTY, (ph - DUTY) / (1 - DUTY))
        x = np.where(stance, travel / 2 - travel * u, -travel / 2 + travel * u)
        lift = np.where(stance, 0.0, 0.25 * np.sin(np.pi * u))
        heel = np.stack([x - HEEL_BACK, np.full_like(t, 0.05 * y), lift], axis=1)
        pts[f"{side}_heel"] = heel
        pts[f"{side}_foot_index"] = heel + [foot_len * math.cos(toe), y * foot_len * math.sin(toe), 0.0]
        pts[f"{side}_ankle"] = heel + [HEEL_BACK, 0.0, ANKLE_UP]
        hip = np.stack([np.zeros_like(t), np.full_like(t, y * WIDTH_PER_LEG["hip"] * LEG / 2), pelvis_z], axis=1)
        pts[f"{side}_hip"] = hip
        pts[f"{side}_knee"] = _knee(hip, pts[f"{side}_ankle"], forward=1.0)
        pts[f"{side}_shoulder"] = hip * [1, WIDTH_PER_LEG["shoulder"] / WIDTH_PER_LEG["hip"], 1] + [0.0, 0.0, 0.5]
        for name in ("eye_outer", "ear", "eye"):  # the face: eyes and ears at head height, a little forward
            pts[f"{side}_{name}"] = np.stack([np.full_like(t, 0.08), np.full_like(t, y * WIDTH_PER_LEG[name] * LEG / 2),
                                              pelvis_z + 0.72], axis=1)
        starts = np.flatnonzero(stance[1:] & ~stance[:-1]) + 1
        ends = np.flatnonzero(~stance[1:] & stance[:-1])
        stances += [(side, int(a), int(b)) for a in starts for b in ends[ends > a][:1]]
    return pts, stances


def as_mediapipe_places_them(track, view):
    """The side view's right-hand landmarks moved to where MediaPipe puts them (camera.SIDE_PAIRS).

    The true separation right minus left is ``-width * sin(f)`` (``f`` the turn towards the
    runner's front); MediaPipe's is ``bias - gain * sin(f)``, per facing and branch.
    """
    leg = leg_length_px(track)
    xy = track.xy.copy()
    for pair in SIDE_PAIRS:
        bias, gain_front, gain_back = pair.left if view == "side-left" else pair.right
        left, right = xy[:, index(f"left_{pair.name}"), 0], xy[:, index(f"right_{pair.name}"), 0]
        sin_f = -(right - left) / leg / WIDTH_PER_LEG[pair.name]
        xy[:, index(f"right_{pair.name}"), 0] = left + (bias - np.where(sin_f > 0, gain_front, gain_back) * sin_f) * leg
    return track.replace(xy=xy)


def project(view, yaw=0.0, roll=0.0, toe_out_deg=0.0):
    """The stick runner's pose track as the synth camera ``view`` turned by ``yaw`` and ``roll`` sees it."""
    cam = make_camera(CameraSpec(view=view, yaw_deg=yaw, roll_deg=roll, distance_m=2.5), SceneSpec())
    # the stance slide as the estimator expects it seen from this side (camera.STANCE_TRAVEL_PER_LEG)
    pts, stances = stick_runner_3d(toe_out_deg, STANCE_TRAVEL_PER_LEG["front" if view == "front" else "rear"][0])
    n = len(next(iter(pts.values())))
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    conf = np.zeros((n, N_LANDMARKS))
    for name, p in pts.items():
        # the synth world has its floor 0.2 m below the belt: the belt is z = 0 here
        uv, _ = cam.project(p)
        xy[:, index(name)] = uv
        conf[:, index(name)] = 0.95
    track = LandmarkTrack(xy=xy, confidence=conf, time_s=np.arange(n) / FPS,
                          frame_size_wh=(cam.width, cam.height), landmark_names=LANDMARK_NAMES)
    if view.startswith("side"):
        track = as_mediapipe_places_them(track, view)
    rows = [{"side": s, "ic_frame": a, "to_frame": b, "excluded_reason": None} for s, a, b in stances]
    return track, rows


@pytest.mark.parametrize("view", ["side-left", "side-right"])
@pytest.mark.parametrize("yaw", [-20.0, -8.0, 0.0, 8.0, 20.0])
def test_side_view_yaw(view, yaw):
    """Both facings, the camera behind and in front of the runner: the response is inverted with the sign."""
    track, rows = project(view, yaw)
    est = estimate_camera(track, view, rows=rows)
    # first order: the separation over a width at the leg's scale (the head is farther or nearer: 10 %)
    assert est.yaw_deg == pytest.approx(yaw, abs=2.5)
    assert abs(est.yaw_deg - yaw) < est.yaw.uncertainty_deg < 15.0 and "eyes" in est.yaw.method
    face = [index(f"{s}_{n}") for s in ("left", "right") for n in ("eye_outer", "ear", "eye")]
    xy = track.xy.copy()
    xy[:, face] = np.nan
    no_face = track.replace(xy=xy)
    assert estimate_camera(no_face, view, rows=rows).yaw_deg == pytest.approx(yaw, abs=2.0)  # hips and shoulders


@pytest.mark.parametrize("view", ["side-left", "side-right"])
@pytest.mark.parametrize(("yaw", "roll"), [(0.0, 5.0), (0.0, -5.0), (20.0, 0.0), (-20.0, 4.0)])
def test_side_view_roll_and_belt_tilt(view, yaw, roll):
    """The belt tilt is what the image shows (roll and the yaw's perspective); the roll is the camera's."""
    track, rows = project(view, yaw, roll)
    est = estimate_camera(track, view, rows=rows)
    assert est.roll_deg == pytest.approx(roll, abs=1.5)
    cam = make_camera(CameraSpec(view=view, yaw_deg=yaw, roll_deg=roll, distance_m=2.5), SceneSpec())
    uv, _ = cam.project(np.array([[0.3, 0.05, 0.0], [-0.3, 0.05, 0.0]]))
    d = uv[1] - uv[0]
    belt = math.degrees(math.atan(d[1] / d[0]))  # the belt's true image slope
    assert est.belt_tilt_deg == pytest.approx(belt, abs=1.0)


@pytest.mark.parametrize("view", ["rear", "front"])
@pytest.mark.parametrize(("yaw", "roll"), [(0.0, 0.0), (15.0, 0.0), (-15.0, 0.0), (8.0, 4.0), (-8.0, -4.0)])
def test_frontal_view_yaw_and_roll(view, yaw, roll):
    track, rows = project(view, yaw, roll)
    est = estimate_camera(track, view, rows=rows)
    assert est.yaw_deg == pytest.approx(yaw, abs=2.5)
    assert est.roll_deg == pytest.approx(roll, abs=1.0)
    assert est.belt_tilt_deg is None


@pytest.mark.parametrize("view", ["rear", "front"])
def test_frontal_yaw_toe_out_cancels_between_the_feet(view):
    """Each foot's toe-out turns its heel-to-toe vector sideways; the two feet's mean undoes it,
    also with more stances of one foot than of the other."""
    track, rows = project(view, 15.0, toe_out_deg=8.0)
    first_left = next(i for i, r in enumerate(rows) if r["side"] == "left")
    rows = rows[:first_left] + rows[first_left + 1:]
    assert estimate_camera(track, view, rows=rows).yaw_deg == pytest.approx(15.0, abs=2.5)


def test_scene_lines_join_the_frontal_roll():
    track, rows = project("rear", 0.0, 3.0)
    body = estimate_camera(track, "rear", rows=rows)
    # the scene's lines in the image-slope convention: a +3 deg roll makes level lines slope -3 deg
    both = estimate_camera(track, "rear", rows=rows, image_roll=(-3.0, 0.6))
    assert both.roll_deg == pytest.approx(3.0, abs=0.5) and "scene" in both.roll.method
    assert both.roll.uncertainty_deg < body.roll.uncertainty_deg
    weak = estimate_camera(track, "rear", rows=rows, image_roll=(10.0, 0.1))  # too little line support
    assert weak.roll_deg == pytest.approx(body.roll_deg) and "scene" not in weak.roll.method


def test_not_measurable_without_stances_or_legs():
    track, _ = project("rear")
    est = estimate_camera(track, "rear", rows=[])
    assert est.yaw_deg is None and "stance" in est.yaw.method
    assert est.roll_deg is not None  # the trunk needs no stances
    side, _ = project("side-left")
    est = estimate_camera(side, "side-left", rows=None)  # the side roll finds the stances from the toes
    assert est.roll_deg == pytest.approx(0.0, abs=1.0) and est.yaw_deg is not None
    still = side.xy.copy()
    for s in ("left", "right"):
        still[:, index(f"{s}_foot_index")] = still[0, index(f"{s}_foot_index")]  # feet never slide
    est = estimate_camera(side.replace(xy=still), "side-left")
    assert est.roll_deg is None and "stance" in est.roll.method
    blank = side.replace(xy=np.full_like(side.xy, np.nan), confidence=np.zeros_like(side.confidence))
    est = estimate_camera(blank, "side-left")
    assert est.yaw_deg is None and est.roll_deg is None and "legs" in est.yaw.method
    d = est.to_dict()
    assert d["yaw_deg"] is None and "convention" in d


def test_refilming_advice_only_for_a_clearly_turned_or_tilted_camera():
    track, rows = project("rear")
    square = estimate_camera(track, "rear", rows=rows)
    assert camera_warnings(square) == []
    track, rows = project("rear", 15.0)
    turned = estimate_camera(track, "rear", rows=rows)
    (w,) = camera_warnings(turned)
    assert "turned about 1" in w and "straight behind" in w
    track, rows = project("side-left", 0.0, 8.0)
    tilted = estimate_camera(track, "side-left", rows=rows)
    (w,) = camera_warnings(tilted)
    assert "tilted about" in w and "level" in w
    track, rows = project("side-left", 5.0, 2.0)
    assert camera_warnings(estimate_camera(track, "side-left", rows=rows)) == []
