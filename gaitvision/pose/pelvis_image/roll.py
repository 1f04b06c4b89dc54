"""Camera roll of one frame from the scene's long near-horizontal and
near-vertical straight lines (LSD segments, length-weighted median vote), to
be subtracted so that a tilted phone does not read as pelvic drop
(:func:`estimate_roll_deg`).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def estimate_roll_deg(
    image: NDArray[np.uint8],
    *,
    exclude_box: tuple[float, float, float, float] | None = None,
    max_roll_deg: float = 8.0,
    min_length_frac: float = 0.06,
) -> tuple[float, float]:
    """Camera roll of one frame from its long near-horizontal/vertical lines.

    Parameters
    ----------
    image
        ``(height, width, 3)`` RGB frame.
    exclude_box
        ``(x0, y0, x1, y1)`` pixel box to ignore (the runner).
    max_roll_deg
        Only segments within this angle of the image horizontal or vertical
        vote; larger rolls are not measurable this way.
    min_length_frac
        Shortest segment used, as a fraction of the image diagonal.

    Returns
    -------
    roll_deg, support
        ``roll_deg`` is the image slope angle of the scene's horizontal,
        ``atan(dy/dx)`` with y down: positive when the picture is turned
        clockwise on screen (horizontals descend to the right). NaN when no
        line votes. ``support`` is the summed length of the agreeing
        segments (within 1 deg) divided by the image diagonal.

    Notes
    -----
    Line segments come from OpenCV's LSD detector (von Gioi et al. 2012).
    A near-horizontal segment votes its slope angle; a near-vertical one
    votes its deviation from the image vertical, which turns by the same
    angle under a roll. The vote is the length-weighted median. Lines that
    are horizontal or vertical in the room (treadmill deck edge, belt
    seams, wall-floor line, door and window frames) dominate a treadmill
    scene; receding floor lines are far from both directions and are
    ignored. Perspective bends verticals away from the image centre by
    about ``x_offset / f * tan(pitch)``, a fraction of a degree for a phone
    held level at hip height.

    References
    ----------
    von Gioi, Jakubowicz, Morel & Randall 2012, "LSD: a Line Segment
    Detector", Image Processing On Line 2:35-55.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    segs = cv2.createLineSegmentDetector().detect(gray)[0]
    if segs is None:
        return float("nan"), 0.0
    h, w = gray.shape
    diag = float(np.hypot(h, w))
    vote, length, use = _votes(np.asarray(segs), diag, exclude_box, max_roll_deg, min_length_frac)
    return _median_vote(vote[use], length[use], diag)


def _votes(
    segs: NDArray[np.float32],
    diag: float,
    exclude_box: tuple[float, float, float, float] | None,
    max_roll_deg: float,
    min_length_frac: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Each LSD segment's roll vote (deg), its length (px) and whether it votes."""
    s = segs.reshape(-1, 4).astype(np.float64)
    x_a, y_a, x_b, y_b = s.T
    length = np.hypot(x_b - x_a, y_b - y_a)
    keep = length >= min_length_frac * diag
    if exclude_box is not None:
        bx0, by0, bx1, by1 = exclude_box
        mx, my = (x_a + x_b) / 2, (y_a + y_b) / 2
        inside = (mx > bx0) & (mx < bx1) & (my > by0) & (my < by1)
        keep &= ~inside
    theta = np.degrees(np.arctan2(y_b - y_a, x_b - x_a))
    theta = (theta + 90.0) % 180.0 - 90.0  # (-90, 90]
    horiz = np.abs(theta) <= max_roll_deg
    vert = np.abs(theta) >= 90.0 - max_roll_deg
    vote = np.where(horiz, theta, theta - 90.0 * np.sign(theta))
    return vote, length, keep & (horiz | vert)


def _median_vote(v: NDArray[np.float64], wt: NDArray[np.float64], diag: float) -> tuple[float, float]:
    """Length-weighted median of the votes and its support (NaN, 0 without votes)."""
    if v.size == 0:
        return float("nan"), 0.0
    order = np.argsort(v)
    cw = np.cumsum(wt[order])
    roll = float(v[order][np.searchsorted(cw, 0.5 * cw[-1])])
    support = float(wt[np.abs(v - roll) <= 1.0].sum() / diag)
    return roll, support
