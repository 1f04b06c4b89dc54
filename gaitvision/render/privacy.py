"""Face blurring for every image gaitvision writes (``--blur-faces``).

The face is located from the pose landmarks already in the track
(MediaPipe indices 0-10: nose, eyes, ears, mouth), so no extra model and
no network are needed. The box is sized from the head landmarks and, as a
floor, from the torso length (a side view sees the face edge-on, where
the face landmarks span only a few pixels). Inside the box the image is
pixelated to a few blocks and smoothed: the identity is gone, the head
position is still visible.

Use :func:`blur_faces` on a single image (stills, report figures) and
:func:`face_boxes` + :func:`blur_box` in a frame loop (the annotated video),
where frames without a pose borrow the nearest face position in time.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from gaitvision.track import LandmarkTrack

__all__ = ["FACE_LANDMARKS", "blur_box", "blur_faces", "face_box", "face_boxes"]

#: MediaPipe pose landmarks on the face: nose, eyes (inner, centre, outer),
#: ears, mouth corners.
FACE_LANDMARKS = tuple(range(11))
_SHOULDERS, _HIPS = (11, 12), (23, 24)

#: Half-size of the box: this many times the largest face-landmark span,
#: and at least ``TORSO_FRACTION`` of the shoulder-to-hip length.
SPAN_FACTOR = 1.0
TORSO_FRACTION = 0.32
#: Fallback half-size when neither is known, as a fraction of the image's long side.
FALLBACK_FRACTION = 0.06


def face_box(
    landmarks_px: NDArray[np.floating[Any]], *, image_wh: tuple[int, int] | None = None
) -> NDArray[np.float64] | None:
    """The square that covers the head, ``[x0, y0, x1, y1]`` in pixels, or None.

    Parameters
    ----------
    landmarks_px
        ``(n, 2)`` pixel positions in MediaPipe order with ``n >= 11``
        (33 for a full pose); NaN for missing points.
    image_wh
        Used only for the fallback size when no torso is available.

    Returns
    -------
    box or None
        None if no face landmark is known.
    """
    pts = np.asarray(landmarks_px, dtype=np.float64)
    face = pts[: len(FACE_LANDMARKS)]
    face = face[np.isfinite(face).all(axis=1)]
    if face.size == 0:
        return None
    lo, hi = face.min(axis=0), face.max(axis=0)
    centre = (lo + hi) / 2
    span = float(np.max(hi - lo))
    half = SPAN_FACTOR * span
    floor = None
    if len(pts) > max(_HIPS):
        sh = pts[list(_SHOULDERS)]
        hp = pts[list(_HIPS)]
        if np.isfinite(sh).all() and np.isfinite(hp).all():
            floor = TORSO_FRACTION * float(np.linalg.norm(sh.mean(axis=0) - hp.mean(axis=0)))
        elif np.isfinite(sh).all():
            floor = 0.6 * float(np.linalg.norm(sh[0] - sh[1]))
    if floor is None:
        floor = FALLBACK_FRACTION * max(image_wh) if image_wh is not None else 1.5 * span
    half = max(half, floor, 4.0)
    return np.array([centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half])


def blur_box(image: NDArray[np.uint8], box: NDArray[np.floating[Any]] | None, *, blocks: int = 6) -> NDArray[np.uint8]:
    """Return a copy of ``image`` with ``box`` pixelated and smoothed.

    ``box`` is ``[x0, y0, x1, y1]`` in pixels (clipped to the image); None
    or an all-NaN box blurs the **whole image** (safe default: a frame whose
    face position is unknown is never written sharp).
    """
    out = np.array(image, copy=True)
    h, w = out.shape[:2]
    if box is None or not np.isfinite(box).all():
        x0, y0, x1, y1 = 0, 0, w, h
    else:
        x0 = int(np.clip(np.floor(box[0]), 0, w))
        y0 = int(np.clip(np.floor(box[1]), 0, h))
        x1 = int(np.clip(np.ceil(box[2]), 0, w))
        y1 = int(np.clip(np.ceil(box[3]), 0, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return out
    roi = out[y0:y1, x0:x1]
    bw, bh = x1 - x0, y1 - y0
    n = max(2, blocks)
    small = cv2.resize(roi, (max(1, min(n, bw)), max(1, min(n, bh))), interpolation=cv2.INTER_AREA)
    big = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_LINEAR)
    k = max(3, (min(bw, bh) // 4) | 1)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(big, (k, k), 0)
    return out


def blur_faces(
    image: NDArray[np.uint8],
    landmarks_px: NDArray[np.floating[Any]] | None,
) -> NDArray[np.uint8]:
    """Return a copy of ``image`` with the runner's face blurred.

    Parameters
    ----------
    image
        ``(h, w, 3)`` RGB (or BGR) image.
    landmarks_px
        The pose of this image: ``(33, 2)`` (or at least ``(11, 2)``) pixel
        positions *in this image's coordinates* (scale them first if the
        image was resized), NaN where missing; e.g. ``track.xy[frame]``.
        Several people: ``(k, 33, 2)``, each face is blurred.

    Returns
    -------
    image
        A new array; the input is not modified. If no face landmark is
        known, the whole image is blurred (never a sharp face by accident).
    """
    if landmarks_px is None:
        return blur_box(image, None)
    lm = np.asarray(landmarks_px, dtype=np.float64)
    people = lm[None] if lm.ndim == 2 else lm
    h, w = image.shape[:2]
    boxes = [face_box(p, image_wh=(w, h)) for p in people]
    if not any(b is not None for b in boxes):
        return blur_box(image, None)
    out = image
    for b in boxes:
        if b is not None:
            out = blur_box(out, b)
    return out


def face_boxes(track: LandmarkTrack, *, hold_s: float = 0.5) -> NDArray[np.float64]:
    """Per-frame face boxes ``(n_frames, 4)`` in the track's pixels.

    Frames without face landmarks take the box of the nearest frame that
    has one, up to ``hold_s`` away (the head does not move far in half a
    second on a treadmill); beyond that the row is NaN, which
    :func:`blur_box` treats as "blur the whole frame".
    """
    w, h = track.frame_size_wh
    boxes = np.full((track.n_frames, 4), np.nan)
    for i in range(track.n_frames):
        b = face_box(track.xy[i], image_wh=(w, h))
        if b is not None:
            boxes[i] = b
    have = np.flatnonzero(np.isfinite(boxes[:, 0]))
    if have.size and have.size < track.n_frames:
        t = track.time_s
        missing = np.flatnonzero(~np.isfinite(boxes[:, 0]))
        pos = np.searchsorted(t[have], t[missing])
        for m, p in zip(missing, pos, strict=True):  # one insertion point per missing frame
            cands = [have[j] for j in (p - 1, p) if 0 <= j < have.size]
            best = min(cands, key=lambda j: abs(t[j] - t[m]))
            if abs(t[best] - t[m]) <= hold_s:
                boxes[m] = boxes[best]
    return boxes
