"""One pass over a clip: :class:`PelvisImageSeries` (the per-frame waistband
and marker lines plus the camera roll, with its ``npz`` cache format) and the
functions that fill it from a stream of frames (:func:`measure_pelvis_frames`)
or by decoding a video once (:func:`measure_pelvis_video`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.pose.pelvis_image._geometry import _right_is_image_right, _to_pelvis_deg
from gaitvision.pose.pelvis_image.markers import MARKER_GREEN_HSV, HSVBox, MarkerDetection, detect_markers
from gaitvision.pose.pelvis_image.roll import estimate_roll_deg
from gaitvision.pose.pelvis_image.series import marker_line_series, waistband_line_series
from gaitvision.pose.pelvis_image.waistband import WaistbandCandidate, waistband_candidates
from gaitvision.track import LandmarkTrack

if TYPE_CHECKING:  # the video reader (PyAV) is imported only where a clip is decoded
    from gaitvision.io.video import Frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PelvisImageSeries:
    """Per-frame image-based pelvis lines of one clip, plus the camera roll.

    All ``*_deg`` arrays are in the pelvis convention of
    :func:`gaitvision.metrics.pelvis.pelvis_line_deg` (positive = runner's
    right side lower) and relative to the **image rows**; use
    :meth:`angle_deg` for roll-corrected angles. Frames are those of the
    landmark track (same indices and ``time_s``).

    Attributes
    ----------
    time_s
        ``(n,)`` frame times, from the track.
    waistband_deg, waistband_confidence
        ``(n,)`` waistband line angle (NaN where none) and its confidence in
        [0, 1]; low when no horizontal edge spans the waist (long or
        uniform clothing).
    waistband_position
        ``(n,)`` where the line crosses the torso axis, in torso lengths
        below MediaPipe's mid-hip (negative = above).
    waistband_centre_xy
        ``(n, 2)`` that crossing point in pixels (to draw the line).
    marker_deg, marker_confidence
        ``(n,)`` PSIS-marker line angle (NaN where no pair) and confidence.
    marker_xy
        ``(n, 2, 2)`` marker centres in pixels, runner's left first.
    roll_deg
        Camera roll: image slope angle of the scene's horizontal (positive
        = picture turned clockwise on screen); NaN if not measurable.
    roll_support
        Median (over sampled frames) of the agreeing line length per image
        diagonal; below about 0.3 the roll is unreliable.
    roll_samples_deg
        The per-frame roll estimates (sampled frames only).
    right_is_image_right
        True in a rear view (runner's right at larger image x).
    """

    time_s: NDArray[np.float64]
    waistband_deg: NDArray[np.float64]
    waistband_confidence: NDArray[np.float64]
    waistband_position: NDArray[np.float64]
    waistband_centre_xy: NDArray[np.float64]
    marker_deg: NDArray[np.float64]
    marker_confidence: NDArray[np.float64]
    marker_xy: NDArray[np.float64]
    roll_deg: float
    roll_support: float
    roll_samples_deg: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    right_is_image_right: bool = True

    @property
    def roll_pelvis_deg(self) -> float:
        """The roll in the pelvis-angle convention (what a roll adds to it)."""
        r = self.roll_deg if np.isfinite(self.roll_deg) else 0.0
        return float(r if self.right_is_image_right else -r)

    def angle_deg(
        self, source: Literal["markers", "waistband"], *, roll_corrected: bool = True
    ) -> NDArray[np.float64]:
        """Per-frame pelvis angle of one source, roll-corrected by default."""
        a = self.marker_deg if source == "markers" else self.waistband_deg
        return a - self.roll_pelvis_deg if roll_corrected else a.copy()

    def confidence(self, source: Literal["markers", "waistband"]) -> NDArray[np.float64]:
        """Per-frame confidence of one source."""
        return self.marker_confidence if source == "markers" else self.waistband_confidence

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """Arrays for ``np.savez`` (e.g. ``pelvis.npz`` beside ``track.npz``)."""
        return {
            "format": np.array("gaitvision.pelvis_image/1"),
            "time_s": self.time_s,
            "waistband_deg": self.waistband_deg,
            "waistband_confidence": self.waistband_confidence,
            "waistband_position": self.waistband_position,
            "waistband_centre_xy": self.waistband_centre_xy,
            "marker_deg": self.marker_deg,
            "marker_confidence": self.marker_confidence,
            "marker_xy": self.marker_xy,
            "roll_deg": np.array(self.roll_deg),
            "roll_support": np.array(self.roll_support),
            "roll_samples_deg": self.roll_samples_deg,
            "right_is_image_right": np.array(self.right_is_image_right),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]]) -> PelvisImageSeries:
        """Rebuild from :meth:`to_arrays` output (or an ``np.load`` result)."""
        fmt = str(arrays["format"]) if "format" in arrays else ""
        if fmt != "gaitvision.pelvis_image/1":
            raise ValueError(
                f"Expected a 'gaitvision.pelvis_image/1' cache, but got format {fmt!r}. "
                "Delete the cache to recompute it."
            )
        kw = {k: np.asarray(arrays[k]) for k in (
            "time_s", "waistband_deg", "waistband_confidence", "waistband_position",
            "waistband_centre_xy", "marker_deg", "marker_confidence", "marker_xy",
            "roll_samples_deg")}
        return cls(
            **kw,
            roll_deg=float(arrays["roll_deg"]),
            roll_support=float(arrays["roll_support"]),
            right_is_image_right=bool(arrays["right_is_image_right"]),
        )


def _runner_box(xy: NDArray[np.float64], margin: float = 0.15) -> tuple[float, float, float, float] | None:
    p = xy[np.isfinite(xy).all(axis=1)]
    if p.shape[0] < 4:
        return None
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    m = margin * (y1 - y0)
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def measure_pelvis_frames(
    frames: Iterable[Frame],
    track: LandmarkTrack,
    *,
    markers: bool = True,
    marker_hsv: HSVBox = MARKER_GREEN_HSV,
    roll_every_s: float = 0.5,
    progress: Callable[[int], None] | None = None,
) -> PelvisImageSeries:
    """Measure the image-based pelvis lines on a stream of frames.

    Parameters
    ----------
    frames
        Upright frames with ``index``, ``time_s`` and RGB ``image``, e.g.
        :func:`gaitvision.io.video.iter_frames`; consumed one at a time.
    track
        The MediaPipe track of the same clip, raw or cleaned (frame
        ``index`` -> track row); only the hips and shoulders are used, to
        place the search regions. Frames where they are missing give NaN.
    markers
        Also look for PSIS tape markers of colour ``marker_hsv``.
    roll_every_s
        The camera roll is estimated on one frame per this interval (the
        runner masked out) and the median is kept.
    progress
        Called with the number of frames done.

    Returns
    -------
    PelvisImageSeries
    """
    names = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    pts = np.stack([track.landmark(k) for k in names], axis=1)  # (n, 4, 2)
    wb, mk, rolls = _scan_frames(frames, track, pts, markers=markers, marker_hsv=marker_hsv,
                                 roll_every_s=roll_every_s, progress=progress)
    hip_w = np.linalg.norm(pts[:, 1] - pts[:, 0], axis=1)
    return _series(track, wb, mk, rolls, hip_w)


def _scan_frames(
    frames: Iterable[Frame],
    track: LandmarkTrack,
    pts: NDArray[np.float64],
    *,
    markers: bool,
    marker_hsv: HSVBox,
    roll_every_s: float,
    progress: Callable[[int], None] | None,
) -> tuple[list[list[WaistbandCandidate]], list[list[MarkerDetection]], list[tuple[float, float]]]:
    """Per track frame, the waistband candidates and marker blobs; the roll samples (roll, support)."""
    n = track.n_frames
    wb: list[list[WaistbandCandidate]] = [[] for _ in range(n)]
    mk: list[list[MarkerDetection]] = [[] for _ in range(n)]
    rolls: list[tuple[float, float]] = []
    next_roll_t = -np.inf
    for done, fr in enumerate(frames, start=1):
        i = fr.index
        if i >= n:
            logger.warning("Video has more frames than the track (%d); extra frames ignored.", n)
            break
        kw = dict(
            left_hip_xy=pts[i, 0], right_hip_xy=pts[i, 1],
            left_shoulder_xy=pts[i, 2], right_shoulder_xy=pts[i, 3],
        )
        wb[i] = waistband_candidates(fr.image, **kw, seed=i)
        if markers:
            mk[i] = detect_markers(fr.image, **kw, hsv_box=marker_hsv)
        if fr.time_s >= next_roll_t:
            box = _runner_box(track.xy[i])
            r, sup = estimate_roll_deg(fr.image, exclude_box=box)
            if np.isfinite(r):
                rolls.append((r, sup))
            next_roll_t = fr.time_s + roll_every_s
        if progress is not None:
            progress(done)
    return wb, mk, rolls


def _series(
    track: LandmarkTrack,
    wb: list[list[WaistbandCandidate]],
    mk: list[list[MarkerDetection]],
    rolls: list[tuple[float, float]],
    hip_w: NDArray[np.float64],
) -> PelvisImageSeries:
    """The clip's series from the per-frame findings (pelvis convention, runner's left marker first)."""
    slope_w, conf_w, pos_w, centre_w = waistband_line_series(wb, track.time_s)
    slope_m, conf_m, xy_m = marker_line_series(mk, track.time_s, hip_width_px=hip_w)
    r2i = _right_is_image_right(track)
    if not r2i:  # runner's left marker first
        xy_m = xy_m[:, ::-1, :]
    roll_arr = np.array([r for r, _ in rolls]) if rolls else np.zeros(0)
    roll = float(np.median(roll_arr)) if roll_arr.size else float("nan")
    support = float(np.median([s for _, s in rolls])) if rolls else 0.0
    return PelvisImageSeries(
        time_s=track.time_s.copy(),
        waistband_deg=np.asarray(_to_pelvis_deg(slope_w, r2i), dtype=float),
        waistband_confidence=conf_w,
        waistband_position=pos_w,
        waistband_centre_xy=centre_w,
        marker_deg=np.asarray(_to_pelvis_deg(slope_m, r2i), dtype=float),
        marker_confidence=conf_m,
        marker_xy=xy_m,
        roll_deg=roll,
        roll_support=support,
        roll_samples_deg=roll_arr,
        right_is_image_right=r2i,
    )


def measure_pelvis_video(path: str | os.PathLike[str], track: LandmarkTrack, **kwargs: Any) -> PelvisImageSeries:
    """Decode a clip once (no pose model) and run :func:`measure_pelvis_frames`.

    About 8-10 ms per frame on top of decoding (a quarter of the pose
    pass's time); cache the result with :meth:`PelvisImageSeries.to_arrays`.
    """
    from gaitvision.io.video import iter_frames

    return measure_pelvis_frames(iter_frames(path), track, **kwargs)
