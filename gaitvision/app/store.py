"""What the pages and the API do to the data: patients, visits, uploads, results, corrections.

Every function takes an open session (and the settings where files are
involved) and raises :class:`NotFound` or :class:`BadInput` with a sentence
for the PT; the server turns them into 404 and 400 answers. Files are
written under generated names inside the data folder only.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gaitvision.app.db import Clip, CorrectionRow, Job, NotFound, Patient, Visit, get_or_404, now, row_dict
from gaitvision.app.media import probe_clip, stored_suffix
from gaitvision.app.review import AnalysisCache, ClipAnalysis, automatic_and_new, result_document
from gaitvision.app.settings import AppSettings
from gaitvision.errors import GaitvisionError
from gaitvision.measure.corrections import (
    Correction,
    CorrectionError,
    ExcludeStep,
    IncludeStep,
    correction_from_dict,
)
from gaitvision.measurement import Measurement

__all__ = [
    "BadInput", "NotFound", "TooLarge", "add_clip", "add_correction", "clip_result", "create_patient",
    "create_visit", "delete_patient", "delete_visit", "get_clip", "get_patient", "get_visit", "job_dict",
    "patient_dict", "search_patients", "undo_correction", "update_patient", "update_visit", "visit_dict",
]

VIEWS = ("auto", "side", "rear", "front")
_CHUNK = 1 << 20


class BadInput(ValueError):
    """The request cannot be done as asked (the message says why)."""


class TooLarge(BadInput):
    """The upload is larger than the size limit."""


def _text(d: dict[str, Any], key: str, *, limit: int, default: str = "") -> str:
    v = d.get(key, default)
    if v is None:
        return default
    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
        raise BadInput(f"{key} must be text.")
    v = str(v).strip()
    if len(v) > limit:
        raise BadInput(f"{key} is longer than {limit} characters.")
    return v


def _date(d: dict[str, Any]) -> dt.date:
    v = d.get("date")
    if v in (None, ""):
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError as err:
        raise BadInput(f"date must be YYYY-MM-DD, but got {v!r}.") from err


# -- patients -------------------------------------------------------------------------------------------


def patient_dict(p: Patient, *, visits: bool = False) -> dict[str, Any]:
    """A patient as the API shows it."""
    d = row_dict(p, "id", "name", "external_id", "notes", "created_at")
    if visits:
        d["visits"] = [visit_dict(v) for v in p.visits]
    return d


def create_patient(s: Session, data: dict[str, Any]) -> Patient:
    """A new patient from ``{"name", "external_id"?, "notes"?}``."""
    name = _text(data, "name", limit=200)
    if not name:
        raise BadInput("name is required.")
    p = Patient(name=name, external_id=_text(data, "external_id", limit=100), notes=_text(data, "notes", limit=5000))
    s.add(p)
    s.flush()
    return p


def get_patient(s: Session, patient_id: int) -> Patient:
    """The patient, or :class:`NotFound`."""
    return get_or_404(s, Patient, patient_id)


def update_patient(s: Session, patient_id: int, data: dict[str, Any]) -> Patient:
    """Change a patient's name, id or notes (only the keys given)."""
    p = get_patient(s, patient_id)
    if "name" in data:
        name = _text(data, "name", limit=200)
        if not name:
            raise BadInput("name cannot be empty.")
        p.name = name
    if "external_id" in data:
        p.external_id = _text(data, "external_id", limit=100)
    if "notes" in data:
        p.notes = _text(data, "notes", limit=5000)
    return p


def search_patients(s: Session, q: str = "") -> list[Patient]:
    """Patients whose name, id or notes contain ``q`` (all when empty), by name."""
    stmt = select(Patient).order_by(Patient.name, Patient.id)
    q = q.strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Patient.name.ilike(like), Patient.external_id.ilike(like), Patient.notes.ilike(like)))
    return list(s.scalars(stmt))


def _remove_clip_files(settings: AppSettings, clips: Iterable[Clip], cache: AnalysisCache | None) -> None:
    for c in clips:
        folder = settings.clips_dir / c.folder
        if cache is not None:
            cache.forget(folder / "analysis")
        if folder.parent == settings.clips_dir and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def delete_patient(s: Session, settings: AppSettings, patient_id: int, cache: AnalysisCache | None = None) -> None:
    """Delete a patient, their visits and every file of them."""
    p = get_patient(s, patient_id)
    clips = [c for v in p.visits for c in v.clips]
    s.delete(p)
    s.flush()
    _remove_clip_files(settings, clips, cache)


# -- visits -----------------------------------------------------------------------------------------------


def visit_dict(v: Visit) -> dict[str, Any]:
    """A visit as the API shows it (without results)."""
    return row_dict(v, "id", "patient_id", "date", "speed", "shoes", "notes", "clips",
                    clips=[clip_dict(c) for c in v.clips])


def create_visit(s: Session, patient_id: int, data: dict[str, Any]) -> Visit:
    """A new visit of a patient from ``{"date"?, "speed"?, "shoes"?, "notes"?}``."""
    get_patient(s, patient_id)
    v = Visit(patient_id=patient_id, date=_date(data), speed=_text(data, "speed", limit=50),
              shoes=_text(data, "shoes", limit=200), notes=_text(data, "notes", limit=5000))
    s.add(v)
    s.flush()
    return v


def get_visit(s: Session, visit_id: int) -> Visit:
    """The visit, or :class:`NotFound`."""
    return get_or_404(s, Visit, visit_id)


def update_visit(s: Session, visit_id: int, data: dict[str, Any]) -> Visit:
    """Change a visit's date, speed, shoes or notes (only the keys given)."""
    v = get_visit(s, visit_id)
    if "date" in data:
        v.date = _date(data)
    for key, limit in (("speed", 50), ("shoes", 200), ("notes", 5000)):
        if key in data:
            setattr(v, key, _text(data, key, limit=limit))
    return v


def delete_visit(s: Session, settings: AppSettings, visit_id: int, cache: AnalysisCache | None = None) -> None:
    """Delete a visit and every file of it."""
    v = get_visit(s, visit_id)
    clips = list(v.clips)
    s.delete(v)
    s.flush()
    _remove_clip_files(settings, clips, cache)


# -- clips and jobs -------------------------------------------------------------------------------------------


def clip_dict(c: Clip) -> dict[str, Any]:
    """A clip with its latest job."""
    job = c.jobs[-1] if c.jobs else None
    return row_dict(c, "id", "visit_id", "view_hint", "view", "slot", "original_name", "size_bytes", "codec", "pix_fmt",
                    "playable", "job", slot=slot_of(c), playable=bool(c.playable_name),
                    job=job_dict(job) if job else None)


def slot_of(c: Clip) -> str:
    """``side`` or ``rear`` (rear and front: the frontal clip), or ``auto`` before the analysis decides."""
    view = c.view or c.view_hint
    if view.startswith("side"):
        return "side"
    if view in ("rear", "front"):
        return "rear"
    return "auto"


def job_dict(j: Job) -> dict[str, Any]:
    """A job's state as ``GET /api/jobs/{id}`` shows it."""
    return row_dict(j, "id", "clip_id", "visit_id", "state", "stage", "progress", "error", "attempts", "interrupted",
                    visit_id=j.clip.visit_id, progress=round(float(j.progress), 4), error=j.error or None)


def get_clip(s: Session, clip_id: int) -> Clip:
    """The clip, or :class:`NotFound`."""
    return get_or_404(s, Clip, clip_id)


def receive_upload(settings: AppSettings, stream: BinaryIO) -> Path:
    """Copy an upload into ``tmp/`` under a generated name, refusing more than the size limit.

    Raises
    ------
    TooLarge
        Past the limit (nothing is kept).
    """
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.tmp_dir / f"{uuid.uuid4().hex}.part"
    size = 0
    try:
        with open(tmp, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise TooLarge(f"The clip is larger than the limit of {settings.max_upload_bytes >> 20} MB.")
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if size == 0:
        tmp.unlink(missing_ok=True)
        raise BadInput("The uploaded file is empty.")
    return tmp


def add_clip(s: Session, settings: AppSettings, visit: Visit, tmp: Path, *, original_name: str,
             view: str = "auto") -> Clip:
    """Probe an upload, store it in its own folder under a generated name, and queue its analysis.

    Raises
    ------
    BadInput
        If it is not a readable video, the view is unknown, or the visit already
        has a clip for that view (the temporary file is removed).
    """
    try:
        if view not in VIEWS:
            raise BadInput(f"view must be one of {', '.join(VIEWS)}, but got {view!r}.")
        if view != "auto" and any(slot_of(c) == ("rear" if view == "front" else view) for c in visit.clips):
            raise BadInput(f"This visit already has a {view} clip; delete it first.")
        try:
            info = probe_clip(tmp)
        except GaitvisionError as err:
            raise BadInput(str(err).replace(str(tmp), "the uploaded file")) from err
        folder = uuid.uuid4().hex
        dest_dir = settings.clips_dir / folder
        dest_dir.mkdir(parents=True)
        name = "clip" + stored_suffix(info)
        tmp.replace(dest_dir / name)
    finally:
        tmp.unlink(missing_ok=True)
    clip = Clip(visit_id=visit.id, view_hint=view, folder=folder, stored_name=name,
                original_name=Path(original_name or "clip").name[:300], size_bytes=(dest_dir / name).stat().st_size,
                codec=info.codec, pix_fmt=info.pix_fmt, container=info.container,
                playable_name=name if info.browser_playable else "")
    s.add(clip)
    s.flush()
    s.add(Job(clip_id=clip.id))
    s.flush()
    s.refresh(clip)
    return clip


def delete_clip(s: Session, settings: AppSettings, clip_id: int, cache: AnalysisCache | None = None) -> None:
    """Delete a clip, its analysis and its files."""
    c = get_clip(s, clip_id)
    s.delete(c)
    s.flush()
    _remove_clip_files(settings, [c], cache)


def reanalyse(s: Session, clip_id: int) -> Job:
    """Queue a new analysis of a clip whose last one failed or was interrupted."""
    c = get_clip(s, clip_id)
    if c.jobs and c.jobs[-1].state in ("queued", "running"):
        raise BadInput("The clip's analysis is already queued or running.")
    j = Job(clip_id=c.id)
    s.add(j)
    s.flush()
    return j


# -- results and corrections ------------------------------------------------------------------------------------


def correction_dict(r: CorrectionRow) -> dict[str, Any]:
    """A correction's audit record."""
    return row_dict(r, "id", "clip_id", "type", "correction", "automatic_value", "new_value", "reason", "created_at",
                    "undone", "undone_at", type=r.kind, correction=json.loads(r.data),
                    automatic_value=json.loads(r.automatic_value), new_value=json.loads(r.new_value))


def _active(c: Clip) -> list[Correction]:
    return [correction_from_dict(json.loads(r.data)) for r in c.corrections if not r.undone]


def analysis_of(settings: AppSettings, cache: AnalysisCache, c: Clip) -> ClipAnalysis:
    """The clip's loaded analysis.

    Raises
    ------
    BadInput
        If the clip has no finished analysis.
    """
    job = c.jobs[-1] if c.jobs else None
    if job is None or job.state != "done":
        raise BadInput("The clip's analysis is not finished.")
    try:
        return cache.get(settings.clips_dir / c.folder / "analysis")
    except GaitvisionError as err:
        raise BadInput(str(err)) from err


def clip_result(settings: AppSettings, cache: AnalysisCache, c: Clip) -> tuple[ClipAnalysis, Measurement,
                                                                                dict[str, Any]]:
    """The clip's analysis, its measurement with the active corrections, and its result document."""
    a = analysis_of(settings, cache, c)
    m = a.measure(_active(c))
    return a, m, result_document(a, m, [correction_dict(r) for r in c.corrections])


def add_correction(s: Session, settings: AppSettings, cache: AnalysisCache, c: Clip,
                   data: dict[str, Any]) -> CorrectionRow:
    """Apply a correction (re-measured before it is stored) and record it.

    Raises
    ------
    BadInput
        For an unknown kind, a step or frame the clip does not have, or a move
        that puts a contact after its toe-off: nothing is stored.
    """
    a = analysis_of(settings, cache, c)
    data = dict(data)
    reason = str(data.get("reason") or "")[:2000]
    if data.get("type") == "include_step":
        data.pop("reason", None)  # the audit keeps it; the core's IncludeStep has none
    try:
        corr = correction_from_dict(data)
        _check_not_redundant(a.measure(_active(c)), corr)
        m = a.measure([*_active(c), corr])
        auto, new = automatic_and_new(a, m, corr)
    except CorrectionError as err:
        raise BadInput(str(err)) from err
    row = CorrectionRow(clip_id=c.id, kind=corr.type, data=json.dumps(corr.to_dict()),
                        automatic_value=json.dumps(auto), new_value=json.dumps(new), reason=reason)
    s.add(row)
    s.flush()
    s.refresh(c)
    return row


def _check_not_redundant(current: Measurement, corr: Correction) -> None:
    """Refuse excluding a step that is already excluded, or including one already used."""
    if isinstance(corr, (ExcludeStep, IncludeStep)):
        try:
            step = current.table.by_number(corr.step)
        except KeyError as err:
            raise CorrectionError(str(err).strip("'\"")) from err
        if isinstance(corr, ExcludeStep) and not step.used:
            raise CorrectionError(f"Step {corr.step} is already excluded ({step.excluded_reason}).")
        if isinstance(corr, IncludeStep) and step.used:
            raise CorrectionError(f"Step {corr.step} is already used in the summary.")


def undo_correction(s: Session, c: Clip, correction_id: int) -> CorrectionRow:
    """Mark a correction undone (its record is kept)."""
    for r in c.corrections:
        if r.id == correction_id:
            if r.undone:
                raise BadInput(f"Correction {correction_id} is already undone.")
            r.undone, r.undone_at = True, now()
            s.flush()
            return r
    raise NotFound(f"There is no correction {correction_id} of this clip.")
