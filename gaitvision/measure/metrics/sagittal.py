"""Side-view (sagittal) metrics other than the foot and knee angles."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.measure.metrics.geometry import vertical_angle_deg
from gaitvision.track import LandmarkTrack

__all__ = [
    "heel_to_hip_px",
    "leg_length_px",
    "mid_hip",
    "mid_shoulder",
    "shank_angle_deg",
    "trunk_lean_deg",
]

Side = Literal["left", "right"]


def mid_hip(track: LandmarkTrack) -> NDArray[np.float64]:
    """Mid-hip ``MH`` per frame, ``(n, 2)`` px: the pelvis/centre-of-mass proxy."""
    return (track.landmark("left_hip") + track.landmark("right_hip")) / 2


def mid_shoulder(track: LandmarkTrack) -> NDArray[np.float64]:
    """Mid-shoulder ``MS`` per frame, ``(n, 2)`` px."""
    return (track.landmark("left_shoulder") + track.landmark("right_shoulder")) / 2


def leg_length_px(track: LandmarkTrack, *, side: Side) -> float:
    """Leg length in px: median over frames of thigh length plus shank length.

    Summing the two segments makes it independent of how bent the knee is
    (metrics.md normalises overstride and oscillation by leg length; with no
    standing trial this is the robust stand-in).
    """
    hip, knee, ankle = (track.landmark(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
    seg = np.linalg.norm(hip - knee, axis=1) + np.linalg.norm(knee - ankle, axis=1)
    return float(np.nanmedian(seg)) if np.isfinite(seg).any() else float("nan")


def shank_angle_deg(track: LandmarkTrack, *, side: Side, direction: int) -> NDArray[np.float64]:
    """Shank (knee->ankle) vs the image vertical per frame, degrees.

    Positive when the ankle is ahead of the knee in the running direction
    (``direction`` +1 = runner faces image right): a forward-reaching shank,
    the "tibial overstride" of metrics.md §2.5. 0 = vertical.

    References
    ----------
    Souza 2016, Phys Med Rehabil Clin N Am 27(1):217-236.
    """
    return vertical_angle_deg(
        track.landmark(f"{side}_knee"), track.landmark(f"{side}_ankle"), forward=direction
    )


def heel_to_hip_px(track: LandmarkTrack, *, side: Side, direction: int) -> NDArray[np.float64]:
    """Horizontal heel-to-mid-hip distance per frame, px; + = heel ahead of the hip.

    ``(x_heel - x_MH) * direction`` (metrics.md §2.5, foot-to-COM distance).
    """
    ahead = (track.landmark(f"{side}_heel")[:, 0] - mid_hip(track)[:, 0]) * direction
    return np.asarray(ahead, dtype=np.float64)


def trunk_lean_deg(track: LandmarkTrack, *, direction: int, hip_back_px: float = 0.0) -> NDArray[np.float64]:
    """Forward trunk lean per frame, degrees: mid-hip->mid-shoulder vs vertical.

    ``atan2((x_MS - x_MH) * dir, y_MH - y_MS)``; positive = leaning forward.
    ``hip_back_px`` moves the mid-hip that far backwards (against the
    running direction) first: the pose model's hip points sit in front of
    the hip joint centres in a side view
    (:data:`gaitvision.measure.steps.MEDIAPIPE_SIDE_HIP_FORWARD`).

    References
    ----------
    Teng & Powers 2014, JOSPT (self-selected 7.3 +/- 3.6 deg at 3.4 m/s).
    """
    ms, mh = mid_shoulder(track), mid_hip(track)
    mh = mh - np.array([hip_back_px * direction, 0.0])
    lean = np.degrees(np.arctan2((ms[:, 0] - mh[:, 0]) * direction, mh[:, 1] - ms[:, 1]))
    return np.asarray(lean, dtype=np.float64)
