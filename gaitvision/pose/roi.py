"""The runner's region: run the pose model on a crop of the frame (``--roi x,y,w,h``).

When another person or a large moving object is in the picture, the pose
model can follow it instead of the runner (gait events issue, item 5). A
region of interest around the treadmill keeps the model's input to the
runner: frames are cropped before the model
(:func:`gaitvision.io.video.iter_frames` ``crop=``), and the landmarks are
moved back to full-frame pixels (:func:`uncrop`), so every later stage, the
overlay and the stills see the usual coordinates.

Without ``--roi`` the region is found from the full-frame pass
(:func:`find_runner`): the runner on a treadmill is the person whose hips
stay at one place in the picture while the ankles rise and fall in turn
at a running rhythm. When the pose model was on someone else for part of
the clip, :func:`gaitvision.pipeline` runs the pass again on that region
(:func:`auto_crop`), so that the model re-acquires the runner as soon as
the other person leaves it; frames in which the pose is still not the
runner's are left out later (:mod:`gaitvision.clean.person`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gaitvision.config import MIN_ROI_PX, check_roi
from gaitvision.errors import ConfigError
from gaitvision.track import LandmarkTrack

__all__ = ["MIN_ROI_PX", "Roi", "RunnerRegion", "at_place", "auto_crop", "check_roi", "find_runner", "fit_roi",
           "parse_roi", "uncrop"]

Roi = tuple[int, int, int, int]


def parse_roi(text: str) -> Roi:
    """``"x,y,w,h"`` (pixels of the upright frame) as a tuple.

    Raises
    ------
    ConfigError
        If it is not four non-negative integers with a width and height of at least :data:`MIN_ROI_PX`.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise ConfigError(f"roi must be four integers x,y,w,h (pixels), but got {text!r}.")
    return check_roi(parts)  # type: ignore[arg-type]  # check_roi converts and checks each


def fit_roi(roi: Roi, frame_wh: tuple[int, int]) -> Roi:
    """The region clipped to the upright frame.

    Raises
    ------
    ConfigError
        If less than :data:`MIN_ROI_PX` of it lies inside the frame.
    """
    x, y, w, h = check_roi(roi)
    fw, fh = frame_wh
    x1, y1 = min(x + w, fw), min(y + h, fh)
    if x1 - x < MIN_ROI_PX or y1 - y < MIN_ROI_PX:
        raise ConfigError(f"roi {x},{y},{w},{h} lies (almost) outside the {fw}x{fh} picture.")
    return x, y, x1 - x, y1 - y


def uncrop(track: LandmarkTrack, roi: Roi, frame_wh: tuple[int, int]) -> LandmarkTrack:
    """A track measured on the crop ``roi``, in full-frame pixels."""
    x, y, _, _ = roi
    xy = track.xy + np.array([x, y], dtype=np.float64)
    return track.replace(xy=xy, frame_size_wh=frame_wh)


# -- the runner's region, found automatically --------------------------------

#: stride periods of running, s (cadence 110-240 steps/min)
STRIDE_RANGE_S = (0.5, 1.1)
#: the ankles' alternation must repeat this well (autocorrelation at the stride period)
MIN_RHYTHM = 0.4
#: a pose is at the runner's place when its hip centre is this close to it, torso lengths
HOME_RADIUS_TORSO = 0.6
#: and its torso length within this factor of the runner's
SIZE_FACTOR = 1.3
#: margin of the region around the runner's landmark box, torso lengths
REGION_MARGIN_TORSO = 0.5
#: the pass is run again on the region only if the pose was elsewhere this long, s
MIN_ELSEWHERE_S = 0.1
#: and only if at least this fraction of those poses had their hips outside the region
MIN_OUTSIDE = 0.2
#: and only if the region is at most this fraction of the frame's area
MAX_CROP_AREA = 0.85


@dataclass(frozen=True)
class RunnerRegion:
    """Where the runner is in the picture (:func:`find_runner`).

    Attributes
    ----------
    roi
        The crop for the pose model ``(x, y, w, h)``: the runner's landmark
        box over the clip with a margin for the limbs, inside the frame.
    home_px
        Median hip centre of the runner, pixels.
    torso_px
        Median torso length (shoulder centre to hip centre), pixels.
    stride_s
        The ankles' rhythm: the stride period found, s.
    at_home
        Per frame: the pose is at the runner's place with the runner's size.
    """

    roi: Roi
    home_px: tuple[float, float]
    torso_px: float
    stride_s: float
    at_home: NDArray[np.bool_]

    def elsewhere_s(self, track: LandmarkTrack) -> float:
        """How long the pose was on someone or something else (found, not at the runner's place), s."""
        found = np.isfinite(_hip_centre(track)).all(axis=1)
        dt = float(np.median(np.diff(track.time_s))) if track.n_frames > 1 else 0.0
        return float(np.sum(found & ~self.at_home)) * dt


def _pair_mean(track: LandmarkTrack, a: str, b: str) -> NDArray[np.float64]:
    names = track.landmark_names
    out: NDArray[np.float64] = (track.xy[:, names.index(a)] + track.xy[:, names.index(b)]) / 2
    return out


def _hip_centre(track: LandmarkTrack) -> NDArray[np.float64]:
    return _pair_mean(track, "left_hip", "right_hip")


def at_place(track: LandmarkTrack, home_px: tuple[float, float], torso_px: float) -> NDArray[np.bool_]:
    """Per frame: the pose's hips within :data:`HOME_RADIUS_TORSO` of ``home_px`` at the runner's size."""
    hip = _hip_centre(track)
    torso = np.linalg.norm(_pair_mean(track, "left_shoulder", "right_shoulder") - hip, axis=1)
    with np.errstate(invalid="ignore"):
        near = np.linalg.norm(hip - np.asarray(home_px), axis=1) < HOME_RADIUS_TORSO * torso_px
        size = (torso < SIZE_FACTOR * torso_px) & (torso > torso_px / SIZE_FACTOR)
    out: NDArray[np.bool_] = near & size
    return out


def find_runner(track: LandmarkTrack) -> RunnerRegion | None:
    """The treadmill runner's place and region, from a (full-frame) pose track.

    The place: the hip position that the most frames' hips lie within
    :data:`HOME_RADIUS_TORSO` torso lengths of (a person crossing the
    picture passes any one place quickly; the runner stays). The runner is
    confirmed by the rhythm: over the longest run of frames at that place,
    the difference of the two ankles' heights alternates with a period in
    :data:`STRIDE_RANGE_S` (autocorrelation at least :data:`MIN_RHYTHM`).

    Returns
    -------
    RunnerRegion or None
        None when no place has 1.5 s of poses or no running rhythm is found
        there (then nothing is cropped).
    """
    hip = _hip_centre(track)
    torso = np.linalg.norm(_pair_mean(track, "left_shoulder", "right_shoulder") - hip, axis=1)
    found = np.flatnonzero(np.isfinite(hip).all(axis=1) & np.isfinite(torso) & (torso > 1.0))
    t = track.time_s
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    if dt <= 0 or found.size * dt < 1.5:
        return None
    cand = found[:: max(1, found.size // 300)]
    ref = found[:: max(1, found.size // 3000)]  # bounded memory on long clips
    d = np.linalg.norm(hip[cand][:, None] - hip[ref][None], axis=2)
    counts = (d < HOME_RADIUS_TORSO * torso[cand][:, None]).sum(axis=1)
    c = cand[int(np.argmax(counts))]
    close = found[np.linalg.norm(hip[found] - hip[c], axis=1) < HOME_RADIUS_TORSO * torso[c]]
    home = (float(np.median(hip[close, 0])), float(np.median(hip[close, 1])))
    torso_px = float(np.median(torso[close]))
    at_home = at_place(track, home, torso_px)
    stride = _rhythm(track, at_home, torso_px, dt)
    if stride is None:
        return None
    return RunnerRegion(_region(track, at_home, torso_px), home, torso_px, stride, at_home)


def _longest_run(mask: NDArray[np.bool_]) -> slice:
    best, start, best_len = slice(0, 0), None, 0
    for i, m in enumerate([*mask.tolist(), False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            if i - start > best_len:
                best, best_len = slice(start, i), i - start
            start = None
    return best


def _rhythm(track: LandmarkTrack, at_home: NDArray[np.bool_], torso_px: float, dt: float) -> float | None:
    """The stride period of the ankles' alternation over the longest run at the runner's place (None: none)."""
    names = track.landmark_names
    run = _longest_run(at_home)
    ya = track.xy[run, names.index("left_ankle"), 1] - track.xy[run, names.index("right_ankle"), 1]
    lo, hi = (int(round(v / dt)) for v in STRIDE_RANGE_S)
    ok = np.isfinite(ya)
    if ok.sum() < 2 * hi or ok.mean() < 0.8:
        return None
    x = np.interp(np.arange(ya.size), np.flatnonzero(ok), ya[ok]) / torso_px
    x = x - x.mean()
    if float(np.std(x)) < 0.05:  # the ankles hardly move: standing, or the pose of a still object
        return None
    ac = np.array([np.dot(x[:-k], x[k:]) / np.sqrt(np.dot(x[:-k], x[:-k]) * np.dot(x[k:], x[k:]))
                   for k in range(lo, min(hi, x.size // 2) + 1)])
    if not ac.size or float(ac.max()) < MIN_RHYTHM:
        return None
    return float((lo + int(np.argmax(ac))) * dt)


def _region(track: LandmarkTrack, at_home: NDArray[np.bool_], torso_px: float) -> Roi:
    """The runner's landmark box (2nd-98th percentile over its frames) with a margin, inside the frame."""
    pts = track.xy[at_home]
    with np.errstate(invalid="ignore"):
        x0 = float(np.nanpercentile(np.nanmin(pts[..., 0], axis=1), 2))
        x1 = float(np.nanpercentile(np.nanmax(pts[..., 0], axis=1), 98))
        y0 = float(np.nanpercentile(np.nanmin(pts[..., 1], axis=1), 2))
        y1 = float(np.nanpercentile(np.nanmax(pts[..., 1], axis=1), 98))
    # the pose detector needs some context around the person
    fw, fh = track.frame_size_wh
    mx, my = REGION_MARGIN_TORSO * torso_px, REGION_MARGIN_TORSO * torso_px
    left, right = max(0, int(x0 - mx)), min(fw, int(np.ceil(x1 + mx)))
    top, bottom = max(0, int(y0 - my)), min(fh, int(np.ceil(y1 + my)))
    w, h = max(right - left, min(MIN_ROI_PX, fw)), max(bottom - top, min(MIN_ROI_PX, fh))
    return min(left, fw - w), min(top, fh - h), w, h


def auto_crop(track: LandmarkTrack) -> RunnerRegion | None:
    """The region to run the pose pass again on, or None to keep the full-frame ``track``.

    Only when the runner is found, the pose was somewhere else than the
    runner's place for at least :data:`MIN_ELSEWHERE_S` (someone crossed or
    stood in front), and the region leaves out a useful part of the frame
    (at most :data:`MAX_CROP_AREA` of it): a clip of one runner keeps its
    full-frame track, unchanged. Nor when the other poses are themselves a
    runner at a fixed place (two treadmills side by side), or were all
    inside the region (then the crop would not keep them out; at least
    :data:`MIN_OUTSIDE` must lie outside): that is left to
    :func:`gaitvision.clean.person.follow_one_person`, which keeps the one
    seen longer.
    """
    region = find_runner(track)
    if region is None or region.elsewhere_s(track) < MIN_ELSEWHERE_S:
        return None
    others = track.xy.copy()
    others[region.at_home] = np.nan
    if find_runner(track.replace(xy=others)) is not None:
        return None  # a second runner at a place of their own: which one is meant is not ours to say
    fw, fh = track.frame_size_wh
    x, y, w, h = region.roi
    if w * h > MAX_CROP_AREA * fw * fh:
        return None
    hip = _hip_centre(track)[np.isfinite(_hip_centre(track)).all(axis=1) & ~region.at_home]
    outside = (hip[:, 0] < x) | (hip[:, 0] > x + w) | (hip[:, 1] < y) | (hip[:, 1] > y + h)
    if outside.mean() < MIN_OUTSIDE:
        return None  # the other poses were inside the region too: cropping would not keep them out
    return region
