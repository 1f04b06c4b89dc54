"""The overlay the report draws in the browser, and ``gaitvision video DIR``, on a synthetic runner.

The pose pass is replaced by an exact synthetic track (the pipeline's seam,
``pipeline.track_video_parallel``) over a small generated clip, so these
run the real pipeline, report, encoder and decoder without MediaPipe.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import av
import numpy as np
import pytest
from fixtures.synthetic import make_side_track

from gaitvision import cli, pipeline
from gaitvision.errors import OutputError
from gaitvision.io.tracks import load_track
from gaitvision.report.build import remeasure
from gaitvision.report.overlay import OVERLAY_LANDMARKS, embedded_json

DURATION_S = 4.0


def _write_clip(path: Path, track, *, fmt: str = "mp4", codec: str = "libx264") -> None:
    """A clip of the track's size and frame times: grey, a dot at the left knee (enough to decode and crop)."""
    w, h = track.frame_size_wh
    with av.open(str(path), mode="w", format=fmt) as c:
        s = c.add_stream(codec, rate=60)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        knee = track.landmark("left_knee")
        for i in range(track.n_frames):
            img = np.full((h, w, 3), 90, np.uint8)
            x, y = knee[i]
            if np.isfinite(x) and np.isfinite(y):
                img[int(y) - 4: int(y) + 4, int(x) - 4: int(x) + 4] = 230
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


@pytest.fixture
def stub_pose(monkeypatch):
    track, _ = make_side_track(fps=60, duration_s=DURATION_S, facing="left")

    def pass_(path, **kwargs):
        return track

    monkeypatch.setattr(pipeline, "track_video_parallel", pass_)
    return track


def _analyse(tmp_path: Path, track, **clip_kwargs) -> tuple[Path, Path]:
    clip = tmp_path / ("clip." + clip_kwargs.get("fmt", "mp4").replace("matroska", "mkv"))
    _write_clip(clip, track, **clip_kwargs)
    out = tmp_path / "out"
    pipeline.analyze_video(clip, out)
    return clip, out


def _page_overlay(out: Path) -> tuple[str, dict]:
    page = (out / "report.html").read_text(encoding="utf-8")
    src = re.search(r'<video [^>]*src="([^"]+)" data-overlay="overlay-data"', page).group(1)
    data = re.search(r'<script type="application/json" id="overlay-data">(.*?)</script>', page, re.S).group(1)
    return src, json.loads(data)


def test_default_run_writes_the_report_with_the_overlay_and_no_video(tmp_path, stub_pose):
    clip, out = _analyse(tmp_path, stub_pose)
    assert (out / "summary.json").is_file() and (out / "report.html").is_file()
    assert not (out / "annotated.mp4").exists() and not (out / "browser.mp4").exists()
    src, ov = _page_overlay(out)
    # the original clip, by a path relative to the report
    assert (out / urllib.parse.unquote(src)).resolve() == clip.resolve()
    # the frame times are track.npz's: currentTime -> frame index
    raw, _ = load_track(out / "track.npz")
    assert ov["t"] == pytest.approx(raw.time_s.tolist(), abs=1e-6) and ov["n_frames"] == raw.n_frames
    assert ov["frame_size"] == list(raw.frame_size_wh) and ov["view"] == "side-left"
    assert set(ov["landmarks"]) == set(OVERLAY_LANDMARKS)
    # the positions drawn: the measured track's, to 0.1 px, close to the pose model's own
    m = remeasure(out, json.loads((out / "summary.json").read_text()))
    f = ov["steps"][3]["frame"]
    for name in ("left_knee", "right_heel", "left_foot_index"):
        x, y = ov["landmarks"][name]["x"][f], ov["landmarks"][name]["y"][f]
        mx, my = m.track.landmark(name)[f]
        assert (x, y) == (round(float(mx), 1), round(float(my), 1)), name
        assert np.hypot(x - raw.landmark(name)[f][0], y - raw.landmark(name)[f][1]) < 3.0, name
    # each step drawn at the frame it was measured, with steps.csv's values
    rows = {r["step"]: r for r in m.table.rows}
    for s in ov["steps"]:
        r = rows[s["step"]]
        assert s["frame"] == r["ic_frame"] and s["excluded"] == bool(r["excluded_reason"])
        for k, v in s["values"].items():
            assert v == r[k], k
    assert any(s["values"] for s in ov["steps"])


def test_a_clip_the_browser_cannot_play_gets_a_playable_copy(tmp_path, stub_pose):
    clip, out = _analyse(tmp_path, stub_pose, fmt="matroska")
    src, ov = _page_overlay(out)
    assert src == "browser.mp4"
    with av.open(str(out / "browser.mp4")) as c:
        s = c.streams.video[0]
        assert c.format.name.startswith("mov,mp4") and s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p" and not c.streams.audio
        assert (s.width, s.height) == tuple(ov["frame_size"])
        times = [float(fr.time) for fr in c.decode(s)]
    assert len(times) == ov["n_frames"]
    assert np.allclose(np.array(times) - times[0], ov["t"], atol=1e-3)  # the same frames at the same times


def test_video_subcommand_writes_annotated_mp4_from_the_cache(tmp_path, stub_pose, monkeypatch, capsys):
    clip, out = _analyse(tmp_path, stub_pose)
    before = (out / "summary.json").read_bytes()

    def no_pose(*a, **k):
        raise AssertionError("gaitvision video must not run the pose model")

    monkeypatch.setattr(pipeline, "track_video_parallel", no_pose)
    assert cli.main(["video", str(out), "--quiet"]) == 0
    assert "annotated.mp4" in capsys.readouterr().out
    with av.open(str(out / "annotated.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert s.width % 2 == 0 and s.height % 2 == 0 and max(s.width, s.height) <= 1280
        frames = sum(1 for _ in c.decode(s))
    with av.open(str(clip)) as c:
        assert frames == sum(1 for _ in c.decode(video=0))
    assert (out / "summary.json").read_bytes() == before  # the analysis is untouched
    # the clip moved: said plainly, exit 1
    moved = clip.rename(tmp_path / "moved.mp4")
    with pytest.raises(OutputError, match="pass it with --clip"):
        pipeline.write_annotated_video(out)
    assert cli.main(["video", str(out), "--quiet"]) == 1
    assert cli.main(["video", str(out), "--quiet", "--clip", str(moved), "--slow-motion", "2"]) == 0
    with av.open(str(out / "annotated.mp4")) as c:
        s = c.streams.video[0]
        assert float(s.duration * s.time_base) == pytest.approx(2 * DURATION_S, abs=0.1)


def test_video_flag_writes_it_in_the_same_run(tmp_path, stub_pose):
    clip = tmp_path / "clip.mp4"
    _write_clip(clip, stub_pose)
    out = tmp_path / "out"
    from gaitvision.api import Options

    pipeline.analyze_video(clip, out, Options(video=True).config())
    assert (out / "annotated.mp4").is_file() and (out / "report.html").is_file()
    assert Options(no_video=True).config().render.video is False  # accepted, and the default anyway


def test_embedded_json_cannot_close_its_element():
    text = embedded_json({"a": "</script><script>alert(1)</script>", "b": "x & y"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "x & y"}
