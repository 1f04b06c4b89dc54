"""The analysis worker: one process beside the web server, one job at a time.

``python -m gaitvision.app.worker --data DIR [--parent PID]`` takes the
oldest queued (or interrupted) job from the ``jobs`` table, runs
:func:`gaitvision.pipeline.analyze_video` on its clip into the clip's
``analysis/`` folder, writes the stage and percent to the table as it goes,
then makes the browser-playable copy if the clip needs one. A file lock
(``worker.lock``) keeps it to one worker per data folder. Started by the
server with ``--parent``, it stops when the server is gone (checked on every
progress report and between jobs) and leaves the job's row as it is: the
next server start marks it interrupted and it runs again. The uploaded clip
is never touched.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from gaitvision.app.db import Clip, Database, Job, now
from gaitvision.app.media import probe_clip
from gaitvision.app.settings import AppSettings
from gaitvision.config import AnalysisConfig, RenderConfig
from gaitvision.errors import GaitvisionError
from gaitvision.render.video import write_browser_copy

__all__ = ["ParentGone", "claim_next_job", "main", "mark_interrupted", "run_job", "run_worker"]

logger = logging.getLogger(__name__)

#: Share of the progress bar per stage (the pose pass dominates).
_STAGES = {"probe": (0.0, 0.02), "pose": (0.02, 0.75), "measure": (0.75, 0.78), "render": (0.78, 0.95),
           "browser copy": (0.95, 1.0)}
#: What a PT can do about a failed analysis, by error type.
_HOW_TO_FIX = {
    "VideoReadError": "Export the clip again from the phone (MP4 or MOV) and upload it again.",
    "PoseEstimationError": "Film the whole runner, side-on or from behind, well lit, against a plain background.",
    "InsufficientDataError": "Record 20-30 s of steady running with the feet in the picture.",
    "ConfigError": "Check the clip's settings (view, frame rate).",
    "OutputError": "Check the free disk space of the data folder.",
}


class ParentGone(Exception):
    """The server that started this worker has stopped."""


def mark_interrupted(db: Database) -> list[int]:
    """Mark every running job interrupted (the server restarted); return their ids."""
    with db.session() as s:
        jobs = s.scalars(select(Job).where(Job.state == "running")).all()
        for j in jobs:
            j.state, j.stage = "interrupted", "interrupted: the server stopped; it runs again"
            j.interrupted += 1
            j.worker_pid = 0
        return [j.id for j in jobs]


def claim_next_job(db: Database) -> int | None:
    """Take the oldest queued or interrupted job and mark it running; its id, or None."""
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.state.in_(("queued", "interrupted"))).order_by(Job.id)
                        .limit(1)).first()
        if job is None:
            return None
        job.state, job.stage, job.progress, job.error = "running", "probe", 0.0, ""
        job.attempts += 1
        job.worker_pid = os.getpid()
        job.started_at, job.finished_at = now(), None
        return job.id


@dataclass
class _Reporter:
    """Writes a job's stage and percent to the table, at most every ``interval`` seconds."""

    db: Database
    job_id: int
    parent: int | None
    interval: float = 0.5
    _last: float = 0.0

    def check_parent(self) -> None:
        if self.parent is not None and os.getppid() != self.parent:
            raise ParentGone()

    def stage(self, stage: str, fraction: float = 0.0, *, force: bool = False) -> None:
        self.check_parent()
        t = time.monotonic()
        if not force and t - self._last < self.interval:
            return
        self._last = t
        lo, hi = _STAGES.get(stage, (0.0, 1.0))
        with self.db.session() as s:
            job = s.get(Job, self.job_id)
            if job is not None and job.state == "running":
                job.stage, job.progress = stage, round(lo + (hi - lo) * min(max(fraction, 0.0), 1.0), 4)

    def pipeline_progress(self, stage: str, done: int, total: int) -> None:
        self.stage(stage, done / total if total else 0.0)


def _one_line(err: BaseException, clip_path: Path, shown_name: str) -> str:
    """The error as one line, naming the clip by its uploaded name, with what to do about it."""
    text = " ".join(str(err).replace(str(clip_path), shown_name).split()) or type(err).__name__
    fix = _HOW_TO_FIX.get(type(err).__name__)
    return f"{text} {fix}" if fix and fix not in text else text


def _finish(db: Database, job_id: int, state: str, error: str = "") -> None:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            return
        job.state, job.error, job.finished_at, job.worker_pid = state, error, now(), 0
        job.stage = "done" if state == "done" else "failed"
        if state == "done":
            job.progress = 1.0


def _config(clip: Clip, settings: AppSettings) -> AnalysisConfig:
    view = {"rear": "rear", "front": "front"}.get(clip.view_hint, "auto")
    return AnalysisConfig(view=view, pose_threads=settings.pose_threads,
                          render=RenderConfig(video=settings.annotated_video))


def _session_fields(clip: Clip) -> dict[str, str]:
    v = clip.visit
    return {k: val for k, val in (("patient_name", v.patient.name), ("treadmill_speed", v.speed),
                                  ("note", v.notes)) if val}


def run_job(db: Database, settings: AppSettings, job_id: int, *, parent: int | None = None) -> str:
    """Run one claimed job to its end; return its final state (done or failed).

    Raises
    ------
    ParentGone
        If the server stopped meanwhile (the job's row is left running).
    """
    from gaitvision.pipeline import analyze_video

    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            return "failed"
        clip = job.clip
        folder = settings.clips_dir / clip.folder
        clip_path, config, session = folder / clip.stored_name, _config(clip, settings), _session_fields(clip)
        shown_name = clip.original_name or clip.stored_name
        needs_copy = not clip.playable_name
    rep = _Reporter(db, job_id, parent)
    try:
        rep.stage("probe", 0.0, force=True)
        result = analyze_video(clip_path, folder / "analysis", config, overwrite=True,
                               progress=rep.pipeline_progress, session=session)
        rep.stage("measure", 1.0, force=True)
        if needs_copy:
            _browser_copy(db, clip_path, folder, rep, job_id)
        with db.session() as s:
            row = s.get(Job, job_id)
            if row is not None:
                row.clip.view = str(result.summary.get("view", ""))
    except ParentGone:
        raise
    except GaitvisionError as err:
        logger.info("job %s failed: %s", job_id, err)
        _finish(db, job_id, "failed", _one_line(err, clip_path, shown_name))
        return "failed"
    except Exception as err:  # a bug: still one line for the PT, the traceback in the log
        logger.exception("job %s failed", job_id)
        first = (str(err).splitlines() or [""])[0]
        _finish(db, job_id, "failed", f"internal error ({type(err).__name__}: {first}); the clip is kept. "
                "Run `gaitvision analyze` on it with --verbose and report the message.")
        return "failed"
    _finish(db, job_id, "done")
    return "done"


def _browser_copy(db: Database, clip_path: Path, folder: Path, rep: _Reporter, job_id: int) -> None:
    """Make the clip's browser-playable copy if it needs one, and record which file plays."""
    info = probe_clip(clip_path)
    name = clip_path.name
    if not info.browser_playable:
        name = "browser.mp4"
        total = max(info.frames, 1)
        rep.stage("browser copy", 0.0, force=True)
        write_browser_copy(clip_path, folder / name, progress=lambda i: rep.stage("browser copy", i / total))
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is not None:
            job.clip.playable_name = name


@contextlib.contextmanager
def _worker_lock(data: Path) -> Iterator[None]:
    """Hold ``worker.lock`` in the data folder: one worker per data folder (waits for another to stop)."""
    with open(data / "worker.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_worker(settings: AppSettings, *, parent: int | None = None, once: bool = False,
               poll_s: float = 0.5) -> int:
    """Run jobs until stopped (or, with ``once``, until the queue is empty); return 0."""
    settings.ensure_dirs()
    with _worker_lock(settings.data):
        db = Database(settings.db_path)
        try:
            while True:
                if parent is not None and os.getppid() != parent:
                    return 0
                job_id = claim_next_job(db)
                if job_id is None:
                    if once:
                        return 0
                    time.sleep(poll_s)
                    continue
                try:
                    run_job(db, settings, job_id, parent=parent)
                except ParentGone:
                    logger.info("the server stopped; job %s is left for the next start", job_id)
                    return 0
        finally:
            db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gaitvision.app.worker --data DIR [--parent PID] [--once]``."""
    p = argparse.ArgumentParser(prog="python -m gaitvision.app.worker",
                                description="Run the clinic app's analysis jobs (one at a time).")
    p.add_argument("--data", type=Path, required=True, help="the app's data folder")
    p.add_argument("--parent", type=int, default=None, help="stop when this process (the server) is gone")
    p.add_argument("--once", action="store_true", help="stop when the queue is empty")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="worker %(levelname)s %(name)s: %(message)s")
    return run_worker(AppSettings.from_env(args.data), parent=args.parent, once=args.once)


if __name__ == "__main__":
    sys.exit(main())
