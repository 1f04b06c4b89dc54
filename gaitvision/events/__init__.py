"""Events stage: initial contact and toe-off per foot, per step."""

from gaitvision.events.detect import GaitEvents, Step, detect_events, stride_period_s

__all__ = ["GaitEvents", "Step", "detect_events", "stride_period_s"]
