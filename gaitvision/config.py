"""Analysis options: frozen dataclasses with their defaults in one place."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from gaitvision.errors import ConfigError

__all__ = ["AnalysisConfig", "FilterConfig", "RenderConfig"]

_VIEWS = ("auto", "side-left", "side-right", "rear", "front")


_C = TypeVar("_C")


def _from_dict(cls: type[_C], d: dict[str, Any], where: str) -> dict[str, Any]:
    """``d``'s items for ``cls``'s fields; an unknown key raises, naming the closest valid one."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    for key in d:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"Unknown option {where}{key!r}; valid: {', '.join(names)}.{hint}")
    return dict(d)


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, but got {value!r}.")


@dataclass(frozen=True, kw_only=True)
class FilterConfig:
    """Track cleaning (metrics.md §3).

    Events come from a 10 Hz low-pass (large, slow horizontal excursions),
    angles from a 15 Hz one: on the rendered side-view runner a 10 Hz
    cut-off blunted the strike angle at contact by a further 1.2 deg and
    the knee angle by 0.7 deg relative to 15 Hz, while MediaPipe's own
    smoothing already removes most jitter.
    """

    min_confidence: float = 0.3
    max_gap_s: float = 0.1
    outlier_window_s: float = 0.15
    event_cutoff_hz: float = 10.0
    angle_cutoff_hz: float = 15.0
    #: Exchange the leg labels back where the pose model swapped them (side
    #: views); runs of repaired frames longer than 0.12 s are undone (see
    #: :func:`gaitvision.filtering.fix_leg_swaps`).
    fix_leg_swaps: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError(f"min_confidence must be in [0, 1], but got {self.min_confidence!r}.")
        for name in ("max_gap_s", "outlier_window_s", "event_cutoff_hz", "angle_cutoff_hz"):
            _check_positive(name, getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class RenderConfig:
    """What is drawn and written: the annotated video's options, and whether the report is written."""

    #: Write annotated.mp4 (``--video``). Off by default: the report page draws
    #: the overlay over the clip itself; ``gaitvision video DIR`` writes it later.
    video: bool = False
    #: Write keyframes/, plots/ and report.html (``gaitvision report`` can
    #: add them later from the cached track).
    report: bool = True
    max_long_side_px: int = 1280
    crf: int = 23
    #: x264 speed preset. "superfast" encodes a 720x1280 frame in ~8.5 ms here
    #: (117 frames/s on 2 cores; veryfast 64, ultrafast 168). ultrafast turns
    #: off the deblocking filter: blocky flat areas, and a blurred face that
    #: is no longer smooth; superfast keeps it (~0.25 MB per second of video).
    preset: str = "superfast"
    #: Blur the runner's face in every image written (video, stills, report);
    #: see :mod:`gaitvision.privacy`.
    blur_faces: bool = False
    #: Play the annotated video this many times slower than real time (1 =
    #: real time). For high-frame-rate clips, e.g. 4 for a 120 fps clip
    #: shown at 30 fps; every frame is kept, only the timestamps stretch.
    slow_motion: float = 1.0

    def __post_init__(self) -> None:
        _check_positive("max_long_side_px", self.max_long_side_px)
        if not self.slow_motion >= 1.0:
            raise ConfigError(f"slow_motion must be >= 1, but got {self.slow_motion!r}.")


#: Smallest side of the runner's region: the pose model's input is 256 x
#: 256 pixels; a much smaller crop has too few.
MIN_ROI_PX = 64


def check_roi(roi: Sequence[int]) -> tuple[int, int, int, int]:
    """The runner's region ``(x, y, w, h)`` if well formed.

    Raises
    ------
    ConfigError
        Unless four integers with x, y >= 0 and a width and height of at least :data:`MIN_ROI_PX`.
    """
    try:
        x, y, w, h = (int(v) for v in roi)
    except (TypeError, ValueError):
        raise ConfigError(f"roi must be four integers x,y,w,h (pixels), but got {roi!r}.") from None
    if x < 0 or y < 0 or w < MIN_ROI_PX or h < MIN_ROI_PX:
        raise ConfigError(f"roi needs x, y >= 0 and a width and height of at least {MIN_ROI_PX} px, "
                          f"but got {x},{y},{w},{h}.")
    return x, y, w, h


@dataclass(frozen=True, kw_only=True)
class AnalysisConfig:
    """Everything ``gaitvision analyze`` can be told."""

    view: str = "auto"
    use_cache: bool = True
    min_steps_per_side: int = 3
    #: Frame rate the clip was filmed at, for slow motion stored for normal
    #: playback (e.g. 240 for a 240 fps capture that plays at 30 fps). None:
    #: from the file's metadata when it says so, else the timestamps are real time.
    capture_fps: float | None = None
    #: Processes for the pose pass (1: one sequential pass, the default;
    #: None: one per CPU core). Splitting the clip in time is ~15 % faster on
    #: long clips but not identical to the sequential pass near the segment
    #: joins (see :mod:`gaitvision.io.parallel`).
    workers: int | None = 1
    #: Inference threads of the sequential pose pass (None: the cores this
    #: process may use, at most 4). The landmarks do not depend on it.
    pose_threads: int | None = None
    #: Rear/front views: take the knee centre from the leg's outline
    #: (MediaPipe's person mask; :mod:`gaitvision.knee_outline`). False is
    #: faster (the mask doubles the pose time of a 1080p clip) but reads the
    #: knee FPPA from MediaPipe's knee point, which is less accurate.
    knee_outline: bool = True
    #: The runner's region ``(x, y, w, h)`` in pixels of the upright frame:
    #: the pose model sees only this crop (:mod:`gaitvision.pose.roi`), e.g.
    #: to keep a second person out. None: the whole frame.
    roi: tuple[int, int, int, int] | None = None
    filtering: FilterConfig = field(default_factory=FilterConfig)
    render: RenderConfig = field(default_factory=RenderConfig)

    def __post_init__(self) -> None:
        if self.view not in _VIEWS:
            raise ConfigError(
                f"Invalid value for view: allowed values are {', '.join(_VIEWS)}, "
                f"but got {self.view!r}."
            )
        if self.capture_fps is not None:
            _check_positive("capture_fps", self.capture_fps)
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"workers must be >= 1, but got {self.workers!r}.")
        if self.pose_threads is not None and self.pose_threads < 1:
            raise ConfigError(f"pose_threads must be >= 1, but got {self.pose_threads!r}.")
        if self.min_steps_per_side < 1:
            raise ConfigError(f"min_steps_per_side must be >= 1, but got {self.min_steps_per_side!r}.")
        if self.roi is not None:
            object.__setattr__(self, "roi", check_roi(tuple(self.roi)))

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON-ready dict (stored in ``summary.json``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnalysisConfig:
        """The options from :meth:`to_dict`'s form (e.g. ``summary.json`` ``config``).

        Raises
        ------
        ConfigError
            For an unknown key (naming the closest valid one) or a bad value.
        """
        top = _from_dict(cls, d, "")
        if isinstance(top.get("filtering"), dict):
            top["filtering"] = FilterConfig(**_from_dict(FilterConfig, top["filtering"], "filtering."))
        if isinstance(top.get("render"), dict):
            top["render"] = RenderConfig(**_from_dict(RenderConfig, top["render"], "render."))
        return cls(**top)
