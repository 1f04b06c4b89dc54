"""The runner's region found automatically (gaitvision.pose.roi.find_runner, auto_crop) and the
frames left out while someone passes in front (gaitvision.clean.person), on exact synthetic tracks.

The stick runner of fixtures.synthetic: hips fixed at (360, 640), torso 250 px, heels 120 px either
side of the hip, 170 steps/min (stride 0.706 s).
"""

import numpy as np
import pytest
from fixtures.synthetic import make_side_track, stride_period_s

from gaitvision.clean.person import HIDDEN_MARGIN_S, follow_one_person
from gaitvision.pose.roi import auto_crop, find_runner

FPS = 60.0


def crossing(track, start, stop, *, scale=1.5, x0=-200.0, x1=1000.0, y=700.0):
    """``track`` with frames [start, stop) replaced by a bigger person walking across the picture.

    The passer-by: the runner's pose frozen (no running rhythm), 1.5x as large (nearer the camera),
    its hips moving from ``x0`` to ``x1`` at a constant speed, as the pose model reports when it
    follows someone crossing in front.
    """
    xy = track.xy.copy()
    still = (track.xy[start] - (360.0, 640.0)) * scale
    for k, i in enumerate(range(start, stop)):
        xy[i] = still + (x0 + (x1 - x0) * k / max(stop - start - 1, 1), y)
    return track.replace(xy=xy)


def test_the_runner_alone_is_found_and_nothing_is_cropped():
    tr, _ = make_side_track(fps=FPS, duration_s=6.0)
    r = find_runner(tr)
    assert r is not None
    assert r.stride_s == pytest.approx(stride_period_s(170.0), abs=1.5 / FPS)
    assert r.home_px == pytest.approx((360.0, 640.0), abs=4.0) and r.torso_px == pytest.approx(250.0, abs=2)
    assert r.at_home.all()
    x, y, w, h = r.roi  # every landmark inside, with the margin
    pts = tr.xy[np.isfinite(tr.xy[..., 0])]
    assert x < pts[:, 0].min() - 100 and x + w > pts[:, 0].max() + 100
    assert y < pts[:, 1].min() - 100 and y + h > pts[:, 1].max() + 100
    assert auto_crop(tr) is None  # nobody else: the full-frame pass is kept
    kept, check = follow_one_person(tr)
    assert kept is tr and check.frames_dropped == 0 and check.hidden == [] and check.warnings == []


def test_someone_crossing_in_front_is_not_measured():
    tr, _ = make_side_track(fps=FPS, duration_s=8.0)
    start, stop = 240, 300  # 4.0-5.0 s: the model follows the passer-by
    two = crossing(tr, start, stop)
    r = find_runner(two)
    assert r is not None and r.home_px == pytest.approx((360.0, 640.0), abs=4.0)
    assert not r.at_home[start:stop].any() and r.at_home[:start].all() and r.at_home[stop:].all()
    crop = auto_crop(two)
    assert crop is not None and crop.roi == r.roi  # the passer-by is outside the region most of the way
    kept, check = follow_one_person(two)
    gone = np.isnan(kept.xy[:, 23, 0])
    margin = int(round(HIDDEN_MARGIN_S * FPS))
    assert gone[start - margin:stop + margin].all()
    assert not gone[:start - margin].any() and not gone[stop + margin:].any()
    assert np.array_equal(kept.xy[stop + margin:], tr.xy[stop + margin:], equal_nan=True)  # re-acquired
    assert check.hidden == [pytest.approx((start / FPS - HIDDEN_MARGIN_S, (stop - 1) / FPS + HIDDEN_MARGIN_S),
                                          abs=1.01 / FPS)]
    assert check.frames_dropped == stop - start + 2 * margin
    assert any("passed in front of the runner" in w for w in check.warnings)
    assert check.to_dict()["hidden_s"] == [[round(a, 3), round(b, 3)] for a, b in check.hidden]


def test_a_short_return_between_two_passes_is_left_out_too():
    tr, _ = make_side_track(fps=FPS, duration_s=8.0)
    two = crossing(crossing(tr, 200, 240), 250, 290)  # back at the place for 10 frames only (< 0.3 s)
    kept, check = follow_one_person(two)
    assert np.isnan(kept.xy[200:290, 23, 0]).all() and len(check.hidden) == 1


def test_a_passer_by_inside_the_region_gives_no_second_pass():
    tr, _ = make_side_track(fps=FPS, duration_s=8.0)
    near = crossing(tr, 240, 300, scale=1.0, x0=170.0, x1=550.0, y=640.0)  # slowly through the runner's place
    r = find_runner(near)
    assert r is not None and not r.at_home[240:300].all() and r.at_home[260:280].all()
    x, _, w, _ = r.roi
    assert x < 170 and x + w > 550
    assert auto_crop(near) is None  # its hips never leave the region: a crop would not keep it out


def test_two_runners_at_their_own_places_are_left_to_the_jump_check():
    tr, _ = make_side_track(fps=FPS, duration_s=8.0)
    xy = tr.xy.copy()
    xy[240:, :, 0] += 300  # from 4 s the model is on a second treadmill runner 300 px to the right
    two = tr.replace(xy=xy)
    assert find_runner(two) is not None
    assert auto_crop(two) is None
    kept, check = follow_one_person(two)
    assert check.switches and check.hidden == []  # the jump check keeps one of them, as before


def test_no_running_rhythm_no_runner():
    tr, _ = make_side_track(fps=FPS, duration_s=6.0)
    xy = tr.xy.copy()
    xy[:] = tr.xy[0]  # someone standing still
    assert find_runner(tr.replace(xy=xy)) is None
    short, _ = make_side_track(fps=FPS, duration_s=1.0)  # too short to tell
    assert find_runner(short) is None
    empty = tr.replace(xy=np.full_like(tr.xy, np.nan), confidence=np.zeros_like(tr.confidence))
    assert find_runner(empty) is None and auto_crop(empty) is None
