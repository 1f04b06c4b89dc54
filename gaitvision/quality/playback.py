"""Does the clip play in real time? Slow motion saved for normal playback, from the body alone.

A phone's slow-motion clip (e.g. filmed at 240 fps) is often saved or
shared for playback at 30 fps without the metadata that says so. Every
time-based value is then a multiple off (cadence 8x too low, contact
times 8x too long) while the angles look fine. Two clocks in the landmark
track give the playback speed away without any metadata:

- **gravity**: the pelvis rises and falls once per step, and in running its
  vertical acceleration is set by gravity. The amplitude ``A`` (px) of the
  fundamental of the mid-hip height at the step rhythm ``w`` (rad/s), over
  the leg length ``L`` (px), gives ``A w^2 / L``: about ``g / 0.9 m`` for a
  runner (10-12 /s^2 on the clips with truth). A clip played ``k`` times
  slower shows ``1 / k^2`` of it, so ``k_gravity = sqrt(expected / apparent)``.
- **cadence**: running is 140-220 steps/min; the step rhythm of the pelvis
  (its autocorrelation, independent of the event detector) gives the
  apparent cadence, and ``k_cadence = 170 / apparent``.

The clip is called slowed when *both* clocks say so with a margin (a real
runner is never outside both ranges; walking in real time fails both too,
and the advice then names walking as well); the estimated factor is the
geometric mean of the two. Pure functions, no I/O.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.measure.registry import METRICS
from gaitvision.measure.summary import ClipSummary
from gaitvision.track import LandmarkTrack

__all__ = [
    "PlaybackCheck",
    "apply_playback",
    "check_playback",
    "leg_length_px",
    "pelvis_rhythm",
    "refusal_hint",
    "step_period",
]

#: Apparent step-rhythm cadence (steps/min) a runner filmed in real time shows.
RUNNING_CADENCE_SPM = (130.0, 230.0)
#: Typical running cadence, the cadence clock's reference.
REFERENCE_CADENCE_SPM = 170.0
#: ``A w^2 / L`` (1/s^2) of a runner in real time: ``g / 0.9 m``. Measured on
#: MediaPipe tracks at real time: 6.3-18.2 (bundled side sample 12.1, shared
#: rendered side 9.7, real side clip 18.2, rendered rear clips 12.7-15.7).
REFERENCE_GRAVITY_RATIO = 11.0
#: Range of ``A w^2 / L`` over reference that real-time running shows (measured
#: 0.58-1.65 on the shared and grid clips, real and rendered, at real time).
GRAVITY_RATIO_RANGE = (0.3, 3.5)
#: Below this (above its inverse) gravity says slowed (sped up), when the
#: cadence agrees: a 2x slowed clip shows 0.14-0.41, 1/k^2 of its real-time value.
GRAVITY_SLOW_BELOW = 0.6
#: The pelvis must rise and fall by at least this fraction of the leg length
#: (5-95 % range) to be timed: runners show 6-10 %, and slowing a clip does
#: not change it (the frames are the same), so a still pelvis is undecidable.
MIN_BOUNCE_PER_LEG = 0.01
#: Below this autocorrelation the pelvis shows no rhythm to time it by.
MIN_RHYTHM_STRENGTH = 0.3
#: Capture rates phones film slow motion at (fps).
CAPTURE_RATES = (30.0, 60.0, 120.0, 240.0, 480.0, 960.0)
#: Metrics that are times and move with the playback speed (derived from the registry).
TIME_METRICS = tuple(m.key for m in METRICS if m.unit == "s")


@dataclass(frozen=True)
class PlaybackCheck:
    """Whether the clip's timestamps are real time, judged from the runner's motion.

    Attributes
    ----------
    slow_factor
        Estimated slow-motion factor of the clip *as measured* (1 = real
        time, 8 = plays 8x slower than it happened, < 1 = faster), or None
        when the body shows no rhythm to judge by.
    plausible
        True when the motion is plausible running in real time, False when
        it is not (slowed or sped up), None when undecidable.
    reason
        One plain sentence: what the two clocks showed.
    advice
        What to do (the ``--capture-fps`` advice), or None when plausible.
    cadence_rhythm_spm
        Apparent cadence of the pelvis rhythm (steps/min).
    gravity_ratio
        Apparent ``A w^2 / L`` over :data:`REFERENCE_GRAVITY_RATIO`.
    slow_factor_cadence, slow_factor_gravity
        The two clocks' estimates of the factor.
    suggested_capture_fps
        The capture rate to pass with ``--capture-fps`` (a standard rate
        near playback rate x factor), or None.
    """

    slow_factor: float | None
    plausible: bool | None
    reason: str
    advice: str | None = None
    cadence_rhythm_spm: float | None = None
    gravity_ratio: float | None = None
    slow_factor_cadence: float | None = None
    slow_factor_gravity: float | None = None
    suggested_capture_fps: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As in ``summary.json`` ``playback``."""
        def r(v: float | None, nd: int = 3) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, nd)
        return {"plausible_real_time": self.plausible, "slow_factor_estimate": r(self.slow_factor, 2),
                "cadence_rhythm_spm": r(self.cadence_rhythm_spm, 1), "gravity_ratio": r(self.gravity_ratio),
                "slow_factor_cadence": r(self.slow_factor_cadence, 2),
                "slow_factor_gravity": r(self.slow_factor_gravity, 2),
                "suggested_capture_fps": self.suggested_capture_fps, "reason": self.reason,
                "advice": self.advice}


def leg_length_px(track: LandmarkTrack) -> float:
    """Leg length in pixels: thigh plus shank, each its 90th percentile over frames, mean of both legs.

    The 90th percentile takes each segment where it is least foreshortened.
    NaN when the legs were not tracked.
    """
    L = track.landmark
    legs = []
    for s in ("left", "right"):
        thigh = np.linalg.norm(L(f"{s}_hip") - L(f"{s}_knee"), axis=1)
        shank = np.linalg.norm(L(f"{s}_knee") - L(f"{s}_ankle"), axis=1)
        if np.isfinite(thigh).sum() >= 3 and np.isfinite(shank).sum() >= 3:
            legs.append(float(np.nanpercentile(thigh, 90) + np.nanpercentile(shank, 90)))
    return float(np.mean(legs)) if legs else float("nan")


def _pelvis_height(track: LandmarkTrack) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Mid-hip image height resampled to a uniform time grid, trend removed (or None)."""
    y = (track.landmark("left_hip")[:, 1] + track.landmark("right_hip")[:, 1]) / 2
    t = track.time_s
    ok = np.isfinite(y)
    if ok.sum() < 20 or t[-1] - t[0] <= 0:
        return None
    dt = float(np.median(np.diff(t)))
    tu = np.arange(t[ok][0], t[ok][-1], dt)
    if tu.size < 20:
        return None
    yu = np.interp(tu, t[ok], y[ok])
    yu = yu - np.polyval(np.polyfit(tu - tu[0], yu, 2), tu - tu[0])
    return tu, yu


def pelvis_rhythm(track: LandmarkTrack) -> tuple[float, float] | None:
    """The step period of the pelvis's vertical motion (track time, s) and its strength.

    The first autocorrelation peak between 0.04 s and half the clip that
    reaches 0.6 of the highest one (so the step, not the stride, is found),
    refined by a parabola through the peak. Strength is the autocorrelation
    there (1 = perfectly periodic). None when there is no peak.
    """
    series = _pelvis_height(track)
    if series is None:
        return None
    tu, yu = series
    n, dt = yu.size, float(tu[1] - tu[0])
    energy = float(yu @ yu)
    if energy <= 0:
        return None
    ac = np.correlate(yu, yu, "full")[n - 1:] / energy
    ac = ac / (1.0 - np.arange(n) / n)  # unbiased: long lags overlap less
    lo, hi = max(2, math.ceil(0.04 / dt)), min(n - 2, int((tu[-1] - tu[0]) / 2 / dt))
    peaks = [i for i in range(lo, hi + 1) if ac[i] >= ac[i - 1] and ac[i] >= ac[i + 1] and ac[i] > 0]
    if not peaks:
        return None
    best = max(ac[i] for i in peaks)
    i = next(i for i in peaks if ac[i] >= 0.6 * best)
    den = ac[i - 1] - 2 * ac[i] + ac[i + 1]
    shift = 0.5 * (ac[i - 1] - ac[i + 1]) / den if den < 0 else 0.0
    return (i + float(np.clip(shift, -0.5, 0.5))) * dt, float(ac[i])


def _amplitudes(series: tuple[NDArray[np.float64], NDArray[np.float64]], period_s: float) -> tuple[float, float]:
    """Amplitudes (px) of the mid-hip height at the rhythm ``period_s`` and at its double frequency."""
    tu, yu = series
    w = 2 * math.pi / period_s
    x = np.column_stack([np.cos(w * tu), np.sin(w * tu), np.cos(2 * w * tu), np.sin(2 * w * tu),
                         np.ones_like(tu)])
    coef, *_ = np.linalg.lstsq(x, yu, rcond=None)
    return float(math.hypot(coef[0], coef[1])), float(math.hypot(coef[2], coef[3]))


def step_period(track: LandmarkTrack, period_s: float) -> float:
    """``period_s``, or half of it when the pelvis moves more at twice that rhythm.

    The pelvis rises and falls once per step; a runner whose left and right
    steps differ (a one-sided pelvic drop, a limp) makes the stride repeat
    better than the step, and the autocorrelation can pick the stride.
    """
    series = _pelvis_height(track)
    if series is None:
        return period_s
    a1, a2 = _amplitudes(series, period_s)
    return period_s / 2 if a2 > a1 else period_s


def _gravity_ratio(track: LandmarkTrack, period_s: float) -> float:
    """``A w^2 / L`` (1/s^2) of the mid-hip height's fundamental at the step rhythm."""
    series = _pelvis_height(track)
    leg = leg_length_px(track)
    if series is None or not (math.isfinite(leg) and leg > 0):
        return float("nan")
    w = 2 * math.pi / period_s
    return float(_amplitudes(series, period_s)[0] * w * w / leg)


def _capture_rate(playback_fps: float, factor: float) -> float | None:
    """The standard capture rate above the playback rate nearest (in ratio) to playback x factor, or None."""
    if not (math.isfinite(playback_fps) and playback_fps > 0 and factor > 1):
        return None
    want = playback_fps * factor
    faster = [r for r in CAPTURE_RATES if r > playback_fps * 1.05]
    return min(faster, key=lambda r: abs(math.log(r / want))) if faster else None


def _verdict(cad: float, ratio: float) -> bool | None:
    """True: real-time running; False: both clocks off the same way; None: they disagree."""
    cad_lo, cad_hi = RUNNING_CADENCE_SPM
    g_lo, g_hi = GRAVITY_RATIO_RANGE
    if cad_lo <= cad <= cad_hi and g_lo <= ratio <= g_hi:
        return True
    if (cad < cad_lo and ratio < GRAVITY_SLOW_BELOW) or (cad > cad_hi and ratio > 1.0 / GRAVITY_SLOW_BELOW):
        return False
    return None


def _advice(factor: float, playback_fps: float, capture_known: bool) -> tuple[str, float | None]:
    if factor < 1:
        return ("The clip's time base looks too fast: if you passed --capture-fps, check its value "
                "(it is the rate the phone filmed at), otherwise leave it out."), None
    fps = _capture_rate(playback_fps, factor)
    if capture_known:
        return (f"The clip still plays about {factor:.0f}x slower than real time with the capture rate "
                f"used: check the --capture-fps value (the rate the phone filmed at"
                f"{f', e.g. {fps:g}' if fps else ''})."), fps
    if fps:
        how = (f"--capture-fps {fps:g} (the rate the phone filmed at if you know it; {fps:g} fits the "
               "runner's motion)")
    else:
        how = "--capture-fps and the rate the phone filmed at (e.g. 120 or 240)"
    return (f"If this is a slow-motion clip saved for normal playback, analyse it again with {how}. If the "
            "patient was walking: gaitvision measures running only."), fps


def check_playback(track: LandmarkTrack, *, capture_known: bool = False) -> PlaybackCheck:
    """Judge from the runner's motion whether the track's time is real time.

    Parameters
    ----------
    track
        The pose track on the time base it is measured on (container time,
        or real time after ``--capture-fps`` / metadata).
    capture_known
        The capture rate was given or read from the file (changes the advice).

    Returns
    -------
    PlaybackCheck
    """
    rhythm = pelvis_rhythm(track)
    series = _pelvis_height(track)
    if series is not None and np.ptp(np.percentile(series[1], [5, 95])) < MIN_BOUNCE_PER_LEG * leg_length_px(track):
        return PlaybackCheck(None, None, "the pelvis hardly moves up and down, so the playback speed cannot be "
                             "judged by it")
    if rhythm is None or rhythm[1] < MIN_RHYTHM_STRENGTH:
        return PlaybackCheck(None, None, "the pelvis shows no steady step rhythm to judge the playback speed by")
    period = step_period(track, rhythm[0])
    cad = 60.0 / period
    ratio = _gravity_ratio(track, period) / REFERENCE_GRAVITY_RATIO
    if not (math.isfinite(ratio) and ratio > 0):
        return PlaybackCheck(None, None, "the legs were not tracked well enough to judge the playback speed",
                             cadence_rhythm_spm=cad)
    k_cad, k_grav = REFERENCE_CADENCE_SPM / cad, 1.0 / math.sqrt(ratio)
    plausible = _verdict(cad, ratio)
    # the clocks agree: their geometric mean; else gravity's (the cadence clock assumes a typical runner)
    agree = max(k_cad / k_grav, k_grav / k_cad) < 2.5
    factor = math.sqrt(k_cad * k_grav) if agree else k_grav
    reason = (f"the pelvis rises and falls {cad:.0f} times a minute, with {ratio:.2f} times the "
              f"gravity-driven bounce of a runner")
    if plausible is None:
        reason += ": the two clocks disagree, so the playback speed cannot be judged"
    advice, fps = (None, None) if plausible is not False else _advice(factor, track.fps_estimate(), capture_known)
    return PlaybackCheck(factor, plausible, reason, advice, cad, ratio, k_cad, k_grav, fps)


def refusal_hint(track: LandmarkTrack, *, capture_known: bool = False) -> str | None:
    """A sentence for an error message when a clip that looks slowed found too few steps (else None)."""
    check = check_playback(track, capture_known=capture_known)
    if check.plausible is not False or check.slow_factor is None or check.slow_factor <= 1:
        return None
    return (f"The runner's motion says this clip plays about {check.slow_factor:.0f}x slower than real time "
            f"({check.reason}). {check.advice}")


def apply_playback(summary: ClipSummary, check: PlaybackCheck) -> ClipSummary:
    """The summary with the playback check applied.

    When the clip is not real time (``check.plausible is False``) the
    cadence and every time metric are withdrawn (``not_measurable`` with
    the reason), since each would be a multiple off, and a warning gives
    the advice. Otherwise the summary is returned unchanged.
    """
    if check.plausible is not False:
        return summary
    why = f"the clip does not play in real time ({check.reason})"
    nm = dict(summary.not_measurable)
    metrics = dict(summary.metrics)
    for key in TIME_METRICS:
        if key in metrics:
            del metrics[key]
            nm[key] = why
    if summary.cadence_spm is not None:
        nm["cadence_spm"] = why
    factor = check.slow_factor or 1.0
    pace = f"about {factor:.0f}x slower" if factor >= 1 else f"about {1 / factor:.0f}x faster"
    warning = (f"This clip does not look like real-time running: it plays {pace} than real time "
               f"({check.reason}); cadence and times are not reported. {check.advice}")
    return dataclasses.replace(summary, metrics=metrics, not_measurable=nm, cadence_spm=None,
                               warnings=(*summary.warnings, warning))
