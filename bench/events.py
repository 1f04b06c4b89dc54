#!/usr/bin/env python3
"""Event timing against exact truth, per contact: IC and TO frame errors and contact-time errors.

Used by ``bench/accuracy.py`` (the per-contact lists it stores in its JSON)
and on its own to re-time the events of the bench's cached MediaPipe tracks
without running the pose model again (seconds, not minutes), e.g. while
tuning :mod:`gaitvision.events`::

    python bench/events.py                          # every grid row cached in bench/.cache
    python bench/events.py --cache DIR --only side_60  # another cache, a subset
    python bench/events.py --shared                 # and the rendered shared clips and bundled samples
    python bench/events.py --from-json RUN.json     # the tables of a bench/accuracy.py --json run
    python bench/events.py --calib /work/calib --calibrate   # fit the per-event timing-error table
                                                    # (gaitvision/events/timing_error.json) on the
                                                    # calibration grid's fit split, check it on validate

Errors are signed, found minus truth, in frames of the clip: an IC is
compared with the nearest true first frame in contact of the same foot, a TO
with the nearest true last frame in contact, and a contact time (TO time
minus IC time, sub-frame) with the exact contact time of the true contact
whose first frame is nearest. Side views are summarised per near/far foot,
rear and front views per left/right; "used" are the steps the step table
does not exclude, "all" every step the detector returned.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_SIDES = (("left", "L"), ("right", "R"))


def _nearest(found: int, truth: list[int]) -> int | None:
    if not truth:
        return None
    t = np.asarray(truth)
    return int(found - t[np.argmin(np.abs(t - found))])


def contact_errors(steps: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Per side, the signed IC and TO errors (frames) and contact-time errors (ms) of ``steps``.

    ``steps`` are dicts with ``side``, ``ic_frame``, ``to_frame`` (None or
    < 0 when missing) and optionally ``contact_time_s`` (else ``to_time_s``
    minus ``ic_time_s`` where both are given).
    """
    out: dict[str, dict[str, list[float]]] = {}
    for side, s in _SIDES:
        ev = truth["events"][s]
        t_ic = [f for f in ev["ic_frame_mesh"] if f is not None]
        t_to = [f for f in ev["to_frame_mesh"] if f is not None]
        contacts = [c for c in truth.get("steps", []) if c["side"] == s]
        ic_err: list[float] = []
        to_err: list[float] = []
        ct_err: list[float] = []
        for st in (x for x in steps if x["side"] == side):
            ic, to = st.get("ic_frame"), st.get("to_frame")
            if ic is not None and (e := _nearest(int(ic), t_ic)) is not None:
                ic_err.append(e)
            if to not in (None, "") and int(to) >= 0 and (e := _nearest(int(to), t_to)) is not None:
                to_err.append(e)
            ct = st.get("contact_time_s")
            if ct is None and st.get("ic_time_s") is not None and st.get("to_time_s") is not None:
                ct = float(st["to_time_s"]) - float(st["ic_time_s"])  # views without a contact-time metric
            if ct is not None and ic is not None and contacts:
                c = min(contacts, key=lambda c: abs(c["ic_frame"] - int(ic)))
                if abs(c["ic_frame"] - int(ic)) <= 0.25 * truth["video"]["fps"]:
                    ct_err.append(round(1000 * (float(ct) - c["contact_time_s"]), 1))
        out[side] = {"ic": ic_err, "to": to_err, "contact_time_ms": ct_err}
    return out


def view_class(view: str) -> str:
    return "side" if view.startswith("side") else view


def near_side(view: str) -> str:
    """The foot nearer the camera in a side view (side-left: the runner's left)."""
    return "right" if view == "side-right" else "left"


def _foot_label(view: str, side: str) -> str:
    if view.startswith("side"):
        return "near" if side == near_side(view) else "far"
    return side


Pool = dict[tuple[str, str], dict[str, list[float]]]


def _fps(name: str, r: dict[str, Any]) -> float:
    """A result's frame rate (older results: from the condition, 'side-left, 60 fps, ...', or the name)."""
    if r.get("fps"):
        return float(r["fps"])
    found = re.search(r"(\d+) ?fps", f"{r.get('condition', '')} {name}")
    return float(found.group(1)) if found else 0.0


def pooled(results: dict[str, dict[str, Any]], key: str = "contacts_used", *, by_fps: bool = False) -> Pool:
    """Per-contact errors pooled per (view class, foot): ('side', 'far') -> {'ic': [...], ...}.

    With ``by_fps`` the view class carries the frame rate: ('side 120 fps', 'far').
    """
    pool: Pool = {}
    for name, r in results.items():
        ev = r.get("events", {})
        if key not in ev or "view_true" not in r:
            continue
        view = view_class(r["view_true"]) + (f" {_fps(name, r):g} fps" if by_fps else "")
        for side in ("left", "right"):
            k = (view, _foot_label(r["view_true"], side))
            d = pool.setdefault(k, {"ic": [], "to": [], "contact_time_ms": []})
            for what, errs in ev[key][side].items():
                d[what] += errs
    return pool


def _stat(errs: list[float]) -> str:
    if not errs:
        return "– | –"
    a = np.abs(np.asarray(errs, dtype=float))
    return f"{np.median(a):.1f} | {np.percentile(a, 95):.1f}"


def _bias(errs: list[float]) -> str:
    return f"{np.median(errs):+.1f}" if errs else "–"


_VIEWS = {"side": 0, "rear": 1, "front": 2}
_FEET = {"near": 0, "far": 1, "left": 0, "right": 1}


def _order(k: tuple[str, str]) -> tuple[int, float, int]:
    view, *fps = k[0].split(" ")
    return _VIEWS.get(view, 9), float(fps[0]) if fps else 0.0, _FEET.get(k[1], 9)


def table(results: dict[str, dict[str, Any]], key: str = "contacts_used", *, by_fps: bool = False) -> list[str]:
    """Markdown: per view (and frame rate) and foot, n, median and 95th-percentile |error| of IC, TO,
    contact time."""
    L = ["| view | foot | IC n | IC median | IC p95 | IC bias | TO n | TO median | TO p95 | TO bias "
         "| contact time n | median ms | p95 ms |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    pool = pooled(results, key, by_fps=by_fps)
    for k in sorted(pool, key=_order):
        d = pool[k]
        L.append(f"| {k[0]} | {k[1]} | {len(d['ic'])} | {_stat(d['ic'])} | {_bias(d['ic'])} | "
                 f"{len(d['to'])} | {_stat(d['to'])} | {_bias(d['to'])} | "
                 f"{len(d['contact_time_ms'])} | {_stat(d['contact_time_ms'])} |")
    return L


def _stat_ms(errs: list[float], fps: float) -> str:
    if not errs:
        return "– | –"
    a = np.abs(np.asarray(errs, dtype=float)) * 1000.0 / fps
    return f"{np.median(a):.0f} | {np.percentile(a, 95):.0f}"


def fps_table(results: dict[str, dict[str, Any]], key: str = "contacts_used") -> list[str]:
    """Markdown: per view, frame-rate class (30/60/120/240) and foot: IC and TO |error| in frames and ms,
    contact-time |error| in ms (median and 95th percentile)."""
    from gaitvision.events.timing import fps_class

    by_class = {n: dict(r, fps=float(fps_class(_fps(n, r)))) for n, r in results.items() if "events" in r}
    L = ["| view | fps | foot | IC n | IC median fr | IC p95 fr | IC median ms | IC p95 ms | TO n | TO median fr "
         "| TO p95 fr | TO median ms | TO p95 ms | contact time n | CT median ms | CT p95 ms |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    pool = pooled(by_class, key, by_fps=True)
    for k in sorted(pool, key=_order):
        d = pool[k]
        view, fps, _ = k[0].split(" ")
        f = float(fps)
        L.append(f"| {view} | {fps} | {k[1]} | {len(d['ic'])} | {_stat(d['ic'])} | {_stat_ms(d['ic'], f)} | "
                 f"{len(d['to'])} | {_stat(d['to'])} | {_stat_ms(d['to'], f)} | "
                 f"{len(d['contact_time_ms'])} | {_stat(d['contact_time_ms'])} |")
    return L


DOC_BEGIN = "<!-- bench/events.py: begin -->"
DOC_END = "<!-- bench/events.py: end -->"


def docs_section(sets: dict[str, dict[str, dict[str, Any]]], note: str) -> list[str]:
    """The event-timing section of docs/accuracy.md: one table per clip set."""
    from bench.accuracy import _git

    L = [DOC_BEGIN, "## Event timing per view, foot and frame rate (bench/events.py)\n",
         f"Generated by `python bench/events.py --docs` (cached MediaPipe tracks re-measured, no pose pass) "
         f"at commit `{_git()}`, {__import__('datetime').date.today().isoformat()}. {note}\n",
         "Every contact of the steps the step table uses, pooled (not per-clip medians): |found − true| in "
         "frames of the clip and in ms; an IC is compared with the nearest true first frame in contact, a TO "
         "with the nearest true last frame in contact; contact time = TO time − IC time (sub-frame) against "
         "the exact contact time. Side views: near/far foot; rear and front: left/right. Targets (events "
         "issue): median ≤ 1 frame, p95 ≤ 3 frames; ≤ 17 ms median at 120 and 240 fps; contact time "
         "≤ 15 ms median.\n"]
    for label, results in sets.items():
        if results:
            L += [f"### {label} ({len(results)} clips)\n", *fps_table(results), ""]
    every = {n: r for results in sets.values() for n, r in results.items()}
    L += ["### Expected timing error: how often |error| ≤ the event's expected error (should be ≥ 95 %)\n",
          "The expected error is the 95th percentile of its kind of event (view, foot, frame-rate class, "
          "source) on the fit clips (`gaitvision/events/timing_error.json`).\n"]
    for label, results in sets.items():
        if results and any(r.get("events", {}).get("records") for r in results.values()):
            L += [f"{label}:\n", *coverage(results), ""]
    L += ["### Left/right leg swaps before and after repair (side views)\n",
          "Fraction of frames whose five leg landmark pairs are closer to the other leg's truth than to their "
          "own (summed per frame): the raw pose track, and after cleaning (leg-swap repair, outlier rejection, "
          "gap filling). Target (events issue): ≤ 1 % after repair in the forefoot 120 fps class.\n",
          *swap_table({n: r for n, r in every.items() if str(r.get("view_true", "")).startswith("side")}), ""]
    L.append(DOC_END)
    return L


def write_docs_section(path: Path, section: list[str]) -> None:
    """Replace (or append) the marked event section of ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = "\n".join(section)
    if DOC_BEGIN in text and DOC_END in text:
        head, rest = text.split(DOC_BEGIN, 1)
        text = head + block + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def clip_table(results: dict[str, dict[str, Any]], key: str = "contacts_used") -> list[str]:
    """Markdown: per clip and foot, median and p95 |error| of IC and TO (frames), contact time (ms)."""
    L = ["| clip | foot | n IC/TO | IC median | IC p95 | TO median | TO p95 | CT median ms | CT p95 ms |",
         "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        ev = r.get("events", {})
        if key not in ev or "view_true" not in r:
            continue
        for side in ("left", "right"):
            d = ev[key][side]
            L.append(f"| {name} | {_foot_label(r['view_true'], side)} | {len(d['ic'])}/{len(d['to'])} | "
                     f"{_stat(d['ic'])} | {_stat(d['to'])} | {_stat(d['contact_time_ms'])} |")
    return L


def detected_steps(steps: Any) -> list[dict[str, Any]]:
    """The detector's steps as ``contact_errors`` input (times only where the TO was found)."""
    return [{"side": s.side, "ic_frame": s.ic_frame, "to_frame": s.to_frame,
             "ic_time_s": s.ic_time_s if s.to_frame >= 0 else None,
             "to_time_s": s.to_time_s if s.to_frame >= 0 else None} for s in steps]


def event_records(steps: Any, truth: dict[str, Any], view: str) -> list[dict[str, Any]]:
    """One record per detected IC and TO: foot, source, signed error (frames) and expected error."""
    out: list[dict[str, Any]] = []
    for s in steps:
        ev = truth["events"]["L" if s.side == "left" else "R"]
        foot = _foot_label(view, s.side) if view.startswith("side") else "either"
        for kind, frame, source, expected, key in (
                ("ic", s.ic_frame, s.ic_source, s.ic_error_frames, "ic_frame_mesh"),
                ("to", s.to_frame, s.to_source, s.to_error_frames, "to_frame_mesh")):
            if frame is None or frame < 0:
                continue
            err = _nearest(int(frame), [f for f in ev[key] if f is not None])
            if err is not None:
                out.append({"event": kind, "foot": foot, "source": source, "error": err,
                            "expected": None if expected is None or not np.isfinite(expected) else float(expected)})
    return out


def _measured(raw: Any, *, timing_rule: bool) -> Any:
    """``measure(raw)``; without ``timing_rule`` no step is excluded for an uncertain event (calibration)."""
    from unittest import mock

    from gaitvision.measurement import measure

    if timing_rule:
        return measure(raw, "auto")
    with mock.patch("gaitvision.events.detect.event_too_uncertain", lambda *_: False):
        return measure(raw, "auto")


def swapped_fraction(track: Any, truth: dict[str, Any]) -> float | None:
    """Fraction of frames whose leg landmarks are closer to the other leg's truth than to their own.

    The definition of ``bench/accuracy.py``'s raw swap count (all five leg
    landmark pairs summed per frame), on any track of the clip's frames.
    """
    from bench.accuracy import LEG, MP_NAMES

    lm2 = truth.get("landmarks_2d_px")
    if not lm2:
        return None
    names = list(track.landmark_names)
    n = min(track.n_frames, len(lm2["23"]))
    keep = sw = np.zeros(n)
    for a, b in LEG.items():
        ta, tb = np.array(lm2[str(a)], dtype=float)[:n], np.array(lm2[str(b)], dtype=float)[:n]
        ma, mb = track.xy[:n, names.index(MP_NAMES[a])], track.xy[:n, names.index(MP_NAMES[b])]
        keep = keep + np.linalg.norm(ma - ta, axis=1) + np.linalg.norm(mb - tb, axis=1)
        sw = sw + np.linalg.norm(ma - tb, axis=1) + np.linalg.norm(mb - ta, axis=1)
    ok = np.isfinite(keep) & np.isfinite(sw)
    return round(float(np.mean(sw[ok] < keep[ok])), 4) if ok.any() else None


def _swaps(m: Any, truth: dict[str, Any]) -> dict[str, float | None]:
    """Swapped-frame fraction of the raw pose track and after cleaning (leg-swap repair, outliers, gaps)."""
    from gaitvision.config import AnalysisConfig
    from gaitvision.measurement import clean_track

    side = m.view.view.startswith("side")
    cleaned, _ = clean_track(m.prepared.real_time, side_view=side, cfg=AnalysisConfig().filtering)
    return {"raw": swapped_fraction(m.prepared.real_time, truth), "repaired": swapped_fraction(cleaned, truth)}


def swap_table(results: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown: per clip, the swapped-frame fraction before and after leg-swap repair."""
    L = ["| clip | view | fps | swapped frames, raw | after repair |", "|---|---|---|---|---|"]
    for name, r in results.items():
        sw = r.get("swapped")
        if sw and sw["raw"] is not None:
            L.append(f"| {name} | {r['view_true']} | {r['fps']:g} | {100 * sw['raw']:.1f} % | "
                     f"{100 * sw['repaired']:.1f} % |")
    return L


def rescore_clip(analysis_dir: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Re-measure a cached ``track.npz`` (no pose model) and return per-contact errors.

    ``events.records`` are the per-event records (:func:`event_records`) of
    the steps that pass every check but the timing-error rule: the
    population the timing-error table is calibrated on.
    """
    from gaitvision.errors import InsufficientDataError
    from gaitvision.io.tracks import load_track

    raw, _ = load_track(analysis_dir / "track.npz")
    unruled = _measured(raw, timing_rule=False)
    checked = [st for st, rec in zip(unruled.events.steps, unruled.table.steps, strict=True) if rec.used]
    view = truth["camera"]["view"]
    out: dict[str, Any] = {"view_true": view, "fps": truth["video"]["fps"]}
    try:
        m = _measured(raw, timing_rule=True)
    except InsufficientDataError as err:  # every step dropped by the timing rule: still calibrates
        m, out["error_with_timing_rule"] = unruled, str(err)
        used: list[dict[str, Any]] = []
    else:
        used = [r for r in m.table.rows if not r["excluded_reason"]]
    out.update({"view_found": m.view.view, "swapped": _swaps(m, truth),
                "events": {"contacts_used": contact_errors(used, truth),
                           "contacts_all": contact_errors(detected_steps(m.events.steps), truth),
                           "records": event_records(checked, truth, view)}})
    return out


def _grid_names() -> set[str]:
    from bench.accuracy import GRID

    return set(GRID)


def _where(name: str, a: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """A result's analysis dir and truth, to re-measure it."""
    from gaitvision.events import timing

    timing._read.cache_clear()
    if name.startswith("calib/"):
        adir, tpath, _ = calib_clips(a.calib)[name]
    elif name.startswith("shared/sample_"):
        stem = name.removeprefix("shared/sample_")
        adir, tpath = a.cache / "analysis" / f"shared_sample_{stem}", ROOT / "sample_videos" / f"{stem}.truth.json"
    elif name.startswith("shared/"):
        from bench.accuracy import shared_clips

        clip, _ = shared_clips()[name]
        adir, tpath = a.cache / "analysis" / name.replace("/", "_"), clip.with_name(clip.stem + ".truth.json")
    else:
        adir, tpath = a.cache / "analysis" / name, a.cache / f"{name}.truth.json"
    return adir, json.loads(tpath.read_text())


def _rescore(cache: Path, only: str | None, shared: bool) -> dict[str, dict[str, Any]]:
    """Every cached grid row (and with ``shared`` the rendered shared clips) that ``only`` selects."""
    from bench.accuracy import GRID, shared_clips

    todo = {name: (cache / "analysis" / name, cache / f"{name}.truth.json") for name in GRID}
    if shared:
        todo.update({name: (cache / "analysis" / name.replace("/", "_"), clip.with_name(clip.stem + ".truth.json"))
                     for name, (clip, _) in shared_clips().items()})
        todo.update({f"shared/sample_{t.name.removesuffix('.truth.json')}":
                     (cache / "analysis" / f"shared_sample_{t.name.removesuffix('.truth.json')}", t)
                     for t in sorted((ROOT / "sample_videos").glob("*.truth.json"))})
    out: dict[str, dict[str, Any]] = {}
    for name, (adir, tpath) in todo.items():
        if only and not any(o in name for o in only.split(",")):
            continue
        if not (tpath.exists() and (adir / "track.npz").exists()):
            continue
        out[name] = _safe_rescore(adir, tpath)
    return out


def _safe_rescore(adir: Path, truth: Path | dict[str, Any]) -> dict[str, Any]:
    """:func:`rescore_clip`, or the error it raised (reported, the bench goes on)."""
    try:
        return rescore_clip(adir, truth if isinstance(truth, dict) else json.loads(truth.read_text()))
    except Exception as err:  # report, keep going
        return {"error": f"{type(err).__name__}: {err}"}


def calib_clips(calib: Path) -> dict[str, tuple[Path, Path, str]]:
    """The calibration grid's clips: name -> (analysis dir, truth file, split).

    The split (``fit`` or ``validate``) is the grid's (``bench/calibrate.py``),
    or ``calib/cases.json``'s for a clip the grid does not name; else ``fit``.
    """
    from bench.calibrate import build_grid

    split: dict[str, str] = {c["name"]: c["split"] for c in build_grid()}
    cases = calib / "cases.json"
    if cases.exists():
        doc = json.loads(cases.read_text())
        items = doc.get("clips", doc) if isinstance(doc, dict) else doc
        for c in items if isinstance(items, list) else [dict(v, name=k) for k, v in items.items()]:
            if isinstance(c, dict) and c.get("name"):
                split.setdefault(str(c["name"]), str(c.get("split", "fit")))
    out = {}
    for truth in sorted((calib / "clips").glob("*.truth.json")):
        name = truth.name.removesuffix(".truth.json")
        adir = calib / "out" / name
        if (adir / "track.npz").exists():
            out[f"calib/{name}"] = (adir, truth, split.get(name, "fit"))
    return out


def _p95(a: list[float]) -> dict[str, float]:
    x = np.abs(np.asarray(a, dtype=float))
    return {"n": int(x.size), "median": round(float(np.median(x)), 2), "p95": round(float(np.percentile(x, 95)), 2)}


def calibration_cells(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per kind of event (``gaitvision.events.timing.error_key``), n, median and p95 |error| (frames)."""
    from gaitvision.events.timing import error_key, fps_class

    groups: dict[str, list[float]] = {}
    for r in results.values():
        if "events" not in r or "records" not in r["events"]:
            continue
        cls = fps_class(float(r["fps"]))
        for e in r["events"]["records"]:
            for source in (e["source"], "*"):
                key = error_key(view_class(r["view_true"]), e["foot"], cls, e["event"], source)
                groups.setdefault(key, []).append(e["error"])
    return {k: _p95(v) for k, v in sorted(groups.items())}


def coverage(results: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown: per view, foot and event, how often |error| <= the expected error (should be ~95 %)."""
    groups: dict[tuple[str, str, str], list[bool]] = {}
    for r in results.values():
        for e in r.get("events", {}).get("records", []):
            if e["expected"] is not None:
                k = (view_class(r["view_true"]), e["foot"], e["event"])
                groups.setdefault(k, []).append(abs(e["error"]) <= e["expected"] + 1e-9)
    L = ["| view | foot | event | n | within expected error |", "|---|---|---|---|---|"]
    for (v, f, ev), ok in sorted(groups.items()):
        L.append(f"| {v} | {f} | {ev} | {len(ok)} | {100 * np.mean(ok):.0f} % |")
    return L


def write_calibration(results: dict[str, dict[str, Any]], path: Path, clips: list[str]) -> None:
    """Write the timing-error table (``gaitvision/events/timing_error.json``) with its provenance."""
    import datetime as _dt

    from bench.accuracy import _git

    commit = _git()
    doc = {"provenance": {
        "what": "95th percentile |error| (frames) of gaitvision's IC and TO per view class, foot, frame-rate "
                "class and detector source, against exact truth (rendered clips, MediaPipe tracks); "
                "keys view|foot|fps|event|source, source '*' = every source",
        "written_by": "python bench/events.py --calibrate", "commit": commit,
        "date": _dt.date.today().isoformat(), "clips": sorted(clips),
        "population": "steps that pass every step-table check except the timing-error rule"},
        "cells": calibration_cells(results)}
    path.write_text(json.dumps(doc, indent=1) + "\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache")
    p.add_argument("--only", default=None, help="comma-separated substrings of grid row names")
    p.add_argument("--from-json", type=Path, default=None, help="summarise a bench/accuracy.py --json file")
    p.add_argument("--json", type=Path, default=None, help="write the per-contact errors as JSON")
    p.add_argument("--per-clip", action="store_true", help="also print the per-clip table")
    p.add_argument("--all", action="store_true", help="every detected step, not only the used ones")
    p.add_argument("--shared", action="store_true", help="also the rendered shared clips the bench analysed")
    p.add_argument("--calib", type=Path, default=None, help="also the calibration grid in DIR (clips/, out/)")
    p.add_argument("--docs", action="store_true", help="write the event section of docs/accuracy.md")
    p.add_argument("--note", default="", help="a sentence for the docs section (which clips, which run)")
    p.add_argument("--calibrate", action="store_true",
                   help="write gaitvision/events/timing_error.json from the grid rows and the calib fit split")
    return p


def _with_calib(a: argparse.Namespace, results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Adds the calibration grid's fit clips to ``results``; returns its validate clips."""
    validate: dict[str, dict[str, Any]] = {}
    for name, (adir, tpath, split) in calib_clips(a.calib).items() if a.calib else ():
        if a.only and not any(o in name for o in a.only.split(",")):
            continue
        (validate if split == "validate" else results)[name] = _safe_rescore(adir, tpath)
    return validate


def _calibrate(a: argparse.Namespace, results: dict[str, dict[str, Any]], validate: dict[str, dict[str, Any]]
               ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Write the timing-error table from ``results`` and re-measure both sets with it."""
    write_calibration(results, ROOT / "gaitvision" / "events" / "timing_error.json",
                      [n for n, r in results.items() if r.get("events", {}).get("records")])
    print(f"timing-error table written from {len(results)} clips; re-measuring with it")
    results = {n: _safe_rescore(*_where(n, a)) for n in results}
    validate = {n: _safe_rescore(*_where(n, a)) for n in validate}
    print("\nCoverage of the expected error, fit clips:\n" + "\n".join(coverage(results)))
    if validate:
        print("\nCoverage, validate clips:\n" + "\n".join(coverage(validate)))
    return results, validate


def _docs(a: argparse.Namespace, results: dict[str, dict[str, Any]], validate: dict[str, dict[str, Any]]) -> None:
    from bench.calibrate import build_grid

    every = {**results, **validate}
    split = {f"calib/{c['name']}": c["split"] for c in build_grid()}
    calib = {n: r for n, r in every.items() if n.startswith("calib/")}
    sets = {"bench/accuracy.py grid": {n: r for n, r in every.items() if n in _grid_names()},
            "calibration grid, fit split": {n: r for n, r in calib.items() if split.get(n, "fit") == "fit"},
            "calibration grid, validate split": {n: r for n, r in calib.items() if split.get(n) == "validate"},
            "shared rendered clips and bundled samples":
                {n: r for n, r in every.items() if n.startswith("shared/")}}
    write_docs_section(ROOT / "docs" / "accuracy.md", docs_section(sets, a.note))


def _print(a: argparse.Namespace, results: dict[str, dict[str, Any]], validate: dict[str, dict[str, Any]]) -> None:
    key = "contacts_all" if a.all else "contacts_used"
    for name, r in results.items():
        if "error" in r:
            print(f"{name}: {r['error']}")
    grid = {n: r for n, r in results.items() if not n.startswith("shared/")}
    shared = {n: r for n, r in results.items() if n.startswith("shared/")}
    print("\n".join(table(grid, key)))
    print("\n" + "\n".join(table(grid, key, by_fps=True)))
    if shared:
        print("\nShared clips:\n" + "\n".join(table(shared, key)))
    if validate:
        print("\nValidate clips:\n" + "\n".join(table(validate, key, by_fps=True)))
    if a.per_clip:
        print("\n" + "\n".join(clip_table({**results, **validate}, key)))
        print("\n" + "\n".join(swap_table({**results, **validate})))


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    results = json.loads(a.from_json.read_text()) if a.from_json else _rescore(a.cache, a.only, a.shared)
    validate = _with_calib(a, results)
    if a.calibrate:
        results, validate = _calibrate(a, results, validate)
    if a.docs:
        _docs(a, results, validate)
    _print(a, results, validate)
    if a.json:
        a.json.write_text(json.dumps({**results, **validate}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
