"""``gaitvision synth``: options and the command (argparse, stdlib only at import)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gaitvision.errors import ConfigError
from gaitvision.synth.spec import OCCLUDERS, STRIKES, VIEWS, SynthSpec

__all__ = ["add_synth_parser", "run_synth", "spec_from_args"]

_COLOURS = ("skin", "hair", "shirt", "shorts", "socks", "shoe", "sole", "outsole")


def _pair(text: str) -> dict[str, float]:
    """``12`` (both sides) or ``12,4`` (left, right)."""
    parts = [float(p) for p in text.split(",")]
    if len(parts) == 1:
        return {"L": parts[0], "R": parts[0]}
    if len(parts) == 2:
        return {"L": parts[0], "R": parts[1]}
    raise argparse.ArgumentTypeError(f"expected N or LEFT,RIGHT, but got {text!r}")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 720x1280, but got {text!r}") from None
    return w, h


def _colour(text: str) -> tuple[str, tuple[float, float, float]]:
    try:
        name, value = text.split("=")
        if value.startswith("#") and len(value) == 7:
            rgb = tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))
        else:
            rgb = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected REGION=#rrggbb or REGION=r,g,b (0-1), but got {text!r}") from None
    if name not in _COLOURS or len(rgb) != 3:
        raise argparse.ArgumentTypeError(f"region must be one of {', '.join(_COLOURS)}; got {name!r}")
    return name, rgb


def add_synth_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``synth`` subcommand to an argparse subparsers object."""
    s: argparse.ArgumentParser = sub.add_parser(
        "synth",
        help="render a synthetic treadmill runner with exact ground truth (extra 'synth')",
        description="Render an H.264 clip of a parametric runner on a treadmill and a truth JSON "
        "(format gaitvision-synth-truth/1) with every landmark, event and metric. Needs the "
        "optional extra: pip install 'gaitvision[synth]'. Heights are from the floor; the belt "
        "is 0.2 m above it.",
    )
    s.add_argument("out", type=Path, help="output clip (.mp4); the truth goes to OUT.truth.json")
    s.add_argument("--spec", type=Path, help="start from a JSON spec (e.g. a truth file's 'spec')")
    g = s.add_argument_group("camera")
    g.add_argument("--view", choices=VIEWS, help="side-left = runner faces image left (default)")
    g.add_argument("--distance", type=float, help="camera to runner, m (default 2.5)")
    g.add_argument("--camera-height", type=float, help="lens above the floor, m (default 1.0)")
    g.add_argument("--aim-height", type=float, help="point looked at, above the floor, m (default 1.05)")
    g.add_argument("--yaw", type=float, help="camera turned about the runner, deg (default 0)")
    g.add_argument("--roll", type=float, help="camera rolled about its axis, deg (default 0)")
    g.add_argument("--focal", type=float, help="35 mm-equivalent focal length, mm (default 26)")
    g.add_argument("--size", type=_size, help="WIDTHxHEIGHT, e.g. 720x1280 (portrait, default) or 1280x720")
    g = s.add_argument_group("timing")
    g.add_argument("--fps", type=float, help="30-240 (default 60)")
    g.add_argument("--duration", type=float, help="seconds (default 8)")
    g.add_argument("--frames", type=int, help="render only the first N frames (quick checks)")
    g = s.add_argument_group("gait")
    g.add_argument("--cadence", type=float, help="steps/min (default 164)")
    g.add_argument("--duty-factor", type=float, help="contact / stride time (default 0.35)")
    g.add_argument("--speed", type=float, help="belt speed, m/s (default 3.0)")
    g.add_argument("--strike", choices=STRIKES, help="foot-strike pattern (default rearfoot)")
    g.add_argument("--strike-angle", type=float, help="foot vs belt at contact, deg, + = toe up")
    g.add_argument("--valgus", type=_pair, help="peak knee valgus (3D FPPA), deg: N or LEFT,RIGHT")
    g.add_argument("--pelvic-drop", type=_pair, help="peak contralateral pelvic drop, deg: N or LEFT,RIGHT")
    g.add_argument("--step-width", type=float, help="between heel contacts, m (default 0.08)")
    g = s.add_argument_group("body and clothing")
    g.add_argument("--sex", choices=("male", "female"), help="body shape (default male)")
    g.add_argument("--body-height", type=float, help="anny height phenotype 0-1 (default 0.45, ~1.77 m)")
    g.add_argument("--body-weight", type=float, help="anny weight phenotype 0-1 (default 0.5)")
    g.add_argument("--colour", type=_colour, action="append", metavar="REGION=#rrggbb",
                   help=f"clothing colour; regions: {', '.join(_COLOURS)} (repeatable)")
    g = s.add_argument_group("realism")
    g.add_argument("--noise", type=float, help="sensor noise, 8-bit levels (default 2)")
    g.add_argument("--motion-blur", type=int, help="sub-frames averaged per frame (default 1 = none)")
    g.add_argument("--crf", type=int, help="x264 quality, higher = smaller file (default 25)")
    g.add_argument("--seed", type=int, help="noise seed (default 0)")
    g = s.add_argument_group("a second person")
    g.add_argument("--occluder", choices=OCCLUDERS,
                   help="walker: a second body crosses the picture in front of the treadmill (default: none)")
    g.add_argument("--occluder-start", type=float, help="when it enters the picture, s (default 3)")
    g.add_argument("--occluder-duration", type=float, help="how long it takes to cross the picture, s (default 2)")
    g.add_argument("--occluder-distance", type=float,
                   help="its path in front of the runner, towards the camera, m (default 1)")
    g.add_argument("--occluder-direction", type=int, choices=(1, -1),
                   help="1 crosses to image right (default), -1 to image left")
    s.add_argument("--print-spec", action="store_true", help="print the resolved spec and exit")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")
    return s


def spec_from_args(args: argparse.Namespace) -> SynthSpec:
    """Build a :class:`SynthSpec` from parsed options (on top of ``--spec`` if given)."""
    import dataclasses

    base = SynthSpec.from_dict(json.loads(args.spec.read_text())) if args.spec else SynthSpec()
    d = dataclasses.asdict(base)
    d["name"] = args.out.stem
    cam, gait, body, rend, clo = d["camera"], d["gait"], d["body"], d["render"], d["clothing"]
    for opt, (sec, key) in {
        "view": (cam, "view"), "distance": (cam, "distance_m"), "camera_height": (cam, "height_m"),
        "aim_height": (cam, "aim_height_m"), "yaw": (cam, "yaw_deg"), "roll": (cam, "roll_deg"),
        "focal": (cam, "focal_mm_equiv"), "fps": (rend, "fps"), "duration": (rend, "duration_s"),
        "cadence": (gait, "cadence_spm"), "duty_factor": (gait, "duty_factor"),
        "speed": (gait, "speed_mps"), "strike": (gait, "strike"), "strike_angle": (gait, "strike_angle_deg"),
        "valgus": (gait, "valgus_deg"), "pelvic_drop": (gait, "pelvic_drop_deg"),
        "step_width": (gait, "step_width_m"), "body_height": (body, "height"),
        "body_weight": (body, "weight"), "noise": (rend, "noise_sigma"),
        "motion_blur": (rend, "motion_blur_samples"), "crf": (rend, "crf"), "seed": (rend, "seed"),
    }.items():
        v = getattr(args, opt)
        if v is not None:
            sec[key] = v
    if args.strike is not None and args.strike_angle is None:
        gait["strike_angle_deg"] = None
    if args.size:
        cam["width"], cam["height"] = args.size
    if args.sex:
        body["gender"] = 0.0 if args.sex == "male" else 1.0
    for name, rgb in args.colour or []:
        clo[name] = rgb
    _occluder_from_args(args, d)
    return SynthSpec.from_dict(d)


def _occluder_from_args(args: argparse.Namespace, d: dict[str, Any]) -> None:
    """The ``occluder`` section of spec dict ``d`` from the ``--occluder*`` options (in place)."""
    extra = {"start_s": args.occluder_start, "duration_s": args.occluder_duration,
             "distance_m": args.occluder_distance, "direction": args.occluder_direction}
    given = {k: v for k, v in extra.items() if v is not None}
    if args.occluder is None and d.get("occluder") is None:
        if given:
            raise ConfigError("--occluder-* options need --occluder walker.")
        return
    occ = dict(d.get("occluder") or {})
    if args.occluder is not None:
        occ["kind"] = args.occluder
    occ.update(given)
    d["occluder"] = occ


def run_synth(args: argparse.Namespace) -> int:
    """Run ``gaitvision synth``; errors are :class:`GaitvisionError` for the CLI to print."""
    spec = spec_from_args(args)
    if args.print_spec:
        print(json.dumps(spec.to_dict(), indent=2))
        return 0
    from gaitvision.synth import render_clip  # checks the optional dependencies first
    from gaitvision.synth.render import clip_summary_line

    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=None, desc="render", unit="frame", file=sys.stderr, leave=False, disable=None)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc = render_clip(spec, args.out, max_frames=args.frames, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    truth = args.out.with_name(args.out.stem + ".truth.json")
    print(f"{args.out}: {clip_summary_line(doc)}")
    print(f"truth: {truth}")
    return 0

