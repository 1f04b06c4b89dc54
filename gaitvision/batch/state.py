"""A batch's record of finished clips: fingerprints, ``done.json`` markers, atomic promotion.

Each clip is analysed in a work folder, ``OUT/.gaitvision-work/NAME``; when
every file is written, ``done.json`` (the clip's fingerprint, gaitvision's
version and the options) is written there, and the folder is renamed to
``OUT/NAME``. So ``OUT/NAME`` with a matching ``done.json`` is a finished
analysis of this clip with these options, and nothing else ever is: a run
killed at any point leaves at most a work folder (whose ``track.npz`` the
next run reuses) and never a folder that looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gaitvision import __version__
from gaitvision.io._atomic import write_text
from gaitvision.io.tracks import file_fingerprint

__all__ = ["DONE", "WORK", "Fingerprint", "adopt_caches", "matches", "promote", "read_done", "write_done"]

#: the marker of a finished clip folder
DONE = "done.json"
#: where clips are analysed before they are promoted (under ``--out``)
WORK = ".gaitvision-work"
#: caches a new analysis of the same clip may reuse (the pipeline checks them)
_CACHES = ("track.npz", "pelvis.npz")


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a clip's content.

    ``content`` is the pipeline's own input fingerprint (SHA-256 over the
    size and the first and last MiB, ``summary.json`` ``input.fingerprint``),
    so the batch and the track cache agree on what "the same clip" is. The
    modification time is recorded but not compared: copying an archive to
    another disk or a cluster's shared storage resets it without changing
    the clip.
    """

    size: int
    mtime_ns: int
    content: str

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Fingerprint:
        """The fingerprint of ``path`` (follows symbolic links).

        Raises
        ------
        OSError
            If the file cannot be read.
        """
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, file_fingerprint(path))

    def same_content(self, other: Mapping[str, Any]) -> bool:
        """Whether a stored fingerprint (``to_dict`` form) is this content's."""
        return other.get("size") == self.size and other.get("content") == self.content

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_done(folder: Path) -> dict[str, Any] | None:
    """The ``done.json`` of a clip folder, or None when absent or unreadable."""
    try:
        done = json.loads((folder / DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return done if isinstance(done, dict) else None


#: options that do not change the results (the landmarks do not depend on the thread count)
_NOT_COMPARED = ("threads", "overwrite", "no_cache")


def _compared(options: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(options).items() if k not in _NOT_COMPARED} if isinstance(options, Mapping) else {}


def matches(done: Mapping[str, Any] | None, fingerprint: Fingerprint, options: Mapping[str, Any]) -> bool:
    """Whether ``done`` records this clip content, this gaitvision version and these options."""
    return (done is not None and done.get("gaitvision_version") == __version__
            and isinstance(done.get("fingerprint"), dict) and fingerprint.same_content(done["fingerprint"])
            and _compared(done.get("options")) == _compared(options))


def write_done(folder: Path, *, clip: str, fingerprint: Fingerprint, options: Mapping[str, Any],
               extra: Mapping[str, Any]) -> None:
    """Write ``done.json`` into a finished work folder (atomically)."""
    doc = {"clip": clip, "gaitvision_version": __version__, "fingerprint": fingerprint.to_dict(),
           "options": dict(options), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}
    write_text(folder / DONE, json.dumps(doc, indent=2) + "\n")


def adopt_caches(work: Path, *sources: Path) -> None:
    """Link (or copy) the pose and pelvis caches of an earlier folder of the clip into ``work``.

    The pipeline reuses them only if their fingerprint and pose model match,
    so a stale folder (an older gaitvision, other options) costs no new pose pass.
    """
    work.mkdir(parents=True, exist_ok=True)
    for name in _CACHES:
        if (work / name).exists():
            continue
        for src in sources:
            if (src / name).is_file():
                try:
                    os.link(src / name, work / name)
                except OSError:
                    shutil.copy2(src / name, work / name)
                break


def promote(work: Path, final: Path) -> None:
    """Rename the finished ``work`` folder to ``final``, replacing an older one.

    Two renames (a folder cannot replace a non-empty one in one step): the
    old folder goes aside first, so ``final`` is at any instant either the
    old analysis, absent, or the new one. A run stopped between the two
    renames finds ``work`` with its ``done.json`` and promotes it then.
    """
    aside = work.with_name(work.name + ".old")
    if aside.exists():
        shutil.rmtree(aside)
    if final.exists():
        final.rename(aside)
    work.rename(final)
    with contextlib.suppress(OSError):
        shutil.rmtree(aside)
