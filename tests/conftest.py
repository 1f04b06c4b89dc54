"""Shared test fixtures.

Clips come from ``../shared/videos`` beside the repository (never copied
into it); tests that need them skip with a clear reason when it is absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def shared_clip(relpath: str) -> Path:
    """Path of a shared clip, or skip the test saying why."""
    p = SHARED_VIDEOS / relpath
    if not p.exists():
        pytest.skip(f"needs {relpath} from ../shared/videos, which is not present at {SHARED_VIDEOS}")
    return p


def shared_truth(relpath: str) -> dict:
    return json.loads(shared_clip(relpath).read_text())


@pytest.fixture(scope="session")
def analyzed(tmp_path_factory: pytest.TempPathFactory):
    """Analyse each shared clip once per session (real MediaPipe), keyed by relative path."""
    from gaitvision.pipeline import analyze_video

    cache: dict[str, object] = {}

    def get(relpath: str):
        if relpath not in cache:
            clip = shared_clip(relpath)
            out = tmp_path_factory.mktemp(Path(relpath).stem)
            cache[relpath] = analyze_video(clip, out)
        return cache[relpath]

    return get
