"""Gait events on a treadmill: initial contact (IC), toe-off (TO), midstance.

Side views use the Zeni coordinate method relative to the pelvis, refined
as in metrics.md §2.3; rear/front views, where the feet barely move
horizontally in the image, use the pelvis's vertical bounce. All windows
are in seconds.

References
----------
Zeni, Richards & Higginson 2008, Gait Posture 27(4):710-714.
Fellin, Rose, Royer & Davis 2010, J Sci Med Sport 13(6):646-650.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks

from .errors import InsufficientDataError
from .track import LandmarkTrack

__all__ = ["GaitEvents", "Step", "detect_events", "stride_period_s"]

Side = Literal["left", "right"]

#: Stride periods considered plausible for running (cadence 110-240 spm).
_MIN_STRIDE_S, _MAX_STRIDE_S = 0.5, 1.1


@dataclass(frozen=True)
class Step:
    """One foot's ground contact.

    Frames index the track (and the annotated video). ``to_frame`` and
    ``midstance_frame`` are -1 where they could not be found.
    """

    side: Side
    ic_frame: int
    to_frame: int
    midstance_frame: int
    ic_estimated: bool = False  # True where IC is inferred, not observed (rear views)


@dataclass(frozen=True)
class GaitEvents:
    """The steps of a clip, in time order, and how they were found."""

    steps: tuple[Step, ...]
    stride_period_s: float
    method: str

    def of_side(self, side: Side) -> tuple[Step, ...]:
        """The steps of one foot."""
        return tuple(s for s in self.steps if s.side == side)


def _mid_hip(track: LandmarkTrack) -> NDArray[np.float64]:
    return (track.landmark("left_hip") + track.landmark("right_hip")) / 2


def stride_period_s(signal: NDArray[np.float64], time_s: NDArray[np.float64]) -> float:
    """Estimate the stride period of a periodic gait signal by autocorrelation.

    The signal is put on a uniform time grid, NaNs are filled by linear
    interpolation, and the lag of the highest autocorrelation peak between
    0.5 and 1.1 s (110-240 steps/min) is returned.

    Raises
    ------
    InsufficientDataError
        If the signal is too short or has no periodicity in that range.
    """
    ok = np.isfinite(signal)
    if ok.sum() < 10:
        raise InsufficientDataError("Too few tracked frames to find the running rhythm.")
    dt = float(np.median(np.diff(time_s)))
    grid = np.arange(time_s[ok][0], time_s[ok][-1], dt)
    if grid[-1] - grid[0] < 2 * _MIN_STRIDE_S:
        raise InsufficientDataError(
            f"The runner is tracked for only {grid[-1] - grid[0]:.1f} s; "
            "at least 1.5 s of running is needed."
        )
    x = np.interp(grid, time_s[ok], signal[ok])
    x = x - x.mean()
    ac = np.correlate(x, x, mode="full")[x.size - 1 :]
    ac /= ac[0] if ac[0] > 0 else 1.0
    lo = int(_MIN_STRIDE_S / dt)
    hi = min(int(_MAX_STRIDE_S / dt) + 1, ac.size - 1)
    if hi <= lo:
        raise InsufficientDataError("The clip is too short to find a full stride.")
    peaks, props = find_peaks(ac[lo : hi + 1], height=0.2)
    if peaks.size == 0:
        raise InsufficientDataError(
            "No running rhythm found (no repeating stride of 0.5-1.1 s). "
            "Is the person running on the treadmill for the whole clip?"
        )
    k = lo + peaks[np.argmax(props["peak_heights"])]
    # parabolic interpolation of the peak for sub-sample precision
    if 0 < k < ac.size - 1:
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        denom = a - 2 * b + c
        k = k + (0.5 * (a - c) / denom if denom != 0 else 0.0)
    return float(k * dt)


def _peaks(
    signal: NDArray[np.float64], time_s: NDArray[np.float64], *, min_distance_s: float
) -> NDArray[np.intp]:
    """Local maxima at least ``min_distance_s`` apart with a clear prominence."""
    ok = np.isfinite(signal)
    if ok.sum() < 3:
        return np.zeros(0, dtype=np.intp)
    filled = np.where(ok, signal, np.nanmin(signal))
    spread = np.nanpercentile(signal, 95) - np.nanpercentile(signal, 5)
    dt = float(np.median(np.diff(time_s)))
    peaks, _ = find_peaks(
        filled, distance=max(1, int(min_distance_s / dt)), prominence=0.25 * spread
    )
    return peaks[ok[peaks]]


def _toe_off_side(
    toe_y: NDArray[np.float64], ic: int, end: int, tol_px: float
) -> int:
    """Last frame in [ic, end] where the toe is still on the ground.

    The ground level is the lowest image point the toe reaches in that
    window (image y down, so its maximum y); the toe counts as on the
    ground within ``tol_px`` of it.
    """
    seg = toe_y[ic : end + 1]
    if not np.isfinite(seg).any():
        return -1
    on = np.flatnonzero(seg >= np.nanmax(seg) - tol_px)
    return ic + int(on[-1])


def _side_view_events(
    track: LandmarkTrack, *, direction: int, near_side: Side
) -> GaitEvents:
    t = track.time_s
    mh = _mid_hip(track)
    near_h = (track.landmark(f"{near_side}_heel")[:, 0] - mh[:, 0]) * direction
    period = stride_period_s(near_h, t)
    steps: list[Step] = []
    for side in ("left", "right"):
        heel = track.landmark(f"{side}_heel")
        toe = track.landmark(f"{side}_foot_index")
        leg = np.nanmedian(
            np.linalg.norm(track.landmark(f"{side}_hip") - track.landmark(f"{side}_ankle"), axis=1)
        )
        # Zeni: IC at the heel's most anterior position relative to the pelvis,
        # TO-window end at the toe's most posterior position.
        h = (heel[:, 0] - mh[:, 0]) * direction
        g = (toe[:, 0] - mh[:, 0]) * direction
        ics = _peaks(h, t, min_distance_s=0.6 * period)
        tos = _peaks(-g, t, min_distance_s=0.6 * period)
        for ic in ics:
            later = tos[(t[tos] > t[ic]) & (t[tos] < t[ic] + 0.75 * period)]
            if later.size == 0:
                steps.append(Step(side, int(ic), -1, -1))  # type: ignore[arg-type]
                continue
            to = _toe_off_side(toe[:, 1], int(ic), int(later[0]), 0.05 * leg)
            ms = _midstance(track, int(ic), to)
            steps.append(Step(side, int(ic), to, ms))  # type: ignore[arg-type]
    steps.sort(key=lambda s: s.ic_frame)
    return GaitEvents(tuple(steps), period, "zeni-side")


def _midstance(track: LandmarkTrack, ic: int, to: int) -> int:
    """Frame of the lowest pelvis (largest image y of mid-hip) in [ic, to]."""
    if to < ic:
        return -1
    y = _mid_hip(track)[ic : to + 1, 1]
    if not np.isfinite(y).any():
        return (ic + to) // 2
    return ic + int(np.nanargmax(y))


def _frontal_view_events(track: LandmarkTrack) -> GaitEvents:
    """Events from a rear or front view.

    Midstance is each lowest point of the pelvis (one per step); the stance
    foot is the one whose heel is lower in the image then. TO is the
    heel's lowest point relative to the pelvis before it lifts. The
    contact can hardly be seen from behind, so IC is placed symmetrically
    about midstance (IC = 2 * midstance - TO) and flagged ``ic_estimated``.
    """
    t = track.time_s
    mh = _mid_hip(track)
    period = stride_period_s(mh[:, 1], t)
    # the pelvis bounces once per step: half a stride between lowest points
    ms_frames = _peaks(mh[:, 1], t, min_distance_s=0.3 * period)
    heel = {s: track.landmark(f"{s}_heel") for s in ("left", "right")}
    steps: list[Step] = []
    dt = float(np.median(np.diff(t)))
    for ms in ms_frames:
        yl, yr = heel["left"][ms, 1], heel["right"][ms, 1]
        if not (np.isfinite(yl) and np.isfinite(yr)):
            continue
        side: Side = "left" if yl > yr else "right"
        rel = heel[side][:, 1] - mh[:, 1]
        end = min(len(t) - 1, int(np.searchsorted(t, t[ms] + 0.35 * period)))
        seg = rel[ms : end + 1]
        if not np.isfinite(seg).any() or end <= ms:
            continue
        to = ms + int(np.nanargmax(seg))
        ic = max(0, ms - (to - ms))
        if ic == 0 and t[ms] - (t[to] - t[ms]) < -dt:
            continue  # contact began before the clip
        steps.append(Step(side, ic, to, int(ms), ic_estimated=True))
    return GaitEvents(tuple(steps), period, "pelvis-bounce-frontal")


def detect_events(
    track: LandmarkTrack,
    *,
    view: Literal["side-left", "side-right", "rear", "front"],
    near_side: Side | None = None,
) -> GaitEvents:
    """Detect the steps of a treadmill clip.

    Parameters
    ----------
    track
        A cleaned, lightly low-passed track (about 10 Hz; metrics.md §3).
    view
        The camera view; in a side view the runner faces image left for
        ``side-left``.
    near_side
        The leg nearer the camera in a side view (its events are used for
        the stride period).

    Returns
    -------
    GaitEvents
        Steps of both feet in time order. IC is read at the frame where the
        event is detected (no sub-frame interpolation), so it corresponds to
        the ``at_frame`` truths of the synthetic bench.

    Notes
    -----
    Side view: IC is the frame of the heel's most anterior position
    relative to the mid-hip (Zeni 2008), which on the rendered side-view
    runner falls within one frame of the first frame of belt contact. TO
    is the last frame the toe is within 5 % of leg length of its lowest
    image position in that stance, searched up to the toe's most posterior
    position (Zeni's TO). Peak knee extension (Fellin 2010) fell 2-4 frames
    early at 60 fps on the rendered runner and is not used.
    """
    if view in ("side-left", "side-right"):
        direction = -1 if view == "side-left" else 1
        return _side_view_events(track, direction=direction, near_side=near_side or "left")
    return _frontal_view_events(track)
