"""MediaPipe BlazePose landmark names, left/right pairs and skeleton edges.

Indices follow MediaPipe Pose (33 landmarks). Left and right are the
*subject's* anatomical sides, not image sides.
"""

from __future__ import annotations

__all__ = [
    "LANDMARK_NAMES",
    "LEG_LANDMARKS",
    "LEG_SKELETON",
    "N_LANDMARKS",
    "index",
    "side_name",
]

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)

_INDEX = {name: i for i, name in enumerate(LANDMARK_NAMES)}

#: The per-leg landmark parts used by the gait metrics.
LEG_LANDMARKS: tuple[str, ...] = ("hip", "knee", "ankle", "heel", "foot_index")

#: Skeleton edges drawn on the annotated video, by part name (prefixed with
#: ``left_``/``right_`` for each side).
LEG_SKELETON: tuple[tuple[str, str], ...] = (
    ("hip", "knee"),
    ("knee", "ankle"),
    ("ankle", "heel"),
    ("heel", "foot_index"),
    ("ankle", "foot_index"),
)


def index(name: str) -> int:
    """Return the MediaPipe index of a landmark name.

    Raises
    ------
    KeyError
        If the name is not one of :data:`LANDMARK_NAMES`.
    """
    try:
        return _INDEX[name]
    except KeyError:
        raise KeyError(
            f"Unknown landmark {name!r}; expected one of {', '.join(LANDMARK_NAMES)}."
        ) from None


def side_name(side: str, part: str) -> str:
    """Return the landmark name of a leg part on one side, e.g. ``left_knee``."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', but got {side!r}.")
    return f"{side}_{part}"
