"""A second person crossing in front of the treadmill (``--occluder walker``).

Needs torch and anny like the runner. The walker is a second
:class:`~gaitvision.synth.body.Body` (female phenotype, red shirt, long
dark trousers) posed by its own :class:`~gaitvision.synth.kinematics.GaitModel`
at the slowest gait the model makes (120 steps/min, duty factor 0.45, the
knee 30 deg bent at toe-off so the leg reaches the belt), and
carried along a straight line on the floor in front of the runner, along
the camera's horizontal axis, at the speed that takes it from one picture
edge to the other in ``duration_s`` (its belt speed is set to the same
speed, so its stance foot stays put on the floor).

Each frame in which it is in view, both bodies are drawn into one z-buffer
(so each hides the other where it is nearer), and two small extra
z-buffers at display resolution, one per body, tell which of the runner's
pixels and landmarks the walker hides: :meth:`Walker.record` keeps the
hidden fraction of the runner's silhouette and the hidden landmarks, and
:meth:`Walker.truth` writes them into the truth file's ``occluder`` block.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.synth.camera import Camera
from gaitvision.synth.kinematics import rot_z
from gaitvision.synth.spec import BodySpec, ClothingSpec, GaitSpec, OccluderSpec, SynthSpec

__all__ = ["Walker"]

#: half the walker's width with its arms, m: how far beyond the picture edge it starts and ends
_HALF_WIDTH_M = 0.45

#: a runner pixel or landmark counts as hidden where the walker is this much nearer, m
_DEPTH_EPS_M = 0.01

_WALKER_BODY = BodySpec(gender=1.0, age=0.5, muscle=0.5, weight=0.55, height=0.5)
_WALKER_CLOTHES = ClothingSpec(shirt=(0.70, 0.14, 0.12), shorts=(0.20, 0.22, 0.30), shorts_length=1.0,
                               sleeve_length=0.5, socks=(0.2, 0.2, 0.2), shoe=(0.85, 0.85, 0.85),
                               hair=(0.35, 0.22, 0.10))

#: landmarks whose hidden state the truth lists per frame (MediaPipe indices)
LEG_LANDMARKS = (23, 24, 25, 26, 27, 28, 29, 30, 31, 32)


class Walker:
    """The crossing person of one clip: its path, its posed mesh per frame, what it hides."""

    def __init__(self, spec: SynthSpec, cam: Camera) -> None:
        from gaitvision.synth.body import Body  # noqa: PLC0415 (torch)
        from gaitvision.synth.kinematics import GaitModel

        occ = spec.occluder
        assert occ is not None
        self.occ: OccluderSpec = occ
        self.cam = cam
        self.floor = -spec.scene.deck_height_m
        # the path: a horizontal line distance_m from the runner towards the camera
        toward = cam.position.copy()
        toward[2] = 0.0
        toward /= np.linalg.norm(toward)
        right = cam.R[0].copy()
        right[2] = 0.0
        right /= np.linalg.norm(right)
        self.centre = toward * occ.distance_m
        depth = float(np.linalg.norm(cam.position[:2] - self.centre[:2]))
        half_view = depth * (cam.width / 2) / cam.focal_px
        self.half_path = half_view + _HALF_WIDTH_M + 0.1
        self.dir = right * occ.direction
        self.speed = 2 * self.half_path / occ.duration_s
        self.heading = math.atan2(self.dir[1], self.dir[0])
        self.R = rot_z(self.heading)
        gait = GaitSpec(cadence_spm=120.0, duty_factor=0.45, speed_mps=float(np.clip(self.speed, 1.5, 6.0)),
                        knee_flex_swing_deg=70.0, knee_flex_stance_deg=25.0, knee_flex_to_deg=30.0,
                        trunk_lean_deg=2.0,
                        arm_swing_deg=20.0, elbow_deg=25.0, start_phase=0.4)
        self.gait = gait
        self.body = Body(_WALKER_BODY, _WALKER_CLOTHES)
        self.gm = GaitModel(gait, self.body.skeleton)
        self.albedo = np.asarray(self.body.face_colors, dtype=np.float64)
        ref = self.body.ref_vertices  # a vertex near each hip joint: the walker's image position
        self._hips = [int(np.argmin(np.linalg.norm(ref - self.body.ref[f"upperleg01.{s}"], axis=1)))
                      for s in ("L", "R")]
        self.hidden_fraction: dict[int, float] = {}
        self.hidden_landmarks: dict[int, list[int]] = {}
        self.hip_px: dict[int, list[float]] = {}

    def active(self, t: float) -> bool:
        """Whether the walker may be in the picture at time ``t`` (its path, with a frame to spare)."""
        return self.occ.start_s - 0.05 <= t <= self.occ.start_s + self.occ.duration_s + 0.05

    def offset(self, t: float) -> NDArray[np.float64]:
        """World position of the walker's kinematic origin at ``t``."""
        s = -self.half_path + self.speed * (t - self.occ.start_s)
        p: NDArray[np.float64] = self.centre + self.dir * s
        p[2] = self.floor
        return p

    def vertices(self, times: list[float]) -> list[NDArray[np.float64]]:
        """The walker's world-frame mesh vertices at each time (one batch)."""
        if not times:
            return []
        posed = self.body.pose([self.gm.state(t) for t in times], self.gait)
        out = []
        for k, t in enumerate(times):
            v = posed.vertices[k].astype(np.float64)
            out.append(v @ self.R.T + self.offset(t))
        return out

    def record(self, frame: int, runner_v: NDArray[np.floating[Any]], runner_faces: NDArray[np.int32],
               runner_lm: dict[int, NDArray[np.float64]], walker_v: NDArray[np.float64]) -> None:
        """Keep which part of the runner the walker hides in ``frame``.

        ``runner_lm``: the runner's 3D landmarks in this frame (MediaPipe
        index -> (3,)).
        """
        cam = self.cam
        zr = _zbuffer(cam, runner_v.astype(np.float64), runner_faces)
        zw = _zbuffer(cam, walker_v, self.body.faces)
        runner_px = np.isfinite(zr)
        hidden = runner_px & (zw < zr - _DEPTH_EPS_M)
        n = int(runner_px.sum())
        self.hidden_fraction[frame] = float(hidden.sum()) / n if n else 0.0
        lm_hidden = []
        for i, p in runner_lm.items():
            (u, v), z = cam.project(p[None])[0][0], float(cam.to_cam(p[None])[0, 2])
            iu, iv = int(math.floor(u)), int(math.floor(v))
            if 0 <= iu < cam.width and 0 <= iv < cam.height and zw[iv, iu] < z - _DEPTH_EPS_M:
                lm_hidden.append(int(i))
        self.hidden_landmarks[frame] = lm_hidden
        hips = walker_v[self._hips].mean(axis=0)
        self.hip_px[frame] = [round(float(c), 2) for c in cam.project(hips[None])[0][0]]

    def truth(self, n_frames: int, fps: float) -> dict[str, Any]:
        """The truth file's ``occluder`` block.

        ``hidden_fraction``: per frame, the fraction of the runner's
        silhouette (its pixels at display resolution) behind the walker.
        ``hidden_frames``: frames with any of it hidden; ``legs_hidden_frames``:
        frames with a hip, knee, ankle, heel or toe landmark hidden;
        ``mostly_hidden_frames``: more than half the silhouette hidden.
        """
        frac = [round(self.hidden_fraction.get(i, 0.0), 4) for i in range(n_frames)]
        legs = [i for i in range(n_frames) if set(self.hidden_landmarks.get(i, [])) & set(LEG_LANDMARKS)]
        return {
            "kind": self.occ.kind,
            "what": ("a second anny body (female phenotype, red shirt, long trousers) walking-jogging "
                     "across the picture on the floor in front of the treadmill, between the camera and "
                     "the runner"),
            "spec": {"start_s": self.occ.start_s, "duration_s": self.occ.duration_s,
                     "distance_m": self.occ.distance_m, "direction": self.occ.direction},
            "speed_mps": round(self.speed, 4),
            "cadence_spm": self.gait.cadence_spm,
            "path_m": {"centre": np.round(self.centre, 4).tolist(), "direction": np.round(self.dir, 4).tolist(),
                       "half_length": round(self.half_path, 4)},
            "hidden_fraction": frac,
            "hidden_frames": [i for i, f in enumerate(frac) if f > 0.0],
            "mostly_hidden_frames": [i for i, f in enumerate(frac) if f > 0.5],
            "legs_hidden_frames": legs,
            "hidden_landmarks": {str(i): v for i, v in sorted(self.hidden_landmarks.items()) if v},
            "walker_hip_px": {str(i): v for i, v in sorted(self.hip_px.items())},
            "frame_time": f"frame i at t = i / {fps:g} s",
        }


def _zbuffer(cam: Camera, verts: NDArray[np.float64], faces: NDArray[np.int32]) -> NDArray[np.float32]:
    """Depth of the nearest surface of one mesh per display pixel (inf where it is absent)."""
    from gaitvision.synth.raster import draw_triangles

    xy, z = cam.project(verts)
    zbuf = np.full((cam.height, cam.width), np.inf, dtype=np.float32)
    img = np.zeros((cam.height, cam.width, 3), dtype=np.float32)
    draw_triangles(faces, xy, z, np.ones(len(verts)), np.ones((len(faces), 3)), zbuf, img)
    return zbuf
