"""Running kinematics with exact foot contact (numpy only).

The model produces, for any time ``t``, the world positions of the hip,
knee and ankle joint centres and the foot's orientation for each leg, and
the pelvis's position and orientation.

Stance (contact) comes first and is solved, not animated: the shoe's
contact point (heel, whole sole, then toe) sits on the belt and moves
with it at belt speed, so the foot cannot skate; the knee flexion follows
a prescribed curve (about 20 deg at contact, 40-45 deg at its peak), and
the hip height follows from the leg's length (two-bone inverse
kinematics). The pelvis's vertical travel therefore comes out of the leg
geometry, lowest near mid-stance, and is joined through each flight phase
by a smooth curve. Swing interpolates the knee flexion, the hip-to-ankle
direction and the ankle angle between toe-off and the next contact with
cubic Hermite segments that pass through a peak swing knee flexion.

Frontal plane: the step width places the feet; knee valgus is a medial
swivel of the knee about the hip-ankle axis during stance, calibrated so
the 3D frontal-plane projection angle peaks at the requested value;
contralateral pelvic drop is a rotation of the pelvis about the running
direction during stance.

References for the default curves: knee flexion ~20 deg at contact and
~36-45 deg peak in stance (metrics.md 2.7), vertical oscillation 6-9 cm
and contact ~0.25 s at 3 m/s (Heiderscheit 2011; Lieberman 2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gaitvision.errors import ConfigError
from gaitvision.synth.spec import GaitSpec

__all__ = ["GaitModel", "LegState", "Skeleton", "fppa_deg", "rot_x", "rot_y", "rot_z", "seen_from_behind"]

Vec = NDArray[np.float64]
SIDES = ("L", "R")
GRAVITY = 9.81


def rot_x(a: float) -> Vec:
    """Rotation about +x by ``a`` radians (y towards z)."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=float)


def rot_y(a: float) -> Vec:
    """Rotation about +y by ``a`` radians (z towards x)."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=float)


def rot_z(a: float) -> Vec:
    """Rotation about +z by ``a`` radians (x towards y)."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=float)


def rodrigues(axis: Vec, a: float) -> Vec:
    """Rotation about unit ``axis`` by ``a`` radians."""
    k = axis / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    r: Vec = np.eye(3) + math.sin(a) * kx + (1 - math.cos(a)) * kx @ kx
    return r


def foot_rotation(pitch_deg: float, yaw_deg: float) -> Vec:
    """Foot frame -> world: pitch (+ = toe up) about the foot's lateral axis, then yaw."""
    return rot_z(math.radians(yaw_deg)) @ rot_y(-math.radians(pitch_deg))


def fppa_deg(hip: Vec, knee: Vec, ankle: Vec, other_hip: Vec) -> float:
    """Knee frontal-plane projection angle of 2D image points (y down), metrics.md 2.1.

    ``180 - angle(hip, knee, ankle)``, positive when the knee lies toward
    the midline (the contralateral hip's side) of the hip-ankle line.
    """
    u, v = hip - knee, ankle - knee
    theta = math.degrees(math.atan2(abs(u[0] * v[1] - u[1] * v[0]), float(u @ v)))
    mag = 180.0 - theta
    medial = math.copysign(1.0, other_hip[0] - hip[0])
    dy = ankle[1] - hip[1]
    x_line = hip[0] + (ankle[0] - hip[0]) * (knee[1] - hip[1]) / dy if dy else hip[0]
    return mag * (1.0 if (knee[0] - x_line) * medial >= 0 else -1.0)


def seen_from_behind(q: Vec) -> Vec:
    """A world point as seen by a camera behind the runner: 2D image coordinates, y down."""
    return np.array([-q[1], -q[2]])


def _hermite(p0: float, m0: float, p1: float, m1: float, u: float) -> float:
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * p0 + (u3 - 2 * u2 + u) * m0
            + (-2 * u3 + 3 * u2) * p1 + (u3 - u2) * m1)


def _spline(knots: list[tuple[float, float, float]], u: float) -> float:
    """Piecewise cubic Hermite through ``(u, value, slope)`` knots (slopes per unit u)."""
    for (u0, p0, m0), (u1, p1, m1) in zip(knots, knots[1:], strict=False):  # consecutive pairs
        if u <= u1 or (u1 == knots[-1][0]):
            h = u1 - u0
            return _hermite(p0, m0 * h, p1, m1 * h, min(max((u - u0) / h, 0.0), 1.0))
    return knots[-1][1]


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


@dataclass(frozen=True)
class Skeleton:
    """Reference geometry of the body, world axes, metres.

    ``hip_off`` is the hip joint centre relative to the pelvis origin (the
    rig's root); foot points are relative to the ankle joint centre in the
    *foot frame* (flat foot, toe along +x): ``heel_pivot``/``toe_pivot``
    are the shoe points that touch the belt at a heel or toe contact.
    """

    hip_off: dict[str, Vec]
    thigh_len: dict[str, float]
    shank_len: dict[str, float]
    heel_pivot: dict[str, Vec]
    toe_pivot: dict[str, Vec]

    @classmethod
    def default(cls) -> Skeleton:
        """Proportions of the default rendered body (1.70 m), for tests without the body model."""
        m = {"L": 1.0, "R": -1.0}
        return cls(
            hip_off={s: np.array([0.0, 0.095 * m[s], -0.014]) for s in SIDES},
            thigh_len={s: 0.376 for s in SIDES},
            shank_len={s: 0.381 for s in SIDES},
            heel_pivot={s: np.array([-0.037, 0.0, -0.066]) for s in SIDES},
            toe_pivot={s: np.array([0.174, 0.0, -0.066]) for s in SIDES},
        )


@dataclass
class LegState:
    """One leg at one instant (world frame)."""

    hip: Vec
    knee: Vec
    ankle: Vec
    foot_R: Vec          # foot frame -> world
    pole: Vec            # unit vector the knee points to (knee-plane anterior direction)
    stance: bool
    knee_flex_deg: float
    swivel_deg: float = 0.0


@dataclass
class BodyState:
    """The whole lower body at one instant, plus phase information for the upper body."""

    t: float
    pelvis_pos: Vec
    pelvis_R: Vec
    legs: dict[str, LegState]
    phase_L: float        # stride phase of the left leg, 0 = left initial contact
    pelvis_yaw_deg: float
    obliquity_deg: float
    extra: dict[str, float] = field(default_factory=dict)


class GaitModel:
    """Periodic running kinematics for :class:`GaitSpec` on a :class:`Skeleton`."""

    def __init__(self, gait: GaitSpec, skel: Skeleton | None = None) -> None:
        self.g = gait
        self.sk = skel or Skeleton.default()
        self.T = 120.0 / gait.cadence_spm                 # stride time
        self.Tc = gait.duty_factor * self.T               # contact time
        self.Ts = self.T - self.Tc                        # swing time
        self.Tf = self.T / 2 - self.Tc                    # flight time
        self.v = gait.speed_mps
        self.stride_length = self.v * self.T
        self._swivel_gain = {s: 0.0 for s in SIDES}
        self._x_heel0 = {s: self._solve_heel_spot(s) for s in SIDES}
        self._late: dict[str, tuple[float, float, float, float]] = {}
        self._late = self._push_off()
        for s in SIDES:
            self._swivel_gain[s] = self._calibrate_valgus(s)
        self._bounds = {s: self._stance_bounds(s) for s in SIDES}

    # ---------------------------------------------------------------- timing
    def phase(self, side: str, t: float) -> float:
        """Stride phase of ``side`` in [0, 1); 0 = its initial contact."""
        p = t / self.T + self.g.start_phase + (0.0 if side == "L" else -0.5)
        return p % 1.0

    def contact_times(self, side: str, t0: float, t1: float) -> list[tuple[float, float]]:
        """Exact (initial contact, toe-off) times of ``side`` whose contact overlaps [t0, t1]."""
        off = self.g.start_phase + (0.0 if side == "L" else -0.5)
        k0 = math.floor(t0 / self.T + off) - 1
        out = []
        for k in range(k0, k0 + int((t1 - t0) / self.T) + 4):
            ic = (k - off) * self.T
            to = ic + self.Tc
            if to >= t0 and ic <= t1:
                out.append((ic, to))
        return out

    # ---------------------------------------------------------------- pelvis
    def _bump(self, tau: float) -> float:
        """0 at contact and toe-off, 1 at ``stance_peak_frac``, zero slope at both ends."""
        p = self.g.stance_peak_frac
        u = 0.5 * tau / p if tau <= p else 0.5 + 0.5 * (tau - p) / (1 - p)
        return math.sin(math.pi * min(max(u, 0.0), 1.0)) ** 2

    def obliquity_deg(self, t: float) -> float:
        """Pelvis rotation about +x: + = left hip up (right, swing side, dropped)."""
        df = self.g.duty_factor
        pl, pr = self.phase("L", t), self.phase("R", t)
        if pl < df:
            return self.g.pelvic_drop_deg["L"] * self._bump(pl / df)
        if pr < df:
            return -self.g.pelvic_drop_deg["R"] * self._bump(pr / df)
        return 0.0

    def pelvis_yaw_deg(self, t: float) -> float:
        """Pelvis yaw: the swing-side hip swings forward, the contacting side leads at contact."""
        return -self.g.pelvis_yaw_deg * math.cos(2 * math.pi * self.phase("L", t))

    def pelvis_R(self, t: float) -> Vec:
        return rot_z(math.radians(self.pelvis_yaw_deg(t))) @ rot_x(math.radians(self.obliquity_deg(t)))

    def pelvis_xy(self, t: float) -> tuple[float, float]:
        pl = self.phase("L", t)
        mid = self.g.duty_factor * self.g.stance_peak_frac
        x = -self.g.pelvis_surge_m * math.sin(4 * math.pi * (pl - mid))
        y = self.g.pelvis_sway_m * math.cos(2 * math.pi * (pl - mid))
        return x, y

    def hip_xy(self, side: str, t: float) -> tuple[float, float, float]:
        """Hip x, y and the pelvis-rotation part of its height (pelvis origin at z=0)."""
        off = self.pelvis_R(t) @ self.sk.hip_off[side]
        px, py = self.pelvis_xy(t)
        return px + off[0], py + off[1], off[2]

    # ---------------------------------------------------------------- stance
    def _strike(self) -> float:
        return self.g.strike_angle

    def _flat_frac(self) -> float:
        return {"rearfoot": 0.22, "midfoot": 0.10, "forefoot": 0.22}[self.g.strike]

    def _yaw(self, side: str) -> float:
        return self.g.toe_out_deg if side == "L" else -self.g.toe_out_deg

    def foot_pitch_stance(self, tau: float) -> tuple[float, str]:
        """Foot pitch (deg, + toe up) and the pivot in contact at stance fraction ``tau``."""
        a = self._strike()
        tf, th = self._flat_frac(), self.g.heel_off_frac
        if tau < tf:
            return a * (1 - _smoothstep(tau / tf)), ("heel" if a >= 0 else "toe")
        if tau < th:
            return 0.0, "heel"
        x = (tau - th) / (1 - th)
        return self.g.foot_pitch_to_deg * (0.5 * _smoothstep(x) + 0.5 * x * x), "toe"

    def _foot_spots(self, side: str, tau: float, x_heel0: float) -> tuple[Vec, Vec]:
        """Belt positions of the heel and toe pivots' contact spots at ``tau``."""
        yaw = rot_z(math.radians(self._yaw(side)))
        d = yaw @ (self.sk.toe_pivot[side] - self.sk.heel_pivot[side])
        y_heel = (self.g.step_width_m / 2) * (1 if side == "L" else -1)
        shift = -self.v * tau * self.Tc
        heel = np.array([x_heel0 + shift, y_heel, 0.0])
        toe = heel + np.array([d[0], d[1], 0.0])
        return heel, toe

    def _stance_ankle(self, side: str, tau: float, x_heel0: float) -> tuple[Vec, Vec]:
        pitch, pivot = self.foot_pitch_stance(tau)
        R = foot_rotation(pitch, self._yaw(side))
        heel, toe = self._foot_spots(side, tau, x_heel0)
        if pivot == "heel":
            return heel - R @ self.sk.heel_pivot[side], R
        return toe - R @ self.sk.toe_pivot[side], R

    def _t_of(self, side: str, tau: float) -> float:
        ic, _ = self.contact_times(side, 0.0, self.T)[0]
        return ic + tau * self.Tc

    def _solve_heel_spot(self, side: str) -> float:
        """Belt spot of the heel at contact so that the ankle passes under the hip on time."""
        tau = self.g.ankle_under_hip_frac
        a, _ = self._stance_ankle(side, tau, 0.0)
        spot: float = self.hip_xy(side, self._t_of(side, tau))[0] - a[0]
        return spot

    def knee_flex_stance(self, tau: float) -> float:
        """Prescribed knee flexion from contact to its peak (``stance_peak_frac``)."""
        g, p = self.g, self.g.stance_peak_frac
        tau = min(tau, p)
        return g.knee_ic + (g.knee_flex_stance_deg - g.knee_ic) * math.sin(0.5 * math.pi * tau / p)

    def _leg_span(self, side: str, knee_deg: float) -> float:
        l1, l2 = self.sk.thigh_len[side], self.sk.shank_len[side]
        return math.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * math.cos(math.radians(knee_deg)))

    def _push_off(self) -> dict[str, tuple[float, float, float, float]]:
        """Pelvis height and slope at peak knee flexion and at toe-off, per side.

        From contact to the peak knee flexion the pelvis height follows from
        the prescribed knee (the leg absorbs the landing); from there to
        toe-off it rises smoothly to the height at which the knee reaches
        ``knee_flex_to_deg`` at toe-off, leaving the belt with the vertical
        speed of a ballistic flight that lands at the next contact height.
        """
        p, eps = self.g.stance_peak_frac, 1e-4
        z_ic = {s: self.stance(s, 0.0, self._t_of(s, 0.0))[1] for s in SIDES}
        z_to = {}
        for s in SIDES:
            t1 = self._t_of(s, 1.0)
            ankle, _ = self._stance_ankle(s, 1.0, self._x_heel0[s])
            hx, hy, hz_off = self.hip_xy(s, t1)
            D = self._leg_span(s, self.g.knee_flex_to_deg)
            rest = D * D - (hx - ankle[0]) ** 2 - (hy - ankle[1]) ** 2
            if rest <= 0.01:
                raise ConfigError(
                    "The leg cannot reach the belt at toe-off with these parameters (speed x "
                    f"contact time = {self.v * self.Tc:.2f} m); lower speed_mps or duty_factor, "
                    "or raise knee_flex_to_deg."
                )
            z_to[s] = ankle[2] + math.sqrt(rest) - hz_off
        out = {}
        for s in SIDES:
            t = self._t_of(s, p)
            z0 = self.stance(s, p, t)[1]
            zm = self.stance(s, p - eps, t - eps * self.Tc)[1]
            o = "R" if s == "L" else "L"
            w = (z_ic[o] - z_to[s]) / self.Tf + 0.5 * GRAVITY * self.Tf
            out[s] = (z0, (z0 - zm) / (eps * self.Tc), z_to[s], w)
        return out

    def stance(self, side: str, tau: float, t: float) -> tuple[LegState, float]:
        """The stance leg at stance fraction ``tau`` (time ``t``) and the pelvis height.

        The ankle follows from the foot on the belt. Until the peak knee
        flexion the knee is prescribed and the hip height is what joins it
        to the ankle (two-bone IK); after it the pelvis height is prescribed
        (see :meth:`_push_off`) and the knee is what joins them.
        """
        ankle, R = self._stance_ankle(side, tau, self._x_heel0[side])
        hx, hy, hz_off = self.hip_xy(side, t)
        p = self.g.stance_peak_frac
        if tau > p and side in self._late:
            z0, dz0, z1, dz1 = self._late[side]
            h = (1 - p) * self.Tc
            pz = _hermite(z0, dz0 * h, z1, dz1 * h, (tau - p) / (1 - p))
            hip = np.array([hx, hy, pz + hz_off])
            D = float(np.linalg.norm(hip - ankle))
            l1, l2 = self.sk.thigh_len[side], self.sk.shank_len[side]
            c = (D * D - l1 * l1 - l2 * l2) / (2 * l1 * l2)
            if c > 1.0:
                raise ConfigError(
                    "The leg cannot reach the belt at push-off with these parameters; lower "
                    "speed_mps or duty_factor, or raise knee_flex_to_deg."
                )
            kf = math.degrees(math.acos(max(c, -1.0)))
            swivel = self._swivel_gain[side] * self._bump(tau)
            knee, pole = self._knee(side, hip, ankle, swivel)
            return LegState(hip, knee, ankle, R, pole, True, kf, swivel), pz
        kf = self.knee_flex_stance(tau)
        D = self._leg_span(side, kf)
        dx, dy = hx - ankle[0], hy - ankle[1]
        rest = D * D - dx * dx - dy * dy
        if rest <= 0.01:
            raise ConfigError(
                "The leg cannot reach the belt with these parameters (speed x contact time = "
                f"{self.v * self.Tc:.2f} m is too long for this body); lower speed_mps or duty_factor."
            )
        hip = np.array([hx, hy, ankle[2] + math.sqrt(rest)])
        swivel = self._swivel_gain[side] * self._bump(tau)
        knee, pole = self._knee(side, hip, ankle, swivel)
        return LegState(hip, knee, ankle, R, pole, True, kf, swivel), hip[2] - hz_off

    def _knee(self, side: str, hip: Vec, ankle: Vec, swivel_deg: float) -> tuple[Vec, Vec]:
        """Two-bone IK: the knee on the hip-ankle axis' circle, pointing forward, swivelled medially."""
        l1, l2 = self.sk.thigh_len[side], self.sk.shank_len[side]
        d = ankle - hip
        D = float(np.linalg.norm(d))
        e = d / D
        a = (l1 * l1 - l2 * l2 + D * D) / (2 * D)
        r = math.sqrt(max(l1 * l1 - a * a, 0.0))
        p = np.array([1.0, 0.0, 0.0])
        if swivel_deg:
            medial = np.array([0.0, -1.0 if side == "L" else 1.0, 0.0])
            sgn = 1.0 if float(np.cross(e, p) @ medial) > 0 else -1.0
            p = rodrigues(e, sgn * math.radians(swivel_deg)) @ p
        pp = p - (p @ e) * e
        pp /= np.linalg.norm(pp)
        return hip + a * e + r * pp, pp

    def _fppa_3d(self, hip: Vec, knee: Vec, ankle: Vec, other_hip: Vec) -> float:
        f = seen_from_behind
        return fppa_deg(f(hip), f(knee), f(ankle), f(other_hip))

    def _stance_fppa_peak(self, side: str) -> float:
        other = "R" if side == "L" else "L"
        best = -1e9
        for tau in np.linspace(0.05, 0.95, 37):
            t = self._t_of(side, float(tau))
            st, pz = self.stance(side, float(tau), t)
            ox, oy, oz = self.hip_xy(other, t)
            best = max(best, self._fppa_3d(st.hip, st.knee, st.ankle, np.array([ox, oy, pz + oz])))
        return best

    def _calibrate_valgus(self, side: str) -> float:
        target = self.g.valgus_deg[side]
        self._swivel_gain[side] = 0.0
        base = self._stance_fppa_peak(side)
        if abs(target - base) < 0.05 and abs(target) < 0.5:
            return 0.0
        lo, hi = (-60.0, 0.0) if target < base else (0.0, 60.0)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            self._swivel_gain[side] = mid
            if self._stance_fppa_peak(side) < target:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    # ---------------------------------------------------------------- swing
    @staticmethod
    def _leg_angles(hip: Vec, knee: Vec, ankle: Vec, foot_pitch: float) -> dict[str, float]:
        d = ankle - hip
        s = ankle - knee
        shank = math.degrees(math.atan2(s[0], -s[2]))
        return {"psi_s": math.degrees(math.atan2(d[0], -d[2])),
                "psi_f": math.degrees(math.atan2(d[1], -d[2])),
                "ankle": foot_pitch - shank}

    def _stance_angles(self, side: str, tau: float) -> dict[str, float]:
        t = self._t_of(side, tau)
        st, _ = self.stance(side, tau, t)
        pitch, _ = self.foot_pitch_stance(tau)
        out = self._leg_angles(st.hip, st.knee, st.ankle, pitch)
        out["knee"] = st.knee_flex_deg
        return out

    def _stance_bounds(self, side: str) -> dict[str, tuple[float, float]]:
        """Values and time-derivatives of the swing parameters at toe-off and contact."""
        eps = 1e-3
        to0, to1 = self._stance_angles(side, 1.0 - eps), self._stance_angles(side, 1.0)
        ic0, ic1 = self._stance_angles(side, 0.0), self._stance_angles(side, eps)
        dt = eps * self.Tc
        b = {}
        for k in ("psi_s", "psi_f", "knee", "ankle"):
            b[k + "_to"] = (to1[k], (to1[k] - to0[k]) / dt)
            b[k + "_ic"] = (ic0[k], (ic1[k] - ic0[k]) / dt)
        t = self._t_of(side, 0.0)
        z0 = self.stance(side, 0.0, t)[1]
        z1 = self.stance(side, eps, t + dt)[1]
        b["z_ic"] = (z0, (z1 - z0) / dt)
        t = self._t_of(side, 1.0)
        z0 = self.stance(side, 1.0 - eps, t - dt)[1]
        z1 = self.stance(side, 1.0, t)[1]
        b["z_to"] = (z1, (z1 - z0) / dt)
        return b

    def swing(self, side: str, u: float, hip: Vec) -> LegState:
        """The swing leg at swing fraction ``u`` (0 = toe-off, 1 = next contact)."""
        b, g, Ts = self._bounds[side], self.g, self.Ts
        kto, kic = b["knee_to"][0], b["knee_ic"][0]
        uk = 0.38
        knee_deg = _spline([(0.0, kto, 1.3 * (g.knee_flex_swing_deg - kto) / uk),
                            (uk, g.knee_flex_swing_deg, 0.0),
                            (1.0, kic, 0.0)], u)
        ps_to, dps_to = b["psi_s_to"]
        ps_ic, dps_ic = b["psi_s_ic"]
        psi_s = _spline([(0.0, ps_to, dps_to * Ts), (0.85, ps_ic + 2.5, 0.0),
                         (1.0, ps_ic, dps_ic * Ts)], u)
        pf_to, dpf_to = b["psi_f_to"]
        pf_ic, dpf_ic = b["psi_f_ic"]
        psi_f = _spline([(0.0, pf_to, dpf_to * Ts), (1.0, pf_ic, dpf_ic * Ts)], u)
        D = self._leg_span(side, knee_deg)
        direc = np.array([math.tan(math.radians(psi_s)), math.tan(math.radians(psi_f)), -1.0])
        ankle = hip + D * direc / np.linalg.norm(direc)
        knee, pole = self._knee(side, hip, ankle, 0.0)
        a_to, a_ic = b["ankle_to"][0], b["ankle_ic"][0]
        ankle_deg = _spline([(0.0, a_to, 0.0), (0.45, 0.5 * (a_to + a_ic) + 12.0, 0.0),
                             (1.0, a_ic, 0.0)], u)
        s = ankle - knee
        pitch = ankle_deg + math.degrees(math.atan2(s[0], -s[2]))
        R = foot_rotation(pitch, self._yaw(side))
        return LegState(hip, knee, ankle, R, pole, False, knee_deg)

    # ---------------------------------------------------------------- whole body
    def state(self, t: float) -> BodyState:
        """Every joint at time ``t`` (seconds)."""
        df = self.g.duty_factor
        ph = {s: self.phase(s, t) for s in SIDES}
        legs: dict[str, LegState] = {}
        pz: float | None = None
        for s in SIDES:
            if ph[s] < df:
                legs[s], pz = self.stance(s, ph[s] / df, t)
        if pz is None:  # flight: join toe-off of the last stance leg to the next contact
            last = "L" if (ph["L"] - df) % 1.0 < (ph["R"] - df) % 1.0 else "R"
            nxt = "R" if last == "L" else "L"
            z0, z1 = self._bounds[last]["z_to"][0], self._bounds[nxt]["z_ic"][0]
            tf = min(max(((ph[last] - df) % 1.0) * self.T, 0.0), self.Tf)
            w = (z1 - z0) / self.Tf + 0.5 * GRAVITY * self.Tf   # ballistic flight
            pz = z0 + w * tf - 0.5 * GRAVITY * tf * tf
        for s in SIDES:
            if s in legs:
                continue
            hx, hy, hz = self.hip_xy(s, t)
            hip = np.array([hx, hy, pz + hz])
            u = ((ph[s] - df) % 1.0) / (1.0 - df)
            legs[s] = self.swing(s, u, hip)
        px, py = self.pelvis_xy(t)
        return BodyState(t, np.array([px, py, pz]), self.pelvis_R(t), legs, ph["L"],
                         self.pelvis_yaw_deg(t), self.obliquity_deg(t))

    def foot_points(self, side: str, leg: LegState, pts: Vec) -> Vec:
        """World positions of foot-frame points ``pts`` (n, 3) for ``leg``."""
        return leg.ankle + pts @ leg.foot_R.T
