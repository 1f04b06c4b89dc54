"""Cleaning a landmark track: confidence gating, gap filling, low-pass.

Every window is given in seconds and every cut-off in Hz, never in frames,
because clips arrive at 30, 60, 120 or 240 fps and often at a variable
frame rate.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import ConfigError
from gaitvision.track import LandmarkTrack

__all__ = ["interpolate_gaps", "lowpass", "lowpass_signal", "mask_low_confidence"]


def mask_low_confidence(track: LandmarkTrack, *, threshold: float = 0.3) -> LandmarkTrack:
    """Set positions whose confidence is below ``threshold`` to NaN.

    The default 0.3 is Sports2D's ``keypoint_likelihood_threshold``
    (metrics.md §3).
    """
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must be in [0, 1], but got {threshold}.")
    xy = track.xy.copy()
    xy[track.confidence < threshold] = np.nan
    return track.replace(xy=xy)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start and end (exclusive) of each run of True in a 1-D mask."""
    padded = np.concatenate([[False], mask, [False]])
    d = np.diff(padded.astype(np.int8))
    # as many run starts as ends: the mask is padded with False on both sides
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def interpolate_gaps(track: LandmarkTrack, *, max_gap_s: float = 0.1) -> LandmarkTrack:
    """Fill short runs of missing positions by linear interpolation in time.

    A gap is filled only when it has an observed frame on both sides and
    lasts at most ``max_gap_s`` (from the last frame before it to the first
    frame after it, minus one frame interval). Filled points are marked in
    ``track.interpolated``. Longer gaps stay NaN so that no event is
    invented (metrics.md §3).
    """
    if max_gap_s < 0:
        raise ConfigError(f"max_gap_s must be >= 0, but got {max_gap_s}.")
    t = track.time_s
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    xy = track.xy.copy()
    interp = track.interpolated.copy()
    for j in range(xy.shape[1]):
        missing = ~np.isfinite(xy[:, j, 0]) | ~np.isfinite(xy[:, j, 1])
        for start, end in _runs(missing):
            if start == 0 or end == len(t):
                continue
            if t[end] - t[start - 1] - dt > max_gap_s + 1e-9:
                continue
            w = (t[start:end] - t[start - 1]) / (t[end] - t[start - 1])
            xy[start:end, j, :] = (1 - w)[:, None] * xy[start - 1, j, :] + w[:, None] * xy[end, j, :]
            interp[start:end, j] = True
    return track.replace(xy=xy, interpolated=interp)


@functools.lru_cache(maxsize=64)
def _butter_sos(order: int, wn: float) -> NDArray[np.float64]:
    """The Butterworth low-pass design, computed once per (order, normalised cut-off).

    A track's 70 coordinates share one frame rate, so designing the filter
    once instead of per coordinate saves ~1 s per measurement (scipy's
    ``butter`` ~9 ms a call). Callers get a copy (scipy's filters need a
    writable array, and the cache must not change).
    """
    from scipy.signal import butter  # SciPy only when measuring: a fast start (test_startup.py)

    return np.asarray(butter(order, wn, btype="low", output="sos"), dtype=np.float64)


def lowpass_signal(
    values: NDArray[np.float64],
    time_s: NDArray[np.float64],
    *,
    cutoff_hz: float,
    order: int = 4,
) -> NDArray[np.float64]:
    """Zero-lag Butterworth low-pass of a 1-D signal sampled at ``time_s``.

    Each run of finite samples is filtered on its own (NaN gaps are kept).
    Samples are first put on a uniform grid at the median frame interval
    (linear interpolation) and read back afterwards, so a variable frame
    rate does not distort the cut-off. ``sosfiltfilt`` runs the filter
    forwards and backwards, which doubles the order and removes the phase
    lag. A run too short to filter is returned unchanged. A cut-off at or
    above 0.9 x the Nyquist frequency is lowered to that (a 15 Hz cut-off
    on a 30 fps clip then filters very little, which is intended: the
    frame rate is the limit there).
    """
    from scipy.signal import sosfiltfilt  # SciPy only when measuring: a fast start (test_startup.py)

    if cutoff_hz <= 0:
        raise ConfigError(f"cutoff_hz must be > 0, but got {cutoff_hz}.")
    out = np.array(values, dtype=np.float64, copy=True)
    if out.size < 2:
        return out
    dt = float(np.median(np.diff(time_s)))
    fs = 1.0 / dt
    wn = cutoff_hz / (fs / 2)
    wn = min(wn, 0.9)  # at most 0.9 x Nyquist (e.g. 15 Hz asked of a 30 fps clip)
    sos = _butter_sos(order, float(wn)).copy()
    padlen = 3 * (2 * len(sos) + 1)
    for start, end in _runs(np.isfinite(out)):
        seg_t = time_s[start:end]
        grid = np.arange(seg_t[0], seg_t[-1] + dt / 2, dt)
        if grid.size <= padlen:
            continue
        seg = np.interp(grid, seg_t, out[start:end])
        out[start:end] = np.interp(seg_t, grid, sosfiltfilt(sos, seg))
    return out


def lowpass(track: LandmarkTrack, *, cutoff_hz: float, order: int = 4) -> LandmarkTrack:
    """Apply :func:`lowpass_signal` to every landmark coordinate."""
    xy = track.xy.copy()
    for j in range(xy.shape[1]):
        for k in range(2):
            xy[:, j, k] = lowpass_signal(xy[:, j, k], track.time_s, cutoff_hz=cutoff_hz, order=order)
    return track.replace(xy=xy)


def reject_outliers(
    track: LandmarkTrack,
    *,
    window_s: float = 0.15,
    n_sigma: float = 3.0,
    min_threshold_px: float = 0.0,
    landmarks: tuple[str, ...] | None = None,
) -> LandmarkTrack:
    """Hampel filter: drop positions far from their local median in time.

    For each landmark coordinate, a sample is rejected (set to NaN, both x
    and y) when it differs from the median of the samples within
    ``± window_s`` by more than ``n_sigma`` robust standard deviations
    (1.4826 × MAD) and by more than ``min_threshold_px``. This removes the
    1–3 frame jumps where the pose model puts one ankle on top of the other
    (metrics.md, "Expect left/right swaps"). Follow with
    :func:`interpolate_gaps`.

    The window is converted to frames at the clip's median frame interval
    (vectorised; on a variable-frame-rate clip it spans ``± window_s`` on
    average). At least 3 finite samples are needed for a verdict.
    """
    if window_s <= 0:
        raise ConfigError(f"window_s must be > 0, but got {window_s}.")
    t = track.time_s
    names = track.landmark_names if landmarks is None else landmarks
    xy = track.xy.copy()
    if t.size < 3:
        return track
    half = max(1, int(round(window_s / float(np.median(np.diff(t))))))
    for name in names:
        j = track.landmark_names.index(name)
        bad = np.zeros(len(t), dtype=bool)
        for k in range(2):
            v = track.xy[:, j, k]
            padded = np.concatenate([np.full(half, np.nan), v, np.full(half, np.nan)])
            win = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
            enough = np.isfinite(win).sum(axis=1) >= 3
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
                med = np.nanmedian(win, axis=1)
                sigma = 1.4826 * np.nanmedian(np.abs(win - med[:, None]), axis=1)
            dev = np.abs(v - med)
            with np.errstate(invalid="ignore"):
                bad |= enough & np.isfinite(v) & (dev > n_sigma * sigma) & (dev > min_threshold_px)
        xy[bad, j, :] = np.nan
    return track.replace(xy=xy)


def fix_leg_swaps(
    track: LandmarkTrack, *, margin: float = 0.5, max_swap_s: float = 0.12
) -> tuple[LandmarkTrack, int]:
    """Swap the left and right leg landmarks back where the model exchanged them.

    Walks forward in time, predicting each leg landmark from the two
    previous frames (constant velocity). Where assigning the observed left
    leg to the predicted right leg (and vice versa) fits the prediction
    better than the labels as given, by more than ``margin`` of the
    unswapped cost, the labels of that frame are exchanged. Decides per
    frame, on the leg's hip-to-toe landmarks together.

    The pose model's swaps last a few frames (2-5 at 60 fps on rendered
    runners); a run of "corrected" frames longer than ``max_swap_s`` means
    the repair itself went wrong and carried bad labels forward, so such
    runs are put back as observed.

    Returns
    -------
    track, n_swapped
        The corrected track and the number of frames that were swapped.
    """
    parts = ("knee", "ankle", "heel", "foot_index")
    li = [track.landmark_names.index(f"left_{p}") for p in parts]
    ri = [track.landmark_names.index(f"right_{p}") for p in parts]
    xy = track.xy.copy()
    conf = track.confidence.copy()
    swapped = np.zeros(len(xy), dtype=bool)
    for i in range(2, len(xy)):
        pred = 2 * xy[i - 1] - xy[i - 2]
        if not (np.all(np.isfinite(pred[li + ri])) and np.all(np.isfinite(xy[i, li + ri]))):
            continue
        keep = np.linalg.norm(xy[i, li] - pred[li], axis=1).sum() + np.linalg.norm(
            xy[i, ri] - pred[ri], axis=1
        ).sum()
        swap = np.linalg.norm(xy[i, ri] - pred[li], axis=1).sum() + np.linalg.norm(
            xy[i, li] - pred[ri], axis=1
        ).sum()
        if swap < (1 - margin) * keep:
            xy[i, li + ri] = xy[i, ri + li]
            conf[i, li + ri] = conf[i, ri + li]
            swapped[i] = True
    t = track.time_s
    for start, end in _runs(swapped):
        if t[end - 1] - t[start] > max_swap_s:
            xy[start:end] = track.xy[start:end]
            conf[start:end] = track.confidence[start:end]
            swapped[start:end] = False
    n_swapped = int(swapped.sum())
    return track.replace(xy=xy, confidence=conf), n_swapped
