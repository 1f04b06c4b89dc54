"""Write the PT's report into an analysis folder: keyframes/, plots/, report.html.

:func:`write_report` is called by the pipeline (with the measurement it
already has) and by ``gaitvision report OUT_DIR`` (which rebuilds the
measurement from ``track.npz`` without running the pose model). Every file
is written atomically.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from gaitvision.errors import InsufficientDataError, InvalidTrackError, OutputError
from gaitvision.io._atomic import write_text
from gaitvision.report.data import AnalysisFolder, load_folder, metric_columns
from gaitvision.report.html import Figure, render_report
from gaitvision.report.text import metric_info, unit_of

if TYPE_CHECKING:
    from gaitvision.measurement import Measurement
    from gaitvision.render.keyframes import FrameFilter

__all__ = ["ReportFiles", "face_blur_filter", "find_clip", "rebuild_report", "remeasure", "write_plots", "write_report"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    report: Path
    keyframes: list[Path]
    plots: list[Path]


def _bands() -> dict[str, Any]:
    from gaitvision.report.plots import Band

    # Only VERIFIED numbers from metrics.md: the foot-strike cut-offs (a
    # classification, not a norm) and the self-selected trunk lean.
    return {
        "foot_strike_angle_deg": Band(-0.8, 7.4, "midfoot zone: rearfoot above, forefoot below",
                                      "Mo et al. 2021"),
        "trunk_lean_deg": Band(3.7, 10.9, "self-selected lean 7.3 ± 3.6°", "Teng & Powers 2014"),
    }


def remeasure(out_dir: str | os.PathLike[str], summary: Mapping[str, Any]) -> Measurement | None:
    """Rebuild the measurement from ``track.npz`` (no pose model) or None if impossible."""
    from gaitvision.config import FilterConfig
    from gaitvision.errors import ConfigError
    from gaitvision.io.tracks import load_track
    from gaitvision.measurement import measure_track

    path = Path(out_dir) / "track.npz"
    if not path.exists():
        return None
    cfg = (summary.get("config") or {})
    try:
        filt = FilterConfig(**(cfg.get("filtering") or {}))
    except (TypeError, ConfigError):
        filt = FilterConfig()
    view = str(summary.get("view") or "auto")
    try:
        raw, _ = load_track(path)
        # as the pipeline does: slow motion rescaled to real time, one runner kept
        factor = (summary.get("input") or {}).get("slow_motion_factor")
        if isinstance(factor, (int, float)) and factor > 0 and factor != 1:
            raw = dataclasses.replace(raw, time_s=raw.time_s / factor)
        try:
            from gaitvision.clean.person import follow_one_person
        except ImportError:
            pass
        else:
            raw, _ = follow_one_person(raw)
        return measure_track(raw, view=view if view in ("side-left", "side-right", "rear", "front") else "auto",
                             cfg=filt, min_steps_per_side=int(cfg.get("min_steps_per_side", 3)),
                             knee_outline=bool(cfg.get("knee_outline", True)))
    except (InvalidTrackError, InsufficientDataError) as err:
        logger.warning("Cannot rebuild the measurement from %s: %s", path, err)
        return None


def find_clip(summary: Mapping[str, Any], clip: str | os.PathLike[str] | None = None) -> Path | None:
    """The analysed clip, if it is still where it was (or at ``clip``) and unchanged.

    Raises
    ------
    OutputError
        If ``clip`` is given but is not the clip that was analysed.
    """
    from gaitvision.io.tracks import file_fingerprint

    inp = summary.get("input") or {}
    want = inp.get("fingerprint")
    if clip is not None:
        p = Path(clip)
        if not p.is_file():
            raise OutputError(f"{p}: no such clip.")
        if want and file_fingerprint(p) != want:
            raise OutputError(f"{p}: is not the clip this folder analysed (its content differs).")
        return p
    p = Path(str(inp.get("path", "")))
    if p.is_file() and (not want or file_fingerprint(p) == want):
        return p
    return None


def _png(path: Path) -> bytes:
    return path.read_bytes()


def _jpeg(path: Path, quality: int = 86) -> bytes:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise OutputError(f"{path}: cannot be read as an image.")
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OutputError(f"{path}: cannot be encoded as JPEG.")
    return buf.tobytes()


def _by_side(rows: list[dict[str, Any]], key: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    t, v, low = {}, {}, {}
    for side in ("left", "right"):
        rs = [r for r in rows if r.get("side") == side and not r.get("excluded_reason")
              and isinstance(r.get(key), float) and isinstance(r.get("ic_time_s"), float)]
        if rs:
            t[side] = np.array([r["ic_time_s"] for r in rs])
            v[side] = np.array([r[key] for r in rs])
            low[side] = np.array([r.get("confidence") != "high" for r in rs])
    return t, v, low


def write_plots(folder: AnalysisFolder, measurement: Measurement | None) -> list[tuple[Path, str, bool]]:
    """Write ``plots/*.png``; returns (path, caption, in the printed handout) per plot."""
    from gaitvision.report import plots
    from gaitvision.report.curves import CurveContext, cycle_curves

    pdir = folder.path / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    s = folder.summary
    metrics = s.get("metrics") or {}
    out: list[tuple[Path, str, bool]] = []
    bands = _bands()

    def save(fig: Any, name: str, caption: str, printed: bool) -> None:
        path = pdir / name
        plots.save_figure(fig, path)
        out.append((path, caption, printed))

    if measurement is not None:
        table = measurement.table
        ctx = CurveContext(view=folder.view, flat_foot_raw_deg=dict(table.flat_foot_raw_deg),
                           pelvis_level_deg=float(table.pelvis_level_deg))
        for i, c in enumerate(cycle_curves(measurement.track, folder.rows, metrics, ctx)):
            fig, _ = plots.plot_gait_cycle(c.strides, title=c.title, unit=c.unit,
                                           events_pct=c.events_pct, note=c.note,
                                           fade_swing=c.stance_only)
            # the two-page handout has room for two curves
            save(fig, f"cycle_{c.name}.png",
                 f"{c.title}: mean (line) and ±1 SD (shade) over the strides, 0 % = the foot lands; "
                 "dashed lines mark the other foot landing and toe-off. " + c.note, i < 2)
    for key in metric_columns(folder.columns, folder.rows):
        if key in ("step_time_s", "contact_time_s"):
            continue
        t, v, low = _by_side(folder.rows, key)
        if not v:
            continue
        entry = metrics.get(key) or {}
        meds = {side: entry[side]["median"] for side in ("left", "right")
                if isinstance(entry.get(side), dict) and "median" in entry[side]}
        info = metric_info(key, entry.get("unit"))
        fig, _ = plots.plot_step_values(t, v, title=f"{info.name}, step by step",
                                        unit=unit_of(key, entry.get("unit")), low_confidence=low,
                                        medians=meds, band=bands.get(key))
        band = bands.get(key)
        save(fig, f"steps_{key}.png",
             f"{info.name} for each step used (dashed: each side's median; hollow: low confidence)."
             + (f" Shaded: {band.label} ({band.source})." if band else ""), False)
    t, st, _ = _by_side(folder.rows, "step_time_s")
    if st:
        _, ct, _ = _by_side(folder.rows, "contact_time_s")
        cad = s.get("cadence_spm")
        fig, _ = plots.plot_timing(t, st, cadence_spm=cad if isinstance(cad, (int, float)) else None,
                                   contact_time_s=ct or None)
        save(fig, "timing.png", "Cadence from each step's duration (60 / step time)"
             + (" and ground contact time per side." if ct else "."), False)
    keep = {p.name for p, _, _ in out}
    for old in pdir.glob("*.png"):  # plots of an earlier run that this run did not make
        if old.name not in keep and (old.name.startswith(("cycle_", "steps_")) or old.name == "timing.png"):
            old.unlink(missing_ok=True)
    return out


def write_report(
    out_dir: str | os.PathLike[str],
    *,
    summary: Mapping[str, Any] | None = None,
    measurement: Measurement | None = None,
    video_path: str | os.PathLike[str] | None = None,
    frame_filter: FrameFilter | None = None,
    session: Mapping[str, Any] | None = None,
    with_video: bool | None = None,
) -> ReportFiles:
    """Write ``keyframes/``, ``plots/`` and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        The analysis folder (``steps.csv`` must be there).
    summary
        The summary dict when ``summary.json`` is not yet written (the
        pipeline); read from disk otherwise.
    measurement
        The measurement of the clip (the pipeline's); rebuilt from
        ``track.npz`` when None.
    video_path
        The analysed clip, for the stills; found from ``summary.json``
        when None. Without it, existing stills are kept.
    frame_filter
        Applied to every frame a still is made from (face blurring hook).
    session
        Header fields (``patient_name``, ``note``, ``treadmill_speed``);
        defaults to ``summary["session"]``.
    with_video
        Whether the page shows ``annotated.mp4``; None: if the file is
        there. The pipeline says True while the video is still being
        written beside the report.
    """
    from gaitvision.render.keyframes import stored_geometry, write_keyframes

    folder = load_folder(out_dir, summary=dict(summary) if summary is not None else None)
    fresh = measurement is not None
    if measurement is None:
        measurement = remeasure(folder.path, folder.summary)
    clip = Path(video_path) if video_path is not None else find_clip(folder.summary)
    kdir = folder.path / "keyframes"
    if clip is not None and measurement is not None:
        geometry: dict[tuple[str, int], Any] = {
            (r["side"], int(r["ic_frame"])): g
            for r, g in zip(measurement.table.rows, measurement.table.geometry)}
        if not fresh:
            # a rebuild: the points saved when steps.csv was written win over
            # a re-measurement (the measuring code may have changed since)
            geometry.update(stored_geometry(folder.path))
        write_keyframes(folder.path, rows=folder.rows, summary=folder.summary, track=measurement.track,
                        geometry=geometry, video_path=clip, frame_filter=frame_filter)
    elif not kdir.exists():
        logger.warning("The analysed clip is not available: the report has no stills. "
                       "Pass the clip to `gaitvision report` to add them.")
    stills: list[Figure] = []
    kfiles = sorted(kdir.glob("*.png")) if kdir.exists() else []
    pair = [p for p in kfiles if p.name.startswith("left_right_")]
    singles = [p for p in kfiles if not p.name.startswith("left_right_")]
    what = "landing (initial contact)" if folder.side_view else "midstance, most knee collapse"
    for p in pair or singles:
        stills.append(Figure(_jpeg(p), "image/jpeg",
                             f"{'Left and right' if p in pair else p.stem.replace('_', ' ')}: {what}, "
                             "the step closest to the side's median. Frame numbers match the video and "
                             "the step table.", f"still: {p.stem.replace('_', ' ')}"))
    written = write_plots(folder, measurement)
    plot_figs = [Figure(_png(p), "image/png", cap, p.stem.replace("_", " "),
                        "" if printed else "screen-only")
                 for p, cap, printed in written]
    if with_video is None:
        with_video = (folder.path / "annotated.mp4").exists()
    video = "annotated.mp4" if with_video else None
    page = render_report(folder, stills=stills, plots=plot_figs, video_file=video, session=session)
    report = folder.path / "report.html"
    write_text(report, page)
    return ReportFiles(report, kfiles, [p for p, _, _ in written])


def face_blur_filter(out_dir: str | os.PathLike[str], summary: Mapping[str, Any]) -> FrameFilter | None:
    """The face-blurring frame filter when the analysis was run with ``--blur-faces``, else None.

    Raises
    ------
    OutputError
        If faces must be blurred but cannot be (no landmark track or no
        blurring module): a rebuilt report never shows a face the analysis
        blurred.
    """
    render = (summary.get("config") or {}).get("render") or {}
    if not render.get("blur_faces"):
        return None
    from gaitvision.io.tracks import load_track

    try:
        from gaitvision.render.privacy import blur_box, face_boxes
    except ImportError as err:
        raise OutputError("This analysis blurred faces, but face blurring is not available here; "
                          "the stills were not redrawn.") from err
    try:
        raw, _ = load_track(Path(out_dir) / "track.npz")
    except InvalidTrackError as err:
        raise OutputError(f"{out_dir}: this analysis blurred faces, but its track.npz cannot be read "
                          f"to find them ({err}); the stills were not redrawn.") from err
    boxes = face_boxes(raw)

    def blur(image: Any, index: int) -> Any:
        return blur_box(image, boxes[index] if index < len(boxes) else None)

    return blur


def rebuild_report(
    out_dir: str | os.PathLike[str],
    *,
    clip: str | os.PathLike[str] | None = None,
    frame_filter: FrameFilter | None = None,
    session: Mapping[str, Any] | None = None,
) -> ReportFiles:
    """Re-render the report of a finished analysis folder, without the pose model.

    Raises
    ------
    OutputError
        If the folder is not a finished analysis, or ``clip`` is not the
        analysed clip.
    """
    folder = load_folder(out_dir)
    video = find_clip(folder.summary, clip)
    if frame_filter is None and video is not None:
        frame_filter = face_blur_filter(folder.path, folder.summary)
    return write_report(folder.path, measurement=None, video_path=video, frame_filter=frame_filter,
                        session=session)
