"""The landmark track: the central data type passed between stages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import InvalidTrackError
from gaitvision.landmarks import LANDMARK_NAMES

__all__ = ["LandmarkTrack"]


@dataclass(frozen=True)
class LandmarkTrack:
    """Per-frame 2D landmark positions of one runner.

    Parameters
    ----------
    xy
        ``(n_frames, n_landmarks, 2)`` positions in pixels of the upright
        frame, image coordinates (x right, y **down**). NaN where missing.
    confidence
        ``(n_frames, n_landmarks)`` MediaPipe visibility in [0, 1]; 0 where
        missing.
    time_s
        ``(n_frames,)`` presentation time of each frame in seconds from the
        first frame, strictly increasing. Taken from the container, never
        derived from a frame rate (phones record variable frame rate).
    frame_size_wh
        Width and height of the upright frame in pixels.
    landmark_names
        Name of each landmark, unique.
    interpolated
        ``(n_frames, n_landmarks)`` True where a position was filled in by
        gap interpolation rather than observed.

    Notes
    -----
    Instances are immutable; stages return new tracks via
    :func:`dataclasses.replace`.
    """

    xy: NDArray[np.float64]
    confidence: NDArray[np.float64]
    time_s: NDArray[np.float64]
    frame_size_wh: tuple[int, int]
    landmark_names: tuple[str, ...] = LANDMARK_NAMES
    # None (the default) means "nothing interpolated"; __post_init__ replaces it
    # with an all-False array, so the attribute is always an array.
    interpolated: NDArray[np.bool_] = field(default=cast("NDArray[np.bool_]", None))

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=np.float64)
        conf = np.asarray(self.confidence, dtype=np.float64)
        t = np.asarray(self.time_s, dtype=np.float64)
        names = tuple(self.landmark_names)
        if xy.ndim != 3 or xy.shape[2] != 2:
            raise InvalidTrackError(
                f"xy must have shape (n_frames, n_landmarks, 2), but got {xy.shape}."
            )
        n, m = xy.shape[:2]
        if conf.shape != (n, m):
            raise InvalidTrackError(
                f"confidence must have shape {(n, m)}, but got {conf.shape}."
            )
        if t.shape != (n,):
            raise InvalidTrackError(f"time_s must have shape {(n,)}, but got {t.shape}.")
        if len(names) != m or len(set(names)) != m:
            raise InvalidTrackError(
                f"landmark_names must hold {m} unique names, but got {len(names)} "
                f"({len(set(names))} unique)."
            )
        if n > 1:
            bad = np.flatnonzero(~(np.diff(t) > 0))
            if bad.size:
                raise InvalidTrackError(
                    "Expected time_s to be strictly increasing, but found "
                    f"{bad.size} non-increasing steps (first at frame {bad[0] + 1})."
                )
        if not np.all(np.isfinite(t)):
            raise InvalidTrackError("time_s must be finite.")
        interp = (
            np.zeros((n, m), dtype=bool)
            if self.interpolated is None
            else np.asarray(self.interpolated, dtype=bool)
        )
        if interp.shape != (n, m):
            raise InvalidTrackError(
                f"interpolated must have shape {(n, m)}, but got {interp.shape}."
            )
        w, h = (int(v) for v in self.frame_size_wh)
        if w <= 0 or h <= 0:
            raise InvalidTrackError(f"frame_size_wh must be positive, but got {(w, h)}.")
        for arr in (xy, conf, t, interp):
            arr.setflags(write=False)
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "landmark_names", names)
        object.__setattr__(self, "interpolated", interp)
        object.__setattr__(self, "frame_size_wh", (w, h))

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.xy.shape[0])

    def _index(self, name: str) -> int:
        try:
            return self.landmark_names.index(name)
        except ValueError:
            raise InvalidTrackError(
                f"Unknown landmark {name!r}; this track has {', '.join(self.landmark_names)}."
            ) from None

    def landmark(self, name: str) -> NDArray[np.float64]:
        """Return the ``(n_frames, 2)`` pixel positions of one landmark."""
        return self.xy[:, self._index(name), :]

    def landmark_confidence(self, name: str) -> NDArray[np.float64]:
        """Return the ``(n_frames,)`` confidence of one landmark."""
        return self.confidence[:, self._index(name)]

    def landmark_interpolated(self, name: str) -> NDArray[np.bool_]:
        """Return the ``(n_frames,)`` interpolation mask of one landmark."""
        return self.interpolated[:, self._index(name)]

    def fps_estimate(self) -> float:
        """Median frame rate from the timestamps (informational only)."""
        if self.n_frames < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))

    def replace(self, **changes: Any) -> LandmarkTrack:
        """Return a copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)
