"""gaitvision: running-form analysis from treadmill video for physical therapists.

The Python API (:mod:`gaitvision.api`)::

    import gaitvision

    result = gaitvision.analyze("clip.mp4", "out/clip")   # what `gaitvision analyze` does
    result = gaitvision.load("out/clip")                  # a finished folder, no pose model

``analyze``, ``load``, ``Result``, ``Options`` and ``LandmarkTrack`` are
imported on first use, so ``import gaitvision`` stays cheap: no pose model,
no SciPy, not even NumPy (``gaitvision --help`` imports only the standard
library; tests/unit/test_startup.py checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from gaitvision.api import Options, Result, analyze, load
    from gaitvision.track import LandmarkTrack

#: names served by :mod:`gaitvision.api`, imported when first asked for
_API = ("Options", "Result", "analyze", "load")
#: names served by other modules (they import NumPy), imported when first asked for
_LAZY = {"LandmarkTrack": "gaitvision.track"}

__all__ = [
    "ConfigError",
    "GaitvisionError",
    "GaitvisionWarning",
    "InsufficientDataError",
    "InvalidTrackError",
    "LandmarkTrack",
    "Options",
    "OutputError",
    "PoseEstimationError",
    "Result",
    "VideoReadError",
    "__version__",
    "analyze",
    "load",
]


def __getattr__(name: str) -> Any:
    """``gaitvision.analyze`` and friends (and ``LandmarkTrack``), imported on first use."""
    if name in _API:
        from gaitvision import api

        return getattr(api, name)
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gaitvision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API) | set(_LAZY))
