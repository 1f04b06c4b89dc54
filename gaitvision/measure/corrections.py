"""A PT's corrections of an automatic analysis, as data.

A correction is applied by :func:`gaitvision.measurement.measure` before or
while measuring; the automatic result is always recomputable by measuring
without it. Each correction round-trips through :meth:`to_dict` /
:func:`correction_from_dict` (the clinic app stores them as JSON).

- :class:`ExcludeStep` / :class:`IncludeStep`: leave a step out of the
  summary (``excluded_reason`` reads ``excluded by PT: REASON``), or use a
  step the automatic checks excluded.
- :class:`MoveEvent`: put a step's initial contact or toe-off at another
  frame (its time becomes that frame's time; its source becomes ``manual``,
  its expected timing error is no longer the detector's (NaN / None) and a
  reason that the detector could not time it no longer applies).
- :class:`MoveLandmark`: put one landmark at another pixel position at one
  frame of the angle track (after filtering, so the value read at that
  frame uses exactly the dragged point).

The clip's calibrations (flat-foot angle, leg length, pelvis level and
source) come from the automatic events, so a correction changes the values
of the steps it touches and the summaries built on them, nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import GaitvisionError
from gaitvision.events import Step
from gaitvision.measure.records import StepTable
from gaitvision.track import LandmarkTrack

__all__ = [
    "Correction",
    "CorrectionError",
    "ExcludeStep",
    "IncludeStep",
    "MoveEvent",
    "MoveLandmark",
    "apply_event_moves",
    "apply_inclusions",
    "apply_landmark_moves",
    "correction_from_dict",
]

#: Landmarks a PT may drag (metrics.md's measuring points).
MOVABLE = tuple(f"{s}_{p}" for s in ("left", "right")
                for p in ("hip", "knee", "ankle", "heel", "foot_index"))


class CorrectionError(GaitvisionError, ValueError):
    """A correction that cannot be applied to this analysis."""


class _AsDict:
    """``to_dict()`` for the correction dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``type`` names the kind)."""
        d: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return d


@dataclass(frozen=True)
class ExcludeStep(_AsDict):
    """Leave step ``step`` out of the summary."""

    step: int
    reason: str = ""
    type: Literal["exclude_step"] = "exclude_step"



@dataclass(frozen=True)
class IncludeStep(_AsDict):
    """Use step ``step`` in the summary although the automatic checks left it out."""

    step: int
    type: Literal["include_step"] = "include_step"



@dataclass(frozen=True)
class MoveEvent(_AsDict):
    """Put step ``step``'s ``event`` (``ic`` or ``to``) at ``frame``."""

    step: int
    event: Literal["ic", "to"]
    frame: int
    type: Literal["move_event"] = "move_event"



@dataclass(frozen=True)
class MoveLandmark(_AsDict):
    """Put ``landmark`` at pixel ``(x, y)`` at ``frame``."""

    frame: int
    landmark: str
    x: float
    y: float
    type: Literal["move_landmark"] = "move_landmark"



Correction = Union[ExcludeStep, IncludeStep, MoveEvent, MoveLandmark]

_TYPES: dict[str, type] = {"exclude_step": ExcludeStep, "include_step": IncludeStep,
                           "move_event": MoveEvent, "move_landmark": MoveLandmark}


def correction_from_dict(d: Mapping[str, Any]) -> Correction:
    """A correction from its JSON form.

    Raises
    ------
    CorrectionError
        For an unknown type or missing or wrong fields.
    """
    kind = d.get("type")
    cls = _TYPES.get(str(kind))
    if cls is None:
        raise CorrectionError(f"Unknown correction type {kind!r}; expected one of {', '.join(_TYPES)}.")
    fields = {f.name for f in dataclasses.fields(cls)} - {"type"}
    unknown = set(d) - fields - {"type"}
    if unknown:
        raise CorrectionError(f"Unknown field(s) {', '.join(sorted(unknown))} for a {kind} correction; "
                              f"expected {', '.join(sorted(fields))}.")
    try:
        c: Correction = cls(**{k: v for k, v in d.items() if k != "type"})
    except TypeError as err:
        raise CorrectionError(f"A {kind} correction needs {', '.join(sorted(fields))}: {err}") from err
    _check_types(c)
    return c


def _check_types(c: Correction) -> None:
    ints = ("step", "frame")
    for name in ints:
        if hasattr(c, name) and (not isinstance(getattr(c, name), int) or isinstance(getattr(c, name), bool)):
            raise CorrectionError(f"{name} must be a whole number, but got {getattr(c, name)!r}.")
    if isinstance(c, MoveEvent) and c.event not in ("ic", "to"):
        raise CorrectionError(f"event must be 'ic' or 'to', but got {c.event!r}.")
    if isinstance(c, MoveLandmark):
        if c.landmark not in MOVABLE:
            raise CorrectionError(f"landmark must be one of {', '.join(MOVABLE)}, but got {c.landmark!r}.")
        for v in (c.x, c.y):
            if not isinstance(v, (int, float)) or not np.isfinite(v):
                raise CorrectionError(f"x and y must be finite pixel positions, but got {v!r}.")


def _check_frame(frame: int, n_frames: int) -> None:
    if not 0 <= frame < n_frames:
        raise CorrectionError(f"Frame {frame} is outside the clip (frames 0-{n_frames - 1}).")


def _check_step(step: int, n_steps: int) -> None:
    if not 1 <= step <= n_steps:
        raise CorrectionError(f"There is no step {step}; this clip has steps 1-{n_steps}.")


def apply_landmark_moves(track: LandmarkTrack, corrections: Iterable[Correction]) -> LandmarkTrack:
    """The track with every :class:`MoveLandmark` applied (seen, confidence 1, not interpolated)."""
    moves = [c for c in corrections if isinstance(c, MoveLandmark)]
    if not moves:
        return track
    xy, conf, interp = track.xy.copy(), track.confidence.copy(), track.interpolated.copy()
    for c in moves:
        _check_frame(c.frame, track.n_frames)
        j = track.landmark_names.index(c.landmark)
        xy[c.frame, j] = (float(c.x), float(c.y))
        conf[c.frame, j] = 1.0
        interp[c.frame, j] = False
    return track.replace(xy=xy, confidence=conf, interpolated=interp)


def apply_event_moves(
    steps: Sequence[Step], corrections: Iterable[Correction], time_s: NDArray[np.float64]
) -> tuple[Step, ...]:
    """The steps with every :class:`MoveEvent` applied.

    Raises
    ------
    CorrectionError
        For a step that does not exist, a frame outside the clip, or a
        contact that would come after its toe-off.
    """
    out = list(steps)
    for c in corrections:
        if not isinstance(c, MoveEvent):
            continue
        _check_step(c.step, len(out))
        _check_frame(c.frame, time_s.size)
        st = out[c.step - 1]
        if c.event == "ic":
            if st.to_frame >= 0 and c.frame >= st.to_frame:
                raise CorrectionError(f"Step {c.step}'s contact must come before its toe-off (frame "
                                      f"{st.to_frame}), but got frame {c.frame}.")
            st = dataclasses.replace(st, ic_frame=c.frame, ic_time_s=float(time_s[c.frame]), ic_source="manual",
                                     ic_error_frames=float("nan"),
                                     untimed=_untimed_without(st.untimed, "initial contact"))
        else:
            if c.frame <= st.ic_frame:
                raise CorrectionError(f"Step {c.step}'s toe-off must come after its contact (frame "
                                      f"{st.ic_frame}), but got frame {c.frame}.")
            st = dataclasses.replace(st, to_frame=c.frame, to_time_s=float(time_s[c.frame]), to_source="manual",
                                     to_error_frames=None, untimed=_untimed_without(st.untimed, "toe-off"))
        out[c.step - 1] = st
    return tuple(out)


def _untimed_without(untimed: str, event: str) -> str:
    """A step's ``untimed`` reasons without the one about ``event`` (a PT placed that event)."""
    return "; ".join(p for p in untimed.split("; ") if p and not p.startswith(event))


def apply_inclusions(table: StepTable, corrections: Iterable[Correction]) -> StepTable:
    """The table with every :class:`ExcludeStep` and :class:`IncludeStep` applied, in order."""
    steps = list(table.steps)
    changed = False
    for c in corrections:
        if isinstance(c, ExcludeStep):
            _check_step(c.step, len(steps))
            why = f"excluded by PT: {c.reason}" if c.reason else "excluded by PT"
            steps[c.step - 1] = steps[c.step - 1].replace(excluded_reason=why)
            changed = True
        elif isinstance(c, IncludeStep):
            _check_step(c.step, len(steps))
            steps[c.step - 1] = steps[c.step - 1].replace(excluded_reason="")
            changed = True
    return table.replace(steps=tuple(steps)) if changed else table


def check_corrections(corrections: Iterable[Correction], *, n_steps: int, n_frames: int) -> None:
    """Validate every correction against a clip (raises :class:`CorrectionError`)."""
    for c in corrections:
        if isinstance(c, (ExcludeStep, IncludeStep, MoveEvent)):
            _check_step(c.step, n_steps)
        if isinstance(c, (MoveEvent, MoveLandmark)):
            _check_frame(c.frame, n_frames)
