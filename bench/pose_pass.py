"""Time the decode-only and pose passes on a clip (one process, one core's worth).

    python bench/pose_pass.py CLIP

Prints frames, wall time and frames per second for each. A benchmark, not a
test: timing targets belong here, not in the suite.
"""

from __future__ import annotations

import platform
import sys
import time

from gaitvision.io.video import iter_frames, probe_video
from gaitvision.pose.blazepose import estimate_poses


def main(clip: str) -> None:
    meta = probe_video(clip)
    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(clip))
    decode = time.perf_counter() - t0
    t0 = time.perf_counter()
    track = estimate_poses(iter_frames(clip))
    pose = time.perf_counter() - t0
    print(f"clip: {clip} ({meta.width}x{meta.height}, {meta.frames} frames, {meta.duration_s:.2f} s)")
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"decode only : {n} frames in {decode:6.2f} s = {n / decode:6.1f} fps")
    print(f"decode+pose : {track.n_frames} frames in {pose:6.2f} s = {track.n_frames / pose:6.1f} fps "
          f"({pose / meta.duration_s:.2f}x clip duration)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
