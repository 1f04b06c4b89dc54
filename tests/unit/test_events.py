"""Gait events on synthetic tracks with exact answers: the far foot's toe-off, the contact point,
front-view events."""

import numpy as np
import pytest
from fixtures.synthetic import DUTY, LEG_PX, make_rear_track, make_side_track, stride_period_s

from gaitvision.events import Step, detect_events
from gaitvision.events.detect import TOE_OFF_TOLERANCE, _refine_contact, _toe_off_side
from gaitvision.events.far_foot import SWING_FEATURES, far_toe_offs
from gaitvision.landmarks import index

FPS, CADENCE = 60.0, 170.0


def _to_errors_frames(steps, truth_s):
    to = np.array([s.to_time_s for s in steps if s.to_frame >= 0])
    return np.array([x - truth_s[np.argmin(np.abs(truth_s - x))] for x in to]) * FPS


def _far_toe_drift(track, *, fraction_leg=0.05):
    """The far (right) toe raised by up to ``fraction_leg`` of leg length over the last 40 % of stance.

    What the pose model does to the far foot while the near leg swings past
    it: the toe point drifts up before the foot has left the belt.
    """
    period = stride_period_s(CADENCE)
    ph = np.mod(track.time_s / period - 0.6, 1.0)  # the right foot's phase (offset 0.6)
    ramp = np.clip((ph - 0.6 * DUTY) / (0.4 * DUTY), 0, 1) * (ph < DUTY)
    xy = track.xy.copy()
    xy[:, index("right_foot_index"), 1] -= fraction_leg * LEG_PX * ramp
    return track.replace(xy=xy)


def test_far_toe_off_exact_track_within_a_fraction_of_a_frame():
    tr, truth = make_side_track(fps=FPS, cadence_spm=CADENCE, facing="left")
    ev = detect_events(tr, view="side-left", near_side="left")
    far = ev.of_side("right")
    err = _to_errors_frames(far, truth["right_to_s"])
    assert len(err) >= 7 and np.max(np.abs(err)) <= 0.5
    assert all(s.to_source == "far-swing" and s.to_error_frames is not None and s.to_error_frames >= 1.0
               for s in far if s.to_frame >= 0)
    # the near foot keeps the toe-lift rule
    assert all(s.to_source == "toe-lift" for s in ev.of_side("left") if s.to_frame >= 0)
    assert all(s.ic_source in ("zeni", "contact") for s in ev.steps)


def test_far_toe_off_survives_late_stance_toe_drift():
    tr, truth = make_side_track(fps=FPS, cadence_spm=CADENCE, facing="left")
    drifted = _far_toe_drift(tr)
    # the toe-lift rule alone reads the drifted far toe off early
    toe_y = drifted.landmark("right_foot_index")[:, 1]
    ic = detect_events(tr, view="side-left", near_side="left").of_side("right")[0]
    _, t_lift = _toe_off_side(toe_y, drifted.time_s, ic.ic_frame, ic.ic_frame + 30, TOE_OFF_TOLERANCE * LEG_PX)
    assert (t_lift - truth["right_to_s"][truth["right_to_s"] > ic.ic_time_s][0]) * FPS < -2
    ev = detect_events(drifted, view="side-left", near_side="left")
    err = _to_errors_frames(ev.of_side("right"), truth["right_to_s"])
    assert len(err) >= 7 and np.max(np.abs(err)) <= 0.5


PERIOD = 0.7
LAGS = (0.05, 0.06, 0.07, 0.08, 0.09)  # each swing feature's lag after toe-off, s


def _near(ct=0.25, n=4):
    """Near steps with contact time ``ct``, and their swing features ``LAGS`` after each toe-off."""
    steps = [Step("left", 0, 1, 0, ic_time_s=k * PERIOD, to_time_s=k * PERIOD + ct) for k in range(n)]
    times = {f: np.array([s.to_time_s + lag for s in steps]) for f, lag in zip(SWING_FEATURES, LAGS, strict=True)}
    return steps, times


def _far(ic_s, to_s, feature_to_s):
    """One far step found with toe-off ``to_s``; its swing features put toe-off at ``feature_to_s``."""
    step = Step("right", int(ic_s * FPS), int(to_s * FPS), -1, ic_time_s=ic_s, to_time_s=to_s)
    times = {f: np.array([t + lag]) for f, lag, t in zip(SWING_FEATURES, LAGS, feature_to_s, strict=True)}
    return [step], times


def test_far_prior_gates_but_does_not_move_toe_off():
    """A far contact 12 % longer than the near one keeps its own timing: the prior only gates."""
    t = np.arange(0, 3.0, 1 / FPS)
    near, near_times = _near()
    # the far foot's features agree on toe-off 0.28 s after its IC; one is 0.14 s off
    far, far_times = _far(1.35, 1.50, [1.63, 1.63, 1.63, 1.64, 1.77])
    out = far_toe_offs(far, near, far_times=far_times, near_times=near_times, time_s=t, period_s=PERIOD)
    assert out[0].to_source == "far-swing"
    assert out[0].to_time_s == pytest.approx(1.63)  # median of the four in the gate, not the prior's 1.60
    assert out[0].to_frame == int(np.floor(1.63 * FPS + 1e-6))
    assert 1.0 <= out[0].to_error_frames < 1.2


def test_far_toe_off_unchanged_without_calibration_or_candidate():
    t = np.arange(0, 3.0, 1 / FPS)
    far, far_times = _far(1.35, 1.50, [1.60] * 5)
    one, one_times = _near(n=1)  # one near step cannot calibrate the lags
    assert far_toe_offs(far, one, far_times=far_times, near_times=one_times, time_s=t, period_s=PERIOD) == far
    near, near_times = _near()
    far, far_times = _far(1.35, 1.50, [1.75] * 5)  # contact 0.40 s against the near 0.25 s: outside the gate
    assert far_toe_offs(far, near, far_times=far_times, near_times=near_times, time_s=t, period_s=PERIOD) == far


def test_contact_point_is_the_first_to_land_not_the_lower_at_the_candidate():
    """Heel and toe level (within noise) at the Zeni candidate of a rearfoot strike: IC at heel landing."""
    t = np.arange(40) / FPS
    belt = 900.0
    heel = np.full(40, belt)
    heel[:7] = belt - np.linspace(30, 0, 7)  # lands at frame 6, 5 px per frame
    toe = np.full(40, belt)
    toe[:22] = belt - np.linspace(31, 0, 22)  # lands at frame 21
    toe[0] = heel[0] + 1.0  # 1 px lower than the heel at the candidate (frame 0)
    ic, t_ic = _refine_contact(heel, toe, t, 0, 35, tol_px=9.0)
    assert ic == 5  # heel within 9 px of the belt from frame 5 (the toe only from frame 15)
    assert t_ic == pytest.approx(t[4] + 0.2 / FPS)  # 30 - 5 x 4.2 = 9 px


@pytest.mark.parametrize("view", ["rear", "front"])
def test_frontal_steps_alternate_and_keep_frame_order(view):
    """The stick runner's feet carry no contact timing (its toe is fixed to the ankle), only the order."""
    tr = make_rear_track(view=view, fps=FPS, cadence_spm=CADENCE)
    ev = detect_events(tr, view=view)
    assert len(ev.steps) >= 12
    assert all(a.side != b.side for a, b in zip(ev.steps[:-1], ev.steps[1:], strict=True))
    assert all(s.ic_estimated and s.ic_frame <= s.midstance_frame <= s.to_frame for s in ev.steps)
