"""Which way the camera looks at the runner, decided once per clip."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gaitvision.errors import InsufficientDataError
from gaitvision.track import LandmarkTrack

__all__ = ["ViewEstimate", "View", "classify_view", "resolve_view"]

View = Literal["side-left", "side-right", "rear", "front"]
Facing = Literal["left", "right", "toward", "away"]
VIEWS: tuple[str, ...] = ("side-left", "side-right", "rear", "front")

#: Shoulder-plus-hip width over torso length below which a clip is a side
#: view. Measured: 0.15 on side clips, 0.53 on rear clips (real and rendered).
_SIDE_WIDTH_RATIO = 0.3


@dataclass(frozen=True)
class ViewEstimate:
    """The view of a clip and the evidence for it."""

    view: View
    facing: Facing
    near_side: Literal["left", "right"] | None
    width_ratio: float
    facing_score: float


def classify_view(track: LandmarkTrack) -> ViewEstimate:
    """Classify the clip as ``side-left``, ``side-right``, ``rear`` or ``front``.

    Decided once for the whole clip from medians over all frames, so a few
    bad frames cannot flip the runner's direction (the per-frame decision
    is what makes peers swap legs on treadmills).

    Notes
    -----
    - Side vs frontal: the image width of the shoulders and hips relative
      to the torso length is small when the camera looks from the side.
    - Facing in a side view: the median sign of toe minus heel x over both
      feet (metrics.md, ``dir``), the nose-minus-ears sign as a tie-breaker.
    - Rear vs front: MediaPipe labels anatomical sides, so the runner's
      right hip appears on the image right in a rear view and on the image
      left in a front view.
    - Near leg in a side view follows from the facing: a runner facing
      image left shows the camera their left side.
    """
    L = track.landmark
    sh_l, sh_r, hip_l, hip_r = (
        L("left_shoulder"), L("right_shoulder"), L("left_hip"), L("right_hip")
    )
    mh = (hip_l + hip_r) / 2
    ms = (sh_l + sh_r) / 2
    torso = np.nanmedian(np.linalg.norm(ms - mh, axis=1))
    if not np.isfinite(torso) or torso <= 0:
        raise InsufficientDataError("The runner's torso was not tracked; cannot tell the view.")
    width = (
        np.nanmedian(np.abs(sh_r[:, 0] - sh_l[:, 0])) + np.nanmedian(np.abs(hip_r[:, 0] - hip_l[:, 0]))
    ) / 2
    ratio = float(width / torso)
    if ratio < _SIDE_WIDTH_RATIO:
        foot = np.concatenate([
            L("left_foot_index")[:, 0] - L("left_heel")[:, 0],
            L("right_foot_index")[:, 0] - L("right_heel")[:, 0],
        ])
        score = float(np.nanmean(np.sign(foot)))
        if abs(score) < 0.2:
            ears = (L("left_ear") + L("right_ear")) / 2
            score = float(np.nanmean(np.sign(L("nose")[:, 0] - ears[:, 0])))
        facing: Literal["left", "right"] = "right" if score > 0 else "left"
        # A runner facing image left shows the camera their left side.
        near: Literal["left", "right"] = facing
        return ViewEstimate(
            view="side-left" if facing == "left" else "side-right",
            facing=facing, near_side=near, width_ratio=ratio, facing_score=score,
        )
    signed = np.nanmedian(np.sign(hip_r[:, 0] - hip_l[:, 0]) + np.sign(sh_r[:, 0] - sh_l[:, 0]))
    if signed >= 0:
        return ViewEstimate("rear", "away", None, ratio, float(signed))
    return ViewEstimate("front", "toward", None, ratio, float(signed))


def resolve_view(track: LandmarkTrack, view: str = "auto") -> ViewEstimate:
    """The clip's view: classified (``"auto"``) or as the user set it.

    A set side view fixes the facing and the near leg (a runner facing
    image left shows the camera their left side).
    """
    est = classify_view(track)
    if view == "auto":
        return est
    set_view, facing = _SET_VIEWS[view]
    return dataclasses.replace(est, view=set_view, facing=facing, near_side=_NEAR_SIDES.get(view))


#: A view set by the user -> (the view, the runner's facing).
_SET_VIEWS: dict[str, tuple[View, Facing]] = {
    "side-left": ("side-left", "left"), "side-right": ("side-right", "right"),
    "rear": ("rear", "away"), "front": ("front", "toward"),
}
#: The near leg of a set side view.
_NEAR_SIDES: dict[str, Literal["left", "right"]] = {"side-left": "left", "side-right": "right"}
