"""95 % intervals for every per-step value and per-side median, and confidence from them.

An interval combines three parts, each a 95 % half-width, added in
quadrature (they are independent sources of error):

- **between steps**: the bootstrap of the median over the side's used
  steps (with a floor from the median's standard error for few steps, where
  the bootstrap is too narrow);
- **event timing**: the value re-read with its events moved by their
  expected timing error (:func:`timing_sensitivity`: IC and TO of the step,
  and the next contact for the metrics that end there). A detector's timing
  error is partly systematic for a clip (it does not average out over the
  steps) and partly random (it does, and it is already in the between-step
  spread): the median's timing part is the steps' mean sensitivity times
  ``sqrt(share^2 + (1 - share^2) / n)``, with the systematic ``share`` per
  view fitted on the bench (:attr:`ErrorModel.timing_share`; 1 when
  uncalibrated, the conservative end);
- **systematic**: the calibrated error of the metric's median in these
  conditions (view, near/far foot, frame rate, camera yaw and roll), from the
  exact-truth bench (``bench/calibrate.py``), stored in
  ``gaitvision/measure/data/error_model.json`` (:class:`ErrorModel`). Where
  the bench shows a stable bias it is removed: the interval is centred on
  ``median - bias``.

Per step, the interval is the step's value minus the bias, ± the step's
timing sensitivity and the bench's per-step error, in quadrature.

Confidence follows from the interval (the uncertainty issue, item 3): a
side's value is ``high`` when the interval's half-width is within the
metric's clinical resolution (:attr:`MetricSpec.resolution`), ``low``
within twice it, and otherwise ``none``: not measurable from this recording,
with the reason. The existing reasons for ``low`` (far foot, few steps, low
frame rate, MediaPipe hips) stay as caps.

Pure functions; the bootstrap's random generator is seeded from the values,
so the same table gives the same intervals.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import numpy as np

from gaitvision.events import Step
from gaitvision.measure.records import SideValue, StepRecord, StepTable
from gaitvision.measure.registry import MetricSpec, spec
from gaitvision.measure.step_values import ClipSignals, FloatArray, Reading, StepContext
from gaitvision.measure.summary import ClipSummary, MetricSummary

__all__ = [
    "BOOTSTRAP_SAMPLES",
    "DEFAULT_TIMING_ERROR_FRAMES",
    "Z95",
    "Conditions",
    "ErrorModel",
    "ErrorTerm",
    "confidence_from_interval",
    "fps_class",
    "foot_role",
    "load_error_model",
    "median_interval",
    "timing_sensitivity",
    "CADENCE_RESOLUTION_PCT",
    "apply_intervals",
    "cadence_interval",
    "asymmetry",
    "with_intervals",
]

Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 2000

#: Expected timing error (95th percentile |error|, frames) of an event by
#: view class and foot, used where the event detector does not give one per
#: event. From the exact-truth bench of the events work (19 grid clips, the
#: p95 over every contact, bench/accuracy.py, commit b8d3757): side near IC
#: 2 / TO 2, side far IC 3 / TO 4, rear and front IC 2 / TO 3. Rounded up.
DEFAULT_TIMING_ERROR_FRAMES: dict[tuple[str, str], tuple[float, float]] = {
    ("side", "near"): (2.0, 2.0),
    ("side", "far"): (3.0, 4.0),
    ("frontal", "both"): (2.0, 3.0),
}

#: Metrics whose value ends at the next contact (its timing error counts too).
_NEXT_CONTACT = {"step_time_s", "flight_time_s", "duty_factor_ratio", "duty_factor", "vertical_oscillation_pct_leg"}

MODEL_FILE = "error_model.json"

#: Cadence's clinical resolution: 1 % (the uncertainty issue; metrics.md's
#: cadence goal is 1 %; a +5-10 % change is the usual intervention, Heiderscheit
#: et al. 2011, so a 1 % interval resolves it).
CADENCE_RESOLUTION_PCT = 1.0


def fps_class(fps: float) -> str:
    """``30`` (< 45 fps), ``60`` (< 100 fps) or ``120`` (>= 100 fps): the error model's frame-rate classes."""
    if not math.isfinite(fps) or fps < 45:
        return "30"
    return "60" if fps < 100 else "120"


def foot_role(view: str, side: str, near_side: str | None) -> str:
    """``near`` or ``far`` in a side view, ``both`` in a rear or front view."""
    if not view.startswith("side"):
        return "both"
    return "near" if side == (near_side or "left") else "far"


@dataclass(frozen=True)
class Conditions:
    """The recording conditions the systematic error depends on."""

    view: str
    near_side: str | None
    fps: float
    yaw_deg: float = 0.0
    roll_deg: float = 0.0

    @property
    def view_class(self) -> str:
        """``side`` or ``frontal``."""
        return "side" if self.view.startswith("side") else "frontal"


@dataclass(frozen=True)
class ErrorTerm:
    """The calibrated error of one metric's per-side median in one group of conditions.

    Attributes
    ----------
    bias
        Stable bias of the median (measured - truth), removed; 0 where the
        bench shows none.
    sigma
        SD of the median's remaining systematic error (beyond the between-
        step and timing parts), at zero yaw and roll.
    step_sigma
        SD of a single step's error (bias removed, timing part excluded).
    yaw_slope, roll_slope
        Extra SD per degree of camera yaw / roll (added in quadrature).
    n
        Calibration cases (clip x side) behind the term.
    group
        The group it was fitted on (``metric|view|foot|fps`` with ``*``).
    """

    bias: float = 0.0
    sigma: float = 0.0
    step_sigma: float = 0.0
    yaw_slope: float = 0.0
    roll_slope: float = 0.0
    n: int = 0
    group: str = ""

    def systematic_sd(self, yaw_deg: float, roll_deg: float) -> float:
        """The systematic SD at this camera yaw and roll."""
        return math.hypot(self.sigma, self.yaw_slope * abs(yaw_deg), self.roll_slope * abs(roll_deg))


@dataclass(frozen=True)
class ErrorModel:
    """The bench-calibrated systematic error of every metric (``error_model.json``)."""

    version: str
    terms: Mapping[str, ErrorTerm]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    #: per view class (``side``, ``frontal``), the systematic share of the event timing error
    timing_share: Mapping[str, float] = field(default_factory=dict)

    def share(self, view_class: str) -> float:
        """The systematic share of the timing error in this view (1 when not calibrated)."""
        return float(self.timing_share.get(view_class, 1.0))

    @staticmethod
    def group_keys(metric: str, view_class: str, foot: str, fps: str) -> tuple[str, ...]:
        """The groups looked up for a case, most specific first."""
        return (f"{metric}|{view_class}|{foot}|{fps}", f"{metric}|{view_class}|{foot}|*",
                f"{metric}|{view_class}|*|*", f"{metric}|*|*|*")

    def term(self, metric: str, view_class: str, foot: str, fps: str) -> ErrorTerm | None:
        """The most specific calibrated term for a case, or None when the metric was never calibrated."""
        for k in self.group_keys(metric, view_class, foot, fps):
            if k in self.terms:
                return self.terms[k]
        return None

    def to_dict(self) -> dict[str, Any]:
        """As stored in ``error_model.json``."""
        return {"schema": "gaitvision.error_model/1", "version": self.version,
                "provenance": dict(self.provenance), "timing_share": dict(self.timing_share),
                "terms": {k: {f: getattr(t, f) for f in ("bias", "sigma", "step_sigma", "yaw_slope",
                                                         "roll_slope", "n", "group")}
                          for k, t in sorted(self.terms.items())}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ErrorModel:
        """From ``error_model.json``'s content.

        Raises
        ------
        ValueError
            If it is not an error model.
        """
        if d.get("schema") != "gaitvision.error_model/1":
            raise ValueError(f"not a gaitvision error model (schema {d.get('schema')!r})")
        terms = {k: ErrorTerm(**{**v, "group": v.get("group", k)}) for k, v in d.get("terms", {}).items()}
        return cls(str(d.get("version", "")), terms, dict(d.get("provenance", {})),
                   {k: float(v) for k, v in (d.get("timing_share") or {}).items()})


#: An empty model: every interval is its between-step and timing parts only
#: (the calibration bench measures with it, to fit the systematic part).
UNCALIBRATED = ErrorModel("uncalibrated", {})


@functools.lru_cache(maxsize=1)
def load_error_model() -> ErrorModel:
    """The error model shipped in the package (:data:`UNCALIBRATED` if it is missing); read once per process."""
    try:
        text = resources.files("gaitvision.measure").joinpath("data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return UNCALIBRATED
    return ErrorModel.from_dict(json.loads(text))


# -- event timing -----------------------------------------------------------


def _shift(step: Step, time_s: FloatArray, *, ic: int = 0, to: int = 0) -> Step:
    """``step`` with its IC and/or TO moved by whole frames (sub-frame times moved with them)."""
    n = len(time_s)
    changes: dict[str, Any] = {}
    if ic:
        f = int(np.clip(step.ic_frame + ic, 0, n - 1))
        dt = float(time_s[f] - time_s[step.ic_frame])
        changes.update(ic_frame=f, ic_time_s=step.ic_time_s + dt if math.isfinite(step.ic_time_s) else float("nan"))
    if to and step.to_frame >= 0:
        f = int(np.clip(step.to_frame + to, 0, n - 1))
        dt = float(time_s[f] - time_s[step.to_frame])
        changes.update(to_frame=f, to_time_s=step.to_time_s + dt if math.isfinite(step.to_time_s) else float("nan"))
    return replace(step, **changes)


def _half_range(read: Callable[[StepContext], Reading], signals: ClipSignals, steps: Sequence[Step], index: int,
                which: int, field_name: str, err: float) -> float:
    """Half the value's change when one event moves by ±err frames (linear between whole frames)."""
    if err <= 0:
        return 0.0
    d = max(1, math.ceil(err))
    got = []
    for sign in (-1, 1):
        moved = list(steps)
        moved[which] = _shift(steps[which], signals.time_s, **{field_name: sign * d})
        v = read(StepContext(signals, moved, index))[0]
        if v is None:
            continue
        got.append(v)
    base = read(StepContext(signals, steps, index))[0]
    if base is None or not got:
        return 0.0
    spread = max(abs(g - base) for g in got)
    return spread * err / d


def timing_sensitivity(read: Callable[[StepContext], Reading], signals: ClipSignals, steps: Sequence[Step],
                       index: int, *, key: str, ic_err: float, to_err: float, next_ic_err: float) -> float:
    """The 95 % half-width a step's value gets from its events' timing error.

    The value is re-read with the step's IC, its TO, and (for metrics that
    end at the next contact) the next step's IC each moved by its expected
    timing error; the three changes are independent and add in quadrature.
    """
    parts = [_half_range(read, signals, steps, index, index, "ic", ic_err),
             _half_range(read, signals, steps, index, index, "to", to_err)]
    if key in _NEXT_CONTACT and index + 1 < len(steps):
        parts.append(_half_range(read, signals, steps, index, index + 1, "ic", next_ic_err))
    return float(math.sqrt(sum(p * p for p in parts)))


def _event_errors(step: Step, record: StepRecord, conditions: Conditions) -> tuple[float, float]:
    """Expected IC and TO timing errors of a step (frames): the detector's own, else the defaults."""
    role = foot_role(conditions.view, step.side, conditions.near_side)
    ic_d, to_d = DEFAULT_TIMING_ERROR_FRAMES[(conditions.view_class, role)]
    ic = record.ic_error_frames if record.ic_error_frames is not None else ic_d
    to = record.to_error_frames if record.to_error_frames is not None else (
        step.to_error_frames if step.to_error_frames is not None and math.isfinite(step.to_error_frames) else to_d)
    return float(ic), float(to)


# -- medians ----------------------------------------------------------------


def _seed(key: str, side: str, values: FloatArray) -> int:
    h = hashlib.sha256(f"{key}|{side}|".encode() + np.round(values, 6).tobytes()).digest()
    return int.from_bytes(h[:8], "little")


def median_interval(values: Sequence[float] | FloatArray, *, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> float:
    """95 % half-width of the median from the between-step spread.

    The percentile bootstrap of the median, floored by the median's normal-
    theory standard error (1.2533 x robust SD / sqrt(n), times Student's t
    for n - 1 degrees of freedom), because with 3-7 steps the bootstrap
    distribution of a median has few distinct values and is too narrow.
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    meds = np.median(v[rng.integers(0, n, size=(samples, n))], axis=1)
    lo, hi = np.percentile(meds, [2.5, 97.5])
    boot = float(hi - lo) / 2
    from scipy.stats import t as student_t  # scipy is a dependency; imported here to keep import light

    mad_sd = 1.4826 * float(np.median(np.abs(v - np.median(v))))
    sd = max(mad_sd, float(np.std(v, ddof=1)) * 0.5)
    floor = float(student_t.ppf(0.975, n - 1)) * 1.2533 * sd / math.sqrt(n)
    return max(boot, floor)


def confidence_from_interval(m: MetricSpec, half_width: float) -> tuple[str, str | None]:
    """``high`` within the clinical resolution, ``low`` within twice it, else ``none`` with the reason."""
    if not math.isfinite(half_width):
        return "none", "no interval could be computed"
    if half_width <= m.resolution:
        return "high", None
    if half_width <= 2 * m.resolution:
        return "low", (f"interval ±{half_width:.{m.summary_decimals}f} is wider than the clinical "
                       f"resolution {m.resolution:g}")
    return "none", (f"not measurable from this recording: interval ±{half_width:.{m.summary_decimals}f} is "
                    f"more than twice the clinical resolution {m.resolution:g}")


_ORDER = {"high": 0, "low": 1, "none": 2}


@dataclass(frozen=True)
class _SideParts:
    between: float
    timing: float
    systematic: float
    bias: float
    term: ErrorTerm | None
    timing_per_step: float = 0.0

    @property
    def half_width(self) -> float:
        return math.sqrt(self.between ** 2 + self.timing ** 2 + self.systematic ** 2)


def _step_sensitivities(m: MetricSpec, signals: ClipSignals, steps: Sequence[Step], table: StepTable,
                        conditions: Conditions) -> dict[int, float]:
    """Per step number (used steps with a value), the timing half-width of metric ``m``."""
    out: dict[int, float] = {}
    for rec in table.steps:
        i = rec.step - 1
        if rec.value(m.key) is None or i >= len(steps):
            continue
        ic_err, to_err = _event_errors(steps[i], rec, conditions)
        nxt_err = ic_err
        if i + 1 < len(steps) and i + 1 < len(table.steps):
            nxt_err = _event_errors(steps[i + 1], table.steps[i + 1], conditions)[0]
        out[rec.step] = timing_sensitivity(m.read, signals, steps, i, key=m.key, ic_err=ic_err, to_err=to_err,
                                           next_ic_err=nxt_err)
    return out


def _side_parts(m: MetricSpec, side: str, values: FloatArray, sens: Sequence[float], model: ErrorModel,
                conditions: Conditions) -> _SideParts:
    term = model.term(m.key, conditions.view_class, foot_role(conditions.view, side, conditions.near_side),
                      fps_class(conditions.fps))
    between = median_interval(values, seed=_seed(m.key, side, values))
    share = model.share(conditions.view_class)
    timing = float(np.mean(sens)) * math.sqrt(share ** 2 + (1 - share ** 2) / len(sens)) if len(sens) else 0.0
    systematic = Z95 * term.systematic_sd(conditions.yaw_deg, conditions.roll_deg) if term else 0.0
    per_step = float(np.mean(sens)) if len(sens) else 0.0
    return _SideParts(between, timing, systematic, term.bias if term else 0.0, term, per_step)


def _rounded(m: MetricSpec, lo: float, hi: float) -> tuple[float, float]:
    return round(lo, m.summary_decimals), round(hi, m.summary_decimals)


def _with_side_interval(m: MetricSpec, sv: SideValue, parts: _SideParts, model: ErrorModel) -> SideValue:
    hw = parts.half_width
    centre = sv.median - parts.bias
    conf, why = confidence_from_interval(m, hw)
    if parts.term is None and model is not UNCALIBRATED:
        conf, why = "low", "no bench calibration of this metric in these conditions: interval without systematic part"
    if _ORDER[sv.confidence] > _ORDER[conf]:  # an earlier reason (far foot, few steps ...) caps it
        conf, why = sv.confidence, sv.confidence_reason or why
    d = m.summary_decimals
    unc = {"between_steps": round(parts.between, d), "event_timing": round(parts.timing, d),
           "systematic": round(parts.systematic, d), "bias_removed": round(parts.bias, d),
           "half_width": round(hw, d), "event_timing_per_step": round(parts.timing_per_step, d)}
    return sv.replace(ci95=_rounded(m, centre - hw, centre + hw), confidence=conf, confidence_reason=why,
                      uncertainty=unc)


def _step_intervals(m: MetricSpec, table: StepTable, sens: Mapping[int, float], model: ErrorModel,
                    conditions: Conditions) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for rec in table.steps:
        v = rec.value(m.key)
        if v is None or rec.step not in sens:
            continue
        term = model.term(m.key, conditions.view_class, foot_role(conditions.view, rec.side, conditions.near_side),
                          fps_class(conditions.fps))
        step_sd = (math.hypot(term.step_sigma, term.yaw_slope * abs(conditions.yaw_deg),
                              term.roll_slope * abs(conditions.roll_deg)) if term else 0.0)
        hw = math.sqrt(sens[rec.step] ** 2 + (Z95 * step_sd) ** 2)
        centre = v - (term.bias if term else 0.0)
        out[rec.step] = _rounded(m, centre - hw, centre + hw)
    return out


def with_intervals(table: StepTable, metrics: Mapping[str, Any], steps: Sequence[Step], signals: ClipSignals,
                   conditions: Conditions, model: ErrorModel | None = None
                   ) -> tuple[StepTable, dict[str, Any], dict[str, dict[str, _SideParts]]]:
    """Add 95 % intervals to every step value and per-side median, and confidence from them.

    Parameters
    ----------
    table
        The measured step table (corrections and checks applied).
    metrics
        ``{key: MetricSummary}`` of the clip summary.
    steps
        The events the table was measured from, in the table's order.
    signals
        The per-frame signals the values were read from.
    conditions
        View, near foot, frame rate, camera yaw and roll.
    model
        The calibrated error model (default: the package's).

    Returns
    -------
    The table with per-step ``ci95``, the metrics with per-side ``ci95``,
    and per metric and side the interval's parts (for the asymmetry).
    """
    model = load_error_model() if model is None else model
    step_ci: dict[int, dict[str, tuple[float, float]]] = {r.step: {} for r in table.steps}
    new_metrics: dict[str, Any] = {}
    parts_out: dict[str, dict[str, _SideParts]] = {}
    for key, ms in metrics.items():
        m = spec(key)
        sens = _step_sensitivities(m, signals, steps, table, conditions)
        for step_no, ci in _step_intervals(m, table, sens, model, conditions).items():
            step_ci[step_no][key] = ci
        sides: dict[str, SideValue] = {}
        parts_out[key] = {}
        for side, sv in ms.sides.items():
            used = [r for r in table.of_side(side) if r.value(key) is not None and r.step in sens]
            vals = np.asarray([r.value(key) for r in used], dtype=np.float64)
            parts = _side_parts(m, side, vals, [sens[r.step] for r in used], model, conditions)
            parts_out[key][side] = parts
            sides[side] = _with_side_interval(m, sv, parts, model)
        new_metrics[key] = replace(ms, sides=sides)
    table = table.replace(steps=tuple(r.replace(ci95=step_ci[r.step]) for r in table.steps))
    return table, new_metrics, parts_out


def asymmetry(m: MetricSpec, left: SideValue, right: SideValue, parts_l: _SideParts, parts_r: _SideParts, *,
              conditions: Conditions) -> dict[str, Any]:
    """The left/right difference with its interval, and the asymmetry only where the interval supports one.

    The difference's half-width is the two sides' half-widths in quadrature
    (conservative: a systematic error shared by both legs would cancel).
    ``asymmetry_pct`` is reported only when that half-width is within the
    metric's clinical resolution (the difference a PT would act on can be
    resolved) and the interval excludes zero; in a side view, where one foot
    is the far foot, the advice is to film the other side instead.
    """
    d = m.summary_decimals
    a, b = left.median - parts_l.bias, right.median - parts_r.bias
    diff, hw = a - b, math.hypot(parts_l.half_width, parts_r.half_width)
    out: dict[str, Any] = {"lr_difference": round(diff, d), "lr_difference_ci95": [round(diff - hw, d),
                                                                                  round(diff + hw, d)]}
    if not m.asymmetry:
        return {}
    if conditions.view_class == "side":
        out["asymmetry_note"] = ("one foot is the far foot in this side view: film the other side to compare "
                                 "left and right")
        return out
    if hw > m.resolution:
        out["asymmetry_note"] = (f"the left/right difference is not measurable from this recording "
                                 f"(±{hw:.{d}f}, more than the clinical resolution {m.resolution:g})")
        return out
    if diff - hw <= 0 <= diff + hw:
        out["asymmetry_note"] = "no left/right difference beyond the measurement error"
        return out
    den = max(abs(a), abs(b))
    if den <= 0:
        return out
    lo, hi = sorted((abs(diff - hw), abs(diff + hw)))
    out["asymmetry_pct"] = round(100 * abs(diff) / den, 1)
    out["asymmetry_ci95"] = [round(100 * lo / den, 1), round(100 * hi / den, 1)]
    return out


def _period_se(ic_times_s: Sequence[float], period_s: float) -> float | None:
    """Standard error of one foot's stride period (the slope of contact time on stride number)."""
    t = np.sort(np.asarray([x for x in ic_times_s if math.isfinite(x)], dtype=np.float64))
    if t.size < 4 or not period_s > 0:
        return None
    k = np.round((t - t[0]) / period_s)
    if np.unique(k).size < 4:
        return None
    slope, icpt = np.polyfit(k, t, 1)
    resid = t - (slope * k + icpt)
    s2 = float(np.sum(resid ** 2)) / (t.size - 2)
    return math.sqrt(s2 / float(np.sum((k - k.mean()) ** 2)))


def cadence_interval(table: StepTable, cadence_spm: float | None, model: ErrorModel | None = None,
                     conditions: Conditions | None = None) -> tuple[tuple[float, float] | None, str | None]:
    """The cadence's 95 % interval and confidence (1 % resolution: high within it, low within 2 %).

    From each foot's contact times: the standard error of the fitted stride
    period (per-contact timing noise is in the residuals; a constant timing
    bias does not change a period), the feet averaged, through 120 / period;
    plus the bench's systematic cadence term where calibrated.
    """
    if cadence_spm is None or not math.isfinite(cadence_spm) or cadence_spm <= 0:
        return None, None
    period = 120.0 / cadence_spm
    ses = [se for side in ("left", "right")
           if (se := _period_se([r.ic_time_s for r in table.of_side(side)], period)) is not None]
    if not ses:
        return None, "none"
    se_p = math.sqrt(sum(x * x for x in ses)) / len(ses)
    hw = Z95 * cadence_spm * se_p / period
    model = load_error_model() if model is None else model
    if conditions is not None:
        term = model.term("cadence_spm", conditions.view_class, "both", fps_class(conditions.fps))
        if term is not None:
            hw = math.hypot(hw, Z95 * term.sigma)
    pct = 100 * hw / cadence_spm
    conf = "high" if pct <= CADENCE_RESOLUTION_PCT else ("low" if pct <= 2 * CADENCE_RESOLUTION_PCT else "none")
    return (round(cadence_spm - hw, 1), round(cadence_spm + hw, 1)), conf


def apply_intervals(table: StepTable, summary: ClipSummary, steps: Sequence[Step], signals: ClipSignals,
                    conditions: Conditions, model: ErrorModel | None = None) -> tuple[StepTable, ClipSummary]:
    """The table and summary with intervals, confidence from them, and the asymmetry they support.

    A side whose confidence comes out ``none`` stays in the summary (with its
    interval and reason) and is listed in the metric's ``not_measurable``.
    """
    model = load_error_model() if model is None else model
    table, metrics, parts = with_intervals(table, summary.metrics, steps, signals, conditions, model)
    out: dict[str, MetricSummary] = {}
    for key, ms in metrics.items():
        m = spec(key)
        detail: dict[str, Any] = {}
        if "left" in ms.sides and "right" in ms.sides:
            detail = asymmetry(m, ms.sides["left"], ms.sides["right"], parts[key]["left"], parts[key]["right"],
                               conditions=conditions)
        nm = dict(ms.not_measurable)
        nm.update({side: sv.confidence_reason or "interval too wide" for side, sv in ms.sides.items()
                   if sv.confidence == "none"})
        out[key] = replace(ms, asymmetry_pct=detail.get("asymmetry_pct"), asymmetry_detail=detail,
                           not_measurable=nm)
    cad_ci, cad_conf = cadence_interval(table, summary.cadence_spm, model, conditions)
    return table, summary.replace(metrics=out, cadence_ci95=cad_ci, cadence_confidence=cad_conf)
