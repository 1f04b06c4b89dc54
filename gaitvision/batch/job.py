"""One clip of a batch: the function every engine runs, in a local process or on a Dask worker."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitvision.batch import state

__all__ = ["ClipJob", "ClipOutcome", "finished_outcome", "process_clip"]

logger = logging.getLogger(__name__)

OK, FAILED, NOT_RUN = "ok", "failed", "not run"


@dataclass(frozen=True)
class ClipJob:
    """What a worker needs to analyse one clip (picklable; paths every worker can reach).

    Attributes
    ----------
    clip
        The clip's path.
    relative
        Its path relative to the batch input (the row's ``clip``).
    name
        Its output folder's name under ``out``.
    out
        The batch's output folder.
    options
        :class:`gaitvision.api.Options` as a dict (``to_dict()``); stored in
        ``done.json`` and compared on a re-run.
    """

    clip: Path
    relative: str
    name: str
    out: Path
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> Path:
        return self.out / self.name

    @property
    def work(self) -> Path:
        return self.out / state.WORK / self.name


@dataclass(frozen=True)
class ClipOutcome:
    """How one clip of a batch ended.

    Attributes
    ----------
    relative, name
        As in :class:`ClipJob`.
    status
        ``"ok"``, ``"failed"`` or ``"not run"`` (the batch was interrupted first).
    reason
        Why it failed: gaitvision's one-line message (empty when ok).
    summary
        The clip's ``summary.json`` when ok.
    analysed
        True when this run analysed it; False when a finished output of the
        same clip, version and options was found and kept.
    pose_seconds
        Time in the pose model in this run (0: cached track, or skipped).
    seconds
        Wall time of the clip in this run.
    """

    relative: str
    name: str
    status: str
    reason: str = ""
    summary: dict[str, Any] | None = None
    analysed: bool = False
    pose_seconds: float = 0.0
    seconds: float = 0.0


def _read_summary(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def finished_outcome(job: ClipJob, fingerprint: state.Fingerprint | None = None) -> ClipOutcome | None:
    """The outcome of a clip whose finished output is already there (same content, version, options).

    A work folder that finished but was not yet renamed (a run stopped
    between the two renames) is promoted here. None when the clip must be analysed.
    """
    if fingerprint is None:
        try:
            fingerprint = state.Fingerprint.of(job.clip)
        except OSError:
            return None
    for folder in (job.final, job.work):
        if state.matches(state.read_done(folder), fingerprint, job.options):
            summary = _read_summary(folder)
            if summary is None:
                continue
            if folder == job.work:
                state.promote(job.work, job.final)
            return ClipOutcome(job.relative, job.name, OK, summary=summary)
    return None


def _fingerprint(clip: Path) -> state.Fingerprint:
    try:
        return state.Fingerprint.of(clip)
    except OSError:
        from gaitvision.io.video import probe_video

        probe_video(clip)  # raises the video reader's own one-line reason (no such file...)
        raise


def process_clip(job: ClipJob) -> ClipOutcome:
    """Analyse one clip of a batch, or keep its finished output; never raises for a bad clip.

    The analysis writes into the clip's work folder (reusing a cached track
    from an earlier folder of the clip), then ``done.json``, then the folder
    is renamed into place. A clip that fails is an outcome with gaitvision's
    one-line reason; the work folder keeps its track for the next run.
    """
    from gaitvision.api import Options, analyze, error_line

    t0 = time.perf_counter()
    try:
        fingerprint = _fingerprint(job.clip)
        done = finished_outcome(job, fingerprint)
        if done is not None:
            return done
        state.adopt_caches(job.work, job.final, job.work.with_name(job.work.name + ".old"))
        (job.work / state.DONE).unlink(missing_ok=True)
        opts = Options.from_mapping({**job.options, "overwrite": True})
        result = analyze(job.clip, job.work, **opts.to_dict())
        state.write_done(job.work, clip=job.relative, fingerprint=fingerprint, options=job.options,
                         extra={"pose_seconds": round(result.pose_seconds, 3),
                                "track_from_cache": result.track_from_cache})
        state.promote(job.work, job.final)
    except Exception as err:  # one clip's failure, whatever it is, is a row, not the end of the batch
        logger.info("%s failed", job.clip, exc_info=True)
        with contextlib.suppress(OSError):
            job.work.rmdir()  # only when nothing (no cached track) is in it
        return ClipOutcome(job.relative, job.name, FAILED, reason=error_line(err),
                           seconds=time.perf_counter() - t0)
    return ClipOutcome(job.relative, job.name, OK, summary=_read_summary(job.final), analysed=True,
                       pose_seconds=result.pose_seconds, seconds=time.perf_counter() - t0)
