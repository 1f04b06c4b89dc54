"""MediaPipe BlazePose adapter: video frames -> :class:`LandmarkTrack`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import InsufficientDataError, PoseEstimationError
from gaitvision.io.video import Frame, iter_frames
from gaitvision.landmarks import LANDMARK_NAMES, N_LANDMARKS
from gaitvision.pose.knee_outline import OUTLINE_NAMES, knee_outline_x
from gaitvision.track import LandmarkTrack

__all__ = [
    "MODEL_NAME", "crop_for", "default_pose_threads", "estimate_poses", "is_frontal_start", "model_version",
    "track_video", "uncropped",
]

logger = logging.getLogger(__name__)

#: The pose model used; stored in ``track.npz`` so a cache from another
#: model is never reused.
MODEL_NAME = "mediapipe.solutions.pose BlazePose full (model_complexity=1, tracking)"


def model_version() -> str:
    """Return the installed MediaPipe version."""
    from importlib.metadata import version

    return version("mediapipe")


#: Most threads the pose model's inference is given by default; XNNPACK's
#: gain flattens beyond a few threads for this 256x256 model.
MAX_DEFAULT_THREADS = 4


def default_pose_threads() -> int:
    """Inference threads for one pose pass: the cores this process may use (at most 4)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_DEFAULT_THREADS))


def _pose_model(threads: int, **kwargs: Any) -> Any:  # MediaPipe's Pose (untyped), imported lazily
    """MediaPipe's ``Pose`` with its two TFLite models run on ``threads`` XNNPACK threads.

    ``mediapipe.solutions.pose.Pose`` leaves the XNNPACK delegate at its
    desktop default of one thread, so the pose model, the cost floor of
    gaitvision, uses one core. The thread count is a field of the graph's
    ``InferenceCalculator`` options, which the solution API does not expose;
    it is set here on the expanded graph before it starts. The landmarks are
    bit-identical to a one-thread pass (checked on the 1080p60 bench clip);
    only the wall time changes (1080p: 34 -> 47 frames/s with 2 threads on 2
    cores).
    """
    from mediapipe.calculators.tensor import inference_calculator_pb2 as icpb
    from mediapipe.python.solutions import pose as mp_pose

    class _Pose(mp_pose.Pose):  # type: ignore[misc]  # mediapipe ships no type stubs
        def _modify_calculator_options(self, config: Any, params: Any) -> None:
            super()._modify_calculator_options(config, params)
            for node in config.node:
                if node.calculator not in ("InferenceCalculator", "InferenceCalculatorCpu"):
                    continue
                for packed in node.node_options:
                    if packed.type_url.endswith("InferenceCalculatorOptions"):
                        opts = icpb.InferenceCalculatorOptions.FromString(packed.value)
                        opts.delegate.xnnpack.num_threads = threads
                        packed.value = opts.SerializeToString()
                if node.HasField("options"):
                    opts = node.options.Extensions[icpb.InferenceCalculatorOptions.ext]
                    opts.delegate.xnnpack.num_threads = threads

    return _Pose(**kwargs)


#: Frames with a runner after which a pass started without the leg outline
#: decides whether the clip is a frontal view (and restarts with it).
PROBE_FRAMES = 60

#: (knee, hip) landmark indices of each leg, in the order of OUTLINE_NAMES
_KNEE_HIP = tuple((LANDMARK_NAMES.index(f"{s}_knee"), LANDMARK_NAMES.index(f"{s}_hip"))
                  for s in ("left", "right"))


class _Restart(Exception):
    """Raised inside a pose pass to start it again with the leg outline."""


_NO_PERSON = ("No person was found in any frame. Film the runner head to toe, "
              "well lit, with nobody else in the picture.")


@overload
def estimate_poses(
    frames: Iterable[Frame],
    *,
    threads: int = ...,
    min_detection_confidence: float = ...,
    min_tracking_confidence: float = ...,
    progress: Callable[[int], None] | None = ...,
    require_person: Literal[True] = ...,
    leg_outline: bool = ...,
    restart_if: Callable[[LandmarkTrack], bool] | None = ...,
) -> LandmarkTrack: ...


@overload
def estimate_poses(
    frames: Iterable[Frame],
    *,
    threads: int = ...,
    min_detection_confidence: float = ...,
    min_tracking_confidence: float = ...,
    progress: Callable[[int], None] | None = ...,
    require_person: bool,
    leg_outline: bool = ...,
    restart_if: Callable[[LandmarkTrack], bool] | None = ...,
) -> LandmarkTrack | None: ...


def estimate_poses(
    frames: Iterable[Frame],
    *,
    threads: int = 1,
    min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
    progress: Callable[[int], None] | None = None,
    require_person: bool = True,
    leg_outline: bool = False,
    restart_if: Callable[[LandmarkTrack], bool] | None = None,
) -> LandmarkTrack | None:
    """Run BlazePose on a stream of frames.

    Parameters
    ----------
    frames
        Upright RGB frames with timestamps, e.g. from :func:`iter_frames`.
        Consumed one at a time; only the landmarks are kept.
    threads
        Threads for the pose model's inference (see :func:`_pose_model`). Use 1
        when several passes run side by side: XNNPACK's threads spin while
        they wait, and more threads than free cores slow every pass badly.
    min_detection_confidence, min_tracking_confidence
        MediaPipe's person-detection and tracking thresholds.
    progress
        Called with the number of frames done after each frame.
    require_person
        Raise if no person is found in any frame (default). False returns
        the all-NaN track instead (None if there were no frames), for
        callers that process a clip in pieces.
    leg_outline
        Also run MediaPipe's person segmentation and add the two
        :data:`~gaitvision.knee_outline.OUTLINE_NAMES` landmarks: the middle
        of each leg's outline at the knee (see :mod:`gaitvision.knee_outline`).
        The 33 pose landmarks are the same either way; the segmentation
        costs 1.3-2x the time per frame (more on larger frames), so it is
        meant for frontal views only.
    restart_if
        Called once with the track so far when :data:`PROBE_FRAMES` frames
        with a runner are done; if it returns True the pass stops and
        ``_Restart`` is raised (see :func:`track_video`).

    Returns
    -------
    LandmarkTrack
        Pixel positions of the 33 landmarks (plus the two knee outline
        points with ``leg_outline``; NaN in frames with no person),
        visibility as confidence, and the frames' own timestamps.

    Raises
    ------
    PoseEstimationError
        If no person is found in any frame (with ``require_person``).
    """
    os.environ.setdefault("GLOG_minloglevel", "2")
    names = (*LANDMARK_NAMES, *OUTLINE_NAMES) if leg_outline else LANDMARK_NAMES
    with _tracking_model(threads, leg_outline, min_detection_confidence, min_tracking_confidence) as pose:
        rows = _run_pass(pose, frames, names, leg_outline=leg_outline, progress=progress,
                         restart_if=restart_if)
    return _found_track(rows, names, require_person=require_person)


def _found_track(rows: _Rows, names: tuple[str, ...], *, require_person: bool) -> LandmarkTrack | None:
    """The pass's track; without a person in any frame, PoseEstimationError (or None without frames)."""
    if rows.size_wh is None:
        if require_person:
            raise PoseEstimationError(_NO_PERSON)
        return None
    if require_person and not any(np.isfinite(r).any() for r in rows.xy):
        raise PoseEstimationError(_NO_PERSON)
    return rows.track(names)


def _tracking_model(threads: int, segmentation: bool, min_detection_confidence: float,
                    min_tracking_confidence: float) -> Any:
    """The video-mode (tracking) BlazePose model, with the person mask if ``segmentation``.

    ``model_complexity=1`` is the only BlazePose model bundled in the
    ``mediapipe==0.10.21`` wheel; the lite and heavy models would be
    downloaded at run time, which gaitvision never does.
    """
    return _pose_model(
        max(1, int(threads)),
        static_image_mode=False,
        model_complexity=1,
        smooth_landmarks=True,
        enable_segmentation=segmentation,
        smooth_segmentation=True,
        min_detection_confidence=min_detection_confidence,
        min_tracking_confidence=min_tracking_confidence,
    )


class _Rows:
    """The landmarks of a pose pass so far, one row per frame."""

    def __init__(self) -> None:
        self.xy: list[NDArray[np.float64]] = []
        self.conf: list[NDArray[np.float64]] = []
        self.times: list[float] = []
        self.size_wh: tuple[int, int] | None = None

    def track(self, names: tuple[str, ...]) -> LandmarkTrack:
        """The rows as a track (at least one frame must have been added)."""
        assert self.size_wh is not None
        return LandmarkTrack(xy=np.stack(self.xy), confidence=np.stack(self.conf),
                             time_s=np.asarray(self.times), frame_size_wh=self.size_wh,
                             landmark_names=names)


def _run_pass(
    pose: Any,
    frames: Iterable[Frame],
    names: tuple[str, ...],
    *,
    leg_outline: bool,
    progress: Callable[[int], None] | None,
    restart_if: Callable[[LandmarkTrack], bool] | None,
) -> _Rows:
    """Run the pose model on every frame; raises ``_Restart`` if ``restart_if`` says so."""
    rows = _Rows()
    n_found = 0
    for frame in frames:
        h, w = frame.image.shape[:2]
        if rows.size_wh is None:
            rows.size_wh = (w, h)
        xy, conf, found = _frame_landmarks(pose.process(frame.image), w, h, len(names), leg_outline)
        n_found += found
        rows.xy.append(xy)
        rows.conf.append(conf)
        rows.times.append(frame.time_s)
        if progress is not None:
            progress(len(rows.times))
        if restart_if is not None and n_found == PROBE_FRAMES and restart_if(rows.track(names)):
            raise _Restart
    return rows


def _frame_landmarks(
    result: Any, w: int, h: int, n_names: int, leg_outline: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """Pixel positions and confidences of one frame's result (NaN and 0 without a person)."""
    xy = np.full((n_names, 2), np.nan)
    conf = np.zeros(n_names)
    if result.pose_landmarks is None:
        return xy, conf, False
    lm = result.pose_landmarks.landmark
    xy[:N_LANDMARKS, 0] = [p.x * w for p in lm]
    xy[:N_LANDMARKS, 1] = [p.y * h for p in lm]
    conf[:N_LANDMARKS] = [p.visibility for p in lm]
    if leg_outline and result.segmentation_mask is not None:
        for j, (knee, hip) in enumerate(_KNEE_HIP):
            x = knee_outline_x(result.segmentation_mask, xy[knee], xy[hip])
            if np.isfinite(x):
                xy[N_LANDMARKS + j] = (x, xy[knee, 1])
                conf[N_LANDMARKS + j] = conf[knee]
    return xy, conf, True


def is_frontal_start(track: LandmarkTrack) -> bool:
    """True if the runner in the first frames of a clip is seen from behind or in front."""
    from gaitvision.pose.view import classify_view

    try:
        return not classify_view(track).view.startswith("side")
    except InsufficientDataError:
        return False


def track_video(
    path: str | os.PathLike[str],
    *,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    leg_outline: bool | None = False,
    roi: tuple[int, int, int, int] | None = None,
) -> LandmarkTrack:
    """Decode a clip and run the pose model on every frame.

    ``threads``: inference threads (default :func:`default_pose_threads`).
    Decoding runs in FFmpeg's own threads, overlapped with inference.

    ``leg_outline``: add the knee outline points (see :func:`estimate_poses`).
    None decides from the clip: the pass starts without them and, if the
    first :data:`PROBE_FRAMES` frames with a runner show a rear or front
    view, starts again from the first frame with them (a fresh tracker, so
    the landmarks are those of a single pass). The final view is decided on
    the whole clip later; :func:`gaitvision.pipeline.analyze_video` runs the
    pass again in the rare case the two disagree.

    ``roi``: run the model on this region ``(x, y, w, h)`` of each upright
    frame only (:mod:`gaitvision.pose.roi`); the landmarks come back in
    full-frame pixels.
    """
    n = default_pose_threads() if threads is None else threads
    full_wh, crop = crop_for(path, roi)
    if leg_outline is None:
        try:
            return uncropped(estimate_poses(iter_frames(path, crop=crop), threads=n, progress=progress,
                                             restart_if=is_frontal_start), crop, full_wh)
        except _Restart:
            logger.info("Rear or front view: running the pose pass with the leg outline")
            leg_outline = True
    return uncropped(estimate_poses(iter_frames(path, crop=crop), threads=n, progress=progress,
                                     leg_outline=leg_outline), crop, full_wh)


def crop_for(path: str | os.PathLike[str], roi: tuple[int, int, int, int] | None
             ) -> tuple[tuple[int, int], tuple[int, int, int, int] | None]:
    """The upright frame size and the region fitted to it (None: the whole frame)."""
    from gaitvision.io.video import probe_video
    from gaitvision.pose.roi import fit_roi

    if roi is None:
        return (0, 0), None
    meta = probe_video(path)
    full_wh = (meta.width, meta.height)  # upright
    return full_wh, fit_roi(roi, full_wh)


def uncropped(track: LandmarkTrack, crop: tuple[int, int, int, int] | None, full_wh: tuple[int, int]
              ) -> LandmarkTrack:
    """``track`` from a cropped pass, in full-frame pixels (unchanged without a crop)."""
    from gaitvision.pose.roi import uncrop

    return track if crop is None else uncrop(track, crop, full_wh)
