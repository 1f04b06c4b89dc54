"""Annotators: each takes its style in ``__init__`` and draws in ``annotate``.

Frames are RGB ``uint8`` arrays, modified in place and returned. Points are
pixel coordinates of the frame being drawn on. No annotator computes a
metric: values arrive already measured (see :mod:`gaitvision.analysis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["FrontalStepAnnotator", "SideStepAnnotator", "SkeletonAnnotator", "StampAnnotator", "StepAnnotator"]

Color = tuple[int, int, int]
#: Left and right legs (RGB): blue and orange, distinguishable with the
#: common colour-vision deficiencies.
SIDE_COLORS: dict[str, Color] = {"left": (40, 120, 255), "right": (255, 140, 0)}
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
YELLOW: Color = (255, 230, 0)


def _pt(p: NDArray[np.float64] | None) -> tuple[int, int] | None:
    if p is None or not np.all(np.isfinite(p)):
        return None
    return int(round(float(p[0]))), int(round(float(p[1])))


def draw_label(
    frame: NDArray[np.uint8], text: str, org: tuple[int, int], *, scale: float, color: Color = WHITE
) -> None:
    """Text on a dark box, kept inside the frame."""
    thick = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    h, w = frame.shape[:2]
    x = int(np.clip(org[0], 2, max(2, w - tw - 6)))
    y = int(np.clip(org[1], th + 6, h - base - 4))
    cv2.rectangle(frame, (x - 4, y - th - 5), (x + tw + 4, y + base + 3), BLACK, -1)
    cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)


def draw_label_block(
    frame: NDArray[np.uint8],
    lines: list[tuple[str, Color]],
    org: tuple[int, int],
    *,
    scale: float,
) -> None:
    """Several labels stacked downwards from ``org``, the block kept inside the frame."""
    thick = max(1, int(round(scale * 2)))
    sizes = [cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, thick) for t, _ in lines]
    line_h = max(th + base for (tw, th), base in sizes) + 10
    block_w = max(tw for (tw, th), base in sizes) + 8
    h, w = frame.shape[:2]
    x = int(np.clip(org[0], 4, max(4, w - block_w - 4)))
    y = int(np.clip(org[1], line_h, max(line_h, h - line_h * len(lines))))
    for i, (text, color) in enumerate(lines):
        draw_label(frame, text, (x, y + i * line_h), scale=scale, color=color)


class SkeletonAnnotator:
    """Hips, knees, ankles, heels and toes; left and right in different colours.

    Interpolated points (filled in over a short gap, not seen by the model)
    are drawn hollow and the bones to them thin, so the viewer can tell.
    """

    EDGES = (("hip", "knee"), ("knee", "ankle"), ("ankle", "heel"), ("heel", "foot_index"),
             ("ankle", "foot_index"))

    def __init__(self, *, thickness: int = 3, radius: int = 5) -> None:
        self.thickness = thickness
        self.radius = radius

    def annotate(
        self,
        frame: NDArray[np.uint8],
        *,
        points: Mapping[str, NDArray[np.float64] | None],
        interpolated: Mapping[str, bool],
    ) -> NDArray[np.uint8]:
        """Draw the skeleton from ``points`` (landmark name -> (2,) pixels)."""
        hl, hr = _pt(points.get("left_hip")), _pt(points.get("right_hip"))
        if hl and hr:
            cv2.line(frame, hl, hr, (200, 200, 200), max(1, self.thickness - 1), cv2.LINE_AA)
        for side, color in SIDE_COLORS.items():
            for a, b in self.EDGES:
                pa, pb = _pt(points.get(f"{side}_{a}")), _pt(points.get(f"{side}_{b}"))
                if pa and pb:
                    faded = interpolated.get(f"{side}_{a}") or interpolated.get(f"{side}_{b}")
                    th = 1 if faded else self.thickness
                    cv2.line(frame, pa, pb, color, th, cv2.LINE_AA)
            for part in ("hip", "knee", "ankle", "heel", "foot_index"):
                p = _pt(points.get(f"{side}_{part}"))
                if p:
                    filled = -1 if not interpolated.get(f"{side}_{part}") else 1
                    cv2.circle(frame, p, self.radius, color, filled, cv2.LINE_AA)
                    cv2.circle(frame, p, self.radius, WHITE, 1, cv2.LINE_AA)
        return frame


class SideStepAnnotator:
    """At a contact in a side view: heel-toe line, belt line, strike angle, knee flexion."""

    def __init__(self, *, font_scale: float = 0.7, thickness: int = 3) -> None:
        self.font_scale = font_scale
        self.thickness = thickness

    def annotate(
        self,
        frame: NDArray[np.uint8],
        *,
        side: str,
        step_label: str,
        heel: NDArray[np.float64] | None,
        toe: NDArray[np.float64] | None,
        knee: NDArray[np.float64] | None,
        strike_deg: float | None,
        knee_flexion_deg: float | None,
        pattern: str | None,
    ) -> NDArray[np.uint8]:
        """Draw one contact's strike-angle geometry and values (a missing point draws no line)."""
        color = SIDE_COLORS[side]
        ph, pt_, pk = _pt(heel), _pt(toe), _pt(knee)
        if ph and pt_ and heel is not None and toe is not None:
            d = np.asarray(toe, float) - np.asarray(heel, float)
            n = float(np.hypot(*d)) or 1.0
            ext = np.asarray(heel, float) + 1.6 * d  # extend past the toe
            cv2.line(frame, ph, _pt(ext) or pt_, YELLOW, self.thickness, cv2.LINE_AA)
            # belt line: horizontal through the lower of heel and toe
            y = int(round(max(float(heel[1]), float(toe[1]))))
            x0 = int(round(min(float(heel[0]), float(toe[0])) - 0.6 * n))
            x1 = int(round(max(float(heel[0]), float(toe[0])) + 0.6 * n))
            cv2.line(frame, (x0, y), (x1, y), WHITE, max(1, self.thickness - 1), cv2.LINE_AA)
        lines = [(step_label, color)]
        if strike_deg is not None:
            lines.append((f"strike {strike_deg:+.0f} deg" + (f" ({pattern})" if pattern else ""), WHITE))
        if knee_flexion_deg is not None:
            lines.append((f"knee bend at contact {knee_flexion_deg:.0f} deg", WHITE))
        anchor = pk or ph or (10, 40)
        w = frame.shape[1]
        draw_label_block(frame, lines, (anchor[0] + int(0.06 * w), anchor[1] - int(0.04 * frame.shape[0])),
                         scale=self.font_scale)
        return frame


class FrontalStepAnnotator:
    """At midstance in a rear/front view: thigh and shank lines, arc, FPPA value."""

    def __init__(self, *, font_scale: float = 0.7, thickness: int = 4) -> None:
        self.font_scale = font_scale
        self.thickness = thickness

    def annotate(
        self,
        frame: NDArray[np.uint8],
        *,
        side: str,
        step_label: str,
        hip: NDArray[np.float64] | None,
        knee: NDArray[np.float64] | None,
        ankle: NDArray[np.float64] | None,
        fppa_deg: float | None,
    ) -> NDArray[np.uint8]:
        """Draw the knee's frontal-plane angle as measured (nothing if a point is missing)."""
        ph, pk, pa = _pt(hip), _pt(knee), _pt(ankle)
        if not (ph and pk and pa) or hip is None or knee is None or ankle is None:
            return frame
        color = SIDE_COLORS[side]
        # the straight hip-ankle reference line, then the thigh and shank
        cv2.line(frame, ph, pa, WHITE, 1, cv2.LINE_AA)
        cv2.line(frame, ph, pk, YELLOW, self.thickness, cv2.LINE_AA)
        cv2.line(frame, pk, pa, YELLOW, self.thickness, cv2.LINE_AA)
        # arc between the thigh's extension through the knee and the shank
        k = np.asarray(knee, float)
        ext = k - (np.asarray(hip, float) - k)
        a1 = np.degrees(np.arctan2(ext[1] - k[1], ext[0] - k[0]))
        a2 = np.degrees(np.arctan2(ankle[1] - k[1], ankle[0] - k[0]))
        if abs(a2 - a1) > 180:
            a2 += 360 if a2 < a1 else -360
        r = int(max(20, 0.35 * np.hypot(*(np.asarray(ankle, float) - k))))
        cv2.ellipse(frame, pk, (r, r), 0, min(a1, a2), max(a1, a2), YELLOW, 2, cv2.LINE_AA)
        cv2.line(frame, pk, _pt(k + (ext - k) * r / max(1.0, np.hypot(*(ext - k)))) or pk, WHITE, 1, cv2.LINE_AA)
        lines = [(step_label, color)]
        if fppa_deg is not None:
            word = "knee collapse" if fppa_deg >= 0 else "knee out (varus)"
            lines.append((f"{word} {abs(fppa_deg):.0f} deg", WHITE))
        w = frame.shape[1]
        x = pk[0] + int(0.05 * w) if side == "right" else pk[0] - int(0.4 * w)
        draw_label_block(frame, lines, (x, pk[1]), scale=self.font_scale)
        return frame


class StepAnnotator:
    """One step's measurement, as the annotated video and the stills both draw it.

    Picks the side-view or frontal annotator and hands it the step's
    precomputed values and the points they were measured between; it never
    measures. ``annotate`` returns the values it drew (the stills record
    them in ``keyframes.json``).
    """

    def __init__(self, *, side_view: bool, font_scale: float = 0.7, thickness: int | None = None) -> None:
        self.side_view = side_view
        self.side = SideStepAnnotator(font_scale=font_scale, **({"thickness": thickness} if thickness else {}))
        self.front = FrontalStepAnnotator(font_scale=font_scale, **({"thickness": thickness} if thickness else {}))

    def annotate(
        self,
        frame: NDArray[np.uint8],
        *,
        row: Mapping[str, Any],
        points: Mapping[str, NDArray[np.float64] | None],
        step_label: str,
    ) -> dict[str, Any]:
        """Draw one step's values (``steps.csv`` row) through its measured ``points``."""
        side = str(row["side"])
        if self.side_view:
            drawn = {"strike_deg": row.get("foot_strike_angle_deg"),
                     "knee_flexion_deg": row.get("knee_flexion_ic_deg"),
                     "pattern": row.get("foot_strike_pattern")}
            self.side.annotate(frame, side=side, step_label=step_label, heel=points.get("heel"),
                               toe=points.get("foot_index"), knee=points.get("knee"), **drawn)
        else:
            drawn = {"fppa_deg": row.get("knee_fppa_peak_deg")}
            self.front.annotate(frame, side=side, step_label=step_label, hip=points.get("hip"),
                                knee=points.get("knee"), ankle=points.get("ankle"), **drawn)
        return drawn


class StampAnnotator:
    """Frame number and time in the top-left corner, so stills and CSV rows can be found."""

    def __init__(self, *, font_scale: float = 0.6) -> None:
        self.font_scale = font_scale

    def annotate(self, frame: NDArray[np.uint8], *, frame_index: int, time_s: float) -> NDArray[np.uint8]:
        """Draw ``frame N  t=S.SSS s``."""
        draw_label(frame, f"frame {frame_index}  t={time_s:.3f} s", (8, 24), scale=self.font_scale)
        return frame
