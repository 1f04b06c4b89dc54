"""The runner's region: run the pose model on a crop of the frame (``--roi x,y,w,h``).

When another person or a large moving object is in the picture, the pose
model can follow it instead of the runner (gait events issue, item 5). A
region of interest around the treadmill keeps the model's input to the
runner: frames are cropped before the model
(:func:`gaitvision.io.video.iter_frames` ``crop=``), and the landmarks are
moved back to full-frame pixels (:func:`uncrop`), so every later stage, the
overlay and the stills see the usual coordinates. Not done: choosing the
region automatically from the running rhythm and re-acquiring the runner
after an occlusion.
"""

from __future__ import annotations

import numpy as np

from gaitvision.config import MIN_ROI_PX, check_roi
from gaitvision.errors import ConfigError
from gaitvision.track import LandmarkTrack

__all__ = ["MIN_ROI_PX", "Roi", "check_roi", "fit_roi", "parse_roi", "uncrop"]

Roi = tuple[int, int, int, int]


def parse_roi(text: str) -> Roi:
    """``"x,y,w,h"`` (pixels of the upright frame) as a tuple.

    Raises
    ------
    ConfigError
        If it is not four non-negative integers with a width and height of at least :data:`MIN_ROI_PX`.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise ConfigError(f"roi must be four integers x,y,w,h (pixels), but got {text!r}.")
    return check_roi(parts)  # type: ignore[arg-type]  # check_roi converts and checks each


def fit_roi(roi: Roi, frame_wh: tuple[int, int]) -> Roi:
    """The region clipped to the upright frame.

    Raises
    ------
    ConfigError
        If less than :data:`MIN_ROI_PX` of it lies inside the frame.
    """
    x, y, w, h = check_roi(roi)
    fw, fh = frame_wh
    x1, y1 = min(x + w, fw), min(y + h, fh)
    if x1 - x < MIN_ROI_PX or y1 - y < MIN_ROI_PX:
        raise ConfigError(f"roi {x},{y},{w},{h} lies (almost) outside the {fw}x{fh} picture.")
    return x, y, x1 - x, y1 - y


def uncrop(track: LandmarkTrack, roi: Roi, frame_wh: tuple[int, int]) -> LandmarkTrack:
    """A track measured on the crop ``roi``, in full-frame pixels."""
    x, y, _, _ = roi
    xy = track.xy + np.array([x, y], dtype=np.float64)
    return track.replace(xy=xy, frame_size_wh=frame_wh)
