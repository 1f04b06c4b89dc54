"""``gaitvision batch``: many clips, resumable, on a process pool or a Dask cluster.

:func:`run_batch` finds the clips (:mod:`.inputs`), skips those already
finished (:mod:`.state`), runs :func:`process_clip` (:mod:`.job`) on the
others through an engine (:mod:`.engines`) and writes ``batch.csv`` and
``batch.json`` (:mod:`.table`).
"""

from __future__ import annotations

from gaitvision.batch.job import ClipJob, ClipOutcome, process_clip
from gaitvision.batch.run import BatchResult, Terminated, run_batch

__all__ = ["BatchResult", "ClipJob", "ClipOutcome", "Terminated", "process_clip", "run_batch"]
