"""A small CPU z-buffer rasteriser with Lambert shading (numba).

Triangles are filled with barycentric interpolation of per-vertex colours
(Gouraud) and depth; a static background (room, treadmill) is rendered
once per camera and each frame's body is drawn over a copy of it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from gaitvision.synth.camera import Camera
from gaitvision.synth.spec import SceneSpec

__all__ = ["Scene", "draw_triangles", "shade", "vertex_normals"]

NEAR = 0.05


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]  # numba ships no type stubs
def draw_triangles(  # pragma: no cover - compiled
    tri: NDArray[np.int32],
    xy: NDArray[np.float64],
    z: NDArray[np.float64],
    shade_v: NDArray[np.float64],
    face_col: NDArray[np.floating[Any]],
    zbuf: NDArray[np.float32],
    img: NDArray[np.float32],
) -> None:
    """Rasterise triangles ``tri`` (F, 3) with screen ``xy`` (V, 2), depth ``z`` (V,),
    per-vertex light ``shade_v`` (V,) and per-face albedo ``face_col`` (F, 3) into
    ``zbuf`` (H, W) and ``img`` (H, W, 3), in place. Per-face albedo keeps the
    edges between clothing regions sharp; the light is interpolated (Gouraud)."""
    H, W = zbuf.shape
    for f in range(tri.shape[0]):
        a, b, c = tri[f, 0], tri[f, 1], tri[f, 2]
        za, zb, zc = z[a], z[b], z[c]
        if za < NEAR or zb < NEAR or zc < NEAR:
            continue
        xa, ya = xy[a, 0], xy[a, 1]
        xb, yb = xy[b, 0], xy[b, 1]
        xc, yc = xy[c, 0], xy[c, 1]
        area = (xb - xa) * (yc - ya) - (xc - xa) * (yb - ya)
        if abs(area) < 1e-12:
            continue
        x0 = max(int(math.floor(min(xa, min(xb, xc)))), 0)
        x1 = min(int(math.ceil(max(xa, max(xb, xc)))), W - 1)
        y0 = max(int(math.floor(min(ya, min(yb, yc)))), 0)
        y1 = min(int(math.ceil(max(ya, max(yb, yc)))), H - 1)
        if x0 > x1 or y0 > y1:
            continue
        iza, izb, izc = 1.0 / za, 1.0 / zb, 1.0 / zc
        inv = 1.0 / area
        r, g, bl = face_col[f, 0], face_col[f, 1], face_col[f, 2]
        for py in range(y0, y1 + 1):
            sy = py + 0.5
            for px in range(x0, x1 + 1):
                sx = px + 0.5
                w0 = ((xb - sx) * (yc - sy) - (xc - sx) * (yb - sy)) * inv
                w1 = ((xc - sx) * (ya - sy) - (xa - sx) * (yc - sy)) * inv
                w2 = 1.0 - w0 - w1
                if w0 < 0 or w1 < 0 or w2 < 0:
                    continue
                iz = w0 * iza + w1 * izb + w2 * izc
                depth = 1.0 / iz
                if depth >= zbuf[py, px]:
                    continue
                zbuf[py, px] = depth
                k = (w0 * iza * shade_v[a] + w1 * izb * shade_v[b] + w2 * izc * shade_v[c]) * depth
                img[py, px, 0] = r * k
                img[py, px, 1] = g * k
                img[py, px, 2] = bl * k


def vertex_normals(v: NDArray[np.float64], faces: NDArray[np.int32]) -> NDArray[np.float64]:
    """Area-weighted unit vertex normals (V, 3)."""
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        idx = faces[:, k]
        for d in range(3):
            n[:, d] += np.bincount(idx, weights=fn[:, d], minlength=len(v))
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n


def light_dir(scene: SceneSpec) -> NDArray[np.float64]:
    az, el = math.radians(scene.key_azimuth_deg), math.radians(scene.key_elevation_deg)
    return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])


def shade(normals: NDArray[np.float64], scene: SceneSpec, view_dir: NDArray[np.float64],
          depth: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Per-vertex light (V,): ambient + key light + a fill light from the camera (Lambert).

    With ``depth`` (distance along the camera axis), the half of the body
    away from the camera is darkened by up to ``scene.far_side_darkening``,
    a stand-in for the shadow and occlusion that make the far leg darker
    than the near one in real footage.
    """
    key = np.clip(normals @ light_dir(scene), 0.0, None)
    fill = np.abs(normals @ view_dir)
    k: NDArray[np.float64] = scene.ambient + scene.key_intensity * key + scene.fill * fill
    if depth is not None and scene.far_side_darkening > 0:
        mid = 0.5 * (np.percentile(depth, 5) + np.percentile(depth, 95))
        k = k * (1.0 - scene.far_side_darkening * np.clip((depth - mid) / 0.15, 0.0, 1.0))
    return k


def _box(
    lo: tuple[float, float, float], hi: tuple[float, float, float]
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], dtype=float)
    q = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    f = []
    for a, b, c, d in q:
        f += [(a, b, c), (a, c, d)]
    return v, np.array(f, dtype=np.int32)


def _grid(
    origin: NDArray[np.float64], e1: NDArray[np.float64], e2: NDArray[np.float64], n1: int, n2: int
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    i, j = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    v = origin + i[..., None] * e1 / n1 + j[..., None] * e2 / n2
    v = v.reshape(-1, 3)
    f = []
    for a in range(n1):
        for b in range(n2):
            p = a * (n2 + 1) + b
            f += [(p, p + n2 + 1, p + n2 + 2), (p, p + n2 + 2, p + 1)]
    return v, np.array(f, dtype=np.int32)


class Scene:
    """Room and treadmill for one camera; renders the static background once."""

    def __init__(self, scene: SceneSpec, cam: Camera, ss: int, console: bool) -> None:
        self.spec, self.cam, self.ss = scene, cam, ss
        parts: list[tuple[NDArray[np.float64], NDArray[np.int32], NDArray[np.float64]]] = []
        s = scene.room_half_size_m
        fl = -scene.deck_height_m
        n = 32
        parts.append((*_grid(np.array([-s, -s, fl]), np.array([2 * s, 0, 0]), np.array([0, 2 * s, 0]), n, n),
                      np.array(scene.floor_color)))
        h = 3.0
        parts.append((*_grid(np.array([-s, -s, fl + h]), np.array([0, 2 * s, 0]), np.array([2 * s, 0, 0]), n, n),
                      np.array(scene.wall_color) * 1.05))
        for o, e1 in (((-s, -s), (2 * s, 0)), ((s, -s), (0, 2 * s)), ((s, s), (-2 * s, 0)), ((-s, s), (0, -2 * s))):
            parts.append((*_grid(np.array([o[0], o[1], fl]), np.array([e1[0], e1[1], 0]),
                                 np.array([0, 0, h]), n, 8), np.array(scene.wall_color)))
        L, Wb = scene.belt_length_m / 2, scene.belt_width_m / 2
        parts.append((*_grid(np.array([-L, -Wb, -0.002]), np.array([2 * L, 0, 0]), np.array([0, 2 * Wb, 0]), 16, 4),
                      np.array(scene.belt_color)))
        fc = np.array(scene.frame_color)
        for sgn in (-1, 1):   # side decks
            y0, y1 = sorted((sgn * Wb, sgn * (Wb + 0.09)))
            parts.append((*_box((-L - 0.05, y0, fl), (L + 0.1, y1, 0.01)), fc))
        parts.append((*_box((-L - 0.05, -Wb, fl), (L + 0.1, Wb, -0.004)), fc * 0.7))
        if console:
            for sgn in (-1, 1):  # uprights and handrails
                yc = sgn * (Wb + 0.05)
                parts.append((*_box((L + 0.02, yc - 0.025, fl), (L + 0.08, yc + 0.025, 1.05)), fc))
                parts.append((*_box((L - 0.45, yc - 0.02, 0.95), (L + 0.08, yc + 0.02, 0.99)), fc))
            parts.append((*_box((L - 0.05, -(Wb + 0.08), 1.05), (L + 0.12, Wb + 0.08, 1.22)),
                          np.array([0.2, 0.2, 0.22])))
        verts, faces, cols = [], [], []
        off = 0
        for v, f, c in parts:   # unshared vertices: flat shading per triangle
            tv = v[f].reshape(-1, 3)
            fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
            fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-12)
            k = scene.ambient + 0.8 * scene.key_intensity * np.abs(fn @ light_dir(scene)) + 0.5 * scene.fill
            verts.append(tv)
            faces.append(np.arange(len(tv), dtype=np.int32).reshape(-1, 3) + off)
            off += len(tv)
            cols.append(c[None, :] * k[:, None])
        self.verts = np.concatenate(verts)
        self.faces = np.concatenate(faces).astype(np.int32)
        self.colors = np.concatenate(cols)
        H, W = cam.height * ss, cam.width * ss
        zbuf = np.full((H, W), np.inf, dtype=np.float32)
        img = np.zeros((H, W, 3), dtype=np.float32)
        xy, z = cam.project(self.verts, scale=ss)
        draw_triangles(self.faces, xy, z, np.ones(len(self.verts)), self.colors, zbuf, img)
        self.bg_z, self.bg_img = zbuf, img
        self.bg_small = self._down(img)

    def _down(self, img: NDArray[np.float32]) -> NDArray[np.float32]:
        ss = self.ss
        if ss == 1:
            return img.astype(np.float32)
        h, w = img.shape[0] // ss, img.shape[1] // ss
        small: NDArray[np.float32] = img.reshape(h, ss, w, ss, 3).mean(axis=(1, 3), dtype=np.float32)
        return small

    def render(self, verts: NDArray[np.floating[Any]], faces: NDArray[np.int32], light: NDArray[np.float64],
               face_albedo: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
        """The frame (H, W, 3) in [0, 1] at display resolution, body over the background.

        Only the body's bounding box is rasterised and downsampled; the rest
        of the frame is the pre-rendered background.
        """
        ss = self.ss
        xy, z = self.cam.project(verts, scale=ss)
        out = self.bg_small.copy()
        ok = z > NEAR
        if not ok.any():
            return out
        H, W = self.bg_z.shape
        x0 = max(int(np.floor(xy[ok, 0].min())) - 2, 0) // ss * ss
        y0 = max(int(np.floor(xy[ok, 1].min())) - 2, 0) // ss * ss
        x1 = min(-(-(int(np.ceil(xy[ok, 0].max())) + 2) // ss) * ss, W)
        y1 = min(-(-(int(np.ceil(xy[ok, 1].max())) + 2) // ss) * ss, H)
        if x1 <= x0 or y1 <= y0:
            return out
        zb = self.bg_z[y0:y1, x0:x1].copy()
        im = self.bg_img[y0:y1, x0:x1].copy()
        draw_triangles(faces, xy - np.array([x0, y0]), z, light, face_albedo, zb, im)
        out[y0 // ss:y1 // ss, x0 // ss:x1 // ss] = self._down(im)
        return out
