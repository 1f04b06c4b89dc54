"""MediaPipe BlazePose adapter: video frames -> :class:`LandmarkTrack`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import PoseEstimationError
from ..landmarks import LANDMARK_NAMES, N_LANDMARKS
from ..track import LandmarkTrack
from .video import Frame, iter_frames

__all__ = ["MODEL_NAME", "default_pose_threads", "estimate_poses", "model_version", "track_video"]

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


def _pose_model(threads: int, **kwargs):  # noqa: ANN202 - MediaPipe type, imported lazily
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

    class _Pose(mp_pose.Pose):
        def _modify_calculator_options(self, config, params):  # type: ignore[no-untyped-def]
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


def estimate_poses(
    frames: Iterable[Frame],
    *,
    threads: int = 1,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
    progress: Callable[[int], None] | None = None,
    require_person: bool = True,
) -> LandmarkTrack | None:
    """Run BlazePose on a stream of frames.

    Parameters
    ----------
    frames
        Upright RGB frames with timestamps, e.g. from :func:`iter_frames`.
        Consumed one at a time; only the landmarks are kept.
    threads
        Threads for the pose model's inference (see :func:`_pose_model`).
        Use 1 when several passes run side by side: XNNPACK's threads spin
        while they wait, and more threads than free cores slow every pass
        down badly.
    min_detection_confidence, min_tracking_confidence
        MediaPipe's person-detection and tracking thresholds.
    progress
        Called with the number of frames done after each frame.
    require_person
        Raise if no person is found in any frame (default). False returns
        the all-NaN track instead (None if there were no frames), for
        callers that process a clip in pieces.

    Returns
    -------
    LandmarkTrack
        Pixel positions of the 33 landmarks (NaN in frames with no person),
        visibility as confidence, and the frames' own timestamps.

    Raises
    ------
    PoseEstimationError
        If no person is found in any frame.

    Notes
    -----
    ``model_complexity=1`` is the only BlazePose model bundled in the
    ``mediapipe==0.10.21`` wheel; the lite and heavy models would be
    downloaded at run time, which gaitvision never does.
    """
    os.environ.setdefault("GLOG_minloglevel", "2")

    xy_rows: list[np.ndarray] = []
    conf_rows: list[np.ndarray] = []
    times: list[float] = []
    size_wh: tuple[int, int] | None = None
    with _pose_model(
        max(1, int(threads)),
        static_image_mode=False,
        model_complexity=1,
        smooth_landmarks=True,
        enable_segmentation=False,
        min_detection_confidence=min_detection_confidence,
        min_tracking_confidence=min_tracking_confidence,
    ) as pose:
        for frame in frames:
            h, w = frame.image.shape[:2]
            if size_wh is None:
                size_wh = (w, h)
            result = pose.process(frame.image)
            xy = np.full((N_LANDMARKS, 2), np.nan)
            conf = np.zeros(N_LANDMARKS)
            if result.pose_landmarks is not None:
                lm = result.pose_landmarks.landmark
                xy[:, 0] = [p.x * w for p in lm]
                xy[:, 1] = [p.y * h for p in lm]
                conf[:] = [p.visibility for p in lm]
            xy_rows.append(xy)
            conf_rows.append(conf)
            times.append(frame.time_s)
            if progress is not None:
                progress(len(times))
    if size_wh is None and not require_person:
        return None
    if require_person and (size_wh is None or not any(np.isfinite(r).any() for r in xy_rows)):
        raise PoseEstimationError(
            "No person was found in any frame. Film the runner head to toe, "
            "well lit, with nobody else in the picture."
        )
    return LandmarkTrack(
        xy=np.stack(xy_rows),
        confidence=np.stack(conf_rows),
        time_s=np.asarray(times),
        frame_size_wh=size_wh,  # type: ignore[arg-type]
        landmark_names=LANDMARK_NAMES,
    )


def track_video(
    path: str | os.PathLike[str],
    *,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> LandmarkTrack:
    """Decode a clip and run the pose model on every frame.

    ``threads``: inference threads (default :func:`default_pose_threads`).
    Decoding runs in FFmpeg's own threads, overlapped with inference.
    """
    n = default_pose_threads() if threads is None else threads
    return estimate_poses(iter_frames(path), threads=n, progress=progress)
