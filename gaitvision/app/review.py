"""A clip's analysis in the server: the automatic result, re-measured with the PT's corrections.

:class:`ClipAnalysis` loads an analysis folder once (``summary.json``,
``track.npz``, ``pelvis.npz``, the stored options and time scale, exactly as
:func:`gaitvision.report.build.remeasure` does) and keeps the automatic
:class:`~gaitvision.measurement.Measurement` with its
:class:`~gaitvision.measurement.PreparedTrack`: a correction re-measures from
it in about 0.1 s and never runs the pose model. :class:`AnalysisCache`
keeps the few most recently opened clips (an LRU). The automatic
``summary.json`` / ``steps.csv`` on disk are never rewritten.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitvision.config import AnalysisConfig
from gaitvision.errors import ConfigError, OutputError
from gaitvision.io.outputs import read_summary
from gaitvision.io.tracks import load_track
from gaitvision.measure.corrections import Correction, ExcludeStep, IncludeStep, MoveEvent, MoveLandmark
from gaitvision.measurement import Measurement, measure
from gaitvision.pose.pelvis_cache import load_pelvis_cache
from gaitvision.report import overlay as report_overlay
from gaitvision.track import LandmarkTrack

__all__ = ["AnalysisCache", "ClipAnalysis", "automatic_and_new", "overlay_data", "result_document"]

#: The landmarks the overlay draws (the legs, and the shoulders for the trunk).
OVERLAY_LANDMARKS = report_overlay.OVERLAY_LANDMARKS
#: summary.json keys :meth:`Measurement.summary_dict` provides (replaced in a corrected document).
_MEASURED_KEYS = ("view", "runner_facing", "steps_detected", "steps_used", "cadence_spm", "cadence", "metrics",
                  "not_measurable", "warnings", "knee_centre")


def _time_scale(summary: dict[str, Any]) -> float:
    inp = summary.get("input") or {}
    scale = inp.get("time_scale")
    if isinstance(scale, (int, float)) and scale > 0:
        return float(scale)
    factor = inp.get("slow_motion_factor")
    return 1.0 / factor if isinstance(factor, (int, float)) and factor > 0 else 1.0


@dataclass
class ClipAnalysis:
    """One finished analysis folder, loaded for review and correction."""

    folder: Path
    summary: dict[str, Any]
    raw: LandmarkTrack
    config: AnalysisConfig
    pelvis: Any
    time_scale: float
    capture_known: bool
    automatic: Measurement
    #: the last few measurements, by their corrections (a page reload or the answer to a
    #: correction does not measure again)
    _memo: OrderedDict[tuple[Correction, ...], Measurement] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, folder: Path) -> ClipAnalysis:
        """Load ``folder`` and measure it without corrections (the automatic result).

        Raises
        ------
        OutputError
            If the folder holds no finished analysis.
        """
        summary = read_summary(folder)
        track_path = folder / "track.npz"
        if not track_path.exists():
            raise OutputError(f"{folder}: no track.npz; the analysis cannot be reviewed.")
        raw, _ = load_track(track_path)
        try:
            config = AnalysisConfig.from_dict(dict(summary.get("config") or {}))
        except (TypeError, ConfigError):
            config = AnalysisConfig()
        inp = summary.get("input") or {}
        pelvis = load_pelvis_cache(folder / "pelvis.npz", str(inp.get("fingerprint", "")))
        scale = _time_scale(summary)
        known = inp.get("capture_fps_source", "timestamps") != "timestamps"
        auto = measure(raw, config.view, config, pelvis, (), time_scale=scale, capture_known=known)
        return cls(folder, summary, raw, config, pelvis, scale, known, auto)

    def measure(self, corrections: Sequence[Correction]) -> Measurement:
        """The measurement with ``corrections`` (the automatic one when there are none).

        Raises
        ------
        CorrectionError
            If a correction names a step or frame the clip does not have.
        """
        if not corrections:
            return self.automatic
        key = tuple(corrections)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        m = measure(self.raw, self.config.view, self.config, self.pelvis, corrections,
                    time_scale=self.time_scale, capture_known=self.capture_known,
                    prepared=self.automatic.prepared)
        with self._lock:
            self._memo[key] = m
            while len(self._memo) > 8:
                self._memo.popitem(last=False)
        return m


class AnalysisCache:
    """The most recently opened analyses, ``size`` at most (thread-safe)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Path, float], ClipAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, folder: Path) -> ClipAnalysis:
        """The analysis of ``folder``, loaded if not cached (keyed by ``summary.json``'s time)."""
        try:
            stamp = (folder / "summary.json").stat().st_mtime
        except OSError as err:
            raise OutputError(f"{folder}: the analysis is not finished.") from err
        key = (folder, stamp)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        item = ClipAnalysis.load(folder)
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return item

    def forget(self, folder: Path) -> None:
        """Drop every cached analysis of ``folder``."""
        with self._lock:
            for key in [k for k in self._items if k[0] == folder]:
                del self._items[key]


def result_document(a: ClipAnalysis, m: Measurement, corrections: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """``summary.json`` of the corrected result, with ``steps`` (``steps.csv`` rows) and ``columns``.

    The stored document's input, provenance and options, the measured part
    from ``m``, and ``corrections`` (the app's audit records) when any.
    """
    doc = {k: v for k, v in a.summary.items() if k not in _MEASURED_KEYS and k != "corrections"}
    doc.update(m.summary_dict())
    if corrections:
        doc["corrections"] = list(corrections)
    doc["steps"] = m.table.rows
    doc["columns"] = m.table.columns()
    out: dict[str, Any] = report_overlay.json_ready(doc)
    return out


def overlay_data(a: ClipAnalysis, m: Measurement) -> dict[str, Any]:
    """What the review page draws (:func:`gaitvision.report.overlay.overlay_data`, the report's own overlay).

    ``t`` are the container times of the frames from the first frame (the
    video's timeline); positions are the measured track's (cleaned, filtered,
    corrections applied), in pixels of the upright frame.
    """
    return report_overlay.overlay_data(m, a.raw.time_s)


def automatic_and_new(a: ClipAnalysis, m: Measurement, c: Correction) -> tuple[Any, Any]:
    """The automatic value a correction replaces, and the value it gives (for the audit)."""
    auto_table = a.automatic.table
    if isinstance(c, (ExcludeStep, IncludeStep)):
        auto = auto_table.by_number(c.step).excluded_reason
        return {"excluded_reason": auto}, {"excluded_reason": m.table.by_number(c.step).excluded_reason}
    if isinstance(c, MoveEvent):
        st = auto_table.by_number(c.step)
        return {"frame": st.ic_frame if c.event == "ic" else st.to_frame}, {"frame": c.frame}
    if isinstance(c, MoveLandmark):
        xy = a.automatic.track.landmark(c.landmark)[c.frame]
        return ({"x": report_overlay.json_ready(round(float(xy[0]), 1)),
                 "y": report_overlay.json_ready(round(float(xy[1]), 1))},
                {"x": round(float(c.x), 1), "y": round(float(c.y), 1)})
    return None, None
