"""Knee angles: sagittal flexion and frontal-plane projection angle (valgus)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.measure.metrics.geometry import interior_angle_deg, signed_offset_from_line
from gaitvision.track import LandmarkTrack

__all__ = ["knee_flexion_deg", "knee_fppa_deg"]

Side = Literal["left", "right"]


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def knee_flexion_deg(track: LandmarkTrack, *, side: Side) -> NDArray[np.float64]:
    """Knee flexion per frame, ``180° - ∠(hip, knee, ankle)``, in degrees.

    0 with the leg straight, positive when bent. Read in the image (a 2D
    projection; meaningful in a side view).

    References
    ----------
    metrics.md §2.7 (the Sports2D convention, knee offset -180).
    """
    return 180.0 - interior_angle_deg(
        track.landmark(f"{side}_hip"), track.landmark(f"{side}_knee"), track.landmark(f"{side}_ankle")
    )


def knee_fppa_deg(
    track: LandmarkTrack, *, side: Side, hip_widening: float = 0.0
) -> NDArray[np.float64]:
    """Knee frontal-plane projection angle per frame, in degrees.

    ``FPPA = (180° - ∠(hip, knee, ankle))`` signed positive when the knee
    lies toward the body's midline from the hip-ankle line (dynamic knee
    valgus, "knee collapse"), negative for varus.

    Parameters
    ----------
    track
        Landmark track of a rear or front view.
    side
        The leg.
    hip_widening
        Move each hip point outward from the mid-hip by this fraction of
        the hip-to-hip distance before measuring (0 = as tracked). See
        :data:`gaitvision.measure.steps.MEDIAPIPE_HIP_WIDENING`.

    Notes
    -----
    "Toward the midline" is the direction of the *other* hip, so the same
    formula works from behind and from in front. Mirroring the image
    left-right leaves the value unchanged (both the knee offset and the
    midline direction flip); translating or scaling all points does too.
    This is a 2D indicator of a composite movement (hip adduction and
    rotation), not a knee abduction angle (metrics.md §2.1).

    References
    ----------
    Munro, Herrington & Carolan 2012, J Sport Rehabil 21(1):7-11.
    Willson & Davis 2008, JOSPT 38(10):606-615.
    """
    hip = track.landmark(f"{side}_hip")
    knee = track.landmark(f"{side}_knee")
    ankle = track.landmark(f"{side}_ankle")
    other_hip = track.landmark(f"{_other(side)}_hip")
    if hip_widening:
        hip = hip + hip_widening * (hip - other_hip)
    magnitude = 180.0 - interior_angle_deg(hip, knee, ankle)
    medial = np.sign(other_hip[:, 0] - hip[:, 0])
    offset = signed_offset_from_line(knee, hip, ankle)
    sign = np.sign(offset * medial)
    return np.asarray(magnitude * sign, dtype=np.float64)
