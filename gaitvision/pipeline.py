"""The one orchestrator: video -> pose -> measurement -> files.

Writes the outputs of outputs.md into an output folder, each file
atomically (temporary name, then rename), ``summary.json`` last so that
its presence means the analysis completed.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .config import AnalysisConfig
from .errors import InvalidTrackError, OutputError
from .io._atomic import write_json, write_text
from .io.pose import MODEL_NAME, model_version, track_video
from .io.tracks import file_fingerprint, load_track, save_track
from .io.video import VideoMeta, probe_video
from .processing import Measurement, measure_track
from .render import render_video
from .track import LandmarkTrack

__all__ = ["AnalysisResult", "analyze_video", "STEP_COLUMNS"]

logger = logging.getLogger(__name__)

SCHEMA = "gaitvision.summary/1"
STEP_COLUMNS = (
    "step", "side", "ic_time_s", "ic_frame", "to_time_s", "to_frame",
    "contact_time_s", "step_time_s", "confidence",
)

OUTPUT_FILES = ("track.npz", "annotated.mp4", "steps.csv", "summary.json")

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
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder; choose another --out.")
    outputs = [out_dir / n for n in OUTPUT_FILES]
    if out_dir.resolve() == video.resolve() or any(p.resolve() == video.resolve() for p in outputs):
        raise OutputError(f"{out_dir}: writing there would overwrite the input clip; choose another --out.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{out_dir}: cannot create the output folder ({err.strerror}).") from err
    if not os.access(out_dir, os.W_OK):
        raise OutputError(f"{out_dir}: the output folder is not writable.")
    old = out_dir / "summary.json"
    if old.exists() and not overwrite:
        import json

        try:
            prev = json.loads(old.read_text(encoding="utf-8")).get("input", {}).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            prev = None
        if prev != fingerprint:
            raise OutputError(
                f"{out_dir}: holds the analysis of another clip; pass --overwrite to replace it "
                "or choose another --out."
            )


def _steps_csv(measurement: Measurement) -> str:
    table = measurement.table
    extra = [k for k in ("foot_strike_pattern", "midstance_frame", "knee_fppa_peak_frame",
                         "pelvic_drop_peak_frame") if table.rows and k in table.rows[0]]
    cols = list(STEP_COLUMNS) + list(table.metric_keys) + extra + ["excluded_reason"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in table.rows:
        out = []
        for c in cols:
            v = r.get(c)
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                out.append("")
            elif isinstance(v, float):
                out.append(f"{v:.4f}")
            else:
                out.append(str(v))
        w.writerow(out)
    return buf.getvalue()


def _input_block(meta: VideoMeta, track: LandmarkTrack, video: Path, fingerprint: str) -> dict[str, Any]:
    t = track.time_s
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    duration = float(t[-1] + dt) if t.size else 0.0
    return {
        "path": str(video),
        "fingerprint": fingerprint,
        "width": track.frame_size_wh[0],
        "height": track.frame_size_wh[1],
        "rotation_deg": meta.rotation_deg,
        "codec": meta.codec,
        "frames": track.n_frames,
        "duration_s": round(duration, 4),
        "fps_mean": round(track.n_frames / duration, 3) if duration > 0 else None,
        "capture_fps": round(track.fps_estimate(), 3),
    }


def analyze_video(
    video_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: AnalysisConfig | None = None,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Analyse one treadmill clip and write every output into ``out_dir``.

    Parameters
    ----------
    video_path
        The clip (never modified).
    out_dir
        Folder for ``track.npz``, ``annotated.mp4``, ``steps.csv`` and
        ``summary.json``; created if missing.
    config
        Options; defaults to :class:`AnalysisConfig()`.
    overwrite
        Replace an analysis of a *different* clip found in ``out_dir``.
    progress
        Called as ``progress(stage, done, total)`` during the pose pass
        (``"pose"``) and the rendering (``"render"``).

    Raises
    ------
    VideoReadError, PoseEstimationError, InsufficientDataError, OutputError
        With a message that says what to do.
    """
    config = config or AnalysisConfig()
    video = Path(video_path)
    meta = probe_video(video)
    fingerprint = file_fingerprint(video)
    out = Path(out_dir)
    _prepare_out_dir(out, video, fingerprint, overwrite)
    (out / "summary.json").unlink(missing_ok=True)

    track_path = out / "track.npz"
    track: LandmarkTrack | None = None
    from_cache = False
    if config.use_cache and track_path.exists():
        try:
            cached, info = load_track(track_path)
        except InvalidTrackError as err:
            logger.warning("Ignoring unreadable cached track: %s", err)
        else:
            if info == {
                "source_fingerprint": fingerprint,
                "model_name": MODEL_NAME,
                "model_version": model_version(),
            }:
                track, from_cache = cached, True
                logger.info("Reusing the landmark track in %s", track_path)
    pose_seconds = 0.0
    if track is None:
        t0 = time.perf_counter()
        cb = (lambda done: progress("pose", done, meta.frames)) if progress else None
        track = track_video(video, progress=cb)
        pose_seconds = time.perf_counter() - t0
        save_track(track_path, track, source_fingerprint=fingerprint,
                   model_name=MODEL_NAME, model_version=model_version())

    m = measure_track(
        track, view=config.view, cfg=config.filtering, min_steps_per_side=config.min_steps_per_side
    )
    if config.render.video:
        cb2 = (lambda done: progress("render", done, track.n_frames)) if progress else None
        render_video(video, out / "annotated.mp4", track=m.track, rows=m.table.rows,
                     geometry=m.table.geometry, view=m.view.view, cfg=config.render, progress=cb2)
    write_text(out / "steps.csv", _steps_csv(m))
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "gaitvision_version": __version__,
        "input": _input_block(meta, track, video, fingerprint),
        **m.summary,
        "pose_model": {"name": MODEL_NAME, "version": model_version()},
        "config": config.to_dict(),
    }
    write_json(out / "summary.json", summary)
    return AnalysisResult(out, summary, m, from_cache, pose_seconds)
