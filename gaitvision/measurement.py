"""The one measuring entry point: :func:`measure` a landmark track.

Everything that turns a cached pose track into numbers runs here, in this
order, so that ``gaitvision analyze``, ``gaitvision report``, the session
comparison and a PT's corrections all get the same result from the same
inputs: real-time scaling and one runner (clean), the view (pose), the
knee outline, cleaning and low-pass, events, the clip's signals and
calibrations, corrections, the step table, the summary, and the recording
checks that act on it (quality). No file I/O: :mod:`gaitvision.pipeline`
reads the video and writes the outputs around it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gaitvision.clean import filtering
from gaitvision.clean.person import PersonCheck, follow_one_person
from gaitvision.config import AnalysisConfig, FilterConfig
from gaitvision.errors import InsufficientDataError
from gaitvision.events import GaitEvents, detect_events
from gaitvision.measure.corrections import (
    Correction,
    apply_event_moves,
    apply_inclusions,
    apply_landmark_moves,
    check_corrections,
)
from gaitvision.measure.records import StepTable
from gaitvision.measure.step_values import ClipSignals
from gaitvision.measure.steps import MEDIAPIPE_HIP_WIDENING, clip_signals, measure_steps
from gaitvision.measure.summary import ClipSummary, summarize
from gaitvision.measure.uncertainty import Conditions, ErrorModel, apply_intervals
from gaitvision.pose.knee_outline import has_knee_outline, use_knee_outline
from gaitvision.pose.pelvis_image import PelvisImageSeries
from gaitvision.pose.view import ViewEstimate, resolve_view
from gaitvision.quality.camera import CameraEstimate, camera_warnings, estimate_camera
from gaitvision.quality.playback import PlaybackCheck, apply_playback, check_playback
from gaitvision.quality.recording import apply_framing, apply_framing_to_steps, check_framing, gait_warnings
from gaitvision.track import LandmarkTrack

__all__ = ["Measurement", "PreparedTrack", "clean_track", "measure", "prepare", "real_time_track", "time_scale_for"]

_LEG = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("knee", "ankle", "heel", "foot_index"))


@dataclass(frozen=True)
class Measurement:
    """Everything measured on one clip, ready to be written or drawn.

    Attributes
    ----------
    view
        The clip's view, facing and near leg.
    events
        The automatic events (before corrections).
    table
        Every step, corrections and recording checks applied.
    summary
        The clip summary (``summary.json``'s measured part).
    track
        The cleaned, angle-filtered track in real time: what the values
        were read from and what the overlay draws.
    signals
        The per-frame signals the values were read from (the report's curves).
    person
        Which runner was analysed.
    n_leg_swaps_fixed
        Frames whose left/right labels were exchanged back.
    corrections
        The corrections applied.
    time_scale
        Real time per container second (1 / slow-motion factor).
    prepared
        The cleaned tracks and automatic events, for re-measuring with
        other corrections (:func:`measure` ``prepared=``).
    conditions
        The recording conditions the intervals were computed for.
    """

    view: ViewEstimate
    events: GaitEvents
    table: StepTable
    summary: ClipSummary
    track: LandmarkTrack
    signals: ClipSignals
    person: PersonCheck
    n_leg_swaps_fixed: int
    corrections: tuple[Correction, ...] = ()
    time_scale: float = 1.0
    prepared: PreparedTrack | None = field(default=None, repr=False, compare=False)
    conditions: Conditions | None = None
    #: whether the clip plays in real time, from the runner's motion (quality.playback)
    playback: PlaybackCheck | None = None
    #: the camera's yaw and roll, from the runner (quality.camera; synth sign convention)
    camera: CameraEstimate | None = None

    def summary_dict(self) -> dict[str, Any]:
        """The measured part of ``summary.json`` (view ... warnings, knee_centre, playback)."""
        d = self.summary.to_dict()
        if self.playback is not None:
            d["playback"] = self.playback.to_dict()
        if self.camera is not None:
            d["camera"] = self.camera.to_dict()
        return d


def clean_track(raw: LandmarkTrack, *, side_view: bool, cfg: FilterConfig) -> tuple[LandmarkTrack, int]:
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


def real_time_track(track: LandmarkTrack, time_scale: float = 1.0) -> tuple[LandmarkTrack, PersonCheck]:
    """The pose track in real time (slow motion rescaled), with one runner kept."""
    rt = track if time_scale == 1.0 else track.replace(time_s=track.time_s * time_scale)
    return follow_one_person(rt)


def _knee_centre(fraction: float | None) -> tuple[dict[str, Any], list[str]]:
    """How the knee centres of a frontal view were found, and a warning if rarely from the outline."""
    if fraction is None:
        return {"source": "pose model", "outline_fraction": None}, []
    note = {"source": "leg outline", "outline_fraction": round(fraction, 3)}
    if fraction >= 0.5:
        return note, []
    return note, [
        f"The knee centre could be taken from the leg's outline in only {100 * fraction:.0f} % of "
        "frames (legs touching, loose clothing or a busy background); elsewhere the pose model's "
        "knee point is used, which can put the knee angle a few degrees off."
    ]


def _events(clean: LandmarkTrack, est: ViewEstimate, cfg: FilterConfig, min_steps: int) -> tuple[
        LandmarkTrack, GaitEvents]:
    ev_track = filtering.lowpass(clean, cutoff_hz=cfg.event_cutoff_hz)
    events = detect_events(ev_track, view=est.view, near_side=est.near_side)
    n = {s: len(events.of_side(s)) for s in ("left", "right")}
    if max(n.values()) < min_steps:
        raise InsufficientDataError(
            f"Only {n['left']} left and {n['right']} right steps were found; at least "
            f"{min_steps} per side are needed. Record at least 10 s of steady running."
        )
    return ev_track, events


@dataclass(frozen=True)
class PreparedTrack:
    """The part of a measurement that no correction changes: cleaned tracks and automatic events.

    Made by :func:`prepare`; pass it back to :func:`measure` (``prepared=``)
    to re-measure the same track with other corrections without cleaning,
    filtering and detecting events again (what the clinic app does on each
    correction).
    """

    source: LandmarkTrack
    time_scale: float
    options: tuple[Any, ...]
    real_time: LandmarkTrack
    person: PersonCheck
    view: ViewEstimate
    angle_track: LandmarkTrack
    events: GaitEvents
    n_leg_swaps_fixed: int
    outline_fraction: float | None


def _options(cfg: AnalysisConfig) -> tuple[Any, ...]:
    return (cfg.filtering, cfg.knee_outline, cfg.min_steps_per_side)


def prepare(
    track: LandmarkTrack, view: str | ViewEstimate = "auto", config: AnalysisConfig | None = None, *,
    time_scale: float = 1.0,
) -> PreparedTrack:
    """Real time and one runner, the view, the knee outline, cleaning, low-pass and events.

    Raises
    ------
    InsufficientDataError
        If too few steps are found.
    """
    cfg = config or AnalysisConfig()
    rt, person = real_time_track(track, time_scale)
    est = view if isinstance(view, ViewEstimate) else resolve_view(rt, view)
    outline_fraction = None
    measured_track = rt
    if cfg.knee_outline and not est.view.startswith("side") and has_knee_outline(rt):
        measured_track, outline_fraction = use_knee_outline(rt)
    angle_track, events, n_swaps = _tracks_and_events(measured_track, est, cfg)
    return PreparedTrack(track, time_scale, _options(cfg), rt, person, est, angle_track, events, n_swaps,
                         outline_fraction)


def measure(
    track: LandmarkTrack,
    view: str | ViewEstimate = "auto",
    config: AnalysisConfig | None = None,
    pelvis: PelvisImageSeries | None = None,
    corrections: Sequence[Correction] = (),
    *,
    time_scale: float = 1.0,
    capture_known: bool = False,
    hip_widening: float = MEDIAPIPE_HIP_WIDENING,
    prepared: PreparedTrack | None = None,
    error_model: ErrorModel | None = None,
) -> Measurement:
    """Measure a clip from its pose track.

    Parameters
    ----------
    track
        The pose track as the pose pass wrote it (``track.npz``, container time).
    view
        ``auto``, a view name, or an already decided :class:`ViewEstimate`.
    config
        The analysis options (filtering, minimum steps, knee outline).
    pelvis
        The image-based pelvis line of a rear/front clip (``pelvis.npz``).
    corrections
        A PT's corrections (:mod:`gaitvision.measure.corrections`).
    time_scale
        Real seconds per container second (< 1 for slow motion).
    capture_known
        The capture rate was given or read from the file.
    hip_widening
        MediaPipe hip correction for the FPPA; 0 for true joint centres.
    prepared
        ``Measurement.prepared`` of an earlier measurement of this very
        track with the same options: skips :func:`prepare` (same result).
    error_model
        The calibrated error model for the intervals (default: the
        package's; :data:`gaitvision.measure.uncertainty.UNCALIBRATED` for
        between-step and timing parts only, as the calibration bench does).

    Raises
    ------
    InsufficientDataError, CorrectionError
        Too few steps; a correction names a step or frame the clip does not have.
    """
    cfg = config or AnalysisConfig()
    prepared = _prepared(track, view, cfg, time_scale, prepared)
    est, events = prepared.view, prepared.events
    side_view = est.view.startswith("side")
    check_corrections(corrections, n_steps=len(events.steps), n_frames=track.n_frames)
    angle_track = apply_landmark_moves(prepared.angle_track, corrections)
    signals = clip_signals(angle_track, events, est, hip_widening=hip_widening,
                           pelvis=None if side_view else pelvis, cutoff_hz=cfg.filtering.angle_cutoff_hz)
    steps = apply_event_moves(events.steps, corrections, angle_track.time_s)
    table = apply_inclusions(measure_steps(angle_track, steps, est, signals, hip_widening=hip_widening),
                             corrections)
    summary = summarize(table, est, fps=prepared.real_time.fps_estimate(), min_steps=cfg.min_steps_per_side,
                        rhythm_period_s=events.stride_period_s)
    summary = _with_notes(summary, n_swaps=prepared.n_leg_swaps_fixed, side_view=side_view,
                          outline_fraction=prepared.outline_fraction)
    table, summary, playback = _recording_checks(prepared.real_time, table, summary, prepared.person,
                                                 capture_known=capture_known)
    camera = _camera(angle_track, est, table, None if side_view else pelvis)
    summary = summary.replace(warnings=(*summary.warnings, *camera_warnings(camera)))
    conditions = Conditions(est.view, est.near_side, prepared.real_time.fps_estimate(),
                            yaw_deg=_finite_or_zero(camera.yaw_deg if camera else None),
                            roll_deg=_finite_or_zero(camera.roll_deg if camera else None))
    table, summary = apply_intervals(table, summary, steps, signals, conditions, error_model)
    return Measurement(est, events, table, summary, angle_track, signals, prepared.person,
                       prepared.n_leg_swaps_fixed, tuple(corrections), time_scale, prepared, conditions,
                       playback, camera)


def _finite_or_zero(v: float | None) -> float:
    """An estimated camera angle for the intervals (0 where it could not be estimated)."""
    return float(v) if v is not None and math.isfinite(v) else 0.0


def _prepared(track: LandmarkTrack, view: str | ViewEstimate, cfg: AnalysisConfig, time_scale: float,
              prepared: PreparedTrack | None) -> PreparedTrack:
    """``prepared`` if it was made from this track with these options, else a new one."""
    if prepared is None:
        return prepare(track, view, cfg, time_scale=time_scale)
    if prepared.source is not track or prepared.time_scale != time_scale or prepared.options != _options(cfg):
        raise ValueError("prepared comes from another track or other options; measure without it.")
    return prepared


def _recording_checks(rt: LandmarkTrack, table: StepTable, summary: ClipSummary, person: PersonCheck, *,
                      capture_known: bool) -> tuple[StepTable, ClipSummary, PlaybackCheck]:
    """Framing (parts out of the picture), the runner followed, real-time playback and gait plausibility."""
    framing = check_framing(rt, table.rows)
    table = apply_framing_to_steps(table, framing)
    playback = check_playback(rt, capture_known=capture_known)
    summary = apply_playback(apply_framing(summary, framing), playback)
    return table, summary.replace(warnings=(*person.warnings, *summary.warnings,
                                            *gait_warnings(summary, slow_motion_known=capture_known))), playback


def _camera(track: LandmarkTrack, est: ViewEstimate, table: StepTable, pelvis: PelvisImageSeries | None
            ) -> CameraEstimate:
    """The camera's yaw and roll from the runner's stances (and a frontal clip's scene lines)."""
    image_roll = (pelvis.roll_deg, pelvis.roll_support) if pelvis is not None else None
    return estimate_camera(track, est.view, facing=est.facing, near_side=est.near_side, rows=table.rows,
                           image_roll=image_roll)


def _tracks_and_events(track: LandmarkTrack, est: ViewEstimate, cfg: AnalysisConfig) -> tuple[
        LandmarkTrack, GaitEvents, int]:
    """The angle track, the events and the number of leg-swap frames fixed."""
    fc = cfg.filtering
    clean, n_swaps = clean_track(track, side_view=est.view.startswith("side"), cfg=fc)
    ev_track, events = _events(clean, est, fc, cfg.min_steps_per_side)
    angle_track = ev_track if fc.angle_cutoff_hz == fc.event_cutoff_hz else filtering.lowpass(
        clean, cutoff_hz=fc.angle_cutoff_hz)
    return angle_track, events, n_swaps


def _with_notes(summary: ClipSummary, *, n_swaps: int, side_view: bool, outline_fraction: float | None
                ) -> ClipSummary:
    """The summary with the leg-swap warning and, in frontal views, where the knee centres came from."""
    warnings = list(summary.warnings)
    if n_swaps:
        warnings.append(f"Left/right leg labels were exchanged back in {n_swaps} frames.")
    knee_centre = None
    if not side_view:
        knee_centre, outline_warnings = _knee_centre(outline_fraction)
        warnings += outline_warnings
    return summary.replace(warnings=tuple(warnings), knee_centre=knee_centre)


def time_scale_for(track: LandmarkTrack, capture_fps: float | None) -> float:
    """Real seconds per container second for a clip filmed at ``capture_fps``."""
    if capture_fps is None:
        return 1.0
    playback = track.fps_estimate()
    if math.isfinite(playback) and playback > 0:
        return playback / capture_fps
    return 1.0
