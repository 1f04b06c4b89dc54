"""The JSON API: everything the pages do (docs/app.md lists it)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from gaitvision import __version__
from gaitvision.app import store
from gaitvision.app.db import Job, get_or_404
from gaitvision.app.results import patient_trends, visit_csv, visit_document, visit_zip
from gaitvision.app.review import overlay_data
from gaitvision.app.server import AppContext, context, json_body

__all__ = ["router"]

router = APIRouter(prefix="/api")


async def _json(request: Request) -> dict[str, Any]:
    try:
        return json_body(await request.json())
    except (ValueError, UnicodeDecodeError) as err:
        raise store.BadInput("The request body must be JSON.") from err


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """The server runs; its version, schema version and whether the worker runs."""
    ctx = context(request)
    return {"status": "ok", "version": __version__, "schema_version": ctx.db.schema_version(),
            "worker": ctx.worker_alive() if ctx.settings.start_worker else None}


# -- patients ---------------------------------------------------------------------------------------------------


@router.get("/patients")
def list_patients(request: Request, q: str = "") -> dict[str, Any]:
    """Patients, optionally those matching ``q``."""
    with context(request).db.session() as s:
        return {"patients": [store.patient_dict(p) for p in store.search_patients(s, q)]}


@router.post("/patients", status_code=201)
async def create_patient(request: Request) -> dict[str, Any]:
    """``{"name", "external_id"?, "notes"?}`` -> ``{"id"}``."""
    data = await _json(request)
    with context(request).db.session() as s:
        p = store.create_patient(s, data)
        return {"id": p.id, "patient": store.patient_dict(p)}


@router.get("/patients/{patient_id}")
def get_patient(request: Request, patient_id: int) -> dict[str, Any]:
    """A patient with their visits."""
    with context(request).db.session() as s:
        return store.patient_dict(store.get_patient(s, patient_id), visits=True)


@router.patch("/patients/{patient_id}")
async def update_patient(request: Request, patient_id: int) -> dict[str, Any]:
    """Change name, external_id or notes."""
    data = await _json(request)
    with context(request).db.session() as s:
        return store.patient_dict(store.update_patient(s, patient_id, data))


@router.delete("/patients/{patient_id}")
def delete_patient(request: Request, patient_id: int) -> dict[str, Any]:
    """Delete a patient, their visits and every file."""
    ctx = context(request)
    with ctx.db.session() as s:
        store.delete_patient(s, ctx.settings, patient_id, ctx.cache)
    return {"deleted": True}


@router.get("/patients/{patient_id}/trends")
def trends(request: Request, patient_id: int) -> dict[str, Any]:
    """Key metrics per visit with intervals; changes beyond the measurement error marked."""
    ctx = context(request)
    with ctx.db.session() as s:
        return patient_trends(ctx.settings, ctx.cache, store.get_patient(s, patient_id))


# -- visits and uploads -----------------------------------------------------------------------------------------


def _check_length(request: Request, ctx: AppContext) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > ctx.settings.max_upload_bytes + (1 << 20):
        raise store.TooLarge(f"The clip is larger than the limit of {ctx.settings.max_upload_bytes >> 20} MB.")


def _store_upload(ctx: AppContext, visit_id: int, upload: UploadFile, view: str) -> dict[str, Any]:
    tmp = store.receive_upload(ctx.settings, upload.file)
    with ctx.db.session() as s:
        clip = store.add_clip(s, ctx.settings, store.get_visit(s, visit_id), tmp,
                              original_name=upload.filename or "clip", view=view)
        return {"visit_id": visit_id, "clip_id": clip.id, "job_id": clip.jobs[-1].id}


async def _form(request: Request) -> tuple[dict[str, Any], UploadFile | None]:
    ctx = context(request)
    _check_length(request, ctx)
    form = await request.form(max_files=1, max_fields=20)
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("clip")
    if upload is not None and not isinstance(upload, UploadFile):
        raise store.BadInput("clip must be a file.")
    return fields, upload


def _create_visit(ctx: AppContext, patient_id: int, fields: dict[str, Any], upload: UploadFile | None,
                  view: str) -> dict[str, Any]:
    with ctx.db.session() as s:
        store.get_patient(s, patient_id)
    tmp = store.receive_upload(ctx.settings, upload.file) if upload else None
    try:
        with ctx.db.session() as s:
            visit = store.create_visit(s, patient_id, fields)
            out: dict[str, Any] = {"visit_id": visit.id, "clip_id": None, "job_id": None}
            if tmp is not None and upload is not None:
                clip = store.add_clip(s, ctx.settings, visit, tmp, original_name=upload.filename or "clip", view=view)
                out.update(clip_id=clip.id, job_id=clip.jobs[-1].id)
            return out
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


@router.post("/patients/{patient_id}/visits", status_code=201)
async def create_visit(request: Request, patient_id: int) -> dict[str, Any]:
    """A visit; multipart with an optional ``clip`` (and ``view``), or JSON without a clip.

    -> ``{"visit_id", "clip_id", "job_id"}`` (the last two None without a clip). A clip
    that cannot be stored (not a video, too large) stores no visit either.
    """
    ctx = context(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        fields, upload = await _json(request), None
    else:
        fields, upload = await _form(request)
    view = str(fields.pop("view", "auto") or "auto")
    if view not in store.VIEWS:
        raise store.BadInput(f"view must be one of {', '.join(store.VIEWS)}, but got {view!r}.")
    return await run_in_threadpool(_create_visit, ctx, patient_id, fields, upload, view)


@router.post("/visits/{visit_id}/clips", status_code=201)
async def add_clip(request: Request, visit_id: int) -> dict[str, Any]:
    """Multipart ``clip`` (and ``view``: auto, side, rear, front) -> ``{"clip_id", "job_id"}``."""
    ctx = context(request)
    with ctx.db.session() as s:
        store.get_visit(s, visit_id)
    fields, upload = await _form(request)
    if upload is None:
        raise store.BadInput("No clip in the upload (multipart field 'clip').")
    return await run_in_threadpool(_store_upload, ctx, visit_id, upload, str(fields.get("view") or "auto"))


@router.get("/visits/{visit_id}")
def get_visit(request: Request, visit_id: int) -> dict[str, Any]:
    """The visit with each clip's (corrected) summary and steps, the combined result and findings."""
    ctx = context(request)
    with ctx.db.session() as s:
        return visit_document(ctx.settings, ctx.cache, store.get_visit(s, visit_id))


@router.patch("/visits/{visit_id}")
async def update_visit(request: Request, visit_id: int) -> dict[str, Any]:
    """Change date, speed, shoes or notes."""
    data = await _json(request)
    with context(request).db.session() as s:
        return store.visit_dict(store.update_visit(s, visit_id, data))


@router.delete("/visits/{visit_id}")
def delete_visit(request: Request, visit_id: int) -> dict[str, Any]:
    """Delete a visit and every file of it."""
    ctx = context(request)
    with ctx.db.session() as s:
        store.delete_visit(s, ctx.settings, visit_id, ctx.cache)
    return {"deleted": True}


@router.delete("/clips/{clip_id}")
def delete_clip(request: Request, clip_id: int) -> dict[str, Any]:
    """Delete one clip, its analysis and its files."""
    ctx = context(request)
    with ctx.db.session() as s:
        store.delete_clip(s, ctx.settings, clip_id, ctx.cache)
    return {"deleted": True}


@router.post("/clips/{clip_id}/analyse", status_code=201)
def reanalyse(request: Request, clip_id: int) -> dict[str, Any]:
    """Queue the clip's analysis again (after a failure)."""
    with context(request).db.session() as s:
        return {"job_id": store.reanalyse(s, clip_id).id}


# -- jobs, video, overlay -----------------------------------------------------------------------------------------


@router.get("/jobs/{job_id}")
def get_job(request: Request, job_id: int) -> dict[str, Any]:
    """``{"state": queued|running|done|failed|interrupted, "stage", "progress": 0-1, "error"}``."""
    with context(request).db.session() as s:
        return store.job_dict(get_or_404(s, Job, job_id))


@router.get("/clips/{clip_id}/video")
def clip_video(request: Request, clip_id: int) -> Response:
    """The browser-playable file of the clip (range requests for seeking)."""
    ctx = context(request)
    with ctx.db.session() as s:
        c = store.get_clip(s, clip_id)
        if not c.playable_name:
            raise store.NotFound("The clip's browser-playable copy is not made yet (after its analysis).")
        path = ctx.settings.clips_dir / c.folder / c.playable_name
    return FileResponse(path, media_type="video/mp4" if path.suffix == ".mp4" else "application/octet-stream")


@router.get("/clips/{clip_id}/overlay")
def clip_overlay(request: Request, clip_id: int) -> dict[str, Any]:
    """Per-frame times, landmark x/y and the steps, for the overlay (corrections applied)."""
    ctx = context(request)
    with ctx.db.session() as s:
        a, m, _ = store.clip_result(ctx.settings, ctx.cache, store.get_clip(s, clip_id))
        return overlay_data(a, m)


# -- corrections ---------------------------------------------------------------------------------------------------


def _clip_for_correction(visit: Any, data: dict[str, Any]) -> Any:
    clip_id = data.pop("clip_id", None)
    slot = data.pop("view", None)
    done = [c for c in visit.clips if c.jobs and c.jobs[-1].state == "done"]
    if clip_id is not None:
        match = [c for c in visit.clips if c.id == clip_id]
    elif slot is not None:
        match = [c for c in done if store.slot_of(c) == slot]
    else:
        match = done if len(done) == 1 else []
        if len(done) > 1:
            raise store.BadInput("This visit has two analysed clips; name one with clip_id (or view).")
    if not match:
        raise store.NotFound("The visit has no analysed clip to correct" + (f" with id {clip_id}." if clip_id else "."))
    return match[0]


def _correction_answer(ctx: AppContext, visit_id: int, correction: dict[str, Any] | None) -> dict[str, Any]:
    with ctx.db.session() as s:
        doc = visit_document(ctx.settings, ctx.cache, store.get_visit(s, visit_id))
    return {"correction": correction, **doc}


@router.post("/visits/{visit_id}/corrections", status_code=201)
async def add_correction(request: Request, visit_id: int) -> dict[str, Any]:
    """A correction (``{"type": "exclude_step", "step": 3, "reason": ...}``, ...) -> the new results."""
    ctx = context(request)
    data = await _json(request)

    def work() -> dict[str, Any]:
        with ctx.db.session() as s:
            clip = _clip_for_correction(store.get_visit(s, visit_id), data)
            row = store.add_correction(s, ctx.settings, ctx.cache, clip, data)
            return store.correction_dict(row)

    return _correction_answer(ctx, visit_id, await run_in_threadpool(work))


@router.get("/visits/{visit_id}/corrections")
def list_corrections(request: Request, visit_id: int) -> dict[str, Any]:
    """Every correction of the visit (undone ones too), oldest first."""
    from gaitvision.app.results import correction_rows

    with context(request).db.session() as s:
        return {"corrections": correction_rows(store.get_visit(s, visit_id))}


@router.delete("/visits/{visit_id}/corrections/{correction_id}")
def undo_correction(request: Request, visit_id: int, correction_id: int) -> dict[str, Any]:
    """Undo a correction (its record is kept, marked undone) -> the new results."""
    ctx = context(request)
    with ctx.db.session() as s:
        visit = store.get_visit(s, visit_id)
        for c in visit.clips:
            if any(r.id == correction_id for r in c.corrections):
                row = store.undo_correction(s, c, correction_id)
                break
        else:
            raise store.NotFound(f"There is no correction {correction_id} in visit {visit_id}.")
        done = store.correction_dict(row)
    return _correction_answer(ctx, visit_id, done)


# -- exports ---------------------------------------------------------------------------------------------------------


@router.get("/visits/{visit_id}/export.json")
def export_json(request: Request, visit_id: int) -> Response:
    """The visit's results and corrections as one JSON file."""
    ctx = context(request)
    with ctx.db.session() as s:
        doc = visit_document(ctx.settings, ctx.cache, store.get_visit(s, visit_id))
    return Response(json.dumps(doc, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="visit{visit_id}.json"'})


@router.get("/visits/{visit_id}/export.csv")
def export_csv(request: Request, visit_id: int) -> Response:
    """Every clip's (corrected) steps as one CSV."""
    ctx = context(request)
    with ctx.db.session() as s:
        doc = visit_document(ctx.settings, ctx.cache, store.get_visit(s, visit_id))
    return PlainTextResponse(visit_csv(doc), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="visit{visit_id}_steps.csv"'})


@router.get("/visits/{visit_id}/export.zip")
def export_zip(request: Request, visit_id: int) -> Response:
    """The visit folder: clips, analyses, corrected results and the corrections."""
    ctx = context(request)
    dest = ctx.settings.tmp_dir / f"export-{uuid.uuid4().hex}.zip"
    with ctx.db.session() as s:
        visit = store.get_visit(s, visit_id)
        visit_zip(ctx.settings, visit_document(ctx.settings, ctx.cache, visit), visit, dest)
    return FileResponse(dest, media_type="application/zip", filename=f"visit{visit_id}.zip",
                        background=BackgroundTask(Path(dest).unlink, missing_ok=True))


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def api_not_found(rest: str) -> JSONResponse:
    """Unknown API paths: a JSON 404."""
    return JSONResponse({"error": f"No API endpoint /api/{rest}."}, status_code=404)
