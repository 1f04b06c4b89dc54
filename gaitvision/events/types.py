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
    ``to_source`` names the signal toe-off was read from where a choice
    between candidates was made (empty otherwise), and ``to_error_frames``
    is then its expected timing error in frames (NaN where not estimated).
    """

    side: Side
    ic_frame: int
    to_frame: int
    midstance_frame: int
    ic_estimated: bool = False  # True where IC is inferred, not observed (rear views)
    ic_time_s: float = float("nan")  # sub-frame event instants, where estimated
    to_time_s: float = float("nan")
    to_source: str = ""
    to_error_frames: float = float("nan")


@dataclass(frozen=True)
class GaitEvents:
    """The steps of a clip, in time order, and how they were found."""

    steps: tuple[Step, ...]
    stride_period_s: float
    method: str

    def of_side(self, side: Side) -> tuple[Step, ...]:
        """The steps of one foot."""
        return tuple(s for s in self.steps if s.side == side)
