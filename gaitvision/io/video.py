"""Video ingest and H.264 output with PyAV.

Frames are decoded as a stream (one at a time, never the whole clip), turned
upright with the container's rotation metadata, and timed with the
container's presentation timestamps, because phone video often has a
variable frame rate.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from gaitvision.errors import OutputError, VideoReadError

__all__ = ["Frame", "VideoMeta", "VideoWriter", "first_frame_time_s", "iter_frames", "probe_video"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoMeta:
    """What the container says about a clip.

    ``width`` and ``height`` are those of the *upright* frame (after
    rotation). ``frames`` and ``duration_s`` are the container's values and
    may be estimates; the pose pass counts the frames it really decodes.
    """

    path: str
    width: int
    height: int
    rotation_deg: int
    frames: int
    duration_s: float
    fps_mean: float
    codec: str
    #: Frame rate the clip was *filmed* at when the file says so and it is
    #: higher than the playback rate (slow motion), else None.
    capture_fps: float | None = None
    #: Where ``capture_fps`` came from (the metadata key), or None.
    capture_fps_source: str | None = None
    pix_fmt: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the metadata as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Frame:
    """One decoded, upright frame."""

    index: int
    time_s: float
    image: NDArray[np.uint8]  # (height, width, 3) RGB


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise VideoReadError(f"{p}: no such file. Check the path and try again.")
    if p.is_dir():
        raise VideoReadError(f"{p}: is a directory, not a video file.")
    if not os.access(p, os.R_OK):
        raise VideoReadError(f"{p}: cannot be read (permission denied).")
    if p.stat().st_size == 0:
        raise VideoReadError(f"{p}: the file is empty (0 bytes).")
    return p


#: ISO-BMFF (MP4/MOV) top-level box types; a file that starts with one of
#: these is checked for truncation before FFmpeg sees it.
_BMFF_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pnot", b"meta"}

#: FFmpeg demuxers that read a single still image.
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "webp_pipe", "tiff_pipe",
                  "gif_pipe", "heif", "j2k_pipe", "jpegxl_pipe", "qoi_pipe", "pgm_pipe", "ppm_pipe",
                  "svg_pipe", "psd_pipe")

#: Container metadata keys that give the capture rate of a slow-motion clip
#: stored for normal-speed playback (Android's MediaRecorder writes this one;
#: iPhone slow-motion originals are stored at the capture rate, so their
#: timestamps are already real time and need no key).
CAPTURE_FPS_KEYS = ("com.android.capture.fps",)


def _bmff_problem(p: Path) -> str | None:
    """Why an MP4/MOV file is incomplete, from its top-level boxes, or None.

    Walks the box headers only (a few reads, whatever the file size). A box
    that runs past the end of the file means the file was cut off (copy
    interrupted, phone stopped recording); a file with media data but no
    ``moov`` box has no index, which a phone writes last.
    """
    size = p.stat().st_size
    seen: set[bytes] = set()
    with open(p, "rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            box_size, box_type = struct.unpack(">I4s", head[:8])
            if pos == 0 and box_type not in _BMFF_BOXES:
                return None  # not MP4/MOV: let FFmpeg decide
            if box_size == 1:
                if len(head) < 16:
                    return "the file is cut off (it ends inside a box header)"
                box_size = struct.unpack(">Q", head[8:16])[0]
            elif box_size == 0:
                box_size = size - pos  # runs to the end of the file
            if box_size < 8:
                return "the file is damaged (invalid MP4 box size)"
            seen.add(box_type)
            if pos + box_size > size:
                what = "the video data" if box_type == b"mdat" else f"the '{box_type.decode('latin-1')}' box"
                return (f"the file is cut off: {what} needs {pos + box_size - size} more bytes than "
                        "the file has (incomplete copy or recording)")
            pos += box_size
    if not seen:
        return None
    if b"moov" not in seen:
        return ("the file is incomplete: it has no index ('moov' box), which the phone writes when "
                "recording stops")
    return None


def _open(p: Path) -> av.container.InputContainer:
    try:
        problem = _bmff_problem(p)
    except OSError as err:
        raise VideoReadError(f"{p}: cannot be read ({err.strerror or err}).") from err
    if problem:
        raise VideoReadError(f"{p}: {problem}. Copy the clip from the phone again.")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoReadError(
            f"{p}: not a readable video file ({err.__class__.__name__}). "
            "Export the clip again as MP4 or MOV."
        ) from err
    fmt = container.format.name
    if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
        container.close()
        raise VideoReadError(
            f"{p}: is a still image ({fmt.replace('_pipe', '')}), not a video. "
            "Give the video clip (mp4/mov) of the runner."
        )
    if not container.streams.video:
        audio = bool(container.streams.audio)
        container.close()
        raise VideoReadError(
            f"{p}: the file has {'only an audio stream and ' if audio else ''}no video stream. "
            "Give the video clip (mp4/mov) of the runner."
        )
    return container


def _truncated_index(p: Path, stream: av.video.stream.VideoStream) -> bool:
    """True if the container's index points past the end of the file."""
    size = p.stat().st_size
    try:
        entries = stream.index_entries
        last = max((e.pos + e.size for e in entries), default=0)
    except (AttributeError, TypeError, ValueError):  # older PyAV or no index
        return False
    return last > size


def _capture_fps(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, playback_fps: float
) -> tuple[float | None, str | None]:
    for md in (container.metadata, stream.metadata):
        for key in CAPTURE_FPS_KEYS:
            raw = md.get(key)
            if raw is None:
                continue
            try:
                fps = float(raw)
            except ValueError:
                logger.info("%s: ignoring unreadable %s=%r", container.name, key, raw)
                continue
            # the key is also written (equal to the playback rate) on normal
            # clips, and (lower) on time-lapses: only slow motion is used
            if np.isfinite(fps) and np.isfinite(playback_fps) and fps > 1.05 * playback_fps:
                return fps, key
    return None, None


def _short(err: BaseException) -> str:
    """An FFmpeg error as a short phrase (no errno, no C function name)."""
    msg = getattr(err, "strerror", None) or str(err)
    return msg.split(";")[0].strip()


def _rotation_k(rotation_deg: float) -> int:
    """Number of 90° counter-clockwise turns that make a frame upright.

    PyAV reports the display matrix as the angle by which it rotates the
    stored frame counter-clockwise for display; ``np.rot90`` turns
    counter-clockwise for positive ``k``.
    """
    return int(round(rotation_deg / 90.0)) % 4


def probe_video(path: str | os.PathLike[str]) -> VideoMeta:
    """Read a clip's metadata (and its first frame, for the rotation).

    Raises
    ------
    VideoReadError
        If the file is missing, empty, not a video, or has no decodable frame.
    """
    p = _check_path(path)
    container = _open(p)
    try:
        stream = container.streams.video[0]
        if _truncated_index(p, stream):
            raise VideoReadError(
                f"{p}: the file is cut off: its index lists video data past the end of the file "
                "(incomplete copy). Copy the clip from the phone again."
            )
        try:
            first = next(container.decode(stream))
        except (StopIteration, av.error.FFmpegError, ValueError) as err:
            raise VideoReadError(
                f"{p}: no video frame could be decoded. Export the clip again as MP4 or MOV."
            ) from err
        rotation = int(round(getattr(first, "rotation", 0) or 0))
        k = _rotation_k(rotation)
        w, h = first.width, first.height
        if k % 2:
            w, h = h, w
        frames = int(stream.frames or 0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = float("nan")
        if frames <= 0 and stream.average_rate and np.isfinite(duration):
            frames = int(round(duration * float(stream.average_rate)))
        fps_mean = frames / duration if frames and duration and duration > 0 else float("nan")
        playback = float(stream.average_rate) if stream.average_rate else fps_mean
        capture, source = _capture_fps(container, stream, playback)
        return VideoMeta(
            path=str(p),
            width=int(w),
            height=int(h),
            rotation_deg=(k * 90) % 360,
            frames=frames,
            duration_s=duration,
            fps_mean=fps_mean,
            codec=stream.codec_context.name,
            capture_fps=capture,
            capture_fps_source=source,
            pix_fmt=first.format.name,
        )
    finally:
        container.close()


def iter_frames(
    path: str | os.PathLike[str],
    *,
    start_s: float = 0.0,
    end_s: float = float("inf"),
    t0_s: float | None = None,
    size_wh: tuple[int, int] | None = None,
    crop: tuple[int, int, int, int] | None = None,
) -> Iterator[Frame]:
    """Yield the clip's frames one at a time, upright, with their time.

    ``time_s`` is the presentation timestamp relative to the first frame.
    Frames whose timestamp does not increase (duplicates some phones write)
    are skipped with a log message.

    Parameters
    ----------
    start_s, end_s
        Yield only frames with ``start_s <= time_s < end_s``; a positive
        ``start_s`` seeks to the keyframe before it. ``Frame.index`` then
        counts from 0 at the first frame yielded.
    t0_s
        The first frame's container time, needed with ``start_s > 0`` (a
        seek skips the first frame); see :func:`first_frame_time_s`.
    size_wh
        Size of the upright frames to yield; scaled by FFmpeg in the same
        step as the RGB conversion (much cheaper than resizing afterwards).
        Default: the clip's own size.
    crop
        ``(x, y, w, h)`` in upright pixels: yield only that region of each
        frame (the runner's region, :func:`gaitvision.pose.roi.crop_box`).

    Raises
    ------
    VideoReadError
        If the file cannot be opened, or decoding fails part-way.
    """
    p = _check_path(path)
    if crop is not None:
        yield from _cropped(iter_frames(p, start_s=start_s, end_s=end_s, t0_s=t0_s, size_wh=size_wh), crop)
        return
    container = _open(p)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t0: float | None = t0_s
        if start_s > 0:
            if t0 is None:
                raise ValueError("iter_frames: start_s > 0 needs t0_s (first_frame_time_s).")
            time_base = stream.time_base
            if time_base is None:  # a video stream PyAV can decode always has one
                raise VideoReadError(f"{p}: the video stream has no time base; cannot seek in it.")
            container.seek(int((start_s + t0) / time_base), stream=stream, backward=True)
        yield from _decode_frames(p, container, stream, start_s=start_s, end_s=end_s, t0=t0,
                                  size_wh=size_wh)
    finally:
        container.close()


def _cropped(frames: Iterator[Frame], crop: tuple[int, int, int, int]) -> Iterator[Frame]:
    x, y, w, h = crop
    for fr in frames:
        yield Frame(index=fr.index, time_s=fr.time_s, image=np.ascontiguousarray(fr.image[y : y + h, x : x + w]))


def _decode_frames(
    p: Path,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    *,
    start_s: float,
    end_s: float,
    t0: float | None,
    size_wh: tuple[int, int] | None,
) -> Iterator[Frame]:
    """The decoding loop of :func:`iter_frames` (the container is opened and closed there)."""
    last_t = -np.inf
    index = 0
    skipped = 0
    corrupt = 0
    reformatter = VideoReformatter()
    try:
        for frame in container.decode(stream):
            t = _frame_time(frame)
            if t is None:
                raise VideoReadError(f"{p}: frame {index} has no timestamp.")
            if t0 is None:
                t0 = t
            t -= t0
            if t >= end_s:
                break
            if t < start_s:
                continue
            if t <= last_t:
                skipped += 1
                continue
            last_t = t
            corrupt += bool(getattr(frame, "is_corrupt", False))
            yield Frame(index=index, time_s=t, image=_upright_rgb(reformatter, frame, size_wh))
            index += 1
    except (av.error.FFmpegError, ValueError) as err:
        raise VideoReadError(
            f"{p}: decoding failed after {index} frames ({_short(err)}). The file is damaged "
            "or cut off; copy the clip from the phone again."
        ) from err
    if skipped:
        logger.info("%s: skipped %d frames with non-increasing timestamps", p, skipped)
    if corrupt:
        logger.warning("%s: the decoder flagged %d damaged frames", p, corrupt)
    if index == 0:
        raise VideoReadError(f"{p}: no video frame could be decoded.")


def _frame_time(frame: av.VideoFrame) -> float | None:
    """A decoded frame's container time in seconds, or None if it has no timestamp."""
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    if frame.time is not None:
        return float(frame.time)
    return None


def _upright_rgb(
    reformatter: VideoReformatter, frame: av.VideoFrame, size_wh: tuple[int, int] | None
) -> NDArray[np.uint8]:
    """The frame as upright RGB, scaled to ``size_wh`` (upright) if given."""
    # one reformatter for the whole clip: frame.to_ndarray(format=)
    # builds a new conversion context per frame (1.3 ms even at 96x128)
    k = _rotation_k(getattr(frame, "rotation", 0) or 0)
    w, h = frame.width, frame.height
    if size_wh is not None:  # the stored frame is sideways when k is odd
        w, h = size_wh[::-1] if k % 2 else size_wh
    if (w, h) == (frame.width, frame.height):
        rgb = reformatter.reformat(frame, format="rgb24").to_ndarray()
    else:
        rgb = reformatter.reformat(frame, width=w, height=h, format="rgb24",
                                   interpolation="AREA").to_ndarray()
    # PyAV's stubs type to_ndarray() for every pixel format; rgb24 is always uint8
    image = cast("NDArray[np.uint8]", rgb)
    if k:
        image = np.ascontiguousarray(np.rot90(image, k))
    return image


#: A wanted frame more than this far (s) past the decoder's position is
#: reached by seeking to the keyframe before it instead of decoding up to it.
SEEK_GAP_S = 1.0


def read_frames_at(
    path: str | os.PathLike[str],
    indices: Iterable[int],
    times_s: Sequence[float] | NDArray[np.float64],
) -> dict[int, NDArray[np.uint8]]:
    """Decode only the requested frames (upright RGB), seeking to each.

    ``times_s`` are the clip's frame times as :func:`iter_frames` gives them
    (``track.npz``'s ``time_s``: container time from the first frame), so
    that frame ``i`` is the frame shown at ``times_s[i]``. Each wanted frame
    far from the decoder's position is reached by a seek to the keyframe
    before it; only the wanted frames are converted to RGB. A frame is
    identified by its timestamp (within a quarter of the frame interval).

    Raises
    ------
    VideoReadError
        If the file cannot be decoded, or a wanted frame is not found.
    """
    times = np.asarray(times_s, dtype=np.float64)
    wanted = sorted({int(i) for i in indices if 0 <= int(i) < len(times)})
    out: dict[int, NDArray[np.uint8]] = {}
    if not wanted:
        return out
    p = _check_path(path)
    t0 = first_frame_time_s(p)
    dt = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    container = _open(p)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        reformatter = VideoReformatter()
        decoder: Iterator[av.VideoFrame] | None = None
        pos = -np.inf
        for i in wanted:
            target = float(times[i])
            if decoder is None or target - pos > SEEK_GAP_S or target < pos:
                if stream.time_base is None:
                    raise VideoReadError(f"{p}: the video stream has no time base; cannot seek in it.")
                container.seek(int((target + t0 - 0.5 * dt) / stream.time_base), stream=stream, backward=True)
                decoder = container.decode(stream)
            pos, img = _decode_until(p, decoder, target, t0, dt, reformatter)
            out[i] = img
    except av.error.FFmpegError as err:
        raise VideoReadError(f"{p}: decoding failed ({_short(err)}).") from err
    finally:
        container.close()
    return out


def _decode_until(p: Path, decoder: Iterator[av.VideoFrame], target: float, t0: float, dt: float,
                  reformatter: VideoReformatter) -> tuple[float, NDArray[np.uint8]]:
    """Decode forward to the frame shown at ``target``; its time and its upright RGB image."""
    for frame in decoder:
        t = _frame_time(frame)
        if t is None:
            continue
        t -= t0
        if abs(t - target) <= 0.25 * dt:
            return t, _upright_rgb(reformatter, frame, None)
        if t > target + 0.25 * dt:
            break
    raise VideoReadError(f"{p}: the frame at {target:.3f} s could not be decoded.")


def first_frame_time_s(path: str | os.PathLike[str]) -> float:
    """Container time of the clip's first frame (the zero of ``Frame.time_s``)."""
    p = _check_path(path)
    container = _open(p)
    try:
        for frame in container.decode(container.streams.video[0]):
            if frame.pts is not None and frame.time_base is not None:
                return float(frame.pts * frame.time_base)
            return float(frame.time or 0.0)
    except av.error.FFmpegError as err:
        raise VideoReadError(f"{p}: no video frame could be decoded ({_short(err)}).") from err
    finally:
        container.close()
    raise VideoReadError(f"{p}: no video frame could be decoded.")


class VideoWriter:
    """Write a browser-playable H.264 MP4, atomically.

    Frames go to a temporary file next to ``path`` that is renamed to
    ``path`` only when the writer closes without an error; on error the
    temporary file is removed. The output is libx264, yuv420p, with the
    ``moov`` atom at the front (``+faststart``) so browsers can start
    playing before the file has fully loaded. Each frame keeps the time it
    is given, so variable frame rate survives.

    Parameters
    ----------
    path
        Output file (``.mp4``).
    width, height
        Frame size; must be even (yuv420p needs it).
    crf, preset
        x264 quality and speed settings.
    """

    _TIME_BASE = Fraction(1, 90000)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int,
        height: int,
        crf: int = 23,
        preset: str = "veryfast",
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"width and height must be even, but got {width}x{height}.")
        self.path = Path(path)
        self.width, self.height = width, height
        self._tmp = self.path.with_name(f".{self.path.stem}.partial-{os.getpid()}.mp4")
        try:
            self._container = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except (av.error.FFmpegError, OSError) as err:
            raise OutputError(f"{self.path}: cannot write the video ({err}).") from err
        stream = self._container.add_stream("libx264", rate=None)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = self._TIME_BASE
        stream.codec_context.time_base = self._TIME_BASE
        stream.options = {"crf": str(crf), "preset": preset}
        self._stream = stream
        self._last_pts = -1

    def write(self, image: NDArray[np.uint8], time_s: float) -> None:
        """Encode one RGB frame shown at ``time_s`` seconds."""
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame must be {self.height}x{self.width}, but got {image.shape[:2]}."
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        pts = int(round(time_s / self._TIME_BASE))
        pts = max(pts, self._last_pts + 1)
        frame.pts = pts
        frame.time_base = self._TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self, *, commit: bool = True) -> None:
        """Flush and close; rename into place if ``commit``, else discard."""
        try:
            if commit:
                for packet in self._stream.encode():
                    self._container.mux(packet)
        finally:
            self._container.close()
        if commit:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(commit=exc_type is None)
