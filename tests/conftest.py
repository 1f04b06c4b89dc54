"""Shared test fixtures.

Clips come from ``../shared/videos`` beside the repository (never copied
into it); tests that need them skip with a clear reason when it is absent.

Each real MediaPipe pose pass runs once per session per clip and pass
variant (tests/fixtures/pose_cache.py): in-process analyses reuse it through
the pipeline's pose-pass seam, CLI runs through a seeded ``track.npz``
(fixture ``pose_tracks``). Tests of the pose pass itself are marked
``real_pose_pass`` and always run their own. The terminal summary says how
many passes ran and how many were reused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.pose_cache import PoseTrackCache  # noqa: E402

#: the session's pose-pass cache (one per pytest process)
POSE_CACHE = PoseTrackCache()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_pose_pass: the test is about the pose pass itself; the session's pose-pass cache "
        "neither serves nor keeps its passes (tests/fixtures/pose_cache.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # before any fixture of the item, module-scoped ones included
    POSE_CACHE.bypass = item.get_closest_marker("real_pose_pass") is not None


def pytest_runtest_teardown(item: pytest.Item) -> None:
    POSE_CACHE.bypass = False


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if POSE_CACHE.stats or POSE_CACHE.seam_missing:
        for line in POSE_CACHE.summary_lines():
            terminalreporter.write_line(line)


def _runs_the_pipeline(items: list[pytest.Item]) -> bool:
    return "gaitvision.pipeline" in sys.modules or any(
        it.get_closest_marker("video") or {"analyzed", "pose_tracks"} & set(getattr(it, "fixturenames", ()))
        for it in items
    )


@pytest.fixture(scope="session", autouse=True)
def _pose_pass_cache(request: pytest.FixtureRequest):
    """Install the session's pose-pass cache on the pipeline's seam (undone at the end).

    Not for a session of unit tests only (nothing there runs the pipeline's
    pose pass; importing the pipeline would only cost time).
    """
    with pytest.MonkeyPatch.context() as mp:
        if _runs_the_pipeline(request.session.items):
            POSE_CACHE.install(mp)
        else:
            POSE_CACHE.inactive_reason = "no test of this session runs the pipeline"
        yield POSE_CACHE


@pytest.fixture(scope="session")
def pose_tracks(_pose_pass_cache: PoseTrackCache) -> PoseTrackCache:
    """The session's pose-pass cache: ``seed``/``harvest`` a CLI run's ``track.npz``, ``track(clip)``."""
    return _pose_pass_cache


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
    """Analyse each shared clip once per session (real MediaPipe), keyed by relative path.

    The pose pass goes through the session's pose-pass cache like every
    in-process analysis: it is the clip's one real pass of the session.
    """
    from gaitvision.pipeline import analyze_video

    cache: dict[str, object] = {}

    def get(relpath: str):
        if relpath not in cache:
            clip = shared_clip(relpath)
            out = tmp_path_factory.mktemp(Path(relpath).stem)
            cache[relpath] = analyze_video(clip, out)
        return cache[relpath]

    return get
