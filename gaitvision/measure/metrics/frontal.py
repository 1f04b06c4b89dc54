"""Rear/front-view (frontal) metrics other than the knee FPPA and pelvic drop."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.track import LandmarkTrack

__all__ = ["hip_adduction_deg"]

Side = Literal["left", "right"]


def hip_adduction_deg(
    track: LandmarkTrack,
    *,
    side: Side,
    pelvis_line_deg: NDArray[np.float64] | None = None,
    hip_widening: float = 0.0,
) -> NDArray[np.float64]:
    """2D hip adduction per frame: femur vs the perpendicular to the pelvis line.

    Positive when the knee lies toward the midline (adduction), negative for
    abduction. The pelvis line is the hip-to-hip line unless
    ``pelvis_line_deg`` gives its angle from another source (image-based
    waistband or markers; same sign convention as
    :func:`gaitvision.metrics.pelvis.pelvis_line_deg`). ``hip_widening``
    moves the hip points outward as for the knee FPPA.

    Notes
    -----
    femoral adduction (femur vs image vertical, + = knee toward midline)
    plus the pelvis tilt seen from the stance side: with the
    contralateral (swing) side dropped by ``d`` degrees, the pelvis
    perpendicular tilts toward the swing side by ``d``, which adds ``d``
    of adduction (metrics.md §2.6; Dingenen 2018).
    """
    other: Side = "right" if side == "left" else "left"
    hip = track.landmark(f"{side}_hip")
    other_hip = track.landmark(f"{other}_hip")
    if hip_widening:
        hip = hip + hip_widening * (hip - other_hip)
    knee = track.landmark(f"{side}_knee")
    medial = np.sign(other_hip[:, 0] - hip[:, 0])
    femoral = np.degrees(np.arctan2((knee[:, 0] - hip[:, 0]) * medial, knee[:, 1] - hip[:, 1]))
    if pelvis_line_deg is None:
        right = track.landmark("right_hip")
        left = track.landmark("left_hip")
        pelvis_line_deg = np.degrees(np.arctan2(right[:, 1] - left[:, 1], np.abs(right[:, 0] - left[:, 0])))
    # drop of the contralateral side relative to this stance side
    drop = pelvis_line_deg if side == "left" else -pelvis_line_deg
    return np.asarray(femoral + drop, dtype=np.float64)
