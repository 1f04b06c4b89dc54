"""Foot angle and foot-strike classification (side view)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaitvision.measure.metrics.geometry import line_tilt_deg
from gaitvision.track import LandmarkTrack

__all__ = ["STRIKE_THRESHOLDS_DEG", "classify_strike", "foot_angle_raw_deg"]

#: Foot-strike-angle cut-offs (Mo, Huang, Ng & Cheung 2021, Res Sports Med):
#: rearfoot above 7.4°, forefoot below -0.8°, midfoot in between.
STRIKE_THRESHOLDS_DEG = {"rearfoot_above": 7.4, "forefoot_below": -0.8}


def foot_angle_raw_deg(
    track: LandmarkTrack, *, side: Literal["left", "right"], direction: int
) -> NDArray[np.float64]:
    """Heel->toe line vs the image horizontal, per frame, in degrees.

    Positive when the toe is higher than the heel (dorsiflexed, heel
    strike). ``direction`` is +1 when the runner faces image right, -1 when
    facing image left.

    Notes
    -----
    MediaPipe's heel and foot-index points are not the sole: the raw angle
    is biased (about -9 to -12° at a dorsiflexed contact on rendered
    runners, metrics.md). Only differences of this angle, such as the
    strike angle minus the flat-foot angle, are meaningful.
    """
    return line_tilt_deg(
        track.landmark(f"{side}_heel"), track.landmark(f"{side}_foot_index"), forward=direction
    )


def classify_strike(fsa_deg: ArrayLike) -> NDArray[np.str_]:
    """Classify calibrated foot-strike angles as rearfoot, midfoot or forefoot.

    NaN gives an empty string.

    References
    ----------
    Mo, Huang, Ng & Cheung 2021, Res Sports Med: RFS > 7.4°, FFS < -0.8°.
    """
    a = np.asarray(fsa_deg, dtype=np.float64)
    out = np.full(a.shape, "", dtype=object)
    out[a > STRIKE_THRESHOLDS_DEG["rearfoot_above"]] = "rearfoot"
    out[a < STRIKE_THRESHOLDS_DEG["forefoot_below"]] = "forefoot"
    mid = (a >= STRIKE_THRESHOLDS_DEG["forefoot_below"]) & (
        a <= STRIKE_THRESHOLDS_DEG["rearfoot_above"]
    )
    out[mid] = "midfoot"
    return out.astype(str)
