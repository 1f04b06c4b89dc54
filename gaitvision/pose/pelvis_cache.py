"""``pelvis.npz``: the image-based pelvis line of a rear/front clip, cached beside ``track.npz``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from gaitvision.io._atomic import atomic_path
from gaitvision.pose.pelvis_image import PelvisImageSeries

__all__ = ["load_pelvis_cache", "save_pelvis_cache"]

logger = logging.getLogger(__name__)


def load_pelvis_cache(path: str | os.PathLike[str], fingerprint: str) -> PelvisImageSeries | None:
    """The cached pelvis line if ``path`` holds one made from the clip ``fingerprint``, else None."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        with np.load(p, allow_pickle=False) as d:
            if str(d["source_fingerprint"]) == fingerprint:
                return PelvisImageSeries.from_arrays({k: d[k] for k in d.files if k != "source_fingerprint"})
    except (OSError, KeyError, ValueError) as err:
        logger.warning("Ignoring unreadable cached pelvis line: %s", err)
    return None


def save_pelvis_cache(path: str | os.PathLike[str], series: PelvisImageSeries, fingerprint: str) -> None:
    """Write ``pelvis.npz`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, source_fingerprint=np.array(fingerprint), **series.to_arrays())
