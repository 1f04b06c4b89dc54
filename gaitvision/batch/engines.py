"""Where a batch's clips run: a local process pool, or Dask (one task per clip).

Both run :func:`gaitvision.batch.job.process_clip`, the same function, on
each clip, and hand its :class:`~gaitvision.batch.job.ClipOutcome` to
``on_done`` in the calling process as clips finish.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from gaitvision.batch.job import FAILED, ClipJob, ClipOutcome, process_clip
from gaitvision.errors import ConfigError

__all__ = ["ENGINES", "available_cores", "default_workers", "require_dask", "run_dask", "run_local"]

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")
OnDone = Callable[[ClipOutcome], None]

#: a clip whose worker died is tried once more in a new pool, then recorded as failed
_MAX_ATTEMPTS = 2
_DIED = ("the process analysing it died (killed, or out of memory) twice; nothing complete was written. "
         "Run the batch again to retry it.")


def available_cores() -> int:
    """The CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: memory one clip's analysis may take (peak RSS of the rear-view outline pass at 1080p: ~850 MB)
_WORKER_MEMORY = 1 << 30


def _available_memory() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_workers(cores: int | None = None, memory: int | None = None) -> int:
    """Clips analysed at once by default: one per core, each pose model on one thread; at most one per GiB free.

    docs/performance.md, "batch": on this 2-core machine one clip with two
    inference threads was the slowest choice as soon as other work shared
    the cores (XNNPACK's threads spin while they wait for each other), and
    with the cores free two one-thread clips side by side finish the pair
    sooner than two two-thread clips one after another (the pose model on
    one thread runs at ~0.55x its two-thread speed, decoding, measuring and
    encoding overlap). The pose threads per clip are the cores divided by
    the workers (:func:`gaitvision.batch.run.run_batch`): never more
    threads than cores.
    """
    n = cores or available_cores()
    mem = memory if memory is not None else _available_memory()
    if mem is not None:
        n = min(n, max(1, mem // _WORKER_MEMORY))
    return max(1, n)


def _init_worker(verbose: bool) -> None:
    """A pool worker: Ctrl-C is the batch's to handle; native log lines stay off the progress bar."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    if not verbose:
        logging.getLogger("py.warnings").setLevel(logging.ERROR)
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, its running clips included (they leave only work folders)."""
    # ProcessPoolExecutor has no public way to stop tasks already running
    running = getattr(pool, "_processes", None)
    procs = list(running.values()) if isinstance(running, dict) else []
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=10)


def _died(job: ClipJob) -> ClipOutcome:
    return ClipOutcome(job.relative, job.name, FAILED, reason=_DIED)


def _local_round(jobs: Sequence[ClipJob], workers: int, on_done: OnDone, attempts: Counter[str],
                 verbose: bool) -> list[ClipJob]:
    """Run ``jobs`` in one pool; returns those to try again because a worker died."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=ctx,
                               initializer=_init_worker, initargs=(verbose,))
    retry: list[ClipJob] = []
    try:
        futures: dict[Future[ClipOutcome], ClipJob] = {pool.submit(process_clip, j): j for j in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                attempts[job.name] += 1
                if attempts[job.name] < _MAX_ATTEMPTS:
                    retry.append(job)
                    continue
                outcome = _died(job)
            on_done(outcome)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return retry


def run_local(jobs: Sequence[ClipJob], workers: int, on_done: OnDone, *, verbose: bool = False) -> None:
    """Analyse ``jobs`` in a pool of ``workers`` processes (spawned once, reused for every clip).

    A worker that dies (killed, out of memory) breaks the pool: the clips it
    and its siblings held are tried once more in a new pool.
    """
    attempts: Counter[str] = Counter()
    pending = list(jobs)
    while pending:
        pending = _local_round(pending, workers, on_done, attempts, verbose)


def require_dask() -> Any:
    """The ``distributed`` module.

    Raises
    ------
    ConfigError
        If Dask's distributed scheduler is not installed (the ``cluster`` extra).
    """
    try:
        import distributed
    except ImportError as err:
        raise ConfigError("--engine dask needs Dask's distributed scheduler: pip install "
                          "'gaitvision[cluster]' (on this machine and on every worker).") from err
    return distributed


def run_dask(jobs: Sequence[ClipJob], workers: int, on_done: OnDone, *, scheduler: str | None = None,
             verbose: bool = False) -> None:
    """Analyse ``jobs`` as Dask tasks, one per clip.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``) whose workers
        can read the clips and write ``--out`` at the same paths; None starts
        a ``LocalCluster`` of ``workers`` single-threaded worker processes.
    """
    distributed = require_dask()
    with contextlib.ExitStack() as stack:
        if not verbose:  # the scheduler's and nannies' INFO lines would bury the progress bar
            dask_log = logging.getLogger("distributed")
            stack.callback(dask_log.setLevel, dask_log.level)
            dask_log.setLevel(logging.ERROR)
        if scheduler:
            client = stack.enter_context(distributed.Client(scheduler))
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.INFO if verbose else logging.ERROR))
            client = stack.enter_context(distributed.Client(cluster))
        run = uuid.uuid4().hex[:8]
        futures = {client.submit(process_clip, job, key=f"gaitvision-clip-{run}-{i}", pure=False): job
                   for i, job in enumerate(jobs)}
        try:
            for fut in distributed.as_completed(list(futures)):
                job = futures[fut]
                try:
                    outcome = fut.result()
                except Exception as err:  # KilledWorker (the worker died on it each time), lost connection
                    logger.info("Dask task of %s failed", job.clip, exc_info=True)
                    from gaitvision.api import error_line

                    outcome = ClipOutcome(job.relative, job.name, FAILED,
                                          reason=f"the Dask task failed: {error_line(err)}")
                on_done(outcome)
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
            raise
