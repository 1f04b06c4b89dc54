"""The annotated video: the input clip with the measurements drawn on it."""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.config import RenderConfig
from gaitvision.io.video import VideoWriter, iter_frames, probe_video
from gaitvision.render.annotators import (
    SkeletonAnnotator,
    StampAnnotator,
    StepAnnotator,
)
from gaitvision.render.privacy import blur_box, face_boxes
from gaitvision.track import LandmarkTrack

__all__ = ["browser_playable", "clip_playable", "output_size", "render_video", "write_browser_copy"]

#: FFmpeg's name of the MP4/MOV container family.
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"

#: How long a step's annotation stays on screen after the moment it shows
#: (at most until the next step's annotation appears).
HOLD_S = 0.4

_PARTS = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("hip", "knee", "ankle", "heel", "foot_index"))


def output_size(width: int, height: int, *, max_long_side_px: int) -> tuple[int, int]:
    """Output frame size: long side capped, both dimensions even (yuv420p)."""
    scale = min(1.0, max_long_side_px / max(width, height))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h


def browser_playable(container: str, codec: str, pix_fmt: str | None) -> bool:
    """H.264 4:2:0 8-bit in an MP4/MOV container: plays in Chromium, Firefox and Safari.

    Anything else (HEVC from iPhones, 10-bit, MKV, AVI...) needs
    :func:`write_browser_copy` before a page can show it.
    """
    return container == MP4_FAMILY and codec == "h264" and pix_fmt in ("yuv420p", "yuvj420p")


def clip_playable(path: str | os.PathLike[str]) -> bool:
    """Whether the browser can play the clip at ``path`` as it is (probed, not from its name)."""
    import av

    try:
        with av.open(str(path)) as c:
            container = str(c.format.name)
    except (av.error.FFmpegError, OSError):
        return False
    meta = probe_video(path)
    return browser_playable(container, meta.codec, meta.pix_fmt)


def write_browser_copy(src: str | os.PathLike[str], dst: str | os.PathLike[str], *,
                       frame_filter: Callable[[NDArray[np.uint8], int], NDArray[np.uint8]] | None = None,
                       progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Write a browser-playable copy of ``src`` to ``dst`` (atomically): the same frames at the same times.

    libx264, yuv420p, ``+faststart``, upright (rotation applied), no audio;
    an odd width or height is scaled down by one pixel (yuv420p needs even
    sizes; the page stretches the overlay's canvas over the picture, so the
    landmarks still fall where they belong). ``frame_filter(image, index)``
    changes each frame first (the report's copy with ``--blur-faces``: the
    faces blurred).

    Returns
    -------
    width, height
        Size of the copy.
    """
    meta = probe_video(src)  # the upright frame's size
    w, h = max(2, meta.width - meta.width % 2), max(2, meta.height - meta.height % 2)
    with VideoWriter(Path(dst), width=w, height=h, crf=20, preset="superfast") as out:
        for frame in iter_frames(src, size_wh=(w, h)):
            image = frame.image if frame_filter is None else frame_filter(frame.image, frame.index)
            out.write(image, frame.time_s)
            if progress is not None:
                progress(frame.index + 1)
    return w, h


@dataclass(frozen=True)
class _Overlay:
    start_s: float
    end_s: float
    frame: int
    row: dict[str, Any]
    geo: dict[str, list[float]]


def _overlays(
    rows: list[dict[str, Any]], geometry: list[dict[str, list[float]]], time_s: NDArray[np.float64],
    side_view: bool,
) -> list[_Overlay]:
    out = []
    for r, g in zip(rows, geometry, strict=True):  # one geometry per step row
        if r["excluded_reason"]:
            continue
        if side_view:
            f = r["ic_frame"]
        else:
            f = r.get("knee_fppa_peak_frame")
            if f is None:
                continue
        out.append(_Overlay(float(time_s[f]), float(time_s[f]) + HOLD_S, int(f), r, g))
    out.sort(key=lambda o: o.start_s)
    # each annotation gives way to the next one, so labels never pile up
    return [
        _Overlay(o.start_s, min(o.end_s, nxt.start_s) if nxt else o.end_s, o.frame, o.row, o.geo)
        for o, nxt in zip(out, [*out[1:], None], strict=True)
    ]


def render_video(
    video_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    track: LandmarkTrack,
    rows: list[dict[str, Any]],
    geometry: list[dict[str, list[float]]],
    view: str,
    cfg: RenderConfig,
    progress: Callable[[int], None] | None = None,
    face_track: LandmarkTrack | None = None,
) -> tuple[int, int]:
    """Decode the clip again and write it with the overlay (atomically).

    Parameters
    ----------
    track
        The track the values were measured on (its positions are drawn).
    rows, geometry
        Per-step rows and the points each value was measured between, from
        :func:`gaitvision.analysis.measure_steps`.
    face_track
        With ``cfg.blur_faces``: the track to find the face in (the raw pose
        track is best: cleaning may drop low-confidence face points);
        defaults to ``track``. Frames with no face position within 0.5 s
        are blurred whole.

    Returns
    -------
    width, height
        Size of the written video.
    """
    w_in, h_in = track.frame_size_wh
    w, h = output_size(w_in, h_in, max_long_side_px=cfg.max_long_side_px)
    sx, sy = w / w_in, h / h_in
    scale = np.array([sx, sy])
    side_view = view.startswith("side")
    painter = _Painter(track, _overlays(rows, geometry, track.time_s, side_view), scale, h, side_view)
    faces = face_boxes(face_track if face_track is not None else track) * np.tile(scale, 2) if cfg.blur_faces else None
    with VideoWriter(out_path, width=w, height=h, crf=cfg.crf, preset=cfg.preset) as writer:
        for fr in iter_frames(video_path, size_wh=(w, h)):
            i = fr.index
            image = fr.image
            if faces is not None:
                image = blur_box(image, faces[i] if i < len(faces) else None)
            if i < track.n_frames:
                painter.draw(image, i, fr.time_s)
            painter.stamp.annotate(image, frame_index=i, time_s=fr.time_s)
            writer.write(image, fr.time_s * cfg.slow_motion)
            if progress is not None:
                progress(i + 1)
    return w, h


class _Painter:
    """The skeleton and the step overlays of the annotated video, frame by frame."""

    def __init__(self, track: LandmarkTrack, overlays: list[_Overlay], scale: NDArray[np.float64], h: int,
                 side_view: bool) -> None:
        self.track, self.overlays, self.scale, self.side_view = track, overlays, scale, side_view
        font = max(0.45, 0.6 * h / 1280)
        self.skel = SkeletonAnnotator(thickness=max(2, int(3 * h / 1280)), radius=max(3, int(5 * h / 1280)))
        self.step_ann = StepAnnotator(side_view=side_view, font_scale=font)
        self.stamp = StampAnnotator(font_scale=font * 0.9)
        self.idx = {n: track.landmark_names.index(n) for n in _PARTS}
        counts = {"left": 0, "right": 0}
        self.step_no: dict[int, int] = {}  # id(overlay) -> the per-side step number shown
        self.starts = [o.start_s for o in overlays]
        for o in overlays:
            counts[o.row["side"]] += 1
            self.step_no[id(o)] = counts[o.row["side"]]

    def draw(self, image: NDArray[np.uint8], i: int, time_s: float) -> None:
        """Draw track frame ``i`` (shown at ``time_s``) on ``image``, in place."""
        track = self.track
        points: dict[str, NDArray[np.float64] | None] = {
            n: track.xy[i, self.idx[n]] * self.scale for n in _PARTS}
        interp = {n: bool(track.interpolated[i, self.idx[n]]) for n in _PARTS}
        self.skel.annotate(image, points=points, interpolated=interp)
        # overlays are sorted and never overlap: at most one is on screen
        k = bisect.bisect_right(self.starts, time_s + 1e-9) - 1
        for o in self.overlays[max(k, 0) : k + 1]:
            if not (o.start_s - 1e-9 <= time_s < o.end_s):
                continue
            self._step(image, o)

    def _step(self, image: NDArray[np.uint8], o: _Overlay) -> None:
        side = o.row["side"]
        g = {k: np.asarray(v) * self.scale for k, v in o.geo.items()}
        label = f"{side.upper()[0]} step {self.step_no[id(o)]} (frame {o.frame})"
        self.step_ann.annotate(image, row=o.row, points=g, step_label=label)
