"""Matplotlib figures for the report: gait-cycle curves, per-step values, timing.

Every function takes ``ax=None`` (a new figure is made on the Agg canvas,
without touching pyplot's global state) and returns ``(fig, ax)``. Nothing
here calls ``plt.show()`` or chooses a backend at import time. Values
arrive already measured; the plots only draw them.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaitvision.io._atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Band",
    "SIDE_COLORS",
    "plot_gait_cycle",
    "plot_step_values",
    "plot_timing",
    "save_figure",
]

#: Same colours as the annotated video (draw.annotators.SIDE_COLORS), 0-1 RGB.
SIDE_COLORS: dict[str, tuple[float, float, float]] = {
    "left": (40 / 255, 120 / 255, 1.0),
    "right": (1.0, 140 / 255, 0.0),
}
_FONT = {"font.size": 12, "axes.titlesize": 14, "axes.labelsize": 12, "legend.fontsize": 11}
_UNIT_LABEL = {"deg": "degrees", "s": "seconds", "spm": "steps per minute",
               "pct_leg": "% of leg length", "pct_hip": "% of hip width", "ratio": "ratio"}


@dataclass(frozen=True)
class Band:
    """A sourced reference range drawn as a shaded band."""

    low: float
    high: float
    label: str
    source: str


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.2)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _style(ax: Axes) -> None:
    ax.grid(True, color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    ax.tick_params(labelsize=_FONT["font.size"])
    ax.xaxis.label.set_fontsize(_FONT["axes.labelsize"])
    ax.yaxis.label.set_fontsize(_FONT["axes.labelsize"])


def _band(ax: Axes, band: Band | None) -> None:
    if band is None:
        return
    ax.axhspan(band.low, band.high, color="0.5", alpha=0.15, linewidth=0,
               label=f"{band.label} ({band.source})")


def _shade_stance(ax: Axes, events_pct: Mapping[str, Mapping[str, float]]) -> None:
    """Shade 0 % to the mean toe-off over the sides: the foot on the ground."""
    toe_offs = [e["toe-off"] for e in events_pct.values() if "toe-off" in e]
    if toe_offs:
        ax.axvspan(0, float(np.mean(toe_offs)), color="0.6", alpha=0.12, linewidth=0,
                   label="foot on the ground")


def _stride_array(strides: Mapping[str, ArrayLike], side: str) -> NDArray[np.float64] | None:
    """The side's ``(n_strides, n_points)`` values, or None when it has no strides."""
    if side not in strides:
        return None
    a = np.asarray(strides[side], dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0:
        return None
    return a


def _cycle_side(ax: Axes, side: str, a: NDArray[np.float64],
                events: Mapping[str, float], *, fade_swing: bool) -> None:
    """One side's mean line and ±1 SD band (faint after toe-off with ``fade_swing``) and its events."""
    x = np.linspace(0, 100, a.shape[1])
    mean = np.nanmean(a, axis=0)
    sd = np.nanstd(a, axis=0)
    c = SIDE_COLORS[side]
    to = events.get("toe-off")
    cut = x <= to if (fade_swing and to is not None) else np.ones_like(x, bool)
    if not cut.all():
        k = int(np.flatnonzero(cut)[-1]) + 1 if cut.any() else 0
        ax.plot(x[max(0, k - 1):], mean[max(0, k - 1):], color=c, linewidth=1.2, alpha=0.35)
    ax.fill_between(x[cut], (mean - sd)[cut], (mean + sd)[cut], color=c, alpha=0.2, linewidth=0)
    ax.plot(x[cut], mean[cut], color=c, linewidth=2.5,
            label=f"{side} (mean of {a.shape[0]} strides, ±1 SD)")
    for name, pct in events.items():
        ax.axvline(pct, color=c, linestyle="--", linewidth=1.3)
        ax.annotate(name, (pct, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                    va="top", ha="right", fontsize=10, color=c)


def _finish_cycle(ax: Axes, *, title: str, unit: str, note: str) -> None:
    """Axis range, labels, title, the wrapped note below and the legend."""
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of stride (0 = foot lands)")
    ax.set_ylabel(_UNIT_LABEL.get(unit, unit))
    ax.set_title(title, loc="left", fontsize=_FONT["axes.titlesize"])
    if note:
        ax.text(0.0, -0.2, textwrap.fill(note, 95), transform=ax.transAxes, fontsize=9.5, color="0.35",
                va="top")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", frameon=False)


def plot_gait_cycle(
    strides: Mapping[str, ArrayLike],
    *,
    title: str,
    unit: str = "deg",
    events_pct: Mapping[str, Mapping[str, float]] | None = None,
    band: Band | None = None,
    note: str = "",
    fade_swing: bool = False,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """One angle over the normalised stride: mean line and ±1 SD band per side.

    Parameters
    ----------
    strides
        Per side, ``(n_strides, n_points)`` values from 0 to 100 % of the
        stride (contact to the same foot's next contact).
    events_pct
        Per side, event name -> % of the stride (e.g. ``"toe-off": 38``),
        drawn as dashed vertical lines in the side's colour.
    band
        A sourced reference range, or None (the usual case: most angles
        have no published running norm).
    fade_swing
        Draw each side's curve after its toe-off faint: for a value that is
        only defined while the foot is on the ground (knee collapse, hip
        drop), so a large swing-phase angle is not read as one.
    """
    fig, ax = _axes(ax)
    _style(ax)
    _band(ax, band)
    events = events_pct or {}
    _shade_stance(ax, events)
    for side in ("left", "right"):
        a = _stride_array(strides, side)
        if a is not None:
            _cycle_side(ax, side, a, events.get(side, {}), fade_swing=fade_swing)
    _finish_cycle(ax, title=title, unit=unit, note=note)
    return fig, ax


def plot_step_values(
    time_s: Mapping[str, ArrayLike],
    values: Mapping[str, ArrayLike],
    *,
    title: str,
    unit: str = "deg",
    low_confidence: Mapping[str, ArrayLike] | None = None,
    medians: Mapping[str, float] | None = None,
    band: Band | None = None,
    ax: Axes | None = None,
    intervals: Mapping[str, ArrayLike] | None = None,
    median_ci95: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[Figure, Axes]:
    """Each step's value over the clip, per side, to show consistency.

    Low-confidence steps are drawn hollow; each side's median is a dashed
    line. ``intervals`` (per side, a (2, n) array of the steps' 95 %
    interval ends) are drawn as error bars, ``median_ci95`` (per side) as a
    light band around the median.
    """
    fig, ax = _axes(ax)
    _style(ax)
    _band(ax, band)
    for side in ("left", "right"):
        if side not in values:
            continue
        t = np.asarray(time_s[side], dtype=np.float64)
        v = np.asarray(values[side], dtype=np.float64)
        low = np.asarray((low_confidence or {}).get(side, np.zeros(v.shape, bool)), dtype=bool)
        c = SIDE_COLORS[side]
        ok = np.isfinite(v)
        ax.plot(t[ok], v[ok], color=c, linewidth=1, alpha=0.5)
        if (ok & ~low).any():
            ax.scatter(t[ok & ~low], v[ok & ~low], color=c, s=46, zorder=3, label=f"{side}")
        if (ok & low).any():
            ax.scatter(t[ok & low], v[ok & low], facecolors="white", edgecolors=[c], s=46,
                       linewidths=1.8, zorder=3, label=f"{side}, low confidence")
        iv = (intervals or {}).get(side)
        if iv is not None:
            lo_hi = np.asarray(iv, dtype=np.float64)
            has = ok & np.isfinite(lo_hi).all(axis=0)
            if has.any():
                ax.vlines(t[has], lo_hi[0, has], lo_hi[1, has], color=c, alpha=0.45, linewidth=2, zorder=2)
        med = (medians or {}).get(side)
        if med is not None and np.isfinite(med):
            ax.axhline(med, color=c, linestyle="--", linewidth=1.5)
        ci = (median_ci95 or {}).get(side)
        if ci is not None and all(np.isfinite(ci)):
            ax.axhspan(float(ci[0]), float(ci[1]), color=c, alpha=0.12, zorder=0)
    ax.set_xlabel("time in the clip (s)")
    ax.set_ylabel(_UNIT_LABEL.get(unit, unit))
    ax.set_title(title, loc="left", fontsize=_FONT["axes.titlesize"])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", frameon=False, ncol=2)
    return fig, ax


def _timing_axes(ax: Axes | None, two_panels: bool) -> tuple[Figure, Axes, Axes | None, Any]:
    """``(fig, cadence axes, contact-time axes or None, what plot_timing returns as ax)``."""
    if ax is None and two_panels:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10.0, 4.2), dpi=120, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
        return fig, axes[0], axes[1], axes
    fig, ax0 = _axes(ax)
    return fig, ax0, None, ax0


def _cadence_panel(ax: Axes, time_s: Mapping[str, ArrayLike], step_time_s: Mapping[str, ArrayLike],
                   cadence_spm: float | None) -> None:
    """Each step's cadence (60 / step time) per side, and the clip's cadence as a dashed line."""
    _style(ax)
    for side in ("left", "right"):
        if side not in step_time_s:
            continue
        t = np.asarray(time_s[side], dtype=np.float64)
        st = np.asarray(step_time_s[side], dtype=np.float64)
        ok = np.isfinite(st) & (st > 0)
        ax.scatter(t[ok], 60.0 / st[ok], color=SIDE_COLORS[side], s=40, zorder=3,
                   label=f"steps starting on the {side} foot")
    if cadence_spm:
        ax.axhline(cadence_spm, color="0.25", linestyle="--", linewidth=1.5,
                   label=f"cadence {cadence_spm:.0f} steps/min")
    ax.set_xlabel("time in the clip (s)")
    ax.set_ylabel("steps per minute")
    ax.set_title("Cadence, step by step", loc="left", fontsize=_FONT["axes.titlesize"])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", frameon=False)


def _contact_panel(ax: Axes, contact_time_s: Mapping[str, ArrayLike]) -> None:
    """Ground contact time per side as box plots, in milliseconds."""
    _style(ax)
    data, labels, colors = [], [], []
    for side in ("left", "right"):
        v = np.asarray(contact_time_s.get(side, []), dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size:
            data.append(v * 1000)
            labels.append(side)
            colors.append(SIDE_COLORS[side])
    if data:
        bp = ax.boxplot(data, patch_artist=True, widths=0.5)
        ax.set_xticks(range(1, len(labels) + 1), labels)
        # one box per data set, and one colour appended with each
        for patch, c in zip(bp["boxes"], colors, strict=True):
            patch.set_facecolor((*c, 0.35))
            patch.set_edgecolor(c)
    ax.set_ylabel("milliseconds")
    ax.set_title("Ground contact time", loc="left", fontsize=_FONT["axes.titlesize"])


def plot_timing(
    time_s: Mapping[str, ArrayLike],
    step_time_s: Mapping[str, ArrayLike],
    *,
    cadence_spm: float | None = None,
    contact_time_s: Mapping[str, ArrayLike] | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Any]:
    """Cadence step by step (60 / step time) and, if given, contact time per side.

    With ``contact_time_s`` and no ``ax``, the figure has two panels and
    the returned ``ax`` is an array of both.
    """
    has_ct = bool(contact_time_s) and any(
        np.isfinite(np.asarray(v, dtype=np.float64)).any() for v in (contact_time_s or {}).values()
    )
    fig, ax0, ax1, axes = _timing_axes(ax, has_ct)
    _cadence_panel(ax0, time_s, step_time_s, cadence_spm)
    if ax1 is not None and contact_time_s:
        _contact_panel(ax1, contact_time_s)
    return fig, axes


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> None:
    """Save ``fig`` as PNG atomically (temporary name, then rename)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
