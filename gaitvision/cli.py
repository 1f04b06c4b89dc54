"""The ``gaitvision`` command. Thin: parses options, calls the pipeline, prints."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import AnalysisConfig, RenderConfig
from .errors import GaitvisionError

__all__ = ["main"]

_VIEWS = ("auto", "side-left", "side-right", "rear", "front")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gaitvision",
        description="Running-form analysis from treadmill video, offline, on the CPU. "
        "Measures cadence, foot strike, knee flexion (side view), knee collapse and "
        "pelvic drop (rear/front view), and writes an annotated video and the numbers.",
    )
    p.add_argument("--version", action="version", version=f"gaitvision {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    a = sub.add_parser(
        "analyze",
        help="analyse one treadmill clip",
        description="Analyse one treadmill clip. Writes track.npz (landmarks), annotated.mp4, "
        "steps.csv (one row per step) and summary.json (per-side medians) into --out.",
    )
    a.add_argument("clip", type=Path, help="the video file (mp4/mov, any phone)")
    a.add_argument("--out", type=Path, default=None,
                   help="output folder (default: ./gaitvision-out/CLIP_NAME)")
    a.add_argument("--view", choices=_VIEWS, default="auto",
                   help="camera view; 'auto' decides from the clip (default), side-left = runner "
                   "faces image left")
    a.add_argument("--no-cache", action="store_true",
                   help="run the pose model again even if --out holds the track of this clip")
    a.add_argument("--no-video", action="store_true", help="skip the annotated video")
    a.add_argument("--full-resolution", action="store_true",
                   help="annotated video at the clip's resolution (default: long side <= 1280 px)")
    a.add_argument("--overwrite", action="store_true",
                   help="replace an analysis of another clip found in --out")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")
    sub.add_parser("info", help="show versions and the pose model")
    return p


def _progress_bar(quiet: bool) -> tuple[Any, Any]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            label = {"pose": "pose model", "render": "annotated video"}.get(stage, stage)
            bar = bars[stage] = tqdm(total=total or None, desc=label, unit="frame", file=sys.stderr,
                                     leave=False, disable=None)  # None: only on a terminal
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return update, close


def _print_result(summary: dict[str, Any], out_dir: Path) -> None:
    lines = [
        f"view: {summary['view']}   steps used: left {summary['steps_used']['left']}, "
        f"right {summary['steps_used']['right']}   cadence: "
        + (f"{summary['cadence_spm']:.1f} steps/min" if summary["cadence_spm"] else "not measurable"),
        f"{'metric':34s} {'left':>16s} {'right':>16s}",
    ]
    for key, m in summary["metrics"].items():
        if key == "foot_strike_pattern":
            cells = [m.get(s, {}).get("pattern", "-") for s in ("left", "right")]
        else:
            cells = [
                f"{m[s]['median']:.1f} (n={m[s]['n']}{', low' if m[s]['confidence'] == 'low' else ''})"
                if s in m else "-"
                for s in ("left", "right")
            ]
        lines.append(f"{key:34s} {cells[0]:>16s} {cells[1]:>16s}")
    for key, why in summary["not_measurable"].items():
        lines.append(f"{key:34s} not measurable: {why}")
    for w in summary["warnings"]:
        lines.append(f"note: {w}")
    lines.append(f"outputs: {out_dir}")
    print("\n".join(lines))


def _analyze(args: argparse.Namespace) -> int:
    from .pipeline import analyze_video

    out = args.out or Path("gaitvision-out") / args.clip.stem
    render = RenderConfig(video=not args.no_video,
                          max_long_side_px=100000 if args.full_resolution else 1280)
    config = AnalysisConfig(view=args.view, use_cache=not args.no_cache, render=render)
    update, close = _progress_bar(args.quiet)
    try:
        result = analyze_video(args.clip, out, config, overwrite=args.overwrite, progress=update)
    finally:
        close()
    _print_result(result.summary, result.out_dir)
    return 0


def _info() -> int:
    from .io.pose import MODEL_NAME, model_version

    import av
    import numpy

    print(f"gaitvision {__version__}")
    print(f"pose model: {MODEL_NAME}, mediapipe {model_version()}")
    print(f"PyAV {av.__version__}, numpy {numpy.__version__}")
    return 0


def _silence_native_stderr() -> None:
    """Send the C++ libraries' log lines (MediaPipe, TensorFlow Lite) to /dev/null.

    They write straight to file descriptor 2, bypassing Python. Python's own
    ``sys.stderr`` (progress bar, error line) is moved to a duplicate of
    the original descriptor first, so it still reaches the terminal.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(saved, "w", buffering=1, encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 error, 2 usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    verbose = getattr(args, "verbose", False)
    if not verbose:
        _silence_native_stderr()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "analyze":
            return _analyze(args)
        return _info()
    except GaitvisionError as err:
        if verbose:
            raise
        print(f"gaitvision: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gaitvision: interrupted; no complete analysis was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
