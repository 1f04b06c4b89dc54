#!/usr/bin/env python3
"""Calibration bench: a grid of rendered runners with exact truth, measured, for the uncertainty model.

Stages (``python bench/calibrate.py STAGE``):

- ``list``     the grid (name, split, synth options), nothing run;
- ``render``   render the clips the cache misses with ``gaitvision synth`` (one at a time, one core);
- ``analyze``  ``gaitvision analyze`` every rendered clip (``--threads 1``, no video, no report);
- ``all``      render and analyse clip by clip (each clip analysed right after it is rendered);
- ``cases``    write ``cases.json``: per clip its split, conditions, truth per metric and side,
  per-event truth frames and the analysis status;
- ``fit``      the error model: ``bench/calibrate_fit.py``'s ``main(argv)`` on this cache's cases.json.

The grid (:func:`build_grid`) is deterministic: clips come in pairs that share the main camera
or gait condition and differ in body, side or strike; within each view class and frame rate the
clips alternate ``fit`` / ``validate``, so both halves span the conditions. Seeds start at
:data:`SEED0` (the tests and ``bench/accuracy.py`` use the default seed 0). The render order
(:func:`render_order`) interleaves the views and the two halves, so a partial run is useful.

Clips go to ``CACHE/clips``, analyses to ``CACHE/out/NAME``, per-clip timings and statuses to
``CACHE/status/NAME.json`` (default cache ``bench/.cache/calib``, ignored by git). Rendering and
analysis run as ``nice -n 10`` subprocesses with one thread each. Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.accuracy import METRICS, SIZE, _metrics_2d_from_summary  # noqa: E402
from bench.events import near_side  # noqa: E402

DEFAULT_CACHE = ROOT / "bench" / ".cache" / "calib"
SEED0 = 1000
CASES_FORMAT = "gaitvision-calib-cases/1"

#: synth defaults the names leave out (gaitvision synth --help)
DEFAULTS: dict[str, Any] = {
    "fps": 60, "sex": "male", "body_height": 0.45, "body_weight": 0.5, "strike": "rearfoot",
    "cadence": 164, "duty_factor": 0.35, "distance": 2.5, "camera_height": 1.0, "aim_height": 1.05,
    "yaw": 0, "roll": 0, "motion_blur": 1, "noise": 2, "valgus": (0, 0), "pelvic_drop": (0, 0),
}

# ----------------------------------------------------------------------------- the grid
#: side views (22): pairs share the camera placement / gait condition of the pair
_SIDE: list[dict[str, Any]] = [
    # 60 fps
    {"view": "side-left", "fps": 60},
    {"view": "side-right", "fps": 60, "sex": "female", "body_height": 0.3, "strike": "midfoot", "cadence": 170},
    {"view": "side-left", "fps": 60, "yaw": 20, "strike": "forefoot", "cadence": 176},
    {"view": "side-right", "fps": 60, "yaw": 20, "sex": "female", "body_weight": 0.3},
    {"view": "side-right", "fps": 60, "yaw": -10, "roll": 3, "body_height": 0.7, "strike_angle": 22},
    {"view": "side-left", "fps": 60, "yaw": 10, "roll": -3, "sex": "female", "strike": "midfoot", "cadence": 158},
    {"view": "side-left", "fps": 60, "distance": 2.0, "camera_height": 0.5, "aim_height": 0.8, "valgus": (6, 2),
     "pelvic_drop": (4, 2), "duty_factor": 0.40},
    {"view": "side-right", "fps": 60, "distance": 2.0, "camera_height": 0.6, "aim_height": 0.85,
     "sex": "female", "body_weight": 0.75, "strike": "forefoot", "cadence": 182, "duty_factor": 0.30},
    {"view": "side-left", "fps": 60, "distance": 4.5, "camera_height": 1.6, "roll": 6, "noise": 5, "cadence": 150},
    {"view": "side-right", "fps": 60, "distance": 4.0, "camera_height": 1.4, "roll": -6, "sex": "female",
     "body_height": 0.2, "strike_angle": 8, "cadence": 168},
    # 30 fps
    {"view": "side-left", "fps": 30, "motion_blur": 4},
    {"view": "side-right", "fps": 30, "motion_blur": 4, "sex": "female", "strike": "midfoot", "cadence": 174},
    {"view": "side-right", "fps": 30, "yaw": 5, "distance": 3.5, "noise": 4, "body_weight": 0.8},
    {"view": "side-left", "fps": 30, "yaw": -5, "distance": 3.0, "noise": 4, "sex": "female", "strike": "forefoot",
     "cadence": 180},
    {"view": "side-left", "fps": 30, "camera_height": 1.5, "roll": 3, "strike_angle": 25, "cadence": 156,
     "duty_factor": 0.40},
    {"view": "side-right", "fps": 30, "camera_height": 0.7, "aim_height": 0.9, "roll": -3, "sex": "female",
     "body_height": 0.65, "motion_blur": 3},
    # 120 fps
    {"view": "side-left", "fps": 120, "yaw": -5, "strike": "midfoot", "cadence": 166},
    {"view": "side-right", "fps": 120, "yaw": 5, "sex": "female", "strike": "forefoot", "cadence": 178},
    {"view": "side-right", "fps": 120, "distance": 3.0, "camera_height": 0.8, "body_height": 0.6, "roll": 3},
    {"view": "side-left", "fps": 120, "distance": 3.5, "camera_height": 1.2, "sex": "female", "roll": -3,
     "motion_blur": 2},
    # 240 fps
    {"view": "side-left", "fps": 240, "cadence": 172},
    {"view": "side-right", "fps": 240, "sex": "female", "strike": "midfoot", "yaw": 10, "cadence": 176},
]

#: rear views (19)
_REAR: list[dict[str, Any]] = [
    # 60 fps
    {"view": "rear", "fps": 60},
    {"view": "rear", "fps": 60, "sex": "female", "valgus": (3, 3), "pelvic_drop": (2, 2), "body_height": 0.3},
    {"view": "rear", "fps": 60, "valgus": (12, 4), "pelvic_drop": (5, 5)},
    {"view": "rear", "fps": 60, "valgus": (4, 12), "pelvic_drop": (3, 6), "sex": "female", "strike": "forefoot",
     "cadence": 178},
    {"view": "rear", "fps": 60, "yaw": 15, "valgus": (10, 4), "pelvic_drop": (4, 2)},
    {"view": "rear", "fps": 60, "yaw": 15, "valgus": (6, 10), "pelvic_drop": (2, 4), "sex": "female",
     "body_weight": 0.3, "cadence": 172},
    {"view": "rear", "fps": 60, "yaw": 8, "roll": 3, "valgus": (14, 14), "pelvic_drop": (7, 7), "body_weight": 0.8},
    {"view": "rear", "fps": 60, "yaw": 8, "roll": -3, "valgus": (8, 0), "pelvic_drop": (6, 1), "sex": "female",
     "body_height": 0.7, "cadence": 158},
    {"view": "rear", "fps": 60, "distance": 4.5, "camera_height": 1.6, "valgus": (12, 6), "pelvic_drop": (5, 3),
     "roll": 6, "cadence": 150},
    {"view": "rear", "fps": 60, "distance": 2.0, "camera_height": 0.5, "aim_height": 0.8, "valgus": (5, 9),
     "pelvic_drop": (1, 5), "roll": -6, "sex": "female", "noise": 5},
    # 30 fps
    {"view": "rear", "fps": 30, "valgus": (8, 8), "pelvic_drop": (4, 4), "motion_blur": 4},
    {"view": "rear", "fps": 30, "valgus": (2, 10), "pelvic_drop": (0, 5), "motion_blur": 4, "sex": "female",
     "cadence": 176},
    {"view": "rear", "fps": 30, "distance": 3.5, "camera_height": 0.7, "aim_height": 0.9, "valgus": (10, 10),
     "pelvic_drop": (3, 3), "noise": 4, "duty_factor": 0.40, "cadence": 160},
    {"view": "rear", "fps": 30, "distance": 3.0, "camera_height": 1.3, "valgus": (0, 6), "pelvic_drop": (7, 2),
     "sex": "female", "body_weight": 0.75, "duty_factor": 0.30, "cadence": 184},
    # 120 fps
    {"view": "rear", "fps": 120, "valgus": (10, 4), "pelvic_drop": (3, 3), "strike": "midfoot", "cadence": 168},
    {"view": "rear", "fps": 120, "valgus": (4, 8), "pelvic_drop": (5, 2), "sex": "female", "body_height": 0.6},
    {"view": "rear", "fps": 120, "yaw": 8, "distance": 3.0, "valgus": (12, 12), "pelvic_drop": (2, 6), "roll": 3,
     "motion_blur": 2},
    {"view": "rear", "fps": 120, "yaw": 15, "distance": 4.0, "camera_height": 1.4, "valgus": (6, 0),
     "pelvic_drop": (4, 0), "sex": "female", "cadence": 176},
    # 240 fps
    {"view": "rear", "fps": 240, "valgus": (9, 4), "pelvic_drop": (4, 2), "cadence": 170},
]

#: front views (8)
_FRONT: list[dict[str, Any]] = [
    # 60 fps
    {"view": "front", "fps": 60, "valgus": (10, 3), "pelvic_drop": (4, 4)},
    {"view": "front", "fps": 60, "valgus": (3, 10), "pelvic_drop": (2, 5), "sex": "female", "cadence": 174},
    {"view": "front", "fps": 60, "yaw": 15, "valgus": (12, 6), "pelvic_drop": (3, 3), "roll": 3, "distance": 3.5},
    {"view": "front", "fps": 60, "yaw": 8, "valgus": (0, 0), "pelvic_drop": (6, 0), "roll": -3, "sex": "female",
     "camera_height": 1.5, "body_weight": 0.3},
    # 30 fps
    {"view": "front", "fps": 30, "valgus": (8, 8), "pelvic_drop": (3, 3), "motion_blur": 4},
    {"view": "front", "fps": 30, "valgus": (14, 5), "pelvic_drop": (5, 1), "sex": "female", "noise": 4,
     "camera_height": 0.7, "aim_height": 0.9, "cadence": 160},
    # 120 fps
    {"view": "front", "fps": 120, "valgus": (6, 12), "pelvic_drop": (2, 4), "strike": "forefoot", "cadence": 180},
    {"view": "front", "fps": 120, "yaw": 8, "valgus": (11, 11), "pelvic_drop": (4, 4), "sex": "female",
     "distance": 3.0, "body_height": 0.65},
]

_SHORT = {"rearfoot": "rfs", "midfoot": "mfs", "forefoot": "ffs"}


def view_class(view: str) -> str:
    """'side' for both side views, else the view."""
    return "side" if view.startswith("side") else view


def duration(opts: dict[str, Any]) -> float:
    """Clip length: 3 s at 240 fps, 4 s at >= 120 fps, else 6 s side and 5 s rear/front views."""
    fps = opts.get("fps", 60)
    if fps >= 240:
        return 3.0
    if fps >= 120:
        return 4.0
    return 6.0 if opts["view"].startswith("side") else 5.0


def clip_name(index: int, opts: dict[str, Any]) -> str:
    """A name that carries the clip's main conditions (only those that differ from the synth defaults)."""
    parts = [f"c{index:02d}", opts["view"], f"{opts.get('fps', 60)}fps",
             "f" if opts.get("sex") == "female" else "m", _SHORT[opts.get("strike", "rearfoot")]]
    if "strike_angle" in opts:
        parts.append(f"sa{opts['strike_angle']:g}")
    if "valgus" in opts:
        parts.append("val{}-{}".format(*opts["valgus"]))
    if "pelvic_drop" in opts:
        parts.append("drop{}-{}".format(*opts["pelvic_drop"]))
    for key, tag in (("yaw", "yaw"), ("roll", "roll"), ("distance", "d"), ("camera_height", "h"),
                     ("cadence", "cad"), ("duty_factor", "df"), ("body_height", "bh"), ("body_weight", "bw"),
                     ("noise", "n")):
        if key in opts:
            parts.append(f"{tag}{opts[key]:g}")
    if opts.get("motion_blur", 1) > 1:
        parts.append(f"blur{opts['motion_blur']}")
    return "_".join(parts)


def build_grid() -> list[dict[str, Any]]:
    """The calibration grid: dicts with ``name``, ``split``, ``seed``, ``duration`` and ``opts`` (synth options).

    Within each (view class, fps) class the clips alternate ``fit``, ``validate`` in grid order; the
    grid lists them in pairs that share the main condition, so each half gets one of every pair.
    """
    grid: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], int] = {}
    for i, opts in enumerate([*_SIDE, *_REAR, *_FRONT]):
        cls = (view_class(opts["view"]), int(opts.get("fps", 60)))
        k = seen.get(cls, 0)
        seen[cls] = k + 1
        grid.append({"name": clip_name(i, opts), "split": "fit" if k % 2 == 0 else "validate",
                     "seed": SEED0 + i, "duration": duration(opts), "opts": dict(opts)})
    return grid


def _fair_merge(queues: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Merge queues in proportion to their lengths (each queue's k-th item at about k/len), earlier queues first."""
    taken = [0] * len(queues)
    out: list[dict[str, Any]] = []
    while len(out) < sum(map(len, queues)):
        i = min((i for i, q in enumerate(queues) if taken[i] < len(q)),
                key=lambda i: ((taken[i] + 0.5) / len(queues[i]), i))
        out.append(queues[i][taken[i]])
        taken[i] += 1
    return out


def render_order(grid: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order to render in, so that a partial set spans views, halves and frame rates.

    Per (view class, split) the frame rates are merged in proportion (60, 30, 120 fps; 240 fps, the
    dearest renders, last), grid order kept within a frame rate; then the six queues (side/rear/front x
    fit/validate) are merged in proportion, so the views finish together and fit and validate alternate.
    """
    queues: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in grid:
        queues.setdefault((view_class(c["opts"]["view"]), c["split"]), []).append(c)
    merged = []
    for v in ("side", "rear", "front"):
        for s in ("fit", "validate"):
            q = queues.get((v, s), [])
            by_fps = [[c for c in q if c["opts"].get("fps", 60) == f] for f in (60, 30, 120)]
            rest = [c for c in q if c["opts"].get("fps", 60) not in (60, 30, 120)]
            if q:
                merged.append(_fair_merge([g for g in by_fps if g]) + rest)
    return _fair_merge(merged)


def synth_args(clip: dict[str, Any], out: Path) -> list[str]:
    """``gaitvision synth`` arguments for a grid clip."""
    args = [str(out), "--size", f"{SIZE[0]}x{SIZE[1]}", "--duration", f"{clip['duration']:g}",
            "--seed", str(clip["seed"]), "--quiet"]
    for k, v in clip["opts"].items():
        args += ["--" + k.replace("_", "-"), ",".join(str(x) for x in v) if isinstance(v, tuple) else str(v)]
    return args


# ----------------------------------------------------------------------------- running
def _log(msg: str) -> None:
    print(f"[{_dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def _one_core_env() -> dict[str, str]:
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
              "TORCH_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        env[k] = "1"
    return env


def _nice() -> list[str]:
    return ["nice", "-n", "10"] if shutil.which("nice") else []


def _status_path(cache: Path, name: str) -> Path:
    return cache / "status" / f"{name}.json"


def read_status(cache: Path, name: str) -> dict[str, Any]:
    """The clip's recorded render/analysis times and statuses ({} before its first run)."""
    p = _status_path(cache, name)
    return json.loads(p.read_text()) if p.exists() else {}


def _write_status(cache: Path, name: str, **fields: Any) -> None:
    st = read_status(cache, name)
    st.update(fields)
    p = _status_path(cache, name)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(st, indent=1))


def clip_paths(cache: Path, clip: dict[str, Any]) -> tuple[Path, Path]:
    """(clip .mp4, its truth JSON) in the cache."""
    mp4 = cache / "clips" / f"{clip['name']}.mp4"
    return mp4, mp4.with_name(mp4.stem + ".truth.json")


def is_rendered(cache: Path, clip: dict[str, Any], args: list[str] | None = None) -> bool:
    """Truth present, the clip complete (every frame in the truth), and rendered with these arguments."""
    mp4, truth = clip_paths(cache, clip)
    key = mp4.with_name(mp4.stem + ".args.json")
    if not (mp4.exists() and truth.exists() and key.exists() and mp4.stat().st_size > 0):
        return False
    if args is not None and json.loads(key.read_text()) != args:
        return False
    try:
        doc = json.loads(truth.read_text())
    except ValueError:
        return False
    want = int(round(clip["duration"] * clip["opts"].get("fps", 60)))
    return int(doc.get("video", {}).get("n_frames", -1)) == want


#: synth's room is a box of this half-size around the runner: a camera at or beyond its wall sees only the wall
ROOM_HALF_SIZE = 4.0


def room_half_size(clip: dict[str, Any]) -> float:
    """The room for a clip: synth's default, or 2 m beyond the camera when the camera would be behind its wall.

    The camera sits ``distance`` from the runner, turned by ``yaw`` about it; the walls are
    axis-aligned, so the camera's largest coordinate is ``distance * max(|cos yaw|, |sin yaw|)``.
    """
    d = float(clip["opts"].get("distance", DEFAULTS["distance"]))
    yaw = math.radians(float(clip["opts"].get("yaw", 0.0)))
    reach = d * max(abs(math.cos(yaw)), abs(math.sin(yaw)))
    return ROOM_HALF_SIZE if reach <= ROOM_HALF_SIZE else round(d + 2.0, 2)


def _base_spec(cache: Path, supersample: int, room: float = ROOM_HALF_SIZE) -> Path:
    """A partial synth spec: the supersampling and, where it differs from synth's, the room size.

    Every other value is synth's default (the grid's options override them on the command line).
    """
    spec: dict[str, Any] = {"render": {"supersample": supersample}}
    name = f"base_spec_ss{supersample}"
    if room != ROOM_HALF_SIZE:
        spec["scene"] = {"room_half_size_m": room}
        name += f"_room{room:g}"
    p = cache / f"{name}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(spec))
    return p


def render_one(clip: dict[str, Any], a: argparse.Namespace) -> tuple[bool, str]:
    """Render ``clip`` unless the cache holds it; (rendered now, one-line status)."""
    mp4, _ = clip_paths(a.cache, clip)
    args = synth_args(clip, mp4) + ["--spec", str(_base_spec(a.cache, a.supersample, room_half_size(clip)))]
    if is_rendered(a.cache, clip, args):
        return False, "cached"
    mp4.parent.mkdir(parents=True, exist_ok=True)
    cmd = [*_nice(), *a.synth, "synth", *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=_one_core_env(), capture_output=True, text=True)
    secs = round(time.perf_counter() - t0, 1)
    if p.returncode != 0:
        reason = _last_line(p.stderr or p.stdout)
        _write_status(a.cache, clip["name"], render_status="failed", render_reason=reason, render_seconds=secs)
        return True, f"render failed: {reason}"
    mp4.with_name(mp4.stem + ".args.json").write_text(json.dumps(args))
    _write_status(a.cache, clip["name"], render_status="ok", render_seconds=secs, render_reason=None,
                  rendered_at=_dt.datetime.now().isoformat(timespec="seconds"))
    return True, f"rendered in {secs:.0f} s"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no message"


def analysis_dir(cache: Path, clip: dict[str, Any]) -> Path:
    return cache / "out" / str(clip["name"])


def analyze_one(clip: dict[str, Any], a: argparse.Namespace) -> str:
    """``gaitvision analyze`` a rendered clip (a failure is recorded with its reason, not raised)."""
    mp4, _ = clip_paths(a.cache, clip)
    if not is_rendered(a.cache, clip):
        return "not rendered"
    out = analysis_dir(a.cache, clip)
    st = read_status(a.cache, clip["name"])
    if (not a.reanalyze and st.get("analysis_status") in ("ok", "failed")
            and st.get("analysed_clip_mtime") == mp4.stat().st_mtime):
        return f"analysis cached ({st['analysis_status']})"
    cmd = [*_nice(), *a.analyzer, "analyze", str(mp4), "--out", str(out), "--no-video", "--no-report",
           "--threads", "1", "--quiet", "--overwrite"]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=_one_core_env(), capture_output=True, text=True)
    secs = round(time.perf_counter() - t0, 1)
    ok = p.returncode == 0 and (out / "summary.json").exists()
    reason = None if ok else _last_line(p.stderr or p.stdout)
    _write_status(a.cache, clip["name"], analysis_status="ok" if ok else "failed", analysis_reason=reason,
                  analysis_exit=p.returncode, analysis_seconds=secs, analysed_clip_mtime=mp4.stat().st_mtime,
                  analysed_at=_dt.datetime.now().isoformat(timespec="seconds"))
    return f"analysed in {secs:.0f} s" if ok else f"analysis failed (exit {p.returncode}): {reason}"


def _selected(a: argparse.Namespace) -> list[dict[str, Any]]:
    clips = render_order(build_grid())
    if a.only:
        clips = [c for c in clips if a.only in c["name"]]
    if a.split:
        clips = [c for c in clips if c["split"] == a.split]
    return clips[: a.limit] if a.limit else clips


def run_clips(a: argparse.Namespace, *, render: bool, analyze: bool) -> int:
    """Render and/or analyse the selected clips one by one, in the render order."""
    clips = _selected(a)
    for i, clip in enumerate(clips, 1):
        tag = f"{i}/{len(clips)} {clip['name']} ({clip['split']})"
        if render:
            _log(f"{tag}: render")
            _, msg = render_one(clip, a)
            _log(f"{tag}: {msg}")
        if analyze:
            _log(f"{tag}: analyse")
            _log(f"{tag}: {analyze_one(clip, a)}")
            write_cases(a, quiet=True)  # a partial grid is usable at any time
    return 0


# ----------------------------------------------------------------------------- cases
def conditions(clip: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Every condition of a rendered clip, from the truth's resolved spec (the grid's options as rendered)."""
    sp = truth["spec"]
    cam, gait, body, rend = sp["camera"], sp["gait"], sp["body"], sp["render"]
    return {
        "view": cam["view"], "view_class": view_class(cam["view"]), "fps": float(truth["video"]["fps"]),
        "duration_s": float(truth["video"]["duration_s"]), "n_frames": int(truth["video"]["n_frames"]),
        "width": int(truth["video"]["width"]), "height": int(truth["video"]["height"]),
        "yaw_deg": cam["yaw_deg"], "roll_deg": cam["roll_deg"], "distance_m": cam["distance_m"],
        "camera_height_m": cam["height_m"], "aim_height_m": cam["aim_height_m"],
        "focal_mm_equiv": cam["focal_mm_equiv"], "motion_blur_samples": rend["motion_blur_samples"],
        "noise_sigma": rend["noise_sigma"], "supersample": rend["supersample"], "crf": rend["crf"],
        "room_half_size_m": sp["scene"]["room_half_size_m"],
        "seed": rend["seed"], "strike": gait["strike"], "strike_angle_deg": gait["strike_angle_deg"],
        "sex": "female" if body["gender"] >= 0.5 else "male", "body": dict(body),
        "stature_m": truth.get("model", {}).get("stature_m"), "cadence_spm": gait["cadence_spm"],
        "duty_factor": gait["duty_factor"], "speed_mps": gait["speed_mps"], "step_width_m": gait["step_width_m"],
        "valgus_deg": {"left": gait["valgus_deg"]["L"], "right": gait["valgus_deg"]["R"]},
        "pelvic_drop_deg": {"left": gait["pelvic_drop_deg"]["L"], "right": gait["pelvic_drop_deg"]["R"]},
        "grid_options": {k: list(v) if isinstance(v, tuple) else v for k, v in clip["opts"].items()},
    }


def truth_of(truth: dict[str, Any]) -> dict[str, Any]:
    """Truth per metric and side (bench/accuracy.py's METRICS keys), cadence, events per foot, per-contact steps."""
    summ = truth["summary"]
    m2 = summ.get("metrics_2d") or _metrics_2d_from_summary(summ)
    metrics = {k: {"left": m2[k].get("left"), "right": m2[k].get("right"), "unit": unit}
               for k, unit in METRICS.items() if k in m2}
    events = {side: {"ic_frame": ev["ic_frame_mesh"], "to_frame": ev["to_frame_mesh"],
                     "ic_time_s": ev["ic_time_s"], "to_time_s": ev["to_time_s"]}
              for side, ev in (("left", truth["events"]["L"]), ("right", truth["events"]["R"]))}
    steps = [{**st, "side": "left" if st["side"] == "L" else "right"} for st in truth.get("steps", [])]
    per_side = {"left": summ.get("L", {}), "right": summ.get("R", {})}
    clip_level = {k: v for k, v in summ.items() if k not in ("L", "R", "metrics_2d")}
    return {"cadence_spm": summ["cadence_spm"], "metrics": metrics, "events": events, "steps": steps,
            "per_side_summary": per_side, "clip_summary": clip_level, "model": truth.get("model", {})}


def found_of(out: Path) -> dict[str, Any] | None:
    """The analysis' clip-level results (summary.json), or None if there is none."""
    p = out / "summary.json"
    if not p.exists():
        return None
    s = json.loads(p.read_text())
    return {"view": s.get("view"), "cadence_spm": s.get("cadence_spm"), "steps_detected": s.get("steps_detected"),
            "input": s.get("input"), "metrics": s.get("metrics", {}), "not_measurable": s.get("not_measurable", {}),
            "warnings": s.get("warnings", [])}


def _feet(view: str) -> dict[str, Any]:
    if not view.startswith("side"):
        return {"near_side": None, "far_side": None, "foot_role": {"left": "left", "right": "right"}}
    near = near_side(view)
    far = "right" if near == "left" else "left"
    return {"near_side": near, "far_side": far, "foot_role": {near: "near", far: "far"}}


def case(clip: dict[str, Any], cache: Path) -> dict[str, Any]:
    """One clip's record in cases.json (``rendered`` False and no truth when it is not rendered yet)."""
    mp4, tpath = clip_paths(cache, clip)
    st = read_status(cache, clip["name"])
    out = analysis_dir(cache, clip)
    rec: dict[str, Any] = {"name": clip["name"], "split": clip["split"], "seed": clip["seed"],
                           "clip_path": str(mp4), "truth_path": str(tpath), "analysis_dir": str(out),
                           "rendered": is_rendered(cache, clip),
                           **_feet(clip["opts"]["view"])}
    rec["render"] = {"status": st.get("render_status"), "reason": st.get("render_reason"),
                     "seconds": st.get("render_seconds")}
    rec["analysis"] = {"status": st.get("analysis_status"), "reason": st.get("analysis_reason"),
                       "exit": st.get("analysis_exit"), "seconds": st.get("analysis_seconds")}
    if not rec["rendered"]:
        rec["conditions"] = {"grid_options": {k: list(v) if isinstance(v, tuple) else v
                                              for k, v in clip["opts"].items()}}
        return rec
    truth = json.loads(tpath.read_text())
    rec["conditions"] = conditions(clip, truth)
    rec["truth"] = truth_of(truth)
    rec["found"] = found_of(out) if st.get("analysis_status") == "ok" else None
    return rec


def print_errors(rec: dict[str, Any]) -> None:
    """One clip's found - truth per metric and side (a quick look; the fit stage does the real comparison)."""
    found = rec.get("found") or {}
    print(f"{rec['name']} ({rec['split']}): analysis {rec['analysis']['status']}"
          f"{' - ' + str(rec['analysis']['reason']) if rec['analysis']['reason'] else ''}")
    if not found:
        return
    cad = found.get("cadence_spm")
    print(f"  view {found.get('view')} (true {rec['conditions']['view']}), cadence {cad} "
          f"(true {rec['truth']['cadence_spm']}), steps {found.get('steps_detected')}")
    for key, tv in rec["truth"]["metrics"].items():
        m = found["metrics"].get(key)
        if not m:
            continue
        cells = []
        for side in ("left", "right"):
            fv, t = (m.get(side) or {}).get("median"), tv.get(side)
            if fv is None or t is None:
                continue
            role = rec["foot_role"][side]
            cells.append(f"{role} {fv:.3g} vs {t:.3g} ({fv - t:+.3g}, {(m.get(side) or {}).get('confidence')})")
        print(f"  {key:30s} " + "; ".join(cells))


def _git() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stage_cases(a: argparse.Namespace) -> int:
    """Write ``CACHE/cases.json`` (and every ``--cases`` path): one record per grid clip."""
    write_cases(a, quiet=False)
    return 0


def write_cases(a: argparse.Namespace, *, quiet: bool) -> None:
    """Write cases.json for the selected clips (atomically: readers never see half a file)."""
    clips = _selected(a)
    cases = [case(c, a.cache) for c in clips]
    doc = {"format": CASES_FORMAT, "generated": _dt.datetime.now().isoformat(timespec="seconds"),
           "commit": _git(), "cache": str(a.cache), "metrics": METRICS,
           "n_clips": len(cases), "n_rendered": sum(c["rendered"] for c in cases),
           "n_analysed": sum(c["analysis"]["status"] == "ok" for c in cases),
           "n_failed": sum(c["analysis"]["status"] == "failed" for c in cases), "clips": cases}
    if a.verbose and not quiet:
        for rec in cases:
            if rec["rendered"]:
                print_errors(rec)
    text = json.dumps(doc, indent=1, allow_nan=False)
    for p in [a.cache / "cases.json", *a.cases]:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(p)
        if not quiet:
            print(f"wrote {p}: {doc['n_clips']} clips, {doc['n_rendered']} rendered, "
                  f"{doc['n_analysed']} analysed, {doc['n_failed']} failed")
    if not quiet:
        print_progress(cases)


def print_progress(cases: list[dict[str, Any]]) -> None:
    """Per view class, fps and split: clips, rendered, analysed, failed, and the median render/analysis time."""
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for c in cases:
        o = c["conditions"].get("grid_options", {})
        groups.setdefault((view_class(o["view"]), int(o.get("fps", 60)), c["split"]), []).append(c)
    print("view  fps  split     clips rendered analysed failed  render s  analysis s (medians)")
    for k in sorted(groups):
        g = groups[k]
        rs = sorted(c["render"]["seconds"] for c in g if c["render"]["seconds"])
        an = sorted(c["analysis"]["seconds"] for c in g if c["analysis"]["seconds"])
        print(f"{k[0]:5s} {k[1]:3d}  {k[2]:8s} {len(g):5d} {sum(c['rendered'] for c in g):8d} "
              f"{sum(c['analysis']['status'] == 'ok' for c in g):8d} "
              f"{sum(c['analysis']['status'] == 'failed' for c in g):6d} "
              f"{rs[len(rs) // 2] if rs else '-':>9} {an[len(an) // 2] if an else '-':>11}")


# ----------------------------------------------------------------------------- stages
def stage_list(a: argparse.Namespace) -> int:
    """Print the grid in the render order, with the counts per view class, frame rate and split."""
    order = _selected(a)
    for i, c in enumerate(order, 1):
        print(f"{i:2d} {c['split']:8s} {c['name']}")
        if a.verbose:
            print("   gaitvision synth " + " ".join(synth_args(c, Path(c["name"] + ".mp4"))))
    counts: dict[tuple[str, int, str], int] = {}
    for c in order:
        k = (view_class(c["opts"]["view"]), int(c["opts"].get("fps", 60)), c["split"])
        counts[k] = counts.get(k, 0) + 1
    print(f"\n{len(order)} clips, {sum(c['duration'] * c['opts'].get('fps', 60) for c in order):.0f} frames")
    for k in sorted(counts):
        print(f"  {k[0]:5s} {k[1]:3d} fps {k[2]:8s} {counts[k]}")
    return 0


def stage_fit(a: argparse.Namespace, rest: list[str]) -> int:
    """The error model: ``bench/calibrate_fit.py``'s ``main(argv)`` on this cache's cases.json.

    Options after ``fit`` that this script does not know go to ``calibrate_fit`` (e.g. ``--no-write``).
    """
    try:
        fit = importlib.import_module("calibrate_fit")
    except ModuleNotFoundError as err:
        if err.name != "calibrate_fit":
            raise
        print("bench/calibrate_fit.py is missing: the fit stage is not written yet", file=sys.stderr)
        return 2
    argv = rest if "--cases" in rest else ["--cases", str(a.cache / "cases.json"), *rest]
    return int(fit.main(argv) or 0)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("stage", choices=("list", "render", "analyze", "all", "cases", "fit"))
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                   help="clips/, out/, status/ and cases.json go here (default bench/.cache/calib)")
    p.add_argument("--only", default=None, help="only clips whose name contains this")
    p.add_argument("--split", choices=("fit", "validate"), default=None, help="only this half")
    p.add_argument("--limit", type=int, default=None, help="only the first N clips of the render order")
    p.add_argument("--synth", type=shlex.split, default=[sys.executable, "-m", "gaitvision"],
                   help="command that runs gaitvision with the synth extra (default: this Python)")
    p.add_argument("--analyzer", type=shlex.split, default=[sys.executable, "-m", "gaitvision"],
                   help="command that runs gaitvision for the analyses (default: this Python)")
    p.add_argument("--supersample", type=int, choices=(1, 2, 3), default=1,
                   help="renderer supersampling (synth's default is 2; 1 renders ~2x faster)")
    p.add_argument("--reanalyze", action="store_true", help="analyse again even if the status says done")
    p.add_argument("--cases", type=Path, action="append", default=[],
                   help="also write cases.json here (repeatable)")
    p.add_argument("--verbose", action="store_true",
                   help="list: print the synth command lines too; cases: print found - truth per clip")
    return p


def main(argv: list[str] | None = None) -> int:
    a, rest = _parser().parse_known_args(argv)
    if a.stage == "fit":
        return stage_fit(a, rest)
    if rest:
        _parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if a.stage == "list":
        return stage_list(a)
    a.cache.mkdir(parents=True, exist_ok=True)
    if a.cache.resolve().is_relative_to((ROOT / "bench" / ".cache").resolve()):
        (ROOT / "bench" / ".cache" / ".gitignore").write_text("*\n")
    if a.stage == "cases":
        return stage_cases(a)
    return run_clips(a, render=a.stage in ("render", "all"), analyze=a.stage in ("analyze", "all"))


if __name__ == "__main__":
    sys.exit(main())
