"""The events stage's records: one foot's ground contact, and the steps of a clip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["GaitEvents", "Side", "Step"]

Side = Literal["left", "right"]


@dataclass(frozen=True)
class Step:
    """One foot's ground contact.

    Frames index the track (and the annotated video). ``to_frame`` and
    ``midstance_frame`` are -1 where they could not be found.
    ``ic_source`` and ``to_source`` name the rule each event was read with
    (:data:`gaitvision.events.timing.IC_SOURCES`, :data:`~gaitvision.events.timing.TO_SOURCES`;
    ``manual`` for an event a PT moved). ``ic_error_frames`` and
    ``to_error_frames`` are the event's expected timing error: the 95th
    percentile |error| in frames that the bench measured for this view, foot,
    frame rate and source (:func:`gaitvision.events.timing.expected_error_frames`);
    NaN / None where not estimated (an event set by hand) and ``to_error_frames``
    None where there is no toe-off. ``untimed`` says why an event of this
    step is not to be used (its kind cannot be timed on the bench:
    :func:`gaitvision.events.timing.event_too_uncertain`); empty otherwise.
    """

    side: Side
    ic_frame: int
    to_frame: int
    midstance_frame: int
    ic_estimated: bool = False  # True where IC is inferred, not observed (rear views)
    ic_time_s: float = float("nan")  # sub-frame event instants, where estimated
    to_time_s: float = float("nan")
    ic_source: str = ""
    to_source: str = ""
    ic_error_frames: float = float("nan")
    to_error_frames: float | None = None
    untimed: str = ""


@dataclass(frozen=True)
class GaitEvents:
    """The steps of a clip, in time order, and how they were found."""

    steps: tuple[Step, ...]
    stride_period_s: float
    method: str

    def of_side(self, side: Side) -> tuple[Step, ...]:
        """The steps of one foot."""
        return tuple(s for s in self.steps if s.side == side)
