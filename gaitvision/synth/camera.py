"""Pinhole camera placed around the treadmill (numpy only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.synth.kinematics import rodrigues, rot_z
from gaitvision.synth.spec import CameraSpec, SceneSpec

__all__ = ["Camera", "make_camera"]

#: diagonal of a 36 x 24 mm frame: 35 mm-equivalent focal lengths refer to it
FULL_FRAME_DIAG_MM = math.hypot(36.0, 24.0)

#: camera position direction (from the runner) per view, before the yaw
_VIEW_DIR = {
    "side-left": np.array([0.0, 1.0, 0.0]),    # on the runner's left: runner faces image left
    "side-right": np.array([0.0, -1.0, 0.0]),  # on the runner's right: runner faces image right
    "rear": np.array([-1.0, 0.0, 0.0]),
    "front": np.array([1.0, 0.0, 0.0]),
}


@dataclass(frozen=True)
class Camera:
    """World -> image. ``R`` rows are the camera's right, down and forward axes."""

    view: str
    position: NDArray[np.float64]
    R: NDArray[np.float64]
    K: NDArray[np.float64]
    width: int
    height: int

    @property
    def focal_px(self) -> float:
        return float(self.K[0, 0])

    def to_cam(self, pts: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        c: NDArray[np.float64] = (np.asarray(pts, dtype=float) - self.position) @ self.R.T
        return c

    def project(
        self, pts: NDArray[np.floating[Any]], scale: float = 1.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Pixel coordinates (..., 2) and depth (...) of world points; ``scale`` for supersampling."""
        c = self.to_cam(pts)
        z = c[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (self.K[0, 0] * c[..., 0] / z + self.K[0, 2]) * scale
            v = (self.K[1, 1] * c[..., 1] / z + self.K[1, 2]) * scale
        return np.stack([u, v], axis=-1), z

    def to_dict(self) -> dict[str, Any]:
        return {"view": self.view, "position_m": self.position.round(5).tolist(),
                "R_world_to_cam": self.R.tolist(), "K": self.K.tolist(),
                "width": self.width, "height": self.height, "focal_px": self.focal_px}


def make_camera(cam: CameraSpec, scene: SceneSpec) -> Camera:
    """Camera of ``cam``: heights from the floor, yaw about the runner, roll about the axis."""
    floor = -scene.deck_height_m
    d = rot_z(math.radians(cam.yaw_deg)) @ _VIEW_DIR[cam.view]
    pos = d * cam.distance_m
    pos[2] = floor + cam.height_m
    target = np.array([0.0, 0.0, floor + cam.aim_height_m])
    f = target - pos
    f /= np.linalg.norm(f)
    right = np.cross(f, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(f, right)
    if cam.roll_deg:
        Rr = rodrigues(f, math.radians(cam.roll_deg))
        right, down = Rr @ right, Rr @ down
    R = np.stack([right, down, f])
    fpx = cam.focal_mm_equiv / FULL_FRAME_DIAG_MM * math.hypot(cam.width, cam.height)
    K = np.array([[fpx, 0.0, cam.width / 2], [0.0, fpx, cam.height / 2], [0.0, 0.0, 1.0]])
    return Camera(cam.view, pos, R, K, cam.width, cam.height)
