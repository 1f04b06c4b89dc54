"""The posable body: the ``anny`` parametric model (MakeHuman assets, CC0).

Needs torch and anny (the ``synth`` extra). The model's assets ship inside
the ``anny`` wheel; the first build of a model caches a derived file under
``~/.cache/anny`` (``ANNY_CACHE_DIR`` overrides), nothing is downloaded.

Frames: anny works in its own axes (x = the body's left, -y = forward,
z = up); everything outside this module is in the world frame of
:mod:`gaitvision.synth.kinematics` (x = forward, y = left, z = up).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.synth.kinematics import BodyState, LegState, Skeleton, rot_x, rot_y, rot_z
from gaitvision.synth.spec import BodySpec, ClothingSpec, GaitSpec

__all__ = ["Body", "LANDMARK_BONES", "MEDIAPIPE_NAMES"]

logger = logging.getLogger(__name__)

#: anny axes -> world axes (world = C @ anny)
C = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

MEDIAPIPE_NAMES = {
    0: "nose", 11: "left_shoulder", 12: "right_shoulder", 13: "left_elbow", 14: "right_elbow",
    15: "left_wrist", 16: "right_wrist", 23: "left_hip", 24: "right_hip", 25: "left_knee",
    26: "right_knee", 27: "left_ankle", 28: "right_ankle", 29: "left_heel", 30: "right_heel",
    31: "left_foot_index", 32: "right_foot_index",
}
#: MediaPipe index -> rig bone whose head is that joint centre
LANDMARK_BONES = {
    11: "upperarm01.L", 12: "upperarm01.R", 13: "lowerarm01.L", 14: "lowerarm01.R",
    15: "wrist.L", 16: "wrist.R", 23: "upperleg01.L", 24: "upperleg01.R",
    25: "lowerleg01.L", 26: "lowerleg01.R", 27: "foot.L", 28: "foot.R",
}
REGIONS = ("skin", "hair", "shirt", "shorts", "socks", "shoe", "sole", "outsole", "eye_white", "iris",
           "lips")

_MODEL: Any = None


def _model() -> Any:
    global _MODEL
    if _MODEL is None:
        import anny  # noqa: PLC0415  (optional dependency)

        logger.info("Building the anny body model (first use caches it under ~/.cache/anny)")
        _MODEL = anny.Anny(skinning_method="lbs")
    return _MODEL


def _frame(u: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """Orthonormal frame with first axis ``u`` and second axis ``n`` orthogonalised to it."""
    u = u / np.linalg.norm(u)
    n = n - (n @ u) * u
    n = n / np.linalg.norm(n)
    return np.stack([u, n, np.cross(u, n)], axis=1)


def _half_rotation(R: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rotation by half the angle of ``R`` about the same axis."""
    angle = math.acos(min(max((np.trace(R) - 1) / 2, -1.0), 1.0))
    if angle < 1e-9:
        return np.eye(3)
    axis = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]]) / (2 * math.sin(angle))
    from gaitvision.synth.kinematics import rodrigues

    return rodrigues(axis, angle / 2)


def _foot_bone(side: str) -> Callable[[str], bool]:
    """Whether a bone belongs to one foot (the foot bone and the toes)."""

    def of_foot(n: str) -> bool:
        return n == f"foot.{side}" or (n.startswith("toe") and n.endswith(side))

    return of_foot


def _lowest(p: NDArray[np.float64], pitch_deg: float) -> int:
    """Index of the lowest of the foot points ``p`` when the foot is pitched by ``pitch_deg``."""
    q = p @ rot_y(-math.radians(pitch_deg)).T
    return int(np.argmin(q[:, 2]))


@dataclass
class Posed:
    """A batch of posed bodies in the world frame."""

    vertices: NDArray[np.float32]        # (B, V, 3)
    heads: dict[str, NDArray[np.float64]]  # bone -> (B, 3)


class Body:
    """One runner: phenotype, region colours, tracked vertices and posing."""

    def __init__(self, body: BodySpec, clothing: ClothingSpec) -> None:
        import torch  # noqa: PLC0415

        self._torch = torch
        self.model = _model()
        self.labels: list[str] = list(self.model.bone_labels)
        self.pheno = {"gender": body.gender, "age": body.age, "muscle": body.muscle,
                      "weight": body.weight, "height": body.height,
                      "proportions": body.proportions}
        with torch.no_grad():
            out = self.model(phenotype_kwargs=self.pheno)
        ref_heads = out["bone_poses"][0, :, :3, 3].double().numpy() @ C.T
        self.ref_vertices = out["vertices"][0].double().numpy() @ C.T
        self.ref = {n: ref_heads[i] for i, n in enumerate(self.labels)}
        self.faces = self.model.faces.numpy().astype(np.int32)
        W = self.model.vertex_bone_weights.double().numpy()
        bone_idx = self.model.vertex_bone_indices.numpy()
        self._weights, self._indices = W, bone_idx
        self.dominant = bone_idx[np.arange(len(bone_idx)), W.argmax(1)]
        self._flip_if_inward()
        self._feet()
        self.vertex_region = self._regions(clothing)
        self.palette = self._palette(clothing)
        v = self.ref_vertices
        self.stature_m = float(v[:, 2].max() - v[:, 2].min())
        self._palm_normal = {}
        for s in ("L", "R"):
            wr = self.ref[f"wrist.{s}"]
            a2, a5 = self.ref.get(f"finger2-1.{s}"), self.ref.get(f"finger5-1.{s}")
            if a2 is None or a5 is None:
                self._palm_normal[s] = np.array([0.0, 0.0, 1.0])
                continue
            n = np.cross(a2 - wr, a5 - wr)
            self._palm_normal[s] = n / np.linalg.norm(n)

    # ------------------------------------------------------------ reference geometry
    def _bone_weight(self, pred: Callable[[str], bool]) -> NDArray[np.float64]:
        sel = np.array([pred(n) for n in self.labels])
        w: NDArray[np.float64] = (self._weights * sel[self._indices]).sum(1)
        return w

    def _flip_if_inward(self) -> None:
        v, f = self.ref_vertices, self.faces
        vol = np.einsum("ij,ij->i", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]])).sum()
        if vol < 0:
            self.faces = self.faces[:, ::-1].copy()

    def _feet(self) -> None:
        self.foot_Q: dict[str, NDArray[np.float64]] = {}
        self.tracked: dict[int, int] = {}
        hip, knee, ankle, pivots = {}, {}, {}, {}
        for s in ("L", "R"):
            w = self._bone_weight(_foot_bone(s))
            rigid = np.where(w > 0.999)[0]
            a = self.ref[f"foot.{s}"]
            rel = self.ref_vertices[rigid] - a
            # remove the reference foot's yaw (toe tip direction), then its pitch (heel-toe level)
            tip0 = rel[np.argmax(rel[:, 0])]
            back0 = rel[np.argmin(rel[:, 0])]
            yaw = math.atan2(tip0[1] - back0[1], tip0[0] - back0[0])
            Q = rot_z(-yaw)
            p = rel @ Q.T
            ih, it = _lowest(p, 20.0), _lowest(p, -45.0)
            d = p[it] - p[ih]
            Q = rot_y(math.atan2(d[2], d[0])) @ Q
            p = rel @ Q.T
            self.foot_Q[s] = Q
            pivots[s] = (p[ih].copy(), p[it].copy())
            heel_idx = int(rigid[ih])
            tip_idx = int(rigid[np.argmax(p[:, 0])])
            self.tracked[29 if s == "L" else 30] = heel_idx
            self.tracked[31 if s == "L" else 32] = tip_idx
            hip[s], knee[s], ankle[s] = (self.ref[f"upperleg01.{s}"], self.ref[f"lowerleg01.{s}"], a)
        head = np.where(self.dominant == self.labels.index("head"))[0]
        self.tracked[0] = int(head[np.argmax(self.ref_vertices[head, 0])])
        root = self.ref["root"]
        self.skeleton = Skeleton(
            hip_off={s: hip[s] - root for s in ("L", "R")},
            thigh_len={s: float(np.linalg.norm(knee[s] - hip[s])) for s in ("L", "R")},
            shank_len={s: float(np.linalg.norm(ankle[s] - knee[s])) for s in ("L", "R")},
            heel_pivot={s: pivots[s][0] for s in ("L", "R")},
            toe_pivot={s: pivots[s][1] for s in ("L", "R")},
        )
        self.foot_bones = {s: self._bone_weight(_foot_bone(s)) > 0.5 for s in ("L", "R")}

    def _regions(self, cl: ClothingSpec) -> NDArray[np.int8]:
        v, lab, dom = self.ref_vertices, self.labels, self.dominant
        region = np.zeros(len(v), dtype=np.int8)  # skin
        R = {n: i for i, n in enumerate(REGIONS)}
        name = np.array(lab)[dom]
        arm = np.array([any(k in n for k in ("arm", "wrist", "finger", "metacarpal", "clavicle",
                                             "shoulder")) for n in name])
        hand = np.array([any(k in n for k in ("wrist", "finger", "metacarpal")) for n in name])
        z = v[:, 2]
        hip_z = 0.5 * (self.ref["upperleg01.L"][2] + self.ref["upperleg01.R"][2])
        thigh = self.skeleton.thigh_len["L"]
        waist_z = self.ref["spine03"][2] - 0.015
        # shorts: pelvis and upper thighs
        shorts = (~arm) & (z <= waist_z) & (z >= hip_z - cl.shorts_length * thigh - 0.05)
        region[shorts] = R["shorts"]
        # shirt: trunk above the waist, and the top of the upper arm
        shirt = (~arm) & (z > waist_z) & np.isin(name, ["spine03", "spine02", "spine01",
                                                           "spine04", "spine05"])
        for s in ("L", "R"):
            sh, el = self.ref[f"upperarm01.{s}"], self.ref[f"lowerarm01.{s}"]
            ax = (el - sh) / np.linalg.norm(el - sh)
            along = (v - sh) @ ax / np.linalg.norm(el - sh)
            on_arm = np.array([n.endswith("." + s) for n in name])
            shirt |= on_arm & arm & ~hand & (along < cl.sleeve_length)
            shirt |= np.isin(name, [f"clavicle.{s}", f"shoulder01.{s}"])
        neck_top = self.ref["neck01"][2] - 0.01
        shirt &= z < neck_top
        region[shirt] = R["shirt"]
        # feet: socks above the shoe, shoe, sole
        for s in ("L", "R"):
            a = self.ref[f"foot.{s}"]
            foot = self.foot_bones[s]
            leg = np.isin(name, [f"lowerleg01.{s}", f"lowerleg02.{s}"])
            shoe = foot | (leg & (z < a[2] + 0.03))
            socks = leg & (z >= a[2] + 0.03) & (z < a[2] + 0.10)
            region[socks] = R["socks"]
            region[shoe] = R["shoe"]
            sole_z = v[foot, 2].min()
            region[shoe & (z < sole_z + 0.028)] = R["sole"]
            region[shoe & (z < sole_z + 0.010)] = R["outsole"]
        # head: hair cap, eyes, lips
        head = name == "head"
        eyes = np.isin(name, ["eye.L", "eye.R"])
        ec = 0.5 * (self.ref["eye.L"] + self.ref["eye.R"])  # between the eyes
        nose = v[self.tracked[0]]
        hair = head & ((z > ec[2] + 0.045) | ((v[:, 0] < ec[0] - 0.07) & (z > ec[2] - 0.08)))
        region[hair] = R["hair"]
        region[eyes] = R["eye_white"]
        for s in ("L", "R"):
            idx = np.where(name == f"eye.{s}")[0]
            if len(idx):
                region[idx[v[idx, 0] > v[idx, 0].max() - 0.006]] = R["iris"]
        lips = head & (v[:, 0] > nose[0] - 0.035) & (np.abs(v[:, 1] - nose[1]) < 0.022) & \
            (z < nose[2] - 0.028) & (z > nose[2] - 0.052)
        region[lips] = R["lips"]
        return region

    def _palette(self, cl: ClothingSpec) -> NDArray[np.float32]:
        skin = np.array(cl.skin)
        cols = {"skin": skin, "hair": np.array(cl.hair), "shirt": np.array(cl.shirt),
                "shorts": np.array(cl.shorts), "socks": np.array(cl.socks),
                "shoe": np.array(cl.shoe), "sole": np.array(cl.sole),
                "outsole": np.array(cl.outsole),
                "eye_white": np.array([0.85, 0.85, 0.82]), "iris": np.array([0.08, 0.06, 0.05]),
                "lips": skin * np.array([0.85, 0.55, 0.55])}
        palette: NDArray[np.float32] = np.stack([cols[r] for r in REGIONS]).astype(np.float32)
        return palette

    @property
    def vertex_colors(self) -> NDArray[np.float32]:
        colors: NDArray[np.float32] = self.palette[self.vertex_region]
        return colors

    @property
    def face_colors(self) -> NDArray[np.float32]:
        """Albedo per triangle: the region most of its corners belong to (sharp garment edges)."""
        r = self.vertex_region[self.faces]
        a, b, c = r[:, 0], r[:, 1], r[:, 2]
        major = np.where(b == c, b, a)
        colors: NDArray[np.float32] = self.palette[major]
        return colors

    # ------------------------------------------------------------ posing
    def _leg_rotations(
        self, s: str, leg: LegState
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """World rotations (reference -> posed) of thigh, shank and foot."""
        hip, knee, ankle = self.ref[f"upperleg01.{s}"], self.ref[f"lowerleg01.{s}"], self.ref[f"foot.{s}"]
        fwd = np.array([1.0, 0.0, 0.0])
        ref_t = _frame(knee - hip, fwd)
        ref_s = _frame(ankle - knee, fwd)
        G_t = _frame(leg.knee - leg.hip, leg.pole) @ ref_t.T
        G_s = _frame(leg.ankle - leg.knee, leg.pole) @ ref_s.T
        G_f = leg.foot_R @ self.foot_Q[s]
        return G_t, G_s, G_f

    def _arm_rotations(self, s: str, swing_deg: float, elbow_deg: float, trunk: NDArray[np.float64]
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        sh, el, wr = self.ref[f"upperarm01.{s}"], self.ref[f"lowerarm01.{s}"], self.ref[f"wrist.{s}"]
        u_ref, w_ref = (el - sh) / np.linalg.norm(el - sh), (wr - el) / np.linalg.norm(wr - el)
        m_ref = np.cross(u_ref, w_ref)
        m_ref /= np.linalg.norm(m_ref)
        abd = math.radians(10.0) * (1 if s == "L" else -1)
        R = trunk @ rot_x(abd) @ rot_y(-math.radians(swing_deg))
        u = R @ np.array([0.0, 0.0, -1.0])
        n = R @ np.array([1.0, 0.0, 0.0])
        m = np.cross(u, n)
        e = math.radians(elbow_deg)
        w = math.cos(e) * u + math.sin(e) * n
        F_u = np.stack([u, np.cross(m, u), m], 1)
        F_uref = np.stack([u_ref, np.cross(m_ref, u_ref), m_ref], 1)
        F_w = np.stack([w, np.cross(m, w), m], 1)
        F_wref = np.stack([w_ref, np.cross(m_ref, w_ref), m_ref], 1)
        return F_u @ F_uref.T, F_w @ F_wref.T

    def _fist(self, s: str, G_hand: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Loosely curled fingers (a runner's hand), as deltas relative to the posed hand."""
        from gaitvision.synth.kinematics import rodrigues

        out: dict[str, NDArray[np.float64]] = {}
        wr = self.ref[f"wrist.{s}"]
        for k in (2, 3, 4, 5):
            names = [f"finger{k}-{j}.{s}" for j in (1, 2, 3)]
            if not all(n in self.ref for n in names):
                continue
            a = self.ref[names[0]]
            palm = (a - wr) / np.linalg.norm(a - wr)
            axis = np.cross(palm, self._palm_normal[s])
            G = G_hand
            for n, ang in zip(names, (70.0, 80.0, 50.0), strict=True):  # three phalanges
                Rm = rodrigues(G_hand @ axis, math.radians(ang))
                out[n] = G.T @ Rm @ G
                G = Rm @ G
        return out

    def deltas(self, st: BodyState, gait: GaitSpec) -> dict[str, NDArray[np.float64]]:
        """anny 'local-ref' deltas (anny axes, 3x3) for one body state."""
        Rp = st.pelvis_R
        lean = math.radians(gait.trunk_lean_deg)
        yaw_t = -0.8 * math.radians(st.pelvis_yaw_deg)        # shoulders counter-rotate
        lat = -0.3 * math.radians(st.obliquity_deg)
        trunk = rot_z(yaw_t) @ rot_x(lat) @ rot_y(lean)
        world: dict[str, NDArray[np.float64]] = {"root": Rp}
        rel = Rp.T @ trunk
        half = _half_rotation(rel)
        # the lumbar spine and the waist follow the pelvis (spine05-03); the trunk
        # counter-rotates above the waistband (spine02, spine01), so the pelvic drop
        # is visible on the body as a tilted waistband
        world["spine02"] = half
        world["spine01"] = half.T @ rel
        world["neck01"] = trunk.T @ rot_y(math.radians(4.0))   # head nearly level
        phase = 2 * math.pi * st.phase_L
        arm = gait.arm_swing_deg * -math.cos(phase)             # left arm forward at right contact
        for s, sgn in (("L", 1.0), ("R", -1.0)):
            G_t, G_s, G_f = self._leg_rotations(s, st.legs[s])
            world[f"upperleg01.{s}"] = Rp.T @ G_t
            world[f"lowerleg01.{s}"] = G_t.T @ G_s
            world[f"foot.{s}"] = G_s.T @ G_f
            elbow = gait.elbow_deg + 8.0 * sgn * math.cos(phase)
            G_u, G_w = self._arm_rotations(s, sgn * arm, elbow, trunk)
            world[f"upperarm01.{s}"] = trunk.T @ G_u
            world[f"lowerarm01.{s}"] = G_u.T @ G_w
            world.update(self._fist(s, G_w))
        return {k: C.T @ v @ C for k, v in world.items()}

    def pose(self, states: list[BodyState], gait: GaitSpec) -> Posed:
        """Skin the mesh for each state; world-frame vertices and bone heads."""
        torch = self._torch
        B = len(states)
        per = [self.deltas(st, gait) for st in states]
        params = {}
        for bone in per[0]:
            D = np.tile(np.eye(4), (B, 1, 1))
            D[:, :3, :3] = np.stack([p[bone] for p in per])
            params[bone] = torch.as_tensor(D, dtype=self.model.template_vertices.dtype)
        with torch.no_grad():
            out = self.model(pose_parameters=params, phenotype_kwargs=self.pheno)
        shift = np.stack([st.pelvis_pos for st in states]) - self.ref["root"]
        verts = out["vertices"].double().numpy() @ C.T + shift[:, None, :]
        heads_all = out["bone_poses"][:, :, :3, 3].double().numpy() @ C.T + shift[:, None, :]
        heads = {n: heads_all[:, i] for i, n in enumerate(self.labels)}
        return Posed(verts.astype(np.float32), heads)

    def landmarks(self, posed: Posed) -> dict[int, NDArray[np.float64]]:
        """MediaPipe-indexed 3D landmarks: joint centres and tracked vertices, (B, 3) each."""
        out = {i: posed.heads[b] for i, b in LANDMARK_BONES.items()}
        for i, vi in self.tracked.items():
            out[i] = posed.vertices[:, vi].astype(np.float64)
        return dict(sorted(out.items()))
