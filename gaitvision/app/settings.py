"""Where the app keeps its data and the limits it applies.

The data folder holds ``gaitvision.db`` (SQLite) and ``clips/<generated
name>/``: each uploaded clip under a generated file name with its analysis
folder beside it. Its default is ``$GAITVISION_DATA`` if set, else
``~/gaitvision-data``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from gaitvision.errors import ConfigError

__all__ = ["AppSettings", "default_data_dir", "is_loopback"]

#: Default upload size limit (a 60 s 4K phone clip is ~400 MB).
DEFAULT_MAX_UPLOAD_MB = 2048


def default_data_dir() -> Path:
    """``$GAITVISION_DATA``, else ``~/gaitvision-data``."""
    env = os.environ.get("GAITVISION_DATA", "").strip()
    return Path(env).expanduser() if env else Path.home() / "gaitvision-data"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this computer (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _env_flag(name: str, default: bool) -> bool:
    v = os.environ.get(name, "").strip().lower()
    if not v:
        return default
    return v not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class AppSettings:
    """The app's settings (``gaitvision serve`` options and environment).

    Attributes
    ----------
    data
        The data folder.
    token
        Access token required on every request (None: none required; only
        allowed on a loopback address).
    max_upload_bytes
        Largest clip accepted (``$GAITVISION_MAX_UPLOAD_MB``).
    start_worker
        Start the analysis worker process with the server
        (``$GAITVISION_APP_WORKER=0``: run ``python -m gaitvision.app.worker --data DIR`` yourself).
    annotated_video
        Also write ``annotated.mp4`` in each analysis folder (``$GAITVISION_APP_VIDEO=1``), to share.
        Off by default, as for ``gaitvision analyze``: the review page draws its own overlay over the
        clip, and a job is done without waiting for an encode.
    pose_threads
        Inference threads of the pose model (``$GAITVISION_POSE_THREADS``; default: the pipeline's).
    """

    data: Path
    token: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB << 20
    start_worker: bool = True
    annotated_video: bool = False
    pose_threads: int | None = None

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.data / "gaitvision.db"

    @property
    def clips_dir(self) -> Path:
        """Where the clips and their analyses are stored."""
        return self.data / "clips"

    @property
    def tmp_dir(self) -> Path:
        """Uploads in progress (moved into ``clips/`` when complete and probed)."""
        return self.data / "tmp"

    def ensure_dirs(self) -> None:
        """Create the data folder and its sub-folders.

        Raises
        ------
        ConfigError
            If the folder cannot be created or written.
        """
        try:
            for d in (self.data, self.clips_dir, self.tmp_dir):
                d.mkdir(parents=True, exist_ok=True)
            probe = self.data / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise ConfigError(f"{self.data}: cannot use it as the data folder ({err.strerror or err}); "
                              "choose another with --data.") from err

    @classmethod
    def from_env(cls, data: Path | None = None, token: str | None = None) -> AppSettings:
        """Settings from the arguments and the environment."""
        threads = os.environ.get("GAITVISION_POSE_THREADS", "").strip()
        mb = os.environ.get("GAITVISION_MAX_UPLOAD_MB", "").strip()
        try:
            max_bytes = int(float(mb) * (1 << 20)) if mb else DEFAULT_MAX_UPLOAD_MB << 20
        except ValueError as err:
            raise ConfigError(f"GAITVISION_MAX_UPLOAD_MB must be a number, but got {mb!r}.") from err
        return cls(
            data=(data or default_data_dir()).expanduser().resolve(),
            token=token or os.environ.get("GAITVISION_TOKEN") or None,
            max_upload_bytes=max_bytes,
            start_worker=_env_flag("GAITVISION_APP_WORKER", True),
            annotated_video=_env_flag("GAITVISION_APP_VIDEO", False),
            pose_threads=int(threads) if threads.isdigit() and int(threads) > 0 else None,
        )
