"""The knee outline on the frames that need it (pose.outline_frames): which frames, and the same values.

The segmenter is a stand-in that reads a known outline (MediaPipe's knee
plus a smoothly varying sideways offset, the pose model's bias); the real
segmenter on real frames is tested in tests/integration/test_knee_outline_pass.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.synthetic import make_rear_track

from gaitvision.measurement import measure
from gaitvision.pose.knee_outline import CARRY_HOLD_S
from gaitvision.pose.outline_frames import (
    NEIGHBOURS,
    READ_KEYS,
    add_knee_outline,
    missing_frames,
    peak_frames,
    wanted_frames,
    with_outline,
)

#: The outline's offset from MediaPipe's knee: 3 px (left) / -2 px (right)
#: plus a 1.5 px swing with a 2.5 s period (the bias changes slowly with the
#: leg's pose, as on the rendered runners: 0.2-4.9 px, knee_outline.py).
AMPLITUDE_PX, PERIOD_S = 1.5, 2.5


def _offset(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    swing = AMPLITUDE_PX * np.sin(2 * np.pi * t / PERIOD_S)
    return 3.0 + swing, -2.0 + swing


def _outline_on(track, frames):
    dl, dr = _offset(track.time_s)
    kl, kr = track.landmark("left_knee")[:, 0], track.landmark("right_knee")[:, 0]
    return {int(f): (float(kl[f] + dl[f]), float(kr[f] + dr[f])) for f in frames}


def _values(m, key):
    return {st.step: st.values.get(key) for st in m.table.steps}


@pytest.fixture(scope="module")
def runner():
    return make_rear_track(view="rear", valgus_deg={"left": 9.0, "right": 5.0}, duration_s=8.0)


def test_segments_only_the_peak_frames_and_agrees_with_every_frame(runner):
    n = runner.n_frames
    plain = measure(runner)
    every = measure(with_outline(runner, _outline_on(runner, range(n))))
    calls: list[list[int]] = []

    def segment(track, frames):
        calls.append(list(frames))
        return _outline_on(track, frames)

    track, m, done = add_knee_outline(runner, plain, measure, segment)
    asked = [f for c in calls for f in c]
    # the first call: each step's FPPA and hip-adduction peak frames (measured
    # without the outline) and their neighbours; later calls only frames not asked before
    assert calls[0] == wanted_frames(plain.table.steps, n)
    assert len(asked) == len(set(asked)) == len(done)
    assert len(done) <= (2 * NEIGHBOURS + 1) * len(READ_KEYS) * len(plain.table.steps)
    assert len(done) < 0.35 * n
    # every value is read at a segmented frame
    assert peak_frames(m.table.steps) <= set(done)
    assert missing_frames(m.table.steps, done, n) == []
    # the track holds the outline only there
    seg = np.isfinite(track.landmark("left_knee_outline")[:, 0])
    assert set(np.flatnonzero(seg)) == set(done)
    # the values: the carried offset differs from the true one by at most its
    # change over CARRY_HOLD_S (1.5 px * 2 pi / 2.5 s * 0.1 s = 0.38 px) and
    # only beyond the segmented neighbours, where the 15 Hz low-pass gives
    # little weight; 0.38 px on the 170 px thigh and shank is ~0.13 deg of FPPA,
    # so 0.15 deg bounds every step
    bound_px = AMPLITUDE_PX * 2 * np.pi / PERIOD_S * CARRY_HOLD_S
    tol_deg = np.degrees(bound_px / 170.0) + 0.02
    for key in READ_KEYS:
        a, b = _values(m, key), _values(every, key)
        assert a.keys() == b.keys()
        diffs = [abs(a[s] - b[s]) for s in a if a[s] is not None and b[s] is not None]
        assert len(diffs) == len(a)
        assert max(diffs) <= tol_deg, (key, max(diffs))
    # and the outline moved the values off MediaPipe's knee (the test means something)
    base = _values(plain, "knee_fppa_peak_deg")
    moved = _values(m, "knee_fppa_peak_deg")
    assert np.median([abs(moved[s] - base[s]) for s in base]) > 0.5
    assert m.summary.knee_centre["source"] == "leg outline"
    assert m.summary.knee_centre["outline_fraction"] > 0.5


def test_missing_frames_are_the_new_peaks_and_their_neighbours(runner):
    n = runner.n_frames
    plain = measure(runner)
    first = wanted_frames(plain.table.steps, n)
    assert missing_frames(plain.table.steps, first, n) == []
    peaks = sorted(peak_frames(plain.table.steps))
    # a peak not segmented yet: it and its neighbours, minus what was done
    done = [f for f in first if f != peaks[3]]
    assert missing_frames(plain.table.steps, done, n) == [peaks[3]]
    done = [f for f in first if abs(f - peaks[3]) > NEIGHBOURS]
    todo = missing_frames(plain.table.steps, done, n)
    assert set(todo) == {peaks[3] + d for d in range(-NEIGHBOURS, NEIGHBOURS + 1)} - set(done)


def test_with_outline_keeps_the_landmarks_and_the_row():
    tr = make_rear_track(view="rear")
    out = with_outline(tr, {5: (300.0, np.nan), 7: (301.0, 420.0)})
    np.testing.assert_array_equal(out.xy[:, : tr.xy.shape[1]], tr.xy)
    ol, orr = out.landmark("left_knee_outline"), out.landmark("right_knee_outline")
    assert ol[5, 0] == 300.0 and ol[5, 1] == tr.landmark("left_knee")[5, 1]
    assert np.isnan(orr[5]).all() and orr[7, 0] == 420.0
    assert np.isnan(ol[[0, 6, 8]]).all()
    assert out.landmark_confidence("left_knee_outline")[6] == 0.0
    # adding more keeps what was there
    more = with_outline(out, {6: (299.0, 419.0)})
    assert more.landmark("left_knee_outline")[5, 0] == 300.0 and more.landmark("left_knee_outline")[6, 0] == 299.0
