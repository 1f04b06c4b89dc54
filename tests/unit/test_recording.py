"""Recording checks (gaitvision.recording) on exact synthetic tracks."""

import numpy as np
import pytest
from fixtures.synthetic import make_side_track

from gaitvision.clean.person import follow_one_person
from gaitvision.landmarks import index
from gaitvision.quality.recording import apply_framing, check_framing, explain_no_steps, outside_mask

FEET = [index(f"{s}_{p}") for s in ("left", "right") for p in ("ankle", "heel", "foot_index")]


def shifted(track, dy):
    xy = track.xy.copy()
    xy[..., 1] += dy
    return track.replace(xy=xy)


def test_in_frame_runner_has_no_framing_problem():
    tr, _ = make_side_track()
    assert not outside_mask(tr).any()
    c = check_framing(tr)
    assert c.not_measurable == {} and c.low_confidence == {} and c.warnings == []
    assert c.cadence_reason is None and explain_no_steps(tr) is None


def test_feet_below_the_frame():
    tr, _ = make_side_track()  # feet at y = 940 +- lift in a 1280 px frame
    low = shifted(tr, 600)  # feet at 1340-1540: below the frame; hips at 1240: inside
    c = check_framing(low)
    assert c.part_outside["left foot"] > 0.9 and c.part_edges["left foot"] == ["bottom"]
    assert c.part_outside["shoulders"] == 0
    assert set(c.not_measurable["foot_strike_angle_deg"]) == {"left", "right"}
    assert "trunk_lean_deg" not in c.not_measurable and "trunk_lean_deg" not in c.low_confidence
    assert "bottom edge" in c.cadence_reason
    assert "feet are outside the picture (bottom edge)" in explain_no_steps(low)


def test_step_rows_limit_the_check_to_the_moments_used():
    tr, _ = make_side_track(fps=60)
    xy = tr.xy.copy()
    xy[100:110, FEET, 0] = -5.0  # the feet leave at the left edge for 10 frames
    tr = tr.replace(xy=xy)
    rows = [{"side": "left", "ic_frame": f, "to_frame": f + 10, "excluded_reason": ""}
            for f in (20, 60, 102, 140, 180, 220)]
    c = check_framing(tr, rows)
    reason = c.low_confidence["foot_strike_angle_deg"]["left"]
    assert "left edge" in reason and "17% of the steps" in reason  # 1 of 6 contacts
    assert "right" not in c.low_confidence.get("foot_strike_angle_deg", {})


def test_apply_framing_moves_metrics_with_reasons():
    from gaitvision.measure.records import SideValue
    from gaitvision.measure.summary import ClipSummary, MetricSummary

    def sides(**meds):
        return {s: SideValue(v, 1.0, 10, "high") for s, v in meds.items()}

    summary = ClipSummary(
        view="side-left", runner_facing="left", steps_detected={"left": 10, "right": 10},
        steps_used={"left": 10, "right": 10}, cadence_spm=170.0, cadence_source="both feet",
        metrics={
            "foot_strike_angle_deg": MetricSummary("foot_strike_angle_deg", sides(left=10, right=12), 5.0),
            "knee_flexion_ic_deg": MetricSummary("knee_flexion_ic_deg", sides(left=20, right=21)),
            "trunk_lean_deg": MetricSummary("trunk_lean_deg", sides(left=5)),
        },
        foot_strike_pattern={"left": {"pattern": "rearfoot"}}, not_measurable={},
    )
    tr, _ = make_side_track()
    c = check_framing(shifted(tr, 600))
    out = apply_framing(summary, c).to_dict()
    assert summary.metrics["foot_strike_angle_deg"].sides["left"].median == 10  # a copy, not in place
    assert "foot_strike_angle_deg" not in out["metrics"] and "foot_strike_pattern" not in out["metrics"]
    assert "bottom edge" in out["not_measurable"]["foot_strike_angle_deg"]
    assert out["metrics"]["trunk_lean_deg"]["left"]["confidence"] == "high"
    assert out["cadence_spm"] is None and "cadence_spm" in out["not_measurable"]
    assert out["warnings"] and "partly outside the picture" in out["warnings"][0]


def test_one_person_followed_through_a_jump():
    tr, _ = make_side_track(fps=30, duration_s=6.0)
    xy = tr.xy.copy()
    xy[120:, :, 0] += 500  # from 4 s the model follows someone 500 px to the right
    jumped = tr.replace(xy=xy)
    kept, check = follow_one_person(jumped)
    assert check.switches == [pytest.approx(4.0)]
    assert check.frames_dropped == 60 and np.isnan(kept.xy[120:]).all()
    assert np.array_equal(kept.xy[:120], jumped.xy[:120], equal_nan=True)
    assert check.position == "centre" and "another person" in check.warnings[0]


def test_no_jump_no_change():
    tr, _ = make_side_track(fps=30, duration_s=6.0)
    kept, check = follow_one_person(tr)
    assert kept is tr and check.switches == [] and check.frames_dropped == 0 and check.warnings == []
    assert check.to_dict()["position"] == "centre"
