"""The pose pass with the leg outline: real MediaPipe on the bundled clips,
and the pipeline's choice of when to run it (pose model stubbed).

The accuracy of the outline knee is tested through the FPPA against the
rendered truth (test_synth.py, test_shared_clips.py); here: the outline
changes none of the 33 landmarks, lands near the knee, and is computed for
rear/front clips only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.clips import moving_bar_frames, stub_pose_pass, write_clip

from gaitvision.config import AnalysisConfig, RenderConfig
from gaitvision.io.video import iter_frames
from gaitvision.landmarks import N_LANDMARKS
from gaitvision.pipeline import analyze_video
from gaitvision.pose.blazepose import PROBE_FRAMES, _Restart, estimate_poses, is_frontal_start
from gaitvision.pose.knee_outline import OUTLINE_NAMES, has_knee_outline

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
REAR = SAMPLES / "rear_valgus_60fps.mp4"
SIDE = SAMPLES / "side_left_60fps.mp4"


def _clip(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"sample clip {path} is missing")
    return path


@pytest.mark.video
@pytest.mark.real_pose_pass
def test_outline_changes_no_landmark_and_sits_on_the_knee():
    clip = _clip(REAR)
    plain = estimate_poses(iter_frames(clip, end_s=1.0))
    with_outline = estimate_poses(iter_frames(clip, end_s=1.0), leg_outline=True)
    assert with_outline.landmark_names[N_LANDMARKS:] == OUTLINE_NAMES
    np.testing.assert_array_equal(plain.xy, with_outline.xy[:, :N_LANDMARKS])
    np.testing.assert_array_equal(plain.confidence, with_outline.confidence[:, :N_LANDMARKS])
    for side, name in zip(("left", "right"), OUTLINE_NAMES, strict=True):
        knee, outline = plain.landmark(f"{side}_knee"), with_outline.landmark(name)
        ok = np.isfinite(outline[:, 0])
        assert ok.mean() > 0.9, side
        assert np.array_equal(outline[ok, 1], knee[ok, 1])  # same row as the pose model's knee
        # sideways within a third of the ~30 px knee width of MediaPipe's point
        assert np.nanmax(np.abs(outline[ok, 0] - knee[ok, 0])) < 10, side


@pytest.mark.video
@pytest.mark.real_pose_pass
def test_the_first_frames_decide_the_restart():
    with pytest.raises(_Restart):
        estimate_poses(iter_frames(_clip(REAR), end_s=1.2), restart_if=is_frontal_start)
    side = estimate_poses(iter_frames(_clip(SIDE), end_s=1.2), restart_if=is_frontal_start)
    assert side.n_frames > PROBE_FRAMES and not has_knee_outline(side)


def test_pipeline_runs_the_outline_pass_for_rear_clips_only_once(tmp_path, monkeypatch):
    import gaitvision.pipeline as pipeline

    w, h = 144, 256
    clip = write_clip(tmp_path / "rear.mp4", moving_bar_frames(240, width=w, height=h, fps=30.0))
    calls: list = []
    monkeypatch.setattr(pipeline, "track_video_parallel", stub_pose_pass(w, h, view="rear", calls=calls))
    cfg = AnalysisConfig(render=RenderConfig(video=False, report=False))

    # auto view: the pass decides (stub: no outline), the whole clip is a rear
    # view, so the pass runs again with the outline
    r = analyze_video(clip, tmp_path / "out", cfg)
    assert calls == [None, True]
    assert r.summary["view"] == "rear"
    assert r.summary["knee_centre"] == {"source": "leg outline", "outline_fraction": 1.0}
    # the cached track now has the outline: no pose pass at all
    analyze_video(clip, tmp_path / "out", cfg)
    assert calls == [None, True]
    # a view set by the user asks for the outline up front
    analyze_video(clip, tmp_path / "out2", AnalysisConfig(view="rear", render=cfg.render))
    assert calls == [None, True, True]


def test_no_knee_outline_skips_the_mask_and_ignores_a_cached_outline(tmp_path, monkeypatch):
    import gaitvision.pipeline as pipeline

    w, h = 144, 256
    clip = write_clip(tmp_path / "rear.mp4", moving_bar_frames(240, width=w, height=h, fps=30.0))
    calls: list = []
    monkeypatch.setattr(pipeline, "track_video_parallel", stub_pose_pass(w, h, view="rear", calls=calls))
    render = RenderConfig(video=False, report=False)
    fast = AnalysisConfig(view="rear", knee_outline=False, render=render)
    r = analyze_video(clip, tmp_path / "out", fast)
    assert calls == [False]
    assert r.summary["knee_centre"] == {"source": "pose model", "outline_fraction": None}
    assert r.summary["config"]["knee_outline"] is False
    # a folder whose cached track has the outline: not used when switched off
    analyze_video(clip, tmp_path / "out2", AnalysisConfig(view="rear", render=render))
    r = analyze_video(clip, tmp_path / "out2", fast)
    assert calls == [False, True]
    assert r.summary["knee_centre"]["source"] == "pose model"


def test_cli_no_knee_outline_flag(tmp_path, monkeypatch):
    import json

    import gaitvision.pipeline as pipeline
    from gaitvision.cli import main

    w, h = 144, 256
    clip = write_clip(tmp_path / "rear.mp4", moving_bar_frames(240, width=w, height=h, fps=30.0))
    calls: list = []
    monkeypatch.setattr(pipeline, "track_video_parallel", stub_pose_pass(w, h, view="rear", calls=calls))
    out = tmp_path / "out"
    assert main(["analyze", str(clip), "--out", str(out), "--no-video", "--no-report", "--quiet",
                 "--no-knee-outline"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert calls == [False] and summary["knee_centre"]["source"] == "pose model"
