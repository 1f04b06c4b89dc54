"""Per-clip series with temporal consistency: one waistband edge per frame
chosen against the clip's reference position (:func:`waistband_line_series`),
the PSIS marker pair per frame (:func:`marker_line_series`), and the Hampel
filter that down-weights isolated angle spikes in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from gaitvision.pose.pelvis_image.markers import MarkerDetection
from gaitvision.pose.pelvis_image.waistband import WaistbandCandidate


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
    ref = _reference_position(candidates)
    if ref is None:
        return slope, conf, pos, centre
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


def _reference_position(candidates: Sequence[Sequence[WaistbandCandidate]]) -> float | None:
    """Score-weighted median position of the frames' best candidates (the confident ones if any)."""
    best = [(c[0].position, c[0].score) for c in candidates if c and c[0].confidence >= 0.5]
    if not best:
        best = [(c[0].position, c[0].score) for c in candidates if c]
    if not best:
        return None
    p, wt = np.array(best).T
    order = np.argsort(p)
    cw = np.cumsum(wt[order])
    return float(p[order][np.searchsorted(cw, 0.5 * cw[-1])])


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
        best = _best_pair(dets, hw, prev)
        if best is None:
            continue
        pair, ratio = best
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


def _best_pair(
    dets: Sequence[MarkerDetection], hw: float, prev: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], float] | None:
    """The plausible pair with the largest summed score (nearest ``prev`` counts), image-left first.

    Returns the ``(2, 2)`` centres and the pair's area ratio, or None.
    """
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
    return None if best is None else (best[1], best[2])
