"""Ground truth of a rendered clip: events, per-step metrics, summary (numpy only).

Every 2D truth is computed from the *projected* exact landmarks with the
definitions of metrics.md / outputs.md, in the image levelled so that the
belt line is horizontal (a rolled camera does not bias the truth).

Two truths per step for angles read at contact: ``at_frame`` is the value
at the first video frame in which the shoe touches the belt (what a method
that reads the contact frame should find) and ``at_time`` the value at the
exact contact instant (what a method that interpolates should find). They
differ by a few degrees at 60 fps because the knee and foot move fast at
contact. The summary reports means of ``at_frame``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.synth.camera import Camera
from gaitvision.synth.kinematics import GaitModel, fppa_deg, seen_from_behind

__all__ = ["compute_truth", "kin_landmarks", "SIDE_IDX"]

SIDE_IDX = {"L": {"hip": 23, "knee": 25, "ankle": 27, "heel": 29, "toe": 31, "shoulder": 11},
            "R": {"hip": 24, "knee": 26, "ankle": 28, "heel": 30, "toe": 32, "shoulder": 12}}
OTHER = {"L": "R", "R": "L"}
CONTACT_TOLERANCE_M = 0.003

Vec = NDArray[np.float64]
#: MediaPipe index -> a point (2D or 3D) or a series of points
Points = dict[int, Vec]


def kin_landmarks(gm: GaitModel, foot_pts: dict[str, dict[str, Vec]], t: float
                  ) -> Points:
    """Exact 3D hips, knees, ankles, heels and toes at any time ``t`` from the kinematics.

    ``foot_pts[side]["heel"|"toe"]`` are the tracked shoe vertices in the foot
    frame (rigid with the foot, so exact).
    """
    st = gm.state(t)
    out: Points = {}
    for s, leg in st.legs.items():
        ix = SIDE_IDX[s]
        out[ix["hip"]], out[ix["knee"]], out[ix["ankle"]] = leg.hip, leg.knee, leg.ankle
        out[ix["heel"]] = leg.ankle + leg.foot_R @ foot_pts[s]["heel"]
        out[ix["toe"]] = leg.ankle + leg.foot_R @ foot_pts[s]["toe"]
    return out


def _angle3(a: Vec, b: Vec, c: Vec) -> float:
    """180 - interior angle at ``b`` (flexion), any dimension."""
    u, v = a - b, c - b
    cosang = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return 180.0 - math.degrees(math.acos(min(max(cosang, -1.0), 1.0)))


class _Image:
    """Levelled 2D geometry of one camera: metrics.md formulas on projected points."""

    def __init__(self, cam: Camera, view: str, y_feet: float) -> None:
        self.cam, self.view = cam, view
        side = view.startswith("side")
        p = np.array([[-0.5, y_feet, 0.0], [0.5, y_feet, 0.0]]) if side else \
            np.array([[0.0, -0.3, 0.0], [0.0, 0.3, 0.0]])
        uv, _ = cam.project(p)
        d = uv[1] - uv[0]
        if d[0] < 0:
            d = -d
        self.roll = math.atan2(d[1], d[0])
        c, s = math.cos(-self.roll), math.sin(-self.roll)
        self.Rl = np.array([[c, -s], [s, c]])
        fwd, _ = cam.project(np.array([[0.0, 0.0, 0.9], [0.3, 0.0, 0.9]]))
        self.dir = 1 if self.level(fwd[1])[0] > self.level(fwd[0])[0] else -1

    def level(self, uv: Vec) -> Vec:
        levelled: Vec = np.asarray(uv) @ self.Rl.T
        return levelled

    def project(self, p3: Vec) -> Vec:
        uv, _ = self.cam.project(np.asarray(p3, dtype=float))
        return self.level(uv)


def _sagittal(P: Points, s: str, dirn: int) -> dict[str, float]:
    """Sagittal values of side ``s`` from levelled 2D points ``P`` (index -> (2,))."""
    ix = SIDE_IDX[s]
    hip, knee, ankle, heel, toe = (P[ix[k]] for k in ("hip", "knee", "ankle", "heel", "toe"))
    mh = 0.5 * (P[23] + P[24])
    return {
        "knee": _angle3(hip, knee, ankle),
        "foot_raw": math.degrees(math.atan2(heel[1] - toe[1], (toe[0] - heel[0]) * dirn)),
        "shank": math.degrees(math.atan2((ankle[0] - knee[0]) * dirn, ankle[1] - knee[1])),
        "heel_hip_px": float((heel[0] - mh[0]) * dirn),
    }


def _frontal(P: Points, s: str) -> dict[str, float]:
    ix, ox = SIDE_IDX[s], SIDE_IDX[OTHER[s]]
    hip, knee, ankle, ohip = P[ix["hip"]], P[ix["knee"]], P[ix["ankle"]], P[ox["hip"]]
    tilt = math.degrees(math.atan2(ohip[1] - hip[1], abs(ohip[0] - hip[0])))  # + = swing side lower
    medial = math.copysign(1.0, ohip[0] - hip[0])
    femoral = math.degrees(math.atan2((knee[0] - hip[0]) * medial, knee[1] - hip[1]))
    return {"fppa": fppa_deg(hip, knee, ankle, ohip), "drop": tilt, "hip_add": femoral + tilt}


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def _mean(vals: list[float | None]) -> float | None:
    v = [x for x in vals if x is not None and math.isfinite(x)]
    return round(float(np.mean(v)), 3) if v else None


def compute_truth(
    *,
    gm: GaitModel,
    cam: Camera,
    times: Vec,
    lm3d: Points,
    foot_min_z: dict[str, NDArray[np.floating[Any]]],
    foot_pts: dict[str, dict[str, Vec]],
    contact_slip: Callable[[], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Events, steps and summary for a clip (see module docstring)."""
    side_view = cam.view.startswith("side")
    fps = 1.0 / float(np.median(np.diff(times))) if len(times) > 1 else 60.0
    clip = _Clip(gm, cam, times, lm3d, foot_pts)
    leg_px = _leg_length_px(clip.lm2)
    events, contacts = _events(gm, times, foot_min_z)
    steps = _steps(clip, contacts, leg_px, fps=fps, side_view=side_view)
    return {"events": events, "steps": steps,
            "summary": _summary(steps, gm, lm3d, times, side_view),
            "leg_length_px": {s: round(v, 2) for s, v in leg_px.items()},
            "image_levelling_deg": round(math.degrees(clip.img.roll), 4),
            "runner_direction_in_image": clip.img.dir}


#: One contact: exact IC and TO times, and the first and last video frames in contact
#: (None where the contact is not wholly in the clip).
_Contact = tuple[float, float, int | None, int | None]


class _Clip:
    """The exact landmarks of a clip: levelled 2D per frame or at any time, and 3D at any time."""

    def __init__(self, gm: GaitModel, cam: Camera, times: Vec, lm3d: Points,
                 foot_pts: dict[str, dict[str, Vec]]) -> None:
        self.gm, self.times, self.foot_pts = gm, times, foot_pts
        self.img = _Image(cam, cam.view, 0.0)
        self.lm2 = {i: self.img.project(p) for i, p in lm3d.items()}

    def frame_2d(self, k: int) -> Points:
        return {i: v[k] for i, v in self.lm2.items()}

    def time_2d(self, t: float) -> Points:
        return {i: self.img.project(p) for i, p in kin_landmarks(self.gm, self.foot_pts, t).items()}

    def world(self, t: float) -> Points:
        return kin_landmarks(self.gm, self.foot_pts, t)


def _leg_length_px(lm2: Points) -> dict[str, float]:
    """Per-side leg length (2D): median thigh + shank, as the pipeline does."""
    leg_px = {}
    for s in ("L", "R"):
        ix = SIDE_IDX[s]
        seg = (np.linalg.norm(lm2[ix["hip"]] - lm2[ix["knee"]], axis=1)
               + np.linalg.norm(lm2[ix["knee"]] - lm2[ix["ankle"]], axis=1))
        leg_px[s] = float(np.median(seg))
    return leg_px


def _events(
    gm: GaitModel, times: Vec, foot_min_z: dict[str, NDArray[np.floating[Any]]]
) -> tuple[dict[str, dict[str, list[float | None]]], dict[str, list[_Contact]]]:
    """Per side, the IC and TO times and mesh-contact frames inside the clip, and every contact near it."""
    events: dict[str, dict[str, list[float | None]]] = {}
    contacts: dict[str, list[_Contact]] = {}
    for s in ("L", "R"):
        touch = foot_min_z[s] <= CONTACT_TOLERANCE_M
        ev: dict[str, list[float | None]] = {"ic_time_s": [], "to_time_s": [], "ic_frame_mesh": [],
                                             "to_frame_mesh": []}
        contacts[s] = []
        for ic, to in gm.contact_times(s, times[0] - 1.0, times[-1] + 1.0):
            in_contact = np.where(touch & (times >= ic - 0.5 * gm.Tc) & (times <= to + 0.5 * gm.Tc))[0]
            f_ic = int(in_contact[0]) if len(in_contact) and ic >= times[0] else None
            f_to = int(in_contact[-1]) if len(in_contact) and to <= times[-1] else None
            contacts[s].append((ic, to, f_ic, f_to))
            if times[0] <= ic <= times[-1]:
                ev["ic_time_s"].append(ic)
                ev["ic_frame_mesh"].append(f_ic)
            if times[0] <= to <= times[-1]:
                ev["to_time_s"].append(to)
                ev["to_frame_mesh"].append(f_to)
        events[s] = ev
    return events, contacts


def _steps(clip: _Clip, contacts: dict[str, list[_Contact]], leg_px: dict[str, float], *, fps: float,
           side_view: bool) -> list[dict[str, Any]]:
    """One truth row per contact wholly inside the clip, in time order."""
    gm = clip.gm
    # flat-foot reference per step: the middle of the flat-foot interval
    tf = {"rearfoot": 0.22, "midfoot": 0.10, "forefoot": 0.22}[gm.g.strike]
    flat_tau = 0.5 * (tf + gm.g.heel_off_frac)
    all_ics = sorted((ic, s) for s in ("L", "R") for ic, *_ in contacts[s])
    steps: list[dict[str, Any]] = []
    for s in ("L", "R"):
        for ic, to, f_ic, f_to in contacts[s]:
            if f_ic is None or f_to is None:
                continue
            nxt = [t for t, side in all_ics if side != s and t > ic]
            step_time = (nxt[0] - ic) if nxt else gm.T / 2
            t_flat = ic + flat_tau * gm.Tc
            f_flat = int(np.argmin(np.abs(clip.times - t_flat)))
            row: dict[str, Any] = {
                "side": s, "ic_time_s": _r(ic), "to_time_s": _r(to), "ic_frame": f_ic,
                "to_frame": f_to, "contact_time_s": _r(to - ic),
                "contact_time_frames_s": _r((f_to - f_ic) / fps), "step_time_s": _r(step_time),
                "flight_time_s": _r(step_time - (to - ic)), "duty_factor": _r((to - ic) / gm.T),
                "cadence_spm": _r(60.0 / step_time, 3), "flat_frame": f_flat,
            }
            dense = np.linspace(ic, to, 41)
            row["world_3d"] = _world_3d(clip, s, ic, dense)
            stance = range(f_ic, f_to + 1)
            if side_view:
                row["sagittal_2d"] = _sagittal_2d(clip, s, ic, stance, t_flat=t_flat, f_flat=f_flat,
                                                  step_time=step_time, leg_px=leg_px[s])
            else:
                k_peak, frontal = _frontal_2d(clip, s, ic, stance, dense, contacts[OTHER[s]])
                row["valgus_peak_frame"] = f_ic + k_peak
                row["frontal_2d"] = frontal
            steps.append(row)
    steps.sort(key=lambda r: r["ic_time_s"])
    return steps


def _world_3d(clip: _Clip, s: str, ic: float, dense: Vec) -> dict[str, float | None]:
    """A step's world (3D) truths: at contact, and peaks over the ``dense`` stance times."""
    ix = SIDE_IDX[s]
    Wic = clip.world(ic)
    mh3 = 0.5 * (Wic[23] + Wic[24])
    fr3, dr3, kn3 = [], [], []
    for t in dense:
        W = clip.world(t)
        f = seen_from_behind
        fr3.append(fppa_deg(f(W[ix["hip"]]), f(W[ix["knee"]]), f(W[ix["ankle"]]),
                            f(W[SIDE_IDX[OTHER[s]]["hip"]])))
        dr3.append(clip.gm.obliquity_deg(t) * (1 if s == "L" else -1))
        kn3.append(_angle3(W[ix["hip"]], W[ix["knee"]], W[ix["ankle"]]))
    shank3 = Wic[ix["ankle"]] - Wic[ix["knee"]]
    return {
        "knee_flexion_ic_deg": _r(_angle3(Wic[ix["hip"]], Wic[ix["knee"]], Wic[ix["ankle"]])),
        "foot_strike_angle_deg": _r(clip.gm.g.strike_angle),
        "shank_angle_ic_deg": _r(math.degrees(math.atan2(shank3[0], -shank3[2]))),
        "overstride_heel_m": _r(Wic[ix["heel"]][0] - mh3[0]),
        "overstride_ankle_m": _r(Wic[ix["ankle"]][0] - mh3[0]),
        "knee_flexion_peak_deg": _r(max(kn3)),
        "fppa_peak_deg": _r(max(fr3)),
        "pelvic_drop_peak_deg": _r(max(dr3)),
    }


def _sagittal_2d(clip: _Clip, s: str, ic: float, stance: range, *, t_flat: float, f_flat: int,
                 step_time: float, leg_px: float) -> dict[str, Any]:
    """A step's side-view (2D) truths, at the contact frame and at the exact contact time."""
    d = clip.img.dir
    f_ic = stance[0]
    Fi, Ti, Ff, Tf_ = (_sagittal(clip.frame_2d(f_ic), s, d), _sagittal(clip.time_2d(ic), s, d),
                       _sagittal(clip.frame_2d(f_flat), s, d), _sagittal(clip.time_2d(t_flat), s, d))
    knees = [_sagittal(clip.frame_2d(k), s, d)["knee"] for k in stance]
    trunk = []
    for k in stance:
        P = clip.frame_2d(k)
        ms, mh = 0.5 * (P[11] + P[12]), 0.5 * (P[23] + P[24])
        trunk.append(math.degrees(math.atan2((ms[0] - mh[0]) * d, mh[1] - ms[1])))
    # vertical oscillation: mid-hip travel from this contact to the next contact
    f_next = int(np.searchsorted(clip.times, ic + step_time))
    seg = range(f_ic, min(max(f_next, f_ic + 1), len(clip.times) - 1) + 1)
    lm2 = clip.lm2
    mhy = [0.5 * (lm2[23][k][1] + lm2[24][k][1]) for k in seg]
    return {
        "knee_flexion_ic_deg": {"at_frame": _r(Fi["knee"]), "at_time": _r(Ti["knee"])},
        "foot_strike_angle_deg": {"at_frame": _r(Fi["foot_raw"] - Ff["foot_raw"]),
                                  "at_time": _r(Ti["foot_raw"] - Tf_["foot_raw"])},
        "foot_angle_flat_raw_deg": _r(Ff["foot_raw"]),
        "shank_angle_ic_deg": {"at_frame": _r(Fi["shank"]), "at_time": _r(Ti["shank"])},
        "overstride_px": {"at_frame": _r(Fi["heel_hip_px"]), "at_time": _r(Ti["heel_hip_px"])},
        "overstride_leg_ratio": {"at_frame": _r(Fi["heel_hip_px"] / leg_px),
                                 "at_time": _r(Ti["heel_hip_px"] / leg_px)},
        "heel_to_hip_ic_pct_leg": {"at_frame": _r(100 * Fi["heel_hip_px"] / leg_px),
                                   "at_time": _r(100 * Ti["heel_hip_px"] / leg_px)},
        "knee_flexion_peak_deg": _r(max(knees)),
        "trunk_lean_deg": _r(float(np.mean(trunk))),
        "vertical_oscillation_pct_leg": _r(100 * (max(mhy) - min(mhy)) / leg_px),
    }


def _frontal_2d(clip: _Clip, s: str, ic: float, stance: range, dense: Vec,
                other_contacts: list[_Contact]) -> tuple[int, dict[str, Any]]:
    """A step's rear/front-view (2D) truths; and the stance frame (from contact) of the FPPA peak."""
    fr = [_frontal(clip.frame_2d(k), s) for k in stance]
    k_peak = int(np.argmax([v["fppa"] for v in fr]))
    cont = [_frontal(clip.time_2d(t), s) for t in dense]
    sw = _step_width_pct_hip(clip, s, ic, stance[0], other_contacts)
    return k_peak, {
        "fppa_peak_deg": {"over_frames": _r(fr[k_peak]["fppa"]),
                          "continuous": _r(max(v["fppa"] for v in cont))},
        "pelvic_drop_peak_deg": {"over_frames": _r(max(v["drop"] for v in fr)),
                                 "continuous": _r(max(v["drop"] for v in cont))},
        "hip_adduction_peak_deg": _r(max(v["hip_add"] for v in fr)),
        "step_width_pct_hip": _r(sw),
    }


def _step_width_pct_hip(clip: _Clip, s: str, ic: float, f_ic: int, other_contacts: list[_Contact]) -> float | None:
    """Mediolateral heel distance to the previous contralateral contact, in hip widths (%), or None."""
    prev = [c[2] for c in other_contacts if c[0] < ic and c[2] is not None]
    if not prev:
        return None
    Pa, Pb = clip.frame_2d(f_ic), clip.frame_2d(prev[-1])
    hipw = abs(Pa[23][0] - Pa[24][0])
    heel_s, heel_c = Pa[SIDE_IDX[s]["heel"]][0], Pb[SIDE_IDX[OTHER[s]]["heel"]][0]
    medial = math.copysign(1.0, Pa[SIDE_IDX[OTHER[s]]["hip"]][0] - Pa[SIDE_IDX[s]["hip"]][0])
    width: float = 100 * ((heel_c - heel_s) * medial) / hipw
    return width


#: summary key -> (steps path, value kind); 2D values are means of ``at_frame``/``over_frames``
_SAG = {"knee_flexion_ic_deg": "at_frame", "foot_strike_angle_deg": "at_frame",
        "shank_angle_ic_deg": "at_frame", "heel_to_hip_ic_pct_leg": "at_frame",
        "knee_flexion_peak_deg": None, "trunk_lean_deg": None, "vertical_oscillation_pct_leg": None}
_FRO = {"fppa_peak_deg": "over_frames", "pelvic_drop_peak_deg": "over_frames",
        "hip_adduction_peak_deg": None, "step_width_pct_hip": None}
#: outputs.md metric key -> summary key (2D)
OUTPUT_KEYS = {
    "knee_flexion_ic_deg": "knee_flexion_ic_deg_2d", "foot_strike_angle_deg": "foot_strike_angle_deg_2d",
    "shank_angle_ic_deg": "shank_angle_ic_deg_2d", "heel_to_hip_ic_pct_leg": "heel_to_hip_ic_pct_leg_2d",
    "knee_flexion_peak_stance_deg": "knee_flexion_peak_deg_2d", "trunk_lean_deg": "trunk_lean_deg_2d",
    "vertical_oscillation_pct_leg": "vertical_oscillation_pct_leg_2d",
    "contact_time_s": "contact_time_s", "flight_time_s": "flight_time_s", "duty_factor": "duty_factor",
    "knee_fppa_peak_deg": "fppa_peak_deg_2d", "pelvic_drop_peak_deg": "pelvic_drop_peak_deg_2d",
    "hip_adduction_peak_deg": "hip_adduction_peak_deg_2d", "step_width_pct_hip": "step_width_pct_hip_2d",
}


def _summary(steps: list[dict[str, Any]], gm: GaitModel, lm3d: Points, times: Vec,
             side_view: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in ("L", "R"):
        rows = [r for r in steps if r["side"] == s]
        d: dict[str, Any] = {
            "contact_time_s": _mean([r["contact_time_s"] for r in rows]),
            "flight_time_s": _mean([r["flight_time_s"] for r in rows]),
            "duty_factor": _mean([r["duty_factor"] for r in rows]),
            "cadence_spm": _mean([r["cadence_spm"] for r in rows]),
        }
        for key, kind in _SAG.items():
            vals = [r["sagittal_2d"][key] for r in rows] if side_view else []
            d[key + "_2d"] = _mean([v[kind] if kind else v for v in vals]) if vals else None
        for key, kind in _FRO.items():
            vals = [r["frontal_2d"][key] for r in rows] if not side_view else []
            d[key + "_2d"] = _mean([v[kind] if kind else v for v in vals]) if vals else None
        for key in ("knee_flexion_ic_deg", "foot_strike_angle_deg", "shank_angle_ic_deg",
                    "knee_flexion_peak_deg", "fppa_peak_deg", "pelvic_drop_peak_deg"):
            d[key + "_3d"] = _mean([r["world_3d"][key] for r in rows])
        d["overstride_heel_m_3d"] = _mean([r["world_3d"]["overstride_heel_m"] for r in rows])
        d["n_steps"] = len(rows)
        out[s] = d
    out["cadence_spm"] = round(60.0 / (gm.T / 2), 3)
    mh = 0.5 * (lm3d[23] + lm3d[24])
    out["vertical_oscillation_m"] = round(float(mh[:, 2].max() - mh[:, 2].min()), 4)
    ms = 0.5 * (lm3d[11] + lm3d[12])
    v = ms - mh
    out["trunk_lean_deg_3d"] = round(float(np.degrees(np.arctan2(v[:, 0], v[:, 2])).mean()), 3)
    out["step_width_heels_m"] = gm.g.step_width_m
    out["metrics_2d"] = {
        k: {"left": out["L"].get(v), "right": out["R"].get(v)} for k, v in OUTPUT_KEYS.items()
        if out["L"].get(v) is not None or out["R"].get(v) is not None
    }
    return out
