"""Per-step pelvic drop and the choice of source: the peak contralateral drop
over each stance (:func:`pelvic_drop_peaks`), which pelvis source a clip
supports (:func:`pelvis_source`: markers, waistband, then MediaPipe's hips) and
the angle that counts as a level pelvis (:func:`drop_level_deg`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gaitvision.pose.pelvis_image.measure import PelvisImageSeries


def pelvic_drop_signal(
    angle_deg: NDArray[np.float64],
    confidence: NDArray[np.float64],
    time_s: NDArray[np.float64],
    *,
    level_deg: float = 0.0,
    min_confidence: float = 0.5,
    cutoff_hz: float | None = 15.0,
) -> NDArray[np.float64]:
    """The per-frame pelvic drop of a left stance (negate it for a right stance).

    The image angle where its confidence is at least ``min_confidence``,
    minus ``level_deg``, low-passed at ``cutoff_hz`` (zero lag; None: none).
    This is the signal :func:`pelvic_drop_peaks` reads its peaks from, and
    the one the report plots.
    """
    from gaitvision.clean.filtering import lowpass_signal

    a = np.where(np.asarray(confidence) >= min_confidence, np.asarray(angle_deg, dtype=float), np.nan)
    a = a - level_deg
    if cutoff_hz is not None and np.isfinite(a).sum() > 1:
        a = lowpass_signal(a, np.asarray(time_s, dtype=float), cutoff_hz=cutoff_hz)
    return a


def pelvic_drop_peaks(
    angle_deg: NDArray[np.float64],
    confidence: NDArray[np.float64],
    time_s: NDArray[np.float64],
    steps: Iterable[Any],
    *,
    level_deg: float = 0.0,
    min_confidence: float = 0.5,
    min_valid_fraction: float = 0.6,
    cutoff_hz: float | None = 15.0,
) -> list[dict[str, object]]:
    """Peak contralateral pelvic drop over each step's stance.

    Parameters
    ----------
    angle_deg, confidence
        ``(n,)`` roll-corrected pelvis angle (e.g.
        ``series.angle_deg("waistband")``) and its per-frame confidence.
    time_s
        ``(n,)`` frame times.
    steps
        Objects with ``side`` ("left"/"right"), ``ic_frame`` and
        ``to_frame`` (e.g. ``GaitEvents.steps``); stance is
        ``[ic_frame, to_frame]`` inclusive, skipped when ``to_frame < 0``.
    level_deg
        The angle taken as a level pelvis: 0 (the roll-corrected scene
        horizontal) by default, or a standing trial's value.
    min_confidence
        Frames below this confidence are ignored.
    min_valid_fraction
        A step needs this fraction of confident stance frames for a value.
    cutoff_hz
        Zero-lag low-pass applied to the angle first (None: none).

    Returns
    -------
    list of dict
        Per step: ``side``, ``ic_frame``, ``to_frame``,
        ``pelvic_drop_peak_deg`` (float or None), ``pelvic_drop_peak_frame``
        (int or None), ``valid_fraction``.

    Notes
    -----
    ``drop(t) = (angle(t) - level)`` for a left stance and its negative for
    a right stance: positive when the swing-side (contralateral) pelvis is
    lower, as :func:`gaitvision.metrics.pelvis.pelvic_drop_deg`
    (metrics.md §2.6). The peak is the maximum over the stance frames.
    """
    a = pelvic_drop_signal(angle_deg, confidence, time_s, level_deg=level_deg,
                           min_confidence=min_confidence, cutoff_hz=cutoff_hz)
    return [_step_drop_peak(a, s, min_valid_fraction) for s in steps]


def _step_drop_peak(a: NDArray[np.float64], s: Any, min_valid_fraction: float) -> dict[str, object]:
    """One step's row of :func:`pelvic_drop_peaks`."""
    row: dict[str, object] = {
        "side": s.side, "ic_frame": int(s.ic_frame), "to_frame": int(s.to_frame),
        "pelvic_drop_peak_deg": None, "pelvic_drop_peak_frame": None, "valid_fraction": 0.0,
    }
    if s.to_frame < 0 or s.to_frame < s.ic_frame:
        return row
    seg = a[s.ic_frame : s.to_frame + 1]
    seg = seg if s.side == "left" else -seg
    ok = np.isfinite(seg)
    row["valid_fraction"] = float(ok.mean()) if seg.size else 0.0
    if seg.size == 0 or ok.mean() < min_valid_fraction:
        return row
    k = int(np.nanargmax(seg))
    row["pelvic_drop_peak_deg"] = float(seg[k])
    row["pelvic_drop_peak_frame"] = int(s.ic_frame + k)
    return row


def pelvis_source(
    series: PelvisImageSeries,
    steps: Iterable[Any],
    *,
    min_confidence: float = 0.5,
    min_usable_fraction: float = 0.7,
) -> tuple[Literal["markers", "waistband", "mediapipe_hips"], str]:
    """Choose the best pelvis source of a clip: markers, waistband, then hips.

    A source is usable when at least ``min_usable_fraction`` of all stance
    frames have a confidence of ``min_confidence`` or more.

    Returns
    -------
    source, reason
        The source and a one-line reason for the report (why the better
        sources were not used).
    """
    idx = np.concatenate(
        [np.arange(s.ic_frame, s.to_frame + 1) for s in steps if s.to_frame >= s.ic_frame >= 0]
        or [np.arange(series.time_s.size)]
    )
    idx = idx[idx < series.time_s.size]
    why: list[str] = []
    for src, label in (("markers", "PSIS markers"), ("waistband", "waistband edge")):
        c = series.confidence(src)[idx]  # type: ignore[arg-type]
        frac = float((c >= min_confidence).mean()) if idx.size else 0.0
        if frac >= min_usable_fraction:
            reason = f"{label} visible in {frac:.0%} of stance frames"
            if why:
                reason += " (" + "; ".join(why) + ")"
            return src, reason  # type: ignore[return-value]
        why.append(f"{label} found in only {frac:.0%} of stance frames")
    return "mediapipe_hips", "; ".join(why) + (
        ": pelvic drop falls back to the pose model's hip points, which follow the legs "
        "more than the pelvis (low confidence). Expose the waistband or apply PSIS markers."
    )


def drop_level_deg(
    series: PelvisImageSeries,
    source: Literal["markers", "waistband"],
    *,
    min_confidence: float = 0.5,
    min_roll_support: float = 0.3,
) -> tuple[float, str]:
    """The angle that counts as a level pelvis, and how it was chosen.

    With a measured camera roll (``roll_support >= min_roll_support``) the
    level is the scene's horizontal, i.e. 0 for the roll-corrected angles
    of :meth:`PelvisImageSeries.angle_deg`; this keeps a left/right
    asymmetry of the drop. Without one, the level is the clip's median
    angle of the source (the runner's average posture), which also removes
    any roll but shrinks a left/right asymmetry; the text says so. A
    standing trial's median angle, when recorded, is better than both.
    """
    if np.isfinite(series.roll_deg) and series.roll_support >= min_roll_support:
        return 0.0, f"scene horizontal (camera roll {series.roll_deg:+.1f} deg removed)"
    a = series.angle_deg(source)
    ok = np.isfinite(a) & (series.confidence(source) >= min_confidence)
    if not ok.any():
        return 0.0, "image horizontal (no roll estimate and no confident frames)"
    return float(np.median(a[ok])), (
        "clip median (the camera roll could not be measured; left/right asymmetry may be understated)"
    )
