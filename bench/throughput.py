"""Throughput of gaitvision on this machine, against the pose model's own floor.

    python bench/throughput.py [--work DIR] [--out docs/performance.md] [--quick]

Prepares three clips (cached in --work): the shared real clip (720x1280,
30 fps), the rendered side-view runner upscaled to 1080x1920 at 60 fps, and
the same runner interpolated to 240 fps. For each it measures, every mode in
a fresh process (so peak RSS is that mode's own):

- ``decode``: decoding to upright RGB only;
- ``pose-1core``: decode + MediaPipe, sequential, pinned to one core (the floor);
- ``analyze``: the full analysis without the annotated video (both cores);
- ``full``: everything the CLI writes (both cores);
- ``full-1core``: everything, pinned to one core;
- ``rerender``: a second ``full`` run on the same output folder (cached track).

and writes a table with wall time, frames per second, wall / clip duration,
full / pose-only and peak RSS to --out, with the machine and commit.
Timing belongs here, not in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "videos"
MODES = ("decode", "pose-1core", "analyze", "full", "full-1core", "rerender")


def _prepare(work: Path) -> dict[str, Path]:
    import cv2

    from gaitvision.io.video import VideoWriter, iter_frames

    clips = {"720p30 (real)": SHARED / "real" / "treadmill_side_male_30fps.mp4"}
    src = SHARED / "synthetic" / "side_rfs_60fps.mp4"
    hd = work / "side_1080p60.mp4"
    if not hd.exists():
        with VideoWriter(hd, width=1080, height=1920, crf=20, preset="medium") as w:
            for f in iter_frames(src):
                w.write(cv2.resize(f.image, (1080, 1920), interpolation=cv2.INTER_CUBIC), f.time_s)
    clips["1080p60 (rendered, upscaled)"] = hd
    hfr = work / "side_720p240.mp4"
    if not hfr.exists():
        prev = None
        with VideoWriter(hfr, width=720, height=1280, crf=20, preset="medium") as w:
            for f in iter_frames(src):
                if prev is not None:
                    for k in range(1, 4):  # 60 -> 240 fps by blending neighbours
                        a = k / 4
                        img = ((1 - a) * prev.image + a * f.image).astype(np.uint8)
                        w.write(img, prev.time_s + a * (f.time_s - prev.time_s))
                w.write(f.image, f.time_s)
                prev = f
    clips["720p240 (rendered, interpolated)"] = hfr
    return clips


def _one(mode: str, clip: str, out: str) -> dict:
    """Run one mode in this process and return its numbers."""
    if mode.endswith("1core"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.io.pose import estimate_poses
    from gaitvision.io.video import iter_frames
    from gaitvision.pipeline import analyze_video

    t0 = time.perf_counter()
    if mode == "decode":
        n = sum(1 for _ in iter_frames(clip))
    elif mode == "pose-1core":
        n = estimate_poses(iter_frames(clip)).n_frames
    else:
        video = mode != "analyze"
        workers = 1 if mode.endswith("1core") else None  # None: one process per core
        cfg = AnalysisConfig(use_cache=(mode == "rerender"), render=RenderConfig(video=video), workers=workers)
        res = analyze_video(clip, out, cfg, overwrite=True)
        n = res.summary["input"]["frames"]
    wall = time.perf_counter() - t0
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"mode": mode, "frames": n, "wall_s": wall, "peak_rss_mb": rss}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gaitvision-bench")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--one", nargs=3, metavar=("MODE", "CLIP", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_one(*args.one)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    clips = _prepare(args.work)
    from gaitvision.io.video import probe_video

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    lines = ["# Performance", "",
             f"Produced by `bench/throughput.py` on commit `{commit}`, {time.strftime('%Y-%m-%d')}: "
             f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
             "Every mode runs in a fresh process; `1core` modes are pinned to one core. "
             "`x clip` is wall time over clip duration (below 1.0 is faster than real time); "
             "`x pose` is wall time over the one-core pose-only pass (the floor). "
             f"Load average at the start: {os.getloadavg()[0]:.1f} (other work on the machine slows "
             "the multi-process modes most). Peak RSS is the largest single process (the "
             "parallel pose workers are not summed).", "",
             "| clip | mode | frames | wall s | fps | x clip | x pose | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    for label, clip in clips.items():
        meta = probe_video(clip)
        out = args.work / f"out-{clip.stem}"
        results = {}
        for mode in MODES:
            proc = subprocess.run([sys.executable, __file__, "--one", mode, str(clip), str(out)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results[mode] = r
            floor = results.get("pose-1core", {}).get("wall_s")
            line = (f"| {label} | {mode} | {r['frames']} | {r['wall_s']:.1f} | {r['frames'] / r['wall_s']:.1f} | "
                    f"{r['wall_s'] / meta.duration_s:.2f} | {r['wall_s'] / floor:.2f} | {r['peak_rss_mb']:.0f} |"
                    if floor else
                    f"| {label} | {mode} | {r['frames']} | {r['wall_s']:.1f} | {r['frames'] / r['wall_s']:.1f} | "
                    f"{r['wall_s'] / meta.duration_s:.2f} | — | {r['peak_rss_mb']:.0f} |")
            lines.append(line)
            print(line, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
