"""Keep one runner: drop the frames in which the pose model followed someone else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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
    warnings
        Plain sentences for ``summary.json``.
    """

    position: str
    box_frac: list[float]
    switches: list[float]
    frames_dropped: int
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The ``runner`` block of ``summary.json``."""
        return {
            "position": self.position,
            "box_frac": [round(v, 3) for v in self.box_frac],
            "switches_s": [round(v, 3) for v in self.switches],
            "frames_dropped": self.frames_dropped,
            "tracked_by": "MediaPipe BlazePose (one person: the first it detects, followed "
                          "frame to frame; re-detected when lost)",
        }


_TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


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
    seg_id = np.full(track.n_frames, -1)
    switches: list[float] = []
    if frames.size:
        seg = 0
        seg_id[frames[0]] = 0
        for a, b in zip(frames[:-1], frames[1:]):
            ref = max(length[a], length[b], 1.0)
            d = np.linalg.norm(centre[b] - centre[a])
            size_jump = max(length[a], length[b]) / max(min(length[a], length[b]), 1.0)
            if d > jump_torso * ref or size_jump > 1.6:
                seg += 1
            seg_id[b] = seg
        # group segments into people by their median centre
        n_seg = seg + 1
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
        counts = np.bincount(person, weights=[np.sum(seg_id == k) for k in range(n_seg)])
        keep_person = int(np.argmax(counts))
        keep = np.isin(seg_id, np.flatnonzero(person == keep_person))
        for a, b in zip(frames[:-1], frames[1:]):
            if person[seg_id[a]] != person[seg_id[b]]:
                switches.append(float(track.time_s[b]))
    else:
        keep = np.zeros(track.n_frames, bool)
    drop = ok & ~keep
    xy = track.xy.copy()
    conf = track.confidence.copy()
    xy[drop] = np.nan
    conf[drop] = 0.0
    new = track.replace(xy=xy, confidence=conf) if drop.any() else track
    w, h = track.frame_size_wh
    pts = new.xy[keep] if keep.any() else new.xy[:0]
    if pts.size:
        with np.errstate(invalid="ignore"):
            box = [float(np.nanmedian(np.nanmin(pts[..., 0], axis=1))) / w,
                   float(np.nanmedian(np.nanmin(pts[..., 1], axis=1))) / h,
                   float(np.nanmedian(np.nanmax(pts[..., 0], axis=1))) / w,
                   float(np.nanmedian(np.nanmax(pts[..., 1], axis=1))) / h]
        cx = float(np.nanmedian(centre[keep, 0])) / w
    else:
        box, cx = [float("nan")] * 4, 0.5
    position = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    warnings = []
    if switches:
        warnings.append(
            f"The pose model jumped to another person {len(switches)} time(s) (first at "
            f"{switches[0]:.1f} s); only the runner in the {position} of the picture was analysed and "
            f"{int(drop.sum())} frames of the other person were left out. Film with nobody else in "
            "the picture."
        )
    return new, PersonCheck(position, box, switches, int(drop.sum()), warnings)
