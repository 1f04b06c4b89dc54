"""Which clips a batch analyses, and the output folder each one gets."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gaitvision.errors import ConfigError

__all__ = ["VIDEO_EXTENSIONS", "BatchClip", "find_clips"]

#: Files searched for in an input folder (by extension, case-insensitive; the
#: analysis itself probes each one and says plainly when one is not a video).
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mts", ".m2ts", ".3gp",
                              ".mpg", ".mpeg", ".wmv"})

#: characters kept as they are in an output folder's name
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


@dataclass(frozen=True)
class BatchClip:
    """One clip of a batch.

    Attributes
    ----------
    path
        The clip's absolute path (symbolic links are kept; the analysis follows them).
    relative
        Its path relative to the input folder (or to the list file's folder),
        with ``/``; absolute when a listed clip lies outside it.
    name
        Its output folder under ``--out``: the relative path without the
        extension, folders joined with ``__`` (``2024/anna/run.mp4`` →
        ``2024__anna__run``); clips that would share a name get their
        extension added (``run_mov``), then a number.
    """

    path: Path
    relative: str
    name: str


def find_clips(source: str | os.PathLike[str], *, exclude: str | os.PathLike[str] | None = None) -> list[BatchClip]:
    """The clips of ``source``: a folder searched recursively for videos, or a text file listing clips.

    A list has one clip per line (relative to the list's folder, or absolute);
    empty lines and lines starting with ``#`` are skipped. A listed clip that
    does not exist is kept: its analysis fails with the reason. In a folder,
    hidden files and folders and ``exclude`` (the batch's own output folder)
    are skipped, and symbolic links are followed (each real folder once).

    Raises
    ------
    ConfigError
        If ``source`` does not exist, or a folder holds no video.
    """
    src = Path(source)
    if src.is_dir():
        found = _search_folder(src, Path(exclude) if exclude is not None else None)
        if not found:
            raise ConfigError(f"{src}: no video found (searched for {', '.join(sorted(VIDEO_EXTENSIONS))}).")
        return _named(found)
    if src.is_file():
        return _named(_read_list(src))
    raise ConfigError(f"{src}: no such folder or clip list.")


def _search_folder(root: Path, exclude: Path | None) -> list[tuple[Path, str]]:
    skip = os.path.realpath(exclude) if exclude is not None else None
    seen: set[str] = set()
    found: list[tuple[Path, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen or real == skip:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            p = Path(folder) / f
            if not f.startswith(".") and p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file():
                found.append((p.absolute(), p.relative_to(root).as_posix()))
    return sorted(found, key=lambda c: c[1])


def _read_list(listing: Path) -> list[tuple[Path, str]]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{listing}: cannot be read as a list of clips, one per line ({err}).") from err
    base = listing.parent.absolute()
    clips: list[tuple[Path, str]] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        p = Path(text).expanduser()
        p = p if p.is_absolute() else base / p
        try:
            rel = p.relative_to(base).as_posix()
        except ValueError:
            rel = p.as_posix()
        clips.append((p, rel))
    if not clips:
        raise ConfigError(f"{listing}: lists no clip (one path per line).")
    return list(dict.fromkeys(clips))  # a clip listed twice is analysed once


def _folder_name(relative: str) -> str:
    parts = [p for p in Path(relative).with_suffix("").parts if p not in ("/", "..", ".")]
    return "__".join(_UNSAFE.sub("_", p) for p in parts) or "clip"


def _named(clips: list[tuple[Path, str]]) -> list[BatchClip]:
    """Output folder names, unique, independent of the order of the clips."""
    names = {rel: _folder_name(rel) for _, rel in clips}
    counts = Counter(names.values())
    for rel, name in names.items():
        if counts[name] > 1:  # run.mp4 and run.mov: run_mp4, run_mov
            names[rel] = name + "_" + Path(rel).suffix.lstrip(".").lower()
    taken: set[str] = set()
    out: list[BatchClip] = []
    for path, rel in sorted(clips, key=lambda c: c[1]):
        name, n = names[rel], 2
        while name.lower() in taken:  # case-insensitive file systems too
            name, n = f"{names[rel]}-{n}", n + 1
        taken.add(name.lower())
        out.append(BatchClip(path, rel, name))
    return out
