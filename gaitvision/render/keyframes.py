"""Key-frame stills: the moment that matters, per side, with the measurement drawn on.

For each side the *most representative* step is chosen: the one whose value
of the view's main metric is closest to that side's median (outputs.md
``keyframes/*.png``). Side views show initial contact (foot angle and knee
bend), rear/front views midstance at peak knee collapse. Each still is
cropped to the runner, drawn with the same annotators as the annotated
video, and given a caption band with the values in words. A left|right
image puts both sides next to each other for the patient.

Values drawn are the ``steps.csv`` values of that step; the points the
lines go through are the ones each value was measured between
(``StepTable.geometry``). ``keyframes/keyframes.json`` records, per still,
the step, frame, crop and every value and caption line drawn, so tests and
scripts can check a still against ``steps.csv``.

Privacy hook: frames are read through :func:`read_frames`, which applies an
optional ``frame_filter(image, frame_index) -> image`` (e.g. face blurring)
before anything is cropped or drawn.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import OutputError
from gaitvision.io._atomic import atomic_path, write_json
from gaitvision.io.video import iter_frames, read_frames_at
from gaitvision.render.annotators import (
    SIDE_COLORS,
    SkeletonAnnotator,
    StepAnnotator,
)
from gaitvision.track import LandmarkTrack

__all__ = [
    "FrameFilter",
    "KeyframeChoice",
    "STILL_HEIGHT_PX",
    "choose_keyframes",
    "crop_box",
    "crop_and_scale",
    "draw_still",
    "caption_lines",
    "read_frames",
    "stored_geometry",
    "write_keyframes",
    "write_png",
]

logger = logging.getLogger(__name__)

#: ``frame_filter(image, frame_index) -> image``: applied to every frame read
#: for a still (RGB uint8, full upright frame) before cropping and drawing.
FrameFilter = Callable[[NDArray[np.uint8], int], NDArray[np.uint8]]

#: Height of the photo part of each still, in pixels.
STILL_HEIGHT_PX = 900

_SIDE_KEYS = ("foot_strike_angle_deg", "knee_flexion_ic_deg")
_FRONT_KEYS = ("knee_fppa_peak_deg", "pelvic_drop_peak_deg")
_PARTS = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("hip", "knee", "ankle", "heel", "foot_index"))
_CAPTION_BG = (28, 28, 28)


@dataclass(frozen=True)
class KeyframeChoice:
    """The step chosen for one side's still."""

    side: str
    event: str  # "initial_contact" or "midstance"
    frame: int
    row: dict[str, Any]  # the steps.csv row
    metric: str  # the metric whose median decided the choice
    median: float
    video_step: int  # the per-side step number shown in annotated.mp4 ("L step N")

    @property
    def file_name(self) -> str:
        """``left_initial_contact.png`` etc."""
        return f"{self.side}_{self.event}.png"


def _event_frame(row: Mapping[str, Any], side_view: bool) -> int | None:
    if side_view:
        f = row.get("ic_frame")
    else:
        f = row.get("knee_fppa_peak_frame")
        if not isinstance(f, int):
            f = row.get("midstance_frame")
    return f if isinstance(f, int) and f >= 0 else None


def _video_step_numbers(rows: list[dict[str, Any]], side_view: bool) -> dict[int, int]:
    """Row step -> the per-side number annotated.mp4 labels it with.

    Mirrors :func:`gaitvision.render._overlays`: included steps that have an
    overlay frame, in time order, counted per side.
    """
    shown = []
    for r in rows:
        if r.get("excluded_reason"):
            continue
        f = r.get("ic_frame") if side_view else r.get("knee_fppa_peak_frame")
        if isinstance(f, int):
            shown.append((f, r))
    shown.sort(key=lambda x: x[0])
    counts = {"left": 0, "right": 0}
    out = {}
    for _, r in shown:
        side = r.get("side")
        if side in counts:
            counts[side] += 1
            out[r["step"]] = counts[side]
    return out


def choose_keyframes(rows: list[dict[str, Any]], summary: Mapping[str, Any]) -> list[KeyframeChoice]:
    """Per side, the included step closest to that side's median of the main metric.

    The main metric is the first of the view's drawn metrics (side:
    foot-strike angle, then knee flexion at contact; rear/front: knee FPPA,
    then pelvic drop) that has values; ties go to a high-confidence step,
    then the earlier one.
    """
    side_view = str(summary.get("view", "")).startswith("side")
    metrics = summary.get("metrics") or {}
    event = "initial_contact" if side_view else "midstance"
    numbers = _video_step_numbers(rows, side_view)
    out = []
    for side in ("left", "right"):
        cand = [r for r in rows if r.get("side") == side and not r.get("excluded_reason")
                and _event_frame(r, side_view) is not None]
        for key in _SIDE_KEYS if side_view else _FRONT_KEYS:
            vals = [r for r in cand if isinstance(r.get(key), float)]
            if not vals:
                continue
            med = (metrics.get(key) or {}).get(side, {}).get("median")
            if not isinstance(med, (int, float)):
                med = float(np.median([r[key] for r in vals]))
            best = min(vals, key=lambda r: (abs(r[key] - med), r.get("confidence") != "high",
                                            r["step"]))
            frame = _event_frame(best, side_view)
            assert frame is not None  # every candidate has an event frame
            out.append(KeyframeChoice(side, event, int(frame), best, key, float(med),
                                      numbers.get(best["step"], 0)))
            break
    return out


def read_frames(
    video_path: str | os.PathLike[str],
    indices: Iterable[int],
    *,
    frame_filter: FrameFilter | None = None,
    times_s: Sequence[float] | NDArray[np.float64] | None = None,
) -> dict[int, NDArray[np.uint8]]:
    """Return the requested frames (upright RGB).

    Frame numbers are those of the track and the annotated video (frames
    with a repeated timestamp are skipped the same way). ``frame_filter``
    is applied to each returned frame: the hook for face blurring. With
    ``times_s`` (the pose track's frame times, container time from the
    first frame) only those frames are decoded, by seeking
    (:func:`gaitvision.io.video.read_frames_at`); without, the clip is
    decoded from the start up to the last one.
    """
    wanted = set(int(i) for i in indices)
    out: dict[int, NDArray[np.uint8]] = {}
    if not wanted:
        return out
    if times_s is not None:
        got = read_frames_at(video_path, wanted, times_s)
        return {i: frame_filter(img, i) if frame_filter else img for i, img in got.items()}
    last = max(wanted)
    for fr in iter_frames(video_path):
        if fr.index in wanted:
            img = fr.image.copy()
            out[fr.index] = frame_filter(img, fr.index) if frame_filter else img
        if fr.index >= last:
            break
    return out


def _runner_points(track: LandmarkTrack, f: int) -> NDArray[np.float64]:
    """The frame's landmarks plus an estimated top of the head.

    Cleaning may drop face points the model was unsure of; the head is kept
    in the crop by adding a point 0.8 torso lengths above the shoulders.
    """
    pts = np.asarray(track.xy[f], dtype=np.float64)
    names = track.landmark_names
    need = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if not all(n in names for n in need):
        return pts
    sh = np.nanmean([pts[names.index(n)] for n in need[:2]], axis=0)
    hp = np.nanmean([pts[names.index(n)] for n in need[2:]], axis=0)
    if not (np.all(np.isfinite(sh)) and np.all(np.isfinite(hp))):
        return pts
    head = np.array([[sh[0], sh[1] - 0.8 * abs(hp[1] - sh[1])]])
    return np.vstack([pts, head])


def crop_box(points: NDArray[np.float64], frame_wh: tuple[int, int], *, margin: float = 0.12,
             min_aspect: float = 0.6) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` around the runner's landmarks, with a margin, inside the frame.

    ``margin`` is a fraction of the runner's height added on every side;
    the box is at least ``min_aspect`` times as wide as it is high.
    """
    w_img, h_img = frame_wh
    p = points[np.all(np.isfinite(points), axis=1)]
    if p.shape[0] < 2:
        return 0, 0, int(w_img), int(h_img)
    x0, y0 = p.min(axis=0)
    x1, y1 = p.max(axis=0)
    pad = margin * max(y1 - y0, 1.0)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    hh = y1 - y0
    if x1 - x0 < min_aspect * hh:
        cx = (x0 + x1) / 2
        x0, x1 = cx - min_aspect * hh / 2, cx + min_aspect * hh / 2
    x0, y0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    x1, y1 = min(w_img, int(np.ceil(x1))), min(h_img, int(np.ceil(y1)))
    return x0, y0, max(2, x1 - x0), max(2, y1 - y0)


def crop_and_scale(image: NDArray[np.uint8], box: tuple[int, int, int, int], *,
                   height_px: int = STILL_HEIGHT_PX) -> tuple[NDArray[np.uint8], float]:
    """Cut ``box`` out of ``image`` and scale it to ``height_px`` high; returns (image, scale)."""
    x, y, w, h = box
    crop = image[y : y + h, x : x + w]
    scale = height_px / h
    out_w = max(2, int(round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(crop, (out_w, height_px), interpolation=interp)), scale


def _fmt_deg(v: float | None, signed: bool = False) -> str:
    return "-" if v is None else (f"{v:+.0f} deg" if signed else f"{v:.0f} deg")


def caption_lines(choice: KeyframeChoice, side_view: bool) -> list[str]:
    """The caption printed under a still (plain words, values as in steps.csv)."""
    r = choice.row
    side = choice.side.upper()
    if side_view:
        head = f"{side} foot landing (initial contact)"
        parts = []
        fsa = r.get("foot_strike_angle_deg")
        if isinstance(fsa, float):
            pat = r.get("foot_strike_pattern")
            parts.append(f"foot angle {_fmt_deg(fsa, True)}" + (f" ({pat})" if pat else ""))
        kf = r.get("knee_flexion_ic_deg")
        if isinstance(kf, float):
            parts.append(f"knee bend {_fmt_deg(kf)}")
    else:
        head = f"{side} leg at midstance (most knee collapse)"
        parts = []
        v = r.get("knee_fppa_peak_deg")
        if isinstance(v, float):
            parts.append(f"knee collapse {_fmt_deg(abs(v))}" if v >= 0 else f"knee out (varus) {_fmt_deg(abs(v))}")
    low = " - low confidence" if r.get("confidence") == "low" else ""
    foot = (f"frame {choice.frame} ({choice.side[0].upper()} step {choice.video_step} in the video, "
            f"step {r.get('step')} in steps.csv){low}")
    return [head, ", ".join(parts) or "value not measured", foot]


def _caption_band(width: int, lines: list[str], color: tuple[int, int, int]) -> NDArray[np.uint8]:
    scales = (1.0, 0.85, 0.55)
    thick = (2, 2, 1)
    heights = [cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, s, t)[0][1]
               for s, t in zip(scales, thick, strict=True)]
    band_h = sum(heights) + 18 * len(lines) + 14
    band = np.zeros((band_h, width, 3), np.uint8)
    band[:] = _CAPTION_BG
    y = 10
    for i, text in enumerate(lines):
        s, t = scales[min(i, 2)], thick[min(i, 2)]
        # shrink a line that would not fit the width
        tw = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, s, t)[0][0]
        if tw > width - 20:
            s *= (width - 20) / tw
        y += heights[min(i, 2)] + 14
        c = color if i == 0 else ((235, 235, 235) if i == 1 else (180, 180, 180))
        cv2.putText(band, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, s, c, t, cv2.LINE_AA)
    return band


def draw_still(
    frame: NDArray[np.uint8],
    *,
    track: LandmarkTrack,
    choice: KeyframeChoice,
    geometry: Mapping[str, Any] | None,
    side_view: bool,
    height_px: int = STILL_HEIGHT_PX,
) -> tuple[NDArray[np.uint8], dict[str, Any]]:
    """Crop ``frame`` to the runner, draw the skeleton and the step's measurement.

    Parameters
    ----------
    frame
        The full upright frame ``choice.frame`` (already filtered, e.g.
        blurred).
    track
        The track the values were measured on; its points at the frame are
        drawn as the skeleton.
    geometry
        The points the values were measured between (``StepTable.geometry``
        of this step), in track pixels; None draws the skeleton only.

    Returns
    -------
    image, meta
        The still (photo above, caption band below) and what was drawn.
    """
    f = choice.frame
    box = crop_box(_runner_points(track, f), track.frame_size_wh)
    photo, scale = crop_and_scale(frame, box, height_px=height_px)
    origin = np.array(box[:2], dtype=np.float64)

    def to_photo(p: Any) -> NDArray[np.float64] | None:
        if p is None:
            return None
        a = np.asarray(p, dtype=np.float64)
        return (a - origin) * scale

    idx = {n: track.landmark_names.index(n) for n in _PARTS}
    points = {n: to_photo(track.xy[f, i]) for n, i in idx.items()}
    interp = {n: bool(track.interpolated[f, i]) for n, i in idx.items()}
    k = height_px / 900
    SkeletonAnnotator(thickness=max(2, int(round(3 * k))), radius=max(3, int(round(6 * k)))).annotate(
        photo, points=points, interpolated=interp)
    label = f"{choice.side.upper()[0]} step {choice.video_step} (frame {f})"
    drawn: dict[str, Any] = {}
    g = {key: to_photo(v) for key, v in (geometry or {}).items()}
    if geometry:
        drawn = _draw_measurement(photo, choice, g, side_view=side_view, label=label, k=k)
    lines = caption_lines(choice, side_view)
    band = _caption_band(photo.shape[1], lines, SIDE_COLORS[choice.side])
    image = np.vstack([photo, band])
    meta = _still_meta(choice, side_view=side_view, time_s=float(track.time_s[f]), drawn={**drawn, "step_label": label},
                       caption=lines, box=box, scale=scale, photo=photo, geometry_drawn=bool(geometry))
    return image, meta


def _draw_measurement(
    photo: NDArray[np.uint8],
    choice: KeyframeChoice,
    g: Mapping[str, NDArray[np.float64] | None],
    *,
    side_view: bool,
    label: str,
    k: float,
) -> dict[str, Any]:
    """Draw the step's values on the still, through the photo points ``g``; returns what was drawn."""
    return StepAnnotator(side_view=side_view, font_scale=0.75 * k,
                         thickness=max(2, int(round(4 * k))) if side_view else max(3, int(round(5 * k)))).annotate(
        photo, row=choice.row, points=g, step_label=label)


def _still_meta(
    choice: KeyframeChoice,
    *,
    side_view: bool,
    time_s: float,
    drawn: dict[str, Any],
    caption: list[str],
    box: tuple[int, int, int, int],
    scale: float,
    photo: NDArray[np.uint8],
    geometry_drawn: bool,
) -> dict[str, Any]:
    """What a still shows, as recorded in ``keyframes.json``."""
    r = choice.row
    return {
        "file": choice.file_name,
        "side": choice.side,
        "event": choice.event,
        "step": r.get("step"),
        "video_step": choice.video_step,
        "frame": choice.frame,
        "time_s": round(time_s, 4),
        "confidence": r.get("confidence"),
        "chosen_by": {"metric": choice.metric, "side_median": choice.median},
        "values": {key: r.get(key) for key in (_SIDE_KEYS if side_view else _FRONT_KEYS)
                   if key in r},
        "drawn": drawn,
        "caption": caption,
        "crop_xywh": list(box),
        "scale": scale,
        "photo_wh": [int(photo.shape[1]), int(photo.shape[0])],
        "geometry_drawn": geometry_drawn,
    }


def side_by_side(left: NDArray[np.uint8], right: NDArray[np.uint8], *, gap_px: int = 16
                 ) -> NDArray[np.uint8]:
    """Two stills next to each other at the same height (left | right)."""
    h = max(left.shape[0], right.shape[0])

    def fit(img: NDArray[np.uint8]) -> NDArray[np.uint8]:
        if img.shape[0] == h:
            return img
        w = int(round(img.shape[1] * h / img.shape[0]))
        return np.asarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)

    gap = np.full((h, gap_px, 3), 255, np.uint8)
    return np.hstack([fit(left), gap, fit(right)])


def write_png(path: str | os.PathLike[str], image: NDArray[np.uint8]) -> None:
    """Write an RGB image as PNG atomically."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(f"{path}: the image could not be encoded as PNG.")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())


def write_keyframes(
    out_dir: str | os.PathLike[str],
    *,
    rows: list[dict[str, Any]],
    summary: Mapping[str, Any],
    track: LandmarkTrack,
    geometry: Mapping[tuple[str, int], Mapping[str, Any]],
    video_path: str | os.PathLike[str],
    frame_filter: FrameFilter | None = None,
    frame_times_s: Sequence[float] | NDArray[np.float64] | None = None,
) -> list[dict[str, Any]]:
    """Write ``keyframes/*.png`` and ``keyframes/keyframes.json``.

    Parameters
    ----------
    out_dir
        The analysis folder; stills go to ``out_dir/keyframes``.
    rows
        The ``steps.csv`` rows (their values are the ones drawn).
    summary
        The summary (view, per-side medians).
    track
        The cleaned track the values were measured on.
    geometry
        ``(side, ic_frame)`` -> the points each value was measured between.
    video_path
        The clip the track was made from (frames are read from it).
    frame_filter
        Applied to each frame before it is cropped (face blurring).
    frame_times_s
        The pose track's frame times (``track.npz``): only the stills'
        frames are then decoded, by seeking (:func:`read_frames`).

    Returns
    -------
    The metadata of each still written (also in ``keyframes.json``).
    """
    side_view = str(summary.get("view", "")).startswith("side")
    choices = choose_keyframes(rows, summary)
    kdir = Path(out_dir) / "keyframes"
    kdir.mkdir(parents=True, exist_ok=True)
    frames = read_frames(video_path, [c.frame for c in choices], frame_filter=frame_filter, times_s=frame_times_s)
    stills, metas = _write_stills(kdir, choices, frames, track=track, geometry=geometry, side_view=side_view,
                                  video_path=video_path)
    written = {m["file"] for m in metas}
    # every step's measured points, so the stills can be redrawn later
    # exactly as measured even if the measuring code has changed since
    doc: dict[str, Any] = {"schema": "gaitvision.keyframes/1", "view": summary.get("view"),
                           "stills": metas, "geometry": _stored_points(rows, geometry)}
    if "left" in stills and "right" in stills:
        event = choices[0].event
        name = f"left_right_{event}.png"
        write_png(kdir / name, side_by_side(stills["left"], stills["right"]))
        written.add(name)
        doc["side_by_side"] = name
    for old in kdir.glob("*.png"):  # stills of an earlier run that this run did not make
        if old.name not in written and old.name.startswith(("left_", "right_")):
            old.unlink(missing_ok=True)
    doc = _finite_or_none(doc)
    write_json(kdir / "keyframes.json", doc)
    return list(doc["stills"])


def _write_stills(
    kdir: Path,
    choices: list[KeyframeChoice],
    frames: Mapping[int, NDArray[np.uint8]],
    *,
    track: LandmarkTrack,
    geometry: Mapping[tuple[str, int], Mapping[str, Any]],
    side_view: bool,
    video_path: str | os.PathLike[str],
) -> tuple[dict[str, NDArray[np.uint8]], list[dict[str, Any]]]:
    """Draw and write each chosen still; the stills by side and their metadata."""
    stills: dict[str, NDArray[np.uint8]] = {}
    metas = []
    for c in choices:
        if c.frame not in frames or c.frame >= track.n_frames:
            logger.warning("Frame %d is not in %s; no still for the %s side.", c.frame, video_path, c.side)
            continue
        geo = geometry.get((c.side, int(c.row["ic_frame"])))
        img, meta = draw_still(frames[c.frame], track=track, choice=c, geometry=geo, side_view=side_view)
        write_png(kdir / c.file_name, img)
        stills[c.side] = img
        metas.append(meta)
    return stills, metas


def _stored_points(
    rows: list[dict[str, Any]], geometry: Mapping[tuple[str, int], Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each step's measured points, for ``keyframes.json`` (missing coordinates as None)."""
    by_step: Mapping[tuple[Any, Any], Mapping[str, Any]] = geometry  # a row may lack side or frame
    stored = []
    for r in rows:
        g = by_step.get((r.get("side"), r.get("ic_frame")))
        if g:
            stored.append({"step": r.get("step"), "side": r.get("side"), "ic_frame": r.get("ic_frame"),
                           "points": {k: [_coordinate(x) for x in v] for k, v in g.items()}})
    return stored


def _coordinate(x: float | None) -> float | None:
    """A stored point coordinate: a float, or None where it is missing (NaN, or None read back)."""
    return None if x is None or not np.isfinite(x) else float(x)


def _finite_or_none(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None (JSON null), in nested dicts and lists.

    ``keyframes.json`` is written with ``allow_nan=False``; a value that was
    not measured (NaN in a row, a median of no values, a point the model
    lost) is written as null, the one representation of a missing value.
    """
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None
    return obj


def stored_geometry(out_dir: str | os.PathLike[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """The per-step points saved in ``keyframes/keyframes.json`` by an earlier run (or {})."""
    import json

    path = Path(out_dir) / "keyframes" / "keyframes.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for e in doc.get("geometry") or []:
        if isinstance(e, dict) and isinstance(e.get("ic_frame"), int) and isinstance(e.get("points"), dict):
            out[(str(e.get("side")), e["ic_frame"])] = {
                k: [float("nan") if x is None else x for x in v] if isinstance(v, list) else v
                for k, v in e["points"].items()}
    return out
