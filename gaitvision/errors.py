"""Exception and warning hierarchy of gaitvision.

Every error a user can cause (a bad file, a clip with no runner, too few
steps) is one of these, so the command line can print one clear line and
exit with code 1 instead of a traceback. Each subclasses the matching
built-in exception so ``except ValueError`` and friends keep working.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "GaitvisionError",
    "GaitvisionWarning",
    "InsufficientDataError",
    "InvalidTrackError",
    "OutputError",
    "PoseEstimationError",
    "VideoReadError",
]


class GaitvisionError(Exception):
    """Base for all gaitvision errors."""


class InvalidTrackError(GaitvisionError, ValueError):
    """A landmark track has the wrong shape, names or timestamps."""


class ConfigError(GaitvisionError, ValueError):
    """An option has an invalid value."""


class VideoReadError(GaitvisionError, OSError):
    """A video cannot be opened or decoded."""


class PoseEstimationError(GaitvisionError, RuntimeError):
    """The pose model failed, or found no runner in the clip."""


class InsufficientDataError(GaitvisionError, ValueError):
    """Too little usable data to measure (e.g. too few steps)."""


class OutputError(GaitvisionError, OSError):
    """The output location cannot be used (not writable, would overwrite the input)."""


class GaitvisionWarning(UserWarning):
    """A recoverable problem with the data; the affected value is marked."""
