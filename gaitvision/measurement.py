"""The measuring chain on a landmark track: clean, classify, events, metrics.

No file I/O: :mod:`gaitvision.pipeline` reads the video and writes the
outputs around it, and tests can run it on synthetic tracks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gaitvision.clean import filtering
from gaitvision.config import FilterConfig
from gaitvision.errors import InsufficientDataError
from gaitvision.events.detect import GaitEvents, detect_events
from gaitvision.measure.analysis import MEDIAPIPE_HIP_WIDENING, StepTable, measure_steps, summarize
from gaitvision.pose.knee_outline import has_knee_outline, use_knee_outline
from gaitvision.pose.pelvis_image import PelvisImageSeries
from gaitvision.pose.view import ViewEstimate, resolve_view
from gaitvision.track import LandmarkTrack

__all__ = ["Measurement", "clean_track", "measure_track"]

_LEG = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("knee", "ankle", "heel", "foot_index"))


@dataclass(frozen=True)
class Measurement:
    """Everything measured on one clip, ready to be written or drawn."""

    view: ViewEstimate
    events: GaitEvents
    table: StepTable
    summary: dict[str, Any]
    track: LandmarkTrack  # cleaned, angle-filtered: what the overlay draws
    n_leg_swaps_fixed: int


def clean_track(
    raw: LandmarkTrack, *, side_view: bool, cfg: FilterConfig
) -> tuple[LandmarkTrack, int]:
    """Gate, un-swap, reject outliers and fill short gaps (no low-pass yet)."""
    tr = filtering.mask_low_confidence(raw, threshold=cfg.min_confidence)
    n_swaps = 0
    if side_view and cfg.fix_leg_swaps:
        tr, n_swaps = filtering.fix_leg_swaps(tr)
    w, h = tr.frame_size_wh
    tr = filtering.reject_outliers(
        tr, window_s=cfg.outlier_window_s, min_threshold_px=0.01 * max(w, h), landmarks=_LEG
    )
    tr = filtering.interpolate_gaps(tr, max_gap_s=cfg.max_gap_s)
    return tr, n_swaps


def _knee_centre_note(fraction: float | None) -> dict[str, Any]:
    """How the knee centres of a frontal view were found (``summary.json`` ``knee_centre``)."""
    if fraction is None:
        return {"source": "pose model", "outline_fraction": None}
    return {"source": "leg outline", "outline_fraction": round(fraction, 3)}


def measure_track(
    raw: LandmarkTrack,
    *,
    view: str | ViewEstimate = "auto",
    cfg: FilterConfig | None = None,
    min_steps_per_side: int = 3,
    hip_widening: float = MEDIAPIPE_HIP_WIDENING,
    pelvis: PelvisImageSeries | None = None,
    knee_outline: bool = True,
) -> Measurement:
    """Run the measuring chain on a raw pose track.

    ``hip_widening`` corrects MediaPipe's hip placement for the knee FPPA
    (see :data:`gaitvision.analysis.MEDIAPIPE_HIP_WIDENING`); pass 0 for a
    track whose hips are true joint centres. In a rear or front view, knees
    are moved to the middle of the leg's outline where the track carries it
    (:func:`gaitvision.knee_outline.use_knee_outline`), unless ``knee_outline``
    is False. ``pelvis`` is the image-based
    pelvis line of a rear/front clip (:func:`gaitvision.pelvis_image.measure_pelvis_video`).

    Raises
    ------
    InsufficientDataError
        If fewer than ``min_steps_per_side`` steps are found on both sides.
    """
    cfg = cfg or FilterConfig()
    est = view if isinstance(view, ViewEstimate) else resolve_view(raw, view)
    side_view = est.view.startswith("side")
    outline_fraction = None
    if knee_outline and not side_view and has_knee_outline(raw):
        raw, outline_fraction = use_knee_outline(raw)
    clean, n_swaps = clean_track(raw, side_view=side_view, cfg=cfg)
    ev_track = filtering.lowpass(clean, cutoff_hz=cfg.event_cutoff_hz)
    events = detect_events(ev_track, view=est.view, near_side=est.near_side)  # type: ignore[arg-type]
    n = {s: len(events.of_side(s)) for s in ("left", "right")}
    if max(n.values()) < min_steps_per_side:
        raise InsufficientDataError(
            f"Only {n['left']} left and {n['right']} right steps were found; at least "
            f"{min_steps_per_side} per side are needed. Record at least 10 s of steady running."
        )
    angle_track = (
        ev_track
        if cfg.angle_cutoff_hz == cfg.event_cutoff_hz
        else filtering.lowpass(clean, cutoff_hz=cfg.angle_cutoff_hz)
    )
    table = measure_steps(
        angle_track, events, est, hip_widening=hip_widening, pelvis=None if side_view else pelvis,
        cutoff_hz=cfg.angle_cutoff_hz,
    )
    summary = summarize(
        table, est, fps=raw.fps_estimate(), min_steps=min_steps_per_side,
        rhythm_period_s=events.stride_period_s,
    )
    if n_swaps:
        summary["warnings"].append(f"Left/right leg labels were exchanged back in {n_swaps} frames.")
    if not side_view:
        summary["knee_centre"] = _knee_centre_note(outline_fraction)
        if outline_fraction is not None and outline_fraction < 0.5:
            summary["warnings"].append(
                f"The knee centre could be taken from the leg's outline in only "
                f"{100 * outline_fraction:.0f} % of frames (legs touching, loose clothing or a busy "
                "background); elsewhere the pose model's knee point is used, which can put the "
                "knee angle a few degrees off."
            )
    return Measurement(est, events, table, summary, angle_track, n_swaps)
