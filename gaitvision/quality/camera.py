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
turned by ``yaw`` their true signed image separation is ``width * sin(yaw)``.
MediaPipe does not place them so (measured on rendered runners, see
:data:`SIDE_PAIRS`): it sees a side-on runner a little turned towards the
camera whichever way the runner faces (a bias), it answers a camera behind
the runner at about the true width but one in front of the runner at a third
to a half of it (the far-side points stay near the near-side ones), and its
shoulders and hips flip between the two readings (facing towards or away
from the camera) for long stretches, so that their median jumps with the
share of frames of each. So each pair is read through its own measured
response, per facing and per side of square (``bias - gain * sin(f)``, f the
turn towards the runner's front), shoulders and hips at their 90th
percentile (the "turned away" reading, which follows the yaw steadily); the
pairs are averaged by their between-clip spreads. A fixed width per pair,
as before, read a side-right camera turned 20 deg towards the runner's front
as 6-9 deg.

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
:data:`STANCE_TRAVEL_PER_LEG`); each foot's median over its stances, then the
mean of both feet, so that the left/right toe-out cancels.

Rear and front views, roll: the trunk (mid-hip to mid-shoulder) is vertical
on average over the strides, and the hip line level (a pelvic drop to one
side is undone by the other side's); combined with the scene's straight
lines when the image-line roll has support.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from gaitvision.quality.playback import leg_length_px
from gaitvision.track import LandmarkTrack

__all__ = ["AngleEstimate", "CameraEstimate", "camera_warnings", "estimate_camera"]

class SidePair(NamedTuple):
    """How MediaPipe separates one left/right landmark pair in a side view (:data:`SIDE_PAIRS`).

    ``left`` and ``right`` (the runner's image facing) are ``(bias, gain_front, gain_back)``: the
    ``percentile`` of the per-frame image-x separations right minus left, per leg length, is
    ``bias - gain * sin(f)``, ``f`` the camera's turn towards the runner's front (``gain_front``
    for f > 0, ``gain_back`` behind). ``bias_sd`` is the SD of square clips' separations about the bias, ``gain_sd`` the
    relative SD of turned clips' gains.
    """

    name: str
    left: tuple[float, float, float]
    right: tuple[float, float, float]
    bias_sd: float
    gain_sd: float
    #: the percentile of the per-frame separations used (50: the median)
    percentile: float = 50.0


#: Side views: the pairs, as MediaPipe places them on rendered runners. The face's medians: it
#: sees a side-on runner a little turned towards the camera (bias < 0 in both facings), answers
#: a camera behind the runner at about the true widths and one in front of it at a third to a
#: half of them, and not mirror-symmetrically (hence per facing). The shoulders and hips flip
#: between the facing-towards and facing-away readings, so their 90th percentile (the away
#: reading) is used, which follows the yaw at about the true width. The pairs of one clip err
#: together. Fitted on 26 rendered side clips (20 of the calibration grid's and 6 at seeds
#: 7001-7102), square and turned -20..20 deg, both facings and sexes; checked on others
#: (docs/camera_setup.md).
SIDE_PAIRS = (
    SidePair("eye_outer", (-0.0066, 0.0508, 0.0725), (-0.0132, 0.0278, 0.118), 0.0018, 0.22),
    SidePair("ear", (-0.0078, 0.0549, 0.1085), (-0.0134, 0.0353, 0.1799), 0.0016, 0.24),
    SidePair("eye", (-0.0048, 0.0353, 0.0498), (-0.0095, 0.0181, 0.083), 0.0012, 0.22),
    SidePair("shoulder", (0.0705, 0.6071, 0.3907), (0.0487, 0.4315, 0.4204), 0.0141, 0.06, 90.0),
    SidePair("hip", (0.0339, 0.184, 0.2033), (0.0004, 0.0715, 0.2733), 0.0065, 0.12, 90.0),
)

#: Rear/front views: ``(per_leg, spread)``: MediaPipe's heel-to-foot-index length over the leg
#: length, and its relative 95 % spread between runners: on 11 rendered clips turned 8-15 deg
#: 0.21-0.26 for women, 0.27-0.37 for men (anny bodies), median 0.29.
FOOT_PER_LEG = (0.29, 0.3)
#: Backward slide of the stance ankle from contact to toe-off over leg length (belt speed x
#: contact time, 0.6-0.9 m, over the leg), and its relative spread, per view: on the same clips
#: 0.71-0.91 seen from behind (median 0.77), 0.62-0.68 from the front (the foot moves away).
STANCE_TRAVEL_PER_LEG = {"rear": (0.77, 0.15), "front": (0.65, 0.15)}
#: Focal length of a phone's main camera (26 mm equivalent) per image diagonal.
FOCAL_PER_DIAGONAL = 26.0 / math.hypot(36.0, 24.0)
#: Spread (deg, 95 %) of each method beyond its between-step scatter, from the bench.
SYSTEMATIC_DEG = {"side_yaw": 2.0, "frontal_yaw": 3.0, "side_roll": 3.5, "frontal_roll": 1.5}
#: Side-view belt tilt: the toe's x is smoothed over this long (s) to tell its direction, and
#: a backward run this long (s) counts as a stance (at 30-240 fps).
SMOOTH_S = 0.08
MIN_STANCE_S = 0.12
#: Fewest stance phases a per-step method needs.
MIN_STEPS = 3
#: Fewest frames with a pair tracked for its separation (side-view yaw).
MIN_FRAMES = 10


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


def side_separations(track: LandmarkTrack, leg: float) -> dict[str, tuple[float, float]]:
    """Per :data:`SIDE_PAIRS` pair: its percentile of the per-frame image-x separations right minus
    left per leg length, and that percentile's 95 % half-width (IQR-based; a stride of frames
    counted as one sample)."""
    fps = track.fps_estimate()
    per_stride = max(1.0, 0.7 * fps) if math.isfinite(fps) and fps > 0 else 1.0
    out = {}
    for pair in SIDE_PAIRS:
        if f"left_{pair.name}" not in track.landmark_names:
            continue
        raw = (track.landmark(f"right_{pair.name}")[:, 0] - track.landmark(f"left_{pair.name}")[:, 0]) / leg
        raw = raw[np.isfinite(raw)]
        if raw.size < MIN_FRAMES:
            continue
        q1, q, q3 = np.percentile(raw, [25, pair.percentile, 75])
        se = 1.253 * (q3 - q1) / 1.349 / math.sqrt(max(1, round(raw.size / per_stride)))
        out[pair.name] = (float(q), float(1.96 * se))
    return out


def _side_yaw(track: LandmarkTrack, facing: str, leg: float) -> AngleEstimate:
    """Yaw from the image separation of left/right landmark pairs, through MediaPipe's response.

    Each pair's separation is inverted through its :data:`SIDE_PAIRS` line
    (front or back branch by the sign of its offset from the bias); the
    pairs are averaged by their between-clip spreads, and since one clip's
    pairs err together, the average keeps the mean spread (not a reduced one).
    """
    seps = side_separations(track, leg)
    parts = []
    for pair in SIDE_PAIRS:
        if pair.name not in seps:
            continue
        sep, hw = seps[pair.name]
        bias, gain_front, gain_back = pair.left if facing == "left" else pair.right
        u = bias - sep
        gain = gain_front if u > 0 else gain_back
        s = max(-0.99, min(0.99, u / gain))
        sd = math.hypot(math.hypot(pair.bias_sd, hw / 1.96) / gain, s * pair.gain_sd)  # of sin(f)
        parts.append((_asin_deg(s), 1.96 * math.degrees(sd / math.sqrt(1.0 - s * s))))
    if not parts:
        return AngleEstimate(None, None, "not measurable: head, shoulders and hips not tracked")
    w = np.array([1.0 / u**2 for _, u in parts])
    front = float(w @ np.array([v for v, _ in parts]) / w.sum())
    half_width = float(w @ np.array([u for _, u in parts]) / w.sum())
    yaw = front if facing == "right" else -front  # synth: + turns a side-right camera towards the front
    return AngleEstimate(yaw, math.hypot(half_width, SYSTEMATIC_DEG["side_yaw"]),
                         "image separation of the eyes, ears, shoulders and hips, through MediaPipe's response")


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
    """Yaw from the feet's sideways image component and the stance foot's sideways slide.

    Each foot's median over its stances first, then the mean of the two
    feet: the toe-out of one foot cancels the other's only so (the median of
    both feet's stances together picks one foot's cluster).
    """
    if len(stances) < MIN_STEPS:
        return AngleEstimate(None, None, "not measurable: too few stance phases")
    L = track.landmark
    sign = 1.0 if view == "rear" else -1.0  # the image direction a forward vector turns to, per + yaw
    mid_hip = (L("left_hip") + L("right_hip")) / 2
    foot: dict[str, list[float]] = {"left": [], "right": []}
    slide: dict[str, list[float]] = {"left": [], "right": []}
    for side, ic, to in stances:
        if side not in foot:
            continue
        n = to - ic
        a, b = ic + round(0.2 * n), ic + round(0.6 * n)
        vec = (L(f"{side}_foot_index") - L(f"{side}_heel"))[a:b + 1, 0]
        foot[side].append(float(np.nanmedian(vec)) if np.isfinite(vec).any() else math.nan)
        ank = L(f"{side}_ankle")
        slide[side].append(float(-((ank[to, 0] - ank[ic, 0]) - (mid_hip[to, 0] - mid_hip[ic, 0]))))
    parts = []
    travel = STANCE_TRAVEL_PER_LEG["front" if view == "front" else "rear"]
    for per_side, (per_leg, rel) in ((foot, FOOT_PER_LEG), (slide, travel)):
        meds = []
        for samples in per_side.values():
            x = sign * np.array(samples, dtype=float) / (per_leg * leg)
            med, hw = _median_and_half_width(x, len(samples))
            if math.isfinite(med) and math.isfinite(hw):
                meds.append((med, hw))
        if len(meds) != 2:
            continue
        med = (meds[0][0] + meds[1][0]) / 2
        hw = math.hypot(meds[0][1], meds[1][1]) / 2
        slope = math.degrees(1.0 / math.sqrt(max(1e-3, 1.0 - min(med * med, 0.99))))
        value = _asin_deg(med)
        parts.append((value, math.hypot(hw * slope, SYSTEMATIC_DEG["frontal_yaw"], rel * value)))
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
        yaw = _side_yaw(track, facing, leg)
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
