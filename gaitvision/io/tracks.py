"""Save and load landmark tracks (``track.npz``), with a cache key."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import InvalidTrackError
from gaitvision.io._atomic import atomic_path
from gaitvision.track import LandmarkTrack

__all__ = ["file_fingerprint", "load_track", "save_track"]

_FORMAT = "gaitvision.track/1"


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """A cheap identity of a file: size plus SHA-256 of its first and last MiB."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(p, "rb") as f:
        h.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read(1 << 20))
    return h.hexdigest()


def save_track(
    path: str | os.PathLike[str],
    track: LandmarkTrack,
    *,
    source_fingerprint: str,
    model_name: str,
    model_version: str,
    pose_options: str = "",
) -> None:
    """Write a track to ``.npz`` atomically (temporary file, then rename).

    ``pose_options`` names the pose-pass options that change the landmarks
    (e.g. the runner's region, ``roi=x,y,w,h``), so a cached track is reused
    only for the same options.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f,
            format=np.array(_FORMAT),
            time_s=track.time_s,
            xy=track.xy,
            confidence=track.confidence,
            landmark_names=np.array(track.landmark_names),
            frame_size_wh=np.array(track.frame_size_wh),
            source_fingerprint=np.array(source_fingerprint),
            model_name=np.array(model_name),
            model_version=np.array(model_version),
            pose_options=np.array(pose_options),
        )


def _size_wh(stored: NDArray[np.integer[Any]]) -> tuple[int, int]:
    w, h = (int(v) for v in stored)
    return w, h


def load_track(path: str | os.PathLike[str]) -> tuple[LandmarkTrack, dict[str, str]]:
    """Load a track saved by :func:`save_track`.

    Returns
    -------
    track, info
        The raw (unfiltered) track, and a dict with ``source_fingerprint``,
        ``model_name``, ``model_version`` and ``pose_options`` (empty for
        files written before it existed).
    """
    try:
        with np.load(path, allow_pickle=False) as d:
            if str(d["format"]) != _FORMAT:
                raise InvalidTrackError(f"{path}: not a {_FORMAT} file.")
            track = LandmarkTrack(
                xy=d["xy"],
                confidence=d["confidence"],
                time_s=d["time_s"],
                frame_size_wh=_size_wh(d["frame_size_wh"]),
                landmark_names=tuple(str(s) for s in d["landmark_names"]),
            )
            info = {
                k: str(d[k]) for k in ("source_fingerprint", "model_name", "model_version")
            }
            info["pose_options"] = str(d["pose_options"]) if "pose_options" in d.files else ""
    except (OSError, KeyError, ValueError) as err:
        if isinstance(err, InvalidTrackError):
            raise
        raise InvalidTrackError(f"{path}: cannot read the landmark track ({err}).") from err
    return track, info
