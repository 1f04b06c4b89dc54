"""The metric registry: every per-step metric defined once.

A :class:`MetricSpec` holds everything gaitvision says about one metric:
its key and unit in ``summary.json``, the views it is measured in, the
moment it is read at, the pure function that reads it from one step, how
the report names and formats it, its reference and source, the frame rate
it needs, whether a left/right difference means anything, and its
clinical resolution (the smallest change a PT would act on). The step
table's columns, the summary, the report's tables, plots and findings,
the session comparison and the not-measurable list are derived from
:data:`METRICS`; adding a metric is one entry here, its step function in
:mod:`gaitvision.measure.step_values` and its tests.

Definitions, signs and sources follow ``../shared/design/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from gaitvision.measure import step_values as sv
from gaitvision.measure.references import REFERENCES

__all__ = [
    "FPS_TOLERANCE",
    "FRONTAL",
    "DetectableChange",
    "METRICS",
    "SIDE",
    "TIMING_MIN_FPS",
    "MetricSpec",
    "Reference",
    "ReferenceBand",
    "keys_for_view",
    "spec",
]

Plane = Literal["sagittal", "frontal", "temporal"]
ViewGroup = Literal["side", "frontal", "any"]

#: Views a metric is measured in.
SIDE: ViewGroup = "side"
FRONTAL: ViewGroup = "frontal"

#: A clip this much below a metric's ``min_fps`` still counts as that rate
#: (a 59.94 fps phone clip is a 60 fps clip).
FPS_TOLERANCE = 1.0

#: metrics.md: contact time, flight time and strike angle need >= 60 fps.
TIMING_MIN_FPS = 60.0


@dataclass(frozen=True)
class Reference:
    """A reference value in words and where it comes from."""

    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """``{"text": ..., "source": ...}`` as in ``summary.json``."""
        return {"text": self.text, "source": self.source}


@dataclass(frozen=True)
class DetectableChange:
    """Smallest detectable change of a metric between sessions (a published SDD)."""

    value: float  # the upper end of the published range: a change must beat it
    published: str  # the range as published
    source: str


@dataclass(frozen=True)
class ReferenceBand:
    """A sourced reference range, drawn as a shaded band in the per-step plot."""

    low: float
    high: float
    label: str
    source: str


def _ref(key: str) -> Reference:
    r = REFERENCES[key]
    return Reference(r["text"], r["source"])


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """One per-step metric.

    Attributes
    ----------
    key
        Name in ``summary.json`` and ``steps.csv`` (unit in the name).
    unit
        Unit as written in ``summary.json`` (``"deg"``, ``"s"``,
        ``"% leg length"``, ``"fraction of stride"``, ``"% hip width"``).
    plane
        ``sagittal``, ``frontal`` or ``temporal`` (``summary.json`` ``view``).
    views
        ``side``, ``frontal`` (rear or front) or ``any``.
    at
        When in the step it is read (for the docs and the report).
    read
        The pure function that reads it from one step: ``read(ctx)`` with a
        :class:`gaitvision.measure.step_values.StepContext`, returning the
        value (None where it cannot be read) and the frame it was read at.
    label, plain
        The report's short name and one sentence a patient understands.
    report_unit
        The report's unit code (``deg``, ``s``, ``pct_leg``, ``pct_hip``,
        ``ratio``).
    decimals
        Decimals shown in the report; ``summary_decimals`` in ``summary.json``.
    min_fps
        Below this capture rate the value is low confidence.
    per_foot
        A value of one foot: the far foot of a side view makes it low
        confidence.
    asymmetry
        Whether a left/right difference is meaningful.
    resolution
        Clinical resolution in the metric's unit: the smallest change a PT
        would act on; ``resolution_source`` says where it comes from.
    peak_frame_column
        Also write the frame the value was read at into ``steps.csv``.
    measured
        False for a metric that is defined but not measured (its reason in
        ``not_measured_reason``).
    """

    key: str
    unit: str
    plane: Plane
    views: ViewGroup
    at: str
    read: Callable[[sv.StepContext], sv.Reading]
    label: str
    plain: str
    report_unit: str
    decimals: int = 1
    summary_decimals: int = 2
    min_fps: float = 0.0
    per_foot: bool = False
    asymmetry: bool = True
    resolution: float
    resolution_source: str
    peak_frame_column: bool = False
    #: published SDD (session comparison); measured for trained raters reading
    #: 2D video (or markers), not for gaitvision itself: a lower bound
    sdd: DetectableChange | None = None
    #: only VERIFIED ranges from metrics.md
    band: ReferenceBand | None = None
    measured: bool = True
    not_measured_reason: str = ""

    @property
    def reference(self) -> Reference:
        """The metric's reference value and source (metrics.md)."""
        return _ref(self.key)

    def fps_too_low(self, fps: float) -> bool:
        """Whether ``fps`` is below the metric's minimum frame rate."""
        return fps < self.min_fps - FPS_TOLERANCE

    def applies_to(self, view: str) -> bool:
        """Whether the metric is measured in ``view`` (``side-left`` ...)."""
        if self.views == "any":
            return True
        return (self.views == "side") == view.startswith("side")


_DINGENEN = "Dingenen et al. 2018, Phys Ther Sport 33:40-47 (2D running, SDD)"
_DINGENEN_SDD = "Dingenen et al. 2018, Phys Ther Sport 33:40-47"
_NONE_PUBLISHED = "no published value; set from the stride-to-stride spread of healthy running"

#: The step-time metric, measured in every view (it is also a bookkeeping
#: column of ``steps.csv``).
_STEP_TIME = MetricSpec(
    key="step_time_s", unit="s", plane="temporal", views="any",
    at="initial contact to the other foot's next initial contact (rear/front: midstance to midstance)",
    read=sv.step_time, label="Step time",
    plain="Time from one foot landing to the other foot landing.", report_unit="s",
    decimals=3, summary_decimals=3, resolution=0.015,
    resolution_source="one frame at 60 fps (~17 ms); " + _NONE_PUBLISHED,
)

#: Per-step metrics, in the order of ``steps.csv`` and the report's table.
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        key="foot_strike_angle_deg", unit="deg", plane="sagittal", views="side",
        at="initial contact, minus the same foot's flat-foot angle at midstance",
        read=sv.foot_strike_angle, label="Foot angle at landing",
        plain="Angle of the foot to the belt as it lands, compared with the same foot flat on the "
        "belt: positive means toes up (the heel lands first).", report_unit="deg",
        min_fps=TIMING_MIN_FPS, per_foot=True, resolution=3.0,
        resolution_source=_DINGENEN + ": foot inclination at contact 1.3-2.3 deg",
        sdd=DetectableChange(2.3, "1.3–2.3°", _DINGENEN_SDD + " (foot inclination at contact, 2D running)"),
        band=ReferenceBand(-0.8, 7.4, "midfoot zone: rearfoot above, forefoot below", "Mo et al. 2021"),
    ),
    MetricSpec(
        key="knee_flexion_ic_deg", unit="deg", plane="sagittal", views="side", at="initial contact",
        read=sv.knee_flexion_ic, label="Knee bend at landing",
        plain="How bent the knee is at the moment the foot touches the belt (0 = straight).",
        report_unit="deg", per_foot=True, resolution=4.0,
        resolution_source=_DINGENEN + ": knee flexion 2.3-3.8 deg",
    ),
    MetricSpec(
        key="knee_flexion_peak_stance_deg", unit="deg", plane="sagittal", views="side",
        at="maximum over stance [IC, TO]", read=sv.knee_flexion_peak_stance,
        label="Most knee bend on the ground",
        plain="The most the knee bends while the foot is on the belt.", report_unit="deg",
        per_foot=True, resolution=4.0,
        resolution_source=_DINGENEN + ": midstance knee flexion 2.3-3.8 deg",
        sdd=DetectableChange(3.8, "2.3–3.8°", _DINGENEN_SDD + " (midstance knee flexion, 2D running)"),
    ),
    MetricSpec(
        key="shank_angle_ic_deg", unit="deg", plane="sagittal", views="side", at="initial contact",
        read=sv.shank_angle_ic, label="Shin angle at landing",
        plain="How far the ankle is ahead of the knee as the foot lands; a large positive value "
        "means reaching forward (overstriding).", report_unit="deg", per_foot=True,
        resolution=4.8, resolution_source=_DINGENEN + ": tibia inclination 2.2-4.8 deg",
        sdd=DetectableChange(4.8, "2.2–4.8°", _DINGENEN_SDD + " (tibia inclination, 2D running)"),
    ),
    MetricSpec(
        key="heel_to_hip_ic_pct_leg", unit="% leg length", plane="sagittal", views="side",
        at="initial contact", read=sv.heel_to_hip_ic, label="Foot landing ahead of the hips",
        plain="How far ahead of the hips the heel lands, as a share of leg length.",
        report_unit="pct_leg", per_foot=True, resolution=3.0,
        resolution_source="about 3 cm on a 90 cm leg; " + _NONE_PUBLISHED,
    ),
    MetricSpec(
        key="trunk_lean_deg", unit="deg", plane="sagittal", views="side", at="mean over stance",
        read=sv.trunk_lean, label="Forward lean of the upper body",
        plain="How much the upper body leans forward while the foot is on the belt.",
        report_unit="deg", asymmetry=False, resolution=2.0,
        resolution_source="Dingenen et al. 2018: lateral trunk position ICC 0.90-0.99; "
        "2 deg chosen, no SDD published for the sagittal lean",
        band=ReferenceBand(3.7, 10.9, "self-selected lean 7.3 ± 3.6°", "Teng & Powers 2014"),
    ),
    MetricSpec(
        key="vertical_oscillation_pct_leg", unit="% leg length", plane="sagittal", views="side",
        at="mid-hip travel from this contact to the next contact of either foot",
        read=sv.vertical_oscillation, label="Bounce",
        plain="How far the hips move up and down with each step, as a share of leg length.",
        report_unit="pct_leg", asymmetry=False, resolution=1.0,
        resolution_source="about 1 cm on a 90 cm leg; " + _NONE_PUBLISHED,
    ),
    MetricSpec(
        key="contact_time_s", unit="s", plane="temporal", views="side",
        at="initial contact to toe-off", read=sv.contact_time, label="Ground contact time",
        plain="How long each foot stays on the belt.", report_unit="s", decimals=3,
        summary_decimals=3, min_fps=TIMING_MIN_FPS, per_foot=True, resolution=0.015,
        resolution_source="15 ms (uncertainty issue); " + _NONE_PUBLISHED,
    ),
    MetricSpec(
        key="flight_time_s", unit="s", plane="temporal", views="side",
        at="toe-off to the other foot's next initial contact", read=sv.flight_time,
        label="Flight time", plain="How long both feet are off the belt between steps.",
        report_unit="s", decimals=3, summary_decimals=3, min_fps=TIMING_MIN_FPS, per_foot=True,
        resolution=0.015, resolution_source="as contact time; " + _NONE_PUBLISHED,
    ),
    MetricSpec(
        key="duty_factor", unit="fraction of stride", plane="temporal", views="side",
        at="contact time over the stride to the same foot's next contact", read=sv.duty_factor,
        label="Duty factor", plain="Share of each stride that the foot spends on the belt.",
        report_unit="ratio", decimals=2, summary_decimals=3, min_fps=TIMING_MIN_FPS, per_foot=True,
        resolution=0.03, resolution_source="15 ms of a 0.7 s stride, twice; " + _NONE_PUBLISHED,
    ),
    MetricSpec(
        key="knee_fppa_peak_deg", unit="deg", plane="frontal", views="frontal",
        at="maximum over stance [IC, TO]", read=sv.knee_fppa_peak,
        label="Knee collapse (knee moving inward)",
        plain="How far the knee moves inward from the line between hip and ankle while the foot is "
        "on the belt. A 2D picture of hip and knee movement, not a 3D knee joint angle.",
        report_unit="deg", resolution=3.0,
        resolution_source="metrics.md goal: SDD <= ~3 deg for frontal 2D angles (Dingenen 2018)",
        peak_frame_column=True,
        sdd=DetectableChange(8.93, "7.54–8.93°", "Munro, Herrington & Carolan 2012, J Sport Rehabil 21(1):7-11 "
                             "(screening tasks, between days)"),
    ),
    MetricSpec(
        key="pelvic_drop_peak_deg", unit="deg", plane="frontal", views="frontal",
        at="maximum over stance [IC, TO]", read=sv.pelvic_drop_peak, label="Hip drop",
        plain="How much the hip of the swinging leg drops while you stand on the other leg.",
        report_unit="deg", resolution=2.0,
        resolution_source=_DINGENEN + ": contralateral pelvic drop 2.7-2.8 deg; 2 deg (uncertainty issue)",
        peak_frame_column=True,
        sdd=DetectableChange(2.8, "2.7–2.8°", _DINGENEN_SDD + " (2D running)"),
    ),
    MetricSpec(
        key="hip_adduction_peak_deg", unit="deg", plane="frontal", views="frontal",
        at="maximum over stance [IC, TO]", read=sv.hip_adduction_peak,
        label="Thigh moving inward (hip adduction)",
        plain="How far the thigh angles inward relative to the pelvis while the foot is on the "
        "belt (2D).", report_unit="deg", resolution=3.8,
        resolution_source=_DINGENEN + ": hip adduction 2.3-3.8 deg",
        sdd=DetectableChange(3.8, "2.3–3.8°", _DINGENEN_SDD + " (2D running)"),
    ),
    MetricSpec(
        key="step_width_pct_hip", unit="% hip width", plane="frontal", views="frontal",
        at="successive initial contacts", read=sv.not_measured, label="Step width",
        plain="Side-to-side distance between successive footprints, as a share of hip width; "
        "negative means the feet cross the midline.", report_unit="pct_hip",
        resolution=10.0, resolution_source=_NONE_PUBLISHED, measured=False,
        not_measured_reason=sv.STEP_WIDTH_REASON,
    ),
    _STEP_TIME,
)

_BY_KEY = {m.key: m for m in METRICS}


def spec(key: str) -> MetricSpec:
    """The spec of ``key``.

    Raises
    ------
    KeyError
        For an unknown key, naming the known ones.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"Unknown metric {key!r}; known: {', '.join(_BY_KEY)}.") from None


def keys_for_view(view: str) -> tuple[str, ...]:
    """The per-step metric keys of a view, in table order (step time last)."""
    return tuple(m.key for m in METRICS if m.applies_to(view))
