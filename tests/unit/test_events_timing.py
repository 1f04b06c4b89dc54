"""Per-event expected timing errors: the calibration table's lookup, its fallbacks, and the step table's
rule that drops an event expected to be off by more than 3 frames."""

import dataclasses
import math

import numpy as np
from fixtures.synthetic import make_side_track

from gaitvision.events import Step, detect_events
from gaitvision.events.detect import with_expected_errors
from gaitvision.events.timing import (
    IC_SOURCES,
    MIN_EVENTS,
    TO_SOURCES,
    error_key,
    event_too_uncertain,
    expected_error_frames,
    fps_class,
    load_table,
)
from gaitvision.events.types import GaitEvents


def _table(**cells):
    return {"provenance": {}, "cells": {k.replace("__", "|"): {"n": n, "median": p / 2, "p95": p}
                                        for k, (n, p) in cells.items()}}


def test_fps_classes():
    assert [fps_class(f) for f in (24, 30, 50, 60, 100, 120, 200, 240)] == [30, 30, 60, 60, 120, 120, 240, 240]


def test_lookup_exact_then_every_source_then_other_rates():
    t = {"provenance": {}, "cells": {
        error_key("side", "far", 60, "to", "far-swing"): {"n": 20, "median": 1.0, "p95": 2.5},
        error_key("side", "far", 60, "to", "*"): {"n": 30, "median": 1.0, "p95": 3.5},
        error_key("side", "near", 60, "ic", "*"): {"n": 40, "median": 0.5, "p95": 1.0},
        error_key("side", "near", 30, "ic", "contact"): {"n": MIN_EVENTS - 1, "median": 0.5, "p95": 9.0},
    }}
    assert expected_error_frames("side", "far", 60, "to", "far-swing", table=t) == 2.5
    assert expected_error_frames("side", "far", 60, "to", "toe-lift", table=t) == 3.5  # every source
    # 120 fps from 60 fps: the same error in ms, so twice the frames; 30 fps from 60: the same frames
    assert expected_error_frames("side", "far", 120, "to", "far-swing", table=t) == 5.0
    assert expected_error_frames("side", "near", 30, "ic", "contact", table=t) == 1.0  # cell too small
    assert math.isnan(expected_error_frames("rear", "either", 60, "ic", "ballistic-blend", table=t))


def test_dropping_rule_in_frames_ms_and_typical_error():
    assert not event_too_uncertain(3.0, 60.0) and event_too_uncertain(3.5, 60.0)
    assert not event_too_uncertain(6.0, 240.0)  # 25 ms: better timed than a good 60 fps event
    assert event_too_uncertain(13.0, 240.0)  # 54 ms
    assert not event_too_uncertain(None, 60.0) and not event_too_uncertain(float("nan"), 60.0)
    # a kind whose typical event is well timed is used despite its tail; one typically off is not
    assert not event_too_uncertain(3.5, 60.0, typical_frames=0.0)
    assert event_too_uncertain(3.5, 60.0, typical_frames=1.5)


def test_bundled_table_names_its_provenance_and_known_sources():
    t = load_table()
    prov = t["provenance"]
    assert prov["commit"] and prov["clips"]
    for key, cell in t["cells"].items():
        view, foot, fps, event, source = key.split("|")
        assert view in ("side", "rear", "front") and foot in ("near", "far", "either")
        assert int(fps) in (30, 60, 120, 240) and event in ("ic", "to")
        assert source == "*" or source in (IC_SOURCES if event == "ic" else TO_SOURCES)
        assert cell["n"] >= 1 and 0 <= cell["median"] <= cell["p95"]


def test_every_detected_event_carries_its_source_and_error():
    tr, _ = make_side_track(fps=60.0, cadence_spm=170.0, facing="left")
    t = _table(side__near__60__ic__contact=(20, 1.0), side__near__60__ic__zeni=(20, 1.5),
               side__near__60__to__toe_lift=(20, 1.0), side__far__60__ic__contact=(20, 2.0),
               side__far__60__ic__zeni=(20, 2.0), side__far__60__to__far_swing=(20, 3.0))
    t["cells"] = {k.replace("toe_lift", "toe-lift").replace("far_swing", "far-swing"): v
                  for k, v in t["cells"].items()}
    ev = detect_events(tr, view="side-left", near_side="left")
    ev = with_expected_errors(ev, view="side-left", near_side="left", fps=60.0, table=t)
    for s in ev.steps:
        want_ic = {"left": {"contact": 1.0, "zeni": 1.5}, "right": {"contact": 2.0, "zeni": 2.0}}[s.side][s.ic_source]
        assert s.ic_error_frames == want_ic
        if s.to_frame < 0:
            assert s.to_error_frames is None
        elif s.side == "left":
            assert s.to_error_frames == 1.0
        else:  # the far swing's own spread is smaller than the table's 3 frames on an exact track
            assert s.to_error_frames == 3.0


def test_no_toe_off_has_no_toe_off_error():
    ev = GaitEvents((Step("left", 10, -1, -1, ic_source="zeni"),), 0.7, "test")
    t = _table(side__near__60__ic__zeni=(20, 1.0), side__near__60__to__x=(20, 1.0))
    s = with_expected_errors(ev, view="side-left", near_side="left", fps=60.0, table=t).steps[0]
    assert s.ic_error_frames == 1.0 and s.to_error_frames is None


def test_an_untimeable_kind_of_event_is_marked_and_the_step_excluded_with_the_reason():
    from gaitvision.measure.steps import _timing_reasons

    ev = GaitEvents((Step("left", 10, 25, 18, ic_source="zeni", to_source="toe-lift"),), 0.7, "test")
    t = _table(side__near__60__ic__zeni=(20, 1.0), side__near__60__to__x=(20, 1.0))
    t["cells"]["side|near|60|to|*"] = {"n": 20, "median": 2.0, "p95": 3.7}
    s = with_expected_errors(ev, view="side-left", near_side="left", fps=60.0, table=t).steps[0]
    assert s.to_error_frames == 3.7
    assert s.untimed.startswith("toe-off not timed reliably in this view and frame rate (bench: 2.0 frames median, "
                                "3.7 frames / 62 ms")
    assert _timing_reasons(s) == [s.untimed]
    assert _timing_reasons(Step("left", 10, 25, 18)) == []


def test_a_moved_event_is_manual_and_loses_the_detectors_error():
    from gaitvision.measure.corrections import MoveEvent, apply_event_moves

    t = np.arange(100) / 60.0
    st = Step("right", 10, 25, 18, ic_source="contact", to_source="far-swing", ic_error_frames=1.0,
              to_error_frames=2.5)
    st = dataclasses.replace(st, untimed="initial contact not timed; toe-off not timed")
    (to_moved,) = apply_event_moves([st], [MoveEvent(1, "to", 28)], t)
    assert to_moved.untimed == "initial contact not timed"
    assert (to_moved.to_frame, to_moved.to_source, to_moved.to_error_frames) == (28, "manual", None)
    assert (to_moved.ic_source, to_moved.ic_error_frames) == ("contact", 1.0)
    (ic_moved,) = apply_event_moves([st], [MoveEvent(1, "ic", 12)], t)
    assert ic_moved.ic_source == "manual" and math.isnan(ic_moved.ic_error_frames)
    assert ic_moved.untimed == "toe-off not timed"
    assert (ic_moved.to_source, ic_moved.to_error_frames) == ("far-swing", 2.5)
