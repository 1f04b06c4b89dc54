"""gaitvision: running-form analysis from treadmill video for physical therapists."""

from __future__ import annotations

__version__ = "0.1.0"

from gaitvision.errors import (
    ConfigError,
    GaitvisionError,
    GaitvisionWarning,
    InsufficientDataError,
    InvalidTrackError,
    OutputError,
    PoseEstimationError,
    VideoReadError,
)
from gaitvision.track import LandmarkTrack

__all__ = [
    "ConfigError",
    "GaitvisionError",
    "GaitvisionWarning",
    "InsufficientDataError",
    "InvalidTrackError",
    "LandmarkTrack",
    "OutputError",
    "PoseEstimationError",
    "VideoReadError",
    "__version__",
]
