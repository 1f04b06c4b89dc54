"""The pose pass on both cores: the clip split in time, one MediaPipe per process.

The pose model is the floor of gaitvision's cost (one 720p frame takes
~20-30 ms on one core here), so the pass is split into time segments, each
decoded and tracked by its own process. Every worker seeks to its segment,
starts ``overlap_s`` early so MediaPipe's tracker and landmark smoothing
settle, and keeps only its own frames; decoding in each worker overlaps with
inference in the others. Frames, timestamps and their order are the same
as a sequential pass (the same decoder, the same timestamp rule).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import PoseEstimationError, VideoReadError
from ..track import LandmarkTrack
from .pose import estimate_poses
from .video import Frame, _check_path, _open, _rotation_k, probe_video

__all__ = ["track_video_parallel"]

logger = logging.getLogger(__name__)

#: Below this clip length one process is used (start-up and overlap would
#: cost more than they save).
MIN_PARALLEL_DURATION_S = 6.0

_progress_counter = None


def _first_time(p: Path) -> float:
    container = _open(p)
    try:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.pts is not None and frame.time_base is not None:
                return float(frame.pts * frame.time_base)
            return float(frame.time or 0.0)
    finally:
        container.close()
    raise VideoReadError(f"{p}: no video frame could be decoded.")


def _frames_between(p: Path, t0: float, start_s: float, end_s: float) -> Iterator[Frame]:
    """Upright frames with ``start_s <= time < end_s`` (time from the first frame).

    Seeks to the keyframe at or before ``start_s`` and decodes from there,
    converting only the frames it yields. ``Frame.index`` is -1 (the caller
    numbers frames after merging).
    """
    container = _open(p)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start_s > 0 and stream.time_base is not None:
            container.seek(int((start_s + t0) / stream.time_base), stream=stream, backward=True)
        reformatter = VideoReformatter()
        last_t = -np.inf
        for frame in container.decode(stream):
            if frame.pts is not None and frame.time_base is not None:
                t = float(frame.pts * frame.time_base) - t0
            else:
                t = float(frame.time or 0.0) - t0
            if t >= end_s:
                break
            if t < start_s or t <= last_t:
                continue
            last_t = t
            image = reformatter.reformat(frame, format="rgb24").to_ndarray()
            k = _rotation_k(getattr(frame, "rotation", 0) or 0)
            if k:
                image = np.ascontiguousarray(np.rot90(image, k))
            yield Frame(index=-1, time_s=t, image=image)
    except av.error.FFmpegError as err:
        raise VideoReadError(f"{p}: decoding failed ({err}).") from err
    finally:
        container.close()


def _init_worker(counter) -> None:  # pragma: no cover - runs in the worker
    global _progress_counter
    _progress_counter = counter
    os.environ.setdefault("GLOG_minloglevel", "2")


def _segment(path: str, t0: float, start_s: float, end_s: float, warmup_s: float) -> tuple:
    """Worker: landmarks of the frames in [start_s, end_s)."""

    def tick(_: int) -> None:
        if _progress_counter is not None:
            with _progress_counter.get_lock():
                _progress_counter.value += 1

    frames = _frames_between(Path(path), t0, max(0.0, start_s - warmup_s), end_s)
    track = estimate_poses(frames, progress=tick, require_person=False)
    if track is None:
        return start_s, np.zeros(0), np.zeros((0, 33, 2)), np.zeros((0, 33)), None, False
    keep = track.time_s >= start_s
    found = bool(np.isfinite(track.xy[keep]).any())
    return start_s, track.time_s[keep], track.xy[keep], track.confidence[keep], track.frame_size_wh, found


def track_video_parallel(
    path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    warmup_s: float = 1.0,
    progress: Callable[[int], None] | None = None,
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
    progress
        Called with the number of frames done so far, from the main process.

    Returns
    -------
    LandmarkTrack
        As :func:`gaitvision.io.pose.track_video`.
    """
    from .pose import track_video

    p = _check_path(path)
    meta = probe_video(p)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or not np.isfinite(meta.duration_s) or meta.duration_s < MIN_PARALLEL_DURATION_S:
        return track_video(p, progress=progress)
    t0 = _first_time(p)
    bounds = np.linspace(0.0, meta.duration_s, workers + 1)
    bounds[-1] = np.inf
    ctx = mp.get_context("spawn")
    counter = ctx.Value("l", 0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(counter,)) as pool:
        futures = [pool.submit(_segment, str(p), t0, float(a), float(b), warmup_s)
                   for a, b in zip(bounds[:-1], bounds[1:])]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if progress is not None:
                progress(int(counter.value))
        parts = [f.result() for f in futures]
    parts.sort(key=lambda x: x[0])
    sizes = {q[4] for q in parts if q[4] is not None}
    if not any(q[5] for q in parts):
        raise PoseEstimationError(
            "No person was found in any frame. Film the runner head to toe, "
            "well lit, with nobody else in the picture."
        )
    times = np.concatenate([q[1] for q in parts])
    xy = np.concatenate([q[2] for q in parts])
    conf = np.concatenate([q[3] for q in parts])
    return LandmarkTrack(xy=xy, confidence=conf, time_s=times, frame_size_wh=sizes.pop())
