"""Uploads are typed by probing, and a clip the browser cannot play gets one H.264 copy."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gaitvision.app.media import probe_clip, stored_suffix
from gaitvision.io.video import iter_frames
from gaitvision.render.video import write_browser_copy


def _mpeg4_avi(path: Path, n: int = 12, w: int = 161, h: int = 99) -> None:
    """A small MPEG-4 Part 2 clip in AVI, odd size (browsers do not play it)."""
    with av.open(str(path), "w", format="avi") as c:
        s = c.add_stream("mpeg4", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(n):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, : 10 + 10 * i] = (200, 50, 50)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def test_type_is_probed_and_a_browser_copy_keeps_every_frame_and_time(tmp_path):
    src = tmp_path / "looks_like.mp4"  # the name says mp4; the content is AVI
    _mpeg4_avi(src)
    info = probe_clip(src)
    assert (info.container, info.codec, stored_suffix(info)) == ("avi", "mpeg4", ".avi")
    assert not info.browser_playable
    dst = tmp_path / "browser.mp4"
    write_browser_copy(src, dst)
    copy = probe_clip(dst)
    assert copy.browser_playable and (copy.width, copy.height) == (160, 98)
    t_src = [f.time_s for f in iter_frames(src)]
    t_dst = [f.time_s for f in iter_frames(dst)]
    assert len(t_dst) == len(t_src) == 12
    assert np.allclose(t_dst, t_src, atol=1e-4)
    with av.open(str(dst)) as c:
        head = dst.read_bytes()[:4096]
        assert c.streams.video[0].codec_context.name == "h264" and b"moov" in head  # faststart


def test_the_bundled_sample_is_playable_as_it_is():
    sample = Path(__file__).resolve().parents[2] / "sample_videos" / "side_left_60fps.mp4"
    info = probe_clip(sample)
    assert info.browser_playable and stored_suffix(info) == ".mp4"
