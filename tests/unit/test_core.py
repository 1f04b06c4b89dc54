"""The measuring core: the registry, measure() and corrections, on exact synthetic tracks."""

import dataclasses

import numpy as np
import pytest
from fixtures.synthetic import make_side_track

from gaitvision.io.outputs import STEP_COLUMNS, parse_steps_csv, steps_csv_text
from gaitvision.measure.corrections import (
    CorrectionError,
    ExcludeStep,
    IncludeStep,
    MoveEvent,
    MoveLandmark,
    correction_from_dict,
)
from gaitvision.measure.references import REFERENCES
from gaitvision.measure.registry import METRICS, keys_for_view
from gaitvision.measurement import measure
from gaitvision.report.text import metric_info


def test_every_registry_entry_is_covered_by_every_consumer():
    for m in METRICS:
        assert m.key in REFERENCES, m.key
        assert m.reference.text and m.reference.source
        info = metric_info(m.key)
        assert info.name == m.label and info.plain == m.plain and info.decimals == m.decimals
        assert m.resolution > 0 and m.resolution_source
        views = [v for v in ("side-left", "side-right", "rear", "front") if m.key in keys_for_view(v)]
        assert views, f"{m.key} is measured in no view"
    tr, _ = make_side_track(fps=60, facing="left")
    res = measure(tr)
    cols = res.table.columns()
    assert tuple(cols[: len(STEP_COLUMNS)]) == STEP_COLUMNS and cols[-1] == "excluded_reason"
    summary = res.summary_dict()
    for m in METRICS:
        # every metric is either summarised or named as not measurable, with a reason
        assert (m.key in summary["metrics"]) != (m.key in summary["not_measurable"]), m.key
        if m.applies_to("side-left"):
            assert m.key in cols


def test_steps_csv_round_trip_keeps_every_value():
    tr, _ = make_side_track(fps=60, facing="left")
    res = measure(tr)
    text = steps_csv_text(res.table.columns(), res.table.rows)
    cols, rows = parse_steps_csv(text)
    assert cols == res.table.columns() and len(rows) == len(res.table)
    for row, step in zip(rows, res.table.steps, strict=True):
        for key, v in step.values.items():
            assert (row[key] is None) == (v is None)
            if v is not None:
                assert row[key] == pytest.approx(v, abs=5e-5)


def _values(res, step):
    s = res.table.by_number(step)
    return {**s.values, "ic_frame": s.ic_frame, "excluded_reason": s.excluded_reason}


def test_a_correction_changes_exactly_the_affected_values():
    tr, _ = make_side_track(fps=60, facing="left", duration_s=8.0)
    auto = measure(tr)
    used = [s for s in auto.table.steps if s.used]
    out, moved = used[3], used[8]  # one step left out, one contact moved 2 frames later
    corr = [ExcludeStep(out.step, "knee point jumped"), MoveEvent(moved.step, "ic", moved.ic_frame + 2)]
    fixed = measure(tr, corrections=corr)
    assert fixed.table.by_number(out.step).excluded_reason == "excluded by PT: knee point jumped"
    assert fixed.table.by_number(moved.step).ic_frame == moved.ic_frame + 2
    # the moved contact ends the previous step (step and flight time, bounce) and the same
    # foot's previous stride (duty factor); it starts its own step's values
    affected = {out.step, moved.step, moved.step - 1}
    prev_same = max(s.step for s in auto.table.steps if s.side == moved.side and s.step < moved.step)
    affected.add(prev_same)
    for s in auto.table.steps:
        a, b = _values(auto, s.step), _values(fixed, s.step)
        if s.step not in affected:
            assert a == b, f"step {s.step} changed"
    before, after = _values(auto, moved.step), _values(fixed, moved.step)
    changed_keys = {k for k in before if before[k] != after[k]}
    assert {"ic_frame", "contact_time_s", "knee_flexion_ic_deg"} <= changed_keys
    # the side summaries follow; the automatic result is unchanged by measuring again
    assert fixed.summary.steps_used[out.side] == auto.summary.steps_used[out.side] - 1
    assert measure(tr).summary == auto.summary


def test_remeasuring_from_the_prepared_track_gives_the_same_result():
    tr, _ = make_side_track(fps=60, facing="left")
    auto = measure(tr)
    corr = [ExcludeStep(4, "x"), MoveEvent(6, "to", auto.table.by_number(6).to_frame + 1)]
    fast = measure(tr, corrections=corr, prepared=auto.prepared)
    full = measure(tr, corrections=corr)
    assert fast.summary == full.summary and fast.table == full.table
    other, _ = make_side_track(fps=60, facing="left")
    with pytest.raises(ValueError, match="another track"):
        measure(other, prepared=auto.prepared)


def test_include_undoes_exclude_and_corrections_round_trip():
    tr, _ = make_side_track(fps=60, facing="right")
    auto = measure(tr)
    k = auto.table.used[2].step
    again = measure(tr, corrections=[ExcludeStep(k, "x"), IncludeStep(k)])
    assert again.summary == auto.summary and again.table.rows == auto.table.rows
    for c in (ExcludeStep(3, "r"), IncludeStep(2), MoveEvent(4, "to", 100), MoveLandmark(10, "left_knee", 1.0, 2.0)):
        assert correction_from_dict(c.to_dict()) == c


def test_moving_a_landmark_changes_the_value_read_at_that_frame_only():
    tr, _ = make_side_track(fps=60, facing="left")
    auto = measure(tr)
    st = auto.table.used[4]
    knee = auto.track.landmark(f"{st.side}_knee")[st.ic_frame]
    fixed = measure(tr, corrections=[MoveLandmark(st.ic_frame, f"{st.side}_knee", float(knee[0]) + 15.0,
                                                  float(knee[1]))])
    assert fixed.table.by_number(st.step).values["knee_flexion_ic_deg"] != pytest.approx(
        st.values["knee_flexion_ic_deg"], abs=0.5)
    others = [s for s in auto.table.steps if s.step != st.step]
    for s in others:
        assert fixed.table.by_number(s.step).values["knee_flexion_ic_deg"] == s.values["knee_flexion_ic_deg"]


@pytest.mark.parametrize("bad, match", [
    pytest.param({"type": "exclude_step", "step": 999}, "no step 999", id="no-such-step"),
    pytest.param({"type": "move_event", "step": 2, "event": "ic", "frame": 10**6}, "outside the clip",
                 id="frame-outside"),
    pytest.param({"type": "move_landmark", "frame": 3, "landmark": "nose", "x": 1, "y": 2}, "landmark must",
                 id="bad-landmark"),
    pytest.param({"type": "teleport"}, "Unknown correction type", id="bad-type"),
    pytest.param({"type": "exclude_step", "step": 2, "colour": "red"}, "Unknown field", id="bad-field"),
])
def test_bad_corrections_are_refused_with_a_reason(bad, match):
    tr, _ = make_side_track(fps=60, facing="left")
    with pytest.raises(CorrectionError, match=match):
        measure(tr, corrections=[correction_from_dict(bad)])


def test_records_are_frozen():
    tr, _ = make_side_track(fps=60, facing="left")
    res = measure(tr)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.table.steps[0].step = 5  # type: ignore[misc]
    assert all(v is None or np.isfinite(v) for s in res.table.steps for v in s.values.values())
