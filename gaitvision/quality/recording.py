"""Checks on the recording itself, from the landmark track.

Is the runner fully in the picture (feet cut off at the bottom, the front
foot leaving at the side)? Is it one runner throughout (the pose model can
jump to a PT walking past)? Do the numbers look like running at all
(walking, or slow motion played at the wrong speed)?

These functions only *report*: each returns reasons in plain language that
the pipeline puts into ``summary.json`` (``not_measurable``, per-side
``confidence_reason``, ``warnings``, ``runner``). No file I/O, no model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.measure.records import StepTable
from gaitvision.measure.summary import ClipSummary, MetricSummary
from gaitvision.track import LandmarkTrack

__all__ = [
    "FramingCheck",
    "apply_framing",
    "apply_framing_to_steps",
    "check_framing",
    "explain_no_steps",
    "gait_warnings",
    "outside_mask",
]

SIDES = ("left", "right")

#: Landmarks of each body part; ``{s}`` is the side.
_PARTS = {
    "foot": ("{s}_ankle", "{s}_heel", "{s}_foot_index"),
    "knee": ("{s}_knee",),
    "hip": ("{s}_hip",),
    "hips": ("left_hip", "right_hip"),
    "shoulders": ("left_shoulder", "right_shoulder"),
}

#: Which parts each metric needs, and when: ``"ic"`` at the contact frame,
#: ``"stance"`` from contact to toe-off, ``"all"`` throughout (the events).
NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "foot_strike_angle_deg": (("foot",), "ic"),
    "knee_flexion_ic_deg": (("hip", "knee", "foot"), "ic"),
    "shank_angle_ic_deg": (("knee", "foot"), "ic"),
    "heel_to_hip_ic_pct_leg": (("hips", "foot"), "ic"),
    "knee_flexion_peak_stance_deg": (("hip", "knee", "foot"), "stance"),
    "trunk_lean_deg": (("shoulders", "hips"), "stance"),
    "vertical_oscillation_pct_leg": (("hips", "foot"), "stance"),
    "contact_time_s": (("foot",), "stance"),
    "duty_factor": (("foot",), "all"),
    "flight_time_s": (("foot",), "all"),
    "step_time_s": (("foot",), "all"),
    "knee_fppa_peak_deg": (("hip", "knee", "foot"), "stance"),
    "pelvic_drop_peak_deg": (("hips",), "stance"),
    "hip_adduction_peak_deg": (("hips", "knee"), "stance"),
    "step_width_pct_hip": (("hips", "foot"), "ic"),
}

#: A side's value is dropped (``not_measurable``) when a needed part is out
#: of the picture in at least this fraction of its steps (or frames), and
#: marked ``low`` confidence above ``LOW_FRACTION``.
DROP_FRACTION = 0.5
LOW_FRACTION = 0.05
#: Cadence needs every step: it is dropped from this fraction of frames
#: with a foot out of the picture (missed contacts halve it silently).
CADENCE_DROP_FRACTION = 0.2

_EDGE_NAMES = ("left", "right", "top", "bottom")


def outside_mask(track: LandmarkTrack, *, margin_frac: float = 0.0) -> NDArray[np.bool_]:
    """``(n_frames, n_landmarks)``: True where a landmark lies outside the picture.

    MediaPipe keeps predicting landmarks beyond the frame edges (often with
    a high visibility), so the position, not the confidence, tells whether
    a body part was in view. Missing landmarks (NaN) are not "outside".
    """
    w, h = track.frame_size_wh
    mx, my = margin_frac * w, margin_frac * h
    x, y = track.xy[..., 0], track.xy[..., 1]
    with np.errstate(invalid="ignore"):
        out = (x < mx) | (x > w - mx) | (y < my) | (y > h - my)
    return np.asarray(out & np.isfinite(x) & np.isfinite(y), dtype=np.bool_)


def _edges(track: LandmarkTrack, cols: list[int], frames: NDArray[np.bool_]) -> list[str]:
    w, h = track.frame_size_wh
    x, y = track.xy[frames][:, cols, 0], track.xy[frames][:, cols, 1]
    with np.errstate(invalid="ignore"):
        hits = {"left": (x < 0).sum(), "right": (x > w).sum(), "top": (y < 0).sum(), "bottom": (y > h).sum()}
    return [e for e in _EDGE_NAMES if hits[e] > 0.2 * max(hits.values()) and hits[e] > 0]


def _cols(track: LandmarkTrack, part: str, side: str) -> list[int]:
    return [track.landmark_names.index(n.format(s=side)) for n in _PARTS[part]]


def _part_label(part: str, side: str) -> str:
    return {"foot": f"{side} foot", "knee": f"{side} knee", "hip": f"{side} hip"}.get(part, part)


@dataclass(frozen=True)
class FramingCheck:
    """Where the runner leaves the picture, and what that does to each metric.

    Attributes
    ----------
    part_outside
        Fraction of the frames with a pose in which each body part (e.g.
        ``"left foot"``, ``"shoulders"``) is partly outside the picture.
    part_edges
        The picture edges it leaves by (``"bottom"``, ``"left"`` ...).
    not_measurable
        ``{metric: {side: reason}}``: sides whose value cannot be trusted.
    low_confidence
        ``{metric: {side: reason}}``: sides whose value is usable but
        affected; their confidence becomes ``low``.
    cadence_reason
        Why cadence cannot be trusted, or None.
    warnings
        One plain sentence per problem, with what to change when re-filming.
    """

    part_outside: dict[str, float]
    part_edges: dict[str, list[str]]
    not_measurable: dict[str, dict[str, str]] = field(default_factory=dict)
    low_confidence: dict[str, dict[str, str]] = field(default_factory=dict)
    cadence_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Parts:
    """Per body part: the frames it is outside the picture, that fraction, and the edges."""

    frames: dict[str, NDArray[np.bool_]]
    outside: dict[str, float]
    edges: dict[str, list[str]]

    def where(self, label: str) -> str:
        edges = self.edges[label]
        return f" ({' and '.join(edges)} edge{'s' if len(edges) > 1 else ''})" if edges else ""


def _parts_outside(track: LandmarkTrack) -> _Parts:
    out = outside_mask(track)
    seen = np.isfinite(track.xy[..., 0]).any(axis=1)
    n_seen = max(int(seen.sum()), 1)
    parts = _Parts({}, {}, {})
    for part in _PARTS:
        for side in SIDES if "{s}" in _PARTS[part][0] else ("",):
            label = _part_label(part, side) if side else part
            cols = _cols(track, part, side or "left")
            frames_out = out[:, cols].any(axis=1)
            parts.frames[label] = frames_out
            parts.outside[label] = float(frames_out[seen].sum() / n_seen)
            parts.edges[label] = _edges(track, cols, frames_out) if frames_out.any() else []
    return parts


def _fraction_out(parts: _Parts, label: str, steps: list[dict[str, Any]], when: str) -> tuple[float, str]:
    """Fraction of the steps (at IC or over stance) or of all frames with ``label`` outside."""
    if when == "all" or not steps:
        return parts.outside[label], "frames"
    fo = parts.frames[label]
    hits = []
    for r in steps:
        ic, to = r.get("ic_frame"), r.get("to_frame")
        if ic is None:
            continue
        sl = slice(int(ic), int(ic) + 1) if when == "ic" or to is None else slice(int(ic), int(to) + 1)
        hits.append(bool(fo[sl].any()))
    return (float(np.mean(hits)), "steps") if hits else (parts.outside[label], "frames")


def _metric_reasons(parts: _Parts, rows: list[dict[str, Any]] | None) -> tuple[
        dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """``{metric: {side: reason}}`` for sides not measurable, and for low-confidence ones."""
    used = [r for r in rows or [] if not r.get("excluded_reason")]
    not_measurable: dict[str, dict[str, str]] = {}
    low: dict[str, dict[str, str]] = {}
    for key, (needed, when) in NEEDS.items():
        for side in SIDES:
            labels = [_part_label(p, side) if p in ("foot", "knee", "hip") else p for p in needed]
            steps = [r for r in used if r.get("side") == side]
            worst, worst_label, unit = 0.0, labels[0], "frames"
            for label in labels:
                frac, u = _fraction_out(parts, label, steps, when)
                if frac > worst:
                    worst, worst_label, unit = frac, label, u
            if worst < LOW_FRACTION:
                continue
            moment = {"ic": " at initial contact", "stance": " during stance"}.get(when, "") if unit == "steps" else ""
            reason = (f"the {worst_label} is outside the picture{parts.where(worst_label)}{moment} "
                      f"in {100 * worst:.0f}% of the {unit}")
            (not_measurable if worst >= DROP_FRACTION else low).setdefault(key, {})[side] = reason
    return not_measurable, low


def check_framing(
    track: LandmarkTrack, rows: list[dict[str, Any]] | None = None
) -> FramingCheck:
    """Check that the body parts each metric needs were in the picture.

    Parameters
    ----------
    track
        The pose track (pixels of the upright frame).
    rows
        Per-step rows (``side``, ``ic_frame``, ``to_frame``,
        ``excluded_reason``), as in ``steps.csv``. With them, IC metrics are
        checked at each step's contact frame and stance metrics over its
        stance; without them, over all frames.

    Returns
    -------
    FramingCheck
    """
    parts = _parts_outside(track)
    not_measurable, low = _metric_reasons(parts, rows)
    part_outside = parts.outside
    feet = max(("left foot", "right foot"), key=lambda k: part_outside[k])
    cadence_reason = None
    if part_outside[feet] >= CADENCE_DROP_FRACTION:
        cadence_reason = (f"the {feet} is outside the picture{parts.where(feet)} in "
                          f"{100 * part_outside[feet]:.0f}% of the frames, so steps can be missed")
    warnings = []
    bad = sorted(((k, v) for k, v in part_outside.items() if v >= LOW_FRACTION), key=lambda kv: -kv[1])
    if bad:
        parts_txt = ", ".join(f"the {k}{parts.where(k)} in {100 * v:.0f}%" for k, v in bad)
        warnings.append(
            f"The runner is partly outside the picture: {parts_txt} of the frames. Values that need "
            "those parts are marked low confidence or not measurable. Re-film with the whole body, "
            "head to toe, in view and some margin around it."
        )
    return FramingCheck(part_outside, parts.edges, not_measurable, low, cadence_reason, warnings)


def apply_framing_to_steps(table: StepTable, check: FramingCheck) -> StepTable:
    """The step table with the framing check applied.

    The values of a side that :func:`check_framing` found not measurable are
    blanked (None) in every step of that side, so ``steps.csv``, the
    annotated video and the stills never show a number the summary refuses;
    ``framing_note`` says why. Low-confidence sides get ``confidence: low``.
    """
    out = []
    for s in table.steps:
        values = dict(s.values)
        notes, pattern, confidence = [], s.foot_strike_pattern, s.confidence
        for key, sides in check.not_measurable.items():
            reason = sides.get(s.side)
            if reason is None or key not in values:
                continue
            values[key] = None
            if key == "foot_strike_angle_deg":
                pattern = None
            notes.append(f"{key} not measurable: {reason}")
        for key, sides in check.low_confidence.items():
            if s.side in sides and values.get(key) is not None:
                confidence = "low"
        out.append(s.replace(values=values, foot_strike_pattern=pattern, confidence=confidence,
                             framing_note="; ".join(notes) if notes else s.framing_note))
    return table.replace(steps=tuple(out))


def _drop_sides(m: MetricSummary, sides: dict[str, str]) -> MetricSummary:
    gone = {side: reason for side, reason in sides.items() if side in m.sides}
    return dataclasses.replace(
        m, sides={k: v for k, v in m.sides.items() if k not in gone}, asymmetry_pct=None,
        not_measurable={**m.not_measurable, **gone})


def apply_framing(summary: ClipSummary, check: FramingCheck) -> ClipSummary:
    """The summary with the framing check applied.

    Sides in ``check.not_measurable`` are removed (a metric with no side left
    moves to ``not_measurable`` with the reason); sides in
    ``check.low_confidence`` get ``confidence: "low"`` and a
    ``confidence_reason``. Cadence is withdrawn when steps can be missed.
    """
    metrics = dict(summary.metrics)
    nm = dict(summary.not_measurable)
    pattern = summary.foot_strike_pattern
    for key, sides in check.not_measurable.items():
        if key not in metrics:
            continue
        m = _drop_sides(metrics[key], sides)
        metrics[key] = m
        if not m.sides:
            del metrics[key]
            nm[key] = "; ".join(dict.fromkeys(sides.values()))
            if key == "foot_strike_angle_deg" and pattern is not None:
                pattern = None
                nm["foot_strike_pattern"] = "foot-strike angle not measurable"
    for key, sides in check.low_confidence.items():
        if key not in metrics:
            continue
        m = metrics[key]
        new = {side: (dataclasses.replace(v, confidence="low", confidence_reason=sides[side])
                      if side in sides else v) for side, v in m.sides.items()}
        metrics[key] = dataclasses.replace(m, sides=new)
    cadence = summary.cadence_spm
    if check.cadence_reason and cadence is not None:
        cadence = None
        nm["cadence_spm"] = check.cadence_reason
    return summary.replace(metrics=metrics, not_measurable=nm, foot_strike_pattern=pattern,
                           cadence_spm=cadence, warnings=(*summary.warnings, *check.warnings))


def explain_no_steps(track: LandmarkTrack) -> str | None:
    """Why no steps could be found, if the framing explains it (else None)."""
    check = check_framing(track)
    feet = {k: v for k, v in check.part_outside.items() if k.endswith("foot") and v >= DROP_FRACTION}
    if not feet:
        return None
    k = max(feet, key=feet.get)  # type: ignore[arg-type]
    edges = check.part_edges[k]
    where = f" ({' and '.join(edges)} edge)" if edges else ""
    return (f"the feet are outside the picture{where} in {100 * feet[k]:.0f}% of the frames, so no "
            "steps can be detected. Re-film with the whole body, head to toe, in view.")


# -- is it running? ----------------------------------------------------------

#: Below this cadence the clip is unlikely to be running at normal speed
#: (running is typically 150-190 steps/min, walking 100-125).
WALKING_CADENCE_SPM = 130.0


def gait_warnings(summary: ClipSummary, *, slow_motion_known: bool) -> list[str]:
    """Warnings when the numbers look like walking or a mis-timed clip."""
    out: list[str] = []
    cad = summary.cadence_spm
    duty = summary.metrics.get("duty_factor")
    duties = [v.median for v in duty.sides.values()] if duty is not None else []
    walking_duty = bool(duties) and min(duties) > 0.5
    if cad is not None and cad < WALKING_CADENCE_SPM:
        hint = ("" if slow_motion_known else
                " If this is a slow-motion clip, pass --capture-fps with the rate it was filmed at "
                "(e.g. 120 or 240).")
        out.append(
            f"Cadence {cad:.0f} steps/min is below running cadences (about 150-190): the patient "
            f"may be walking, which gaitvision does not measure.{hint}"
        )
    if walking_duty:
        out.append(
            f"Each foot is on the belt for more than half of the stride (duty factor "
            f"{min(duties):.2f}): this looks like walking, not running; running values "
            "(flight time, strike pattern) do not apply."
        )
    return out
