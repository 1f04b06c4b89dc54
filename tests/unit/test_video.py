import cv2
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
    with pytest.raises(RuntimeError), VideoWriter(p, width=64, height=48) as vw:
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
    with pytest.raises(ValueError), atomic_path(p) as tmp:
        tmp.write_text('{"a": ')
        raise ValueError("interrupted")
    assert p.read_text().strip().replace(" ", "").replace("\n", "") == '{"a":1}'
    assert [x.name for x in tmp_path.iterdir()] == ["summary.json"]
    with pytest.raises(ValueError):
        write_json(p, {"a": float("nan")})  # NaN is refused, never written silently


# -- phone clips and hostile files (issue 6) ----------------------------------

import av  # noqa: E402
from fixtures.clips import write_audio_only  # noqa: E402
from fixtures.clips import write_clip as encode_clip  # noqa: E402

from gaitvision.io.video import _bmff_problem  # noqa: E402


def _frames(n=6, w=64, h=48):
    for i in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, : (i * 7) % w] = 200
        img[: h // 3, :, 1] = 90
        yield img, i / 30


def test_bmff_truncation_and_missing_index(tmp_path):
    good = encode_clip(tmp_path / "g.mp4", _frames())
    assert _bmff_problem(good) is None
    data = good.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert "cut off" in _bmff_problem(tmp_path / "cut.mp4")
    # a box with no index at all (mdat only, complete)
    mdat = b"\0\0\0\x10mdat" + b"\0" * 8
    (tmp_path / "noindex.mp4").write_bytes(data[: int.from_bytes(data[:4], "big")] + mdat)
    assert "no index" in _bmff_problem(tmp_path / "noindex.mp4")
    (tmp_path / "x.mkv").write_bytes(b"\x1aE\xdf\xa3" + b"\0" * 100)
    assert _bmff_problem(tmp_path / "x.mkv") is None  # not MP4/MOV: FFmpeg decides


@pytest.mark.parametrize("tag, expected", [("240.000000", 240.0), ("30.000000", None), ("8.0", None),
                                           ("fast", None)])
def test_capture_fps_from_android_metadata(tmp_path, tag, expected):
    p = encode_clip(tmp_path / "c.mp4", _frames(), container_metadata={"com.android.capture.fps": tag})
    meta = probe_video(p)
    assert meta.capture_fps == expected  # only slow motion (above the playback rate) counts
    assert meta.capture_fps_source == ("com.android.capture.fps" if expected else None)


def test_still_image_and_audio_only_are_refused(tmp_path):
    import cv2

    img = tmp_path / "x.png"
    cv2.imwrite(str(img), np.zeros((48, 64, 3), np.uint8))
    p = tmp_path / "photo.mp4"
    p.write_bytes(img.read_bytes())
    with pytest.raises(VideoReadError, match="photo.mp4: is a still image"):
        probe_video(p)
    a = write_audio_only(tmp_path / "voice.mp4", seconds=0.5)
    with pytest.raises(VideoReadError, match="voice.mp4: the file has only an audio stream"):
        probe_video(a)


@pytest.mark.parametrize("codec, pix_fmt, size", [("libx265", "yuv420p10le", (64, 48)),
                                                  ("libx264", "yuv444p", (63, 47))])
def test_hevc_10bit_and_odd_sizes_decode(tmp_path, codec, pix_fmt, size):
    src = list(_frames(w=size[0], h=size[1]))
    p = encode_clip(tmp_path / "c.mp4", src, codec=codec, pix_fmt=pix_fmt, crf=10)
    frames = list(iter_frames(p))
    meta = probe_video(p)
    assert (meta.width, meta.height, meta.pix_fmt) == (*size, pix_fmt)
    assert len(frames) == len(src)
    for fr, (img, t) in zip(frames, src, strict=True):
        assert fr.image.shape == img.shape and fr.image.dtype == np.uint8
        assert np.abs(fr.image.astype(int) - img).mean() < 6
        assert fr.time_s == pytest.approx(t, abs=1e-4)


def test_decoded_frames_equal_pyav_conversion(tmp_path):
    """The reused reformatter gives exactly what frame.to_ndarray(format='rgb24') gives."""
    p = encode_clip(tmp_path / "c.mp4", _frames(), rotate_deg=90)
    with av.open(str(p)) as c:
        ref = [np.rot90(f.to_ndarray(format="rgb24"), 1) for f in c.decode(video=0)]
    ours = [fr.image for fr in iter_frames(p)]
    assert len(ours) == len(ref) and all(np.array_equal(a, b) for a, b in zip(ours, ref, strict=True))


@pytest.mark.parametrize("rotate_deg", [0, 90])
def test_scaled_decoding_is_upright_and_matches_a_resize(tmp_path, rotate_deg):
    """size_wh scales in FFmpeg's conversion: upright size, same picture as resizing afterwards."""
    p = encode_clip(tmp_path / "c.mp4", _frames(w=128, h=96), rotate_deg=rotate_deg)
    full = [fr.image for fr in iter_frames(p)]
    h, w = full[0].shape[:2]
    small = list(iter_frames(p, size_wh=(w // 2, h // 2)))
    assert len(small) == len(full)
    for fr, big in zip(small, full, strict=True):
        assert fr.image.shape == (h // 2, w // 2, 3)
        ref = cv2.resize(big, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        assert np.abs(fr.image.astype(int) - ref).mean() < 4
        assert fr.image.flags.writeable  # the renderer draws on it in place
