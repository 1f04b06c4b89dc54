"""Knee centres from the leg's outline in a frontal (rear or front) view.

The knee FPPA needs the knee joint centre: the midpoint between the femoral
condyles, where the FPPA protocols put the knee marker (metrics.md 2.1). In
a frontal view that point lies on the middle of the leg's outline at knee
height. MediaPipe's knee landmark does not: on the rendered runners with
exact truth it sat up to 5 px to the side of the true knee centre, lateral
on one body and medial on the other, which alone moved the FPPA by up to 4
degrees (about 1 degree per px on these 720x1280 renders). The outline
comes from MediaPipe Pose's own person segmentation mask
(``enable_segmentation``), computed in the same pose pass; it changes none
of the landmarks.

The refined point keeps MediaPipe's knee height (the row) and takes the
middle of the leg's outline on a band of rows around it. It is left out
(NaN) where the outline cannot be trusted: the knee outside the mask, the
two legs touching (the run of mask is too wide), the leg cut by the edge of
the picture, or too few rows agreeing.
The measuring chain then falls back to MediaPipe's knee for those frames.

Measured on the three rendered rear clips with truth (60 and 30 fps, two
bodies), at the frames the FPPA is read: the outline knee lies 0.7-2.4 px
from the true knee (median per leg; under 1 px on four of the six legs),
MediaPipe's knee 0.2-4.9 px, lateral on one body and medial on the other.
The mask is not free: 1.3-1.6x the pose pass's time on 720p clips and 2x
on 1080p, up to ~460 MB more memory (bench/throughput.py, mode
``pose-outline``), because MediaPipe warps and smooths it at the full
frame size. ``--no-knee-outline`` turns it off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.track import LandmarkTrack

__all__ = ["OUTLINE_NAMES", "has_knee_outline", "knee_outline_x", "use_knee_outline"]

#: Extra landmark names a pose pass with the leg outline adds to the track:
#: x = middle of the leg's outline at the knee's row, y = MediaPipe's knee.
OUTLINE_NAMES = ("left_knee_outline", "right_knee_outline")

_BAND = 0.04  # half-height of the band of rows, in thigh lengths (at least 2 rows)
_MIN_WIDTH, _MAX_WIDTH = 0.08, 0.45  # plausible knee width, in thigh lengths
_MAX_SHIFT = 0.2  # furthest the outline middle may be from MediaPipe's knee, in thigh lengths
_MIN_ROWS = 0.6  # fraction of the band's rows that must give a width in range


def _edge(row: NDArray[np.floating[Any]], inside: int, outside: int) -> float:
    """Sub-pixel position where the mask crosses 0.5 between two neighbouring columns."""
    a, b = float(row[outside]), float(row[inside])
    if b == a:
        return float(inside)
    return outside + (0.5 - a) / (b - a) * (inside - outside)


def _row_middle(row: NDArray[np.floating[Any]], x: float, reach: int) -> tuple[float, float]:
    """Middle and width of the run of mask >= 0.5 that holds (or is nearest to) column ``x``."""
    n = row.shape[0]
    xi = int(round(x))
    if not 0 <= xi < n:
        return np.nan, np.nan
    inside = row >= 0.5
    if not inside[xi]:
        lo, hi = max(0, xi - reach), min(n, xi + reach + 1)
        cols = np.flatnonzero(inside[lo:hi]) + lo
        if cols.size == 0:
            return np.nan, np.nan
        xi = int(cols[np.argmin(np.abs(cols - xi))])
    outside = np.flatnonzero(~inside)
    left_out = outside[outside < xi]
    right_out = outside[outside > xi]
    if not (left_out.size and right_out.size):
        return np.nan, np.nan  # the leg runs out of the picture: its middle is unknown
    left = _edge(row, int(left_out[-1]) + 1, int(left_out[-1]))
    right = _edge(row, int(right_out[0]) - 1, int(right_out[0]))
    return (left + right) / 2, right - left


def knee_outline_x(
    mask: NDArray[np.floating[Any]], knee_xy: NDArray[np.floating[Any]], hip_xy: NDArray[np.floating[Any]]
) -> float:
    """The middle of the leg's outline at the knee's height, in pixels (NaN if not measurable).

    Parameters
    ----------
    mask
        ``(height, width)`` person mask in [0, 1] (MediaPipe's segmentation
        mask of the frame).
    knee_xy, hip_xy
        The pose model's knee and hip of the same leg, in pixels; the
        thigh length between them sets the band of rows and the plausible
        knee width.
    """
    x, y = float(knee_xy[0]), float(knee_xy[1])
    thigh = float(np.hypot(*(np.asarray(hip_xy, float) - np.asarray(knee_xy, float))))
    if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(thigh)) or thigh < 10:
        return np.nan
    # mask column i covers [i, i + 1) in the landmarks' (continuous) pixel coordinates
    h = mask.shape[0]
    half = max(2, int(round(_BAND * thigh)))
    centre = int(np.floor(y))
    rows = [r for r in range(centre - half, centre + half + 1) if 0 <= r < h]
    if not rows:
        return np.nan
    reach = max(1, int(round(0.05 * thigh)))
    mids = []
    for r in rows:
        mid, width = _row_middle(mask[r], x - 0.5, reach)
        if np.isfinite(mid) and _MIN_WIDTH * thigh <= width <= _MAX_WIDTH * thigh:
            mids.append(mid)
    if len(mids) < _MIN_ROWS * len(rows):
        return np.nan
    mid = float(np.median(mids)) + 0.5
    if abs(mid - x) > _MAX_SHIFT * thigh:
        return np.nan
    return mid


def has_knee_outline(track: LandmarkTrack) -> bool:
    """True if the track carries the knee outline of a pose pass with the leg outline."""
    return all(name in track.landmark_names for name in OUTLINE_NAMES)


def use_knee_outline(track: LandmarkTrack) -> tuple[LandmarkTrack, float]:
    """Move each knee landmark sideways to the middle of the leg's outline.

    For frontal views. Frames where the outline was not measurable keep
    MediaPipe's knee. Returns the new track and the fraction of the knee
    positions (both legs, frames with a knee) that were moved; a track
    without the outline landmarks is returned unchanged with fraction 0.
    """
    if not has_knee_outline(track):
        return track, 0.0
    xy = track.xy.copy()
    moved = seen = 0
    for side, name in zip(("left", "right"), OUTLINE_NAMES, strict=True):
        k = track.landmark_names.index(f"{side}_knee")
        o = track.landmark_names.index(name)
        ok = np.isfinite(xy[:, o, 0]) & np.isfinite(xy[:, k, 0])
        xy[ok, k, 0] = xy[ok, o, 0]
        moved += int(ok.sum())
        seen += int(np.isfinite(track.xy[:, k, 0]).sum())
    return track.replace(xy=xy), (moved / seen if seen else 0.0)
