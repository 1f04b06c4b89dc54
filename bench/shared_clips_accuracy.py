"""Accuracy of gaitvision on the team's shared clips, against their truth.

    python bench/shared_clips_accuracy.py [--shared ../shared/videos] [--out docs/accuracy_shared_clips.md]

Runs the full pipeline (real MediaPipe) on every clip in ``shared/videos``
that has truth beside it and writes a Markdown table of measured vs true
values, with the commit and machine it ran on. Tracks are cached in a
temporary folder per run (pass --work DIR to keep and reuse them).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from gaitvision.config import AnalysisConfig, RenderConfig
from gaitvision.pipeline import analyze_video

SIDES = (("left", "L"), ("right", "R"))


def _event_errors(result, truth, fps):
    """Median |IC| and |TO| error in frames per side (truth: exact continuous times)."""
    out = {}
    for side, S in SIDES:
        rows = [r for r in result.measurement.table.rows if r["side"] == side and not r["excluded_reason"]]
        ic_t = np.array(truth["events"][S]["ic_time_s"])
        to_t = np.array(truth["events"][S]["to_time_s"])
        ic = [abs(r["ic_time_s"] - ic_t[np.argmin(abs(ic_t - r["ic_time_s"]))]) * fps for r in rows]
        to = [abs(r["to_time_s"] - to_t[np.argmin(abs(to_t - r["to_time_s"]))]) * fps
              for r in rows if r["to_time_s"] is not None]
        out[side] = (float(np.median(ic)) if ic else float("nan"), float(np.median(to)) if to else float("nan"))
    return out


def _val(summary, key, side):
    m = summary["metrics"].get(key, {})
    return m.get(side, {}).get("median") if isinstance(m, dict) else None


def _fmt(v, nd=1):
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{nd}f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "videos")
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "docs" / "accuracy_shared_clips.md")
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gv-acc-"))
    cfg = AnalysisConfig(render=RenderConfig(video=False))
    lines = []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    lines.append("# Accuracy on the shared clips\n")
    lines.append(f"Produced by `bench/shared_clips_accuracy.py` on commit `{commit}`, "
                 f"{platform.machine()} / Python {platform.python_version()}, "
                 f"{time.strftime('%Y-%m-%d')}. Truth: the rendered clips' exact truth JSON "
                 "(2D image definitions; strike angle and knee flexion `at_frame`), the real clip's "
                 "pixel-measured cadence.\n")
    rows = _synthetic_rows(args.shared, work, cfg) + _real_rows(args.shared, work, cfg)
    lines += _table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


#: gaitvision metric -> the truth summary's per-side key
_TRUTH_KEYS = (("knee_fppa_peak_deg", "fppa_peak_deg_2d"), ("pelvic_drop_peak_deg", "pelvic_drop_peak_deg_2d"),
               ("foot_strike_angle_deg", "foot_strike_angle_deg_2d"), ("knee_flexion_ic_deg", "knee_flexion_ic_deg_2d"),
               ("contact_time_s", "contact_time_s"))


def _synthetic_rows(shared, work, cfg):
    """(clip, metric, side, truth, measured) for each rendered clip with a truth JSON."""
    rows = []
    for truth_path in sorted(shared.glob("synthetic/*.truth.json")):
        clip = truth_path.with_name(truth_path.name.replace(".truth.json", ".mp4"))
        truth = json.loads(truth_path.read_text())
        res = analyze_video(clip, work / clip.stem, cfg)
        s, ts = res.summary, truth["summary"]
        fps = truth["video"]["fps"]
        ev = _event_errors(res, truth, fps)
        rows.append((clip.name, "cadence_spm", "both", ts["cadence_spm"], s["cadence_spm"]))
        for side, S in SIDES:
            for key, tkey in _TRUTH_KEYS:
                tv = ts[S].get(tkey)
                if tv is None:
                    continue
                mv = _val(s, key, side)
                if key == "contact_time_s" and s["view"] in ("rear", "front"):
                    continue
                rows.append((clip.name, key, side, tv, mv))
            rows.append((clip.name, "IC abs. error, median (frames, vs exact time)", side, 0.0, ev[side][0]))
            rows.append((clip.name, "TO abs. error, median (frames, vs exact time)", side, 0.0, ev[side][1]))
    return rows


def _real_rows(shared, work, cfg):
    """The real clip's rows: cadence against its pixel-measured truth, contact times in the physiological band."""
    real = shared / "real" / "treadmill_side_male_30fps.mp4"
    if not real.exists():
        return []
    gt = json.loads(real.with_name("treadmill_side_male_30fps.groundtruth.json").read_text())
    res = analyze_video(real, work / real.stem, cfg)
    rows = [(real.name, "cadence_spm", "both", gt["cadence_spm"]["value"], res.summary["cadence_spm"])]
    for side, _ in SIDES:
        ct = [r["contact_time_s"] for r in res.measurement.table.rows
              if r["side"] == side and r["contact_time_s"] is not None and not r["excluded_reason"]]
        lo, hi = (v / 1000 for v in gt["physiological_bands"]["contact_time_ms"])
        rows.append((real.name, f"contact_time_s in [{lo:.2f}, {hi:.2f}] (steps in band)", side,
                     float(len(ct)), float(sum(lo <= c <= hi for c in ct))))
    return rows


def _table(rows):
    lines = ["| clip | metric | side | truth | measured | error |", "|---|---|---|---|---|---|"]
    for clip, key, side, tv, mv in rows:
        err = (mv - tv) if (mv is not None and tv is not None and "error" not in key and "band" not in key) else None
        if "error" in key:
            err = mv
        lines.append(f"| {clip} | {key} | {side} | {_fmt(tv, 3 if 'time' in key else 1)} | "
                     f"{_fmt(mv, 3 if 'time' in key else 1)} | {_fmt(err, 3 if 'time' in key else 1)} |")
    return lines


if __name__ == "__main__":
    main()
