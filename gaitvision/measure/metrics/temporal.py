"""Cadence from gait events: the stride period fitted to each foot's contacts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["stride_period_fit_s"]


def stride_period_fit_s(ic_times_s: ArrayLike, *, approx_period_s: float | None = None) -> float:
    """Stride period of one foot from its contact times, by least squares.

    Each contact gets its stride number (rounded from ``approx_period_s``,
    e.g. the autocorrelation period, else from the median interval, so a
    missed contact does not break the count) and the period is the
    slope of time against stride number. Unlike the mean interval, which
    depends only on the first and last contact, every contact counts, so
    a late or early event at either end of the clip barely moves it. NaN
    with fewer than 3 contacts.
    """
    t = np.sort(np.asarray(ic_times_s, dtype=np.float64))
    t = t[np.isfinite(t)]
    if t.size < 3:
        return float("nan")
    med = float(approx_period_s) if approx_period_s else float(np.median(np.diff(t)))
    if not med > 0:
        return float("nan")
    k = np.round((t - t[0]) / med)
    if np.unique(k).size < 3:
        return float("nan")
    slope = np.polyfit(k, t, 1)[0]
    return float(slope)
