"""Typed records of a measurement: a step, the step table, a side's summary.

Frozen dataclasses; stages return new records (:func:`dataclasses.replace`)
and never modify their input. Missing values are ``None`` everywhere (never
NaN), from the records to every file. :mod:`gaitvision.io.outputs` writes
and reads them as ``steps.csv`` and ``summary.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gaitvision.io.outputs import STEP_COLUMNS

__all__ = ["SIDES", "Side", "SideValue", "StepRecord", "StepTable"]

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    """One step: its events, its values and why it is (not) used.

    Attributes
    ----------
    step
        1-based number in time order (the number on the video and stills).
    side
        The foot on the ground.
    ic_frame, ic_time_s, to_frame, to_time_s
        Initial contact and toe-off: frame index and (sub-frame) time.
        ``to_*`` are None when no toe-off was found.
    midstance_frame
        Rear/front views: the frame of the pelvis's lowest point.
    ic_estimated
        The contact was estimated (rear/front views), not seen.
    values
        Per metric key (:data:`gaitvision.measure.registry.METRICS`), the
        value or None.
    read_frames
        Per metric key, the frame the value was read at (e.g. the FPPA peak).
    foot_strike_pattern
        ``rearfoot``, ``midfoot`` or ``forefoot`` (side views).
    confidence, low_confidence_reason
        ``high`` or ``low``, and why.
    excluded_reason
        Empty for a step used in the summary; else why not (``excluded by
        PT: ...`` for a correction).
    framing_note
        Which values were blanked because a body part was out of the picture.
    geometry
        The points (pixels) each drawn angle was measured between.
    ic_error_frames, to_error_frames
        The events' expected timing error (95th percentile |error|, frames)
        for this view, foot and frame rate; None where not known.
    ci95
        Per metric key, the 95 % interval of the step's true value
        (:mod:`gaitvision.measure.uncertainty`); absent where no value.
    """

    step: int
    side: Side
    ic_frame: int
    ic_time_s: float
    to_frame: int | None
    to_time_s: float | None
    midstance_frame: int | None = None
    ic_estimated: bool = False
    values: Mapping[str, float | None] = field(default_factory=dict)
    read_frames: Mapping[str, int | None] = field(default_factory=dict)
    foot_strike_pattern: str | None = None
    confidence: str = "high"
    low_confidence_reason: str | None = None
    excluded_reason: str = ""
    framing_note: str | None = None
    geometry: Mapping[str, list[float]] = field(default_factory=dict)
    ic_error_frames: float | None = None
    to_error_frames: float | None = None
    ci95: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def used(self) -> bool:
        """Whether the step counts in the summary."""
        return not self.excluded_reason

    def value(self, key: str) -> float | None:
        """The step's value of ``key`` (None when missing or not a metric of this view)."""
        return self.values.get(key)

    def replace(self, **changes: Any) -> StepRecord:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **changes)

    def to_row(self) -> dict[str, Any]:
        """The step as a flat dict, keyed like ``steps.csv``'s columns."""
        row: dict[str, Any] = {
            "step": self.step, "side": self.side, "ic_time_s": self.ic_time_s,
            "ic_frame": self.ic_frame, "to_time_s": self.to_time_s, "to_frame": self.to_frame,
            "contact_time_s": self.values.get("contact_time_s"),
            "step_time_s": self.values.get("step_time_s"), "confidence": self.confidence,
            "midstance_frame": self.midstance_frame, "ic_estimated": self.ic_estimated,
        }
        row.update(self.values)
        for key, (lo, hi) in self.ci95.items():
            row[key + "_ci95_lo"], row[key + "_ci95_hi"] = lo, hi
        for key, frame in self.read_frames.items():
            row[key.removesuffix("_deg") + "_frame"] = frame
        row["ic_error_frames"], row["to_error_frames"] = self.ic_error_frames, self.to_error_frames
        row["foot_strike_pattern"] = self.foot_strike_pattern
        row["low_confidence_reason"] = self.low_confidence_reason
        row["excluded_reason"] = self.excluded_reason
        if self.framing_note:
            row["framing_note"] = self.framing_note
        return row


@dataclass(frozen=True, kw_only=True)
class StepTable:
    """Every step of a clip, in time order, with the clip's calibrations.

    Attributes
    ----------
    steps
        The steps.
    metric_keys
        The per-step metric keys of this view, in column order.
    frame_columns
        The metrics whose read frame is a column too (``*_frame``).
    flat_foot_raw_deg, leg_length_px, pelvis_level_deg
        Calibrations of the clip (side: flat foot, leg length; rear/front:
        the level of the pelvis line used for pelvic drop).
    pelvis
        Where pelvic drop came from: ``source`` (markers, waistband or
        mediapipe_hips), why, the level used and the camera roll.
    """

    steps: tuple[StepRecord, ...]
    metric_keys: tuple[str, ...]
    frame_columns: tuple[str, ...] = ()
    flat_foot_raw_deg: Mapping[str, float] = field(default_factory=dict)
    pelvis_level_deg: float = float("nan")
    leg_length_px: float = float("nan")
    pelvis: Mapping[str, Any] = field(default_factory=lambda: {"source": "mediapipe_hips"})

    def __iter__(self) -> Iterator[StepRecord]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def used(self) -> tuple[StepRecord, ...]:
        """The steps that count in the summary."""
        return tuple(s for s in self.steps if s.used)

    def of_side(self, side: str, *, used_only: bool = True) -> tuple[StepRecord, ...]:
        """One foot's steps."""
        return tuple(s for s in self.steps if s.side == side and (s.used or not used_only))

    def by_number(self, step: int) -> StepRecord:
        """The step numbered ``step``.

        Raises
        ------
        KeyError
            If there is no such step.
        """
        for s in self.steps:
            if s.step == step:
                return s
        raise KeyError(f"There is no step {step}; this clip has steps 1-{len(self.steps)}.")

    def replace(self, **changes: Any) -> StepTable:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **changes)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The steps as ``steps.csv`` rows (dicts)."""
        return [s.to_row() for s in self.steps]

    def columns(self) -> list[str]:
        """``steps.csv``'s columns for this table, in order (outputs.md).

        The bookkeeping columns, the view's metrics (a metric that is also
        a bookkeeping column, contact and step time, is written once), the
        strike pattern (side views), the midstance and read frames, the
        events' expected timing errors (``ic_error_frames``,
        ``to_error_frames``: 95th percentile |error| in frames, from the
        bench), ``framing_note`` when used, and ``excluded_reason`` last.
        """
        extra = ["foot_strike_pattern"] if "foot_strike_angle_deg" in self.metric_keys else []
        extra += ["midstance_frame", *(k.removesuffix("_deg") + "_frame" for k in self.frame_columns)]
        if any(s.ic_error_frames is not None or s.to_error_frames is not None for s in self.steps):
            extra += ["ic_error_frames", "to_error_frames"]
        if any(s.framing_note for s in self.steps):
            extra.append("framing_note")
        metric_cols: list[str] = []
        for key in self.metric_keys:
            metric_cols.append(key)
            if any(key in s.ci95 for s in self.steps):
                metric_cols += [key + "_ci95_lo", key + "_ci95_hi"]
        for key in ("contact_time_s", "step_time_s"):  # bookkeeping columns: their intervals follow the metrics
            if key in metric_cols:
                metric_cols.remove(key)
        return list(dict.fromkeys([*STEP_COLUMNS, *metric_cols, *extra, "excluded_reason"]))

    @property
    def geometry(self) -> list[Mapping[str, list[float]]]:
        """Per step, the points each drawn angle was measured between."""
        return [s.geometry for s in self.steps]


@dataclass(frozen=True)
class SideValue:
    """One side's summary of one metric."""

    median: float
    iqr: float
    n: int
    confidence: str
    confidence_reason: str | None = None
    #: 95 % interval of the true value (:mod:`gaitvision.measure.uncertainty`)
    ci95: tuple[float, float] | None = None
    #: the interval's parts (95 % half-widths, and the bias removed)
    uncertainty: Mapping[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """As in ``summary.json``."""
        d: dict[str, Any] = {"median": self.median}
        if self.ci95 is not None:
            d["ci95"] = [self.ci95[0], self.ci95[1]]
        d.update({"iqr": self.iqr, "n": self.n, "confidence": self.confidence})
        if self.confidence_reason:
            d["confidence_reason"] = self.confidence_reason
        if self.uncertainty is not None:
            d["uncertainty"] = dict(self.uncertainty)
        return d

    def replace(self, **changes: Any) -> SideValue:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **changes)
