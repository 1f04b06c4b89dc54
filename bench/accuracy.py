#!/usr/bin/env python3
"""Accuracy bench: gaitvision's metrics against exact truth, and what camera placement costs.

Renders (or reuses) a grid of synthetic clips across view x frame rate x
knee valgus x foot-strike pattern x camera placement with ``gaitvision
synth``, runs the full pipeline (``gaitvision.pipeline.analyze_video``,
real MediaPipe) on each, compares every metric with its truth, adds the
shared clips that have truth (``../shared/videos``), and writes
``docs/accuracy.md`` with the commit and machine it ran on.

Usage (needs the ``synth`` extra to render; cached clips are reused)::

    python bench/accuracy.py                    # the whole grid -> docs/accuracy.md
    python bench/accuracy.py --only rear        # grid rows whose name contains 'rear'
    python bench/accuracy.py --score CLIP.mp4   # one rendered clip: error per metric, printed
    python bench/accuracy.py --list             # the grid, without running anything

Renders are cached in ``bench/.cache/`` (ignored by git through a
``.gitignore`` the bench writes there) or ``--cache DIR``; analyses are
redone unless ``--reuse-analysis``. Timing is reported here, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "videos"
DEFAULT_CACHE = ROOT / "bench" / ".cache"
SIZE = (540, 960)
SECONDS = 4.0        # rear/front views
SIDE_SECONDS = 6.0   # side views: the pipeline leaves out some steps, keep >= 3 per side

#: the grid: name -> synth options (on top of the defaults: rearfoot, 164 spm, camera 2.5 m / 1.0 m)
GRID: dict[str, dict[str, Any]] = {
    "side_60_rfs": {"view": "side-left", "fps": 60},
    "side_30_rfs_blur": {"view": "side-left", "fps": 30, "motion_blur": 4},
    "side_120_rfs": {"view": "side-left", "fps": 120, "duration": 4.0},
    "side_60_mfs": {"view": "side-left", "fps": 60, "strike": "midfoot"},
    "side_60_ffs": {"view": "side-left", "fps": 60, "strike": "forefoot", "cadence": 176},
    "side_right_60_rfs": {"view": "side-right", "fps": 60},
    "side_60_rfs_yaw15": {"view": "side-left", "fps": 60, "yaw": 15},
    "side_60_rfs_low": {"view": "side-left", "fps": 60, "camera_height": 0.5, "aim_height": 0.8},
    "side_60_rfs_far": {"view": "side-left", "fps": 60, "distance": 4.0},
    "rear_60_valgus": {"view": "rear", "fps": 60, "valgus": (12, 4), "pelvic_drop": (5, 5)},
    "rear_60_neutral": {"view": "rear", "fps": 60},
    "rear_30_valgus_blur": {"view": "rear", "fps": 30, "valgus": (8, 8), "motion_blur": 4},
    "rear_60_valgus_yaw15": {"view": "rear", "fps": 60, "valgus": (12, 4), "yaw": 15},
    "rear_60_valgus_high": {"view": "rear", "fps": 60, "valgus": (12, 4), "camera_height": 1.6},
    "rear_60_valgus_far": {"view": "rear", "fps": 60, "valgus": (12, 4), "distance": 4.0},
    "front_60_valgus": {"view": "front", "fps": 60, "valgus": (10, 3), "pelvic_drop": (4, 4)},
    # more front views, so that front-view events are not judged on one clip
    "front_60_neutral": {"view": "front", "fps": 60},
    "front_30_valgus_blur": {"view": "front", "fps": 30, "valgus": (8, 8), "motion_blur": 4},
    "front_60_valgus_high": {"view": "front", "fps": 60, "valgus": (12, 4), "camera_height": 1.6},
}

#: outputs.md metric -> (truth key in summary.metrics_2d, unit of the error)
METRICS = {
    "foot_strike_angle_deg": "deg", "knee_flexion_ic_deg": "deg", "knee_flexion_peak_stance_deg": "deg",
    "shank_angle_ic_deg": "deg", "heel_to_hip_ic_pct_leg": "% leg", "trunk_lean_deg": "deg",
    "vertical_oscillation_pct_leg": "% leg", "contact_time_s": "s", "flight_time_s": "s",
    "duty_factor": "", "knee_fppa_peak_deg": "deg", "pelvic_drop_peak_deg": "deg",
    "hip_adduction_peak_deg": "deg", "step_width_pct_hip": "% hip",
}
LEG = {23: 24, 25: 26, 27: 28, 29: 30, 31: 32}
MP_NAMES = {23: "left_hip", 24: "right_hip", 25: "left_knee", 26: "right_knee", 27: "left_ankle",
            28: "right_ankle", 29: "left_heel", 30: "right_heel", 31: "left_foot_index",
            32: "right_foot_index"}


# ----------------------------------------------------------------------------- rendering
def synth_args(name: str, opts: dict[str, Any], out: Path) -> list[str]:
    default = SIDE_SECONDS if opts.get("view", "side-left").startswith("side") else SECONDS
    args = [str(out), "--size", f"{SIZE[0]}x{SIZE[1]}", "--duration", str(opts.get("duration", default)),
            "--quiet"]
    for k, v in opts.items():
        if k == "duration":
            continue
        flag = "--" + k.replace("_", "-")
        args += [flag, ",".join(str(x) for x in v) if isinstance(v, tuple) else str(v)]
    return args


def render(name: str, opts: dict[str, Any], cache: Path) -> tuple[Path, float | None]:
    """The cached clip of a grid row, rendering it if the cache misses."""
    clip = cache / f"{name}.mp4"
    key = cache / f"{name}.args.json"
    args = synth_args(name, opts, clip)
    if clip.exists() and key.exists() and json.loads(key.read_text()) == args:
        return clip, None
    from gaitvision.synth.cli import add_synth_parser, run_synth

    parser = argparse.ArgumentParser(prog="gaitvision")
    add_synth_parser(parser.add_subparsers(dest="command"))
    t0 = time.perf_counter()
    rc = run_synth(parser.parse_args(["synth", *args]))
    if rc != 0:
        raise SystemExit(f"rendering {name} failed (exit {rc})")
    key.write_text(json.dumps(args))
    return clip, time.perf_counter() - t0


# ----------------------------------------------------------------------------- scoring
def _nearest_err(found: list[int], truth: list[int | None]) -> list[int]:
    t = np.array([f for f in truth if f is not None])
    return [int(np.min(np.abs(t - f))) for f in found] if len(t) else []


#: outputs.md metric -> per-side summary key of truth files without ``metrics_2d`` (the
#: team's earlier renders in ../shared/videos/synthetic)
_SUMMARY_KEYS = {"knee_flexion_ic_deg": "knee_flexion_ic_deg_2d",
                 "foot_strike_angle_deg": "foot_strike_angle_deg_2d",
                 "knee_fppa_peak_deg": "fppa_peak_deg_2d",
                 "pelvic_drop_peak_deg": "pelvic_drop_peak_deg_2d",
                 "contact_time_s": "contact_time_s"}


def _metrics_2d_from_summary(summary: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    out = {}
    for key, sk in _SUMMARY_KEYS.items():
        lv, rv = summary.get("L", {}).get(sk), summary.get("R", {}).get(sk)
        if lv is not None or rv is not None:
            out[key] = {"left": lv, "right": rv}
    return out


def score(clip: Path, truth: dict[str, Any], out_dir: Path, *, reuse: bool = False) -> dict[str, Any]:
    """Analyse ``clip`` and compare every metric with ``truth``."""
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.io.tracks import load_track
    from gaitvision.pipeline import analyze_video

    t0 = time.perf_counter()
    res = analyze_video(clip, out_dir, AnalysisConfig(render=RenderConfig(video=False),
                                                      use_cache=reuse), overwrite=True)
    seconds = time.perf_counter() - t0
    s = res.summary
    raw, _ = load_track(out_dir / "track.npz")
    names = list(raw.landmark_names)
    detected = (np.isfinite(raw.xy[:, names.index("left_hip"), 0])
                & np.isfinite(raw.xy[:, names.index("left_ankle"), 0]))
    out: dict[str, Any] = {"view_found": s["view"], "view_true": truth["camera"]["view"],
                           "fps": truth["video"]["fps"],
                           "frames": int(raw.n_frames), "detection_rate": float(detected.mean()),
                           "analysis_seconds": round(seconds, 1), "metrics": {}, "events": {}}
    lm2 = truth.get("landmarks_2d_px", {})
    if lm2:
        out.update(_landmark_errors(raw, lm2))
    out["leg_swaps_fixed"] = int(res.measurement.n_leg_swaps_fixed)
    out["events"] = _event_errors(res.measurement.table.rows, truth)
    out["events"].update(_contact_errors(res.measurement, truth))
    cad_true = truth["summary"]["cadence_spm"]
    out["cadence"] = {"found": s["cadence_spm"], "true": cad_true,
                      "error_pct": round(100 * (s["cadence_spm"] - cad_true) / cad_true, 2)
                      if s["cadence_spm"] else None}
    m2 = truth["summary"].get("metrics_2d") or _metrics_2d_from_summary(truth["summary"])
    out["metrics"] = _metric_errors(s["metrics"], m2)
    return out


def _landmark_errors(raw: Any, lm2: dict[str, Any]) -> dict[str, Any]:
    """Raw MediaPipe leg landmarks vs the projected truth: median error and left/right swapped frames."""
    names = list(raw.landmark_names)
    errs = []
    for i, nm in MP_NAMES.items():
        t = np.array(lm2[str(i)])[: raw.n_frames]
        e = np.linalg.norm(raw.xy[:, names.index(nm)] - t, axis=1)
        errs.append(e)
    errs = np.array(errs)
    leg = np.median(np.linalg.norm(np.array(lm2["23"]) - np.array(lm2["27"]), axis=1))
    keep = sw = 0.0
    for a, b in LEG.items():
        ta, tb = np.array(lm2[str(a)])[: raw.n_frames], np.array(lm2[str(b)])[: raw.n_frames]
        ma, mb = raw.xy[:, names.index(MP_NAMES[a])], raw.xy[:, names.index(MP_NAMES[b])]
        keep = keep + np.linalg.norm(ma - ta, axis=1) + np.linalg.norm(mb - tb, axis=1)
        sw = sw + np.linalg.norm(ma - tb, axis=1) + np.linalg.norm(mb - ta, axis=1)
    swapped = sw < keep
    return {"landmark_median_px": round(float(np.nanmedian(errs)), 1),
            "landmark_median_pct_leg": round(float(100 * np.nanmedian(errs) / leg), 1),
            "lr_swapped_frames_raw": int(np.nansum(swapped))}


def _event_errors(rows: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    """Per side: contacts used and true, and the median frame error of IC and TO."""
    fps = truth["video"]["fps"]
    out = {}
    for side, S in (("left", "L"), ("right", "R")):
        used = [r for r in rows if r["side"] == side and not r["excluded_reason"]]
        ev = truth["events"][S]
        e_ic = _nearest_err([r["ic_frame"] for r in used if r.get("ic_frame") is not None],
                            ev["ic_frame_mesh"])
        e_to = _nearest_err([r["to_frame"] for r in used if r.get("to_frame") not in (None, "")],
                            ev["to_frame_mesh"])
        out[side] = {
            "n_used": len(used), "n_true": len([f for f in ev["ic_frame_mesh"] if f is not None]),
            "ic_median_frames": float(np.median(e_ic)) if e_ic else None,
            "to_median_frames": float(np.median(e_to)) if e_to else None,
            "ic_median_ms": round(1000 * float(np.median(e_ic)) / fps, 1) if e_ic else None,
        }
    return out


def _contact_errors(m: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """Signed per-contact IC/TO errors (frames) and contact-time errors (ms): used steps and all detected."""
    from bench.events import contact_errors, detected_steps

    used = [r for r in m.table.rows if not r["excluded_reason"]]
    detected = detected_steps(m.events.steps)
    return {"contacts_used": contact_errors(used, truth), "contacts_all": contact_errors(detected, truth)}


def _metric_errors(metrics: dict[str, Any], m2: dict[str, Any]) -> dict[str, Any]:
    """Per metric with a truth: per side found, true and error (gaitvision's median minus the truth)."""
    out = {}
    for key, unit in METRICS.items():
        if key not in m2 or key not in metrics:
            continue
        m = metrics[key]
        row = {"unit": unit, "source": m.get("source")}
        for side in ("left", "right"):
            tv, mv = m2[key].get(side), m.get(side, {}).get("median")
            if tv is None or mv is None:
                continue
            row[side] = {"found": round(mv, 3), "true": round(tv, 3), "error": round(mv - tv, 3),
                         "confidence": m[side].get("confidence")}
        out[key] = row
    return out


# ----------------------------------------------------------------------------- report
def _git() -> str:
    try:
        h = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gaitvision"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return h + (" + uncommitted changes in gaitvision/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


def _versions() -> str:
    out = []
    for mod in ("gaitvision", "mediapipe", "anny", "torch", "numpy"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            out.append(f"{mod} (not installed)")
    return ", ".join(out)


def _fmt(v: float | None, nd: int = 1) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:+.{nd}f}"


def _describe(opts: dict[str, Any]) -> str:
    parts = [opts.get("view", "side-left"), f"{opts.get('fps', 60)} fps", opts.get("strike", "rearfoot")]
    if "valgus" in opts:
        parts.append(f"valgus {opts['valgus'][0]}/{opts['valgus'][1]}")
    if "pelvic_drop" in opts:
        parts.append(f"drop {opts['pelvic_drop'][0]}/{opts['pelvic_drop'][1]}")
    if "yaw" in opts:
        parts.append(f"camera yaw {opts['yaw']}°")
    if "camera_height" in opts:
        parts.append(f"camera {opts['camera_height']} m high")
    if "distance" in opts:
        parts.append(f"camera {opts['distance']} m away")
    if "motion_blur" in opts:
        parts.append("motion blur")
    if "cadence" in opts:
        parts.append(f"{opts['cadence']} spm")
    return ", ".join(parts)


def _near_side(opts: dict[str, Any]) -> str:
    """The foot nearer the camera in a side view (side-left: the runner's left)."""
    return "right" if opts.get("view") == "side-right" else "left"


def write_report(results: dict[str, dict[str, Any]], path: Path, started: float) -> None:
    keys = [k for k in METRICS if any(k in r.get("metrics", {}) for r in results.values())]
    L = [*_report_header(started), *_events_table(results), *_contact_tables(results),
         *_metrics_table(results, keys),
         *_grid_summary(results, keys), *_placement_table(results), *_conditions_table(results)]
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = _events_section(path)
    path.write_text("\n".join(L) + "\n" + (f"\n{kept}\n" if kept else ""), encoding="utf-8")


def _events_section(path: Path) -> str:
    """The section ``bench/events.py --docs`` wrote into ``path`` (kept when this report is rewritten)."""
    from bench.events import DOC_BEGIN, DOC_END

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if DOC_BEGIN not in text or DOC_END not in text:
        return ""
    return DOC_BEGIN + text.split(DOC_BEGIN, 1)[1].split(DOC_END, 1)[0] + DOC_END


def _report_header(started: float) -> list[str]:
    return [
        "# Accuracy against exact truth\n",
        "Generated by `python bench/accuracy.py` — do not edit by hand.\n",
        f"- Commit: `{_git()}`; run {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
        f"{(time.time() - started) / 60:.0f} min.",
        f"- Machine: {_machine()}.",
        f"- Versions: {_versions()}.",
        f"- Synthetic clips: `gaitvision synth`, {SIZE[0]}x{SIZE[1]}, {SIDE_SECONDS:g} s side views "
        f"(120 fps: 4 s), {SECONDS:g} s rear/front views, "
        "camera 2.5 m away and 1.0 m high unless stated; truth = the clip's `*.truth.json` "
        "(2D metrics from the projected exact landmarks with the definitions of metrics.md; "
        "contact-time angles = value at the first video frame in contact).",
        "- Error = gaitvision's per-side median minus the truth's per-side mean; events = "
        "median |frame difference| between each detected contact and the nearest true one "
        "(first frame the shoe touches the belt).\n",
        "Accuracy bars (metrics issue): events ≤ 1 frame median, knee FPPA ≤ 3°, strike angle ≤ 3° "
        "(near foot), pelvic drop ≤ 2°, cadence ≤ 1 %.\n",
    ]


def _events_table(results: dict[str, dict[str, Any]]) -> list[str]:
    L = ["## Detection and events\n",
         "| clip | condition | frames | MediaPipe detected | landmark error (median px / % leg) | "
         "L/R swapped frames (raw MediaPipe) | swaps 'fixed' by cleaning | view found | cadence error | "
         "contacts L / R (used/true) | IC error L / R (frames) | TO error L / R (frames) |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if "error" in r:
            why = r["error"].split(": ", 2)[-1].split(". ")[0].replace("|", "/")
            L.append(f"| {name} | {r.get('condition', '')} | – | analysis failed: {why} |" + " |" * 8)
            continue
        ev = r["events"]
        L.append(
            f"| {name} | {r.get('condition', '')} | {r['frames']} | {100 * r['detection_rate']:.1f} % | "
            f"{r.get('landmark_median_px', '–')} / {r.get('landmark_median_pct_leg', '–')} | "
            f"{r.get('lr_swapped_frames_raw', '–')} | {r['leg_swaps_fixed']} | "
            f"{r['view_found']}{'' if r['view_found'] == r['view_true'] else ' (wrong)'} | "
            f"{_fmt(r['cadence']['error_pct'], 2)} % | "
            f"{ev['left']['n_used']}/{ev['left']['n_true']} , {ev['right']['n_used']}/{ev['right']['n_true']} | "
            f"{_fmt(ev['left']['ic_median_frames'], 1)} / {_fmt(ev['right']['ic_median_frames'], 1)} | "
            f"{_fmt(ev['left']['to_median_frames'], 1)} / {_fmt(ev['right']['to_median_frames'], 1)} |")
    L.append("")
    return L


def _contact_tables(results: dict[str, dict[str, Any]]) -> list[str]:
    """Per view and foot, over every contact of the synthetic grid: |error| median and 95th percentile."""
    from bench.events import table

    grid = {n: r for n, r in results.items() if n in GRID and "events" in r}
    return ["## Event timing per contact (synthetic grid)\n",
            "Every contact pooled (not per-clip medians): |found − true| in frames of the clip, "
            "bias = median signed error (+ = late); contact time = TO time − IC time against the exact "
            "contact time, in ms. Steps the step table uses:\n",
            *table(grid, "contacts_used"), "", "The same per frame rate:\n",
            *table(grid, "contacts_used", by_fps=True), "", "Every step the detector returned:\n",
            *table(grid, "contacts_all"), ""]


def _metrics_table(results: dict[str, dict[str, Any]], keys: list[str]) -> list[str]:
    L = ["## Metric error per condition (found − truth, left / right)\n",
         "| clip | " + " | ".join(f"{k} ({METRICS[k] or '-'})" for k in keys) + " |",
         "|---|" + "---|" * len(keys)]
    for name, r in results.items():
        cells = []
        for k in keys:
            m = r.get("metrics", {}).get(k)
            if not m:
                cells.append("")
                continue
            nd = 3 if METRICS[k] in ("s", "") else 1
            lv, rv = m.get("left", {}).get("error"), m.get("right", {}).get("error")
            src = f" ({m['source']})" if m.get("source") else ""
            cells.append(f"{_fmt(lv, nd)} / {_fmt(rv, nd)}{src}")
        L.append(f"| {name} | " + " | ".join(cells) + " |")
    L.append("")
    return L


def _grid_summary(results: dict[str, dict[str, Any]], keys: list[str]) -> list[str]:
    L = ["## Summary over the synthetic grid\n",
         "Strike angle: near foot only (the far foot is low confidence by design).\n",
         "| metric | clips | median abs error | max abs error | within bar |",
         "|---|---|---|---|---|"]
    bars = {"foot_strike_angle_deg": 3.0, "knee_fppa_peak_deg": 3.0, "pelvic_drop_peak_deg": 2.0}
    for k in keys:
        errs = [abs(v["error"]) for n, r in results.items() if n in GRID and k in r.get("metrics", {})
                for side, v in r["metrics"][k].items() if side in ("left", "right")
                and not (k == "foot_strike_angle_deg" and side != _near_side(GRID[n]))]
        if not errs:
            continue
        bar = bars.get(k)
        within = f"{sum(e <= bar for e in errs)}/{len(errs)} (≤ {bar:g})" if bar else "–"
        L.append(f"| {k} | {len(errs)} | {np.median(errs):.2f} | {max(errs):.2f} | {within} |")
    grid = {n: r for n, r in results.items() if n in GRID}
    ic = [r["events"][s]["ic_median_frames"] for r in grid.values() if "events" in r
          for s in ("left", "right") if r["events"][s]["ic_median_frames"] is not None]
    cad = [abs(r["cadence"]["error_pct"]) for r in grid.values()
           if r.get("cadence", {}).get("error_pct") is not None]
    det = [r["detection_rate"] for r in grid.values() if "detection_rate" in r]
    if ic:
        L.append(f"| initial contact (frames, per side) | {len(ic)} | {np.median(ic):.1f} | {max(ic):.1f} | "
                 f"{sum(e <= 1 for e in ic)}/{len(ic)} (≤ 1) |")
    if cad:
        L.append(f"| cadence (%) | {len(cad)} | {np.median(cad):.2f} | {max(cad):.2f} | "
                 f"{sum(e <= 1 for e in cad)}/{len(cad)} (≤ 1) |")
    if det:
        L.append(f"\nMediaPipe detected the runner in {100 * min(det):.1f}–{100 * max(det):.1f} % of frames "
                 f"({sum(d >= 0.99 for d in det)}/{len(det)} clips ≥ 99 %).")
    return L


#: baseline grid row -> the rows that differ from it only in camera placement
_PLACEMENTS = (("side_60_rfs", ("side_60_rfs_yaw15", "side_60_rfs_low", "side_60_rfs_far")),
               ("rear_60_valgus", ("rear_60_valgus_yaw15", "rear_60_valgus_high", "rear_60_valgus_far")))


def _placement_table(results: dict[str, dict[str, Any]]) -> list[str]:
    L = ["\n## Camera placement\n",
         "Rows of the grid that differ from a baseline only in camera placement "
         "(see `docs/camera_setup.md` for the recipe to simulate your own):\n",
         "| baseline | placement | metric | baseline error L / R | placement error L / R |",
         "|---|---|---|---|---|"]
    for base, variants in _PLACEMENTS:
        if base not in results or "metrics" not in results[base]:
            continue
        for v in variants:
            if v not in results or "metrics" not in results[v]:
                continue
            for k in ("foot_strike_angle_deg", "knee_flexion_ic_deg", "knee_fppa_peak_deg", "pelvic_drop_peak_deg"):
                a, b = results[base]["metrics"].get(k), results[v]["metrics"].get(k)
                if not a or not b:
                    continue
                fa = f"{_fmt(a.get('left', {}).get('error'))} / {_fmt(a.get('right', {}).get('error'))}"
                fb = f"{_fmt(b.get('left', {}).get('error'))} / {_fmt(b.get('right', {}).get('error'))}"
                L.append(f"| {base} | {_describe(GRID[v])} | {k} | {fa} | {fb} |")
    return L


def _conditions_table(results: dict[str, dict[str, Any]]) -> list[str]:
    L = ["\n## Conditions\n", "| clip | condition | render s | analysis s |", "|---|---|---|---|"]
    for name, r in results.items():
        L.append(f"| {name} | {r.get('condition', '')} | {r.get('render_seconds') or 'cached'} | "
                 f"{r.get('analysis_seconds', '–')} |")
    return L


def shared_clips() -> dict[str, tuple[Path, dict[str, Any]]]:
    """Shared clips with truth: the rendered ones (full truth) and the real one (cadence)."""
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    for truth in sorted((SHARED / "synthetic").glob("*.truth.json")):
        clip = truth.with_name(truth.name.replace(".truth.json", ".mp4"))
        if clip.exists():
            out[f"shared/{clip.stem}"] = (clip, json.loads(truth.read_text()))
    real = SHARED / "real" / "treadmill_side_male_30fps.mp4"
    gt = SHARED / "real" / "treadmill_side_male_30fps.groundtruth.json"
    if real.exists():
        cad = 168.9
        if gt.exists():
            try:
                d = json.loads(gt.read_text())
                cad = float(d.get("cadence_spm", {}).get("value", cad)) if isinstance(d.get("cadence_spm"), dict) \
                    else float(d.get("cadence_spm", cad))
            except (ValueError, TypeError, AttributeError):
                pass
        out["shared/real_side_30fps"] = (real, {"camera": {"view": "side-left"}, "video": {"fps": 30.0},
                                                "summary": {"cadence_spm": cad}, "events": {}})
    return out


def score_real(clip: Path, truth: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.io.tracks import load_track
    from gaitvision.pipeline import analyze_video

    t0 = time.perf_counter()
    res = analyze_video(clip, out_dir, AnalysisConfig(render=RenderConfig(video=False)), overwrite=True)
    raw, _ = load_track(out_dir / "track.npz")
    names = list(raw.landmark_names)
    det = float(np.isfinite(raw.xy[:, names.index("left_hip"), 0]).mean())
    cad, true = res.summary["cadence_spm"], truth["summary"]["cadence_spm"]
    n = {s: len([r for r in res.measurement.table.rows if r["side"] == s and not r["excluded_reason"]])
         for s in ("left", "right")}
    return {"view_found": res.summary["view"], "view_true": "side-left", "frames": raw.n_frames,
            "detection_rate": det, "leg_swaps_fixed": res.measurement.n_leg_swaps_fixed,
            "cadence": {"found": cad, "true": true, "error_pct": round(100 * (cad - true) / true, 2) if cad else None},
            "events": {s: {"n_used": n[s], "n_true": "?", "ic_median_frames": None, "to_median_frames": None}
                       for s in ("left", "right")},
            "metrics": {}, "analysis_seconds": round(time.perf_counter() - t0, 1),
            "condition": "real phone clip, cadence truth 168.9 ± 0.5 spm (pose-free)"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where rendered clips are kept")
    p.add_argument("--only", default=None, help="run only grid rows whose name contains this")
    p.add_argument("--no-shared", action="store_true", help="skip the shared clips")
    p.add_argument("--reuse-analysis", action="store_true", help="reuse cached MediaPipe tracks")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.md")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results as JSON")
    p.add_argument("--score", type=Path, default=None, help="score one rendered clip and print it")
    p.add_argument("--list", action="store_true", help="print the grid and exit")
    a = p.parse_args(argv)
    if a.list:
        for name, opts in GRID.items():
            print(f"{name:24s} gaitvision synth {' '.join(synth_args(name, opts, Path(name + '.mp4')))}")
        return 0
    a.cache.mkdir(parents=True, exist_ok=True)
    if a.cache == DEFAULT_CACHE:
        (a.cache / ".gitignore").write_text("*\n")
    if a.score:
        truth = json.loads(a.score.with_name(a.score.stem + ".truth.json").read_text())
        r = score(a.score, truth, a.cache / "score" / a.score.stem, reuse=a.reuse_analysis)
        print(json.dumps(r, indent=2))
        return 0
    started = time.time()
    results = _run_grid(a)
    if not a.no_shared:
        results.update(_run_shared(a))
    write_report(results, a.out, started)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    print(f"wrote {a.out}")
    return 0


def _run_grid(a: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Render (or reuse) and score each grid row ``--only`` selects; a failure is recorded, not raised."""
    results: dict[str, dict[str, Any]] = {}
    for name, opts in GRID.items():
        if a.only and a.only not in name:
            continue
        print(f"[{_dt.datetime.now():%H:%M:%S}] {name}: render", flush=True)
        secs = None
        try:
            clip, secs = render(name, opts, a.cache)
            truth = json.loads(clip.with_name(clip.stem + ".truth.json").read_text())
            print(f"[{_dt.datetime.now():%H:%M:%S}] {name}: analyse", flush=True)
            r = score(clip, truth, a.cache / "analysis" / name, reuse=a.reuse_analysis)
        except Exception as err:  # keep the bench going; the report says what failed
            r = {"error": f"{type(err).__name__}: {err}"}
        r["render_seconds"] = round(secs, 1) if secs else None
        r["condition"] = _describe(opts)
        results[name] = r
    return results


def _run_shared(a: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Score the shared clips that have truth; a failure is recorded, not raised."""
    results: dict[str, dict[str, Any]] = {}
    for name, (clip, truth) in shared_clips().items():
        print(f"[{_dt.datetime.now():%H:%M:%S}] {name}: analyse", flush=True)
        out = a.cache / "analysis" / name.replace("/", "_")
        try:
            if "landmarks_2d_px" in truth:
                r = score(clip, truth, out, reuse=a.reuse_analysis)
                r["condition"] = f"shared rendered clip ({truth['spec'].get('name', '')}, prototype renderer)"
            else:
                r = score_real(clip, truth, out)
        except Exception as err:
            r = {"error": f"{type(err).__name__}: {err}", "condition": "shared clip"}
        results[name] = r
    return results


if __name__ == "__main__":
    sys.exit(main())
