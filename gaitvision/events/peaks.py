"""Peaks of gait signals: prominent local maxima, and their sub-frame instants."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["peak_time", "peaks"]


def peaks(
    signal: NDArray[np.float64], time_s: NDArray[np.float64], *, min_distance_s: float
) -> NDArray[np.intp]:
    """Local maxima at least ``min_distance_s`` apart with a clear prominence."""
    from scipy.signal import find_peaks  # SciPy only when measuring: a fast start (test_startup.py)

    ok = np.isfinite(signal)
    if ok.sum() < 3:
        return np.zeros(0, dtype=np.intp)
    filled = np.where(ok, signal, np.nanmin(signal))
    spread = np.nanpercentile(signal, 95) - np.nanpercentile(signal, 5)
    dt = float(np.median(np.diff(time_s)))
    found: NDArray[np.intp] = find_peaks(
        filled, distance=max(1, int(min_distance_s / dt)), prominence=0.25 * spread
    )[0]
    kept: NDArray[np.intp] = found[ok[found]]
    return kept


def peak_time(signal: NDArray[np.float64], time_s: NDArray[np.float64], k: int) -> float:
    """Sub-frame time of a sampled peak at ``k`` by a parabola through k-1, k, k+1."""
    if 0 < k < len(signal) - 1 and np.all(np.isfinite(signal[k - 1 : k + 2])):
        a, b, c = signal[k - 1], signal[k], signal[k + 1]
        denom = a - 2 * b + c
        if denom < 0:
            delta = float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))
            dt = time_s[k + 1] - time_s[k] if delta > 0 else time_s[k] - time_s[k - 1]
            return float(time_s[k] + delta * dt)
    return float(time_s[k])
