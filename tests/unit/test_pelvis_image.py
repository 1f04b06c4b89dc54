"""Image-based pelvis line, markers and roll on synthetic frames with exact answers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from fixtures.pelvis_images import (
    REAR_LANDMARKS,
    SHIRT,
    draw_frame,
    frames_from,
    landmark_kwargs,
    rotate_clip,
    track_for,
)
from fixtures.pelvis_markers import paint_dots

from gaitvision.landmarks import index
from gaitvision.measure.pelvis_drop import pelvic_drop_peaks, pelvis_source
from gaitvision.pose.pelvis_image import (
    PelvisImageSeries,
    detect_markers,
    estimate_roll_deg,
    measure_pelvis_frames,
    waistband_candidates,
)

RUNNER_BOX = (280.0, 420.0, 440.0, 820.0)


# ---------------------------------------------------------------- waistband


@pytest.mark.parametrize("band_deg", [-8.0, -3.0, 0.0, 0.7, 2.5, 6.0])
def test_waistband_angle_is_exact(band_deg):
    img = draw_frame(band_deg)
    cands = waistband_candidates(img, **landmark_kwargs())
    assert cands, "the waistband was not found"
    best = cands[0]
    assert best.slope_deg == pytest.approx(band_deg, abs=0.1)
    assert best.confidence > 0.8
    # the line passes through the drawn band centre
    x, y = best.centre_xy
    assert y + np.tan(np.radians(band_deg)) * (360 - x) == pytest.approx(600.0, abs=0.3)


def test_waistband_translation_invariant():
    a = waistband_candidates(draw_frame(3.0), **landmark_kwargs())[0]
    shifted = draw_frame(3.0, band_centre=(360.0, 590.0))
    b = waistband_candidates(shifted, **landmark_kwargs())[0]
    assert b.slope_deg == pytest.approx(a.slope_deg, abs=0.05)
    assert b.position == pytest.approx(a.position - 10 / 170, abs=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"shorts": SHIRT}, id="uniform clothing"),
        pytest.param({"shorts": tuple(c + 6 for c in SHIRT), "noise_sigma": 3.0}, id="faint edge"),
        pytest.param({"band_centre": (360.0, 720.0)}, id="hem below the waist"),
    ],
)
def test_no_waist_edge_gives_low_confidence(kwargs):
    cands = waistband_candidates(draw_frame(2.0, **kwargs), **landmark_kwargs())
    assert not cands or max(c.confidence for c in cands) < 0.2


def test_missing_landmarks_give_nothing():
    kw = landmark_kwargs()
    kw["left_hip_xy"] = (np.nan, np.nan)
    assert waistband_candidates(draw_frame(2.0), **kw) == []


# ------------------------------------------------------- clip-level series


def test_series_sign_convention_rear_and_front():
    images = [draw_frame(4.0, seed=i) for i in range(6)]
    rear = measure_pelvis_frames(frames_from(images), track_for(6, view="rear"), markers=False)
    front = measure_pelvis_frames(frames_from(images), track_for(6, view="front"), markers=False)
    # rear view: band descends to image right = runner's right lower = positive,
    # like gaitvision.metrics.pelvis.pelvis_line_deg
    assert np.allclose(rear.angle_deg("waistband"), 4.0, atol=0.1)
    assert np.allclose(front.angle_deg("waistband"), -4.0, atol=0.1)
    assert rear.right_is_image_right and not front.right_is_image_right
    assert np.all(rear.waistband_confidence > 0.8)


def test_series_prefers_the_consistent_edge():
    # a brighter stripe appears above the waistband in a few frames
    images = [draw_frame(3.0, seed=i, extra_edge_y=560 if i in (3, 4) else None) for i in range(10)]
    s = measure_pelvis_frames(frames_from(images), track_for(10), markers=False)
    assert np.allclose(s.waistband_deg, 3.0, atol=0.15)


def test_series_round_trips_through_arrays():
    s = measure_pelvis_frames(frames_from([draw_frame(1.0)] * 3), track_for(3), markers=False)
    back = PelvisImageSeries.from_arrays(s.to_arrays())
    np.testing.assert_array_equal(back.waistband_deg, s.waistband_deg)
    assert back.roll_deg == s.roll_deg and back.right_is_image_right == s.right_is_image_right
    with pytest.raises(ValueError, match="pelvis_image/1"):
        PelvisImageSeries.from_arrays({"format": np.array("other")})


# ------------------------------------------------------------------ markers


@pytest.mark.parametrize("chroma_420", [False, True], ids=["rgb", "yuv420"])
def test_marker_centres_are_subpixel(chroma_420):
    centres = np.array([[341.3, 611.7], [378.6, 614.2]])
    img = paint_dots(draw_frame(0.0), centres, np.array([4.2, 4.2]), chroma_420=chroma_420)
    dets = detect_markers(img, **landmark_kwargs())
    assert len(dets) == 2
    got = np.array(sorted((d.x, d.y) for d in dets))
    np.testing.assert_allclose(got, centres, atol=0.1)


def test_marker_line_angle_and_no_marker_case():
    ang = 5.0
    c = np.array([360.0, 612.0])
    d = 18.0 * np.array([np.cos(np.radians(ang)), np.sin(np.radians(ang))])
    images = [paint_dots(draw_frame(0.0, seed=i), np.array([c - d, c + d]), np.array([4.2, 4.2]))
              for i in range(4)]
    s = measure_pelvis_frames(frames_from(images), track_for(4))
    assert np.allclose(s.angle_deg("markers"), ang, atol=0.3)
    np.testing.assert_allclose(s.marker_xy[0, 0], c - d, atol=0.15)  # runner's left first
    plain = measure_pelvis_frames(frames_from([draw_frame(0.0)] * 2), track_for(2))
    assert np.all(plain.marker_confidence == 0) and np.isnan(plain.marker_deg).all()


# --------------------------------------------------------------------- roll


@pytest.mark.parametrize("roll", [-4.0, -1.5, 0.0, 3.0])
def test_roll_from_room_lines(roll):
    img, _ = rotate_clip(draw_frame(0.0), np.zeros((0, 2)), -roll)  # cv2: + = counter-clockwise
    r, support = estimate_roll_deg(img, exclude_box=RUNNER_BOX)
    assert r == pytest.approx(roll, abs=0.15)
    assert support > 0.3


def test_rotated_frames_read_the_same_after_roll_correction():
    n = 4
    base = [draw_frame(2.0, seed=i) for i in range(n)]
    straight = measure_pelvis_frames(frames_from(base), track_for(n), markers=False)
    tr = track_for(n)
    rot = [rotate_clip(im, tr.xy[i], 3.0) for i, im in enumerate(base)]
    xy = np.stack([p for _, p in rot])
    tr_rot = tr.replace(xy=xy, frame_size_wh=(rot[0][0].shape[1], rot[0][0].shape[0]))
    tilted = measure_pelvis_frames(frames_from([im for im, _ in rot]), tr_rot, markers=False)
    # uncorrected, a 3 deg counter-clockwise roll reads as -3 deg of obliquity
    assert np.nanmedian(tilted.angle_deg("waistband", roll_corrected=False)) == pytest.approx(-1.0, abs=0.2)
    np.testing.assert_allclose(
        tilted.angle_deg("waistband"), straight.angle_deg("waistband"), atol=0.2
    )


# ----------------------------------------------------- per-step peaks, source


def _steps():
    return [SimpleNamespace(side="left", ic_frame=0, to_frame=9),
            SimpleNamespace(side="right", ic_frame=10, to_frame=19),
            SimpleNamespace(side="left", ic_frame=20, to_frame=-1)]


def test_pelvic_drop_peaks_sign_and_level():
    t = np.arange(30) / 30.0
    angle = np.zeros(30)
    angle[5] = 4.0     # left stance: right side lower -> contralateral drop +4
    angle[14] = -6.0   # right stance: left side lower -> contralateral drop +6
    rows = pelvic_drop_peaks(angle, np.ones(30), t, _steps(), cutoff_hz=None)
    assert [r["pelvic_drop_peak_deg"] for r in rows] == [4.0, 6.0, None]
    assert [r["pelvic_drop_peak_frame"] for r in rows[:2]] == [5, 14]
    rows = pelvic_drop_peaks(angle, np.ones(30), t, _steps(), cutoff_hz=None, level_deg=1.0)
    assert [r["pelvic_drop_peak_deg"] for r in rows[:2]] == [3.0, 7.0]


def test_pelvic_drop_peaks_need_confident_frames():
    t = np.arange(30) / 30.0
    conf = np.ones(30)
    conf[:7] = 0.1  # 70 % of the first stance unusable
    rows = pelvic_drop_peaks(np.ones(30), conf, t, _steps(), cutoff_hz=None)
    assert rows[0]["pelvic_drop_peak_deg"] is None and rows[0]["valid_fraction"] == pytest.approx(0.3)
    assert rows[1]["pelvic_drop_peak_deg"] == -1.0


def _series(marker_conf: float, waist_conf: float, n: int = 20) -> PelvisImageSeries:
    z = np.zeros(n)
    return PelvisImageSeries(
        time_s=np.arange(n) / 30.0, waistband_deg=z, waistband_confidence=z + waist_conf,
        waistband_position=z, waistband_centre_xy=np.zeros((n, 2)), marker_deg=z,
        marker_confidence=z + marker_conf, marker_xy=np.zeros((n, 2, 2)),
        roll_deg=0.0, roll_support=1.0,
    )


@pytest.mark.parametrize(
    ("marker_conf", "waist_conf", "expected"),
    [
        pytest.param(0.9, 0.9, "markers", id="markers first"),
        pytest.param(0.0, 0.9, "waistband", id="then the waistband"),
        pytest.param(0.0, 0.1, "mediapipe_hips", id="else the hips"),
    ],
)
def test_pelvis_source_order(marker_conf, waist_conf, expected):
    src, reason = pelvis_source(_series(marker_conf, waist_conf), _steps())
    assert src == expected
    if expected == "mediapipe_hips":
        assert "low confidence" in reason


def test_landmark_fixture_is_a_rear_view():
    assert REAR_LANDMARKS["right_hip"][0] > REAR_LANDMARKS["left_hip"][0]
    assert index("left_hip") == 23
