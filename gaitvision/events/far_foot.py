"""The far foot's toe-off in a side view, from its swing and the near foot's timing.

In a side view the pose model tracks the far leg worst while the near leg
swings past it, which is the far foot's late stance: its toe point drifts
up and forward before the foot has left the belt, and the toe-lift rule of
the near foot read far-foot toe-off 4-16 frames early on the rendered
bench (docs/accuracy.md, 60 and 120 fps). Right after toe-off the far leg
is clear of the near one again and the extremes of its swing are tracked
well: the most posterior toe, heel and ankle relative to the pelvis (Zeni's
toe-off), and the most backward shank and thigh. Each follows toe-off by a
lag that this runner shows on the near foot.

So each far step gets one candidate per swing feature: the far feature's
instant minus the near foot's median lag from its toe-off to the same
feature. The prior, far contact time about the near foot's (contact times
of the two feet agree within a few percent in healthy running), i.e. the
far IC plus the near foot's median contact time, only *gates*: candidates
farther than :data:`PRIOR_GATE` of the near contact time from it are
dropped, and toe-off is the median of the rest, so an asymmetric runner
keeps the far foot's own timing. The expected timing error (frames) from
the candidates' spread is stored with the step. Where no candidate passes
the gate, or the near foot cannot calibrate the lags, the toe-lift value
stands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from gaitvision.events.peaks import peak_time, peaks
from gaitvision.events.types import Side, Step
from gaitvision.track import LandmarkTrack

__all__ = ["EXPECTED_ERROR_FLOOR_FRAMES", "PRIOR_GATE", "SWING_FEATURES", "far_toe_offs", "swing_feature_times"]

#: A candidate counts only within this fraction of the near foot's contact
#: time from the prior (far IC + near contact time). 0.25: on the bench's
#: side views 0.20 and 0.25 kept the same candidates but for outliers; 0.35
#: let through far toe points that had jumped onto the near foot.
PRIOR_GATE = 0.25

#: The expected timing error of a far-swing toe-off is this floor (frames)
#: combined with the candidates' spread. 1 frame: the bench's median |error|
#: of these toe-offs (side views, 60-120 fps, 88 contacts); the spread alone
#: (median 0.3 frame) did not predict which contacts were off (correlation
#: 0.05 with the actual error): what errs is the near foot's calibration,
#: which all candidates share.
EXPECTED_ERROR_FLOOR_FRAMES = 1.0

#: At least this many near-foot steps with a toe-off calibrate a lag.
_MIN_NEAR_STEPS = 2

#: The swing extremes that follow toe-off (all maxima of the signals of :func:`_swing_signals`).
SWING_FEATURES = ("toe_posterior", "heel_posterior", "ankle_posterior", "shank_back", "thigh_back")


def _swing_signals(track: LandmarkTrack, side: Side, sign: float) -> dict[str, NDArray[np.float64]]:
    """Per feature, a signal whose maxima are the swing extremes after toe-off."""
    mh_x = (track.landmark("left_hip")[:, 0] + track.landmark("right_hip")[:, 0]) / 2
    hip, knee, ankle = (track.landmark(f"{side}_{p}") for p in ("hip", "knee", "ankle"))

    def back(p: NDArray[np.float64]) -> NDArray[np.float64]:  # how far behind the pelvis
        out: NDArray[np.float64] = -(p[:, 0] - mh_x) * sign
        return out

    def inclination(top: NDArray[np.float64], bottom: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.arctan2(-(bottom[:, 0] - top[:, 0]) * sign, bottom[:, 1] - top[:, 1])
        return out

    return {"toe_posterior": back(track.landmark(f"{side}_foot_index")),
            "heel_posterior": back(track.landmark(f"{side}_heel")), "ankle_posterior": back(ankle),
            "shank_back": inclination(knee, ankle), "thigh_back": inclination(hip, knee)}


def swing_feature_times(
    track: LandmarkTrack, side: Side, *, sign: float, period_s: float
) -> dict[str, NDArray[np.float64]]:
    """Sub-frame instants of each swing feature of one foot (``sign``: image x -> forward)."""
    t = track.time_s
    out = {}
    for name, sig in _swing_signals(track, side, sign).items():
        ks = peaks(sig, t, min_distance_s=0.6 * period_s)
        out[name] = np.array([peak_time(sig, t, int(k)) for k in ks], dtype=np.float64)
    return out


def _first_after(times: NDArray[np.float64], start: float, span: float) -> float | None:
    later = times[(times > start) & (times < start + span)]
    return float(later[0]) if later.size else None


def _near_lags(
    near: Sequence[Step], near_times: dict[str, NDArray[np.float64]], period_s: float
) -> tuple[dict[str, float], float] | None:
    """Per feature the near foot's median lag after its toe-off, and its median contact time."""
    timed = [s for s in near if s.to_frame >= 0 and np.isfinite(s.to_time_s) and np.isfinite(s.ic_time_s)]
    if len(timed) < _MIN_NEAR_STEPS:
        return None
    lags: dict[str, float] = {}
    for name, times in near_times.items():
        lag = [z - s.to_time_s for s in timed
               if (z := _first_after(times, s.ic_time_s, 0.75 * period_s)) is not None and z > s.to_time_s]
        if len(lag) >= _MIN_NEAR_STEPS:
            lags[name] = float(np.median(lag))
    if not lags:
        return None
    return lags, float(np.median([s.to_time_s - s.ic_time_s for s in timed]))


def _frame_of(time_s: NDArray[np.float64], t: float) -> int:
    """The last frame at or before ``t`` (TO frames are the last frame on the belt)."""
    return int(np.clip(np.searchsorted(time_s, t + 1e-9, side="right") - 1, 0, time_s.size - 1))


def _candidates(step: Step, far_times: dict[str, NDArray[np.float64]], lags: dict[str, float],
                period_s: float) -> NDArray[np.float64]:
    out = [z - lags[name] for name, times in far_times.items() if name in lags
           and (z := _first_after(times, step.ic_time_s, 0.75 * period_s)) is not None]
    return np.array(out, dtype=np.float64)


def far_toe_offs(
    far: Sequence[Step], near: Sequence[Step], *, far_times: dict[str, NDArray[np.float64]],
    near_times: dict[str, NDArray[np.float64]], time_s: NDArray[np.float64], period_s: float,
) -> list[Step]:
    """The far steps with toe-off from their swing features (see the module docstring).

    ``far_times`` and ``near_times`` are :func:`swing_feature_times` of the
    two feet. Steps are returned unchanged when the near foot cannot
    calibrate the lags (fewer than two near steps with a toe-off) or when no
    candidate passes the gate of the prior.
    """
    cal = _near_lags(near, near_times, period_s)
    if cal is None:
        return list(far)
    lags, ct = cal
    dt = float(np.median(np.diff(time_s)))
    out = []
    for s in far:
        c = _candidates(s, far_times, lags, period_s) if np.isfinite(s.ic_time_s) else np.zeros(0)
        c = c[(np.abs(c - (s.ic_time_s + ct)) <= PRIOR_GATE * ct) & (c > s.ic_time_s)]
        to = _frame_of(time_s, float(np.median(c))) if c.size else -1
        if to <= s.ic_frame:
            out.append(s)
            continue
        t_to = float(np.median(c))
        spread = 1.4826 * float(np.median(np.abs(c - t_to))) if c.size > 2 else float(np.ptp(c)) / 2
        err = float(np.hypot(EXPECTED_ERROR_FLOOR_FRAMES, spread / dt))
        out.append(dataclasses.replace(s, to_frame=to, to_time_s=t_to, to_source="far-swing",
                                       to_error_frames=round(err, 2)))
    return out
