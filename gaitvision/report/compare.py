"""Session comparison: two analyses of the same patient, side by side.

``gaitvision compare OUT_A OUT_B --out DIR`` writes ``DIR/compare.html``
(self-contained like the report) and ``DIR/compare.json`` (the same
numbers for scripts). A change counts as real only when its own 95 %
interval (both sessions' intervals combined) excludes zero *and* it is
larger than the metric's smallest detectable change (SDD) from metrics.md
where one is published; smaller ones are "within measurement error".
Summaries written before intervals existed are judged by the SDD alone,
and metrics with neither are shown with their change but not judged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from gaitvision.errors import OutputError
from gaitvision.io._atomic import write_json, write_text
from gaitvision.report.data import AnalysisFolder, load_folder
from gaitvision.report.html import CSP, CSS, data_uri, esc
from gaitvision.report.overlay import video_href
from gaitvision.report.text import SDD, format_value, metric_info, unit_of

if TYPE_CHECKING:
    from cv2.typing import MatLike

__all__ = ["compare_summaries", "write_comparison"]

REAL = "real change"
WITHIN = "within measurement error"
UNJUDGED = "no published smallest detectable change"


def _median(entry: Mapping[str, Any], side: str) -> tuple[float | None, str | None]:
    s = entry.get(side)
    if isinstance(s, Mapping) and isinstance(s.get("median"), (int, float)):
        return float(s["median"]), str(s.get("confidence", ""))
    return None, None


def _half_width(s: Any) -> float | None:
    """Half the width of a value's 95 % interval (``ci95``), or None without one."""
    ci = s.get("ci95") if isinstance(s, Mapping) else None
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci):
        return (float(ci[1]) - float(ci[0])) / 2
    return None


def _verdict(d: float, hw_a: float | None, hw_b: float | None, sdd: float | None) -> tuple[str, list[float] | None]:
    """The change's verdict, and its 95 % interval where both sessions have one."""
    if hw_a is None or hw_b is None:
        if sdd is None:
            return UNJUDGED, None
        return (REAL if abs(d) > sdd else WITHIN), None
    hw = float(np.hypot(hw_a, hw_b))
    real = abs(d) > hw and (sdd is None or abs(d) > sdd)
    return (REAL if real else WITHIN), [round(d - hw, 3), round(d + hw, 3)]


def compare_summaries(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per metric and side: both medians, the change (B - A) and a verdict.

    Metrics are the union of both summaries' ``metrics`` (A's order first);
    ``cadence_spm`` comes first, for both feet together.
    """
    rows: list[dict[str, Any]] = []
    ca, cb = a.get("cadence_spm"), b.get("cadence_spm")
    if isinstance(ca, (int, float)) or isinstance(cb, (int, float)):
        row: dict[str, Any] = {"metric": "cadence_spm", "side": "both", "a": ca, "b": cb,
                               "change": None, "change_pct": None, "verdict": UNJUDGED, "sdd": None}
        if isinstance(ca, (int, float)) and isinstance(cb, (int, float)) and ca > 0:
            row["change"] = round(cb - ca, 2)
            row["change_pct"] = round(100 * (cb - ca) / ca, 1)
            hw_a, hw_b = _half_width(a.get("cadence")), _half_width(b.get("cadence"))
            if hw_a is not None and hw_b is not None:
                row["verdict"], row["change_ci95"] = _verdict(cb - ca, hw_a, hw_b, None)
        else:
            row["verdict"] = "measured in one session only"
        rows.append(row)
    ma, mb = a.get("metrics") or {}, b.get("metrics") or {}
    keys = list(ma) + [k for k in mb if k not in ma]
    for key in keys:
        ea, eb = ma.get(key) or {}, mb.get(key) or {}
        if not isinstance(ea, Mapping) or not isinstance(eb, Mapping):
            continue
        for side in ("left", "right"):
            va, conf_a = _median(ea, side)
            vb, conf_b = _median(eb, side)
            if va is None and vb is None:
                continue
            sdd = SDD.get(key)
            row = {"metric": key, "side": side, "a": va, "b": vb, "change": None, "change_pct": None,
                   "sdd": sdd.value if sdd else None,
                   "low_confidence": "low" in (conf_a, conf_b) or "none" in (conf_a, conf_b)}
            if va is None or vb is None:
                row["verdict"] = "measured in one session only"
            else:
                d = vb - va
                row["change"] = round(d, 3)
                row["verdict"], ci = _verdict(d, _half_width(ea.get(side)), _half_width(eb.get(side)),
                                              sdd.value if sdd else None)
                if ci is not None:
                    row["change_ci95"] = ci
            rows.append(row)
    return rows


def _stills(folder: AnalysisFolder) -> dict[str, Path]:
    kdir = folder.path / "keyframes"
    if not kdir.is_dir():
        return {}
    return {p.name: p for p in sorted(kdir.glob("*.png")) if not p.name.startswith("left_right_")}


def _pair_image(pa: Path, pb: Path) -> bytes | None:
    ia, ib = cv2.imread(str(pa), cv2.IMREAD_COLOR), cv2.imread(str(pb), cv2.IMREAD_COLOR)
    if ia is None or ib is None:
        return None
    h = max(ia.shape[0], ib.shape[0])

    def fit(img: MatLike) -> MatLike:
        if img.shape[0] == h:
            return img
        return cv2.resize(img, (int(round(img.shape[1] * h / img.shape[0])), h), interpolation=cv2.INTER_CUBIC)

    ia, ib = fit(ia), fit(ib)
    head = 56
    canvas = np.full((h + head, ia.shape[1] + ib.shape[1] + 16, 3), 255, np.uint8)
    canvas[head:, : ia.shape[1]] = ia
    canvas[head:, ia.shape[1] + 16 :] = ib
    for x, text in ((10, "A (earlier)"), (ia.shape[1] + 26, "B (later)")):
        cv2.putText(canvas, text, (x, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (30, 30, 30), 2, cv2.LINE_AA)
    ok, buf = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 86])
    return buf.tobytes() if ok else None


def _analysed_on(folder: AnalysisFolder) -> str:
    try:
        ts = (folder.path / "summary.json").stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


def _video_src(folder: AnalysisFolder, out: Path) -> str | None:
    from gaitvision.report.build import shown_video  # annotated.mp4, else the report's video

    v = shown_video(folder.path, folder.summary)
    if v is None:
        return None
    return video_href(v, out)


def _verdict_html(row: Mapping[str, Any]) -> str:
    v = row["verdict"]
    cls = {"real change": "real", "within measurement error": "within"}.get(v, "unjudged")
    low = (' <span class="tag">low confidence</span>' if row.get("low_confidence") else "")
    return f'<td class="verdict {cls}">{esc(v)}{low}</td>'


def _capture_fps(folder: AnalysisFolder) -> float | None:
    fps = (folder.summary.get("input") or {}).get("capture_fps")
    return fps if isinstance(fps, (int, float)) else None


def _notes(fa: AnalysisFolder, fb: AnalysisFolder) -> list[str]:
    """What limits the comparison: different views or frame rates, and the filming advice."""
    notes = []
    if fa.view != fb.view:
        notes.append(f"The two sessions were filmed from different views ({fa.view} and {fb.view}): only "
                     "metrics measured in both can be compared.")
    fps_a, fps_b = _capture_fps(fa), _capture_fps(fb)
    if fps_a is not None and fps_b is not None and abs(fps_a - fps_b) > 1:
        notes.append(f"The frame rates differ ({fps_a:.0f} and {fps_b:.0f} fps): timing and foot-strike "
                     "values are not equally precise.")
    notes.append("Compare only sessions filmed the same way: same treadmill speed, camera position and "
                 "shoes (metrics.md §5).")
    return notes


def _row_html(r: Mapping[str, Any]) -> str:
    key = r["metric"]
    info = metric_info(key)
    unit = unit_of(key)
    side = r["side"]
    side_html = (f'<span class="side-{esc(side)}">{esc(side)}</span>' if side in ("left", "right")
                 else esc(side))
    change = "–"
    if r["change"] is not None:
        change = format_value(r["change"], key, unit=unit, signed=True)
        if r.get("change_pct") is not None:
            change += f" ({r['change_pct']:+.1f}%)"
        ci = r.get("change_ci95")
        if ci is not None:
            lo = format_value(ci[0], key, unit=unit, signed=True, with_unit=False)
            hi = format_value(ci[1], key, unit=unit, signed=True, with_unit=False)
            change += f" [95 % interval {lo} to {hi}]"
    sdd = SDD.get(key)
    return (
        f"<tr><th scope=row>{esc(info.name)}<br><small><code>{esc(key)}</code></small></th>"
        f"<td>{side_html}</td><td class=num>{esc(format_value(r['a'], key, unit=unit))}</td>"
        f"<td class=num>{esc(format_value(r['b'], key, unit=unit))}</td>"
        f"<td class=num>{esc(change)}</td>"
        f"<td class=num>{esc(sdd.published) if sdd else '–'}</td>{_verdict_html(r)}</tr>"
    )


def _changes_table(rows: list[dict[str, Any]]) -> str:
    return ("<table class=metrics><thead><tr><th>Measure</th><th>Side</th><th>A (earlier)</th>"
            "<th>B (later)</th><th>Change B − A</th><th>Smallest detectable change</th><th>Verdict</th>"
            f"</tr></thead><tbody>{''.join(_row_html(r) for r in rows)}</tbody></table>")


def _still_pairs(fa: AnalysisFolder, fb: AnalysisFolder) -> list[str]:
    """One figure per still both sessions have: A's and B's side by side."""
    sa, sb = _stills(fa), _stills(fb)
    figs = []
    for name in [n for n in sa if n in sb]:
        img = _pair_image(sa[name], sb[name])
        if img:
            figs.append(f'<figure><img src="{data_uri(img, "image/jpeg")}" alt="{esc(name)}">'
                        f"<figcaption>{esc(Path(name).stem.replace('_', ' '))}: session A left, B "
                        "right. Each is the step closest to that session's median.</figcaption></figure>")
    return figs


def _videos(fa: AnalysisFolder, fb: AnalysisFolder, out: Path) -> list[str]:
    videos = []
    for label, f in (("A (earlier)", fa), ("B (later)", fb)):
        src = _video_src(f, out)
        if src:
            videos.append(f"<figure><video controls muted playsinline preload=\"auto\" src=\"{esc(src)}\">"
                          f"</video><figcaption>{esc(label)}: {esc(f.clip_name)}</figcaption></figure>")
    return videos


def _session_item(label: str, f: AnalysisFolder) -> str:
    return (f"<li><b>{esc(label)}</b>: clip <b>{esc(f.clip_name)}</b>, {esc(f.view)}, analysed "
            f"{esc(_analysed_on(f))} <small>({esc(str(f.path))})</small></li>")


def _page(fa: AnalysisFolder, fb: AnalysisFolder, rows: list[dict[str, Any]], out: Path) -> str:
    figs = _still_pairs(fa, fb)
    videos = _videos(fa, fb, out)
    sources = "".join(f"<li><code>{esc(k)}</code>: {esc(v.published)} — {esc(v.source)}</li>"
                      for k, v in SDD.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Session comparison – {esc(fa.clip_name)} vs {esc(fb.clip_name)}</title>"
        f"<style>{CSS}"
        ".verdict.real{color:#a02718;font-weight:700}.verdict.within{color:#2e6b47}"
        ".verdict.unjudged{color:#5b6472}.pair video{width:100%}"
        ".videos{display:grid;grid-template-columns:1fr 1fr;gap:12px}</style></head><body><main>"
        "<h1>Session comparison</h1>"
        f"<ul>{_session_item('A (earlier)', fa)}{_session_item('B (later)', fb)}</ul>"
        + "".join(f'<p class="meta">{esc(n)}</p>' for n in _notes(fa, fb))
        + "<h2>Changes</h2><p class=meta>A change is called real only when it is larger than the smallest "
        "detectable change (SDD) published for that measure; otherwise it is within measurement error. "
        "The SDDs were measured for trained raters reading 2D video, so gaitvision's own error may be "
        "larger: treat them as the least change that could be real.</p>"
        + _changes_table(rows)
        + (f"<h2>The same moment, before and after</h2>{''.join(figs)}" if figs else "")
        + (f'<section class="screen-only"><h2>Videos</h2><div class="videos">{"".join(videos)}</div></section>'
           if videos else "")
        + f"<h2>Sources of the smallest detectable changes</h2><ul class=ref-text>{sources}</ul>"
        + "</main></body></html>\n"
    )


def write_comparison(
    out_a: str | os.PathLike[str],
    out_b: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> Path:
    """Compare two analysis folders; write ``compare.html`` and ``compare.json`` into ``out_dir``.

    ``out_a`` is the earlier session, ``out_b`` the later one.

    Raises
    ------
    OutputError
        If either folder is not a finished analysis, or ``out_dir`` cannot
        be written.
    """
    fa, fb = load_folder(out_a), load_folder(out_b)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{out}: cannot create the output folder ({err.strerror}).") from err
    rows = compare_summaries(fa.summary, fb.summary)
    write_json(out / "compare.json", {
        "schema": "gaitvision.compare/1",
        "a": str(fa.path), "b": str(fb.path),
        "sdd": {k: {"value": v.value, "published": v.published, "source": v.source} for k, v in SDD.items()},
        "rows": rows,
    })
    page = out / "compare.html"
    write_text(page, _page(fa, fb, rows, out))
    return page
