"""Angle curves over the normalised gait cycle, per side, for the plots.

A stride runs from one foot's contact to that foot's next contact and is
resampled to 0-100 % by *time* (not frame count). Which curves exist is
decided by the clip's ``summary["metrics"]``: a curve is drawn only when one
of the metrics it explains was measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaitvision.measure.step_values import ClipSignals

__all__ = ["CycleCurve", "cycle_curves", "normalise_strides"]

N_POINTS = 101


@dataclass(frozen=True)
class CycleCurve:
    """One angle over the gait cycle, both sides."""

    name: str
    title: str
    unit: str
    #: per side, ``(n_strides, 101)`` values at 0..100 % of the stride
    strides: dict[str, NDArray[np.float64]]
    #: per side, median % of the stride at which each event happens
    events_pct: dict[str, dict[str, float]]
    metric_keys: tuple[str, ...]
    note: str = ""
    #: the metrics are read while the foot is on the ground only
    stance_only: bool = False


@dataclass(frozen=True)
class _Spec:
    name: str
    title: str
    unit: str
    metric_keys: tuple[str, ...]
    side_view: bool
    #: the measurement's per-frame signal (:class:`ClipSignals` ``per_side``)
    signal: str
    note: str = ""


#: Each curve is the very signal its metrics were read from, so the curve and
#: the table beside it always agree.
_SPECS: tuple[_Spec, ...] = (
    _Spec("knee_flexion", "Knee bend over the stride", "deg",
          ("knee_flexion_ic_deg", "knee_flexion_peak_stance_deg"), True, "flex", "0° = straight knee."),
    _Spec("foot_angle", "Foot angle to the belt over the stride", "deg",
          ("foot_strike_angle_deg",), True, "foot", "Relative to the foot flat on the belt; + = toes up."),
    _Spec("knee_fppa", "Knee collapse (frontal-plane angle) over the stride", "deg",
          ("knee_fppa_peak_deg",), False, "fppa",
          "+ = knee inward of the hip–ankle line (valgus), read while the foot is on the ground; "
          "in the air the bent knee makes this angle meaningless (faint)."),
    _Spec("pelvic_drop", "Hip drop over the stride", "deg",
          ("pelvic_drop_peak_deg",), False, "drop",
          "+ = the other (swing-side) hip lower, read while the foot is on the ground."),
)

_PELVIS_SOURCE_TEXT = {
    "markers": "From the PSIS markers.",
    "waistband": "From the waistband line.",
    "mediapipe_hips": "From the pose model's hip points: rough.",
}


def normalise_strides(
    signal: NDArray[np.float64],
    time_s: NDArray[np.float64],
    starts: Sequence[int],
    ends: Sequence[int],
    *,
    n_points: int = N_POINTS,
) -> NDArray[np.float64]:
    """Resample ``signal`` between each (start, end) frame pair to ``n_points``.

    Interpolates linearly in time, so variable frame rate is respected.
    Strides with a missing value inside are kept with NaN where the
    samples fall next to a gap.

    Returns
    -------
    ``(n_strides, n_points)`` array.
    """
    out = np.full((len(starts), n_points), np.nan)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if b <= a:
            continue
        t = time_s[a : b + 1]
        v = signal[a : b + 1]
        grid = np.linspace(t[0], t[-1], n_points)
        ok = np.isfinite(v)
        if ok.sum() < 2:
            continue
        res = np.interp(grid, t[ok], v[ok])
        # blank samples that fall in a gap wider than two frames
        idx = np.searchsorted(t, grid).clip(1, len(t) - 1)
        bad = ~(ok[idx] | ok[idx - 1])
        res[bad] = np.nan
        out[i] = res
    return out


def _strides(rows: list[dict[str, Any]], side: str, time_s: NDArray[np.float64]
             ) -> tuple[list[int], list[int], list[dict[str, float]]]:
    own = sorted((r for r in rows if r.get("side") == side and isinstance(r.get("ic_frame"), int)),
                 key=lambda r: r["ic_frame"])
    other = sorted(r["ic_frame"] for r in rows
                   if r.get("side") not in (side, None) and isinstance(r.get("ic_frame"), int))
    pairs = [(a, b) for a, b in zip(own, own[1:], strict=False) if not a.get("excluded_reason")]
    if not pairs:
        return [], [], []
    durs = np.array([time_s[b["ic_frame"]] - time_s[a["ic_frame"]] for a, b in pairs])
    med = float(np.median(durs))
    starts, ends, events = [], [], []
    for (a, b), d in zip(pairs, durs, strict=True):
        if not (0.6 * med <= d <= 1.4 * med):  # a missed step in between
            continue
        ia, ib = a["ic_frame"], b["ic_frame"]
        ta, tb = float(time_s[ia]), float(time_s[ib])
        ev: dict[str, float] = {}
        to = a.get("to_frame")
        if isinstance(to, int) and ia < to < ib:
            ev["toe-off"] = 100 * (float(time_s[to]) - ta) / (tb - ta)
        opp = [f for f in other if ia < f < ib]
        if opp:
            ev["other foot lands"] = 100 * (float(time_s[opp[0]]) - ta) / (tb - ta)
        starts.append(ia)
        ends.append(ib)
        events.append(ev)
    return starts, ends, events


def cycle_curves(
    signals: ClipSignals,
    rows: list[dict[str, Any]],
    metrics: dict[str, Any],
    *,
    view: str,
    pelvis_source: str = "mediapipe_hips",
) -> list[CycleCurve]:
    """The curves that explain the measured metrics, each per side.

    Parameters
    ----------
    signals
        The measurement's per-frame signals: exactly what the metrics were
        read from.
    rows
        Per-step rows (``steps.csv``): sides, contact and toe-off frames,
        ``excluded_reason``.
    metrics
        ``summary["metrics"]``; decides which curves are drawn.
    view
        The clip's view.
    pelvis_source
        Where pelvic drop came from (for the curve's note).
    """
    side_view = view.startswith("side")
    out = []
    for spec in _SPECS:
        if spec.side_view != side_view or not any(k in metrics for k in spec.metric_keys):
            continue
        strides, events = _side_strides(signals, rows, spec.signal)
        if strides:
            note = spec.note
            if spec.name == "pelvic_drop":
                note += " " + _PELVIS_SOURCE_TEXT.get(pelvis_source, "")
            if not side_view:
                note += " Contact in this view is estimated from the pelvis's bounce."
            out.append(CycleCurve(spec.name, spec.title, spec.unit, strides, events,
                                  spec.metric_keys, note.strip(), stance_only=not side_view))
    return out


def _side_strides(signals: ClipSignals, rows: list[dict[str, Any]], name: str) -> tuple[
        dict[str, NDArray[np.float64]], dict[str, dict[str, float]]]:
    strides: dict[str, NDArray[np.float64]] = {}
    events: dict[str, dict[str, float]] = {}
    t = signals.time_s
    for side in ("left", "right"):
        starts, ends, evs = _strides(rows, side, t)
        if not starts:
            continue
        arr = normalise_strides(signals.per_side[side][name], t, starts, ends)
        keep = np.isfinite(arr).sum(axis=1) > 0.8 * arr.shape[1]
        if not keep.any():
            continue
        strides[side] = arr[keep]
        names = {n for e in evs for n in e}
        events[side] = {n: float(np.median([e[n] for e in evs if n in e])) for n in sorted(names)}
    return strides, events
