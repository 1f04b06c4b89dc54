"""The overlay drawn in the browser: its data, and the script that draws it.

The report page (``report.html``) and the clinic app's review page draw
the same overlay over the clip, in a ``<canvas>``, with the same script
(``report/static/overlay.js``, ``GVOverlay``): the skeleton of every frame
from the measured track, and at each step the lines and values measured
there. Drawing only draws values already computed (``steps.csv``'s).

:func:`overlay_data` is what the script draws; :func:`embedded_json` puts
it inside the page (a report opened from disk cannot ``fetch()`` a file).
:func:`page_video` picks what the page plays: the analysed clip itself
when the browser can play it, else a browser-playable H.264 copy
(``browser.mp4``) in the analysis folder.
"""

from __future__ import annotations

import json
import math
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from gaitvision.measurement import Measurement

__all__ = ["BROWSER_COPY", "OVERLAY_LANDMARKS", "OVERLAY_SCRIPT", "embedded_json", "json_ready", "overlay_data",
           "overlay_script", "video_href"]

#: The landmarks the overlay draws (the legs, and the shoulders for the trunk).
OVERLAY_LANDMARKS = tuple(f"{s}_{p}" for s in ("left", "right")
                          for p in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index"))
#: The per-step values drawn at the frame they were measured (``steps.csv`` columns).
DRAWN_VALUES = ("foot_strike_angle_deg", "knee_flexion_ic_deg", "knee_fppa_peak_deg", "pelvic_drop_peak_deg")
#: The browser-playable copy of a clip the browser cannot play, in the analysis folder.
BROWSER_COPY = "browser.mp4"
#: The shared drawing script (package data), served by the app at ``/static/shared/overlay.js``.
OVERLAY_SCRIPT = Path(__file__).parent / "static" / "overlay.js"


def json_ready(v: Any) -> Any:
    """``v`` for JSON: NumPy scalars as Python numbers, NaN and infinities as None, in nested dicts and lists."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_ready(x) for x in v]
    if isinstance(v, np.generic):
        return json_ready(v.item())
    return v


def _rounded(values: NDArray[np.float64]) -> list[float | None]:
    """Pixels rounded to 0.1 px; None where missing."""
    r = np.round(values.astype(np.float64), 1)
    return [None if not math.isfinite(v) else v for v in r.tolist()]


def measured_frame(row: Mapping[str, Any], side_view: bool) -> int | None:
    """The frame a step's values were measured at: its contact (side), its peak knee collapse (rear/front)."""
    if side_view:
        return int(row["ic_frame"])
    f = row.get("knee_fppa_peak_frame")
    return int(f) if isinstance(f, (int, np.integer)) else None


def overlay_data(m: Measurement, time_s: NDArray[np.float64]) -> dict[str, Any]:
    """What the overlay draws: per-frame times (the video's own), landmark x/y, and the steps.

    Parameters
    ----------
    m
        The measurement; its track's positions (cleaned, filtered,
        corrections applied, pixels of the upright frame) are drawn.
    time_s
        The container time of every frame from the first (``track.npz``'s
        ``time_s``): the video's own timeline, which the page maps
        ``currentTime`` to a frame with (slow-motion clips are measured in
        real time, but played in container time).

    Returns
    -------
    dict
        ``frame_size``, ``n_frames``, ``t`` (s, 6 decimals), ``view``,
        ``landmarks`` (name -> ``{"x": [...], "y": [...]}``, 0.1 px, None
        where missing), ``steps`` (number, side, frames, ``frame`` measured
        at, ``excluded``, ``values`` drawn, ``geometry``: the points each
        value was measured between).
    """
    track = m.track
    side_view = m.view.view.startswith("side")
    marks: dict[str, Any] = {}
    for name in OVERLAY_LANDMARKS:
        if name in track.landmark_names:
            xy = track.landmark(name)
            marks[name] = {"x": _rounded(xy[:, 0]), "y": _rounded(xy[:, 1])}
    steps = []
    for row, geo in zip(m.table.rows, m.table.geometry, strict=True):
        steps.append({
            "step": row["step"], "side": row["side"], "ic_frame": row["ic_frame"], "to_frame": row["to_frame"],
            "frame": measured_frame(row, side_view), "excluded": bool(row["excluded_reason"]),
            "values": {k: row.get(k) for k in DRAWN_VALUES if row.get(k) is not None},
            "geometry": {k: [round(float(x), 1) for x in v] for k, v in geo.items()},
        })
    out: dict[str, Any] = json_ready({"frame_size": list(track.frame_size_wh), "n_frames": int(len(time_s)),
                                  "t": [round(float(t), 6) for t in time_s], "view": m.view.view,
                                  "landmarks": marks, "steps": steps})
    return out


def embedded_json(data: Any) -> str:
    """``data`` as JSON safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c`` etc., so no string in the
    data can close the element or open another.
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def overlay_script() -> str:
    """The text of the shared drawing script."""
    return OVERLAY_SCRIPT.read_text(encoding="utf-8")


def video_href(video: Path, page_dir: Path) -> str:
    """The page's link to ``video``: relative to the page's folder where it can be, else a ``file:`` URI."""
    try:
        rel = os.path.relpath(video.resolve(), page_dir.resolve())
    except ValueError:  # another drive (Windows)
        return video.resolve().as_uri()
    return urllib.parse.quote(Path(rel).as_posix())
