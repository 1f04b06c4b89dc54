"""``gaitvision batch``: every clip of a folder or a list, resumable, one output folder per clip."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from gaitvision.batch import engines, state
from gaitvision.batch.inputs import find_clips
from gaitvision.batch.job import FAILED, NOT_RUN, OK, ClipJob, ClipOutcome, finished_outcome
from gaitvision.batch.table import write_tables
from gaitvision.errors import ConfigError, OutputError

__all__ = ["BatchResult", "Terminated", "run_batch"]


class Terminated(KeyboardInterrupt):
    """The batch received SIGTERM (handled like Ctrl-C: stop, keep what is finished)."""


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    outcomes
        One per clip, in input order.
    csv, json
        ``batch.csv`` and ``batch.json``.
    complete
        False when the batch was interrupted (clips ``"not run"``).
    """

    outcomes: tuple[ClipOutcome, ...]
    csv: Path
    json: Path
    complete: bool

    @property
    def failed(self) -> tuple[ClipOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == FAILED)

    @property
    def ok(self) -> tuple[ClipOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == OK)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within: SIGTERM raises :class:`Terminated` in the main thread (no-op elsewhere)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """The progress bar over clips (tqdm, only on a terminal), and one line per failed clip."""

    def __init__(self, total: int, done: int, show: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=done, unit="clip", desc="clips", file=sys.stderr,
                        disable=None if show else True, dynamic_ncols=True)
        self.failed = 0
        self.show = show

    def __call__(self, outcome: ClipOutcome) -> None:
        if outcome.status == FAILED:
            self.failed += 1
            self.bar.set_postfix(failed=self.failed)
            if self.show:
                self.bar.write(f"failed: {outcome.relative}: {outcome.reason}", file=sys.stderr)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _options(options: Mapping[str, Any] | None, workers: int, engine: str, scheduler: str | None) -> dict[str, Any]:
    from gaitvision.api import Options

    opts = Options.from_mapping(dict(options or {}))
    if opts.workers != 1:
        raise ConfigError("In a batch each clip's pose pass runs in one process (the clips run side by "
                          "side); leave the pose-pass workers option out.")
    opts = dataclasses.replace(opts, workers=1, overwrite=True)
    if opts.threads is None:
        # clips side by side share the cores: never more inference threads than cores (on a
        # cluster's workers, one clip per core: docs/batch.md)
        remote = engine == "dask" and scheduler
        opts = dataclasses.replace(opts, threads=1 if remote else max(1, engines.available_cores() // workers))
    return opts.to_dict()


def _prepare_out(out: Path) -> None:
    try:
        (out / state.WORK).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{out}: cannot create the batch's output folder ({err.strerror or err}).") from err


def _already_done(jobs: list[ClipJob]) -> dict[str, ClipOutcome]:
    """The clips whose finished output is there: they need no worker."""
    outcomes: dict[str, ClipOutcome] = {}
    for job in jobs:
        found = finished_outcome(job)
        if found is not None:
            outcomes[job.name] = found
    return outcomes


def run_batch(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
    verbose: bool = False,
) -> BatchResult:
    """Analyse every clip of ``source`` into ``out``, one folder per clip; resumable.

    Parameters
    ----------
    source
        A folder (searched recursively for videos) or a text file listing clips.
    out
        The batch's output folder: ``NAME/`` per clip, ``batch.csv``, ``batch.json``.
    workers
        Clips analysed at once (default: :func:`~gaitvision.batch.engines.default_workers`;
        for ``engine="dask"`` without a scheduler, the LocalCluster's workers).
    engine
        ``"local"`` (a process pool) or ``"dask"``.
    scheduler
        A Dask scheduler's address (``tcp://host:8786``); None: a LocalCluster.
    options
        :class:`gaitvision.api.Options` by name (``view``, ``no_video``, ...),
        the same for every clip.
    progress
        Show a progress bar over clips (on a terminal) and a line per failure.

    A clip whose finished output (``done.json``) records the same content,
    gaitvision version and options is not analysed again. A clip that fails
    is a row with its reason; the others go on. On Ctrl-C or SIGTERM the
    running clips stop, ``batch.csv`` lists the clips not run, and
    :class:`KeyboardInterrupt` (:class:`Terminated` for SIGTERM) is raised.

    Raises
    ------
    ConfigError
        For a bad option, engine, or an input with no clip.
    OutputError
        If ``out`` cannot be written.
    KeyboardInterrupt
        When interrupted (after writing the tables).
    """
    if engine not in engines.ENGINES:
        raise ConfigError(f"Unknown engine {engine!r}; valid: {', '.join(engines.ENGINES)}.")
    if engine == "dask":
        engines.require_dask()  # before anything is written
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be >= 1, but got {workers!r}.")
    n_workers = workers or engines.default_workers()
    opts = _options(options, n_workers, engine, scheduler)
    src, out_dir = Path(source), Path(out).absolute()
    clips = find_clips(src, exclude=out_dir)
    _prepare_out(out_dir)
    jobs = [ClipJob(c.path, c.relative, c.name, out_dir, opts) for c in clips]
    t0 = time.perf_counter()
    outcomes = _already_done(jobs)
    todo = [j for j in jobs if j.name not in outcomes]
    bar = _Progress(len(jobs), len(outcomes), progress)

    def done(outcome: ClipOutcome) -> None:
        outcomes[outcome.name] = outcome
        bar(outcome)

    complete = False
    try:
        with _sigterm_as_interrupt():
            if todo and engine == "local":
                engines.run_local(todo, n_workers, done, verbose=verbose)
            elif todo:
                engines.run_dask(todo, n_workers, done, scheduler=scheduler, verbose=verbose)
        complete = True
    finally:
        bar.close()
        # a clip a worker finished just before the stop is on disk, though its outcome never arrived
        ordered = tuple(outcomes.get(j.name) or finished_outcome(j) or ClipOutcome(j.relative, j.name, NOT_RUN)
                        for j in jobs)
        csv_path, json_path = write_tables(out_dir, ordered, source=src.absolute(), engine=engine,
                                           workers=n_workers, options=opts, complete=complete,
                                           seconds=time.perf_counter() - t0)
    return BatchResult(ordered, csv_path, json_path, complete)
