"""The ``gaitvision`` command. Thin: parses options, calls the pipeline, prints."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitvision import __version__
from gaitvision.errors import GaitvisionError

__all__ = ["main"]

if TYPE_CHECKING:
    _Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

_VIEWS = ("auto", "side-left", "side-right", "rear", "front")
#: the analysis options ``gaitvision batch`` takes (:class:`gaitvision.api.Options` names)
BATCH_OPTIONS = ("view", "video", "no_video", "no_report", "full_resolution", "capture_fps", "slow_motion", "threads",
                 "no_knee_outline", "roi", "blur_faces")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, but got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, but got {text!r}")
    return value


def _roi(text: str) -> tuple[int, int, int, int]:
    from gaitvision.pose.roi import parse_roi

    try:
        return parse_roi(text)
    except GaitvisionError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _session_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient-name", default=None, help="shown in the report header (optional)")
    p.add_argument("--note", default=None, help="a note for the report header (optional)")
    p.add_argument("--speed", default=None, metavar="SPEED",
                   help="treadmill speed as you want it shown, e.g. '10 km/h' (optional)")


def _session(args: argparse.Namespace) -> dict[str, str]:
    pairs = (("patient_name", args.patient_name), ("note", args.note), ("treadmill_speed", args.speed))
    return {k: v for k, v in pairs if v}


def _measuring_options(a: argparse.ArgumentParser) -> None:
    """The options of how a clip is analysed, shared by ``analyze`` and ``batch``."""
    a.add_argument("--view", choices=_VIEWS, default="auto",
                   help="camera view; 'auto' decides from the clip (default), side-left = runner "
                   "faces image left")
    a.add_argument("--video", action="store_true",
                   help="also write annotated.mp4, the clip with the overlay drawn in, to share (the report "
                   "draws the overlay over the clip itself; 'gaitvision video OUT' writes it later)")
    a.add_argument("--no-video", action="store_true",
                   help="accepted for compatibility and ignored: no annotated video is the default")
    a.add_argument("--no-report", action="store_true",
                   help="skip keyframes, plots and report.html (add them later with "
                   "'gaitvision report OUT')")
    a.add_argument("--full-resolution", action="store_true",
                   help="annotated video at the clip's resolution (default: long side <= 1280 px)")
    a.add_argument("--capture-fps", type=_positive_float, default=None, metavar="FPS",
                   help="frame rate the clip was filmed at, for slow motion saved for normal "
                   "playback (e.g. 240 for a 240 fps clip that plays at 30 fps); default: from the "
                   "file's metadata when it says so, else the clip's own timestamps")
    a.add_argument("--slow-motion", type=_positive_float, default=1.0, metavar="FACTOR",
                   help="play the annotated video FACTOR times slower (e.g. 4 for a 120 fps clip "
                   "shown at 30 fps); every frame is kept")
    a.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads for the pose model (default: every core, at most 4; in a batch the "
                   "cores divided among the clips running at once; the result does not depend on it)")
    a.add_argument("--no-knee-outline", action="store_true",
                   help="rear/front views: use the pose model's knee point instead of the middle of "
                   "the leg's outline (faster, about half the pose time on 1080p clips, but knee "
                   "collapse is less accurate; see docs/accuracy.md)")
    a.add_argument("--roi", type=_roi, default=None, metavar="X,Y,W,H",
                   help="the runner's region in pixels of the upright picture: the pose model sees only "
                   "this crop, e.g. to keep another person in the picture out (default: the whole picture)")
    a.add_argument("--blur-faces", action="store_true",
                   help="blur the runner's face in every image written (video, stills, report)")


def _add_analyze_parser(sub: _Subparsers) -> None:
    a = sub.add_parser(
        "analyze",
        help="analyse one treadmill clip",
        description="Analyse one treadmill clip. Writes track.npz (landmarks), steps.csv (one row per "
        "step), summary.json (per-side medians) and the report (report.html, keyframes/, plots/) into --out; "
        "annotated.mp4 with --video.",
    )
    a.add_argument("clip", type=Path, nargs="+",
                   help="the video file (mp4/mov, any phone); several clips of one visit (a side and a rear "
                   "clip) are each analysed into OUT/CLIP_NAME and combined into OUT/visit.json and "
                   "OUT/visit.html")
    a.add_argument("--out", type=Path, default=None,
                   help="output folder (default: ./gaitvision-out/CLIP_NAME, or ./gaitvision-out/visit for "
                   "several clips)")
    _measuring_options(a)
    a.add_argument("--no-cache", action="store_true",
                   help="run the pose model again even if --out holds the track of this clip")
    a.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes for the pose pass, the clip split in time (default 1; 0 = one "
                   "per CPU core); faster on long clips, landmarks differ slightly at the joins")
    a.add_argument("--overwrite", action="store_true",
                   help="replace an analysis of another clip found in --out")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")
    _session_options(a)


def _add_batch_parser(sub: _Subparsers) -> None:
    b = sub.add_parser(
        "batch",
        help="analyse every clip of a folder or a list (resumable; local processes or Dask)",
        description="Analyse every clip of INPUT, a folder (searched recursively for videos) or a text "
        "file listing clips (one path per line), into one folder per clip under --out, plus batch.csv "
        "(one row per clip: status, reason, view, cadence, each metric's per-side median and interval) "
        "and batch.json. Run it again to resume: a clip whose finished output matches its content, "
        "gaitvision's version and the options is skipped. Exit code 0 when every clip succeeded, 1 when "
        "some failed. See docs/batch.md.",
    )
    b.add_argument("input", type=Path, metavar="INPUT", help="a folder of clips, or a text file listing clips")
    b.add_argument("--out", type=Path, required=True, help="the batch's output folder")
    b.add_argument("--workers", type=int, default=None, metavar="N",
                   help="clips analysed at once (default: one per CPU core, each pose model on one "
                   "thread, at most one per GiB of free memory; with --engine dask and no --scheduler, "
                   "the local Dask workers)")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: a process pool on this machine (default); dask: one Dask task per clip "
                   "(needs the 'cluster' extra)")
    b.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="with --engine dask: a running scheduler, e.g. tcp://host:8786 (default: a local "
                   "cluster); every worker must reach INPUT and --out at the same paths")
    _measuring_options(b)
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")


def _add_report_parser(sub: _Subparsers) -> None:
    r = sub.add_parser(
        "report",
        help="re-render the report of a finished analysis (no pose model)",
        description="Rebuild keyframes/, plots/ and report.html in an analysis folder from its "
        "summary.json, steps.csv and track.npz, without running the pose model.",
    )
    r.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder written by `gaitvision analyze`")
    r.add_argument("--clip", type=Path, default=None,
                   help="the analysed clip, if it has moved (needed for the stills)")
    _session_options(r)
    r.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")


def _add_video_parser(sub: _Subparsers) -> None:
    v = sub.add_parser(
        "video",
        help="write annotated.mp4 of a finished analysis (no pose model)",
        description="Write OUT_DIR/annotated.mp4, the analysed clip with the skeleton and each step's "
        "values drawn in (H.264, plays anywhere), from the folder's track.npz and summary.json, without "
        "running the pose model: what `gaitvision analyze --video` writes.",
    )
    v.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder written by `gaitvision analyze`")
    v.add_argument("--full-resolution", action="store_true",
                   help="at the clip's resolution (default: long side <= 1280 px)")
    v.add_argument("--slow-motion", type=_positive_float, default=1.0, metavar="FACTOR",
                   help="play it FACTOR times slower; every frame is kept")
    v.add_argument("--blur-faces", action="store_true",
                   help="blur the runner's face (always, for an analysis run with --blur-faces)")
    v.add_argument("--clip", type=Path, default=None, help="the analysed clip, if it has moved")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    v.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")


def _add_compare_parser(sub: _Subparsers) -> None:
    c = sub.add_parser(
        "compare",
        help="compare two analyses of the same patient",
        description="Write compare.html and compare.json: the metrics of two sessions side by side; "
        "a change is flagged real only when larger than the smallest detectable change.",
    )
    c.add_argument("out_a", type=Path, metavar="OUT_A", help="earlier analysis folder")
    c.add_argument("out_b", type=Path, metavar="OUT_B", help="later analysis folder")
    c.add_argument("--out", type=Path, required=True, help="folder for the comparison page")
    c.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")


def _add_serve_parser(sub: _Subparsers) -> None:
    s = sub.add_parser(
        "serve",
        help="start the clinic web app (patients, visits, review, corrections)",
        description="Start the local clinic web app: patients and visits, upload with progress, review and "
        "correct every step, trends across visits. Open http://HOST:PORT/ in a browser.",
    )
    s.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="folder for the database, clips and analyses (default: $GAITVISION_DATA, else "
                   "~/gaitvision-data)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; any other address "
                   "needs --token or $GAITVISION_TOKEN)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--token", default=None,
                   help="access token every request must carry (required for a non-loopback --host)")
    s.add_argument("--verbose", action="store_true", help="log details; show tracebacks on errors")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gaitvision",
        description="Running-form analysis from treadmill video, offline, on the CPU. "
        "Measures cadence, foot strike, knee flexion (side view), knee collapse and "
        "pelvic drop (rear/front view), and writes the numbers and a report that shows the clip "
        "with the measurements drawn over it.",
    )
    p.add_argument("--version", action="version", version=f"gaitvision {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add_analyze_parser(sub)
    _add_batch_parser(sub)
    _add_report_parser(sub)
    _add_video_parser(sub)
    _add_compare_parser(sub)
    _add_serve_parser(sub)
    from gaitvision.synth.cli import add_synth_parser  # stdlib only; torch loads when a clip renders

    add_synth_parser(sub)
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
    from gaitvision.report.text import result_lines

    print("\n".join(result_lines(summary, str(out_dir))))


def _analyze(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from gaitvision.api import Options, analyze

    # the command's options are the API's, by the same names
    options = {f.name: getattr(args, f.name) for f in fields(Options)}
    clips: list[Path] = list(args.clip)
    if len(clips) > 1:
        return _analyze_visit(clips, args, options)
    update, close = _progress_bar(args.quiet)
    try:
        result = analyze(clips[0], args.out, progress=update, **options)
    finally:
        close()
    _print_result(result.summary, result.out_dir)
    return 0


def _visit_folders(clips: list[Path], out: Path) -> list[Path]:
    """One output folder per clip, named from the clip (numbered when two clips share a name)."""
    names: list[str] = []
    for c in clips:
        name, k = c.stem, 2
        while name in names:
            name, k = f"{c.stem}_{k}", k + 1
        names.append(name)
    return [out / n for n in names]


def _analyze_visit(clips: list[Path], args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Several clips of one visit: each analysed, then one side and one rear/front clip combined."""
    from gaitvision.api import analyze
    from gaitvision.combine import combine_views
    from gaitvision.io._atomic import write_json, write_text
    from gaitvision.report.html import render_visit_page

    out = args.out or Path("gaitvision-out") / "visit"
    results = []
    for clip, folder in zip(clips, _visit_folders(clips, out), strict=True):
        update, close = _progress_bar(args.quiet)
        try:
            results.append(analyze(clip, folder, progress=update, **options))
        finally:
            close()
        _print_result(results[-1].summary, results[-1].out_dir)
    side = [r for r in results if str(r.summary.get("view", "")).startswith("side")]
    frontal = [r for r in results if not str(r.summary.get("view", "")).startswith("side")]
    if len(side) != 1 or len(frontal) != 1:
        print(f"No combined result: it needs one side clip and one rear or front clip (got {len(side)} side, "
              f"{len(frontal)} rear/front); each clip's own results are in {out}.")
        return 0
    combined = combine_views(side[0].summary, frontal[0].summary)
    combined["clips"] = {"side": str(side[0].out_dir), "rear": str(frontal[0].out_dir)}
    write_json(out / "visit.json", combined)
    links = [(r.summary["view"], f"{r.out_dir.name}/report.html") for r in (side[0], frontal[0])]
    write_text(out / "visit.html", render_visit_page(combined, links))
    for c in combined["checks"]:
        if c["warning"]:
            print(f"note: {c['warning']}")
    print(f"one visit: {out / 'visit.html'} (sagittal from {side[0].out_dir.name}, frontal from "
          f"{frontal[0].out_dir.name})")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from gaitvision.batch import Terminated, run_batch

    try:
        result = run_batch(args.input, args.out, workers=args.workers, engine=args.engine,
                           scheduler=args.scheduler, options={k: getattr(args, k) for k in BATCH_OPTIONS},
                           progress=not args.quiet, verbose=args.verbose)
    except KeyboardInterrupt as err:
        code = 143 if isinstance(err, Terminated) else 130
        print(f"gaitvision: batch stopped; the clips finished so far are kept ({args.out}/batch.csv lists the "
              "others as 'not run'). Run the same command again to resume.", file=sys.stderr)
        return code
    n, failed = len(result.outcomes), len(result.failed)
    now = sum(o.analysed for o in result.ok)
    print(f"batch: {n} clips: {len(result.ok)} ok ({now} analysed now, {len(result.ok) - now} already done), "
          f"{failed} failed\nresults: {result.csv}")
    if failed:
        print(f"gaitvision: {failed} of {n} clips failed; the reasons are in {result.csv}", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from gaitvision.report import rebuild_report

    files = rebuild_report(args.out_dir, clip=args.clip, session=_session(args) or None)
    print(f"report: {files.report}")
    return 0


def _video(args: argparse.Namespace) -> int:
    from gaitvision.pipeline import write_annotated_video

    update, close = _progress_bar(args.quiet)
    try:
        path = write_annotated_video(args.out_dir, full_resolution=args.full_resolution,
                                     slow_motion=args.slow_motion, blur_faces=args.blur_faces, clip=args.clip,
                                     progress=update)
    finally:
        close()
    print(f"video: {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from gaitvision.report import write_comparison

    page = write_comparison(args.out_a, args.out_b, args.out)
    print(f"comparison: {page}")
    return 0


def _info() -> int:
    import av
    import numpy

    from gaitvision.pose.blazepose import MODEL_NAME, model_version

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


def _configure_logging(verbose: bool) -> None:
    """Native log lines away unless --verbose; Python logging at INFO (--verbose) or WARNING."""
    if not verbose:
        _silence_native_stderr()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # numerical warnings from numpy/scipy go to the log, shown only with --verbose;
    # what matters to the PT is in summary.json's warnings and the one-line errors
    logging.captureWarnings(True)
    if not verbose:
        logging.getLogger("py.warnings").setLevel(logging.ERROR)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed subcommand; return its exit code."""
    if args.command == "analyze":
        return _analyze(args)
    if args.command == "batch":
        return _batch(args)
    if args.command == "report":
        return _report(args)
    if args.command == "video":
        return _video(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "serve":
        from gaitvision.app.server import serve

        return serve(data=args.data, host=args.host, port=args.port, token=args.token, verbose=args.verbose)
    if args.command == "synth":
        from gaitvision.synth.cli import run_synth

        return run_synth(args)
    return _info()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 error, 2 usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    verbose = getattr(args, "verbose", False)
    _configure_logging(verbose)
    try:
        return _run(args)
    except GaitvisionError as err:
        if verbose:
            raise
        print(f"gaitvision: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gaitvision: interrupted; no complete analysis was written.", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: still one line, and no half-written results
        if verbose:
            raise
        first = (str(err).splitlines() or [""])[0]
        print(f"gaitvision: internal error ({err.__class__.__name__}: {first}); no complete analysis "
              "was written. Run again with --verbose and report the message.", file=sys.stderr)
        return 1

if __name__ == "__main__":
    sys.exit(main())
