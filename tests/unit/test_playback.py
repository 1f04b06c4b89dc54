"""Slow-motion detection from the runner's motion (gaitvision.quality.playback) on exact tracks.

The tracks are the exact stick runners of ``fixtures.synthetic``; the side
runner's pelvis is given a bounce whose size follows gravity
(``A w^2 / L = g / 0.9 m``, what a runner shows), so re-timing the track by
``k`` (the frames of a slow-motion clip played at 1/k speed) is exactly
what a slow-motion clip without metadata gives the measuring code.
"""

import math

import numpy as np
import pytest
from fixtures.synthetic import LEG_PX, make_rear_track, make_side_track

from gaitvision.landmarks import index
from gaitvision.measure.records import SideValue
from gaitvision.measure.summary import ClipSummary, MetricSummary
from gaitvision.quality.playback import (
    REFERENCE_GRAVITY_RATIO,
    TIME_METRICS,
    apply_playback,
    check_playback,
    leg_length_px,
    pelvis_rhythm,
    refusal_hint,
)

G_OVER_LEG = 9.81 / 0.9  # 1/s^2: a 0.9 m leg


def bouncing_side_track(cadence_spm=170.0, fps=60.0, duration_s=8.0, gravity=G_OVER_LEG):
    """The side stick runner with a pelvis bounce of gravity's size (lowest at each midstance)."""
    tr, _ = make_side_track(cadence_spm=cadence_spm, fps=fps, duration_s=duration_s)
    w = 2 * math.pi * cadence_spm / 60.0
    leg = leg_length_px(tr)
    amp = gravity * leg / w**2
    xy = tr.xy.copy()
    bounce = amp * np.cos(w * tr.time_s)
    for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "nose", "left_ear", "right_ear"):
        xy[:, index(n), 1] += bounce
    return tr.replace(xy=xy)


def retimed(tr, k):
    """The track of the same frames played k times slower (timestamps x k)."""
    return tr.replace(time_s=tr.time_s * k)


def test_leg_length_of_the_stick_runner():
    tr, _ = make_side_track()
    # the fixture's leg: hip to ankle is LEG_PX - 30 px vertically; thigh + shank are a little longer
    assert LEG_PX - 30 <= leg_length_px(tr) <= LEG_PX + 30


@pytest.mark.parametrize("cadence", [150.0, 170.0, 195.0])
def test_rhythm_is_the_step_period(cadence):
    period, strength = pelvis_rhythm(bouncing_side_track(cadence))
    assert period == pytest.approx(60.0 / cadence, rel=0.01) and strength > 0.9


@pytest.mark.parametrize("cadence", [150.0, 170.0, 195.0])
def test_real_time_running_is_plausible(cadence):
    c = check_playback(bouncing_side_track(cadence))
    assert c.plausible is True and c.advice is None
    assert c.slow_factor == pytest.approx(1.0, abs=0.2)
    assert c.gravity_ratio == pytest.approx(G_OVER_LEG / REFERENCE_GRAVITY_RATIO, rel=0.05)


@pytest.mark.parametrize("k", [2, 4, 8, 10])
def test_slowed_track_is_flagged_with_the_capture_fps_advice(k):
    c = check_playback(retimed(bouncing_side_track(), k))
    assert c.plausible is False
    assert c.slow_factor == pytest.approx(k, rel=0.15)
    assert c.slow_factor_gravity == pytest.approx(k, rel=0.05)  # exact gravity in, exact factor out
    assert "--capture-fps" in c.advice
    # played at 60/k fps: the suggestion is the 60 fps it was filmed at
    assert c.suggested_capture_fps == 60.0


def test_240_fps_capture_played_at_30_fps_suggests_240():
    tr = bouncing_side_track(fps=240.0, duration_s=3.0)
    c = check_playback(retimed(tr, 8))
    assert c.plausible is False and c.suggested_capture_fps == 240.0
    assert "--capture-fps 240" in c.advice


def test_rear_view_track_is_plausible_and_its_slowed_copy_is_not():
    tr = make_rear_track(duration_s=8.0)  # 15 px bounce, 340 px leg, 170 steps/min
    assert check_playback(tr).plausible is True
    assert check_playback(retimed(tr, 4)).plausible is False


def test_sped_up_track_is_flagged():
    """A wrong --capture-fps (4x too high) makes the clip look sped up."""
    c = check_playback(retimed(bouncing_side_track(), 0.25), capture_known=True)
    assert c.plausible is False and c.slow_factor == pytest.approx(0.25, rel=0.15)
    assert "--capture-fps" in c.advice


def test_clocks_that_disagree_are_undecided():
    """A running cadence with a small bounce (gravity says 2.5x) is not called slow motion."""
    small_bounce = bouncing_side_track(cadence_spm=170.0, gravity=G_OVER_LEG / 6)
    assert check_playback(small_bounce).plausible is None
    slow_jog = bouncing_side_track(cadence_spm=120.0)  # a runner's bounce at a walking cadence
    assert check_playback(slow_jog).plausible is None


def test_no_rhythm_is_undecided():
    tr, _ = make_side_track()  # the stick runner's pelvis does not move at all
    c = check_playback(tr)
    assert c.plausible is None and c.slow_factor is None and "hardly moves" in c.reason


def test_refusal_hint_only_for_a_slowed_clip():
    tr = bouncing_side_track()
    assert refusal_hint(tr) is None
    hint = refusal_hint(retimed(tr, 8))
    assert hint is not None and "8x slower" in hint and "--capture-fps 60" in hint


def _summary():
    sv = SideValue(0.25, 0.01, 9, "high")
    metrics = {k: MetricSummary(k, {"left": sv, "right": sv}) for k in ("contact_time_s", "knee_flexion_ic_deg")}
    return ClipSummary(view="side-left", runner_facing="left", steps_detected={}, steps_used={}, cadence_spm=21.0,
                       cadence_source="both feet", metrics=metrics, foot_strike_pattern=None, not_measurable={})


def test_apply_withdraws_cadence_and_times_only():
    s = apply_playback(_summary(), check_playback(retimed(bouncing_side_track(), 8)))
    assert s.cadence_spm is None and "does not play in real time" in s.not_measurable["cadence_spm"]
    assert "contact_time_s" not in s.metrics and "contact_time_s" in s.not_measurable
    assert "knee_flexion_ic_deg" in s.metrics  # angles do not depend on the clock
    assert len(s.warnings) == 1 and "--capture-fps" in s.warnings[0]
    assert set(TIME_METRICS) == {"contact_time_s", "flight_time_s", "step_time_s"}
    # a plausible clip's summary is untouched
    s0 = _summary()
    assert apply_playback(s0, check_playback(bouncing_side_track())) is s0


def test_uneven_steps_still_time_the_step_not_the_stride():
    """A one-sided pelvic drop makes the stride repeat better than the step: the step is still found."""
    tr = bouncing_side_track()
    w = 2 * math.pi * 170.0 / 60.0
    xy = tr.xy.copy()
    uneven = 0.5 * np.nanmax(np.abs(xy[:, index("left_hip"), 1] - np.nanmean(xy[:, index("left_hip"), 1])))
    for n in ("left_hip", "right_hip"):
        xy[:, index(n), 1] += uneven * np.cos(w / 2 * tr.time_s)  # every other step lower
    tr = tr.replace(xy=xy)
    period, _ = pelvis_rhythm(tr)
    assert period == pytest.approx(2 * 60.0 / 170.0, rel=0.02)  # the autocorrelation alone picks the stride
    c = check_playback(tr)
    assert c.plausible is True and c.cadence_rhythm_spm == pytest.approx(170.0, rel=0.02)
    assert check_playback(retimed(tr, 4)).plausible is False
