"""Per-step readings: one pure function per metric, on precomputed signals.

:class:`ClipSignals` holds the per-frame signals of a clip (angles per
side, the clip's calibrations) computed once; :class:`StepContext` is one
step in it. Each ``read`` function of :data:`gaitvision.measure.registry.METRICS`
takes a context and returns ``(value, frame)``: the value (None where it
cannot be read) and the frame it was read at (None when not one frame).

Notes
-----
- Angles at initial contact are read at the IC frame (the frame of the
  event, the ``at_frame`` truths of the synthetic bench). Event *times*
  (and so contact, flight and step times) are sub-frame estimates where
  the detector gives one (side views), which matters at 30 fps.
- Foot-strike angle: the raw heel->toe angle at IC minus that foot's
  flat-foot angle, the median raw angle over the 40-55 % part of its
  stances across the clip (metrics.md §2.2, with midstance standing in for
  the standing trial, which clips rarely contain).
- Peaks (knee flexion in stance, FPPA, pelvic drop, hip adduction) are
  maxima over the stance frames [IC, TO]. The far foot's knee flexion
  (side views) only over the part of stance before the pose model moves
  its knee point onto the near knee as the near leg swings past
  (:func:`trusted_stance_end`).
- Leg length, for the %-of-leg metrics, is the near leg's median thigh
  plus shank length (no standing trial needed).
- Vertical oscillation: mid-hip highest-to-lowest image travel from this
  contact to the next contact of either foot.
- Step width (rear/front) is not measured: see :data:`STEP_WIDTH_REASON`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.events import Step

__all__ = [
    "CROSSING_DROP_LEG",
    "STEP_WIDTH_REASON",
    "ClipSignals",
    "Reading",
    "StepContext",
    "finite_or_none",
]

Reading = tuple["float | None", "int | None"]
FloatArray = NDArray[np.float64]

#: Far foot, side view: its knee point is not trusted from the first stance
#: frame at which the near knee's lead over it (along the running direction)
#: has fallen by more than this fraction of leg length below its largest
#: value since contact. Through the far foot's stance the near leg swings
#: forward past it, so the true lead only grows; the pose model instead
#: moves the far knee point onto the near knee for a few frames in late
#: stance (rendered sample runner: far knee error 95-139 px, far knee
#: flexion read 65-78 deg against 25-33 deg true, in 9 of 10 far stances).
#: 0.05 (16 px on that clip) caught the first wrong frame of every such
#: stance; the lead's frame-to-frame noise before it stays below 0.02.
CROSSING_DROP_LEG = 0.05

#: Why ``step_width_pct_hip`` is listed as not measurable. metrics.md defines
#: it as the heels' mediolateral distance at successive contacts over the hip
#: width. On the rendered rear clips with exact truth (bench/accuracy.py) the
#: MediaPipe heels read +38 to +46 points of hip width too wide on every
#: rear clip (truth ~32 %), because the two errors add up: MediaPipe's heel
#: points sit up to 7 px lateral of the heel on one rendered body and
#: medial on the other, and its hips are ~23 % closer together than the hip
#: joints. An 8 cm step width is ~25 px at a typical framing, the size of
#: those errors, so no number is reported rather than a wrong one.
STEP_WIDTH_REASON = ("not measured: the pose model's heel and hip points are off by about as much "
                     "as the step width itself (rendered runners with exact truth read it 2.4x too "
                     "wide)")


def finite_or_none(v: float | None) -> float | None:
    """A finite float, or None (never a silent NaN in the outputs)."""
    return float(v) if v is not None and math.isfinite(v) else None


@dataclass(frozen=True)
class ClipSignals:
    """The per-frame signals of one clip that the step readings use.

    Attributes
    ----------
    time_s
        Frame times (s).
    side_view
        Side (sagittal) or rear/front view.
    per_side
        ``{side: {name: (n,) signal}}``: ``raw_foot``, ``foot`` (minus the
        flat-foot angle), ``flex``, ``shank``, ``heel_hip``, and
        ``other_knee_lead`` (px the other knee is ahead of this one along
        the running direction) (side views); ``fppa``, ``drop``,
        ``hipadd`` (frontal views). Apart from ``other_knee_lead`` these
        are exactly the curves the report plots.
    near_side
        The foot nearer the camera (side views).
    trunk, mid_hip_y
        Trunk lean and mid-hip image height per frame (side views).
    flat_foot_raw_deg, leg_length_px, pelvis_level_deg
        The clip's calibrations.
    image_drop
        True when ``drop`` is the image-based pelvis line (markers or
        waistband; :func:`gaitvision.measure.pelvis_drop.pelvic_drop_signal`):
        a step then needs ``drop_min_valid_fraction`` of its stance frames
        confident for a value. False: MediaPipe's hip line.
    pelvis
        Where pelvic drop came from (``summary.json``'s pelvis fields).
    """

    time_s: FloatArray
    side_view: bool
    per_side: dict[str, dict[str, FloatArray]]
    trunk: FloatArray | None = None
    mid_hip_y: FloatArray | None = None
    flat_foot_raw_deg: dict[str, float] = field(default_factory=dict)
    leg_length_px: float = float("nan")
    pelvis_level_deg: float = float("nan")
    image_drop: bool = False
    drop_min_valid_fraction: float = 0.6
    pelvis: dict[str, Any] = field(default_factory=lambda: {"source": "mediapipe_hips"})
    near_side: str | None = None


@dataclass(frozen=True)
class StepContext:
    """One step of a clip, for the readings."""

    signals: ClipSignals
    steps: Sequence[Step]
    index: int

    @property
    def step(self) -> Step:
        """This step."""
        return self.steps[self.index]

    @property
    def next_step(self) -> Step | None:
        """The next step of either foot."""
        return self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None

    @property
    def next_other(self) -> Step | None:
        """The next step when it is the other foot's (else None: a step was missed)."""
        nxt = self.next_step
        return nxt if nxt is not None and nxt.side != self.step.side else None

    @property
    def next_same(self) -> Step | None:
        """The same foot's next step."""
        return next((x for x in self.steps[self.index + 1 :] if x.side == self.step.side), None)

    @property
    def has_to(self) -> bool:
        """Whether this step has a toe-off."""
        return self.step.to_frame >= 0

    def sig(self, name: str) -> FloatArray:
        """This foot's per-frame signal ``name``."""
        return self.signals.per_side[self.step.side][name]

    def ic_time(self, step: Step | None = None) -> float:
        """A step's sub-frame contact time (this step's by default)."""
        s = self.step if step is None else step
        return s.ic_time_s if math.isfinite(s.ic_time_s) else float(self.signals.time_s[s.ic_frame])

    def to_time(self, step: Step | None = None) -> float:
        """A step's sub-frame toe-off time."""
        s = self.step if step is None else step
        return s.to_time_s if math.isfinite(s.to_time_s) else float(self.signals.time_s[s.to_frame])

    def at_ic(self, name: str) -> Reading:
        """This foot's signal at the contact frame."""
        ic = self.step.ic_frame
        return finite_or_none(float(self.sig(name)[ic])), ic

    def stance_peak(self, name: str) -> Reading:
        """Maximum of this foot's signal over stance [IC, TO], and its frame."""
        if not self.has_to:
            return None, None
        a, b = self.step.ic_frame, self.step.to_frame
        seg = self.sig(name)[a : b + 1]
        if b < a or not np.isfinite(seg).any():
            return None, None
        k = int(np.nanargmax(seg))
        return float(seg[k]), a + k


# -- side view --------------------------------------------------------------


def foot_strike_angle(ctx: StepContext) -> Reading:
    """Heel->toe angle at IC minus the foot's flat-foot angle (+ = toes up)."""
    return ctx.at_ic("foot")


def knee_flexion_ic(ctx: StepContext) -> Reading:
    """Knee flexion at initial contact."""
    return ctx.at_ic("flex")


def trusted_stance_end(ctx: StepContext) -> int:
    """The last stance frame whose knee point can be trusted (see :data:`CROSSING_DROP_LEG`).

    The step's toe-off frame for the near foot, in rear and front views, and
    wherever the lead signal or leg length is missing.
    """
    st, sig = ctx.step, ctx.signals
    if not sig.side_view or st.side == sig.near_side or "other_knee_lead" not in sig.per_side[st.side]:
        return st.to_frame
    if not math.isfinite(sig.leg_length_px):
        return st.to_frame
    lead = ctx.sig("other_knee_lead")[st.ic_frame : st.to_frame + 1]
    best = np.fmax.accumulate(np.where(np.isfinite(lead), lead, -np.inf))
    fallen = np.flatnonzero(np.isfinite(lead) & (best - lead > CROSSING_DROP_LEG * sig.leg_length_px))
    return st.ic_frame + int(fallen[0]) - 1 if fallen.size else st.to_frame


def knee_flexion_peak_stance(ctx: StepContext) -> Reading:
    """Maximum knee flexion over stance; the far foot's over its trusted part only.

    None when that part ends while the knee is still bending (the peak
    cannot be seen).
    """
    if not ctx.has_to:
        return None, None
    end = trusted_stance_end(ctx)
    a = ctx.step.ic_frame
    seg = ctx.sig("flex")[a : end + 1]
    if end < a or not np.isfinite(seg).any():
        return None, None
    k = int(np.nanargmax(seg))
    if end < ctx.step.to_frame and k == seg.size - 1:
        return None, None
    return float(seg[k]), a + k


def shank_angle_ic(ctx: StepContext) -> Reading:
    """Shank angle to the vertical at IC (+ = ankle ahead of the knee)."""
    return ctx.at_ic("shank")


def heel_to_hip_ic(ctx: StepContext) -> Reading:
    """Heel ahead of mid-hip at IC, % of leg length."""
    ic = ctx.step.ic_frame
    return finite_or_none(100 * float(ctx.sig("heel_hip")[ic]) / ctx.signals.leg_length_px), ic


def trunk_lean(ctx: StepContext) -> Reading:
    """Mean forward trunk lean over stance."""
    trunk = ctx.signals.trunk
    if not ctx.has_to or trunk is None:
        return None, None
    seg = trunk[ctx.step.ic_frame : ctx.step.to_frame + 1]
    if not np.isfinite(seg).any():
        return None, None
    return finite_or_none(float(np.nanmean(seg))), None


def vertical_oscillation(ctx: StepContext) -> Reading:
    """Mid-hip vertical travel from this contact to the next one, % of leg length."""
    nxt, y = ctx.next_step, ctx.signals.mid_hip_y
    if nxt is None or y is None:
        return None, None
    seg = y[ctx.step.ic_frame : nxt.ic_frame + 1]
    if np.isfinite(seg).sum() < 3:
        return None, None
    return finite_or_none(100 * float(np.nanmax(seg) - np.nanmin(seg)) / ctx.signals.leg_length_px), None


def contact_time(ctx: StepContext) -> Reading:
    """Toe-off time minus contact time."""
    if not ctx.has_to:
        return None, None
    return ctx.to_time() - ctx.ic_time(), None


def flight_time(ctx: StepContext) -> Reading:
    """From this toe-off to the other foot's next contact."""
    nxt = ctx.next_other
    if not ctx.has_to or nxt is None:
        return None, None
    return ctx.ic_time(nxt) - ctx.to_time(), None


def duty_factor(ctx: StepContext) -> Reading:
    """Contact time over the stride to the same foot's next contact."""
    nxt = ctx.next_same
    if not ctx.has_to or nxt is None:
        return None, None
    stride = ctx.ic_time(nxt) - ctx.ic_time()
    return ((ctx.to_time() - ctx.ic_time()) / stride if stride > 0 else None), None


# -- rear / front view ------------------------------------------------------


def knee_fppa_peak(ctx: StepContext) -> Reading:
    """Peak knee frontal-plane projection angle over stance (+ = valgus)."""
    return ctx.stance_peak("fppa")


def pelvic_drop_peak(ctx: StepContext) -> Reading:
    """Peak contralateral pelvic drop over stance (+ = swing-side hip lower)."""
    if not ctx.signals.image_drop:
        return ctx.stance_peak("drop")
    st = ctx.step
    if not ctx.has_to or st.to_frame < st.ic_frame:
        return None, None
    seg = ctx.sig("drop")[st.ic_frame : st.to_frame + 1]
    ok = np.isfinite(seg)
    if seg.size == 0 or ok.mean() < ctx.signals.drop_min_valid_fraction:
        return None, None
    k = int(np.nanargmax(seg))
    return finite_or_none(float(seg[k])), st.ic_frame + k


def hip_adduction_peak(ctx: StepContext) -> Reading:
    """Peak hip adduction (femur vs pelvis perpendicular) over stance."""
    return ctx.stance_peak("hipadd")


def not_measured(ctx: StepContext) -> Reading:
    """For a metric that is defined but not measured (step width)."""
    return None, None


# -- any view ---------------------------------------------------------------


def step_time(ctx: StepContext) -> Reading:
    """Contact to the other foot's next contact (rear/front: midstance to midstance)."""
    nxt = ctx.next_other
    if nxt is None:
        return None, None
    if ctx.signals.side_view:
        return ctx.ic_time(nxt) - ctx.ic_time(), None
    st = ctx.step
    if st.midstance_frame >= 0 and nxt.midstance_frame >= 0:
        t = ctx.signals.time_s
        return float(t[nxt.midstance_frame] - t[st.midstance_frame]), None
    return None, None
