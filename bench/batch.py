"""``gaitvision batch`` against the same clips analysed one after another with ``gaitvision analyze``.

    python bench/batch.py [--clips 8] [--workers default,1,2] [--work DIR] [--write docs/performance.md]

Takes ``--clips`` clips from ../shared/videos and sample_videos/ (cycled
under other names when there are fewer: each name is its own analysis on
both sides), then, every pass with fresh output folders (real pose passes,
no cached track):

- ``sequential``: ``gaitvision analyze CLIP --out DIR --quiet`` for each clip,
  one process after another (start-up paid per clip);
- ``batch (workers=N)``: ``gaitvision batch INPUT --out DIR --quiet`` with
  ``--workers N`` (``default``: the batch's own choice).

Default options on both sides (annotated video, report). Prints and, with
``--write``, puts into the "batch" section of docs/performance.md (between
its bench markers) a table of wall time and ratio to the sequential run,
with the machine, commit and load average before and after each pass.
Timing belongs here, not in the test suite. The acceptance bar of the
issue: batch / sequential <= 0.9 on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "videos"
START, END = "<!-- bench/batch.py:start -->", "<!-- bench/batch.py:end -->"


def source_clips() -> list[Path]:
    """Every clip available: the shared ones, then the bundled samples."""
    found = sorted(SHARED.glob("*/*.mp4")) + sorted((ROOT / "sample_videos").glob("*.mp4"))
    if not found:
        raise SystemExit(f"no clips: neither {SHARED} nor sample_videos/ holds an .mp4")
    return found


def prepare_input(folder: Path, n: int) -> list[Path]:
    """``n`` clips in ``folder`` (symbolic links, numbered so that names never collide)."""
    folder.mkdir(parents=True, exist_ok=True)
    srcs = source_clips()
    clips = []
    for i in range(n):
        src = srcs[i % len(srcs)]
        link = folder / f"{i:02d}_{src.stem}.mp4"
        link.symlink_to(src)
        clips.append(link)
    return clips


def _gaitvision(*args: object) -> None:
    cmd = [sys.executable, "-m", "gaitvision", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # a batch with failed clips exits 1; the bench clips are all analysable
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _timed(label: str, run) -> dict[str, object]:  # noqa: ANN001
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    run()
    wall = time.perf_counter() - t0
    row = {"pass": label, "wall": wall, "load_before": load0, "load_after": os.getloadavg()[0]}
    print(f"{label}: {wall:.1f} s (load {load0:.1f} -> {row['load_after']:.1f})", flush=True)
    return row


def sequential(clips: list[Path], out: Path) -> None:
    for clip in clips:
        _gaitvision("analyze", clip, "--out", out / clip.stem, "--quiet")


def batch(folder: Path, out: Path, workers: str) -> None:
    extra = [] if workers == "default" else ["--workers", workers]
    _gaitvision("batch", folder, "--out", out, "--quiet", *extra)


def table(rows: list[dict[str, object]], n: int) -> str:
    seq = next(float(r["wall"]) for r in rows if r["pass"] == "sequential")  # type: ignore[arg-type]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"`bench/batch.py` on commit `{commit}`, {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {n} clips, default options "
        "(annotated video and report), fresh output folders (every pass runs every pose pass).",
        "",
        "| pass | wall s | / sequential | load before | load after |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['pass']} | {float(r['wall']):.1f} | {float(r['wall']) / seq:.2f} | "  # type: ignore[arg-type]
                     f"{float(r['load_before']):.1f} | {float(r['load_after']):.1f} |")  # type: ignore[arg-type]
    return "\n".join(lines)


def write_section(doc: Path, text: str) -> None:
    body = doc.read_text(encoding="utf-8")
    if START not in body or END not in body:
        raise SystemExit(f"{doc}: no {START} ... {END} markers in its batch section")
    head, rest = body.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--workers", default="default", help="comma-separated --workers values for the batch passes")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--write", type=Path, default=None, help="update this file's batch section")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gaitvision-bench-batch-"))
    shutil.rmtree(work / "input", ignore_errors=True)
    clips = prepare_input(work / "input", args.clips)
    rows = []
    shutil.rmtree(work / "sequential", ignore_errors=True)
    rows.append(_timed("sequential", lambda: sequential(clips, work / "sequential")))
    for w in args.workers.split(","):
        out = work / f"batch-{w}"
        shutil.rmtree(out, ignore_errors=True)
        rows.append(_timed(f"batch (workers={w})", lambda w=w, out=out: batch(work / "input", out, w)))
    text = table(rows, len(clips))
    print(text)
    if args.write:
        write_section(args.write, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
