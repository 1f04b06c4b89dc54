"""The waistband line in one frame: the horizontal colour edges of the waist
region (shirt-shorts or skin-shorts boundary), found from the vertical colour
gradient, seeded by a weighted RANSAC, followed outwards to the silhouette and
fitted by robust IRLS (:func:`waistband_candidates`, :class:`WaistbandCandidate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

_ROI_TOP, _ROI_BOTTOM = 0.45, 1.08  # waist search band, in torso lengths from the shoulders
_ROI_HALF_WIDTH = 0.75  # half-width of the columns used, in MediaPipe hip widths
_MAX_TILT_DEG = 20.0  # steepest waistband accepted in the image


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


def _column_peaks(
    strength: NDArray[np.float32], k: int, floor: float
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float32]]:
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
    strip = _waist_strip(image, pts)
    return [] if strip is None else _trace_edges(strip, max_candidates, seed)


@dataclass(frozen=True)
class _Strip:
    """The waist region of one frame, in strip pixels (the image cut to rows ``y0p:``, columns ``x0w:``)."""

    img: NDArray[np.float32]  # Gaussian-smoothed RGB
    strength: NDArray[np.float32]  # vertical colour-edge strength
    xs: NDArray[np.float64]  # edge points in the central columns (strip x, sub-pixel y, strength)
    ys: NDArray[np.float64]
    ws: NDArray[np.float64]
    n_cols: int  # number of central columns
    xm_hip: float  # column of MediaPipe's mid-hip
    x0w: int
    y0p: int
    hip_y: float  # image row of MediaPipe's mid-hip
    torso: float  # px
    scale: float  # torso / 160 (1.0 on a 720x1280 full-body rear view)
    tol: float  # RANSAC inlier distance, px
    offset: int  # rows above and below an edge where its colours are read


def _waist_strip(image: NDArray[np.uint8], pts: NDArray[np.float64]) -> _Strip | None:
    """The waist region placed from the hips and shoulders ``pts`` (4, 2), with its edge points, or None."""
    if pts.shape != (4, 2) or not np.isfinite(pts).all():
        return None
    hip_mid = pts[:2].mean(axis=0)
    sh_mid = pts[2:].mean(axis=0)
    torso = float(np.linalg.norm(hip_mid - sh_mid))
    hip_w = float(np.linalg.norm(pts[1] - pts[0]))
    h_img, w_img = image.shape[:2]
    if torso < 20 or hip_w < 0.15 * torso:
        return None
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
        return None
    img, strength, peaks = _edge_points(image[y0p:y1p, x0w:x1w], scale, (y0 - y0p, y1 - y0p), (x0 - x0w, x1 - x0w))
    if peaks is None:
        return None
    r, c, v = peaks
    return _Strip(img=img, strength=strength, xs=c.astype(np.float64) + float(x0 - x0w), ys=r, ws=v.astype(float),
                  n_cols=x1 - x0, xm_hip=hip_mid[0] - x0w, x0w=x0w, y0p=y0p, hip_y=hip_mid[1], torso=torso,
                  scale=scale, tol=1.5 * max(1.0, scale), offset=int(round(max(2.0, 2.5 * scale))))


def _edge_points(
    patch: NDArray[np.uint8], scale: float, band_rows: tuple[int, int], central_cols: tuple[int, int]
) -> tuple[NDArray[np.float32], NDArray[np.float32],
           tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float32]] | None]:
    """Smoothed colours and edge strength of ``patch``; the edge points of its central band (None if < 6).

    Edge points are the 4 strongest local maxima per column of the strength
    in rows ``band_rows`` and columns ``central_cols`` (patch pixels), as
    ``(row_subpixel, central column, strength)``.
    """
    sigma = max(0.8, 1.0 * scale)
    img = np.asarray(cv2.GaussianBlur(patch.astype(np.float32), (0, 0), sigmaX=0.5 * sigma, sigmaY=sigma),
                     dtype=np.float32)
    gy = np.zeros_like(img)
    gy[1:-1] = 0.5 * (img[2:] - img[:-2])
    strength = np.sqrt((gy**2).sum(axis=2))
    band = np.zeros(strength.shape[0], dtype=bool)
    band[max(0, band_rows[0]) : band_rows[1]] = True
    central = strength[:, central_cols[0] : central_cols[1]]
    central_b = np.where(band[:, None], central, 0.0).astype(np.float32)
    floor = max(3.0, 0.15 * float(central_b.max()))
    r, c, v = _column_peaks(central_b, k=4, floor=floor)
    return img, strength, ((r, c, v) if r.size >= 6 else None)


def _trace_edges(strip: _Strip, max_candidates: int, seed: int) -> list[WaistbandCandidate]:
    """Up to ``max_candidates`` edges, strongest first: seed a line, fit it, remove its points, repeat."""
    xs, ys, ws = strip.xs, strip.ys, strip.ws
    rng = np.random.default_rng(seed)
    out: list[WaistbandCandidate] = []
    remaining = np.ones(xs.size, dtype=bool)
    for _ in range(max_candidates):
        idx = np.flatnonzero(remaining)
        fit = _ransac_line(
            xs[idx], ys[idx], ws[idx], tol=strip.tol, min_dx=0.3 * strip.n_cols, n_hyp=300, rng=rng
        )
        if fit is None:
            break
        a, b, inl = fit
        sel = idx[inl]
        remaining[sel] = False
        if np.unique(xs[sel]).size < 0.15 * strip.n_cols:
            break
        found = _candidate(strip, sel, a, b)
        if found is None:
            continue
        cand, a, b = found
        out.append(cand)
        near = np.abs(ys - (a * xs + b)) < 3 * strip.tol
        remaining &= ~near
    out.sort(key=lambda cnd: -cnd.score)
    return out


def _candidate(
    strip: _Strip, sel: NDArray[np.intp], a: float, b: float
) -> tuple[WaistbandCandidate, float, float] | None:
    """The edge seeded by the RANSAC line ``y = a x + b`` through points ``sel``, and that line refined.

    None when too few points stay on the refined line or the edge is too steep.
    """
    xs, ys, ws, xm_hip = strip.xs, strip.ys, strip.ws, strip.xm_hip
    coef, _, wt = _irls_poly(xs[sel], ys[sel], ws[sel], np.array([b + a * xm_hip, a]), x_ref=xm_hip)
    b, a = float(coef[0] - coef[1] * xm_hip), float(coef[1])
    used = sel[wt > 0]
    if used.size < 4 or abs(a) > np.tan(np.radians(_MAX_TILT_DEG)):
        return None
    coverage = np.unique(xs[used]).size / strip.n_cols
    ref_up, ref_dn, contrast = _edge_colours(strip, used)
    xm, coef, res_scale, extent = _fit_traced_edge(strip, used, a, b, ref_up, ref_dn)
    slope = float(coef[1])
    if abs(slope) > np.tan(np.radians(_MAX_TILT_DEG)):
        return None
    yc = float(coef[0]) + strip.y0p
    xc = float(xm) + strip.x0w
    conf = _line_confidence(contrast, coverage, res_scale / max(1.0, strip.scale))
    cand = WaistbandCandidate(
        slope_deg=float(np.degrees(np.arctan(slope))),
        position=float((yc - strip.hip_y) / strip.torso),
        score=float(ws[used].sum()),
        confidence=conf,
        contrast=contrast,
        coverage=float(coverage),
        residual_px=float(res_scale),
        centre_xy=(xc, yc),
        extent_px=extent,
    )
    return cand, a, b


def _edge_colours(strip: _Strip, used: NDArray[np.intp]) -> tuple[NDArray[np.float32], NDArray[np.float32], float]:
    """Reference colours just above and below the edge points ``used`` (central columns), and their contrast."""
    img, offset = strip.img, strip.offset
    ci = np.round(strip.xs[used]).astype(int)
    ri = np.round(strip.ys[used]).astype(int)
    okr = (ri - offset >= 0) & (ri + offset < img.shape[0])
    ref_up = np.median(img[ri[okr] - offset, ci[okr]], axis=0)
    ref_dn = np.median(img[ri[okr] + offset, ci[okr]], axis=0)
    contrast = float(np.median(np.linalg.norm(
        img[ri[okr] - offset, ci[okr]] - img[ri[okr] + offset, ci[okr]], axis=1))) if okr.any() else 0.0
    return ref_up, ref_dn, contrast


def _fit_traced_edge(
    strip: _Strip,
    used: NDArray[np.intp],
    a: float,
    b: float,
    ref_up: NDArray[np.float32],
    ref_dn: NDArray[np.float32],
) -> tuple[float, NDArray[np.float64], float, float]:
    """Follow the edge outwards over the whole waist and fit it (the central line if it cannot be followed).

    Returns the fit's centre column ``xm`` (strip pixels), its coefficients
    in ``x - xm``, the robust residual scale (px) and the fitted extent (px).
    """
    xs, ys, ws = strip.xs, strip.ys, strip.ws
    x_lo, x_hi = int(np.ceil(xs[used].min())), int(np.floor(xs[used].max()))
    tp = _follow_edge(
        strip.strength, strip.img, (a, b), strip.xm_hip, ref_up=ref_up, ref_dn=ref_dn,
        min_strength=0.3 * float(np.median(ws[used])), offset=strip.offset,
        max_gap=max(3, int(round(3 * strip.scale))),
    )
    if tp.shape[0] >= max(8, 0.8 * (x_hi - x_lo + 1)):
        fx, fy, fw = tp[:, 0], tp[:, 1], tp[:, 2]
        xm = 0.5 * (fx.min() + fx.max())
        coef, res_scale, wt2 = _irls_poly(
            fx, fy, fw, np.array([a * xm + b, a, 0.0]), x_ref=xm
        )
        extent = float(fx[wt2 > 0].max() - fx[wt2 > 0].min()) if (wt2 > 0).any() else 0.0
    else:  # could not follow it: keep the central line
        xm = strip.xm_hip
        coef, res_scale, _ = _irls_poly(
            xs[used], ys[used], ws[used], np.array([a * xm + b, a]), x_ref=xm
        )
        extent = float(x_hi - x_lo)
    return xm, coef, res_scale, extent


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
