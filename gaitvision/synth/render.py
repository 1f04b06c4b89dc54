"""Render a clip and its truth JSON: kinematics -> body -> rasteriser -> H.264."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.io._atomic import write_text
from gaitvision.io.video import VideoWriter
from gaitvision.synth._deps import require_synth
from gaitvision.synth.spec import SynthSpec

if TYPE_CHECKING:  # imported where a clip is rendered (torch, numba)
    from gaitvision.synth.body import Body
    from gaitvision.synth.camera import Camera
    from gaitvision.synth.kinematics import GaitModel
    from gaitvision.synth.occluder import Walker
    from gaitvision.synth.raster import Scene

__all__ = ["TRUTH_FORMAT", "render_clip"]

logger = logging.getLogger(__name__)

TRUTH_FORMAT = "gaitvision-synth-truth/1"
GAMMA = 2.2
BATCH = 12

WORLD_FRAME = ("metres; x = running direction, y = runner's left, z = up; z = 0 is the belt "
               "surface; origin below the runner's mean pelvis position. The belt moves towards -x.")
LANDMARK_DEFINITION = ("hips/knees/ankles/shoulders/elbows/wrists = rig joint centres (anny bone "
                       "heads); heels, foot_index and nose = tracked mesh vertices (heel: the "
                       "back-bottom point of the shoe that touches the belt at a heel strike; "
                       "foot_index: the tip of the shoe)")


def _round_list(a: NDArray[np.floating[Any]], nd: int) -> list[Any]:
    out: list[Any] = np.round(a, nd).tolist()
    return out


def render_clip(
    spec: SynthSpec,
    video_path: str | os.PathLike[str],
    truth_path: str | os.PathLike[str] | None = None,
    *,
    max_frames: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Render ``spec`` to ``video_path`` (H.264) and write its truth JSON.

    Parameters
    ----------
    spec
        Every parameter of the clip.
    video_path
        Output ``.mp4`` (written atomically).
    truth_path
        Output truth JSON; default: ``video_path`` with ``.truth.json``.
    max_frames
        Render only the first frames (for quick checks and tests).
    progress
        Called as ``progress(frames_done, frames_total)``.

    Returns
    -------
    dict
        The truth (format ``gaitvision-synth-truth/1``).
    """
    require_synth()
    from gaitvision.synth.body import Body  # noqa: PLC0415 (torch)
    from gaitvision.synth.camera import make_camera
    from gaitvision.synth.kinematics import GaitModel
    from gaitvision.synth.occluder import Walker
    from gaitvision.synth.raster import Scene

    t_start = time.perf_counter()
    video_path = Path(video_path)
    truth_path = Path(truth_path) if truth_path else video_path.with_name(video_path.stem + ".truth.json")
    r = spec.render
    body = Body(spec.body, spec.clothing)
    gm = GaitModel(spec.gait, body.skeleton)
    cam = make_camera(spec.camera, spec.scene)
    console = spec.scene.console and spec.camera.view != "front"
    scene = Scene(spec.scene, cam, r.supersample, console)
    n = int(round(r.duration_s * r.fps))
    if max_frames is not None:
        n = min(n, max_frames)
    times = np.arange(n) / r.fps
    walker = Walker(spec, cam) if spec.occluder is not None else None
    rendered = _render_frames(spec, video_path, body=body, gm=gm, cam=cam, scene=scene, times=times,
                              progress=progress, walker=walker)
    doc = _truth_doc(spec, video_path, rendered, body=body, gm=gm, cam=cam, times=times, t_start=t_start)
    if walker is not None:
        doc["occluder"] = walker.truth(n, r.fps)
    write_text(truth_path, json.dumps(doc, separators=(",", ":"), allow_nan=False))
    logger.info("Rendered %s (%d frames) in %.1f s", video_path, n, doc["render_seconds"])
    return doc


@dataclass
class _Rendered:
    """What the render pass keeps per frame, batch by batch: 3D landmarks and the feet."""

    lm3d: dict[int, list[NDArray[np.float64]]]
    foot_min: dict[str, list[NDArray[np.float32]]]
    foot_vertices: dict[str, list[NDArray[np.float32]]]
    kin_err: float = 0.0  # largest distance of the body's hip joints from the kinematics', m


def _render_frames(
    spec: SynthSpec,
    video_path: Path,
    *,
    body: Body,
    gm: GaitModel,
    cam: Camera,
    scene: Scene,
    times: NDArray[np.float64],
    progress: Callable[[int, int], None] | None,
    walker: Walker | None = None,
) -> _Rendered:
    """Pose, rasterise and encode every frame (atomically) in batches of :data:`BATCH`.

    With ``walker``, the second person is drawn with the runner in the
    frames it may be in view, and what it hides is recorded
    (:meth:`Walker.record`); every other frame is drawn as without it.
    """
    from gaitvision.synth.body import MEDIAPIPE_NAMES  # noqa: PLC0415 (torch)

    r = spec.render
    n = len(times)
    rng = np.random.default_rng(r.seed)
    nb = r.motion_blur_samples
    offsets = ((np.arange(nb) + 0.5) / nb - 0.5) * r.shutter_fraction / r.fps if nb > 1 else np.zeros(1)
    out = _Rendered({i: [] for i in MEDIAPIPE_NAMES}, {"L": [], "R": []}, {"L": [], "R": []})
    foot_mask = {s: np.where(body.foot_bones[s])[0] for s in ("L", "R")}
    shader = _Shader(spec, body, cam, scene)
    writer = VideoWriter(video_path, width=cam.width, height=cam.height, crf=r.crf, preset=r.preset)
    try:
        for b0 in range(0, n, BATCH):
            bt = times[b0:b0 + BATCH]
            centre_states = [gm.state(float(t)) for t in bt]
            posed = body.pose(centre_states, spec.gait)
            lms = body.landmarks(posed)
            for i in MEDIAPIPE_NAMES:
                out.lm3d[i].append(lms[i])
            for k, st in enumerate(centre_states):
                for s, ix in (("L", 23), ("R", 24)):
                    out.kin_err = max(out.kin_err, float(np.abs(lms[ix][k] - st.legs[s].hip).max()))
            for s in ("L", "R"):
                fv = posed.vertices[:, foot_mask[s]]
                out.foot_min[s].append(fv[:, :, 2].min(axis=1))
                out.foot_vertices[s].append(fv)
            sub_posed = None
            if nb > 1:
                sub = [gm.state(float(t + o)) for t in bt for o in offsets]
                sub_posed = body.pose(sub, spec.gait).vertices.reshape(len(bt), nb, -1, 3)
            in_view = [k for k, t in enumerate(bt) if walker is not None and walker.active(float(t))]
            walker_v = dict(zip(in_view, walker.vertices([float(bt[k]) for k in in_view]), strict=True)
                            ) if walker is not None else {}
            for k, t in enumerate(bt):
                frames = sub_posed[k] if sub_posed is not None else posed.vertices[k:k + 1]
                if k in walker_v and walker is not None:
                    img = shader.exposure(frames, walker, walker_v[k])
                    walker.record(b0 + k, posed.vertices[k], body.faces, {i: lms[i][k] for i in lms},
                                  walker_v[k])
                else:
                    img = shader.exposure(frames)
                if r.noise_sigma > 0:
                    img = img + rng.normal(0.0, r.noise_sigma, img.shape)
                writer.write(np.clip(img + 0.5, 0, 255).astype(np.uint8), float(t))
                if progress:
                    progress(b0 + k + 1, n)
    except BaseException:
        writer.close(commit=False)
        raise
    writer.close(commit=True)
    return out


class _Shader:
    """One frame's picture: the body over the scene, lit, averaged over the exposure, gamma-encoded."""

    def __init__(self, spec: SynthSpec, body: Body, cam: Camera, scene: Scene) -> None:
        self.spec, self.body, self.cam, self.scene = spec, body, cam, scene
        self.albedo = np.asarray(body.face_colors, dtype=np.float64) ** GAMMA
        self.view_dir = -cam.R[2]

    def exposure(self, frames: NDArray[np.float32], walker: Walker | None = None,
                 walker_v: NDArray[np.float64] | None = None) -> NDArray[np.floating[Any]]:
        """The 0-255 image (float) of the sub-frame vertex sets ``frames`` (k, V, 3), averaged.

        With ``walker`` and its vertices ``walker_v``, the walker is drawn in
        every sub-frame too (at the frame's time).
        """
        if walker is not None and walker_v is not None:
            acc = self._linear_with(frames[0], walker, walker_v)
            for v in frames[1:]:
                acc = acc + self._linear_with(v, walker, walker_v)
            img0: NDArray[np.floating[Any]] = np.clip(acc / len(frames), 0.0, 1.0) ** (1.0 / GAMMA) * 255.0
            return img0
        acc = self._linear(frames[0])
        for v in frames[1:]:
            acc = acc + self._linear(v)
        img: NDArray[np.floating[Any]] = np.clip(acc / len(frames), 0.0, 1.0) ** (1.0 / GAMMA) * 255.0
        return img

    def _linear(self, vertices: NDArray[np.float32]) -> NDArray[np.float32]:
        from gaitvision.synth.raster import shade, vertex_normals

        v = vertices.astype(np.float64)
        depth = self.cam.to_cam(v)[:, 2]
        light = shade(vertex_normals(v, self.body.faces), self.spec.scene, self.view_dir, depth)
        return self.scene.render(v, self.body.faces, light, self.albedo)

    def _light(self, v: NDArray[np.float64], faces: NDArray[np.int32]) -> NDArray[np.float64]:
        from gaitvision.synth.raster import shade, vertex_normals

        depth = self.cam.to_cam(v)[:, 2]
        return shade(vertex_normals(v, faces), self.spec.scene, self.view_dir, depth)

    def _linear_with(self, vertices: NDArray[np.float32], walker: Walker,
                     walker_v: NDArray[np.float64]) -> NDArray[np.float32]:
        """The runner and the walker in one z-buffer (each lit on its own)."""
        v = vertices.astype(np.float64)
        wf = walker.body.faces
        verts = np.concatenate([v, walker_v])
        faces = np.concatenate([self.body.faces, wf + len(v)]).astype(np.int32)
        light = np.concatenate([self._light(v, self.body.faces), self._light(walker_v, wf)])
        albedo = np.concatenate([self.albedo, walker.albedo ** GAMMA])
        return self.scene.render(verts, faces, light, albedo)


def _truth_doc(
    spec: SynthSpec,
    video_path: Path,
    rendered: _Rendered,
    *,
    body: Body,
    gm: GaitModel,
    cam: Camera,
    times: NDArray[np.float64],
    t_start: float,
) -> dict[str, Any]:
    """The truth JSON document of a rendered clip (format :data:`TRUTH_FORMAT`)."""
    from gaitvision.synth.body import MEDIAPIPE_NAMES  # noqa: PLC0415 (torch)
    from gaitvision.synth.truth import compute_truth

    r = spec.render
    n = len(times)
    L3 = {i: np.concatenate(v) for i, v in rendered.lm3d.items()}
    fmin = {s: np.concatenate(v) for s, v in rendered.foot_min.items()}
    fverts = {s: np.concatenate(v) for s, v in rendered.foot_vertices.items()}
    truth = compute_truth(gm=gm, cam=cam, times=times, lm3d=L3, foot_min_z=fmin, foot_pts=_foot_points(body))
    uv = {i: cam.project(p)[0] for i, p in L3.items()}
    in_stance = {s: np.array([gm.phase(s, float(t)) < gm.g.duty_factor for t in times]) for s in ("L", "R")}
    slip = _contact_slip(fverts, in_stance, gm.v, 1.0 / r.fps)
    return {
        "format": TRUTH_FORMAT,
        "spec": spec.to_dict(),
        "video": {"file": video_path.name, "fps": float(r.fps), "width": cam.width,
                  "height": cam.height, "n_frames": n, "duration_s": round(n / r.fps, 6),
                  "codec": "h264 yuv420p", "motion_blur_samples": r.motion_blur_samples,
                  "frame_time": "t = frame_index / fps (centre of the exposure)"},
        "camera": cam.to_dict(),
        "world_frame": WORLD_FRAME,
        "landmark_names": {str(i): nme for i, nme in MEDIAPIPE_NAMES.items()},
        "landmark_definition": LANDMARK_DEFINITION,
        "model": {
            "stride_time_s": gm.T, "contact_time_s": gm.Tc, "flight_time_s": gm.Tf,
            "stride_length_m": gm.stride_length, "stature_m": body.stature_m,
            "body_model": "anny " + _anny_version(),
            "valgus_swivel_deg": {s: round(v, 4) for s, v in gm._swivel_gain.items()},
            "contact_tolerance_m": 0.003,
            "leg_length_px": truth.pop("leg_length_px"),
            "image_levelling_deg": truth.pop("image_levelling_deg"),
            "runner_direction_in_image": truth.pop("runner_direction_in_image"),
        },
        "render_seconds": round(time.perf_counter() - t_start, 1),
        "frames": {"t_s": _round_list(times, 6)},
        "landmarks_2d_px": {str(i): _round_list(v, 3) for i, v in uv.items()},
        "landmarks_3d_m": {str(i): _round_list(v, 5) for i, v in L3.items()},
        "events": truth["events"],
        "steps": truth["steps"],
        "summary": truth["summary"],
        "qa": {**slip, "min_foot_height_m": round(float(min(fmin["L"].min(), fmin["R"].min())), 5),
               "max_joint_vs_kinematics_m": rendered.kin_err},
    }


def _foot_points(body: Body) -> dict[str, dict[str, NDArray[np.float64]]]:
    """The tracked heel and toe vertices of each shoe in its foot frame."""
    foot_pts = {}
    for s, (heel_i, toe_i) in (("L", (29, 31)), ("R", (30, 32))):
        a = body.ref[f"foot.{s}"]
        Q = body.foot_Q[s]
        foot_pts[s] = {"heel": Q @ (body.ref_vertices[body.tracked[heel_i]] - a),
                       "toe": Q @ (body.ref_vertices[body.tracked[toe_i]] - a)}
    return foot_pts


def _anny_version() -> str:
    try:
        import anny  # noqa: PLC0415

        return str(anny.__version__)
    except Exception:  # pragma: no cover
        return "?"


def _contact_slip(fverts: dict[str, NDArray[np.floating[Any]]], in_stance: dict[str, NDArray[np.bool_]],
                  v: float, dt: float) -> dict[str, float | None]:
    """How far the shoe's lowest point moves relative to the belt between two frames of one stance.

    For each pair of consecutive frames inside the same exact contact
    interval, the displacement of the shoe's lowest vertex plus the belt's
    travel (``v * dt``); zero means the shoe rolls on the belt without sliding.
    """
    slips = []
    for s in ("L", "R"):
        V, st = fverts[s], in_stance[s]
        for k in range(len(st) - 1):
            if not (st[k] and st[k + 1]):
                continue
            j = int(np.argmin(V[k, :, 2]))
            slips.append(float(np.hypot(V[k + 1, j, 0] - V[k, j, 0] + v * dt, V[k + 1, j, 1] - V[k, j, 1])))
    if not slips:
        return {"max_contact_slip_mm_per_frame": None, "median_contact_slip_mm_per_frame": None}
    a = np.array(slips) * 1000
    return {"max_contact_slip_mm_per_frame": round(float(a.max()), 4),
            "median_contact_slip_mm_per_frame": round(float(np.median(a)), 4)}


def clip_summary_line(doc: dict[str, Any]) -> str:
    """One line describing a rendered clip (for the command line)."""
    s = doc["summary"]
    parts = [f"{doc['video']['n_frames']} frames", f"cadence {s['cadence_spm']:.1f} spm"]
    for key, label in (("fppa_peak_deg_2d", "FPPA"), ("pelvic_drop_peak_deg_2d", "drop"),
                       ("knee_flexion_ic_deg_2d", "knee@IC"), ("foot_strike_angle_deg_2d", "strike")):
        lv, rv = s["L"].get(key), s["R"].get(key)
        if lv is not None or rv is not None:
            parts.append(f"{label} L {_fmt(lv)} / R {_fmt(rv)} deg")
    return ", ".join(parts) + f" (rendered in {doc['render_seconds']:.0f} s)"



def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"
