"""The one orchestrator: video -> pose -> measurement -> files.

Writes the outputs of outputs.md into an output folder, each file
atomically (temporary name, then rename), ``summary.json`` last so that
its presence means the analysis completed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gaitvision import __version__
from gaitvision.config import AnalysisConfig, RenderConfig
from gaitvision.errors import (
    ConfigError,
    GaitvisionError,
    InsufficientDataError,
    InvalidTrackError,
    OutputError,
    PoseEstimationError,
)
from gaitvision.io.outputs import STEP_COLUMNS, SUMMARY_SCHEMA, read_summary, write_steps, write_summary
from gaitvision.io.tracks import file_fingerprint, load_track, save_track
from gaitvision.io.video import VideoMeta, probe_video
from gaitvision.measurement import Measurement, measure, real_time_track, time_scale_for
from gaitvision.pose.blazepose import MODEL_NAME, model_version
from gaitvision.pose.knee_outline import has_knee_outline
from gaitvision.pose.parallel import track_video_parallel
from gaitvision.pose.pelvis_cache import load_pelvis_cache, save_pelvis_cache
from gaitvision.pose.pelvis_image import PelvisImageSeries, measure_pelvis_video
from gaitvision.pose.roi import auto_crop
from gaitvision.pose.view import ViewEstimate, resolve_view
from gaitvision.quality.playback import refusal_hint
from gaitvision.quality.recording import explain_no_steps
from gaitvision.render.keyframes import FrameFilter
from gaitvision.render.video import render_video
from gaitvision.report import ReportFiles, write_report
from gaitvision.report.build import face_blur_filter, find_clip, remeasure, report_video, write_page_video
from gaitvision.report.overlay import BROWSER_COPY
from gaitvision.track import LandmarkTrack

__all__ = ["AnalysisResult", "analyze_video", "STEP_COLUMNS", "write_annotated_video"]

logger = logging.getLogger(__name__)

SCHEMA = SUMMARY_SCHEMA

#: A clip that plays at no more than this rate and finds too few steps may
#: be slow motion saved for normal playback (phones save it at 30 or 60 fps).
NORMAL_PLAYBACK_MAX_FPS = 61.0

OUTPUT_FILES = ("track.npz", "pelvis.npz", "annotated.mp4", BROWSER_COPY, "steps.csv", "summary.json", "report.html")
#: Outputs of a previous run removed before a new one (summary.json first,
#: so a folder never looks complete while it holds a mix of two runs);
#: track.npz is kept: it is reused only if it matches the clip.
_STALE_FILES = ("summary.json", "steps.csv", "annotated.mp4", BROWSER_COPY, "report.html")
_STALE_DIRS = ("keyframes", "plots")

#: Shorter clips cannot give 3 steps per side (running is ~3 steps/s).
MIN_DURATION_S = 2.0

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AnalysisResult:
    """What :func:`analyze_video` produced."""

    out_dir: Path
    summary: dict[str, Any]
    measurement: Measurement
    track_from_cache: bool
    pose_seconds: float


def _prepare_out_dir(out_dir: Path, video: Path, fingerprint: str, overwrite: bool) -> None:
    if out_dir.resolve() == video.resolve() or any(
        (out_dir / n).resolve() == video.resolve() for n in OUTPUT_FILES
    ):
        raise OutputError(
            f"{out_dir}: writing there would overwrite the input clip {video.name}; choose another --out."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder; choose another --out.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(
            f"{out_dir}: cannot create the output folder ({err.strerror or err}); choose another --out."
        ) from err
    # os.access() says yes to root and on some network drives: really try
    probe = out_dir / f".gaitvision-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise OutputError(
            f"{out_dir}: the output folder is not writable ({err.strerror or err}); choose another --out."
        ) from err
    old = out_dir / "summary.json"
    if old.exists() and not overwrite:
        try:
            prev = json.loads(old.read_text(encoding="utf-8")).get("input", {}).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            prev = None
        if prev != fingerprint:
            raise OutputError(
                f"{out_dir}: holds the analysis of another clip; pass --overwrite to replace it "
                "or choose another --out."
            )


def _clear_previous_outputs(out_dir: Path, *, with_dirs: bool = False) -> None:
    """Remove a previous run's results (not its track cache), summary first.

    ``keyframes/`` and ``plots/`` are emptied of the files gaitvision writes
    when the folder held a finished analysis, or when ``with_dirs`` (this
    run's own partial results, after a failure).
    """
    was_ours = with_dirs or (out_dir / "summary.json").exists()
    for name in _STALE_FILES:
        (out_dir / name).unlink(missing_ok=True)
    if was_ours:
        for d in _STALE_DIRS:
            if (out_dir / d).is_dir():
                for f in (out_dir / d).iterdir():
                    if f.is_file() and f.suffix in (".png", ".json", ".svg", ".csv"):
                        f.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    (out_dir / d).rmdir()  # only if nothing else is in it


def _capture_rate(meta: VideoMeta, config: AnalysisConfig) -> tuple[float | None, str]:
    """The capture frame rate to rescale time with, and where it came from."""
    if config.capture_fps is not None:
        playback = meta.fps_mean
        if math.isfinite(playback) and config.capture_fps < 0.9 * playback:
            raise ConfigError(
                f"--capture-fps {config.capture_fps:g} is lower than the clip's own frame rate "
                f"({playback:.0f} fps); it is for slow-motion clips saved for normal playback. "
                "Leave it out for this clip."
            )
        return config.capture_fps, "--capture-fps"
    if meta.capture_fps is not None:
        return meta.capture_fps, f"metadata {meta.capture_fps_source}"
    return None, "timestamps"


def _input_block(
    meta: VideoMeta, track: LandmarkTrack, video: Path, fingerprint: str, *,
    time_scale: float, capture_source: str,
) -> dict[str, Any]:
    t = track.time_s
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    duration = float(t[-1] + dt) if t.size else 0.0
    playback_fps = track.fps_estimate()
    return {
        "path": str(video),
        "fingerprint": fingerprint,
        "width": track.frame_size_wh[0],
        "height": track.frame_size_wh[1],
        "rotation_deg": meta.rotation_deg,
        "codec": meta.codec,
        "pix_fmt": meta.pix_fmt,
        "frames": track.n_frames,
        "duration_s": round(duration, 4),
        "fps_mean": round(track.n_frames / duration, 3) if duration > 0 else None,
        "capture_fps": round(playback_fps / time_scale, 3),
        "capture_fps_source": capture_source,
        "slow_motion_factor": round(1 / time_scale, 4),
        "real_duration_s": round(duration * time_scale, 4),
        # exact, so that `gaitvision report` re-measures on the same time base
        "time_scale": time_scale,
    }


def _check_duration(video: Path, meta: VideoMeta, capture_fps: float | None) -> None:
    """Refuse a clip too short for 3 steps per side, before the pose model runs."""
    est_scale = meta.fps_mean / capture_fps if capture_fps and math.isfinite(meta.fps_mean) else 1.0
    if math.isfinite(meta.duration_s) and meta.duration_s * est_scale < MIN_DURATION_S:
        raise InsufficientDataError(
            f"{video}: the clip lasts only {meta.duration_s * est_scale:.1f} s of running: too few steps "
            f"to measure (at least 3 per side, about {MIN_DURATION_S:.0f} s, are needed). Record 20-30 s "
            "of steady running."
        )


def analyze_video(
    video_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: AnalysisConfig | None = None,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    session: dict[str, Any] | None = None,
    frame_filter: FrameFilter | None = None,
) -> AnalysisResult:
    """Analyse one treadmill clip and write every output into ``out_dir``.

    Parameters
    ----------
    video_path
        The clip (never modified).
    out_dir
        Folder for ``track.npz``, ``steps.csv``, ``summary.json``, the
        report, and ``annotated.mp4`` when ``config.render.video``; created
        if missing.
    config
        Options; defaults to :class:`AnalysisConfig()`.
    overwrite
        Replace an analysis of a *different* clip found in ``out_dir``.
    progress
        Called as ``progress(stage, done, total)`` during the pose pass
        (``"pose"``) and the rendering (``"render"``).
    session
        Optional report-header fields (``patient_name``, ``note``,
        ``treadmill_speed``), stored in ``summary.json`` as ``session``.
    frame_filter
        ``(image, frame_index) -> image`` applied to every frame a still is
        made from (e.g. face blurring); see :mod:`gaitvision.render.keyframes`.

    Raises
    ------
    VideoReadError, PoseEstimationError, InsufficientDataError, OutputError
        With a message that says what to do.
    """
    config = config or AnalysisConfig()
    video = Path(video_path)
    meta = probe_video(video)
    capture_fps, capture_source = _capture_rate(meta, config)
    _check_duration(video, meta, capture_fps)
    fingerprint = file_fingerprint(video)
    out = Path(out_dir)
    created = not out.exists()
    _prepare_out_dir(out, video, fingerprint, overwrite)
    clip = _Clip(video, out, meta, fingerprint, capture_fps, capture_source)
    with _tidy_on_failure(clip, created):
        return _run(clip, config, progress, session=session, frame_filter=frame_filter)
    raise AssertionError("unreachable")  # pragma: no cover (the context manager re-raises)


@contextlib.contextmanager
def _tidy_on_failure(clip: _Clip, created: bool) -> Iterator[None]:
    """On any failure: no summary left behind, and one line that names the file."""
    try:
        yield
    except GaitvisionError as err:
        _tidy_failed(clip.out, created)
        if isinstance(err, (PoseEstimationError, InsufficientDataError)) and str(clip.video) not in str(err):
            raise type(err)(f"{clip.video}: {err}") from err  # one line naming the file
        raise
    except OSError as err:  # disk full, folder removed...: a failed write, said plainly
        _tidy_failed(clip.out, created)
        raise OutputError(
            f"{clip.out}: writing the results failed ({err.strerror or err}); nothing complete was "
            "written. Check the free disk space and the folder."
        ) from err
    except BaseException:
        _tidy_failed(clip.out, created)
        raise


def _pelvis_series(
    video: Path, out: Path, track: LandmarkTrack, fingerprint: str, config: AnalysisConfig, *, view: str
) -> PelvisImageSeries | None:
    """The image-based pelvis line of a rear/front clip, cached in ``pelvis.npz``.

    One extra decoding pass (no pose model), only for frontal views; reused
    on a re-run of the same clip like ``track.npz``.
    """
    if view.startswith("side"):
        return None
    path = out / "pelvis.npz"
    cached = load_pelvis_cache(path, fingerprint) if config.use_cache else None
    if cached is not None:
        return cached
    series = measure_pelvis_video(video, track)
    save_pelvis_cache(path, series, fingerprint)
    return series


def _pose_pass(
    video: Path, track_path: Path, meta: VideoMeta, fingerprint: str, config: AnalysisConfig,
    progress: Progress | None, leg_outline: bool | None,
) -> tuple[LandmarkTrack, float]:
    """Run the pose model over the clip and cache the track in ``track.npz``."""
    t0 = time.perf_counter()
    cb = (lambda done: progress("pose", done, meta.frames)) if progress else None
    track = track_video_parallel(video, workers=config.workers, threads=config.pose_threads,
                                 progress=cb, leg_outline=leg_outline, roi=config.roi)
    options = _pose_options(config)
    region = auto_crop(track) if config.roi is None else None
    if region is not None:  # the model was on someone else for a while: again on the runner's region
        logger.info("Someone else was in the picture: running the pose pass again on the runner's region %s",
                    region.roi)
        track = track_video_parallel(video, workers=config.workers, threads=config.pose_threads,
                                     progress=cb, leg_outline=has_knee_outline(track), roi=region.roi)
        options = AUTO_ROI + ",".join(str(v) for v in region.roi)
    seconds = time.perf_counter() - t0
    save_track(track_path, track, source_fingerprint=fingerprint,
               model_name=MODEL_NAME, model_version=model_version(), pose_options=options)
    return track, seconds


def _tidy_failed(out: Path, created: bool) -> None:
    """After a failure: never leave a summary; remove the folder if we made it and it is empty."""
    (out / "summary.json").unlink(missing_ok=True)
    if created:
        with contextlib.suppress(OSError):
            out.rmdir()  # only succeeds if empty (a cached track.npz is kept)


#: ``pose_options`` of a track whose pass ran on the region found automatically (:func:`auto_crop`)
AUTO_ROI = "auto-roi="


def _pose_options(config: AnalysisConfig) -> str:
    """The pose-pass options that change the landmarks, as stored with ``track.npz``."""
    return "" if config.roi is None else "roi=" + ",".join(str(v) for v in config.roi)


def _cached_track(track_path: Path, fingerprint: str, config: AnalysisConfig) -> LandmarkTrack | None:
    """The cached pose track, if it is this clip's from this pose model."""
    if not (config.use_cache and track_path.exists()):
        return None
    try:
        cached, info = load_track(track_path)
    except InvalidTrackError as err:
        logger.warning("Ignoring unreadable cached track: %s", err)
        return None
    options = info.get("pose_options", "")
    if config.roi is None and options.startswith(AUTO_ROI):
        options = ""  # the region found automatically on a pass without --roi
    if {**info, "pose_options": options} != {"source_fingerprint": fingerprint, "model_name": MODEL_NAME,
                                             "model_version": model_version(),
                                             "pose_options": _pose_options(config)}:
        return None
    logger.info("Reusing the landmark track in %s", track_path)
    return cached


@dataclass(frozen=True)
class _Clip:
    """What the run knows about its input."""

    video: Path
    out: Path
    meta: VideoMeta
    fingerprint: str
    capture_fps: float | None
    capture_source: str


def _track(clip: _Clip, config: AnalysisConfig, progress: Progress | None
           ) -> tuple[LandmarkTrack, bool, float, ViewEstimate]:
    """The clip's pose track (cached or new), whether cached, pose seconds, and the view."""
    track_path = clip.out / "track.npz"
    track = _cached_track(track_path, clip.fingerprint, config)
    from_cache, pose_seconds = track is not None, 0.0
    # the knee outline costs 1.3-2x the pose time and only frontal views use
    # it: set by --view, else decided from the clip's first frames
    leg_outline = {"auto": None, "rear": True, "front": True}.get(config.view, False)
    if not config.knee_outline:
        leg_outline = False
    if track is None:
        track, pose_seconds = _pose_pass(clip.video, track_path, clip.meta, clip.fingerprint, config,
                                         progress, leg_outline)
    view = _view(track, clip, config)
    if config.knee_outline and not view.view.startswith("side") and not has_knee_outline(track):
        # a cached track from a side-view start or an older version
        logger.info("Rear or front view: running the pose pass again with the leg outline")
        track, pose_seconds = _pose_pass(clip.video, track_path, clip.meta, clip.fingerprint, config,
                                         progress, True)
        from_cache = False
        view = _view(track, clip, config)
    return track, from_cache, pose_seconds, view


def _view(track: LandmarkTrack, clip: _Clip, config: AnalysisConfig) -> ViewEstimate:
    rt, _ = real_time_track(track, time_scale_for(track, clip.capture_fps))
    return resolve_view(rt, config.view)


def _measure(track: LandmarkTrack, view: ViewEstimate, pelvis: PelvisImageSeries | None, clip: _Clip,
             config: AnalysisConfig) -> Measurement:
    """:func:`measure` the clip, with a message that says what to do when it has too few steps."""
    scale = time_scale_for(track, clip.capture_fps)
    try:
        return measure(track, view, config, pelvis, time_scale=scale,
                       capture_known=clip.capture_fps is not None)
    except InsufficientDataError as err:
        why = explain_no_steps(real_time_track(track, scale)[0])
        if why:
            raise InsufficientDataError(f"{clip.video}: {why}") from err
        slowed = refusal_hint(real_time_track(track, scale)[0], capture_known=clip.capture_fps is not None)
        if slowed:
            raise InsufficientDataError(f"{err} {slowed}") from err
        if clip.capture_fps is None and track.fps_estimate() <= NORMAL_PLAYBACK_MAX_FPS:
            raise InsufficientDataError(
                f"{err} If it is a slow-motion clip, pass --capture-fps with the rate it was "
                "filmed at (e.g. 120 or 240)."
            ) from err
        raise


def summary_document(
    m: Measurement, track: LandmarkTrack, clip: _Clip, config: AnalysisConfig,
    session: dict[str, Any] | None,
) -> dict[str, Any]:
    """The whole ``summary.json`` of a measurement."""
    summary: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA,
        "gaitvision_version": __version__,
        "input": _input_block(clip.meta, track, clip.video, clip.fingerprint, time_scale=m.time_scale,
                              capture_source=clip.capture_source),
        **m.summary_dict(),
        "runner": m.person.to_dict(),
        "pose_model": {"name": MODEL_NAME, "version": model_version()},
        "config": config.to_dict(),
    }
    if m.corrections:
        summary["corrections"] = [c.to_dict() for c in m.corrections]
    if session:
        summary["session"] = {k: str(v) for k, v in session.items() if v not in (None, "")}
    return summary


def _write_outputs(
    m: Measurement, track: LandmarkTrack, summary: dict[str, Any], clip: _Clip, config: AnalysisConfig,
    progress: Progress | None, frame_filter: FrameFilter | None,
) -> None:
    """steps.csv, then the report (and beside it any video to encode); summary.json last."""
    out = clip.out
    write_steps(out / "steps.csv", m.table.columns(), m.table.rows)
    if frame_filter is None:  # --blur-faces: the stills too
        frame_filter = face_blur_filter(out, summary)
    # the report page plays the clip itself and draws the overlay over it in
    # the browser: it waits for no video. Only a clip the browser cannot play
    # (or --blur-faces) needs a playable copy, and only --video the annotated
    # video; they are encoded here while keyframes/, plots/ and report.html
    # are built in a thread beside them (FFmpeg decodes, scales and encodes
    # without Python's lock: on two cores the two overlap). All come before
    # summary.json: its presence means the analysis is complete.
    page, copy_needed = report_video(out, clip.video, summary) if config.render.report else (None, False)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gaitvision-report") as pool:
        report = (pool.submit(write_report, out, summary=summary, measurement=m, video_path=clip.video,
                              frame_filter=frame_filter, page_video=page)
                  if config.render.report else None)
        if copy_needed and page is not None:
            cb = (lambda done: progress("browser copy", done, track.n_frames)) if progress else None
            write_page_video(clip.video, page, frame_filter, progress=cb)
        if config.render.video:
            _render(clip.video, out, m, track, config.render, progress)
        if report is not None:
            summary["warnings"] = [*summary["warnings"], *_report_problems(report)]
    write_summary(out / "summary.json", summary)


def _render(video: Path, out: Path, m: Measurement, track: LandmarkTrack, cfg: RenderConfig,
            progress: Progress | None) -> None:
    """Write ``annotated.mp4`` (``track``: the raw pose track, in the clip's own time)."""
    cb = (lambda done: progress("render", done, track.n_frames)) if progress else None
    # the video plays in container time: draw with the container's timestamps
    draw_track = m.track if m.time_scale == 1.0 else m.track.replace(time_s=track.time_s)
    render_video(video, out / "annotated.mp4", track=draw_track, rows=m.table.rows,
                 geometry=[dict(g) for g in m.table.geometry], view=m.view.view, cfg=cfg,
                 progress=cb, face_track=track)


def write_annotated_video(
    out_dir: str | os.PathLike[str],
    *,
    full_resolution: bool = False,
    slow_motion: float = 1.0,
    blur_faces: bool = False,
    clip: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``annotated.mp4`` into a finished analysis folder, later, from its caches (no pose model).

    The same :func:`measure` on the cached ``track.npz`` (and ``pelvis.npz``)
    with the stored options and corrections, as ``gaitvision report`` does,
    drawn over the analysed clip: the video ``--video`` would have written.

    Parameters
    ----------
    full_resolution
        At the clip's size (default: long side <= 1280 px).
    slow_motion
        Play it this many times slower (>= 1).
    blur_faces
        Blur the runner's face; always on for an analysis run with
        ``--blur-faces``.
    clip
        The analysed clip, if it has moved.

    Raises
    ------
    OutputError
        If the folder is not a finished analysis, has no usable
        ``track.npz``, or the clip is not found (or is another clip).
    """
    folder = Path(out_dir)
    summary = read_summary(folder)
    video = find_clip(summary, clip)
    if video is None:
        where = (summary.get("input") or {}).get("path", "")
        raise OutputError(f"{folder}: the analysed clip is not at {where} (or has changed); pass it with --clip.")
    m = remeasure(folder, summary)
    if m is None or m.prepared is None:
        raise OutputError(f"{folder}: its track.npz is missing or cannot be measured; run `gaitvision analyze` "
                          "again to write the video.")
    stored = (summary.get("config") or {}).get("render") or {}
    cfg = RenderConfig(max_long_side_px=100000 if full_resolution else 1280, slow_motion=max(1.0, slow_motion),
                       blur_faces=blur_faces or bool(stored.get("blur_faces")))
    _render(video, folder, m, m.prepared.source, cfg, progress)
    return folder / "annotated.mp4"


def _report_problems(report: Future[ReportFiles]) -> list[str]:
    """What the report could not draw, as warnings; a report that failed whole is one warning."""
    try:
        return list(report.result().problems)
    except (OSError, GaitvisionError):
        raise
    except Exception as err:  # a drawing bug must not lose the measured numbers
        logger.warning("The report could not be written", exc_info=True)
        return [f"The report (report.html) could not be written ({type(err).__name__}: {err}); the "
                "numbers in summary.json and steps.csv are complete. Run `gaitvision report` on this "
                "folder with --verbose and report the problem."]


def _run(
    clip: _Clip,
    config: AnalysisConfig,
    progress: Progress | None,
    *,
    session: dict[str, Any] | None = None,
    frame_filter: FrameFilter | None = None,
) -> AnalysisResult:
    _clear_previous_outputs(clip.out)
    track, from_cache, pose_seconds, view = _track(clip, config, progress)
    pelvis = _pelvis_series(clip.video, clip.out, real_time_track(track, time_scale_for(track, clip.capture_fps))[0],
                            clip.fingerprint, config, view=view.view)
    m = _measure(track, view, pelvis, clip, config)
    summary = summary_document(m, track, clip, config, session)
    try:
        _write_outputs(m, track, summary, clip, config, progress, frame_filter)
    except BaseException:
        # steps.csv, stills, plots and report.html of a run that did not
        # finish are removed: nothing half-made is left to be mistaken for results
        _clear_previous_outputs(clip.out, with_dirs=True)
        (clip.out / "summary.json").unlink(missing_ok=True)
        raise
    return AnalysisResult(clip.out, summary, m, from_cache, pose_seconds)
