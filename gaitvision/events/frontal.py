"""Gait events from a rear or front view.

The pelvis's vertical bounce gives the steps: each lowest point is a
midstance, and the stance foot is the one whose heel is lower in the image
then. What marks contact and toe-off differs between the two views:

- Rear view, TO: the toe's lowest point relative to the pelvis after
  midstance (the pelvis rises while the toe is still on the belt; after
  toe-off the toe rises faster). The heel, which lifts earlier, read about
  two frames early at 60 fps on the rendered rear runner; the toe about one.
- Rear view, IC: the contact can hardly be seen from behind. Two estimates
  are blended: flight is ballistic, so the pelvis peaks halfway through it
  (IC = 2 x highest pelvis - TO of the other foot), and stance is nearly
  symmetric about the lowest pelvis (IC = 2 x lowest pelvis - TO of the same
  foot); see :data:`BALLISTIC_WEIGHT`.
- Front view: the stance foot moves away from the camera and up the image
  from contact on, so the toe's lowest point relative to the pelvis comes
  *before* midstance: at contact (:data:`FRONT_IC_AFTER_TOE_LOWEST_S`). Toe-off is read from the
  knee, which is highest in the image just after toe-off
  (:data:`FRONT_TO_BEFORE_KNEE_HIGHEST_S`); the rear view's toe rule read
  it 6-7 frames early at 60 fps.

IC is flagged ``ic_estimated`` in both views.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.events.peaks import peak_time, peaks
from gaitvision.events.types import GaitEvents, Side, Step
from gaitvision.track import LandmarkTrack

__all__ = ["BALLISTIC_WEIGHT", "FRONT_IC_AFTER_TOE_LOWEST_S", "FRONT_TO_BEFORE_KNEE_HIGHEST_S",
           "FrontalView", "frontal_view_events"]

#: Rear view: weight of the ballistic IC estimate against the stance-symmetric
#: one. On the bench's rear grid the ballistic estimate alone read IC 2 frames
#: early (median, 60 fps) and the symmetric one alone 0-2.5 frames late; 0.75
#: halves the grid's error and keeps the shared prototype-renderer rear clips
#: within half a frame of the ballistic estimate (0.5 and less put them a
#: frame later).
BALLISTIC_WEIGHT = 0.75

#: Front view: IC follows the toe's lowest image point relative to the pelvis
#: by this much (bench, ``front_60_valgus``: the toe was lowest 5.3 ms before
#: contact, median; 4 % of an 11-frame spread).
FRONT_IC_AFTER_TOE_LOWEST_S = 0.005

#: Front view: the knee is highest in the image this long after toe-off
#: (bench, ``front_60_valgus``: 18.5 ms, median).
FRONT_TO_BEFORE_KNEE_HIGHEST_S = 0.0185

FrontalView = Literal["rear", "front"]


def _mid_hip_y(track: LandmarkTrack) -> NDArray[np.float64]:
    y: NDArray[np.float64] = (track.landmark("left_hip")[:, 1] + track.landmark("right_hip")[:, 1]) / 2
    return y


def _peak_in(signal: NDArray[np.float64], time_s: NDArray[np.float64], lo: int, hi: int) -> tuple[int, float]:
    """The highest sample of ``signal`` in [lo, hi] and its sub-frame instant; (-1, nan) if none."""
    lo, hi = max(lo, 0), min(hi, signal.size - 1)
    seg = signal[lo : hi + 1]
    if hi <= lo or not np.isfinite(seg).any():
        return -1, float("nan")
    k = lo + int(np.nanargmax(seg))
    return k, peak_time(signal, time_s, k)


def _frame_at_or_before(time_s: NDArray[np.float64], t: float) -> int:
    return int(np.clip(np.searchsorted(time_s, t + 1e-9, side="right") - 1, 0, time_s.size - 1))


def _toe_off(track: LandmarkTrack, view: FrontalView, side: Side, ms: int, end: int) -> tuple[int, float]:
    """TO frame and instant of the stance after midstance ``ms`` (window up to ``end``)."""
    t = track.time_s
    if view == "front":
        k, t_knee = _peak_in(-track.landmark(f"{side}_knee")[:, 1], t, ms, end)
        if k < 0:
            return -1, float("nan")
        t_to = t_knee - FRONT_TO_BEFORE_KNEE_HIGHEST_S
        return max(ms, _frame_at_or_before(t, t_to)), t_to
    toe_rel = track.landmark(f"{side}_foot_index")[:, 1] - _mid_hip_y(track)
    return _peak_in(toe_rel, t, ms, end)


def _ballistic_ic(track: LandmarkTrack, prev: Step | None, side: Side, ms: int) -> float:
    """IC from the flight before it: 2 x highest pelvis - the other foot's TO; nan if not available."""
    if prev is None or prev.side == side or prev.to_frame >= ms:
        return float("nan")
    t = track.time_s
    k, _ = _peak_in(-_mid_hip_y(track), t, prev.to_frame, ms)
    if k < 0:
        return float("nan")
    t_ic = 2 * peak_time(-_mid_hip_y(track), t, k) - prev.to_time_s
    return t_ic if t[prev.to_frame] <= t_ic <= t[ms] else float("nan")


def _initial_contact(track: LandmarkTrack, view: FrontalView, side: Side, ms: int, t_to: float,
                     prev: Step | None, period: float) -> tuple[float, str]:
    """The IC instant of the stance around midstance ``ms`` (sub-frame), and its source."""
    t = track.time_s
    if view == "front":
        start = int(np.searchsorted(t, t[ms] - 0.27 * period))
        toe_rel = track.landmark(f"{side}_foot_index")[:, 1] - _mid_hip_y(track)
        k, t_low_toe = _peak_in(toe_rel, t, start, ms)
        if k > start:  # a maximum inside the window, not its edge
            return min(t_low_toe + FRONT_IC_AFTER_TOE_LOWEST_S, float(t[ms])), "toe-lowest"
    symmetric = 2 * peak_time(_mid_hip_y(track), t, ms) - t_to
    ballistic = _ballistic_ic(track, prev, side, ms)
    if not np.isfinite(ballistic):
        return symmetric, "stance-symmetric"
    return BALLISTIC_WEIGHT * ballistic + (1 - BALLISTIC_WEIGHT) * symmetric, "ballistic-blend"


def frontal_view_events(track: LandmarkTrack, view: FrontalView, period: float) -> GaitEvents:
    """The steps of a rear or front view (see the module docstring); ``period``: stride period, s."""
    t = track.time_s
    mh_y = _mid_hip_y(track)
    dt = float(np.median(np.diff(t)))
    steps: list[Step] = []
    prev: Step | None = None
    for ms in peaks(mh_y, t, min_distance_s=0.3 * period):
        yl, yr = track.landmark("left_heel")[ms, 1], track.landmark("right_heel")[ms, 1]
        end = min(len(t) - 1, int(np.searchsorted(t, t[ms] + 0.35 * period)))
        side: Side = "left" if yl > yr else "right"
        to, t_to = _toe_off(track, view, side, int(ms), end) if np.isfinite(yl + yr) else (-1, 0.0)
        if to < 0:
            prev = None
            continue
        t_ic, ic_source = _initial_contact(track, view, side, int(ms), t_to, prev, period)
        if t_ic < t[0] - dt:
            prev = None
            continue  # contact began before the clip
        ic = min(int(np.searchsorted(t, t_ic - 1e-9)), int(ms))
        prev = Step(side, ic, to, int(ms), ic_estimated=True, ic_time_s=max(t_ic, float(t[0])), to_time_s=t_to,
                    ic_source=ic_source, to_source="knee-highest" if view == "front" else "toe-pelvis")
        steps.append(prev)
    return GaitEvents(tuple(steps), period, "pelvis-bounce-frontal")
