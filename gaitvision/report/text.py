"""Plain-language names, findings and measurement-error limits for the report.

Everything here is keyed by the metric keys of ``summary.json``. The
report never lists the metrics itself: it walks ``summary["metrics"]``
and uses this table only for friendlier words; an unknown key falls back
to a name derived from the key (:func:`metric_info`).

Numbers and sources come from ``../shared/design/metrics.md``; only values
marked [VERIFIED] there are used to judge a finding or a change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

from gaitvision.measure.registry import METRICS, DetectableChange

__all__ = [
    "CADENCE_CHANGE",
    "Finding",
    "MetricInfo",
    "SDD",
    "Sdd",
    "findings",
    "format_value",
    "no_finding_text",
    "metric_info",
    "unit_of",
]


@dataclass(frozen=True)
class MetricInfo:
    """How the report talks about one metric."""

    name: str  # short label for tables and plots
    plain: str  # one sentence a patient understands
    unit: str  # "deg", "s", "spm", "pct_leg", "pct_hip", "ratio", ""
    decimals: int = 1


#: The per-step metrics' names come from the registry; cadence and the
#: strike pattern are clip-level and named here.
_INFO: dict[str, MetricInfo] = {
    "cadence_spm": MetricInfo("Cadence", "How many steps you take each minute.", "spm", 1),
    "foot_strike_pattern": MetricInfo("Landing pattern", "Which part of the foot touches the belt first.", ""),
    **{m.key: MetricInfo(m.label, m.plain, m.report_unit, m.decimals) for m in METRICS},
}

_SUFFIX_UNITS = (
    ("_deg", "deg"), ("_spm", "spm"), ("_pct_leg", "pct_leg"), ("_pct_hip", "pct_hip"),
    ("_s", "s"),
)


def unit_of(key: str, declared: str | None = None) -> str:
    """The unit of a metric key: the declared one, else from the key's suffix."""
    if key in _INFO and _INFO[key].unit:
        return _INFO[key].unit
    if declared:
        return declared
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return ""


def metric_info(key: str, declared_unit: str | None = None) -> MetricInfo:
    """Names for ``key``; unknown keys get a readable name from the key itself."""
    if key in _INFO:
        return _INFO[key]
    unit = unit_of(key, declared_unit)
    stem = key
    for suffix, _ in _SUFFIX_UNITS:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    name = stem.replace("_", " ").strip().capitalize() or key
    return MetricInfo(name, "", unit, 3 if unit == "s" else 1)


_UNIT_TEXT = {"deg": "°", "s": " s", "spm": " steps/min", "pct_leg": "% of leg length",
              "pct_hip": "% of hip width", "ratio": "", "": ""}


def format_value(value: float | None, key: str, *, unit: str | None = None, signed: bool = False,
                 with_unit: bool = True) -> str:
    """A value with its unit, e.g. ``12.7°``, ``0.250 s``; ``–`` for missing."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    info = metric_info(key, unit)
    u = unit or info.unit
    text = f"{value:+.{info.decimals}f}" if signed else f"{value:.{info.decimals}f}"
    return text + (_UNIT_TEXT.get(u, f" {u}") if with_unit else "")


# ---------------------------------------------------------------------------
# Findings: what the summary at the top of the report says, worst first.
# ---------------------------------------------------------------------------

class _CadenceChange(TypedDict):
    """A cadence change as percentages of the runner's own cadence, with its source."""

    low_pct: float
    high_pct: float
    source: str


#: Cadence change that reduces knee load, relative to the runner's own
#: baseline at the same speed (metrics.md §2.4).
CADENCE_CHANGE: _CadenceChange = {
    "low_pct": 5, "high_pct": 10,
    "source": "Heiderscheit et al. 2011, Med Sci Sports Exerc 43(2):296-302",
}

_CADENCE_HELP = (
    "Taking slightly quicker, shorter steps: {target} at the same treadmill speed "
    "(+5–10% from your own cadence, not a universal number; Heiderscheit et al. 2011)."
)


@dataclass(frozen=True)
class Finding:
    """One plain-language finding for the top of the report."""

    key: str
    side: str  # "left", "right" or "both"
    score: float  # larger = more worth talking about; used only to order
    headline: str
    detail: str
    reference: str
    source: str
    helps: list[str] = field(default_factory=list)
    low_confidence: bool = False


def cadence_target(cadence_spm: float | None) -> str | None:
    """``"177–186 steps/min"`` for +5–10%, or None without a cadence."""
    if cadence_spm is None or not math.isfinite(cadence_spm) or cadence_spm <= 0:
        return None
    lo = cadence_spm * (1 + CADENCE_CHANGE["low_pct"] / 100)
    hi = cadence_spm * (1 + CADENCE_CHANGE["high_pct"] / 100)
    return f"{lo:.0f}–{hi:.0f} steps/min"


def _sides(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: entry[s] for s in ("left", "right")
            if isinstance(entry.get(s), dict) and isinstance(entry[s].get("median"), (int, float))}


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _trunk_badness(m: float) -> float:
    if m < 3.7:
        return (3.7 - m) / 3.6
    if m > 10.9:
        return (m - 10.9) / 3.6
    return 0.0


#: Per metric with a finding rule, how far a value is from its comparison
#: value (> 0: the finding's statement is true of that value). The findings
#: use them on the whole 95 % interval (:func:`_worst`); the tests use them on
#: the truth to check that every statement made is true.
BADNESS: dict[str, Callable[[float], float]] = {
    "knee_fppa_peak_deg": lambda m: (m - 8.4) / 5.1 + 1 if m > 8.4 else 0.0,
    "pelvic_drop_peak_deg": lambda m: 1 + (m - 5.0) / 2.0 if m >= 5.0 else 0.0,
    "foot_strike_angle_deg": lambda m: 0.3 + max(0.0, (m - 15.0) / 10.0) if m > 7.4 else 0.0,
    "knee_flexion_ic_deg": lambda m: (20.9 - m) / 5.0 if m < 15.9 else 0.0,
    "knee_flexion_peak_stance_deg": lambda m: (40.0 - m) / 5.0 if m < 40.0 else 0.0,
    "step_width_pct_hip": lambda m: 1 + abs(m) / 20.0 if m < 0 else 0.0,
    "trunk_lean_deg": _trunk_badness,
}


def _interval(s: dict[str, Any]) -> tuple[float, float, float]:
    """A side's (low, centre, high): its 95 % interval (bias removed), or the bare median without one."""
    ci = s.get("ci95")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci):
        lo, hi = float(ci[0]), float(ci[1])
        return lo, (lo + hi) / 2, hi
    m = float(s["median"])
    return m, m, m


def _supported(badness: Callable[[float], float], lo: float, hi: float) -> float:
    """The least badness over the interval [lo, hi]: > 0 only if every value in it makes the point."""
    return min(badness(float(x)) for x in np.linspace(lo, hi, 41))


def _worst(entry: dict[str, Any], badness: Callable[[float], float]) -> tuple[str, float, float] | None:
    """The side that makes the point most surely: (side, value, score).

    The uncertainty issue, item 4: a finding uses a side only when it is
    measured with ``high`` confidence and its whole 95 % interval supports
    the statement (e.g. "knee nearly straight" only if the interval's upper
    end is below the threshold). The score is the least badness over the
    interval, and the value quoted is the interval's centre (the median with
    the bench's stable bias removed). A low-confidence side never makes a
    finding; it stays in the tables with its interval.
    """
    scored = []
    for side, s in _sides(entry).items():
        if s.get("confidence", "high") != "high":
            continue
        lo, centre, hi = _interval(s)
        score = _supported(badness, lo, hi)
        if score > 0:
            scored.append((score, side, centre))
    if not scored:
        return None
    score, side, centre = max(scored)
    return side, centre, score


def _other_side_text(entry: dict[str, Any], side: str, key: str) -> str:
    o = _sides(entry).get(_other(side))
    if not o:
        return ""
    return f" (your {_other(side)} side: {o['median']:.0f}{'°' if unit_of(key) == 'deg' else ''})"


def _ref(entry: dict[str, Any]) -> tuple[str, str]:
    ref = entry.get("reference") or {}
    return str(ref.get("text", "")), str(ref.get("source", ""))


def _low(entry: dict[str, Any], side: str) -> bool:
    return _sides(entry).get(side, {}).get("confidence") == "low"


def _fppa(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # Healthy controls averaged 8.4 +/- 5.1 deg in a single-leg squat
    # (metrics.md §2.1); no running norm exists, so only values above that
    # mean are raised, scored in SDs above it.
    w = _worst(entry, BADNESS["knee_fppa_peak_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "knee_fppa_peak_deg", side, score,
        f"Your {side} knee moves inward (“knee collapse”) by about {m:.0f}° while that foot "
        "is on the ground" + _other_side_text(entry, side, "knee_fppa_peak_deg") + ".",
        "This usually comes from the hip: the thigh turning and moving inward. It is a 2D "
        "picture of the movement, not a measurement inside the knee.",
        text or "No established norm for running; in a single-leg squat, healthy controls "
        "averaged 8.4° and people with kneecap pain 16.8°.",
        source,
        ["Hip and glute strengthening, as your PT prescribes.",
         "A form cue such as “keep the knee over the middle of the foot”.",
         *cad_help,
         "Build running load gradually while you change it."],
        _low(entry, side),
    )


def _pelvic_drop(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # The only threshold in metrics.md ("< 5 deg") is a clinic blog [WEAK];
    # it is used to decide whether to raise the point, never quoted as a norm.
    w = _worst(entry, BADNESS["pelvic_drop_peak_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "pelvic_drop_peak_deg", side, score,
        f"When you stand on your {side} leg, your {_other(side)} hip drops by about {m:.0f}°"
        + _other_side_text(entry, side, "pelvic_drop_peak_deg") + ".",
        "A dropping hip is a common sign that the hip muscles of the standing leg (the "
        "glutes) are not holding the pelvis level.",
        text, source,
        ["Hip and glute strengthening (on its own not yet shown to change running form).",
         *( [cad_help[0] + " In one study +10% reduced hip drop by about 3° (Bramah et al. "
             "2019)."] if cad_help else []),
         "Build running load gradually while you change it."],
        _low(entry, side),
    )


def _strike(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # Rearfoot above 7.4 deg (Mo et al. 2021); heel striking is the norm
    # (71-94% of recreational runners), so the point is raised only gently
    # and grows with the angle.
    w = _worst(entry, BADNESS["foot_strike_angle_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "foot_strike_angle_deg", side, score,
        f"You land heel first: your {side} foot meets the belt with the toes up by about "
        f"{m:.0f}°" + _other_side_text(entry, side, "foot_strike_angle_deg") + ".",
        "Most recreational runners land on the heel; it is not a problem by itself. It matters "
        "more when the foot also lands far ahead of the body (overstriding).",
        text, source,
        [*cad_help, "A form cue such as “land with the foot closer under the body”.",
         "Change gradually: a new landing loads the calf and Achilles more."],
        _low(entry, side),
    )


def _knee_ic(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # About 20.9 deg at foot strike in 3D level running [WEAK]; injured
    # runners landed with a more extended knee (Bramah 2018). Raised when
    # more than 5 deg straighter than that, scored in 5-deg units.
    w = _worst(entry, BADNESS["knee_flexion_ic_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "knee_flexion_ic_deg", side, score,
        f"Your {side} knee is nearly straight when the foot lands (bent about {m:.0f}°)"
        + _other_side_text(entry, side, "knee_flexion_ic_deg") + ".",
        "A straighter knee at landing absorbs less of the impact and often goes with reaching "
        "forward with the foot.",
        text, source,
        [*cad_help, "A form cue such as “land with a soft, slightly bent knee”.",
         "Build running load gradually while you change it."],
        _low(entry, side),
    )


def _knee_peak(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # Souza 2016: "considerably less than 45 deg" may mean less shock
    # absorption; < 40 deg possibly linked to PFP subgroups (narrative).
    w = _worst(entry, BADNESS["knee_flexion_peak_stance_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "knee_flexion_peak_stance_deg", side, score,
        f"Your {side} knee bends only about {m:.0f}° while the foot is on the ground"
        + _other_side_text(entry, side, "knee_flexion_peak_stance_deg") + ".",
        "Less knee bend can mean less cushioning of each landing.",
        text, source or "Souza 2016, Phys Med Rehabil Clin N Am 27(1):217-236",
        ["Strength work for the thigh and hip muscles, as your PT prescribes.",
         "Build running load gradually."],
        _low(entry, side),
    )


def _trunk(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # Self-selected 7.3 +/- 3.6 deg at 3.4 m/s (Teng & Powers 2014); more
    # upright raised kneecap-joint stress, more lean was seen in injured
    # runners (Bramah 2018), so both directions are raised.
    w = _worst(entry, BADNESS["trunk_lean_deg"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    upright = m < 3.7
    return Finding(
        "trunk_lean_deg", side, score,
        f"Your upper body is {'very upright' if upright else 'leaning well forward'} "
        f"(about {m:.0f}° of forward lean).",
        "Runners in a study leaned about 7° forward by choice; running very upright puts more "
        "load on the kneecap joint, leaning far forward more on the hips and back."
        if upright else "Runners in a study leaned about 7° forward by choice; more lean was "
        "seen in injured runners.",
        text or "Self-selected forward lean 7.3 ± 3.6° at 3.4 m/s.",
        source or "Teng & Powers 2014, JOSPT",
        ["A form cue: a slight lean forward from the ankles." if upright else
         "A form cue: run tall, with a slight lean from the ankles.",
         "Build running load gradually while you change it."],
        _low(entry, side),
    )


def _step_width(entry: dict[str, Any], cad_help: list[str]) -> Finding | None:
    # Negative = crossover; narrower steps raised iliotibial band strain
    # (Meardon et al. 2012). No numeric threshold exists.
    w = _worst(entry, BADNESS["step_width_pct_hip"])
    if not w or w[2] <= 0:
        return None
    side, m, score = w
    text, source = _ref(entry)
    return Finding(
        "step_width_pct_hip", side, score,
        f"Your {side} foot lands across the midline of your body (crossover, "
        f"{format_value(m, 'step_width_pct_hip')}).",
        "Very narrow steps raised the strain on the band of tissue on the outside of the thigh "
        "(iliotibial band) in a laboratory study.",
        text, source or "Meardon, Campbell & Derrick 2012, Sports Biomech 11(4):464-472",
        ["A form cue such as “run with the feet on two lines, not one”.",
         "Hip and glute strengthening, as your PT prescribes.", *cad_help],
        _low(entry, side),
    )


_RULES: dict[str, Callable[[dict[str, Any], list[str]], Finding | None]] = {
    "knee_fppa_peak_deg": _fppa,
    "pelvic_drop_peak_deg": _pelvic_drop,
    "foot_strike_angle_deg": _strike,
    "knee_flexion_ic_deg": _knee_ic,
    "knee_flexion_peak_stance_deg": _knee_peak,
    "trunk_lean_deg": _trunk,
    "step_width_pct_hip": _step_width,
}


def _not_measurable_share(summary: Mapping[str, Any]) -> float:
    """The share of the per-side values of ``summary`` whose interval is too wide to state anything."""
    conf = [sv.get("confidence") for entry in (summary.get("metrics") or {}).values() if isinstance(entry, Mapping)
            for sv in (entry.get("left"), entry.get("right")) if isinstance(sv, Mapping) and "confidence" in sv]
    return sum(c == "none" for c in conf) / len(conf) if conf else 0.0


def no_finding_text(summary: Mapping[str, Any]) -> str:
    """What the report, the app's review page and the handout say when :func:`findings` finds nothing.

    No finding because most values' intervals are too wide (confidence
    ``none``) is not the same as no finding because all is well: the text
    says which.
    """
    if _not_measurable_share(summary) > 0.5:
        return ("No finding: most values could not be measured precisely enough from this recording to say "
                "anything about them (their 95 % intervals, in the table, are wider than a difference that would "
                "change what your PT advises).")
    return "Nothing in what this view can measure stands out against the published comparison values."


def findings(summary: dict[str, Any], *, limit: int = 3) -> list[Finding]:
    """Up to ``limit`` findings from ``summary["metrics"]``, worst first.

    Only metrics with a sourced comparison value have a rule; others (and
    unknown keys) appear in the tables but never as a finding. A finding is
    made only from a side measured with high confidence whose whole 95 %
    interval supports the statement (:func:`_worst`); a low-confidence value
    (e.g. the far foot in a side view) is never a finding.
    """
    target = cadence_target(summary.get("cadence_spm"))
    cad_help = [_CADENCE_HELP.format(target=target)] if target else []
    out = []
    for key, entry in (summary.get("metrics") or {}).items():
        rule = _RULES.get(key)
        if rule is None or not isinstance(entry, dict):
            continue
        f = rule(entry, cad_help)
        if f is not None:
            out.append(f)
    out.sort(key=lambda f: (f.low_confidence, -f.score))
    return out[:limit]


# ---------------------------------------------------------------------------
# Smallest detectable change, for the session comparison (metrics.md).
# ---------------------------------------------------------------------------


#: The smallest detectable change per metric (registry ``sdd``), for the session comparison.
Sdd = DetectableChange
SDD: dict[str, Sdd] = {m.key: m.sdd for m in METRICS if m.sdd is not None}


# ---------------------------------------------------------------------------
# The short table ``gaitvision analyze`` prints at the end.
# ---------------------------------------------------------------------------


def _table_cell(entry: dict[str, Any], side: str) -> str:
    s = entry.get(side)
    if not isinstance(s, dict) or "median" not in s:
        return "-"
    fmt = ".3f" if entry.get("unit") in ("s", "fraction of stride") else ".1f"
    ci = s.get("ci95")
    rng = f" [{ci[0]:{fmt}}, {ci[1]:{fmt}}]" if isinstance(ci, list) and len(ci) == 2 else ""
    conf = s.get("confidence")
    tag = {"low": ", low", "none": ", not measurable"}.get(str(conf), "")
    return f"{s['median']:{fmt}}{rng} (n={s.get('n')}{tag})"


def result_lines(summary: dict[str, Any], out_dir: str) -> list[str]:
    """The result table printed by ``gaitvision analyze``: each side's median, its 95 % interval, n."""
    cad = summary.get("cadence_spm")
    cad_ci = (summary.get("cadence") or {}).get("ci95")
    cad_text = (f"{cad:.1f} steps/min" + (f" [{cad_ci[0]:.1f}, {cad_ci[1]:.1f}]" if isinstance(cad_ci, list) else "")
                if cad else "not measurable")
    used = summary.get("steps_used") or {}
    lines = [
        f"view: {summary.get('view')}   steps used: left {used.get('left')}, right {used.get('right')}   "
        f"cadence: {cad_text}",
        f"{'metric (median [95 % interval])':34s} {'left':>30s} {'right':>30s}",
    ]
    for key, m in (summary.get("metrics") or {}).items():
        if not isinstance(m, dict):
            continue
        if key == "foot_strike_pattern":
            cells = [str((m.get(s) or {}).get("pattern", "-")) for s in ("left", "right")]
        else:
            cells = [_table_cell(m, s) for s in ("left", "right")]
        lines.append(f"{key:34s} {cells[0]:>30s} {cells[1]:>30s}")
    by_reason: dict[str, list[str]] = {}
    for key, why in (summary.get("not_measurable") or {}).items():
        by_reason.setdefault(str(why), []).append(str(key))
    lines += [f"not measurable ({why}): {', '.join(keys)}" for why, keys in by_reason.items()]
    lines += [f"note: {w}" for w in summary.get("warnings") or []]
    lines.append(f"outputs: {out_dir}")
    return lines
