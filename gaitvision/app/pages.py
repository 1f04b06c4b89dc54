"""The HTML pages (Jinja2, autoescaped); the data comes from the JSON API in the page's script."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gaitvision import __version__
from gaitvision.app import store
from gaitvision.app.results import correction_rows, visit_document
from gaitvision.app.security import csrf_for
from gaitvision.app.server import context

__all__ = ["router"]

router = APIRouter()


def _page(request: Request, name: str, **values: Any) -> HTMLResponse:
    ctx = context(request)
    values.update(request=request, csrf=csrf_for(request), version=__version__)
    return ctx.templates.TemplateResponse(request, name, values)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, q: str = "") -> HTMLResponse:
    """Patients: search, list, add."""
    with context(request).db.session() as s:
        patients = [store.patient_dict(p, visits=True) for p in store.search_patients(s, q)]
    return _page(request, "index.html", patients=patients, q=q)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(request: Request, patient_id: int) -> HTMLResponse:
    """A patient: details, visits, a new visit, trends."""
    with context(request).db.session() as s:
        patient = store.patient_dict(store.get_patient(s, patient_id), visits=True)
    return _page(request, "patient.html", patient=patient)


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(request: Request, visit_id: int) -> HTMLResponse:
    """A visit: details, uploads with progress, review and corrections."""
    with context(request).db.session() as s:
        visit = store.get_visit(s, visit_id)
        v, p = store.visit_dict(visit), store.patient_dict(visit.patient)
    return _page(request, "visit.html", visit=v, patient=p)


@router.get("/visits/{visit_id}/handout", response_class=HTMLResponse)
def handout(request: Request, visit_id: int) -> HTMLResponse:
    """The print-friendly patient handout of a visit."""
    ctx = context(request)
    with ctx.db.session() as s:
        visit = store.get_visit(s, visit_id)
        doc = visit_document(ctx.settings, ctx.cache, visit)
        corrections = correction_rows(visit)
    shown = doc["combined"] or doc["summary"]
    return _page(request, "handout.html", doc=doc, shown=shown, corrections=corrections)
