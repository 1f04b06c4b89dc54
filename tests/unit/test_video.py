import numpy as np
import pytest

from gaitvision.errors import VideoReadError
from gaitvision.io._atomic import atomic_path, write_json
from gaitvision.io.video import VideoWriter, iter_frames, probe_video


def write_clip(path, times, size=(64, 48)):
    w, h = size
    with VideoWriter(path, width=w, height=h) as vw:
        for i, t in enumerate(times):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, : (i * 3) % w] = 200
            vw.write(img, t)


def test_writer_reader_round_trip_variable_frame_rate(tmp_path):
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(1 / 70, 1 / 45, 40))
    times -= times[0]
    p = tmp_path / "vfr.mp4"
    write_clip(p, times)
    frames = list(iter_frames(p))
    assert len(frames) == 40
    np.testing.assert_allclose([f.time_s for f in frames], times, atol=1.5e-4)
    meta = probe_video(p)
    assert (meta.width, meta.height, meta.codec, meta.rotation_deg) == (64, 48, "h264", 0)
    data = p.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "not faststart"


def test_writer_is_atomic_on_error(tmp_path):
    p = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(p, width=64, height=48) as vw:
            vw.write(np.zeros((48, 64, 3), np.uint8), 0.0)
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_writer_needs_even_size(tmp_path):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "x.mp4", width=63, height=48)


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 50])
def test_bad_files_raise_video_read_error(tmp_path, content):
    p = tmp_path / "clip.mp4"
    p.write_bytes(content)
    with pytest.raises(VideoReadError, match="clip.mp4"):
        probe_video(p)


def test_missing_and_directory(tmp_path):
    with pytest.raises(VideoReadError, match="no such file"):
        probe_video(tmp_path / "nope.mp4")
    with pytest.raises(VideoReadError, match="directory"):
        probe_video(tmp_path)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "summary.json"
    write_json(p, {"a": 1})
    with pytest.raises(ValueError):
        with atomic_path(p) as tmp:
            tmp.write_text('{"a": ')
            raise ValueError("interrupted")
    assert p.read_text().strip().replace(" ", "").replace("\n", "") == '{"a":1}'
    assert [x.name for x in tmp_path.iterdir()] == ["summary.json"]
    with pytest.raises(ValueError):
        write_json(p, {"a": float("nan")})  # NaN is refused, never written silently
