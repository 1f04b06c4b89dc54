"""Cadence and step timing from gait events."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["cadence_spm", "stride_period_fit_s"]


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
