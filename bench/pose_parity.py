"""Do the faster pose passes give the sequential pass's answer?

    python bench/pose_parity.py CLIP [CLIP ...]

For each clip, runs the pose pass three ways: sequential with one inference
thread (the reference), sequential with the default threads (what
``gaitvision analyze`` does), and split in time over two processes
(``--workers 2``). Prints how far the landmarks, the gait events and every
per-side median metric are from the reference. The bar (issue 7): same
events, metrics within 0.5 degrees.
"""

from __future__ import annotations

import sys

import numpy as np

from gaitvision.measurement import measure
from gaitvision.pose.blazepose import default_pose_threads, track_video
from gaitvision.pose.parallel import track_video_parallel

LEG = [23, 24, 25, 26, 27, 28, 29, 30, 31, 32]


def _medians(m) -> dict[str, float]:
    out = {"cadence_spm": m.summary.get("cadence_spm")}
    for key, val in (m.summary.get("metrics") or {}).items():
        for side in ("left", "right"):
            med = (val.get(side) or {}).get("median") if isinstance(val, dict) else None
            if isinstance(med, (int, float)):
                out[f"{key}.{side}"] = float(med)
    return out


def _events(m) -> dict[str, np.ndarray]:
    """Event frames per side and kind (-1: not found)."""
    return {f"{kind}.{side}": np.array([getattr(s, kind) for s in m.events.of_side(side)])
            for side in ("left", "right") for kind in ("ic_frame", "to_frame")}


def compare(clip: str) -> None:
    ref = track_video(clip, threads=1)
    runs = {f"threads={default_pose_threads()}": track_video(clip),
            "workers=2": track_video_parallel(clip, workers=2)}
    m_ref = measure(ref)
    med_ref, ev_ref = _medians(m_ref), _events(m_ref)
    print(f"\n{clip}: {ref.n_frames} frames")
    for name, tr in runs.items():
        same_t = tr.n_frames == ref.n_frames and np.array_equal(tr.time_s, ref.time_s)
        d = np.linalg.norm(tr.xy[:, LEG] - ref.xy[:, LEG], axis=2)
        print(f"  {name}: frames/timestamps identical: {same_t}; leg landmarks |d| px: "
              f"max {np.nanmax(d):.2f}, median {np.nanmedian(d):.3f}, "
              f"frames differing {int(np.sum(np.nanmax(d, axis=1) > 0))}")
        m = measure(tr)
        ev = _events(m)
        for k, a in ev_ref.items():
            b = ev[k]
            if len(a) != len(b):
                print(f"    events {k}: {len(b)} vs {len(a)} in the reference")
            else:
                print(f"    events {k}: n={len(a)}, frames differing: {int(np.sum(a != b))}")
        med = _medians(m)
        worst = max(((abs(med[k] - v), k) for k, v in med_ref.items()
                     if k in med and v is not None and med[k] is not None), default=(0.0, "-"))
        print(f"    metric medians: largest difference {worst[0]:.3f} ({worst[1]})")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for c in sys.argv[1:]:
        compare(c)
