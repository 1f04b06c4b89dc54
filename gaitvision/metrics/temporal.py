"""Cadence and step timing from gait events."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["cadence_spm"]


def cadence_spm(step_times_s: ArrayLike) -> float:
    """Cadence in steps per minute, ``60 / mean(step time)``.

    NaN step times are ignored; NaN if none is left.

    References
    ----------
    metrics.md §2.4.
    """
    st = np.asarray(step_times_s, dtype=np.float64)
    st = st[np.isfinite(st) & (st > 0)]
    if st.size == 0:
        return float("nan")
    return float(60.0 / st.mean())
