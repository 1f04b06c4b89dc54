"""Throughput of gaitvision on this machine, against the pose model's own floor.

    python bench/throughput.py [--work DIR] [--out docs/performance.md] [--long]

Prepares clips of the length a PT records (cached in --work): the shared real
clip looped to 36 s (720x1280, 30 fps), the rendered side-view runner
upscaled to 1080x1920 at 60 fps and looped to 32 s, and the same runner
interpolated to 240 fps (8 s, 1917 frames). Looping copies the compressed
packets with shifted timestamps (no re-encoding). With ``--long`` it also
runs ``full`` on a 5-minute 1080x1920 30 fps clip, for peak memory. For each
clip it measures, every mode in a fresh process (so peak RSS is that mode's
own):

- ``decode``: decoding to upright RGB only;
- ``pose-1core``: decode + MediaPipe, one inference thread, pinned to one
  core: the floor every other mode is compared with;
- ``pose``: decode + MediaPipe as ``analyze`` runs it (both cores);
- ``pose-outline``: ``pose`` plus MediaPipe's person mask and the knee
  outline, as the pass runs for rear and front clips (the clips here are
  side views; the mask's cost depends on the frame size, not the view);
- ``pose-split``: the clip split in time over two processes (``--workers
  2``; not identical to a single pass near the joins; peak RSS is the main
  process's only);
- ``analyze``: the analysis (decode, pose, metrics, summary.json and
  steps.csv) without the annotated video and report (``--no-video
  --no-report``);
- ``full``: everything the CLI writes (both cores);
- ``full-1core``: everything, pinned to one core;
- ``rerender``: a second ``full`` run on the same output folder (cached
  track: no pose model).

``--startup`` measures only how fast the command starts (issue 13, item 4):
``gaitvision --help`` wall time and the time from starting ``gaitvision
analyze`` to the first frame handed to MediaPipe, each the median (and max)
of 5 fresh processes; ``--write`` puts them into the "Start-up" section of
docs/performance.md, between its bench markers.

and writes a table with wall time, frames per second, wall / clip duration,
wall / one-core pose pass and peak RSS to --out, then the issue-7 targets
for the 1080p60 clip, with the machine, commit and load average.
Timing belongs here, not in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "videos"
MODES = ("decode", "pose-1core", "pose", "pose-outline", "pose-split", "analyze", "full", "full-1core",
         "rerender")
HD = "1080p60 (rendered, upscaled, looped)"
STARTUP_START, STARTUP_END = "<!-- bench/throughput.py startup:start -->", "<!-- bench/throughput.py startup:end -->"


def loop_clip(src: Path, dst: Path, times: int) -> Path:
    """Write ``src`` played ``times`` times in a row, copying its packets (no re-encode)."""
    import av

    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        packets = [p for p in inp.demux(stream) if p.dts is not None]
        step = packets[1].dts - packets[0].dts
        span = packets[-1].dts - packets[0].dts + step
        tmp = dst.with_name(dst.stem + ".partial.mp4")
        with av.open(str(tmp), "w", options={"movflags": "+faststart"}) as out:
            o = out.add_stream_from_template(stream)
            for k in range(times):
                for p in packets:
                    q = av.Packet(bytes(p))
                    q.pts, q.dts = p.pts + k * span, p.dts + k * span
                    q.is_keyframe, q.time_base, q.stream = p.is_keyframe, p.time_base, o
                    out.mux(q)
    tmp.replace(dst)
    return dst


def _prepare(work: Path, long: bool = False) -> dict[str, Path]:
    clips = {}
    real = work / "real_720p30_36s.mp4"
    if not real.exists():
        loop_clip(SHARED / "real" / "treadmill_side_male_30fps.mp4", real, 3)
    clips["720p30 (real, looped)"] = real
    src = SHARED / "synthetic" / "side_rfs_60fps.mp4"
    hd = work / "side_1080p60.mp4"
    if not hd.exists():
        _upscaled(src, hd)
    hd32 = work / "side_1080p60_32s.mp4"
    if not hd32.exists():
        loop_clip(hd, hd32, 4)
    clips[HD] = hd32
    hfr = work / "side_720p240.mp4"
    if not hfr.exists():
        _interpolated_240fps(src, hfr)
    clips["720p240 (rendered, interpolated)"] = hfr
    if long:
        hd30 = work / "side_1080p30.mp4"
        if not hd30.exists():
            _upscaled(src, hd30, every=2)
        long_clip = work / "side_1080p30_5min.mp4"
        if not long_clip.exists():
            loop_clip(hd30, long_clip, 38)
        clips["1080p30, 5 min (looped)"] = long_clip
    return clips


def _upscaled(src: Path, dst: Path, *, every: int = 1) -> None:
    """``src`` scaled to 1080x1920, keeping every ``every``-th frame (2: 60 -> 30 fps)."""
    import cv2

    from gaitvision.io.video import VideoWriter, iter_frames

    with VideoWriter(dst, width=1080, height=1920, crf=20, preset="medium") as w:
        for f in iter_frames(src):
            if f.index % every == 0:
                w.write(cv2.resize(f.image, (1080, 1920), interpolation=cv2.INTER_CUBIC), f.time_s)


def _interpolated_240fps(src: Path, dst: Path) -> None:
    """``src`` (60 fps) at 240 fps, three frames blended between each pair of neighbours."""
    import numpy as np

    from gaitvision.io.video import VideoWriter, iter_frames

    prev = None
    with VideoWriter(dst, width=720, height=1280, crf=20, preset="medium") as w:
        for f in iter_frames(src):
            if prev is not None:
                for k in range(1, 4):  # 60 -> 240 fps by blending neighbours
                    a = k / 4
                    img = ((1 - a) * prev.image + a * f.image).astype(np.uint8)
                    w.write(img, prev.time_s + a * (f.time_s - prev.time_s))
            w.write(f.image, f.time_s)
            prev = f


def _one(mode: str, clip: str, out: str) -> dict:
    """Run one mode in this process and return its numbers."""
    if mode.endswith("1core"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.io.video import iter_frames
    from gaitvision.pipeline import analyze_video
    from gaitvision.pose.blazepose import track_video
    from gaitvision.pose.parallel import track_video_parallel

    if mode == "naive":
        return _naive(clip, out)
    if mode == "report":  # the report rebuilt from a finished folder's cache (`gaitvision report OUT`)
        from gaitvision.report.build import rebuild_report

        t0 = time.perf_counter()
        rebuild_report(out)
        n = json.loads((Path(out) / "summary.json").read_text())["input"]["frames"]
        return {"mode": mode, "frames": n, "wall_s": time.perf_counter() - t0, "peak_rss_mb": _peak_rss_mb()}
    t0 = time.perf_counter()
    if mode == "decode":
        n = sum(1 for _ in iter_frames(clip))
    elif mode == "pose-split":
        n = track_video_parallel(clip, workers=2).n_frames
    elif mode == "pose-outline":
        n = track_video(clip, leg_outline=True).n_frames
    elif mode.startswith("pose"):
        # pinned to one core, the default thread count is 1
        n = track_video(clip).n_frames
    elif mode in ("default", "video"):  # `gaitvision analyze` as a PT runs it; `--video` adds annotated.mp4
        cfg = AnalysisConfig(use_cache=False, render=RenderConfig(video=mode == "video", report=True))
        res = analyze_video(clip, out, cfg, overwrite=True)
        n = res.summary["input"]["frames"]
    else:
        full = mode != "analyze"
        cfg = AnalysisConfig(use_cache=(mode == "rerender"), render=RenderConfig(video=full, report=full))
        res = analyze_video(clip, out, cfg, overwrite=True)
        n = res.summary["input"]["frames"]
    wall = time.perf_counter() - t0
    return {"mode": mode, "frames": n, "wall_s": wall, "peak_rss_mb": _peak_rss_mb()}


def _naive(clip: str, out: str) -> dict:
    """The naive loop, one process: decode -> MediaPipe -> draw the landmarks -> encode (issue 13's yardstick).

    What a first version of any pose-video tool does: every frame decoded
    at full size, through the pose model (its default threads), the 33
    landmarks and the skeleton drawn with OpenCV, and the frame encoded
    (libx264 ``veryfast``, the writer's default).
    """
    import cv2
    import mediapipe as mp
    import numpy as np

    from gaitvision.io.video import VideoWriter, iter_frames, probe_video

    t0 = time.perf_counter()
    meta = probe_video(clip)
    w, h = meta.width - meta.width % 2, meta.height - meta.height % 2
    Path(out).mkdir(parents=True, exist_ok=True)
    n = 0
    edges = list(mp.solutions.pose.POSE_CONNECTIONS)
    with mp.solutions.pose.Pose(model_complexity=1) as pose, \
            VideoWriter(Path(out) / "naive.mp4", width=w, height=h) as writer:
        for f in iter_frames(clip, size_wh=(w, h)):
            res = pose.process(f.image)
            img = np.ascontiguousarray(f.image)
            if res.pose_landmarks is not None:
                pts = [(int(lm.x * w), int(lm.y * h)) for lm in res.pose_landmarks.landmark]
                for a, b in edges:
                    cv2.line(img, pts[a], pts[b], (255, 255, 255), 2)
                for p in pts:
                    cv2.circle(img, p, 4, (40, 120, 255), -1)
            writer.write(img, f.time_s)
            n += 1
    return {"mode": "naive", "frames": n, "wall_s": time.perf_counter() - t0, "peak_rss_mb": _peak_rss_mb()}


def _run_mode(mode: str, clip: Path, out: Path) -> dict | None:
    """``mode`` on ``clip`` in a fresh process (:func:`_one`): its numbers, or None (its error printed)."""
    proc = subprocess.run([sys.executable, __file__, "--one", mode, str(clip), str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM).

    Not ``getrusage().ru_maxrss``: Linux keeps that across ``exec``, so a
    child started by a big parent reports the parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _first_frame_child(clip: str, out: str) -> None:
    """``gaitvision analyze CLIP`` in this process until its first frame reaches MediaPipe.

    Prints ``time.time()`` at two moments as JSON, then ends the process:
    when MediaPipe's pose module has been imported, and when the first frame
    is handed to ``Pose.process``. An import hook wraps ``Pose.process``
    right after MediaPipe defines it, so nothing is imported early. Only
    the standard library is loaded before ``gaitvision.cli``.
    """
    import importlib.abc
    import importlib.util

    stamps: dict[str, float] = {}
    target = "mediapipe.python.solutions.pose"

    def first_frame(self: object, image: object) -> None:
        stamps["first_frame_at"] = time.time()
        stamps["cpu_s"] = time.process_time()  # every thread's CPU time so far: less load-dependent
        print(json.dumps(stamps), flush=True)
        os._exit(0)  # nothing after the first frame is measured

    class _Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target_module: object = None) -> object:
            if name != target:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.loader is not None
            exec_module = spec.loader.exec_module

            def exec_and_wrap(module: object) -> None:
                exec_module(module)  # type: ignore[arg-type]
                stamps["mediapipe_at"] = time.time()
                module.Pose.process = first_frame  # type: ignore[attr-defined]

            spec.loader.exec_module = exec_and_wrap  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _Hook())
    from gaitvision.cli import main as cli_main

    cli_main(["analyze", clip, "--out", out, "--no-cache", "--overwrite", "--quiet"])
    raise SystemExit("gaitvision analyze ended without handing a frame to MediaPipe")


def startup(clip: Path, work: Path, runs: int = 5) -> dict[str, list[float]]:
    """Start-up times over ``runs`` fresh processes each, in seconds.

    ``help``: wall time of ``gaitvision --help`` (the installed command
    beside this Python, else ``python -m gaitvision``); ``first_frame``:
    from starting ``gaitvision analyze CLIP`` to its first frame reaching
    MediaPipe (:func:`_first_frame_child`; includes the interpreter's own
    start); ``mediapipe``: from the start to MediaPipe's pose module loaded;
    ``first_frame_cpu``: the CPU time the process had used by its first frame
    (all threads; it depends less on other work on the machine than wall time).
    """
    script = Path(sys.executable).with_name("gaitvision")
    help_cmd = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "gaitvision", "--help"]
    times: dict[str, list[float]] = {"help": [], "first_frame": [], "mediapipe": [], "first_frame_cpu": []}
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(help_cmd, check=True, capture_output=True)
        times["help"].append(time.perf_counter() - t0)
    for k in range(runs):
        out = work / f"startup-{k}"
        t0 = time.time()
        proc = subprocess.run([sys.executable, __file__, "--first-frame", str(clip), str(out)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"first-frame run failed:\n{proc.stderr[-2000:]}")
        stamps = json.loads(proc.stdout.strip().splitlines()[-1])
        times["first_frame"].append(stamps["first_frame_at"] - t0)
        times["mediapipe"].append(stamps["mediapipe_at"] - t0)
        times["first_frame_cpu"].append(stamps["cpu_s"])
    return times


def _startup_lines(times: dict[str, list[float]], clip: Path) -> list[str]:
    """The start-up table for docs/performance.md."""
    import statistics

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    what = {"help": "`gaitvision --help`, wall", "mediapipe": "`analyze` start to MediaPipe imported",
            "first_frame": f"`analyze {clip.name}` start to first frame given to MediaPipe",
            "first_frame_cpu": "CPU time used by then (all threads)"}
    limit = {"help": 0.5, "first_frame": 1.5}
    lines = [f"`python bench/throughput.py --startup` on commit `{commit}`, {time.strftime('%Y-%m-%d %H:%M')}, "
             f"load average {os.getloadavg()[0]:.1f}, {len(times['help'])} fresh processes each:", "",
             "| measured | median s | max s | target | met |", "|---|---|---|---|---|"]
    for key in ("help", "mediapipe", "first_frame", "first_frame_cpu"):
        v = times[key]
        med = statistics.median(v)
        target = f"<= {limit[key]} s" if key in limit else "—"
        met = ("yes" if med <= limit[key] else "no") if key in limit else "—"
        lines.append(f"| {what[key]} | {med:.2f} | {max(v):.2f} | {target} | {met} |")
    return lines


def _write_section(doc: Path, lines: list[str], markers: tuple[str, str] = (STARTUP_START, STARTUP_END)) -> None:
    """Replace what is between ``markers`` in ``doc`` (default: the start-up section's), leaving the rest."""
    start, end = markers
    text = doc.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{doc}: no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    doc.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail, encoding="utf-8")


#: issue 13's modes, in the order they run (``report`` rebuilds the ``default`` run's folder)
I13_MODES = ("pose", "naive", "video", "default", "report")
I13_START, I13_END = "<!-- bench/throughput.py issue13:start -->", "<!-- bench/throughput.py issue13:end -->"


def issue13(work: Path) -> list[str]:
    """Issue 13's ratios on the 720p30 and 1080p60 clips: each mode once, in a fresh process; the table."""
    from gaitvision.io.video import probe_video

    work.mkdir(parents=True, exist_ok=True)
    real = work / "real_720p30_36s.mp4"
    if not real.exists():
        loop_clip(SHARED / "real" / "treadmill_side_male_30fps.mp4", real, 3)
    hd = work / "side_1080p60.mp4"
    if not hd.exists():
        _upscaled(SHARED / "synthetic" / "side_rfs_60fps.mp4", hd)
    hd32 = work / "side_1080p60_32s.mp4"
    if not hd32.exists():
        loop_clip(hd, hd32, 4)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    lines = [f"`python bench/throughput.py --issue13 --write` on commit `{commit}`, {time.strftime('%Y-%m-%d %H:%M')}, "
             f"load average at the start {os.getloadavg()[0]:.1f}; each mode once, in a fresh process, both cores. "
             "`pose`: decode + MediaPipe as `analyze` runs it; `naive`: one process decoding, running MediaPipe, "
             "drawing the landmarks with OpenCV and encoding every frame (libx264 veryfast); `default`: "
             "`gaitvision analyze` (numbers, stills, plots, report.html; no video); `video`: with `--video`; "
             "`report`: `gaitvision report OUT` on the default run's folder.", "",
             "| clip | frames | s | pose s | naive s | video s | default s | report s | default / pose "
             "| default / naive | video / pose | report / clip s |", "|---" * 12 + "|"]
    for label, clip in (("720p30 (real, looped)", real), (HD, hd32)):
        meta = probe_video(clip)
        out = work / f"i13-{clip.stem}"
        walls: dict[str, float] = {}
        frames = 0
        for mode in I13_MODES:
            r = _run_mode(mode, clip, out)
            if r is None:
                continue
            walls[mode], frames = r["wall_s"], r["frames"]
            print(f"{label} {mode}: {r['wall_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)

        def ratio(a: str, b: str, walls: dict[str, float] = walls) -> str:
            return f"{walls[a] / walls[b]:.2f}" if a in walls and b in walls else "—"

        cells = [f"{walls[m]:.1f}" if m in walls else "—" for m in ("pose", "naive", "video", "default", "report")]
        rep = f"{walls['report'] / meta.duration_s:.2f}" if "report" in walls else "—"
        lines.append(f"| {label} | {frames} | {meta.duration_s:.1f} | {' | '.join(cells)} | {ratio('default', 'pose')} "
                     f"| {ratio('default', 'naive')} | {ratio('video', 'pose')} | {rep} |")
    lines += ["", "Targets (issue 13): default / pose <= 1.15, default / naive <= 0.6, video / pose <= 1.6, "
              "report / clip duration <= 0.1."]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gaitvision-bench")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--long", action="store_true", help="add a 5-minute 1080p clip (full run only)")
    ap.add_argument("--one", nargs=3, metavar=("MODE", "CLIP", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--startup", action="store_true",
                    help="only the start-up times (--help, first frame to MediaPipe), 5 runs each")
    ap.add_argument("--startup-clip", type=Path, default=ROOT / "sample_videos" / "side_left_60fps.mp4")
    ap.add_argument("--write", action="store_true", help="with --startup: put the table into --out's "
                    "Start-up section (between its markers)")
    ap.add_argument("--first-frame", nargs=2, metavar=("CLIP", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--issue13", action="store_true",
                    help="only issue 13's ratios (pose, naive loop, default, --video, report rebuild) on the 720p30 "
                    "and 1080p60 clips; with --write into --out's issue-13 section (between its markers)")
    args = ap.parse_args()
    if args.first_frame:
        _first_frame_child(*args.first_frame)
    if args.one:
        print(json.dumps(_one(*args.one)))
        return
    if args.issue13:
        lines = issue13(args.work)
        print("\n".join(lines))
        if args.write:
            _write_section(args.out, lines, (I13_START, I13_END))
        return
    if args.startup:
        args.work.mkdir(parents=True, exist_ok=True)
        lines = _startup_lines(startup(args.startup_clip, args.work), args.startup_clip)
        print("\n".join(lines))
        if args.write:
            _write_section(args.out, lines)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    clips = _prepare(args.work, long=args.long)
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
             "the two-core modes most). Every mode but `pose-split` is one process (the pose "
             "model runs on several threads), so its peak RSS (VmHWM) is the whole cost.", "",
             "| clip | mode | frames | wall s | fps | x clip | x pose | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    table: dict[str, dict[str, dict]] = {}
    for label, clip in clips.items():
        meta = probe_video(clip)
        out = args.work / f"out-{clip.stem}"
        results = table.setdefault(label, {})
        for mode in (("full",) if "5 min" in label else MODES):
            r = _run_mode(mode, clip, out)
            if r is None:
                continue
            results[mode] = r
            floor = results.get("pose-1core", {}).get("wall_s")
            line = (f"| {label} | {mode} | {r['frames']} | {r['wall_s']:.1f} | {r['frames'] / r['wall_s']:.1f} | "
                    f"{r['wall_s'] / meta.duration_s:.2f} | {r['wall_s'] / floor:.2f} | {r['peak_rss_mb']:.0f} |"
                    if floor else
                    f"| {label} | {mode} | {r['frames']} | {r['wall_s']:.1f} | {r['frames'] / r['wall_s']:.1f} | "
                    f"{r['wall_s'] / meta.duration_s:.2f} | — | {r['peak_rss_mb']:.0f} |")
            lines.append(line)
            print(line, flush=True)
    lines += ["", *_targets(table, clips)]
    print("\n".join(lines[-12:]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


def _targets(table: dict[str, dict[str, dict]], clips: dict[str, Path]) -> list[str]:
    """The issue-7 targets, checked against this run's numbers."""
    from gaitvision.io.video import probe_video

    hd = table.get(HD, {})
    dur = probe_video(clips[HD]).duration_s
    out = ["## Issue-7 targets on this run", "", "| target | measured | met |", "|---|---|---|"]

    def row(what: str, value: float | None, limit: float, fmt: str) -> None:
        if value is None:
            out.append(f"| {what} | not measured | — |")
        else:
            out.append(f"| {what} | {fmt.format(value)} | {'yes' if value <= limit else 'no'} |")

    def wall(mode: str) -> float | None:
        return hd.get(mode, {}).get("wall_s")

    a, f, f1, p1, rr = (wall(m) for m in ("analyze", "full", "full-1core", "pose-1core", "rerender"))
    row("1080p60 analysis, wall / clip duration <= 1.0 (2 cores)", a / dur if a else None, 1.0, "{:.2f}")
    row("1080p60 full run, wall / clip duration <= 1.5", f / dur if f else None, 1.5, "{:.2f}")
    row("full run on one core / pose pass on one core <= 1.2", f1 / p1 if f1 and p1 else None, 1.2,
        "{:.2f}")
    row("re-render from the cached track, wall / clip duration <= 0.5", rr / dur if rr else None, 0.5,
        "{:.2f}")
    long = next((v for k, v in table.items() if "5 min" in k), {})
    rss = long.get("full", {}).get("peak_rss_mb")
    row("peak RSS of a 5-minute 1080p full run <= 1500 MB", rss, 1500, "{:.0f} MB")
    return out


if __name__ == "__main__":
    main()
