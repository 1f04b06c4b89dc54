"""Pelvic obliquity measured from the image, not from the pose model's hips.

MediaPipe places its hip landmarks from the silhouette and the legs, so its
left-right hip line barely follows the pelvis (metrics.md, "Decisions").
Clinicians read pelvic drop from the posterior pelvis: the PSIS, often
marked with tape. This module measures, per frame of a rear (or front)
view:

- the **waistband line**: the shirt-shorts (or skin-shorts) boundary, a
  horizontal colour edge that moves with the pelvis, found inside a region
  placed from MediaPipe's hips and shoulders;
- the **marker line**: the line through two coloured tape dots on the PSIS,
  when the therapist has applied them;
- the **camera roll**: the tilt of the scene's long horizontal and vertical
  lines (treadmill deck, walls, door frames), to be subtracted so that a
  tilted phone does not read as pelvic drop.

Everything here is a pure function of images and landmarks, except
:func:`measure_pelvis_video`, which decodes a clip once (no pose model)
and returns arrays suitable for caching beside ``track.npz``.

Sign convention (all ``*_deg`` pelvis angles): identical to
:func:`gaitvision.metrics.pelvis.pelvis_line_deg`, i.e.
``atan2(y_right - y_left, |x_right - x_left|)`` with image y down: positive
when the runner's **right** side of the line is lower in the image, in a
rear and a front view alike. Roll-corrected angles are measured against
the scene's horizontal instead of the image rows.
"""

from __future__ import annotations

from gaitvision.pose.pelvis_image.markers import MarkerDetection, detect_markers
from gaitvision.pose.pelvis_image.measure import (
    PelvisImageSeries,
    measure_pelvis_frames,
    measure_pelvis_video,
)
from gaitvision.pose.pelvis_image.roll import estimate_roll_deg
from gaitvision.pose.pelvis_image.series import marker_line_series, waistband_line_series
from gaitvision.pose.pelvis_image.waistband import WaistbandCandidate, waistband_candidates

__all__ = [
    "MarkerDetection",
    "PelvisImageSeries",
    "WaistbandCandidate",
    "detect_markers",
    "estimate_roll_deg",
    "marker_line_series",
    "measure_pelvis_frames",
    "measure_pelvis_video",
    "waistband_candidates",
    "waistband_line_series",
]
