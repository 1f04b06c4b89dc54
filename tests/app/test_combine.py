"""gaitvision.combine: one visit's side and rear clips as one result (pure function)."""

from __future__ import annotations

import pytest

from gaitvision.combine import NO_INTERVAL_TOLERANCE, combine_views, cross_check


def _side(value, ci=None, n=10):
    d = {"median": value, "iqr": 1.0, "n": n, "confidence": "high"}
    if ci is not None:
        d["ci95"] = list(ci)
    return d


def _summary(view, cadence, step_time, metrics, warnings=()):
    m = {"step_time_s": {"unit": "s", "view": "temporal", "left": _side(*step_time[0]), "right": _side(*step_time[1])}}
    m.update(metrics)
    return {"view": view, "cadence_spm": cadence, "metrics": m, "not_measurable": {}, "warnings": list(warnings)}


SIDE = _summary("side-left", 168.0, [(0.357, (0.350, 0.364)), (0.357, (0.349, 0.365))], {
    "knee_flexion_ic_deg": {"unit": "deg", "view": "sagittal", "left": _side(18.0, (15.0, 21.0))},
    "knee_fppa_peak_deg": {"unit": "deg", "view": "frontal", "left": _side(99.0)},  # never taken from a side clip
}, warnings=["far foot low confidence"])
REAR = _summary("rear", 166.0, [(0.361, (0.352, 0.370)), (0.362, (0.353, 0.371))], {
    "knee_fppa_peak_deg": {"unit": "deg", "view": "frontal", "left": _side(12.1, (9.4, 14.6))},
    "contact_time_s": {"unit": "s", "view": "temporal", "left": _side(0.99)},  # a rear clip's: not used
})


def test_each_metric_comes_from_the_clip_that_measures_it():
    c = combine_views(SIDE, REAR)
    assert c["views"] == {"side": "side-left", "rear": "rear"}
    assert c["metrics"]["knee_flexion_ic_deg"]["from"] == "side"
    assert c["metrics"]["knee_fppa_peak_deg"]["from"] == "rear"
    assert c["metrics"]["knee_fppa_peak_deg"]["left"]["median"] == 12.1
    assert c["metrics"]["step_time_s"]["from"] == "side"
    assert "contact_time_s" not in c["metrics"]
    assert c["cadence_spm"] == 168.0
    assert "side clip: far foot low confidence" in c["warnings"]
    assert combine_views(REAR, SIDE)["metrics"] == c["metrics"]  # either order


def test_rhythm_agrees_when_intervals_overlap_and_warns_when_they_do_not():
    c = combine_views(SIDE, REAR)
    checks = {k["name"]: k for k in c["checks"]}
    assert checks["the left step time (s)"]["basis"] == "intervals" and checks["the left step time (s)"]["agree"]
    # cadence has no interval in either summary: the stated tolerance (168 vs 166 is 1.2 %)
    assert checks["cadence (steps/min)"]["basis"] == "tolerance" and checks["cadence (steps/min)"]["agree"]
    assert not [w for w in c["warnings"] if w.startswith("The side and rear")]
    slow = _summary("rear", 150.0, [(0.400, (0.390, 0.410)), (0.362, (0.353, 0.371))], {})
    c2 = combine_views(SIDE, slow)
    bad = {k["name"]: k for k in c2["checks"]}
    assert bad["the left step time (s)"]["agree"] is False and bad["the right step time (s)"]["agree"] is True
    assert bad["cadence (steps/min)"]["agree"] is False  # 10.7 % > 5 %
    warned = [w for w in c2["warnings"] if w.startswith("The side and rear")]
    assert len(warned) == 2 and "intervals do not overlap" in " ".join(warned)


def test_cross_check_edges():
    assert cross_check("x", None, None, 1.0, None)["agree"] is None
    assert cross_check("x", 100.0, None, 100.0 * (1 + NO_INTERVAL_TOLERANCE) - 0.01, None)["agree"] is True
    assert cross_check("x", 1.0, [0.9, 1.1], 1.2, [1.15, 1.3])["agree"] is False
    assert cross_check("x", 1.0, [1.1, 0.9], 1.05, [1.0, 1.2])["agree"] is True  # a reversed pair is read as lo, hi


@pytest.mark.parametrize("a, b", [("side-left", "side-right"), ("rear", "front")])
def test_two_clips_of_one_kind_are_refused(a, b):
    with pytest.raises(ValueError, match="one side and one rear"):
        combine_views(_summary(a, 1, [(1, None), (1, None)], {}), _summary(b, 1, [(1, None), (1, None)], {}))
