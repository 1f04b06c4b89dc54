"""Write the PT's report into an analysis folder: keyframes/, plots/, report.html.

:func:`write_report` is called by the pipeline (with the measurement it
already has) and by ``gaitvision report OUT_DIR`` (which rebuilds the
measurement from ``track.npz`` without running the pose model). Every file
is written atomically.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from gaitvision.errors import InsufficientDataError, InvalidTrackError, OutputError
from gaitvision.io._atomic import write_text
from gaitvision.io.outputs import write_steps, write_summary
from gaitvision.report.data import AnalysisFolder, load_folder, metric_columns
from gaitvision.report.html import Figure, render_report
from gaitvision.report.overlay import BROWSER_COPY, overlay_data, video_href
from gaitvision.report.text import metric_info, unit_of

if TYPE_CHECKING:
    from gaitvision.measure.corrections import Correction
    from gaitvision.measurement import Measurement
    from gaitvision.render.keyframes import FrameFilter
    from gaitvision.report.curves import CycleCurve

__all__ = ["ReportFiles", "face_blur_filter", "find_clip", "rebuild_report", "remeasure", "report_video", "shown_video",
           "write_plots", "write_report"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    report: Path
    keyframes: list[Path]
    plots: list[Path]
    #: what could not be drawn, one sentence each (also among the report's notes)
    problems: list[str] = dataclasses.field(default_factory=list)


def _bands() -> dict[str, Any]:
    """The registry's reference bands, as the plots draw them."""
    from gaitvision.measure.registry import METRICS
    from gaitvision.report.plots import Band

    return {m.key: Band(m.band.low, m.band.high, m.band.label, m.band.source) for m in METRICS if m.band}


def _time_scale(summary: Mapping[str, Any]) -> float:
    """Real seconds per container second, as the analysis used."""
    inp = summary.get("input") or {}
    scale = inp.get("time_scale")
    if isinstance(scale, (int, float)) and scale > 0:
        return float(scale)
    factor = inp.get("slow_motion_factor")  # written before time_scale was stored
    return 1.0 / factor if isinstance(factor, (int, float)) and factor > 0 else 1.0


def remeasure(
    out_dir: str | os.PathLike[str],
    summary: Mapping[str, Any],
    corrections: Sequence[Correction] | None = None,
) -> Measurement | None:
    """Measure an analysis folder again from its caches, exactly as ``analyze`` did.

    The same :func:`gaitvision.measurement.measure` on the same inputs: the
    pose track (``track.npz``), the pelvis line (``pelvis.npz``), the stored
    options, time scale and view option, and the stored corrections unless
    ``corrections`` is given. None when the track is missing or too short.
    """
    from gaitvision.config import AnalysisConfig
    from gaitvision.errors import ConfigError
    from gaitvision.io.tracks import load_track
    from gaitvision.measure.corrections import correction_from_dict
    from gaitvision.measurement import measure
    from gaitvision.pose.pelvis_cache import load_pelvis_cache

    folder = Path(out_dir)
    path = folder / "track.npz"
    if not path.exists():
        return None
    try:
        config = AnalysisConfig.from_dict(dict(summary.get("config") or {}))
    except (TypeError, ConfigError) as err:
        logger.warning("Cannot read the analysis options in summary.json (%s); using the defaults.", err)
        config = AnalysisConfig()
    inp = summary.get("input") or {}
    if corrections is None:
        corrections = [correction_from_dict(c) for c in summary.get("corrections") or []]
    pelvis = load_pelvis_cache(folder / "pelvis.npz", str(inp.get("fingerprint", "")))
    try:
        raw, _ = load_track(path)
        return measure(raw, config.view, config, pelvis, corrections, time_scale=_time_scale(summary),
                       capture_known=inp.get("capture_fps_source", "timestamps") != "timestamps")
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
        rs = _side_rows(rows, key, side)
        if rs:
            t[side] = np.array([r["ic_time_s"] for r in rs])
            v[side] = np.array([r[key] for r in rs])
            low[side] = np.array([r.get("confidence") != "high" for r in rs])
    return t, v, low


def _side_rows(rows: list[dict[str, Any]], key: str, side: str) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("side") == side and not r.get("excluded_reason")
            and isinstance(r.get(key), float) and isinstance(r.get("ic_time_s"), float)]


def _step_intervals(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Per side, the used steps' 95 % intervals as a (2, n) array (NaN where a step has none)."""
    out = {}
    for side in ("left", "right"):
        rs = _side_rows(rows, key, side)
        if rs and any(isinstance(r.get(key + "_ci95_lo"), float) for r in rs):
            out[side] = np.array([[r.get(key + "_ci95_lo") if isinstance(r.get(key + "_ci95_lo"), float)
                                   else np.nan for r in rs],
                                  [r.get(key + "_ci95_hi") if isinstance(r.get(key + "_ci95_hi"), float)
                                   else np.nan for r in rs]])
    return out


class _Plots:
    """Writes ``plots/*.png``; a plot that fails to draw becomes a problem, not a lost report."""

    def __init__(self, folder: AnalysisFolder) -> None:
        self.dir = folder.path / "plots"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.written: list[tuple[Path, str, bool]] = []
        self.problems: list[str] = []

    def draw(self, name: str, caption: str, printed: bool, make: Callable[[], Any]) -> None:
        """Save the figure ``make()`` returns as ``plots/NAME``."""
        from gaitvision.report import plots

        try:
            fig = make()
            plots.save_figure(fig, self.dir / name)
        except OSError:
            raise
        except Exception as err:  # a drawing bug must not lose the report
            logger.warning("Plot %s could not be drawn", name, exc_info=True)
            self.problems.append(f"The plot {name} could not be drawn ({type(err).__name__}: {err}).")
            return
        self.written.append((self.dir / name, caption, printed))

    def remove_stale(self) -> None:
        """Remove plots of an earlier run that this run did not make."""
        keep = {p.name for p, _, _ in self.written}
        for old in self.dir.glob("*.png"):
            if old.name not in keep and (old.name.startswith(("cycle_", "steps_")) or old.name == "timing.png"):
                old.unlink(missing_ok=True)


def _cycle_plots(out: _Plots, folder: AnalysisFolder, measurement: Measurement) -> None:
    from gaitvision.report.curves import cycle_curves

    curves = cycle_curves(measurement.signals, folder.rows, folder.summary.get("metrics") or {},
                          view=folder.view, pelvis_source=str(measurement.table.pelvis.get("source")))
    for i, c in enumerate(curves):
        out.draw(f"cycle_{c.name}.png",
                 f"{c.title}: mean (line) and ±1 SD (shade) over the strides, 0 % = the foot lands; "
                 "dashed lines mark the other foot landing and toe-off. " + c.note,
                 i < 2,  # the two-page handout has room for two curves
                 functools.partial(_cycle_figure, c))


def _cycle_figure(c: CycleCurve) -> Any:
    from gaitvision.report import plots

    return plots.plot_gait_cycle(c.strides, title=c.title, unit=c.unit, events_pct=c.events_pct,
                                 note=c.note, fade_swing=c.stance_only)[0]


def _step_plots(out: _Plots, folder: AnalysisFolder) -> None:

    metrics = folder.summary.get("metrics") or {}
    bands = _bands()
    for key in metric_columns(folder.columns, folder.rows):
        if key in ("step_time_s", "contact_time_s"):
            continue
        t, v, low = _by_side(folder.rows, key)
        if not v:
            continue
        entry = metrics.get(key) or {}
        meds = {side: entry[side]["median"] for side in ("left", "right")
                if isinstance(entry.get(side), dict) and "median" in entry[side]}
        cis = {side: tuple(entry[side]["ci95"]) for side in ("left", "right")
               if isinstance(entry.get(side), dict) and isinstance(entry[side].get("ci95"), list)}
        info = metric_info(key, entry.get("unit"))
        band = bands.get(key)
        out.draw(f"steps_{key}.png",
                 f"{info.name} for each step used (bars: each step's 95 % interval; dashed: each side's "
                 "median, with its 95 % interval as a light band; hollow: low confidence)."
                 + (f" Shaded: {band.label} ({band.source})." if band else ""), False,
                 functools.partial(_step_figure, t, v, title=f"{info.name}, step by step",
                                   unit=unit_of(key, entry.get("unit")), low_confidence=low, medians=meds,
                                   band=band, intervals=_step_intervals(folder.rows, key), median_ci95=cis))


def _step_figure(*args: Any, **kwargs: Any) -> Any:
    from gaitvision.report import plots

    return plots.plot_step_values(*args, **kwargs)[0]


def _timing_plot(out: _Plots, folder: AnalysisFolder) -> None:
    from gaitvision.report import plots

    t, st, _ = _by_side(folder.rows, "step_time_s")
    if not st:
        return
    _, ct, _ = _by_side(folder.rows, "contact_time_s")
    cad = folder.summary.get("cadence_spm")
    out.draw("timing.png", "Cadence from each step's duration (60 / step time)"
             + (" and ground contact time per side." if ct else "."), False,
             lambda: plots.plot_timing(t, st, cadence_spm=cad if isinstance(cad, (int, float)) else None,
                                       contact_time_s=ct or None)[0])


def write_plots(folder: AnalysisFolder, measurement: Measurement | None) -> tuple[
        list[tuple[Path, str, bool]], list[str]]:
    """Write ``plots/*.png``.

    Returns
    -------
    written, problems
        (path, caption, in the printed handout) per plot, and one sentence
        per plot that could not be drawn.
    """
    out = _Plots(folder)
    if measurement is not None:
        _cycle_plots(out, folder, measurement)
    _step_plots(out, folder)
    _timing_plot(out, folder)
    out.remove_stale()
    return out.written, out.problems


def _stills(folder: AnalysisFolder, measurement: Measurement | None, clip: Path | None, *, fresh: bool,
            frame_filter: FrameFilter | None) -> list[str]:
    """Write ``keyframes/``; returns what could not be drawn."""
    from gaitvision.render.keyframes import stored_geometry, write_keyframes

    if clip is None or measurement is None:
        if not (folder.path / "keyframes").exists():
            logger.warning("The analysed clip is not available: the report has no stills. "
                           "Pass the clip to `gaitvision report` to add them.")
        return []
    geometry: dict[tuple[str, int], Any] = {
        (s.side, s.ic_frame): s.geometry for s in measurement.table.steps}
    if not fresh:
        # a rebuild: the points saved when steps.csv was written win over
        # a re-measurement (the measuring code may have changed since)
        geometry.update(stored_geometry(folder.path))
    try:
        times = measurement.prepared.source.time_s if measurement.prepared is not None else None
        write_keyframes(folder.path, rows=folder.rows, summary=folder.summary, track=measurement.track,
                        geometry=geometry, video_path=clip, frame_filter=frame_filter, frame_times_s=times)
    except OSError:
        raise
    except Exception as err:  # a drawing or decoding failure must not lose the report
        logger.warning("The stills could not be drawn", exc_info=True)
        return [f"The key-frame stills could not be drawn ({type(err).__name__}: {err})."]
    return []


def _still_figures(folder: AnalysisFolder) -> tuple[list[Figure], list[Path]]:
    kdir = folder.path / "keyframes"
    kfiles = sorted(kdir.glob("*.png")) if kdir.exists() else []
    pair = [p for p in kfiles if p.name.startswith("left_right_")]
    singles = [p for p in kfiles if not p.name.startswith("left_right_")]
    what = "landing (initial contact)" if folder.side_view else "midstance, most knee collapse"
    stills = [Figure(_jpeg(p), "image/jpeg",
                     f"{'Left and right' if p in pair else p.stem.replace('_', ' ')}: {what}, "
                     "the step closest to the side's median. Frame numbers match the video and "
                     "the step table.", f"still: {p.stem.replace('_', ' ')}")
              for p in pair or singles]
    return stills, kfiles


def _blurs_faces(summary: Mapping[str, Any]) -> bool:
    return bool(((summary.get("config") or {}).get("render") or {}).get("blur_faces"))


def report_video(out_dir: str | os.PathLike[str], clip: Path | None, summary: Mapping[str, Any]) -> tuple[
        Path | None, bool]:
    """The video the report plays with the overlay drawn over it, and whether it must be written first.

    The analysed clip itself when the browser can play it (H.264 4:2:0 in
    MP4/MOV); else, or when faces are blurred (``--blur-faces``: the page
    never shows a face the analysis blurred), the browser-playable copy
    ``browser.mp4`` in the analysis folder (:func:`gaitvision.render.video.write_browser_copy`).
    None when the clip is not available.
    """
    from gaitvision.render.video import clip_playable

    if clip is None:
        return None, False
    if not _blurs_faces(summary) and clip_playable(clip):
        return clip, False
    return Path(out_dir) / BROWSER_COPY, True


def write_page_video(clip: Path, dest: Path, frame_filter: FrameFilter | None = None, *,
                     progress: Callable[[int], None] | None = None) -> None:
    """Write the report's browser-playable copy of ``clip`` (``frame_filter``: e.g. the faces blurred)."""
    from gaitvision.render.video import write_browser_copy

    write_browser_copy(clip, dest, frame_filter=frame_filter, progress=progress)


def shown_video(out_dir: str | os.PathLike[str], summary: Mapping[str, Any]) -> Path | None:
    """A video of the analysis to show as it is (the comparison page): ``annotated.mp4``, else the
    report's playable copy, else the analysed clip if the browser plays it (not with blurred faces)."""
    from gaitvision.render.video import clip_playable

    folder = Path(out_dir)
    for name in ("annotated.mp4", BROWSER_COPY):
        if (folder / name).is_file():
            return folder / name
    clip = Path(str((summary.get("input") or {}).get("path", "")))
    if not _blurs_faces(summary) and clip.is_file() and clip_playable(clip):
        return clip
    return None


def _video_and_overlay(folder: AnalysisFolder, measurement: Measurement | None, clip: Path | None,
                       page: Path | None, frame_filter: FrameFilter | None) -> tuple[str | None, dict[str, Any] | None]:
    """What the page plays (its link) and the overlay drawn over it (None: shown as it is)."""
    if page is None and measurement is not None:
        page, needed = report_video(folder.path, clip, folder.summary)
        if needed and clip is not None and page is not None and (_blurs_faces(folder.summary)
                                                                   or not page.is_file()):
            write_page_video(clip, page, frame_filter)  # a rebuild; analyze writes it beside the report
    if page is not None and measurement is not None:
        times = (measurement.prepared.source.time_s if measurement.prepared is not None
                 else measurement.track.time_s / measurement.time_scale)
        return video_href(page, folder.path), overlay_data(measurement, times)
    if (folder.path / "annotated.mp4").exists():  # the clip is gone: the video with the overlay drawn in
        return "annotated.mp4", None
    return None, None


def write_report(
    out_dir: str | os.PathLike[str],
    *,
    summary: Mapping[str, Any] | None = None,
    measurement: Measurement | None = None,
    video_path: str | os.PathLike[str] | None = None,
    frame_filter: FrameFilter | None = None,
    session: Mapping[str, Any] | None = None,
    page_video: str | os.PathLike[str] | None = None,
) -> ReportFiles:
    """Write ``keyframes/``, ``plots/`` and ``report.html`` into ``out_dir``.

    A still or plot that cannot be drawn is left out and named among the
    report's notes (and in :attr:`ReportFiles.problems`); it never loses
    the report or the numbers. The page plays the clip with the overlay
    drawn over it in the browser (:mod:`gaitvision.report.overlay`); it
    never waits for ``annotated.mp4``.

    Parameters
    ----------
    out_dir
        The analysis folder (``steps.csv`` must be there).
    summary
        The summary dict when ``summary.json`` is not yet written (the
        pipeline); read from disk otherwise.
    measurement
        The measurement of the clip (the pipeline's); rebuilt from the
        folder's caches (:func:`remeasure`) when None.
    video_path
        The analysed clip, for the stills; found from ``summary.json``
        when None. Without it, existing stills are kept.
    frame_filter
        Applied to every frame a still is made from (face blurring hook).
    session
        Header fields (``patient_name``, ``note``, ``treadmill_speed``);
        defaults to ``summary["session"]``.
    page_video
        The video the page plays, when the caller writes it beside the
        report (the pipeline's ``browser.mp4``, see :func:`report_video`);
        None: decided here (and a needed copy written first).
    """
    folder = load_folder(out_dir, summary=dict(summary) if summary is not None else None)
    fresh = measurement is not None
    if measurement is None:
        measurement = remeasure(folder.path, folder.summary)
    clip = Path(video_path) if video_path is not None else find_clip(folder.summary)
    problems = _stills(folder, measurement, clip, fresh=fresh, frame_filter=frame_filter)
    stills, kfiles = _still_figures(folder)
    written, plot_problems = write_plots(folder, measurement)
    problems += plot_problems
    plot_figs = [Figure(_png(p), "image/png", cap, p.stem.replace("_", " "), "" if printed else "screen-only")
                 for p, cap, printed in written]
    href, overlay = _video_and_overlay(folder, measurement, clip, Path(page_video) if page_video else None,
                                       frame_filter)
    shown = dataclasses.replace(folder, summary={**folder.summary,
                                                 "warnings": [*(folder.summary.get("warnings") or []), *problems]})
    page = render_report(shown, stills=stills, plots=plot_figs, video_file=href, overlay=overlay, session=session)
    report = folder.path / "report.html"
    write_text(report, page)
    return ReportFiles(report, kfiles, [p for p, _, _ in written], problems)


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
    m = remeasure(folder.path, folder.summary)
    if m is None:
        return write_report(folder.path, measurement=None, video_path=video, frame_filter=frame_filter,
                            session=session)
    # the same measure() on the same inputs: steps.csv and summary.json are
    # written again from it, so the report and the files always agree
    summary = remeasured_summary(folder.summary, m)
    write_steps(folder.path / "steps.csv", m.table.columns(), m.table.rows)
    files = write_report(folder.path, summary=summary, measurement=m, video_path=video,
                         frame_filter=frame_filter, session=session)
    summary["warnings"] = [*summary["warnings"], *files.problems]
    write_summary(folder.path / "summary.json", summary)
    return files


def remeasured_summary(old: Mapping[str, Any], m: Measurement) -> dict[str, Any]:
    """``old`` (a ``summary.json``) with its measured part replaced by ``m``'s."""
    summary = {**old, **m.summary_dict(), "runner": m.person.to_dict()}
    if "knee_centre" not in m.summary_dict():
        summary.pop("knee_centre", None)
    summary.pop("corrections", None)
    if m.corrections:
        summary["corrections"] = [c.to_dict() for c in m.corrections]
    return summary
