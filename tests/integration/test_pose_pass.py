"""The pose pass on several cores gives the sequential pass's landmarks (issue 7).

Real MediaPipe on the first seconds of the shared real clip. Timing is not
tested here (bench/throughput.py measures it); only that the faster pass
changes nothing.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import shared_clip

from gaitvision.io.video import iter_frames
from gaitvision.pose.blazepose import default_pose_threads, estimate_poses

pytestmark = [pytest.mark.video, pytest.mark.real_pose_pass]

REAL = "real/treadmill_side_male_30fps.mp4"


def test_threaded_pose_pass_gives_the_one_thread_landmarks():
    clip = shared_clip(REAL)
    one = estimate_poses(iter_frames(clip, end_s=2.0), threads=1)
    two = estimate_poses(iter_frames(clip, end_s=2.0), threads=2)
    assert one.n_frames == 60
    np.testing.assert_array_equal(one.time_s, two.time_s)
    np.testing.assert_array_equal(one.xy, two.xy)  # bit-identical, not just close
    np.testing.assert_array_equal(one.confidence, two.confidence)


def test_default_threads_follow_the_cores_this_process_may_use():
    n = default_pose_threads()
    assert 1 <= n <= 4
    assert n == min(4, len(os.sched_getaffinity(0)))
