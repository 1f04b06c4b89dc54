"""Synthetic treadmill runner with exact ground truth (optional extra ``synth``).

``gaitvision synth`` renders an H.264 clip of a parametric human body
(``anny``, built on MakeHuman's CC0 assets) running on a treadmill, and a
truth JSON (format ``gaitvision-synth-truth/1``) with every landmark
position, every gait event and every metric of outputs.md computed from
the projected truth with the definitions of metrics.md.

Importing this package is cheap: torch, anny and numba are imported only
when a clip is rendered, and a missing one raises
:class:`SynthDependencyError`, which names ``pip install 'gaitvision[synth]'``.

Examples
--------
>>> from gaitvision.synth import SynthSpec, CameraSpec
>>> spec = SynthSpec(name="demo", camera=CameraSpec(view="rear"))
>>> spec.camera.view
'rear'
"""

from __future__ import annotations

from typing import Any

from gaitvision.synth._deps import SynthDependencyError, missing_synth_dependencies, require_synth
from gaitvision.synth.spec import (
    BodySpec,
    CameraSpec,
    ClothingSpec,
    GaitSpec,
    RenderSpec,
    SceneSpec,
    SynthSpec,
)

__all__ = [
    "BodySpec",
    "CameraSpec",
    "ClothingSpec",
    "GaitSpec",
    "RenderSpec",
    "SceneSpec",
    "SynthDependencyError",
    "SynthSpec",
    "missing_synth_dependencies",
    "render_clip",
    "require_synth",
]


def render_clip(spec: SynthSpec, video_path: Any, truth_path: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Render a clip and its truth JSON; see :func:`gaitvision.synth.render.render_clip`."""
    require_synth()
    from gaitvision.synth.render import render_clip as _render  # noqa: PLC0415 (imports torch)

    return _render(spec, video_path, truth_path, **kwargs)
