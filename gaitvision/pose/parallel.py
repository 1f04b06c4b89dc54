"""The pose pass split in time over processes (opt-in; the default pass is threaded).

The pose model is the floor of gaitvision's cost (one 720p-1080p frame takes
~25-30 ms on one core here). By default both cores serve one sequential
pass (the model's inference on several threads, decoding in FFmpeg's
threads; see :func:`gaitvision.io.pose.track_video`), which gives exactly the
sequential landmarks. This module is the other way, ``--workers N``: the
clip is split into time segments, each decoded and tracked by its own
process with a one-thread model. It is ~15 % faster on long clips but not
identical: each worker's tracker starts from a fresh detection, so the
landmarks of every segment after the first differ slightly from a
sequential pass. Every worker seeks to its segment, starts ``warmup_s``
early so MediaPipe's tracker and landmark smoothing settle, and keeps only
its own frames; decoding in each worker overlaps with inference in the
others. Frames, timestamps and their order are the same
as a sequential pass (the same decoder, the same timestamp rule).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import PoseEstimationError
from gaitvision.io.video import _check_path, first_frame_time_s, iter_frames, probe_video
from gaitvision.landmarks import LANDMARK_NAMES
from gaitvision.pose.blazepose import (
    _NO_PERSON,
    _Restart,
    default_pose_threads,
    estimate_poses,
    is_frontal_start,
)
from gaitvision.pose.knee_outline import OUTLINE_NAMES
from gaitvision.track import LandmarkTrack

__all__ = ["track_video_parallel"]

logger = logging.getLogger(__name__)

#: Below this clip length one process is used (start-up and overlap would
#: cost more than they save).
MIN_PARALLEL_DURATION_S = 6.0

#: Frames done by all workers (a shared counter, set in each worker).
_progress_counter: Synchronized[int] | None = None

#: One worker's result: segment start, then the kept frames' times, positions and
#: confidences, the frame size (None without frames) and whether a person was found.
_Part = tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], tuple[int, int] | None, bool]


def _init_worker(counter: Synchronized[int]) -> None:  # pragma: no cover - runs in the worker
    global _progress_counter
    _progress_counter = counter
    os.environ.setdefault("GLOG_minloglevel", "2")


def _segment(path: str, t0: float, start_s: float, end_s: float, warmup_s: float,
             leg_outline: bool, crop: tuple[int, int, int, int] | None = None) -> _Part:
    """Worker: landmarks of the frames in [start_s, end_s)."""

    def tick(_: int) -> None:
        if _progress_counter is not None:
            with _progress_counter.get_lock():
                _progress_counter.value += 1

    frames = iter_frames(path, start_s=max(0.0, start_s - warmup_s), end_s=end_s, t0_s=t0, crop=crop)
    # one inference thread per worker: XNNPACK threads spin while waiting,
    # and more of them than cores stalls the workers
    track = estimate_poses(frames, threads=1, progress=tick, require_person=False,
                           leg_outline=leg_outline)
    if track is None:
        m = len(LANDMARK_NAMES) + (len(OUTLINE_NAMES) if leg_outline else 0)
        return start_s, np.zeros(0), np.zeros((0, m, 2)), np.zeros((0, m)), None, False
    keep = track.time_s >= start_s
    found = bool(np.isfinite(track.xy[keep]).any())
    return start_s, track.time_s[keep], track.xy[keep], track.confidence[keep], track.frame_size_wh, found


def _probe_frontal(path: str | os.PathLike[str], threads: int | None,
                   crop: tuple[int, int, int, int] | None = None) -> bool:
    """Whether the first frames with a runner show a rear or front view."""
    decision: list[bool] = []

    def decide(track: LandmarkTrack) -> bool:
        decision.append(is_frontal_start(track))
        return True  # stop the probe here

    with contextlib.suppress(_Restart):
        estimate_poses(iter_frames(path, crop=crop), threads=threads or default_pose_threads(),
                       restart_if=decide, require_person=False)
    return bool(decision and decision[0])


def track_video_parallel(
    path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    warmup_s: float = 1.0,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    leg_outline: bool | None = False,
    roi: tuple[int, int, int, int] | None = None,
) -> LandmarkTrack:
    """Run the pose model on every frame of a clip, using several processes.

    Parameters
    ----------
    path
        The clip.
    workers
        Number of processes (default: the number of CPU cores). 1, or a clip
        shorter than 6 s, runs the sequential pass.
    warmup_s
        How long before its segment each worker starts tracking, so the
        tracker has locked on by the first frame it keeps.
    threads
        Inference threads for the sequential pass (``workers`` 1); each
        worker process uses one.
    progress
        Called with the number of frames done so far, from the main process.
    leg_outline
        Add the knee outline points (:func:`gaitvision.io.pose.estimate_poses`).
        None decides from the first frames of the clip.
    roi
        Run the model on this region of each frame only (:mod:`gaitvision.pose.roi`).

    Returns
    -------
    LandmarkTrack
        As :func:`gaitvision.io.pose.track_video`.
    """
    from gaitvision.pose.blazepose import crop_for, track_video, uncropped

    p = _check_path(path)
    meta = probe_video(p)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or not np.isfinite(meta.duration_s) or meta.duration_s < MIN_PARALLEL_DURATION_S:
        return track_video(p, threads=threads, progress=progress, leg_outline=leg_outline, roi=roi)
    full_wh, crop = crop_for(p, roi)
    if leg_outline is None:
        leg_outline = _probe_frontal(p, threads, crop)
    bounds = np.linspace(0.0, meta.duration_s, workers + 1)
    bounds[-1] = np.inf
    parts = _run_segments(p, first_frame_time_s(p), bounds, warmup_s=warmup_s, leg_outline=leg_outline,
                          progress=progress, crop=crop)
    return uncropped(_joined(parts, leg_outline), crop, full_wh)


def _run_segments(
    p: Path,
    t0: float,
    bounds: NDArray[np.float64],
    *,
    warmup_s: float,
    leg_outline: bool,
    progress: Callable[[int], None] | None,
    crop: tuple[int, int, int, int] | None = None,
) -> list[_Part]:
    """Track each segment ``[bounds[i], bounds[i + 1])`` in its own process; the parts in segment order."""
    workers = len(bounds) - 1
    ctx = mp.get_context("spawn")
    counter = ctx.Value("l", 0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(counter,)) as pool:
        futures = [pool.submit(_segment, str(p), t0, float(a), float(b), warmup_s, leg_outline, crop)
                   for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if progress is not None:
                progress(int(counter.value))
        parts = [f.result() for f in futures]
    parts.sort(key=lambda x: x[0])
    return parts


def _joined(parts: list[_Part], leg_outline: bool) -> LandmarkTrack:
    """One track from the segments' frames (PoseEstimationError if no segment found a person)."""
    sizes = {q[4] for q in parts if q[4] is not None}
    if not any(q[5] for q in parts):
        raise PoseEstimationError(_NO_PERSON)
    times = np.concatenate([q[1] for q in parts])
    xy = np.concatenate([q[2] for q in parts])
    conf = np.concatenate([q[3] for q in parts])
    names = (*LANDMARK_NAMES, *OUTLINE_NAMES) if leg_outline else LANDMARK_NAMES
    return LandmarkTrack(xy=xy, confidence=conf, time_s=times, frame_size_wh=sizes.pop(),
                         landmark_names=names)
