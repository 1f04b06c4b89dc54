"""Intervals, confidence from them, the asymmetry they support, and the error model file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaitvision.events import Step
from gaitvision.measure.records import SideValue
from gaitvision.measure.registry import spec
from gaitvision.measure.step_values import ClipSignals, StepContext, knee_flexion_ic, step_time
from gaitvision.measure.uncertainty import (
    UNCALIBRATED,
    Conditions,
    ErrorModel,
    ErrorTerm,
    _SideParts,
    asymmetry,
    confidence_from_interval,
    foot_role,
    fps_class,
    load_error_model,
    median_interval,
    timing_sensitivity,
)


def _signals(flex: np.ndarray, fps: float = 60.0) -> ClipSignals:
    n = len(flex)
    t = np.arange(n) / fps
    zeros = np.zeros(n)
    per = {s: {"flex": flex, "foot": zeros, "raw_foot": zeros, "shank": zeros, "heel_hip": zeros}
           for s in ("left", "right")}
    return ClipSignals(time_s=t, side_view=True, per_side=per, leg_length_px=100.0)


def test_timing_sensitivity_is_the_slope_times_the_timing_error():
    # knee flexion rising 2 deg per frame around contact: one IC frame of error is 2 deg
    flex = 2.0 * np.arange(200, dtype=float)
    sig = _signals(flex)
    steps = [Step("left", 50, 60, -1), Step("right", 72, 82, -1)]
    got = timing_sensitivity(knee_flexion_ic, sig, steps, 0, key="knee_flexion_ic_deg",
                             ic_err=1.5, to_err=3.0, next_ic_err=1.0)
    assert got == pytest.approx(3.0)  # 2 deg/frame x 1.5 frames; TO does not move it


def test_timing_sensitivity_of_step_time_counts_both_contacts():
    sig = _signals(np.zeros(200))
    steps = [Step("left", 50, 60, -1), Step("right", 72, 82, -1)]
    got = timing_sensitivity(step_time, sig, steps, 0, key="step_time_s", ic_err=1.0, to_err=1.0, next_ic_err=1.0)
    assert got == pytest.approx(math.hypot(1 / 60, 1 / 60))


def test_median_interval_narrows_with_more_steps_and_is_floored_for_few():
    rng = np.random.default_rng(5)
    few = median_interval(rng.normal(20, 3, 4), seed=1)
    many = median_interval(rng.normal(20, 3, 40), seed=1)
    assert many < few
    # the median of n normal values has SE ~ 1.2533 sd / sqrt(n): 95 % half-width ~ 1.2 deg at n = 40
    assert 0.6 < many < 2.0
    assert math.isnan(median_interval([3.0]))
    # identical values: no between-step spread
    assert median_interval([5.0] * 8) == 0.0


def test_median_interval_covers_the_true_median_about_95_percent():
    rng = np.random.default_rng(11)
    hits = 0
    for k in range(300):
        v = rng.normal(10.0, 2.0, 9)
        hw = median_interval(v, seed=k, samples=400)
        hits += abs(float(np.median(v)) - 10.0) <= hw
    assert 0.9 <= hits / 300 <= 1.0


def test_confidence_follows_the_half_width_against_the_resolution():
    m = spec("knee_fppa_peak_deg")
    r = m.resolution
    assert confidence_from_interval(m, 0.9 * r) == ("high", None)
    conf, why = confidence_from_interval(m, 1.5 * r)
    assert conf == "low" and why
    conf, why = confidence_from_interval(m, 2.5 * r)
    assert conf == "none" and "not measurable" in (why or "")


def _parts(hw: float, bias: float = 0.0) -> _SideParts:
    return _SideParts(between=hw, timing=0.0, systematic=0.0, bias=bias, term=None)


def test_asymmetry_is_reported_only_when_the_interval_supports_it():
    m = spec("knee_fppa_peak_deg")
    frontal = Conditions("rear", None, 60.0)
    left, right = SideValue(12.0, 1.0, 10, "high"), SideValue(4.0, 1.0, 10, "high")
    got = asymmetry(m, left, right, _parts(1.0), _parts(1.0), conditions=frontal)
    assert got["asymmetry_pct"] == pytest.approx(66.7, abs=0.1)
    lo, hi = got["asymmetry_ci95"]
    assert lo < got["asymmetry_pct"] < hi
    # a difference inside the error: no percentage
    got = asymmetry(m, SideValue(8.0, 1.0, 10, "high"), SideValue(7.5, 1.0, 10, "high"), _parts(1.0), _parts(1.0),
                    conditions=frontal)
    assert "asymmetry_pct" not in got and "measurement error" in got["asymmetry_note"]
    # too wide to resolve the difference a PT acts on
    got = asymmetry(m, left, right, _parts(4.0), _parts(4.0), conditions=frontal)
    assert "asymmetry_pct" not in got and "not measurable" in got["asymmetry_note"]
    # a side view has a far foot: film the other side
    side = Conditions("side-left", "left", 60.0)
    got = asymmetry(spec("knee_flexion_ic_deg"), left, right, _parts(0.5), _parts(0.5), conditions=side)
    assert "asymmetry_pct" not in got and "film the other side" in got["asymmetry_note"]


def test_error_model_round_trip_and_fallback_to_coarser_groups():
    t = ErrorTerm(bias=-1.5, sigma=2.0, step_sigma=3.0, yaw_slope=0.2, n=12, group="knee_flexion_ic_deg|side|far|*")
    model = ErrorModel("test", {"knee_flexion_ic_deg|side|far|*": t})
    back = ErrorModel.from_dict(model.to_dict())
    assert back.terms == model.terms
    assert back.term("knee_flexion_ic_deg", "side", "far", "60") == t
    assert back.term("knee_flexion_ic_deg", "side", "near", "60") is None
    assert t.systematic_sd(10.0, 0.0) == pytest.approx(math.hypot(2.0, 2.0))
    with pytest.raises(ValueError):
        ErrorModel.from_dict({"schema": "something else"})


def test_the_package_ships_an_error_model():
    model = load_error_model()
    assert model is not UNCALIBRATED, "gaitvision/measure/data/error_model.json is missing (bench/calibrate.py fit)"
    assert model.provenance.get("clips"), "the error model names the clips it was fitted on"


def test_classes():
    assert (fps_class(29.97), fps_class(59.94), fps_class(120), fps_class(240)) == ("30", "60", "120", "120")
    assert foot_role("side-left", "left", "left") == "near"
    assert foot_role("side-left", "right", "left") == "far"
    assert foot_role("rear", "left", None) == "both"


def test_step_context_reads_the_moved_event():
    # the sensitivity re-reads through the registry's own read functions
    flex = np.arange(100, dtype=float)
    sig = _signals(flex)
    ctx = StepContext(sig, [Step("left", 10, 20, -1)], 0)
    assert knee_flexion_ic(ctx) == (10.0, 10)
