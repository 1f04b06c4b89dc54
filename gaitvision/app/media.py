"""Uploaded clips: decide the type by probing the content, and make a browser-playable copy.

The file's extension is never trusted: :func:`probe_clip` opens it with
PyAV and needs a decodable video stream. A clip the browser cannot play
(anything but H.264 yuv420p in MP4/MOV) gets one H.264 copy
(:func:`gaitvision.render.video.write_browser_copy`, as the report's copy:
libx264, yuv420p, even size, faststart, upright, the clip's own frame times).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from gaitvision.errors import VideoReadError
from gaitvision.io.video import probe_video
from gaitvision.render.video import MP4_FAMILY, browser_playable

__all__ = ["ClipInfo", "probe_clip", "stored_suffix"]



@dataclass(frozen=True)
class ClipInfo:
    """What probing found in an uploaded file."""

    container: str
    codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    duration_s: float
    rotation_deg: int

    @property
    def browser_playable(self) -> bool:
        """H.264 4:2:0 8-bit in an MP4/MOV container: plays in Chromium, Firefox and Safari."""
        return browser_playable(self.container, self.codec, self.pix_fmt)


def probe_clip(path: Path) -> ClipInfo:
    """Probe ``path``'s content (not its name).

    Raises
    ------
    VideoReadError
        If it is not a video PyAV can decode, with a sentence saying what to do.
    """
    try:
        with av.open(str(path)) as c:
            container = str(c.format.name)
            if not c.streams.video:
                raise VideoReadError(f"{path.name}: the file has no video stream; upload the clip as "
                                     "exported from the phone or camera (MP4 or MOV).")
    except av.error.FFmpegError as err:
        raise VideoReadError("The uploaded file is not a video that can be read (" + type(err).__name__
                             + "); upload the clip as exported from the phone or camera (MP4 or MOV).") from err
    meta = probe_video(path)
    return ClipInfo(container=container, codec=meta.codec, pix_fmt=meta.pix_fmt or "", width=meta.width,
                    height=meta.height, frames=meta.frames, duration_s=meta.duration_s,
                    rotation_deg=meta.rotation_deg)


def stored_suffix(info: ClipInfo) -> str:
    """The file suffix the clip is stored under, from its probed container."""
    if info.container == MP4_FAMILY:
        return ".mp4"
    if "matroska" in info.container or "webm" in info.container:
        return ".mkv"
    if info.container == "avi":
        return ".avi"
    return ".video"
