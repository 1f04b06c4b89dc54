"""keyframes.json: a value or point that was not measured is written as null, never NaN."""

import json
import math

import numpy as np
import pytest

from gaitvision.io.video import VideoWriter
from gaitvision.landmarks import LANDMARK_NAMES
from gaitvision.render.keyframes import stored_geometry, write_keyframes
from gaitvision.track import LandmarkTrack

W, H, N = 120, 160, 6

#: a standing runner, facing image left, in (W, H) pixels
_POSE = {
    "nose": (52, 18), "left_shoulder": (58, 42), "right_shoulder": (62, 42), "left_hip": (58, 82),
    "right_hip": (62, 82), "left_knee": (54, 112), "right_knee": (64, 112), "left_ankle": (56, 140),
    "right_ankle": (66, 140), "left_heel": (60, 146), "right_heel": (70, 146),
    "left_foot_index": (48, 148), "right_foot_index": (58, 148),
}


def _track() -> LandmarkTrack:
    xy = np.full((N, len(LANDMARK_NAMES), 2), np.nan)
    for name, p in _POSE.items():
        xy[:, LANDMARK_NAMES.index(name)] = p
    return LandmarkTrack(xy=xy, confidence=np.isfinite(xy[..., 0]).astype(float), time_s=np.arange(N) / 30,
                         frame_size_wh=(W, H))


def _clip(path):
    with VideoWriter(path, width=W, height=H) as vw:
        for i in range(N):
            vw.write(np.full((H, W, 3), 40 + 20 * i, np.uint8), i / 30)
    return path


def _rows():
    nan = float("nan")
    base = {"excluded_reason": "", "confidence": "high", "foot_strike_pattern": None, "to_frame": -1}
    return [
        {**base, "step": 1, "side": "left", "ic_frame": 1, "foot_strike_angle_deg": nan,
         "knee_flexion_ic_deg": 14.0},
        {**base, "step": 2, "side": "right", "ic_frame": 3, "foot_strike_angle_deg": 9.0,
         "knee_flexion_ic_deg": nan},
    ]


def _refuse_nan(name):
    raise AssertionError(f"keyframes.json holds {name}")


def _load(out):
    text = (out / "keyframes" / "keyframes.json").read_text()
    return json.loads(text, parse_constant=_refuse_nan)


def test_nan_values_and_points_are_written_as_null(tmp_path):
    clip = _clip(tmp_path / "clip.mp4")
    geometry = {
        ("left", 1): {"heel": [float("nan"), float("nan")], "foot_index": [48.0, 148.0], "knee": [54.0, 112.0]},
        ("right", 3): {"heel": [70.0, 146.0], "foot_index": [58.0, float("inf")], "knee": [64.0, 112.0]},
    }
    summary = {"view": "side-left", "metrics": {"foot_strike_angle_deg": {"left": {"median": float("nan")}}}}
    metas = write_keyframes(tmp_path, rows=_rows(), summary=summary, track=_track(), geometry=geometry,
                            video_path=clip)

    doc = _load(tmp_path)  # strict JSON: no NaN or Infinity anywhere
    left = next(st for st in doc["stills"] if st["side"] == "left")
    assert left["chosen_by"] == {"metric": "foot_strike_angle_deg", "side_median": None}
    assert left["values"]["foot_strike_angle_deg"] is None
    assert left["values"]["knee_flexion_ic_deg"] == 14.0
    assert left["drawn"]["strike_deg"] is None
    points = {(g["side"], g["ic_frame"]): g["points"] for g in doc["geometry"]}
    assert points[("left", 1)]["heel"] == [None, None]
    assert points[("left", 1)]["foot_index"] == [48.0, 148.0]
    assert points[("right", 3)]["foot_index"] == [58.0, None]
    assert metas == doc["stills"]  # what is returned is what was written
    assert doc["side_by_side"] == "left_right_initial_contact.png"
    assert (tmp_path / "keyframes" / "left_initial_contact.png").is_file()


def test_null_points_read_back_as_nan_and_rewrite_unchanged(tmp_path):
    """A report rebuild feeds the stored points back in: null -> NaN -> null, the same file."""
    clip = _clip(tmp_path / "clip.mp4")
    geometry = {("left", 1): {"heel": [float("nan"), 146.0], "foot_index": [48.0, 148.0]}}
    summary = {"view": "side-left", "metrics": {}}
    write_keyframes(tmp_path, rows=_rows(), summary=summary, track=_track(), geometry=geometry,
                    video_path=clip)
    first = (tmp_path / "keyframes" / "keyframes.json").read_text()

    stored = stored_geometry(tmp_path)
    heel = stored[("left", 1)]["heel"]
    assert math.isnan(heel[0]) and heel[1] == pytest.approx(146.0)
    write_keyframes(tmp_path, rows=_rows(), summary=summary, track=_track(), geometry=stored,
                    video_path=clip)
    assert (tmp_path / "keyframes" / "keyframes.json").read_text() == first
