"""Pelvic drop from the image (waistband, PSIS markers) vs truth on the rendered rear clips.

    python bench/pelvis_accuracy.py [--cache DIR] [--no-markers] [--no-roll]

For each rendered rear-view clip in ../shared/videos/synthetic it prints,
per side, the truth (``summary.L/R.pelvic_drop_peak_deg_2d``: the mean of
the per-step peaks of the hip-joint-centre line over stance) and the median
per-step peak measured by

- ``waistband``: the waistband line, roll-corrected, level = scene
  horizontal (the default of :func:`gaitvision.pelvis_image.pelvic_drop_peaks`);
- ``waist~med``: the same with the clip's median waistband angle as level
  (robust to a waistband that sits unevenly, but it shrinks L/R asymmetry);
- ``markers``: two 25 mm green PSIS dots painted on every frame, following
  the truth pelvis (tests/fixtures/pelvis_markers.py), then the 4:2:0
  chroma round trip of a phone clip;
- ``mp_hips``: MediaPipe's hip line with the clip median as level (what
  analysis.py did before this module).

Stances come from the repo's own chain (``processing.measure_track`` ->
``detect_events`` on the cleaned MediaPipe track), and, in a second table,
from the truth's exact contact frames. Then a 3 deg roll check: every frame
(and the track) rotated by 3 deg with ``cv2.warpAffine``.

MediaPipe tracks and pelvis series are cached in ``--cache`` (default
/tmp/gaitvision-bench-pelvis), so a rerun only decodes what changed.
A benchmark, not a test: the bars are asserted in
tests/integration/test_pelvis_image.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.pelvis_images import rotate_clip  # noqa: E402
from fixtures.pelvis_markers import paint_dots, psis_pixels  # noqa: E402

from gaitvision.io.tracks import file_fingerprint, load_track, save_track  # noqa: E402
from gaitvision.io.video import iter_frames  # noqa: E402
from gaitvision.measure.metrics.pelvis import pelvis_line_deg  # noqa: E402
from gaitvision.measure.pelvis_drop import pelvic_drop_peaks, pelvis_source  # noqa: E402
from gaitvision.measurement import measure  # noqa: E402
from gaitvision.pose.blazepose import MODEL_NAME, model_version, track_video  # noqa: E402
from gaitvision.pose.pelvis_image import PelvisImageSeries, measure_pelvis_frames  # noqa: E402
from gaitvision.track import LandmarkTrack  # noqa: E402

CLIPS = ("rear_valgus_60fps", "rear_neutral_30fps")
SHARED = ROOT.parent / "shared" / "videos" / "synthetic"


def cached_track(clip: Path, cache: Path):
    path = cache / f"{clip.stem}.track.npz"
    fp = file_fingerprint(clip)
    if path.exists():
        track, info = load_track(path)
        if info.get("source_fingerprint") == fp:
            return track
    t0 = time.perf_counter()
    track = track_video(clip)
    print(f"  pose pass on {clip.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    save_track(path, track, source_fingerprint=fp, model_name=MODEL_NAME, model_version=model_version())
    return track


def cached_series(key: str, cache: Path, make) -> PelvisImageSeries:
    path = cache / f"{key}.pelvis.npz"
    if path.exists():
        return PelvisImageSeries.from_arrays(np.load(path))
    t0 = time.perf_counter()
    s = make()
    print(f"  {key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    np.savez(path, **s.to_arrays())
    return s


def painted_frames(clip: Path, truth: dict):
    uv, radius = psis_pixels(truth)
    blur = 0.7 if truth["spec"]["render"]["motion_blur_samples"] > 1 else 0.0
    for fr in iter_frames(clip):
        img = paint_dots(fr.image, uv[fr.index], radius[fr.index], blur_px=blur)
        yield SimpleNamespace(index=fr.index, time_s=fr.time_s, image=img)


def rotated_frames(clip: Path, angle_deg: float):
    for fr in iter_frames(clip):
        img, _ = rotate_clip(fr.image, np.zeros((0, 2)), angle_deg)
        yield SimpleNamespace(index=fr.index, time_s=fr.time_s, image=img)


def rotated_track(track, angle_deg: float, shape_hw):
    xy = track.xy.reshape(-1, 2)
    _, xy2 = rotate_clip(np.zeros(shape_hw + (3,), np.uint8), xy, angle_deg)
    h, w = shape_hw
    return track.replace(xy=xy2.reshape(track.xy.shape), frame_size_wh=(w - 140, h - 80))


def side_medians(rows) -> dict[str, float]:
    out = {}
    for side in ("left", "right"):
        v = [r["pelvic_drop_peak_deg"] for r in rows if r["side"] == side and r["pelvic_drop_peak_deg"] is not None]
        out[side] = float(np.median(v)) if v else float("nan")
    return out


def truth_steps(truth: dict):
    return [
        SimpleNamespace(side={"L": "left", "R": "right"}[s["side"]], ic_frame=s["ic_frame"], to_frame=s["to_frame"])
        for s in truth["steps"]
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/tmp/gaitvision-bench-pelvis")
    ap.add_argument("--no-markers", action="store_true")
    ap.add_argument("--no-roll", action="store_true")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    tables: dict[str, list[str]] = {"repo": [], "truth": []}
    roll_lines: list[str] = []
    for name in CLIPS:
        clip = SHARED / f"{name}.mp4"
        if not clip.exists():
            print(f"skip {name}: {clip} not found", file=sys.stderr)
            continue
        roll_lines += _clip_rows(name, clip, cache, args, tables)
    head = (f"{'clip':19s} {'side':5s} {'truth':>6s}" + "".join(f" {k:>14s}" for k in
            ("waistband", "waist~med", "markers", "mp_hips")))
    for label, title in (("repo", "stances from the repo's detect_events on the cleaned MediaPipe track"),
                         ("truth", "stances from the truth's exact contact frames")):
        print(f"\nPelvic drop peak over stance, median of steps, deg (error vs truth) -- {title}")
        print(head)
        print("\n".join(tables[label]))
    if roll_lines:
        print("\nCamera roll check (waistband, repo stances)")
        print("\n".join(roll_lines))


def _clip_rows(name: str, clip: Path, cache: Path, args: argparse.Namespace,
               tables: dict[str, list[str]]) -> list[str]:
    """Append one clip's rows to ``tables`` (repo and truth stances); the roll-check lines (first clip)."""
    truth = json.loads(clip.with_suffix(".truth.json").read_text())
    track = cached_track(clip, cache)
    series = cached_series(name, cache, lambda: measure_pelvis_frames(iter_frames(clip), track, markers=False))
    markers = None
    if not args.no_markers:
        markers = cached_series(f"{name}.markers", cache,
                                lambda: measure_pelvis_frames(painted_frames(clip, truth), track))
    events = measure(track, view="rear").events
    t = track.time_s
    hips = pelvis_line_deg(track)
    for label, steps in (("repo", events.steps), ("truth", truth_steps(truth))):
        wb = series.angle_deg("waistband")
        cols = {
            "waistband": side_medians(pelvic_drop_peaks(wb, series.waistband_confidence, t, steps)),
            "waist~med": side_medians(pelvic_drop_peaks(
                wb, series.waistband_confidence, t, steps,
                level_deg=float(np.nanmedian(wb[series.waistband_confidence >= 0.5])))),
            "markers": side_medians(pelvic_drop_peaks(
                markers.angle_deg("markers"), markers.marker_confidence, t, steps))
            if markers is not None else {"left": np.nan, "right": np.nan},
            "mp_hips": side_medians(pelvic_drop_peaks(
                hips, np.ones_like(hips), t, steps, level_deg=float(np.nanmedian(hips)))),
        }
        for side, S in (("left", "L"), ("right", "R")):
            tv = truth["summary"][S]["pelvic_drop_peak_deg_2d"]
            cells = "".join(f" {cols[k][side]:6.2f} ({cols[k][side] - tv:+5.2f})" for k in cols)
            tables[label].append(f"{name:19s} {side:5s} {tv:6.2f}{cells}")
    src, reason = pelvis_source(markers if markers is not None else series, events.steps)
    tables["repo"].append(f"{'':19s} source chosen: {src} ({reason})")
    if args.no_roll or name != CLIPS[0]:
        return []
    return _roll_check(name, clip, cache, track, series, truth, events.steps)


def _roll_check(name: str, clip: Path, cache: Path, track: LandmarkTrack, series: PelvisImageSeries,
                truth: dict, steps) -> list[str]:
    """Every frame and the track rotated by 3 deg: the waistband drop with and without roll correction."""
    t = track.time_s
    h, w = truth["video"]["height"], truth["video"]["width"]
    rtrack = rotated_track(track, 3.0, (h, w))
    rot = cached_series(f"{name}.rot3", cache,
                        lambda: measure_pelvis_frames(rotated_frames(clip, 3.0), rtrack, markers=False))
    a = side_medians(pelvic_drop_peaks(series.angle_deg("waistband"), series.waistband_confidence, t, steps))
    b = side_medians(pelvic_drop_peaks(rot.angle_deg("waistband"), rot.waistband_confidence, t, steps))
    c = side_medians(pelvic_drop_peaks(rot.angle_deg("waistband", roll_corrected=False),
                                       rot.waistband_confidence, t, steps))
    lines = [f"{name}: frames rotated 3.0 deg counter-clockwise; roll estimated {rot.roll_deg:+.2f} deg "
             f"(support {rot.roll_support:.2f}); unrotated roll {series.roll_deg:+.2f} deg"]
    for side in ("left", "right"):
        lines.append(f"  {side:5s} upright {a[side]:5.2f}   rotated+corrected {b[side]:5.2f} "
                     f"(diff {b[side] - a[side]:+.2f})   rotated uncorrected {c[side]:5.2f}")
    return lines


if __name__ == "__main__":
    main()
