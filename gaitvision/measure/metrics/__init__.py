"""Running metrics: pure functions on landmark tracks and gait events."""

from gaitvision.measure.metrics.foot import classify_strike, foot_angle_raw_deg
from gaitvision.measure.metrics.knee import knee_flexion_deg, knee_fppa_deg
from gaitvision.measure.metrics.pelvis import pelvic_drop_deg, pelvis_line_deg
from gaitvision.measure.metrics.temporal import stride_period_fit_s

__all__ = [
    "classify_strike",
    "foot_angle_raw_deg",
    "knee_flexion_deg",
    "knee_fppa_deg",
    "pelvic_drop_deg",
    "pelvis_line_deg",
    "stride_period_fit_s",
]
