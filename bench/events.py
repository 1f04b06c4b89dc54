#!/usr/bin/env python3
"""Event timing against exact truth, per contact: IC and TO frame errors and contact-time errors.

Used by ``bench/accuracy.py`` (the per-contact lists it stores in its JSON)
and on its own to re-time the events of the bench's cached MediaPipe tracks
without running the pose model again (seconds, not minutes), e.g. while
tuning :mod:`gaitvision.events`::

    python bench/events.py                          # every grid row cached in bench/.cache
    python bench/events.py --cache DIR --only side_60  # another cache, a subset
    python bench/events.py --shared                 # and the rendered shared clips
    python bench/events.py --from-json RUN.json     # the tables of a bench/accuracy.py --json run

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


def rescore_clip(analysis_dir: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Re-measure a cached ``track.npz`` (no pose model) and return per-contact errors."""
    from gaitvision.io.tracks import load_track
    from gaitvision.measurement import measure

    raw, _ = load_track(analysis_dir / "track.npz")
    m = measure(raw, "auto")
    rows = m.table.rows
    used = [r for r in rows if not r["excluded_reason"]]
    detected = detected_steps(m.events.steps)
    return {"view_true": truth["camera"]["view"], "view_found": m.view.view, "fps": truth["video"]["fps"],
            "events": {"contacts_used": contact_errors(used, truth),
                       "contacts_all": contact_errors(detected, truth)}}


def _rescore(cache: Path, only: str | None, shared: bool) -> dict[str, dict[str, Any]]:
    """Every cached grid row (and with ``shared`` the rendered shared clips) that ``only`` selects."""
    from bench.accuracy import GRID, shared_clips

    todo = {name: (cache / "analysis" / name, cache / f"{name}.truth.json") for name in GRID}
    if shared:
        todo.update({name: (cache / "analysis" / name.replace("/", "_"), clip.with_name(clip.stem + ".truth.json"))
                     for name, (clip, _) in shared_clips().items()})
    out: dict[str, dict[str, Any]] = {}
    for name, (adir, tpath) in todo.items():
        if only and not any(o in name for o in only.split(",")):
            continue
        if not (tpath.exists() and (adir / "track.npz").exists()):
            continue
        try:
            out[name] = rescore_clip(adir, json.loads(tpath.read_text()))
        except Exception as err:  # report, keep going
            out[name] = {"error": f"{type(err).__name__}: {err}"}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache")
    p.add_argument("--only", default=None, help="comma-separated substrings of grid row names")
    p.add_argument("--from-json", type=Path, default=None, help="summarise a bench/accuracy.py --json file")
    p.add_argument("--json", type=Path, default=None, help="write the per-contact errors as JSON")
    p.add_argument("--per-clip", action="store_true", help="also print the per-clip table")
    p.add_argument("--all", action="store_true", help="every detected step, not only the used ones")
    p.add_argument("--shared", action="store_true", help="also the rendered shared clips the bench analysed")
    a = p.parse_args(argv)
    results = json.loads(a.from_json.read_text()) if a.from_json else _rescore(a.cache, a.only, a.shared)
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
    if a.per_clip:
        print("\n" + "\n".join(clip_table(results, key)))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
