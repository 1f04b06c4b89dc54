"""Parameters of a synthetic treadmill clip (plain dataclasses, no heavy imports).

Every generator parameter lives here, with its default, and is written
verbatim into the truth JSON (``spec``) so a clip can be re-rendered.

World frame (metres): x = running direction, y = the runner's left,
z = up; z = 0 is the belt surface; the belt moves towards -x. The floor
is at ``z = -scene.deck_height_m``; camera and aim heights are measured
from the floor, as a therapist would measure them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from gaitvision.errors import ConfigError

__all__ = [
    "BodySpec",
    "CameraSpec",
    "ClothingSpec",
    "GaitSpec",
    "OCCLUDERS",
    "OccluderSpec",
    "RenderSpec",
    "SceneSpec",
    "SynthSpec",
    "VIEWS",
    "STRIKES",
]

VIEWS = ("side-left", "side-right", "rear", "front")
STRIKES = ("rearfoot", "midfoot", "forefoot")
OCCLUDERS = ("walker",)

#: Default foot-strike angle (foot vs belt at contact, + = toe up) per pattern,
#: inside the Mo et al. 2021 classes (RFS > 7.4 deg, FFS < -0.8 deg).
DEFAULT_STRIKE_ANGLE_DEG = {"rearfoot": 15.0, "midfoot": 3.0, "forefoot": -9.0}


def _sided(v: Any) -> dict[str, float]:
    if isinstance(v, dict):
        return {"L": float(v.get("L", 0.0)), "R": float(v.get("R", 0.0))}
    return {"L": float(v), "R": float(v)}


@dataclass
class GaitSpec:
    """Running kinematics. Angles in degrees, times from the cadence.

    Defaults follow published treadmill running at about 3 m/s: knee
    flexion about 20 deg at contact and 40-45 deg peak in stance, peak
    swing knee flexion about 100 deg, vertical oscillation about 7 cm.
    """

    cadence_spm: float = 164.0
    duty_factor: float = 0.35          # contact time / stride time (< 0.5: running)
    speed_mps: float = 3.0             # belt speed
    strike: Literal["rearfoot", "midfoot", "forefoot"] = "rearfoot"
    strike_angle_deg: float | None = None   # None: the pattern's default
    knee_flex_ic_deg: float | None = None   # None: 20 (rearfoot/midfoot), 24 (forefoot)
    knee_flex_stance_deg: float = 43.0      # peak in stance
    knee_flex_to_deg: float = 20.0     # at toe-off
    knee_flex_swing_deg: float = 100.0
    ankle_under_hip_frac: float = 0.3  # stance fraction at which the ankle passes under the hip
    stance_peak_frac: float = 0.42     # stance fraction of peak knee flexion, valgus and drop
    heel_off_frac: float = 0.55        # stance fraction at which the heel leaves the belt
    foot_pitch_to_deg: float = -45.0   # foot vs belt at toe-off (toe down)
    trunk_lean_deg: float = 7.0
    arm_swing_deg: float = 30.0
    elbow_deg: float = 95.0
    pelvis_yaw_deg: float = 4.0
    step_width_m: float = 0.08         # between the heel contact points, mediolateral
    pelvis_sway_m: float = 0.015
    pelvis_surge_m: float = 0.01
    toe_out_deg: float = 6.0
    valgus_deg: dict[str, float] = field(default_factory=lambda: {"L": 0.0, "R": 0.0})
    pelvic_drop_deg: dict[str, float] = field(default_factory=lambda: {"L": 0.0, "R": 0.0})
    start_phase: float = 0.15          # stride phase of the left leg at t = 0

    def __post_init__(self) -> None:
        self.valgus_deg = _sided(self.valgus_deg)
        self.pelvic_drop_deg = _sided(self.pelvic_drop_deg)
        if self.strike not in STRIKES:
            raise ConfigError(f"strike must be one of {STRIKES}, but got {self.strike!r}.")
        if not 0.2 <= self.duty_factor <= 0.48:
            raise ConfigError(
                f"duty_factor must be in [0.2, 0.48] (running has a flight phase), "
                f"but got {self.duty_factor}."
            )
        if not 120 <= self.cadence_spm <= 220:
            raise ConfigError(f"cadence_spm must be in [120, 220], but got {self.cadence_spm}.")
        if not 1.5 <= self.speed_mps <= 6.0:
            raise ConfigError(f"speed_mps must be in [1.5, 6], but got {self.speed_mps}.")

    @property
    def strike_angle(self) -> float:
        """Foot-strike angle in degrees (+ = toe up)."""
        if self.strike_angle_deg is not None:
            return float(self.strike_angle_deg)
        return DEFAULT_STRIKE_ANGLE_DEG[self.strike]

    @property
    def knee_ic(self) -> float:
        """Knee flexion at contact in degrees."""
        if self.knee_flex_ic_deg is not None:
            return float(self.knee_flex_ic_deg)
        return 24.0 if self.strike == "forefoot" else 20.0


@dataclass
class BodySpec:
    """Anny phenotype in [0, 1]: ``gender`` 0 = male, 1 = female."""

    gender: float = 0.0
    age: float = 0.6
    muscle: float = 0.6
    weight: float = 0.5
    height: float = 0.45
    proportions: float = 0.5


@dataclass
class ClothingSpec:
    """Region colours (linear RGB in [0, 1]) and garment extents."""

    skin: tuple[float, float, float] = (0.87, 0.66, 0.53)
    hair: tuple[float, float, float] = (0.18, 0.12, 0.08)
    shirt: tuple[float, float, float] = (0.10, 0.35, 0.75)
    shorts: tuple[float, float, float] = (0.12, 0.12, 0.14)
    socks: tuple[float, float, float] = (0.92, 0.92, 0.92)
    shoe: tuple[float, float, float] = (0.30, 0.32, 0.36)
    sole: tuple[float, float, float] = (0.90, 0.90, 0.88)      # midsole
    outsole: tuple[float, float, float] = (0.16, 0.16, 0.17)
    shorts_length: float = 0.25   # fraction of the thigh covered below the hip joint
    sleeve_length: float = 0.15   # fraction of the upper arm covered

    def __post_init__(self) -> None:
        for f in ("skin", "hair", "shirt", "shorts", "socks", "shoe", "sole", "outsole"):
            v = tuple(float(c) for c in getattr(self, f))
            if len(v) != 3 or not all(0.0 <= c <= 1.0 for c in v):
                raise ConfigError(f"clothing.{f} must be 3 numbers in [0, 1], but got {v}.")
            setattr(self, f, v)


@dataclass
class CameraSpec:
    """Camera placement. ``yaw_deg`` turns the camera about the runner
    (positive = counter-clockwise seen from above), ``roll_deg`` about its
    optical axis; ``focal_mm_equiv`` is the 35 mm-equivalent focal length
    (26 mm is a phone's main lens)."""

    view: Literal["side-left", "side-right", "rear", "front"] = "side-left"
    distance_m: float = 2.5
    height_m: float = 1.0          # lens height above the floor
    aim_height_m: float = 1.05     # the point the camera looks at, above the floor
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    focal_mm_equiv: float = 26.0
    width: int = 720
    height: int = 1280

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ConfigError(f"view must be one of {VIEWS}, but got {self.view!r}.")
        if self.width % 2 or self.height % 2 or min(self.width, self.height) < 64:
            raise ConfigError(
                f"resolution must be even and at least 64 px, but got {self.width}x{self.height}."
            )
        if not 1.0 <= self.distance_m <= 8.0:
            raise ConfigError(f"camera distance must be in [1, 8] m, but got {self.distance_m}.")


@dataclass
class SceneSpec:
    """Treadmill and room."""

    deck_height_m: float = 0.2
    belt_width_m: float = 0.5
    belt_length_m: float = 1.6
    console: bool = True
    room_half_size_m: float = 4.0
    wall_color: tuple[float, float, float] = (0.80, 0.79, 0.76)
    floor_color: tuple[float, float, float] = (0.50, 0.49, 0.47)
    belt_color: tuple[float, float, float] = (0.16, 0.16, 0.17)
    frame_color: tuple[float, float, float] = (0.55, 0.56, 0.58)
    key_azimuth_deg: float = 35.0
    key_elevation_deg: float = 55.0
    key_intensity: float = 0.6
    ambient: float = 0.32
    fill: float = 0.18
    far_side_darkening: float = 0.5   # far half of the body darker (shadow/occlusion stand-in)


@dataclass
class RenderSpec:
    """Timing and realism. ``motion_blur_samples`` sub-frames are averaged
    over ``shutter_fraction`` of the frame interval (1 = no blur)."""

    fps: float = 60.0
    duration_s: float = 8.0
    supersample: int = 2
    motion_blur_samples: int = 1
    shutter_fraction: float = 0.5
    noise_sigma: float = 2.0       # Gaussian sensor noise, 8-bit levels
    crf: int = 25                  # x264 quality (higher = smaller, more artefacts)
    preset: str = "medium"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 30 <= self.fps <= 240:
            raise ConfigError(f"fps must be in [30, 240], but got {self.fps}.")
        if not 0 < self.duration_s <= 60:
            raise ConfigError(f"duration must be in (0, 60] s, but got {self.duration_s}.")
        if self.supersample not in (1, 2, 3):
            raise ConfigError(f"supersample must be 1, 2 or 3, but got {self.supersample}.")
        if not 1 <= self.motion_blur_samples <= 16:
            raise ConfigError(
                f"motion_blur_samples must be in [1, 16], but got {self.motion_blur_samples}."
            )
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"crf must be in [0, 51], but got {self.crf}.")


@dataclass
class OccluderSpec:
    """A second person crossing the picture in front of the treadmill (the right-person tests).

    ``kind`` ``"walker"``: a second anny body (other phenotype and clothing)
    with the renderer's slowest gait (120 steps/min, duty factor 0.45, a
    brisk walk-jog), crossing on the floor ``distance_m`` in front of the
    runner towards the camera, along the camera's horizontal axis: it enters
    the picture at one edge at ``start_s`` and leaves at the other edge
    ``duration_s`` later, passing in front of the runner. ``direction`` +1
    crosses to image right, -1 to image left.
    """

    kind: Literal["walker"] = "walker"
    start_s: float = 3.0
    duration_s: float = 2.0
    distance_m: float = 1.0
    direction: int = 1

    def __post_init__(self) -> None:
        if self.kind not in OCCLUDERS:
            raise ConfigError(f"occluder kind must be one of {OCCLUDERS}, but got {self.kind!r}.")
        if not 0.5 <= self.duration_s <= 20.0:
            raise ConfigError(f"occluder duration must be in [0.5, 20] s, but got {self.duration_s}.")
        if self.start_s < 0:
            raise ConfigError(f"occluder start must be >= 0 s, but got {self.start_s}.")
        if not 0.3 <= self.distance_m <= 3.0:
            raise ConfigError(f"occluder distance must be in [0.3, 3] m, but got {self.distance_m}.")
        if self.direction not in (-1, 1):
            raise ConfigError(f"occluder direction must be 1 or -1, but got {self.direction!r}.")


@dataclass
class SynthSpec:
    """Everything needed to render one clip."""

    name: str = "synthetic"
    gait: GaitSpec = field(default_factory=GaitSpec)
    body: BodySpec = field(default_factory=BodySpec)
    clothing: ClothingSpec = field(default_factory=ClothingSpec)
    camera: CameraSpec = field(default_factory=CameraSpec)
    scene: SceneSpec = field(default_factory=SceneSpec)
    render: RenderSpec = field(default_factory=RenderSpec)
    #: None (the default): the runner alone; the spec's dict then has no ``occluder`` key
    occluder: OccluderSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the truth file's ``spec``)."""
        d = dataclasses.asdict(self)
        d["gait"]["strike_angle_deg"] = self.gait.strike_angle
        d["gait"]["knee_flex_ic_deg"] = self.gait.knee_ic
        if self.occluder is None:
            del d["occluder"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SynthSpec:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`ConfigError`."""
        parts = {"gait": GaitSpec, "body": BodySpec, "clothing": ClothingSpec,
                 "camera": CameraSpec, "scene": SceneSpec, "render": RenderSpec,
                 "occluder": OccluderSpec}
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key == "name":
                kwargs["name"] = str(value)
            elif key == "occluder" and value is None:
                continue
            elif key in parts:
                known = {f.name for f in dataclasses.fields(parts[key])}
                unknown = set(value) - known
                if unknown:
                    raise ConfigError(
                        f"Unknown {key} option(s) {sorted(unknown)}; valid: {sorted(known)}."
                    )
                kwargs[key] = parts[key](**value)
            else:
                raise ConfigError(f"Unknown spec section {key!r}; valid: name, {', '.join(parts)}.")
        return cls(**kwargs)
