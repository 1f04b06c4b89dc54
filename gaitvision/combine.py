"""One visit, two views: sagittal metrics from the side clip, frontal from the rear clip.

:func:`combine_views` is a pure function over two ``summary.json`` documents
(or :meth:`gaitvision.measurement.Measurement.summary_dict` outputs): it
takes each metric from the view that measures it (a side clip's sagittal and
temporal metrics, a rear or front clip's frontal ones), and cross-checks the
rhythm both clips measure, cadence and step time. Two values disagree when
their 95 % intervals (``ci95``) do not overlap; without intervals on both
sides the check falls back to a plain relative tolerance
(:data:`NO_INTERVAL_TOLERANCE`) and says so. It computes no interval itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NO_INTERVAL_TOLERANCE", "combine_views", "cross_check"]

#: Relative difference above which two values without intervals are flagged (5 %).
NO_INTERVAL_TOLERANCE = 0.05

_SIDES = ("left", "right")


def _is_side(summary: Mapping[str, Any]) -> bool:
    return str(summary.get("view", "")).startswith("side")


def _interval(v: Any) -> tuple[float, float] | None:
    if isinstance(v, Sequence) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
        lo, hi = float(v[0]), float(v[1])
        return (lo, hi) if lo <= hi else (hi, lo)
    return None


def cross_check(name: str, a: float | None, a_ci: Any, b: float | None, b_ci: Any, *,
                labels: tuple[str, str] = ("side", "rear")) -> dict[str, Any]:
    """Whether two measurements of one quantity agree.

    Returns a dict with both values and intervals, ``basis`` (``intervals``,
    ``tolerance`` or ``missing``), ``agree`` (True, False or None when one
    value is missing) and ``warning`` (a sentence when they disagree).
    """
    ia, ib = _interval(a_ci), _interval(b_ci)
    out: dict[str, Any] = {"name": name, labels[0]: a, labels[1]: b, f"{labels[0]}_ci95": ia,
                           f"{labels[1]}_ci95": ib, "agree": None, "basis": "missing", "warning": None}
    if a is None or b is None:
        return out
    if ia is not None and ib is not None:
        out["basis"] = "intervals"
        out["agree"] = ia[0] <= ib[1] and ib[0] <= ia[1]
    else:
        out["basis"] = "tolerance"
        ref = max(abs(a), abs(b))
        out["agree"] = ref == 0 or abs(a - b) / ref <= NO_INTERVAL_TOLERANCE
    if not out["agree"]:
        how = ("their 95 % intervals do not overlap" if out["basis"] == "intervals"
               else f"they differ by more than {NO_INTERVAL_TOLERANCE:.0%} (no intervals to compare)")
        out["warning"] = (f"The {labels[0]} and {labels[1]} clips disagree on {name}: {a:g} vs {b:g}; {how}. "
                          "Were both clips filmed during the same steady run at the same speed?")
    return out


def _side_entry(summary: Mapping[str, Any], key: str, side: str) -> tuple[float | None, Any]:
    entry = (summary.get("metrics") or {}).get(key) or {}
    s = entry.get(side) if isinstance(entry, Mapping) else None
    if isinstance(s, Mapping) and isinstance(s.get("median"), (int, float)):
        return float(s["median"]), s.get("ci95")
    return None, None


def _pick_metrics(side: Mapping[str, Any], rear: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every metric from the clip that measures it: sagittal and temporal from the side, frontal from the rear."""
    out: dict[str, dict[str, Any]] = {}
    for key, entry in (side.get("metrics") or {}).items():
        if isinstance(entry, Mapping) and entry.get("view") != "frontal":
            out[key] = {**entry, "from": "side"}
    for key, entry in (rear.get("metrics") or {}).items():
        if isinstance(entry, Mapping) and entry.get("view") == "frontal":
            out[key] = {**entry, "from": "rear"}
    return out


def combine_views(side: Mapping[str, Any], rear: Mapping[str, Any]) -> dict[str, Any]:
    """The two clips of one visit as one result.

    Parameters
    ----------
    side, rear
        ``summary.json`` documents of a side-view clip and a rear- or
        front-view clip (in either order: each is placed by its ``view``).

    Returns
    -------
    dict
        ``views`` (the two clips' views), ``cadence_spm`` (the side clip's),
        ``metrics`` (each entry marked ``from``: ``side`` or ``rear``),
        ``checks`` (cadence and each side's step time, see :func:`cross_check`),
        ``not_measurable`` (what neither clip measured) and ``warnings``
        (the disagreements, then each clip's own warnings, prefixed).

    Raises
    ------
    ValueError
        If the two are not one side view and one rear/front view.
    """
    if _is_side(side) == _is_side(rear):
        if _is_side(side):
            raise ValueError("Both clips are side views; a combined result needs one side and one rear clip.")
        raise ValueError("Neither clip is a side view; a combined result needs one side and one rear clip.")
    if not _is_side(side):
        side, rear = rear, side
    checks = [cross_check("cadence (steps/min)", side.get("cadence_spm"), _cadence_ci(side),
                          rear.get("cadence_spm"), _cadence_ci(rear))]
    for s in _SIDES:
        a, a_ci = _side_entry(side, "step_time_s", s)
        b, b_ci = _side_entry(rear, "step_time_s", s)
        checks.append(cross_check(f"the {s} step time (s)", a, a_ci, b, b_ci))
    metrics = _pick_metrics(side, rear)
    missing = {**dict(side.get("not_measurable") or {}), **dict(rear.get("not_measurable") or {})}
    warnings = [c["warning"] for c in checks if c["warning"]]
    warnings += [f"side clip: {w}" for w in side.get("warnings") or []]
    warnings += [f"rear clip: {w}" for w in rear.get("warnings") or []]
    return {
        "views": {"side": side.get("view"), "rear": rear.get("view")},
        "cadence_spm": side.get("cadence_spm") if side.get("cadence_spm") is not None else rear.get("cadence_spm"),
        "metrics": metrics,
        "checks": checks,
        "not_measurable": {k: v for k, v in missing.items() if k not in metrics},
        "warnings": warnings,
    }


def _cadence_ci(summary: Mapping[str, Any]) -> Any:
    """A summary's cadence interval (``summary.json`` ``cadence.ci95``), or None."""
    cad = summary.get("cadence")
    return cad.get("ci95") if isinstance(cad, Mapping) else None
