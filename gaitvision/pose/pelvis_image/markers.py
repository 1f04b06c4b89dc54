"""PSIS tape markers in one frame: coloured blobs in the pelvis region, found by
a soft HSV colour membership and located to sub-pixel accuracy from the
full-resolution luma contrast (:func:`detect_markers`, :class:`MarkerDetection`,
and the default marker colour :data:`MARKER_GREEN_HSV`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

#: Default marker colour: fluorescent (lime) green, as an HSV box
#: ``((hue_lo, hue_hi), (sat_lo, sat_hi), (val_lo, val_hi))`` with hue in
#: degrees 0-360 and saturation/value in 0-1. Far from skin (0-40 deg),
#: from blue/black/grey clothing and from treadmill colours.
MARKER_GREEN_HSV = ((85.0, 160.0), (0.40, 1.0), (0.25, 1.0))

#: A colour as an HSV box ``((hue_lo, hue_hi), (sat_lo, sat_hi), (val_lo, val_hi))``.
HSVBox = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class MarkerDetection:
    """One coloured blob near the pelvis: sub-pixel centre, area and score.

    ``score`` is the summed colour membership (in [0, 1] per pixel), i.e.
    roughly the area of a perfectly coloured dot.
    """

    x: float
    y: float
    area_px: float
    score: float


def _marker_membership(rgb: NDArray[np.uint8], hsv_box: HSVBox) -> NDArray[np.float32]:
    """Soft colour membership in [0, 1] of each pixel to an HSV box.

    Hue in degrees (a range such as ``(330, 20)`` wraps through red),
    saturation and value in 0-1; the box edges are soft (8 deg, 0.08).
    """
    (h_lo, h_hi), (s_lo, s_hi), (v_lo, v_hi) = hsv_box
    hsv = np.asarray(cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV), dtype=np.float32)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    soft_h, soft_s = 8.0, 0.08
    # signed circular distances inside the hue range (a range may wrap past 360, e.g. red)
    d_lo = (h - h_lo + 180.0) % 360.0 - 180.0
    d_hi = (h_hi - h + 180.0) % 360.0 - 180.0
    mh = np.clip(np.minimum(d_lo, d_hi) / soft_h + 0.5, 0, 1)
    ms = np.clip(np.minimum(s - s_lo, s_hi - s) / soft_s + 0.5, 0, 1)
    mv = np.clip(np.minimum(v - v_lo, v_hi - v) / soft_s + 0.5, 0, 1)
    return (mh * ms * mv).astype(np.float32)


def _pelvis_box(
    pts: NDArray[np.float64], shape: tuple[int, ...], top: float, bottom: float, half_w: float
) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1) of the pelvis region, or None."""
    hip_mid = pts[:2].mean(axis=0)
    sh_mid = pts[2:].mean(axis=0)
    torso = float(np.linalg.norm(hip_mid - sh_mid))
    hip_w = float(np.linalg.norm(pts[1] - pts[0]))
    if torso < 20:
        return None
    half = half_w * max(hip_w, 0.3 * torso)
    x0 = max(0, int(hip_mid[0] - half))
    x1 = min(shape[1], int(np.ceil(hip_mid[0] + half)))
    y0 = max(0, int(sh_mid[1] + top * torso))
    y1 = min(shape[0], int(np.ceil(sh_mid[1] + bottom * torso)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1


def _dot_centre(
    luma: NDArray[np.float32],
    member: NDArray[np.float32],
    labels: NDArray[np.int32],
    k: int,
    bbox: tuple[int, int, int, int],
) -> tuple[float, float]:
    """Sub-pixel centre of blob ``k``: luma-contrast-weighted centroid.

    Phone video stores colour at half resolution (4:2:0), so the colour
    membership only *gates* the blob; the weights come from the
    full-resolution luma contrast to the surrounding ring, which keeps the
    centre accurate to about a tenth of a pixel. When the dot hardly
    differs in brightness from its surroundings the colour membership is
    used as the weight instead.
    """
    bx, by, bw, bh = bbox
    pad = max(3, int(round(0.5 * max(bw, bh))))
    ya, yb = max(0, by - pad), min(luma.shape[0], by + bh + pad)
    xa, xb = max(0, bx - pad), min(luma.shape[1], bx + bw + pad)
    lab = labels[ya:yb, xa:xb]
    mem = member[ya:yb, xa:xb]
    lum = luma[ya:yb, xa:xb]
    core = lab == k
    gate = cv2.dilate(core.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2).astype(bool)
    gate &= (lab == k) | (lab == 0)
    ring = ~cv2.dilate(gate.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=1).astype(bool)
    ring &= lab == 0
    wts = mem * gate
    if ring.sum() >= 8:
        contrast = lum - np.median(lum[ring])
        sign = np.sign(np.median(contrast[core]))
        if abs(np.median(contrast[core])) >= 10:
            wts = np.clip(sign * contrast, 0, None) * gate
    tot = float(wts.sum())
    if tot <= 0:
        wts, tot = core.astype(np.float32), float(core.sum())
    yy, xx = np.mgrid[ya:yb, xa:xb]
    return float((wts * xx).sum() / tot), float((wts * yy).sum() / tot)


def detect_markers(
    image: NDArray[np.uint8],
    *,
    left_hip_xy: Sequence[float],
    right_hip_xy: Sequence[float],
    left_shoulder_xy: Sequence[float],
    right_shoulder_xy: Sequence[float],
    hsv_box: HSVBox = MARKER_GREEN_HSV,
    min_area_px: float = 4.0,
) -> list[MarkerDetection]:
    """Find coloured tape dots in the pelvis region of one frame.

    Parameters
    ----------
    image
        ``(height, width, 3)`` RGB frame.
    left_hip_xy, right_hip_xy, left_shoulder_xy, right_shoulder_xy
        MediaPipe landmarks in pixels; they place the search region (0.4 to
        1.25 torso lengths below mid-shoulder, 1.1 hip widths either side
        of mid-hip).
    hsv_box
        The marker colour as ``((hue_lo, hue_hi), (sat_lo, sat_hi),
        (val_lo, val_hi))``, hue in degrees, saturation and value in 0-1.
        The default is fluorescent (lime) green.
    min_area_px
        Smaller blobs are ignored (noise, compression artefacts).

    Returns
    -------
    list of MarkerDetection
        Blobs strongest first. The centre of each is a sub-pixel centroid
        weighted by the full-resolution brightness contrast inside the
        (dilated) colour blob, so 4:2:0 colour subsampling does not shift
        it (see ``_dot_centre``).
    """
    pts = np.array([left_hip_xy, right_hip_xy, left_shoulder_xy, right_shoulder_xy], dtype=float)
    if pts.shape != (4, 2) or not np.isfinite(pts).all():
        return []
    box = _pelvis_box(pts, image.shape, 0.4, 1.25, 1.1)
    if box is None:
        return []
    torso = float(np.linalg.norm(pts[:2].mean(0) - pts[2:].mean(0)))
    out = _dots(image, box, hsv_box, min_area_px=min_area_px, max_area_px=(0.25 * torso) ** 2)
    out.sort(key=lambda d: -d.score)
    return out


def _dots(
    image: NDArray[np.uint8],
    box: tuple[int, int, int, int],
    hsv_box: HSVBox,
    *,
    min_area_px: float,
    max_area_px: float,
) -> list[MarkerDetection]:
    """The dot-shaped blobs of the marker colour inside ``box``, in image pixels."""
    x0, y0, x1, y1 = box
    patch = image[y0:y1, x0:x1]
    m = _marker_membership(patch, hsv_box)
    luma = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32)
    n, labels_cv, stats, _ = cv2.connectedComponentsWithStats((m > 0.5).astype(np.uint8), connectivity=8)
    labels = np.asarray(labels_cv, dtype=np.int32)  # CV_32S labels
    out: list[MarkerDetection] = []
    for k in range(1, n):
        bx, by, bw, bh, area = stats[k]
        if area < min_area_px or area > max_area_px:
            continue
        if max(bw, bh) > 3 * min(bw, bh) + 2:  # a stripe, not a dot
            continue
        cx, cy = _dot_centre(luma, m, labels, k, (bx, by, bw, bh))
        out.append(
            MarkerDetection(
                x=cx + x0,
                y=cy + y0,
                area_px=float(area),
                score=float(m[labels == k].sum()),
            )
        )
    return out
