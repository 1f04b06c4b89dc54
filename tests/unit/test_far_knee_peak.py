"""The far foot's peak stance knee flexion is read only where its knee point is trustworthy: before the pose
model moves it onto the near knee as the near leg swings past (measure.step_values.trusted_stance_end)."""

import numpy as np

from gaitvision.events import Step
from gaitvision.measure.step_values import (
    CROSSING_DROP_LEG,
    ClipSignals,
    StepContext,
    knee_flexion_peak_stance,
    trusted_stance_end,
)

LEG = 300.0
IC, TO = 10, 26  # a 17-frame stance


def _signals(*, jump_at: int | None, true_peak_at: int = 17) -> ClipSignals:
    n = 40
    f = np.arange(n, dtype=float)
    flex = 20 + 20 * np.exp(-0.5 * ((f - true_peak_at) / 4.0) ** 2)  # 40 deg at the true peak
    lead = 10.0 * (f - IC)  # the near knee moves steadily ahead of the far one through the far stance
    if jump_at is not None:  # the far knee point jumps onto the near knee for four frames
        flex[jump_at : jump_at + 4] = 75.0
        lead[jump_at : jump_at + 4] = 0.0
    per = {"flex": flex, "other_knee_lead": lead}
    return ClipSignals(time_s=f / 60.0, side_view=True, per_side={"left": dict(per), "right": dict(per)},
                       leg_length_px=LEG, near_side="left")


def _read(signals: ClipSignals, side: str):
    steps = [Step(side, IC, TO, 17)]
    ctx = StepContext(signals, steps, 0)
    return knee_flexion_peak_stance(ctx), trusted_stance_end(ctx)


def test_far_peak_stops_before_the_knee_point_jumps():
    (value, frame), end = _read(_signals(jump_at=21), "right")
    assert end == 20 and frame == 17 and value == np.float64(40.0)
    # without the jump the whole stance is read, and the same peak found
    (value, frame), end = _read(_signals(jump_at=None), "right")
    assert end == TO and frame == 17


def test_near_foot_reads_the_whole_stance():
    (value, frame), end = _read(_signals(jump_at=21), "left")
    assert end == TO and value == 75.0  # the rule is for the far foot only


def test_far_peak_not_measurable_when_cut_before_the_peak():
    (value, frame), end = _read(_signals(jump_at=15, true_peak_at=19), "right")
    assert end == 14 and value is None and frame is None


def test_small_lead_noise_does_not_cut_the_stance():
    s = _signals(jump_at=None)
    wobble = s.per_side["right"]["other_knee_lead"] - 0.9 * CROSSING_DROP_LEG * LEG * (np.arange(40) % 2)
    s.per_side["right"]["other_knee_lead"] = wobble
    (_, frame), end = _read(s, "right")
    assert end == TO and frame == 17
