#!/usr/bin/env python3
"""Leg swaps: the fraction of frames whose left/right leg labels are exchanged, before and after repair.

For every rendered clip with truth (the calibration grid's analyses and the
shared synthetic clips), the cached MediaPipe track (``track.npz``) is
compared frame by frame with the truth's 2D landmarks: a frame is
*swapped* when the pose model's left knee/ankle/heel/toe lie nearer the
true right leg's points than the true left leg's (summed over the four
points, both legs) by a clear margin (crossed cost under half the
straight one). Counted over frames where both legs were detected and the
true legs are apart by more than 10 % of the leg length (where they cross,
a label means nothing). Frames where both of the model's legs sit on the
same true leg (the far leg collapsed onto the near one) are counted
separately as *collapsed*: no relabelling can fix those. "Before" is the track after confidence
gating, "after" is the cleaned track the metrics are read from
(:func:`gaitvision.measurement.clean_track`: leg-swap repair, outliers,
gaps). Side views only (frontal views do not swap labels this way).

Usage::

    python bench/leg_swaps.py --calib /work/calib            # every analysed grid clip
    python bench/leg_swaps.py --calib /work/calib --md docs/leg_swaps.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARTS = ("knee", "ankle", "heel", "foot_index")
#: MediaPipe landmark index of each part, per side (the truth's landmark names)
INDEX = {"left": {"knee": 25, "ankle": 27, "heel": 29, "foot_index": 31},
         "right": {"knee": 26, "ankle": 28, "heel": 30, "foot_index": 32}}


def _legs(xy: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    left = np.stack([xy[:, names.index(f"left_{p}")] for p in PARTS], axis=1)
    right = np.stack([xy[:, names.index(f"right_{p}")] for p in PARTS], axis=1)
    return left, right


def swapped_fraction(xy: np.ndarray, names: list[str], truth_lm: dict[str, Any],
                     leg_px: float) -> tuple[float, float, int]:
    """Fractions of judged frames whose leg labels are exchanged / collapsed onto one leg, and the number judged."""
    ml, mr = _legs(xy, names)
    tl = np.stack([np.asarray(truth_lm[str(INDEX["left"][p])], float) for p in PARTS], axis=1)
    tr = np.stack([np.asarray(truth_lm[str(INDEX["right"][p])], float) for p in PARTS], axis=1)
    n = min(len(ml), len(tl))
    ml, mr, tl, tr = ml[:n], mr[:n], tl[:n], tr[:n]
    straight = np.nansum(np.linalg.norm(ml - tl, axis=2) + np.linalg.norm(mr - tr, axis=2), axis=1)
    crossed = np.nansum(np.linalg.norm(ml - tr, axis=2) + np.linalg.norm(mr - tl, axis=2), axis=1)
    apart = np.linalg.norm(tl - tr, axis=2).mean(axis=1) > 0.10 * leg_px
    seen = np.isfinite(ml).all(axis=(1, 2)) & np.isfinite(mr).all(axis=(1, 2))
    judged = apart & seen
    if not judged.any():
        return float("nan"), float("nan"), 0
    one_leg = 0.1 * leg_px
    collapsed = ((np.linalg.norm(ml - tl, axis=2).mean(axis=1) < one_leg)
                 & (np.linalg.norm(mr - tl, axis=2).mean(axis=1) < one_leg)) | (
                (np.linalg.norm(ml - tr, axis=2).mean(axis=1) < one_leg)
                & (np.linalg.norm(mr - tr, axis=2).mean(axis=1) < one_leg))
    swapped = (crossed < 0.5 * straight) & ~collapsed
    return float(np.mean(swapped[judged])), float(np.mean(collapsed[judged])), int(judged.sum())


def clip_swaps(out_dir: Path, truth: dict[str, Any]) -> dict[str, Any] | None:
    """Before/after swap fractions of one analysed clip (None for a frontal view or a missing track)."""
    from gaitvision.clean import filtering
    from gaitvision.config import AnalysisConfig
    from gaitvision.io.tracks import load_track
    from gaitvision.measurement import clean_track

    if not str(truth["camera"]["view"]).startswith("side") or not (out_dir / "track.npz").exists():
        return None
    raw, _ = load_track(out_dir / "track.npz")
    cfg = AnalysisConfig().filtering
    names = list(raw.landmark_names)
    gated = filtering.mask_low_confidence(raw, threshold=cfg.min_confidence)
    clean, n_fixed = clean_track(raw, side_view=True, cfg=cfg)
    legs = truth["model"].get("leg_length_px") or {}
    leg = float(np.mean(list(legs.values()))) if isinstance(legs, dict) and legs else float(legs or 200.0)
    lm = truth["landmarks_2d_px"]
    before, coll_before, n = swapped_fraction(gated.xy, names, lm, leg)
    after, coll_after, _ = swapped_fraction(clean.xy, names, lm, leg)
    return {"view": truth["camera"]["view"], "fps": truth["video"]["fps"], "frames_judged": n,
            "swapped_before": before, "swapped_after": after, "collapsed_before": coll_before,
            "collapsed_after": coll_after, "frames_relabelled": n_fixed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calib", type=Path, default=Path("/work/calib"), help="the calibration cache (cases.json)")
    ap.add_argument("--md", type=Path, help="write a Markdown table here")
    a = ap.parse_args(argv)
    listing = json.loads((a.calib / "cases.json").read_text())
    rows = []
    for c in listing["clips"]:
        tp, od = Path(c.get("truth_path") or ""), Path(c.get("analysis_dir") or "")
        if not tp.exists():
            continue
        r = clip_swaps(od, json.loads(tp.read_text()))
        if r is None:
            continue
        r["clip"] = c["name"]
        rows.append(r)
        print(f"{c['name']:58s} {r['fps']:5.0f} fps  judged {r['frames_judged']:4d}  swapped "
              f"{100 * r['swapped_before']:5.1f} % -> {100 * r['swapped_after']:5.1f} %  collapsed "
              f"{100 * r['collapsed_before']:5.1f} % -> {100 * r['collapsed_after']:5.1f} %  "
              f"(relabelled {r['frames_relabelled']})", flush=True)
    if a.md and rows:
        lines = ["| clip | fps | frames judged | swapped before repair | after repair | collapsed before | "
                 "after | frames relabelled |", "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['clip']} | {r['fps']:.0f} | {r['frames_judged']} | {100 * r['swapped_before']:.1f} % | "
                  f"{100 * r['swapped_after']:.1f} % | {100 * r['collapsed_before']:.1f} % | "
                  f"{100 * r['collapsed_after']:.1f} % | {r['frames_relabelled']} |" for r in rows]
        a.md.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
