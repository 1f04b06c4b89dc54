"""The Python API: :func:`analyze` a clip, :func:`load` a finished analysis.

The command line's ``gaitvision analyze`` is a thin wrapper around
:func:`analyze`, and its options are :class:`Options`' fields, by the same
names (``--video`` is ``video=True``, ``--threads 1`` is ``threads=1``)::

    import gaitvision

    result = gaitvision.analyze("patient.mp4", "out/patient", threads=1)
    print(result.view, result.cadence_spm)
    knee = result.metric("knee_flexion_ic_deg")        # summary.json's entry
    print(knee["left"]["median"], knee["right"]["median"])
    for step in result.measurement.table.used:          # the steps of steps.csv in use
        print(step.side, step.ic_frame, step.value("knee_flexion_ic_deg"))
    again = gaitvision.load("out/patient")               # later: no pose model
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitvision.config import AnalysisConfig, RenderConfig, check_roi
from gaitvision.errors import ConfigError, GaitvisionError, OutputError

if TYPE_CHECKING:
    from gaitvision.measurement import Measurement

__all__ = ["OutputFiles", "Options", "Result", "analyze", "default_out_dir", "error_line", "load"]

#: ``progress(stage, done, total)``: stage ``"pose"`` (frames) or ``"render"`` (frames)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True)
class Options:
    """The options of ``gaitvision analyze``, named as on the command line (``--no-cache`` → ``no_cache``).

    Attributes
    ----------
    view
        ``"auto"`` (decided from the clip), ``"side-left"`` (runner faces image
        left), ``"side-right"``, ``"rear"`` or ``"front"``.
    no_cache
        Run the pose model again even if the output folder holds this clip's track.
    video
        Also write ``annotated.mp4`` (the clip with the overlay drawn in, to
        share); the report draws the overlay over the clip itself and never
        waits for it. ``gaitvision video DIR`` writes it later.
    no_video
        Accepted for compatibility and ignored: no ``annotated.mp4`` is the
        default (``video=False``).
    no_report
        Skip ``keyframes/``, ``plots/`` and ``report.html``.
    full_resolution
        Annotated video at the clip's resolution (default: long side <= 1280 px).
    capture_fps
        The frame rate a slow-motion clip was filmed at (None: from the metadata
        or the timestamps).
    slow_motion
        Play the annotated video this many times slower (>= 1).
    threads
        Inference threads of the pose model (None: every core, at most 4; the
        landmarks do not depend on it).
    workers
        Processes for one clip's pose pass, split in time (1: one pass; 0 or
        None: one per core).
    no_knee_outline
        Rear/front views: the pose model's knee point instead of the leg outline.
    roi
        The runner's region ``(x, y, w, h)`` in pixels of the upright frame: the
        pose model sees only this crop (e.g. to keep a second person out);
        None: the whole frame.
    blur_faces
        Blur the runner's face in every image written.
    overwrite
        Replace an analysis of another clip found in the output folder.
    patient_name, note, speed
        Report-header fields (``speed`` is the treadmill speed as shown).
    """

    view: str = "auto"
    no_cache: bool = False
    video: bool = False
    no_video: bool = False
    no_report: bool = False
    full_resolution: bool = False
    capture_fps: float | None = None
    slow_motion: float = 1.0
    threads: int | None = None
    workers: int | None = 1
    no_knee_outline: bool = False
    roi: tuple[int, int, int, int] | None = None
    blur_faces: bool = False
    overwrite: bool = False
    patient_name: str | None = None
    note: str | None = None
    speed: str | None = None

    def __post_init__(self) -> None:
        if self.capture_fps is not None and not 0 < self.capture_fps < float("inf"):
            raise ConfigError(f"capture_fps must be a number > 0, but got {self.capture_fps!r}.")
        if not 0 < self.slow_motion < float("inf"):
            raise ConfigError(f"slow_motion must be a number > 0, but got {self.slow_motion!r}.")
        if self.roi is not None:  # a list from JSON and a tuple compare the same afterwards
            object.__setattr__(self, "roi", check_roi(self.roi))
        self.config()  # every other value is checked where it is used

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> Options:
        """Options from keyword arguments; an unknown name raises, naming the closest valid one.

        Raises
        ------
        ConfigError
            For an unknown option or a bad value.
        """
        names = [f.name for f in fields(cls)]
        for key in options:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"Unknown option {key!r}; valid: {', '.join(names)}.{hint}")
        return cls(**options)

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON-ready dict (``Options(**d)`` gives them back)."""
        return asdict(self)

    def config(self) -> AnalysisConfig:
        """The pipeline's :class:`~gaitvision.config.AnalysisConfig` for these options."""
        render = RenderConfig(video=self.video, report=not self.no_report,
                              max_long_side_px=100000 if self.full_resolution else 1280,
                              blur_faces=self.blur_faces, slow_motion=max(1.0, self.slow_motion))
        return AnalysisConfig(view=self.view, use_cache=not self.no_cache, render=render,
                              capture_fps=self.capture_fps, workers=self.workers or None,
                              pose_threads=self.threads, knee_outline=not self.no_knee_outline,
                              roi=self.roi)

    def session(self) -> dict[str, str] | None:
        """The report-header fields given (``summary.json`` ``session``), or None."""
        pairs = (("patient_name", self.patient_name), ("note", self.note), ("treadmill_speed", self.speed))
        return {k: v for k, v in pairs if v} or None


@dataclass(frozen=True)
class OutputFiles:
    """The files of an analysis folder (None / empty: not written, e.g. ``video`` unless ``video=True``)."""

    folder: Path
    summary: Path
    steps: Path
    track: Path
    pelvis: Path | None
    video: Path | None
    report: Path | None
    keyframes: tuple[Path, ...]
    plots: tuple[Path, ...]

    @classmethod
    def in_folder(cls, folder: str | os.PathLike[str]) -> OutputFiles:
        """The output files present in ``folder``."""
        d = Path(folder)

        def there(name: str) -> Path | None:
            return d / name if (d / name).is_file() else None

        def pngs(sub: str) -> tuple[Path, ...]:
            return tuple(sorted((d / sub).glob("*.png"))) if (d / sub).is_dir() else ()

        return cls(d, d / "summary.json", d / "steps.csv", d / "track.npz", there("pelvis.npz"),
                   there("annotated.mp4"), there("report.html"), pngs("keyframes"), pngs("plots"))


@dataclass(frozen=True)
class Result:
    """One analysed clip.

    Attributes
    ----------
    measurement
        The measuring core's :class:`~gaitvision.measurement.Measurement`: the
        view, events, step table (``measurement.table.rows`` are ``steps.csv``'s
        rows), clip summary, cleaned track and per-frame signals.
    out_dir
        The analysis folder.
    files
        Paths of the files written there.
    summary
        The ``summary.json`` document (input, metrics, not-measurable reasons,
        warnings, options).
    warnings
        What the PT should know about the recording and the values (as in
        ``summary.json``).
    track_from_cache
        Whether the pose track came from ``track.npz`` (no pose pass ran);
        None for :func:`load`.
    pose_seconds
        Time spent in the pose model (0 when cached or loaded).
    """

    measurement: Measurement
    out_dir: Path
    files: OutputFiles
    summary: dict[str, Any]
    warnings: tuple[str, ...]
    track_from_cache: bool | None = None
    pose_seconds: float = 0.0

    @property
    def view(self) -> str:
        """``side-left``, ``side-right``, ``rear`` or ``front``."""
        return str(self.summary["view"])

    @property
    def cadence_spm(self) -> float | None:
        """Cadence in steps per minute, or None when not measurable."""
        value = self.summary.get("cadence_spm")
        return float(value) if isinstance(value, (int, float)) else None

    def metric(self, key: str) -> dict[str, Any]:
        """``summary.json``'s entry of one metric (per side: median, ci95, iqr, n, confidence).

        Raises
        ------
        KeyError
            If the metric was not measured on this clip; ``summary["not_measurable"]`` says why.
        """
        metrics = self.summary.get("metrics") or {}
        if key not in metrics:
            why = (self.summary.get("not_measurable") or {}).get(key, "not a metric of gaitvision")
            raise KeyError(f"{key}: not measured on this clip ({why})")
        return dict(metrics[key])


def default_out_dir(path: str | os.PathLike[str]) -> Path:
    """Where ``gaitvision analyze CLIP`` writes without ``--out``: ``./gaitvision-out/CLIP_NAME``."""
    return Path("gaitvision-out") / Path(path).stem


def analyze(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    progress: Progress | None = None,
    **options: Any,
) -> Result:
    """Analyse one treadmill clip and write every output into ``out``, as ``gaitvision analyze`` does.

    Parameters
    ----------
    path
        The video file (never modified).
    out
        Output folder (created); default ``./gaitvision-out/CLIP_NAME``.
    progress
        Optional ``progress(stage, done, total)`` callback (stages ``"pose"``
        and ``"render"``, counted in frames).
    **options
        The command line's options by the same names, see :class:`Options`:
        ``view``, ``no_cache``, ``video``, ``no_video``, ``no_report``,
        ``full_resolution``, ``capture_fps``, ``slow_motion``, ``threads``,
        ``workers``, ``no_knee_outline``, ``blur_faces``, ``overwrite``,
        ``patient_name``, ``note``, ``speed``.

    Returns
    -------
    Result
        The measurement, the files written, ``summary.json`` and its warnings.

    Raises
    ------
    ConfigError
        For an unknown option or a bad value.
    VideoReadError, PoseEstimationError, InsufficientDataError, OutputError
        A one-line message that says what is wrong and what to do
        (:func:`error_line` gives the command line's wording of any error).
    """
    opts = Options.from_mapping(options)
    from gaitvision.pipeline import analyze_video

    out_dir = Path(out) if out is not None else default_out_dir(path)
    r = analyze_video(path, out_dir, opts.config(), overwrite=opts.overwrite, progress=progress,
                      session=opts.session())
    return Result(r.measurement, r.out_dir, OutputFiles.in_folder(r.out_dir), r.summary,
                  tuple(str(w) for w in r.summary.get("warnings") or ()), r.track_from_cache, r.pose_seconds)


def load(out_dir: str | os.PathLike[str]) -> Result:
    """Read a finished analysis folder back, measuring it again from its caches (no pose model).

    The measurement is rebuilt exactly as ``gaitvision report`` does: the
    same :func:`gaitvision.measurement.measure` on the folder's ``track.npz``
    and ``pelvis.npz`` with the options, view, time base and corrections stored
    in ``summary.json``. ``summary`` and ``warnings`` are the stored file's.

    Raises
    ------
    OutputError
        If the folder is not a finished analysis, or its track is missing or
        cannot be measured.
    """
    from gaitvision.io.outputs import read_summary
    from gaitvision.report.build import remeasure

    folder = Path(out_dir)
    summary = read_summary(folder)
    m = remeasure(folder, summary)
    if m is None:
        raise OutputError(f"{folder}: its track.npz is missing or cannot be measured again; run "
                          "`gaitvision analyze` on the clip to rebuild the folder.")
    return Result(m, folder, OutputFiles.in_folder(folder), summary,
                  tuple(str(w) for w in summary.get("warnings") or ()))


def error_line(err: BaseException) -> str:
    """The one-line reason the command line prints for ``err`` (without ``gaitvision: error:``)."""
    if isinstance(err, GaitvisionError):
        return (str(err).splitlines() or [type(err).__name__])[0]
    if isinstance(err, KeyboardInterrupt):
        return "interrupted; no complete analysis was written."
    first = (str(err).splitlines() or [""])[0]
    return (f"internal error ({err.__class__.__name__}: {first}); no complete analysis was written. "
            "Run again with --verbose and report the message.")
