"""Pelvic obliquity measured from the image, not from the pose model's hips.

MediaPipe places its hip landmarks from the silhouette and the legs, so its
left-right hip line barely follows the pelvis (metrics.md, "Decisions").
Clinicians read pelvic drop from the posterior pelvis: the PSIS, often
marked with tape. This module measures, per frame of a rear (or front)
view:

- the **waistband line**: the shirt-shorts (or skin-shorts) boundary, a
  horizontal colour edge that moves with the pelvis, found inside a region
  placed from MediaPipe's hips and shoulders;
- the **marker line**: the line through two coloured tape dots on the PSIS,
  when the therapist has applied them;
- the **camera roll**: the tilt of the scene's long horizontal and vertical
  lines (treadmill deck, walls, door frames), to be subtracted so that a
  tilted phone does not read as pelvic drop.

Everything here is a pure function of images and landmarks, except
:func:`measure_pelvis_video`, which decodes a clip once (no pose model)
and returns arrays suitable for caching beside ``track.npz``.

Sign convention (all ``*_deg`` pelvis angles): identical to
:func:`gaitvision.metrics.pelvis.pelvis_line_deg`, i.e.
``atan2(y_right - y_left, |x_right - x_left|)`` with image y down: positive
when the runner's **right** side of the line is lower in the image, in a
rear and a front view alike. Roll-corrected angles are measured against
the scene's horizontal instead of the image rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from .track import LandmarkTrack

__all__ = [
    "MarkerDetection",
    "PelvisImageSeries",
    "WaistbandCandidate",
    "detect_markers",
    "drop_level_deg",
    "estimate_roll_deg",
    "marker_line_series",
    "measure_pelvis_frames",
    "measure_pelvis_video",
    "pelvic_drop_peaks",
    "pelvis_source",
    "waistband_candidates",
    "waistband_line_series",
]

logger = logging.getLogger(__name__)

#: Default marker colour: fluorescent (lime) green, as an HSV box
#: ``((hue_lo, hue_hi), (sat_lo, sat_hi), (val_lo, val_hi))`` with hue in
#: degrees 0-360 and saturation/value in 0-1. Far from skin (0-40 deg),
#: from blue/black/grey clothing and from treadmill colours.
MARKER_GREEN_HSV = ((85.0, 160.0), (0.40, 1.0), (0.25, 1.0))

_ROI_TOP, _ROI_BOTTOM = 0.45, 1.08  # waist search band, in torso lengths from the shoulders
_ROI_HALF_WIDTH = 0.75  # half-width of the columns used, in MediaPipe hip widths
_MAX_TILT_DEG = 20.0  # steepest waistband accepted in the image


# --------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------


def _to_pelvis_deg(slope_deg: NDArray[np.float64] | float, right_is_image_right: bool):
    """Convert an image slope angle (``atan(dy/dx)``, x right, y down) to the
    pelvis convention (positive = runner's right side lower)."""
    return slope_deg if right_is_image_right else -np.asarray(slope_deg)


def _right_is_image_right(track: LandmarkTrack) -> bool:
    """True when the runner's right hip is at larger image x (rear view)."""
    dx = track.landmark("right_hip")[:, 0] - track.landmark("left_hip")[:, 0]
    med = np.nanmedian(dx) if np.isfinite(dx).any() else 1.0
    return bool(med >= 0)


# --------------------------------------------------------------------------
# waistband line, one frame
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class WaistbandCandidate:
    """One horizontal colour edge found in the waist region of one frame.

    ``slope_deg`` is the edge's angle in the image, ``atan(dy/dx)`` with x
    right and y down (positive when it descends to the image right);
    ``position`` is where it crosses the torso axis, in torso lengths below
    the mid-hip landmark (negative = above). ``score`` is the summed edge
    strength of its inlier columns; ``confidence`` in [0, 1] combines the
    colour step, the fraction of columns on the line and the fit residual.
    """

    slope_deg: float
    position: float
    score: float
    confidence: float
    contrast: float
    coverage: float
    residual_px: float
    centre_xy: tuple[float, float]
    extent_px: float = 0.0


def _column_peaks(strength: NDArray[np.float32], k: int, floor: float):
    """Up to ``k`` local maxima per column of ``strength`` (rows x cols).

    Returns flat arrays ``(row_subpixel, col, value)``.
    """
    s = strength
    up = np.zeros_like(s, dtype=bool)
    up[1:-1] = (s[1:-1] >= s[:-2]) & (s[1:-1] > s[2:]) & (s[1:-1] > floor)
    rows, cols = np.nonzero(up)
    vals = s[rows, cols]
    if rows.size == 0:
        return rows.astype(float), cols, vals
    # keep the k strongest per column
    order = np.lexsort((-vals, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    rank = np.arange(cols.size) - np.searchsorted(cols, cols, side="left")
    keep = rank < k
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    a, b, c = s[rows - 1, cols], s[rows, cols], s[rows + 1, cols]
    den = a - 2 * b + c
    off = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1), 0.0)
    return rows + np.clip(off, -0.5, 0.5), cols, vals


def _ransac_line(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    *,
    tol: float,
    min_dx: float,
    n_hyp: int,
    rng: np.random.Generator,
) -> tuple[float, float, NDArray[np.bool_]] | None:
    """Best line ``y = a x + b`` by weighted RANSAC; returns (a, b, inliers)."""
    n = x.size
    if n < 4:
        return None
    i = rng.integers(0, n, n_hyp)
    j = rng.integers(0, n, n_hyp)
    dx = x[j] - x[i]
    ok = np.abs(dx) >= min_dx
    i, j, dx = i[ok], j[ok], dx[ok]
    if i.size == 0:
        return None
    a = (y[j] - y[i]) / dx
    ok = np.abs(a) <= np.tan(np.radians(_MAX_TILT_DEG))
    i, a = i[ok], a[ok]
    if i.size == 0:
        return None
    b = y[i] - a * x[i]
    res = np.abs(y[None, :] - (a[:, None] * x[None, :] + b[:, None]))
    score = ((res < tol) * w[None, :]).sum(axis=1)
    k = int(np.argmax(score))
    inl = res[k] < tol
    return float(a[k]), float(b[k]), inl


def _irls_poly(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    coef: NDArray[np.float64],
    *,
    x_ref: float,
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """Refine ``y = sum c_k (x - x_ref)^k`` by IRLS with Tukey's biweight.

    ``coef`` holds the starting coefficients (lowest order first); its
    length sets the degree. Returns the coefficients, the robust residual
    scale (px) and the final weights.
    """
    u = x - x_ref
    A = np.stack([u**k for k in range(coef.size)], axis=1)
    scale = 1.0
    wt = w.copy()
    for _ in range(6):
        r = y - A @ coef
        mad = 1.4826 * np.median(np.abs(r - np.median(r)))
        scale = max(float(mad), 0.25)
        z = r / (4.685 * scale)
        wt = w * np.where(np.abs(z) < 1, (1 - z**2) ** 2, 0.0)
        if np.count_nonzero(wt) < coef.size + 2:
            break
        sw = np.sqrt(wt)
        new, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
        done = np.max(np.abs(new - coef)) < 1e-4
        coef = new
        if done:
            break
    return coef, scale, wt


def _follow_edge(
    strength: NDArray[np.float32],
    img: NDArray[np.float32],
    line: tuple[float, float],
    x_centre: float,
    *,
    ref_up: NDArray[np.float32],
    ref_dn: NDArray[np.float32],
    min_strength: float,
    offset: int,
    max_gap: int,
) -> NDArray[np.float64]:
    """Points of one colour edge, followed outwards from ``x_centre``.

    In each column the strongest edge within ``4 + 0.06 |x - x_centre|``
    px of the seed line ``y = a x + b`` counts if it is strong enough and
    its colours ``offset`` px above and below match ``ref_up``/``ref_dn``
    (within 60 % of their distance). The edge ends where ``max_gap``
    columns in a row fail (the silhouette, an arm, the end of the shirt).
    Returns ``(k, 3)`` rows of ``(x, y, strength)`` in strip pixels.
    """
    h, w = strength.shape
    a, b = line
    contrast = float(np.linalg.norm(ref_up - ref_dn))
    xs = np.arange(w)
    reach = np.ceil(4 + 0.06 * np.abs(xs - x_centre)).astype(int)
    R = int(reach.max())
    rows = np.round(a * xs + b).astype(int)[None, :] + np.arange(-R, R + 1)[:, None]
    inside = (rows >= offset) & (rows < h - offset) & (np.abs(rows - rows[R]) <= reach)
    rc = np.clip(rows, offset, h - 1 - offset)
    d_up = np.linalg.norm(img[rc - offset, xs] - ref_up, axis=2)
    d_dn = np.linalg.norm(img[rc + offset, xs] - ref_dn, axis=2)
    st = strength[rc, xs]
    good = inside & (st >= min_strength) & (d_up < 0.6 * contrast) & (d_dn < 0.6 * contrast)
    score = np.where(good, st, -1.0)
    k = np.argmax(score, axis=0)
    valid = score[k, xs] > 0
    # contiguous extent around the centre, allowing gaps shorter than max_gap
    c = int(np.clip(round(x_centre), 0, w - 1))
    bad = ~valid
    lo, hi = 0, w - 1
    cnt = 0
    for x in range(c, w):
        cnt = cnt + 1 if bad[x] else 0
        if cnt >= max_gap:
            hi = x - max_gap
            break
    cnt = 0
    for x in range(c, -1, -1):
        cnt = cnt + 1 if bad[x] else 0
        if cnt >= max_gap:
            lo = x + max_gap
            break
    keep = valid & (xs >= lo) & (xs <= hi)
    xk = xs[keep]
    yk = rc[k[keep], xk]
    s0, s1, s2 = strength[yk - 1, xk], strength[yk, xk], strength[yk + 1, xk]
    den = s0 - 2 * s1 + s2
    off = np.where(den < 0, 0.5 * (s0 - s2) / np.where(den < 0, den, -1), 0.0)
    return np.stack([xk.astype(float), yk + np.clip(off, -0.5, 0.5), s1.astype(float)], axis=1)


def waistband_candidates(
    image: NDArray[np.uint8],
    *,
    left_hip_xy: Sequence[float],
    right_hip_xy: Sequence[float],
    left_shoulder_xy: Sequence[float],
    right_shoulder_xy: Sequence[float],
    max_candidates: int = 3,
    seed: int = 0,
) -> list[WaistbandCandidate]:
    """Find the horizontal colour edges of the waist region in one frame.

    Parameters
    ----------
    image
        ``(height, width, 3)`` RGB frame, upright.
    left_hip_xy, right_hip_xy, left_shoulder_xy, right_shoulder_xy
        MediaPipe landmark positions in pixels (the runner's sides). They
        only place the search region: rows from 0.45 to 1.08 torso lengths
        below mid-shoulder, columns within 0.75 hip widths of mid-hip.
    max_candidates
        How many distinct edges to return, strongest first.
    seed
        Seed of the RANSAC sampler (results are deterministic).

    Returns
    -------
    list of WaistbandCandidate
        Empty when the landmarks are missing or no edge spans the region.

    Notes
    -----
    1. Edge points: per column, the colour edge strength is the norm of
       the vertical derivative of the Gaussian-smoothed RGB image (a
       Di Zenzo-style colour gradient restricted to y); its strongest
       local maxima, refined to sub-pixel by a parabola, are candidates.
    2. Seed line: a weighted RANSAC over the central columns finds the line
       with the largest summed strength within 1.5 (scaled) px.
    3. Full edge: the edge is then followed outwards column by column
       while it stays strong and keeps the same colours above and below,
       up to the body's silhouette (or an arm), so the fit spans the whole
       waist and does not depend on where MediaPipe put the hips.
    4. Fit: ``y = c0 + c1 u + c2 u^2`` by Tukey-biweight IRLS, with ``u``
       centred on the middle of the traced extent; the angle is
       ``atan(c1)``. The quadratic term absorbs the arch that perspective
       gives a horizontal band around a rounded back; over a symmetric
       extent it does not change the slope.
    The points near the line are then removed and the next edge sought.
    """
    pts = np.array([left_hip_xy, right_hip_xy, left_shoulder_xy, right_shoulder_xy], dtype=float)
    if pts.shape != (4, 2) or not np.isfinite(pts).all():
        return []
    hip_mid = pts[:2].mean(axis=0)
    sh_mid = pts[2:].mean(axis=0)
    torso = float(np.linalg.norm(hip_mid - sh_mid))
    hip_w = float(np.linalg.norm(pts[1] - pts[0]))
    h_img, w_img = image.shape[:2]
    if torso < 20 or hip_w < 0.15 * torso:
        return []
    scale = torso / 160.0  # 1.0 on a 720x1280 full-body rear view
    y0 = int(np.floor(sh_mid[1] + _ROI_TOP * torso))
    y1 = int(np.ceil(sh_mid[1] + _ROI_BOTTOM * torso))
    pad = int(np.ceil(6 * scale)) + 4
    y0p, y1p = max(0, y0 - pad), min(h_img, y1 + pad)
    wide = 1.8 * hip_w  # the traced edge may extend this far from mid-hip
    x0w = max(0, int(np.floor(hip_mid[0] - wide)))
    x1w = min(w_img, int(np.ceil(hip_mid[0] + wide)))
    half = _ROI_HALF_WIDTH * hip_w
    x0 = max(x0w, int(np.floor(hip_mid[0] - half)))
    x1 = min(x1w, int(np.ceil(hip_mid[0] + half)))
    if y1p - y0p < 10 or x1 - x0 < 10:
        return []
    img = image[y0p:y1p, x0w:x1w].astype(np.float32)
    sigma = max(0.8, 1.0 * scale)
    img = cv2.GaussianBlur(img, (0, 0), sigmaX=0.5 * sigma, sigmaY=sigma)
    gy = np.zeros_like(img)
    gy[1:-1] = 0.5 * (img[2:] - img[:-2])
    strength = np.sqrt((gy**2).sum(axis=2))
    band = np.zeros(strength.shape[0], dtype=bool)
    band[max(0, y0 - y0p) : y1 - y0p] = True
    central = strength[:, x0 - x0w : x1 - x0w]
    central_b = np.where(band[:, None], central, 0.0).astype(np.float32)
    floor = max(3.0, 0.15 * float(central_b.max()))
    r, c, v = _column_peaks(central_b, k=4, floor=floor)
    if r.size < 6:
        return []
    xs = c.astype(float) + (x0 - x0w)  # strip coordinates
    ys = r
    ws = v.astype(float)
    n_cols = x1 - x0
    rng = np.random.default_rng(seed)
    out: list[WaistbandCandidate] = []
    remaining = np.ones(xs.size, dtype=bool)
    tol = 1.5 * max(1.0, scale)
    offset = int(round(max(2.0, 2.5 * scale)))
    xm_hip = hip_mid[0] - x0w
    for _ in range(max_candidates):
        idx = np.flatnonzero(remaining)
        fit = _ransac_line(
            xs[idx], ys[idx], ws[idx], tol=tol, min_dx=0.3 * n_cols, n_hyp=300, rng=rng
        )
        if fit is None:
            break
        a, b, inl = fit
        sel = idx[inl]
        remaining[sel] = False
        if np.unique(xs[sel]).size < 0.15 * n_cols:
            break
        coef, _, wt = _irls_poly(xs[sel], ys[sel], ws[sel], np.array([b + a * xm_hip, a]), x_ref=xm_hip)
        b, a = float(coef[0] - coef[1] * xm_hip), float(coef[1])
        used = sel[wt > 0]
        if used.size < 4 or abs(a) > np.tan(np.radians(_MAX_TILT_DEG)):
            continue
        coverage = np.unique(xs[used]).size / n_cols
        # reference colours just above and below the line (central columns)
        ci = np.round(xs[used]).astype(int)
        ri = np.round(ys[used]).astype(int)
        okr = (ri - offset >= 0) & (ri + offset < img.shape[0])
        ref_up = np.median(img[ri[okr] - offset, ci[okr]], axis=0)
        ref_dn = np.median(img[ri[okr] + offset, ci[okr]], axis=0)
        contrast = float(np.median(np.linalg.norm(
            img[ri[okr] - offset, ci[okr]] - img[ri[okr] + offset, ci[okr]], axis=1))) if okr.any() else 0.0
        # follow the edge outwards over the whole waist
        x_lo, x_hi = int(np.ceil(xs[used].min())), int(np.floor(xs[used].max()))
        tp = _follow_edge(
            strength, img, (a, b), xm_hip, ref_up=ref_up, ref_dn=ref_dn,
            min_strength=0.3 * float(np.median(ws[used])), offset=offset,
            max_gap=max(3, int(round(3 * scale))),
        )
        if tp.shape[0] >= max(8, 0.8 * (x_hi - x_lo + 1)):
            fx, fy, fw = tp[:, 0], tp[:, 1], tp[:, 2]
            xm = 0.5 * (fx.min() + fx.max())
            coef, res_scale, wt2 = _irls_poly(
                fx, fy, fw, np.array([a * xm + b, a, 0.0]), x_ref=xm
            )
            extent = float(fx[wt2 > 0].max() - fx[wt2 > 0].min()) if (wt2 > 0).any() else 0.0
        else:  # could not follow it: keep the central line
            xm = xm_hip
            coef, res_scale, _ = _irls_poly(
                xs[used], ys[used], ws[used], np.array([a * xm + b, a]), x_ref=xm
            )
            extent = float(x_hi - x_lo)
        slope = float(coef[1])
        if abs(slope) > np.tan(np.radians(_MAX_TILT_DEG)):
            continue
        yc = float(coef[0]) + y0p
        xc = float(xm) + x0w
        conf = _line_confidence(contrast, coverage, res_scale / max(1.0, scale))
        out.append(
            WaistbandCandidate(
                slope_deg=float(np.degrees(np.arctan(slope))),
                position=float((yc - hip_mid[1]) / torso),
                score=float(ws[used].sum()),
                confidence=conf,
                contrast=contrast,
                coverage=float(coverage),
                residual_px=float(res_scale),
                centre_xy=(xc, yc),
                extent_px=extent,
            )
        )
        near = np.abs(ys - (a * xs + b)) < 3 * tol
        remaining &= ~near
    out.sort(key=lambda cnd: -cnd.score)
    return out


def _line_confidence(contrast: float, coverage: float, residual: float) -> float:
    """Confidence in [0, 1] of one waistband line.

    A colour step under 12 (RGB units) is treated as no edge and one over
    40 as a clear edge; a line must cover at least 30 % of the columns
    (70 % for full marks); a robust residual scale above ~2 px (at the
    reference scale) means the edge is not a straight line.
    """
    c_contrast = np.clip((contrast - 12.0) / 28.0, 0.0, 1.0)
    c_cov = np.clip((coverage - 0.3) / 0.4, 0.0, 1.0)
    c_fit = float(np.exp(-0.5 * max(0.0, residual - 0.5) ** 2 / 1.5**2))
    return float(c_contrast * c_cov * c_fit)


# --------------------------------------------------------------------------
# markers (tape dots on the PSIS), one frame
# --------------------------------------------------------------------------


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


def _marker_membership(rgb: NDArray[np.uint8], hsv_box) -> NDArray[np.float32]:
    """Soft colour membership in [0, 1] of each pixel to an HSV box.

    Hue in degrees (a range such as ``(330, 20)`` wraps through red),
    saturation and value in 0-1; the box edges are soft (8 deg, 0.08).
    """
    (h_lo, h_hi), (s_lo, s_hi), (v_lo, v_hi) = hsv_box
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    soft_h, soft_s = 8.0, 0.08
    # signed circular distances inside the hue range (a range may wrap past 360, e.g. red)
    d_lo = (h - h_lo + 180.0) % 360.0 - 180.0
    d_hi = (h_hi - h + 180.0) % 360.0 - 180.0
    mh = np.clip(np.minimum(d_lo, d_hi) / soft_h + 0.5, 0, 1)
    ms = np.clip(np.minimum(s - s_lo, s_hi - s) / soft_s + 0.5, 0, 1)
    mv = np.clip(np.minimum(v - v_lo, v_hi - v) / soft_s + 0.5, 0, 1)
    return (mh * ms * mv).astype(np.float32)


def _pelvis_box(pts: NDArray[np.float64], shape: tuple[int, ...], top: float, bottom: float, half_w: float):
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
    hsv_box: tuple[tuple[float, float], tuple[float, float], tuple[float, float]] = MARKER_GREEN_HSV,
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
    x0, y0, x1, y1 = box
    patch = image[y0:y1, x0:x1]
    m = _marker_membership(patch, hsv_box)
    luma = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((m > 0.5).astype(np.uint8), connectivity=8)
    torso = float(np.linalg.norm(pts[:2].mean(0) - pts[2:].mean(0)))
    max_area = (0.25 * torso) ** 2
    out: list[MarkerDetection] = []
    for k in range(1, n):
        bx, by, bw, bh, area = stats[k]
        if area < min_area_px or area > max_area:
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
    out.sort(key=lambda d: -d.score)
    return out


# --------------------------------------------------------------------------
# camera roll from the scene's straight lines
# --------------------------------------------------------------------------


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
    h, w = gray.shape
    diag = float(np.hypot(h, w))
    lsd = cv2.createLineSegmentDetector()
    segs = lsd.detect(gray)[0]
    if segs is None:
        return float("nan"), 0.0
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
    use = keep & (horiz | vert)
    if not use.any():
        return float("nan"), 0.0
    v, wt = vote[use], length[use]
    order = np.argsort(v)
    cw = np.cumsum(wt[order])
    roll = float(v[order][np.searchsorted(cw, 0.5 * cw[-1])])
    support = float(wt[np.abs(v - roll) <= 1.0].sum() / diag)
    return roll, support


# --------------------------------------------------------------------------
# per-clip series: temporal consistency
# --------------------------------------------------------------------------


def waistband_line_series(
    candidates: Sequence[Sequence[WaistbandCandidate]],
    time_s: NDArray[np.float64],
    *,
    position_sd: float = 0.06,
    spike_window_s: float = 0.1,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Pick one waistband edge per frame, consistently over the clip.

    Parameters
    ----------
    candidates
        Per frame, the candidates of :func:`waistband_candidates`.
    time_s
        ``(n,)`` frame times.
    position_sd
        How far (torso lengths) the waistband may move relative to the hip
        landmarks before it stops counting as the same edge.
    spike_window_s
        Half-width of the spike (Hampel) filter window.

    Returns
    -------
    slope_deg, confidence, position, centre_xy
        ``(n,)`` image slope angle (NaN where none), ``(n,)`` confidence in
        [0, 1], ``(n,)`` position in torso lengths below mid-hip and
        ``(n, 2)`` the line's point on the torso axis.

    Notes
    -----
    The waistband keeps its place on the body, so its position relative to
    the hip landmarks is stable. The clip's reference position is the
    score-weighted median position of the confident (>= 0.5) best
    candidates; in each frame the candidate maximising ``confidence x
    exp(-d^2 / 2 sd^2)`` (``d`` its distance to the reference) is kept and
    its confidence is multiplied by that factor. A Hampel filter
    (+/- ``spike_window_s``, 3 MADs and at least 1.5 deg) then halves the
    confidence of isolated angle spikes.
    """
    n = len(candidates)
    slope = np.full(n, np.nan)
    conf = np.zeros(n)
    pos = np.full(n, np.nan)
    centre = np.full((n, 2), np.nan)
    best = [(c[0].position, c[0].score) for c in candidates if c and c[0].confidence >= 0.5]
    if not best:
        best = [(c[0].position, c[0].score) for c in candidates if c]
    if not best:
        return slope, conf, pos, centre
    p, wt = np.array(best).T
    order = np.argsort(p)
    cw = np.cumsum(wt[order])
    ref = float(p[order][np.searchsorted(cw, 0.5 * cw[-1])])
    for i, cands in enumerate(candidates):
        if not cands:
            continue
        f = [c.confidence * np.exp(-0.5 * ((c.position - ref) / position_sd) ** 2) for c in cands]
        k = int(np.argmax(f))
        slope[i] = cands[k].slope_deg
        conf[i] = f[k]
        pos[i] = cands[k].position
        centre[i] = cands[k].centre_xy
    conf = _hampel_downweight(slope, conf, time_s, half_window_s=spike_window_s)
    return slope, conf, pos, centre


def _hampel_downweight(
    values: NDArray[np.float64],
    conf: NDArray[np.float64],
    time_s: NDArray[np.float64],
    *,
    half_window_s: float,
    min_dev: float = 1.5,
) -> NDArray[np.float64]:
    """Halve the confidence of samples far from their running median."""
    out = conf.copy()
    t = np.asarray(time_s, dtype=float)
    lo = np.searchsorted(t, t - half_window_s - 1e-9, side="left")
    hi = np.searchsorted(t, t + half_window_s + 1e-9, side="right")
    for i in range(values.size):
        if not np.isfinite(values[i]):
            continue
        win = values[lo[i] : hi[i]]
        win = win[np.isfinite(win)]
        if win.size < 3:
            continue
        med = np.median(win)
        mad = 1.4826 * np.median(np.abs(win - med))
        if abs(values[i] - med) > max(3 * mad, min_dev):
            out[i] *= 0.5
    return out


def marker_line_series(
    detections: Sequence[Sequence[MarkerDetection]],
    time_s: NDArray[np.float64],
    *,
    hip_width_px: NDArray[np.float64],
    spike_window_s: float = 0.1,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Pair the two PSIS markers in each frame and return their line.

    Parameters
    ----------
    detections
        Per frame, the blobs of :func:`detect_markers`.
    time_s
        ``(n,)`` frame times.
    hip_width_px
        ``(n,)`` MediaPipe hip width per frame (scale for plausibility).

    Returns
    -------
    slope_deg, confidence, xy
        ``(n,)`` image slope angle of the line from the image-left to the
        image-right marker (NaN where no pair), ``(n,)`` confidence in
        [0, 1] and ``(n, 2, 2)`` the two centres (image-left first).

    Notes
    -----
    A pair must lie side by side (horizontal gap 0.3-2.5 hip widths, less
    than 30 deg from horizontal) with areas within a factor of 3. Of the
    plausible pairs, the one with the largest summed score wins; when
    several do, the one nearest the previous frame's pair. The confidence
    falls when the pair's gap strays from the clip's median gap (the
    markers are fixed on the skin) or the dots are very unequal.
    """
    n = len(detections)
    slope = np.full(n, np.nan)
    conf = np.zeros(n)
    xy = np.full((n, 2, 2), np.nan)
    prev: NDArray[np.float64] | None = None
    gaps = np.full(n, np.nan)
    for i, dets in enumerate(detections):
        hw = hip_width_px[i] if i < hip_width_px.size and np.isfinite(hip_width_px[i]) else np.nan
        best = None
        for a in range(len(dets)):
            for b in range(a + 1, len(dets)):
                p, q = dets[a], dets[b]
                if p.x > q.x:
                    p, q = q, p
                dx, dy = q.x - p.x, q.y - p.y
                if np.isfinite(hw) and not (0.3 * hw <= dx <= 2.5 * hw):
                    continue
                if abs(np.degrees(np.arctan2(dy, dx))) > 30:
                    continue
                ratio = max(p.area_px, q.area_px) / max(1.0, min(p.area_px, q.area_px))
                if ratio > 3:
                    continue
                pair = np.array([[p.x, p.y], [q.x, q.y]])
                key = p.score + q.score
                if prev is not None:
                    key -= 0.05 * float(np.abs(pair - prev).sum())
                if best is None or key > best[0]:
                    best = (key, pair, ratio)
        if best is None:
            continue
        _, pair, ratio = best
        xy[i] = pair
        d = pair[1] - pair[0]
        slope[i] = float(np.degrees(np.arctan2(d[1], d[0])))
        gaps[i] = float(np.hypot(*d))
        conf[i] = float(np.clip(1.5 - 0.5 * ratio, 0.0, 1.0))
        prev = pair
    if np.isfinite(gaps).any():
        g = np.nanmedian(gaps)
        dev = np.abs(gaps - g) / g
        conf = np.where(np.isfinite(dev), conf * np.clip(1.0 - (dev - 0.15) / 0.15, 0.0, 1.0), conf)
    conf = _hampel_downweight(slope, conf, time_s, half_window_s=spike_window_s)
    return slope, conf, xy


# --------------------------------------------------------------------------
# one pass over the clip
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PelvisImageSeries:
    """Per-frame image-based pelvis lines of one clip, plus the camera roll.

    All ``*_deg`` arrays are in the pelvis convention of
    :func:`gaitvision.metrics.pelvis.pelvis_line_deg` (positive = runner's
    right side lower) and relative to the **image rows**; use
    :meth:`angle_deg` for roll-corrected angles. Frames are those of the
    landmark track (same indices and ``time_s``).

    Attributes
    ----------
    time_s
        ``(n,)`` frame times, from the track.
    waistband_deg, waistband_confidence
        ``(n,)`` waistband line angle (NaN where none) and its confidence in
        [0, 1]; low when no horizontal edge spans the waist (long or
        uniform clothing).
    waistband_position
        ``(n,)`` where the line crosses the torso axis, in torso lengths
        below MediaPipe's mid-hip (negative = above).
    waistband_centre_xy
        ``(n, 2)`` that crossing point in pixels (to draw the line).
    marker_deg, marker_confidence
        ``(n,)`` PSIS-marker line angle (NaN where no pair) and confidence.
    marker_xy
        ``(n, 2, 2)`` marker centres in pixels, runner's left first.
    roll_deg
        Camera roll: image slope angle of the scene's horizontal (positive
        = picture turned clockwise on screen); NaN if not measurable.
    roll_support
        Median (over sampled frames) of the agreeing line length per image
        diagonal; below about 0.3 the roll is unreliable.
    roll_samples_deg
        The per-frame roll estimates (sampled frames only).
    right_is_image_right
        True in a rear view (runner's right at larger image x).
    """

    time_s: NDArray[np.float64]
    waistband_deg: NDArray[np.float64]
    waistband_confidence: NDArray[np.float64]
    waistband_position: NDArray[np.float64]
    waistband_centre_xy: NDArray[np.float64]
    marker_deg: NDArray[np.float64]
    marker_confidence: NDArray[np.float64]
    marker_xy: NDArray[np.float64]
    roll_deg: float
    roll_support: float
    roll_samples_deg: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    right_is_image_right: bool = True

    @property
    def roll_pelvis_deg(self) -> float:
        """The roll in the pelvis-angle convention (what a roll adds to it)."""
        r = self.roll_deg if np.isfinite(self.roll_deg) else 0.0
        return float(r if self.right_is_image_right else -r)

    def angle_deg(
        self, source: Literal["markers", "waistband"], *, roll_corrected: bool = True
    ) -> NDArray[np.float64]:
        """Per-frame pelvis angle of one source, roll-corrected by default."""
        a = self.marker_deg if source == "markers" else self.waistband_deg
        return a - self.roll_pelvis_deg if roll_corrected else a.copy()

    def confidence(self, source: Literal["markers", "waistband"]) -> NDArray[np.float64]:
        """Per-frame confidence of one source."""
        return self.marker_confidence if source == "markers" else self.waistband_confidence

    def to_arrays(self) -> dict[str, NDArray]:
        """Arrays for ``np.savez`` (e.g. ``pelvis.npz`` beside ``track.npz``)."""
        return {
            "format": np.array("gaitvision.pelvis_image/1"),
            "time_s": self.time_s,
            "waistband_deg": self.waistband_deg,
            "waistband_confidence": self.waistband_confidence,
            "waistband_position": self.waistband_position,
            "waistband_centre_xy": self.waistband_centre_xy,
            "marker_deg": self.marker_deg,
            "marker_confidence": self.marker_confidence,
            "marker_xy": self.marker_xy,
            "roll_deg": np.array(self.roll_deg),
            "roll_support": np.array(self.roll_support),
            "roll_samples_deg": self.roll_samples_deg,
            "right_is_image_right": np.array(self.right_is_image_right),
        }

    @classmethod
    def from_arrays(cls, arrays) -> PelvisImageSeries:
        """Rebuild from :meth:`to_arrays` output (or an ``np.load`` result)."""
        fmt = str(arrays["format"]) if "format" in arrays else ""
        if fmt != "gaitvision.pelvis_image/1":
            raise ValueError(
                f"Expected a 'gaitvision.pelvis_image/1' cache, but got format {fmt!r}. "
                "Delete the cache to recompute it."
            )
        kw = {k: np.asarray(arrays[k]) for k in (
            "time_s", "waistband_deg", "waistband_confidence", "waistband_position",
            "waistband_centre_xy", "marker_deg", "marker_confidence", "marker_xy",
            "roll_samples_deg")}
        return cls(
            **kw,
            roll_deg=float(arrays["roll_deg"]),
            roll_support=float(arrays["roll_support"]),
            right_is_image_right=bool(arrays["right_is_image_right"]),
        )


def _runner_box(xy: NDArray[np.float64], margin: float = 0.15):
    p = xy[np.isfinite(xy).all(axis=1)]
    if p.shape[0] < 4:
        return None
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    m = margin * (y1 - y0)
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def measure_pelvis_frames(
    frames: Iterable,
    track: LandmarkTrack,
    *,
    markers: bool = True,
    marker_hsv: tuple[tuple[float, float], tuple[float, float], tuple[float, float]] = MARKER_GREEN_HSV,
    roll_every_s: float = 0.5,
    progress: Callable[[int], None] | None = None,
) -> PelvisImageSeries:
    """Measure the image-based pelvis lines on a stream of frames.

    Parameters
    ----------
    frames
        Upright frames with ``index``, ``time_s`` and RGB ``image``, e.g.
        :func:`gaitvision.io.video.iter_frames`; consumed one at a time.
    track
        The MediaPipe track of the same clip, raw or cleaned (frame
        ``index`` -> track row); only the hips and shoulders are used, to
        place the search regions. Frames where they are missing give NaN.
    markers
        Also look for PSIS tape markers of colour ``marker_hsv``.
    roll_every_s
        The camera roll is estimated on one frame per this interval (the
        runner masked out) and the median is kept.
    progress
        Called with the number of frames done.

    Returns
    -------
    PelvisImageSeries
    """
    n = track.n_frames
    names = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    pts = np.stack([track.landmark(k) for k in names], axis=1)  # (n, 4, 2)
    hip_w = np.linalg.norm(pts[:, 1] - pts[:, 0], axis=1)
    wb: list[list[WaistbandCandidate]] = [[] for _ in range(n)]
    mk: list[list[MarkerDetection]] = [[] for _ in range(n)]
    rolls: list[tuple[float, float]] = []
    next_roll_t = -np.inf
    done = 0
    for fr in frames:
        i = fr.index
        if i >= n:
            logger.warning("Video has more frames than the track (%d); extra frames ignored.", n)
            break
        kw = dict(
            left_hip_xy=pts[i, 0], right_hip_xy=pts[i, 1],
            left_shoulder_xy=pts[i, 2], right_shoulder_xy=pts[i, 3],
        )
        wb[i] = waistband_candidates(fr.image, **kw, seed=i)
        if markers:
            mk[i] = detect_markers(fr.image, **kw, hsv_box=marker_hsv)
        if fr.time_s >= next_roll_t:
            box = _runner_box(track.xy[i])
            r, sup = estimate_roll_deg(fr.image, exclude_box=box)
            if np.isfinite(r):
                rolls.append((r, sup))
            next_roll_t = fr.time_s + roll_every_s
        done += 1
        if progress is not None:
            progress(done)
    slope_w, conf_w, pos_w, centre_w = waistband_line_series(wb, track.time_s)
    slope_m, conf_m, xy_m = marker_line_series(mk, track.time_s, hip_width_px=hip_w)
    r2i = _right_is_image_right(track)
    if not r2i:  # runner's left marker first
        xy_m = xy_m[:, ::-1, :]
    roll_arr = np.array([r for r, _ in rolls]) if rolls else np.zeros(0)
    roll = float(np.median(roll_arr)) if roll_arr.size else float("nan")
    support = float(np.median([s for _, s in rolls])) if rolls else 0.0
    return PelvisImageSeries(
        time_s=track.time_s.copy(),
        waistband_deg=np.asarray(_to_pelvis_deg(slope_w, r2i), dtype=float),
        waistband_confidence=conf_w,
        waistband_position=pos_w,
        waistband_centre_xy=centre_w,
        marker_deg=np.asarray(_to_pelvis_deg(slope_m, r2i), dtype=float),
        marker_confidence=conf_m,
        marker_xy=xy_m,
        roll_deg=roll,
        roll_support=support,
        roll_samples_deg=roll_arr,
        right_is_image_right=r2i,
    )


def measure_pelvis_video(path, track: LandmarkTrack, **kwargs) -> PelvisImageSeries:
    """Decode a clip once (no pose model) and run :func:`measure_pelvis_frames`.

    About 8-10 ms per frame on top of decoding (a quarter of the pose
    pass's time); cache the result with :meth:`PelvisImageSeries.to_arrays`.
    """
    from .io.video import iter_frames

    return measure_pelvis_frames(iter_frames(path), track, **kwargs)


# --------------------------------------------------------------------------
# per-step pelvic drop and the choice of source
# --------------------------------------------------------------------------


def pelvic_drop_peaks(
    angle_deg: NDArray[np.float64],
    confidence: NDArray[np.float64],
    time_s: NDArray[np.float64],
    steps: Iterable,
    *,
    level_deg: float = 0.0,
    min_confidence: float = 0.5,
    min_valid_fraction: float = 0.6,
    cutoff_hz: float | None = 15.0,
) -> list[dict[str, object]]:
    """Peak contralateral pelvic drop over each step's stance.

    Parameters
    ----------
    angle_deg, confidence
        ``(n,)`` roll-corrected pelvis angle (e.g.
        ``series.angle_deg("waistband")``) and its per-frame confidence.
    time_s
        ``(n,)`` frame times.
    steps
        Objects with ``side`` ("left"/"right"), ``ic_frame`` and
        ``to_frame`` (e.g. ``GaitEvents.steps``); stance is
        ``[ic_frame, to_frame]`` inclusive, skipped when ``to_frame < 0``.
    level_deg
        The angle taken as a level pelvis: 0 (the roll-corrected scene
        horizontal) by default, or a standing trial's value.
    min_confidence
        Frames below this confidence are ignored.
    min_valid_fraction
        A step needs this fraction of confident stance frames for a value.
    cutoff_hz
        Zero-lag low-pass applied to the angle first (None: none).

    Returns
    -------
    list of dict
        Per step: ``side``, ``ic_frame``, ``to_frame``,
        ``pelvic_drop_peak_deg`` (float or None), ``pelvic_drop_peak_frame``
        (int or None), ``valid_fraction``.

    Notes
    -----
    ``drop(t) = (angle(t) - level)`` for a left stance and its negative for
    a right stance: positive when the swing-side (contralateral) pelvis is
    lower, as :func:`gaitvision.metrics.pelvis.pelvic_drop_deg`
    (metrics.md §2.6). The peak is the maximum over the stance frames.
    """
    from .filtering import lowpass_signal

    a = np.where(np.asarray(confidence) >= min_confidence, np.asarray(angle_deg, dtype=float), np.nan)
    a = a - level_deg
    if cutoff_hz is not None and np.isfinite(a).sum() > 1:
        a = lowpass_signal(a, np.asarray(time_s, dtype=float), cutoff_hz=cutoff_hz)
    rows: list[dict[str, object]] = []
    for s in steps:
        row: dict[str, object] = {
            "side": s.side, "ic_frame": int(s.ic_frame), "to_frame": int(s.to_frame),
            "pelvic_drop_peak_deg": None, "pelvic_drop_peak_frame": None, "valid_fraction": 0.0,
        }
        rows.append(row)
        if s.to_frame < 0 or s.to_frame < s.ic_frame:
            continue
        seg = a[s.ic_frame : s.to_frame + 1]
        seg = seg if s.side == "left" else -seg
        ok = np.isfinite(seg)
        row["valid_fraction"] = float(ok.mean()) if seg.size else 0.0
        if seg.size == 0 or ok.mean() < min_valid_fraction:
            continue
        k = int(np.nanargmax(seg))
        row["pelvic_drop_peak_deg"] = float(seg[k])
        row["pelvic_drop_peak_frame"] = int(s.ic_frame + k)
    return rows


def pelvis_source(
    series: PelvisImageSeries,
    steps: Iterable,
    *,
    min_confidence: float = 0.5,
    min_usable_fraction: float = 0.7,
) -> tuple[Literal["markers", "waistband", "mediapipe_hips"], str]:
    """Choose the best pelvis source of a clip: markers, waistband, then hips.

    A source is usable when at least ``min_usable_fraction`` of all stance
    frames have a confidence of ``min_confidence`` or more.

    Returns
    -------
    source, reason
        The source and a one-line reason for the report (why the better
        sources were not used).
    """
    idx = np.concatenate(
        [np.arange(s.ic_frame, s.to_frame + 1) for s in steps if s.to_frame >= s.ic_frame >= 0]
        or [np.arange(series.time_s.size)]
    )
    idx = idx[idx < series.time_s.size]
    why: list[str] = []
    for src, label in (("markers", "PSIS markers"), ("waistband", "waistband edge")):
        c = series.confidence(src)[idx]  # type: ignore[arg-type]
        frac = float((c >= min_confidence).mean()) if idx.size else 0.0
        if frac >= min_usable_fraction:
            reason = f"{label} visible in {frac:.0%} of stance frames"
            if why:
                reason += " (" + "; ".join(why) + ")"
            return src, reason  # type: ignore[return-value]
        why.append(f"{label} found in only {frac:.0%} of stance frames")
    return "mediapipe_hips", "; ".join(why) + (
        ": pelvic drop falls back to the pose model's hip points, which follow the legs "
        "more than the pelvis (low confidence). Expose the waistband or apply PSIS markers."
    )


def drop_level_deg(
    series: PelvisImageSeries,
    source: Literal["markers", "waistband"],
    *,
    min_confidence: float = 0.5,
    min_roll_support: float = 0.3,
) -> tuple[float, str]:
    """The angle that counts as a level pelvis, and how it was chosen.

    With a measured camera roll (``roll_support >= min_roll_support``) the
    level is the scene's horizontal, i.e. 0 for the roll-corrected angles
    of :meth:`PelvisImageSeries.angle_deg`; this keeps a left/right
    asymmetry of the drop. Without one, the level is the clip's median
    angle of the source (the runner's average posture), which also removes
    any roll but shrinks a left/right asymmetry; the text says so. A
    standing trial's median angle, when recorded, is better than both.
    """
    if np.isfinite(series.roll_deg) and series.roll_support >= min_roll_support:
        return 0.0, f"scene horizontal (camera roll {series.roll_deg:+.1f} deg removed)"
    a = series.angle_deg(source)
    ok = np.isfinite(a) & (series.confidence(source) >= min_confidence)
    if not ok.any():
        return 0.0, "image horizontal (no roll estimate and no confident frames)"
    return float(np.median(a[ok])), (
        "clip median (the camera roll could not be measured; left/right asymmetry may be understated)"
    )
