"""Geometry helpers shared by the pelvis-image submodules: the conversion of
an image slope angle to the pelvis-angle convention (positive = runner's
right side lower) and the test for which way the runner faces the camera.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gaitvision.track import LandmarkTrack


def _to_pelvis_deg(
    slope_deg: NDArray[np.float64] | float, right_is_image_right: bool
) -> NDArray[np.float64] | float:
    """Convert an image slope angle (``atan(dy/dx)``, x right, y down) to the
    pelvis convention (positive = runner's right side lower)."""
    return slope_deg if right_is_image_right else -np.asarray(slope_deg)


def _right_is_image_right(track: LandmarkTrack) -> bool:
    """True when the runner's right hip is at larger image x (rear view)."""
    dx = track.landmark("right_hip")[:, 0] - track.landmark("left_hip")[:, 0]
    med = np.nanmedian(dx) if np.isfinite(dx).any() else 1.0
    return bool(med >= 0)
