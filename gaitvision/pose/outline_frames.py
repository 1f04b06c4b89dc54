"""The knee outline on the frames that need it, after measuring (rear and front views).

The pose pass runs without MediaPipe's person mask, so a rear or front clip
costs what a side clip costs. The knee outline
(:mod:`gaitvision.pose.knee_outline`) is then found only on the frames the
knee values are read at: :func:`wanted_frames` takes, from a measurement
without the outline, each step's FPPA and hip-adduction peak frames (the
maxima over stance) and their neighbours; :func:`segment_frames` segments
those frames, each on its own (MediaPipe Pose in image mode with the person
mask, on a crop around the runner); :func:`with_outline` puts the result
into the track as the two :data:`~gaitvision.pose.knee_outline.OUTLINE_NAMES`
landmarks (NaN on the other frames), which is what ``track.npz`` caches, so
that ``gaitvision report``, the clinic app and the benches re-measure with
it and never segment again. :func:`~gaitvision.pose.knee_outline.use_knee_outline`
carries the outline's sideways offset from MediaPipe's knee to the nearby
frames. The outline can move a step's peak to another frame; the pipeline
then segments the new peak frames too (:func:`missing_frames`) until every
step's peak frame was segmented.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from gaitvision.landmarks import LANDMARK_NAMES
from gaitvision.pose.knee_outline import OUTLINE_NAMES, knee_outline_x
from gaitvision.track import LandmarkTrack

__all__ = [
    "READ_KEYS", "Segmenter", "add_knee_outline", "missing_frames", "peak_frames", "segment_frames",
    "segment_video_frames", "wanted_frames", "with_outline",
]

logger = logging.getLogger(__name__)

#: The per-step values read from the knee point of a frontal view, each at
#: the stance frame where it peaks.
READ_KEYS = ("knee_fppa_peak_deg", "hip_adduction_peak_deg")

#: Frames on either side of each peak frame that are segmented with it:
#: the outline's offset is then interpolated between measured frames, and
#: the neighbours are where the peak moves when the outline tilts the curve.
NEIGHBOURS = 1

#: Crop margin around the runner's landmarks, in runner heights.
_CROP_MARGIN = 0.15

_KNEE_HIP = tuple((LANDMARK_NAMES.index(f"{s}_knee"), LANDMARK_NAMES.index(f"{s}_hip"))
                  for s in ("left", "right"))

#: ``{frame: (left x, right x)}``: the outline's knee x (NaN: not measurable)
#: on each segmented frame, in full-frame pixels.
Outlines = dict[int, tuple[float, float]]


class _Measured(Protocol):
    @property
    def table(self) -> Any: ...


M = TypeVar("M", bound=_Measured)


def peak_frames(steps: Iterable[Any]) -> set[int]:
    """The frames the knee values of ``steps`` (:class:`~gaitvision.measure.records.StepRecord`) were read at."""
    return {int(f) for st in steps for key in READ_KEYS if (f := st.read_frames.get(key)) is not None}


def _around(frames: Iterable[int], n_frames: int, neighbours: int) -> set[int]:
    return {f + d for f in frames for d in range(-neighbours, neighbours + 1) if 0 <= f + d < n_frames}


def wanted_frames(steps: Iterable[Any], n_frames: int, *, neighbours: int = NEIGHBOURS) -> list[int]:
    """The frames to segment: each step's knee-value peak frames and ``neighbours`` either side.

    ``steps``: the step records of a measurement without the outline
    (``Measurement.table.steps``).
    """
    return sorted(_around(peak_frames(steps), n_frames, neighbours))


def missing_frames(steps: Iterable[Any], done: Iterable[int], n_frames: int, *,
                   neighbours: int = NEIGHBOURS) -> list[int]:
    """Peak frames of a measurement with the outline that were not segmented (with their neighbours).

    Empty when every step's FPPA and hip-adduction peak frame was segmented.
    """
    seen = set(done)
    todo = peak_frames(steps) - seen
    return sorted(_around(todo, n_frames, neighbours) - seen)


def _crop_box(xy: NDArray[np.float64], wh: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` around the frame's landmarks, inside the frame (None without a runner)."""
    p = xy[np.isfinite(xy).all(axis=1)]
    if p.shape[0] < 4:
        return None
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    m = _CROP_MARGIN * max(y1 - y0, x1 - x0)
    w, h = wh
    box = (max(0, int(np.floor(x0 - m))), max(0, int(np.floor(y0 - m))),
           min(w, int(np.ceil(x1 + m))), min(h, int(np.ceil(y1 + m))))
    return box if box[2] - box[0] >= 16 and box[3] - box[1] >= 16 else None


class Segmenter:
    """MediaPipe Pose in image mode with the person mask: one frame's knee outline at a time.

    Image mode (a fresh person detection on each frame) because the frames
    are far apart; the landmarks it finds are not used: the outline is read
    at the knee and hip of the clip's own pose track, as in the pass that
    segments every frame. Use as a context manager.
    """

    def __init__(self, threads: int = 1) -> None:
        from gaitvision.pose.blazepose import _pose_model

        os.environ.setdefault("GLOG_minloglevel", "2")
        self._pose = _pose_model(max(1, int(threads)), static_image_mode=True, model_complexity=1,
                                 smooth_landmarks=False, enable_segmentation=True,
                                 smooth_segmentation=False, min_detection_confidence=0.5)

    def __enter__(self) -> Segmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pose.close()

    def knees(self, image: NDArray[np.uint8], xy: NDArray[np.float64]) -> tuple[float, float]:
        """The outline knee x of both legs on one upright RGB frame (NaN where not measurable).

        ``xy``: the pose track's landmarks of this frame (pixels).
        """
        h, w = image.shape[:2]
        box = _crop_box(xy[: len(LANDMARK_NAMES)], (w, h))
        if box is None:
            return np.nan, np.nan
        x0, y0, x1, y1 = box
        result = self._pose.process(np.ascontiguousarray(image[y0:y1, x0:x1]))
        mask = result.segmentation_mask
        if mask is None:
            return np.nan, np.nan
        off = np.array([x0, y0], dtype=float)
        left, right = (knee_outline_x(mask, xy[k] - off, xy[hp] - off) + x0 for k, hp in _KNEE_HIP)
        return float(left), float(right)


def segment_frames(frames: Iterable[tuple[int, NDArray[np.uint8]]], track: LandmarkTrack, *,
                   threads: int = 1) -> Outlines:
    """Segment each ``(frame index, upright RGB image)``; the outline knee x per frame."""
    out: Outlines = {}
    with Segmenter(threads) as seg:
        for i, image in frames:
            out[int(i)] = seg.knees(image, track.xy[int(i)])
    return out


def _chunk(frame_wh: tuple[int, int], budget_bytes: float = 200e6) -> int:
    """Frames decoded into memory at a time: ~200 MB of RGB."""
    w, h = frame_wh
    return max(4, int(budget_bytes // max(1, 3 * w * h)))


def segment_video_frames(
    video: str | os.PathLike[str], track: LandmarkTrack, indices: Iterable[int], *, threads: int = 1,
) -> Outlines:
    """Decode only ``indices`` (:func:`~gaitvision.io.video.read_frames_at`) and segment them.

    The frames are decoded a chunk at a time (~200 MB of images in memory).
    """
    from gaitvision.io.video import read_frames_at

    wanted = sorted(set(int(i) for i in indices))
    chunk = _chunk(track.frame_size_wh)

    def frames() -> Iterator[tuple[int, NDArray[np.uint8]]]:
        for a in range(0, len(wanted), chunk):
            yield from sorted(read_frames_at(video, wanted[a : a + chunk], track.time_s).items())

    return segment_frames(frames(), track, threads=threads)


#: Rounds of segmenting the peak frames the outline moved to (each round is
#: usually a handful of frames; a measurement whose peaks still move after
#: this keeps the carried offset there).
MAX_ROUNDS = 3

Segment = Callable[[LandmarkTrack, list[int]], Outlines]


def add_knee_outline(
    track: LandmarkTrack,
    measured: M,
    remeasure: Callable[[LandmarkTrack], M],
    segment: Segment,
) -> tuple[LandmarkTrack, M, list[int]]:
    """The outline on the frames that need it: the track with it, its measurement and the frames segmented.

    Parameters
    ----------
    track
        The pose track without the outline (``track.npz``'s, container time).
    measured
        Its measurement without the outline (``Measurement``).
    remeasure
        Measures a track the same way (the pipeline's measure).
    segment
        ``(track, frame indices) -> {frame: (left x, right x)}``, e.g.
        :func:`segment_video_frames` on the clip.
    """
    n = track.n_frames
    done = wanted_frames(measured.table.steps, n)
    outlines = segment(track, done)
    out = with_outline(track, outlines)
    m = remeasure(out)
    for _ in range(MAX_ROUNDS):
        todo = missing_frames(m.table.steps, done, n)
        if not todo:
            break
        logger.info("The outline moved %d peak frames: segmenting them too", len(todo))
        outlines.update(segment(track, todo))
        done = sorted({*done, *todo})
        out = with_outline(track, outlines)
        m = remeasure(out)
    return out, m, done


def with_outline(track: LandmarkTrack, outlines: Mapping[int, tuple[float, float]]) -> LandmarkTrack:
    """The track with the outline knees of ``outlines`` as the two ``OUTLINE_NAMES`` landmarks.

    Frames not in ``outlines`` (or not measurable there) keep NaN and
    confidence 0 (an outline already in the track is kept there). The
    outline point takes MediaPipe's knee row and the knee's confidence.
    """
    n = track.n_frames
    names = track.landmark_names
    if all(o in names for o in OUTLINE_NAMES):
        xy, conf = track.xy.copy(), track.confidence.copy()
    else:
        extra = len(OUTLINE_NAMES)
        xy = np.concatenate([track.xy, np.full((n, extra, 2), np.nan)], axis=1)
        conf = np.concatenate([track.confidence, np.zeros((n, extra))], axis=1)
        names = (*names, *OUTLINE_NAMES)
    interp = np.zeros((n, len(names)), dtype=bool)
    interp[:, : track.interpolated.shape[1]] = track.interpolated
    for j, (name, (k, _)) in enumerate(zip(OUTLINE_NAMES, _KNEE_HIP, strict=True)):
        o = names.index(name)
        for i, xs in outlines.items():
            x = xs[j]
            if 0 <= i < n and np.isfinite(x) and np.isfinite(track.xy[i, k, 1]):
                xy[i, o] = (x, track.xy[i, k, 1])
                conf[i, o] = track.confidence[i, k]
    return track.replace(xy=xy, confidence=conf, landmark_names=names, interpolated=interp)

