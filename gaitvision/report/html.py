"""The self-contained HTML report (``report.html``).

One file: images embedded as ``data:`` URIs, styles inline, and a
Content-Security-Policy that forbids any request except the video it
plays (by relative path: the analysed clip, its browser-playable copy, or
``annotated.mp4``). A page that draws the overlay over the clip carries the
overlay's data (``<script type="application/json">``, never executed) and
the shared drawing script (``report/static/overlay.js``) inline; the policy
lets only that one script run, by its hash. Every string that comes from
the input (file names, notes, warnings, metric keys) goes through
:func:`esc`; the overlay's data through :func:`~gaitvision.report.overlay.embedded_json`.

The page is built from ``summary.json`` and ``steps.csv`` only: metrics,
not-measurable reasons, warnings and step columns are walked, never listed
here.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gaitvision.measure.registry import FPS_TOLERANCE, TIMING_MIN_FPS
from gaitvision.report.data import AnalysisFolder
from gaitvision.report.overlay import embedded_json, overlay_script
from gaitvision.report.text import (
    Finding,
    cadence_target,
    findings,
    format_value,
    metric_info,
    no_finding_text,
    unit_of,
)

__all__ = ["CSS", "Figure", "csp", "data_uri", "esc", "render_report", "render_visit_page"]


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def data_uri(data: bytes, mime: str) -> str:
    """``data:MIME;base64,...`` for embedding."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class Figure:
    """An image to embed, with its caption (plain text, escaped on output)."""

    data: bytes
    mime: str
    caption: str
    alt: str
    css_class: str = ""


#: Only the video the page plays may be fetched; images are inline; no
#: script runs at all (:func:`csp` lets the overlay's one script run).
CSP = ("default-src 'none'; img-src data:; media-src 'self' file:; style-src 'unsafe-inline'; "
       "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")


def csp(scripts: Sequence[str] = ()) -> str:
    """The page's Content-Security-Policy: :data:`CSP`, with only these inline scripts allowed (by hash)."""
    if not scripts:
        return CSP
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii")
                      + "'" for s in scripts)
    return CSP.replace("script-src 'none'", f"script-src {hashes}")

CSS = """
:root { --left: rgb(40,120,255); --right: rgb(255,140,0); --ink: #1d2330; --muted: #5b6472;
        --line: #d9dde3; --warn: #8a5a00; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0; background: var(--bg); line-height: 1.45; font-size: 17px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 22px 40px; background: #fff; }
h1 { font-size: 1.8em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.35em; margin: 1.6em 0 0.5em; border-bottom: 2px solid var(--line); padding-bottom: 0.2em; }
h3 { font-size: 1.1em; margin: 0.2em 0; }
.meta { color: var(--muted); margin: 0.2em 0; }
.session { margin: 0.4em 0; padding: 0.5em 0.8em; background: var(--bg); border-radius: 6px; }
.findings { list-style: none; padding: 0; margin: 0; }
.finding { border-left: 6px solid #c0392b; background: #fdf3f2; padding: 0.7em 1em; margin: 0.7em 0;
           border-radius: 4px; }
.finding.low { border-left-style: dashed; }
.finding .number { font-weight: 700; }
.finding .why { margin: 0.3em 0; }
.finding .ref { color: var(--muted); font-size: 0.9em; }
.finding ul { margin: 0.3em 0 0.1em 1.2em; padding: 0; }
.ok { border-left: 6px solid #2e8b57; background: #f1f8f4; padding: 0.7em 1em; border-radius: 4px; }
.cadence { background: var(--bg); padding: 0.7em 1em; border-radius: 4px; margin-top: 0.8em; }
.disclaimer { color: var(--muted); font-size: 0.9em; }
.tag { display: inline-block; font-size: 0.75em; padding: 0.05em 0.45em; border-radius: 3px;
       border: 1px dashed var(--warn); color: var(--warn); margin-left: 0.35em; vertical-align: middle;
       white-space: nowrap; }
.side-left { color: var(--left); font-weight: 700; }
.side-right { color: var(--right); font-weight: 700; }
video { width: 100%; max-height: 80vh; background: #000; border-radius: 6px; }
.player { position: relative; margin: 0 auto; line-height: 0; }
.player video { display: block; height: auto; max-height: none; }
.player canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
figure { margin: 0.8em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 0.92em; }
.stills img { display: block; margin: 0 auto; max-height: 75vh; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 10px 18px; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.low-value { text-decoration: underline dashed var(--warn); color: var(--warn); }
.ref-text { font-size: 0.85em; color: var(--muted); }
.notm { color: var(--muted); }
.steps-wrap { overflow-x: auto; }
.steps td, .steps th { font-size: 0.85em; white-space: nowrap; }
tr.excluded td { color: #9aa0a8; text-decoration: line-through; }
tr.excluded td.reason { text-decoration: none; }
.warnings li { margin: 0.25em 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.legend-swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
                 vertical-align: -0.1em; margin-right: 0.2em; }
footer { color: var(--muted); font-size: 0.85em; margin-top: 2em; border-top: 1px solid var(--line);
         padding-top: 0.6em; }
.print-only { display: none; }
@page { size: A4; margin: 10mm 11mm; }
@media print {
  body { background: #fff; font-size: 8.4pt; line-height: 1.28; }
  main { max-width: none; padding: 0; }
  .screen-only, .detail, figcaption { display: none !important; }
  .print-only { display: block; }
  h1 { font-size: 15pt; margin: 0; } h2 { font-size: 11pt; margin: 0.5em 0 0.25em; }
  h3 { font-size: 9.5pt; }
  .session { padding: 0.2em 0.6em; }
  .finding { padding: 0.25em 0.6em; margin: 0.25em 0; break-inside: avoid; }
  .finding p, .finding ul { margin: 0.1em 0; }
  .finding ul { margin-left: 1em; }
  .cadence { padding: 0.3em 0.6em; margin-top: 0.3em; }
  .disclaimer { margin: 0.3em 0; }
  figure { margin: 0.3em 0; }
  #stills { break-inside: avoid; }
  h2 { break-after: avoid; }
  .stills img { max-height: 82mm; }
  td.num br { display: none; }
  td .tag { display: none; }
  #numbers { break-before: page; }
  .plots { grid-template-columns: 1fr 1fr; gap: 2px 8px; }
  .plots figure { margin: 0.1em 0; break-inside: avoid; }
  .plots img { max-height: 46mm; }
  table { font-size: 7.8pt; }
  th, td { padding: 0.12em 0.3em; }
  td small { font-size: 7pt; }
  dl.facts { gap: 0 0.8em; }
  #quality h3, #quality ul { margin: 0.2em 0; }
  a { color: inherit; text-decoration: none; }
}
"""

_VIEW_WORDS = {
    "side-left": "side view (runner facing left)",
    "side-right": "side view (runner facing right)",
    "rear": "view from behind",
    "front": "view from the front",
}


def _side(side: str) -> str:
    return f'<span class="side-{esc(side)}">{esc(side)}</span>'


def _value_cell(key: str, s: Mapping[str, Any] | None, unit: str) -> str:
    if not s or not isinstance(s.get("median"), (int, float)):
        return '<td class="num notm">–</td>'
    conf = str(s.get("confidence", ""))
    ci = s.get("ci95")
    ci_text = ""
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci):
        lo = format_value(float(ci[0]), key, unit=unit, with_unit=False)
        hi = format_value(float(ci[1]), key, unit=unit, with_unit=False)
        ci_text = f"{lo} to {hi}"
    iqr = format_value(s.get("iqr"), key, unit=unit, with_unit=False)
    if conf == "none":  # the interval is too wide to say anything: not measurable from this recording
        why = s.get("confidence_reason") or "interval too wide"
        return (f'<td class="num notm">not measurable<span class=detail><br><small>95 % interval '
                f'{esc(ci_text)}</small><br><small>{esc(why)}</small></span></td>')
    low = conf != "high"
    val = format_value(s["median"], key, unit=unit)
    body = (f'<span class="{"low-value" if low else ""}">{"≈ " if low else ""}{esc(val)}</span>'
            + (f" <small>({esc(ci_text)})</small>" if ci_text else "")
            + f'<span class=detail><br><small>IQR {esc(iqr)} · n={esc(s.get("n", ""))}</small></span>')
    if low:
        body += f'<br><span class="tag">{esc(conf)} confidence</span>'
    return f'<td class="num">{body}</td>'


def _asymmetry_cell(entry: Mapping[str, Any]) -> str:
    """The L/R difference: a percentage only where its interval supports one, else why not."""
    asym, ci = entry.get("asymmetry_pct"), entry.get("asymmetry_ci95")
    if isinstance(asym, (int, float)):
        rng = (f" <small>({ci[0]:.0f}–{ci[1]:.0f}%)</small>"
               if isinstance(ci, (list, tuple)) and len(ci) == 2 else "")
        return f'<td class="num">{esc(f"{asym:.0f}")}%{rng}</td>'
    note = entry.get("asymmetry_note")
    if isinstance(note, str):  # on screen why not; the printed handout keeps a dash
        return f'<td class="num"><span class="print-only">–</span><small class="detail">{esc(note)}</small></td>'
    return '<td class="num">–</td>'


def _pattern_cell(s: Mapping[str, Any] | None) -> str:
    if not isinstance(s, Mapping) or "pattern" not in s:
        return '<td class="num notm">–</td>'
    counts = ", ".join(f"{esc(k)} {esc(v)}" for k, v in s.items() if k != "pattern" and isinstance(v, int))
    return f'<td class="num"><b>{esc(s["pattern"])}</b><br><small>{counts}</small></td>'


def _metrics_table(summary: Mapping[str, Any]) -> str:
    metrics = summary.get("metrics") or {}
    rows = []
    cad = summary.get("cadence_spm")
    if isinstance(cad, (int, float)) and "cadence_spm" not in metrics:
        rows.append(
            "<tr><th scope=row>Cadence<span class=detail><br><small class=ref-text>How many steps you "
            "take each minute (both feet).</small></span></th><td class=num colspan=2>"
            f"{esc(format_value(cad, 'cadence_spm'))}</td><td class=num>–</td><td class=ref-text>"
            "<span class=detail>No universal target (the “180 steps/min” figure is folklore); +5–10% "
            "from your own baseline lowers knee load. </span>"
            "<i>Heiderscheit et al. 2011, Med Sci Sports Exerc 43(2):296-302</i></td></tr>"
        )
    for key, entry in metrics.items():
        if not isinstance(entry, Mapping):
            continue
        unit = unit_of(key, entry.get("unit"))
        info = metric_info(key, entry.get("unit"))
        pattern = any(isinstance(entry.get(s), Mapping) and "pattern" in entry[s] for s in ("left", "right"))
        if pattern:
            cells = _pattern_cell(entry.get("left")) + _pattern_cell(entry.get("right"))
        else:
            cells = _value_cell(key, entry.get("left"), unit) + _value_cell(key, entry.get("right"), unit)
        asym_cell = _asymmetry_cell(entry)
        ref = entry.get("reference") or {}
        src = entry.get("source")
        extra = f"<br><small>measured from: {esc(src)}</small>" if isinstance(src, str) else ""
        rows.append(
            f"<tr><th scope=row>{esc(info.name)}<span class=detail><br><small class=ref-text>"
            f"{esc(info.plain)}</small><br><small><code>{esc(key)}</code></small>{extra}</span></th>"
            f"{cells}{asym_cell}"
            f"<td class=ref-text><span class=detail>{esc(ref.get('text', ''))} </span>"
            + (f"<i>{esc(ref.get('source'))}</i>" if ref.get("source") else "")
            + "</td></tr>"
        )
    nm = summary.get("not_measurable") or {}
    for key, why in nm.items():
        info = metric_info(str(key))
        rows.append(
            f"<tr class='notm detail'><th scope=row>{esc(info.name)}<br><small><code>{esc(key)}</code>"
            f"</small></th><td colspan=3 class=notm>not measurable from this clip: {esc(why)}</td>"
            "<td></td></tr>"
        )
    head = ("<thead><tr><th>Measure</th><th>" + _side("left") + " median</th><th>" + _side("right")
            + " median</th><th>L/R difference</th><th>Reference (source)</th></tr></thead>")
    # the printed handout lists what this view cannot measure in one line
    by_reason: dict[str, list[str]] = {}
    for key, why in nm.items():
        by_reason.setdefault(str(why), []).append(metric_info(str(key)).name.lower())
    compact = "; ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())
    note = (f'<p class="print-only notm">Not measurable from this clip: {esc(compact)}.</p>'
            if compact else "")
    return f"<table class=metrics>{head}<tbody>{''.join(rows)}</tbody></table>{note}"


def _finding_html(i: int, f: Finding) -> str:
    helps = "".join(f"<li>{esc(h)}</li>" for h in f.helps)
    low = ('<span class="tag">rough estimate (low confidence)</span>' if f.low_confidence else "")
    return (
        f'<li class="finding{" low" if f.low_confidence else ""}">'
        f"<h3>{i}. {esc(f.headline)}{low}</h3>"
        f'<p class="why">{esc(f.detail)}</p>'
        + (f'<p class="ref">Reference: {esc(f.reference)}' + (f" <i>({esc(f.source)})</i>" if f.source else "")
           + "</p>" if f.reference or f.source else "")
        + (f"<p><b>What usually helps</b></p><ul>{helps}</ul>" if helps else "")
        + "</li>"
    )


def _summary_section(summary: Mapping[str, Any]) -> str:
    fs = findings(dict(summary))
    if fs:
        body = '<ol class="findings">' + "".join(_finding_html(i + 1, f) for i, f in enumerate(fs)) + "</ol>"
    else:
        body = f'<p class="ok">{esc(no_finding_text(summary))} Your PT will look at the pictures with you.</p>'
    cad = summary.get("cadence_spm")
    target = cadence_target(cad if isinstance(cad, (int, float)) else None)
    if target:
        body += (
            f'<p class="cadence"><b>Your cadence: {esc(f"{cad:.0f}")} steps per minute.</b> There is no '
            "single ideal number for everyone (the often-quoted 180 is not a rule). If your PT suggests "
            f"quicker steps, the usual target is 5–10% above your own cadence at the same treadmill "
            f"speed: <b>{esc(target)}</b> (Heiderscheit et al. 2011).</p>"
        )
    body += ('<p class="disclaimer">Measured from one phone video with a pose model, to talk through '
             "with your physical therapist; not a diagnosis. Side-to-side values are 2D pictures of the "
             "movement, not 3D joint angles. Values marked ≈ or “low confidence” are rough.</p>")
    return f'<section id="summary"><h2>What we found</h2>{body}</section>'


def _fmt_num(v: Any, column: str = "") -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        if column.endswith("_s"):
            return f"{v:.3f}"
        return f"{v:.2f}" if column == "duty_factor" or abs(v) < 1 else f"{v:.1f}"
    return "" if v is None else str(v)


def _steps_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        excluded = bool(r.get("excluded_reason"))
        cls = ["excluded"] if excluded else []
        cells = []
        for c in columns:
            v = r.get(c)
            klass = "reason" if c == "excluded_reason" else ("num" if isinstance(v, (int, float)) else "")
            text = esc(_fmt_num(v, c))
            if c == "side" and v in ("left", "right"):
                text = _side(str(v))
            if c == "confidence" and v == "low":
                text = f'<span class="low-value">{text}</span>'
            cells.append(f'<td class="{klass}">{text}</td>')
        body.append(f'<tr class="{" ".join(cls)}">{"".join(cells)}</tr>')
    return (f'<div class="steps-wrap"><table class="steps"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _quality_section(folder: AnalysisFolder) -> str:
    s = folder.summary
    inp = s.get("input") or {}
    facts = []

    def fact(name: str, value: Any) -> None:
        if value not in (None, ""):
            facts.append(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>")

    fact("Clip", inp.get("path"))
    fact("View", _VIEW_WORDS.get(folder.view, folder.view))
    fps = inp.get("capture_fps")
    fact("Frame rate", f"{fps:.1f} frames per second" if isinstance(fps, (int, float)) else None)
    if inp.get("width") and inp.get("height"):
        fact("Picture size", f"{inp['width']} × {inp['height']} pixels"
             + (f", rotated {inp['rotation_deg']}°" if inp.get("rotation_deg") else ""))
    dur = inp.get("duration_s")
    fact("Duration", f"{dur:.1f} s, {inp.get('frames')} frames" if isinstance(dur, (int, float)) else None)
    sd, su = s.get("steps_detected") or {}, s.get("steps_used") or {}
    if sd:
        fact("Steps", "; ".join(f"{side}: {su.get(side, '?')} used of {sd.get(side, '?')} found"
                                for side in ("left", "right") if side in sd))
    pm = s.get("pose_model") or {}
    fact("Pose model", " ".join(str(pm.get(k, "")) for k in ("name", "version")).strip() or None)
    facts[-1:] = [f.replace("<dt>", '<dt class="detail">').replace("<dd>", '<dd class="detail">')
                  for f in facts[-1:]] if pm else facts[-1:]
    tips = []
    if isinstance(fps, (int, float)) and fps < TIMING_MIN_FPS - FPS_TOLERANCE:
        tips.append("Film at 120 frames per second or more (slow motion) for foot strike and contact "
                    "times; 30 fps is enough for cadence only.")
    if folder.side_view:
        tips.append("Film the other side too, so each foot is measured from its own side.")
    else:
        tips.append("Film from the side too, for foot strike, knee bend and cadence timing.")
    warns = "".join(f"<li>{esc(w)}</li>" for w in s.get("warnings") or [])
    return (
        '<section id="quality"><h2>Recording quality</h2>'
        f'<dl class="facts">{"".join(facts)}</dl>'
        + (f'<h3>Notes about this recording</h3><ul class="warnings">{warns}</ul>' if warns else
           "<p>No problems were noted with this recording.</p>")
        + ('<div class="screen-only"><h3>Next time you film</h3><ul>'
           f'{"".join(f"<li>{esc(t)}</li>" for t in tips)}</ul></div>')
        + "</section>"
    )


def _figure(f: Figure) -> str:
    return (f'<figure class="{esc(f.css_class)}"><img src="{data_uri(f.data, f.mime)}" alt="{esc(f.alt)}">'
            f"<figcaption>{esc(f.caption)}</figcaption></figure>")


def _header(folder: AnalysisFolder, session: Mapping[str, Any]) -> str:
    """The page header: title, clip facts and the session fields given."""
    inp = folder.summary.get("input") or {}
    head_bits = []
    for label, key in (("Patient", "patient_name"), ("Treadmill speed", "treadmill_speed"),
                       ("Note", "note")):
        if session.get(key):
            head_bits.append(f"<div><b>{esc(label)}:</b> {esc(session[key])}</div>")
    fps = inp.get("capture_fps")
    meta = [f"Clip <b>{esc(folder.clip_name)}</b>", esc(_VIEW_WORDS.get(folder.view, folder.view))]
    if isinstance(fps, (int, float)):
        meta.append(f"{fps:.0f} fps")
    if isinstance(inp.get("duration_s"), (int, float)):
        meta.append(f"{inp['duration_s']:.1f} s")
    lines = [
        "<header>",
        "<h1>Running form report</h1>",
        f'<p class="meta">{" · ".join(meta)}</p>',
        (f'<div class="session">{"".join(head_bits)}</div>' if head_bits else ""),
        "</header>",
    ]
    return "\n".join(line for line in lines if line)


_LEGEND = ('<span class="legend-swatch" style="background:var(--left)"></span>left leg '
           '<span class="legend-swatch" style="background:var(--right)"></span>right leg · yellow lines: '
           "where each angle was measured")


def _video_section(video_file: str | None, overlay: Mapping[str, Any] | None = None) -> tuple[str, list[str]]:
    """The video section, and the inline scripts it runs (for the page's policy).

    With ``overlay`` (:func:`~gaitvision.report.overlay.overlay_data`), the
    clip at ``video_file`` is played with the overlay drawn over it by the
    shared script; without it, ``video_file`` is the annotated video.
    """
    if not video_file:
        return ('<section id="video" class="screen-only"><h2>Your run, annotated</h2>'
                "<p>No video is shown: the analysed clip was not found (pass it to <code>gaitvision report "
                "--clip</code>).</p></section>", [])
    if overlay is None:
        return (
            '<section id="video" class="screen-only"><h2>Your run, annotated</h2>'
            f'<video controls muted playsinline preload="auto" src="{esc(video_file)}"></video>'
            f'<p class="meta">{_LEGEND} · hollow points and thin lines: estimated (the model did not '
            "see them) · frame number and time in the corner match the tables below.</p></section>", [])
    w, h = (overlay.get("frame_size") or [16, 9])[:2]
    script = overlay_script()
    return (
        '<section id="video" class="screen-only"><h2>Your run, annotated</h2>'
        f'<div class="player" style="max-width: calc(80vh * {w / h:.5f})">'
        f'<video controls muted playsinline preload="auto" src="{esc(video_file)}" data-overlay="overlay-data">'
        '</video><canvas id="overlay" aria-hidden="true"></canvas></div>'
        f'<p class="meta">{_LEGEND}, with the values measured at that step · the frame number drawn in the '
        'corner matches the tables below · <span id="frame-info"></span></p>'
        f'<script type="application/json" id="overlay-data">{embedded_json(overlay)}</script>'
        f"<script>{script}</script></section>", [script])


def _stills_section(stills: Sequence[Figure]) -> str:
    if not stills:
        return ""
    return ('<section id="stills" class="stills"><h2>Key moments, left and right</h2>'
            + "".join(_figure(f) for f in stills) + "</section>")


def _numbers_section(summary: Mapping[str, Any]) -> str:
    return ('<section id="numbers"><h2>The numbers, per side</h2>'
            "<p class=meta>Median over the steps used, with its 95 % interval in brackets (where the true "
            "value lies, given this recording: docs/uncertainty.md), the spread (IQR: the middle half of "
            "the steps) and the number of steps n. ≈ and a dashed underline mark values of low "
            "confidence; a value whose interval is too wide reads “not measurable”.</p>"
            + _metrics_table(summary) + "</section>")


def _plots_section(plots: Sequence[Figure]) -> str:
    if not plots:
        return ""
    return ('<section id="plots"><h2>Plots</h2><div class="plots">'
            + "".join(_figure(f) for f in plots) + "</div></section>")


def _steps_section(folder: AnalysisFolder) -> str:
    return ('<section id="steps" class="screen-only"><h2>Every step</h2>'
            "<p class=meta>One row per detected step, as in steps.csv. Struck-through rows were "
            "left out of the medians, with the reason.</p>"
            + _steps_table(folder.columns, folder.rows) + "</section>")


def _footer(summary: Mapping[str, Any]) -> str:
    return (
        f"<footer>gaitvision {esc(summary.get('gaitvision_version', ''))} · all processing on this computer; "
        "nothing was uploaded. Metric definitions and sources: metrics.md of the gaitvision design.</footer>"
    )


def _page(title: str, parts: Sequence[str], scripts: Sequence[str] = ()) -> str:
    """The page around its sections: policy, viewport, title and styles; ``scripts``: its inline scripts."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp(scripts))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        + "\n".join(p for p in parts if p)
        + "</main></body></html>\n"
    )


def render_report(
    folder: AnalysisFolder,
    *,
    stills: Sequence[Figure] = (),
    plots: Sequence[Figure] = (),
    video_file: str | None = None,
    overlay: Mapping[str, Any] | None = None,
    session: Mapping[str, Any] | None = None,
) -> str:
    """The report page as one HTML string.

    Parameters
    ----------
    folder
        The analysis (summary and steps).
    stills, plots
        Images to embed, in order. Plots with ``css_class`` containing
        ``screen-only`` are left out of the printed handout.
    video_file
        Relative path (URL-quoted) of the video the page plays, or None
        when there is none.
    overlay
        The overlay to draw over ``video_file``
        (:func:`~gaitvision.report.overlay.overlay_data`); None:
        ``video_file`` is the annotated video, shown as it is.
    session
        Optional ``patient_name``, ``note``, ``treadmill_speed`` shown in
        the header (escaped).
    """
    s = folder.summary
    video, scripts = _video_section(video_file, overlay)
    parts = [
        _header(folder, dict(session or s.get("session") or {})),
        _summary_section(s),
        video,
        _stills_section(stills),
        _numbers_section(s),
        _plots_section(plots),
        _quality_section(folder),
        _steps_section(folder),
        _footer(s),
    ]
    return _page(f"Running form report – {folder.clip_name}", parts, scripts)


def render_visit_page(combined: Mapping[str, Any], clips: Sequence[tuple[str, str]]) -> str:
    """One page for one visit filmed from the side and from behind (``gaitvision analyze SIDE REAR``).

    ``combined`` is :func:`gaitvision.combine.combine_views`'s result (each
    metric from the clip that measures it, the cross-checks of cadence and
    step time); ``clips`` are ``(view, relative path of the clip's own
    report.html)``. The findings and the table are the single-clip report's,
    on the combined metrics.
    """
    summary: dict[str, Any] = {"cadence_spm": combined.get("cadence_spm"),
                               "metrics": dict(combined.get("metrics") or {}),
                               "not_measurable": dict(combined.get("not_measurable") or {})}
    checks = "".join(
        f"<li>{esc(c['name'])}: side {esc(c.get('side'))}, rear {esc(c.get('rear'))} — "
        + ("agree" if c.get("agree") else ("disagree" if c.get("agree") is False else "not compared"))
        + f" ({esc(c.get('basis'))})</li>" for c in combined.get("checks") or [])
    warnings = "".join(f"<li>{esc(w)}</li>" for w in combined.get("warnings") or [])
    links = "".join(f'<li>{esc(view)} clip: <a href="{esc(href)}">its own report</a></li>' for view, href in clips)
    parts = [
        "<header><h1>Running form report – one visit, two views</h1>"
        f"<p class=meta>Sagittal measures from the side clip, frontal ones from the rear clip.</p>"
        f"<ul>{links}</ul></header>",
        _summary_section(summary),
        _numbers_section(summary),
        f'<section id="checks"><h2>The two clips checked against each other</h2><ul>{checks}</ul></section>',
        f'<section id="quality"><h2>Notes on the recordings</h2><ul>{warnings}</ul></section>' if warnings else "",
    ]
    return _page("Running form report – one visit", parts)
