"""Pelvic obliquity from the hip landmarks (rear or front view)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.track import LandmarkTrack

__all__ = ["pelvic_drop_deg", "pelvis_line_deg"]


def pelvis_line_deg(track: LandmarkTrack) -> NDArray[np.float64]:
    """Angle of the left-right hip line per frame, in degrees.

    ``atan2(y_right - y_left, |x_right - x_left|)``: positive when the
    runner's right hip is lower in the image than the left (image y down),
    in a rear and a front view alike.
    """
    left = track.landmark("left_hip")
    right = track.landmark("right_hip")
    angle = np.degrees(np.arctan2(right[:, 1] - left[:, 1], np.abs(right[:, 0] - left[:, 0])))
    return np.asarray(angle, dtype=np.float64)


def pelvic_drop_deg(
    track: LandmarkTrack,
    *,
    stance_side: Literal["left", "right"],
    level_deg: float,
) -> NDArray[np.float64]:
    """Contralateral pelvic drop per frame for a given stance leg, in degrees.

    Positive when the swing-side (contralateral) hip is lower than the
    stance-side hip, relative to ``level_deg``, the hip-line angle taken as
    level (a standing trial, or the clip's median; camera roll enters it).

    References
    ----------
    metrics.md §2.6; Bramah et al. 2018, AJSM 46(12):3023-3031.
    """
    line = pelvis_line_deg(track) - level_deg
    return line if stance_side == "left" else -line
