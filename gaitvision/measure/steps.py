"""From a cleaned track and its events to the step table.

Pure functions: no file I/O, no drawing. :func:`clip_signals` computes the
per-frame signals and calibrations of a clip once; :func:`measure_steps`
reads every step's values from them through the registry
(:data:`gaitvision.measure.registry.METRICS`) and decides which steps are
used. Definitions, signs and sources follow ``../shared/design/metrics.md``;
see :mod:`gaitvision.measure.step_values` for the per-metric notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gaitvision.events import GaitEvents, Step
from gaitvision.measure.metrics.foot import classify_strike, foot_angle_raw_deg
from gaitvision.measure.metrics.frontal import hip_adduction_deg
from gaitvision.measure.metrics.knee import knee_flexion_deg, knee_fppa_deg
from gaitvision.measure.metrics.pelvis import pelvic_drop_deg, pelvis_line_deg
from gaitvision.measure.metrics.sagittal import (
    heel_to_hip_px,
    leg_length_px,
    mid_hip,
    shank_angle_deg,
    trunk_lean_deg,
)
from gaitvision.measure.pelvis_drop import drop_level_deg, pelvic_drop_signal, pelvis_source
from gaitvision.measure.records import SIDES, StepRecord, StepTable
from gaitvision.measure.registry import METRICS, keys_for_view
from gaitvision.measure.step_values import ClipSignals, FloatArray, StepContext, finite_or_none
from gaitvision.pose.pelvis_image import PelvisImageSeries
from gaitvision.pose.view import ViewEstimate
from gaitvision.track import LandmarkTrack

__all__ = [
    "CONTACT_TIME_RANGE_S",
    "MEDIAPIPE_HIP_WIDENING",
    "MEDIAPIPE_SIDE_HIP_FORWARD",
    "OUTLIER_FRACTION",
    "clip_signals",
    "measure_steps",
]

#: MediaPipe's hip points sit medial of the hip joint centres in rear and
#: front views. Measured on the ten frontal renders of the synthetic bench
#: (exact truth, two bodies): the hip joint centres are 1.29x (first body,
#: 1.285-1.32 over seven clips and three camera placements) and 1.37x
#: (second body) as far apart as MediaPipe's hips. Each hip point is moved
#: out by (1.29 - 1)/2 = 0.15 of the hip-to-hip distance, which restores the
#: joint centres' spacing on the first body (the second keeps ~3 px a side).
#: This is a calibration of the landmarks, not a fit of the FPPA: with the
#: knee taken from the leg's outline (:mod:`gaitvision.pose.knee_outline`) it
#: gave FPPA errors of -3.1 to +3.4 deg on 17 of the 18 legs of the nine
#: rear/front clips filmed square to the runner, and +5.7 on one
#: (docs/accuracy.md). Not checked against marker data on real runners.
MEDIAPIPE_HIP_WIDENING = 0.15

#: MediaPipe's hip points sit in front of the hip joint centres in side
#: views, more than its shoulder points do: on the rendered runners with exact
#: truth the mid-hip reads 0.036-0.056 of leg length (thigh + shank) ahead of
#: the joint centres' midpoint (median over the clip) and the mid-shoulder
#: 0.006-0.020, so trunk lean read 1.2-5 deg backward (the bundled side
#: sample: -1.0 / -1.9 deg against +2.8 / +2.9). Trunk lean moves the mid-hip
#: back by this fraction of leg length (see :func:`trunk_lean_deg`), applied
#: with the other MediaPipe hip correction (``hip_widening`` non-zero). 0.035:
#: the fit clips need 0.03 (shared side_rfs) to 0.045 (the calibration grid's
#: male body at 30 and 60 fps, the sample); with it their trunk lean is within
#: -1.9..+0.5 deg of truth, and the female validate clips (c01, c11) within
#: +0.8..+2.0 (they need ~0.015-0.02: the offset depends on the body). Only
#: trunk lean: knee flexion, which also uses the hip point, did not improve
#: consistently with it (the knee point has its own offsets). Not checked
#: against marker data on real runners.
MEDIAPIPE_SIDE_HIP_FORWARD = 0.035

#: Contact times outside this range are not running steps (or are event errors).
CONTACT_TIME_RANGE_S = (0.10, 0.50)

#: A step or contact time further than this fraction from the median is a
#: misplaced event (on a steady treadmill run they vary little).
OUTLIER_FRACTION = 0.35

#: A step whose stance is mostly (above this fraction) built on interpolated
#: leg landmarks is excluded; above ``_LOW_INTERPOLATED`` it is low confidence.
MAX_INTERPOLATED_FRACTION = 0.5
_LOW_INTERPOLATED = 0.2

#: Stance window whose raw foot angle is the flat-foot reference (metrics.md §2.2).
_FLAT_WINDOW = (0.4, 0.55)

_LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot_index")


def _flat_foot_deg(raw_foot: FloatArray, steps: Sequence[Step], side: str) -> float:
    """Median raw foot angle over the 40-55 % part of the foot's stances."""
    mids = []
    for st in steps:
        if st.side == side and st.to_frame >= 0:
            n = st.to_frame - st.ic_frame
            a = st.ic_frame + int(round(_FLAT_WINDOW[0] * n))
            b = st.ic_frame + int(round(_FLAT_WINDOW[1] * n))
            mids.append(raw_foot[a : b + 1])
    vals = np.concatenate(mids) if mids else np.array([np.nan])
    return float(np.nanmedian(vals)) if np.isfinite(vals).any() else float("nan")


def _other_knee_lead(track: LandmarkTrack, side: str, direction: int) -> FloatArray:
    """How far (px) the other knee is ahead of this one along the running direction, per frame."""
    other = "right" if side == "left" else "left"
    lead = (track.landmark(f"{other}_knee")[:, 0] - track.landmark(f"{side}_knee")[:, 0]) * direction
    return np.asarray(lead, dtype=np.float64)


def _side_signals(track: LandmarkTrack, view: ViewEstimate, steps: Sequence[Step], *,
                  mediapipe_hips: bool) -> ClipSignals:
    direction = -1 if view.view == "side-left" else 1
    leg = leg_length_px(track, side=view.near_side or "left")
    hip_back = MEDIAPIPE_SIDE_HIP_FORWARD * leg if mediapipe_hips and np.isfinite(leg) else 0.0
    per_side: dict[str, dict[str, FloatArray]] = {}
    flat: dict[str, float] = {}
    for side in SIDES:
        raw = foot_angle_raw_deg(track, side=side, direction=direction)
        flat[side] = _flat_foot_deg(raw, steps, side)
        per_side[side] = {
            "raw_foot": raw, "foot": raw - flat[side], "flex": knee_flexion_deg(track, side=side),
            "shank": shank_angle_deg(track, side=side, direction=direction),
            "heel_hip": heel_to_hip_px(track, side=side, direction=direction),
            "other_knee_lead": _other_knee_lead(track, side, direction),
        }
    return ClipSignals(
        time_s=track.time_s, side_view=True, per_side=per_side,
        trunk=trunk_lean_deg(track, direction=direction, hip_back_px=hip_back), mid_hip_y=mid_hip(track)[:, 1],
        flat_foot_raw_deg=flat, leg_length_px=leg,
        near_side=view.near_side or "left",
    )


def _stance_confidence(conf: FloatArray, steps: Sequence[Step]) -> float:
    parts = [conf[s.ic_frame : s.to_frame + 1] for s in steps if s.to_frame >= 0]
    return float(np.nanmedian(np.concatenate(parts))) if parts else float("nan")


def _image_pelvis(
    pelvis: PelvisImageSeries, steps: Sequence[Step], time_s: FloatArray, info: dict[str, Any], *,
    cutoff_hz: float,
) -> tuple[float, FloatArray, FloatArray] | None:
    """Level, levelled line and drop signal of the image pelvis line, or None (use the hips)."""
    src, info["source_reason"] = pelvis_source(pelvis, steps)
    info["source"] = src
    out = None
    if src != "mediapipe_hips":
        level, info["level"] = drop_level_deg(pelvis, src)
        angle, conf = pelvis.angle_deg(src), pelvis.confidence(src)
        drop = pelvic_drop_signal(angle, conf, time_s, level_deg=level, cutoff_hz=cutoff_hz)
        info["stance_confidence"] = _stance_confidence(conf, steps)
        out = level, angle - level, drop
    if np.isfinite(pelvis.roll_deg):
        info["camera_roll_deg"] = round(float(pelvis.roll_deg), 2)
    return out


def _frontal_signals(
    track: LandmarkTrack, steps: Sequence[Step], *, hip_widening: float,
    pelvis: PelvisImageSeries | None, cutoff_hz: float,
) -> ClipSignals:
    hips_line = pelvis_line_deg(track)
    level = float(np.nanmedian(hips_line))
    line = hips_line - level
    info: dict[str, Any] = {"source": "mediapipe_hips"}
    image = None
    if pelvis is not None:
        image = _image_pelvis(pelvis, steps, track.time_s, info, cutoff_hz=cutoff_hz)
    if image is not None:
        level, img_line, drop = image
        line = np.where(np.isfinite(img_line), img_line, line)
    per_side: dict[str, dict[str, FloatArray]] = {}
    for side in SIDES:
        per_side[side] = {
            "fppa": knee_fppa_deg(track, side=side, hip_widening=hip_widening),
            "drop": (drop if side == "left" else -drop) if image is not None
            else pelvic_drop_deg(track, stance_side=side, level_deg=level),
            "hipadd": hip_adduction_deg(track, side=side, pelvis_line_deg=line, hip_widening=hip_widening),
        }
    return ClipSignals(time_s=track.time_s, side_view=False, per_side=per_side, pelvis_level_deg=level,
                       image_drop=image is not None, pelvis=info)


def clip_signals(
    track: LandmarkTrack,
    events: GaitEvents,
    view: ViewEstimate,
    *,
    hip_widening: float,
    pelvis: PelvisImageSeries | None = None,
    cutoff_hz: float = 15.0,
) -> ClipSignals:
    """The per-frame signals and calibrations of a clip.

    Parameters
    ----------
    track
        The cleaned track used for angles (low-passed; see FilterConfig).
    events
        Steps from :func:`gaitvision.events.detect_events`: they place the
        flat-foot window (side) and choose the pelvis source (rear/front).
    view
        The clip's view.
    hip_widening
        Passed to :func:`knee_fppa_deg` and :func:`hip_adduction_deg`; the
        pipeline uses :data:`MEDIAPIPE_HIP_WIDENING` for MediaPipe tracks.
        Non-zero also means MediaPipe hips in side views: trunk lean then
        corrects their forward offset (:data:`MEDIAPIPE_SIDE_HIP_FORWARD`);
        0 for tracks of true joint centres.
    pelvis
        The pelvis line measured in the image (rear/front views; see
        :mod:`gaitvision.pose.pelvis_image`). Pelvic drop and hip adduction
        then use the best source it has (PSIS markers, then the waistband
        line), corrected for camera roll; without it, or when neither is
        visible, MediaPipe's hip points relative to the clip's median hip
        line taken as level (low confidence: they follow the legs).
    cutoff_hz
        Low-pass applied to the image-based pelvis angle (as for angles).
    """
    if view.view.startswith("side"):
        return _side_signals(track, view, events.steps, mediapipe_hips=hip_widening != 0)
    return _frontal_signals(track, events.steps, hip_widening=hip_widening, pelvis=pelvis,
                            cutoff_hz=cutoff_hz)


def _geometry(track: LandmarkTrack, step: Step, frames: dict[str, int | None], *, side_view: bool,
              hip_widening: float) -> dict[str, list[float]]:
    """The points each drawn angle of a step was measured between."""
    side = step.side
    if side_view:
        ic = step.ic_frame
        geo = {part: track.landmark(f"{side}_{part}")[ic].tolist()
               for part in ("heel", "foot_index", "knee", "ankle")}
        geo["mid_hip"] = mid_hip(track)[ic].tolist()
        return geo
    f = frames.get("knee_fppa_peak_deg")
    if f is None:
        return {}
    hip = track.landmark(f"{side}_hip")[f]
    other = track.landmark(f"{'right' if side == 'left' else 'left'}_hip")[f]
    return {"hip": (hip + hip_widening * (hip - other)).tolist(),
            "knee": track.landmark(f"{side}_knee")[f].tolist(),
            "ankle": track.landmark(f"{side}_ankle")[f].tolist()}


def _interpolated_fraction(track: LandmarkTrack, step: Step) -> float:
    cols = [track.landmark_names.index(f"{step.side}_{p}") for p in _LEG_PARTS]
    stance = track.interpolated[step.ic_frame : step.to_frame + 1][:, cols]
    return float(stance.any(axis=1).mean())


def _timing_reasons(step: Step) -> list[str]:
    """Why a step's events cannot be used in time (set by the events stage, gaitvision.events.timing)."""
    return [step.untimed] if step.untimed else []


def _step_flags(ctx: StepContext, track: LandmarkTrack, values: dict[str, float | None],
                near: str | None) -> tuple[list[str], list[str]]:
    """Why a step is excluded, and why it is low confidence."""
    st, low = ctx.step, []
    reasons = _timing_reasons(st)
    if not ctx.has_to:
        reasons.append("no toe-off found")
    else:
        frac = _interpolated_fraction(track, st)
        if frac > MAX_INTERPOLATED_FRACTION:
            reasons.append(f"{frac:.0%} of stance frames interpolated")
        elif frac > _LOW_INTERPOLATED:
            low.append("interpolated")
    if ctx.signals.side_view:
        if st.side != near:
            low.append("far foot")
        ct = values.get("contact_time_s")
        lo, hi = CONTACT_TIME_RANGE_S
        if ct is not None and not lo <= ct <= hi:
            reasons.append(f"implausible contact time {ct:.2f} s (running: {lo:.2f}-{hi:.2f} s)")
        nxt = ctx.next_other
        if ctx.has_to and nxt is not None and nxt.ic_frame < st.to_frame:
            reasons.append("the other foot landed before this one left the belt")
    return reasons, low


def _int_or_none(v: int | None) -> int | None:
    return None if v is None else int(v)


def _measure_step(ctx: StepContext, track: LandmarkTrack, keys: tuple[str, ...], *,
                  near: str | None, hip_widening: float) -> StepRecord:
    st = ctx.step
    values: dict[str, float | None] = {}
    frames: dict[str, int | None] = {}
    for m in METRICS:
        if m.key in keys:
            values[m.key], frames[m.key] = m.read(ctx)
    reasons, low = _step_flags(ctx, track, values, near)
    if not reasons and all(values[k] is None for k in keys if k != "step_time_s"):
        reasons.append("landmarks missing")
    fsa = values.get("foot_strike_angle_deg")
    has_to = ctx.has_to
    return StepRecord(
        step=ctx.index + 1, side=st.side, ic_frame=int(st.ic_frame), ic_time_s=ctx.ic_time(),
        to_frame=int(st.to_frame) if has_to else None, to_time_s=ctx.to_time() if has_to else None,
        midstance_frame=int(st.midstance_frame) if st.midstance_frame >= 0 else None,
        ic_estimated=st.ic_estimated, values=values,
        read_frames={m.key: _int_or_none(frames[m.key]) for m in METRICS if m.peak_frame_column and m.key in keys},
        foot_strike_pattern=str(classify_strike(fsa)) if fsa is not None else None,
        confidence="low" if low else "high", low_confidence_reason=", ".join(low) if low else None,
        excluded_reason="; ".join(reasons),
        geometry=_geometry(track, st, frames, side_view=ctx.signals.side_view, hip_widening=hip_widening),
        ic_error_frames=finite_or_none(st.ic_error_frames),
        to_error_frames=finite_or_none(st.to_error_frames) if has_to else None,
    )


def _exclude_outlier_step_times(steps: list[StepRecord]) -> list[StepRecord]:
    """Blank step times far (over 35 %) from the median step time, with a reason."""
    st = np.array([s.values.get("step_time_s") if s.values.get("step_time_s") is not None else np.nan
                   for s in steps])
    if not np.isfinite(st).any():
        return steps
    med = np.nanmedian(st)
    out = []
    for s, v in zip(steps, st, strict=True):
        if np.isfinite(v) and abs(v - med) > OUTLIER_FRACTION * med:
            values = dict(s.values, step_time_s=None)
            if "flight_time_s" in values:  # it ends at the same misplaced contact
                values["flight_time_s"] = None
            why = "; ".join(x for x in (s.excluded_reason, f"step time {v:.2f} s far from median {med:.2f} s") if x)
            s = s.replace(values=values, excluded_reason=why)
        out.append(s)
    return out


def _exclude_outlier_contact_times(steps: list[StepRecord]) -> list[StepRecord]:
    """Exclude contact times far (over 35 %) from the median of the same foot.

    On a steady treadmill run one foot's contacts vary little; such an
    outlier is a misplaced event. On the shared real clip the far foot's
    toe-off read 4 frames early (0.135 s contact, frames 135-138; the toe is
    visibly on the belt until frame 142) where the near foot swings past it.
    """
    out = list(steps)
    for side in SIDES:
        mine = [i for i, s in enumerate(out) if s.side == side and s.used
                and s.values.get("contact_time_s") is not None]
        if len(mine) < 3:
            continue
        med = float(np.median([out[i].values["contact_time_s"] for i in mine]))
        for i in mine:
            v = out[i].values["contact_time_s"]
            assert v is not None
            if abs(v - med) > OUTLIER_FRACTION * med:
                why = f"contact time {v:.2f} s far from this foot's median {med:.2f} s"
                out[i] = out[i].replace(excluded_reason=why)
    return out


def measure_steps(
    track: LandmarkTrack,
    steps: Sequence[Step],
    view: ViewEstimate,
    signals: ClipSignals,
    *,
    hip_widening: float,
) -> StepTable:
    """Measure every step of a clip.

    Parameters
    ----------
    track
        The cleaned track used for angles (its points go into each step's
        drawing geometry).
    steps
        The steps (automatic or corrected events), in time order.
    view
        The clip's view.
    signals
        From :func:`clip_signals` on the automatic events: the clip's
        calibrations do not move when a PT corrects one step.
    hip_widening
        As for :func:`clip_signals` (drawing geometry of the FPPA hip).
    """
    keys = keys_for_view(view.view)
    records = [
        _measure_step(StepContext(signals, steps, i), track, keys, near=view.near_side or "left",
                      hip_widening=hip_widening)
        for i in range(len(steps))
    ]
    records = _exclude_outlier_step_times(records)
    if signals.side_view:
        records = _exclude_outlier_contact_times(records)
    frame_cols = tuple(m.key for m in METRICS if m.peak_frame_column and m.key in keys)
    return StepTable(
        steps=tuple(records), metric_keys=keys, frame_columns=frame_cols,
        flat_foot_raw_deg=dict(signals.flat_foot_raw_deg), pelvis_level_deg=signals.pelvis_level_deg,
        leg_length_px=signals.leg_length_px, pelvis=dict(signals.pelvis),
    )
