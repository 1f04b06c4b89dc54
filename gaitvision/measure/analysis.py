"""From a cleaned track and its events to per-step values and a summary.

Pure functions: no file I/O, no drawing. :mod:`gaitvision.processing`
calls :func:`measure_steps` then :func:`summarize`.

Definitions, signs and sources follow ``../shared/design/metrics.md``;
where this module deviates, the docstring says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaitvision.errors import InsufficientDataError
from gaitvision.events.detect import GaitEvents, Step
from gaitvision.measure.metrics.foot import STRIKE_THRESHOLDS_DEG, classify_strike, foot_angle_raw_deg
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
from gaitvision.measure.metrics.temporal import stride_period_fit_s
from gaitvision.measure.pelvis_drop import drop_level_deg, pelvic_drop_peaks, pelvis_source
from gaitvision.measure.references import REFERENCES
from gaitvision.pose.pelvis_image import PelvisImageSeries
from gaitvision.pose.view import ViewEstimate
from gaitvision.track import LandmarkTrack

__all__ = [
    "FRONTAL_METRICS",
    "MEDIAPIPE_HIP_WIDENING",
    "SIDE_METRICS",
    "StepTable",
    "measure_steps",
    "summarize",
]

SIDE_METRICS = (
    "foot_strike_angle_deg", "knee_flexion_ic_deg", "knee_flexion_peak_stance_deg",
    "shank_angle_ic_deg", "heel_to_hip_ic_pct_leg", "trunk_lean_deg",
    "vertical_oscillation_pct_leg", "contact_time_s", "flight_time_s", "duty_factor",
)
FRONTAL_METRICS = (
    "knee_fppa_peak_deg", "pelvic_drop_peak_deg", "hip_adduction_peak_deg", "step_width_pct_hip",
)
ALL_VIEW_METRICS = ("step_time_s",)

#: unit and plane of each summarised metric
UNITS: dict[str, tuple[str, str]] = {
    **{k: ("deg", "sagittal") for k in SIDE_METRICS},
    "heel_to_hip_ic_pct_leg": ("% leg length", "sagittal"),
    "vertical_oscillation_pct_leg": ("% leg length", "sagittal"),
    "contact_time_s": ("s", "temporal"),
    "flight_time_s": ("s", "temporal"),
    "duty_factor": ("fraction of stride", "temporal"),
    **{k: ("deg", "frontal") for k in FRONTAL_METRICS},
    "step_width_pct_hip": ("% hip width", "frontal"),
    "step_time_s": ("s", "temporal"),
}

#: Metrics that need >= 60 fps to be trusted (metrics.md: contact time,
#: flight time and strike angle need >= 60, preferably >= 120 fps).
NEEDS_60_FPS = frozenset({"foot_strike_angle_deg", "contact_time_s", "flight_time_s", "duty_factor"})
#: Metrics of one foot (the far foot in a side view makes them low confidence).
FOOT_METRICS = frozenset(SIDE_METRICS) - {"trunk_lean_deg", "vertical_oscillation_pct_leg"}

#: MediaPipe's hip points sit medial of the hip joint centres in rear and
#: front views. Measured on the ten frontal renders of the synthetic bench
#: (exact truth, two bodies): the hip joint centres are 1.29x (first body,
#: 1.285-1.32 over seven clips and three camera placements) and 1.37x
#: (second body) as far apart as MediaPipe's hips. Each hip point is moved
#: out by (1.29 - 1)/2 = 0.15 of the hip-to-hip distance, which restores the
#: joint centres' spacing on the first body (the second keeps ~3 px a side).
#: This is a calibration of the landmarks, not a fit of the FPPA: with the
#: knee taken from the leg's outline (:mod:`gaitvision.knee_outline`) it gave
#: FPPA errors of -3.1 to +3.4 deg on 17 of the 18 legs of the nine rear/front
#: clips filmed square to the runner, and +5.7 on one (docs/accuracy.md). Not
#: checked against marker data on real runners.
MEDIAPIPE_HIP_WIDENING = 0.15

#: Largest accepted gap between the contacts' cadence and the autocorrelation
#: rhythm's. Cadence should be within 1 % (metrics.md goal); on the clips with
#: truth the two agreed within 0.65 % when the contacts were right (real side
#: clip 169.2 vs 168.1, truth 168.9) and differed by 1.0 % when the pose
#: model's leg exchanges misplaced contacts (rendered sample, truth 164.0).
RHYTHM_TOLERANCE = 0.008

#: Why ``step_width_pct_hip`` is listed as not measurable. metrics.md defines
#: it as the heels' mediolateral distance at successive contacts over the hip
#: width. On the rendered rear clips with exact truth (bench/accuracy.py) the
#: MediaPipe heels read +38 to +46 points of hip width too wide on every
#: rear clip (truth ~32 %), because the two errors add up: MediaPipe's heel
#: points sit up to 7 px lateral of the heel on one rendered body and
#: medial on the other, and its hips are ~23 % closer together than the hip
#: joints. An 8 cm step width is ~25 px at a typical framing, the size of
#: those errors, so no number is reported rather than a wrong one.
STEP_WIDTH_REASON = ("not measured: the pose model's heel and hip points are off by about as much "
                     "as the step width itself (rendered runners with exact truth read it 2.4x too "
                     "wide)")

#: Contact times outside this range are not running steps (or are event errors).
CONTACT_TIME_RANGE_S = (0.10, 0.50)


@dataclass
class StepTable:
    """Per-step results: one dict per step, in time order, plus clip facts."""

    rows: list[dict[str, Any]]
    metric_keys: tuple[str, ...]
    flat_foot_raw_deg: dict[str, float] = field(default_factory=dict)
    pelvis_level_deg: float = float("nan")
    leg_length_px: float = float("nan")
    #: Per row, the points (pixels of the track) each drawn angle was
    #: measured between, so renderers draw exactly what was measured.
    geometry: list[dict[str, list[float]]] = field(default_factory=list)
    #: Where pelvic drop came from: ``source`` (markers, waistband or
    #: mediapipe_hips), why, the level used and the camera roll.
    pelvis: dict[str, Any] = field(default_factory=lambda: {"source": "mediapipe_hips"})


def _num(v: float) -> float | None:
    """A finite float, or None (never a silent NaN in the outputs)."""
    return float(v) if v is not None and math.isfinite(v) else None


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _ic_time(step: Step, time_s: np.ndarray) -> float:
    return step.ic_time_s if math.isfinite(step.ic_time_s) else float(time_s[step.ic_frame])


def _to_time(step: Step, time_s: np.ndarray) -> float:
    return step.to_time_s if math.isfinite(step.to_time_s) else float(time_s[step.to_frame])


def _peak(signal: np.ndarray, start: int, stop: int) -> tuple[float | None, int | None]:
    """Maximum of ``signal[start:stop + 1]`` and its frame."""
    seg = signal[start : stop + 1]
    if stop < start or not np.isfinite(seg).any():
        return None, None
    k = int(np.nanargmax(seg))
    return float(seg[k]), start + k


def measure_steps(
    track: LandmarkTrack,
    events: GaitEvents,
    view: ViewEstimate,
    *,
    max_interpolated_fraction: float = 0.5,
    hip_widening: float = 0.0,
    pelvis: PelvisImageSeries | None = None,
    cutoff_hz: float = 15.0,
) -> StepTable:
    """Measure every step of a clip.

    Parameters
    ----------
    track
        The cleaned track used for angles (low-passed; see FilterConfig).
    events
        Steps from :func:`gaitvision.events.detect_events`.
    view
        The clip's view.
    max_interpolated_fraction
        A step whose stance is mostly (above this fraction) built on
        interpolated leg landmarks is excluded.
    hip_widening
        Passed to :func:`knee_fppa_deg` and :func:`hip_adduction_deg`; the
        pipeline uses :data:`MEDIAPIPE_HIP_WIDENING` for MediaPipe tracks.
    pelvis
        The pelvis line measured in the image (rear/front views; see
        :mod:`gaitvision.pelvis_image`). Pelvic drop and hip adduction then
        use the best source it has (PSIS markers, then the waistband line),
        corrected for camera roll; without it, or when neither is visible,
        MediaPipe's hip points.
    cutoff_hz
        Low-pass applied to the image-based pelvis angle (as for angles).

    Notes
    -----
    - Angles at initial contact are read at the IC frame (the frame of the
      event, the ``at_frame`` truths of the synthetic bench). Event *times*
      (and so contact, flight and step times) are sub-frame estimates where
      the detector gives one (side views), which matters at 30 fps.
    - Foot-strike angle: the raw heel->toe angle at IC minus that foot's
      flat-foot angle, the median raw angle over the 40-55 % part of its
      stances across the clip (metrics.md §2.2, with midstance standing in
      for the standing trial, which clips rarely contain).
    - Peaks (knee flexion in stance, FPPA, pelvic drop, hip adduction) are
      maxima over the stance frames [IC, TO].
    - Leg length, for the %-of-leg metrics, is the near leg's median thigh
      plus shank length (no standing trial needed).
    - Vertical oscillation: mid-hip highest-to-lowest image travel from this
      contact to the next contact of either foot.
    - Step width (rear/front) is not measured: see :data:`STEP_WIDTH_REASON`.
    - Pelvic drop from MediaPipe's hip points, relative to the clip's median
      hip line taken as level; flagged low confidence because those points
      follow the legs, not the pelvis.
    """
    t = track.time_s
    side_view = view.view.startswith("side")
    direction = -1 if view.view == "side-left" else 1
    keys = (SIDE_METRICS if side_view else FRONTAL_METRICS) + ALL_VIEW_METRICS
    steps = events.steps
    near = view.near_side or "left"
    leg = leg_length_px(track, side=near) if side_view else float("nan")
    sig: dict[str, dict[str, np.ndarray]] = {"left": {}, "right": {}}
    flat: dict[str, float] = {}
    level = float("nan")
    mh_y = mid_hip(track)[:, 1]
    pelvis_info: dict[str, Any] = {"source": "mediapipe_hips"}
    image_drops: list[dict[str, Any]] | None = None
    if side_view:
        trunk = trunk_lean_deg(track, direction=direction)
        for side in ("left", "right"):
            s = sig[side]
            s["raw_foot"] = foot_angle_raw_deg(track, side=side, direction=direction)
            s["flex"] = knee_flexion_deg(track, side=side)
            s["shank"] = shank_angle_deg(track, side=side, direction=direction)
            s["heel_hip"] = heel_to_hip_px(track, side=side, direction=direction)
            mids = []
            for st in steps:
                if st.side == side and st.to_frame >= 0:
                    n = st.to_frame - st.ic_frame
                    a = st.ic_frame + int(round(0.4 * n))
                    b = st.ic_frame + int(round(0.55 * n))
                    mids.append(s["raw_foot"][a : b + 1])
            vals = np.concatenate(mids) if mids else np.array([np.nan])
            flat[side] = float(np.nanmedian(vals)) if np.isfinite(vals).any() else float("nan")
    else:
        level = float(np.nanmedian(pelvis_line_deg(track)))
        line = pelvis_line_deg(track) - level
        if pelvis is not None:
            pelvis_src, pelvis_info["source_reason"] = pelvis_source(pelvis, steps)
            pelvis_info["source"] = pelvis_src
            if pelvis_src != "mediapipe_hips":
                level, pelvis_info["level"] = drop_level_deg(pelvis, pelvis_src)
                img_line = pelvis.angle_deg(pelvis_src) - level
                image_drops = pelvic_drop_peaks(
                    pelvis.angle_deg(pelvis_src), pelvis.confidence(pelvis_src), t, steps,
                    level_deg=level, cutoff_hz=cutoff_hz,
                )
                conf = pelvis.confidence(pelvis_src)
                pelvis_info["stance_confidence"] = float(np.nanmedian(
                    np.concatenate([conf[s_.ic_frame : s_.to_frame + 1] for s_ in steps if s_.to_frame >= 0])
                )) if steps else float("nan")
                line = np.where(np.isfinite(img_line), img_line, line)
            if np.isfinite(pelvis.roll_deg):
                pelvis_info["camera_roll_deg"] = round(float(pelvis.roll_deg), 2)
        for side in ("left", "right"):
            s = sig[side]
            s["fppa"] = knee_fppa_deg(track, side=side, hip_widening=hip_widening)
            s["drop"] = pelvic_drop_deg(track, stance_side=side, level_deg=level)
            s["hipadd"] = hip_adduction_deg(track, side=side, pelvis_line_deg=line, hip_widening=hip_widening)

    leg_cols = {
        side: [track.landmark_names.index(f"{side}_{p}") for p in ("hip", "knee", "ankle", "heel", "foot_index")]
        for side in ("left", "right")
    }
    rows: list[dict[str, Any]] = []
    geometry: list[dict[str, list[float]]] = []
    for i, st in enumerate(steps):
        s = sig[st.side]
        geo: dict[str, list[float]] = {}
        has_to = st.to_frame >= 0
        row: dict[str, Any] = {
            "step": i + 1,
            "side": st.side,
            "ic_time_s": _ic_time(st, t),
            "ic_frame": st.ic_frame,
            "to_time_s": _to_time(st, t) if has_to else None,
            "to_frame": st.to_frame if has_to else None,
            "contact_time_s": None,
            "step_time_s": None,
            "confidence": "high",
            "midstance_frame": st.midstance_frame if st.midstance_frame >= 0 else None,
            "ic_estimated": st.ic_estimated,
        }
        reasons: list[str] = []
        low: list[str] = []
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        nxt_same = next((x for x in steps[i + 1 :] if x.side == st.side), None)
        if nxt is not None and nxt.side != st.side:
            if side_view:
                row["step_time_s"] = _ic_time(nxt, t) - _ic_time(st, t)
            elif st.midstance_frame >= 0 and nxt.midstance_frame >= 0:
                row["step_time_s"] = float(t[nxt.midstance_frame] - t[st.midstance_frame])
        if not has_to:
            reasons.append("no toe-off found")
        else:
            frac = float(track.interpolated[st.ic_frame : st.to_frame + 1][:, leg_cols[st.side]].any(axis=1).mean())
            if frac > max_interpolated_fraction:
                reasons.append(f"{frac:.0%} of stance frames interpolated")
            elif frac > 0.2:
                low.append("interpolated")
        if side_view:
            if st.side != near:
                low.append("far foot")
            ic = st.ic_frame
            fsa = s["raw_foot"][ic] - flat[st.side]
            row["foot_strike_angle_deg"] = _num(fsa)
            row["foot_strike_pattern"] = str(classify_strike(fsa)) if math.isfinite(fsa) else None
            row["knee_flexion_ic_deg"] = _num(s["flex"][ic])
            row["shank_angle_ic_deg"] = _num(s["shank"][ic])
            row["heel_to_hip_ic_pct_leg"] = _num(100 * s["heel_hip"][ic] / leg)
            for part in ("heel", "foot_index", "knee", "ankle"):
                geo[part] = track.landmark(f"{st.side}_{part}")[ic].tolist()
            geo["mid_hip"] = mid_hip(track)[ic].tolist()
            if has_to:
                ct = _to_time(st, t) - _ic_time(st, t)
                row["contact_time_s"] = ct
                lo, hi = CONTACT_TIME_RANGE_S
                if not lo <= ct <= hi:
                    reasons.append(f"implausible contact time {ct:.2f} s (running: {lo:.2f}-{hi:.2f} s)")
                row["knee_flexion_peak_stance_deg"], _ = _peak(s["flex"], ic, st.to_frame)
                row["trunk_lean_deg"] = _num(float(np.nanmean(trunk[ic : st.to_frame + 1])))
                if nxt is not None and nxt.side != st.side:
                    row["flight_time_s"] = _ic_time(nxt, t) - _to_time(st, t)
                    if nxt.ic_frame < st.to_frame:
                        reasons.append("the other foot landed before this one left the belt")
                if nxt_same is not None:
                    stride = _ic_time(nxt_same, t) - _ic_time(st, t)
                    row["duty_factor"] = ct / stride if stride > 0 else None
            if nxt is not None:
                seg = mh_y[ic : nxt.ic_frame + 1]
                if np.isfinite(seg).sum() >= 3:
                    row["vertical_oscillation_pct_leg"] = _num(100 * (np.nanmax(seg) - np.nanmin(seg)) / leg)
        elif has_to:
            a, b = st.ic_frame, st.to_frame
            row["knee_fppa_peak_deg"], f = _peak(s["fppa"], a, b)
            row["knee_fppa_peak_frame"] = f
            if f is not None:
                hip = track.landmark(f"{st.side}_hip")[f]
                other = track.landmark(f"{_other(st.side)}_hip")[f]
                geo["hip"] = (hip + hip_widening * (hip - other)).tolist()
                geo["knee"] = track.landmark(f"{st.side}_knee")[f].tolist()
                geo["ankle"] = track.landmark(f"{st.side}_ankle")[f].tolist()
            if image_drops is not None:
                d = image_drops[i]
                row["pelvic_drop_peak_deg"] = _num(d["pelvic_drop_peak_deg"]) if d["pelvic_drop_peak_deg"] is not None else None
                row["pelvic_drop_peak_frame"] = d["pelvic_drop_peak_frame"]
            else:
                row["pelvic_drop_peak_deg"], row["pelvic_drop_peak_frame"] = _peak(s["drop"], a, b)
            row["hip_adduction_peak_deg"], _ = _peak(s["hipadd"], a, b)
        for key in keys:
            row.setdefault(key, None)
        if not reasons and all(row.get(k) is None for k in keys if k != "step_time_s"):
            reasons.append("landmarks missing")
        if low:
            row["confidence"] = "low"
            row["low_confidence_reason"] = ", ".join(low)
        row["excluded_reason"] = "; ".join(reasons)
        rows.append(row)
        geometry.append(geo)
    _exclude_outlier_step_times(rows)
    if side_view:
        _exclude_outlier_contact_times(rows)
    extra = (
        ("foot_strike_pattern",) if side_view else ("knee_fppa_peak_frame", "pelvic_drop_peak_frame")
    ) + ("low_confidence_reason",)
    for r in rows:
        for k in extra:
            r.setdefault(k, None)
    return StepTable(rows, keys, flat, level, leg, geometry, pelvis_info)


def _exclude_outlier_step_times(rows: list[dict[str, Any]]) -> None:
    """Drop step times far (over 35 %) from the median step time."""
    st = np.array([r["step_time_s"] if r["step_time_s"] is not None else np.nan for r in rows])
    if not np.isfinite(st).any():
        return
    med = np.nanmedian(st)
    for r, v in zip(rows, st):
        if np.isfinite(v) and abs(v - med) > 0.35 * med:
            r["step_time_s"] = None
            if "flight_time_s" in r:  # it ends at the same misplaced contact
                r["flight_time_s"] = None
            r["excluded_reason"] = "; ".join(
                x for x in (r["excluded_reason"], f"step time {v:.2f} s far from median {med:.2f} s") if x
            )


def _exclude_outlier_contact_times(rows: list[dict[str, Any]]) -> None:
    """Drop contact times far (over 35 %) from the median of the same foot.

    On a steady treadmill run one foot's contacts vary little; such an
    outlier is a misplaced event. On the shared real clip the far foot's
    toe-off read 4 frames early (0.135 s contact, frames 135-138; the toe is
    visibly on the belt until frame 142) where the near foot swings past it.
    """
    for side in ("left", "right"):
        mine = [r for r in rows if r["side"] == side and not r["excluded_reason"]
                and r.get("contact_time_s") is not None]
        if len(mine) < 3:
            continue
        med = float(np.median([r["contact_time_s"] for r in mine]))
        for r in mine:
            v = r["contact_time_s"]
            if abs(v - med) > 0.35 * med:
                r["excluded_reason"] = f"contact time {v:.2f} s far from this foot's median {med:.2f} s"


def _stats(values: list[float]) -> tuple[float, float]:
    q1, med, q3 = np.percentile(np.asarray(values, dtype=np.float64), [25, 50, 75])
    return float(med), float(q3 - q1)


def _round(key: str, v: float) -> float:
    return round(v, 3) if UNITS[key][0] in ("s", "fraction of stride") else round(v, 2)


def summarize(
    table: StepTable,
    view: ViewEstimate,
    *,
    fps: float,
    min_steps: int = 3,
    rhythm_period_s: float = float("nan"),
) -> dict[str, Any]:
    """Clip-level summary in the ``summary.json`` layout (outputs.md).

    Cadence is 120 / stride period, the period fitted by least squares to
    each foot's contact times (:func:`stride_period_fit_s`) and averaged
    over the feet; in a side view the near foot's value is used instead
    when the two disagree by more than 2 % (metrics.md: cross-check against
    the near foot). Last, the result is checked against ``rhythm_period_s``,
    the stride period of the whole signal by autocorrelation (no events
    involved): if they differ by more than :data:`RHYTHM_TOLERANCE`, some contacts were misplaced
    (e.g. legs exchanged by the pose model), and the rhythm's cadence is
    reported with a warning.

    Per side: median, IQR and number of the included steps, with a
    confidence (``low`` for the far foot of a side view, for fewer than 7
    steps (metrics.md: average at least 7), for strike angle and contact
    timing below 60 fps, and for pelvic drop from MediaPipe's hips). A
    metric with fewer than ``min_steps`` values on both sides goes to
    ``not_measurable`` with the reason.

    Raises
    ------
    InsufficientDataError
        If either side has fewer than ``min_steps`` usable steps.
    """
    rows = [r for r in table.rows if not r["excluded_reason"]]
    used = {s: sum(1 for r in rows if r["side"] == s) for s in ("left", "right")}
    if min(used.values()) < min_steps:
        detected = {s: sum(1 for r in table.rows if r["side"] == s) for s in ("left", "right")}
        raise InsufficientDataError(
            f"Only {used['left']} left and {used['right']} right usable steps "
            f"({detected['left']} and {detected['right']} detected); at least {min_steps} per side "
            "are needed. Record at least 10 s of steady running with the whole body in view."
        )
    warnings: list[str] = []
    metrics: dict[str, Any] = {}
    not_measurable: dict[str, str] = {}
    side_view = view.view.startswith("side")
    src = table.pelvis.get("source", "mediapipe_hips")
    # MediaPipe's hips do not follow the pelvis; a faint waistband is unsure too
    pelvis_low = src == "mediapipe_hips" or (
        src == "waistband" and not table.pelvis.get("stance_confidence", 0.0) >= 0.7
    )
    far = None
    if side_view:
        far = "right" if view.near_side == "left" else "left"
    for key in table.metric_keys:
        unit, plane = UNITS[key]
        entry: dict[str, Any] = {"unit": unit, "view": plane}
        for side in ("left", "right"):
            side_rows = [r for r in rows if r["side"] == side and r.get(key) is not None]
            if len(side_rows) < min_steps:
                continue
            vals = [r[key] for r in side_rows]
            med, iqr = _stats(vals)
            interpolated = sum(1 for r in side_rows if "interpolated" in (r["low_confidence_reason"] or ""))
            low = (
                len(vals) < 7
                or (key in NEEDS_60_FPS and fps < 59)
                or (key == "pelvic_drop_peak_deg" and pelvis_low)
                or (key in FOOT_METRICS and side == far)
                or interpolated > len(vals) / 2
            )
            conf = "low" if low else "high"
            entry[side] = {"median": _round(key, med), "iqr": _round(key, iqr), "n": len(vals), "confidence": conf}
        if key == "step_width_pct_hip" and not side_view:
            not_measurable[key] = STEP_WIDTH_REASON
            continue
        if "left" not in entry and "right" not in entry:
            not_measurable[key] = f"fewer than {min_steps} steps with a value on either side"
            continue
        if "left" in entry and "right" in entry:
            a, b = entry["left"]["median"], entry["right"]["median"]
            denom = max(abs(a), abs(b))
            entry["asymmetry_pct"] = round(100 * abs(a - b) / denom, 1) if denom > 0 else 0.0
        if key == "pelvic_drop_peak_deg":
            entry.update({k: v for k, v in table.pelvis.items() if k != "stance_confidence"})
        entry["reference"] = REFERENCES[key]
        metrics[key] = entry
    if side_view:
        for key in FRONTAL_METRICS:
            not_measurable[key] = "needs a rear or front view"
        if "foot_strike_angle_deg" in metrics:
            pat: dict[str, Any] = {}
            for side in ("left", "right"):
                if side not in metrics["foot_strike_angle_deg"]:
                    continue
                pats = [r["foot_strike_pattern"] for r in rows if r["side"] == side and r["foot_strike_pattern"]]
                counts = {p: pats.count(p) for p in ("rearfoot", "midfoot", "forefoot")}
                pat[side] = {**counts, "pattern": max(counts, key=lambda p: counts[p]),
                             "confidence": metrics["foot_strike_angle_deg"][side]["confidence"]}
            pat["thresholds_deg"] = dict(STRIKE_THRESHOLDS_DEG)
            pat["reference"] = REFERENCES["foot_strike_pattern"]
            metrics["foot_strike_pattern"] = pat
        else:
            not_measurable["foot_strike_pattern"] = "foot-strike angle not measurable"
        if fps < 59:
            warnings.append(
                f"Clip is {fps:.0f} fps: contact time, flight time, duty factor and strike angle are "
                "approximate (need >= 60 fps, ideally >= 120 fps)."
            )
        warnings.append(
            f"The {far} foot is the far foot in this side view: its values are low confidence "
            "(partly hidden). Film the other side to measure it well."
        )
    else:
        for key in SIDE_METRICS + ("foot_strike_pattern",):
            not_measurable[key] = "needs a side view"
        if "pelvic_drop_peak_deg" in metrics and src == "mediapipe_hips":
            why = table.pelvis.get("source_reason")
            warnings.append(
                "Pelvic drop is read from the pose model's hip points, which follow the legs more "
                "than the pelvis: treat it as a rough indicator (low confidence)."
                + (f" {why}" if why else "")
                + " Stick two green dots on the back of the pelvis (PSIS), or wear a shirt that "
                "ends above shorts of a different colour, to measure it from the image."
            )
        elif src == "waistband":
            warnings.append(
                "Pelvic drop is read from the waistband line; on rendered runners it read about 80% "
                "of the true drop. PSIS markers are more accurate."
            )
    hint = rhythm_period_s if math.isfinite(rhythm_period_s) and rhythm_period_s > 0 else None
    periods = {
        side: stride_period_fit_s([r["ic_time_s"] for r in rows if r["side"] == side], approx_period_s=hint)
        for side in ("left", "right")
    }
    valid = [p for p in periods.values() if math.isfinite(p)]
    cad = 120.0 / float(np.mean(valid)) if valid else float("nan")
    cadence_source = "both feet"
    if side_view and view.near_side is not None and math.isfinite(periods[view.near_side]):
        near_cad = 120.0 / periods[view.near_side]
        if not math.isfinite(cad) or abs(cad - near_cad) > 0.02 * near_cad:
            warnings.append(
                f"Cadence from both feet ({cad:.1f}) and from the near foot alone ({near_cad:.1f}) "
                "disagree by more than 2%; the near foot's value is reported (far-foot events "
                "are less reliable)."
            )
            cad, cadence_source = near_cad, "near foot"
    if math.isfinite(rhythm_period_s) and rhythm_period_s > 0:
        rhythm = 120.0 / rhythm_period_s
        if not math.isfinite(cad) or abs(cad - rhythm) > RHYTHM_TOLERANCE * rhythm:
            warnings.append(
                f"Cadence from the contacts ({cad:.1f}) and from the running rhythm ({rhythm:.1f}) "
                f"disagree by more than {RHYTHM_TOLERANCE:.1%}: some contacts are misplaced, so the rhythm's value is "
                "reported. Check the per-step times."
            )
            cad, cadence_source = rhythm, "running rhythm (autocorrelation)"
    return {
        "view": view.view,
        "runner_facing": view.facing,
        "steps_detected": {s: sum(1 for r in table.rows if r["side"] == s) for s in ("left", "right")},
        "steps_used": used,
        "cadence_spm": round(cad, 1) if math.isfinite(cad) else None,
        "cadence": {"source": cadence_source, "reference": REFERENCES["cadence_spm"]},
        "metrics": metrics,
        "not_measurable": not_measurable,
        "warnings": warnings,
    }
