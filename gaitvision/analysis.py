"""From a cleaned track and its events to per-step values and a summary.

Pure functions: no file I/O, no drawing. :mod:`gaitvision.pipeline`
calls :func:`measure_steps` then :func:`summarize`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .events import GaitEvents, Step
from .metrics.foot import STRIKE_THRESHOLDS_DEG, classify_strike, foot_angle_raw_deg
from .metrics.knee import knee_flexion_deg, knee_fppa_deg
from .metrics.pelvis import pelvic_drop_deg, pelvis_line_deg
from .metrics.temporal import cadence_spm
from .track import LandmarkTrack
from .view import ViewEstimate

__all__ = ["REFERENCES", "StepTable", "measure_steps", "summarize"]

SIDE_METRICS = ("foot_strike_angle_deg", "knee_flexion_ic_deg")
FRONTAL_METRICS = ("knee_fppa_peak_deg", "pelvic_drop_peak_deg")

#: Reference text and source per metric, from ../shared/design/metrics.md.
REFERENCES: dict[str, dict[str, str]] = {
    "cadence_spm": {
        "text": "No universal target (the '180 steps/min' figure is folklore). Raising cadence "
        "5-10% above the runner's own baseline at the same speed lowers knee energy "
        "absorption.",
        "source": "Heiderscheit et al. 2011, Med Sci Sports Exerc 43(2):296-302",
    },
    "foot_strike_angle_deg": {
        "text": "Rearfoot strike above 7.4 deg, forefoot below -0.8 deg, midfoot between. "
        "Rearfoot striking is the norm (71-94% of recreational runners); no cut-off makes an "
        "angle abnormal.",
        "source": "Mo, Huang, Ng & Cheung 2021, Res Sports Med; Souza 2016, Phys Med Rehabil "
        "Clin N Am 27(1):217-236",
    },
    "knee_flexion_ic_deg": {
        "text": "About 21 deg at foot strike in 3D studies of level running (weak source); "
        "injured runners landed with a more extended knee. No established 2D norm.",
        "source": "Bramah et al. 2018, Am J Sports Med 46(12):3023-3031",
    },
    "knee_fppa_peak_deg": {
        "text": "No established norm for running. A 2D indicator of knee collapse (hip "
        "adduction and rotation), not a knee abduction angle. Single-leg squat, female: "
        "controls 8.4 +/- 5.1 deg, patellofemoral pain 16.8 +/- 5.4 deg.",
        "source": "Dingenen et al. (2D vs 3D running); Munro, Herrington & Carolan 2012, "
        "J Sport Rehabil 21(1):7-11",
    },
    "pelvic_drop_peak_deg": {
        "text": "No established 2D norm. Each extra degree of (3D) contralateral pelvic drop "
        "raised the odds of being an injured runner by 80%; +10% cadence reduced it by about "
        "3 deg.",
        "source": "Bramah et al. 2018, Am J Sports Med 46(12):3023-3031; Bramah et al. 2019, "
        "Am J Sports Med 47(14):3406-3413",
    },
}

#: MediaPipe's hip points sit medial of the hip joint centres in rear views:
#: on both rendered rear clips of the synthetic bench (exact truth) by
#: 10-12 px on each side (about 18 % of their 60 px separation), which made
#: the knee FPPA read 1.5-4 deg low. Its knee and ankle points carry smaller
#: biases the other way, so moving each hip point out by half that (9 % of
#: the hip-to-hip distance) brought all four legs of the two rear clips
#: within 1 deg of the truth (valgus clip L/R -0.5/-0.9 deg, neutral clip
#: +0.9/-0.8 deg). A correction of the pose model's placement fitted on
#: rendered bodies; not yet checked against marker data on real runners.
MEDIAPIPE_HIP_WIDENING = 0.09

_UNITS = {
    "foot_strike_angle_deg": ("deg", "sagittal"),
    "knee_flexion_ic_deg": ("deg", "sagittal"),
    "knee_fppa_peak_deg": ("deg", "frontal"),
    "pelvic_drop_peak_deg": ("deg", "frontal"),
}


@dataclass
class StepTable:
    """Per-step results: one dict per step, in time order, plus clip facts."""

    rows: list[dict[str, Any]]
    metric_keys: tuple[str, ...]
    flat_foot_raw_deg: dict[str, float] = field(default_factory=dict)
    pelvis_level_deg: float = float("nan")
    #: Per row, the points (pixels of the track) each drawn angle was
    #: measured between, so renderers draw exactly what was measured.
    geometry: list[dict[str, list[float]]] = field(default_factory=list)


def _nan_to_none(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _stance_slice(step: Step) -> slice:
    return slice(step.ic_frame, step.to_frame + 1)


def measure_steps(
    track: LandmarkTrack,
    events: GaitEvents,
    view: ViewEstimate,
    *,
    max_interpolated_fraction: float = 0.5,
    hip_widening: float = 0.0,
) -> StepTable:
    """Measure every step of a clip.

    Parameters
    ----------
    track
        The cleaned track used for angles (low-passed ~8 Hz).
    events
        Steps from :func:`gaitvision.events.detect_events`.
    view
        The clip's view.
    max_interpolated_fraction
        A step whose stance is mostly (above this fraction) built on
        interpolated leg landmarks is excluded.
    hip_widening
        Passed to :func:`knee_fppa_deg`; the pipeline uses
        :data:`MEDIAPIPE_HIP_WIDENING` for MediaPipe tracks, exact tracks 0.

    Notes
    -----
    - Foot-strike angle: the raw heel->toe angle at the IC frame minus that
      foot's flat-foot angle, the median raw angle over the 40-55 % part of
      its stances across the clip (metrics.md §2.2; no standing trial is
      needed). Read at the first contact frame, so it matches the
      ``at_frame`` truths of the synthetic bench.
    - Knee FPPA and pelvic drop: peaks over the stance frames.
    - Pelvic drop here comes from MediaPipe's hip landmarks relative to
      the clip's median hip line (taken as level); it is flagged low
      confidence because those landmarks follow the legs, not the pelvis.
    """
    t = track.time_s
    side_view = view.view.startswith("side")
    direction = -1 if view.view == "side-left" else 1
    keys = SIDE_METRICS if side_view else FRONTAL_METRICS
    steps = events.steps
    flat: dict[str, float] = {}
    raw_angle: dict[str, np.ndarray] = {}
    flex: dict[str, np.ndarray] = {}
    fppa: dict[str, np.ndarray] = {}
    drop: dict[str, np.ndarray] = {}
    level = float("nan")
    if side_view:
        for side in ("left", "right"):
            raw_angle[side] = foot_angle_raw_deg(track, side=side, direction=direction)
            flex[side] = knee_flexion_deg(track, side=side)
            mids = []
            for s in steps:
                if s.side != side or s.to_frame < 0:
                    continue
                n = s.to_frame - s.ic_frame
                a = s.ic_frame + int(round(0.4 * n))
                b = s.ic_frame + int(round(0.55 * n))
                mids.append(raw_angle[side][a : b + 1])
            vals = np.concatenate(mids) if mids else np.array([np.nan])
            flat[side] = float(np.nanmedian(vals)) if np.isfinite(vals).any() else float("nan")
    else:
        level = float(np.nanmedian(pelvis_line_deg(track)))
        for side in ("left", "right"):
            fppa[side] = knee_fppa_deg(track, side=side, hip_widening=hip_widening)
            drop[side] = pelvic_drop_deg(track, stance_side=side, level_deg=level)

    leg_parts = ("hip", "knee", "ankle", "heel", "foot_index")
    rows: list[dict[str, Any]] = []
    geometry: list[dict[str, list[float]]] = []
    for i, s in enumerate(steps):
        geo: dict[str, list[float]] = {}
        row: dict[str, Any] = {
            "step": i + 1,
            "side": s.side,
            "ic_time_s": float(t[s.ic_frame]),
            "ic_frame": s.ic_frame,
            "to_time_s": float(t[s.to_frame]) if s.to_frame >= 0 else None,
            "to_frame": s.to_frame if s.to_frame >= 0 else None,
            "contact_time_s": None,
            "step_time_s": None,
            "confidence": "high",
            "midstance_frame": s.midstance_frame if s.midstance_frame >= 0 else None,
        }
        reasons: list[str] = []
        low: list[str] = []
        # step time: to the next contact of the other foot
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if nxt is not None and nxt.side != s.side:
            if side_view:
                row["step_time_s"] = float(t[nxt.ic_frame] - t[s.ic_frame])
            elif s.midstance_frame >= 0 and nxt.midstance_frame >= 0:
                row["step_time_s"] = float(t[nxt.midstance_frame] - t[s.midstance_frame])
        if s.to_frame < 0:
            reasons.append("no toe-off found")
        else:
            if side_view and not s.ic_estimated:
                row["contact_time_s"] = float(t[s.to_frame] - t[s.ic_frame])
            cols = [track.landmark_names.index(f"{s.side}_{p}") for p in leg_parts]
            frac = float(track.interpolated[_stance_slice(s)][:, cols].any(axis=1).mean())
            if frac > max_interpolated_fraction:
                reasons.append(f"{frac:.0%} of stance frames interpolated")
            elif frac > 0.2:
                low.append("interpolated")
        if side_view:
            if view.near_side is not None and s.side != view.near_side:
                low.append("far foot")
            fsa = raw_angle[s.side][s.ic_frame] - flat[s.side]
            row["foot_strike_angle_deg"] = _nan_to_none(fsa)
            row["foot_strike_pattern"] = str(classify_strike(fsa)) if math.isfinite(fsa) else None
            row["knee_flexion_ic_deg"] = _nan_to_none(flex[s.side][s.ic_frame])
            for part in ("heel", "foot_index", "knee"):
                geo[part] = track.landmark(f"{s.side}_{part}")[s.ic_frame].tolist()
        else:
            if s.to_frame >= 0:
                seg = fppa[s.side][_stance_slice(s)]
                if np.isfinite(seg).any():
                    k = int(np.nanargmax(seg))
                    f = s.ic_frame + k
                    row["knee_fppa_peak_deg"] = float(seg[k])
                    row["knee_fppa_peak_frame"] = f
                    hip = track.landmark(f"{s.side}_hip")[f]
                    other = track.landmark(f"{'right' if s.side == 'left' else 'left'}_hip")[f]
                    geo["hip"] = (hip + hip_widening * (hip - other)).tolist()
                    geo["knee"] = track.landmark(f"{s.side}_knee")[f].tolist()
                    geo["ankle"] = track.landmark(f"{s.side}_ankle")[f].tolist()
                seg = drop[s.side][_stance_slice(s)]
                if np.isfinite(seg).any():
                    k = int(np.nanargmax(seg))
                    row["pelvic_drop_peak_deg"] = float(seg[k])
                    row["pelvic_drop_peak_frame"] = s.ic_frame + k
        for key in keys:
            row.setdefault(key, None)
        if not reasons and all(row.get(k) is None for k in keys):
            reasons.append("landmarks missing")
        if low:
            row["confidence"] = "low"
        row["excluded_reason"] = "; ".join(reasons)
        rows.append(row)
        geometry.append(geo)
    _exclude_outlier_step_times(rows)
    extra = ("foot_strike_pattern",) if side_view else ("knee_fppa_peak_frame", "pelvic_drop_peak_frame")
    for r in rows:
        for k in extra:
            r.setdefault(k, None)
    return StepTable(rows, keys, flat, level, geometry)


def _exclude_outlier_step_times(rows: list[dict[str, Any]]) -> None:
    """Drop step times far (over 35 %) from the median step time."""
    st = np.array([r["step_time_s"] if r["step_time_s"] is not None else np.nan for r in rows])
    if not np.isfinite(st).any():
        return
    med = np.nanmedian(st)
    for r, v in zip(rows, st):
        if np.isfinite(v) and abs(v - med) > 0.35 * med:
            r["step_time_s"] = None
            r["excluded_reason"] = "; ".join(
                x for x in (r["excluded_reason"], f"step time {v:.2f} s far from median {med:.2f} s") if x
            )


def _stats(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return float(med), float(q3 - q1)


def summarize(
    table: StepTable,
    view: ViewEstimate,
    *,
    fps: float,
    min_steps: int = 3,
) -> dict[str, Any]:
    """Clip-level summary in the ``summary.json`` layout (outputs.md).

    Per side: median, IQR and number of the included steps, with a
    confidence. A side with fewer than ``min_steps`` usable values is not
    summarised; a metric with no usable side goes to ``not_measurable``.
    """
    rows = [r for r in table.rows if not r["excluded_reason"]]
    warnings: list[str] = []
    metrics: dict[str, Any] = {}
    not_measurable: dict[str, str] = {}
    side_view = view.view.startswith("side")
    for key in table.metric_keys:
        unit, plane = _UNITS[key]
        entry: dict[str, Any] = {"unit": unit, "view": plane}
        for side in ("left", "right"):
            vals = [r[key] for r in rows if r["side"] == side and r[key] is not None]
            if len(vals) < min_steps:
                continue
            med, iqr = _stats(vals)
            conf = "high"
            n_low = sum(
                1 for r in rows if r["side"] == side and r[key] is not None and r["confidence"] == "low"
            )
            if n_low > len(vals) / 2 or len(vals) < 7:
                conf = "low"
            if key == "foot_strike_angle_deg" and fps < 59:
                conf = "low"
            if key == "pelvic_drop_peak_deg":
                conf = "low"
            entry[side] = {"median": round(med, 2), "iqr": round(iqr, 2), "n": len(vals), "confidence": conf}
        if "left" not in entry and "right" not in entry:
            not_measurable[key] = f"fewer than {min_steps} usable steps on either side"
            continue
        if "left" in entry and "right" in entry:
            a, b = entry["left"]["median"], entry["right"]["median"]
            denom = max(abs(a), abs(b))
            entry["asymmetry_pct"] = round(100 * abs(a - b) / denom, 1) if denom > 0 else 0.0
        if key == "pelvic_drop_peak_deg":
            entry["source"] = "mediapipe_hips"
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
                pat[side] = {**counts, "pattern": max(counts, key=lambda p: counts[p])}
            pat["thresholds_deg"] = dict(STRIKE_THRESHOLDS_DEG)
            pat["reference"] = REFERENCES["foot_strike_angle_deg"]
            metrics["foot_strike_pattern"] = pat
        else:
            not_measurable["foot_strike_pattern"] = "foot-strike angle not measurable"
        if fps < 59:
            warnings.append(
                f"Clip is {fps:.0f} fps: contact time and strike angle are approximate "
                "(need >= 60 fps, ideally >= 120 fps)."
            )
        far = "right" if view.near_side == "left" else "left"
        warnings.append(
            f"The {far} foot is the far foot in this side view: its values are low confidence "
            "(partly hidden). Film the other side to measure it well."
        )
    else:
        for key in SIDE_METRICS + ("foot_strike_pattern",):
            not_measurable[key] = "needs a side view"
        warnings.append(
            "Pelvic drop is read from the pose model's hip points, which follow the legs more "
            "than the pelvis: treat it as a rough indicator (low confidence)."
        )
    all_steps = [r["step_time_s"] for r in rows if r["step_time_s"] is not None]
    cad = cadence_spm(all_steps)
    steps_detected = {s: sum(1 for r in table.rows if r["side"] == s) for s in ("left", "right")}
    steps_used = {s: sum(1 for r in rows if r["side"] == s) for s in ("left", "right")}
    return {
        "view": view.view,
        "runner_facing": view.facing,
        "steps_detected": steps_detected,
        "steps_used": steps_used,
        "cadence_spm": _nan_to_none(round(cad, 1)) if math.isfinite(cad) else None,
        "metrics": metrics,
        "not_measurable": not_measurable,
        "warnings": warnings,
    }
