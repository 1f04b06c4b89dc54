"""Where the camera stood: its yaw to the treadmill's direction and its roll, from the runner.

A camera turned from square (yaw) foreshortens the angles of the plane it
should see face-on, and a rolled camera tilts every angle measured against
the image axes. These estimates say how far each is off, so that the
intervals can be widened and re-filming advised. Pure functions on the pose
track and the step rows, no I/O; the image-line roll of a rear/front clip
(``PelvisImageSeries.roll_deg``) can be passed in.

Sign convention (that of ``gaitvision synth --yaw/--roll``, see
``gaitvision.synth.camera``; world x = running direction, y = runner's left,
z up):

- **yaw** turns the camera about the runner, counter-clockwise seen from
  above. Side-left view (runner faces image left, camera on the runner's
  left): + moves the camera towards the runner's back. Side-right view:
  + moves it towards the runner's front. Rear view: + moves it towards the
  runner's right. Front view: + towards the runner's left.
- **roll** turns the camera about its optical axis; + turns the picture
  counter-clockwise on screen: level lines then rise to the right (image
  slope ``atan(dy/dx)``, y down, of ``-roll``).

Methods
-------
Side views, yaw: the left and right eyes (outer corners, centres), ears,
shoulders and hips lie on one image point each when the camera is square;
turned by ``yaw`` their signed image separation is ``width * sin(yaw)``,
each width a fixed fraction of the leg length (:data:`SIDE_PAIRS`); the
pairs' estimates are combined by their spreads (the face's are the tightest).

Side views, roll: the near foot's toe slides straight along the belt in
stance (the frames it moves backwards; the middle half of each such run);
the median slope of that path over the stances is the belt's tilt in the
image. A yawed camera tilts the belt's image by
perspective, ``atan(h tan(yaw) / D)`` (h: lens height over the belt, D:
distance), estimated for a level phone camera (:data:`FOCAL_PER_DIAGONAL`)
and removed; what is left is the roll, with all of that term as its
uncertainty (a pitched phone moves the horizon). The belt tilt itself is
reported too, with no assumption: it is what tilts the side-view angles
(their truth is read against the belt), so it is the number to correct or
widen side-view angles by.

Rear and front views, yaw: a foot on the belt points along the running
direction, so seen from a turned camera the heel-to-toe vector in stance
gains a sideways image component ``foot * sin(yaw)``; and the stance foot
slides backwards along the belt, ``travel * sin(yaw)`` sideways in the image.
Both relative to the leg length (:data:`FOOT_PER_LEG`,
:data:`STANCE_TRAVEL_PER_LEG`); the left/right toe-out cancels in the mean
of both feet.

Rear and front views, roll: the trunk (mid-hip to mid-shoulder) is vertical
on average over the strides, and the hip line level (a pelvic drop to one
side is undone by the other side's); combined with the scene's straight
lines when the image-line roll has support.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.quality.playback import leg_length_px
from gaitvision.track import LandmarkTrack

__all__ = ["AngleEstimate", "CameraEstimate", "camera_warnings", "estimate_camera"]

#: MediaPipe hip-landmark width over leg length (thigh + shank, quality.playback.leg_length_px).
HIP_WIDTH_PER_LEG = 0.2253
#: Shoulder-landmark width over leg length.
SHOULDER_WIDTH_PER_LEG = 0.3685
#: Side views: left/right landmark pairs, as MediaPipe places them on rendered
#: runners: ``(name, width, image_bias, view_bias, spread)``. The image-x
#: separation right minus left, per leg length, is fitted as ``image_bias +
#: s * (view_bias + width * sin(yaw))`` (``s`` = +1 in a side-left view, -1 in
#: a side-right one) on 8 square and 2 yawed (+-20 deg) rendered side clips;
#: ``spread`` is the 95 % spread (deg) allowed beyond the fit's (residual SD
#: 1.8-2.9 deg for the face, 3.0-3.4 deg for shoulders and hips; MediaPipe
#: answers a camera in front of the runner less than one behind). The face is the
#: model's best-placed part; in a side view it swaps the far hip and shoulder
#: with the near ones for long stretches (their separation is bimodal).
SIDE_PAIRS = (
    ("eye_outer", 0.0704, -0.0077, 0.0052, 4.0),
    ("ear", 0.0917, -0.0070, 0.0051, 6.0),
    ("eye", 0.0480, -0.0057, 0.0037, 4.0),
    ("shoulder", SHOULDER_WIDTH_PER_LEG, -0.0628, 0.0145, 6.0),
    ("hip", HIP_WIDTH_PER_LEG, -0.0200, 0.0146, 7.0),
)

#: MediaPipe heel-to-foot-index length over leg length.
FOOT_PER_LEG = 0.24
#: Backward slide of the stance ankle from contact to toe-off over leg length.
STANCE_TRAVEL_PER_LEG = 0.8
#: Focal length of a phone's main camera (26 mm equivalent) per image diagonal.
FOCAL_PER_DIAGONAL = 26.0 / math.hypot(36.0, 24.0)
#: Spread (deg, 95 %) of each method beyond its between-step scatter, from the bench.
SYSTEMATIC_DEG = {"side_yaw": 3.5, "frontal_yaw": 4.0, "side_roll": 3.5, "frontal_roll": 1.5}
#: Side-view belt tilt: the toe's x is smoothed over this long (s) to tell its direction, and
#: a backward run this long (s) counts as a stance (at 30-240 fps).
SMOOTH_S = 0.08
MIN_STANCE_S = 0.12
#: Fewest stance phases a per-step method needs.
MIN_STEPS = 3


@dataclass(frozen=True)
class AngleEstimate:
    """One camera angle: value (deg), 95 % half-width (deg) and the method, or why not measurable."""

    value_deg: float | None
    uncertainty_deg: float | None
    method: str

    def to_dict(self, name: str) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, 1)
        return {f"{name}_deg": r(self.value_deg), f"{name}_uncertainty_deg": r(self.uncertainty_deg),
                f"{name}_method": self.method}


@dataclass(frozen=True)
class CameraEstimate:
    """The camera's yaw and roll (synth sign convention, module docstring).

    Attributes
    ----------
    view
        The clip's view.
    yaw, roll
        The estimates.
    belt_tilt_deg
        Side views: the belt's slope in the image (``atan(dy/dx)``, y down),
        what tilts the side-view angles; None in frontal views.
    """

    view: str
    yaw: AngleEstimate
    roll: AngleEstimate
    belt_tilt_deg: float | None = None

    @property
    def yaw_deg(self) -> float | None:
        return self.yaw.value_deg

    @property
    def roll_deg(self) -> float | None:
        return self.roll.value_deg

    def to_dict(self) -> dict[str, Any]:
        """As in ``summary.json`` ``camera``."""
        d = {**self.yaw.to_dict("yaw"), **self.roll.to_dict("roll")}
        if self.belt_tilt_deg is not None and math.isfinite(self.belt_tilt_deg):
            d["belt_tilt_deg"] = round(self.belt_tilt_deg, 1)
        d["convention"] = ("gaitvision synth --yaw/--roll: yaw counter-clockwise seen from above about the "
                           "runner; roll + turns the picture counter-clockwise")
        return d


def _stances(rows: Sequence[dict[str, Any]] | None, n_frames: int) -> list[tuple[str, int, int]]:
    """``(side, ic_frame, to_frame)`` of the usable steps."""
    out = []
    for r in rows or []:
        ic, to = r.get("ic_frame"), r.get("to_frame")
        if r.get("excluded_reason") or ic is None or to is None:
            continue
        ic, to = int(ic), int(to)
        if 0 <= ic < to < n_frames and to - ic >= 3:
            out.append((str(r.get("side")), ic, to))
    return out


def _combine(values: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Inverse-variance mean of ``(value, 95 % half-width)`` pairs and its half-width."""
    vals = [(v, u) for v, u in values if math.isfinite(v) and math.isfinite(u) and u > 0]
    if not vals:
        return None
    w = np.array([1.0 / u**2 for _, u in vals])
    v = np.array([x for x, _ in vals])
    return float(w @ v / w.sum()), float(1.0 / math.sqrt(w.sum()))


def _median_and_half_width(samples: NDArray[np.float64], n_independent: int) -> tuple[float, float]:
    """Median and the 95 % half-width of the median (IQR-based standard error)."""
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    q1, med, q3 = np.percentile(samples, [25, 50, 75])
    se = 1.253 * (q3 - q1) / 1.349 / math.sqrt(max(n_independent, 1))
    return float(med), float(1.96 * se)


def _asin_deg(x: float) -> float:
    return math.degrees(math.asin(max(-1.0, min(1.0, x))))


# -- side views ----------------------------------------------------------------


def _side_yaw(track: LandmarkTrack, facing: str, leg: float, n_strides: int) -> AngleEstimate:
    """Yaw from the signed image separation of left/right landmark pairs over their width."""
    L = track.landmark
    sign = 1.0 if facing == "left" else -1.0
    parts = []
    for name, width, image_bias, view_bias, systematic in SIDE_PAIRS:
        if f"left_{name}" not in track.landmark_names:
            continue
        raw = (L(f"right_{name}")[:, 0] - L(f"left_{name}")[:, 0]) / leg
        sep = (sign * (raw - image_bias) - view_bias) / width
        med, hw = _median_and_half_width(sep, n_strides)
        if math.isfinite(med):
            # d(asin)/dx in degrees, for the scatter's half-width
            slope = math.degrees(1.0 / math.sqrt(max(1e-3, 1.0 - min(med * med, 0.99))))
            parts.append((_asin_deg(med), math.hypot(hw * slope, systematic)))
    both = _combine(parts)
    if both is None:
        return AngleEstimate(None, None, "not measurable: head, shoulders and hips not tracked")
    return AngleEstimate(both[0], math.hypot(both[1], SYSTEMATIC_DEG["side_yaw"]),
                         "image separation of the eyes, ears, shoulders and hips over their width")


def _belt_slopes_deg(track: LandmarkTrack, side: str, facing: str) -> NDArray[np.float64]:
    """Image slope (deg, y down) of the toe's path on the belt, one per stance.

    A stance is a run of at least :data:`MIN_STANCE_S` in which the toe
    moves backwards (the belt carries it; in swing it moves forwards), the
    direction taken from its x smoothed over :data:`SMOOTH_S`; the middle
    half of each run (a quarter trimmed at each end, where the foot lands
    and rolls off) is fitted with a line. Found from the toe itself, not
    from the events.
    """
    toe = track.landmark(f"{side}_foot_index")
    fps = track.fps_estimate()
    if not (math.isfinite(fps) and fps > 0):
        return np.zeros(0)
    x = toe[:, 0]
    ok = np.isfinite(x)
    k = max(1, round(SMOOTH_S * fps))
    kernel = np.ones(k) / k
    smooth = np.convolve(np.where(ok, x, 0.0), kernel, "same") / np.maximum(
        np.convolve(ok.astype(float), kernel, "same"), 1e-9)
    backward = np.gradient(smooth) * (1.0 if facing == "left" else -1.0) > 0
    out = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], backward.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        n = stop - start
        if n < max(4, MIN_STANCE_S * fps):
            continue
        p = toe[start + n // 4: stop - n // 4]
        p = p[np.isfinite(p).all(axis=1)]
        if len(p) < 3 or np.ptp(p[:, 0]) < 3:
            continue
        out.append(math.degrees(math.atan(np.polyfit(p[:, 0], p[:, 1], 1)[0])))
    return np.array(out, dtype=float)


def _side_roll(track: LandmarkTrack, facing: str, near: str, yaw_deg: float | None
               ) -> tuple[AngleEstimate, float | None]:
    """Roll from the belt's tilt (the near toe's stance path) less the yaw's perspective tilt."""
    slopes = _belt_slopes_deg(track, near, facing)
    if slopes.size < MIN_STEPS:
        far = "right" if near == "left" else "left"
        slopes = _belt_slopes_deg(track, far, facing)
    if slopes.size < MIN_STEPS:
        return AngleEstimate(None, None, "not measurable: too few stance phases on the belt"), None
    tilt, hw = _median_and_half_width(slopes, slopes.size)
    persp, persp_hw = 0.0, 0.0
    if yaw_deg is not None:
        w, h = track.frame_size_wh
        focal = FOCAL_PER_DIAGONAL * math.hypot(w, h)
        toe_y = float(np.nanmedian(track.landmark(f"{near}_foot_index")[:, 1]))
        h_over_d = (toe_y - h / 2) / focal if math.isfinite(toe_y) else 0.3  # lens over belt / distance
        persp = math.degrees(math.atan(h_over_d * math.tan(math.radians(yaw_deg))))
        # a phone pitched up or down moves the horizon off the centre row: on the real side clip
        # (a low camera looking up) the level-camera term is likely most of it, so all of it is unsure
        persp_hw = abs(persp)
    unc = math.sqrt(hw**2 + persp_hw**2 + SYSTEMATIC_DEG["side_roll"] ** 2)
    return AngleEstimate(persp - tilt, unc, "belt tilt from the toe's path in stance, less the yaw's "
                         "perspective (level phone camera assumed)"), tilt


# -- rear and front views ------------------------------------------------------


def _frontal_yaw(track: LandmarkTrack, stances: list[tuple[str, int, int]], view: str,
                 leg: float) -> AngleEstimate:
    """Yaw from the feet's sideways image component and the stance foot's sideways slide."""
    if len(stances) < MIN_STEPS:
        return AngleEstimate(None, None, "not measurable: too few stance phases")
    L = track.landmark
    sign = 1.0 if view == "rear" else -1.0  # the image direction a forward vector turns to, per + yaw
    mid_hip = (L("left_hip") + L("right_hip")) / 2
    foot, slide = [], []
    for side, ic, to in stances:
        n = to - ic
        a, b = ic + round(0.2 * n), ic + round(0.6 * n)
        vec = (L(f"{side}_foot_index") - L(f"{side}_heel"))[a:b + 1, 0]
        foot.append(float(np.nanmedian(vec)) if np.isfinite(vec).any() else math.nan)
        ank = L(f"{side}_ankle")
        slide.append(float(-((ank[to, 0] - ank[ic, 0]) - (mid_hip[to, 0] - mid_hip[ic, 0]))))
    parts = []
    for samples, per_leg in ((np.array(foot), FOOT_PER_LEG), (np.array(slide), STANCE_TRAVEL_PER_LEG)):
        med, hw = _median_and_half_width(sign * samples / (per_leg * leg), len(stances))
        if math.isfinite(med):
            slope = math.degrees(1.0 / math.sqrt(max(1e-3, 1.0 - min(med * med, 0.99))))
            parts.append((_asin_deg(med), math.hypot(hw * slope, SYSTEMATIC_DEG["frontal_yaw"])))
    both = _combine(parts)
    if both is None:
        return AngleEstimate(None, None, "not measurable: feet not tracked")
    return AngleEstimate(both[0], both[1], "feet's sideways image component in stance and the stance slide")


def _frontal_roll(track: LandmarkTrack, view: str, image_roll: tuple[float, float] | None,
                  n_strides: int) -> AngleEstimate:
    """Roll from the mean trunk axis and hip line, and the scene's lines when measured."""
    L = track.landmark
    first, second = ("left", "right") if view == "rear" else ("right", "left")  # image left to right
    hip = L(f"{second}_hip") - L(f"{first}_hip")
    trunk = (L("left_shoulder") + L("right_shoulder")) / 2 - (L("left_hip") + L("right_hip")) / 2
    # a roll r turns image verticals by -r (top to the left) and level lines to slope -r
    trunk_tilt = np.degrees(np.arctan2(trunk[:, 0], -trunk[:, 1]))
    hip_slope = np.degrees(np.arctan2(hip[:, 1], hip[:, 0]))
    parts = []
    for samples in (trunk_tilt, hip_slope):
        med, hw = _median_and_half_width(-samples, n_strides)
        if math.isfinite(med):
            parts.append((med, math.hypot(hw, SYSTEMATIC_DEG["frontal_roll"])))
    methods = "mean trunk axis and hip line"
    if image_roll is not None and math.isfinite(image_roll[0]) and image_roll[1] >= 0.3:
        parts.append((-image_roll[0], 1.0))  # the scene's straight lines, slope sign -> roll sign
        methods += ", and the scene's straight lines"
    both = _combine(parts)
    if both is None:
        return AngleEstimate(None, None, "not measurable: trunk and hips not tracked")
    return AngleEstimate(both[0], both[1], methods)


def estimate_camera(
    track: LandmarkTrack,
    view: str,
    *,
    facing: str | None = None,
    near_side: str | None = None,
    rows: Sequence[dict[str, Any]] | None = None,
    image_roll: tuple[float, float] | None = None,
) -> CameraEstimate:
    """Estimate the camera's yaw and roll from the runner (and the scene's lines).

    Parameters
    ----------
    track
        The pose track (pixels of the upright frame), cleaned or raw.
    view
        ``side-left``, ``side-right``, ``rear`` or ``front``.
    facing, near_side
        Side views: the runner's image facing (``left``/``right``) and near
        leg; default from the view name.
    rows
        Step rows (``side``, ``ic_frame``, ``to_frame``, ``excluded_reason``)
        as in ``steps.csv``: the stance phases.
    image_roll
        ``(roll_deg, support)`` of the scene's lines (image slope convention,
        ``PelvisImageSeries.roll_deg`` / ``roll_support``), rear/front only.

    Returns
    -------
    CameraEstimate
        Yaw and roll in the synth convention (module docstring), each with a
        95 % half-width and the method, or ``None`` and why not.
    """
    leg = leg_length_px(track)
    stances = _stances(rows, track.n_frames)
    n_strides = max(len(stances) // 2, 1)
    if not (math.isfinite(leg) and leg > 0):
        nm = AngleEstimate(None, None, "not measurable: legs not tracked")
        return CameraEstimate(view, nm, nm)
    if view.startswith("side"):
        facing = facing or ("left" if view == "side-left" else "right")
        near = near_side or facing
        yaw = _side_yaw(track, facing, leg, n_strides)
        roll, tilt = _side_roll(track, facing, near, yaw.value_deg)
        return CameraEstimate(view, yaw, roll, tilt)
    yaw = _frontal_yaw(track, stances, view, leg)
    roll = _frontal_roll(track, view, image_roll, n_strides)
    return CameraEstimate(view, yaw, roll)


#: Beyond these (deg, the estimate less its uncertainty) the re-filming advice is given. Side: a
#: camera turned 15 deg adds ~4 deg to the near-foot strike angle; rear: 8 deg takes ~5 deg off
#: the knee FPPA (issue #10); a tilt of 3 deg tilts every angle read against the image axes by 3.
YAW_LIMIT_DEG = {"side": 10.0, "frontal": 6.0}
ROLL_LIMIT_DEG = 3.0


def camera_warnings(est: CameraEstimate) -> list[str]:
    """Re-filming advice when the camera was clearly turned or tilted (empty when it was square and level)."""
    out = []
    side = est.view.startswith("side")
    yaw, roll = est.yaw, est.roll
    if yaw.value_deg is not None and yaw.uncertainty_deg is not None:
        limit = YAW_LIMIT_DEG["side" if side else "frontal"]
        if abs(yaw.value_deg) - yaw.uncertainty_deg > limit:
            square = ("at right angles to the running direction, level with the hips" if side
                      else f"straight {'behind' if est.view == 'rear' else 'in front of'} the runner")
            out.append(
                f"The camera was turned about {abs(yaw.value_deg):.0f} deg from square to the treadmill "
                f"(+- {yaw.uncertainty_deg:.0f}): angles in the plane it should see face-on read a few degrees "
                f"off and their intervals are wider. Re-film with the phone {square}.")
    if (roll.value_deg is not None and roll.uncertainty_deg is not None
            and abs(roll.value_deg) - roll.uncertainty_deg > ROLL_LIMIT_DEG):
        out.append(
            f"The camera was tilted about {abs(roll.value_deg):.0f} deg (+- {roll.uncertainty_deg:.0f}): "
            "angles read against the image's vertical and horizontal are tilted with it. Re-film with the "
            "phone level (the camera app's grid or level helps).")
    return out
