"""Keep one runner: drop the frames in which the pose model followed someone else.

Two checks, both leaving the frames missing (not measurable) rather than
measuring the wrong person: a jump of the torso to another place
(:func:`follow_one_person`), and, for a runner on a treadmill, a pose that
is not at the runner's fixed place or not of the runner's size while
someone passes in front (:func:`gaitvision.pose.roi.find_runner` finds
the place; frames :data:`HIDDEN_MARGIN_S` either side of such frames go
too, as the pose model takes a few frames to leave and re-acquire the runner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.pose.roi import find_runner
from gaitvision.track import LandmarkTrack

__all__ = ["PersonCheck", "follow_one_person"]


# -- one runner ------------------------------------------------------------


@dataclass(frozen=True)
class PersonCheck:
    """Who was analysed.

    Attributes
    ----------
    position
        Where the analysed runner is: ``"left"``, ``"centre"`` or ``"right"``
        part of the picture (by the median hip position).
    box_frac
        Median bounding box of the runner's landmarks, as fractions of the
        frame ``[x0, y0, x1, y1]``.
    switches
        Times (s) at which the pose model jumped to someone else.
    frames_dropped
        Frames whose pose belonged to another person and were removed.
    hidden
        ``(start, end)`` times (s) of the stretches in which the pose was not
        at the runner's place (someone in front, or the model on them);
        their frames are among ``frames_dropped``.
    warnings
        Plain sentences for ``summary.json``.
    """

    position: str
    box_frac: list[float]
    switches: list[float]
    frames_dropped: int
    warnings: list[str]
    hidden: list[tuple[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``runner`` block of ``summary.json``."""
        return {
            "position": self.position,
            "box_frac": [round(v, 3) for v in self.box_frac],
            "switches_s": [round(v, 3) for v in self.switches],
            "frames_dropped": self.frames_dropped,
            "hidden_s": [[round(a, 3), round(b, 3)] for a, b in self.hidden],
            "tracked_by": "MediaPipe BlazePose (one person: the first it detects, followed "
                          "frame to frame; re-detected when lost)",
        }


_TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")

#: frames this close to a frame off the runner's place are left out too, s
HIDDEN_MARGIN_S = 0.15
#: a stretch at the runner's place shorter than this between two stretches off it is left out too, s
MIN_BACK_S = 0.3


def follow_one_person(
    track: LandmarkTrack, *, jump_torso: float = 0.8, min_segment_s: float = 0.0
) -> tuple[LandmarkTrack, PersonCheck]:
    """Keep one runner: remove frames in which the pose jumped to someone else.

    MediaPipe's pose solution follows a single person: the one its detector
    finds first, tracked frame to frame from the previous pose; when it
    loses them it detects again and may pick someone else (a PT walking
    past, a runner on the next treadmill). Such a jump shows as the torso
    centre moving more than ``jump_torso`` torso lengths between two
    consecutive detected frames. The frames are split into segments at
    jumps; segments whose torso centres lie within one torso length of each
    other are the same person; the person seen in the most frames is kept
    and the other frames set to missing (NaN, confidence 0).

    Returns
    -------
    track, check
        The track with only the kept person, and what was found.
    """
    idx = [track.landmark_names.index(n) for n in _TORSO]
    torso = track.xy[:, idx]
    ok = np.isfinite(torso).all(axis=(1, 2))
    centre = torso.mean(axis=1)
    length = np.linalg.norm(torso[:, :2].mean(axis=1) - torso[:, 2:].mean(axis=1), axis=1)
    frames = np.flatnonzero(ok)
    switches: list[float] = []
    if frames.size:
        seg_id, n_seg = _segments(frames, centre, length, track.n_frames, jump_torso)
        person = _group_segments(seg_id, n_seg, centre, length)
        counts = np.bincount(person, weights=[np.sum(seg_id == k) for k in range(n_seg)])
        keep_person = int(np.argmax(counts))
        keep = np.isin(seg_id, np.flatnonzero(person == keep_person))
        for a, b in zip(frames[:-1], frames[1:], strict=True):
            if person[seg_id[a]] != person[seg_id[b]]:
                switches.append(float(track.time_s[b]))
    else:
        keep = np.zeros(track.n_frames, bool)
    drop = ok & ~keep
    new = _dropped(track, drop)
    off = _off_the_runner(new)
    away = off & ok & keep
    hidden = [(float(track.time_s[a]), float(track.time_s[b - 1])) for a, b in _runs(off)]
    if away.any():
        drop |= away
        keep &= ~away
        new = _dropped(track, drop)
    box, cx = _runner_box(new, keep, centre)
    position = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    warnings = _switch_warnings(switches, position, int((drop & ~away).sum()))
    if hidden:
        warnings.append(
            f"Something passed in front of the runner or the pose model followed someone else "
            f"{len(hidden)} time(s) (first {hidden[0][0]:.1f}-{hidden[0][1]:.1f} s); those "
            f"{int(away.sum())} frames were not measured. Film with nobody passing in front."
        )
    return new, PersonCheck(position, box, switches, int(drop.sum()), warnings, hidden)


def _dropped(track: LandmarkTrack, drop: NDArray[np.bool_]) -> LandmarkTrack:
    """``track`` with the frames ``drop`` missing (the same object when there are none)."""
    if not drop.any():
        return track
    xy = track.xy.copy()
    conf = track.confidence.copy()
    xy[drop] = np.nan
    conf[drop] = 0.0
    return track.replace(xy=xy, confidence=conf)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(start, end)`` (end exclusive) of each run of True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _off_the_runner(track: LandmarkTrack) -> NDArray[np.bool_]:
    """Frames whose pose is not at the treadmill runner's place, with a margin (all False if no runner is found).

    Frames within :data:`HIDDEN_MARGIN_S` of such a frame are included
    (the pose model puts the runner's feet on the other person's legs a few
    frames before its hips follow, and takes a few to settle back), and
    so are the frames of a return to the place shorter than :data:`MIN_BACK_S`
    between two such stretches.
    """
    region = find_runner(track)
    n = track.n_frames
    if region is None:
        return np.zeros(n, bool)
    found = np.isfinite(track.xy[:, [track.landmark_names.index(k) for k in _TORSO]]).all(axis=(1, 2))
    away: NDArray[np.bool_] = found & ~region.at_home
    if not away.any():
        return away
    t = track.time_s
    out: NDArray[np.bool_] = away.copy()
    for a, b in _runs(away):
        out |= (t >= t[a] - HIDDEN_MARGIN_S) & (t <= t[b - 1] + HIDDEN_MARGIN_S)
    runs = _runs(out)
    for (_, b), (c, _) in zip(runs[:-1], runs[1:], strict=True):
        if t[c] - t[b - 1] < MIN_BACK_S:
            out[b:c] = True
    return out


def _segments(
    frames: NDArray[np.intp],
    centre: NDArray[np.float64],
    length: NDArray[np.float64],
    n_frames: int,
    jump_torso: float,
) -> tuple[NDArray[np.int_], int]:
    """Segment number of each detected frame (-1 elsewhere), split where the torso jumps; and the count."""
    seg_id = np.full(n_frames, -1)
    seg = 0
    seg_id[frames[0]] = 0
    for a, b in zip(frames[:-1], frames[1:], strict=True):
        ref = max(length[a], length[b], 1.0)
        d = np.linalg.norm(centre[b] - centre[a])
        size_jump = max(length[a], length[b]) / max(min(length[a], length[b]), 1.0)
        if d > jump_torso * ref or size_jump > 1.6:
            seg += 1
        seg_id[b] = seg
    return seg_id, seg + 1


def _group_segments(
    seg_id: NDArray[np.int_], n_seg: int, centre: NDArray[np.float64], length: NDArray[np.float64]
) -> NDArray[np.int_]:
    """Person number of each segment: segments whose median torso centres are within a torso length."""
    med = np.array([np.median(centre[seg_id == k], axis=0) for k in range(n_seg)])
    med_len = np.array([np.median(length[seg_id == k]) for k in range(n_seg)])
    person = np.full(n_seg, -1)
    for k in range(n_seg):
        for j in range(k):
            if np.linalg.norm(med[k] - med[j]) < max(med_len[k], med_len[j]):
                person[k] = person[j]
                break
        if person[k] < 0:
            person[k] = person.max() + 1
    return person


def _runner_box(
    new: LandmarkTrack, keep: NDArray[np.bool_], centre: NDArray[np.float64]
) -> tuple[list[float], float]:
    """Median landmark box of the kept runner as frame fractions, and the median centre's x fraction."""
    w, h = new.frame_size_wh
    pts = new.xy[keep] if keep.any() else new.xy[:0]
    if not pts.size:
        return [float("nan")] * 4, 0.5
    with np.errstate(invalid="ignore"):
        box = [float(np.nanmedian(np.nanmin(pts[..., 0], axis=1))) / w,
               float(np.nanmedian(np.nanmin(pts[..., 1], axis=1))) / h,
               float(np.nanmedian(np.nanmax(pts[..., 0], axis=1))) / w,
               float(np.nanmedian(np.nanmax(pts[..., 1], axis=1))) / h]
    cx = float(np.nanmedian(centre[keep, 0])) / w
    return box, cx


def _switch_warnings(switches: list[float], position: str, n_dropped: int) -> list[str]:
    if not switches:
        return []
    return [
        f"The pose model jumped to another person {len(switches)} time(s) (first at "
        f"{switches[0]:.1f} s); only the runner in the {position} of the picture was analysed and "
        f"{n_dropped} frames of the other person were left out. Film with nobody else in "
        "the picture."
    ]
