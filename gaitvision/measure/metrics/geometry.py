"""Generic 2D angle geometry in image pixel coordinates (no gait knowledge).

All functions take ``(..., 2)`` arrays of pixel positions in image
coordinates (x right, y **down**) and broadcast over leading dimensions.
NaN in, NaN out. Angles are in degrees.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "interior_angle_deg",
    "line_tilt_deg",
    "signed_offset_from_line",
    "vertical_angle_deg",
]


def interior_angle_deg(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
    """Angle ABC at vertex ``b`` in [0, 180] degrees.

    Uses ``atan2(|u x v|, u . v)``, which is accurate over the whole range
    (unlike ``arccos`` near 0 and 180, or ``arcsin`` beyond 90).
    """
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (a, b, c))
    u = a - b
    v = c - b
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = (u * v).sum(axis=-1)
    return np.asarray(np.degrees(np.arctan2(np.abs(cross), dot)), dtype=np.float64)


def signed_offset_from_line(
    p: ArrayLike, line_a: ArrayLike, line_b: ArrayLike
) -> NDArray[np.float64]:
    """Horizontal offset (px) of ``p`` from the line through ``line_a``, ``line_b``.

    The line's x is evaluated at ``p``'s y; the result is ``p.x - x_line``,
    positive when ``p`` lies to the image right of the line. NaN where the
    line is horizontal.
    """
    p, a, b = (np.asarray(q, dtype=np.float64) for q in (p, line_a, line_b))
    dy = b[..., 1] - a[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(dy != 0, (p[..., 1] - a[..., 1]) / dy, np.nan)
    x_line = a[..., 0] + (b[..., 0] - a[..., 0]) * frac
    return np.asarray(p[..., 0] - x_line, dtype=np.float64)


def vertical_angle_deg(
    top: ArrayLike, bottom: ArrayLike, *, forward: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Angle of the segment top->bottom from the image vertical, in (-180, 180].

    Positive when ``bottom`` lies in the ``forward`` direction (+1 = image
    right, -1 = image left) from ``top``. 0 when ``bottom`` is straight
    below ``top``.
    """
    top, bottom = (np.asarray(q, dtype=np.float64) for q in (top, bottom))
    fwd = np.asarray(forward, dtype=np.float64)
    dx = (bottom[..., 0] - top[..., 0]) * fwd
    dy = bottom[..., 1] - top[..., 1]
    return np.asarray(np.degrees(np.arctan2(dx, dy)), dtype=np.float64)


def line_tilt_deg(
    rear: ArrayLike, front: ArrayLike, *, forward: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Tilt of the line rear->front from the image horizontal, in (-180, 180].

    Positive when ``front`` is *higher* in the image than ``rear`` (image y
    points down, so this is ``atan2(rear.y - front.y, (front.x - rear.x) *
    forward)``).
    """
    rear, front = (np.asarray(q, dtype=np.float64) for q in (rear, front))
    fwd = np.asarray(forward, dtype=np.float64)
    dx = (front[..., 0] - rear[..., 0]) * fwd
    dy = rear[..., 1] - front[..., 1]
    return np.asarray(np.degrees(np.arctan2(dy, dx)), dtype=np.float64)
